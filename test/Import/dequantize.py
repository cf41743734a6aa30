# Imports DEQUANTIZE: (float)(q - zp) * scale as tosa.cast, tosa.sub and
# tosa.mul, with the zero point and scale as float constants that broadcast
# per tensor or along the quantized dimension.
#
# RUN: %python %s %t
# RUN: tinyprune-translate --import-tflite %t/int8.tflite | FileCheck %s --check-prefix=I8
# RUN: tinyprune-translate --import-tflite %t/int16.tflite | FileCheck %s --check-prefix=I16
# RUN: tinyprune-translate --import-tflite %t/per_channel_const.tflite | FileCheck %s --check-prefix=PC
# RUN: tinyprune-translate --import-tflite %t/per_channel_axis1.tflite | FileCheck %s --check-prefix=AX1

import os
import sys

from tflgen import Model


def dequantize(name, shape, dtype, values=None, **quant):
    m = Model(description=name)
    if values is None:
        x = m.tensor("input", shape, dtype, **quant)
        m.inputs([x])
    else:
        x = m.const("weights", shape, dtype, values=values, **quant)
        m.inputs([])
    y = m.tensor("output", shape, "FLOAT32")
    m.op("DEQUANTIZE", inputs=[x], outputs=[y])
    m.outputs([y])
    m.write(os.path.join(sys.argv[1], name + ".tflite"))


os.makedirs(sys.argv[1], exist_ok=True)
dequantize("int8", [1, 4], "INT8", scale=0.1, zero_point=-5)
dequantize("int16", [6], "INT16", scale=1 / 2048, zero_point=0)
dequantize("per_channel_const", [2, 3], "INT8",
           values=[1, -2, 3, -4, 5, -6], scale=[0.5, 0.25],
           zero_point=[3, -2], quantized_dimension=0)
dequantize("per_channel_axis1", [2, 3], "INT8", values=[10, 20, 30, 40, 50, 60],
           scale=[0.1, 0.2, 0.4], zero_point=[0, 0, 0], quantized_dimension=1)

# int8 per tensor: the cast and the subtraction are exact (integers below
# 2^24) and the single float32 multiply rounds once, like TFLite's
# double product rounded to float. Constants are [1,1], the input's rank.
# I8-LABEL: func.func @main(
# I8-SAME: %[[X:.*]]: tensor<1x4xi8> {tinyprune.quant = #tinyprune.quant<scale = 0.100000001, zero_point = -5>}) -> tensor<1x4xf32>
# I8: %[[F:.*]] = tosa.cast %[[X]] : (tensor<1x4xi8>) -> tensor<1x4xf32>
# I8-DAG: %[[ZP:.*]] = "tosa.const"() <{values = dense<-5.000000e+00> : tensor<1x1xf32>}>
# I8-DAG: %[[SC:.*]] = "tosa.const"() <{values = dense<1.000000e-01> : tensor<1x1xf32>}>
# I8-DAG: %[[SH:.*]] = "tosa.const"() <{values = dense<0> : tensor<1xi8>}>
# I8: %[[C:.*]] = tosa.sub %[[F]], %[[ZP]] : (tensor<1x4xf32>, tensor<1x1xf32>) -> tensor<1x4xf32>
# I8: %[[Y:.*]] = tosa.mul %[[C]], %[[SC]], %[[SH]] : (tensor<1x4xf32>, tensor<1x1xf32>, tensor<1xi8>) -> tensor<1x4xf32>
# I8-NOT: tinyprune.quant<
# I8: return %[[Y]]

# int16: same sequence on a rank-1 input ([1] constants); 1/2048 is exact in
# f32 (printed 4.8828125E-4).
# I16-LABEL: func.func @main(
# I16: %[[F:.*]] = tosa.cast %arg0 : (tensor<6xi16>) -> tensor<6xf32>
# I16-DAG: %[[ZP:.*]] = "tosa.const"() <{values = dense<0.000000e+00> : tensor<1xf32>}>
# I16-DAG: %[[SC:.*]] = "tosa.const"() <{values = dense<4.8828125E-4> : tensor<1xf32>}>
# I16: %[[C:.*]] = tosa.sub %[[F]], %[[ZP]]
# I16: tosa.mul %[[C]], %[[SC]], %{{.*}} : {{.*}} -> tensor<6xf32>

# A per-channel constant weight [2,3] quantized along dimension 0: it is
# materialized as an i8 tosa.const keeping its quantization, and the zero
# points [3, -2] and scales [0.5, 0.25] become [2,1] constants that broadcast
# along the rows.
# PC-LABEL: func.func @main() -> tensor<2x3xf32>
# PC: %[[W:.*]] = "tosa.const"() <{values = dense<{{\[\[}}1, -2, 3], [-4, 5, -6]]> : tensor<2x3xi8>}> {tinyprune.quant = #tinyprune.quant<axis = 0, scale = [0.5, 0.25], zero_point = [3, -2]>}
# PC: %[[F:.*]] = tosa.cast %[[W]] : (tensor<2x3xi8>) -> tensor<2x3xf32>
# PC-DAG: %[[ZP:.*]] = "tosa.const"() <{values = dense<{{\[\[}}3.000000e+00], [-2.000000e+00]]> : tensor<2x1xf32>}>
# PC-DAG: %[[SC:.*]] = "tosa.const"() <{values = dense<{{\[\[}}5.000000e-01], [2.500000e-01]]> : tensor<2x1xf32>}>
# PC: %[[C:.*]] = tosa.sub %[[F]], %[[ZP]] : (tensor<2x3xf32>, tensor<2x1xf32>) -> tensor<2x3xf32>
# PC: %[[Y:.*]] = tosa.mul %[[C]], %[[SC]], %{{.*}} : (tensor<2x3xf32>, tensor<2x1xf32>, tensor<1xi8>) -> tensor<2x3xf32>
# PC: return %[[Y]]

# Quantized along dimension 1: the constants are [1,3] instead.
# AX1-LABEL: func.func @main() -> tensor<2x3xf32>
# AX1-DAG: %[[ZP:.*]] = "tosa.const"() <{values = dense<0.000000e+00> : tensor<1x3xf32>}>
# AX1-DAG: %[[SC:.*]] = "tosa.const"() <{values = dense<{{\[\[}}1.000000e-01, 2.000000e-01, 4.000000e-01]]> : tensor<1x3xf32>}>
# AX1: %[[C:.*]] = tosa.sub %{{.*}}, %[[ZP]] : (tensor<2x3xf32>, tensor<1x3xf32>) -> tensor<2x3xf32>
# AX1: tosa.mul %[[C]], %[[SC]], %{{.*}} : (tensor<2x3xf32>, tensor<1x3xf32>, tensor<1xi8>) -> tensor<2x3xf32>
