// --tinyprune-model-stats reads layer ops: a convolution that
// --tinyprune-raise-to-layers cannot raise is an error.
// RUN: tinyprune-opt %s -split-input-file -verify-diagnostics --tinyprune-model-stats -o /dev/null

// Without the input's quantization the int8 convolution is no layer op.
func.func @unknown_quantization(%x: tensor<1x1x1x2xi8>) -> tensor<1x1x1x1xi8> {
  %w = "tosa.const"() <{values = dense<1> : tensor<1x1x1x2xi8>}> {tinyprune.quant = #tinyprune.quant<scale = 0.5, zero_point = 0>} : () -> tensor<1x1x1x2xi8>
  %b = "tosa.const"() <{values = dense<0> : tensor<1xi32>}> : () -> tensor<1xi32>
  %zp = "tosa.const"() <{values = dense<0> : tensor<1xi8>}> : () -> tensor<1xi8>
  // expected-error @+1 {{model-stats: this tosa.conv2d is not a layer op: --tinyprune-raise-to-layers cannot raise it (its quantization or requantization is not the importer's)}}
  %c = tosa.conv2d %x, %w, %b, %zp, %zp {acc_type = i32, dilation = array<i64: 1, 1>, pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>} : (tensor<1x1x1x2xi8>, tensor<1x1x1x2xi8>, tensor<1xi32>, tensor<1xi8>, tensor<1xi8>) -> tensor<1x1x1x1xi32>
  %m = "tosa.const"() <{values = dense<1073741824> : tensor<1xi32>}> : () -> tensor<1xi32>
  %s = "tosa.const"() <{values = dense<40> : tensor<1xi8>}> : () -> tensor<1xi8>
  %izp = "tosa.const"() <{values = dense<0> : tensor<1xi32>}> : () -> tensor<1xi32>
  %y = tosa.rescale %c, %m, %s, %izp, %zp {input_unsigned = false, output_unsigned = false, per_channel = false, rounding_mode = DOUBLE_ROUND, scale32 = true, tinyprune.quant = #tinyprune.quant<scale = 0.25, zero_point = 0>} : (tensor<1x1x1x1xi32>, tensor<1xi32>, tensor<1xi8>, tensor<1xi32>, tensor<1xi8>) -> tensor<1x1x1x1xi8>
  return %y : tensor<1x1x1x1xi8>
}

// -----

// An int8 convolution whose accumulator is not requantized to int8 is no
// layer op either.
func.func @accumulator_returned(%x: tensor<1x1x1x2xi8> {tinyprune.quant = #tinyprune.quant<scale = 0.5, zero_point = 0>}) -> tensor<1x1x1x1xi32> {
  %w = "tosa.const"() <{values = dense<1> : tensor<1x1x1x2xi8>}> {tinyprune.quant = #tinyprune.quant<scale = 0.5, zero_point = 0>} : () -> tensor<1x1x1x2xi8>
  %b = "tosa.const"() <{values = dense<0> : tensor<1xi32>}> : () -> tensor<1xi32>
  %zp = "tosa.const"() <{values = dense<0> : tensor<1xi8>}> : () -> tensor<1xi8>
  // expected-error @+1 {{model-stats: this tosa.conv2d is not a layer op}}
  %c = tosa.conv2d %x, %w, %b, %zp, %zp {acc_type = i32, dilation = array<i64: 1, 1>, pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>} : (tensor<1x1x1x2xi8>, tensor<1x1x1x2xi8>, tensor<1xi32>, tensor<1xi8>, tensor<1xi8>) -> tensor<1x1x1x1xi32>
  return %c : tensor<1x1x1x1xi32>
}
