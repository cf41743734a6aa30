#!/usr/bin/env bash
# Fresh Debian machine -> everything installed, built, and the main job run:
# prune the Fashion-MNIST DS-CNN fixture with the Fashion-MNIST data
# (calibrated on training images, measured on test images) into a pruned
# .mlir, .tflite and C++ with a before/after report; then, on the bundled
# example, import examples/dscnn_int8.tflite into MLIR, run a pipeline that
# validates it as TOSA and prints its per-layer costs, execute it, and
# compile it to standalone C++.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"

echo "== installing dependencies"
scripts/install-deps.sh
echo "== building (build/)"
scripts/build.sh release
echo "== installing the Fashion-MNIST and MNIST data"
scripts/fetch-data.sh
DATA="${TINYPRUNE_DATA:-$HOME/.cache/tinyprune-data}/fashion-mnist"

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
echo "== prune: test/models/fashion_dscnn_int8.tflite, filterlet-prune at 0.5"
echo "   (calibrated on 512 training images, measured on 1000 test images)"
build/bin/tinyprune prune test/models/fashion_dscnn_int8.tflite \
  -o "$OUT/pruned" --name dscnn_pruned \
  --data "$DATA/train_x.npy" --labels "$DATA/train_y.npy" \
  --eval-data "$DATA/test_x.npy" --eval-labels "$DATA/test_y.npy" \
  --eval-samples 1000
echo "   the report: $OUT/pruned/report.md (and report.json, layers.svg)"
echo "setup: done"
