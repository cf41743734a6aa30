// REQUIRES: training
// --depth-prune rejects options it cannot honour and models it cannot cut
// with one clear error each.
//
// RUN: not tinyprune-opt %s --split-input-file --depth-prune="head=abc" 2>&1 | FileCheck %s --check-prefix=HEAD
// HEAD: error: depth-prune: head must be 'dense' or comma-separated widths in [1, 4096], got 'abc'
// RUN: not tinyprune-opt %s --split-input-file --depth-prune="head=32,0" 2>&1 | FileCheck %s --check-prefix=HEAD0
// HEAD0: error: depth-prune: head must be 'dense' or comma-separated widths in [1, 4096], got '32,0'
// RUN: not tinyprune-opt %s --split-input-file --depth-prune="cut=auto" 2>&1 | FileCheck %s --check-prefix=AUTO
// AUTO: error: depth-prune: cut=auto needs max-accuracy-drop or a budget (flash-budget, ram-budget, latency-budget)
// RUN: not tinyprune-opt %s --split-input-file --depth-prune="cut=c1 max-accuracy-drop=1" 2>&1 | FileCheck %s --check-prefix=BOUNDS
// BOUNDS: error: depth-prune: max-accuracy-drop and the budgets choose the cut: they need cut=auto
// RUN: not tinyprune-opt %s --split-input-file --depth-prune="flash-budget=12x" 2>&1 | FileCheck %s --check-prefix=FLASH
// FLASH: error: depth-prune: flash-budget must be a positive byte count (suffix K or M), got '12x'
// RUN: not tinyprune-opt %s --split-input-file --depth-prune="cut=auto latency-budget=fast" 2>&1 | FileCheck %s --check-prefix=LATENCY
// LATENCY: error: depth-prune: latency-budget must be a positive instruction count (suffix k or M, or end with 'macs'), got 'fast'
// RUN: not tinyprune-opt %s --split-input-file --depth-prune="curve=true" 2>&1 | FileCheck %s --check-prefix=CURVE
// CURVE: error: depth-prune: curve and bisect need cut=auto
// RUN: not tinyprune-opt %s --split-input-file --depth-prune="candidates-dir=%t" 2>&1 | FileCheck %s --check-prefix=CANDS
// CANDS: error: depth-prune: candidates-dir needs cut=auto
// RUN: not tinyprune-opt %s --split-input-file --depth-prune="cut=auto max-accuracy-drop=1 calibration=x.npy candidates-dir=%t.none" 2>&1 | FileCheck %s --check-prefix=CANDSDIR
// CANDSDIR: error: depth-prune: candidates-dir '{{.*}}.none' is not a directory
// RUN: not tinyprune-opt %s --split-input-file --depth-prune="train-base=true" 2>&1 | FileCheck %s --check-prefix=BASE
// BASE: error: depth-prune: train-base needs a cut
// RUN: not tinyprune-opt %s --split-input-file --depth-prune="cut=c1 calibration=x.npy validation-split=1" 2>&1 | FileCheck %s --check-prefix=SPLIT
// SPLIT: error: depth-prune: validation-split must be in (0, 1), got 1
// RUN: not tinyprune-opt %s --split-input-file --depth-prune="cut=c1 calibration=x.npy epochs=0" 2>&1 | FileCheck %s --check-prefix=EPOCHS
// EPOCHS: error: depth-prune: need epochs >= 1, qat-epochs >= 0, batch-size >= 1 and learning-rate > 0
// RUN: not tinyprune-opt %s --split-input-file --depth-prune="cut=c1" 2>&1 | FileCheck %s --check-prefix=DATA
// DATA: error: depth-prune: training the head needs calibration=<samples>
//
// A cut point that does not exist: the error lists the ones that do.
// RUN: not tinyprune-opt %s --split-input-file --depth-prune="cut=c3 calibration=x.npy" 2>&1 | FileCheck %s --check-prefix=NAME
// NAME: error: depth-prune: no cut point named 'c3' (nor an index below 2); the cut points are: c1, c2
// RUN: not tinyprune-opt %s --split-input-file --depth-prune="cut=2 calibration=x.npy" 2>&1 | FileCheck %s --check-prefix=INDEX
// INDEX: error: depth-prune: no cut point named '2' (nor an index below 2); the cut points are: c1, c2
//
// No cut point within the budgets: the error names the smallest.
// RUN: not tinyprune-opt %s --split-input-file --depth-prune="cut=auto flash-budget=100 calibration=x.npy" 2>&1 | FileCheck %s --check-prefix=FIT
// FIT: error: depth-prune: no cut point fits the budgets; the smallest is 'c1' with {{[0-9]+}} flash bytes, {{[0-9]+}} arena bytes, {{[0-9]+}} instructions, {{[0-9]+}} MACs
//
// Missing data.
// RUN: not tinyprune-opt %s --split-input-file --depth-prune="cut=c1 calibration=%t.missing.npy" 2>&1 | FileCheck %s --check-prefix=MISSING
// MISSING: error: depth-prune: {{.*}}missing.npy
//
// Models it cannot cut: the second split's model is not a classifier,
// the third has a TOSA convolution, the fourth no cut point.
// RUN: not tinyprune-opt %s --split-input-file --depth-prune 2>&1 | FileCheck %s --check-prefix=MODEL
// MODEL: error: depth-prune: needs a classifier: an output of shape [1, classes], got 'tensor<1x4x4x8xf32>'
// MODEL: error: depth-prune: cuts layer ops, but this convolution is a TOSA chain; run --tinyprune-raise-to-layers first
// MODEL: error: depth-prune: the model has no cut point (a tensor after an activation that every path passes through)

func.func @chain(%x: tensor<1x4x4x2xf32>) -> tensor<1x3xf32> {
  %w1 = "tosa.const"() <{values = dense<0.5> : tensor<8x1x1x2xf32>}> : () -> tensor<8x1x1x2xf32>
  %w2 = "tosa.const"() <{values = dense<0.25> : tensor<8x1x1x8xf32>}> : () -> tensor<8x1x1x8xf32>
  %b = "tosa.const"() <{values = dense<0.0> : tensor<8xf32>}> : () -> tensor<8xf32>
  %c1 = tinyprune.conv2d %x, %w1, %b {dilation = array<i64: 1, 1>, max_val = 0x7F800000 : f32, min_val = 0.0 : f32, pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>} : (tensor<1x4x4x2xf32>, tensor<8x1x1x2xf32>, tensor<8xf32>) -> tensor<1x4x4x8xf32> loc("c1")
  %c2 = tinyprune.conv2d %c1, %w2, %b {dilation = array<i64: 1, 1>, max_val = 6.0 : f32, min_val = 0.0 : f32, pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>} : (tensor<1x4x4x8xf32>, tensor<8x1x1x8xf32>, tensor<8xf32>) -> tensor<1x4x4x8xf32> loc("c2")
  %zp = "tosa.const"() <{values = dense<0.0> : tensor<1xf32>}> : () -> tensor<1xf32>
  %p = tosa.avg_pool2d %c2, %zp, %zp {acc_type = f32, kernel = array<i64: 4, 4>, pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>} : (tensor<1x4x4x8xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x1x1x8xf32>
  %wf = "tosa.const"() <{values = dense<0.1> : tensor<3x1x1x8xf32>}> : () -> tensor<3x1x1x8xf32>
  %bf = "tosa.const"() <{values = dense<0.0> : tensor<3xf32>}> : () -> tensor<3xf32>
  %f = tinyprune.conv2d %p, %wf, %bf {dilation = array<i64: 1, 1>, max_val = 0x7F800000 : f32, min_val = 0xFF800000 : f32, pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>} : (tensor<1x1x1x8xf32>, tensor<3x1x1x8xf32>, tensor<3xf32>) -> tensor<1x1x1x3xf32> loc("fc")
  %s = tosa.const_shape {values = dense<[1, 3]> : tensor<2xindex>} : () -> !tosa.shape<2>
  %r = tosa.reshape %f, %s : (tensor<1x1x1x3xf32>, !tosa.shape<2>) -> tensor<1x3xf32>
  return %r : tensor<1x3xf32>
}

// -----

func.func @features(%x: tensor<1x4x4x2xf32>) -> tensor<1x4x4x8xf32> {
  %w1 = "tosa.const"() <{values = dense<0.5> : tensor<8x1x1x2xf32>}> : () -> tensor<8x1x1x2xf32>
  %b = "tosa.const"() <{values = dense<0.0> : tensor<8xf32>}> : () -> tensor<8xf32>
  %c1 = tinyprune.conv2d %x, %w1, %b {dilation = array<i64: 1, 1>, max_val = 0x7F800000 : f32, min_val = 0.0 : f32, pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>} : (tensor<1x4x4x2xf32>, tensor<8x1x1x2xf32>, tensor<8xf32>) -> tensor<1x4x4x8xf32>
  return %c1 : tensor<1x4x4x8xf32>
}

// -----

func.func @tosa(%x: tensor<1x4x4x2xf32>) -> tensor<1x4x4x8xf32> {
  %w1 = "tosa.const"() <{values = dense<0.5> : tensor<8x1x1x2xf32>}> : () -> tensor<8x1x1x2xf32>
  %b = "tosa.const"() <{values = dense<0.0> : tensor<8xf32>}> : () -> tensor<8xf32>
  %zp = "tosa.const"() <{values = dense<0.0> : tensor<1xf32>}> : () -> tensor<1xf32>
  %c = tosa.conv2d %x, %w1, %b, %zp, %zp {acc_type = f32, dilation = array<i64: 1, 1>, pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>} : (tensor<1x4x4x2xf32>, tensor<8x1x1x2xf32>, tensor<8xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x4x4x8xf32>
  return %c : tensor<1x4x4x8xf32>
}

// -----

func.func @linear(%x: tensor<1x4x4x2xf32>) -> tensor<1x3xf32> {
  %zp = "tosa.const"() <{values = dense<0.0> : tensor<1xf32>}> : () -> tensor<1xf32>
  %p = tosa.avg_pool2d %x, %zp, %zp {acc_type = f32, kernel = array<i64: 4, 4>, pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>} : (tensor<1x4x4x2xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x1x1x2xf32>
  %wf = "tosa.const"() <{values = dense<0.1> : tensor<3x1x1x2xf32>}> : () -> tensor<3x1x1x2xf32>
  %bf = "tosa.const"() <{values = dense<0.0> : tensor<3xf32>}> : () -> tensor<3xf32>
  %f = tinyprune.conv2d %p, %wf, %bf {dilation = array<i64: 1, 1>, max_val = 0x7F800000 : f32, min_val = 0xFF800000 : f32, pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>} : (tensor<1x1x1x2xf32>, tensor<3x1x1x2xf32>, tensor<3xf32>) -> tensor<1x1x1x3xf32> loc("fc")
  %s = tosa.const_shape {values = dense<[1, 3]> : tensor<2xindex>} : () -> !tosa.shape<2>
  %r = tosa.reshape %f, %s : (tensor<1x1x1x3xf32>, !tosa.shape<2>) -> tensor<1x3xf32>
  return %r : tensor<1x3xf32>
}
