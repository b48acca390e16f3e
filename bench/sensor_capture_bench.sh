#!/usr/bin/env bash
# The sensor's capture rate on veth before it drops packets, against tcpdump
# writing the same traffic to a file (docs/sensor-tests.md, "Capture benchmark").
# Needs root (network namespaces), trafgen/tcpreplay (scripts/setup.sh) and a
# release build with the tests:
#   ./run bench-sensor                   # builds, then runs this
#   BUILD=build-x bench/sensor_capture_bench.sh
# SCANSCOPE_BENCH_SENDER (trafgen, tcpreplay or socket), SCANSCOPE_BENCH_RATES
# (packets/s, 0 = as fast as the sender goes), SCANSCOPE_BENCH_SECONDS (per
# step), SCANSCOPE_BENCH_PIN (1: sender on CPU 0, receiver on CPU 1) and
# SCANSCOPE_BENCH_HOST_MAC (1: frames to the host's own MAC) choose the run;
# tests/sensor_capture_bench_test.cc says what each does.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD:-$root/build}
export SCANSCOPE_BENCH_SENDER=${SCANSCOPE_BENCH_SENDER:-trafgen}
export SCANSCOPE_BENCH_RATES=${SCANSCOPE_BENCH_RATES:-50000,100000,200000,400000,800000,0}
export SCANSCOPE_BENCH_SECONDS=${SCANSCOPE_BENCH_SECONDS:-3}
load=$(cut -d' ' -f1-3 /proc/loadavg)
echo "sensor capture benchmark: sender ${SCANSCOPE_BENCH_SENDER}, rates ${SCANSCOPE_BENCH_RATES} pps," \
  "${SCANSCOPE_BENCH_SECONDS} s each; load average now: ${load} on $(nproc) cores"
if awk -v l="${load%% *}" -v n="$(nproc)" 'BEGIN { exit !(l > n) }'; then
  echo "warning: the machine is busy (load above $(nproc)): the onset found will be lower than on a quiet one"
fi
exec "$build/sensor_capture_bench_test" --gtest_also_run_disabled_tests \
  --gtest_filter='SensorCaptureBench.*'
