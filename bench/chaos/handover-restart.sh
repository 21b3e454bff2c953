#!/usr/bin/env bash
# Replacing a running Junction under load (issue 15), loopback only, about a minute:
#   restart:  SIGTERM the running Junction, start the next one (today's upgrade, no handover);
#   handover: start the next one beside it on the same --handover-socket; the first hands over and drains.
# Load during each (bench/chaos/handover-restart.py): new TCP connections back to back, long-lived CRC-checked
# streams, a UDP request every 5 ms. Prints, per scenario, what failed and when, and how long the switch took.
# Usage: bench/chaos/handover-restart.sh [SECONDS (default 12)] [STREAMS (default 20)]
# Needs python3 and the test classes (mvn -o -q test-compile). Cleans up its directory and processes.
set -euo pipefail
home=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
seconds=${1:-12}
streams=${2:-20}
(cd "$home" && mvn -o -q dependency:build-classpath -Dmdep.outputFile=target/chaos-cp.txt >/dev/null)
cp="$home/target/classes:$home/target/test-classes:$(cat "$home/target/chaos-cp.txt")"
work=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
now() { date +%s.%N; }
since() { python3 -c "print('%.2f s' % ($(now) - $1))"; }
# Until $1 (a command) succeeds, at most $2 seconds.
await() { for _ in $(seq $(($2 * 50))); do eval "$1" && return 0; sleep 0.02; done; echo "timed out: $1" >&2; return 1; }

backend=$(free_port)
java -Xmx128m -cp "$cp" dev.junction.testing.EchoServer web "$backend" >"$work/backend.log" 2>&1 &
pids+=($!)
await "grep -q ready $work/backend.log" 20
vip=$(free_port)
mkdir "$work/manifests"
cat >"$work/manifests/web.yaml" <<YAML
apiVersion: v1
kind: Service
metadata: {name: web, namespace: default}
spec:
  clusterIP: 127.0.0.1
  ports: [{name: tcp, port: $vip, protocol: TCP}, {name: udp, port: $vip, protocol: UDP}]
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {name: web-1, namespace: default, labels: {kubernetes.io/service-name: web}}
addressType: IPv4
ports: [{name: tcp, port: $backend, protocol: TCP}, {name: udp, port: $backend, protocol: UDP}]
endpoints: [{addresses: ["127.0.0.1"]}]
YAML
junction() { # log-name handover-socket
  java -Xmx256m -cp "$cp" dev.junction.Main run --manifests "$work/manifests" --capture none \
    --workers 1 --healthz-bind-address 127.0.0.1:0 --metrics-bind-address "" --shutdown-grace-period 5s \
    --handover-socket "$2" >"$work/$1.log" 2>&1 &
  pids+=($!)
  last=$!
}
serves() { python3 -c "import socket; socket.create_connection(('127.0.0.1', $vip), timeout=0.5).close()" 2>/dev/null; }

scenario() { # name
  local name=$1 sock=""
  [ "$name" = handover ] && sock="$work/handover.sock"
  junction "$name-first" "$sock"; local first=$last
  await serves 60
  [ -n "$sock" ] && await "test -S $sock" 20
  python3 "$home/bench/chaos/handover-restart.py" "$vip" "$vip" "$seconds" "$streams" >"$work/$name.load" &
  local load=$!
  sleep 3
  local t0; t0=$(now)
  if [ "$name" = restart ]; then
    kill -TERM "$first"
    junction "$name-second" ""; local second=$last
    await serves 60
    echo "$name: the next Junction serves $(since "$t0") after the SIGTERM"
  else
    junction "$name-second" "$sock"; local second=$last
    await "grep -q 'handover: done' $work/$name-second.log" 60
    echo "$name: handed over $(since "$t0") after the second Junction started (JVM start and its own sync included)"
  fi
  wait "$load"
  echo "$name: $(cat "$work/$name.load")"
  local code=0
  wait "$first" || code=$?
  echo "$name: the first Junction exited with $code"
  kill -TERM "$second"; wait "$second" || true
}
echo "== $seconds s of load, $streams long-lived streams; the switch 3 s in"
scenario restart
scenario handover
