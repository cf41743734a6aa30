#!/usr/bin/env bash
# The whole test suite, as CI runs it (.ci/run):
#  1. the lit suite on a release build,
#  2. the same suite on an ASan + UBSan build,
#  3. the importer fuzzer for a bounded time (TINYPRUNE_FUZZ_SECONDS, 60).
# Ends with one line "tests: N passed, N failed, N skipped".
set -uo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"
LIT=/usr/lib/llvm-22/bin/lit
FUZZ_SECONDS="${TINYPRUNE_FUZZ_SECONDS:-60}"
passed=0 failed=0 skipped=0

# Adds the counts of one lit summary (its output in $1) to the totals.
count_lit() {
  local p f u
  p=$(grep -Eo '^ *Passed *: *[0-9]+' "$1" | grep -Eo '[0-9]+$' || true)
  f=$(grep -Eo '^ *Failed *: *[0-9]+' "$1" | grep -Eo '[0-9]+$' || true)
  u=$(grep -Eo '^ *Unsupported *: *[0-9]+' "$1" | grep -Eo '[0-9]+$' || true)
  passed=$((passed + ${p:-0})); failed=$((failed + ${f:-0}))
  skipped=$((skipped + ${u:-0}))
}

run_suite() { # kind
  local kind=$1 dir log
  dir=build; [ "$kind" = asan ] && dir=build-asan
  log="$ROOT/$dir/lit-summary.txt"
  echo "== $kind: build"
  if ! scripts/build.sh "$kind" > "$ROOT/.build-$kind.log" 2>&1; then
    tail -40 "$ROOT/.build-$kind.log"
    echo "== $kind: BUILD FAILED"; failed=$((failed + 1)); return
  fi
  echo "== $kind: lit"
  "$LIT" -sv "$dir/test" 2>&1 | tee "$log" | grep -E "^(FAIL|XPASS|UNRESOLVED)|Passed|Failed|Unsupported|Total" || true
  count_lit "$log"
}

scripts/install-deps.sh
# The fixture models' test data (Fashion-MNIST, MNIST) for the accuracy check.
scripts/fetch-data.sh
run_suite release
run_suite asan
echo "== fuzz: ${FUZZ_SECONDS}s"
if scripts/fuzz.sh "$FUZZ_SECONDS"; then passed=$((passed + 1)); else failed=$((failed + 1)); fi

echo "tests: $passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
