// --channel-prune rejects options it cannot honour, budgets it cannot
// reach and models it cannot prune with one clear error each.
// RUN: not tinyprune-opt %s --split-input-file --channel-prune="ratio=1.0" 2>&1 | FileCheck %s --check-prefix=RATIO
// RATIO: error: channel-prune: ratio must be in [0, 1), got 1
// RUN: not tinyprune-opt %s --split-input-file --channel-prune="max-group-ratio=0" 2>&1 | FileCheck %s --check-prefix=GROUP
// GROUP: error: channel-prune: max-group-ratio must be in (0, 1], got 0
// RUN: not tinyprune-opt %s --split-input-file --channel-prune="ratio=0.5 ram-budget=8" 2>&1 | FileCheck %s --check-prefix=BOTH
// BOTH: error: channel-prune: give ratio or budgets, not both
// RUN: not tinyprune-opt %s --split-input-file --channel-prune="ram-budget=8 target=none" 2>&1 | FileCheck %s --check-prefix=NOCORE
// NOCORE: error: channel-prune: a budget needs a target core, not target=none
// RUN: not tinyprune-opt %s --split-input-file --channel-prune="ram-budget=lots" 2>&1 | FileCheck %s --check-prefix=SYNTAX
// SYNTAX: error: channel-prune: ram-budget 'lots' is not a positive byte count (like 48000, 48K or 1M)
// RUN: not tinyprune-opt %s --split-input-file --channel-prune="latency-budget=-5" 2>&1 | FileCheck %s --check-prefix=LATENCY
// LATENCY: error: channel-prune: latency-budget '-5' is not a positive instruction count (like 12000000 or 12M) or MAC count (like 3Mmacs)
// RUN: not tinyprune-opt %s --split-input-file --channel-prune="epochs=2" 2>&1 | FileCheck %s --check-prefix=EPOCHS
// EPOCHS: error: channel-prune: epochs > 0 needs calibration=<training samples>
// RUN: not tinyprune-opt %s --split-input-file --channel-prune="labels=y.npy" 2>&1 | FileCheck %s --check-prefix=LABELS
// LABELS: error: channel-prune: labels are for training: give epochs, final-epochs or gate-epochs too
// RUN: not tinyprune-opt %s --split-input-file --channel-prune="labels=y.npy final-epochs=0" 2>&1 | FileCheck %s --check-prefix=LABELS
// RUN: not tinyprune-opt %s --split-input-file --channel-prune="ram-budget=8 steps=2 final-epochs=-2" 2>&1 | FileCheck %s --check-prefix=FINALNEG
// FINALNEG: error: channel-prune: final-epochs must be at least -1 (-1: epochs), got -2
// RUN: not tinyprune-opt %s --split-input-file --channel-prune="ram-budget=8 steps=2 final-epochs=3" 2>&1 | FileCheck %s --check-prefix=FINALDATA
// FINALDATA: error: channel-prune: final-epochs: epochs > 0 needs calibration=<training samples>
// RUN: not tinyprune-opt %s --split-input-file --channel-prune="gate-epochs=2" 2>&1 | FileCheck %s --check-prefix=GATES
// GATES: error: channel-prune: gate-epochs needs calibration=<training samples>
// RUN: not tinyprune-opt %s --split-input-file --channel-prune="gate-epochs=-1" 2>&1 | FileCheck %s --check-prefix=GATENEG
// GATENEG: error: channel-prune: gate-epochs must be at least 0, got -1
// RUN: not tinyprune-opt %s --split-input-file --channel-prune="gate-epochs=1 gate-learning-rate=0 calibration=x.npy" 2>&1 | FileCheck %s --check-prefix=GATELR
// GATELR: error: channel-prune: gate-learning-rate must be positive, got 0
// RUN: not tinyprune-opt %s --split-input-file --channel-prune="ram-budget=8 steps=0" 2>&1 | FileCheck %s --check-prefix=STEPS
// STEPS: error: channel-prune: steps must be at least 1, got 0
// RUN: not tinyprune-opt %s --split-input-file --channel-prune="ratio=0.3 steps=2" 2>&1 | FileCheck %s --check-prefix=STEPSRATIO
// STEPSRATIO: error: channel-prune: steps > 1 needs a budget (ram-budget, flash-budget or latency-budget)
// RUN: not tinyprune-opt %s --split-input-file --channel-prune="calibration=%t.missing.npy" 2>&1 | FileCheck %s --check-prefix=CALIB
// CALIB: error: channel-prune: calibration: {{.*}}missing.npy
//
// Budgets out of reach name each budget and the least the model reaches
// with every removable channel gone.
// RUN: not tinyprune-opt %s --split-input-file --channel-prune="ram-budget=2" 2>&1 | FileCheck %s --check-prefix=REACH
// REACH: error: channel-prune: out of reach: ram-budget 2: the arena takes 4 bytes with every removable channel removed (at most 0.9 of each group, see max-group-ratio)
// In steps, the first step already checks the budget asked for.
// RUN: not tinyprune-opt %s --split-input-file --channel-prune="ram-budget=2 steps=3" 2>&1 | FileCheck %s --check-prefix=REACH
// RUN: not tinyprune-opt %s --split-input-file --channel-prune="flash-budget=10 latency-budget=10macs" 2>&1 | FileCheck %s --check-prefix=REACH2
// REACH2: error: channel-prune: out of reach: flash-budget 10: the constants take 46 bytes; latency-budget 10: an inference takes 16 MACs with every removable channel removed

func.func @main(%x: tensor<1x2x2x2xi8> {tinyprune.quant = #tinyprune.quant<scale = 0.05, zero_point = 0>}) -> (tensor<1x2xi8> {tinyprune.quant = #tinyprune.quant<scale = 0.1, zero_point = 3>}) {
  %w = "tosa.const"() <{values = dense<[[[[10, -20]]], [[[0, 0]]], [[[30, 5]]]]> : tensor<3x1x1x2xi8>}> : () -> tensor<3x1x1x2xi8>
  %b = "tosa.const"() <{values = dense<[100, 0, -50]> : tensor<3xi32>}> : () -> tensor<3xi32>
  %y = tinyprune.conv2d %x, %w, %b {pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>, dilation = array<i64: 1, 1>, min_val = 0 : i8, max_val = 127 : i8, input_quant = #tinyprune.quant<scale = 0.05, zero_point = 0>, weight_quant = #tinyprune.quant<axis = 0, scale = [0.01, 0.02, 0.03], zero_point = [0, 0, 0]>, output_quant = #tinyprune.quant<scale = 0.02, zero_point = 0>, multiplier = array<i32: 1073741824, 1288490189, 1610612736>, shift = array<i8: 32, 33, 32>} : (tensor<1x2x2x2xi8>, tensor<3x1x1x2xi8>, tensor<3xi32>) -> tensor<1x2x2x3xi8> loc("conv")
  %s1 = tosa.const_shape {values = dense<[1, 12]> : tensor<2xindex>} : () -> !tosa.shape<2>
  %f = tosa.reshape %y, %s1 : (tensor<1x2x2x3xi8>, !tosa.shape<2>) -> tensor<1x12xi8>
  %s2 = tosa.const_shape {values = dense<[1, 1, 1, 12]> : tensor<4xindex>} : () -> !tosa.shape<4>
  %f4 = tosa.reshape %f, %s2 : (tensor<1x12xi8>, !tosa.shape<4>) -> tensor<1x1x1x12xi8>
  %fw = "tosa.const"() <{values = dense<[[[[1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]]], [[[-1, -2, -3, -4, -5, -6, -7, -8, -9, -10, -11, -12]]]]> : tensor<2x1x1x12xi8>}> : () -> tensor<2x1x1x12xi8>
  %fb = "tosa.const"() <{values = dense<[7, -7]> : tensor<2xi32>}> : () -> tensor<2xi32>
  %z = tinyprune.conv2d %f4, %fw, %fb {pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>, dilation = array<i64: 1, 1>, min_val = -128 : i8, max_val = 127 : i8, input_quant = #tinyprune.quant<scale = 0.02, zero_point = 0>, weight_quant = #tinyprune.quant<axis = 0, scale = [0.01, 0.01], zero_point = [0, 0]>, output_quant = #tinyprune.quant<scale = 0.1, zero_point = 3>, multiplier = array<i32: 1073741824>, shift = array<i8: 40>} : (tensor<1x1x1x12xi8>, tensor<2x1x1x12xi8>, tensor<2xi32>) -> tensor<1x1x1x2xi8> loc("fc")
  %s3 = tosa.const_shape {values = dense<[1, 2]> : tensor<2xindex>} : () -> !tosa.shape<2>
  %r = tosa.reshape %z, %s3 : (tensor<1x1x1x2xi8>, !tosa.shape<2>) -> tensor<1x2xi8>
  return %r : tensor<1x2xi8>
}

// -----

// A convolution still a TOSA chain: the pass names the raising pass.
// RUN: not tinyprune-opt %s --split-input-file --channel-prune="ratio=0.5" 2>&1 | FileCheck %s --check-prefix=RAISE
// RAISE: error: channel-prune: prunes layer ops, but this convolution is a TOSA chain; run --tinyprune-raise-to-layers first
func.func @tosa(%x: tensor<1x1x1x1xf32>, %w: tensor<1x1x1x1xf32>, %b: tensor<1xf32>) -> tensor<1x1x1x1xf32> {
  %zp = "tosa.const"() <{values = dense<0.0> : tensor<1xf32>}> : () -> tensor<1xf32>
  %y = tosa.conv2d %x, %w, %b, %zp, %zp {acc_type = f32, dilation = array<i64: 1, 1>, pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>} : (tensor<1x1x1x1xf32>, tensor<1x1x1x1xf32>, tensor<1xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x1x1x1xf32>
  return %y : tensor<1x1x1x1xf32>
}
