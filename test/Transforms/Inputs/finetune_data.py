#!/usr/bin/env python3
"""Writes the models and samples of test/Transforms/finetune.test.

    finetune_data.py OUTDIR

x.npy         64 float32 samples 1x4x4x2 (NHWC) in [0, 1)
y.npy         their labels: 0 when channel 0 is brighter on average, else 1
y_short.npy   the first 63 of them (one label missing)
conv.mlir     a float classifier: pruned 1x1 conv2d (filter 0 keeps input
              channel 0 only), 4x4 average pool, reshape to two logits
sigmoid.mlir  the same with a tosa.sigmoid after the conv (no training
              rule)
two.mlir      the same with a dense 1x1 conv2d before the pruned one
"""

import os
import random
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "..",
                                "utils"))
from npygen import write_npy  # noqa: E402

out = sys.argv[1]
rng = random.Random(13)
xs, ys = [], []
for _ in range(64):
    sample = [rng.random() for _ in range(32)]
    xs += sample
    ys.append(0 if sum(sample[0::2]) > sum(sample[1::2]) else 1)
write_npy(os.path.join(out, "x.npy"), xs, shape=[64, 4, 4, 2])
write_npy(os.path.join(out, "y.npy"), ys, shape=[64], dtype="int64")
write_npy(os.path.join(out, "y_short.npy"), ys[:63], shape=[63],
          dtype="int64")

MODEL = """func.func @main(%x: tensor<1x4x4x2xf32>) -> tensor<1x2xf32> {{
  %w = "tosa.const"() {{values = dense<[[[[0.5, 0.0]]], [[[0.3, -0.2]]]]> : tensor<2x1x1x2xf32>}} : () -> tensor<2x1x1x2xf32>
  %b = "tosa.const"() {{values = dense<0.0> : tensor<2xf32>}} : () -> tensor<2xf32>
  {first}
  %c = tinyprune.conv2d {conv_in}, %w, %b {{dilation = array<i64: 1, 1>, filterlets = #tinyprune.filterlets<block = 1, kept = [[0], [0, 1]]>, max_val = 0x7F800000 : f32, min_val = 0xFF800000 : f32, pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>}} : (tensor<1x4x4x2xf32>, tensor<2x1x1x2xf32>, tensor<2xf32>) -> tensor<1x4x4x2xf32>
  {extra}
  %zp = "tosa.const"() {{values = dense<0.0> : tensor<1xf32>}} : () -> tensor<1xf32>
  %p = tosa.avg_pool2d {pooled}, %zp, %zp {{acc_type = f32, kernel = array<i64: 4, 4>, pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>}} : (tensor<1x4x4x2xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x1x1x2xf32>
  %s = tosa.const_shape {{values = dense<[1, 2]> : tensor<2xindex>}} : () -> !tosa.shape<2>
  %y = tosa.reshape %p, %s : (tensor<1x1x1x2xf32>, !tosa.shape<2>) -> tensor<1x2xf32>
  return %y : tensor<1x2xf32>
}}
"""
with open(os.path.join(out, "conv.mlir"), "w") as f:
    f.write(MODEL.format(first="", conv_in="%x", extra="", pooled="%c"))
with open(os.path.join(out, "sigmoid.mlir"), "w") as f:
    f.write(MODEL.format(
        first="", conv_in="%x",
        extra="%g = tosa.sigmoid %c : (tensor<1x4x4x2xf32>) -> "
              "tensor<1x4x4x2xf32>",
        pooled="%g"))
FIRST = """%w0 = "tosa.const"() {{values = dense<[[[[0.25, 0.75]]], [[[-0.5, 1.0]]]]> : tensor<2x1x1x2xf32>}} : () -> tensor<2x1x1x2xf32>
  %b0 = "tosa.const"() {{values = dense<0.0> : tensor<2xf32>}} : () -> tensor<2xf32>
  %c0 = tinyprune.conv2d %x, %w0, %b0 {{dilation = array<i64: 1, 1>, max_val = 0x7F800000 : f32, min_val = 0xFF800000 : f32, pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>}} : (tensor<1x4x4x2xf32>, tensor<2x1x1x2xf32>, tensor<2xf32>) -> tensor<1x4x4x2xf32>"""
with open(os.path.join(out, "two.mlir"), "w") as f:
    f.write(MODEL.format(first=FIRST.format(), conv_in="%c0", extra="",
                         pooled="%c"))
