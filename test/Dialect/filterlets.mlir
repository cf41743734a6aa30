// #tinyprune.filterlets: round trip, and the verifier's checks of the
// indices and of the weights they describe.
// RUN: tinyprune-opt %s -split-input-file -verify-diagnostics | FileCheck %s

// CHECK-LABEL: func.func @round_trip
// CHECK: tinyprune.filterlets = #tinyprune.filterlets<block = 2, kept = {{\[\[}}1], [], [0, 1]]>
func.func @round_trip(%x: tensor<1x2x2x4xf32>) -> tensor<1x2x2x3xf32> {
  %w = "tosa.const"() <{values = dense<[[[[0.0, 0.0, 1.0, 2.0]]], [[[0.0, 0.0, 0.0, 0.0]]], [[[1.0, 2.0, 3.0, 4.0]]]]> : tensor<3x1x1x4xf32>}> : () -> tensor<3x1x1x4xf32>
  %b = "tosa.const"() <{values = dense<0.0> : tensor<3xf32>}> : () -> tensor<3xf32>
  %zp = "tosa.const"() <{values = dense<0.0> : tensor<1xf32>}> : () -> tensor<1xf32>
  %y = tosa.conv2d %x, %w, %b, %zp, %zp {acc_type = f32, dilation = array<i64: 1, 1>, pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>, tinyprune.filterlets = #tinyprune.filterlets<block = 2, kept = [[1], [], [0, 1]]>} : (tensor<1x2x2x4xf32>, tensor<3x1x1x4xf32>, tensor<3xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x2x2x3xf32>
  return %y : tensor<1x2x2x3xf32>
}

// -----

func.func @unsorted(%x: tensor<1x2x2x4xf32>, %w: tensor<1x1x1x4xf32>, %b: tensor<1xf32>, %zp: tensor<1xf32>) -> tensor<1x2x2x1xf32> {
  // expected-error @+1 {{filter 0 lists its filterlets out of order or twice (1 then 0)}}
  %y = tosa.conv2d %x, %w, %b, %zp, %zp {acc_type = f32, dilation = array<i64: 1, 1>, pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>, tinyprune.filterlets = #tinyprune.filterlets<block = 2, kept = [[1, 0]]>} : (tensor<1x2x2x4xf32>, tensor<1x1x1x4xf32>, tensor<1xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x2x2x1xf32>
  return %y : tensor<1x2x2x1xf32>
}

// -----

func.func @duplicate(%x: tensor<1x2x2x4xf32>, %w: tensor<1x1x1x4xf32>, %b: tensor<1xf32>, %zp: tensor<1xf32>) -> tensor<1x2x2x1xf32> {
  // expected-error @+1 {{filter 0 lists its filterlets out of order or twice (1 then 1)}}
  %y = tosa.conv2d %x, %w, %b, %zp, %zp {acc_type = f32, dilation = array<i64: 1, 1>, pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>, tinyprune.filterlets = #tinyprune.filterlets<block = 2, kept = [[1, 1]]>} : (tensor<1x2x2x4xf32>, tensor<1x1x1x4xf32>, tensor<1xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x2x2x1xf32>
  return %y : tensor<1x2x2x1xf32>
}

// -----

func.func @out_of_range(%x: tensor<1x2x2x4xf32>, %w: tensor<1x1x1x4xf32>, %b: tensor<1xf32>, %zp: tensor<1xf32>) -> tensor<1x2x2x1xf32> {
  // expected-error @+1 {{filterlet 2 is out of range (a filter has 2)}}
  %y = tosa.conv2d %x, %w, %b, %zp, %zp {acc_type = f32, dilation = array<i64: 1, 1>, pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>, tinyprune.filterlets = #tinyprune.filterlets<block = 2, kept = [[0, 2]]>} : (tensor<1x2x2x4xf32>, tensor<1x1x1x4xf32>, tensor<1xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x2x2x1xf32>
  return %y : tensor<1x2x2x1xf32>
}

// -----

func.func @block_does_not_divide(%x: tensor<1x2x2x4xf32>, %w: tensor<1x1x1x4xf32>, %b: tensor<1xf32>, %zp: tensor<1xf32>) -> tensor<1x2x2x1xf32> {
  // expected-error @+1 {{filterlet block 3 does not divide the 4 input channels}}
  %y = tosa.conv2d %x, %w, %b, %zp, %zp {acc_type = f32, dilation = array<i64: 1, 1>, pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>, tinyprune.filterlets = #tinyprune.filterlets<block = 3, kept = [[0]]>} : (tensor<1x2x2x4xf32>, tensor<1x1x1x4xf32>, tensor<1xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x2x2x1xf32>
  return %y : tensor<1x2x2x1xf32>
}

// -----

func.func @wrong_filter_count(%x: tensor<1x2x2x4xf32>, %w: tensor<1x1x1x4xf32>, %b: tensor<1xf32>, %zp: tensor<1xf32>) -> tensor<1x2x2x1xf32> {
  // expected-error @+1 {{filterlets describe 2 filters but the weight has 1}}
  %y = tosa.conv2d %x, %w, %b, %zp, %zp {acc_type = f32, dilation = array<i64: 1, 1>, pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>, tinyprune.filterlets = #tinyprune.filterlets<block = 2, kept = [[0], [1]]>} : (tensor<1x2x2x4xf32>, tensor<1x1x1x4xf32>, tensor<1xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x2x2x1xf32>
  return %y : tensor<1x2x2x1xf32>
}

// -----

func.func @pruned_but_not_zero(%x: tensor<1x2x2x4xf32>) -> tensor<1x2x2x1xf32> {
  %w = "tosa.const"() <{values = dense<[[[[0.0, 1.0, 1.0, 2.0]]]]> : tensor<1x1x1x4xf32>}> : () -> tensor<1x1x1x4xf32>
  %b = "tosa.const"() <{values = dense<0.0> : tensor<1xf32>}> : () -> tensor<1xf32>
  %zp = "tosa.const"() <{values = dense<0.0> : tensor<1xf32>}> : () -> tensor<1xf32>
  // expected-error @+1 {{filter 0 prunes filterlet 0 but its weights are not zero}}
  %y = tosa.conv2d %x, %w, %b, %zp, %zp {acc_type = f32, dilation = array<i64: 1, 1>, pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>, tinyprune.filterlets = #tinyprune.filterlets<block = 2, kept = [[1]]>} : (tensor<1x2x2x4xf32>, tensor<1x1x1x4xf32>, tensor<1xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x2x2x1xf32>
  return %y : tensor<1x2x2x1xf32>
}

// -----

func.func @not_a_conv(%x: tensor<1x8xf32>) -> tensor<1x8xf32> {
  // expected-error @+1 {{'tinyprune.filterlets' belongs on a tosa.conv2d}}
  %y = tosa.sigmoid %x {tinyprune.filterlets = #tinyprune.filterlets<block = 1, kept = [[0]]>} : (tensor<1x8xf32>) -> tensor<1x8xf32>
  return %y : tensor<1x8xf32>
}

// -----

func.func @bad_block(%x: tensor<1x8xf32>) -> tensor<1x8xf32> {
  // expected-error @+1 {{filterlet block must be positive, not 0}}
  %y = tosa.sigmoid %x {tinyprune.filterlets = #tinyprune.filterlets<block = 0, kept = [[0]]>} : (tensor<1x8xf32>) -> tensor<1x8xf32>
  return %y : tensor<1x8xf32>
}
