#!/usr/bin/env bash
# Hostile manifest files against a running Junction (issue 14, item 4), loopback only, about 2 minutes at most.
#   1. a 10 MB file (one 10 MB annotation): seconds until Junction rejects it, and how long an edit of
#      another file made 0.2 s later waits before it is served;
#   2. a 1 GiB sparse file (truncate -s 1G): is a later edit still applied, and what /healthz answers.
# Usage: bench/chaos/manifest-files.sh [CLASSPATH]   (default: target/classes + the Maven dependency classpath)
# Needs python3 (free ports, connect probes) and curl. Cleans up its directory and process.
set -euo pipefail
home=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cp=${1:-}
if [ -z "$cp" ]; then
  (cd "$home" && mvn -o -q dependency:build-classpath -Dmdep.outputFile=target/chaos-cp.txt >/dev/null)
  cp="$home/target/classes:$(cat "$home/target/chaos-cp.txt")"
fi
work=$(mktemp -d)
pid=
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
# Seconds (with ms) until 127.0.0.1:$1 accepts, or "never" after $2 seconds.
time_to_listen() {
  python3 - "$1" "$2" <<'PY'
import socket, sys, time
port, limit = int(sys.argv[1]), float(sys.argv[2]); start = time.monotonic()
while time.monotonic() - start < limit:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=0.2).close(); print("%.2f s" % (time.monotonic() - start)); sys.exit()
    except OSError:
        time.sleep(0.02)
print("never (%.0f s)" % limit)
PY
}
service() { # name port
  printf 'apiVersion: v1\nkind: Service\nmetadata: {name: %s}\nspec:\n  clusterIP: 127.0.0.1\n  ports: [{port: %s}]\n---\n' "$1" "$2"
  printf 'apiVersion: discovery.k8s.io/v1\nkind: EndpointSlice\nmetadata: {name: %s-1, labels: {kubernetes.io/service-name: %s}}\naddressType: IPv4\nendpoints: [{addresses: [127.0.0.1]}]\nports: [{port: 9}]\n' "$1" "$1"
}
mkdir "$work/manifests"
service first "$(free_port)" > "$work/manifests/first.yaml"
health=$(free_port)
java -Xmx512m -cp "$cp" dev.junction.Main run --manifests "$work/manifests" --capture none --hostname-override chaos \
  --healthz-bind-address "127.0.0.1:$health" --metrics-bind-address "" >"$work/log" 2>&1 &
pid=$!
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$health/healthz" >/dev/null && break; sleep 0.1; done

echo "== 10 MB file, then an edit of another file 0.2 s later"
python3 -c 'import sys; sys.stdout.write("apiVersion: v1\nkind: Service\nmetadata:\n  name: big\n  annotations:\n    a: \"" + "x" * 10_000_000 + "\"\n")' > "$work/big.tmp"
start=$(date +%s.%N)
mv "$work/big.tmp" "$work/manifests/big.yaml"
sleep 0.2
port=$(free_port); service second "$port" > "$work/manifests/second.yaml"
echo "edit of second.yaml served after: $(time_to_listen "$port" 60)"
for _ in $(seq 600); do grep -q 'big.yaml' "$work/log" && break; sleep 0.1; done
# From the log line's own timestamp: the line is written when the file is rejected.
logged=$(grep -m1 'big.yaml' "$work/log" | cut -d' ' -f1)
echo "big.yaml rejected after: $(python3 -c "from datetime import datetime; print('%.2f s' % (datetime.fromisoformat('$logged'.replace('Z', '+00:00')).timestamp() - $start))")"
grep 'big.yaml' "$work/log" | cut -c1-300 | head -3

echo "== 1 GiB sparse file, then an edit of another file"
truncate -s 1G "$work/manifests/huge.yaml"
sleep 2
port=$(free_port); service third "$port" > "$work/manifests/third.yaml"
echo "edit of third.yaml served after: $(time_to_listen "$port" 20)"
grep -E 'huge.yaml|OutOfMemoryError|junction-manifests' "$work/log" | cut -c1-300 | head -5
echo "/healthz: $(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$health/healthz")"
echo "manifest log lines: $(grep -c manifests "$work/log")"
