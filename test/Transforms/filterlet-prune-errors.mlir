// --filterlet-prune rejects options it cannot honour and models it cannot
// prune with one clear error each, and leaves no output.
//
// Options out of range or malformed (on the model of the first split).
// RUN: not tinyprune-opt %s --split-input-file --filterlet-prune="sparsity=1.0 target=none" 2>&1 | FileCheck %s --check-prefix=ONE
// ONE: error: filterlet-prune: sparsity must be in [0, 1), got 1
// RUN: not tinyprune-opt %s --split-input-file --filterlet-prune="sparsity=-0.1 target=none" 2>&1 | FileCheck %s --check-prefix=NEG
// NEG: error: filterlet-prune: sparsity must be in [0, 1), got -0.1
// RUN: not tinyprune-opt %s --split-input-file --filterlet-prune="block=0 target=none" 2>&1 | FileCheck %s --check-prefix=BLOCK
// BLOCK: error: filterlet-prune: block must be at least 1, got 0
// RUN: not tinyprune-opt %s --split-input-file --filterlet-prune="min-layer-sparsity=0.6 max-layer-sparsity=0.4 target=none" 2>&1 | FileCheck %s --check-prefix=MINMAX
// MINMAX: error: filterlet-prune: need 0 <= min-layer-sparsity <= max-layer-sparsity <= 1, got 0.6 and 0.4
// RUN: not tinyprune-opt %s --split-input-file --filterlet-prune="layer-sparsity=zero=0.5 target=none" 2>&1 | FileCheck %s --check-prefix=SYNTAX
// SYNTAX: error: filterlet-prune: layer-sparsity entry 'zero=0.5' is not INDEX=RATIO
// RUN: not tinyprune-opt %s --split-input-file --filterlet-prune="layer-sparsity=3=0.5 target=none" 2>&1 | FileCheck %s --check-prefix=INDEX
// INDEX: error: filterlet-prune: layer-sparsity names layer 3 but the model has 1 eligible layers
// RUN: not tinyprune-opt %s --split-input-file --filterlet-prune="calibration-limit=-1 target=none" 2>&1 | FileCheck %s --check-prefix=LIMIT
// LIMIT: error: filterlet-prune: calibration-limit must be at least 0, got -1
// RUN: not tinyprune-opt %s --split-input-file --filterlet-prune="damping=0 target=none" 2>&1 | FileCheck %s --check-prefix=DAMP
// DAMP: error: filterlet-prune: damping must be positive, got 0
// RUN: not tinyprune-opt %s --split-input-file --filterlet-prune="sensitivity-samples=-1 target=none" 2>&1 | FileCheck %s --check-prefix=SENS
// SENS: error: filterlet-prune: sensitivity-samples must be at least 0, got -1
// RUN: not tinyprune-opt %s --split-input-file --filterlet-prune="clip-iterations=-1 target=none" 2>&1 | FileCheck %s --check-prefix=CLIPIT
// CLIPIT: error: filterlet-prune: clip-iterations must be at least 0, got -1
// RUN: not tinyprune-opt %s --split-input-file --filterlet-prune="prune-steps=-1 target=none" 2>&1 | FileCheck %s --check-prefix=STEPS
// STEPS: error: filterlet-prune: prune-steps must be at least 0, got -1
// RUN: not tinyprune-opt %s --split-input-file --filterlet-prune="prune-end=1 target=none" 2>&1 | FileCheck %s --check-prefix=END
// END: error: filterlet-prune: prune-end must be in (0, 1), got 1
// Gradual pruning is part of fine-tuning: without epochs it has no effect.
// RUN: not tinyprune-opt %s --split-input-file --filterlet-prune="prune-steps=4 target=none" 2>&1 | FileCheck %s --check-prefix=NOEPOCHS
// NOEPOCHS: error: filterlet-prune: prune-steps has no effect without epochs > 0
// RUN: not tinyprune-opt %s --split-input-file --filterlet-prune="prune-end=0.3 target=none" 2>&1 | FileCheck %s --check-prefix=NOEPOCHSEND
// NOEPOCHSEND: error: filterlet-prune: prune-end has no effect without epochs > 0
// RUN: not tinyprune-opt %s --split-input-file --filterlet-prune="prune-selected=true target=none" 2>&1 | FileCheck %s --check-prefix=SELECTED
// SELECTED: error: filterlet-prune: prune-selected has no effect without prune-steps > 0
//
// Enum options take their listed values only (the option parser's error).
// RUN: not tinyprune-opt %s --split-input-file --filterlet-prune="target=cortex-m3" 2>&1 | FileCheck %s --check-prefix=CORE
// CORE: for the --target option: Cannot find option named 'cortex-m3'!
// RUN: not tinyprune-opt %s --split-input-file --filterlet-prune="clip-aware=some" 2>&1 | FileCheck %s --check-prefix=CLIP
// CLIP: for the --clip-aware option: Cannot find option named 'some'!
//
// Goals out of reach say how close they came.
// RUN: not tinyprune-opt %s --split-input-file --filterlet-prune="sparsity=0.9 max-layer-sparsity=0.5 target=none" 2>&1 | FileCheck %s --check-prefix=REACH
// REACH: error: filterlet-prune: sparsity 0.9 cannot be reached with max-layer-sparsity 0.5 and the fixed layers (reached 0.5000)
// RUN: not tinyprune-opt %s --split-input-file --filterlet-prune="flash-budget=10" 2>&1 | FileCheck %s --check-prefix=FAR
// FAR: error: filterlet-prune: flash-budget 10 bytes cannot be met on cortex-m4: with max-layer-sparsity 0.95 the model still takes {{[0-9]+}} bytes (estimate; everything but the eligible layers takes {{[0-9]+}})
// RUN: not tinyprune-opt %s --split-input-file --filterlet-prune="latency-budget=100 target=cortex-m7" 2>&1 | FileCheck %s --check-prefix=FARL
// FARL: error: filterlet-prune: latency-budget 100 instructions cannot be met on cortex-m7
// RUN: not tinyprune-opt %s --split-input-file --filterlet-prune="latency-budget=1macs" 2>&1 | FileCheck %s --check-prefix=FARM
// FARM: error: filterlet-prune: latency-budget 1 MACs cannot be met on cortex-m4
//
// Budgets given wrong.
// RUN: not tinyprune-opt %s --split-input-file --filterlet-prune="flash-budget=40K latency-budget=10M" 2>&1 | FileCheck %s --check-prefix=BOTH
// BOTH: error: filterlet-prune: give flash-budget or latency-budget, not both
// RUN: not tinyprune-opt %s --split-input-file --filterlet-prune="flash-budget=40K sparsity=0.5" 2>&1 | FileCheck %s --check-prefix=SPARSITY
// SPARSITY: error: filterlet-prune: give sparsity or a budget, not both
// RUN: not tinyprune-opt %s --split-input-file --filterlet-prune="flash-budget=40K target=none" 2>&1 | FileCheck %s --check-prefix=NONE
// NONE: error: filterlet-prune: a budget needs a target core, not target=none
// RUN: not tinyprune-opt %s --split-input-file --filterlet-prune="flash-budget=lots" 2>&1 | FileCheck %s --check-prefix=FSYNTAX
// FSYNTAX: error: filterlet-prune: flash-budget 'lots' is not a positive byte count (like 48000, 48K or 1M)
// RUN: not tinyprune-opt %s --split-input-file --filterlet-prune="latency-budget=-5M" 2>&1 | FileCheck %s --check-prefix=LSYNTAX
// LSYNTAX: error: filterlet-prune: latency-budget '-5M' is not a positive instruction count (like 12000000 or 12M) or MAC count (like 3Mmacs)
//
// Calibration data that cannot be read: no output file either.
// RUN: rm -rf %t && mkdir -p %t && %python %S/Inputs/filterlet_prune_data.py %t
// RUN: not tinyprune-opt %s --split-input-file --filterlet-prune="calibration=%t/missing.npy target=none" -o %t/missing.mlir 2>&1 | FileCheck %s --check-prefix=MISSING
// MISSING: error: filterlet-prune: calibration: {{.*}}missing.npy
// RUN: not test -e %t/missing.mlir
// RUN: not tinyprune-opt %s --split-input-file --filterlet-prune="calibration=%t/wrong.npy target=none" 2>&1 | FileCheck %s --check-prefix=WRONG
// WRONG: error: filterlet-prune: calibration: {{.*}}wrong.npy
//
// Models the calibrated pass cannot take, in nested modules (the only
// ones this RUN line reaches).
// RUN: tinyprune-opt %s --split-input-file --pass-pipeline="builtin.module(builtin.module(filterlet-prune{calibration=%t/calib8.npy}))" -verify-diagnostics -o /dev/null

func.func @conv(%x: tensor<1x4x4x2xf32>) -> tensor<1x4x3x2xf32> {
  %w = "tosa.const"() <{values = dense<[[[[1.0, 0.0], [0.0, 3.0]]], [[[0.5, 0.0], [2.0, 0.0]]]]> : tensor<2x1x2x2xf32>}> : () -> tensor<2x1x2x2xf32>
  %b = "tosa.const"() <{values = dense<0.0> : tensor<2xf32>}> : () -> tensor<2xf32>
  %y = tinyprune.conv2d %x, %w, %b {pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>, dilation = array<i64: 1, 1>, min_val = 0xFF800000 : f32, max_val = 0x7F800000 : f32} : (tensor<1x4x4x2xf32>, tensor<2x1x2x2xf32>, tensor<2xf32>) -> tensor<1x4x3x2xf32>
  return %y : tensor<1x4x3x2xf32>
}

// -----

// The samples feed one function: eligible layers in two cannot all see
// them.
module {
// expected-error@+1 {{filterlet-prune: calibration needs the eligible convolutions in one function; they are in @first and @second}}
module @two_functions {
  func.func @first(%x: tensor<1x4x4x2xf32>) -> tensor<1x4x3x2xf32> {
    %w = "tosa.const"() <{values = dense<1.0> : tensor<2x1x2x2xf32>}> : () -> tensor<2x1x2x2xf32>
    %b = "tosa.const"() <{values = dense<0.0> : tensor<2xf32>}> : () -> tensor<2xf32>
    %y = tinyprune.conv2d %x, %w, %b {pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>, dilation = array<i64: 1, 1>, min_val = 0xFF800000 : f32, max_val = 0x7F800000 : f32} : (tensor<1x4x4x2xf32>, tensor<2x1x2x2xf32>, tensor<2xf32>) -> tensor<1x4x3x2xf32>
    return %y : tensor<1x4x3x2xf32>
  }
  func.func @second(%x: tensor<1x4x4x2xf32>) -> tensor<1x4x3x2xf32> {
    %w = "tosa.const"() <{values = dense<1.0> : tensor<2x1x2x2xf32>}> : () -> tensor<2x1x2x2xf32>
    %b = "tosa.const"() <{values = dense<0.0> : tensor<2xf32>}> : () -> tensor<2xf32>
    %y = tinyprune.conv2d %x, %w, %b {pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>, dilation = array<i64: 1, 1>, min_val = 0xFF800000 : f32, max_val = 0x7F800000 : f32} : (tensor<1x4x4x2xf32>, tensor<2x1x2x2xf32>, tensor<2xf32>) -> tensor<1x4x3x2xf32>
    return %y : tensor<1x4x3x2xf32>
  }
}
}

// -----

// A batch of two has no per-sample patches.
module {
module @batch_two {
  func.func @batch_two(%x: tensor<2x4x4x2xf32>) -> tensor<2x4x3x2xf32> {
    %w = "tosa.const"() <{values = dense<1.0> : tensor<2x1x2x2xf32>}> : () -> tensor<2x1x2x2xf32>
    %b = "tosa.const"() <{values = dense<0.0> : tensor<2xf32>}> : () -> tensor<2xf32>
    // expected-error@+1 {{filterlet-prune: cannot calibrate this convolution: its batch is not 1}}
    %y = tinyprune.conv2d %x, %w, %b {pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>, dilation = array<i64: 1, 1>, min_val = 0xFF800000 : f32, max_val = 0x7F800000 : f32} : (tensor<2x4x4x2xf32>, tensor<2x1x2x2xf32>, tensor<2xf32>) -> tensor<2x4x3x2xf32>
    return %y : tensor<2x4x3x2xf32>
  }
}
}

// -----

// The bias must be a constant to be re-solved.
module {
module @bias_not_constant {
  func.func @bias_not_constant(%x: tensor<1x4x4x2xf32>) -> tensor<1x4x3x2xf32> {
    %w = "tosa.const"() <{values = dense<1.0> : tensor<2x1x2x2xf32>}> : () -> tensor<2x1x2x2xf32>
    %half = "tosa.const"() <{values = dense<0.5> : tensor<2xf32>}> : () -> tensor<2xf32>
    %b = tosa.add %half, %half : (tensor<2xf32>, tensor<2xf32>) -> tensor<2xf32>
    // expected-error@+1 {{filterlet-prune: cannot calibrate this convolution: its bias is not a constant of one value per filter}}
    %y = tinyprune.conv2d %x, %w, %b {pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>, dilation = array<i64: 1, 1>, min_val = 0xFF800000 : f32, max_val = 0x7F800000 : f32} : (tensor<1x4x4x2xf32>, tensor<2x1x2x2xf32>, tensor<2xf32>) -> tensor<1x4x3x2xf32>
    return %y : tensor<1x4x3x2xf32>
  }
}
}

// -----

// The pass reads layer ops: a convolution still in the importer's TOSA
// form (written unraised here) is an error that names the pass which
// raises it.
module {
module @unraised {
  func.func @unraised(%x: tensor<1x4x4x2xf32>) -> tensor<1x4x3x2xf32> {
    %w = "tosa.const"() <{values = dense<1.0> : tensor<2x1x2x2xf32>}> : () -> tensor<2x1x2x2xf32>
    %b = "tosa.const"() <{values = dense<0.0> : tensor<2xf32>}> : () -> tensor<2xf32>
    %zp = "tosa.const"() <{values = dense<0.0> : tensor<1xf32>}> : () -> tensor<1xf32>
    // expected-error@+1 {{filterlet-prune: prunes layer ops, but this convolution is a TOSA chain; run --tinyprune-raise-to-layers first}}
    %y = tosa.conv2d %x, %w, %b, %zp, %zp {acc_type = f32, dilation = array<i64: 1, 1>, pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>} : (tensor<1x4x4x2xf32>, tensor<2x1x2x2xf32>, tensor<2xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x4x3x2xf32>
    return %y : tensor<1x4x3x2xf32>
  }
}
}
