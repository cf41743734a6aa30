// --filterlet-prune rejects options it cannot honour with one clear error
// and leaves no output.
//
// RUN: not tinyprune-opt %s --filterlet-prune="sparsity=1.0 target=none" 2>&1 | FileCheck %s --check-prefix=ONE
// ONE: error: filterlet-prune: sparsity must be in [0, 1), got 1
// RUN: not tinyprune-opt %s --filterlet-prune="sparsity=-0.1 target=none" 2>&1 | FileCheck %s --check-prefix=NEG
// NEG: error: filterlet-prune: sparsity must be in [0, 1), got -0.1
// RUN: not tinyprune-opt %s --filterlet-prune="block=0 target=none" 2>&1 | FileCheck %s --check-prefix=BLOCK
// BLOCK: error: filterlet-prune: block must be at least 1, got 0
// RUN: not tinyprune-opt %s --filterlet-prune="min-layer-sparsity=0.6 max-layer-sparsity=0.4 target=none" 2>&1 | FileCheck %s --check-prefix=MINMAX
// MINMAX: error: filterlet-prune: need 0 <= min-layer-sparsity <= max-layer-sparsity <= 1, got 0.6 and 0.4
// RUN: not tinyprune-opt %s --filterlet-prune="layer-sparsity=zero=0.5 target=none" 2>&1 | FileCheck %s --check-prefix=SYNTAX
// SYNTAX: error: filterlet-prune: layer-sparsity entry 'zero=0.5' is not INDEX=RATIO
// RUN: not tinyprune-opt %s --filterlet-prune="layer-sparsity=3=0.5 target=none" 2>&1 | FileCheck %s --check-prefix=INDEX
// INDEX: error: filterlet-prune: layer-sparsity names layer 3 but the model has 1 eligible layers
// RUN: not tinyprune-opt %s --filterlet-prune="sparsity=0.9 max-layer-sparsity=0.5 target=none" 2>&1 | FileCheck %s --check-prefix=BUDGET
// BUDGET: error: filterlet-prune: sparsity 0.9 cannot be reached with max-layer-sparsity 0.5 and the fixed layers (reached 0.5000)
//
// A fixed ratio for layer 0 is honoured exactly.
// RUN: tinyprune-opt %s --filterlet-prune="sparsity=0.2 layer-sparsity=0=0.75 target=none" | FileCheck %s --check-prefix=FIXED
// FIXED: tinyprune.filterlets = #tinyprune.filterlets<block = 4, kept = {{\[\[}}1], []]>

func.func @conv(%x: tensor<1x4x4x4xf32>) -> tensor<1x4x3x2xf32> {
  %w = "tosa.const"() <{values = dense<[[[[1.0, 0.0, 0.0, 0.0], [0.0, 3.0, 0.0, 0.0]]], [[[0.5, 0.0, 0.0, 0.0], [2.0, 0.0, 0.0, 0.0]]]]> : tensor<2x1x2x4xf32>}> : () -> tensor<2x1x2x4xf32>
  %b = "tosa.const"() <{values = dense<0.0> : tensor<2xf32>}> : () -> tensor<2xf32>
  %zp = "tosa.const"() <{values = dense<0.0> : tensor<1xf32>}> : () -> tensor<1xf32>
  %y = tosa.conv2d %x, %w, %b, %zp, %zp {acc_type = f32, dilation = array<i64: 1, 1>, pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>} : (tensor<1x4x4x4xf32>, tensor<2x1x2x4xf32>, tensor<2xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x4x3x2xf32>
  return %y : tensor<1x4x3x2xf32>
}
