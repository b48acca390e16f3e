#!/usr/bin/env bash
# ClickHouse vs SQLite benchmark (./run bench-clickhouse, docs/clickhouse.md):
# a generated month for 10 points (BENCH_PACKETS packets, default 112.4
# million: ~100 million accesses, the generator's packets being ~89% accesses) ingested by scanscope into a fresh SQLite file and into a fresh
# ClickHouse database (a clickhouse-server started here on loopback with its
# own config and data in the work dir); then the month's figures
# (`stats --json`) and the full report (`report`) on each. Printed side by
# side: wall time, rate, peak memory of scanscope (/usr/bin/time -v) and of
# the ClickHouse server (VmHWM). The outputs of both must be identical.
# The generated files and both stores are removed at the end (BENCH_KEEP=1
# keeps them). Run it on a quiet machine; it runs itself under nice.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bin=${SCANSCOPE:-$root/build/scanscope}
packets=${BENCH_PACKETS:-112400000}
points=${BENCH_POINTS:-10}
month=${BENCH_MONTH:-2026-10}
work=${BENCH_DIR:-$root/bench-out/clickhouse}
gen="$work/gen"
db="$work/bench.db"
chdir="$work/server"
renice -n 10 $$ >/dev/null || true

# Disk: ~120 bytes of pcap per packet, plus the two stores (SQLite ~25,
# ClickHouse ~30 bytes per access, raw records compressed) and headroom.
need=$((packets * 220))
mkdir -p "$work"
avail=$(df --output=avail -B1 "$work" | tail -n1)
if ((avail < need)); then
  echo "clickhouse_bench: $((need / 1000000000)) GB needed in $work, $((avail / 1000000000)) GB free" >&2
  exit 1
fi

server_pid=
cleanup() {
  if [[ -n $server_pid ]] && kill -0 "$server_pid" 2>/dev/null; then
    kill -TERM "$server_pid"
    for _ in $(seq 1 300); do kill -0 "$server_pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
  [[ ${BENCH_KEEP:-0} == 1 ]] || rm -rf "$work"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# timed NAME COMMAND...: runs COMMAND under /usr/bin/time -v; sets
# t_wall (s) and t_peak (KiB) and appends them to the log.
timed() {
  local name=$1; shift
  /usr/bin/time -v -o "$work/time-$name.txt" "$@"
  t_peak=$(sed -n 's/.*Maximum resident set size (kbytes): //p' "$work/time-$name.txt")
  local e
  e=$(sed -n 's/.*Elapsed (wall clock) time (h:mm:ss or m:ss): //p' "$work/time-$name.txt")
  t_wall=$(awk -v e="$e" 'BEGIN { n = split(e, p, ":"); s = 0; for (i = 1; i <= n; i++) s = s * 60 + p[i]; printf "%.2f", s }')
}

echo "== generating $packets packets for $points points, $month"
start=$(date +%s.%N)
timed generate "$bin" generate --month "$month" --points "$points" --packets "$packets" --seed 7 --out "$gen"
echo "   generate: ${t_wall} s, peak $((t_peak / 1024)) MiB, $(du -sh "$gen" | cut -f1) of pcap"
files=("$gen"/point-*.pcap)

echo "== starting clickhouse-server on loopback (config and data in $chdir)"
http=$(free_port); tcp=$(free_port); inter=$(free_port)
mkdir -p "$chdir"/{data,tmp,user_files,format_schemas,log}
cat > "$chdir/users.xml" <<EOF
<?xml version="1.0"?>
<yandex>
  <profiles><default><max_memory_usage>10000000000</max_memory_usage><load_balancing>random</load_balancing></default></profiles>
  <users><default><password></password><networks><ip>127.0.0.1</ip><ip>::1</ip></networks><profile>default</profile><quota>default</quota></default></users>
  <quotas><default><interval><duration>3600</duration><queries>0</queries><errors>0</errors><result_rows>0</result_rows><read_rows>0</read_rows><execution_time>0</execution_time></interval></default></quotas>
</yandex>
EOF
cat > "$chdir/config.xml" <<EOF
<?xml version="1.0"?>
<yandex>
  <logger><level>warning</level><log>$chdir/log/server.log</log><errorlog>$chdir/log/server.err.log</errorlog><size>100M</size><count>1</count></logger>
  <http_port>$http</http_port><tcp_port>$tcp</tcp_port><interserver_http_port>$inter</interserver_http_port>
  <interserver_http_host>127.0.0.1</interserver_http_host>
  <listen_host>127.0.0.1</listen_host>
  <max_concurrent_queries>64</max_concurrent_queries>
  <uncompressed_cache_size>1073741824</uncompressed_cache_size>
  <mark_cache_size>1073741824</mark_cache_size>
  <path>$chdir/data/</path><tmp_path>$chdir/tmp/</tmp_path>
  <user_files_path>$chdir/user_files/</user_files_path><format_schema_path>$chdir/format_schemas/</format_schema_path>
  <users_config>$chdir/users.xml</users_config>
  <default_profile>default</default_profile><default_database>default</default_database>
</yandex>
EOF
clickhouse-server --config-file="$chdir/config.xml" > "$chdir/log/stdout" 2>&1 &
server_pid=$!
for _ in $(seq 1 300); do
  [[ $(curl -s "http://127.0.0.1:$http/ping" || true) == Ok. ]] && break
  kill -0 "$server_pid" 2>/dev/null || { tail -n 20 "$chdir/log/server.err.log" >&2; exit 1; }
  sleep 0.1
done
url="clickhouse://127.0.0.1:$http/bench"
server_hwm() { awk '/^VmHWM:/ { print $2 }' "/proc/$server_pid/status"; }

# ingest_all STORE: one `scanscope ingest` per point, in turn; sets i_wall,
# i_peak (largest peak of the processes) and i_accesses.
ingest_all() {
  local store=$1 name=$2 total=0 peak=0 accesses=0
  for f in "${files[@]}"; do
    local point
    point=$(basename "$f" .pcap)
    timed "ingest-$name-$point" "$bin" ingest --quiet --json --config "$gen/scanscope.toml" \
      --db "$store" --tz UTC --point "$point" "$f" > "$work/ingest-$name-$point.json"
    total=$(awk -v a="$total" -v b="$t_wall" 'BEGIN { printf "%.2f", a + b }')
    ((t_peak > peak)) && peak=$t_peak
    local n
    n=$(sed -n 's/.*"accesses":\([0-9]*\).*/\1/p' "$work/ingest-$name-$point.json" | head -n1)
    accesses=$((accesses + n))
  done
  i_wall=$total i_peak=$peak i_accesses=$accesses
}

declare -A wall peak
cat "${files[@]}" > /dev/null  # page cache warm for both
for name in sqlite clickhouse; do
  store=$db
  [[ $name == clickhouse ]] && store=$url
  echo "== $name: ingest"
  ingest_all "$store" "$name"
  wall[$name-ingest]=$i_wall peak[$name-ingest]=$i_peak
  eval "accesses_$name=$i_accesses"
  [[ $name == clickhouse ]] && ch_hwm_ingest=$(server_hwm)
  echo "== $name: stats (the month's figures)"
  timed "stats-$name" "$bin" stats --json --db "$store" --month "$month" --tz UTC > "$work/stats-$name.json"
  wall[$name-stats]=$t_wall peak[$name-stats]=$t_peak
  echo "== $name: report"
  timed "report-$name" "$bin" report --db "$store" --month "$month" --tz UTC --out "$work/report-$name" > /dev/null
  wall[$name-report]=$t_wall peak[$name-report]=$t_peak
done
ch_hwm=$(server_hwm)
sqlite_bytes=$(du -cb "$db"* | tail -n1 | cut -f1)
# Active parts only: parts replaced by a merge stay on disk for minutes.
ch_bytes=$(curl -s "http://127.0.0.1:$http/" --data-binary \
  "SELECT sum(bytes_on_disk) FROM system.parts WHERE database = 'bench' AND active")

same=yes
cmp -s "$work/stats-sqlite.json" "$work/stats-clickhouse.json" || same="NO (stats differ)"
cmp -s "$work/report-sqlite/report.json" "$work/report-clickhouse/report.json" || same="NO (report.json differs)"

mib() { echo "$(($1 / 1024)) MiB"; }
rate() { awk -v n="$1" -v s="$2" 'BEGIN { printf "%.2f M/s", n / s / 1e6 }'; }
echo
echo "== $accesses_sqlite accesses ($packets packets, $points points, $month); nproc $(nproc)"
printf '%-26s | %-34s | %-34s\n' "" "SQLite" "ClickHouse 18.16 (one server)"
printf '%-26s | %-34s | %-34s\n' "ingest (10 processes)" \
  "${wall[sqlite-ingest]} s, $(rate "$accesses_sqlite" "${wall[sqlite-ingest]}")" \
  "${wall[clickhouse-ingest]} s, $(rate "$accesses_clickhouse" "${wall[clickhouse-ingest]}")"
printf '%-26s | %-34s | %-34s\n' "  peak memory" "scanscope $(mib "${peak[sqlite-ingest]}")" \
  "scanscope $(mib "${peak[clickhouse-ingest]}"), server $(mib "$ch_hwm_ingest")"
printf '%-26s | %-34s | %-34s\n' "stats --json (month)" "${wall[sqlite-stats]} s, $(mib "${peak[sqlite-stats]}")" \
  "${wall[clickhouse-stats]} s, $(mib "${peak[clickhouse-stats]}")"
printf '%-26s | %-34s | %-34s\n' "report (full)" "${wall[sqlite-report]} s, $(mib "${peak[sqlite-report]}")" \
  "${wall[clickhouse-report]} s, $(mib "${peak[clickhouse-report]}")"
printf '%-26s | %-34s | %-34s\n' "store size" "$((sqlite_bytes / 1000000)) MB" "$((ch_bytes / 1000000)) MB"
printf '%-26s | %-34s | %-34s\n' "server peak memory (all)" "" "$(mib "$ch_hwm")"
echo "identical stats and report.json: $same"
[[ $same == yes ]]
