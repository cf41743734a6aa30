// Verifier errors of the layer ops (TinyPruneLayers.cpp), one per message.
// RUN: tinyprune-opt %s -split-input-file -verify-diagnostics

func.func @float_clamp_type(%x: tensor<1x4x4x3xf32>, %w: tensor<2x1x1x3xf32>, %b: tensor<2xf32>) -> tensor<1x4x4x2xf32> {
  // expected-error @+1 {{float layers need f32 'min_val'/'max_val'}}
  %y = tinyprune.conv2d %x, %w, %b {pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>, dilation = array<i64: 1, 1>, min_val = 0 : i8, max_val = 6 : i8} : (tensor<1x4x4x3xf32>, tensor<2x1x1x3xf32>, tensor<2xf32>) -> tensor<1x4x4x2xf32>
  return %y : tensor<1x4x4x2xf32>
}

// -----

func.func @float_clamp_empty(%x: tensor<1x4x4x3xf32>, %w: tensor<2x1x1x3xf32>, %b: tensor<2xf32>) -> tensor<1x4x4x2xf32> {
  // expected-error @+1 {{clamp range is empty}}
  %y = tinyprune.conv2d %x, %w, %b {pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>, dilation = array<i64: 1, 1>, min_val = 6.0 : f32, max_val = 0.0 : f32} : (tensor<1x4x4x3xf32>, tensor<2x1x1x3xf32>, tensor<2xf32>) -> tensor<1x4x4x2xf32>
  return %y : tensor<1x4x4x2xf32>
}

// -----

func.func @int_clamp_type(%x: tensor<1x4x4x3xi8>, %w: tensor<2x1x1x3xi8>, %b: tensor<2xi32>) -> tensor<1x4x4x2xi8> {
  // expected-error @+1 {{integer layers need 'min_val'/'max_val' of type i8}}
  %y = tinyprune.conv2d %x, %w, %b {pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>, dilation = array<i64: 1, 1>, min_val = -128 : i32, max_val = 127 : i32, input_quant = #tinyprune.quant<scale = 0.5, zero_point = 0>, weight_quant = #tinyprune.quant<scale = 0.5, zero_point = 0>, output_quant = #tinyprune.quant<scale = 0.5, zero_point = 0>, multiplier = array<i32: 1073741824>, shift = array<i8: 31>} : (tensor<1x4x4x3xi8>, tensor<2x1x1x3xi8>, tensor<2xi32>) -> tensor<1x4x4x2xi8>
  return %y : tensor<1x4x4x2xi8>
}

// -----

func.func @int_clamp_empty(%x: tensor<1x4x4x3xi8>, %w: tensor<2x1x1x3xi8>, %b: tensor<2xi32>) -> tensor<1x4x4x2xi8> {
  // expected-error @+1 {{clamp range [5, 3] is empty}}
  %y = tinyprune.conv2d %x, %w, %b {pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>, dilation = array<i64: 1, 1>, min_val = 5 : i8, max_val = 3 : i8, input_quant = #tinyprune.quant<scale = 0.5, zero_point = 0>, weight_quant = #tinyprune.quant<scale = 0.5, zero_point = 0>, output_quant = #tinyprune.quant<scale = 0.5, zero_point = 0>, multiplier = array<i32: 1073741824>, shift = array<i8: 31>} : (tensor<1x4x4x3xi8>, tensor<2x1x1x3xi8>, tensor<2xi32>) -> tensor<1x4x4x2xi8>
  return %y : tensor<1x4x4x2xi8>
}

// -----

func.func @int_needs_quant(%x: tensor<1x4x4x3xi8>, %w: tensor<2x1x1x3xi8>, %b: tensor<2xi32>) -> tensor<1x4x4x2xi8> {
  // expected-error @+1 {{integer layers need 'output_quant'}}
  %y = tinyprune.conv2d %x, %w, %b {pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>, dilation = array<i64: 1, 1>, min_val = -128 : i8, max_val = 127 : i8, input_quant = #tinyprune.quant<scale = 0.5, zero_point = 0>, weight_quant = #tinyprune.quant<scale = 0.5, zero_point = 0>, multiplier = array<i32: 1073741824>, shift = array<i8: 31>} : (tensor<1x4x4x3xi8>, tensor<2x1x1x3xi8>, tensor<2xi32>) -> tensor<1x4x4x2xi8>
  return %y : tensor<1x4x4x2xi8>
}

// -----

func.func @float_takes_no_quant(%x: tensor<1x4x4x3xf32>, %w: tensor<2x1x1x3xf32>, %b: tensor<2xf32>) -> tensor<1x4x4x2xf32> {
  // expected-error @+1 {{float layers take no 'input_quant'}}
  %y = tinyprune.conv2d %x, %w, %b {pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>, dilation = array<i64: 1, 1>, min_val = 0.0 : f32, max_val = 6.0 : f32, input_quant = #tinyprune.quant<scale = 0.5, zero_point = 0>} : (tensor<1x4x4x3xf32>, tensor<2x1x1x3xf32>, tensor<2xf32>) -> tensor<1x4x4x2xf32>
  return %y : tensor<1x4x4x2xf32>
}

// -----

func.func @shift_range(%x: tensor<1x4x4x3xi8>, %w: tensor<2x1x1x3xi8>, %b: tensor<2xi32>) -> tensor<1x4x4x2xi8> {
  // expected-error @+1 {{requantization shift 1 is outside [2, 62]}}
  %y = tinyprune.conv2d %x, %w, %b {pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>, dilation = array<i64: 1, 1>, min_val = -128 : i8, max_val = 127 : i8, input_quant = #tinyprune.quant<scale = 0.5, zero_point = 0>, weight_quant = #tinyprune.quant<scale = 0.5, zero_point = 0>, output_quant = #tinyprune.quant<scale = 0.5, zero_point = 0>, multiplier = array<i32: 1073741824>, shift = array<i8: 1>} : (tensor<1x4x4x3xi8>, tensor<2x1x1x3xi8>, tensor<2xi32>) -> tensor<1x4x4x2xi8>
  return %y : tensor<1x4x4x2xi8>
}

// -----

func.func @input_per_tensor(%x: tensor<1x4x4x3xi8>, %w: tensor<2x1x1x3xi8>, %b: tensor<2xi32>) -> tensor<1x4x4x2xi8> {
  // expected-error @+1 {{'input_quant' must be per-tensor}}
  %y = tinyprune.conv2d %x, %w, %b {pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>, dilation = array<i64: 1, 1>, min_val = -128 : i8, max_val = 127 : i8, input_quant = #tinyprune.quant<axis = 0, scale = [0.5, 0.5], zero_point = [0, 0]>, weight_quant = #tinyprune.quant<scale = 0.5, zero_point = 0>, output_quant = #tinyprune.quant<scale = 0.5, zero_point = 0>, multiplier = array<i32: 1073741824>, shift = array<i8: 31>} : (tensor<1x4x4x3xi8>, tensor<2x1x1x3xi8>, tensor<2xi32>) -> tensor<1x4x4x2xi8>
  return %y : tensor<1x4x4x2xi8>
}

// -----

func.func @rank(%x: tensor<4x4x3xi8>, %w: tensor<2x1x1x3xi8>, %b: tensor<2xi32>) -> tensor<1x4x4x2xi8> {
  // expected-error @+1 {{needs rank-4 input, weights and output}}
  %y = tinyprune.conv2d %x, %w, %b {pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>, dilation = array<i64: 1, 1>, min_val = -128 : i8, max_val = 127 : i8, input_quant = #tinyprune.quant<scale = 0.5, zero_point = 0>, weight_quant = #tinyprune.quant<scale = 0.5, zero_point = 0>, output_quant = #tinyprune.quant<scale = 0.5, zero_point = 0>, multiplier = array<i32: 1073741824>, shift = array<i8: 31>} : (tensor<4x4x3xi8>, tensor<2x1x1x3xi8>, tensor<2xi32>) -> tensor<1x4x4x2xi8>
  return %y : tensor<1x4x4x2xi8>
}

// -----

func.func @element_types(%x: tensor<1x4x4x3xf32>, %w: tensor<2x1x1x3xi8>, %b: tensor<2xf32>) -> tensor<1x4x4x2xf32> {
  // expected-error @+1 {{input, weights and output element types must agree}}
  %y = tinyprune.conv2d %x, %w, %b {pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>, dilation = array<i64: 1, 1>, min_val = 0.0 : f32, max_val = 6.0 : f32} : (tensor<1x4x4x3xf32>, tensor<2x1x1x3xi8>, tensor<2xf32>) -> tensor<1x4x4x2xf32>
  return %y : tensor<1x4x4x2xf32>
}

// -----

func.func @bias(%x: tensor<1x4x4x3xi8>, %w: tensor<2x1x1x3xi8>, %b: tensor<3xi32>) -> tensor<1x4x4x2xi8> {
  // expected-error @+1 {{bias must be tensor<2xi32> (or one element)}}
  %y = tinyprune.conv2d %x, %w, %b {pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>, dilation = array<i64: 1, 1>, min_val = -128 : i8, max_val = 127 : i8, input_quant = #tinyprune.quant<scale = 0.5, zero_point = 0>, weight_quant = #tinyprune.quant<scale = 0.5, zero_point = 0>, output_quant = #tinyprune.quant<scale = 0.5, zero_point = 0>, multiplier = array<i32: 1073741824>, shift = array<i8: 31>} : (tensor<1x4x4x3xi8>, tensor<2x1x1x3xi8>, tensor<3xi32>) -> tensor<1x4x4x2xi8>
  return %y : tensor<1x4x4x2xi8>
}

// -----

func.func @geometry_sizes(%x: tensor<1x4x4x3xi8>, %w: tensor<2x1x1x3xi8>, %b: tensor<2xi32>) -> tensor<1x4x4x2xi8> {
  // expected-error @+1 {{needs 4 pads [t, b, l, r], 2 strides and 2 dilations}}
  %y = tinyprune.conv2d %x, %w, %b {pad = array<i64: 0, 0>, stride = array<i64: 1, 1>, dilation = array<i64: 1, 1>, min_val = -128 : i8, max_val = 127 : i8, input_quant = #tinyprune.quant<scale = 0.5, zero_point = 0>, weight_quant = #tinyprune.quant<scale = 0.5, zero_point = 0>, output_quant = #tinyprune.quant<scale = 0.5, zero_point = 0>, multiplier = array<i32: 1073741824>, shift = array<i8: 31>} : (tensor<1x4x4x3xi8>, tensor<2x1x1x3xi8>, tensor<2xi32>) -> tensor<1x4x4x2xi8>
  return %y : tensor<1x4x4x2xi8>
}

// -----

func.func @geometry_values(%x: tensor<1x4x4x3xi8>, %w: tensor<2x1x1x3xi8>, %b: tensor<2xi32>) -> tensor<1x4x4x2xi8> {
  // expected-error @+1 {{pads must be >= 0, strides and dilations >= 1}}
  %y = tinyprune.conv2d %x, %w, %b {pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 0, 1>, dilation = array<i64: 1, 1>, min_val = -128 : i8, max_val = 127 : i8, input_quant = #tinyprune.quant<scale = 0.5, zero_point = 0>, weight_quant = #tinyprune.quant<scale = 0.5, zero_point = 0>, output_quant = #tinyprune.quant<scale = 0.5, zero_point = 0>, multiplier = array<i32: 1073741824>, shift = array<i8: 31>} : (tensor<1x4x4x3xi8>, tensor<2x1x1x3xi8>, tensor<2xi32>) -> tensor<1x4x4x2xi8>
  return %y : tensor<1x4x4x2xi8>
}

// -----

func.func @input_channels(%x: tensor<1x4x4x4xi8>, %w: tensor<2x1x1x3xi8>, %b: tensor<2xi32>) -> tensor<1x4x4x2xi8> {
  // expected-error @+1 {{input has 4 channels, the weights expect 3}}
  %y = tinyprune.conv2d %x, %w, %b {pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>, dilation = array<i64: 1, 1>, min_val = -128 : i8, max_val = 127 : i8, input_quant = #tinyprune.quant<scale = 0.5, zero_point = 0>, weight_quant = #tinyprune.quant<scale = 0.5, zero_point = 0>, output_quant = #tinyprune.quant<scale = 0.5, zero_point = 0>, multiplier = array<i32: 1073741824>, shift = array<i8: 31>} : (tensor<1x4x4x4xi8>, tensor<2x1x1x3xi8>, tensor<2xi32>) -> tensor<1x4x4x2xi8>
  return %y : tensor<1x4x4x2xi8>
}

// -----

func.func @output_shape(%x: tensor<1x4x4x3xi8>, %w: tensor<2x1x1x3xi8>, %b: tensor<2xi32>) -> tensor<1x3x4x2xi8> {
  // expected-error @+1 {{output shape must be [1, 4, 4, 2]}}
  %y = tinyprune.conv2d %x, %w, %b {pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>, dilation = array<i64: 1, 1>, min_val = -128 : i8, max_val = 127 : i8, input_quant = #tinyprune.quant<scale = 0.5, zero_point = 0>, weight_quant = #tinyprune.quant<scale = 0.5, zero_point = 0>, output_quant = #tinyprune.quant<scale = 0.5, zero_point = 0>, multiplier = array<i32: 1073741824>, shift = array<i8: 31>} : (tensor<1x4x4x3xi8>, tensor<2x1x1x3xi8>, tensor<2xi32>) -> tensor<1x3x4x2xi8>
  return %y : tensor<1x3x4x2xi8>
}

// -----

func.func @weight_scales(%x: tensor<1x4x4x3xi8>, %w: tensor<2x1x1x3xi8>, %b: tensor<2xi32>) -> tensor<1x4x4x2xi8> {
  // expected-error @+1 {{'weight_quant' has 3 scales for 2 channels}}
  %y = tinyprune.conv2d %x, %w, %b {pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>, dilation = array<i64: 1, 1>, min_val = -128 : i8, max_val = 127 : i8, input_quant = #tinyprune.quant<scale = 0.5, zero_point = 0>, weight_quant = #tinyprune.quant<axis = 0, scale = [0.5, 0.5, 0.5], zero_point = [0, 0, 0]>, output_quant = #tinyprune.quant<scale = 0.5, zero_point = 0>, multiplier = array<i32: 1073741824>, shift = array<i8: 31>} : (tensor<1x4x4x3xi8>, tensor<2x1x1x3xi8>, tensor<2xi32>) -> tensor<1x4x4x2xi8>
  return %y : tensor<1x4x4x2xi8>
}

// -----

func.func @multiplier_count(%x: tensor<1x4x4x3xi8>, %w: tensor<2x1x1x3xi8>, %b: tensor<2xi32>) -> tensor<1x4x4x2xi8> {
  // expected-error @+1 {{needs one multiplier and shift, or one per output channel (2)}}
  %y = tinyprune.conv2d %x, %w, %b {pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>, dilation = array<i64: 1, 1>, min_val = -128 : i8, max_val = 127 : i8, input_quant = #tinyprune.quant<scale = 0.5, zero_point = 0>, weight_quant = #tinyprune.quant<scale = 0.5, zero_point = 0>, output_quant = #tinyprune.quant<scale = 0.5, zero_point = 0>, multiplier = array<i32: 1073741824, 1073741824, 1073741824>, shift = array<i8: 31, 31, 31>} : (tensor<1x4x4x3xi8>, tensor<2x1x1x3xi8>, tensor<2xi32>) -> tensor<1x4x4x2xi8>
  return %y : tensor<1x4x4x2xi8>
}

// -----

func.func @weights_ohwi(%x: tensor<1x4x4x3xi8>, %w: tensor<2x3xi8>, %b: tensor<2xi32>) -> tensor<1x4x4x2xi8> {
  // expected-error @+1 {{weights must be OHWI}}
  %y = tinyprune.conv2d %x, %w, %b {pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>, dilation = array<i64: 1, 1>, min_val = -128 : i8, max_val = 127 : i8, input_quant = #tinyprune.quant<scale = 0.5, zero_point = 0>, weight_quant = #tinyprune.quant<scale = 0.5, zero_point = 0>, output_quant = #tinyprune.quant<scale = 0.5, zero_point = 0>, multiplier = array<i32: 1073741824>, shift = array<i8: 31>} : (tensor<1x4x4x3xi8>, tensor<2x3xi8>, tensor<2xi32>) -> tensor<1x4x4x2xi8>
  return %y : tensor<1x4x4x2xi8>
}

// -----

// The verifier of #tinyprune.filterlets checks the layer's weights.
func.func @filterlets(%x: tensor<1x4x4x3xf32>, %w: tensor<2x1x1x3xf32>, %b: tensor<2xf32>) -> tensor<1x4x4x2xf32> {
  // expected-error @+1 {{filterlet 2 is out of range (a filter has 1)}}
  %y = tinyprune.conv2d %x, %w, %b {pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>, dilation = array<i64: 1, 1>, min_val = 0.0 : f32, max_val = 6.0 : f32, filterlets = #tinyprune.filterlets<block = 3, kept = [[2], [0]]>} : (tensor<1x4x4x3xf32>, tensor<2x1x1x3xf32>, tensor<2xf32>) -> tensor<1x4x4x2xf32>
  return %y : tensor<1x4x4x2xf32>
}

// -----

func.func @depthwise_weights(%x: tensor<1x4x4x3xi8>, %w: tensor<1x3xi8>, %b: tensor<2xi32>) -> tensor<1x4x4x2xi8> {
  // expected-error @+1 {{weights must be [KH, KW, C, M]}}
  %y = tinyprune.depthwise_conv2d %x, %w, %b {pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>, dilation = array<i64: 1, 1>, min_val = -128 : i8, max_val = 127 : i8, input_quant = #tinyprune.quant<scale = 0.5, zero_point = 0>, weight_quant = #tinyprune.quant<scale = 0.5, zero_point = 0>, output_quant = #tinyprune.quant<scale = 0.5, zero_point = 0>, multiplier = array<i32: 1073741824>, shift = array<i8: 31>} : (tensor<1x4x4x3xi8>, tensor<1x3xi8>, tensor<2xi32>) -> tensor<1x4x4x2xi8>
  return %y : tensor<1x4x4x2xi8>
}

// -----

func.func @binary_types(%a: tensor<4xi8>, %b: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{operand and result element types must agree}}
  %y = tinyprune.mul %a, %b {min_val = 0.0 : f32, max_val = 6.0 : f32} : (tensor<4xi8>, tensor<4xf32>) -> tensor<4xf32>
  return %y : tensor<4xf32>
}

// -----

func.func @left_shift(%a: tensor<4xi8>, %b: tensor<4xi8>) -> tensor<4xi8> {
  // expected-error @+1 {{left_shift must be in [0, 28]}}
  %y = tinyprune.sub %a, %b {min_val = -128 : i8, max_val = 127 : i8, lhs_quant = #tinyprune.quant<scale = 0.5, zero_point = 0>, rhs_quant = #tinyprune.quant<scale = 0.5, zero_point = 0>, output_quant = #tinyprune.quant<scale = 0.5, zero_point = 0>, lhs_multiplier = 1073741824 : i32, lhs_shift = 31 : i8, rhs_multiplier = 1073741824 : i32, rhs_shift = 31 : i8, output_multiplier = 1073741824 : i32, output_shift = 50 : i8, left_shift = 29 : i64} : (tensor<4xi8>, tensor<4xi8>) -> tensor<4xi8>
  return %y : tensor<4xi8>
}

// -----

func.func @pool_rank(%x: tensor<4x4x1xi8>) -> tensor<1x2x2x1xi8> {
  // expected-error @+1 {{needs rank-4 NHWC tensors}}
  %y = tinyprune.max_pool2d %x {kernel = array<i64: 2, 2>, stride = array<i64: 2, 2>, pad = array<i64: 0, 0, 0, 0>, min_val = -128 : i8, max_val = 127 : i8, quant = #tinyprune.quant<scale = 0.5, zero_point = 0>} : (tensor<4x4x1xi8>) -> tensor<1x2x2x1xi8>
  return %y : tensor<1x2x2x1xi8>
}

// -----

func.func @pool_types(%x: tensor<1x4x4x1xi8>) -> tensor<1x2x2x1xf32> {
  // expected-error @+1 {{input and output element types differ}}
  %y = tinyprune.max_pool2d %x {kernel = array<i64: 2, 2>, stride = array<i64: 2, 2>, pad = array<i64: 0, 0, 0, 0>, min_val = -128 : i8, max_val = 127 : i8, quant = #tinyprune.quant<scale = 0.5, zero_point = 0>} : (tensor<1x4x4x1xi8>) -> tensor<1x2x2x1xf32>
  return %y : tensor<1x2x2x1xf32>
}

// -----

func.func @pool_sizes(%x: tensor<1x4x4x1xi8>) -> tensor<1x2x2x1xi8> {
  // expected-error @+1 {{needs 2 kernel sizes, 2 strides and 4 pads [t, b, l, r]}}
  %y = tinyprune.max_pool2d %x {kernel = array<i64: 2>, stride = array<i64: 2, 2>, pad = array<i64: 0, 0, 0, 0>, min_val = -128 : i8, max_val = 127 : i8, quant = #tinyprune.quant<scale = 0.5, zero_point = 0>} : (tensor<1x4x4x1xi8>) -> tensor<1x2x2x1xi8>
  return %y : tensor<1x2x2x1xi8>
}

// -----

func.func @pool_values(%x: tensor<1x4x4x1xi8>) -> tensor<1x2x2x1xi8> {
  // expected-error @+1 {{kernel sizes and strides must be >= 1, pads >= 0}}
  %y = tinyprune.max_pool2d %x {kernel = array<i64: 2, 2>, stride = array<i64: 2, 2>, pad = array<i64: 0, -1, 0, 0>, min_val = -128 : i8, max_val = 127 : i8, quant = #tinyprune.quant<scale = 0.5, zero_point = 0>} : (tensor<1x4x4x1xi8>) -> tensor<1x2x2x1xi8>
  return %y : tensor<1x2x2x1xi8>
}

// -----

func.func @pool_pad(%x: tensor<1x4x4x1xi8>) -> tensor<1x2x2x1xi8> {
  // expected-error @+1 {{a pad as large as the kernel leaves windows with nothing to pool}}
  %y = tinyprune.max_pool2d %x {kernel = array<i64: 2, 2>, stride = array<i64: 2, 2>, pad = array<i64: 2, 0, 0, 0>, min_val = -128 : i8, max_val = 127 : i8, quant = #tinyprune.quant<scale = 0.5, zero_point = 0>} : (tensor<1x4x4x1xi8>) -> tensor<1x2x2x1xi8>
  return %y : tensor<1x2x2x1xi8>
}

// -----

func.func @pool_output(%x: tensor<1x4x4x1xi8>) -> tensor<1x2x1x1xi8> {
  // expected-error @+1 {{output shape must be [1, 2, 2, 1]}}
  %y = tinyprune.max_pool2d %x {kernel = array<i64: 2, 2>, stride = array<i64: 2, 2>, pad = array<i64: 0, 0, 0, 0>, min_val = -128 : i8, max_val = 127 : i8, quant = #tinyprune.quant<scale = 0.5, zero_point = 0>} : (tensor<1x4x4x1xi8>) -> tensor<1x2x1x1xi8>
  return %y : tensor<1x2x1x1xi8>
}
