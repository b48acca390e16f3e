#!/usr/bin/env bash
# The demo: six generated months of traffic for 10 monitoring points (so the
# report's trends are real), ingested into a fresh SQLite store, the last
# month's figures, and its monthly report. Called by `./run demo`; ends by
# printing the path of the report's index.html.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bin="$root/build/scanscope"
month=${DEMO_MONTH:-2026-10}
months=${DEMO_MONTHS:-6}
packets=${DEMO_PACKETS:-2000000}  # per month, all points
tz=${DEMO_TZ:-Asia/Tokyo}
out="$root/demo-out"
db="$out/scanscope.db"
report="$out/report-$month"

# The months to generate, oldest first, ending with $month.
list=()
y=${month%-*}; m=$((10#${month#*-}))
for ((i = 0; i < months; i++)); do
  list=("$(printf '%04d-%02d' "$y" "$m")" "${list[@]}")
  m=$((m - 1)); if ((m == 0)); then m=12; y=$((y - 1)); fi
done

mkdir -p "$out"
rm -f "$db" "$db-wal" "$db-shm" "$db-journal"
for mo in "${list[@]}"; do
  capture="$out/capture-$mo"
  echo "== $mo: generating 10 points, $packets packets (seed 1, days in $tz), ingesting"
  "$bin" generate --month "$mo" --points 10 --packets "$packets" --seed 1 --tz "$tz" \
    --out "$capture" >/dev/null
  for pcap in "$capture"/point-*.pcap; do
    point=$(basename "$pcap" .pcap)
    "$bin" ingest --quiet --config "$capture/scanscope.toml" --db "$db" --tz "$tz" \
      --point "$point" "$pcap" >/dev/null
  done
  rm -f "$capture"/point-*.pcap  # keep the config and events.json (ground truth), not the captures
done

echo "== points"
"$bin" points --db "$db"
echo
echo "== figures for $month (days in $tz)"
"$bin" stats --db "$db" --month "$month" --tz "$tz"
"$bin" stats --db "$db" --month "$month" --tz "$tz" --json > "$out/stats-$month.json"
echo
echo "== report for $month"
rm -rf "$report"
"$bin" report --db "$db" --month "$month" --tz "$tz" --out "$report" >/dev/null
echo "store: $db"
echo "figures as JSON: $out/stats-$month.json"
echo "report: $report (index.html, report.md, report.json, charts/)"
echo "$report/index.html"
