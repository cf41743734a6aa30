# Imports PAD as tosa.pad: the paddings tensor (int32 or int64, shape
# [rank, 2]) becomes a constant shape, and the pad value is the output zero
# point on int8 and 0.0 on float.
#
# RUN: %python %s %t
# RUN: tinyprune-translate --import-tflite %t/int8.tflite | FileCheck %s --check-prefix=INT8
# RUN: tinyprune-translate --import-tflite %t/float.tflite | FileCheck %s --check-prefix=FLT
# RUN: tinyprune-translate --import-tflite %t/int64_paddings.tflite | FileCheck %s --check-prefix=I64

import os
import sys

from tflgen import Model


def pad(name, in_shape, paddings, dtype="INT8", pad_type="INT32", q=(0.5, -7)):
    m = Model(description=name)
    out_shape = [d + lo + hi for d, (lo, hi) in zip(in_shape, paddings)]
    quant = {"scale": q[0], "zero_point": q[1]} if dtype == "INT8" else {}
    x = m.tensor("input", in_shape, dtype, **quant)
    p = m.const("paddings", [len(in_shape), 2], pad_type,
                values=[v for pair in paddings for v in pair])
    y = m.tensor("output", out_shape, dtype, **quant)
    m.op("PAD", inputs=[x, p], outputs=[y], version=2)
    m.inputs([x])
    m.outputs([y])
    m.write(os.path.join(sys.argv[1], name + ".tflite"))


os.makedirs(sys.argv[1], exist_ok=True)
pad("int8", [1, 3, 3, 2], [(0, 0), (1, 2), (2, 1), (0, 0)])
pad("float", [1, 2, 2, 3], [(0, 0), (1, 1), (0, 0), (0, 5)], dtype="FLOAT32")
pad("int64_paddings", [2, 3], [(1, 0), (0, 2)], pad_type="INT64", q=(0.25, 12))

# int8: the padding must read as real 0.0, which is the zero point (-7),
# not integer 0. TFLite pads with the output's zero point (equal to the
# input's, which TFLite requires). The [4, 2] paddings flatten row by row
# into TOSA's [before0, after0, before1, after1, ...].
# INT8-LABEL: func.func @main(
# INT8-SAME: %[[X:.*]]: tensor<1x3x3x2xi8>
# INT8-DAG: %[[C:.*]] = "tosa.const"() <{values = dense<-7> : tensor<1xi8>}>
# INT8-DAG: %[[P:.*]] = tosa.const_shape {values = dense<[0, 0, 1, 2, 2, 1, 0, 0]> : tensor<8xindex>}
# INT8: %[[Y:.*]] = tosa.pad %[[X]], %[[P]], %[[C]] {tinyprune.quant = #tinyprune.quant<scale = 0.5, zero_point = -7>} : (tensor<1x3x3x2xi8>, !tosa.shape<8>, tensor<1xi8>) -> tensor<1x6x6x2xi8>
# INT8: return %[[Y]]

# float pads with 0.0; the pad value carries no quantization. Channels can
# be padded too (here 5 after).
# FLT-LABEL: func.func @main(%{{.*}}: tensor<1x2x2x3xf32>) -> tensor<1x4x2x8xf32>
# FLT-DAG: %[[C:.*]] = "tosa.const"() <{values = dense<0.000000e+00> : tensor<1xf32>}>
# FLT-DAG: %[[P:.*]] = tosa.const_shape {values = dense<[0, 0, 1, 1, 0, 0, 0, 5]> : tensor<8xindex>}
# FLT: %[[Y:.*]] = tosa.pad %arg0, %[[P]], %[[C]] : (tensor<1x2x2x3xf32>, !tosa.shape<8>, tensor<1xf32>) -> tensor<1x4x2x8xf32>
# FLT-NOT: tinyprune.quant
# FLT: return %[[Y]]

# int64 paddings read the same as int32 ones; rank 2, zero point 12.
# I64-LABEL: func.func @main(
# I64-DAG: %[[C:.*]] = "tosa.const"() <{values = dense<12> : tensor<1xi8>}>
# I64-DAG: %[[P:.*]] = tosa.const_shape {values = dense<[1, 0, 0, 2]> : tensor<4xindex>}
# I64: tosa.pad %arg0, %[[P]], %[[C]] {{.*}} : (tensor<2x3xi8>, !tosa.shape<4>, tensor<1xi8>) -> tensor<3x5xi8>
