#!/usr/bin/env bash
# The chaos suite (issue 14): replays every hostile case against the current build, loopback only, each
# bounded in time, everything it starts stopped on exit. First the scripts that need a whole Junction under
# a lowered descriptor limit and print figures, then the tests that replay the other cases (they assert; the
# figures of those are in the README's "Reliability" section). About 6 minutes on 2 cores.
#
# usage: bench/chaos/run.sh [CASES...]     (default: all of udp tcp health manifests tests)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
cases=${*:-udp tcp health manifests tests}
mvn -B -q package -DskipTests
for c in $cases; do
  echo "=== $c"
  case $c in
    udp)       bench/chaos/udp-flood.sh --sources 20000 --seconds 30 ;;
    tcp)       for t in io_uring epoll nio; do echo "--- $t"; TRANSPORT=$t bench/chaos/tcp-descriptor-exhaustion.sh 160 400 5; done ;;
    health)    bench/chaos/health-port-flood.sh 3000 2048 10 ;;
    manifests) bench/chaos/manifest-files.sh ;;
    tests)     mvn -B -q test -Dtest='UdpFloodTest,DescriptorExhaustionTest,HttpServersTest,ManifestSourceTest,ManifestReaderTest,ObjectValidatorTest,ObjectValidatorFuzzTest,LoggingTest,JunctionKubeTest,ShutdownOrderTest,TcpDataPlaneTest,KubeSourceTest,KubeSourceTrafficTest' \
                 && echo "chaos tests: passed" ;;
    *)         echo "unknown case $c (udp tcp health manifests tests)" >&2; exit 2 ;;
  esac
done
