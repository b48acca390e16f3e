#!/usr/bin/env bash
# The sensor's capture rate on veth before it drops packets, against tcpdump
# writing the same traffic to a file (docs/sensor-tests.md, "Capture benchmark").
# Needs root (network namespaces) and a release build with the tests:
#   ./run bench-sensor                   # builds, then runs this
#   BUILD=build-x bench/sensor_capture_bench.sh
# SCANSCOPE_BENCH_RATES (packets/s, 0 = as fast as the sender goes) and
# SCANSCOPE_BENCH_SECONDS (per step) choose the steps.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD:-$root/build}
export SCANSCOPE_BENCH_RATES=${SCANSCOPE_BENCH_RATES:-10000,20000,40000,80000,0}
export SCANSCOPE_BENCH_SECONDS=${SCANSCOPE_BENCH_SECONDS:-3}
echo "sensor capture benchmark: rates ${SCANSCOPE_BENCH_RATES} pps, ${SCANSCOPE_BENCH_SECONDS} s each;" \
  "load average now: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) cores"
exec "$build/sensor_capture_bench_test" --gtest_also_run_disabled_tests \
  --gtest_filter='SensorCaptureBench.*'
