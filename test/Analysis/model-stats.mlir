// RUN: tinyprune-opt %s --tinyprune-model-stats -o /dev/null 2>&1 | FileCheck %s
// RUN: tinyprune-opt %s --tinyprune-model-stats=output=%t.txt | FileCheck %s --check-prefix=IR
// RUN: FileCheck %s < %t.txt

// A 3x3 conv (2 filters over 3 channels on 4x4) then a 1x1 conv used as a
// fully-connected layer; rescales, constants and reshapes are not layers.
// conv: 2*9*3 + 2 = 56 params, 54 + 8 = 62 bytes, 4*4*2 * 3*3*3 = 864 MACs.
// fc:   5*2 + 5 = 15 params, 10 + 20 = 30 bytes, 5 * 2 = 10 MACs.
// CHECK: tinyprune-model-stats: @main
// CHECK: 0 tosa.conv2d conv 56 62 864 128
// CHECK: 1 tosa.conv2d fc 15 30 10 20
// CHECK: total: 2 layers, 71 params, 92 weight bytes, 874 MACs, largest activation 128 bytes

// The pass only reads: the IR comes out unchanged.
// IR: func.func @main
// IR: tosa.conv2d
func.func @main(%x: tensor<1x4x4x3xi8>) -> tensor<1x1x1x5xi32> {
  %w = "tosa.const"() <{values = dense<1> : tensor<2x3x3x3xi8>}> : () -> tensor<2x3x3x3xi8>
  %b = "tosa.const"() <{values = dense<0> : tensor<2xi32>}> : () -> tensor<2xi32>
  %zp = "tosa.const"() <{values = dense<0> : tensor<1xi8>}> : () -> tensor<1xi8>
  %c = tosa.conv2d %x, %w, %b, %zp, %zp {acc_type = i32, dilation = array<i64: 1, 1>, pad = array<i64: 1, 1, 1, 1>, stride = array<i64: 1, 1>} : (tensor<1x4x4x3xi8>, tensor<2x3x3x3xi8>, tensor<2xi32>, tensor<1xi8>, tensor<1xi8>) -> tensor<1x4x4x2xi32> loc("conv")
  %m = "tosa.const"() <{values = dense<1073741824> : tensor<1xi32>}> : () -> tensor<1xi32>
  %s = "tosa.const"() <{values = dense<40> : tensor<1xi8>}> : () -> tensor<1xi8>
  %izp = "tosa.const"() <{values = dense<0> : tensor<1xi32>}> : () -> tensor<1xi32>
  %r = tosa.rescale %c, %m, %s, %izp, %zp {input_unsigned = false, output_unsigned = false, per_channel = false, rounding_mode = DOUBLE_ROUND, scale32 = true} : (tensor<1x4x4x2xi32>, tensor<1xi32>, tensor<1xi8>, tensor<1xi32>, tensor<1xi8>) -> tensor<1x4x4x2xi8>
  %shape = tosa.const_shape {values = dense<[1, 1, 1, 2]> : tensor<4xindex>} : () -> !tosa.shape<4>
  %start = tosa.const_shape {values = dense<0> : tensor<4xindex>} : () -> !tosa.shape<4>
  %sl = tosa.slice %r, %start, %shape : (tensor<1x4x4x2xi8>, !tosa.shape<4>, !tosa.shape<4>) -> tensor<1x1x1x2xi8>
  %w2 = "tosa.const"() <{values = dense<1> : tensor<5x1x1x2xi8>}> : () -> tensor<5x1x1x2xi8>
  %b2 = "tosa.const"() <{values = dense<0> : tensor<5xi32>}> : () -> tensor<5xi32>
  %fc = tosa.conv2d %sl, %w2, %b2, %zp, %zp {acc_type = i32, dilation = array<i64: 1, 1>, pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>} : (tensor<1x1x1x2xi8>, tensor<5x1x1x2xi8>, tensor<5xi32>, tensor<1xi8>, tensor<1xi8>) -> tensor<1x1x1x5xi32> loc("fc")
  return %fc : tensor<1x1x1x5xi32>
}
