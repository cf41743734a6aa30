// RUN: not tinyprune-opt %s --tinyprune-lower-to-cpp 2>&1 | FileCheck %s

// The C++ lowering knows layers only as layer ops: a chain
// --tinyprune-raise-to-layers leaves TOSA (here: no `tinyprune.quant` to give
// the layer op its quantization) fails at the chain's op, with the reason
// raising gave, once.

// CHECK: :[[@LINE+8]]:10: error: 'tosa.conv2d' op is not a layer op: the C++ lowering prints layer chains only as the layer ops --tinyprune-raise-to-layers makes, and it left this one TOSA: input has no per-tensor quantization with the convolution's zero point
// CHECK-NOT: error:
func.func @tosa_chain(%x: tensor<1x4x4x2xi8>) -> tensor<1x4x4x3xi8> {
  %w = "tosa.const"() {values = dense<1> : tensor<3x3x3x2xi8>} : () -> tensor<3x3x3x2xi8>
  %b = "tosa.const"() {values = dense<0> : tensor<3xi32>} : () -> tensor<3xi32>
  %izp = "tosa.const"() {values = dense<5> : tensor<1xi8>} : () -> tensor<1xi8>
  %wzp = "tosa.const"() {values = dense<0> : tensor<1xi8>} : () -> tensor<1xi8>
  // The convolution is the chain's op.
  %acc = tosa.conv2d %x, %w, %b, %izp, %wzp {acc_type = i32, dilation = array<i64: 1, 1>, pad = array<i64: 1, 1, 1, 1>, stride = array<i64: 1, 1>}
    : (tensor<1x4x4x2xi8>, tensor<3x3x3x2xi8>, tensor<3xi32>, tensor<1xi8>, tensor<1xi8>) -> tensor<1x4x4x3xi32>
  %m = "tosa.const"() {values = dense<1073741824> : tensor<3xi32>} : () -> tensor<3xi32>
  %s = "tosa.const"() {values = dense<36> : tensor<3xi8>} : () -> tensor<3xi8>
  %rizp = "tosa.const"() {values = dense<0> : tensor<1xi32>} : () -> tensor<1xi32>
  %rozp = "tosa.const"() {values = dense<-4> : tensor<1xi8>} : () -> tensor<1xi8>
  %q = tosa.rescale %acc, %m, %s, %rizp, %rozp {input_unsigned = false, output_unsigned = false, per_channel = true, rounding_mode = DOUBLE_ROUND, scale32 = true}
    : (tensor<1x4x4x3xi32>, tensor<3xi32>, tensor<3xi8>, tensor<1xi32>, tensor<1xi8>) -> tensor<1x4x4x3xi8>
  %y = tosa.clamp %q {min_val = -4 : i8, max_val = 127 : i8} : (tensor<1x4x4x3xi8>) -> tensor<1x4x4x3xi8>
  return %y : tensor<1x4x4x3xi8>
}
