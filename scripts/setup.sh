#!/usr/bin/env bash
# Fresh Debian machine -> everything installed, built, and the main job run
# on the bundled example: import examples/dscnn_int8.tflite into MLIR, run a
# pipeline that validates it as TOSA and prints its per-layer costs, execute
# it, and compile it to standalone C++.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"

echo "== installing dependencies"
scripts/install-deps.sh
echo "== building (build/)"
scripts/build.sh release

OUT="$ROOT/build/examples"
mkdir -p "$OUT"
echo "== importing examples/dscnn_int8.tflite"
build/bin/tinyprune-translate --import-tflite examples/dscnn_int8.tflite \
  --mlir-print-debuginfo -o "$OUT/dscnn_int8.mlir"
echo "   wrote $OUT/dscnn_int8.mlir"
echo "== pipeline: TOSA validation + model statistics"
build/bin/tinyprune-opt "$OUT/dscnn_int8.mlir" \
  --tosa-attach-target="profiles=pro_int,pro_fp extensions=doubleround level=none" \
  --tosa-validate --tinyprune-model-stats \
  -o "$OUT/dscnn_int8.validated.mlir"
echo "   wrote $OUT/dscnn_int8.validated.mlir"
echo "== run: one inference on an all-zero input"
head -c 490 /dev/zero > "$OUT/zeros.bin"
build/bin/tinyprune run examples/dscnn_int8.tflite --input "$OUT/zeros.bin" \
  --output "$OUT/probabilities.bin"
echo "   output bytes: $(od -An -v -td1 "$OUT/probabilities.bin" | tr -s ' ')"
echo "== compile to C++"
build/bin/tinyprune compile examples/dscnn_int8.tflite -o "$OUT/dscnn" \
  --name dscnn
echo "   wrote $OUT/dscnn/dscnn.h, dscnn.cpp and tinyprune/rt/*.h"
echo "setup: done"
