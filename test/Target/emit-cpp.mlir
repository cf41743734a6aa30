// tinyprune-translate reads one module (no -split-input-file): each RUN
// prints one of its functions, chosen with --emit-cpp-function.
// RUN: tinyprune-translate --emit-cpp --emit-cpp-name=net --emit-cpp-function=print_planned %s | FileCheck %s --check-prefix=PLANNED
// RUN: rm -rf %t && tinyprune-translate --emit-cpp --emit-cpp-name=net --emit-cpp-function=print_planned --emit-cpp-runtime=false %s | split-file - %t
// RUN: FileCheck %s --check-prefix=SPLIT < %t/net.h
// RUN: ls %t | FileCheck %s --check-prefix=SPLIT-LS
// RUN: tinyprune-translate --emit-cpp --emit-cpp-name=net --emit-cpp-function=fold_input_zero_point --emit-cpp-runtime=false %s | FileCheck %s --check-prefix=FOLD
// RUN: not tinyprune-translate --emit-cpp --emit-cpp-function=reject_unplanned %s 2>&1 | FileCheck %s --check-prefix=UNPLANNED
// RUN: not tinyprune-translate --emit-cpp --emit-cpp-function=reject_stale_plan %s 2>&1 | FileCheck %s --check-prefix=STALE
// RUN: not tinyprune-translate --emit-cpp %s 2>&1 | FileCheck %s --check-prefix=SEVERAL
// RUN: not tinyprune-translate --emit-cpp --emit-cpp-name=9lives --emit-cpp-function=print_planned %s 2>&1 | FileCheck %s --check-prefix=BAD-NAME
// RUN: not tinyprune-translate --emit-cpp --emit-cpp-function=nothing %s 2>&1 | FileCheck %s --check-prefix=NO-FUNC

// SEVERAL: error: has several functions: choose one with --emit-cpp-function
// BAD-NAME: error: --emit-cpp-name '9lives' is not a C identifier
// NO-FUNC: error: has no function 'nothing'

// The printer reads the plan: buffers go where the attributes say, here
// 64 bytes into an arena of 96, and the result straight into the output.
// One stream holds every file, each opened by a split-file marker.

// PLANNED-LABEL: //--- net.h
// PLANNED: #define NET_INPUT_BYTES 32
// PLANNED: #define NET_OUTPUT_BYTES 8
// PLANNED: #define NET_ARENA_BYTES 96
// PLANNED: int net_invoke(const void *input, void *output);
// PLANNED-LABEL: //--- net.cpp
// PLANNED: alignas(16) static uint8_t arena[NET_ARENA_BYTES];
// PLANNED: // tinyprune.max_pool2d
// PLANNED-NEXT: tinyprune::rt::maxPoolInt8(tinyprune::rt::PoolParams{2, 2, 2, 2, 0, 0, -128, 127}, 1, 4, 4, 2, (const int8_t *)in, 2, 2, (int8_t *)(arena + 64));
// PLANNED: // tinyprune.requantize
// PLANNED-NEXT: tinyprune::rt::requantizeInt8(8, (const int8_t *)(arena + 64), 1, 1073741824, 2, -3, -100, 100, (int8_t *)out);
// PLANNED-LABEL: //--- tinyprune/rt/conv.h
// SPLIT: #define NET_ARENA_BYTES 96
// SPLIT-LS: net.cpp
// SPLIT-LS-NEXT: net.h
// SPLIT-LS-NOT: tinyprune
func.func @print_planned(%x: tensor<1x4x4x2xi8>) -> tensor<1x2x2x2xi8> attributes {tinyprune.arena_live_peak = 8 : i64, tinyprune.arena_size = 96 : i64} {
  %m = tinyprune.max_pool2d %x {kernel = array<i64: 2, 2>, stride = array<i64: 2, 2>, pad = array<i64: 0, 0, 0, 0>, min_val = -128 : i8, max_val = 127 : i8, quant = #tinyprune.quant<scale = 0.5, zero_point = 1>, tinyprune.arena = {offset = 64 : i64, bytes = 8 : i64}}
    : (tensor<1x4x4x2xi8>) -> tensor<1x2x2x2xi8>
  %r = tinyprune.requantize %m {min_val = -100 : i8, max_val = 100 : i8, input_quant = #tinyprune.quant<scale = 0.5, zero_point = 1>, output_quant = #tinyprune.quant<scale = 0.25, zero_point = -3>, multiplier = 1073741824 : i32, shift = 29 : i8, tinyprune.output = {offset = 0 : i64, bytes = 8 : i64}}
    : (tensor<1x2x2x2xi8>) -> tensor<1x2x2x2xi8>
  return %r : tensor<1x2x2x2xi8>
}

// An int8 convolution is one call; unpadded, its input zero point is folded
// into the bias (10 - (-1) * (2 + 2) = 14) and the kernel runs with zero
// point 0. TOSA shift 38 is TFLite exponent 31 - 38 = -7.

// FOLD-LABEL: //--- net.cpp
// FOLD: static const int32_t [[BIAS:k[0-9]+_bias]][2] = {
// FOLD-NEXT: 14, 14,
// FOLD: static const int32_t [[SHIFT:k[0-9]+_shift]][2] = {
// FOLD-NEXT: -7, -7,
// FOLD: // tinyprune.conv2d
// FOLD-NEXT: tinyprune::rt::convPerChannelInt8(tinyprune::rt::ConvInt8Params{1, 1, 1, 1, 0, 0, 0, 3, 0, 127}, {{k[0-9]+_mult}}, [[SHIFT]], 1, 2, 2, 2, (const int8_t *)(in), 2, 1, 1, {{w[0-9]+}}, [[BIAS]], 2, 2, (int8_t *)(out));
func.func @fold_input_zero_point(%x: tensor<1x2x2x2xi8>) -> tensor<1x2x2x2xi8> attributes {tinyprune.arena_live_peak = 0 : i64, tinyprune.arena_size = 0 : i64} {
  %w = "tosa.const"() {values = dense<2> : tensor<2x1x1x2xi8>} : () -> tensor<2x1x1x2xi8>
  %b = "tosa.const"() {values = dense<10> : tensor<2xi32>} : () -> tensor<2xi32>
  %y = tinyprune.conv2d %x, %w, %b {pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>, dilation = array<i64: 1, 1>, min_val = 0 : i8, max_val = 127 : i8,
      input_quant = #tinyprune.quant<scale = 0.5, zero_point = -1>, weight_quant = #tinyprune.quant<scale = 0.01, zero_point = 0>,
      output_quant = #tinyprune.quant<scale = 0.25, zero_point = 3>, multiplier = array<i32: 1073741824>, shift = array<i8: 38>,
      tinyprune.output = {offset = 0 : i64, bytes = 8 : i64}}
    : (tensor<1x2x2x2xi8>, tensor<2x1x1x2xi8>, tensor<2xi32>) -> tensor<1x2x2x2xi8>
  return %y : tensor<1x2x2x2xi8>
}

// The printer plans nothing: a function without a plan is an error.

// UNPLANNED: emit-cpp.mlir:[[@LINE+1]]:1: error: has no 'tinyprune.arena_size': run --tinyprune-plan-arena first
func.func @reject_unplanned(%x: tensor<1x4x4x2xf32>) -> tensor<1x2x2x2xf32> {
  %m = tinyprune.max_pool2d %x {kernel = array<i64: 2, 2>, stride = array<i64: 2, 2>, pad = array<i64: 0, 0, 0, 0>, min_val = -3.40282347E+38 : f32, max_val = 3.40282347E+38 : f32}
    : (tensor<1x4x4x2xf32>) -> tensor<1x2x2x2xf32>
  return %m : tensor<1x2x2x2xf32>
}

// A plan that leaves a buffer without a place is refused too.

func.func @reject_stale_plan(%x: tensor<1x8x8x2xf32>) -> tensor<1x2x2x2xf32> attributes {tinyprune.arena_size = 128 : i64} {
  // STALE: emit-cpp.mlir:[[@LINE+1]]:{{[0-9]+}}: error: 'tinyprune.max_pool2d' op has no 'tinyprune.arena': the arena plan is missing or stale
  %m = tinyprune.max_pool2d %x {kernel = array<i64: 2, 2>, stride = array<i64: 2, 2>, pad = array<i64: 0, 0, 0, 0>, min_val = -3.40282347E+38 : f32, max_val = 3.40282347E+38 : f32}
    : (tensor<1x8x8x2xf32>) -> tensor<1x4x4x2xf32>
  %y = tinyprune.max_pool2d %m {kernel = array<i64: 2, 2>, stride = array<i64: 2, 2>, pad = array<i64: 0, 0, 0, 0>, min_val = -3.40282347E+38 : f32, max_val = 3.40282347E+38 : f32, tinyprune.output = {offset = 0 : i64, bytes = 32 : i64}}
    : (tensor<1x4x4x2xf32>) -> tensor<1x2x2x2xf32>
  return %y : tensor<1x2x2x2xf32>
}
