# `tinyprune run` reproduces TFLite's int8 reference arithmetic byte for
# byte. Each model's expected output is computed by utils/tflref.py, a
# plain-Python statement of TFLite's reference kernels that shares no code
# with the importer or the interpreter.
#
# RUN: %python %s %t
# RUN: tinyprune run %t/conv_same_s2.tflite --input %t/conv_same_s2.in --output %t/conv_same_s2.out
# RUN: cmp %t/conv_same_s2.out %t/conv_same_s2.expected
# RUN: tinyprune run %t/conv_valid_dilated.tflite --input %t/conv_valid_dilated.in --output %t/conv_valid_dilated.out
# RUN: cmp %t/conv_valid_dilated.out %t/conv_valid_dilated.expected
# RUN: tinyprune run %t/depthwise_m2.tflite --input %t/depthwise_m2.in --output %t/depthwise_m2.out
# RUN: cmp %t/depthwise_m2.out %t/depthwise_m2.expected
# RUN: tinyprune run %t/fully_connected.tflite --input %t/fully_connected.in --output %t/fully_connected.out
# RUN: cmp %t/fully_connected.out %t/fully_connected.expected
# RUN: tinyprune run %t/add_broadcast.tflite --input %t/add_broadcast.in --output %t/add_broadcast.out
# RUN: cmp %t/add_broadcast.out %t/add_broadcast.expected
# RUN: tinyprune run %t/sub.tflite --input %t/sub.in --output %t/sub.out
# RUN: cmp %t/sub.out %t/sub.expected
# RUN: tinyprune run %t/mul.tflite --input %t/mul.in --output %t/mul.out
# RUN: cmp %t/mul.out %t/mul.expected
# RUN: tinyprune run %t/max_pool.tflite --input %t/max_pool.in --output %t/max_pool.out
# RUN: cmp %t/max_pool.out %t/max_pool.expected
#
# A wrong input size is a clear error.
# RUN: not tinyprune run %t/mul.tflite --input %t/conv_same_s2.in --output %t/x.out 2>&1 | FileCheck %s --check-prefix=SIZE
# SIZE: tinyprune: error: '{{.*}}conv_same_s2.in' holds 150 bytes, but input 0 (tensor<1x4x6xi8>) needs 24

import os
import random
import sys

import tflref as ref
from tflgen import Model

out = sys.argv[1]
os.makedirs(out, exist_ok=True)
rng = random.Random(1234)


def ints(n, lo=-128, hi=127):
    return [rng.randint(lo, hi) for _ in range(n)]


def save(name, model, inputs, expected):
    model.write(os.path.join(out, name + ".tflite"))
    with open(os.path.join(out, name + ".in"), "wb") as f:
        f.write(ref.to_bytes(inputs))
    with open(os.path.join(out, name + ".expected"), "wb") as f:
        f.write(ref.to_bytes(expected))


def conv_case(name, xshape, wshape, stride, padding, act, dilation=(1, 1),
              depthwise=False):
    in_q, out_q = (0.05, -7), (0.11, 5)
    oc = wshape[3] if depthwise else wshape[0]
    w_scales = [0.002 + 0.0007 * c for c in range(oc)]
    w = ints(ref.prod(wshape), -127, 127)
    bias = ints(oc, -2000, 2000)
    x = ints(ref.prod(xshape))
    expected, oshape = ref.conv2d(x, xshape, in_q, w, wshape, w_scales, bias,
                                  out_q, stride, padding, act, dilation,
                                  depthwise)
    m = Model(description=name)
    xt = m.tensor("x", xshape, "INT8", scale=in_q[0], zero_point=in_q[1])
    wt = m.const("w", wshape, "INT8", values=w, scale=w_scales,
                 zero_point=[0] * oc, quantized_dimension=3 if depthwise else 0)
    bt = m.const("b", [oc], "INT32", values=bias)
    yt = m.tensor("y", oshape, "INT8", scale=out_q[0], zero_point=out_q[1])
    opts = {"padding": padding, "stride_h": stride[0], "stride_w": stride[1],
            "dilation_h_factor": dilation[0], "dilation_w_factor": dilation[1],
            "fused_activation_function": act}
    if depthwise:
        opts["depth_multiplier"] = oc // xshape[3]
        m.op("DEPTHWISE_CONV_2D", [xt, wt, bt], [yt], version=2,
             options=("DepthwiseConv2DOptions", opts))
    else:
        m.op("CONV_2D", [xt, wt, bt], [yt], version=2,
             options=("Conv2DOptions", opts))
    m.inputs([xt])
    m.outputs([yt])
    save(name, m, x, expected)


conv_case("conv_same_s2", [1, 5, 10, 3], [4, 3, 3, 3], (2, 2), "SAME", "RELU")
conv_case("conv_valid_dilated", [1, 9, 8, 2], [3, 3, 2, 2], (1, 2), "VALID",
          "RELU6", dilation=(2, 1))
conv_case("depthwise_m2", [1, 6, 6, 3], [1, 3, 3, 6], (1, 1), "SAME", "NONE",
          depthwise=True)

# Fully-connected: [2, 12] x [5, 12]^T, per-tensor weights.
x = ints(24)
w = ints(60, -127, 127)
bias = ints(5, -500, 500)
in_q, out_q, w_s = (0.1, 3), (0.3, -10), 0.004
expected, _ = ref.conv2d(x, [2, 1, 1, 12], in_q, w, [5, 1, 1, 12], [w_s],
                         bias, out_q, (1, 1), "VALID", "RELU")
m = Model()
xt = m.tensor("x", [2, 12], "INT8", scale=in_q[0], zero_point=in_q[1])
wt = m.const("w", [5, 12], "INT8", values=w, scale=w_s, zero_point=0)
bt = m.const("b", [5], "INT32", values=bias)
yt = m.tensor("y", [2, 5], "INT8", scale=out_q[0], zero_point=out_q[1])
m.op("FULLY_CONNECTED", [xt, wt, bt], [yt],
     options=("FullyConnectedOptions", {"fused_activation_function": "RELU"}))
m.inputs([xt])
m.outputs([yt])
save("fully_connected", m, x, expected)


def binary_case(name, op, ashape, bshape, oshape, qa, qb, qo, act, const_b):
    a = ints(ref.prod(ashape))
    b = ints(ref.prod(bshape))
    if op == "MUL":
        expected = ref.mul(a, ashape, qa, b, bshape, qb, oshape, qo, act)
    else:
        expected = ref.add(a, ashape, qa, b, bshape, qb, oshape, qo, act,
                           sub=op == "SUB")
    m = Model()
    at = m.tensor("a", ashape, "INT8", scale=qa[0], zero_point=qa[1])
    bt = (m.const("b", bshape, "INT8", values=b, scale=qb[0], zero_point=qb[1])
          if const_b else m.tensor("b", bshape, "INT8", scale=qb[0],
                                   zero_point=qb[1]))
    yt = m.tensor("y", oshape, "INT8", scale=qo[0], zero_point=qo[1])
    opts_name = {"ADD": "AddOptions", "SUB": "SubOptions", "MUL": "MulOptions"}
    m.op(op, [at, bt], [yt], options=(opts_name[op],
                                      {"fused_activation_function": act}))
    m.inputs([at])
    m.outputs([yt])
    save(name, m, a, expected)


binary_case("add_broadcast", "ADD", [1, 3, 4, 5], [5], [1, 3, 4, 5],
            (0.03, -4), (0.05, 9), (0.06, -2), "RELU6", True)
binary_case("sub", "SUB", [2, 7], [2, 7], [2, 7], (0.02, 1), (0.07, -3),
            (0.04, 0), "NONE", True)
binary_case("mul", "MUL", [1, 4, 6], [6], [1, 4, 6], (0.05, 2), (0.02, -1),
            (0.003, 4), "RELU", True)

# Max pool 3x3 stride 2 SAME with a fused RELU6 clamp.
x = ints(2 * 7 * 7 * 3)
q = (0.05, -20)
lo, hi = ref.act_range("RELU6", ref.f32(q[0]), q[1])
expected = ref.max_pool(x, [2, 7, 7, 3], (3, 3), (2, 2), "SAME", lo, hi)
m = Model()
xt = m.tensor("x", [2, 7, 7, 3], "INT8", scale=q[0], zero_point=q[1])
yt = m.tensor("y", [2, 4, 4, 3], "INT8", scale=q[0], zero_point=q[1])
m.op("MAX_POOL_2D", [xt], [yt], options=("Pool2DOptions", {
    "padding": "SAME", "stride_w": 2, "stride_h": 2, "filter_width": 3,
    "filter_height": 3, "fused_activation_function": "RELU6"}))
m.inputs([xt])
m.outputs([yt])
save("max_pool", m, x, expected)
