// Layer ops (TinyPruneLayers.td) print and parse back unchanged, in the
// custom and in the generic form.
// RUN: tinyprune-opt %s -split-input-file | tinyprune-opt -split-input-file | FileCheck %s
// RUN: tinyprune-opt %s -split-input-file --mlir-print-op-generic | tinyprune-opt -split-input-file | FileCheck %s

// CHECK-LABEL: func.func @conv2d_int8(
// CHECK: tinyprune.conv2d %{{.*}}, %{{.*}}, %{{.*}} {dilation = array<i64: 1, 1>, input_quant = #tinyprune.quant<scale = 0.5, zero_point = -1>, max_val = 127 : i8, min_val = 3 : i8, multiplier = array<i32: 1073741824, 1073741824>, output_quant = #tinyprune.quant<scale = 0.25, zero_point = 3>, pad = array<i64: 1, 1, 1, 1>, shift = array<i8: 38, 37>, stride = array<i64: 1, 1>, weight_quant = #tinyprune.quant<axis = 0, scale = [0.00999999978, 0.0199999996], zero_point = [0, 0]>} : (tensor<1x8x8x4xi8>, tensor<2x3x3x4xi8>, tensor<2xi32>) -> tensor<1x8x8x2xi8>
func.func @conv2d_int8(%x: tensor<1x8x8x4xi8>, %w: tensor<2x3x3x4xi8>, %b: tensor<2xi32>) -> tensor<1x8x8x2xi8> {
  %y = tinyprune.conv2d %x, %w, %b {
      pad = array<i64: 1, 1, 1, 1>, stride = array<i64: 1, 1>,
      dilation = array<i64: 1, 1>, min_val = 3 : i8, max_val = 127 : i8,
      input_quant = #tinyprune.quant<scale = 0.5, zero_point = -1>,
      weight_quant = #tinyprune.quant<axis = 0, scale = [0.01, 0.02], zero_point = [0, 0]>,
      output_quant = #tinyprune.quant<scale = 0.25, zero_point = 3>,
      multiplier = array<i32: 1073741824, 1073741824>,
      shift = array<i8: 38, 37>}
    : (tensor<1x8x8x4xi8>, tensor<2x3x3x4xi8>, tensor<2xi32>) -> tensor<1x8x8x2xi8>
  return %y : tensor<1x8x8x2xi8>
}

// -----

// A pruned float layer keeps its filterlets as an inherent attribute.
// CHECK-LABEL: func.func @conv2d_float_filterlets(
// CHECK: tinyprune.conv2d %{{.*}}, %{{.*}}, %{{.*}} {dilation = array<i64: 2, 2>, filterlets = #tinyprune.filterlets<block = 2, kept = {{\[\[}}1], [0]]>, max_val = 6.000000e+00 : f32, min_val = 0.000000e+00 : f32, pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>} : (tensor<1x4x4x4xf32>, tensor<2x1x1x4xf32>, tensor<2xf32>) -> tensor<1x4x4x2xf32>
func.func @conv2d_float_filterlets(%x: tensor<1x4x4x4xf32>, %b: tensor<2xf32>) -> tensor<1x4x4x2xf32> {
  %w = "tosa.const"() <{values = dense<[[[[0.0, 0.0, 1.0, 2.0]]], [[[3.0, 4.0, 0.0, 0.0]]]]> : tensor<2x1x1x4xf32>}> : () -> tensor<2x1x1x4xf32>
  %y = tinyprune.conv2d %x, %w, %b {
      pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>,
      dilation = array<i64: 2, 2>, min_val = 0.0 : f32, max_val = 6.0 : f32,
      filterlets = #tinyprune.filterlets<block = 2, kept = [[1], [0]]>}
    : (tensor<1x4x4x4xf32>, tensor<2x1x1x4xf32>, tensor<2xf32>) -> tensor<1x4x4x2xf32>
  return %y : tensor<1x4x4x2xf32>
}

// -----

// CHECK-LABEL: func.func @depthwise_conv2d_int8(
// CHECK: tinyprune.depthwise_conv2d %{{.*}}, %{{.*}}, %{{.*}} {dilation = array<i64: 1, 1>, input_quant = #tinyprune.quant<scale = 0.5, zero_point = 0>, max_val = 127 : i8, min_val = -128 : i8, multiplier = array<i32: 1073741824>, output_quant = #tinyprune.quant<scale = 1.0, zero_point = -5>, pad = array<i64: 0, 0, 0, 0>, shift = array<i8: 35>, stride = array<i64: 2, 2>, weight_quant = #tinyprune.quant<scale = 0.125, zero_point = 0>} : (tensor<1x5x5x2xi8>, tensor<3x3x2x2xi8>, tensor<4xi32>) -> tensor<1x2x2x4xi8>
func.func @depthwise_conv2d_int8(%x: tensor<1x5x5x2xi8>, %w: tensor<3x3x2x2xi8>, %b: tensor<4xi32>) -> tensor<1x2x2x4xi8> {
  %y = tinyprune.depthwise_conv2d %x, %w, %b {
      pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 2, 2>,
      dilation = array<i64: 1, 1>, min_val = -128 : i8, max_val = 127 : i8,
      input_quant = #tinyprune.quant<scale = 0.5, zero_point = 0>,
      weight_quant = #tinyprune.quant<scale = 0.125, zero_point = 0>,
      output_quant = #tinyprune.quant<scale = 1.0, zero_point = -5>,
      multiplier = array<i32: 1073741824>, shift = array<i8: 35>}
    : (tensor<1x5x5x2xi8>, tensor<3x3x2x2xi8>, tensor<4xi32>) -> tensor<1x2x2x4xi8>
  return %y : tensor<1x2x2x4xi8>
}

// -----

// CHECK-LABEL: func.func @add_int8(
// CHECK: tinyprune.add %{{.*}}, %{{.*}} {left_shift = 20 : i64, lhs_multiplier = 1073741824 : i32, lhs_quant = #tinyprune.quant<scale = 0.5, zero_point = 1>, lhs_shift = 31 : i8, max_val = 127 : i8, min_val = 0 : i8, output_multiplier = 1073741824 : i32, output_quant = #tinyprune.quant<scale = 1.0, zero_point = 0>, output_shift = 50 : i8, rhs_multiplier = 1073741824 : i32, rhs_quant = #tinyprune.quant<scale = 0.5, zero_point = 2>, rhs_shift = 31 : i8} : (tensor<1x4x4x2xi8>, tensor<1x1x1x2xi8>) -> tensor<1x4x4x2xi8>
func.func @add_int8(%a: tensor<1x4x4x2xi8>, %b: tensor<1x1x1x2xi8>) -> tensor<1x4x4x2xi8> {
  %y = tinyprune.add %a, %b {
      min_val = 0 : i8, max_val = 127 : i8,
      lhs_quant = #tinyprune.quant<scale = 0.5, zero_point = 1>,
      rhs_quant = #tinyprune.quant<scale = 0.5, zero_point = 2>,
      output_quant = #tinyprune.quant<scale = 1.0, zero_point = 0>,
      left_shift = 20 : i64,
      lhs_multiplier = 1073741824 : i32, lhs_shift = 31 : i8,
      rhs_multiplier = 1073741824 : i32, rhs_shift = 31 : i8,
      output_multiplier = 1073741824 : i32, output_shift = 50 : i8}
    : (tensor<1x4x4x2xi8>, tensor<1x1x1x2xi8>) -> tensor<1x4x4x2xi8>
  return %y : tensor<1x4x4x2xi8>
}

// -----

// CHECK-LABEL: func.func @sub_float(
// CHECK: tinyprune.sub %{{.*}}, %{{.*}} {max_val = 0x7F800000 : f32, min_val = 0xFF800000 : f32} : (tensor<2x3xf32>, tensor<2x3xf32>) -> tensor<2x3xf32>
func.func @sub_float(%a: tensor<2x3xf32>, %b: tensor<2x3xf32>) -> tensor<2x3xf32> {
  %y = tinyprune.sub %a, %b {min_val = 0xFF800000 : f32, max_val = 0x7F800000 : f32}
    : (tensor<2x3xf32>, tensor<2x3xf32>) -> tensor<2x3xf32>
  return %y : tensor<2x3xf32>
}

// -----

// CHECK-LABEL: func.func @mul_int8(
// CHECK: tinyprune.mul %{{.*}}, %{{.*}} {lhs_quant = #tinyprune.quant<scale = 0.5, zero_point = 1>, max_val = 127 : i8, min_val = -128 : i8, output_multiplier = 1073741824 : i32, output_quant = #tinyprune.quant<scale = 0.25, zero_point = -3>, output_shift = 30 : i8, rhs_quant = #tinyprune.quant<scale = 0.5, zero_point = 0>} : (tensor<8xi8>, tensor<8xi8>) -> tensor<8xi8>
func.func @mul_int8(%a: tensor<8xi8>, %b: tensor<8xi8>) -> tensor<8xi8> {
  %y = tinyprune.mul %a, %b {
      min_val = -128 : i8, max_val = 127 : i8,
      lhs_quant = #tinyprune.quant<scale = 0.5, zero_point = 1>,
      rhs_quant = #tinyprune.quant<scale = 0.5, zero_point = 0>,
      output_quant = #tinyprune.quant<scale = 0.25, zero_point = -3>,
      output_multiplier = 1073741824 : i32, output_shift = 30 : i8}
    : (tensor<8xi8>, tensor<8xi8>) -> tensor<8xi8>
  return %y : tensor<8xi8>
}

// -----

// CHECK-LABEL: func.func @mul_float(
// CHECK: tinyprune.mul %{{.*}}, %{{.*}} {max_val = 1.000000e+00 : f32, min_val = -1.000000e+00 : f32} : (tensor<8xf32>, tensor<8xf32>) -> tensor<8xf32>
func.func @mul_float(%a: tensor<8xf32>, %b: tensor<8xf32>) -> tensor<8xf32> {
  %y = tinyprune.mul %a, %b {min_val = -1.0 : f32, max_val = 1.0 : f32}
    : (tensor<8xf32>, tensor<8xf32>) -> tensor<8xf32>
  return %y : tensor<8xf32>
}

// -----

// CHECK-LABEL: func.func @max_pool2d_int8(
// CHECK: tinyprune.max_pool2d %{{.*}} {kernel = array<i64: 2, 2>, max_val = 100 : i8, min_val = -128 : i8, pad = array<i64: 0, 1, 0, 1>, quant = #tinyprune.quant<scale = 0.5, zero_point = -128>, stride = array<i64: 2, 2>} : (tensor<1x5x5x3xi8>) -> tensor<1x3x3x3xi8>
func.func @max_pool2d_int8(%x: tensor<1x5x5x3xi8>) -> tensor<1x3x3x3xi8> {
  %y = tinyprune.max_pool2d %x {
      kernel = array<i64: 2, 2>, stride = array<i64: 2, 2>,
      pad = array<i64: 0, 1, 0, 1>, min_val = -128 : i8, max_val = 100 : i8,
      quant = #tinyprune.quant<scale = 0.5, zero_point = -128>}
    : (tensor<1x5x5x3xi8>) -> tensor<1x3x3x3xi8>
  return %y : tensor<1x3x3x3xi8>
}

// -----

// CHECK-LABEL: func.func @max_pool2d_float(
// CHECK: tinyprune.max_pool2d %{{.*}} {kernel = array<i64: 3, 3>, max_val = 6.000000e+00 : f32, min_val = 0.000000e+00 : f32, pad = array<i64: 1, 1, 1, 1>, stride = array<i64: 1, 1>} : (tensor<1x4x4x1xf32>) -> tensor<1x4x4x1xf32>
func.func @max_pool2d_float(%x: tensor<1x4x4x1xf32>) -> tensor<1x4x4x1xf32> {
  %y = tinyprune.max_pool2d %x {
      kernel = array<i64: 3, 3>, stride = array<i64: 1, 1>,
      pad = array<i64: 1, 1, 1, 1>, min_val = 0.0 : f32, max_val = 6.0 : f32}
    : (tensor<1x4x4x1xf32>) -> tensor<1x4x4x1xf32>
  return %y : tensor<1x4x4x1xf32>
}

// -----

// CHECK-LABEL: func.func @requantize(
// CHECK: tinyprune.requantize %{{.*}} {input_quant = #tinyprune.quant<scale = 0.5, zero_point = 4>, max_val = 127 : i8, min_val = -3 : i8, multiplier = 1073741824 : i32, output_quant = #tinyprune.quant<scale = 0.25, zero_point = -3>, shift = 29 : i8} : (tensor<1x16xi8>) -> tensor<1x16xi8>
func.func @requantize(%x: tensor<1x16xi8>) -> tensor<1x16xi8> {
  %y = tinyprune.requantize %x {
      min_val = -3 : i8, max_val = 127 : i8,
      input_quant = #tinyprune.quant<scale = 0.5, zero_point = 4>,
      output_quant = #tinyprune.quant<scale = 0.25, zero_point = -3>,
      multiplier = 1073741824 : i32, shift = 29 : i8}
    : (tensor<1x16xi8>) -> tensor<1x16xi8>
  return %y : tensor<1x16xi8>
}
