// Verifier errors of the tinyprune dialect.
// RUN: tinyprune-opt %s -split-input-file -verify-diagnostics

func.func @int8_needs_quant(%x: tensor<1x8xi8>) -> tensor<1x8xi8> {
  // expected-error @+1 {{integer tensors need 'input_quant' and 'output_quant'}}
  %0 = tinyprune.logistic %x : (tensor<1x8xi8>) -> tensor<1x8xi8>
  return %0 : tensor<1x8xi8>
}

// -----

func.func @float_takes_no_quant(%x: tensor<1x8xf32>) -> tensor<1x8xf32> {
  // expected-error @+1 {{float tensors take no quantization}}
  %0 = tinyprune.tanh %x {input_quant = #tinyprune.quant<scale = 0.1, zero_point = 0>} : (tensor<1x8xf32>) -> tensor<1x8xf32>
  return %0 : tensor<1x8xf32>
}

// -----

func.func @logistic_fixed_output(%x: tensor<1x8xi8>) -> tensor<1x8xi8> {
  // expected-error @+1 {{output quantization must be scale}}
  %0 = tinyprune.logistic %x {input_quant = #tinyprune.quant<scale = 0.1, zero_point = 0>, output_quant = #tinyprune.quant<scale = 0.1, zero_point = 0>} : (tensor<1x8xi8>) -> tensor<1x8xi8>
  return %0 : tensor<1x8xi8>
}

// -----

func.func @softmax_beta(%x: tensor<1x8xf32>) -> tensor<1x8xf32> {
  // expected-error @+1 {{beta must be positive}}
  %0 = tinyprune.softmax %x {beta = 0.0 : f32} : (tensor<1x8xf32>) -> tensor<1x8xf32>
  return %0 : tensor<1x8xf32>
}

// -----

func.func @pool_shape(%x: tensor<1x5x5x4xi8>) -> tensor<1x2x2x4xi8> {
  // expected-error @+1 {{output shape must be [1, 3, 3, 4]}}
  %0 = tinyprune.avg_pool2d %x {kernel = array<i64: 2, 2>, stride = array<i64: 2, 2>, pad = array<i64: 0, 1, 0, 1>, min_val = -128 : i64, max_val = 127 : i64, quant = #tinyprune.quant<scale = 0.5, zero_point = -3>} : (tensor<1x5x5x4xi8>) -> tensor<1x2x2x4xi8>
  return %0 : tensor<1x2x2x4xi8>
}

// -----

func.func @pool_clamp(%x: tensor<1x4x4x4xi8>) -> tensor<1x2x2x4xi8> {
  // expected-error @+1 {{clamp range [-200, 127] is empty or exceeds 8-bit integers}}
  %0 = tinyprune.avg_pool2d %x {kernel = array<i64: 2, 2>, stride = array<i64: 2, 2>, pad = array<i64: 0, 0, 0, 0>, min_val = -200 : i64, max_val = 127 : i64, quant = #tinyprune.quant<scale = 0.5, zero_point = -3>} : (tensor<1x4x4x4xi8>) -> tensor<1x2x2x4xi8>
  return %0 : tensor<1x2x2x4xi8>
}

// -----

func.func @mean_axes(%x: tensor<1x3x3x4xi8>) -> tensor<1x4xi8> {
  // expected-error @+1 {{axes must be sorted and unique}}
  %0 = tinyprune.mean %x {axes = array<i64: 2, 1>, keep_dims = false, input_quant = #tinyprune.quant<scale = 0.5, zero_point = -3>, output_quant = #tinyprune.quant<scale = 0.25, zero_point = 1>} : (tensor<1x3x3x4xi8>) -> tensor<1x4xi8>
  return %0 : tensor<1x4xi8>
}

// -----

func.func @quantize_zp(%x: tensor<4xf32>) -> tensor<4xi8> {
  // expected-error @+1 {{zero point 300 does not fit 8 bits}}
  %0 = tinyprune.quantize %x {output_quant = #tinyprune.quant<scale = 0.5, zero_point = 300>} : (tensor<4xf32>) -> tensor<4xi8>
  return %0 : tensor<4xi8>
}

// -----

// expected-error @+1 {{quantization scale -1.000000e+00 is not a positive finite number}}
func.func @bad_scale() -> () attributes {x = #tinyprune.quant<scale = -1.0, zero_point = 0>} {
  return
}

// -----

// expected-error @+1 {{quantization has 2 scales but 1 zero points}}
func.func @count_mismatch() -> () attributes {x = #tinyprune.quant<axis = 0, scale = [1.0, 2.0], zero_point = [0]>} {
  return
}

// -----

func.func @axis_mismatch() -> tensor<3x2xi8> {
  // expected-error @+1 {{quantization has 2 scales but dimension 0 of 'tensor<3x2xi8>' has size 3}}
  %w = "tosa.const"() <{values = dense<1> : tensor<3x2xi8>}> {tinyprune.quant = #tinyprune.quant<axis = 0, scale = [1.0, 2.0], zero_point = [0, 0]>} : () -> tensor<3x2xi8>
  return %w : tensor<3x2xi8>
}

// -----

func.func @float_quant() -> tensor<3xf32> {
  // expected-error @+1 {{'tinyprune.quant' needs a ranked integer tensor}}
  %w = "tosa.const"() <{values = dense<1.0> : tensor<3xf32>}> {tinyprune.quant = #tinyprune.quant<scale = 1.0, zero_point = 0>} : () -> tensor<3xf32>
  return %w : tensor<3xf32>
}
