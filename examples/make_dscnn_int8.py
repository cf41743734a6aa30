#!/usr/bin/env python3
"""Builds examples/dscnn_int8.tflite, the model the README's first command
imports: a small int8 DS-CNN shaped like MLPerf Tiny's keyword spotter
(49x10 MFCC input, a 10x4 stride-2 conv, two depthwise-separable blocks,
average pool, fully-connected, softmax).

The weights are deterministic pseudo-random numbers, not trained: the model
exercises the importer and pipelines, not accuracy (trained fixtures live in
test/models/). Run: /usr/bin/python3 examples/make_dscnn_int8.py
"""

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "utils"))
from tflgen import Model  # noqa: E402


class Lcg:
    """Deterministic int8 weights without numpy."""

    def __init__(self, seed):
        self.state = seed

    def int8s(self, n, lo=-127, hi=127):
        out = []
        for _ in range(n):
            self.state = (self.state * 1103515245 + 12345) % (1 << 31)
            out.append(lo + self.state % (hi - lo + 1))
        return out


def main():
    rng = Lcg(2026)
    m = Model(description="tinyprune example: int8 DS-CNN (untrained)")
    c = 32

    def conv(name, x, in_c, out_c, k, out_shape, stride=1, depthwise=False):
        kh, kw = k
        if depthwise:
            shape, axis, n = [1, kh, kw, out_c], 3, kh * kw * out_c
        else:
            shape, axis, n = [out_c, kh, kw, in_c], 0, out_c * kh * kw * in_c
        w = m.const(name + "/weights", shape, "INT8", values=rng.int8s(n),
                    scale=[0.004 + 0.0001 * i for i in range(out_c)],
                    zero_point=[0] * out_c, quantized_dimension=axis)
        b = m.const(name + "/bias", [out_c], "INT32",
                    values=rng.int8s(out_c, -300, 300))
        y = m.tensor(name, out_shape, "INT8", scale=0.05, zero_point=-128)
        opts = {"padding": "SAME", "stride_w": stride, "stride_h": stride,
                "fused_activation_function": "RELU"}
        if depthwise:
            opts["depth_multiplier"] = 1
            m.op("DEPTHWISE_CONV_2D", [x, w, b], [y], version=3,
                 options=("DepthwiseConv2DOptions", opts))
        else:
            m.op("CONV_2D", [x, w, b], [y], version=3,
                 options=("Conv2DOptions", opts))
        return y

    x = m.tensor("mfcc", [1, 49, 10, 1], "INT8", scale=0.58, zero_point=83)
    h = conv("conv0", x, 1, c, (10, 4), [1, 25, 5, c], stride=2)
    for i in range(2):
        h = conv(f"block{i}/dw", h, c, c, (3, 3), [1, 25, 5, c],
                 depthwise=True)
        h = conv(f"block{i}/pw", h, c, c, (1, 1), [1, 25, 5, c])
    pooled = m.tensor("pool", [1, 1, 1, c], "INT8", scale=0.05,
                      zero_point=-128)
    m.op("AVERAGE_POOL_2D", [h], [pooled], version=2,
         options=("Pool2DOptions", {"padding": "VALID", "stride_w": 5,
                                    "stride_h": 25, "filter_width": 5,
                                    "filter_height": 25}))
    flat = m.tensor("flatten", [1, c], "INT8", scale=0.05, zero_point=-128)
    shape = m.const("flatten/shape", [2], "INT32", values=[1, c])
    m.op("RESHAPE", [pooled, shape], [flat])
    w = m.const("fc/weights", [12, c], "INT8", values=rng.int8s(12 * c),
                scale=0.01, zero_point=0)
    b = m.const("fc/bias", [12], "INT32", values=rng.int8s(12, -100, 100))
    logits = m.tensor("logits", [1, 12], "INT8", scale=0.1, zero_point=10)
    m.op("FULLY_CONNECTED", [flat, w, b], [logits], version=4,
         options=("FullyConnectedOptions", {}))
    probs = m.tensor("probabilities", [1, 12], "INT8", scale=1.0 / 256,
                     zero_point=-128)
    m.op("SOFTMAX", [logits], [probs], version=2,
         options=("SoftmaxOptions", {"beta": 1.0}))
    m.inputs([x])
    m.outputs([probs])
    m.write(os.path.join(os.path.dirname(os.path.abspath(__file__)),
                         "dscnn_int8.tflite"))


if __name__ == "__main__":
    main()
