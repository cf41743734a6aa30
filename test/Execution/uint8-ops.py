# `tinyprune run` on uint8 models reproduces TFLite's uint8 reference
# arithmetic byte for byte, and takes and gives uint8 bytes. The expected
# outputs come from utils/tflref.py run on the uint8 values themselves
# (qmin 0, qmax 255, the filter's zero point), not from the int8 shift the
# importer applies.
#
# RUN: %python %s %t
# RUN: tinyprune run %t/u8_conv_split.tflite --input %t/u8_conv_split.in --output %t/u8_conv_split.out
# RUN: cmp %t/u8_conv_split.out %t/u8_conv_split.expected
# RUN: tinyprune run %t/u8_conv_fits.tflite --input %t/u8_conv_fits.in --output %t/u8_conv_fits.out
# RUN: cmp %t/u8_conv_fits.out %t/u8_conv_fits.expected
# RUN: tinyprune run %t/u8_depthwise.tflite --input %t/u8_depthwise.in --output %t/u8_depthwise.out
# RUN: cmp %t/u8_depthwise.out %t/u8_depthwise.expected
# RUN: tinyprune run %t/u8_fully_connected.tflite --input %t/u8_fully_connected.in --output %t/u8_fully_connected.out
# RUN: cmp %t/u8_fully_connected.out %t/u8_fully_connected.expected
# RUN: tinyprune run %t/u8_add.tflite --input %t/u8_add.in --output %t/u8_add.out
# RUN: cmp %t/u8_add.out %t/u8_add.expected
# RUN: tinyprune run %t/u8_avg_pool.tflite --input %t/u8_avg_pool.in --output %t/u8_avg_pool.out
# RUN: cmp %t/u8_avg_pool.out %t/u8_avg_pool.expected
# RUN: tinyprune run %t/u8_max_pool.tflite --input %t/u8_max_pool.in --output %t/u8_max_pool.out
# RUN: cmp %t/u8_max_pool.out %t/u8_max_pool.expected
#
# `tinyprune eval` quantizes float data to the uint8 input (TFLite's
# round(x / scale) + zp, clamped to [0, 255]), reads uint8 data as it is,
# and reads the uint8 scores: labels are the argmax of TFLite's uint8
# arithmetic, so both score 100%.
# RUN: tinyprune eval %t/u8_classifier.tflite --data %t/u8_float.npy --labels %t/u8_labels.npy | FileCheck %s --check-prefix=EVAL
# RUN: tinyprune eval %t/u8_classifier.tflite --data %t/u8_raw.npy --labels %t/u8_raw_labels.npy | FileCheck %s --check-prefix=EVAL
# EVAL: top-1 accuracy: 100.00%  (8/8)

import os
import random
import sys

import tflref as ref
from npygen import write_npy
from tflgen import Model

out = sys.argv[1]
os.makedirs(out, exist_ok=True)
rng = random.Random(4321)


def u8(n, lo=0, hi=255):
    return [rng.randint(lo, hi) for _ in range(n)]


def save(name, model, inputs, expected):
    model.write(os.path.join(out, name + ".tflite"))
    with open(os.path.join(out, name + ".in"), "wb") as f:
        f.write(ref.to_bytes(inputs, unsigned=True))
    with open(os.path.join(out, name + ".expected"), "wb") as f:
        f.write(ref.to_bytes(expected, unsigned=True))


def conv_case(name, xshape, wshape, stride, padding, act, w_zp, w_range,
              depthwise=False):
    in_q, out_q, w_s = (0.05, 131), (0.11, 97), 0.004
    oc = wshape[3] if depthwise else wshape[0]
    w = u8(ref.prod(wshape), *w_range)
    bias = u8(oc, -3000, 3000)
    x = u8(ref.prod(xshape))
    expected, oshape = ref.conv2d(x, xshape, in_q, w, wshape, [w_s], bias,
                                  out_q, stride, padding, act,
                                  depthwise=depthwise, w_zp=w_zp, qmin=0,
                                  qmax=255)
    m = Model(description=name)
    xt = m.tensor("x", xshape, "UINT8", scale=in_q[0], zero_point=in_q[1])
    wt = m.const("w", wshape, "UINT8", values=w, scale=w_s, zero_point=w_zp)
    bt = m.const("b", [oc], "INT32", values=bias)
    yt = m.tensor("y", oshape, "UINT8", scale=out_q[0], zero_point=out_q[1])
    opts = {"padding": padding, "stride_h": stride[0], "stride_w": stride[1],
            "fused_activation_function": act}
    if depthwise:
        opts["depth_multiplier"] = oc // xshape[3]
        m.op("DEPTHWISE_CONV_2D", [xt, wt, bt], [yt],
             options=("DepthwiseConv2DOptions", opts))
    else:
        m.op("CONV_2D", [xt, wt, bt], [yt], options=("Conv2DOptions", opts))
    m.inputs([xt])
    m.outputs([yt])
    save(name, m, x, expected)


# Weights over the whole uint8 range with zero point 200: w - 200 reaches
# -200, so the importer splits the filter (input channels doubled).
conv_case("u8_conv_split", [1, 6, 7, 3], [4, 3, 3, 3], (2, 1), "SAME",
          "RELU", 200, (0, 255))
# Weights within 127 of their zero point: one int8 filter.
conv_case("u8_conv_fits", [1, 5, 5, 2], [3, 3, 3, 2], (1, 1), "VALID",
          "RELU6", 90, (0, 210))
conv_case("u8_depthwise", [1, 6, 6, 3], [1, 3, 3, 6], (1, 1), "SAME", "NONE",
          140, (20, 255), depthwise=True)

# Fully-connected [2, 12] x [5, 12]^T, asymmetric weights over 0..255.
x = u8(24)
w = u8(60)
bias = u8(5, -800, 800)
in_q, out_q, w_s, w_zp = (0.1, 120), (0.3, 140), 0.004, 37
expected, _ = ref.conv2d(x, [2, 1, 1, 12], in_q, w, [5, 1, 1, 12], [w_s],
                         bias, out_q, (1, 1), "VALID", "NONE", w_zp=w_zp,
                         qmin=0, qmax=255)
m = Model()
xt = m.tensor("x", [2, 12], "UINT8", scale=in_q[0], zero_point=in_q[1])
wt = m.const("w", [5, 12], "UINT8", values=w, scale=w_s, zero_point=w_zp)
bt = m.const("b", [5], "INT32", values=bias)
yt = m.tensor("y", [2, 5], "UINT8", scale=out_q[0], zero_point=out_q[1])
m.op("FULLY_CONNECTED", [xt, wt, bt], [yt],
     options=("FullyConnectedOptions", {"fused_activation_function": "NONE"}))
m.inputs([xt])
m.outputs([yt])
save("u8_fully_connected", m, x, expected)

# ADD with a broadcast uint8 constant.
a = u8(60)
c = u8(5)
qa, qb, qo = (0.03, 128), (0.05, 10), (0.06, 200)
expected = ref.add(a, [1, 3, 4, 5], qa, c, [5], qb, [1, 3, 4, 5], qo, "RELU",
                   qmin=0, qmax=255)
m = Model()
at = m.tensor("a", [1, 3, 4, 5], "UINT8", scale=qa[0], zero_point=qa[1])
ct = m.const("c", [5], "UINT8", values=c, scale=qb[0], zero_point=qb[1])
yt = m.tensor("y", [1, 3, 4, 5], "UINT8", scale=qo[0], zero_point=qo[1])
m.op("ADD", [at, ct], [yt], options=("AddOptions",
                                     {"fused_activation_function": "RELU"}))
m.inputs([at])
m.outputs([yt])
save("u8_add", m, a, expected)


def pool_case(name, op, shape, k, s, padding, act, q):
    x = u8(ref.prod(shape))
    lo, hi = ref.act_range(act, ref.f32(q[0]), q[1], 0, 255)
    if op == "MAX_POOL_2D":
        expected = ref.max_pool(x, shape, k, s, padding, lo, hi)
    else:
        expected = ref.avg_pool(x, shape, k, s, padding, lo, hi)
    if padding == "SAME":
        oh, ow = -(-shape[1] // s[0]), -(-shape[2] // s[1])
    else:
        oh = (shape[1] - k[0]) // s[0] + 1
        ow = (shape[2] - k[1]) // s[1] + 1
    m = Model()
    xt = m.tensor("x", shape, "UINT8", scale=q[0], zero_point=q[1])
    yt = m.tensor("y", [shape[0], oh, ow, shape[3]], "UINT8", scale=q[0],
                  zero_point=q[1])
    m.op(op, [xt], [yt], options=("Pool2DOptions", {
        "padding": padding, "stride_w": s[1], "stride_h": s[0],
        "filter_width": k[1], "filter_height": k[0],
        "fused_activation_function": act}))
    m.inputs([xt])
    m.outputs([yt])
    save(name, m, x, expected)


# 2x2 windows of values around the zero point: sums whose halves round
# differently in uint8 (up) and int8 (away from zero) without the offset.
pool_case("u8_avg_pool", "AVERAGE_POOL_2D", [1, 6, 7, 4], (2, 2), (2, 2),
          "SAME", "NONE", (0.02, 128))
pool_case("u8_max_pool", "MAX_POOL_2D", [2, 7, 7, 3], (3, 3), (2, 2), "SAME",
          "RELU6", (0.05, 20))


# A uint8 classifier [1, 12] -> [1, 6] for eval.
in_q, out_q, w_s, w_zp = (0.05, 110), (0.2, 60), 0.01, 128
w = u8(72)
bias = u8(6, -400, 400)
m = Model()
xt = m.tensor("x", [1, 12], "UINT8", scale=in_q[0], zero_point=in_q[1])
wt = m.const("w", [6, 12], "UINT8", values=w, scale=w_s, zero_point=w_zp)
bt = m.const("b", [6], "INT32", values=bias)
yt = m.tensor("y", [1, 6], "UINT8", scale=out_q[0], zero_point=out_q[1])
m.op("FULLY_CONNECTED", [xt, wt, bt], [yt])
m.inputs([xt])
m.outputs([yt])
m.write(os.path.join(out, "u8_classifier.tflite"))


def quantize_u8(v):
    q = ref.round_half_away(ref.f32(ref.f32(v) / ref.f32(in_q[0]))) + in_q[1]
    return min(max(int(q), 0), 255)


def label(q):
    scores, _ = ref.conv2d(q, [1, 1, 1, 12], in_q, w, [6, 1, 1, 12], [w_s],
                           bias, out_q, (1, 1), "VALID", "NONE", w_zp=w_zp,
                           qmin=0, qmax=255)
    return scores.index(max(scores))


floats = [rng.uniform(-6.0, 8.0) for _ in range(8 * 12)]
write_npy(os.path.join(out, "u8_float.npy"), floats, [8, 12], "float32")
write_npy(os.path.join(out, "u8_labels.npy"),
          [label([quantize_u8(v) for v in floats[12 * i:12 * i + 12]])
           for i in range(8)], [8], "int64")
raw = u8(8 * 12)
write_npy(os.path.join(out, "u8_raw.npy"), raw, [8, 12], "uint8")
write_npy(os.path.join(out, "u8_raw_labels.npy"),
          [label(raw[12 * i:12 * i + 12]) for i in range(8)], [8], "int64")
