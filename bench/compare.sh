#!/usr/bin/env bash
# Side-by-side L4 comparison on loopback: direct (no proxy), HAProxy (mode tcp, roundrobin, one thread),
# nginx stream (one worker) and Junction (one event loop), each proxy pinned to CPU 0 while the load
# generator and the backends share CPU 1. Targets alternate A B C D per round; the table reports medians
# over the rounds, the proxy's own CPU (all threads, over the measured window) and the rate per proxy
# core. Every run is bounded in time; everything started here is stopped on exit.
#
# usage: bench/compare.sh [ROUNDS] [SECONDS]      (defaults 3 and 10)
# env:   WORKLOADS="rr cps bulk udp"  TARGETS="direct haproxy nginx junction"  OUT=dir
#        (target junction-epoll: Junction with --transport epoll, to compare with its default io_uring)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
rounds=${1:-3}
seconds=${2:-10}
warmup=3
workloads=${WORKLOADS:-rr cps bulk udp}
targets=${TARGETS:-direct haproxy nginx junction}
out=${OUT:-bench/results/compare-$(date -u +%Y%m%d-%H%M%S)}
mkdir -p "$out"

need() { command -v "$1" >/dev/null 2>&1; }
if ! need haproxy || ! need nginx || [ ! -e /usr/lib/nginx/modules/ngx_stream_module.so ]; then
  echo "installing haproxy and nginx with the stream module"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq haproxy nginx-light libnginx-mod-stream >/dev/null
fi
[ -f target/junction.jar ] || mvn -B -q package -DskipTests
[ -f bench/target/loadgen.jar ] || { mvn -B -q install -DskipTests && mvn -B -q -f bench/pom.xml package; }

host=127.0.0.1
echo_ports=(19201 19202 19203)
source_port=19210
udp_ports=(19221 19222 19223)
proxy_tcp=19300
proxy_bulk=19301
proxy_udp=19302
direct_tcp=${echo_ports[0]}

# Something left on these ports (an earlier run, another proxy) would silently take the traffic.
for port in "${echo_ports[@]}" $source_port $proxy_tcp $proxy_bulk; do
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

taskset -c 1 java -XX:+UseParallelGC -Xmx256m -jar bench/target/loadgen.jar backend --host $host \
  --echo-ports "$(IFS=,; echo "${echo_ports[*]}")" --source-port $source_port \
  --udp-ports "$(IFS=,; echo "${udp_ports[*]}")" >"$out/backend.log" 2>&1 &
pids+=($!)
wait_port "${echo_ports[0]}"

work=$(mktemp -d)
pids_cleanup_dir="$work"
trap 'cleanup; rm -rf "$pids_cleanup_dir"' EXIT

cat >"$work/haproxy.cfg" <<CFG
global
  nbthread 1
  maxconn 9000
defaults
  mode tcp
  timeout connect 2s
  timeout client 60s
  timeout server 60s
frontend rr
  bind $host:$proxy_tcp
  default_backend echo
frontend bulk
  bind $host:$proxy_bulk
  default_backend source
backend echo
  balance roundrobin
$(for p in "${echo_ports[@]}"; do echo "  server e$p $host:$p"; done)
backend source
  server s $host:$source_port
CFG

cat >"$work/nginx.conf" <<CFG
load_module /usr/lib/nginx/modules/ngx_stream_module.so;
worker_processes 1;
daemon off;
pid $work/nginx.pid;
error_log $work/nginx-error.log;
events { worker_connections 65536; multi_accept on; }
stream {
  upstream echo { $(for p in "${echo_ports[@]}"; do echo -n "server $host:$p; "; done) }
  upstream source { server $host:$source_port; }
  upstream udpecho { $(for p in "${udp_ports[@]}"; do echo -n "server $host:$p; "; done) }
  server { listen $host:$proxy_tcp; proxy_pass echo; }
  server { listen $host:$proxy_bulk; proxy_pass source; }
  server { listen $host:$proxy_udp udp; proxy_pass udpecho; proxy_responses 1; proxy_timeout 30s; }
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
    - {name: rr, port: $proxy_tcp, protocol: TCP}
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
  for i in 0 1 2; do slice "bench-echo-$i" rr "${echo_ports[$i]}" TCP; done
  slice bench-source bulk "$source_port" TCP
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
        --transport $transport --hostname-override bench >"$out/$1.log" 2>&1 &
      proxy_pid=$! ;;
  esac
  if [ -n "$proxy_pid" ]; then
    pids+=("$proxy_pid")
    wait_port $proxy_tcp
  fi
}
stop_proxy() {
  if [ -n "$proxy_pid" ]; then
    kill "$proxy_pid" 2>/dev/null || true
    wait "$proxy_pid" 2>/dev/null || true
    # nginx's master exits after its worker; make sure the ports are free before the next target.
    for _ in $(seq 1 100); do (exec 3<>"/dev/tcp/$host/$proxy_tcp") 2>/dev/null || break; sleep 0.05; done
  fi
}

run() { # target workload round
  local target=$1 workload=$2 round=$3 tcp=$proxy_tcp bulk=$proxy_bulk udp=$proxy_udp pidarg=()
  if [ "$target" = direct ]; then tcp=$direct_tcp; bulk=$source_port; udp=${udp_ports[0]}; fi
  [ -n "$proxy_pid" ] && pidarg=(--proxy-pid "$proxy_pid")
  local common=(--duration "$seconds" --warmup "$warmup" --label "$target" --json "$out/$round-$target-$workload.json" "${pidarg[@]}")
  case $workload in
    rr) timeout $((seconds + 60)) "${loadgen[@]}" rr --target $host:$tcp --connections 64 --size 64 "${common[@]}" ;;
    cps) timeout $((seconds + 60)) "${loadgen[@]}" cps --target $host:$tcp --concurrency 32 --size 64 "${common[@]}" ;;
    bulk) timeout $((seconds + 60)) "${loadgen[@]}" bulk --target $host:$bulk --streams 1 "${common[@]}" ;;
    udp)
      if [ "$target" = haproxy ]; then return 0; fi
      timeout $((seconds + 60)) "${loadgen[@]}" udp --target $host:$udp --sockets 64 --size 64 "${common[@]}" ;;
  esac || echo "$target $workload round $round failed" >&2
}

for round in $(seq 1 "$rounds"); do
  for target in $targets; do
    start_proxy "$target"
    if [ "$target" = junction ]; then
      # The JVM's first seconds, reported apart: no warm-up discarded.
      timeout 60 "${loadgen[@]}" rr --target $host:$proxy_tcp --connections 64 --size 64 --duration 10 --warmup 0 \
        --label junction --json "$out/$round-junction-rr_first10s.json" --proxy-pid "$proxy_pid" || true
    fi
    for workload in $workloads; do
      run "$target" "$workload" "$round"
    done
    stop_proxy
  done
done

echo
java -jar bench/target/loadgen.jar table "$out" | tee "$out/table.md"
echo "raw results: $out"
