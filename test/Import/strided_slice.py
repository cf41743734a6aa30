# Imports STRIDED_SLICE: stride 1 on int8 (one tosa.slice), begin/end masks,
# shrink_axis_mask with negative begin indices, and strides 2 and 3 (slice,
# pad to a multiple of the stride, split, keep index 0, merge back).
#
# RUN: %python %s %t
# RUN: tinyprune-translate --import-tflite %t/stride1_int8.tflite | FileCheck %s --check-prefix=S1
# RUN: tinyprune-translate --import-tflite %t/masks.tflite | FileCheck %s --check-prefix=MASK
# RUN: tinyprune-translate --import-tflite %t/shrink_negative.tflite | FileCheck %s --check-prefix=SHRINK
# RUN: tinyprune-translate --import-tflite %t/stride2_int8.tflite | FileCheck %s --check-prefix=S2
# RUN: tinyprune-translate --import-tflite %t/stride2_two_dims.tflite | FileCheck %s --check-prefix=S32
# RUN: tinyprune-translate --import-tflite %t/shrink_begin_mask.tflite | FileCheck %s --check-prefix=SHRINKMASK

import os
import sys

from tflgen import Model


def strided_slice(name, in_shape, begin, end, strides, out_shape,
                  dtype="FLOAT32", quant=None, **opts):
    m = Model(description=name)
    q = {} if quant is None else {"scale": quant[0], "zero_point": quant[1]}
    x = m.tensor("input", in_shape, dtype, **q)
    n = len(in_shape)
    b = m.const("begin", [n], "INT32", values=begin)
    e = m.const("end", [n], "INT32", values=end)
    s = m.const("strides", [n], "INT32", values=strides)
    y = m.tensor("output", out_shape, dtype, **q)
    m.op("STRIDED_SLICE", inputs=[x, b, e, s], outputs=[y],
         options=("StridedSliceOptions", opts))
    m.inputs([x])
    m.outputs([y])
    m.write(os.path.join(sys.argv[1], name + ".tflite"))


os.makedirs(sys.argv[1], exist_ok=True)
strided_slice("stride1_int8", [1, 6, 6, 4], [0, 1, 2, 0], [1, 5, 6, 4],
              [1, 1, 1, 1], [1, 4, 4, 4], "INT8", quant=(0.25, -4))
strided_slice("masks", [4, 5, 6], [1, 2, 3], [3, 0, 0], [1, 1, 1],
              [2, 5, 3], begin_mask=0b010, end_mask=0b110)
strided_slice("shrink_negative", [2, 3, 4], [-1, 0, -3], [0, 3, -1],
              [1, 1, 1], [3, 2], shrink_axis_mask=0b001)
strided_slice("stride2_int8", [1, 7, 3], [0, 1, 0], [1, 7, 3], [1, 2, 1],
              [1, 3, 3], "INT8", quant=(0.5, 10))
strided_slice("stride2_two_dims", [8, 9], [1, 0], [8, 9], [3, 2], [3, 5])
strided_slice("shrink_begin_mask", [4, 3], [2, 0], [3, 3], [1, 1], [3],
              begin_mask=0b01, shrink_axis_mask=0b01)

# begin_mask applies before shrink_axis_mask: TFLite takes row 0, not the
# begin value 2 (regression: the raw begin used to win).
# SHRINKMASK-DAG: %[[SIZE:.*]] = tosa.const_shape {values = dense<[1, 3]> : tensor<2xindex>}
# SHRINKMASK-DAG: %[[START:.*]] = tosa.const_shape {values = dense<0> : tensor<2xindex>}
# SHRINKMASK: tosa.slice %arg0, %[[START]], %[[SIZE]]

# Stride 1: one tosa.slice from begin [0, 1, 2, 0] of size end - begin, then
# the reshape to the output tensor that carries its name and quantization.
# S1-LABEL: func.func @main(
# S1-SAME: %[[X:[^:]*]]: tensor<1x6x6x4xi8> {tinyprune.quant = #tinyprune.quant<scale = 0.25, zero_point = -4>}
# S1-DAG: %[[SIZE:.*]] = tosa.const_shape {values = dense<[1, 4, 4, 4]> : tensor<4xindex>}
# S1-DAG: %[[START:.*]] = tosa.const_shape {values = dense<[0, 1, 2, 0]> : tensor<4xindex>}
# S1: %[[SL:.*]] = tosa.slice %[[X]], %[[START]], %[[SIZE]] : {{.*}} -> tensor<1x4x4x4xi8>
# S1-NOT: tosa.pad
# S1: %[[Y:.*]] = tosa.reshape %[[SL]], %{{.*}} {tinyprune.quant = #tinyprune.quant<scale = 0.25, zero_point = -4>} : {{.*}} -> tensor<1x4x4x4xi8>
# S1-NEXT: return %[[Y]]

# begin_mask bit 1 starts dimension 1 at 0 (begin 2 ignored); end_mask bits
# 1 and 2 run dimensions 1 and 2 to the end (end 0 ignored):
# [1:3, 0:5, 3:6] -> start [1, 0, 3], size [2, 5, 3].
# MASK-LABEL: func.func @main(%{{.*}}: tensor<4x5x6xf32>) -> tensor<2x5x3xf32>
# MASK-DAG: %[[SIZE:.*]] = tosa.const_shape {values = dense<[2, 5, 3]> : tensor<3xindex>}
# MASK-DAG: %[[START:.*]] = tosa.const_shape {values = dense<[1, 0, 3]> : tensor<3xindex>}
# MASK: tosa.slice %arg0, %[[START]], %[[SIZE]] : {{.*}} -> tensor<2x5x3xf32>

# shrink_axis_mask bit 0 takes the single index begin[0] = -1 -> 1 and drops
# the dimension; dimension 2 runs from -3 -> 1 to -1 -> 3. The slice keeps
# rank 3 ([1, 3, 2]), the final reshape removes the shrunk dimension.
# SHRINK-LABEL: func.func @main(%{{.*}}: tensor<2x3x4xf32>) -> tensor<3x2xf32>
# SHRINK-DAG: %[[SIZE:.*]] = tosa.const_shape {values = dense<[1, 3, 2]> : tensor<3xindex>}
# SHRINK-DAG: %[[START:.*]] = tosa.const_shape {values = dense<[1, 0, 1]> : tensor<3xindex>}
# SHRINK: %[[SL:.*]] = tosa.slice %arg0, %[[START]], %[[SIZE]] : {{.*}} -> tensor<1x3x2xf32>
# SHRINK: %[[SH:.*]] = tosa.const_shape {values = dense<[3, 2]> : tensor<2xindex>}
# SHRINK-NEXT: %[[Y:.*]] = tosa.reshape %[[SL]], %[[SH]] : {{.*}} -> tensor<3x2xf32>
# SHRINK-NEXT: return %[[Y]]

# Stride 2 on dimension 1, rows 1..6: count = ceil(6 / 2) = 3 (rows 1, 3, 5).
# The slice covers (3 - 1) * 2 + 1 = 5 rows, a pad of 1 makes 6 = 3 * 2,
# [1, 6, 3] is split into [1, 3, 2, 3], index 0 of the stride part is kept
# and merged back to [1, 3, 3]. The pad value is never read.
# S2-LABEL: func.func @main(
# S2-DAG: %[[SIZE:.*]] = tosa.const_shape {values = dense<[1, 5, 3]> : tensor<3xindex>}
# S2-DAG: %[[START:.*]] = tosa.const_shape {values = dense<[0, 1, 0]> : tensor<3xindex>}
# S2: %[[SL:.*]] = tosa.slice %arg0, %[[START]], %[[SIZE]] : {{.*}} -> tensor<1x5x3xi8>
# S2-DAG: %[[PV:.*]] = "tosa.const"() <{values = dense<0> : tensor<1xi8>}>
# S2-DAG: %[[PADS:.*]] = tosa.const_shape {values = dense<[0, 0, 0, 1, 0, 0]> : tensor<6xindex>}
# S2: %[[P:.*]] = tosa.pad %[[SL]], %[[PADS]], %[[PV]] : {{.*}} -> tensor<1x6x3xi8>
# S2: %[[SPLIT:.*]] = tosa.const_shape {values = dense<[1, 3, 2, 3]> : tensor<4xindex>}
# S2-NEXT: %[[R:.*]] = tosa.reshape %[[P]], %[[SPLIT]] : {{.*}} -> tensor<1x3x2x3xi8>
# S2-DAG: %[[KSIZE:.*]] = tosa.const_shape {values = dense<[1, 3, 1, 3]> : tensor<4xindex>}
# S2-DAG: %[[ZERO:.*]] = tosa.const_shape {values = dense<0> : tensor<4xindex>}
# S2: %[[K:.*]] = tosa.slice %[[R]], %[[ZERO]], %[[KSIZE]] : {{.*}} -> tensor<1x3x1x3xi8>
# S2: %[[M:.*]] = tosa.reshape %[[K]], %{{.*}} : {{.*}} -> tensor<1x3x3xi8>
# S2: %[[Y:.*]] = tosa.reshape %[[M]], %{{.*}} {tinyprune.quant = #tinyprune.quant<scale = 0.5, zero_point = 10>} : {{.*}} -> tensor<1x3x3xi8>
# S2-NEXT: return %[[Y]]

# Strides [3, 2] on [8, 9] from [1, 0]: rows 1, 4, 7 and columns 0, 2, .., 8.
# The slice is [7, 9]; each strided dimension is then handled in turn:
# rows padded by 2 to 9 = 3 * 3, columns padded by 1 to 10 = 5 * 2.
# S32-LABEL: func.func @main(%{{.*}}: tensor<8x9xf32>) -> tensor<3x5xf32>
# S32: tosa.slice %arg0, {{.*}} -> tensor<7x9xf32>
# S32: tosa.const_shape {values = dense<[0, 2, 0, 0]> : tensor<4xindex>}
# S32-NEXT: tosa.pad {{.*}} -> tensor<9x9xf32>
# S32: tosa.reshape {{.*}} -> tensor<3x3x9xf32>
# S32: tosa.slice {{.*}} -> tensor<3x1x9xf32>
# S32: tosa.reshape {{.*}} -> tensor<3x9xf32>
# S32: tosa.const_shape {values = dense<[0, 0, 0, 1]> : tensor<4xindex>}
# S32-NEXT: tosa.pad {{.*}} -> tensor<3x10xf32>
# S32: tosa.reshape {{.*}} -> tensor<3x5x2xf32>
# S32: tosa.slice {{.*}} -> tensor<3x5x1xf32>
# S32: tosa.reshape {{.*}} -> tensor<3x5xf32>
