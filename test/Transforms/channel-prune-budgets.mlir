// --channel-prune with budgets instead of a ratio, measured on the model as
// deployed: the arena of the C++ lowering's planner and the cost model of
// the M4F. The int8 model of channel-prune-run.mlir: a 3-channel 1x1
// convolution (arena 12 bytes, 90 constant bytes, 48 MACs) flattened into
// a fully-connected layer. Each budget removes the fewest channels that
// meet it; several budgets must all hold.
// RUN: tinyprune-opt %s --channel-prune="ram-budget=8 report=-" -o /dev/null | FileCheck %s --check-prefix=RAM
// RAM: channel-prune: ram-budget 8, by magnitude (L1 of the filters)
// RAM: conv 3 2 9 6 24 16 12 8
// RAM: before: arena 12 B, flash 90 B, 48 MACs, {{.*}} instructions on cortex-m4
// RAM-NEXT: live at the peak step (12 B, before in-place sharing): conv (12 B)
// RAM-NEXT: after: arena 8 B, flash 68 B, 32 MACs
// RAM-NEXT: live at the peak step (8 B, before in-place sharing): conv (8 B)
// RUN: tinyprune-opt %s --channel-prune="ram-budget=1M report=-" -o /dev/null | FileCheck %s --check-prefix=LOOSE
// LOOSE: conv 3 3 9 9
// LOOSE: after: arena 12 B, flash 90 B, 48 MACs
// RUN: tinyprune-opt %s --channel-prune="flash-budget=70 report=-" -o /dev/null | FileCheck %s --check-prefix=FLASH
// FLASH: after: arena 8 B, flash 68 B, 32 MACs
// RUN: tinyprune-opt %s --channel-prune="latency-budget=20macs report=-" -o /dev/null | FileCheck %s --check-prefix=MACS
// MACS: after: arena 4 B, flash 46 B, 16 MACs
// RUN: tinyprune-opt %s --channel-prune="ram-budget=8 latency-budget=1900 report=-" -o /dev/null | FileCheck %s --check-prefix=BOTH
// BOTH: after: arena 8 B, flash 68 B, 32 MACs
// Progressive pruning is the pass run again on its own output with a
// tighter budget: the second run starts from the first one's model.
// RUN: tinyprune-opt %s --channel-prune="ram-budget=8" --channel-prune="ram-budget=4 report=-" -o /dev/null | FileCheck %s --check-prefix=STEPS
// STEPS: conv 2 1 6 3 16 8 8 4
// STEPS: before: arena 8 B, flash 68 B, 32 MACs
// STEPS: after: arena 4 B, flash 46 B, 16 MACs
// The pruned model lowers and runs: compile reports the arena planned.
// RUN: tinyprune-opt %s --channel-prune="ram-budget=8" -o %t.mlir
// RUN: tinyprune compile %t.mlir -o %t.dir --name budget | FileCheck %s --check-prefix=COMPILE
// COMPILE: budget: 2 layers, 68 constant bytes, arena 8 bytes

func.func @main(%x: tensor<1x2x2x2xi8> {tinyprune.quant = #tinyprune.quant<scale = 0.05, zero_point = 0>}) -> (tensor<1x2xi8> {tinyprune.quant = #tinyprune.quant<scale = 0.1, zero_point = 3>}) {
  %w = "tosa.const"() <{values = dense<[[[[10, -20]]], [[[0, 0]]], [[[30, 5]]]]> : tensor<3x1x1x2xi8>}> : () -> tensor<3x1x1x2xi8>
  %b = "tosa.const"() <{values = dense<[100, 0, -50]> : tensor<3xi32>}> : () -> tensor<3xi32>
  %y = tinyprune.conv2d %x, %w, %b {pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>, dilation = array<i64: 1, 1>, min_val = 0 : i8, max_val = 127 : i8, input_quant = #tinyprune.quant<scale = 0.05, zero_point = 0>, weight_quant = #tinyprune.quant<axis = 0, scale = [0.01, 0.02, 0.03], zero_point = [0, 0, 0]>, output_quant = #tinyprune.quant<scale = 0.02, zero_point = 0>, multiplier = array<i32: 1073741824, 1288490189, 1610612736>, shift = array<i8: 32, 33, 32>} : (tensor<1x2x2x2xi8>, tensor<3x1x1x2xi8>, tensor<3xi32>) -> tensor<1x2x2x3xi8> loc("conv")
  %s1 = tosa.const_shape {values = dense<[1, 12]> : tensor<2xindex>} : () -> !tosa.shape<2>
  %f = tosa.reshape %y, %s1 : (tensor<1x2x2x3xi8>, !tosa.shape<2>) -> tensor<1x12xi8>
  %s2 = tosa.const_shape {values = dense<[1, 1, 1, 12]> : tensor<4xindex>} : () -> !tosa.shape<4>
  %f4 = tosa.reshape %f, %s2 : (tensor<1x12xi8>, !tosa.shape<4>) -> tensor<1x1x1x12xi8>
  %fw = "tosa.const"() <{values = dense<[[[[1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]]], [[[-1, -2, -3, -4, -5, -6, -7, -8, -9, -10, -11, -12]]]]> : tensor<2x1x1x12xi8>}> : () -> tensor<2x1x1x12xi8>
  %fb = "tosa.const"() <{values = dense<[7, -7]> : tensor<2xi32>}> : () -> tensor<2xi32>
  %z = tinyprune.conv2d %f4, %fw, %fb {pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>, dilation = array<i64: 1, 1>, min_val = -128 : i8, max_val = 127 : i8, input_quant = #tinyprune.quant<scale = 0.02, zero_point = 0>, weight_quant = #tinyprune.quant<axis = 0, scale = [0.01, 0.01], zero_point = [0, 0]>, output_quant = #tinyprune.quant<scale = 0.1, zero_point = 3>, multiplier = array<i32: 1073741824>, shift = array<i8: 40>} : (tensor<1x1x1x12xi8>, tensor<2x1x1x12xi8>, tensor<2xi32>) -> tensor<1x1x1x2xi8> loc("fc")
  %s3 = tosa.const_shape {values = dense<[1, 2]> : tensor<2xindex>} : () -> !tosa.shape<2>
  %r = tosa.reshape %z, %s3 : (tensor<1x1x1x2xi8>, !tosa.shape<2>) -> tensor<1x2xi8>
  return %r : tensor<1x2xi8>
}
