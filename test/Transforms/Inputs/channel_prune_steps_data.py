#!/usr/bin/env python3
"""Writes the model and samples of test/Transforms/channel-prune-steps.test.

    channel_prune_steps_data.py OUTDIR

x.npy       128 float32 samples 1x2x2x2 (NHWC) in [0, 1)
y.npy       their labels: 0 when channel 0 is brighter on average, else 1
model.mlir  an int8 classifier: an 8-channel 1x1 convolution with ReLU
            (arena: its 32-byte output), flattened into a fully-connected
            layer with two outputs
"""

import math
import os
import random
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "..",
                                "utils"))
from npygen import write_npy  # noqa: E402

out = sys.argv[1]
rng = random.Random(14)
xs, ys = [], []
for _ in range(128):
    sample = [rng.random() for _ in range(8)]
    xs += sample
    ys.append(0 if sum(sample[0::2]) > sum(sample[1::2]) else 1)
write_npy(os.path.join(out, "x.npy"), xs, shape=[128, 2, 2, 2])
write_npy(os.path.join(out, "y.npy"), ys, shape=[128], dtype="int64")


def requant(real):
    """TFLite's multiplier and shift (right shift + 31) of a real scale."""
    mantissa, exponent = math.frexp(real)
    return int(round(mantissa * (1 << 31))), 31 - exponent


IN_SCALE, CONV_SCALE, OUT_SCALE = 0.05, 0.02, 0.1
conv_w = [[rng.randint(-60, 60), rng.randint(-60, 60)] for _ in range(8)]
conv_scales = [0.01 * (1 + k % 3) for k in range(8)]
conv_b = [rng.randint(-100, 100) for _ in range(8)]
conv_rq = [requant(IN_SCALE * s / CONV_SCALE) for s in conv_scales]
fc_w = [[rng.randint(-80, 80) for _ in range(32)] for _ in range(2)]
fc_rq = [requant(CONV_SCALE * 0.01 / OUT_SCALE)] * 2


def ints(values):
    return ", ".join(str(v) for v in values)


MODEL = """func.func @main(%x: tensor<1x2x2x2xi8> {{tinyprune.quant = #tinyprune.quant<scale = {in_s}, zero_point = 0>}}) -> (tensor<1x2xi8> {{tinyprune.quant = #tinyprune.quant<scale = {out_s}, zero_point = 0>}}) {{
  %w = "tosa.const"() <{{values = dense<[{conv_w}]> : tensor<8x1x1x2xi8>}}> : () -> tensor<8x1x1x2xi8>
  %b = "tosa.const"() <{{values = dense<[{conv_b}]> : tensor<8xi32>}}> : () -> tensor<8xi32>
  %y = tinyprune.conv2d %x, %w, %b {{pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>, dilation = array<i64: 1, 1>, min_val = 0 : i8, max_val = 127 : i8, input_quant = #tinyprune.quant<scale = {in_s}, zero_point = 0>, weight_quant = #tinyprune.quant<axis = 0, scale = [{conv_s}], zero_point = [{zeros8}]>, output_quant = #tinyprune.quant<scale = {conv_out}, zero_point = 0>, multiplier = array<i32: {conv_m}>, shift = array<i8: {conv_sh}>}} : (tensor<1x2x2x2xi8>, tensor<8x1x1x2xi8>, tensor<8xi32>) -> tensor<1x2x2x8xi8> loc("conv")
  %s1 = tosa.const_shape {{values = dense<[1, 1, 1, 32]> : tensor<4xindex>}} : () -> !tosa.shape<4>
  %f = tosa.reshape %y, %s1 : (tensor<1x2x2x8xi8>, !tosa.shape<4>) -> tensor<1x1x1x32xi8>
  %fw = "tosa.const"() <{{values = dense<[{fc_w}]> : tensor<2x1x1x32xi8>}}> : () -> tensor<2x1x1x32xi8>
  %fb = "tosa.const"() <{{values = dense<[0, 0]> : tensor<2xi32>}}> : () -> tensor<2xi32>
  %z = tinyprune.conv2d %f, %fw, %fb {{pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>, dilation = array<i64: 1, 1>, min_val = -128 : i8, max_val = 127 : i8, input_quant = #tinyprune.quant<scale = {conv_out}, zero_point = 0>, weight_quant = #tinyprune.quant<axis = 0, scale = [0.01, 0.01], zero_point = [0, 0]>, output_quant = #tinyprune.quant<scale = {out_s}, zero_point = 0>, multiplier = array<i32: {fc_m}>, shift = array<i8: {fc_sh}>}} : (tensor<1x1x1x32xi8>, tensor<2x1x1x32xi8>, tensor<2xi32>) -> tensor<1x1x1x2xi8> loc("fc")
  %s2 = tosa.const_shape {{values = dense<[1, 2]> : tensor<2xindex>}} : () -> !tosa.shape<2>
  %r = tosa.reshape %z, %s2 : (tensor<1x1x1x2xi8>, !tosa.shape<2>) -> tensor<1x2xi8>
  return %r : tensor<1x2xi8>
}}
"""
with open(os.path.join(out, "model.mlir"), "w") as f:
    f.write(MODEL.format(
        in_s=IN_SCALE, out_s=OUT_SCALE, conv_out=CONV_SCALE,
        conv_w=", ".join("[[[%d, %d]]]" % tuple(w) for w in conv_w),
        conv_b=ints(conv_b), conv_s=ints(conv_scales), zeros8=ints([0] * 8),
        conv_m=ints(m for m, _ in conv_rq), conv_sh=ints(s for _, s in conv_rq),
        fc_w=", ".join("[[[%s]]]" % ints(w) for w in fc_w),
        fc_m=ints(m for m, _ in fc_rq), fc_sh=ints(s for _, s in fc_rq)))
