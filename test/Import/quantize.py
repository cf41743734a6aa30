# Imports QUANTIZE: float to int8/int16 is tinyprune.quantize (a true float32
# division, per tensor or per channel); int8 to int8 is a requantization,
# one tosa.rescale.
#
# RUN: %python %s %t
# RUN: tinyprune-translate --import-tflite %t/float_int8.tflite | FileCheck %s --check-prefix=Q8
# RUN: tinyprune-translate --import-tflite %t/float_int16.tflite | FileCheck %s --check-prefix=Q16
# RUN: tinyprune-translate --import-tflite %t/per_channel.tflite | FileCheck %s --check-prefix=PC
# RUN: tinyprune-translate --import-tflite %t/requant.tflite | FileCheck %s --check-prefix=RQ
# RUN: tinyprune-translate --import-tflite %t/requant_same_scale.tflite | FileCheck %s --check-prefix=ZP

import os
import sys

from tflgen import Model


def quantize(name, shape, in_type, out_type, in_q=None, out_q=None):
    m = Model(description=name)
    x = m.tensor("input", shape, in_type, **(in_q or {}))
    y = m.tensor("output", shape, out_type, **(out_q or {}))
    m.op("QUANTIZE", inputs=[x], outputs=[y])
    m.inputs([x])
    m.outputs([y])
    m.write(os.path.join(sys.argv[1], name + ".tflite"))


os.makedirs(sys.argv[1], exist_ok=True)
quantize("float_int8", [1, 4], "FLOAT32", "INT8",
         out_q=dict(scale=0.1, zero_point=-5))
quantize("float_int16", [8], "FLOAT32", "INT16",
         out_q=dict(scale=1 / 1024, zero_point=0))
quantize("per_channel", [2, 3], "FLOAT32", "INT8",
         out_q=dict(scale=[0.1, 0.2, 0.3], zero_point=[1, 2, 3],
                    quantized_dimension=1))
quantize("requant", [1, 4], "INT8", "INT8",
         in_q=dict(scale=0.1, zero_point=-5),
         out_q=dict(scale=0.03, zero_point=-20))
quantize("requant_same_scale", [3], "INT8", "INT8",
         in_q=dict(scale=0.5, zero_point=10),
         out_q=dict(scale=0.5, zero_point=-3))

# float -> int8: round(x / scale) + zp needs a real division (a reciprocal
# multiply differs in the last bit), so it is kept as tinyprune.quantize with
# the output quantization; the f32 input has none.
# Q8-LABEL: func.func @main(
# Q8-SAME: %[[X:.*]]: tensor<1x4xf32>) -> (tensor<1x4xi8> {tinyprune.quant = #tinyprune.quant<scale = 0.100000001, zero_point = -5>})
# Q8-NEXT: %[[Y:.*]] = tinyprune.quantize %[[X]] {output_quant = #tinyprune.quant<scale = 0.100000001, zero_point = -5>} : (tensor<1x4xf32>) -> tensor<1x4xi8>
# Q8-NEXT: return %[[Y]]

# float -> int16: the same op with an i16 result.
# Q16-LABEL: func.func @main(
# Q16: tinyprune.quantize %arg0 {output_quant = #tinyprune.quant<scale = 0.0009765625, zero_point = 0>
# Q16-SAME: : (tensor<8xf32>) -> tensor<8xi16>

# Per-channel output quantization along axis 1: the attribute keeps the axis
# and one scale and zero point per channel.
# PC-LABEL: func.func @main(
# PC-SAME: -> (tensor<2x3xi8> {tinyprune.quant = #tinyprune.quant<axis = 1, scale = [0.100000001, 0.200000003, 0.300000012], zero_point = [1, 2, 3]>})
# PC: %[[Y:.*]] = tinyprune.quantize %arg0 {output_quant = #tinyprune.quant<axis = 1, scale = [0.100000001, 0.200000003, 0.300000012], zero_point = [1, 2, 3]>
# PC-SAME: : (tensor<2x3xf32>) -> tensor<2x3xi8>
# PC: return %[[Y]]

# int8 -> int8: TFLite computes this multiplier in double,
# double(f32(0.1)) / double(f32(0.03)) = 3.33333346 = 0.833 * 2^2 ->
# 1789569773, shift 29 (RELU's float32 ratio of the same scales gives
# 1789569792). The rescale subtracts the input zero point -5 and adds the
# output zero point -20; it saturates to int8, so no clamp follows.
# RQ-LABEL: func.func @main(
# RQ-SAME: %[[X:.*]]: tensor<1x4xi8> {tinyprune.quant = #tinyprune.quant<scale = 0.100000001, zero_point = -5>}
# RQ-DAG: %[[M:.*]] = "tosa.const"() <{values = dense<1789569773> : tensor<1xi32>}>
# RQ-DAG: %[[S:.*]] = "tosa.const"() <{values = dense<29> : tensor<1xi8>}>
# RQ-DAG: %[[IZP:.*]] = "tosa.const"() <{values = dense<-5> : tensor<1xi8>}>
# RQ-DAG: %[[OZP:.*]] = "tosa.const"() <{values = dense<-20> : tensor<1xi8>}>
# RQ: %[[Y:.*]] = tosa.rescale %[[X]], %[[M]], %[[S]], %[[IZP]], %[[OZP]] {input_unsigned = false, output_unsigned = false, per_channel = false, rounding_mode = DOUBLE_ROUND, scale32 = true, tinyprune.quant = #tinyprune.quant<scale = 0.0299999993, zero_point = -20>} : {{.*}} -> tensor<1x4xi8>
# RQ-NOT: tosa.clamp
# RQ-NOT: tinyprune.quantize
# RQ: return %[[Y]]

# int8 -> int8 with equal scales only moves the zero point: multiplier 1.0 =
# 0.5 * 2^1 -> 2^30 = 1073741824, shift 30; zero points 10 -> -3.
# ZP-LABEL: func.func @main(
# ZP-DAG: %[[M:.*]] = "tosa.const"() <{values = dense<1073741824> : tensor<1xi32>}>
# ZP-DAG: %[[S:.*]] = "tosa.const"() <{values = dense<30> : tensor<1xi8>}>
# ZP-DAG: %[[IZP:.*]] = "tosa.const"() <{values = dense<10> : tensor<1xi8>}>
# ZP-DAG: %[[OZP:.*]] = "tosa.const"() <{values = dense<-3> : tensor<1xi8>}>
# ZP: tosa.rescale %arg0, %[[M]], %[[S]], %[[IZP]], %[[OZP]] {{.*}} -> tensor<3xi8>
