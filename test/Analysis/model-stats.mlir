// RUN: tinyprune-opt %s --tinyprune-model-stats -o /dev/null 2>&1 | FileCheck %s
// RUN: tinyprune-opt %s --tinyprune-model-stats=output=%t.txt | FileCheck %s --check-prefix=IR
// RUN: FileCheck %s < %t.txt
// A function raised to layer ops already reads the same.
// RUN: tinyprune-opt %s --tinyprune-raise-to-layers --mlir-print-debuginfo | tinyprune-opt --tinyprune-model-stats=core=cortex-m4 -o /dev/null 2>&1 | FileCheck %s --check-prefixes=CHECK,COST

// A 3x3 conv (2 filters over 3 channels on 4x4) then a 1x1 conv used as a
// fully-connected layer, each with its requantization to int8: the pass
// reads them as the layer ops --tinyprune-raise-to-layers makes of them
// (constants, slices and reshapes are not layers).
// conv: 2*9*3 + 2 = 56 params, 54 + 8 = 62 bytes, 4*4*2 * 3*3*3 = 864 MACs,
//       32 int8 outputs.
// fc:   5*2 + 5 = 15 params, 10 + 20 = 30 bytes, 5 * 2 = 10 MACs.
// CHECK: tinyprune-model-stats: @main
// CHECK: 0 tinyprune.conv2d conv 56 62 864 32
// CHECK: 1 tinyprune.conv2d fc 15 30 10 5
// CHECK: total: 2 layers, 71 params, 92 weight bytes, 874 MACs, largest activation 32 bytes

// With a core, the cost model's table follows (docs/cost-model.md).
// RUN: tinyprune-opt %s --tinyprune-model-stats=core=cortex-m4 -o /dev/null 2>&1 | FileCheck %s --check-prefix=COST
// RUN: not tinyprune-opt %s --tinyprune-model-stats=core=cortex-m3 -o /dev/null 2>&1 | FileCheck %s --check-prefix=BADCORE
// conv: 54 weight bytes + bias, multiplier and shift (int32) per filter =
// 78 flash bytes; 600 MACs over the in-bounds taps (10 x 10 of the 4x4
// map's SAME windows, x 3 channels x 2 filters).
// fc: 10 + 5 x 12 = 70 bytes, 10 MACs.
// COST: cost-model: cortex-m4
// COST: 0 tinyprune.conv2d conv 78 600 {{[1-9][0-9]*}}
// COST: 1 tinyprune.conv2d fc 70 10 {{[1-9][0-9]*}}
// COST: cost-model total: 2 kernel calls, 148 flash bytes, 610 MACs, {{[1-9][0-9]*}} instructions
// BADCORE: unknown core 'cortex-m3' (cortex-m0plus, cortex-m4, cortex-m7)

// The pass only reads: the IR comes out unchanged.
// IR: func.func @main
// IR: tosa.conv2d
// IR-NOT: tinyprune.conv2d
func.func @main(%x: tensor<1x4x4x3xi8> {tinyprune.quant = #tinyprune.quant<scale = 0.5, zero_point = 0>}) -> tensor<1x1x1x5xi8> {
  %w = "tosa.const"() <{values = dense<1> : tensor<2x3x3x3xi8>}> {tinyprune.quant = #tinyprune.quant<scale = 0.5, zero_point = 0>} : () -> tensor<2x3x3x3xi8>
  %b = "tosa.const"() <{values = dense<0> : tensor<2xi32>}> : () -> tensor<2xi32>
  %zp = "tosa.const"() <{values = dense<0> : tensor<1xi8>}> : () -> tensor<1xi8>
  %c = tosa.conv2d %x, %w, %b, %zp, %zp {acc_type = i32, dilation = array<i64: 1, 1>, pad = array<i64: 1, 1, 1, 1>, stride = array<i64: 1, 1>} : (tensor<1x4x4x3xi8>, tensor<2x3x3x3xi8>, tensor<2xi32>, tensor<1xi8>, tensor<1xi8>) -> tensor<1x4x4x2xi32> loc("conv")
  %m = "tosa.const"() <{values = dense<1073741824> : tensor<1xi32>}> : () -> tensor<1xi32>
  %s = "tosa.const"() <{values = dense<40> : tensor<1xi8>}> : () -> tensor<1xi8>
  %izp = "tosa.const"() <{values = dense<0> : tensor<1xi32>}> : () -> tensor<1xi32>
  %r = tosa.rescale %c, %m, %s, %izp, %zp {input_unsigned = false, output_unsigned = false, per_channel = false, rounding_mode = DOUBLE_ROUND, scale32 = true, tinyprune.quant = #tinyprune.quant<scale = 0.25, zero_point = 0>} : (tensor<1x4x4x2xi32>, tensor<1xi32>, tensor<1xi8>, tensor<1xi32>, tensor<1xi8>) -> tensor<1x4x4x2xi8>
  %shape = tosa.const_shape {values = dense<[1, 1, 1, 2]> : tensor<4xindex>} : () -> !tosa.shape<4>
  %start = tosa.const_shape {values = dense<0> : tensor<4xindex>} : () -> !tosa.shape<4>
  %sl = tosa.slice %r, %start, %shape : (tensor<1x4x4x2xi8>, !tosa.shape<4>, !tosa.shape<4>) -> tensor<1x1x1x2xi8>
  %w2 = "tosa.const"() <{values = dense<1> : tensor<5x1x1x2xi8>}> {tinyprune.quant = #tinyprune.quant<scale = 0.5, zero_point = 0>} : () -> tensor<5x1x1x2xi8>
  %b2 = "tosa.const"() <{values = dense<0> : tensor<5xi32>}> : () -> tensor<5xi32>
  %fc = tosa.conv2d %sl, %w2, %b2, %zp, %zp {acc_type = i32, dilation = array<i64: 1, 1>, pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>} : (tensor<1x1x1x2xi8>, tensor<5x1x1x2xi8>, tensor<5xi32>, tensor<1xi8>, tensor<1xi8>) -> tensor<1x1x1x5xi32> loc("fc")
  %y = tosa.rescale %fc, %m, %s, %izp, %zp {input_unsigned = false, output_unsigned = false, per_channel = false, rounding_mode = DOUBLE_ROUND, scale32 = true, tinyprune.quant = #tinyprune.quant<scale = 0.25, zero_point = 0>} : (tensor<1x1x1x5xi32>, tensor<1xi32>, tensor<1xi8>, tensor<1xi32>, tensor<1xi8>) -> tensor<1x1x1x5xi8>
  return %y : tensor<1x1x1x5xi8>
}
