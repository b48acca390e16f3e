#!/usr/bin/env bash
# Runs every libFuzzer target (built by `./run fuzz` into build-fuzz/) for
# SECONDS each, from the committed seeds, and prints one result line each.
# Findings are written to fuzz-out/<target>/ and end the run non-zero.
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
secs=${1:-600}
status=0
for bin in "$root"/build-fuzz/*_fuzz; do
  name=$(basename "$bin" _fuzz)
  work="$root/fuzz-out/$name"
  mkdir -p "$work/corpus"
  seeds="$root/fuzz/corpus/$name"
  [[ -d $seeds ]] || seeds=""
  log="$work/log.txt"
  "$bin" -max_total_time="$secs" -rss_limit_mb=2048 -timeout=10 -print_final_stats=1 \
    -artifact_prefix="$work/" "$work/corpus" $seeds >"$log" 2>&1
  rc=$?
  runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$')
  cov=$(grep -o 'cov: [0-9]*' "$log" | tail -n1)
  if ((rc == 0)); then
    echo "fuzz $name: ${secs}s, ${runs:-?} runs, $cov, no crash"
  else
    echo "fuzz $name: FAILED (exit $rc), see $log"; status=1
  fi
done
exit $status
