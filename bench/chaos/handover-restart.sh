#!/usr/bin/env bash
# Replacing a running Junction under load (issue 15), loopback only, bounded in time (a round takes about a
# minute with one Service, three to five with 10,000 on a busy two-core machine; the load stops at 240 s):
#   restart:  SIGTERM the running Junction, start the next one (today's upgrade, no handover);
#   handover: start the next one beside it on the same --handover-socket; the first hands over and drains.
# Load during each (dev.junction.testing.HandoverLoad, in the test classes): RATE new TCP connections per second
# (open loop), STREAMS long-lived CRC-checked echo streams, UDP request/response on 4 sockets. The switch comes
# 4 s into the load, which stops AFTER seconds once the next Junction serves (restart) or holds the sockets
# (handover), so its counts cover the whole switch. With SERVICES > 1 the manifests hold SERVICES - 1 more TCP
# Services (127.20.x.y:80, the same backend) beside the one under load. Prints, per round and scenario, the
# load's counts, the switch's timings and the first Junction's exit code; OUT keeps every log and count.
# Usage: bench/chaos/handover-restart.sh
# Env:   RATE=3000 STREAMS=100 SERVICES=1 TRANSPORT=epoll ROUNDS=1 AFTER=5 OUT=dir (default: none kept)
#        GRACE=30s (--shutdown-grace-period of every Junction, Junction's default)
# Needs root only for SERVICES > 1 (port 80), and the test classes (mvn -o -q test-compile). Cleans up its
# processes and its directory.
set -euo pipefail
home=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
seconds=240
after=${AFTER:-5}
rate=${RATE:-3000}
streams=${STREAMS:-100}
services=${SERVICES:-1}
transport=${TRANSPORT:-epoll}
rounds=${ROUNDS:-1}
grace=${GRACE:-30s}
out=${OUT:-}
(cd "$home" && mvn -o -q dependency:build-classpath -Dmdep.outputFile=target/chaos-cp.txt >/dev/null)
cp="$home/target/classes:$(cat "$home/target/chaos-cp.txt")"
work=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  if [ -n "$out" ]; then cp "$work"/*.log "$out/" 2>/dev/null || true; cp "$work"/*.load "$out/" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
now() { date +%s.%N; }
seconds_since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.2f", b - a }'; }
# Until $1 (a command) succeeds, at most $2 seconds (by the clock: a busy machine slows each try).
await() {
  local deadline=$((SECONDS + $2))
  while [ "$SECONDS" -lt "$deadline" ]; do eval "$1" && return 0; sleep 0.02; done
  echo "timed out: $1" >&2; return 1
}
# The time of the first line of log $1 holding $2 (its ISO time, e.g. 2026-12-08T02:17:25.511Z), as seconds of the day.
log_time() { grep -m1 "$2" "$1" | cut -d' ' -f1 | awk -F'[T:Z]' '{printf "%.3f", $2 * 3600 + $3 * 60 + $4}'; }

backend=$(free_port)
java -Xmx64m -cp "$home/target/test-classes" dev.junction.testing.HandoverLoad backend "$backend" >"$work/backend.log" 2>&1 &
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
# The other Services, 1,000 a file (a manifest file may hold 2 MiB).
python3 - "$work/manifests" "$services" "$backend" <<'PY'
import sys
directory, services, backend = sys.argv[1], int(sys.argv[2]), sys.argv[3]
for f in range(0, services - 1, 1000):
    with open("%s/more-%05d.yaml" % (directory, f), "w") as out:
        for i in range(f, min(f + 1000, services - 1)):
            out.write("apiVersion: v1\nkind: Service\nmetadata: {name: s%d, namespace: default}\nspec:\n"
                      "  clusterIP: 127.20.%d.%d\n  ports: [{port: 80}]\n---\n" % (i, i // 250, i % 250 + 1))
            out.write("apiVersion: discovery.k8s.io/v1\nkind: EndpointSlice\nmetadata: {name: s%d-1, namespace: default, "
                      "labels: {kubernetes.io/service-name: s%d}}\naddressType: IPv4\nports: [{port: %s}]\n"
                      "endpoints: [{addresses: [127.0.0.1]}]\n---\n" % (i, i, backend))
PY
junction() { # log-name handover-socket
  java -Xmx512m -cp "$cp" dev.junction.Main run --manifests "$work/manifests" --capture none --transport "$transport" \
    --workers 1 --healthz-bind-address 127.0.0.1:0 --metrics-bind-address "" --shutdown-grace-period "$grace" \
    --handover-socket "$2" >"$work/$1.log" 2>&1 &
  pids+=($!)
  last=$!
}
serves() { (exec 3<>"/dev/tcp/127.0.0.1/$vip") 2>/dev/null; }
# The last of the extra Services, bound after the one under load or not.
serves_all() { [ "$services" -le 1 ] || (exec 3<>"/dev/tcp/127.20.$(((services - 2) / 250)).$(((services - 2) % 250 + 1))/80") 2>/dev/null; }

scenario() { # round name
  local tag="$1-$2" sock=""
  [ "$2" = handover ] && sock="$work/handover-$1.sock"
  junction "$tag-first" "$sock"; local first=$last
  await serves 120
  await serves_all 120
  [ -n "$sock" ] && await "test -S $sock" 20
  rm -f "$work/mark" "$work/mark.stop"
  java -Xmx256m -cp "$home/target/test-classes" dev.junction.testing.HandoverLoad "127.0.0.1:$vip" "127.0.0.1:$vip" "$seconds" "$rate" "$streams" \
    "$work/mark" >"$work/$tag.load" 2>&1 &
  local load=$!
  pids+=($load)
  await "grep -q running $work/$tag.load" 20
  sleep 4
  local t0; t0=$(now)
  touch "$work/mark"
  local switch
  if [ "$2" = restart ]; then
    kill -TERM "$first"
    junction "$tag-second" ""; local second=$last
    await "grep -q 'sources synced' $work/$tag-second.log" 180
    await serves 120
    switch="the next serves $(seconds_since "$t0") s after the SIGTERM"
    # A first Junction that still holds the port (its listeners not yet closed) answers that probe itself.
    if grep -q "cannot listen on 127.0.0.1:$vip/" "$work/$tag-second.log"; then
      switch="the next started $(seconds_since "$t0") s after the SIGTERM but could not bind the port: the first still held it"
    fi
  else
    junction "$tag-second" "$sock"; local second=$last
    await "grep -q 'handover: done\|binding for itself' $work/$tag-second.log" 180
    if grep -q 'handover: done' "$work/$tag-second.log"; then
      local asked received done
      asked=$(log_time "$work/$tag-first.log" "asks for the listening sockets")
      received=$(log_time "$work/$tag-second.log" "handover: received")
      done=$(log_time "$work/$tag-second.log" "handover: done")
      switch="handover done $(seconds_since "$t0") s after the second Junction started;"
      switch+=" log: asked->received $(awk -v a="$asked" -v b="$received" 'BEGIN { printf "%.3f", b - a }') s,"
      switch+=" asked->done $(awk -v a="$asked" -v b="$done" 'BEGIN { printf "%.3f", b - a }') s"
    else
      switch="handover FAILED $(seconds_since "$t0") s after the second Junction started:$(grep -m1 'binding for itself' \
        "$work/$tag-second.log" | cut -d- -f4-)"
    fi
  fi
  sleep "$after"
  touch "$work/mark.stop"
  wait "$load"
  # After a failed handover the first still serves and never exits on its own.
  case $switch in *FAILED*) kill -TERM "$first" ;; esac
  local code=0
  wait "$first" || code=$?
  echo "round $1 $2 transport=$transport services=$services: $(tail -1 "$work/$tag.load"); $switch; first exited $code"
  kill -TERM "$second"; wait "$second" || true
}
[ -n "$out" ] && mkdir -p "$out"
echo "== load: $rate new connections/s, $streams long-lived streams, UDP on 4 sockets;" \
  "the switch 4 s in, the end $after s after it; $services Service(s), transport $transport, $rounds round(s); load average $(cut -d' ' -f1-3 /proc/loadavg)"
for r in $(seq "$rounds"); do
  scenario "$r" restart
  scenario "$r" handover
done
