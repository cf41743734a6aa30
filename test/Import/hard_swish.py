# Imports HARD_SWISH (x * relu6(x + 3) / 6) as tinyprune.hard_swish: on
# int8 TFLite's integer algorithm has no exact TOSA composition, and on
# float TFLite divides by 6, which TOSA (no float division) cannot.
#
# RUN: %python %s %t
# RUN: tinyprune-translate --import-tflite %t/float.tflite | FileCheck %s --check-prefix=F32
# RUN: tinyprune-translate --import-tflite %t/int8.tflite | FileCheck %s --check-prefix=I8

import os
import sys

from tflgen import Model


def hard_swish(name, shape, dtype, in_q=None, out_q=None):
    m = Model(description=name)
    in_q = dict(scale=in_q[0], zero_point=in_q[1]) if in_q else {}
    out_q = dict(scale=out_q[0], zero_point=out_q[1]) if out_q else {}
    x = m.tensor("input", shape, dtype, **in_q)
    y = m.tensor("output", shape, dtype, **out_q)
    m.op("HARD_SWISH", inputs=[x], outputs=[y])
    m.inputs([x])
    m.outputs([y])
    m.write(os.path.join(sys.argv[1], name + ".tflite"))


os.makedirs(sys.argv[1], exist_ok=True)
hard_swish("float", [1, 2, 4], "FLOAT32")
hard_swish("int8", [1, 2, 2, 3], "INT8", in_q=(0.1, -5), out_q=(0.03, -20))

# float: one op without quantization; no TOSA arithmetic is emitted.
# F32-LABEL: func.func @main(
# F32-SAME: %[[X:.*]]: tensor<1x2x4xf32>) -> tensor<1x2x4xf32>
# F32-NOT: tosa.
# F32: %[[Y:.*]] = tinyprune.hard_swish %[[X]] : (tensor<1x2x4xf32>) -> tensor<1x2x4xf32>
# F32-NOT: tosa.
# F32: return %[[Y]]

# int8: one op carrying both quantizations; no TOSA arithmetic is emitted.
# I8-LABEL: func.func @main(
# I8-SAME: %[[X:.*]]: tensor<1x2x2x3xi8> {tinyprune.quant = #tinyprune.quant<scale = 0.100000001, zero_point = -5>}
# I8-SAME: -> (tensor<1x2x2x3xi8> {tinyprune.quant = #tinyprune.quant<scale = 0.0299999993, zero_point = -20>})
# I8-NOT: tosa.
# I8: %[[Y:.*]] = tinyprune.hard_swish %[[X]] {input_quant = #tinyprune.quant<scale = 0.100000001, zero_point = -5>, output_quant = #tinyprune.quant<scale = 0.0299999993, zero_point = -20>} : (tensor<1x2x2x3xi8>) -> tensor<1x2x2x3xi8>
# I8-NOT: tosa.
# I8: return %[[Y]]
