#!/usr/bin/env bash
# Installs the Debian 12 packages scanscope needs to build, test and benchmark.
# Idempotent: installs only what is missing. Runs as root, or through sudo.
set -euo pipefail

packages=(
  # build
  build-essential cmake ninja-build pkg-config git
  # libraries
  libpcap-dev zlib1g-dev libzstd-dev libxxhash-dev libsqlite3-dev libfmt-dev libspdlog-dev
  nlohmann-json3-dev libtomlplusplus-dev libcli11-dev libhowardhinnant-date-dev tzdata
  libmaxminddb-dev libcpp-httplib-dev libssl-dev
  # the ClickHouse backend and the sensor tests in network namespaces
  clickhouse-server clickhouse-client iproute2 openssl
  # tests, fuzzing, benchmarks, style
  googletest libgtest-dev libgmock-dev libbenchmark-dev clang clang-format clang-tidy libclang-rt-14-dev
  # peers for the benchmark and test tools
  sqlite3 nfdump tcpdump time gawk bc python3
  # fast senders for the sensor capture benchmark (bench/sensor_capture_bench.sh)
  tcpreplay netsniff-ng
  # the report browser test reads the A4 print back page by page (pdftotext)
  poppler-utils
  # the report's browser test (tests/browser): headless Chromium, driven from Node
  chromium fonts-dejavu-core nodejs
)

# npm packages, installed into the repo from the committed lock files.
npm_steps() {
  local root
  root=$(cd "$(dirname "$0")/.." && pwd)
  # playwright-core drives /usr/bin/chromium in the report's browser test.
  if ! command -v npm >/dev/null; then  # Debian's nodejs comes without npm
    echo "setup: installing npm"
    ${sudo:-} apt-get install -y -qq --no-install-recommends npm >/dev/null
  fi
  # Again whenever the lock file changed since the last install.
  if ! cmp -s "$root/tests/browser/package-lock.json" "$root/tests/browser/node_modules/.scanscope-lock"; then
    echo "setup: npm ci in tests/browser"
    (cd "$root/tests/browser" && npm ci --no-audit --no-fund --silent &&
      cp package-lock.json node_modules/.scanscope-lock)
  fi
  # The IP-to-country database of the report's source areas (src/geo).
  # Again whenever the lock file changed since the last install.
  if ! cmp -s "$root/third_party/npm/package-lock.json" "$root/third_party/npm/node_modules/.scanscope-lock"; then
    echo "setup: npm ci in third_party/npm"
    (cd "$root/third_party/npm" && npm ci --no-audit --no-fund --silent &&
      cp package-lock.json node_modules/.scanscope-lock)
  fi
}

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
sudo=""
if [[ $(id -u) -ne 0 ]]; then sudo="sudo"; fi
if ((${#missing[@]} == 0)); then
  echo "setup: all ${#packages[@]} packages present"
  npm_steps
  exit 0
fi

sudo=""
if [[ $(id -u) -ne 0 ]]; then
  command -v sudo >/dev/null || { echo "setup: need root or sudo to install: ${missing[*]}" >&2; exit 1; }
  sudo="sudo"
fi
echo "setup: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
npm_steps
echo "setup: done"
