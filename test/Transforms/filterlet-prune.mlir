// --filterlet-prune on hand-made convolutions whose filterlet energies are
// known: which filterlets go, the zeroed weights, the attribute, the report.
//
// RUN: tinyprune-opt %s --split-input-file --filterlet-prune="sparsity=0.5 report=%t.report target=none" | FileCheck %s
// RUN: FileCheck %s --check-prefix=REPORT < %t.report
// RUN: tinyprune-opt %s --split-input-file --filterlet-prune="sparsity=0.0 target=none" | FileCheck %s --check-prefix=NONE

// A 1x3 float convolution, 2 filters over 2 channels: filterlet energies
// (filter, position) = (0,0) 1, (0,1) 9, (0,2) 4, (1,0) 0.25, (1,1) 8,
// (1,2) 2. Half the weights go: the three smallest, (1,0), (0,0), (1,2).
// CHECK-LABEL: func.func @float_1x3
// CHECK: %[[W:.*]] = "tosa.const"() <{values = dense<{{\[\[\[}}[0.000000e+00, 0.000000e+00], [0.000000e+00, 3.000000e+00], [2.000000e+00, 0.000000e+00]]], {{\[\[}}[0.000000e+00, 0.000000e+00], [2.000000e+00, 2.000000e+00], [0.000000e+00, 0.000000e+00]]]]>
// CHECK: tosa.conv2d %{{.*}}, %[[W]],
// CHECK-SAME: tinyprune.filterlets = #tinyprune.filterlets<block = 2, kept = {{\[\[}}1, 2], [1]]>
// NONE-LABEL: func.func @float_1x3
// NONE-NOT: tinyprune.filterlets
func.func @float_1x3(%x: tensor<1x4x4x2xf32>) -> tensor<1x4x2x2xf32> {
  %w = "tosa.const"() <{values = dense<[[[[1.0, 0.0], [0.0, 3.0], [2.0, 0.0]]], [[[0.0, 0.5], [2.0, 2.0], [1.0, 1.0]]]]> : tensor<2x1x3x2xf32>}> : () -> tensor<2x1x3x2xf32>
  %b = "tosa.const"() <{values = dense<[0.5, -0.5]> : tensor<2xf32>}> : () -> tensor<2xf32>
  %zp = "tosa.const"() <{values = dense<0.0> : tensor<1xf32>}> : () -> tensor<1xf32>
  %y = tosa.conv2d %x, %w, %b, %zp, %zp {acc_type = f32, dilation = array<i64: 1, 1>, pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>} : (tensor<1x4x4x2xf32>, tensor<2x1x3x2xf32>, tensor<2xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x4x2x2xf32>
  return %y : tensor<1x4x2x2xf32>
}

// -----

// An int8 fully-connected layer as a 1x1 convolution over 8 inputs: the
// default block (16) is cut to the largest divisor of 8, one filterlet per
// filter. Filter 0 has large integers but a tiny scale, filter 1 small
// integers and a large scale: in real units filter 0 is the weak one.
// CHECK-LABEL: func.func @int8_fc
// CHECK: %[[W:.*]] = "tosa.const"() <{values = dense<{{\[\[\[}}[0, 0, 0, 0, 0, 0, 0, 0]]], {{\[\[}}[1, 1, 1, 1, 2, 2, 2, 2]]]]> : tensor<2x1x1x8xi8>}> {tinyprune.quant = #tinyprune.quant<axis = 0, scale = [0.00100000005, 1.0], zero_point = [0, 0]>}
// CHECK: tinyprune.filterlets = #tinyprune.filterlets<block = 8, kept = {{\[\[}}], [0]]>
func.func @int8_fc(%x: tensor<1x1x1x8xi8>) -> tensor<1x1x1x2xi32> {
  %w = "tosa.const"() <{values = dense<[[[[100, 100, 100, 100, 50, 50, 50, 50]]], [[[1, 1, 1, 1, 2, 2, 2, 2]]]]> : tensor<2x1x1x8xi8>}> {tinyprune.quant = #tinyprune.quant<axis = 0, scale = [0.001, 1.0], zero_point = [0, 0]>} : () -> tensor<2x1x1x8xi8>
  %b = "tosa.const"() <{values = dense<[7, -7]> : tensor<2xi32>}> : () -> tensor<2xi32>
  %zp = "tosa.const"() <{values = dense<0> : tensor<1xi8>}> : () -> tensor<1xi8>
  %y = tosa.conv2d %x, %w, %b, %zp, %zp {acc_type = i32, dilation = array<i64: 1, 1>, pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>} : (tensor<1x1x1x8xi8>, tensor<2x1x1x8xi8>, tensor<2xi32>, tensor<1xi8>, tensor<1xi8>) -> tensor<1x1x1x2xi32> loc(fused["fc.tflite":1:1, "dense/MatMul"("fc.tflite":1:1)])
  return %y : tensor<1x1x1x2xi32>
}

// The report of the last function: one row per eligible layer, named by the
// NameLoc inside the conv's location (here fused with a file location).
// REPORT: filterlet-prune: sparsity 0.5
// REPORT: layer name{{ +}}weight block filterlets kept sparsity
// REPORT-NEXT: 0 dense/MatMul 2x1x8 8 2 1 0.500
// REPORT-NEXT: total: 8 of 16 eligible weights kept (sparsity 0.5000)
