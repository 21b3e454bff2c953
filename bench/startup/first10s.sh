#!/usr/bin/env bash
# Forwarding in the first 10 s after start against steady state (issue 16), per JVM cache: JDK 17 without and
# with an AppCDS archive, JDK 25 without and with its AOT cache (both trained by bin/junction-training, the
# image's training run), each with the Dockerfile's JUNCTION_JAVA_OPTS. Each start is one round of
# bench/compare.sh's keep-alive workload on Junction alone (--workers 1 on CPU 0, wrk -t1 -c64 and the nginx
# backends on CPU 1): its rr_first10s (the 10 s from the moment the port opens) against its rr (after 15 s of
# warm-up load). Rounds interleave the caches; the table gives medians over the rounds.
# Bounded: compare.sh bounds each start (about 45 s); each training is cut at 3 minutes. Loopback only.
#
# usage: bench/startup/first10s.sh [ROUNDS]        (default 3)
# env:   OUT=dir
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
rounds=${1:-3}
out=${OUT:-bench/results/startup-$(date -u +%Y-%m-%d)/first10s-rr}
jdk17=/usr/lib/jvm/java-17-openjdk-amd64
jdk25=/usr/lib/jvm/temurin-25-jdk-amd64
mkdir -p "$out"
[ -f target/junction.jar ] || mvn -B -q package -DskipTests
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
image_opts=$(sed -n 's/.*JUNCTION_JAVA_OPTS="\([^"]*\)".*/\1/p' Dockerfile | head -1)

train() { # JDK NAME OPTION
  PATH="$1/bin:$PATH" JUNCTION_JAR="$PWD/target/junction.jar" JUNCTION_JAVA_OPTS="$image_opts $3" \
    timeout 180 bin/junction-training >"$out/training-$2.log" 2>&1
}
train $jdk17 17-cds "-XX:ArchiveClassesAtExit=$work/17.jsa"
train $jdk25 25-aot "-XX:AOTCacheOutput=$work/25.aot"
configs=("17 none $jdk17" "17 cds $jdk17 -XX:SharedArchiveFile=$work/17.jsa"
         "25 none $jdk25" "25 aot $jdk25 -XX:AOTCache=$work/25.aot")

rate() { # JSON
  sed -n 's/.*"opsPerSecond":\([0-9.]*\).*/\1/p' "$1"
}

echo "round,jdk,cache,first10s_rps,steady_rps,ratio" >"$out/runs.csv"
for round in $(seq 1 "$rounds"); do
  for config in "${configs[@]}"; do
    read -r major cache jdk flags <<<"$config"
    dir="$out/$round-$major-$cache"
    PATH="$jdk/bin:$PATH" JUNCTION_JAVA_OPTS="$image_opts${flags:+ $flags}" TARGETS=junction WORKLOADS=rr OUT="$dir" \
      bench/compare.sh 1 10 >"$dir.log" 2>&1 || { echo "round $round $major $cache failed: $dir.log" >&2; continue; }
    first=$(rate "$dir/1-junction-rr_first10s.json")
    steady=$(rate "$dir/1-junction-rr.json")
    line="$round,$major,$cache,$first,$steady,$(awk -v a="$first" -v b="$steady" 'BEGIN {printf "%.2f", a / b}')"
    echo "$line" | tee -a "$out/runs.csv"
  done
done
echo
echo "medians of $rounds rounds (compare.sh rr: wrk -t1 -c64 keep-alive, Junction --workers 1 on CPU 0):"
for config in "${configs[@]}"; do
  read -r major cache _ <<<"$config"
  awk -F, -v m="$major" -v c="$cache" 'BEGIN {n = 0} $2 == m && $3 == c {f[n] = $4 + 0; s[n] = $5 + 0; r[n++] = $6 + 0}
    function median(a, n,   i, j, t) { for (i = 0; i < n; i++) for (j = i + 1; j < n; j++) if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t }
      return n % 2 ? a[int(n / 2)] : (a[n / 2 - 1] + a[n / 2]) / 2 }
    END {printf "JDK %s %-4s first 10 s %8.0f req/s, steady %8.0f req/s, ratio %.2f\n", m, c, median(f, n), median(s, n), median(r, n)}' \
    "$out/runs.csv"
done | tee "$out/summary.txt"
