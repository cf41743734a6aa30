// A build without LibTorch (TINYPRUNE_ENABLE_TRAINING=OFF, the sanitizer
// builds) says so in one line when asked to train: `--filterlet-prune`
// with epochs > 0 (before it prunes) and `--tinyprune-finetune`.
//
// UNSUPPORTED: training
// RUN: not tinyprune-opt %s --filterlet-prune="calibration=%t.npy epochs=1" 2>&1 | FileCheck %s --check-prefix=PRUNE
// PRUNE: error: filterlet-prune: epochs > 0, but this build has no training (LibTorch not found, or TINYPRUNE_ENABLE_TRAINING=OFF)
// RUN: not tinyprune-opt %s --tinyprune-finetune="calibration=%t.npy labels=%t.npy" 2>&1 | FileCheck %s --check-prefix=PASS
// PASS: error: tinyprune-finetune: this build has no training (LibTorch not found, or TINYPRUNE_ENABLE_TRAINING=OFF)
// epochs=0 (the default) prunes as before.
// RUN: tinyprune-opt %s --filterlet-prune="sparsity=0.5 target=none" | FileCheck %s --check-prefix=PRUNED
// PRUNED: filterlets = #tinyprune.filterlets

func.func @main(%x: tensor<1x4x4x2xf32>) -> tensor<1x4x4x2xf32> {
  %w = "tosa.const"() {values = dense<[[[[0.1, 0.2], [0.3, 0.4], [0.5, 0.6]], [[0.7, 0.8], [0.9, 1.0], [1.1, 1.2]], [[1.3, 1.4], [1.5, 1.6], [1.7, 1.8]]], [[[1.9, 2.0], [2.1, 2.2], [2.3, 2.4]], [[2.5, 2.6], [2.7, 2.8], [2.9, 3.0]], [[3.1, 3.2], [3.3, 3.4], [3.5, 3.6]]]]> : tensor<2x3x3x2xf32>} : () -> tensor<2x3x3x2xf32>
  %b = "tosa.const"() {values = dense<0.0> : tensor<2xf32>} : () -> tensor<2xf32>
  %y = tinyprune.conv2d %x, %w, %b {dilation = array<i64: 1, 1>, max_val = 3.40282347E+38 : f32, min_val = -3.40282347E+38 : f32, pad = array<i64: 1, 1, 1, 1>, stride = array<i64: 1, 1>} : (tensor<1x4x4x2xf32>, tensor<2x3x3x2xf32>, tensor<2xf32>) -> tensor<1x4x4x2xf32>
  return %y : tensor<1x4x4x2xf32>
}
