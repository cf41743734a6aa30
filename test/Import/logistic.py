# Imports LOGISTIC: float lowers to tosa.sigmoid; int8 lowers to
# tinyprune.logistic (TFLite's fixed-point sigmoid) with the output
# quantization TFLite mandates.
#
# RUN: %python %s %t
# RUN: tinyprune-translate --import-tflite %t/float.tflite | FileCheck %s --check-prefix=F32
# RUN: tinyprune-translate --import-tflite %t/int8.tflite | FileCheck %s --check-prefix=I8
# RUN: not tinyprune-translate --import-tflite %t/int16.tflite 2>&1 | FileCheck %s --check-prefix=I16

import os
import sys

from tflgen import Model


def logistic(name, shape, dtype, in_q=None, out_q=None):
    m = Model(description=name)
    in_q = dict(scale=in_q[0], zero_point=in_q[1]) if in_q else {}
    out_q = dict(scale=out_q[0], zero_point=out_q[1]) if out_q else {}
    x = m.tensor("input", shape, dtype, **in_q)
    y = m.tensor("output", shape, dtype, **out_q)
    m.op("LOGISTIC", inputs=[x], outputs=[y])
    m.inputs([x])
    m.outputs([y])
    m.write(os.path.join(sys.argv[1], name + ".tflite"))


os.makedirs(sys.argv[1], exist_ok=True)
logistic("float", [1, 8], "FLOAT32")
logistic("int8", [1, 2, 4], "INT8", in_q=(0.1, 3), out_q=(1 / 256, -128))
logistic("int16", [3, 5], "INT16", in_q=(1 / 4096, 0), out_q=(1 / 32768, 0))

# float: TOSA's sigmoid is the same function; nothing else is emitted.
# F32-LABEL: func.func @main(
# F32-SAME: %[[X:.*]]: tensor<1x8xf32>) -> tensor<1x8xf32>
# F32-NOT: tinyprune.
# F32: %[[Y:.*]] = tosa.sigmoid %[[X]] : (tensor<1x8xf32>) -> tensor<1x8xf32>
# F32-NOT: tinyprune.
# F32: return %[[Y]]

# int8: tosa.sigmoid is float-only and a table cannot reproduce TFLite's
# gemmlowp rounding for every scale, so the op keeps its quantizations.
# The output is scale 1/256 (0.00390625), zero point -128: [0, 1) over the
# full int8 range, as TFLite requires.
# I8-LABEL: func.func @main(
# I8-SAME: %[[X:.*]]: tensor<1x2x4xi8> {tinyprune.quant = #tinyprune.quant<scale = 0.100000001, zero_point = 3>}
# I8-SAME: -> (tensor<1x2x4xi8> {tinyprune.quant = #tinyprune.quant<scale = 0.00390625, zero_point = -128>})
# I8-NOT: tosa.sigmoid
# I8: %[[Y:.*]] = tinyprune.logistic %[[X]] {input_quant = #tinyprune.quant<scale = 0.100000001, zero_point = 3>, output_quant = #tinyprune.quant<scale = 0.00390625, zero_point = -128>} : (tensor<1x2x4xi8>) -> tensor<1x2x4xi8>
# I8-NOT: tosa.sigmoid
# I8: return %[[Y]]

# int16 (16x8 quantization) is rejected with one line naming the operator.
# I16: int16.tflite: error: operator 0 (LOGISTIC): type INT16 is not supported (int8 and float32 are; 16x8 quantization is not)
