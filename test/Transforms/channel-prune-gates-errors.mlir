// Gate training reads its samples: a missing file is one error naming it
// (a build without LibTorch reports that it has no training first).
//
// REQUIRES: training
// RUN: not tinyprune-opt %s --split-input-file --channel-prune="gate-epochs=1 calibration=%t.missing.npy labels=y.npy" 2>&1 | FileCheck %s --check-prefix=GATEDATA
// GATEDATA: error: channel-prune: gates: {{.*}}missing.npy

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
