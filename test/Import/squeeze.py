# Imports SQUEEZE: explicit squeeze_dims on int8 (quantization kept), no
# squeeze_dims (every size-1 dimension goes) and a negative squeeze_dims.
# SQUEEZE is a RESHAPE to the output tensor's declared shape.
#
# RUN: %python %s %t
# RUN: tinyprune-translate --import-tflite %t/dims_int8.tflite | FileCheck %s --check-prefix=I8
# RUN: tinyprune-translate --import-tflite %t/all_ones_float.tflite | FileCheck %s --check-prefix=ALL
# RUN: tinyprune-translate --import-tflite %t/negative_dim.tflite | FileCheck %s --check-prefix=NEG

import os
import sys

from tflgen import Model


def squeeze(name, in_shape, out_shape, dims=None, dtype="FLOAT32",
            quant=None):
    m = Model(description=name)
    q = {} if quant is None else {"scale": quant[0], "zero_point": quant[1]}
    x = m.tensor("input", in_shape, dtype, **q)
    y = m.tensor("output", out_shape, dtype, **q)
    opts = None if dims is None else ("SqueezeOptions", {"squeeze_dims": dims})
    m.op("SQUEEZE", inputs=[x], outputs=[y], options=opts)
    m.inputs([x])
    m.outputs([y])
    m.write(os.path.join(sys.argv[1], name + ".tflite"))


os.makedirs(sys.argv[1], exist_ok=True)
# The classifier head of a CNN: [1, 1, 1, 10] logits -> [1, 10].
squeeze("dims_int8", [1, 1, 1, 10], [1, 10], dims=[1, 2], dtype="INT8",
        quant=(0.0625, 12))
squeeze("all_ones_float", [1, 3, 1, 2], [3, 2])
squeeze("negative_dim", [2, 3, 1], [2, 3], dims=[-1])

# int8: a single tosa.reshape to [1, 10]; the batch dimension stays because
# squeeze_dims names only 1 and 2. No value changes, so the input's
# quantization is kept on the result.
# I8-LABEL: func.func @main(
# I8-SAME: %[[X:[^:]*]]: tensor<1x1x1x10xi8> {tinyprune.quant = #tinyprune.quant<scale = 0.0625, zero_point = 12>}
# I8-SAME: -> (tensor<1x10xi8> {tinyprune.quant = #tinyprune.quant<scale = 0.0625, zero_point = 12>})
# I8-NOT: "tosa.const"
# I8: %[[SH:.*]] = tosa.const_shape {values = dense<[1, 10]> : tensor<2xindex>}
# I8-NEXT: %[[Y:.*]] = tosa.reshape %[[X]], %[[SH]] {tinyprune.quant = #tinyprune.quant<scale = 0.0625, zero_point = 12>} : (tensor<1x1x1x10xi8>, !tosa.shape<2>) -> tensor<1x10xi8>
# I8-NEXT: return %[[Y]]

# No squeeze_dims: every size-1 dimension is removed, [1, 3, 1, 2] -> [3, 2].
# ALL-LABEL: func.func @main(%{{.*}}: tensor<1x3x1x2xf32>) -> tensor<3x2xf32>
# ALL-NEXT: %[[SH:.*]] = tosa.const_shape {values = dense<[3, 2]> : tensor<2xindex>}
# ALL-NEXT: %[[Y:.*]] = tosa.reshape %arg0, %[[SH]] : (tensor<1x3x1x2xf32>, !tosa.shape<2>) -> tensor<3x2xf32>
# ALL-NEXT: return %[[Y]]

# squeeze_dims -1 counts from the back: the trailing 1 goes.
# NEG-LABEL: func.func @main(%{{.*}}: tensor<2x3x1xf32>) -> tensor<2x3xf32>
# NEG-NEXT: %[[SH:.*]] = tosa.const_shape {values = dense<[2, 3]> : tensor<2xindex>}
# NEG-NEXT: %[[Y:.*]] = tosa.reshape %arg0, %[[SH]] : (tensor<2x3x1xf32>, !tosa.shape<2>) -> tensor<2x3xf32>
# NEG-NEXT: return %[[Y]]
