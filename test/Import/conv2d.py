# Imports CONV_2D: padding, strides, dilation, fused activations, int8
# per-channel requantization and float.
#
# RUN: %python %s %t
# RUN: tinyprune-translate --import-tflite %t/same_int8.tflite | FileCheck %s --check-prefix=SAME8
# RUN: tinyprune-translate --import-tflite %t/valid_stride2_float.tflite | FileCheck %s --check-prefix=VALIDF
# RUN: tinyprune-translate --import-tflite %t/same_stride2_even.tflite | FileCheck %s --check-prefix=EVEN
# RUN: tinyprune-translate --import-tflite %t/valid_trim.tflite | FileCheck %s --check-prefix=TRIM
# RUN: tinyprune-translate --import-tflite %t/dilated_relu6.tflite | FileCheck %s --check-prefix=DIL

import os
import sys

from tflgen import Model


def conv(name, in_shape, w_shape, out_shape, opts, dtype="INT8", bias=True,
         out_q=(0.25, 1)):
    m = Model(description=name)
    oc = w_shape[0]
    count = 1
    for d in w_shape:
        count *= d
    if dtype == "INT8":
        x = m.tensor("input", in_shape, "INT8", scale=0.5, zero_point=-3)
        w = m.const("filter", w_shape, "INT8",
                    values=[(i * 7) % 255 - 127 for i in range(count)],
                    scale=[0.01 * (c + 1) for c in range(oc)],
                    zero_point=[0] * oc, quantized_dimension=0)
        b = m.const("bias", [oc], "INT32", values=[100 * c - 50 for c in range(oc)],
                    scale=[0.005 * (c + 1) for c in range(oc)],
                    zero_point=[0] * oc) if bias else None
        y = m.tensor("output", out_shape, "INT8", scale=out_q[0],
                     zero_point=out_q[1])
    else:
        x = m.tensor("input", in_shape, "FLOAT32")
        w = m.const("filter", w_shape, "FLOAT32",
                    values=[((i * 7) % 13) / 13.0 - 0.5 for i in range(count)])
        b = m.const("bias", [oc], "FLOAT32",
                    values=[0.25 * c for c in range(oc)]) if bias else None
        y = m.tensor("output", out_shape, "FLOAT32")
    m.op("CONV_2D", inputs=[x, w, b], outputs=[y],
         options=("Conv2DOptions", opts), version=3)
    m.inputs([x])
    m.outputs([y])
    m.write(os.path.join(sys.argv[1], name + ".tflite"))


os.makedirs(sys.argv[1], exist_ok=True)
conv("same_int8", [1, 5, 5, 3], [2, 3, 3, 3], [1, 5, 5, 2],
     {"padding": "SAME", "stride_w": 1, "stride_h": 1,
      "fused_activation_function": "RELU"})
conv("valid_stride2_float", [1, 7, 7, 2], [4, 3, 3, 2], [1, 3, 3, 4],
     {"padding": "VALID", "stride_w": 2, "stride_h": 2}, dtype="FLOAT32",
     bias=False)
conv("same_stride2_even", [1, 8, 8, 1], [1, 3, 3, 1], [1, 4, 4, 1],
     {"padding": "SAME", "stride_w": 2, "stride_h": 2})
conv("valid_trim", [1, 6, 6, 1], [1, 1, 1, 1], [1, 3, 3, 1],
     {"padding": "VALID", "stride_w": 2, "stride_h": 2})
conv("dilated_relu6", [1, 9, 9, 1], [1, 3, 3, 1], [1, 9, 9, 1],
     {"padding": "SAME", "stride_w": 1, "stride_h": 1, "dilation_w_factor": 2,
      "dilation_h_factor": 2, "fused_activation_function": "RELU6"})

# int8, SAME, stride 1, fused RELU: conv2d accumulating in i32 with the
# input zero point, per-channel rescale (multiplier 0.5 * 0.01 * (c + 1) / 0.25
# as Q31 and 31 - exponent), clamp from the output zero point up.
# SAME8-LABEL: func.func @main(
# SAME8-SAME: %[[X:.*]]: tensor<1x5x5x3xi8> {tinyprune.quant = #tinyprune.quant<scale = 0.5, zero_point = -3>}
# SAME8-SAME: -> (tensor<1x5x5x2xi8> {tinyprune.quant = #tinyprune.quant<scale = 0.25, zero_point = 1>})
# SAME8-DAG: %[[B:.*]] = "tosa.const"() <{values = dense<[-50, 50]> : tensor<2xi32>}> {tinyprune.quant = #tinyprune.quant<axis = 0, scale = [0.00499999989, 0.00999999978], zero_point = [0, 0]>}
# SAME8-DAG: %[[XZP:.*]] = "tosa.const"() <{values = dense<-3> : tensor<1xi8>}>
# SAME8-DAG: %[[WZP:.*]] = "tosa.const"() <{values = dense<0> : tensor<1xi8>}>
# SAME8-DAG: %[[W:.*]] = "tosa.const"() <{values = dense<{{.*}}> : tensor<2x3x3x3xi8>}> {tinyprune.quant = #tinyprune.quant<axis = 0, scale = [0.00999999978, 0.0199999996], zero_point = [0, 0]>}
# SAME8: %[[ACC:.*]] = tosa.conv2d %[[X]], %[[W]], %[[B]], %[[XZP]], %[[WZP]] {acc_type = i32, dilation = array<i64: 1, 1>, pad = array<i64: 1, 1, 1, 1>, stride = array<i64: 1, 1>} {{.*}} -> tensor<1x5x5x2xi32>
# SAME8-DAG: %[[M:.*]] = "tosa.const"() <{values = dense<1374389504> : tensor<2xi32>}>
# SAME8-DAG: %[[S:.*]] = "tosa.const"() <{values = dense<[36, 35]> : tensor<2xi8>}>
# SAME8-DAG: %[[IZP:.*]] = "tosa.const"() <{values = dense<0> : tensor<1xi32>}>
# SAME8-DAG: %[[OZP:.*]] = "tosa.const"() <{values = dense<1> : tensor<1xi8>}>
# SAME8: %[[R:.*]] = tosa.rescale %[[ACC]], %[[M]], %[[S]], %[[IZP]], %[[OZP]] {input_unsigned = false, output_unsigned = false, per_channel = true, rounding_mode = DOUBLE_ROUND, scale32 = true} {{.*}} -> tensor<1x5x5x2xi8>
# SAME8: %[[Y:.*]] = tosa.clamp %[[R]] {max_val = 127 : i8, min_val = 1 : i8, tinyprune.quant = #tinyprune.quant<scale = 0.25, zero_point = 1>}
# SAME8: return %[[Y]]

# float, VALID, stride 2, no bias: zero bias, float zero points, no rescale.
# VALIDF-LABEL: func.func @main(%{{.*}}: tensor<1x7x7x2xf32>) -> tensor<1x3x3x4xf32>
# VALIDF: %[[B:.*]] = "tosa.const"() <{values = dense<0.000000e+00> : tensor<4xf32>}>
# VALIDF: tosa.conv2d %arg0, %{{.*}}, %[[B]], %{{.*}}, %{{.*}} {acc_type = f32, dilation = array<i64: 1, 1>, pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 2, 2>} {{.*}} -> tensor<1x3x3x4xf32>
# VALIDF-NOT: tosa.rescale
# VALIDF-NOT: tosa.clamp

# SAME with stride 2 on an even input pads [0, 1] (TFLite puts the odd pad
# after); no fused activation means no clamp.
# EVEN: tosa.conv2d {{.*}} pad = array<i64: 0, 1, 0, 1>, stride = array<i64: 2, 2>
# EVEN: tosa.rescale
# EVEN-NOT: tosa.clamp

# VALID 1x1 stride 2 on 6 rows: row 5 is never read; TOSA needs the window
# to divide exactly, so it is sliced off.
# TRIM: %[[SIZE:.*]] = tosa.const_shape {values = dense<[1, 5, 5, 1]> : tensor<4xindex>}
# TRIM: %[[START:.*]] = tosa.const_shape {values = dense<0> : tensor<4xindex>}
# TRIM: %[[SL:.*]] = tosa.slice %arg0, %[[START]], %[[SIZE]] {{.*}} -> tensor<1x5x5x1xi8>
# TRIM: tosa.conv2d %[[SL]], {{.*}} pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 2, 2>

# Dilation 2 with SAME: effective kernel 5, pads 2; RELU6 clamps to
# [zp, zp + 6 / scale] = [1, 25].
# DIL: tosa.conv2d {{.*}} dilation = array<i64: 2, 2>, pad = array<i64: 2, 2, 2, 2>
# DIL: tosa.clamp %{{.*}} {max_val = 25 : i8, min_val = 1 : i8
