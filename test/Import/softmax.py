# Imports SOFTMAX: int8 lowers to tinyprune.softmax carrying beta and
# both quantizations; float lowers to tinyprune.softmax without quantization;
# a non-default beta is passed through unchanged.
#
# RUN: %python %s %t
# RUN: tinyprune-translate --import-tflite %t/int8.tflite | FileCheck %s --check-prefix=I8
# RUN: tinyprune-translate --import-tflite %t/float.tflite | FileCheck %s --check-prefix=F32
# RUN: tinyprune-translate --import-tflite %t/beta_half.tflite | FileCheck %s --check-prefix=BETA
# RUN: not tinyprune-translate --import-tflite %t/int16.tflite 2>&1 | FileCheck %s --check-prefix=I16

import os
import sys

from tflgen import Model


def softmax(name, shape, dtype, in_q=None, out_q=None, beta=1.0):
    m = Model(description=name)
    in_q = dict(scale=in_q[0], zero_point=in_q[1]) if in_q else {}
    out_q = dict(scale=out_q[0], zero_point=out_q[1]) if out_q else {}
    x = m.tensor("input", shape, dtype, **in_q)
    y = m.tensor("output", shape, dtype, **out_q)
    m.op("SOFTMAX", inputs=[x], outputs=[y],
         options=("SoftmaxOptions", {"beta": beta}))
    m.inputs([x])
    m.outputs([y])
    m.write(os.path.join(sys.argv[1], name + ".tflite"))


os.makedirs(sys.argv[1], exist_ok=True)
softmax("int8", [1, 10], "INT8", in_q=(0.125, 2), out_q=(1 / 256, -128))
softmax("float", [2, 5], "FLOAT32")
softmax("beta_half", [1, 2, 2, 3], "INT8", in_q=(0.0625, -1),
        out_q=(1 / 256, -128), beta=0.5)
softmax("int16", [1, 6], "INT16", in_q=(1 / 4096, 0), out_q=(1 / 32768, 0))

# int8: TFLite's fixed-point softmax (gemmlowp exp and reciprocal) has no TOSA
# equivalent, so it stays one tinyprune.softmax. Its meaning depends on the
# input scale and on beta, so both travel as attributes; TFLite requires the
# int8 output to be scale 1/256 (0.00390625), zero point -128.
# I8-LABEL: func.func @main(
# I8-SAME: %[[X:.*]]: tensor<1x10xi8> {tinyprune.quant = #tinyprune.quant<scale = 0.125, zero_point = 2>}
# I8-SAME: -> (tensor<1x10xi8> {tinyprune.quant = #tinyprune.quant<scale = 0.00390625, zero_point = -128>})
# I8: %[[Y:.*]] = tinyprune.softmax %[[X]] {beta = 1.000000e+00 : f32, input_quant = #tinyprune.quant<scale = 0.125, zero_point = 2>, output_quant = #tinyprune.quant<scale = 0.00390625, zero_point = -128>} : (tensor<1x10xi8>) -> tensor<1x10xi8>
# I8-NOT: tosa.
# I8: return %[[Y]]

# float: the same op with no quantization attributes (they are forbidden on
# float tensors).
# F32-LABEL: func.func @main(
# F32-SAME: %[[X:.*]]: tensor<2x5xf32>) -> tensor<2x5xf32>
# F32-NOT: tinyprune.quant
# F32: %[[Y:.*]] = tinyprune.softmax %[[X]] {beta = 1.000000e+00 : f32} : (tensor<2x5xf32>) -> tensor<2x5xf32>
# F32-NOT: tinyprune.quant
# F32: return %[[Y]]

# beta = 0.5 on a rank-4 int8 tensor: beta is kept exactly (0.5 is exact in
# f32); the softmax still runs over the innermost dimension only.
# BETA-LABEL: func.func @main(
# BETA-SAME: %[[X:.*]]: tensor<1x2x2x3xi8> {tinyprune.quant = #tinyprune.quant<scale = 0.0625, zero_point = -1>}
# BETA: %[[Y:.*]] = tinyprune.softmax %[[X]] {beta = 5.000000e-01 : f32, input_quant = #tinyprune.quant<scale = 0.0625, zero_point = -1>, output_quant = #tinyprune.quant<scale = 0.00390625, zero_point = -128>
# BETA-SAME: : (tensor<1x2x2x3xi8>) -> tensor<1x2x2x3xi8>
# BETA: return %[[Y]]

# int16 (16x8 quantization) is rejected with one line naming the operator.
# I16: int16.tflite: error: operator 0 (SOFTMAX): type INT16 is not supported (int8 and float32 are; 16x8 quantization is not)
