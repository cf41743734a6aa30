// RUN: tinyprune-opt %s --tinyprune-plan-arena -split-input-file -verify-diagnostics | FileCheck %s

// Buffers whose lifetimes do not overlap share bytes: %m3 is written when
// %m1 is dead, so it takes %m1's offset; the model input is read in place
// and the last layer writes into the caller's output (no arena bytes).

// CHECK-LABEL: func.func @share_dead_buffers(
// CHECK-SAME: tinyprune.arena_live_peak = 640 : i64, tinyprune.arena_size = 640 : i64
// CHECK: tinyprune.max_pool2d %arg0 {{.*}}tinyprune.arena = {bytes = 512 : i64, offset = 0 : i64}
// CHECK-NEXT: tinyprune.max_pool2d {{.*}}tinyprune.arena = {bytes = 128 : i64, offset = 512 : i64}
// CHECK-NEXT: tinyprune.max_pool2d {{.*}}tinyprune.arena = {bytes = 32 : i64, offset = 0 : i64}
// CHECK-NEXT: tinyprune.max_pool2d {{.*}}tinyprune.output = {bytes = 8 : i64, offset = 0 : i64}
func.func @share_dead_buffers(%x: tensor<1x16x16x2xf32>) -> tensor<1x1x1x2xf32> {
  %m1 = tinyprune.max_pool2d %x {kernel = array<i64: 2, 2>, stride = array<i64: 2, 2>, pad = array<i64: 0, 0, 0, 0>, min_val = -3.40282347E+38 : f32, max_val = 3.40282347E+38 : f32}
    : (tensor<1x16x16x2xf32>) -> tensor<1x8x8x2xf32>
  %m2 = tinyprune.max_pool2d %m1 {kernel = array<i64: 2, 2>, stride = array<i64: 2, 2>, pad = array<i64: 0, 0, 0, 0>, min_val = -3.40282347E+38 : f32, max_val = 3.40282347E+38 : f32}
    : (tensor<1x8x8x2xf32>) -> tensor<1x4x4x2xf32>
  %m3 = tinyprune.max_pool2d %m2 {kernel = array<i64: 2, 2>, stride = array<i64: 2, 2>, pad = array<i64: 0, 0, 0, 0>, min_val = -3.40282347E+38 : f32, max_val = 3.40282347E+38 : f32}
    : (tensor<1x4x4x2xf32>) -> tensor<1x2x2x2xf32>
  %m4 = tinyprune.max_pool2d %m3 {kernel = array<i64: 2, 2>, stride = array<i64: 2, 2>, pad = array<i64: 0, 0, 0, 0>, min_val = -3.40282347E+38 : f32, max_val = 3.40282347E+38 : f32}
    : (tensor<1x2x2x2xf32>) -> tensor<1x1x1x2xf32>
  return %m4 : tensor<1x1x1x2xf32>
}

// -----

// An element-wise layer that is its operand's last reader writes over it.

// CHECK-LABEL: func.func @overwrite_dying_operand(
// CHECK-SAME: tinyprune.arena_size = 32 : i64
// CHECK: tinyprune.max_pool2d %arg0 {{.*}}tinyprune.arena = {bytes = 32 : i64, offset = 0 : i64}
// CHECK-NEXT: tinyprune.requantize {{.*}}tinyprune.arena = {bytes = 32 : i64, offset = 0 : i64}, tinyprune.in_place}
func.func @overwrite_dying_operand(%x: tensor<1x8x8x2xi8>) -> tensor<1x2x2x2xi8> {
  %m = tinyprune.max_pool2d %x {kernel = array<i64: 2, 2>, stride = array<i64: 2, 2>, pad = array<i64: 0, 0, 0, 0>, min_val = -128 : i8, max_val = 127 : i8, quant = #tinyprune.quant<scale = 0.5, zero_point = 1>}
    : (tensor<1x8x8x2xi8>) -> tensor<1x4x4x2xi8>
  %r = tinyprune.requantize %m {min_val = -128 : i8, max_val = 127 : i8, input_quant = #tinyprune.quant<scale = 0.5, zero_point = 1>, output_quant = #tinyprune.quant<scale = 0.25, zero_point = -3>, multiplier = 1073741824 : i32, shift = 29 : i8}
    : (tensor<1x4x4x2xi8>) -> tensor<1x4x4x2xi8>
  %y = tinyprune.max_pool2d %r {kernel = array<i64: 2, 2>, stride = array<i64: 2, 2>, pad = array<i64: 0, 0, 0, 0>, min_val = -128 : i8, max_val = 127 : i8, quant = #tinyprune.quant<scale = 0.25, zero_point = -3>}
    : (tensor<1x4x4x2xi8>) -> tensor<1x2x2x2xi8>
  return %y : tensor<1x2x2x2xi8>
}

// -----

// A 3x3 convolution whose input dies with it runs over that input row by
// row: its 11520 B output starts 7680 B before the 3840 B input, so each
// output row lands on input rows no later row reads; one 960 B row waits in
// a ring: 12480 B instead of 15360 B side by side.

// CHECK-LABEL: func.func @stream_rows(
// CHECK-SAME: tinyprune.arena_size = 12480 : i64
// CHECK: %[[A:.*]] = tinyprune.conv2d %arg0, {{.*}}tinyprune.arena = {bytes = 3840 : i64, offset = 7680 : i64}
// CHECK-NEXT: tinyprune.conv2d %[[A]], {{.*}}tinyprune.arena = {bytes = 11520 : i64, offset = 0 : i64}, tinyprune.in_place, tinyprune.stream_rows = {delay = 0 : i64, ring_bytes = 960 : i64, ring_offset = 11520 : i64}
func.func @stream_rows(%x: tensor<1x12x10x2xf32>) -> tensor<1x12x10x1xf32> {
  %wa = "tosa.const"() {values = dense<0.5> : tensor<8x1x1x2xf32>} : () -> tensor<8x1x1x2xf32>
  %wb = "tosa.const"() {values = dense<0.25> : tensor<24x3x3x8xf32>} : () -> tensor<24x3x3x8xf32>
  %wc = "tosa.const"() {values = dense<1.0> : tensor<1x1x1x24xf32>} : () -> tensor<1x1x1x24xf32>
  %b8 = "tosa.const"() {values = dense<0.0> : tensor<8xf32>} : () -> tensor<8xf32>
  %b24 = "tosa.const"() {values = dense<0.0> : tensor<24xf32>} : () -> tensor<24xf32>
  %b1 = "tosa.const"() {values = dense<0.0> : tensor<1xf32>} : () -> tensor<1xf32>
  %a = tinyprune.conv2d %x, %wa, %b8 {pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>, dilation = array<i64: 1, 1>, min_val = 0.0 : f32, max_val = 6.0 : f32}
    : (tensor<1x12x10x2xf32>, tensor<8x1x1x2xf32>, tensor<8xf32>) -> tensor<1x12x10x8xf32>
  %b = tinyprune.conv2d %a, %wb, %b24 {pad = array<i64: 1, 1, 1, 1>, stride = array<i64: 1, 1>, dilation = array<i64: 1, 1>, min_val = 0.0 : f32, max_val = 6.0 : f32}
    : (tensor<1x12x10x8xf32>, tensor<24x3x3x8xf32>, tensor<24xf32>) -> tensor<1x12x10x24xf32>
  %c = tinyprune.conv2d %b, %wc, %b1 {pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>, dilation = array<i64: 1, 1>, min_val = 0.0 : f32, max_val = 6.0 : f32}
    : (tensor<1x12x10x24xf32>, tensor<1x1x1x24xf32>, tensor<1xf32>) -> tensor<1x12x10x1xf32>
  return %c : tensor<1x12x10x1xf32>
}

// -----

// The plan attributes are verified wherever they appear.

func.func @reject_outside_arena(%x: tensor<1x4x4x2xf32>) -> tensor<1x2x2x2xf32> attributes {tinyprune.arena_size = 16 : i64} {
  // expected-error @+1 {{'tinyprune.max_pool2d' op 'tinyprune.arena' [16, 48) exceeds the arena of 16 bytes}}
  %m = tinyprune.max_pool2d %x {kernel = array<i64: 2, 2>, stride = array<i64: 2, 2>, pad = array<i64: 0, 0, 0, 0>, min_val = -3.40282347E+38 : f32, max_val = 3.40282347E+38 : f32, tinyprune.arena = {offset = 16 : i64, bytes = 32 : i64}}
    : (tensor<1x4x4x2xf32>) -> tensor<1x2x2x2xf32>
  return %m : tensor<1x2x2x2xf32>
}

// -----

func.func @reject_wrong_size(%x: tensor<1x4x4x2xf32>) -> tensor<1x2x2x2xf32> {
  // expected-error @+1 {{'tinyprune.arena' holds 16 bytes but the result 'tensor<1x2x2x2xf32>' has 32}}
  %m = tinyprune.max_pool2d %x {kernel = array<i64: 2, 2>, stride = array<i64: 2, 2>, pad = array<i64: 0, 0, 0, 0>, min_val = -3.40282347E+38 : f32, max_val = 3.40282347E+38 : f32, tinyprune.arena = {offset = 0 : i64, bytes = 16 : i64}}
    : (tensor<1x4x4x2xf32>) -> tensor<1x2x2x2xf32>
  return %m : tensor<1x2x2x2xf32>
}

// -----

func.func @reject_ring_without_buffer(%x: tensor<1x4x4x2xf32>) -> tensor<1x2x2x2xf32> {
  // expected-error @+1 {{'tinyprune.stream_rows' needs 'tinyprune.arena' and 'tinyprune.in_place'}}
  %m = tinyprune.max_pool2d %x {kernel = array<i64: 2, 2>, stride = array<i64: 2, 2>, pad = array<i64: 0, 0, 0, 0>, min_val = -3.40282347E+38 : f32, max_val = 3.40282347E+38 : f32, tinyprune.stream_rows = {ring_offset = 0 : i64, ring_bytes = 16 : i64, delay = 0 : i64}}
    : (tensor<1x4x4x2xf32>) -> tensor<1x2x2x2xf32>
  return %m : tensor<1x2x2x2xf32>
}

// -----

func.func @reject_empty_row_blocks(%x: tensor<1x4x4x2xf32>) -> tensor<1x2x2x2xf32> {
  // expected-error @+1 {{'tinyprune.fuse_rows' needs a positive 'chunk'}}
  %m = tinyprune.max_pool2d %x {kernel = array<i64: 2, 2>, stride = array<i64: 2, 2>, pad = array<i64: 0, 0, 0, 0>, min_val = -3.40282347E+38 : f32, max_val = 3.40282347E+38 : f32, tinyprune.fuse_rows = {chunk = 0 : i64, window_offset = 0 : i64, window_bytes = 16 : i64, block_offset = 16 : i64, block_bytes = 16 : i64}}
    : (tensor<1x4x4x2xf32>) -> tensor<1x2x2x2xf32>
  return %m : tensor<1x2x2x2xf32>
}
