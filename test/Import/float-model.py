# A whole float32 model (the same DS-CNN shape as the int8 example, plus a
# residual ADD and a MEAN head) imports, passes the TOSA validator and
# round-trips through the printer and parser.
#
# RUN: %python %s %t
# RUN: tinyprune-translate --import-tflite %t/float_dscnn.tflite -o %t/model.mlir
# RUN: tinyprune-opt %t/model.mlir --tosa-attach-target="profiles=pro_int,pro_fp level=none" --tosa-validate -o /dev/null
# RUN: tinyprune-opt %t/model.mlir -o %t/1.mlir
# RUN: tinyprune-opt %t/1.mlir -o %t/2.mlir
# RUN: diff %t/1.mlir %t/2.mlir
# RUN: FileCheck %s < %t/1.mlir

import os
import sys

from tflgen import Model

out = sys.argv[1]
os.makedirs(out, exist_ok=True)
m = Model(description="float DS-CNN")
state = [7]


def values(n):
    vals = []
    for _ in range(n):
        state[0] = (state[0] * 1103515245 + 12345) % (1 << 31)
        vals.append((state[0] % 2001) / 1000.0 - 1.0)
    return vals


def conv(name, x, in_c, out_c, k, shape, stride=1, depthwise=False,
         act="RELU"):
    if depthwise:
        w = m.const(name + "/w", [1, k[0], k[1], out_c], "FLOAT32",
                    values=values(k[0] * k[1] * out_c))
    else:
        w = m.const(name + "/w", [out_c, k[0], k[1], in_c], "FLOAT32",
                    values=values(out_c * k[0] * k[1] * in_c))
    b = m.const(name + "/b", [out_c], "FLOAT32", values=values(out_c))
    y = m.tensor(name, shape, "FLOAT32")
    opts = {"padding": "SAME", "stride_w": stride, "stride_h": stride,
            "fused_activation_function": act}
    if depthwise:
        opts["depth_multiplier"] = 1
        m.op("DEPTHWISE_CONV_2D", [x, w, b], [y],
             options=("DepthwiseConv2DOptions", opts), version=2)
    else:
        m.op("CONV_2D", [x, w, b], [y], options=("Conv2DOptions", opts))
    return y


x = m.tensor("mfcc", [1, 49, 10, 1], "FLOAT32")
h = conv("conv0", x, 1, 16, (10, 4), [1, 25, 5, 16], stride=2)
d = conv("dw", h, 16, 16, (3, 3), [1, 25, 5, 16], depthwise=True)
p = conv("pw", d, 16, 16, (1, 1), [1, 25, 5, 16], act="NONE")
r = m.tensor("residual", [1, 25, 5, 16], "FLOAT32")
m.op("ADD", [h, p], [r], options=("AddOptions",
                                  {"fused_activation_function": "RELU"}))
axes = m.const("axes", [2], "INT32", values=[1, 2])
g = m.tensor("gap", [1, 16], "FLOAT32")
m.op("MEAN", [r, axes], [g], options=("ReducerOptions", {"keep_dims": False}))
w = m.const("fc/w", [12, 16], "FLOAT32", values=values(12 * 16))
b = m.const("fc/b", [12], "FLOAT32", values=values(12))
logits = m.tensor("logits", [1, 12], "FLOAT32")
m.op("FULLY_CONNECTED", [g, w, b], [logits])
probs = m.tensor("probs", [1, 12], "FLOAT32")
m.op("SOFTMAX", [logits], [probs], options=("SoftmaxOptions", {"beta": 1.0}))
m.inputs([x])
m.outputs([probs])
m.write(os.path.join(out, "float_dscnn.tflite"))

# CHECK-LABEL: func.func @main(%arg0: tensor<1x49x10x1xf32>) -> tensor<1x12xf32>
# CHECK: tosa.conv2d %arg0, {{.*}} {acc_type = f32, {{.*}} -> tensor<1x25x5x16xf32>
# CHECK: tosa.clamp
# CHECK: tosa.depthwise_conv2d {{.*}} -> tensor<1x25x5x16xf32>
# CHECK: tosa.conv2d {{.*}} -> tensor<1x25x5x16xf32>
# CHECK: tosa.add {{.*}} -> tensor<1x25x5x16xf32>
# CHECK: tinyprune.mean {{.*}} {axes = array<i64: 1, 2>, keep_dims = false} : (tensor<1x25x5x16xf32>) -> tensor<1x16xf32>
# CHECK: tosa.conv2d {{.*}} -> tensor<1x1x1x12xf32>
# CHECK: tinyprune.softmax %{{.*}} {beta = 1.000000e+00 : f32} : (tensor<1x12xf32>) -> tensor<1x12xf32>
# CHECK-NOT: tosa.rescale
