#!/usr/bin/env bash
# Issue 14 item 1: a flood of new UDP sources at one Service of a Junction started here (loopback only,
# bounded in time, cleans up after itself). Prints sessions, heap and direct memory per session, receive-
# buffer errors of a 500-source burst, log lines and whether UDP and TCP canaries are answered.
#   bench/chaos/udp-flood.sh [--sources N] [--burst N] [--seconds S] [--idle 60s] [-- junction run flags]
# e.g. bench/chaos/udp-flood.sh --sources 50000 -- --transport io_uring --udp-max-sessions 18000
# At a lower descriptor limit: prlimit --nofile=5000:5000 bench/chaos/udp-flood.sh --sources 20000
# JUNCTION_JAVA_OPTS is passed to bin/junction (its default: -Xmx512m, 512 MB direct).
set -euo pipefail
home=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$home"
[ -f target/junction.jar ] || mvn -o -q package -DskipTests
exec timeout 900 java bench/chaos/UdpFlood.java --launcher "$home/bin/junction" "$@"
