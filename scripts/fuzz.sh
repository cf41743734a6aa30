#!/usr/bin/env bash
# Builds a fuzz target and runs it for a bounded time.
#   scripts/fuzz.sh [import|npy|bin-folder] [seconds] [extra libFuzzer flags...]
# import (the default): the TFLite importer, seeded with every model the lit
# tests generate, plus the MLPerf Tiny models when ../shared is present.
# npy, bin-folder: the data readers, seeded by utils/fuzz_data_seeds.py.
# Each target's corpus grows in build-fuzz/corpus[-TARGET] and is kept
# between runs; crashes land in build-fuzz/artifacts[-TARGET].
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
TARGET=import
case "${1:-}" in
  import|npy|bin-folder) TARGET="$1"; shift ;;
esac
SECONDS_TO_RUN="${1:-60}"
shift || true

FUZZ="$ROOT/build-fuzz"
if [ "$TARGET" = import ]; then
  BIN=tinyprune-import-fuzzer
  CORPUS="$FUZZ/corpus"
  ARTIFACTS="$FUZZ/artifacts"
  MAX_LEN=400000
else
  BIN="tinyprune-$TARGET-fuzzer"
  CORPUS="$FUZZ/corpus-$TARGET"
  ARTIFACTS="$FUZZ/artifacts-$TARGET"
  MAX_LEN=65536
fi
"$ROOT/scripts/build.sh" fuzz "$BIN" >/dev/null
SEEDS="$FUZZ/seeds"
mkdir -p "$SEEDS" "$CORPUS" "$ARTIFACTS"
if [ "$TARGET" = import ]; then
  for t in "$ROOT"/test/Import/*.py; do
    out="$SEEDS/$(basename "$t" .py)"
    mkdir -p "$out"
    PYTHONPATH="$ROOT/utils" /usr/bin/python3 "$t" "$out" >/dev/null 2>&1 || true
  done
  find "$SEEDS" -name '*.tflite' -exec cp -f {} "$CORPUS/" \; 2>/dev/null || true
  cp -f "$ROOT"/fuzz/regressions/*.tflite "$CORPUS/"
  SHARED="$ROOT/../shared/models/mlperf-tiny"
  if [ -d "$SHARED" ]; then cp -f "$SHARED"/*.tflite "$CORPUS/"; fi
else
  /usr/bin/python3 "$ROOT/utils/fuzz_data_seeds.py" "$TARGET" "$CORPUS"
fi

# The folder target writes a folder of files per input: keep them in memory.
if [ "$TARGET" = bin-folder ] && [ -d /dev/shm ] && [ -w /dev/shm ]; then
  export TMPDIR=/dev/shm
fi
LOG="$FUZZ/last-run-$TARGET.log"
echo "fuzz: $TARGET: $(ls "$CORPUS" | wc -l) corpus files, ${SECONDS_TO_RUN}s"
ASAN_OPTIONS=detect_leaks=0 "$FUZZ/bin/$BIN" \
  -max_total_time="$SECONDS_TO_RUN" -timeout=10 -rss_limit_mb=2048 \
  -max_len="$MAX_LEN" -print_final_stats=1 -artifact_prefix="$ARTIFACTS/" \
  "$@" "$CORPUS" 2>&1 | tee "$LOG" | grep -E "^#[0-9]+ +(INITED|DONE)|stat::number_of_executed_units|ERROR|SUMMARY|crash-|timeout-|oom-" || true
if ls "$ARTIFACTS"/crash-* "$ARTIFACTS"/timeout-* "$ARTIFACTS"/oom-* >/dev/null 2>&1; then
  echo "fuzz: FAILED, reproducers in $ARTIFACTS" >&2
  exit 1
fi
# UBSan reports and continues (no artifact): its reports fail the run too.
if grep -q "runtime error:" "$LOG"; then
  echo "fuzz: FAILED, undefined behaviour reported in $LOG" >&2
  exit 1
fi
grep -q "Done [0-9]* runs\|stat::number_of_executed_units" "$LOG" || { echo "fuzz: the fuzzer did not finish" >&2; exit 1; }
echo "fuzz: no crashes"
