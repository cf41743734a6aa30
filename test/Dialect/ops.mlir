// The tinyprune ops and #tinyprune.quant print and parse back unchanged.
// RUN: tinyprune-opt %s | tinyprune-opt | FileCheck %s
// RUN: tinyprune-opt %s --mlir-print-op-generic | tinyprune-opt | FileCheck %s

// CHECK-LABEL: func.func @activations(
// CHECK-SAME: %{{.*}}: tensor<1x8xi8> {tinyprune.quant = #tinyprune.quant<scale = 0.100000001, zero_point = 3>}
func.func @activations(%x: tensor<1x8xi8> {tinyprune.quant = #tinyprune.quant<scale = 0.1, zero_point = 3>}) -> tensor<1x8xi8> {
  // CHECK: tinyprune.logistic %{{.*}} {input_quant = #tinyprune.quant<scale = 0.100000001, zero_point = 3>, output_quant = #tinyprune.quant<scale = 0.00390625, zero_point = -128>} : (tensor<1x8xi8>) -> tensor<1x8xi8>
  %0 = tinyprune.logistic %x {input_quant = #tinyprune.quant<scale = 0.1, zero_point = 3>, output_quant = #tinyprune.quant<scale = 0.00390625, zero_point = -128>} : (tensor<1x8xi8>) -> tensor<1x8xi8>
  // CHECK: tinyprune.tanh
  %1 = tinyprune.tanh %0 {input_quant = #tinyprune.quant<scale = 0.00390625, zero_point = -128>, output_quant = #tinyprune.quant<scale = 0.0078125, zero_point = 0>} : (tensor<1x8xi8>) -> tensor<1x8xi8>
  // CHECK: tinyprune.hard_swish
  %2 = tinyprune.hard_swish %1 {input_quant = #tinyprune.quant<scale = 0.0078125, zero_point = 0>, output_quant = #tinyprune.quant<scale = 0.0078125, zero_point = 0>} : (tensor<1x8xi8>) -> tensor<1x8xi8>
  // CHECK: tinyprune.softmax %{{.*}} {beta = 1.000000e+00 : f32
  %3 = tinyprune.softmax %2 {beta = 1.0 : f32, input_quant = #tinyprune.quant<scale = 0.0078125, zero_point = 0>, output_quant = #tinyprune.quant<scale = 0.00390625, zero_point = -128>} : (tensor<1x8xi8>) -> tensor<1x8xi8>
  return %3 : tensor<1x8xi8>
}

// Float variants carry no quantization.
// CHECK-LABEL: func.func @float_softmax(
// CHECK: tinyprune.softmax %{{.*}} {beta = 5.000000e-01 : f32} : (tensor<2x3xf32>) -> tensor<2x3xf32>
func.func @float_softmax(%x: tensor<2x3xf32>) -> tensor<2x3xf32> {
  %0 = tinyprune.softmax %x {beta = 0.5 : f32} : (tensor<2x3xf32>) -> tensor<2x3xf32>
  return %0 : tensor<2x3xf32>
}

// CHECK-LABEL: func.func @pool_mean_quantize(
// CHECK: tinyprune.avg_pool2d %{{.*}} {kernel = array<i64: 2, 2>, max_val = 127 : i64, min_val = -3 : i64, pad = array<i64: 0, 1, 0, 1>, quant = #tinyprune.quant<scale = 0.5, zero_point = -3>, stride = array<i64: 2, 2>} : (tensor<1x5x5x4xi8>) -> tensor<1x3x3x4xi8>
// CHECK: tinyprune.mean %{{.*}} {axes = array<i64: 1, 2>, input_quant = #tinyprune.quant<scale = 0.5, zero_point = -3>, keep_dims = false, output_quant = #tinyprune.quant<scale = 0.25, zero_point = 1>} : (tensor<1x3x3x4xi8>) -> tensor<1x4xi8>
// CHECK: tinyprune.quantize %{{.*}} {output_quant = #tinyprune.quant<axis = 1, scale = [0.5, 0.25], zero_point = [0, 1]>} : (tensor<3x2xf32>) -> tensor<3x2xi8>
func.func @pool_mean_quantize(%x: tensor<1x5x5x4xi8>, %f: tensor<3x2xf32>) -> (tensor<1x4xi8>, tensor<3x2xi8>) {
  %0 = tinyprune.avg_pool2d %x {kernel = array<i64: 2, 2>, stride = array<i64: 2, 2>, pad = array<i64: 0, 1, 0, 1>, min_val = -3 : i64, max_val = 127 : i64, quant = #tinyprune.quant<scale = 0.5, zero_point = -3>} : (tensor<1x5x5x4xi8>) -> tensor<1x3x3x4xi8>
  %1 = tinyprune.mean %0 {axes = array<i64: 1, 2>, keep_dims = false, input_quant = #tinyprune.quant<scale = 0.5, zero_point = -3>, output_quant = #tinyprune.quant<scale = 0.25, zero_point = 1>} : (tensor<1x3x3x4xi8>) -> tensor<1x4xi8>
  %2 = tinyprune.quantize %f {output_quant = #tinyprune.quant<axis = 1, scale = [0.5, 0.25], zero_point = [0, 1]>} : (tensor<3x2xf32>) -> tensor<3x2xi8>
  return %1, %2 : tensor<1x4xi8>, tensor<3x2xi8>
}

// The discardable form on a TOSA constant, per channel.
// CHECK-LABEL: func.func @weights(
// CHECK: "tosa.const"() {{.*}} {tinyprune.quant = #tinyprune.quant<axis = 0, scale = [0.00999999978, 0.0199999996], zero_point = [0, 0]>}
func.func @weights() -> tensor<2x1x1x3xi8> {
  %w = "tosa.const"() <{values = dense<1> : tensor<2x1x1x3xi8>}> {tinyprune.quant = #tinyprune.quant<axis = 0, scale = [0.01, 0.02], zero_point = [0, 0]>} : () -> tensor<2x1x1x3xi8>
  return %w : tensor<2x1x1x3xi8>
}
