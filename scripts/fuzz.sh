#!/usr/bin/env bash
# Builds the importer fuzzer and runs it for a bounded time.
#   scripts/fuzz.sh [seconds] [extra libFuzzer flags...]
# Seeds: every model the lit tests generate, plus the MLPerf Tiny models
# when ../shared is present. The corpus grows in build-fuzz/corpus and is
# kept between runs; crashes land in build-fuzz/artifacts.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
SECONDS_TO_RUN="${1:-60}"
shift || true

"$ROOT/scripts/build.sh" fuzz tinyprune-import-fuzzer >/dev/null
FUZZ="$ROOT/build-fuzz"
SEEDS="$FUZZ/seeds"
mkdir -p "$SEEDS" "$FUZZ/corpus" "$FUZZ/artifacts"
for t in "$ROOT"/test/Import/*.py; do
  out="$SEEDS/$(basename "$t" .py)"
  mkdir -p "$out"
  PYTHONPATH="$ROOT/utils" /usr/bin/python3 "$t" "$out" >/dev/null 2>&1 || true
done
find "$SEEDS" -name '*.tflite' -exec cp -f {} "$FUZZ/corpus/" \; 2>/dev/null || true
SHARED="$ROOT/../shared/models/mlperf-tiny"
if [ -d "$SHARED" ]; then cp -f "$SHARED"/*.tflite "$FUZZ/corpus/"; fi

echo "fuzz: $(ls "$FUZZ/corpus" | wc -l) corpus files, ${SECONDS_TO_RUN}s"
ASAN_OPTIONS=detect_leaks=0 "$FUZZ/bin/tinyprune-import-fuzzer" \
  -max_total_time="$SECONDS_TO_RUN" -timeout=10 -rss_limit_mb=2048 \
  -max_len=400000 -print_final_stats=1 -artifact_prefix="$FUZZ/artifacts/" \
  "$@" "$FUZZ/corpus" 2>&1 | tee "$FUZZ/last-run.log" | grep -E "^#[0-9]+ +(INITED|DONE)|stat::number_of_executed_units|ERROR|SUMMARY|crash-|timeout-|oom-" || true
if ls "$FUZZ"/artifacts/crash-* "$FUZZ"/artifacts/timeout-* "$FUZZ"/artifacts/oom-* >/dev/null 2>&1; then
  echo "fuzz: FAILED, reproducers in $FUZZ/artifacts" >&2
  exit 1
fi
grep -q "Done [0-9]* runs\|stat::number_of_executed_units" "$FUZZ/last-run.log" || { echo "fuzz: the fuzzer did not finish" >&2; exit 1; }
echo "fuzz: no crashes"
