// --tinyprune-lower-layers-to-tosa expands each layer op into the chain the
// importer writes for its TFLite layer: valid TOSA, the output quantization
// on the chain's last op.
// RUN: tinyprune-opt %s -split-input-file --tinyprune-lower-layers-to-tosa | FileCheck %s
// RUN: tinyprune-opt %s -split-input-file --tinyprune-lower-layers-to-tosa --tosa-attach-target="profiles=pro_int,pro_fp extensions=doubleround level=none" --tosa-validate -o /dev/null

// An int8 convolution: the i32 convolution from the input zero point, the
// per-channel rescale to the output zero point, the ReLU clamp, which states
// the output quantization.
// CHECK-LABEL: func.func @lower_conv2d_int8(
// CHECK-SAME: %[[ARG0:[^:]*]]: tensor<1x5x5x3xi8>
// CHECK-SAME: %[[ARG1:[^:]*]]: tensor<2x3x3x3xi8>
// CHECK-SAME: %[[ARG2:[^:]*]]: tensor<2xi32>
// CHECK: %[[V0:.*]] = "tosa.const"() <{values = dense<-3> : tensor<1xi8>}> : () -> tensor<1xi8>
// CHECK-NEXT: %[[V1:.*]] = "tosa.const"() <{values = dense<0> : tensor<1xi8>}> : () -> tensor<1xi8>
// CHECK-NEXT: %[[V2:.*]] = tosa.conv2d %[[ARG0]], %[[ARG1]], %[[ARG2]], %[[V0]], %[[V1]] {acc_type = i32, dilation = array<i64: 1, 1>, pad = array<i64: 1, 1, 1, 1>, stride = array<i64: 1, 1>} : (tensor<1x5x5x3xi8>, tensor<2x3x3x3xi8>, tensor<2xi32>, tensor<1xi8>, tensor<1xi8>) -> tensor<1x5x5x2xi32>
// CHECK-NEXT: %[[V3:.*]] = "tosa.const"() <{values = dense<1374389504> : tensor<2xi32>}> : () -> tensor<2xi32>
// CHECK-NEXT: %[[V4:.*]] = "tosa.const"() <{values = dense<[36, 35]> : tensor<2xi8>}> : () -> tensor<2xi8>
// CHECK-NEXT: %[[V5:.*]] = "tosa.const"() <{values = dense<0> : tensor<1xi32>}> : () -> tensor<1xi32>
// CHECK-NEXT: %[[V6:.*]] = "tosa.const"() <{values = dense<1> : tensor<1xi8>}> : () -> tensor<1xi8>
// CHECK-NEXT: %[[V7:.*]] = tosa.rescale %[[V2]], %[[V3]], %[[V4]], %[[V5]], %[[V6]] {input_unsigned = false, output_unsigned = false, per_channel = true, rounding_mode = DOUBLE_ROUND, scale32 = true} : (tensor<1x5x5x2xi32>, tensor<2xi32>, tensor<2xi8>, tensor<1xi32>, tensor<1xi8>) -> tensor<1x5x5x2xi8>
// CHECK-NEXT: %[[V8:.*]] = tosa.clamp %[[V7]] {max_val = 127 : i8, min_val = 1 : i8, tinyprune.quant = #tinyprune.quant<scale = 0.25, zero_point = 1>} : (tensor<1x5x5x2xi8>) -> tensor<1x5x5x2xi8>
// CHECK-NEXT: return %[[V8]] : tensor<1x5x5x2xi8>
func.func @lower_conv2d_int8(%x: tensor<1x5x5x3xi8>, %w: tensor<2x3x3x3xi8>, %b: tensor<2xi32>) -> tensor<1x5x5x2xi8> {
  %y = tinyprune.conv2d %x, %w, %b {dilation = array<i64: 1, 1>, input_quant = #tinyprune.quant<scale = 0.5, zero_point = -3>, max_val = 127 : i8, min_val = 1 : i8, multiplier = array<i32: 1374389504, 1374389504>, output_quant = #tinyprune.quant<scale = 0.25, zero_point = 1>, pad = array<i64: 1, 1, 1, 1>, shift = array<i8: 36, 35>, stride = array<i64: 1, 1>, weight_quant = #tinyprune.quant<axis = 0, scale = [0.01, 0.02], zero_point = [0, 0]>} : (tensor<1x5x5x3xi8>, tensor<2x3x3x3xi8>, tensor<2xi32>) -> tensor<1x5x5x2xi8>
  return %y : tensor<1x5x5x2xi8>
}

// -----

// A float convolution keeps its filterlets as tosa.conv2d's
// tinyprune.filterlets; bounds of +-infinity need no clamp.
// CHECK-LABEL: func.func @lower_conv2d_float_filterlets(
// CHECK-SAME: %[[ARG0:[^:]*]]: tensor<1x2x2x4xf32>
// CHECK-SAME: %[[ARG1:[^:]*]]: tensor<2xf32>
// CHECK: %[[V0:.*]] = "tosa.const"() <{values = dense<{{.*}}> : tensor<2x1x1x4xf32>}> : () -> tensor<2x1x1x4xf32>
// CHECK-NEXT: %[[V1:.*]] = "tosa.const"() <{values = dense<0.000000e+00> : tensor<1xf32>}> : () -> tensor<1xf32>
// CHECK-NEXT: %[[V2:.*]] = "tosa.const"() <{values = dense<0.000000e+00> : tensor<1xf32>}> : () -> tensor<1xf32>
// CHECK-NEXT: %[[V3:.*]] = tosa.conv2d %[[ARG0]], %[[V0]], %[[ARG1]], %[[V1]], %[[V2]] {acc_type = f32, dilation = array<i64: 1, 1>, pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>, tinyprune.filterlets = #tinyprune.filterlets<block = 2, kept = {{\[\[}}1], [0, 1]]>} : (tensor<1x2x2x4xf32>, tensor<2x1x1x4xf32>, tensor<2xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x2x2x2xf32>
// CHECK-NEXT: return %[[V3]] : tensor<1x2x2x2xf32>
func.func @lower_conv2d_float_filterlets(%x: tensor<1x2x2x4xf32>, %b: tensor<2xf32>) -> tensor<1x2x2x2xf32> {
  %w = "tosa.const"() <{values = dense<[[[[0.0, 0.0, 1.0, 2.0]]], [[[1.0, 2.0, 3.0, 4.0]]]]> : tensor<2x1x1x4xf32>}> : () -> tensor<2x1x1x4xf32>
  %y = tinyprune.conv2d %x, %w, %b {dilation = array<i64: 1, 1>, filterlets = #tinyprune.filterlets<block = 2, kept = [[1], [0, 1]]>, max_val = 0x7F800000 : f32, min_val = 0xFF800000 : f32, pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>} : (tensor<1x2x2x4xf32>, tensor<2x1x1x4xf32>, tensor<2xf32>) -> tensor<1x2x2x2xf32>
  return %y : tensor<1x2x2x2xf32>
}

// -----

// Without an activation the rescale ends the chain and states the output
// quantization.
// CHECK-LABEL: func.func @lower_depthwise_conv2d_int8(
// CHECK-SAME: %[[ARG0:[^:]*]]: tensor<1x3x3x2xi8>
// CHECK-SAME: %[[ARG1:[^:]*]]: tensor<3x3x2x1xi8>
// CHECK-SAME: %[[ARG2:[^:]*]]: tensor<2xi32>
// CHECK: %[[V0:.*]] = "tosa.const"() <{values = dense<0> : tensor<1xi8>}> : () -> tensor<1xi8>
// CHECK-NEXT: %[[V1:.*]] = "tosa.const"() <{values = dense<0> : tensor<1xi8>}> : () -> tensor<1xi8>
// CHECK-NEXT: %[[V2:.*]] = tosa.depthwise_conv2d %[[ARG0]], %[[ARG1]], %[[ARG2]], %[[V0]], %[[V1]] {acc_type = i32, dilation = array<i64: 1, 1>, pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>} : (tensor<1x3x3x2xi8>, tensor<3x3x2x1xi8>, tensor<2xi32>, tensor<1xi8>, tensor<1xi8>) -> tensor<1x1x1x2xi32>
// CHECK-NEXT: %[[V3:.*]] = "tosa.const"() <{values = dense<1073741824> : tensor<2xi32>}> : () -> tensor<2xi32>
// CHECK-NEXT: %[[V4:.*]] = "tosa.const"() <{values = dense<[33, 34]> : tensor<2xi8>}> : () -> tensor<2xi8>
// CHECK-NEXT: %[[V5:.*]] = "tosa.const"() <{values = dense<0> : tensor<1xi32>}> : () -> tensor<1xi32>
// CHECK-NEXT: %[[V6:.*]] = "tosa.const"() <{values = dense<-5> : tensor<1xi8>}> : () -> tensor<1xi8>
// CHECK-NEXT: %[[V7:.*]] = tosa.rescale %[[V2]], %[[V3]], %[[V4]], %[[V5]], %[[V6]] {input_unsigned = false, output_unsigned = false, per_channel = true, rounding_mode = DOUBLE_ROUND, scale32 = true, tinyprune.quant = #tinyprune.quant<scale = 1.0, zero_point = -5>} : (tensor<1x1x1x2xi32>, tensor<2xi32>, tensor<2xi8>, tensor<1xi32>, tensor<1xi8>) -> tensor<1x1x1x2xi8>
// CHECK-NEXT: return %[[V7]] : tensor<1x1x1x2xi8>
func.func @lower_depthwise_conv2d_int8(%x: tensor<1x3x3x2xi8>, %w: tensor<3x3x2x1xi8>, %b: tensor<2xi32>) -> tensor<1x1x1x2xi8> {
  %y = tinyprune.depthwise_conv2d %x, %w, %b {dilation = array<i64: 1, 1>, input_quant = #tinyprune.quant<scale = 0.5, zero_point = 0>, max_val = 127 : i8, min_val = -128 : i8, multiplier = array<i32: 1073741824, 1073741824>, output_quant = #tinyprune.quant<scale = 1.0, zero_point = -5>, pad = array<i64: 0, 0, 0, 0>, shift = array<i8: 33, 34>, stride = array<i64: 1, 1>, weight_quant = #tinyprune.quant<axis = 3, scale = [0.25, 0.125], zero_point = [0, 0]>} : (tensor<1x3x3x2xi8>, tensor<3x3x2x1xi8>, tensor<2xi32>) -> tensor<1x1x1x2xi8>
  return %y : tensor<1x1x1x2xi8>
}

// -----

// int8 ADD: each side shifted up by left_shift (multiplier 2^30, shift
// 30 - 20) and rescaled, the i32 sum rescaled to int8, the clamp.
// CHECK-LABEL: func.func @lower_add_int8(
// CHECK-SAME: %[[ARG0:[^:]*]]: tensor<1x2x2x3xi8>
// CHECK-SAME: %[[ARG1:[^:]*]]: tensor<1x2x2x3xi8>
// CHECK: %[[V0:.*]] = "tosa.const"() <{values = dense<1073741824> : tensor<1xi32>}> : () -> tensor<1xi32>
// CHECK-NEXT: %[[V1:.*]] = "tosa.const"() <{values = dense<10> : tensor<1xi8>}> : () -> tensor<1xi8>
// CHECK-NEXT: %[[V2:.*]] = "tosa.const"() <{values = dense<-10> : tensor<1xi8>}> : () -> tensor<1xi8>
// CHECK-NEXT: %[[V3:.*]] = "tosa.const"() <{values = dense<0> : tensor<1xi32>}> : () -> tensor<1xi32>
// CHECK-NEXT: %[[V4:.*]] = tosa.rescale %[[ARG0]], %[[V0]], %[[V1]], %[[V2]], %[[V3]] {input_unsigned = false, output_unsigned = false, per_channel = false, rounding_mode = DOUBLE_ROUND, scale32 = true} : (tensor<1x2x2x3xi8>, tensor<1xi32>, tensor<1xi8>, tensor<1xi8>, tensor<1xi32>) -> tensor<1x2x2x3xi32>
// CHECK-NEXT: %[[V5:.*]] = "tosa.const"() <{values = dense<1073741824> : tensor<1xi32>}> : () -> tensor<1xi32>
// CHECK-NEXT: %[[V6:.*]] = "tosa.const"() <{values = dense<31> : tensor<1xi8>}> : () -> tensor<1xi8>
// CHECK-NEXT: %[[V7:.*]] = "tosa.const"() <{values = dense<0> : tensor<1xi32>}> : () -> tensor<1xi32>
// CHECK-NEXT: %[[V8:.*]] = "tosa.const"() <{values = dense<0> : tensor<1xi32>}> : () -> tensor<1xi32>
// CHECK-NEXT: %[[V9:.*]] = tosa.rescale %[[V4]], %[[V5]], %[[V6]], %[[V7]], %[[V8]] {input_unsigned = false, output_unsigned = false, per_channel = false, rounding_mode = DOUBLE_ROUND, scale32 = true} : (tensor<1x2x2x3xi32>, tensor<1xi32>, tensor<1xi8>, tensor<1xi32>, tensor<1xi32>) -> tensor<1x2x2x3xi32>
// CHECK-NEXT: %[[V10:.*]] = "tosa.const"() <{values = dense<1073741824> : tensor<1xi32>}> : () -> tensor<1xi32>
// CHECK-NEXT: %[[V11:.*]] = "tosa.const"() <{values = dense<10> : tensor<1xi8>}> : () -> tensor<1xi8>
// CHECK-NEXT: %[[V12:.*]] = "tosa.const"() <{values = dense<7> : tensor<1xi8>}> : () -> tensor<1xi8>
// CHECK-NEXT: %[[V13:.*]] = "tosa.const"() <{values = dense<0> : tensor<1xi32>}> : () -> tensor<1xi32>
// CHECK-NEXT: %[[V14:.*]] = tosa.rescale %[[ARG1]], %[[V10]], %[[V11]], %[[V12]], %[[V13]] {input_unsigned = false, output_unsigned = false, per_channel = false, rounding_mode = DOUBLE_ROUND, scale32 = true} : (tensor<1x2x2x3xi8>, tensor<1xi32>, tensor<1xi8>, tensor<1xi8>, tensor<1xi32>) -> tensor<1x2x2x3xi32>
// CHECK-NEXT: %[[V15:.*]] = "tosa.const"() <{values = dense<1431655765> : tensor<1xi32>}> : () -> tensor<1xi32>
// CHECK-NEXT: %[[V16:.*]] = "tosa.const"() <{values = dense<32> : tensor<1xi8>}> : () -> tensor<1xi8>
// CHECK-NEXT: %[[V17:.*]] = "tosa.const"() <{values = dense<0> : tensor<1xi32>}> : () -> tensor<1xi32>
// CHECK-NEXT: %[[V18:.*]] = "tosa.const"() <{values = dense<0> : tensor<1xi32>}> : () -> tensor<1xi32>
// CHECK-NEXT: %[[V19:.*]] = tosa.rescale %[[V14]], %[[V15]], %[[V16]], %[[V17]], %[[V18]] {input_unsigned = false, output_unsigned = false, per_channel = false, rounding_mode = DOUBLE_ROUND, scale32 = true} : (tensor<1x2x2x3xi32>, tensor<1xi32>, tensor<1xi8>, tensor<1xi32>, tensor<1xi32>) -> tensor<1x2x2x3xi32>
// CHECK-NEXT: %[[V20:.*]] = tosa.add %[[V9]], %[[V19]] : (tensor<1x2x2x3xi32>, tensor<1x2x2x3xi32>) -> tensor<1x2x2x3xi32>
// CHECK-NEXT: %[[V21:.*]] = "tosa.const"() <{values = dense<1288490141> : tensor<1xi32>}> : () -> tensor<1xi32>
// CHECK-NEXT: %[[V22:.*]] = "tosa.const"() <{values = dense<50> : tensor<1xi8>}> : () -> tensor<1xi8>
// CHECK-NEXT: %[[V23:.*]] = "tosa.const"() <{values = dense<0> : tensor<1xi32>}> : () -> tensor<1xi32>
// CHECK-NEXT: %[[V24:.*]] = "tosa.const"() <{values = dense<-20> : tensor<1xi8>}> : () -> tensor<1xi8>
// CHECK-NEXT: %[[V25:.*]] = tosa.rescale %[[V20]], %[[V21]], %[[V22]], %[[V23]], %[[V24]] {input_unsigned = false, output_unsigned = false, per_channel = false, rounding_mode = DOUBLE_ROUND, scale32 = true} : (tensor<1x2x2x3xi32>, tensor<1xi32>, tensor<1xi8>, tensor<1xi32>, tensor<1xi8>) -> tensor<1x2x2x3xi8>
// CHECK-NEXT: %[[V26:.*]] = tosa.clamp %[[V25]] {max_val = 100 : i8, min_val = -20 : i8, tinyprune.quant = #tinyprune.quant<scale = 0.0500000007, zero_point = -20>} : (tensor<1x2x2x3xi8>) -> tensor<1x2x2x3xi8>
// CHECK-NEXT: return %[[V26]] : tensor<1x2x2x3xi8>
func.func @lower_add_int8(%a: tensor<1x2x2x3xi8>, %b: tensor<1x2x2x3xi8>) -> tensor<1x2x2x3xi8> {
  %y = tinyprune.add %a, %b {left_shift = 20 : i64, lhs_multiplier = 1073741824 : i32, lhs_quant = #tinyprune.quant<scale = 0.0299999993, zero_point = -10>, lhs_shift = 31 : i8, max_val = 100 : i8, min_val = -20 : i8, output_multiplier = 1288490141 : i32, output_quant = #tinyprune.quant<scale = 0.0500000007, zero_point = -20>, output_shift = 50 : i8, rhs_multiplier = 1431655765 : i32, rhs_quant = #tinyprune.quant<scale = 0.0199999996, zero_point = 7>, rhs_shift = 32 : i8} : (tensor<1x2x2x3xi8>, tensor<1x2x2x3xi8>) -> tensor<1x2x2x3xi8>
  return %y : tensor<1x2x2x3xi8>
}

// -----

// Operands of lower rank are reshaped to the result's rank first.
// CHECK-LABEL: func.func @lower_sub_float_broadcast(
// CHECK-SAME: %[[ARG0:[^:]*]]: tensor<2x3xf32>
// CHECK-SAME: %[[ARG1:[^:]*]]: tensor<3xf32>
// CHECK: %[[V0:.*]] = tosa.const_shape  {values = dense<[1, 3]> : tensor<2xindex>} : () -> !tosa.shape<2>
// CHECK-NEXT: %[[V1:.*]] = tosa.reshape %[[ARG1]], %[[V0]] : (tensor<3xf32>, !tosa.shape<2>) -> tensor<1x3xf32>
// CHECK-NEXT: %[[V2:.*]] = tosa.sub %[[ARG0]], %[[V1]] : (tensor<2x3xf32>, tensor<1x3xf32>) -> tensor<2x3xf32>
// CHECK-NEXT: %[[V3:.*]] = tosa.clamp %[[V2]] {max_val = 0x7F800000 : f32, min_val = 0.000000e+00 : f32} : (tensor<2x3xf32>) -> tensor<2x3xf32>
// CHECK-NEXT: return %[[V3]] : tensor<2x3xf32>
func.func @lower_sub_float_broadcast(%a: tensor<2x3xf32>, %b: tensor<3xf32>) -> tensor<2x3xf32> {
  %y = tinyprune.sub %a, %b {max_val = 0x7F800000 : f32, min_val = 0.0 : f32} : (tensor<2x3xf32>, tensor<3xf32>) -> tensor<2x3xf32>
  return %y : tensor<2x3xf32>
}

// -----

// int8 MUL: each side widened exactly (multiplier 2^30, shift 30), the i32
// product rescaled to int8; no clamp for the whole int8 range.
// CHECK-LABEL: func.func @lower_mul_int8(
// CHECK-SAME: %[[ARG0:[^:]*]]: tensor<4xi8>
// CHECK-SAME: %[[ARG1:[^:]*]]: tensor<4xi8>
// CHECK: %[[V0:.*]] = "tosa.const"() <{values = dense<0> : tensor<1xi8>}> : () -> tensor<1xi8>
// CHECK-NEXT: %[[V1:.*]] = "tosa.const"() <{values = dense<1073741824> : tensor<1xi32>}> : () -> tensor<1xi32>
// CHECK-NEXT: %[[V2:.*]] = "tosa.const"() <{values = dense<30> : tensor<1xi8>}> : () -> tensor<1xi8>
// CHECK-NEXT: %[[V3:.*]] = "tosa.const"() <{values = dense<3> : tensor<1xi8>}> : () -> tensor<1xi8>
// CHECK-NEXT: %[[V4:.*]] = "tosa.const"() <{values = dense<0> : tensor<1xi32>}> : () -> tensor<1xi32>
// CHECK-NEXT: %[[V5:.*]] = tosa.rescale %[[ARG0]], %[[V1]], %[[V2]], %[[V3]], %[[V4]] {input_unsigned = false, output_unsigned = false, per_channel = false, rounding_mode = DOUBLE_ROUND, scale32 = true} : (tensor<4xi8>, tensor<1xi32>, tensor<1xi8>, tensor<1xi8>, tensor<1xi32>) -> tensor<4xi32>
// CHECK-NEXT: %[[V6:.*]] = "tosa.const"() <{values = dense<1073741824> : tensor<1xi32>}> : () -> tensor<1xi32>
// CHECK-NEXT: %[[V7:.*]] = "tosa.const"() <{values = dense<30> : tensor<1xi8>}> : () -> tensor<1xi8>
// CHECK-NEXT: %[[V8:.*]] = "tosa.const"() <{values = dense<-4> : tensor<1xi8>}> : () -> tensor<1xi8>
// CHECK-NEXT: %[[V9:.*]] = "tosa.const"() <{values = dense<0> : tensor<1xi32>}> : () -> tensor<1xi32>
// CHECK-NEXT: %[[V10:.*]] = tosa.rescale %[[ARG1]], %[[V6]], %[[V7]], %[[V8]], %[[V9]] {input_unsigned = false, output_unsigned = false, per_channel = false, rounding_mode = DOUBLE_ROUND, scale32 = true} : (tensor<4xi8>, tensor<1xi32>, tensor<1xi8>, tensor<1xi8>, tensor<1xi32>) -> tensor<4xi32>
// CHECK-NEXT: %[[V11:.*]] = tosa.mul %[[V5]], %[[V10]], %[[V0]] : (tensor<4xi32>, tensor<4xi32>, tensor<1xi8>) -> tensor<4xi32>
// CHECK-NEXT: %[[V12:.*]] = "tosa.const"() <{values = dense<1073741824> : tensor<1xi32>}> : () -> tensor<1xi32>
// CHECK-NEXT: %[[V13:.*]] = "tosa.const"() <{values = dense<30> : tensor<1xi8>}> : () -> tensor<1xi8>
// CHECK-NEXT: %[[V14:.*]] = "tosa.const"() <{values = dense<0> : tensor<1xi32>}> : () -> tensor<1xi32>
// CHECK-NEXT: %[[V15:.*]] = "tosa.const"() <{values = dense<-1> : tensor<1xi8>}> : () -> tensor<1xi8>
// CHECK-NEXT: %[[V16:.*]] = tosa.rescale %[[V11]], %[[V12]], %[[V13]], %[[V14]], %[[V15]] {input_unsigned = false, output_unsigned = false, per_channel = false, rounding_mode = DOUBLE_ROUND, scale32 = true, tinyprune.quant = #tinyprune.quant<scale = 0.25, zero_point = -1>} : (tensor<4xi32>, tensor<1xi32>, tensor<1xi8>, tensor<1xi32>, tensor<1xi8>) -> tensor<4xi8>
// CHECK-NEXT: return %[[V16]] : tensor<4xi8>
func.func @lower_mul_int8(%a: tensor<4xi8>, %b: tensor<4xi8>) -> tensor<4xi8> {
  %y = tinyprune.mul %a, %b {lhs_quant = #tinyprune.quant<scale = 0.5, zero_point = 3>, max_val = 127 : i8, min_val = -128 : i8, output_multiplier = 1073741824 : i32, output_quant = #tinyprune.quant<scale = 0.25, zero_point = -1>, output_shift = 30 : i8, rhs_quant = #tinyprune.quant<scale = 0.5, zero_point = -4>} : (tensor<4xi8>, tensor<4xi8>) -> tensor<4xi8>
  return %y : tensor<4xi8>
}

// -----

// Float MUL and its clamp.
// CHECK-LABEL: func.func @lower_mul_float(
// CHECK-SAME: %[[ARG0:[^:]*]]: tensor<4xf32>
// CHECK-SAME: %[[ARG1:[^:]*]]: tensor<4xf32>
// CHECK: %[[V0:.*]] = "tosa.const"() <{values = dense<0> : tensor<1xi8>}> : () -> tensor<1xi8>
// CHECK-NEXT: %[[V1:.*]] = tosa.mul %[[ARG0]], %[[ARG1]], %[[V0]] : (tensor<4xf32>, tensor<4xf32>, tensor<1xi8>) -> tensor<4xf32>
// CHECK-NEXT: %[[V2:.*]] = tosa.clamp %[[V1]] {max_val = 1.000000e+00 : f32, min_val = -1.000000e+00 : f32} : (tensor<4xf32>) -> tensor<4xf32>
// CHECK-NEXT: return %[[V2]] : tensor<4xf32>
func.func @lower_mul_float(%a: tensor<4xf32>, %b: tensor<4xf32>) -> tensor<4xf32> {
  %y = tinyprune.mul %a, %b {max_val = 1.0 : f32, min_val = -1.0 : f32} : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
  return %y : tensor<4xf32>
}

// -----

// MAX_POOL_2D and its clamp.
// CHECK-LABEL: func.func @lower_max_pool2d_int8(
// CHECK-SAME: %[[ARG0:[^:]*]]: tensor<1x4x4x1xi8>
// CHECK: %[[V0:.*]] = tosa.max_pool2d %[[ARG0]] {kernel = array<i64: 2, 2>, pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 2, 2>} : (tensor<1x4x4x1xi8>) -> tensor<1x2x2x1xi8>
// CHECK-NEXT: %[[V1:.*]] = tosa.clamp %[[V0]] {max_val = 127 : i8, min_val = -100 : i8, tinyprune.quant = #tinyprune.quant<scale = 0.5, zero_point = -100>} : (tensor<1x2x2x1xi8>) -> tensor<1x2x2x1xi8>
// CHECK-NEXT: return %[[V1]] : tensor<1x2x2x1xi8>
func.func @lower_max_pool2d_int8(%x: tensor<1x4x4x1xi8>) -> tensor<1x2x2x1xi8> {
  %y = tinyprune.max_pool2d %x {kernel = array<i64: 2, 2>, max_val = 127 : i8, min_val = -100 : i8, pad = array<i64: 0, 0, 0, 0>, quant = #tinyprune.quant<scale = 0.5, zero_point = -100>, stride = array<i64: 2, 2>} : (tensor<1x4x4x1xi8>) -> tensor<1x2x2x1xi8>
  return %y : tensor<1x2x2x1xi8>
}

// -----

// A requantization over the whole int8 range is one rescale.
// CHECK-LABEL: func.func @lower_requantize(
// CHECK-SAME: %[[ARG0:[^:]*]]: tensor<8xi8>
// CHECK: %[[V0:.*]] = "tosa.const"() <{values = dense<1073741824> : tensor<1xi32>}> : () -> tensor<1xi32>
// CHECK-NEXT: %[[V1:.*]] = "tosa.const"() <{values = dense<29> : tensor<1xi8>}> : () -> tensor<1xi8>
// CHECK-NEXT: %[[V2:.*]] = "tosa.const"() <{values = dense<1> : tensor<1xi8>}> : () -> tensor<1xi8>
// CHECK-NEXT: %[[V3:.*]] = "tosa.const"() <{values = dense<2> : tensor<1xi8>}> : () -> tensor<1xi8>
// CHECK-NEXT: %[[V4:.*]] = tosa.rescale %[[ARG0]], %[[V0]], %[[V1]], %[[V2]], %[[V3]] {input_unsigned = false, output_unsigned = false, per_channel = false, rounding_mode = DOUBLE_ROUND, scale32 = true, tinyprune.quant = #tinyprune.quant<scale = 0.25, zero_point = 2>} : (tensor<8xi8>, tensor<1xi32>, tensor<1xi8>, tensor<1xi8>, tensor<1xi8>) -> tensor<8xi8>
// CHECK-NEXT: return %[[V4]] : tensor<8xi8>
func.func @lower_requantize(%x: tensor<8xi8>) -> tensor<8xi8> {
  %y = tinyprune.requantize %x {input_quant = #tinyprune.quant<scale = 0.5, zero_point = 1>, max_val = 127 : i8, min_val = -128 : i8, multiplier = 1073741824 : i32, output_quant = #tinyprune.quant<scale = 0.25, zero_point = 2>, shift = 29 : i8} : (tensor<8xi8>) -> tensor<8xi8>
  return %y : tensor<8xi8>
}
