# Imports RESHAPE: with a constant shape input (int8, quantization kept),
# with a -1 in the shape input, with only the new_shape option (float32),
# and a reshape to the same shape.
#
# RUN: %python %s %t
# RUN: tinyprune-translate --import-tflite %t/shape_input_int8.tflite | FileCheck %s --check-prefix=I8
# RUN: tinyprune-translate --import-tflite %t/shape_input_infer.tflite | FileCheck %s --check-prefix=INFER
# RUN: tinyprune-translate --import-tflite %t/new_shape_float.tflite | FileCheck %s --check-prefix=OPT
# RUN: tinyprune-translate --import-tflite %t/same_shape.tflite | FileCheck %s --check-prefix=SAME

import os
import sys

from tflgen import Model


def reshape(name, in_shape, out_shape, dtype="FLOAT32", shape_input=None,
            new_shape=None, quant=None):
    m = Model(description=name)
    q = {} if quant is None else {"scale": quant[0], "zero_point": quant[1]}
    x = m.tensor("input", in_shape, dtype, **q)
    inputs = [x]
    if shape_input is not None:
        inputs.append(m.const("shape", [len(shape_input)], "INT32",
                              values=shape_input))
    y = m.tensor("output", out_shape, dtype, **q)
    opts = None
    if new_shape is not None:
        opts = ("ReshapeOptions", {"new_shape": new_shape})
    m.op("RESHAPE", inputs=inputs, outputs=[y], options=opts)
    m.inputs([x])
    m.outputs([y])
    m.write(os.path.join(sys.argv[1], name + ".tflite"))


os.makedirs(sys.argv[1], exist_ok=True)
reshape("shape_input_int8", [1, 2, 3, 4], [1, 24], "INT8",
        shape_input=[1, 24], quant=(0.125, -7))
reshape("shape_input_infer", [1, 4, 4, 2], [4, 8], shape_input=[-1, 8])
reshape("new_shape_float", [2, 6], [3, 4], new_shape=[3, 4])
reshape("same_shape", [2, 3], [2, 3], shape_input=[2, 3])

# int8: one tosa.reshape to the output's declared shape, given as a
# tosa.const_shape. The int32 shape tensor is only metadata: it becomes no
# constant. Reshaping moves no values, so the result carries the same
# quantization as the input.
# I8-LABEL: func.func @main(
# I8-SAME: %[[X:[^:]*]]: tensor<1x2x3x4xi8> {tinyprune.quant = #tinyprune.quant<scale = 0.125, zero_point = -7>}
# I8-SAME: -> (tensor<1x24xi8> {tinyprune.quant = #tinyprune.quant<scale = 0.125, zero_point = -7>})
# I8-NOT: "tosa.const"
# I8: %[[SH:.*]] = tosa.const_shape {values = dense<[1, 24]> : tensor<2xindex>}
# I8-NEXT: %[[Y:.*]] = tosa.reshape %[[X]], %[[SH]] {tinyprune.quant = #tinyprune.quant<scale = 0.125, zero_point = -7>} : (tensor<1x2x3x4xi8>, !tosa.shape<2>) -> tensor<1x24xi8>
# I8-NEXT: return %[[Y]]

# A -1 in the shape input is resolved by the output's declared shape [4, 8].
# INFER-LABEL: func.func @main(%{{.*}}: tensor<1x4x4x2xf32>) -> tensor<4x8xf32>
# INFER-NEXT: %[[SH:.*]] = tosa.const_shape {values = dense<[4, 8]> : tensor<2xindex>}
# INFER-NEXT: %[[Y:.*]] = tosa.reshape %arg0, %[[SH]] : (tensor<1x4x4x2xf32>, !tosa.shape<2>) -> tensor<4x8xf32>
# INFER-NEXT: return %[[Y]]

# Old converters give the target shape only in ReshapeOptions.new_shape;
# the lowering is the same.
# OPT-LABEL: func.func @main(%{{.*}}: tensor<2x6xf32>) -> tensor<3x4xf32>
# OPT-NEXT: %[[SH:.*]] = tosa.const_shape {values = dense<[3, 4]> : tensor<2xindex>}
# OPT-NEXT: %[[Y:.*]] = tosa.reshape %arg0, %[[SH]] : (tensor<2x6xf32>, !tosa.shape<2>) -> tensor<3x4xf32>
# OPT-NEXT: return %[[Y]]

# A reshape to the same shape is kept, so that the output tensor keeps its
# own name and location.
# SAME-LABEL: func.func @main(%{{.*}}: tensor<2x3xf32>) -> tensor<2x3xf32>
# SAME-NEXT: %[[SH:.*]] = tosa.const_shape {values = dense<[2, 3]> : tensor<2xindex>}
# SAME-NEXT: %[[Y:.*]] = tosa.reshape %arg0, %[[SH]] : (tensor<2x3xf32>, !tosa.shape<2>) -> tensor<2x3xf32>
# SAME-NEXT: return %[[Y]]
