#!/usr/bin/env bash
# Ingest benchmark (./run bench): a generated 20-million-packet month for 10
# points (31 days) ingested into a fresh SQLite store, end to end, with peak
# memory; then `stats` for that month; then one point with many sources, fresh
# and after a truncated copy of the same capture. Beside scanscope's figures, the same
# figures from two peer paths over the same files:
#   A. nfpcapd (pcap -> flows) + nfdump (flows -> text) + awk
#   B. tcpdump (pcap -> text) -> CSV -> sqlite3 GROUP BY over the raw records
# The peers see every inbound packet to a watched address; scanscope also
# excludes replies to the host's own traffic, so their accesses may exceed
# scanscope's by exactly the replies the ingest summary reports.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bin="$root/build/scanscope"
packets=${BENCH_PACKETS:-20000000}
month=${BENCH_MONTH:-2026-10}
peers=${BENCH_PEERS:-1}
out="$root/bench-out"
gen="$out/gen-$month-$packets"
db="$out/bench.db"
mkdir -p "$out"

if [[ ! -f "$gen/.done" ]]; then
  echo "== generating $packets packets for 10 points, $month (once; kept in $gen)"
  rm -rf "$gen"
  /usr/bin/time -f "   generate: %e s, peak %M KiB" \
    "$bin" generate --month "$month" --points 10 --packets "$packets" --seed 7 --out "$gen"
  touch "$gen/.done"
fi
files=("$gen"/point-*.pcap)
bytes=$(du -cb "${files[@]}" | tail -n1 | cut -f1)
echo "== input: ${#files[@]} files, $((bytes / 1000000)) MB"

# Page cache warm, as for every peer.
cat "${files[@]}" > /dev/null

echo "== scanscope ingest (SQLite, UTC days)"
rm -f "$db" "$db-wal" "$db-shm"
total_packets=0
peak_kib=0
start=$(date +%s.%N)
for f in "${files[@]}"; do
  point=$(basename "$f" .pcap)
  /usr/bin/time -o "$out/time.txt" -f "%M" \
    "$bin" ingest --quiet --json --config "$gen/scanscope.toml" --db "$db" --tz UTC --point "$point" "$f" \
    > "$out/ingest-$point.json"
  kib=$(tail -n1 "$out/time.txt")
  ((kib > peak_kib)) && peak_kib=$kib
  n=$(sed -n 's/.*"packets":\([0-9]*\).*/\1/p' "$out/ingest-$point.json")
  total_packets=$((total_packets + n))
done
end=$(date +%s.%N)
secs=$(echo "$end - $start" | bc -l)
rate=$(echo "$total_packets / $secs" | bc -l)
replies=$(cat "$out"/ingest-*.json | grep -o '"\(reply\|icmp_error_about_own_traffic\|neighbor_discovery\)":[0-9]*' | cut -d: -f2 | paste -sd+ | bc)
printf "   %'d packets in %.2f s = %'.0f packets/s end to end; peak memory %'d MiB\n   inbound to watched addresses but not accesses (replies, ICMP errors about own traffic, neighbor discovery): %'d\n" \
  "$total_packets" "$secs" "$rate" $((peak_kib / 1024)) "${replies:-0}"

echo "== scanscope stats --month $month"
"$bin" stats --db "$db" --month "$month" --tz UTC --json > "$out/stats.json"
/usr/bin/time -f "   stats: %e s, peak %M KiB" "$bin" stats --db "$db" --month "$month" --tz UTC --json > "$out/stats.json"
python3 - "$out/stats.json" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
print(f"   scanscope: accesses {s['accesses']:,}  sources {s['sources']:,}  points {s['points']}  "
      f"per point per day {s['per_point_per_day']['accesses']} / {s['per_point_per_day']['sources']}")
print("   top ports: " + ", ".join(f"{p['port']} {p['accesses']:,}" for p in s['by_port'][:5]))
PY

# The other shape users have: one point, many sources (a /16 telescope,
# say), and a capture ingested after a truncated copy of itself (the
# duplicate check reads back every hour the copy stored).
one_packets=${BENCH_ONE_POINT_PACKETS:-5000000}
gen1="$out/gen1-$month-$one_packets"
if [[ ! -f "$gen1/.done" ]]; then
  rm -rf "$gen1"
  "$bin" generate --month "$month" --points 1 --packets "$one_packets" --seed 11 --out "$gen1" > /dev/null
  touch "$gen1/.done"
fi
one_db="$out/bench-one.db"
ingest_one() {  # label file
  local label=$1 f=$2 t0 t1
  t0=$(date +%s.%N)
  /usr/bin/time -o "$out/time.txt" -f "%M" "$bin" ingest --quiet --json --config "$gen1/scanscope.toml" \
    --db "$one_db" --tz UTC --point point-01 "$f" > "$out/ingest-one.json"
  t1=$(date +%s.%N)
  python3 - "$out/ingest-one.json" "$(echo "$t1 - $t0" | bc -l)" "$(tail -n1 "$out/time.txt")" "$label" <<'PY'
import json, sys
r = json.loads(open(sys.argv[1]).read().splitlines()[-1])
secs, kib, label = float(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
print(f"   {label}: {r['packets']:,} packets in {secs:.2f} s = {r['packets'] / secs:,.0f} packets/s; "
      f"{r['accesses']:,} accesses new, {r['already_stored']:,} already stored; peak {kib // 1024:,} MiB")
PY
}
echo "== one point, many sources: $one_packets packets"
rm -f "$one_db"
ingest_one "fresh store" "$gen1/point-01.pcap"
head -c $(( $(stat -c %s "$gen1/point-01.pcap") / 2 )) "$gen1/point-01.pcap" > "$out/half.pcap"
rm -f "$one_db"
ingest_one "a truncated copy (half)" "$out/half.pcap"
ingest_one "then the whole capture" "$gen1/point-01.pcap"
rm -f "$out/half.pcap"
"$bin" stats --db "$one_db" --month "$month" --tz UTC --json | python3 -c '
import json, sys
s = json.load(sys.stdin)
a, n = s["accesses"], s["sources"]
print(f"   stored: accesses {a:,}  sources {n:,} (as from the fresh store: each access once)")'

[[ $peers == 1 ]] || exit 0

# The watched prefixes of each point, from the generated config, as a pcap filter.
watch_filter() {  # point -> "(dst net A or dst net B) and not (src net A or src net B)"
  local point=$1 nets
  nets=$(awk -v p="\"$point\"" '$1=="name" && $3==p {f=1; next} f && $1=="watch" {print; exit}' "$gen/scanscope.toml" \
    | grep -o '"[^"]*"' | tr -d '"')
  local dst="" src=""
  for n in $nets; do
    dst+="${dst:+ or }dst net $n"; src+="${src:+ or }src net $n"
  done
  echo "($dst) and not ($src)"
}

# Both peers print lines "day<TAB>point<TAB>port<TAB>source<TAB>packets"; the
# same awk turns those into accesses and gross sources.
summarize() {  # name seconds < lines
  python3 -c '
import sys, collections
name, secs = sys.argv[1], float(sys.argv[2])
acc = collections.Counter(); keys = set()
for line in sys.stdin:
    day, point, port, src, n = line.rstrip("\n").split("\t")
    acc[port] += int(n); keys.add((day, point, port, src))
total = sum(acc.values())
top = ", ".join(f"{p} {n:,}" for p, n in acc.most_common(5))
print(f"   {name}: accesses {total:,}  sources {len(keys):,}  in {secs:.1f} s")
print(f"   top ports: {top}")
' "$@"
}

echo "== peer A: nfpcapd + nfdump"
rm -rf "$out/nf"
start=$(date +%s.%N)
for f in "${files[@]}"; do
  point=$(basename "$f" .pcap)
  mkdir -p "$out/nf/$point"
  nfpcapd -r "$f" -w "$out/nf/$point" -e 60,30 "$(watch_filter "$point")" >/dev/null 2>&1 || true
done
for f in "${files[@]}"; do
  point=$(basename "$f" .pcap)
  nfdump -R "$out/nf/$point" -q -N -o "fmt:%ts|%sa|%dp|%pr|%pkt" 2>/dev/null |
    awk -F'|' -v point="$point" '{
      gsub(/ /, "", $2); gsub(/ /, "", $3); gsub(/ /, "", $4); gsub(/ /, "", $5)
      day = substr($1, 1, 10)
      if ($4 == "ICMP" || $4 == "ICMP6" || $4 == "1" || $4 == "58") port = "ICMP"
      else if ($4 == "TCP" || $4 == "6") port = $3 "/tcp"
      else if ($4 == "UDP" || $4 == "17") port = $3 "/udp"
      else port = "proto-" $4
      print day "\t" point "\t" port "\t" $2 "\t" $5 }'
done > "$out/peer-a.tsv"
end=$(date +%s.%N)
summarize "nfpcapd+nfdump" "$(echo "$end - $start" | bc -l)" < "$out/peer-a.tsv"

echo "== peer B: tcpdump -> CSV -> sqlite3"
rm -f "$out/peer.db"
start=$(date +%s.%N)
for f in "${files[@]}"; do
  point=$(basename "$f" .pcap)
  tcpdump -nn -tt -r "$f" "$(watch_filter "$point")" 2>/dev/null |
    gawk -v point="$point" '
      { ts = $1; fam = $2; src = $3; proto = ""; port = "" }
      / ICMP / || / ICMP6,/ { proto = "ICMP" }
      /Flags \[/ { proto = "tcp" }
      / UDP,/ || / udp / || / [0-9]+ [A-Za-z0-9+]+\? / { if (proto == "") proto = "udp" }
      {
        dst = $5; sub(/:$/, "", dst)
        if (proto == "tcp" || proto == "udp") {
          n = split(dst, d, "."); port = d[n] "/" proto
          m = split(src, s, "."); src = s[1]; for (i = 2; i < m; i++) src = src "." s[i]
        } else if (proto == "ICMP") { port = "ICMP" }
        else { port = "other" }
        printf "%s,%s,%s,%s\n", ts, point, port, src
      }'
done > "$out/peer-b.csv"
sqlite3 "$out/peer.db" <<SQL > "$out/peer-b.tsv"
CREATE TABLE raw(ts REAL, point TEXT, port TEXT, source TEXT);
.mode csv
.import $out/peer-b.csv raw
.mode tabs
SELECT date(ts, 'unixepoch'), point, port, source, count(*) FROM raw GROUP BY 1, 2, 3, 4;
SQL
end=$(date +%s.%N)
summarize "tcpdump+sqlite3" "$(echo "$end - $start" | bc -l)" < "$out/peer-b.tsv"
