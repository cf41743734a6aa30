// --tinyprune-raise-to-layers folds the importer's TOSA chains into layer
// ops, and leaves chains it cannot hold exactly alone.
// RUN: tinyprune-opt %s -split-input-file --tinyprune-raise-to-layers | FileCheck %s
// RUN: tinyprune-opt %s -split-input-file --tinyprune-raise-to-layers --mlir-print-debuginfo --mlir-print-local-scope | FileCheck %s --check-prefix=LOC

// An int8 convolution: the i32 accumulator, its per-channel rescale and the
// ReLU clamp become one op carrying zero points as quantization.
// CHECK-LABEL: func.func @rewrite_conv2d_int8(
// CHECK-SAME: %[[X:.*]]: tensor<1x5x5x3xi8>
// CHECK-DAG: %[[B:.*]] = "tosa.const"() <{values = dense<[-50, 50]> : tensor<2xi32>}>
// CHECK-DAG: %[[W:.*]] = "tosa.const"() <{values = dense<1> : tensor<2x3x3x3xi8>}>
// CHECK: %[[Y:.*]] = tinyprune.conv2d %[[X]], %[[W]], %[[B]] {dilation = array<i64: 1, 1>, input_quant = #tinyprune.quant<scale = 0.5, zero_point = -3>, max_val = 127 : i8, min_val = 1 : i8, multiplier = array<i32: 1374389504, 1374389504>, output_quant = #tinyprune.quant<scale = 0.25, zero_point = 1>, pad = array<i64: 1, 1, 1, 1>, shift = array<i8: 36, 35>, stride = array<i64: 1, 1>, weight_quant = #tinyprune.quant<axis = 0, scale = [0.00999999978, 0.0199999996], zero_point = [0, 0]>} : (tensor<1x5x5x3xi8>, tensor<2x3x3x3xi8>, tensor<2xi32>) -> tensor<1x5x5x2xi8>
// CHECK-NOT: tosa.
// CHECK: return %[[Y]]
// LOC-LABEL: func.func @rewrite_conv2d_int8(
// LOC: tinyprune.conv2d {{.*}} loc(fused["conv", "rescale", "output"])
func.func @rewrite_conv2d_int8(%x: tensor<1x5x5x3xi8> {tinyprune.quant = #tinyprune.quant<scale = 0.5, zero_point = -3>}) -> tensor<1x5x5x2xi8> {
  %b = "tosa.const"() <{values = dense<[-50, 50]> : tensor<2xi32>}> : () -> tensor<2xi32>
  %izp = "tosa.const"() <{values = dense<-3> : tensor<1xi8>}> : () -> tensor<1xi8>
  %wzp = "tosa.const"() <{values = dense<0> : tensor<1xi8>}> : () -> tensor<1xi8>
  %w = "tosa.const"() <{values = dense<1> : tensor<2x3x3x3xi8>}> {tinyprune.quant = #tinyprune.quant<axis = 0, scale = [0.01, 0.02], zero_point = [0, 0]>} : () -> tensor<2x3x3x3xi8>
  %acc = tosa.conv2d %x, %w, %b, %izp, %wzp {acc_type = i32, dilation = array<i64: 1, 1>, pad = array<i64: 1, 1, 1, 1>, stride = array<i64: 1, 1>} : (tensor<1x5x5x3xi8>, tensor<2x3x3x3xi8>, tensor<2xi32>, tensor<1xi8>, tensor<1xi8>) -> tensor<1x5x5x2xi32> loc("conv")
  %m = "tosa.const"() <{values = dense<1374389504> : tensor<2xi32>}> : () -> tensor<2xi32>
  %s = "tosa.const"() <{values = dense<[36, 35]> : tensor<2xi8>}> : () -> tensor<2xi8>
  %rzp = "tosa.const"() <{values = dense<0> : tensor<1xi32>}> : () -> tensor<1xi32>
  %ozp = "tosa.const"() <{values = dense<1> : tensor<1xi8>}> : () -> tensor<1xi8>
  %r = tosa.rescale %acc, %m, %s, %rzp, %ozp {input_unsigned = false, output_unsigned = false, per_channel = true, rounding_mode = DOUBLE_ROUND, scale32 = true} : (tensor<1x5x5x2xi32>, tensor<2xi32>, tensor<2xi8>, tensor<1xi32>, tensor<1xi8>) -> tensor<1x5x5x2xi8> loc("rescale")
  %y = tosa.clamp %r {max_val = 127 : i8, min_val = 1 : i8, tinyprune.quant = #tinyprune.quant<scale = 0.25, zero_point = 1>} : (tensor<1x5x5x2xi8>) -> tensor<1x5x5x2xi8> loc("output")
  return %y : tensor<1x5x5x2xi8>
}

// -----

// A float convolution with ReLU6; a pruned layer's tinyprune.filterlets
// becomes the op's own filterlets.
// CHECK-LABEL: func.func @rewrite_conv2d_float_filterlets(
// CHECK: %[[Y:.*]] = tinyprune.conv2d %{{.*}}, %{{.*}}, %{{.*}} {dilation = array<i64: 1, 1>, filterlets = #tinyprune.filterlets<block = 2, kept = {{\[\[}}1], [0, 1]]>, max_val = 6.000000e+00 : f32, min_val = 0.000000e+00 : f32, pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>} : (tensor<1x2x2x4xf32>, tensor<2x1x1x4xf32>, tensor<2xf32>) -> tensor<1x2x2x2xf32>
// CHECK-NOT: tosa.conv2d
// CHECK-NOT: tosa.clamp
// CHECK: return %[[Y]]
func.func @rewrite_conv2d_float_filterlets(%x: tensor<1x2x2x4xf32>) -> tensor<1x2x2x2xf32> {
  %w = "tosa.const"() <{values = dense<[[[[0.0, 0.0, 1.0, 2.0]]], [[[1.0, 2.0, 3.0, 4.0]]]]> : tensor<2x1x1x4xf32>}> : () -> tensor<2x1x1x4xf32>
  %b = "tosa.const"() <{values = dense<0.5> : tensor<2xf32>}> : () -> tensor<2xf32>
  %zp = "tosa.const"() <{values = dense<0.0> : tensor<1xf32>}> : () -> tensor<1xf32>
  %acc = tosa.conv2d %x, %w, %b, %zp, %zp {acc_type = f32, dilation = array<i64: 1, 1>, pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>, tinyprune.filterlets = #tinyprune.filterlets<block = 2, kept = [[1], [0, 1]]>} : (tensor<1x2x2x4xf32>, tensor<2x1x1x4xf32>, tensor<2xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x2x2x2xf32>
  %y = tosa.clamp %acc {max_val = 6.0 : f32, min_val = 0.0 : f32} : (tensor<1x2x2x2xf32>) -> tensor<1x2x2x2xf32>
  return %y : tensor<1x2x2x2xf32>
}

// -----

// A depthwise convolution without activation; its per-channel weight
// quantization (axis 2 of TOSA's [KH, KW, C, 1]) is stated along the TFLite
// axis 3.
// CHECK-LABEL: func.func @rewrite_depthwise_conv2d_int8(
// CHECK: %[[Y:.*]] = tinyprune.depthwise_conv2d %{{.*}}, %{{.*}}, %{{.*}} {dilation = array<i64: 1, 1>, input_quant = #tinyprune.quant<scale = 0.5, zero_point = 0>, max_val = 127 : i8, min_val = -128 : i8, multiplier = array<i32: 1073741824, 1073741824>, output_quant = #tinyprune.quant<scale = 1.0, zero_point = -5>, pad = array<i64: 0, 0, 0, 0>, shift = array<i8: 33, 34>, stride = array<i64: 1, 1>, weight_quant = #tinyprune.quant<axis = 3, scale = [0.25, 0.125], zero_point = [0, 0]>}
// CHECK-NOT: tosa.rescale
// CHECK: return %[[Y]]
func.func @rewrite_depthwise_conv2d_int8(%x: tensor<1x3x3x2xi8> {tinyprune.quant = #tinyprune.quant<scale = 0.5, zero_point = 0>}) -> tensor<1x1x1x2xi8> {
  %w = "tosa.const"() <{values = dense<2> : tensor<3x3x2x1xi8>}> {tinyprune.quant = #tinyprune.quant<axis = 2, scale = [0.25, 0.125], zero_point = [0, 0]>} : () -> tensor<3x3x2x1xi8>
  %b = "tosa.const"() <{values = dense<7> : tensor<2xi32>}> : () -> tensor<2xi32>
  %zp = "tosa.const"() <{values = dense<0> : tensor<1xi8>}> : () -> tensor<1xi8>
  %acc = tosa.depthwise_conv2d %x, %w, %b, %zp, %zp {acc_type = i32, dilation = array<i64: 1, 1>, pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>} : (tensor<1x3x3x2xi8>, tensor<3x3x2x1xi8>, tensor<2xi32>, tensor<1xi8>, tensor<1xi8>) -> tensor<1x1x1x2xi32>
  %m = "tosa.const"() <{values = dense<1073741824> : tensor<2xi32>}> : () -> tensor<2xi32>
  %s = "tosa.const"() <{values = dense<[33, 34]> : tensor<2xi8>}> : () -> tensor<2xi8>
  %rzp = "tosa.const"() <{values = dense<0> : tensor<1xi32>}> : () -> tensor<1xi32>
  %ozp = "tosa.const"() <{values = dense<-5> : tensor<1xi8>}> : () -> tensor<1xi8>
  %y = tosa.rescale %acc, %m, %s, %rzp, %ozp {input_unsigned = false, output_unsigned = false, per_channel = true, rounding_mode = DOUBLE_ROUND, scale32 = true, tinyprune.quant = #tinyprune.quant<scale = 1.0, zero_point = -5>} : (tensor<1x1x1x2xi32>, tensor<2xi32>, tensor<2xi8>, tensor<1xi32>, tensor<1xi8>) -> tensor<1x1x1x2xi8>
  return %y : tensor<1x1x1x2xi8>
}

// -----

// A fully-connected layer: a 1x1 convolution over a reshaped input, whose
// quantization is the reshape's input's, followed by a reshape that states
// the output's.
// CHECK-LABEL: func.func @rewrite_fully_connected(
// CHECK: %[[IN:.*]] = tosa.reshape
// CHECK: %[[Y:.*]] = tinyprune.conv2d %[[IN]], %{{.*}}, %{{.*}} {dilation = array<i64: 1, 1>, input_quant = #tinyprune.quant<scale = 0.5, zero_point = 2>, max_val = 127 : i8, min_val = -128 : i8, multiplier = array<i32: 1073741824>, output_quant = #tinyprune.quant<scale = 0.25, zero_point = 0>, pad = array<i64: 0, 0, 0, 0>, shift = array<i8: 31>, stride = array<i64: 1, 1>, weight_quant = #tinyprune.quant<scale = 0.5, zero_point = 0>} : (tensor<1x1x1x4xi8>, tensor<3x1x1x4xi8>, tensor<3xi32>) -> tensor<1x1x1x3xi8>
// CHECK: tosa.reshape %[[Y]]
func.func @rewrite_fully_connected(%x: tensor<1x4xi8> {tinyprune.quant = #tinyprune.quant<scale = 0.5, zero_point = 2>}) -> tensor<1x3xi8> {
  %shape4 = tosa.const_shape {values = dense<[1, 1, 1, 4]> : tensor<4xindex>} : () -> !tosa.shape<4>
  %x4 = tosa.reshape %x, %shape4 : (tensor<1x4xi8>, !tosa.shape<4>) -> tensor<1x1x1x4xi8>
  %w = "tosa.const"() <{values = dense<1> : tensor<3x1x1x4xi8>}> {tinyprune.quant = #tinyprune.quant<scale = 0.5, zero_point = 0>} : () -> tensor<3x1x1x4xi8>
  %b = "tosa.const"() <{values = dense<0> : tensor<3xi32>}> : () -> tensor<3xi32>
  %izp = "tosa.const"() <{values = dense<2> : tensor<1xi8>}> : () -> tensor<1xi8>
  %wzp = "tosa.const"() <{values = dense<0> : tensor<1xi8>}> : () -> tensor<1xi8>
  %acc = tosa.conv2d %x4, %w, %b, %izp, %wzp {acc_type = i32, dilation = array<i64: 1, 1>, pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>} : (tensor<1x1x1x4xi8>, tensor<3x1x1x4xi8>, tensor<3xi32>, tensor<1xi8>, tensor<1xi8>) -> tensor<1x1x1x3xi32>
  %m = "tosa.const"() <{values = dense<1073741824> : tensor<1xi32>}> : () -> tensor<1xi32>
  %s = "tosa.const"() <{values = dense<31> : tensor<1xi8>}> : () -> tensor<1xi8>
  %rzp = "tosa.const"() <{values = dense<0> : tensor<1xi32>}> : () -> tensor<1xi32>
  %ozp = "tosa.const"() <{values = dense<0> : tensor<1xi8>}> : () -> tensor<1xi8>
  %r = tosa.rescale %acc, %m, %s, %rzp, %ozp {input_unsigned = false, output_unsigned = false, per_channel = false, rounding_mode = DOUBLE_ROUND, scale32 = true} : (tensor<1x1x1x3xi32>, tensor<1xi32>, tensor<1xi8>, tensor<1xi32>, tensor<1xi8>) -> tensor<1x1x1x3xi8>
  %shape2 = tosa.const_shape {values = dense<[1, 3]> : tensor<2xindex>} : () -> !tosa.shape<2>
  %y = tosa.reshape %r, %shape2 {tinyprune.quant = #tinyprune.quant<scale = 0.25, zero_point = 0>} : (tensor<1x1x1x3xi8>, !tosa.shape<2>) -> tensor<1x3xi8>
  return %y : tensor<1x3xi8>
}

// -----

// int8 ADD: both sides shifted up by 20 bits and rescaled, the i32 sum
// rescaled to int8, the ReLU6 clamp.
// CHECK-LABEL: func.func @rewrite_add_int8(
// CHECK-SAME: %[[A:[^:]*]]: tensor<1x2x2x3xi8>
// CHECK-SAME: %[[B:[^:]*]]: tensor<1x2x2x3xi8>
// CHECK: %[[Y:.*]] = tinyprune.add %[[A]], %[[B]] {left_shift = 20 : i64, lhs_multiplier = 1073741824 : i32, lhs_quant = #tinyprune.quant<scale = 0.0299999993, zero_point = -10>, lhs_shift = 31 : i8, max_val = 100 : i8, min_val = -20 : i8, output_multiplier = 1288490141 : i32, output_quant = #tinyprune.quant<scale = 0.0500000007, zero_point = -20>, output_shift = 50 : i8, rhs_multiplier = 1431655765 : i32, rhs_quant = #tinyprune.quant<scale = 0.0199999996, zero_point = 7>, rhs_shift = 32 : i8} : (tensor<1x2x2x3xi8>, tensor<1x2x2x3xi8>) -> tensor<1x2x2x3xi8>
// CHECK-NOT: tosa.
// CHECK: return %[[Y]]
func.func @rewrite_add_int8(%arg0: tensor<1x2x2x3xi8> {tinyprune.quant = #tinyprune.quant<scale = 0.0299999993, zero_point = -10>}, %arg1: tensor<1x2x2x3xi8> {tinyprune.quant = #tinyprune.quant<scale = 0.0199999996, zero_point = 7>}) -> tensor<1x2x2x3xi8> {
  %0 = "tosa.const"() <{values = dense<1073741824> : tensor<1xi32>}> : () -> tensor<1xi32>
  %1 = "tosa.const"() <{values = dense<10> : tensor<1xi8>}> : () -> tensor<1xi8>
  %2 = "tosa.const"() <{values = dense<-10> : tensor<1xi8>}> : () -> tensor<1xi8>
  %3 = "tosa.const"() <{values = dense<0> : tensor<1xi32>}> : () -> tensor<1xi32>
  %4 = tosa.rescale %arg0, %0, %1, %2, %3 {input_unsigned = false, output_unsigned = false, per_channel = false, rounding_mode = DOUBLE_ROUND, scale32 = true} : (tensor<1x2x2x3xi8>, tensor<1xi32>, tensor<1xi8>, tensor<1xi8>, tensor<1xi32>) -> tensor<1x2x2x3xi32>
  %6 = "tosa.const"() <{values = dense<31> : tensor<1xi8>}> : () -> tensor<1xi8>
  %9 = tosa.rescale %4, %0, %6, %3, %3 {input_unsigned = false, output_unsigned = false, per_channel = false, rounding_mode = DOUBLE_ROUND, scale32 = true} : (tensor<1x2x2x3xi32>, tensor<1xi32>, tensor<1xi8>, tensor<1xi32>, tensor<1xi32>) -> tensor<1x2x2x3xi32>
  %12 = "tosa.const"() <{values = dense<7> : tensor<1xi8>}> : () -> tensor<1xi8>
  %14 = tosa.rescale %arg1, %0, %1, %12, %3 {input_unsigned = false, output_unsigned = false, per_channel = false, rounding_mode = DOUBLE_ROUND, scale32 = true} : (tensor<1x2x2x3xi8>, tensor<1xi32>, tensor<1xi8>, tensor<1xi8>, tensor<1xi32>) -> tensor<1x2x2x3xi32>
  %15 = "tosa.const"() <{values = dense<1431655765> : tensor<1xi32>}> : () -> tensor<1xi32>
  %16 = "tosa.const"() <{values = dense<32> : tensor<1xi8>}> : () -> tensor<1xi8>
  %19 = tosa.rescale %14, %15, %16, %3, %3 {input_unsigned = false, output_unsigned = false, per_channel = false, rounding_mode = DOUBLE_ROUND, scale32 = true} : (tensor<1x2x2x3xi32>, tensor<1xi32>, tensor<1xi8>, tensor<1xi32>, tensor<1xi32>) -> tensor<1x2x2x3xi32>
  %20 = tosa.add %9, %19 : (tensor<1x2x2x3xi32>, tensor<1x2x2x3xi32>) -> tensor<1x2x2x3xi32>
  %21 = "tosa.const"() <{values = dense<1288490141> : tensor<1xi32>}> : () -> tensor<1xi32>
  %22 = "tosa.const"() <{values = dense<50> : tensor<1xi8>}> : () -> tensor<1xi8>
  %24 = "tosa.const"() <{values = dense<-20> : tensor<1xi8>}> : () -> tensor<1xi8>
  %25 = tosa.rescale %20, %21, %22, %3, %24 {input_unsigned = false, output_unsigned = false, per_channel = false, rounding_mode = DOUBLE_ROUND, scale32 = true} : (tensor<1x2x2x3xi32>, tensor<1xi32>, tensor<1xi8>, tensor<1xi32>, tensor<1xi8>) -> tensor<1x2x2x3xi8>
  %26 = tosa.clamp %25 {max_val = 100 : i8, min_val = -20 : i8, tinyprune.quant = #tinyprune.quant<scale = 0.0500000007, zero_point = -20>} : (tensor<1x2x2x3xi8>) -> tensor<1x2x2x3xi8>
  return %26 : tensor<1x2x2x3xi8>
}

// -----

// Float SUB with ReLU.
// CHECK-LABEL: func.func @rewrite_sub_float(
// CHECK: %[[Y:.*]] = tinyprune.sub %{{.*}}, %{{.*}} {max_val = 0x7F800000 : f32, min_val = 0.000000e+00 : f32} : (tensor<2x3xf32>, tensor<1x3xf32>) -> tensor<2x3xf32>
// CHECK-NEXT: return %[[Y]]
func.func @rewrite_sub_float(%a: tensor<2x3xf32>, %b: tensor<1x3xf32>) -> tensor<2x3xf32> {
  %d = tosa.sub %a, %b : (tensor<2x3xf32>, tensor<1x3xf32>) -> tensor<2x3xf32>
  %y = tosa.clamp %d {max_val = 0x7F800000 : f32, min_val = 0.0 : f32} : (tensor<2x3xf32>) -> tensor<2x3xf32>
  return %y : tensor<2x3xf32>
}

// -----

// int8 MUL: both sides widened exactly (x - zp), the i32 product rescaled.
// CHECK-LABEL: func.func @rewrite_mul_int8(
// CHECK: %[[Y:.*]] = tinyprune.mul %{{.*}}, %{{.*}} {lhs_quant = #tinyprune.quant<scale = 0.5, zero_point = 3>, max_val = 127 : i8, min_val = -128 : i8, output_multiplier = 1073741824 : i32, output_quant = #tinyprune.quant<scale = 0.25, zero_point = -1>, output_shift = 30 : i8, rhs_quant = #tinyprune.quant<scale = 0.5, zero_point = -4>} : (tensor<4xi8>, tensor<4xi8>) -> tensor<4xi8>
// CHECK-NEXT: return %[[Y]]
func.func @rewrite_mul_int8(%a: tensor<4xi8> {tinyprune.quant = #tinyprune.quant<scale = 0.5, zero_point = 3>}, %b: tensor<4xi8> {tinyprune.quant = #tinyprune.quant<scale = 0.5, zero_point = -4>}) -> tensor<4xi8> {
  %one = "tosa.const"() <{values = dense<1073741824> : tensor<1xi32>}> : () -> tensor<1xi32>
  %s30 = "tosa.const"() <{values = dense<30> : tensor<1xi8>}> : () -> tensor<1xi8>
  %zpa = "tosa.const"() <{values = dense<3> : tensor<1xi8>}> : () -> tensor<1xi8>
  %zpb = "tosa.const"() <{values = dense<-4> : tensor<1xi8>}> : () -> tensor<1xi8>
  %zpo = "tosa.const"() <{values = dense<-1> : tensor<1xi8>}> : () -> tensor<1xi8>
  %z32 = "tosa.const"() <{values = dense<0> : tensor<1xi32>}> : () -> tensor<1xi32>
  %noshift = "tosa.const"() <{values = dense<0> : tensor<1xi8>}> : () -> tensor<1xi8>
  %xa = tosa.rescale %a, %one, %s30, %zpa, %z32 {input_unsigned = false, output_unsigned = false, per_channel = false, rounding_mode = DOUBLE_ROUND, scale32 = true} : (tensor<4xi8>, tensor<1xi32>, tensor<1xi8>, tensor<1xi8>, tensor<1xi32>) -> tensor<4xi32>
  %xb = tosa.rescale %b, %one, %s30, %zpb, %z32 {input_unsigned = false, output_unsigned = false, per_channel = false, rounding_mode = DOUBLE_ROUND, scale32 = true} : (tensor<4xi8>, tensor<1xi32>, tensor<1xi8>, tensor<1xi8>, tensor<1xi32>) -> tensor<4xi32>
  %p = tosa.mul %xa, %xb, %noshift : (tensor<4xi32>, tensor<4xi32>, tensor<1xi8>) -> tensor<4xi32>
  %y = tosa.rescale %p, %one, %s30, %z32, %zpo {input_unsigned = false, output_unsigned = false, per_channel = false, rounding_mode = DOUBLE_ROUND, scale32 = true, tinyprune.quant = #tinyprune.quant<scale = 0.25, zero_point = -1>} : (tensor<4xi32>, tensor<1xi32>, tensor<1xi8>, tensor<1xi32>, tensor<1xi8>) -> tensor<4xi8>
  return %y : tensor<4xi8>
}

// -----

// Float MUL without activation: the bounds are +-infinity.
// CHECK-LABEL: func.func @rewrite_mul_float(
// CHECK: tinyprune.mul %{{.*}}, %{{.*}} {max_val = 0x7F800000 : f32, min_val = 0xFF800000 : f32} : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
func.func @rewrite_mul_float(%a: tensor<4xf32>, %b: tensor<4xf32>) -> tensor<4xf32> {
  %noshift = "tosa.const"() <{values = dense<0> : tensor<1xi8>}> : () -> tensor<1xi8>
  %y = tosa.mul %a, %b, %noshift : (tensor<4xf32>, tensor<4xf32>, tensor<1xi8>) -> tensor<4xf32>
  return %y : tensor<4xf32>
}

// -----

// int8 MAX_POOL_2D with its clamp; input and output share the quantization.
// CHECK-LABEL: func.func @rewrite_max_pool2d_int8(
// CHECK: tinyprune.max_pool2d %{{.*}} {kernel = array<i64: 2, 2>, max_val = 127 : i8, min_val = -100 : i8, pad = array<i64: 0, 0, 0, 0>, quant = #tinyprune.quant<scale = 0.5, zero_point = -100>, stride = array<i64: 2, 2>} : (tensor<1x4x4x1xi8>) -> tensor<1x2x2x1xi8>
// CHECK-NOT: tosa.
func.func @rewrite_max_pool2d_int8(%x: tensor<1x4x4x1xi8> {tinyprune.quant = #tinyprune.quant<scale = 0.5, zero_point = -100>}) -> tensor<1x2x2x1xi8> {
  %p = tosa.max_pool2d %x {kernel = array<i64: 2, 2>, pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 2, 2>} : (tensor<1x4x4x1xi8>) -> tensor<1x2x2x1xi8>
  %y = tosa.clamp %p {max_val = 127 : i8, min_val = -100 : i8} : (tensor<1x2x2x1xi8>) -> tensor<1x2x2x1xi8>
  return %y : tensor<1x2x2x1xi8>
}

// -----

// int8 RELU: a requantization and a clamp.
// CHECK-LABEL: func.func @rewrite_requantize(
// CHECK: tinyprune.requantize %{{.*}} {input_quant = #tinyprune.quant<scale = 0.5, zero_point = 1>, max_val = 127 : i8, min_val = 2 : i8, multiplier = 1073741824 : i32, output_quant = #tinyprune.quant<scale = 0.25, zero_point = 2>, shift = 29 : i8} : (tensor<8xi8>) -> tensor<8xi8>
// CHECK-NOT: tosa.
func.func @rewrite_requantize(%x: tensor<8xi8> {tinyprune.quant = #tinyprune.quant<scale = 0.5, zero_point = 1>}) -> tensor<8xi8> {
  %m = "tosa.const"() <{values = dense<1073741824> : tensor<1xi32>}> : () -> tensor<1xi32>
  %s = "tosa.const"() <{values = dense<29> : tensor<1xi8>}> : () -> tensor<1xi8>
  %izp = "tosa.const"() <{values = dense<1> : tensor<1xi8>}> : () -> tensor<1xi8>
  %ozp = "tosa.const"() <{values = dense<2> : tensor<1xi8>}> : () -> tensor<1xi8>
  %r = tosa.rescale %x, %m, %s, %izp, %ozp {input_unsigned = false, output_unsigned = false, per_channel = false, rounding_mode = DOUBLE_ROUND, scale32 = true} : (tensor<8xi8>, tensor<1xi32>, tensor<1xi8>, tensor<1xi8>, tensor<1xi8>) -> tensor<8xi8>
  %y = tosa.clamp %r {max_val = 127 : i8, min_val = 2 : i8, tinyprune.quant = #tinyprune.quant<scale = 0.25, zero_point = 2>} : (tensor<8xi8>) -> tensor<8xi8>
  return %y : tensor<8xi8>
}

// -----

// A clamp whose input is also used elsewhere is not fused: the layer ends
// at the rescale and the clamp stays.
// CHECK-LABEL: func.func @rewrite_requantize_shared_clamp_input(
// CHECK: %[[R:.*]] = tinyprune.requantize %{{.*}} {input_quant = #tinyprune.quant<scale = 0.5, zero_point = 1>, max_val = 127 : i8, min_val = -128 : i8,
// CHECK: %[[C:.*]] = tosa.clamp %[[R]]
// CHECK: return %[[C]], %[[R]]
func.func @rewrite_requantize_shared_clamp_input(%x: tensor<8xi8> {tinyprune.quant = #tinyprune.quant<scale = 0.5, zero_point = 1>}) -> (tensor<8xi8>, tensor<8xi8>) {
  %m = "tosa.const"() <{values = dense<1073741824> : tensor<1xi32>}> : () -> tensor<1xi32>
  %s = "tosa.const"() <{values = dense<29> : tensor<1xi8>}> : () -> tensor<1xi8>
  %izp = "tosa.const"() <{values = dense<1> : tensor<1xi8>}> : () -> tensor<1xi8>
  %ozp = "tosa.const"() <{values = dense<2> : tensor<1xi8>}> : () -> tensor<1xi8>
  %r = tosa.rescale %x, %m, %s, %izp, %ozp {input_unsigned = false, output_unsigned = false, per_channel = false, rounding_mode = DOUBLE_ROUND, scale32 = true, tinyprune.quant = #tinyprune.quant<scale = 0.25, zero_point = 2>} : (tensor<8xi8>, tensor<1xi32>, tensor<1xi8>, tensor<1xi8>, tensor<1xi8>) -> tensor<8xi8>
  %y = tosa.clamp %r {max_val = 127 : i8, min_val = 2 : i8} : (tensor<8xi8>) -> tensor<8xi8>
  return %y, %r : tensor<8xi8>, tensor<8xi8>
}

// -----

// int32 ADD of operands that are not rescaled is the model's own int32
// arithmetic.
// CHECK-LABEL: func.func @preserve_int32_add(
// CHECK: tosa.add
// CHECK-NOT: = tinyprune.
func.func @preserve_int32_add(%a: tensor<4xi32>, %b: tensor<4xi32>) -> tensor<4xi32> {
  %y = tosa.add %a, %b : (tensor<4xi32>, tensor<4xi32>) -> tensor<4xi32>
  return %y : tensor<4xi32>
}

// -----

// The accumulator is also returned: erasing the convolution would lose it.
// CHECK-LABEL: func.func @preserve_conv2d_shared_accumulator(
// CHECK: tosa.conv2d
// CHECK: tosa.rescale
// CHECK-NOT: = tinyprune.
func.func @preserve_conv2d_shared_accumulator(%x: tensor<1x1x1x4xi8> {tinyprune.quant = #tinyprune.quant<scale = 0.5, zero_point = 0>}) -> (tensor<1x1x1x1xi8>, tensor<1x1x1x1xi32>) {
  %w = "tosa.const"() <{values = dense<1> : tensor<1x1x1x4xi8>}> {tinyprune.quant = #tinyprune.quant<scale = 0.5, zero_point = 0>} : () -> tensor<1x1x1x4xi8>
  %b = "tosa.const"() <{values = dense<0> : tensor<1xi32>}> : () -> tensor<1xi32>
  %zp = "tosa.const"() <{values = dense<0> : tensor<1xi8>}> : () -> tensor<1xi8>
  %acc = tosa.conv2d %x, %w, %b, %zp, %zp {acc_type = i32, dilation = array<i64: 1, 1>, pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>} : (tensor<1x1x1x4xi8>, tensor<1x1x1x4xi8>, tensor<1xi32>, tensor<1xi8>, tensor<1xi8>) -> tensor<1x1x1x1xi32>
  %m = "tosa.const"() <{values = dense<1073741824> : tensor<1xi32>}> : () -> tensor<1xi32>
  %s = "tosa.const"() <{values = dense<31> : tensor<1xi8>}> : () -> tensor<1xi8>
  %z32 = "tosa.const"() <{values = dense<0> : tensor<1xi32>}> : () -> tensor<1xi32>
  %y = tosa.rescale %acc, %m, %s, %z32, %zp {input_unsigned = false, output_unsigned = false, per_channel = false, rounding_mode = DOUBLE_ROUND, scale32 = true, tinyprune.quant = #tinyprune.quant<scale = 0.25, zero_point = 0>} : (tensor<1x1x1x1xi32>, tensor<1xi32>, tensor<1xi8>, tensor<1xi32>, tensor<1xi8>) -> tensor<1x1x1x1xi8>
  return %y, %acc : tensor<1x1x1x1xi8>, tensor<1x1x1x1xi32>
}

// -----

// SINGLE_ROUND is not the requantization a layer op holds.
// CHECK-LABEL: func.func @preserve_single_round(
// CHECK: tosa.rescale
// CHECK-NOT: = tinyprune.
func.func @preserve_single_round(%x: tensor<8xi8> {tinyprune.quant = #tinyprune.quant<scale = 0.5, zero_point = 1>}) -> tensor<8xi8> {
  %m = "tosa.const"() <{values = dense<1073741824> : tensor<1xi32>}> : () -> tensor<1xi32>
  %s = "tosa.const"() <{values = dense<29> : tensor<1xi8>}> : () -> tensor<1xi8>
  %izp = "tosa.const"() <{values = dense<1> : tensor<1xi8>}> : () -> tensor<1xi8>
  %ozp = "tosa.const"() <{values = dense<2> : tensor<1xi8>}> : () -> tensor<1xi8>
  %y = tosa.rescale %x, %m, %s, %izp, %ozp {input_unsigned = false, output_unsigned = false, per_channel = false, rounding_mode = SINGLE_ROUND, scale32 = true, tinyprune.quant = #tinyprune.quant<scale = 0.25, zero_point = 2>} : (tensor<8xi8>, tensor<1xi32>, tensor<1xi8>, tensor<1xi8>, tensor<1xi8>) -> tensor<8xi8>
  return %y : tensor<8xi8>
}

// -----

// The rescale's input zero point disagrees with the input's quantization.
// CHECK-LABEL: func.func @preserve_zero_point_mismatch(
// CHECK: tosa.rescale
// CHECK-NOT: = tinyprune.
func.func @preserve_zero_point_mismatch(%x: tensor<8xi8> {tinyprune.quant = #tinyprune.quant<scale = 0.5, zero_point = 5>}) -> tensor<8xi8> {
  %m = "tosa.const"() <{values = dense<1073741824> : tensor<1xi32>}> : () -> tensor<1xi32>
  %s = "tosa.const"() <{values = dense<29> : tensor<1xi8>}> : () -> tensor<1xi8>
  %izp = "tosa.const"() <{values = dense<1> : tensor<1xi8>}> : () -> tensor<1xi8>
  %ozp = "tosa.const"() <{values = dense<2> : tensor<1xi8>}> : () -> tensor<1xi8>
  %y = tosa.rescale %x, %m, %s, %izp, %ozp {input_unsigned = false, output_unsigned = false, per_channel = false, rounding_mode = DOUBLE_ROUND, scale32 = true, tinyprune.quant = #tinyprune.quant<scale = 0.25, zero_point = 2>} : (tensor<8xi8>, tensor<1xi32>, tensor<1xi8>, tensor<1xi8>, tensor<1xi8>) -> tensor<8xi8>
  return %y : tensor<8xi8>
}

// -----

// Without the input's quantization the layer op cannot be written.
// CHECK-LABEL: func.func @preserve_unknown_quantization(
// CHECK: tosa.rescale
// CHECK-NOT: = tinyprune.
func.func @preserve_unknown_quantization(%x: tensor<8xi8>) -> tensor<8xi8> {
  %m = "tosa.const"() <{values = dense<1073741824> : tensor<1xi32>}> : () -> tensor<1xi32>
  %s = "tosa.const"() <{values = dense<29> : tensor<1xi8>}> : () -> tensor<1xi8>
  %zp = "tosa.const"() <{values = dense<1> : tensor<1xi8>}> : () -> tensor<1xi8>
  %y = tosa.rescale %x, %m, %s, %zp, %zp {input_unsigned = false, output_unsigned = false, per_channel = false, rounding_mode = DOUBLE_ROUND, scale32 = true, tinyprune.quant = #tinyprune.quant<scale = 0.25, zero_point = 1>} : (tensor<8xi8>, tensor<1xi32>, tensor<1xi8>, tensor<1xi8>, tensor<1xi8>) -> tensor<8xi8>
  return %y : tensor<8xi8>
}

// -----

// int8 LEAKY_RELU's rescales belong to its select.
// CHECK-LABEL: func.func @preserve_leaky_relu(
// CHECK-COUNT-2: tosa.rescale
// CHECK: tosa.select
// CHECK-NOT: = tinyprune.
func.func @preserve_leaky_relu(%x: tensor<4xi8> {tinyprune.quant = #tinyprune.quant<scale = 0.5, zero_point = 1>}) -> tensor<4xi8> {
  %m = "tosa.const"() <{values = dense<1073741824> : tensor<1xi32>}> : () -> tensor<1xi32>
  %s1 = "tosa.const"() <{values = dense<30> : tensor<1xi8>}> : () -> tensor<1xi8>
  %s2 = "tosa.const"() <{values = dense<33> : tensor<1xi8>}> : () -> tensor<1xi8>
  %zp = "tosa.const"() <{values = dense<1> : tensor<1xi8>}> : () -> tensor<1xi8>
  %zpx = "tosa.const"() <{values = dense<1> : tensor<4xi8>}> : () -> tensor<4xi8>
  %pos = tosa.rescale %x, %m, %s1, %zp, %zp {input_unsigned = false, output_unsigned = false, per_channel = false, rounding_mode = DOUBLE_ROUND, scale32 = true} : (tensor<4xi8>, tensor<1xi32>, tensor<1xi8>, tensor<1xi8>, tensor<1xi8>) -> tensor<4xi8>
  %neg = tosa.rescale %x, %m, %s2, %zp, %zp {input_unsigned = false, output_unsigned = false, per_channel = false, rounding_mode = DOUBLE_ROUND, scale32 = true} : (tensor<4xi8>, tensor<1xi32>, tensor<1xi8>, tensor<1xi8>, tensor<1xi8>) -> tensor<4xi8>
  %c = tosa.greater_equal %x, %zpx : (tensor<4xi8>, tensor<4xi8>) -> tensor<4xi1>
  %y = tosa.select %c, %pos, %neg {tinyprune.quant = #tinyprune.quant<scale = 0.5, zero_point = 1>} : (tensor<4xi1>, tensor<4xi8>, tensor<4xi8>) -> tensor<4xi8>
  return %y : tensor<4xi8>
}
