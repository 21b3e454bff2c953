#!/usr/bin/env bash
# Forwarding in the first 10 s after start against steady state (issue 16): Junction (--workers 1, pinned to
# CPU 0, the Dockerfile's JUNCTION_JAVA_OPTS) started just before, `wrk -t1 -c64` through it (CPU 1, as are
# the nginx backends, as bench/compare.sh does) for 10 s from the moment its port opens, then 15 s of warm-up
# load, then 10 s of steady state. Per JVM cache: JDK 17 without and with an AppCDS archive, JDK 25 without
# and with its AOT cache (both trained by bin/junction-training, the image's training run). Rounds interleave
# the caches. Reports req/s of both windows and their ratio, medians over the rounds.
# Bounded: about 40 s per start, 3 trainings of at most 3 minutes each. Loopback only; stops what it started.
#
# usage: bench/startup/first10s.sh [ROUNDS]        (default 3)
# env:   WORKLOAD=rr|cps (cps: Connection: close, a new connection per request)  OUT=dir
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
rounds=${1:-3}
workload=${WORKLOAD:-rr}
out=${OUT:-bench/results/startup-$(date -u +%Y-%m-%d)/first10s-$workload}
jdk17=/usr/lib/jvm/java-17-openjdk-amd64
jdk25=/usr/lib/jvm/temurin-25-jdk-amd64
mkdir -p "$out"
[ -f target/junction.jar ] || mvn -B -q package -DskipTests
host=127.0.0.1
backend_ports=(19431 19432 19433)
proxy_port=19500
work=$(mktemp -d)
pids=()
proxy_pid=
cleanup() {
  [ -n "$proxy_pid" ] && kill -9 "$proxy_pid" 2>/dev/null
  for p in "${pids[@]:-}"; do [ -n "$p" ] && kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
for port in "${backend_ports[@]}" $proxy_port; do
  if (exec 3<>"/dev/tcp/$host/$port") 2>/dev/null; then
    echo "first10s.sh: port $port is already in use" >&2
    exit 1
  fi
done
ulimit -n "$(ulimit -Hn)"
read -r -a image_opts <<<"$(sed -n 's/.*JUNCTION_JAVA_OPTS="\([^"]*\)".*/\1/p' Dockerfile | head -1)"

wait_port() {
  for _ in $(seq 1 2000); do
    (exec 3<>"/dev/tcp/$host/$1") 2>/dev/null && return 0
    sleep 0.01
  done
  echo "port $1 never opened" >&2
  return 1
}

cat >"$work/nginx.conf" <<CFG
worker_processes 1;
daemon off;
pid $work/nginx.pid;
error_log $work/nginx-error.log;
events { worker_connections 65536; multi_accept on; }
http {
  access_log off;
  keepalive_requests 1000000000;
  keepalive_timeout 120s;
  server {
$(for p in "${backend_ports[@]}"; do echo "    listen $host:$p backlog=4096;"; done)
    location / { return 200 "hello from the backend\n"; }
  }
}
CFG
taskset -c 1 nginx -c "$work/nginx.conf" >"$out/nginx.log" 2>&1 &
pids+=($!)
wait_port "${backend_ports[0]}"

mkdir "$work/manifests"
{
  printf 'apiVersion: v1\nkind: Service\nmetadata: {name: bench, namespace: bench}\n'
  printf 'spec:\n  clusterIP: %s\n  ports: [{name: http, port: %s, protocol: TCP}]\n' $host $proxy_port
  for i in 0 1 2; do
    printf -- '---\napiVersion: discovery.k8s.io/v1\nkind: EndpointSlice\n'
    printf 'metadata: {name: bench-%s, namespace: bench, labels: {kubernetes.io/service-name: bench}}\n' "$i"
    printf 'addressType: IPv4\nports: [{name: http, port: %s, protocol: TCP}]\nendpoints: [{addresses: ["%s"]}]\n' \
      "${backend_ports[$i]}" $host
  done
} >"$work/manifests/bench.yaml"

# The image's training run, with the option that writes the cache at exit.
train() { # JDK NAME OPTION
  PATH="$1/bin:$PATH" JUNCTION_JAR="$PWD/target/junction.jar" JUNCTION_JAVA_OPTS="${image_opts[*]} $3" \
    timeout 180 bin/junction-training >"$out/training-$2.log" 2>&1
}
train $jdk17 17-cds "-XX:ArchiveClassesAtExit=$work/17.jsa"
train $jdk25 25-aot "-XX:AOTCacheOutput=$work/25.aot"
configs=("17 none $jdk17" "17 cds $jdk17 -XX:SharedArchiveFile=$work/17.jsa"
         "25 none $jdk25" "25 aot $jdk25 -XX:AOTCache=$work/25.aot")

wrk_rate() { # SECONDS
  local close=()
  [ "$workload" = cps ] && close=(-H "Connection: close")
  timeout $(($1 + 30)) taskset -c 1 wrk -t1 -c64 -d"$1s" "${close[@]}" "http://$host:$proxy_port/" \
    | awk '/^Requests\/sec:/ {print $2}'
}

echo "round,jdk,cache,first10s_rps,steady_rps,ratio" >"$out/runs.csv"
for round in $(seq 1 "$rounds"); do
  for config in "${configs[@]}"; do
    read -r major cache jdk flags <<<"$config"
    # shellcheck disable=SC2086
    taskset -c 0 "$jdk/bin/java" "${image_opts[@]}" $flags -jar target/junction.jar run --manifests "$work/manifests" \
      --workers 1 --capture none --hostname-override bench --handover-socket "" --healthz-bind-address "" \
      --metrics-bind-address "" >"$out/$round-$major-$cache.log" 2>&1 &
    proxy_pid=$!
    wait_port $proxy_port
    first=$(wrk_rate 10)
    wrk_rate 15 >/dev/null
    steady=$(wrk_rate 10)
    kill -9 "$proxy_pid"
    wait "$proxy_pid" 2>/dev/null || true
    proxy_pid=
    line="$round,$major,$cache,$first,$steady,$(awk -v a="$first" -v b="$steady" 'BEGIN {printf "%.2f", a / b}')"
    echo "$line" | tee -a "$out/runs.csv"
  done
done
echo
echo "medians of $rounds rounds ($workload, wrk -t1 -c64, Junction --workers 1 on CPU 0):"
for config in "${configs[@]}"; do
  read -r major cache _ <<<"$config"
  awk -F, -v m="$major" -v c="$cache" '$2 == m && $3 == c {f[n] = $4 + 0; s[n] = $5 + 0; r[n++] = $6 + 0}
    function median(a, n,   i, j, t) { for (i = 0; i < n; i++) for (j = i + 1; j < n; j++) if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t }
      return n % 2 ? a[int(n / 2)] : (a[n / 2 - 1] + a[n / 2]) / 2 }
    END {printf "JDK %s %-4s first 10 s %8.0f req/s, steady %8.0f req/s, ratio %.2f\n", m, c, median(f, n), median(s, n), median(r, n)}' \
    "$out/runs.csv"
done | tee "$out/summary.txt"
