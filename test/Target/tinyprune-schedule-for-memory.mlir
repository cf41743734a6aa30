// RUN: tinyprune-opt %s --tinyprune-schedule-for-memory -split-input-file -verify-diagnostics | FileCheck %s

// A residual block: %wide (1 KiB) feeds a narrow-then-wide branch and a
// shortcut. In program order %wide, %long1 and %long2 are live together
// (2304 B) and then %wide, %long2 and %short (3072 B). Running the shortcut
// once the branch's narrow layer is done lets %wide die there: 2304 B.

// CHECK-LABEL: func.func @run_shortcut_first(
// CHECK: %[[WIDE:.*]] = tinyprune.conv2d %arg0,
// CHECK-NEXT: %[[L1:.*]] = tinyprune.conv2d %[[WIDE]],
// CHECK-NEXT: %[[S:.*]] = tinyprune.conv2d %[[WIDE]],
// CHECK-NEXT: %[[L2:.*]] = tinyprune.conv2d %[[L1]],
// CHECK-NEXT: tinyprune.add %[[L2]], %[[S]]
func.func @run_shortcut_first(%x: tensor<1x4x4x4xf32>) -> tensor<1x4x4x16xf32> {
  %w0 = "tosa.const"() {values = dense<0.5> : tensor<16x1x1x4xf32>} : () -> tensor<16x1x1x4xf32>
  %w1 = "tosa.const"() {values = dense<0.25> : tensor<4x1x1x16xf32>} : () -> tensor<4x1x1x16xf32>
  %w2 = "tosa.const"() {values = dense<0.125> : tensor<16x1x1x4xf32>} : () -> tensor<16x1x1x4xf32>
  %w3 = "tosa.const"() {values = dense<1.0> : tensor<16x1x1x16xf32>} : () -> tensor<16x1x1x16xf32>
  %b4 = "tosa.const"() {values = dense<0.0> : tensor<4xf32>} : () -> tensor<4xf32>
  %b16 = "tosa.const"() {values = dense<0.0> : tensor<16xf32>} : () -> tensor<16xf32>
  %wide = tinyprune.conv2d %x, %w0, %b16 {pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>, dilation = array<i64: 1, 1>, min_val = 0.0 : f32, max_val = 6.0 : f32}
    : (tensor<1x4x4x4xf32>, tensor<16x1x1x4xf32>, tensor<16xf32>) -> tensor<1x4x4x16xf32>
  %long1 = tinyprune.conv2d %wide, %w1, %b4 {pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>, dilation = array<i64: 1, 1>, min_val = 0.0 : f32, max_val = 6.0 : f32}
    : (tensor<1x4x4x16xf32>, tensor<4x1x1x16xf32>, tensor<4xf32>) -> tensor<1x4x4x4xf32>
  %long2 = tinyprune.conv2d %long1, %w2, %b16 {pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>, dilation = array<i64: 1, 1>, min_val = 0.0 : f32, max_val = 6.0 : f32}
    : (tensor<1x4x4x4xf32>, tensor<16x1x1x4xf32>, tensor<16xf32>) -> tensor<1x4x4x16xf32>
  %short = tinyprune.conv2d %wide, %w3, %b16 {pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>, dilation = array<i64: 1, 1>, min_val = 0.0 : f32, max_val = 6.0 : f32}
    : (tensor<1x4x4x16xf32>, tensor<16x1x1x16xf32>, tensor<16xf32>) -> tensor<1x4x4x16xf32>
  %sum = tinyprune.add %long2, %short {min_val = -3.40282347E+38 : f32, max_val = 3.40282347E+38 : f32}
    : (tensor<1x4x4x16xf32>, tensor<1x4x4x16xf32>) -> tensor<1x4x4x16xf32>
  return %sum : tensor<1x4x4x16xf32>
}

// -----

// Moving the ops drops an arena plan made for the old order.

// CHECK-LABEL: func.func @drop_stale_plan(
// CHECK-NOT: tinyprune.arena
// CHECK: return
func.func @drop_stale_plan(%x: tensor<1x4x4x4xf32>) -> tensor<1x4x4x16xf32> attributes {tinyprune.arena_size = 3072 : i64} {
  %w0 = "tosa.const"() {values = dense<0.5> : tensor<16x1x1x4xf32>} : () -> tensor<16x1x1x4xf32>
  %w1 = "tosa.const"() {values = dense<0.25> : tensor<4x1x1x16xf32>} : () -> tensor<4x1x1x16xf32>
  %w2 = "tosa.const"() {values = dense<0.125> : tensor<16x1x1x4xf32>} : () -> tensor<16x1x1x4xf32>
  %w3 = "tosa.const"() {values = dense<1.0> : tensor<16x1x1x16xf32>} : () -> tensor<16x1x1x16xf32>
  %b4 = "tosa.const"() {values = dense<0.0> : tensor<4xf32>} : () -> tensor<4xf32>
  %b16 = "tosa.const"() {values = dense<0.0> : tensor<16xf32>} : () -> tensor<16xf32>
  %wide = tinyprune.conv2d %x, %w0, %b16 {pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>, dilation = array<i64: 1, 1>, min_val = 0.0 : f32, max_val = 6.0 : f32, tinyprune.arena = {offset = 0 : i64, bytes = 1024 : i64}}
    : (tensor<1x4x4x4xf32>, tensor<16x1x1x4xf32>, tensor<16xf32>) -> tensor<1x4x4x16xf32>
  %long1 = tinyprune.conv2d %wide, %w1, %b4 {pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>, dilation = array<i64: 1, 1>, min_val = 0.0 : f32, max_val = 6.0 : f32, tinyprune.arena = {offset = 1024 : i64, bytes = 256 : i64}}
    : (tensor<1x4x4x16xf32>, tensor<4x1x1x16xf32>, tensor<4xf32>) -> tensor<1x4x4x4xf32>
  %long2 = tinyprune.conv2d %long1, %w2, %b16 {pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>, dilation = array<i64: 1, 1>, min_val = 0.0 : f32, max_val = 6.0 : f32, tinyprune.arena = {offset = 2048 : i64, bytes = 1024 : i64}}
    : (tensor<1x4x4x4xf32>, tensor<16x1x1x4xf32>, tensor<16xf32>) -> tensor<1x4x4x16xf32>
  %short = tinyprune.conv2d %wide, %w3, %b16 {pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>, dilation = array<i64: 1, 1>, min_val = 0.0 : f32, max_val = 6.0 : f32, tinyprune.arena = {offset = 1024 : i64, bytes = 1024 : i64}}
    : (tensor<1x4x4x16xf32>, tensor<16x1x1x16xf32>, tensor<16xf32>) -> tensor<1x4x4x16xf32>
  %sum = tinyprune.add %long2, %short {min_val = -3.40282347E+38 : f32, max_val = 3.40282347E+38 : f32, tinyprune.output = {offset = 0 : i64, bytes = 1024 : i64}}
    : (tensor<1x4x4x16xf32>, tensor<1x4x4x16xf32>) -> tensor<1x4x4x16xf32>
  return %sum : tensor<1x4x4x16xf32>
}

// -----

// A chain has one order: nothing moves.

// CHECK-LABEL: func.func @preserve_chain(
// CHECK: %[[A:.*]] = tinyprune.max_pool2d %arg0
// CHECK-NEXT: %[[B:.*]] = tinyprune.requantize %[[A]]
// CHECK-NEXT: return %[[B]]
func.func @preserve_chain(%x: tensor<1x4x4x2xi8>) -> tensor<1x2x2x2xi8> {
  %a = tinyprune.max_pool2d %x {kernel = array<i64: 2, 2>, stride = array<i64: 2, 2>, pad = array<i64: 0, 0, 0, 0>, min_val = -128 : i8, max_val = 127 : i8, quant = #tinyprune.quant<scale = 0.5, zero_point = 1>}
    : (tensor<1x4x4x2xi8>) -> tensor<1x2x2x2xi8>
  %b = tinyprune.requantize %a {min_val = -128 : i8, max_val = 127 : i8, input_quant = #tinyprune.quant<scale = 0.5, zero_point = 1>, output_quant = #tinyprune.quant<scale = 0.25, zero_point = -3>, multiplier = 1073741824 : i32, shift = 29 : i8}
    : (tensor<1x2x2x2xi8>) -> tensor<1x2x2x2xi8>
  return %b : tensor<1x2x2x2xi8>
}

// -----

// The schedule is of kernel calls: an op no call implements is an error.

func.func @reject_unsupported(%x: tensor<2x2xf32>) -> tensor<2x2xf32> {
  // expected-error @+1 {{'tosa.exp' op is not supported by the C++ lowering yet}}
  %y = tosa.exp %x : (tensor<2x2xf32>) -> tensor<2x2xf32>
  return %y : tensor<2x2xf32>
}
