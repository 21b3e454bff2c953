#!/usr/bin/env bash
# Crash-restart time (issue 15): seconds from `java` start to the first forwarded connection and to the
# "sources synced" line, at 1,000 and 10,000 Services, manifests and API source, JDK 17 and 25, without a
# cache, with an AppCDS archive and with JDK 25's AOT cache (both from bin/junction-training, the image's
# training run). Junction runs with the Dockerfile's JUNCTION_JAVA_OPTS; every run is SIGKILLed (a crash).
# Bounded: 3 minutes per run at most; about 15 minutes for the defaults. Loopback only.
#
# usage: bench/startup/run.sh [ROUNDS]                  (default 3)
# env:   SERVICES=1000,10000 SOURCES=manifests,api CACHES=none,cds,aot OUT=dir
#        JDKS=/usr/lib/jvm/java-17-openjdk-amd64,/usr/lib/jvm/temurin-25-jdk-amd64
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
[ -f target/junction.jar ] || mvn -B -q package -DskipTests
[ -f bench/target/benchmarks.jar ] || { mvn -B -q install -DskipTests && mvn -B -q -f bench/pom.xml package; }
# 10,000 frontends each hold a descriptor.
ulimit -n "$(ulimit -Hn)"
exec python3 bench/startup/startup.py --jar "$PWD/target/junction.jar" --bench-jar bench/target/benchmarks.jar \
  --training bin/junction-training --dockerfile Dockerfile \
  --out "${OUT:-bench/results/startup-$(date -u +%Y-%m-%d)}" --rounds "${1:-3}" \
  --services "${SERVICES:-1000,10000}" --sources "${SOURCES:-manifests,api}" --caches "${CACHES:-none,cds,aot}" \
  ${JDKS:+--jdks "$JDKS"}
