#!/usr/bin/env python3
"""Writes the float model and samples of test/Transforms/depth-prune.test.

    depth_prune_data.py OUTDIR

x.npy          60 float32 samples 1x4x4x2 (NHWC) in [0, 1)
y.npy          their labels: 0 when channel 0 is brighter on average, else 1
softmax.mlir   a float classifier ending in a softmax: two ReLU 1x1
               convolutions (c1, c2), a linear one, average pool,
               fully-connected to 2 logits, softmax
"""

import os
import random
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "..",
                                "utils"))
from npygen import write_npy  # noqa: E402

out = sys.argv[1]
rng = random.Random(7)
xs, ys = [], []
for _ in range(60):
    sample = [rng.random() for _ in range(32)]
    xs += sample
    ys.append(0 if sum(sample[0::2]) > sum(sample[1::2]) else 1)
write_npy(os.path.join(out, "x.npy"), xs, shape=[60, 4, 4, 2])
write_npy(os.path.join(out, "y.npy"), ys, shape=[60], dtype="int64")

CONV = ('tinyprune.conv2d {x}, {w}, %b {{dilation = array<i64: 1, 1>, '
        'max_val = 0x7F800000 : f32, min_val = {lo} : f32, '
        'pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>}} : '
        '(tensor<1x4x4x{cin}xf32>, tensor<8x1x1x{cin}xf32>, tensor<8xf32>) '
        '-> tensor<1x4x4x8xf32>')
MODEL = """func.func @main(%x: tensor<1x4x4x2xf32>) -> tensor<1x2xf32> {{
  %w1 = "tosa.const"() <{{values = dense<[[[[0.5, -0.5]]], [[[-0.5, 0.5]]], [[[0.25, 0.0]]], [[[0.0, 0.25]]], [[[0.5, 0.5]]], [[[0.1, -0.3]]], [[[-0.3, 0.1]]], [[[0.2, 0.2]]]]> : tensor<8x1x1x2xf32>}}> : () -> tensor<8x1x1x2xf32>
  %w2 = "tosa.const"() <{{values = dense<0.125> : tensor<8x1x1x8xf32>}}> : () -> tensor<8x1x1x8xf32>
  %b = "tosa.const"() <{{values = dense<0.0> : tensor<8xf32>}}> : () -> tensor<8xf32>
  %c1 = {c1} loc("c1")
  %c2 = {c2} loc("c2")
  %c3 = {c3} loc("c3")
  %zp = "tosa.const"() <{{values = dense<0.0> : tensor<1xf32>}}> : () -> tensor<1xf32>
  %p = tosa.avg_pool2d %c3, %zp, %zp {{acc_type = f32, kernel = array<i64: 4, 4>, pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>}} : (tensor<1x4x4x8xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x1x1x8xf32>
  %wf = "tosa.const"() <{{values = dense<0.1> : tensor<2x1x1x8xf32>}}> : () -> tensor<2x1x1x8xf32>
  %bf = "tosa.const"() <{{values = dense<0.0> : tensor<2xf32>}}> : () -> tensor<2xf32>
  %f = tinyprune.conv2d %p, %wf, %bf {{dilation = array<i64: 1, 1>, max_val = 0x7F800000 : f32, min_val = 0xFF800000 : f32, pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>}} : (tensor<1x1x1x8xf32>, tensor<2x1x1x8xf32>, tensor<2xf32>) -> tensor<1x1x1x2xf32> loc("fc")
  %s = tosa.const_shape {{values = dense<[1, 2]> : tensor<2xindex>}} : () -> !tosa.shape<2>
  %r = tosa.reshape %f, %s : (tensor<1x1x1x2xf32>, !tosa.shape<2>) -> tensor<1x2xf32>
  %y = tinyprune.softmax %r {{beta = 1.0 : f32}} : (tensor<1x2xf32>) -> tensor<1x2xf32> loc("softmax")
  return %y : tensor<1x2xf32>
}}
"""
with open(os.path.join(out, "softmax.mlir"), "w") as f:
    f.write(MODEL.format(
        c1=CONV.format(x="%x", w="%w1", lo="0.0", cin=2),
        c2=CONV.format(x="%c1", w="%w2", lo="0.0", cin=8),
        c3=CONV.format(x="%c2", w="%w2", lo="0xFF800000", cin=8)))
