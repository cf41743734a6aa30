"""Models whose arena depends on running layers in place and on the order
of a residual block's branches (test/Target/inplace.test).

    models.py OUT_DIR

chain_int8 / chain_float: conv 3x3 -> depthwise 3x3 -> pointwise 1x1 that
  widens 8 -> 24 channels -> depthwise 3x3 stride 2 -> pointwise narrowing
  to 8 -> dilated VALID conv: every layer after the first can overwrite its
  input row by row (stride 1 and 2, padded and not, wider and narrower).
residual_int8: a conv feeding a two-conv branch and a strided 1x1
  shortcut, joined by ADD; program order keeps the wide input alive longer
  than needed.
blocks_int8: two residual blocks on a 13x9 map (13 rows: blocks of rows do
  not divide it): an identity block (conv 3x3 -> conv 3x3 -> ADD with the
  block input, which the sum overwrites) and a block whose first conv has
  stride 2 with a strided 1x1 shortcut (SUB, shortcut minus branch: the
  branch is ADD's second operand); both run as row-fused chains.
"""
import os
import sys

from tflgen import Model


class Net:
    def __init__(self, name, dtype):
        self.m = Model(description=name)
        self.name = name
        self.dtype = dtype
        self.count = 0

    def act(self, shape, q=(0.05, -10)):
        self.count += 1
        if self.dtype == "INT8":
            return self.m.tensor(f"t{self.count}", shape, "INT8", scale=q[0],
                                 zero_point=q[1])
        return self.m.tensor(f"t{self.count}", shape, "FLOAT32")

    def weights(self, shape, channels, axis, seed):
        n = 1
        for d in shape:
            n *= d
        self.count += 1
        if self.dtype == "INT8":
            scale = [0.004 + 0.001 * ((c * 7 + seed) % 5)
                     for c in range(channels)]
            w = self.m.const(f"w{self.count}", shape, "INT8",
                             values=[((i * 37 + seed * 11) % 201) - 100
                                     for i in range(n)],
                             scale=scale, zero_point=[0] * channels,
                             quantized_dimension=axis)
            b = self.m.const(f"b{self.count}", [channels], "INT32",
                             values=[(c * 53 + seed) % 400 - 200
                                     for c in range(channels)],
                             scale=[0.05 * s for s in scale],
                             zero_point=[0] * channels,
                             quantized_dimension=0)
        else:
            w = self.m.const(f"w{self.count}", shape, "FLOAT32",
                             values=[(((i * 37 + seed * 11) % 201) - 100) /
                                     400.0 for i in range(n)])
            b = self.m.const(f"b{self.count}", [channels], "FLOAT32",
                             values=[((c * 53 + seed) % 40 - 20) / 40.0
                                     for c in range(channels)])
        return w, b

    def conv(self, x, in_c, out_shape, k, stride=1, padding="SAME",
             dilation=1, seed=1, act="RELU"):
        w, b = self.weights([out_shape[3], k, k, in_c], out_shape[3], 0, seed)
        y = self.act(out_shape)
        self.m.op("CONV_2D", inputs=[x, w, b], outputs=[y], version=3,
                  options=("Conv2DOptions",
                           {"padding": padding, "stride_w": stride,
                            "stride_h": stride, "dilation_w_factor": dilation,
                            "dilation_h_factor": dilation,
                            "fused_activation_function": act}))
        return y

    def dw(self, x, out_shape, stride=1, seed=2):
        c = out_shape[3]
        w, b = self.weights([1, 3, 3, c], c, 3, seed)
        y = self.act(out_shape)
        self.m.op("DEPTHWISE_CONV_2D", inputs=[x, w, b], outputs=[y],
                  version=3,
                  options=("DepthwiseConv2DOptions",
                           {"padding": "SAME", "stride_w": stride,
                            "stride_h": stride, "depth_multiplier": 1,
                            "fused_activation_function": "RELU6"}))
        return y

    def write(self, x, y, out_dir):
        self.m.inputs([x])
        self.m.outputs([y])
        self.m.write(os.path.join(out_dir, self.name + ".tflite"))


def chain(out_dir, dtype):
    n = Net("chain_" + dtype.lower().replace("float32", "float"), dtype)
    x = n.act([1, 12, 10, 8], q=(0.1, 3))
    t = n.conv(x, 8, [1, 12, 10, 8], 3, seed=1)
    t = n.dw(t, [1, 12, 10, 8], seed=2)
    t = n.conv(t, 8, [1, 12, 10, 24], 1, seed=3)
    t = n.dw(t, [1, 6, 5, 24], stride=2, seed=4)
    t = n.conv(t, 24, [1, 6, 5, 8], 1, seed=5)
    t = n.conv(t, 8, [1, 2, 1, 8], 3, padding="VALID", dilation=2, seed=6,
               act="NONE")
    n.write(x, t, out_dir)


def residual(out_dir):
    n = Net("residual_int8", "INT8")
    x = n.act([1, 16, 16, 3], q=(0.1, 3))
    wide = n.conv(x, 3, [1, 16, 16, 16], 3, seed=1)
    a = n.conv(wide, 16, [1, 8, 8, 16], 3, stride=2, seed=2)
    a = n.conv(a, 16, [1, 8, 8, 32], 3, seed=3)
    s = n.conv(wide, 16, [1, 8, 8, 32], 1, stride=2, seed=4, act="NONE")
    y = n.act([1, 8, 8, 32], q=(0.08, -5))
    n.m.op("ADD", inputs=[a, s], outputs=[y],
           options=("AddOptions", {"fused_activation_function": "RELU"}))
    n.write(x, y, out_dir)


def blocks(out_dir):
    n = Net("blocks_int8", "INT8")
    x = n.act([1, 13, 9, 3], q=(0.1, 3))
    wide = n.conv(x, 3, [1, 13, 9, 16], 3, seed=1)
    a = n.conv(wide, 16, [1, 13, 9, 16], 3, seed=2)
    a = n.conv(a, 16, [1, 13, 9, 16], 3, seed=3, act="NONE")
    y = n.act([1, 13, 9, 16], q=(0.06, -8))
    n.m.op("ADD", inputs=[wide, a], outputs=[y],
           options=("AddOptions", {"fused_activation_function": "RELU"}))
    b = n.conv(y, 16, [1, 7, 5, 24], 3, stride=2, seed=4)
    b = n.conv(b, 24, [1, 7, 5, 24], 3, seed=5, act="NONE")
    s = n.conv(y, 16, [1, 7, 5, 24], 1, stride=2, seed=6, act="NONE")
    z = n.act([1, 7, 5, 24], q=(0.08, -5))
    n.m.op("SUB", inputs=[s, b], outputs=[z],
           options=("SubOptions", {"fused_activation_function": "NONE"}))
    n.write(x, z, out_dir)


out = sys.argv[1]
os.makedirs(out, exist_ok=True)
chain(out, "INT8")
chain(out, "FLOAT32")
residual(out)
blocks(out)
