#!/usr/bin/env bash
# The demo: a generated month of traffic for 10 monitoring points, ingested
# into a fresh SQLite store, and the month's figures. Called by `./run demo`.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bin="$root/build/scanscope"
month=${DEMO_MONTH:-2026-10}
packets=${DEMO_PACKETS:-2000000}
tz=${DEMO_TZ:-Asia/Tokyo}
out="$root/demo-out"
capture="$out/capture-$month"
db="$out/scanscope.db"

mkdir -p "$out"
echo "== generating $month: 10 points, $packets packets (seed 1, days in $tz)"
"$bin" generate --month "$month" --points 10 --packets "$packets" --seed 1 --tz "$tz" --out "$capture"

echo "== ingesting into $db"
rm -f "$db" "$db-wal" "$db-shm"
for pcap in "$capture"/point-*.pcap; do
  point=$(basename "$pcap" .pcap)
  "$bin" ingest --quiet --config "$capture/scanscope.toml" --db "$db" --tz "$tz" --point "$point" "$pcap" \
    | tail -n 1
done

echo "== points"
"$bin" points --db "$db"
echo
echo "== figures for $month (days in $tz)"
"$bin" stats --db "$db" --month "$month" --tz "$tz"
"$bin" stats --db "$db" --month "$month" --tz "$tz" --json > "$out/stats-$month.json"
echo
echo "store: $db"
echo "figures as JSON: $out/stats-$month.json"
