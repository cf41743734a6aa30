# Imports TANH: float lowers to tosa.tanh; int8 lowers to
# tinyprune.tanh (TFLite's fixed-point tanh) with the output quantization
# TFLite mandates.
#
# RUN: %python %s %t
# RUN: tinyprune-translate --import-tflite %t/float.tflite | FileCheck %s --check-prefix=F32
# RUN: tinyprune-translate --import-tflite %t/int8.tflite | FileCheck %s --check-prefix=I8
# RUN: not tinyprune-translate --import-tflite %t/int16.tflite 2>&1 | FileCheck %s --check-prefix=I16

import os
import sys

from tflgen import Model


def tanh(name, shape, dtype, in_q=None, out_q=None):
    m = Model(description=name)
    in_q = dict(scale=in_q[0], zero_point=in_q[1]) if in_q else {}
    out_q = dict(scale=out_q[0], zero_point=out_q[1]) if out_q else {}
    x = m.tensor("input", shape, dtype, **in_q)
    y = m.tensor("output", shape, dtype, **out_q)
    m.op("TANH", inputs=[x], outputs=[y])
    m.inputs([x])
    m.outputs([y])
    m.write(os.path.join(sys.argv[1], name + ".tflite"))


os.makedirs(sys.argv[1], exist_ok=True)
tanh("float", [2, 3], "FLOAT32")
tanh("int8", [1, 4, 4, 1], "INT8", in_q=(0.05, -10), out_q=(1 / 128, 0))
tanh("int16", [1, 7], "INT16", in_q=(1 / 2048, 0), out_q=(1 / 32768, 0))

# float: TOSA's tanh is the same function; nothing else is emitted.
# F32-LABEL: func.func @main(
# F32-SAME: %[[X:.*]]: tensor<2x3xf32>) -> tensor<2x3xf32>
# F32-NOT: tinyprune.
# F32: %[[Y:.*]] = tosa.tanh %[[X]] : (tensor<2x3xf32>) -> tensor<2x3xf32>
# F32-NOT: tinyprune.
# F32: return %[[Y]]

# int8: TFLite's gemmlowp tanh on a Q4.27 input is kept as one op with both
# quantizations. The output is scale 1/128 (0.0078125), zero point 0:
# (-1, 1) over the int8 range, as TFLite requires.
# I8-LABEL: func.func @main(
# I8-SAME: %[[X:.*]]: tensor<1x4x4x1xi8> {tinyprune.quant = #tinyprune.quant<scale = 0.0500000007, zero_point = -10>}
# I8-SAME: -> (tensor<1x4x4x1xi8> {tinyprune.quant = #tinyprune.quant<scale = 0.0078125, zero_point = 0>})
# I8-NOT: tosa.tanh
# I8: %[[Y:.*]] = tinyprune.tanh %[[X]] {input_quant = #tinyprune.quant<scale = 0.0500000007, zero_point = -10>, output_quant = #tinyprune.quant<scale = 0.0078125, zero_point = 0>} : (tensor<1x4x4x1xi8>) -> tensor<1x4x4x1xi8>
# I8-NOT: tosa.tanh
# I8: return %[[Y]]

# int16 (16x8 quantization) is rejected with one line naming the operator.
# I16: int16.tflite: error: operator 0 (TANH): type INT16 is not supported (int8 and float32 are; 16x8 quantization is not)
