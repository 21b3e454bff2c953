#!/usr/bin/env bash
# Chaos case "the health port is an open door" (issue 14, item 3), on loopback: Junction runs with a
# lowered open-files limit while IDLE connections are held open to its health port for HOLD seconds; a TCP
# canary goes through the data plane every 20 ms and a kubelet-like probe asks /healthz every 200 ms.
# Prints the driver's figures, the log's line count and size, and the operational-server counters.
# Bounded (attack <= 30 s + HOLD), stops everything it started on exit.
#
# usage: bench/chaos/health-port-flood.sh [IDLE] [NOFILE] [HOLD]     (defaults 3000, 2048, 10)
# env:   OUT=file  keeps Junction's log there; JAR=path  another build (e.g. before a change)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
idle=${1:-3000}
nofile=${2:-2048}
hold=${3:-10}
host=127.0.0.1
backend=19401
proxy=19400
health=19410
metrics=19411
jar=${JAR:-target/junction.jar}
[ -f "$jar" ] || mvn -B -q package -DskipTests
work=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  [ -n "${OUT:-}" ] && cp "$work/junction.log" "$OUT"
  rm -rf "$work"
}
trap cleanup EXIT
wait_port() {
  for _ in $(seq 100); do
    (exec 3<>/dev/tcp/$host/$1) 2>/dev/null && return 0
    sleep 0.1
  done
  echo "port $1 never opened" >&2
  return 1
}

python3 - "$backend" <<'PY' &
import socket, sys, threading
srv = socket.create_server(("127.0.0.1", int(sys.argv[1])), backlog=1024)
def echo(c):
    with c:
        c.settimeout(10)
        try:
            while data := c.recv(4096):
                c.sendall(data)
        except OSError:
            pass
while True:
    c, _ = srv.accept()
    threading.Thread(target=echo, args=(c,), daemon=True).start()
PY
pids+=($!)

mkdir -p "$work/manifests"
cat >"$work/manifests/chaos.yaml" <<CFG
apiVersion: v1
kind: Service
metadata: {name: canary, namespace: chaos}
spec:
  clusterIP: $host
  ports: [{name: tcp, port: $proxy, protocol: TCP}]
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {name: canary, namespace: chaos, labels: {kubernetes.io/service-name: canary}}
addressType: IPv4
ports: [{name: tcp, port: $backend, protocol: TCP}]
endpoints: [{addresses: ["$host"]}]
CFG

bash -c "ulimit -n $nofile; exec java -XX:+UseParallelGC -Xmx256m -jar $jar run \
  --manifests $work/manifests --capture none --hostname-override chaos \
  --healthz-bind-address $host:$health --metrics-bind-address $host:$metrics" >"$work/junction.log" 2>&1 &
jpid=$!
pids+=("$jpid")
wait_port $backend
wait_port $health
wait_port $proxy
echo "junction pid $jpid, open-files limit $nofile, $idle idle connections to the health port for ${hold}s"
python3 bench/chaos/health-port-flood.py $proxy $health "$jpid" "$idle" "$hold"
echo "junction log: $(wc -l <"$work/junction.log") lines, $(wc -c <"$work/junction.log") bytes"
grep -m3 -i "warn\|error" "$work/junction.log" | cut -c1-220 || true
curl -s --max-time 2 "http://$host:$metrics/metrics" | grep '^junction_http' || true
