// Canonical form of filterlet-pruned convolutions (the tinyprune dialect's
// canonicalization patterns, run by plain --canonicalize): zero kept
// filterlets leave the attribute, a fully pruned convolution becomes its
// bias, the rescale and clamp after it fold to constants, an attribute that
// keeps everything goes; what the patterns must leave alone. First on the
// layer op `tinyprune.conv2d` as --filterlet-prune writes it, then on the
// TOSA form --tinyprune-lower-layers-to-tosa expands it to.
// RUN: tinyprune-opt %s -split-input-file --canonicalize | FileCheck %s

// Layer ops.

// float: filter 0's filterlet 1 and filter 2's filterlet 0 are kept but
// zero (one of them -0.0): both leave `filterlets`; the weights stay.
// CHECK-LABEL: func.func @layer_drop_zero_filterlets(
// CHECK: tinyprune.conv2d
// CHECK-SAME: filterlets = #tinyprune.filterlets<block = 2, kept = {{\[\[}}0], [1], [1]]>
func.func @layer_drop_zero_filterlets(%x: tensor<1x2x2x4xf32>) -> tensor<1x2x2x3xf32> {
  %w = "tosa.const"() <{values = dense<[[[[1.0, 2.0, 0.0, 0.0]]], [[[0.0, 0.0, 3.0, 0.0]]], [[[-0.0, 0.0, 0.5, 4.0]]]]> : tensor<3x1x1x4xf32>}> : () -> tensor<3x1x1x4xf32>
  %b = "tosa.const"() <{values = dense<[0.5, 1.0, -1.0]> : tensor<3xf32>}> : () -> tensor<3xf32>
  %y = tinyprune.conv2d %x, %w, %b {pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>, dilation = array<i64: 1, 1>, min_val = 0xFF800000 : f32, max_val = 0x7F800000 : f32, filterlets = #tinyprune.filterlets<block = 2, kept = [[0, 1], [1], [0, 1]]>} : (tensor<1x2x2x4xf32>, tensor<3x1x1x4xf32>, tensor<3xf32>) -> tensor<1x2x2x3xf32>
  return %y : tensor<1x2x2x3xf32>
}

// -----

// int8: both filters' kept filterlets are zero, so the layer computes
// act(requant(bias)) at every position: the bias [100, -300] times 1/8 and
// 1/4 (TFLite rounding: 12.5 -> 13, -75) plus the output zero point -128
// gives -115 and -128 after saturation; the fused activation's range
// [-120, 127] gives -115 and -120: a constant with the output's
// quantization, as the TOSA form below folds to.
// CHECK-LABEL: func.func @layer_fold_fully_pruned_int8(
// CHECK-NEXT: %[[C:.*]] = "tosa.const"() <{values = dense<{{\[\[\[}}[-115, -120], [-115, -120]], {{\[\[}}-115, -120], [-115, -120]]]]> : tensor<1x2x2x2xi8>}> {tinyprune.quant = #tinyprune.quant<scale = 0.5, zero_point = -128>}
// CHECK-NEXT: return %[[C]]
func.func @layer_fold_fully_pruned_int8(%x: tensor<1x2x2x4xi8>) -> tensor<1x2x2x2xi8> {
  %w = "tosa.const"() <{values = dense<0> : tensor<2x1x1x4xi8>}> : () -> tensor<2x1x1x4xi8>
  %b = "tosa.const"() <{values = dense<[100, -300]> : tensor<2xi32>}> : () -> tensor<2xi32>
  %y = tinyprune.conv2d %x, %w, %b {pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>, dilation = array<i64: 1, 1>, min_val = -120 : i8, max_val = 127 : i8, input_quant = #tinyprune.quant<scale = 0.1, zero_point = -128>, weight_quant = #tinyprune.quant<axis = 0, scale = [0.01, 0.02], zero_point = [0, 0]>, output_quant = #tinyprune.quant<scale = 0.5, zero_point = -128>, multiplier = array<i32: 1073741824, 1073741824>, shift = array<i8: 33, 32>, filterlets = #tinyprune.filterlets<block = 2, kept = [[0], [1]]>} : (tensor<1x2x2x4xi8>, tensor<2x1x1x4xi8>, tensor<2xi32>) -> tensor<1x2x2x2xi8>
  return %y : tensor<1x2x2x2xi8>
}

// -----

// int8, partially pruned: filter 1's only kept filterlet rounded to zero,
// filter 0 still works: the layer stays, keeping filter 0's filterlet.
// CHECK-LABEL: func.func @layer_drop_zero_filterlet_int8_partial(
// CHECK: tinyprune.conv2d
// CHECK-SAME: filterlets = #tinyprune.filterlets<block = 4, kept = {{\[\[}}1], []]>
func.func @layer_drop_zero_filterlet_int8_partial(%x: tensor<1x3x3x4xi8>) -> tensor<1x3x1x2xi8> {
  %w = "tosa.const"() <{values = dense<[[[[0, 0, 0, 0], [1, -2, 3, -4], [0, 0, 0, 0]]], [[[0, 0, 0, 0], [0, 0, 0, 0], [0, 0, 0, 0]]]]> : tensor<2x1x3x4xi8>}> : () -> tensor<2x1x3x4xi8>
  %b = "tosa.const"() <{values = dense<[10, -10]> : tensor<2xi32>}> : () -> tensor<2xi32>
  %y = tinyprune.conv2d %x, %w, %b {pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>, dilation = array<i64: 1, 1>, min_val = -128 : i8, max_val = 127 : i8, input_quant = #tinyprune.quant<scale = 0.1, zero_point = -128>, weight_quant = #tinyprune.quant<axis = 0, scale = [0.01, 0.02], zero_point = [0, 0]>, output_quant = #tinyprune.quant<scale = 0.5, zero_point = -128>, multiplier = array<i32: 1073741824>, shift = array<i8: 33>, filterlets = #tinyprune.filterlets<block = 4, kept = [[1], [2]]>} : (tensor<1x3x3x4xi8>, tensor<2x1x3x4xi8>, tensor<2xi32>) -> tensor<1x3x1x2xi8>
  return %y : tensor<1x3x1x2xi8>
}

// -----

// float: a fully pruned layer is its bias [-1.5, 7.0] clamped to its fused
// ReLU6.
// CHECK-LABEL: func.func @layer_fold_fully_pruned_float(
// CHECK-NEXT: %[[C:.*]] = "tosa.const"() <{values = dense<{{\[\[\[}}[0.000000e+00, 6.000000e+00], [0.000000e+00, 6.000000e+00]]]]> : tensor<1x1x2x2xf32>}>
// CHECK-NEXT: return %[[C]]
func.func @layer_fold_fully_pruned_float(%x: tensor<1x3x4x2xf32>) -> tensor<1x1x2x2xf32> {
  %w = "tosa.const"() <{values = dense<0.0> : tensor<2x3x3x2xf32>}> : () -> tensor<2x3x3x2xf32>
  %b = "tosa.const"() <{values = dense<[-1.5, 7.0]> : tensor<2xf32>}> : () -> tensor<2xf32>
  %y = tinyprune.conv2d %x, %w, %b {pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>, dilation = array<i64: 1, 1>, min_val = 0.0 : f32, max_val = 6.0 : f32, filterlets = #tinyprune.filterlets<block = 2, kept = [[], []]>} : (tensor<1x3x4x2xf32>, tensor<2x3x3x2xf32>, tensor<2xf32>) -> tensor<1x1x2x2xf32>
  return %y : tensor<1x1x2x2xf32>
}

// -----

// Nothing pruned: `filterlets` keeping every filterlet goes.
// CHECK-LABEL: func.func @layer_nothing_pruned_drops_attribute(
// CHECK: tinyprune.conv2d
// CHECK-NOT: filterlets
// CHECK: return
func.func @layer_nothing_pruned_drops_attribute(%x: tensor<1x2x2x4xf32>) -> tensor<1x2x2x2xf32> {
  %w = "tosa.const"() <{values = dense<[[[[1.0, 2.0, 3.0, 0.0]]], [[[0.0, 1.0, 1.0, 1.0]]]]> : tensor<2x1x1x4xf32>}> : () -> tensor<2x1x1x4xf32>
  %b = "tosa.const"() <{values = dense<0.0> : tensor<2xf32>}> : () -> tensor<2xf32>
  %y = tinyprune.conv2d %x, %w, %b {pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>, dilation = array<i64: 1, 1>, min_val = 0xFF800000 : f32, max_val = 0x7F800000 : f32, filterlets = #tinyprune.filterlets<block = 2, kept = [[0, 1], [0, 1]]>} : (tensor<1x2x2x4xf32>, tensor<2x1x1x4xf32>, tensor<2xf32>) -> tensor<1x2x2x2xf32>
  return %y : tensor<1x2x2x2xf32>
}

// -----

// Non-constant weights: a layer whose filters are all empty is not folded
// (its weights are only claimed to be zero).
// CHECK-LABEL: func.func @layer_preserve_non_constant_weights(
// CHECK: tinyprune.conv2d
// CHECK-SAME: filterlets = #tinyprune.filterlets<block = 2, kept = {{\[\[}}], []]>
func.func @layer_preserve_non_constant_weights(%x: tensor<1x2x2x4xf32>, %w: tensor<2x1x1x4xf32>) -> tensor<1x2x2x2xf32> {
  %b = "tosa.const"() <{values = dense<1.0> : tensor<2xf32>}> : () -> tensor<2xf32>
  %y = tinyprune.conv2d %x, %w, %b {pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>, dilation = array<i64: 1, 1>, min_val = 0xFF800000 : f32, max_val = 0x7F800000 : f32, filterlets = #tinyprune.filterlets<block = 2, kept = [[], []]>} : (tensor<1x2x2x4xf32>, tensor<2x1x1x4xf32>, tensor<2xf32>) -> tensor<1x2x2x2xf32>
  return %y : tensor<1x2x2x2xf32>
}

// -----

// TOSA form.

// float: filter 0's filterlet 1 and filter 2's filterlet 0 are kept but
// zero (one of them -0.0): both leave the attribute; the weights stay.
// CHECK-LABEL: func.func @drop_zero_filterlets_float(
// CHECK: tosa.conv2d
// CHECK-SAME: tinyprune.filterlets = #tinyprune.filterlets<block = 2, kept = {{\[\[}}0], [1], [1]]>
func.func @drop_zero_filterlets_float(%x: tensor<1x2x2x4xf32>) -> tensor<1x2x2x3xf32> {
  %w = "tosa.const"() <{values = dense<[[[[1.0, 2.0, 0.0, 0.0]]], [[[0.0, 0.0, 3.0, 0.0]]], [[[-0.0, 0.0, 0.5, 4.0]]]]> : tensor<3x1x1x4xf32>}> : () -> tensor<3x1x1x4xf32>
  %b = "tosa.const"() <{values = dense<[0.5, 1.0, -1.0]> : tensor<3xf32>}> : () -> tensor<3xf32>
  %zp = "tosa.const"() <{values = dense<0.0> : tensor<1xf32>}> : () -> tensor<1xf32>
  %y = tosa.conv2d %x, %w, %b, %zp, %zp {acc_type = f32, dilation = array<i64: 1, 1>, pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>, tinyprune.filterlets = #tinyprune.filterlets<block = 2, kept = [[0, 1], [1], [0, 1]]>} : (tensor<1x2x2x4xf32>, tensor<3x1x1x4xf32>, tensor<3xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x2x2x3xf32>
  return %y : tensor<1x2x2x3xf32>
}

// -----

// int8: re-quantization rounded filter 1's only kept filterlet to zero. The
// filter becomes empty (it outputs its bias) while filter 0 still works:
// a partially pruned convolution, which stays a convolution with its
// rescale.
// CHECK-LABEL: func.func @drop_zero_filterlet_int8_partial(
// CHECK: %[[ACC:.*]] = tosa.conv2d
// CHECK-SAME: tinyprune.filterlets = #tinyprune.filterlets<block = 4, kept = {{\[\[}}1], []]>
// CHECK: tosa.rescale %[[ACC]]
func.func @drop_zero_filterlet_int8_partial(%x: tensor<1x3x3x4xi8>) -> tensor<1x3x1x2xi8> {
  %w = "tosa.const"() <{values = dense<[[[[0, 0, 0, 0], [1, -2, 3, -4], [0, 0, 0, 0]]], [[[0, 0, 0, 0], [0, 0, 0, 0], [0, 0, 0, 0]]]]> : tensor<2x1x3x4xi8>}> {tinyprune.quant = #tinyprune.quant<axis = 0, scale = [0.01, 0.02], zero_point = [0, 0]>} : () -> tensor<2x1x3x4xi8>
  %b = "tosa.const"() <{values = dense<[10, -10]> : tensor<2xi32>}> : () -> tensor<2xi32>
  %xzp = "tosa.const"() <{values = dense<-128> : tensor<1xi8>}> : () -> tensor<1xi8>
  %wzp = "tosa.const"() <{values = dense<0> : tensor<1xi8>}> : () -> tensor<1xi8>
  %acc = tosa.conv2d %x, %w, %b, %xzp, %wzp {acc_type = i32, dilation = array<i64: 1, 1>, pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>, tinyprune.filterlets = #tinyprune.filterlets<block = 4, kept = [[1], [2]]>} : (tensor<1x3x3x4xi8>, tensor<2x1x3x4xi8>, tensor<2xi32>, tensor<1xi8>, tensor<1xi8>) -> tensor<1x3x1x2xi32>
  %m = "tosa.const"() <{values = dense<[1073741824, 1073741824]> : tensor<2xi32>}> : () -> tensor<2xi32>
  %s = "tosa.const"() <{values = dense<[33, 33]> : tensor<2xi8>}> : () -> tensor<2xi8>
  %izp = "tosa.const"() <{values = dense<0> : tensor<1xi32>}> : () -> tensor<1xi32>
  %ozp = "tosa.const"() <{values = dense<-128> : tensor<1xi8>}> : () -> tensor<1xi8>
  %y = tosa.rescale %acc, %m, %s, %izp, %ozp {input_unsigned = false, output_unsigned = false, per_channel = true, rounding_mode = DOUBLE_ROUND, scale32 = true} : (tensor<1x3x1x2xi32>, tensor<2xi32>, tensor<2xi8>, tensor<1xi32>, tensor<1xi8>) -> tensor<1x3x1x2xi8>
  return %y : tensor<1x3x1x2xi8>
}

// -----

// int8: both filters' kept filterlets are zero, so no filterlet is left and
// the convolution is its bias [100, -300] at every position (the input zero
// point -128 multiplies zero weights). The rescale by 1/8 and 1/4 (TFLite
// rounding: 12.5 -> 13, -75) plus the zero point -128 gives -115 and -128
// after saturation; the clamp to [-120, 127] gives -115 and -120. One
// constant is left.
// CHECK-LABEL: func.func @fold_fully_pruned_int8(
// CHECK-NEXT: %[[C:.*]] = "tosa.const"() <{values = dense<{{\[\[\[}}[-115, -120], [-115, -120]], {{\[\[}}-115, -120], [-115, -120]]]]> : tensor<1x2x2x2xi8>}> {tinyprune.quant = #tinyprune.quant<scale = 0.5, zero_point = -128>}
// CHECK-NEXT: return %[[C]]
func.func @fold_fully_pruned_int8(%x: tensor<1x2x2x4xi8>) -> tensor<1x2x2x2xi8> {
  %w = "tosa.const"() <{values = dense<0> : tensor<2x1x1x4xi8>}> : () -> tensor<2x1x1x4xi8>
  %b = "tosa.const"() <{values = dense<[100, -300]> : tensor<2xi32>}> : () -> tensor<2xi32>
  %xzp = "tosa.const"() <{values = dense<-128> : tensor<1xi8>}> : () -> tensor<1xi8>
  %wzp = "tosa.const"() <{values = dense<0> : tensor<1xi8>}> : () -> tensor<1xi8>
  %acc = tosa.conv2d %x, %w, %b, %xzp, %wzp {acc_type = i32, dilation = array<i64: 1, 1>, pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>, tinyprune.filterlets = #tinyprune.filterlets<block = 2, kept = [[0], [1]]>} : (tensor<1x2x2x4xi8>, tensor<2x1x1x4xi8>, tensor<2xi32>, tensor<1xi8>, tensor<1xi8>) -> tensor<1x2x2x2xi32>
  %m = "tosa.const"() <{values = dense<[1073741824, 1073741824]> : tensor<2xi32>}> : () -> tensor<2xi32>
  %s = "tosa.const"() <{values = dense<[33, 32]> : tensor<2xi8>}> : () -> tensor<2xi8>
  %izp = "tosa.const"() <{values = dense<0> : tensor<1xi32>}> : () -> tensor<1xi32>
  %ozp = "tosa.const"() <{values = dense<-128> : tensor<1xi8>}> : () -> tensor<1xi8>
  %r = tosa.rescale %acc, %m, %s, %izp, %ozp {input_unsigned = false, output_unsigned = false, per_channel = true, rounding_mode = DOUBLE_ROUND, scale32 = true} : (tensor<1x2x2x2xi32>, tensor<2xi32>, tensor<2xi8>, tensor<1xi32>, tensor<1xi8>) -> tensor<1x2x2x2xi8>
  %y = tosa.clamp %r {max_val = 127 : i8, min_val = -120 : i8, tinyprune.quant = #tinyprune.quant<scale = 0.5, zero_point = -128>} : (tensor<1x2x2x2xi8>) -> tensor<1x2x2x2xi8>
  return %y : tensor<1x2x2x2xi8>
}

// -----

// The same layer without the clamp: the rescale's constant keeps the
// rescale's quantization.
// CHECK-LABEL: func.func @fold_fully_pruned_int8_rescale(
// CHECK-NEXT: %[[C:.*]] = "tosa.const"() <{values = dense<{{\[\[\[}}[-115, -128]]]]> : tensor<1x1x1x2xi8>}> {tinyprune.quant = #tinyprune.quant<scale = 0.25, zero_point = -128>}
// CHECK-NEXT: return %[[C]]
func.func @fold_fully_pruned_int8_rescale(%x: tensor<1x1x1x4xi8>) -> tensor<1x1x1x2xi8> {
  %w = "tosa.const"() <{values = dense<0> : tensor<2x1x1x4xi8>}> : () -> tensor<2x1x1x4xi8>
  %b = "tosa.const"() <{values = dense<[100, -300]> : tensor<2xi32>}> : () -> tensor<2xi32>
  %xzp = "tosa.const"() <{values = dense<-128> : tensor<1xi8>}> : () -> tensor<1xi8>
  %wzp = "tosa.const"() <{values = dense<0> : tensor<1xi8>}> : () -> tensor<1xi8>
  %acc = tosa.conv2d %x, %w, %b, %xzp, %wzp {acc_type = i32, dilation = array<i64: 1, 1>, pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>, tinyprune.filterlets = #tinyprune.filterlets<block = 4, kept = [[], []]>} : (tensor<1x1x1x4xi8>, tensor<2x1x1x4xi8>, tensor<2xi32>, tensor<1xi8>, tensor<1xi8>) -> tensor<1x1x1x2xi32>
  %m = "tosa.const"() <{values = dense<[1073741824, 1073741824]> : tensor<2xi32>}> : () -> tensor<2xi32>
  %s = "tosa.const"() <{values = dense<[33, 32]> : tensor<2xi8>}> : () -> tensor<2xi8>
  %izp = "tosa.const"() <{values = dense<0> : tensor<1xi32>}> : () -> tensor<1xi32>
  %ozp = "tosa.const"() <{values = dense<-128> : tensor<1xi8>}> : () -> tensor<1xi8>
  %y = tosa.rescale %acc, %m, %s, %izp, %ozp {input_unsigned = false, output_unsigned = false, per_channel = true, rounding_mode = DOUBLE_ROUND, scale32 = true, tinyprune.quant = #tinyprune.quant<scale = 0.25, zero_point = -128>} : (tensor<1x1x1x2xi32>, tensor<2xi32>, tensor<2xi8>, tensor<1xi32>, tensor<1xi8>) -> tensor<1x1x1x2xi8>
  return %y : tensor<1x1x1x2xi8>
}

// -----

// float: a fully pruned convolution is its bias [-1.5, 7.0] broadcast to the
// output; the ReLU6 clamp after it folds to [0.0, 6.0].
// CHECK-LABEL: func.func @fold_fully_pruned_float(
// CHECK-NEXT: %[[C:.*]] = "tosa.const"() <{values = dense<{{\[\[\[}}[0.000000e+00, 6.000000e+00], [0.000000e+00, 6.000000e+00]]]]> : tensor<1x1x2x2xf32>}>
// CHECK-NEXT: return %[[C]]
func.func @fold_fully_pruned_float(%x: tensor<1x3x4x2xf32>) -> tensor<1x1x2x2xf32> {
  %w = "tosa.const"() <{values = dense<0.0> : tensor<2x3x3x2xf32>}> : () -> tensor<2x3x3x2xf32>
  %b = "tosa.const"() <{values = dense<[-1.5, 7.0]> : tensor<2xf32>}> : () -> tensor<2xf32>
  %zp = "tosa.const"() <{values = dense<0.0> : tensor<1xf32>}> : () -> tensor<1xf32>
  %acc = tosa.conv2d %x, %w, %b, %zp, %zp {acc_type = f32, dilation = array<i64: 1, 1>, pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>, tinyprune.filterlets = #tinyprune.filterlets<block = 2, kept = [[], []]>} : (tensor<1x3x4x2xf32>, tensor<2x3x3x2xf32>, tensor<2xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x1x2x2xf32>
  %y = tosa.clamp %acc {max_val = 6.0 : f32, min_val = 0.0 : f32} : (tensor<1x1x2x2xf32>) -> tensor<1x1x2x2xf32>
  return %y : tensor<1x1x2x2xf32>
}

// -----

// Nothing pruned: an attribute that keeps every filterlet (with non-zero
// weights) says nothing the dense convolution does not; it goes.
// CHECK-LABEL: func.func @nothing_pruned_drops_attribute(
// CHECK: tosa.conv2d
// CHECK-NOT: tinyprune.filterlets
// CHECK: return
func.func @nothing_pruned_drops_attribute(%x: tensor<1x2x2x4xf32>) -> tensor<1x2x2x2xf32> {
  %w = "tosa.const"() <{values = dense<[[[[1.0, 2.0, 3.0, 0.0]]], [[[0.0, 1.0, 1.0, 1.0]]]]> : tensor<2x1x1x4xf32>}> : () -> tensor<2x1x1x4xf32>
  %b = "tosa.const"() <{values = dense<0.0> : tensor<2xf32>}> : () -> tensor<2xf32>
  %zp = "tosa.const"() <{values = dense<0.0> : tensor<1xf32>}> : () -> tensor<1xf32>
  %y = tosa.conv2d %x, %w, %b, %zp, %zp {acc_type = f32, dilation = array<i64: 1, 1>, pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>, tinyprune.filterlets = #tinyprune.filterlets<block = 2, kept = [[0, 1], [0, 1]]>} : (tensor<1x2x2x4xf32>, tensor<2x1x1x4xf32>, tensor<2xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x2x2x2xf32>
  return %y : tensor<1x2x2x2xf32>
}

// -----

// Already canonical: every kept filterlet has a non-zero weight and some are
// pruned. Nothing changes.
// CHECK-LABEL: func.func @canonical_unchanged(
// CHECK: tosa.conv2d
// CHECK-SAME: tinyprune.filterlets = #tinyprune.filterlets<block = 2, kept = {{\[\[}}0], [0, 1]]>
func.func @canonical_unchanged(%x: tensor<1x2x2x4xf32>) -> tensor<1x2x2x2xf32> {
  %w = "tosa.const"() <{values = dense<[[[[1.0, 2.0, 0.0, 0.0]]], [[[0.0, 1.0, 1.0, 0.0]]]]> : tensor<2x1x1x4xf32>}> : () -> tensor<2x1x1x4xf32>
  %b = "tosa.const"() <{values = dense<0.0> : tensor<2xf32>}> : () -> tensor<2xf32>
  %zp = "tosa.const"() <{values = dense<0.0> : tensor<1xf32>}> : () -> tensor<1xf32>
  %y = tosa.conv2d %x, %w, %b, %zp, %zp {acc_type = f32, dilation = array<i64: 1, 1>, pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>, tinyprune.filterlets = #tinyprune.filterlets<block = 2, kept = [[0], [0, 1]]>} : (tensor<1x2x2x4xf32>, tensor<2x1x1x4xf32>, tensor<2xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x2x2x2xf32>
  return %y : tensor<1x2x2x2xf32>
}

// -----

// Non-constant weights: whether a kept filterlet is zero is unknown, and a
// convolution whose filters are all empty is not folded (its weights are
// only claimed to be zero).
// CHECK-LABEL: func.func @preserve_non_constant_weights(
// CHECK: tosa.conv2d
// CHECK-SAME: tinyprune.filterlets = #tinyprune.filterlets<block = 2, kept = {{\[\[}}0], []]>
// CHECK: tosa.conv2d
// CHECK-SAME: tinyprune.filterlets = #tinyprune.filterlets<block = 2, kept = {{\[\[}}], []]>
func.func @preserve_non_constant_weights(%x: tensor<1x2x2x4xf32>, %w: tensor<2x1x1x4xf32>) -> (tensor<1x2x2x2xf32>, tensor<1x2x2x2xf32>) {
  %b = "tosa.const"() <{values = dense<1.0> : tensor<2xf32>}> : () -> tensor<2xf32>
  %zp = "tosa.const"() <{values = dense<0.0> : tensor<1xf32>}> : () -> tensor<1xf32>
  %y = tosa.conv2d %x, %w, %b, %zp, %zp {acc_type = f32, dilation = array<i64: 1, 1>, pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>, tinyprune.filterlets = #tinyprune.filterlets<block = 2, kept = [[0], []]>} : (tensor<1x2x2x4xf32>, tensor<2x1x1x4xf32>, tensor<2xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x2x2x2xf32>
  %z = tosa.conv2d %x, %w, %b, %zp, %zp {acc_type = f32, dilation = array<i64: 1, 1>, pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>, tinyprune.filterlets = #tinyprune.filterlets<block = 2, kept = [[], []]>} : (tensor<1x2x2x4xf32>, tensor<2x1x1x4xf32>, tensor<2xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x2x2x2xf32>
  return %y, %z : tensor<1x2x2x2xf32>, tensor<1x2x2x2xf32>
}

// -----

// A non-zero weight zero point makes the zero weights -3 in real terms: the
// convolution does not compute its bias and is not folded.
// CHECK-LABEL: func.func @preserve_weight_zero_point(
// CHECK: tosa.conv2d
// CHECK-SAME: kept = {{\[\[}}]]
func.func @preserve_weight_zero_point(%x: tensor<1x1x1x4xi8>) -> tensor<1x1x1x1xi32> {
  %w = "tosa.const"() <{values = dense<0> : tensor<1x1x1x4xi8>}> : () -> tensor<1x1x1x4xi8>
  %b = "tosa.const"() <{values = dense<5> : tensor<1xi32>}> : () -> tensor<1xi32>
  %xzp = "tosa.const"() <{values = dense<0> : tensor<1xi8>}> : () -> tensor<1xi8>
  %wzp = "tosa.const"() <{values = dense<3> : tensor<1xi8>}> : () -> tensor<1xi8>
  %y = tosa.conv2d %x, %w, %b, %xzp, %wzp {acc_type = i32, dilation = array<i64: 1, 1>, pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>, tinyprune.filterlets = #tinyprune.filterlets<block = 4, kept = [[]]>} : (tensor<1x1x1x4xi8>, tensor<1x1x1x4xi8>, tensor<1xi32>, tensor<1xi8>, tensor<1xi8>) -> tensor<1x1x1x1xi32>
  return %y : tensor<1x1x1x1xi32>
}

// -----

// The rescale of an int8 constant (an int8 ADD/MUL operand, which the C++
// lowering fuses with its layer) is not folded; only accumulators are.
// CHECK-LABEL: func.func @preserve_operand_rescale(
// CHECK: tosa.rescale
func.func @preserve_operand_rescale() -> tensor<2xi32> {
  %c = "tosa.const"() <{values = dense<[3, -7]> : tensor<2xi8>}> : () -> tensor<2xi8>
  %m = "tosa.const"() <{values = dense<1073741824> : tensor<1xi32>}> : () -> tensor<1xi32>
  %s = "tosa.const"() <{values = dense<30> : tensor<1xi8>}> : () -> tensor<1xi8>
  %izp = "tosa.const"() <{values = dense<-1> : tensor<1xi8>}> : () -> tensor<1xi8>
  %ozp = "tosa.const"() <{values = dense<0> : tensor<1xi32>}> : () -> tensor<1xi32>
  %y = tosa.rescale %c, %m, %s, %izp, %ozp {input_unsigned = false, output_unsigned = false, per_channel = false, rounding_mode = DOUBLE_ROUND, scale32 = true, tinyprune.quant = #tinyprune.quant<scale = 0.5, zero_point = 0>} : (tensor<2xi8>, tensor<1xi32>, tensor<1xi8>, tensor<1xi8>, tensor<1xi32>) -> tensor<2xi32>
  return %y : tensor<2xi32>
}

// -----

// A rescale with a left shift (shift 29: x * 2^2 before the high multiply)
// whose shifted input would leave int32 is not folded: TFLite would wrap
// where TOSA does not.
// CHECK-LABEL: func.func @preserve_rescale_overflow(
// CHECK: tosa.rescale
func.func @preserve_rescale_overflow() -> tensor<1xi32> {
  %c = "tosa.const"() <{values = dense<1000000000> : tensor<1xi32>}> : () -> tensor<1xi32>
  %m = "tosa.const"() <{values = dense<1073741824> : tensor<1xi32>}> : () -> tensor<1xi32>
  %s = "tosa.const"() <{values = dense<29> : tensor<1xi8>}> : () -> tensor<1xi8>
  %izp = "tosa.const"() <{values = dense<0> : tensor<1xi32>}> : () -> tensor<1xi32>
  %ozp = "tosa.const"() <{values = dense<0> : tensor<1xi32>}> : () -> tensor<1xi32>
  %y = tosa.rescale %c, %m, %s, %izp, %ozp {input_unsigned = false, output_unsigned = false, per_channel = false, rounding_mode = DOUBLE_ROUND, scale32 = true, tinyprune.quant = #tinyprune.quant<scale = 0.5, zero_point = 0>} : (tensor<1xi32>, tensor<1xi32>, tensor<1xi8>, tensor<1xi32>, tensor<1xi32>) -> tensor<1xi32>
  return %y : tensor<1xi32>
}
