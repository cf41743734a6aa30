// --channel-prune then --filterlet-prune in one pipeline: channels first,
// filterlets on what remains. The int8 model of channel-prune-run.mlir
// loses its weakest channel (and the fully-connected layer the 4 features
// it fed), then half the filterlets of both remaining layers go; the
// result computes in the interpreter and compiles.
// RUN: tinyprune-opt %s --channel-prune="ratio=0.34 target=none" --filterlet-prune="sparsity=0.5 block=4 target=none" -o %t.mlir
// RUN: FileCheck %s < %t.mlir
// RUN: %python -c "open('%t.in', 'wb').write(bytes([5, 250, 17, 40, 100, 3, 60, 200]))"
// RUN: tinyprune run %t.mlir --input %t.in --output %t.out
// RUN: tinyprune compile %t.mlir -o %t.dir --name both | FileCheck %s --check-prefix=COMPILE
// CHECK-LABEL: func.func @main(
// CHECK: tinyprune.conv2d %arg0, {{.*}}filterlets = #tinyprune.filterlets<block = 2, kept = {{\[\[}}], [0]]>
// CHECK-SAME: -> tensor<1x2x2x2xi8>
// CHECK: tosa.reshape {{.*}} -> tensor<1x8xi8>
// CHECK: tinyprune.conv2d {{.*}}filterlets = #tinyprune.filterlets<block = 4, kept = {{\[\[}}1], [1]]>
// CHECK-SAME: (tensor<1x1x1x8xi8>, tensor<2x1x1x8xi8>, tensor<2xi32>) -> tensor<1x1x1x2xi8>
// COMPILE: both: 2 layers

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
