#!/usr/bin/env bash
# Descriptor exhaustion on TCP: Junction runs with a low open-files limit (prlimit) in front of a loopback
# echo backend; a client opens more connections than the limit allows and holds them, then lets them go
# and checks that a new connection is proxied again. Prints the log lines Junction wrote while the limit
# was hit (lines, stack-trace frames), the junction_tcp_accept_failures_total and
# junction_tcp_connect_no_socket_total counters, and whether a fresh connection succeeded. Loopback only, bounded in time, cleans up after itself.
#
# usage: bench/chaos/tcp-descriptor-exhaustion.sh [NOFILE] [CONNECTIONS] [HOLD_SECONDS]   (defaults 160 400 5)
# env:   TRANSPORT=io_uring|epoll|nio (default io_uring)   OUT=dir (default a temp dir, removed)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
nofile=${1:-160}
connections=${2:-400}
hold=${3:-5}
transport=${TRANSPORT:-io_uring}
[ -f target/junction.jar ] || mvn -B -q package -DskipTests

work=$(mktemp -d)
out=${OUT:-$work}
pids=()
cleanup() {
  for p in "${pids[@]:-}"; do [ -n "$p" ] && kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
backend_port=$(free_port)
vip=127.0.0.$((RANDOM % 200 + 20))
vip_port=$(free_port)
metrics_port=$(free_port)

# Echo backend with its own (unlowered) limit.
python3 - "$backend_port" <<'PY' &
import asyncio, sys
async def echo(r, w):
    try:
        while data := await r.read(4096):
            w.write(data); await w.drain()
    except Exception:
        pass
    finally:
        w.close()
async def main():
    s = await asyncio.start_server(echo, "127.0.0.1", int(sys.argv[1]), backlog=4096)
    async with s: await s.serve_forever()
asyncio.run(main())
PY
pids+=($!)

mkdir -p "$work/manifests"
cat > "$work/manifests/echo.yaml" <<YAML
apiVersion: v1
kind: Service
metadata: {name: echo, namespace: default}
spec:
  clusterIP: $vip
  ports: [{port: $vip_port}]
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {name: echo-1, namespace: default, labels: {kubernetes.io/service-name: echo}}
addressType: IPv4
ports: [{port: $backend_port, protocol: TCP}]
endpoints: [{addresses: ["127.0.0.1"]}]
YAML

log="$out/junction.log"
prlimit --nofile="$nofile:$nofile" java -XX:+UseSerialGC -Xmx256m -jar target/junction.jar run \
  --manifests "$work/manifests" --capture none --transport "$transport" --workers 1 \
  --healthz-bind-address 127.0.0.1:0 --metrics-bind-address "127.0.0.1:$metrics_port" >"$log" 2>&1 &
pids+=($!)

python3 - "$vip" "$vip_port" "$connections" "$hold" "$log" <<'PY'
import socket, sys, time
vip, port, n, hold, log = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4]), sys.argv[5]

def echo_once(timeout=2.0):
    try:
        with socket.create_connection((vip, port), timeout=timeout) as s:
            s.settimeout(timeout)
            s.sendall(b"ping\n")
            return s.recv(16) == b"ping\n"
    except OSError:
        return False

deadline = time.time() + 30
while not echo_once():
    if time.time() > deadline:
        sys.exit("Junction did not proxy within 30 s; see " + log)
    time.sleep(0.2)

lines_before = sum(1 for _ in open(log, errors="replace"))
held, failed = [], 0
start = time.time()
for _ in range(n):
    try:
        s = socket.create_connection((vip, port), timeout=1.0)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\1\0\0\0\0\0\0\0")
        s.sendall(b"x")
        held.append(s)
    except OSError:
        failed += 1
time.sleep(hold)
elapsed = time.time() - start
with open(log, errors="replace") as f:
    new = f.readlines()[lines_before:]
frames = sum(1 for l in new if l.lstrip().startswith("at "))
print(f"limit hit for {elapsed:.1f} s with {len(held)} connections held ({failed} failed to connect):")
print(f"  log lines {len(new)}, stack-trace frames {frames}, lines/s {len(new) / elapsed:.1f}")
for l in [l for l in new if not l.lstrip().startswith("at ")][:6]:
    print("  | " + l.rstrip()[:220])
for s in held:
    s.close()
deadline = time.time() + 20
ok = echo_once()
while not ok and time.time() < deadline:
    time.sleep(0.2)
    ok = echo_once()
print(f"  after the connections closed, a new connection {'is proxied' if ok else 'FAILED'} "
      f"({time.time() - deadline + 20:.1f} s)")
PY
curl -s "http://127.0.0.1:$metrics_port/metrics" | grep -E '^junction_tcp_(accept|connect)' || echo "  (no junction_tcp_accept*/connect* metrics)"
