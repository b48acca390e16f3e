#!/usr/bin/env bash
# Style and static checks: every C++ file clang-formatted (.clang-format), the
# stages' layering (scripts/check_layers.py), no function in src/ over 100
# lines (scripts/check_function_size.py), and clang-tidy (.clang-tidy: bug-prone and performance checks) over the parsers
# of outside bytes, or over every source with --all. Needs a build dir with
# compile_commands.json (default: build).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
build=${BUILD_DIR:-build}
status=0

unformatted=$(git ls-files '*.cc' '*.h' | xargs clang-format --dry-run 2>&1 | grep -oP '^[^:]+\.(cc|h)(?=:)' | sort -u || true)
if [[ -n $unformatted ]]; then
  echo "lint: not clang-formatted (./run format fixes it):"; echo "$unformatted" | sed 's/^/  /'
  status=1
else
  echo "lint: clang-format: every file formatted"
fi

# The layering of src/README.md: no #include or link line runs back up it.
if ! python3 "$root/scripts/check_layers.py"; then
  status=1
fi
# Functions a reader can hold at once (docs/style.md).
if python3 "$root/scripts/check_function_size.py"; then
  echo "lint: no function in src/ over 100 lines"
else
  status=1
fi

if [[ ${1:-} == --all ]]; then
  files=$(git ls-files 'src/*.cc' | grep -v '_test\.cc$')
else
  files=$(git ls-files 'src/capture/*.cc' 'src/decode/*.cc' 'src/classify/*.cc' | grep -v '_test\.cc$')
fi
if ! echo "$files" | xargs -P "$(nproc)" -n 1 clang-tidy -p "$build" --quiet > "$build/clang-tidy.log" 2>&1; then
  status=1
fi
if grep -E "warning:|error:" "$build/clang-tidy.log" | grep -v "warnings generated" > "$build/clang-tidy.findings"; then
  echo "lint: clang-tidy findings:"; sed 's/^/  /' "$build/clang-tidy.findings" | head -50
  status=1
else
  echo "lint: clang-tidy: $(echo "$files" | wc -l) files, no findings"
fi
exit $status
