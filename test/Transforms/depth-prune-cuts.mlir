// --depth-prune without `cut` only lists the cut points of the model and
// what the model costs cut at each with the default head: these hand-made
// float models show which tensors are cut points (every path from the
// input to the output passes through them, after an activation) and which
// are not. Float layers without an activation clamp to -inf/+inf
// (`0xFF800000`, `0x7F800000`), with ReLU from 0.
//
// RUN: tinyprune-opt %s --split-input-file --depth-prune="report=-" -o /dev/null | FileCheck %s
// The model is left as it is.
// RUN: tinyprune-opt %s --split-input-file --depth-prune | FileCheck %s --check-prefix=SAME
// SAME-LABEL: func.func @chain
// SAME-COUNT-3: tinyprune.conv2d
// SAME: tosa.avg_pool2d

// A chain: each ReLU output is a cut; the last layer before the pool has
// no activation and is not.
// CHECK: depth-prune: head 32,16, cut (none: report only), cortex-m4
// CHECK: (full model)
// CHECK-NEXT: c1{{ +}}4x4x8
// CHECK-NEXT: c2{{ +}}4x4x8
// CHECK-NOT: c3
// CHECK: depth-prune: head
func.func @chain(%x: tensor<1x4x4x2xf32>) -> tensor<1x3xf32> {
  %w1 = "tosa.const"() <{values = dense<0.5> : tensor<8x1x1x2xf32>}> : () -> tensor<8x1x1x2xf32>
  %w2 = "tosa.const"() <{values = dense<0.25> : tensor<8x1x1x8xf32>}> : () -> tensor<8x1x1x8xf32>
  %w3 = "tosa.const"() <{values = dense<0.125> : tensor<8x1x1x8xf32>}> : () -> tensor<8x1x1x8xf32>
  %b = "tosa.const"() <{values = dense<0.0> : tensor<8xf32>}> : () -> tensor<8xf32>
  %c1 = tinyprune.conv2d %x, %w1, %b {dilation = array<i64: 1, 1>, max_val = 0x7F800000 : f32, min_val = 0.0 : f32, pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>} : (tensor<1x4x4x2xf32>, tensor<8x1x1x2xf32>, tensor<8xf32>) -> tensor<1x4x4x8xf32> loc("c1")
  %c2 = tinyprune.conv2d %c1, %w2, %b {dilation = array<i64: 1, 1>, max_val = 6.0 : f32, min_val = 0.0 : f32, pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>} : (tensor<1x4x4x8xf32>, tensor<8x1x1x8xf32>, tensor<8xf32>) -> tensor<1x4x4x8xf32> loc("c2")
  %c3 = tinyprune.conv2d %c2, %w3, %b {dilation = array<i64: 1, 1>, max_val = 0x7F800000 : f32, min_val = 0xFF800000 : f32, pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>} : (tensor<1x4x4x8xf32>, tensor<8x1x1x8xf32>, tensor<8xf32>) -> tensor<1x4x4x8xf32> loc("c3")
  %zp = "tosa.const"() <{values = dense<0.0> : tensor<1xf32>}> : () -> tensor<1xf32>
  %p = tosa.avg_pool2d %c3, %zp, %zp {acc_type = f32, kernel = array<i64: 4, 4>, pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>} : (tensor<1x4x4x8xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x1x1x8xf32>
  %wf = "tosa.const"() <{values = dense<0.1> : tensor<3x1x1x8xf32>}> : () -> tensor<3x1x1x8xf32>
  %bf = "tosa.const"() <{values = dense<0.0> : tensor<3xf32>}> : () -> tensor<3xf32>
  %f = tinyprune.conv2d %p, %wf, %bf {dilation = array<i64: 1, 1>, max_val = 0x7F800000 : f32, min_val = 0xFF800000 : f32, pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>} : (tensor<1x1x1x8xf32>, tensor<3x1x1x8xf32>, tensor<3xf32>) -> tensor<1x1x1x3xf32> loc("fc")
  %s = tosa.const_shape {values = dense<[1, 3]> : tensor<2xindex>} : () -> !tosa.shape<2>
  %r = tosa.reshape %f, %s : (tensor<1x1x1x3xf32>, !tosa.shape<2>) -> tensor<1x3xf32>
  return %r : tensor<1x3xf32>
}

// -----

// A residual block: the block's input (stem) and the add after it are
// cuts; inside the block the shortcut keeps `stem` alive beside r1, so r1
// is not one; r2 has no activation.
// CHECK: (full model)
// CHECK-NEXT: stem{{ +}}4x4x8
// CHECK-NEXT: add{{ +}}4x4x8
// CHECK-NOT: r1
// CHECK: depth-prune: head
func.func @residual(%x: tensor<1x4x4x2xf32>) -> tensor<1x3xf32> {
  %w1 = "tosa.const"() <{values = dense<0.5> : tensor<8x1x1x2xf32>}> : () -> tensor<8x1x1x2xf32>
  %w2 = "tosa.const"() <{values = dense<0.25> : tensor<8x3x3x8xf32>}> : () -> tensor<8x3x3x8xf32>
  %b = "tosa.const"() <{values = dense<0.0> : tensor<8xf32>}> : () -> tensor<8xf32>
  %stem = tinyprune.conv2d %x, %w1, %b {dilation = array<i64: 1, 1>, max_val = 0x7F800000 : f32, min_val = 0.0 : f32, pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>} : (tensor<1x4x4x2xf32>, tensor<8x1x1x2xf32>, tensor<8xf32>) -> tensor<1x4x4x8xf32> loc("stem")
  %r1 = tinyprune.conv2d %stem, %w2, %b {dilation = array<i64: 1, 1>, max_val = 0x7F800000 : f32, min_val = 0.0 : f32, pad = array<i64: 1, 1, 1, 1>, stride = array<i64: 1, 1>} : (tensor<1x4x4x8xf32>, tensor<8x3x3x8xf32>, tensor<8xf32>) -> tensor<1x4x4x8xf32> loc("r1")
  %r2 = tinyprune.conv2d %r1, %w2, %b {dilation = array<i64: 1, 1>, max_val = 0x7F800000 : f32, min_val = 0xFF800000 : f32, pad = array<i64: 1, 1, 1, 1>, stride = array<i64: 1, 1>} : (tensor<1x4x4x8xf32>, tensor<8x3x3x8xf32>, tensor<8xf32>) -> tensor<1x4x4x8xf32> loc("r2")
  %a = tinyprune.add %r2, %stem {max_val = 0x7F800000 : f32, min_val = 0.0 : f32} : (tensor<1x4x4x8xf32>, tensor<1x4x4x8xf32>) -> tensor<1x4x4x8xf32> loc("add")
  %zp = "tosa.const"() <{values = dense<0.0> : tensor<1xf32>}> : () -> tensor<1xf32>
  %p = tosa.avg_pool2d %a, %zp, %zp {acc_type = f32, kernel = array<i64: 4, 4>, pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>} : (tensor<1x4x4x8xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x1x1x8xf32>
  %wf = "tosa.const"() <{values = dense<0.1> : tensor<3x1x1x8xf32>}> : () -> tensor<3x1x1x8xf32>
  %bf = "tosa.const"() <{values = dense<0.0> : tensor<3xf32>}> : () -> tensor<3xf32>
  %f = tinyprune.conv2d %p, %wf, %bf {dilation = array<i64: 1, 1>, max_val = 0x7F800000 : f32, min_val = 0xFF800000 : f32, pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>} : (tensor<1x1x1x8xf32>, tensor<3x1x1x8xf32>, tensor<3xf32>) -> tensor<1x1x1x3xf32> loc("fc")
  %s = tosa.const_shape {values = dense<[1, 3]> : tensor<2xindex>} : () -> !tosa.shape<2>
  %r = tosa.reshape %f, %s : (tensor<1x1x1x3xf32>, !tosa.shape<2>) -> tensor<1x3xf32>
  return %r : tensor<1x3xf32>
}

// -----

// Two branches from one tensor joined by an add: neither branch is a cut
// (the other runs beside it), the fork and the join are.
// CHECK: (full model)
// CHECK-NEXT: fork{{ +}}4x4x8
// CHECK-NEXT: join{{ +}}4x4x8
// CHECK-NOT: left
// CHECK-NOT: right
func.func @branches(%x: tensor<1x4x4x2xf32>) -> tensor<1x3xf32> {
  %w1 = "tosa.const"() <{values = dense<0.5> : tensor<8x1x1x2xf32>}> : () -> tensor<8x1x1x2xf32>
  %w2 = "tosa.const"() <{values = dense<0.25> : tensor<8x1x1x8xf32>}> : () -> tensor<8x1x1x8xf32>
  %b = "tosa.const"() <{values = dense<0.0> : tensor<8xf32>}> : () -> tensor<8xf32>
  %fork = tinyprune.conv2d %x, %w1, %b {dilation = array<i64: 1, 1>, max_val = 0x7F800000 : f32, min_val = 0.0 : f32, pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>} : (tensor<1x4x4x2xf32>, tensor<8x1x1x2xf32>, tensor<8xf32>) -> tensor<1x4x4x8xf32> loc("fork")
  %l = tinyprune.conv2d %fork, %w2, %b {dilation = array<i64: 1, 1>, max_val = 0x7F800000 : f32, min_val = 0.0 : f32, pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>} : (tensor<1x4x4x8xf32>, tensor<8x1x1x8xf32>, tensor<8xf32>) -> tensor<1x4x4x8xf32> loc("left")
  %rt = tinyprune.conv2d %fork, %w2, %b {dilation = array<i64: 1, 1>, max_val = 0x7F800000 : f32, min_val = 0.0 : f32, pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>} : (tensor<1x4x4x8xf32>, tensor<8x1x1x8xf32>, tensor<8xf32>) -> tensor<1x4x4x8xf32> loc("right")
  %j = tinyprune.add %l, %rt {max_val = 0x7F800000 : f32, min_val = 0.0 : f32} : (tensor<1x4x4x8xf32>, tensor<1x4x4x8xf32>) -> tensor<1x4x4x8xf32> loc("join")
  %zp = "tosa.const"() <{values = dense<0.0> : tensor<1xf32>}> : () -> tensor<1xf32>
  %p = tosa.avg_pool2d %j, %zp, %zp {acc_type = f32, kernel = array<i64: 4, 4>, pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>} : (tensor<1x4x4x8xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x1x1x8xf32>
  %wf = "tosa.const"() <{values = dense<0.1> : tensor<3x1x1x8xf32>}> : () -> tensor<3x1x1x8xf32>
  %bf = "tosa.const"() <{values = dense<0.0> : tensor<3xf32>}> : () -> tensor<3xf32>
  %f = tinyprune.conv2d %p, %wf, %bf {dilation = array<i64: 1, 1>, max_val = 0x7F800000 : f32, min_val = 0xFF800000 : f32, pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>} : (tensor<1x1x1x8xf32>, tensor<3x1x1x8xf32>, tensor<3xf32>) -> tensor<1x1x1x3xf32> loc("fc")
  %s = tosa.const_shape {values = dense<[1, 3]> : tensor<2xindex>} : () -> !tosa.shape<2>
  %r = tosa.reshape %f, %s : (tensor<1x1x1x3xf32>, !tosa.shape<2>) -> tensor<1x3xf32>
  return %r : tensor<1x3xf32>
}
