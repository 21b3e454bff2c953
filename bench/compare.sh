#!/usr/bin/env bash
# Side-by-side L4 comparison on loopback: direct (no proxy), HAProxy (mode tcp, roundrobin, one thread),
# nginx stream (one worker) and Junction (one event loop), each proxy pinned to CPU 0 while the load
# and the backends share CPU 1. Targets alternate A B C D per round; the table reports medians over the
# rounds, the proxy's own CPU (all threads and processes, over the measured window) and, as the headline,
# the rate per proxy core. Every run is bounded in time; everything started here is stopped on exit.
#
# Workloads and their load (each chosen so that the load side outruns the proxies; the table withholds a
# workload's ratios when direct is not 1.3x the best proxy on it):
#   rr       wrk -t1 -c64, keep-alive HTTP requests to nginx backends answering a small body
#   cps      the same with "Connection: close": a new connection per request
#   bulk     iperf3, one stream (client to server), through the proxy to an iperf3 server
#   udp      bench/udp/udprr.c: 16 sockets x 4 datagrams of 64 B in flight, against a recvmmsg echo
#   latency  loadgen rr open loop at LATENCY_RATE/s (TCP echo): latency from the intended send time
# Junction gets 15 s of keep-alive load before its workloads; its first 10 s are reported apart (rr_first10s).
#
# usage: bench/compare.sh [ROUNDS] [SECONDS]      (defaults 3 and 10)
# env:   WORKLOADS="rr cps bulk udp latency"  TARGETS="direct haproxy nginx junction"  OUT=dir
#        LATENCY_RATE=20000
#        (target junction-epoll: Junction with --transport epoll, to compare with its default io_uring)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
rounds=${1:-3}
seconds=${2:-10}
warmup=3
workloads=${WORKLOADS:-rr cps bulk udp latency}
latency_rate=${LATENCY_RATE:-20000}
targets=${TARGETS:-direct haproxy nginx junction}
out=${OUT:-bench/results/compare-$(date -u +%Y%m%d-%H%M%S)}
mkdir -p "$out"

need() { command -v "$1" >/dev/null 2>&1; }
if ! need haproxy || ! need nginx || ! need wrk || ! need gcc || ! need iperf3 \
    || [ ! -e /usr/lib/nginx/modules/ngx_stream_module.so ]; then
  echo "installing haproxy, nginx with the stream module, wrk, iperf3 and gcc"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq haproxy nginx-light libnginx-mod-stream wrk iperf3 gcc >/dev/null
fi
[ -f target/junction.jar ] || mvn -B -q package -DskipTests
[ -f bench/target/loadgen.jar ] || { mvn -B -q install -DskipTests && mvn -B -q -f bench/pom.xml package; }

host=127.0.0.1
echo_ports=(19201 19202 19203)
source_port=19210
iperf_port=19211
udp_ports=(19221 19222 19223)
http_ports=(19231 19232 19233)
proxy_http=19300
proxy_bulk=19301
proxy_udp=19302
proxy_echo=19303

# Something left on these ports (an earlier run, another proxy) would silently take the traffic.
for port in "${echo_ports[@]}" "${http_ports[@]}" $source_port $iperf_port $proxy_http $proxy_bulk $proxy_echo; do
  if (exec 3<>"/dev/tcp/$host/$port") 2>/dev/null; then
    echo "compare.sh: port $port on $host is already in use; stop what holds it (ss -ltnp | grep $port)" >&2
    exit 1
  fi
done

pids=()
cleanup() {
  for p in "${pids[@]:-}"; do [ -n "$p" ] && kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Proxies and load need many descriptors (HAProxy sizes its limit from maxconn).
ulimit -n 1048576 2>/dev/null || ulimit -n "$(ulimit -Hn)"
loadgen=(taskset -c 1 java -XX:+UseParallelGC -Xms256m -Xmx256m -jar bench/target/loadgen.jar)

# Waits (bounded) until a TCP port accepts.
wait_port() {
  for _ in $(seq 1 200); do
    (exec 3<>"/dev/tcp/$host/$1") 2>/dev/null && return 0
    sleep 0.05
  done
  echo "port $1 never opened" >&2
  return 1
}

work=$(mktemp -d)
pids_cleanup_dir="$work"
trap 'cleanup; rm -rf "$pids_cleanup_dir"' EXIT

gcc -O2 -o "$work/udprr" bench/udp/udprr.c
taskset -c 1 java -XX:+UseParallelGC -Xmx256m -jar bench/target/loadgen.jar backend --host $host \
  --echo-ports "$(IFS=,; echo "${echo_ports[*]}")" --source-port $source_port >"$out/backend.log" 2>&1 &
pids+=($!)
taskset -c 1 "$work/udprr" echo $host "${udp_ports[@]}" >"$out/udp-backend.log" 2>&1 &
pids+=($!)
taskset -c 1 iperf3 -s -B $host -p $iperf_port >"$out/iperf3-server.log" 2>&1 &
pids+=($!)
# The HTTP backends for wrk: one nginx worker answering a small body, keep-alive without a request limit.
cat >"$work/backend-nginx.conf" <<CFG
worker_processes 1;
daemon off;
pid $work/backend-nginx.pid;
error_log $work/backend-nginx-error.log;
events { worker_connections 65536; multi_accept on; }
http {
  access_log off;
  keepalive_requests 1000000000;
  keepalive_timeout 120s;
  server {
$(for p in "${http_ports[@]}"; do echo "    listen $host:$p backlog=4096;"; done)
    location / { return 200 "hello from the backend\n"; }
  }
}
CFG
taskset -c 1 nginx -c "$work/backend-nginx.conf" -e "$work/backend-nginx-error.log" >"$out/backend-nginx.log" 2>&1 &
pids+=($!)
wait_port "${echo_ports[0]}"
wait_port "${http_ports[0]}"

cat >"$work/haproxy.cfg" <<CFG
global
  nbthread 1
  maxconn 9000
defaults
  mode tcp
  timeout connect 2s
  timeout client 60s
  timeout server 60s
frontend http
  bind $host:$proxy_http
  default_backend http
frontend bulk
  bind $host:$proxy_bulk
  default_backend source
frontend echo
  bind $host:$proxy_echo
  default_backend echo
backend http
  balance roundrobin
$(for p in "${http_ports[@]}"; do echo "  server h$p $host:$p"; done)
backend echo
  balance roundrobin
$(for p in "${echo_ports[@]}"; do echo "  server e$p $host:$p"; done)
backend source
  server s $host:$iperf_port
CFG

cat >"$work/nginx.conf" <<CFG
load_module /usr/lib/nginx/modules/ngx_stream_module.so;
worker_processes 1;
daemon off;
pid $work/nginx.pid;
error_log $work/nginx-error.log;
events { worker_connections 65536; multi_accept on; }
stream {
  upstream http { $(for p in "${http_ports[@]}"; do echo -n "server $host:$p; "; done) }
  upstream echo { $(for p in "${echo_ports[@]}"; do echo -n "server $host:$p; "; done) }
  upstream source { server $host:$iperf_port; }
  upstream udpecho { $(for p in "${udp_ports[@]}"; do echo -n "server $host:$p; "; done) }
  server { listen $host:$proxy_http; proxy_pass http; }
  server { listen $host:$proxy_echo; proxy_pass echo; }
  server { listen $host:$proxy_bulk; proxy_pass source; }
  # A session per client address that lives while it is used, as HAProxy's and Junction's do (with
  # proxy_responses 1 nginx would open an upstream socket per request datagram).
  server { listen $host:$proxy_udp udp; proxy_pass udpecho; proxy_timeout 30s; }
}
CFG

mkdir -p "$work/manifests"
cat >"$work/manifests/bench.yaml" <<CFG
apiVersion: v1
kind: Service
metadata: {name: bench, namespace: bench}
spec:
  clusterIP: $host
  ports:
    - {name: http, port: $proxy_http, protocol: TCP}
    - {name: echo, port: $proxy_echo, protocol: TCP}
    - {name: bulk, port: $proxy_bulk, protocol: TCP}
    - {name: udp, port: $proxy_udp, protocol: UDP}
CFG
# An EndpointSlice port is per slice, so each backend port gets a slice of its own.
slice() { # name port-name port protocol
  cat <<CFG
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {name: $1, namespace: bench, labels: {kubernetes.io/service-name: bench}}
addressType: IPv4
ports: [{name: $2, port: $3, protocol: $4}]
endpoints: [{addresses: ["$host"]}]
CFG
}
{
  for i in 0 1 2; do slice "bench-http-$i" http "${http_ports[$i]}" TCP; done
  for i in 0 1 2; do slice "bench-echo-$i" echo "${echo_ports[$i]}" TCP; done
  slice bench-source bulk "$iperf_port" TCP
  for i in 0 1 2; do slice "bench-udp-$i" udp "${udp_ports[$i]}" UDP; done
} >>"$work/manifests/bench.yaml"

proxy_pid=
start_proxy() {
  case $1 in
    direct) proxy_pid= ;;
    haproxy) taskset -c 0 haproxy -f "$work/haproxy.cfg" -db >"$out/haproxy.log" 2>&1 & proxy_pid=$! ;;
    nginx) taskset -c 0 nginx -c "$work/nginx.conf" >"$out/nginx.log" 2>&1 & proxy_pid=$! ;;
    junction|junction-epoll)
      local transport=auto
      [ "$1" = junction-epoll ] && transport=epoll
      taskset -c 0 java ${JUNCTION_JAVA_OPTS:--XX:+UseParallelGC -Xms256m -Xmx256m -XX:MaxDirectMemorySize=256m} \
        -jar target/junction.jar run --manifests "$work/manifests" --workers 1 --capture none \
        --transport $transport --hostname-override bench --handover-socket "" >"$out/$1.log" 2>&1 &
      proxy_pid=$! ;;
  esac
  if [ -n "$proxy_pid" ]; then
    pids+=("$proxy_pid")
    wait_port $proxy_http
  fi
}
stop_proxy() {
  if [ -n "$proxy_pid" ]; then
    kill "$proxy_pid" 2>/dev/null || true
    wait "$proxy_pid" 2>/dev/null || true
    # nginx's master exits after its worker; make sure the ports are free before the next target.
    for _ in $(seq 1 100); do (exec 3<>"/dev/tcp/$host/$proxy_http") 2>/dev/null || break; sleep 0.05; done
  fi
}

# CPU seconds used so far by a process and its children (nginx's worker), all threads.
cpu_seconds() {
  local ticks=0 p
  for p in "$1" $(pgrep -P "$1" || true); do
    ticks=$((ticks + $(awk '{print $14 + $15}' "/proc/$p/stat" 2>/dev/null || echo 0)))
  done
  echo "$ticks $(getconf CLK_TCK)" | awk '{printf "%.3f", $1 / $2}'
}
now() { date +%s.%N; }

# Writes a result in the loadgen's JSON shape (what `loadgen table` reads).
# json FILE LABEL MODE SECONDS OPS P50 P90 P99 P999 MAX ERRORS PROXY_CORES(or "")
json() {
  awk -v label="$2" -v mode="$3" -v s="$4" -v ops="$5" -v p50="$6" -v p90="$7" -v p99="$8" -v p999="$9" \
      -v max="${10}" -v errors="${11}" -v cpu="${12}" 'BEGIN {
    printf "{\"label\":\"%s\",\"mode\":\"%s\",\"seconds\":%.3f,\"operations\":%d,\"opsPerSecond\":%.1f,", label, mode, s, ops, ops / s
    printf "\"gbitPerSecond\":0,\"p50us\":%d,\"p90us\":%d,\"p99us\":%d,\"p999us\":%d,\"maxus\":%d,\"errors\":%d", p50, p90, p99, p999, max, errors
    if (cpu != "") printf ",\"proxyCpu\":%.4f", cpu
    print "}"
  }' >"$1"
}

# Runs a load command that prints "ops seconds p50 p90 p99 p999 max errors" as its last line, measuring the
# proxy's CPU over it. measured FILE LABEL MODE COMMAND...
measured() {
  local file=$1 label=$2 mode=$3 before after t0 t1 line
  shift 3
  t0=$(now); [ -n "$proxy_pid" ] && before=$(cpu_seconds "$proxy_pid")
  line=$("$@" | tail -n 1) || { echo "$label $mode failed" >&2; return 0; }
  t1=$(now); [ -n "$proxy_pid" ] && after=$(cpu_seconds "$proxy_pid")
  echo "$label $mode: $line (ops seconds p50 p90 p99 p99.9 max errors)"
  # shellcheck disable=SC2086
  set -- $line
  local cpu=
  [ -n "$proxy_pid" ] && cpu=$(awk -v a="$before" -v b="$after" -v t0="$t0" -v t1="$t1" \
    'BEGIN { printf "%.4f", (b - a) / (t1 - t0) }')
  json "$file" "$label" "$mode" "$2" "$1" "$3" "$4" "$5" "$6" "$7" "$8" "$cpu"
}

# wrk's summary as the line measured() reads (latency in µs).
cat >"$work/summary.lua" <<'LUA'
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("%d %.3f %d %d %d %d %d %d\n", summary.requests, summary.duration / 1e6,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency:percentile(99.9),
    latency.max, e.connect + e.read + e.write + e.status + e.timeout))
end
LUA
wrk_run() { # PORT SECONDS [wrk options]
  local port=$1 s=$2
  shift 2
  timeout $((s + 30)) taskset -c 1 wrk -t1 -c64 -d"${s}s" -s "$work/summary.lua" "$@" "http://$host:$port/"
}

# One iperf3 stream through PORT for SECONDS after WARMUP omitted seconds, as a result with its Gbit/s and
# the proxy's CPU over the whole client run. bulk_run FILE LABEL PORT
bulk_run() {
  local before after t0 t1 report
  t0=$(now); [ -n "$proxy_pid" ] && before=$(cpu_seconds "$proxy_pid")
  report=$(timeout $((seconds + warmup + 30)) taskset -c 1 iperf3 -c $host -p "$3" -t "$seconds" -O "$warmup" -J) \
    || { echo "$2 bulk failed" >&2; return 0; }
  t1=$(now); [ -n "$proxy_pid" ] && after=$(cpu_seconds "$proxy_pid")
  printf '%s' "$report" >"$work/iperf3.json"
  python3 - "$1" "$2" "${before:-}" "${after:-}" "$t0" "$t1" "$work/iperf3.json" <<'PY'
import json, sys
file, label, before, after, t0, t1, report = sys.argv[1:8]
r = json.load(open(report))["end"]["sum_received"]
out = {"label": label, "mode": "bulk", "seconds": r["seconds"], "operations": 0, "opsPerSecond": 0,
       "gbitPerSecond": r["bits_per_second"] / 1e9, "p50us": 0, "p90us": 0, "p99us": 0, "p999us": 0,
       "maxus": 0, "errors": 0}
if before:
    out["proxyCpu"] = (float(after) - float(before)) / (float(t1) - float(t0))
json.dump(out, open(file, "w"))
print("%s bulk: %.2f Gbit/s" % (label, out["gbitPerSecond"]))
PY
}

run() { # target workload round
  local target=$1 workload=$2 round=$3 http=$proxy_http bulk=$proxy_bulk udp=$proxy_udp echo=$proxy_echo pidarg=()
  if [ "$target" = direct ]; then http=${http_ports[0]}; bulk=$iperf_port; udp=${udp_ports[0]}; echo=${echo_ports[0]}; fi
  [ -n "$proxy_pid" ] && pidarg=(--proxy-pid "$proxy_pid")
  local file="$out/$round-$target-$workload.json"
  local common=(--duration "$seconds" --warmup "$warmup" --label "$target" --json "$file" "${pidarg[@]}")
  case $workload in
    rr|cps)
      local close=()
      [ "$workload" = cps ] && close=(-H "Connection: close")
      wrk_run "$http" "$warmup" "${close[@]}" >/dev/null || true
      measured "$file" "$target" "$workload" wrk_run "$http" "$seconds" "${close[@]}" ;;
    bulk) bulk_run "$file" "$target" "$bulk" ;;
    udp)
      if [ "$target" = haproxy ]; then return 0; fi
      measured "$file" "$target" udp timeout $((seconds + warmup + 30)) taskset -c 1 "$work/udprr" client \
        "$host:$udp" 16 4 64 "$warmup" "$seconds" ;;
    latency) timeout $((seconds + 60)) "${loadgen[@]}" rr --target $host:$echo --connections 64 --size 64 \
        --rate "$latency_rate" "${common[@]}" ;;
  esac || echo "$target $workload round $round failed" >&2
}

for round in $(seq 1 "$rounds"); do
  for target in $targets; do
    start_proxy "$target"
    case $target in junction*)
      # The JVM's first seconds, reported apart, then the rest of 15 s of warm-up load.
      measured "$out/$round-$target-rr_first10s.json" "$target" rr_first10s wrk_run $proxy_http 10
      wrk_run $proxy_http 5 >/dev/null || true ;;
    esac
    for workload in $workloads; do
      run "$target" "$workload" "$round"
    done
    stop_proxy
  done
done

echo
java -jar bench/target/loadgen.jar table "$out" | tee "$out/table.md"
echo "raw results: $out"
