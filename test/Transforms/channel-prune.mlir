// --channel-prune's structural rewrite on hand-made float layers whose
// filter magnitudes are known, one case per way a channel flows: a
// residual add (two producers, one group), a concatenation (the offset
// shifts), a depthwise chain (its channels go too), one channel feeding two
// consumers, and a group that reaches the function's result (left alone).
// A fully-connected layer after a flatten, int8 constants and the outputs
// before and after are in channel-prune-run.mlir; bad options and budgets
// in channel-prune-errors.mlir.
// RUN: tinyprune-opt %s --split-input-file --channel-prune="ratio=0.34 target=none" | FileCheck %s
// RUN: tinyprune-opt %s --split-input-file --channel-prune="ratio=0.34 target=none report=-" -o /dev/null | FileCheck %s --check-prefix=REPORT
// RUN: tinyprune-opt %s --split-input-file --channel-prune="ratio=0 target=none" | FileCheck %s --check-prefix=NONE

// Two producers tied by an add: relative L1 (a: 1, 0.1, 3; b: 2, 0.2, 1)
// averaged over both, channel 1 is the least important and leaves a, b,
// the add and the consumer's input.
// CHECK-LABEL: func.func @residual_add(
// CHECK-DAG: "tosa.const"() <{values = dense<{{\[\[\[\[}}1.000000e+00]]], {{\[\[\[}}3.000000e+00]]]]> : tensor<2x1x1x1xf32>}>
// CHECK-DAG: "tosa.const"() <{values = dense<{{\[\[\[\[}}2.000000e+00]]], {{\[\[\[}}1.000000e+00]]]]> : tensor<2x1x1x1xf32>}>
// CHECK: tinyprune.add {{.*}} : (tensor<1x1x1x2xf32>, tensor<1x1x1x2xf32>) -> tensor<1x1x1x2xf32>
// CHECK: "tosa.const"() <{values = dense<{{\[\[\[\[}}1.000000e+00, 3.000000e+00]]]]> : tensor<1x1x1x2xf32>}>
// CHECK: tinyprune.conv2d {{.*}} : (tensor<1x1x1x2xf32>, tensor<1x1x1x2xf32>, tensor<1xf32>) -> tensor<1x1x1x1xf32>
// REPORT: channel-prune: ratio 0.34, by magnitude (L1 of the filters)
// REPORT: a 3 2
// REPORT-NEXT: b 3 2
// REPORT-NEXT: c 1 1
// REPORT-NEXT: channel groups: 2, prunable: 1 (3 channels), removed 1 channels
// REPORT-NEXT: not prunable: group of c (1 channels): its channels reach the function's result
// NONE-LABEL: func.func @residual_add(
// NONE: tinyprune.add {{.*}} -> tensor<1x1x1x3xf32>
func.func @residual_add(%x: tensor<1x1x1x1xf32>) -> tensor<1x1x1x1xf32> {
  %wa = "tosa.const"() <{values = dense<[[[[1.0]]], [[[0.1]]], [[[3.0]]]]> : tensor<3x1x1x1xf32>}> : () -> tensor<3x1x1x1xf32>
  %ba = "tosa.const"() <{values = dense<[0.0, 0.0, 0.0]> : tensor<3xf32>}> : () -> tensor<3xf32>
  %a = tinyprune.conv2d %x, %wa, %ba {pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>, dilation = array<i64: 1, 1>, min_val = 0xFF800000 : f32, max_val = 0x7F800000 : f32} : (tensor<1x1x1x1xf32>, tensor<3x1x1x1xf32>, tensor<3xf32>) -> tensor<1x1x1x3xf32> loc("a")
  %wb = "tosa.const"() <{values = dense<[[[[2.0]]], [[[0.2]]], [[[1.0]]]]> : tensor<3x1x1x1xf32>}> : () -> tensor<3x1x1x1xf32>
  %bb = "tosa.const"() <{values = dense<[0.0, 0.0, 0.0]> : tensor<3xf32>}> : () -> tensor<3xf32>
  %b = tinyprune.conv2d %x, %wb, %bb {pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>, dilation = array<i64: 1, 1>, min_val = 0xFF800000 : f32, max_val = 0x7F800000 : f32} : (tensor<1x1x1x1xf32>, tensor<3x1x1x1xf32>, tensor<3xf32>) -> tensor<1x1x1x3xf32> loc("b")
  %s = tinyprune.add %a, %b {min_val = 0xFF800000 : f32, max_val = 0x7F800000 : f32} : (tensor<1x1x1x3xf32>, tensor<1x1x1x3xf32>) -> tensor<1x1x1x3xf32>
  %wc = "tosa.const"() <{values = dense<[[[[1.0, 2.0, 3.0]]]]> : tensor<1x1x1x3xf32>}> : () -> tensor<1x1x1x3xf32>
  %bc = "tosa.const"() <{values = dense<[0.5]> : tensor<1xf32>}> : () -> tensor<1xf32>
  %c = tinyprune.conv2d %s, %wc, %bc {pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>, dilation = array<i64: 1, 1>, min_val = 0xFF800000 : f32, max_val = 0x7F800000 : f32} : (tensor<1x1x1x3xf32>, tensor<1x1x1x3xf32>, tensor<1xf32>) -> tensor<1x1x1x1xf32> loc("c")
  return %c : tensor<1x1x1x1xf32>
}

// -----

// A concatenation of two 2-channel layers: b's channel 0 (relative L1
// 0.02) goes, which is channel 2 of the concatenation and of c's input.
// CHECK-LABEL: func.func @concat(
// CHECK: "tosa.const"() <{values = dense<1.000000e+00> : tensor<1x1x1x1xf32>}>
// CHECK: tosa.concat {{.*}} : (tensor<1x1x1x2xf32>, tensor<1x1x1x1xf32>) -> tensor<1x1x1x3xf32>
// CHECK: "tosa.const"() <{values = dense<{{\[\[\[\[}}1.000000e+00, 2.000000e+00, 4.000000e+00]]]]> : tensor<1x1x1x3xf32>}>
// REPORT: a 2 2
// REPORT-NEXT: b 2 1
// REPORT-NEXT: c 1 1
// REPORT-NEXT: channel groups: 3, prunable: 2 (4 channels), removed 1 channels
func.func @concat(%x: tensor<1x1x1x1xf32>) -> tensor<1x1x1x1xf32> {
  %wa = "tosa.const"() <{values = dense<[[[[1.0]]], [[[2.0]]]]> : tensor<2x1x1x1xf32>}> : () -> tensor<2x1x1x1xf32>
  %ba = "tosa.const"() <{values = dense<[0.0, 0.0]> : tensor<2xf32>}> : () -> tensor<2xf32>
  %a = tinyprune.conv2d %x, %wa, %ba {pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>, dilation = array<i64: 1, 1>, min_val = 0xFF800000 : f32, max_val = 0x7F800000 : f32} : (tensor<1x1x1x1xf32>, tensor<2x1x1x1xf32>, tensor<2xf32>) -> tensor<1x1x1x2xf32> loc("a")
  %wb = "tosa.const"() <{values = dense<[[[[0.01]]], [[[1.0]]]]> : tensor<2x1x1x1xf32>}> : () -> tensor<2x1x1x1xf32>
  %bb = "tosa.const"() <{values = dense<[0.0, 0.0]> : tensor<2xf32>}> : () -> tensor<2xf32>
  %b = tinyprune.conv2d %x, %wb, %bb {pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>, dilation = array<i64: 1, 1>, min_val = 0xFF800000 : f32, max_val = 0x7F800000 : f32} : (tensor<1x1x1x1xf32>, tensor<2x1x1x1xf32>, tensor<2xf32>) -> tensor<1x1x1x2xf32> loc("b")
  %k = tosa.concat %a, %b {axis = 3 : i32} : (tensor<1x1x1x2xf32>, tensor<1x1x1x2xf32>) -> tensor<1x1x1x4xf32>
  %wc = "tosa.const"() <{values = dense<[[[[1.0, 2.0, 3.0, 4.0]]]]> : tensor<1x1x1x4xf32>}> : () -> tensor<1x1x1x4xf32>
  %bc = "tosa.const"() <{values = dense<[0.5]> : tensor<1xf32>}> : () -> tensor<1xf32>
  %c = tinyprune.conv2d %k, %wc, %bc {pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>, dilation = array<i64: 1, 1>, min_val = 0xFF800000 : f32, max_val = 0x7F800000 : f32} : (tensor<1x1x1x4xf32>, tensor<1x1x1x4xf32>, tensor<1xf32>) -> tensor<1x1x1x1xf32> loc("c")
  return %c : tensor<1x1x1x1xf32>
}

// -----

// Two depthwise layers after a: a's channel 1 goes from both (weights,
// bias), and from c's input.
// CHECK-LABEL: func.func @depthwise_chain(
// CHECK: tinyprune.conv2d {{.*}} -> tensor<1x1x1x2xf32>
// CHECK: "tosa.const"() <{values = dense<{{\[\[\[}}[1.000000e+00], [3.000000e+00]]]]> : tensor<1x1x2x1xf32>}>
// CHECK: "tosa.const"() <{values = dense<[1.000000e-01, 3.000000e-01]> : tensor<2xf32>}>
// CHECK: tinyprune.depthwise_conv2d {{.*}} : (tensor<1x1x1x2xf32>, tensor<1x1x2x1xf32>, tensor<2xf32>) -> tensor<1x1x1x2xf32>
// CHECK: tinyprune.depthwise_conv2d {{.*}} : (tensor<1x1x1x2xf32>, tensor<1x1x2x1xf32>, tensor<2xf32>) -> tensor<1x1x1x2xf32>
// CHECK: tinyprune.conv2d {{.*}} : (tensor<1x1x1x2xf32>, tensor<1x1x1x2xf32>, tensor<1xf32>) -> tensor<1x1x1x1xf32>
// REPORT: a 3 2
// REPORT-NEXT: d1 3 2
// REPORT-NEXT: d2 3 2
// REPORT-NEXT: c 1 1
func.func @depthwise_chain(%x: tensor<1x1x1x1xf32>) -> tensor<1x1x1x1xf32> {
  %wa = "tosa.const"() <{values = dense<[[[[1.0]]], [[[0.01]]], [[[2.0]]]]> : tensor<3x1x1x1xf32>}> : () -> tensor<3x1x1x1xf32>
  %ba = "tosa.const"() <{values = dense<[0.0, 0.0, 0.0]> : tensor<3xf32>}> : () -> tensor<3xf32>
  %a = tinyprune.conv2d %x, %wa, %ba {pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>, dilation = array<i64: 1, 1>, min_val = 0xFF800000 : f32, max_val = 0x7F800000 : f32} : (tensor<1x1x1x1xf32>, tensor<3x1x1x1xf32>, tensor<3xf32>) -> tensor<1x1x1x3xf32> loc("a")
  %wd1 = "tosa.const"() <{values = dense<[[[[1.0], [2.0], [3.0]]]]> : tensor<1x1x3x1xf32>}> : () -> tensor<1x1x3x1xf32>
  %bd1 = "tosa.const"() <{values = dense<[0.1, 0.2, 0.3]> : tensor<3xf32>}> : () -> tensor<3xf32>
  %d1 = tinyprune.depthwise_conv2d %a, %wd1, %bd1 {pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>, dilation = array<i64: 1, 1>, min_val = 0xFF800000 : f32, max_val = 0x7F800000 : f32} : (tensor<1x1x1x3xf32>, tensor<1x1x3x1xf32>, tensor<3xf32>) -> tensor<1x1x1x3xf32> loc("d1")
  %wd2 = "tosa.const"() <{values = dense<[[[[1.0], [2.0], [3.0]]]]> : tensor<1x1x3x1xf32>}> : () -> tensor<1x1x3x1xf32>
  %bd2 = "tosa.const"() <{values = dense<[0.1, 0.2, 0.3]> : tensor<3xf32>}> : () -> tensor<3xf32>
  %d2 = tinyprune.depthwise_conv2d %d1, %wd2, %bd2 {pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>, dilation = array<i64: 1, 1>, min_val = 0xFF800000 : f32, max_val = 0x7F800000 : f32} : (tensor<1x1x1x3xf32>, tensor<1x1x3x1xf32>, tensor<3xf32>) -> tensor<1x1x1x3xf32> loc("d2")
  %wc = "tosa.const"() <{values = dense<[[[[1.0, 2.0, 3.0]]]]> : tensor<1x1x1x3xf32>}> : () -> tensor<1x1x1x3xf32>
  %bc = "tosa.const"() <{values = dense<[0.5]> : tensor<1xf32>}> : () -> tensor<1xf32>
  %c = tinyprune.conv2d %d2, %wc, %bc {pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>, dilation = array<i64: 1, 1>, min_val = 0xFF800000 : f32, max_val = 0x7F800000 : f32} : (tensor<1x1x1x3xf32>, tensor<1x1x1x3xf32>, tensor<1xf32>) -> tensor<1x1x1x1xf32> loc("c")
  return %c : tensor<1x1x1x1xf32>
}

// -----

// One layer read by two: a's channel 1 leaves both consumers' inputs. The
// consumers' own channels are tied by the add and reach the result.
// CHECK-LABEL: func.func @two_consumers(
// CHECK-DAG: "tosa.const"() <{values = dense<{{\[\[\[\[}}1.000000e+00, 3.000000e+00]]]]> : tensor<1x1x1x2xf32>}>
// CHECK-DAG: "tosa.const"() <{values = dense<{{\[\[\[\[}}4.000000e+00, 6.000000e+00]]]]> : tensor<1x1x1x2xf32>}>
// CHECK: tinyprune.add {{.*}} -> tensor<1x1x1x1xf32>
// REPORT: a 3 2
// REPORT-NEXT: c1 1 1
// REPORT-NEXT: c2 1 1
// REPORT-NEXT: channel groups: 2, prunable: 1 (3 channels), removed 1 channels
// REPORT-NEXT: not prunable: group of c1 (1 channels): its channels reach the function's result
func.func @two_consumers(%x: tensor<1x1x1x1xf32>) -> tensor<1x1x1x1xf32> {
  %wa = "tosa.const"() <{values = dense<[[[[1.0]]], [[[0.01]]], [[[2.0]]]]> : tensor<3x1x1x1xf32>}> : () -> tensor<3x1x1x1xf32>
  %ba = "tosa.const"() <{values = dense<[0.0, 0.0, 0.0]> : tensor<3xf32>}> : () -> tensor<3xf32>
  %a = tinyprune.conv2d %x, %wa, %ba {pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>, dilation = array<i64: 1, 1>, min_val = 0xFF800000 : f32, max_val = 0x7F800000 : f32} : (tensor<1x1x1x1xf32>, tensor<3x1x1x1xf32>, tensor<3xf32>) -> tensor<1x1x1x3xf32> loc("a")
  %w1 = "tosa.const"() <{values = dense<[[[[1.0, 2.0, 3.0]]]]> : tensor<1x1x1x3xf32>}> : () -> tensor<1x1x1x3xf32>
  %b1 = "tosa.const"() <{values = dense<[0.5]> : tensor<1xf32>}> : () -> tensor<1xf32>
  %c1 = tinyprune.conv2d %a, %w1, %b1 {pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>, dilation = array<i64: 1, 1>, min_val = 0xFF800000 : f32, max_val = 0x7F800000 : f32} : (tensor<1x1x1x3xf32>, tensor<1x1x1x3xf32>, tensor<1xf32>) -> tensor<1x1x1x1xf32> loc("c1")
  %w2 = "tosa.const"() <{values = dense<[[[[4.0, 5.0, 6.0]]]]> : tensor<1x1x1x3xf32>}> : () -> tensor<1x1x1x3xf32>
  %b2 = "tosa.const"() <{values = dense<[0.5]> : tensor<1xf32>}> : () -> tensor<1xf32>
  %c2 = tinyprune.conv2d %a, %w2, %b2 {pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>, dilation = array<i64: 1, 1>, min_val = 0xFF800000 : f32, max_val = 0x7F800000 : f32} : (tensor<1x1x1x3xf32>, tensor<1x1x1x3xf32>, tensor<1xf32>) -> tensor<1x1x1x1xf32> loc("c2")
  %s = tinyprune.add %c1, %c2 {min_val = 0xFF800000 : f32, max_val = 0x7F800000 : f32} : (tensor<1x1x1x1xf32>, tensor<1x1x1x1xf32>) -> tensor<1x1x1x1xf32>
  return %s : tensor<1x1x1x1xf32>
}

// -----

// Nothing to prune: a's channels are the result, b's are added to the
// function's input, whose channels no layer produces, and c's are the
// result.
// CHECK-LABEL: func.func @unprunable(
// CHECK: tinyprune.conv2d {{.*}} -> tensor<1x1x1x3xf32>
// CHECK: tinyprune.conv2d {{.*}} -> tensor<1x1x1x3xf32>
// REPORT: channel groups: 3, prunable: 0 (0 channels), removed 0 channels
// REPORT-NEXT: not prunable: group of a (3 channels): its channels reach the function's result
// REPORT-NEXT: not prunable: group of b (3 channels): 'tinyprune.add' joins its channels with channels that no layer output in this layout holds (the function's input, or another layout)
// REPORT-NEXT: not prunable: group of c (1 channels): its channels reach the function's result
func.func @unprunable(%x: tensor<1x1x1x3xf32>) -> (tensor<1x1x1x3xf32>, tensor<1x1x1x1xf32>) {
  %wa = "tosa.const"() <{values = dense<[[[[1.0, 1.0, 1.0]]], [[[0.01, 0.0, 0.0]]], [[[2.0, 0.0, 0.0]]]]> : tensor<3x1x1x3xf32>}> : () -> tensor<3x1x1x3xf32>
  %ba = "tosa.const"() <{values = dense<[0.0, 0.0, 0.0]> : tensor<3xf32>}> : () -> tensor<3xf32>
  %a = tinyprune.conv2d %x, %wa, %ba {pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>, dilation = array<i64: 1, 1>, min_val = 0xFF800000 : f32, max_val = 0x7F800000 : f32} : (tensor<1x1x1x3xf32>, tensor<3x1x1x3xf32>, tensor<3xf32>) -> tensor<1x1x1x3xf32> loc("a")
  %wb = "tosa.const"() <{values = dense<[[[[1.0, 1.0, 1.0]]], [[[0.01, 0.0, 0.0]]], [[[2.0, 0.0, 0.0]]]]> : tensor<3x1x1x3xf32>}> : () -> tensor<3x1x1x3xf32>
  %bb = "tosa.const"() <{values = dense<[0.0, 0.0, 0.0]> : tensor<3xf32>}> : () -> tensor<3xf32>
  %b = tinyprune.conv2d %x, %wb, %bb {pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>, dilation = array<i64: 1, 1>, min_val = 0xFF800000 : f32, max_val = 0x7F800000 : f32} : (tensor<1x1x1x3xf32>, tensor<3x1x1x3xf32>, tensor<3xf32>) -> tensor<1x1x1x3xf32> loc("b")
  %s = tinyprune.add %b, %x {min_val = 0xFF800000 : f32, max_val = 0x7F800000 : f32} : (tensor<1x1x1x3xf32>, tensor<1x1x1x3xf32>) -> tensor<1x1x1x3xf32>
  %wc = "tosa.const"() <{values = dense<[[[[1.0, 2.0, 3.0]]]]> : tensor<1x1x1x3xf32>}> : () -> tensor<1x1x1x3xf32>
  %bc = "tosa.const"() <{values = dense<[0.5]> : tensor<1xf32>}> : () -> tensor<1xf32>
  %c = tinyprune.conv2d %s, %wc, %bc {pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>, dilation = array<i64: 1, 1>, min_val = 0xFF800000 : f32, max_val = 0x7F800000 : f32} : (tensor<1x1x1x3xf32>, tensor<1x1x1x3xf32>, tensor<1xf32>) -> tensor<1x1x1x1xf32> loc("c")
  return %a, %c : tensor<1x1x1x3xf32>, tensor<1x1x1x1xf32>
}
