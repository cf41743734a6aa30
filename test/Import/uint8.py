# Imports affine uint8 models: every uint8 tensor becomes the int8 tensor
# q - 128 with zero point zp - 128, so the body runs on the int8 lowering;
# the model's inputs and outputs stay `ui8` with the file's zero points,
# converted at the edges by a TOSA rescale by one (input_unsigned /
# output_unsigned).
#
# RUN: %python %s %t
# RUN: tinyprune-translate --import-tflite %t/conv.tflite | FileCheck %s --check-prefix=CONV
# RUN: tinyprune-translate --import-tflite %t/fc_fits.tflite | FileCheck %s --check-prefix=FC
# RUN: tinyprune-translate --import-tflite %t/depthwise.tflite | FileCheck %s --check-prefix=DW
# RUN: tinyprune-translate --import-tflite %t/softmax.tflite | FileCheck %s --check-prefix=SOFTMAX
# RUN: tinyprune-translate --import-tflite %t/logistic.tflite | FileCheck %s --check-prefix=LOGISTIC
# RUN: tinyprune-translate --import-tflite %t/avg_pool.tflite | FileCheck %s --check-prefix=AVG
# RUN: tinyprune-translate --import-tflite %t/to_int8.tflite | FileCheck %s --check-prefix=TOINT8
# RUN: not tinyprune-translate --import-tflite %t/depthwise_wide.tflite 2>&1 | FileCheck %s --check-prefix=DWWIDE
# RUN: not tinyprune-translate --import-tflite %t/mean_same.tflite 2>&1 | FileCheck %s --check-prefix=MEAN
# RUN: not tinyprune-translate --import-tflite %t/raw.tflite 2>&1 | FileCheck %s --check-prefix=RAW

import os
import sys

from tflgen import Model

out = sys.argv[1]
os.makedirs(out, exist_ok=True)


def write(m, name):
    m.write(os.path.join(out, name + ".tflite"))


# CONV_2D whose weights reach 200 below their zero point: split into two
# int8 filters over the input repeated along channels.
m = Model()
x = m.tensor("x", [1, 4, 4, 2], "UINT8", scale=0.5, zero_point=128)
w = m.const("w", [1, 1, 1, 2], "UINT8", values=[0, 255], scale=0.01,
            zero_point=200)
y = m.tensor("y", [1, 4, 4, 1], "UINT8", scale=0.25, zero_point=10)
m.op("CONV_2D", [x, w, None], [y], options=("Conv2DOptions", {
    "padding": "VALID", "stride_w": 1, "stride_h": 1}))
m.inputs([x])
m.outputs([y])
write(m, "conv")
# CONV-LABEL: func.func @main(
# CONV-SAME: %[[X:.*]]: tensor<1x4x4x2xui8> {tinyprune.quant = #tinyprune.quant<scale = 0.5, zero_point = 128>}
# CONV-SAME: -> (tensor<1x4x4x1xui8> {tinyprune.quant = #tinyprune.quant<scale = 0.25, zero_point = 10>})
# CONV-DAG: %[[ONE:.*]] = "tosa.const"() <{values = dense<1073741824> : tensor<1xi32>}>
# CONV-DAG: %[[S30:.*]] = "tosa.const"() <{values = dense<30> : tensor<1xi8>}>
# CONV-DAG: %[[UZP:.*]] = "tosa.const"() <{values = dense<128> : tensor<1xui8>}>
# CONV-DAG: %[[SZP:.*]] = "tosa.const"() <{values = dense<0> : tensor<1xi8>}>
# CONV: %[[IN:.*]] = tosa.rescale %[[X]], %[[ONE]], %[[S30]], %[[UZP]], %[[SZP]] {input_unsigned = true, output_unsigned = false, {{.*}}tinyprune.quant = #tinyprune.quant<scale = 0.5, zero_point = 0>} : (tensor<1x4x4x2xui8>, {{.*}}) -> tensor<1x4x4x2xi8>
# 0 - 200 = -200 = -128 + -72; 255 - 200 = 55 = 55 + 0.
# CONV: %[[W:.*]] = "tosa.const"() <{values = dense<{{\[\[\[\[}}-128, 55, -72, 0]]]]> : tensor<1x1x1x4xi8>}> {tinyprune.quant = #tinyprune.quant<scale = 0.00999999978, zero_point = 0>}
# CONV: %[[CAT:.*]] = tosa.concat %[[IN]], %[[IN]] {axis = 3 : i32, tinyprune.quant = #tinyprune.quant<scale = 0.5, zero_point = 0>}
# CONV: %[[ACC:.*]] = tosa.conv2d %[[CAT]], %[[W]], {{.*}} -> tensor<1x4x4x1xi32>
# CONV: %[[R:.*]] = tosa.rescale %[[ACC]], {{.*}} -> tensor<1x4x4x1xi8>
# CONV: %[[OUT:.*]] = tosa.rescale %[[R]], {{.*}} {input_unsigned = false, output_unsigned = true, {{.*}}tinyprune.quant = #tinyprune.quant<scale = 0.25, zero_point = 10>} : (tensor<1x4x4x1xi8>, {{.*}}) -> tensor<1x4x4x1xui8>
# CONV: return %[[OUT]]

# FULLY_CONNECTED whose weights stay within 127 of the zero point: one int8
# filter, no repeated input.
m = Model()
x = m.tensor("x", [1, 3], "UINT8", scale=0.5, zero_point=100)
w = m.const("w", [2, 3], "UINT8", values=[0, 100, 227, 50, 60, 70],
            scale=0.02, zero_point=100)
y = m.tensor("y", [1, 2], "UINT8", scale=0.25, zero_point=128)
m.op("FULLY_CONNECTED", [x, w, None], [y])
m.inputs([x])
m.outputs([y])
write(m, "fc_fits")
# FC-LABEL: func.func @main(
# FC-NOT: tosa.concat
# FC: "tosa.const"() <{values = dense<{{\[\[\[\[}}-100, 0, 127]]], {{\[\[\[}}-50, -40, -30]]]]> : tensor<2x1x1x3xi8>}>
# FC: tosa.conv2d {{.*}} -> tensor<1x1x1x2xi32>
# FC: output_unsigned = true

# DEPTHWISE_CONV_2D with weights within 127 of the zero point.
m = Model()
x = m.tensor("x", [1, 3, 3, 2], "UINT8", scale=0.5, zero_point=128)
w = m.const("w", [1, 1, 1, 2], "UINT8", values=[10, 250], scale=0.01,
            zero_point=130)
y = m.tensor("y", [1, 3, 3, 2], "UINT8", scale=0.25, zero_point=128)
m.op("DEPTHWISE_CONV_2D", [x, w, None], [y],
     options=("DepthwiseConv2DOptions", {"padding": "VALID", "stride_w": 1,
                                         "stride_h": 1, "depth_multiplier": 1}))
m.inputs([x])
m.outputs([y])
write(m, "depthwise")
# DW: "tosa.const"() <{values = dense<{{\[\[\[\[}}-120], [120]]]]> : tensor<1x1x2x1xi8>}> {tinyprune.quant = #tinyprune.quant<scale = 0.00999999978, zero_point = 0>}
# DW: tosa.depthwise_conv2d

# The same with a weight 130 below the zero point: refused.
m = Model()
x = m.tensor("x", [1, 3, 3, 2], "UINT8", scale=0.5, zero_point=128)
w = m.const("w", [1, 1, 1, 2], "UINT8", values=[0, 250], scale=0.01,
            zero_point=130)
y = m.tensor("y", [1, 3, 3, 2], "UINT8", scale=0.25, zero_point=128)
m.op("DEPTHWISE_CONV_2D", [x, w, None], [y],
     options=("DepthwiseConv2DOptions", {"padding": "VALID", "stride_w": 1,
                                         "stride_h": 1, "depth_multiplier": 1}))
m.inputs([x])
m.outputs([y])
write(m, "depthwise_wide")
# DWWIDE: error: operator 0 (DEPTHWISE_CONV_2D): uint8 filter 'w' has zero point 130 and values more than 127 away from it, which the int8 depthwise kernels cannot hold

# Softmax and logistic: uint8 outputs at 1/256, 0 are the int8 outputs at
# 1/256, -128 the int8 kernels require.
for op, name, prefix in (("SOFTMAX", "softmax", "SOFTMAX"),
                         ("LOGISTIC", "logistic", "LOGISTIC")):
    m = Model()
    x = m.tensor("x", [1, 5], "UINT8", scale=0.1, zero_point=120)
    y = m.tensor("y", [1, 5], "UINT8", scale=1.0 / 256, zero_point=0)
    m.op(op, [x], [y], options=("SoftmaxOptions", {"beta": 1.0})
         if op == "SOFTMAX" else None)
    m.inputs([x])
    m.outputs([y])
    write(m, name)
# SOFTMAX: tinyprune.softmax {{.*}}input_quant = #tinyprune.quant<scale = 0.100000001, zero_point = -8>{{.*}}output_quant = #tinyprune.quant<scale = 0.00390625, zero_point = -128>
# SOFTMAX: output_unsigned = true{{.*}}zero_point = 0>} : (tensor<1x5xi8>, {{.*}}) -> tensor<1x5xui8>
# LOGISTIC: tinyprune.logistic {{.*}}zero_point = -128>
# LOGISTIC: output_unsigned = true

# AVERAGE_POOL_2D: TFLite's uint8 kernel rounds averages of raw uint8 sums;
# input_offset = 128 replays that on the shifted values.
m = Model()
x = m.tensor("x", [1, 4, 4, 1], "UINT8", scale=0.1, zero_point=128)
y = m.tensor("y", [1, 2, 2, 1], "UINT8", scale=0.1, zero_point=128)
m.op("AVERAGE_POOL_2D", [x], [y], options=("Pool2DOptions", {
    "padding": "VALID", "stride_w": 2, "stride_h": 2, "filter_width": 2,
    "filter_height": 2}))
m.inputs([x])
m.outputs([y])
write(m, "avg_pool")
# AVG: tinyprune.avg_pool2d {{.*}}input_offset = 128 : i64

# QUANTIZE uint8 -> int8 (a uint8 interface around an int8 body): a
# requantization between the shifted zero points, here a rescale by one.
m = Model()
x = m.tensor("x", [1, 4], "UINT8", scale=0.5, zero_point=128)
y = m.tensor("y", [1, 4], "INT8", scale=0.5, zero_point=0)
m.op("QUANTIZE", [x], [y])
m.inputs([x])
m.outputs([y])
write(m, "to_int8")
# TOINT8: func.func @main(%{{.*}}: tensor<1x4xui8> {{.*}}) -> (tensor<1x4xi8> {tinyprune.quant = #tinyprune.quant<scale = 0.5, zero_point = 0>})
# TOINT8: input_unsigned = true
# TOINT8: tosa.rescale {{.*}}input_unsigned = false, output_unsigned = false{{.*}}-> tensor<1x4xi8>
# TOINT8-NOT: output_unsigned = true

# MEAN with equal uint8 quantization divides raw uint8 sums: refused.
m = Model()
x = m.tensor("x", [1, 2, 2, 3], "UINT8", scale=0.1, zero_point=128)
axes = m.const("axes", [2], "INT32", values=[1, 2])
y = m.tensor("y", [1, 1, 1, 3], "UINT8", scale=0.1, zero_point=128)
m.op("MEAN", [x, axes], [y], options=("ReducerOptions", {"keep_dims": True}))
m.inputs([x])
m.outputs([y])
write(m, "mean_same")
# MEAN: error: operator 0 (MEAN): uint8 MEAN with equal input and output quantization is not supported (TFLite divides the raw uint8 sum, which the int8 kernel does not reproduce)

# uint8 without quantization (raw bytes) is not an affine tensor.
m = Model()
x = m.tensor("x", [1, 4], "UINT8")
y = m.tensor("y", [1, 4], "UINT8")
m.op("RELU", [x], [y])
m.inputs([x])
m.outputs([y])
write(m, "raw")
# RAW: error: tensor 'x' is UINT8 without quantization, which is not supported (affine uint8 tensors are)
