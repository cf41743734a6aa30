// RUN: tinyprune-opt %s --tinyprune-lower-to-cpp -split-input-file | FileCheck %s
// The printer takes one function at a time (tinyprune-translate has no
// -split-input-file): lower the whole file once, print each function.
// RUN: tinyprune-opt %s --tinyprune-lower-to-cpp --mlir-print-debuginfo -o %t.mlir
// RUN: tinyprune-translate --emit-cpp --emit-cpp-runtime=false --emit-cpp-function=residual %t.mlir | FileCheck %s --check-prefix=CPP-RES
// RUN: tinyprune-translate --emit-cpp --emit-cpp-runtime=false --emit-cpp-function=raise_chain %t.mlir | FileCheck %s --check-prefix=CPP-RAISE
// RUN: tinyprune-translate --emit-cpp --emit-cpp-runtime=false --emit-cpp-function=tosa_chain %t.mlir | FileCheck %s --check-prefix=CPP-TOSA
// RUN: tinyprune-translate --emit-cpp --emit-cpp-runtime=false --emit-cpp-function=stream_rows %t.mlir | FileCheck %s --check-prefix=CPP-STREAM
// Running the pipeline again keeps the order and the plan.
// RUN: tinyprune-opt %s --tinyprune-lower-to-cpp -split-input-file | tinyprune-opt --tinyprune-lower-to-cpp -split-input-file | FileCheck %s

// The pipeline raises, schedules, then plans for that schedule: the shortcut runs
// before the long branch's wide layer, and the arena is planned in that
// order (2304 B; 3072 B in program order). The printer follows the IR.

// CHECK-LABEL: func.func @residual(
// CHECK-SAME: tinyprune.arena_size = 2304 : i64
// CHECK: %[[WIDE:.*]] = tinyprune.conv2d %arg0, {{.*}}tinyprune.arena =
// CHECK-NEXT: %[[L1:.*]] = tinyprune.conv2d %[[WIDE]], {{.*}}tinyprune.arena =
// CHECK-NEXT: %[[S:.*]] = tinyprune.conv2d %[[WIDE]], {{.*}}tinyprune.arena =
// CHECK-NEXT: %[[L2:.*]] = tinyprune.conv2d %[[L1]], {{.*}}tinyprune.arena =
// CHECK-NEXT: tinyprune.add %[[L2]], %[[S]] {{.*}}tinyprune.output = {bytes = 1024 : i64, offset = 0 : i64}

// CPP-RES-LABEL: #define MODEL_ARENA_BYTES 2304
// CPP-RES: // tinyprune.conv2d
// CPP-RES-NEXT: tinyprune::rt::convFloat({{.*}}, 1, 4, 4, 4, (const float *)(in), 16,
// CPP-RES: // tinyprune.conv2d
// CPP-RES-NEXT: tinyprune::rt::convFloat({{.*}}, 1, 4, 4, 16, {{.*}}, 4,
// CPP-RES: // tinyprune.conv2d
// CPP-RES-NEXT: tinyprune::rt::convFloat({{.*}}, 1, 4, 4, 16, {{.*}}, 16,
// CPP-RES: // tinyprune.conv2d
// CPP-RES-NEXT: tinyprune::rt::convFloat({{.*}}, 1, 4, 4, 4, {{.*}}, 16,
// CPP-RES: // tinyprune.add
// CPP-RES-NEXT: tinyprune::rt::addFloat({{.*}}(float *)out);
func.func @residual(%x: tensor<1x4x4x4xf32>) -> tensor<1x4x4x16xf32> {
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

// The importer's chain for an int8 convolution with ReLU (quantization
// attached) is raised to one tinyprune.conv2d, which prints one call named
// after the chain's output tensor.

// CHECK-LABEL: func.func @raise_chain(
// CHECK-NOT: tosa.conv2d
// CHECK: tinyprune.conv2d {{.*}}tinyprune.output = {bytes = 50 : i64, offset = 0 : i64}
// CHECK-NOT: tosa.rescale

// CPP-RAISE-LABEL: #define MODEL_ARENA_BYTES 0
// CPP-RAISE: // tinyprune.conv2d output
// CPP-RAISE-NEXT: tinyprune::rt::convPerChannelInt8(tinyprune::rt::ConvInt8Params{1, 1, 1, 1, 1, 1, -3, 1, 1, 127}, {{k[0-9]+_mult}}, {{k[0-9]+_shift}}, 1, 5, 5, 3, (const int8_t *)(in), 2, 3, 3, {{w[0-9]+}}, {{w[0-9]+}}, 5, 5, (int8_t *)(out));
func.func @raise_chain(%x: tensor<1x5x5x3xi8> {tinyprune.quant = #tinyprune.quant<scale = 0.5, zero_point = -3>}) -> tensor<1x5x5x2xi8> {
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

// A padded chain with an input zero point (convolution, per-channel rescale,
// ReLU clamp) with the importer's `tinyprune.quant` is one layer op and one
// kernel call; the zero point stays in the call (not folded: padded).

// CHECK-LABEL: func.func @tosa_chain(
// CHECK-NOT: tosa.conv2d
// CHECK: tinyprune.conv2d {{.*}}tinyprune.output = {bytes = 48 : i64, offset = 0 : i64}
// CHECK-NOT: tosa.rescale
// CHECK-NOT: tosa.clamp

// CPP-TOSA-LABEL: #define MODEL_ARENA_BYTES 0
// CPP-TOSA: // tinyprune.conv2d
// CPP-TOSA-NEXT: tinyprune::rt::convPerChannelInt8(tinyprune::rt::ConvInt8Params{1, 1, 1, 1, 1, 1, 5, -4, -4, 127}, {{k[0-9]+_mult}}, {{k[0-9]+_shift}}, 1, 4, 4, 2, (const int8_t *)(in), 3, 3, 3, {{w[0-9]+}}, {{w[0-9]+}}, 4, 4, (int8_t *)(out));
// CPP-TOSA-NEXT: return 0;
func.func @tosa_chain(%x: tensor<1x4x4x2xi8> {tinyprune.quant = #tinyprune.quant<scale = 0.5, zero_point = 5>}) -> tensor<1x4x4x3xi8> {
  %w = "tosa.const"() {values = dense<1> : tensor<3x3x3x2xi8>, tinyprune.quant = #tinyprune.quant<axis = 0, scale = [0.01, 0.01, 0.01], zero_point = [0, 0, 0]>} : () -> tensor<3x3x3x2xi8>
  %b = "tosa.const"() {values = dense<0> : tensor<3xi32>} : () -> tensor<3xi32>
  %izp = "tosa.const"() {values = dense<5> : tensor<1xi8>} : () -> tensor<1xi8>
  %wzp = "tosa.const"() {values = dense<0> : tensor<1xi8>} : () -> tensor<1xi8>
  %acc = tosa.conv2d %x, %w, %b, %izp, %wzp {acc_type = i32, dilation = array<i64: 1, 1>, pad = array<i64: 1, 1, 1, 1>, stride = array<i64: 1, 1>}
    : (tensor<1x4x4x2xi8>, tensor<3x3x3x2xi8>, tensor<3xi32>, tensor<1xi8>, tensor<1xi8>) -> tensor<1x4x4x3xi32>
  %m = "tosa.const"() {values = dense<1073741824> : tensor<3xi32>} : () -> tensor<3xi32>
  %s = "tosa.const"() {values = dense<36> : tensor<3xi8>} : () -> tensor<3xi8>
  %rizp = "tosa.const"() {values = dense<0> : tensor<1xi32>} : () -> tensor<1xi32>
  %rozp = "tosa.const"() {values = dense<-4> : tensor<1xi8>} : () -> tensor<1xi8>
  %q = tosa.rescale %acc, %m, %s, %rizp, %rozp {input_unsigned = false, output_unsigned = false, per_channel = true, rounding_mode = DOUBLE_ROUND, scale32 = true}
    : (tensor<1x4x4x3xi32>, tensor<3xi32>, tensor<3xi8>, tensor<1xi32>, tensor<1xi8>) -> tensor<1x4x4x3xi8>
  %y = tosa.clamp %q {min_val = -4 : i8, max_val = 127 : i8, tinyprune.quant = #tinyprune.quant<scale = 0.32, zero_point = -4>} : (tensor<1x4x4x3xi8>) -> tensor<1x4x4x3xi8>
  return %y : tensor<1x4x4x3xi8>
}

// -----

// A convolution whose input dies with it runs over it row by row.

// CPP-STREAM-LABEL: #define MODEL_ARENA_BYTES 12480
// CPP-STREAM: // tinyprune.conv2d
// CPP-STREAM-NEXT: tinyprune::rt::convFloat(
// CPP-STREAM: // tinyprune.conv2d
// CPP-STREAM-NEXT: tinyprune::rt::streamRowsInPlace(12, 960, 0, (arena + 11520), (arena + 0), [&](int32_t r, void *row) {
// CPP-STREAM-NEXT: const tinyprune::rt::RowWindow w = tinyprune::rt::rowWindow(r, 1, 1, 3, 12);
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
