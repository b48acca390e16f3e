#!/usr/bin/env bash
# The sensor's capture rate on veth before it drops packets, against tcpdump
# writing the same traffic to a file (docs/sensor-tests.md, "Capture benchmark").
# Needs root (network namespaces), trafgen/tcpreplay (scripts/setup.sh) and a
# release build with the tests:
#   ./run bench-sensor                   # builds, then runs this
#   BUILD=build-x bench/sensor_capture_bench.sh
# SCANSCOPE_BENCH_SENDER (trafgen, tcpreplay or socket), SCANSCOPE_BENCH_RATES
# (packets/s, 0 = as fast as the sender goes), SCANSCOPE_BENCH_SECONDS (per
# step), SCANSCOPE_BENCH_PIN (split: sender on CPU 0, receiver on CPU 1;
# shared; none), SCANSCOPE_BENCH_RECEIVER_NICE and SCANSCOPE_BENCH_HOST_MAC
# (1: frames to the host's own MAC) choose the run;
# tests/sensor_capture_bench_test.cc says what each does.
#
# By default two passes: the receiver with a core of its own (no cap), then
# the receiver capped at SCANSCOPE_BENCH_CAP_PERCENT (default 2) percent of
# one core with a cgroup, at SCANSCOPE_BENCH_CAP_RATES: on a 2-core machine
# the sender and the kernel's delivery saturate one core long before an
# uncapped receiver misses a packet, so only a capped receiver shows where
# drops begin. Setting SCANSCOPE_BENCH_RECEIVER_CPU_PERCENT runs one pass
# with that cap instead.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD:-$root/build}
export SCANSCOPE_BENCH_SENDER=${SCANSCOPE_BENCH_SENDER:-trafgen}
export SCANSCOPE_BENCH_SECONDS=${SCANSCOPE_BENCH_SECONDS:-3}
rates=${SCANSCOPE_BENCH_RATES:-50000,100000,200000,400000,800000,0}
cap=${SCANSCOPE_BENCH_CAP_PERCENT:-2}
cap_rates=${SCANSCOPE_BENCH_CAP_RATES:-100000,125000,150000,175000,200000,0}
load=$(cut -d' ' -f1-3 /proc/loadavg)
echo "sensor capture benchmark: sender ${SCANSCOPE_BENCH_SENDER}, ${SCANSCOPE_BENCH_SECONDS} s a step;" \
  "load average now: ${load} on $(nproc) cores"
if awk -v l="${load%% *}" -v n="$(nproc)" 'BEGIN { exit !(l > n) }'; then
  echo "warning: the machine is busy (load above $(nproc)): the figures will be lower than on a quiet one"
fi
run() {  # run RATES [CPU_PERCENT]
  SCANSCOPE_BENCH_RATES=$1 SCANSCOPE_BENCH_RECEIVER_CPU_PERCENT=${2:-100} \
    "$build/sensor_capture_bench_test" --gtest_also_run_disabled_tests \
    --gtest_filter='SensorCaptureBench.*'
}
if [[ -n ${SCANSCOPE_BENCH_RECEIVER_CPU_PERCENT:-} ]]; then
  run "$rates" "$SCANSCOPE_BENCH_RECEIVER_CPU_PERCENT"
  exit
fi
echo "== pass 1: the receiver on a core of its own, rates ${rates} pps"
run "$rates"
echo "== pass 2: the receiver capped at ${cap}% of one core, rates ${cap_rates} pps"
run "$cap_rates" "$cap"
echo "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
