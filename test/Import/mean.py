# Imports MEAN: float becomes one tosa.reduce_sum per axis, a tosa.mul by
# 1/n and, without keep_dims, a tosa.reshape; int8 becomes tinyprune.mean
# with sorted, normalized, deduplicated axes (an int32 constant, the only
# axis type TFLite's MEAN kernel accepts).
#
# RUN: %python %s %t
# RUN: tinyprune-translate --import-tflite %t/float_hw.tflite | FileCheck %s --check-prefix=FHW
# RUN: tinyprune-translate --import-tflite %t/float_keep.tflite | FileCheck %s --check-prefix=FKEEP
# RUN: tinyprune-translate --import-tflite %t/int8_keep.tflite | FileCheck %s --check-prefix=QKEEP
# RUN: tinyprune-translate --import-tflite %t/int8_dup.tflite | FileCheck %s --check-prefix=QDUP

import os
import sys

from tflgen import Model


def mean(name, in_shape, axes, out_shape, keep_dims, dtype="INT8",
         in_q=(0.5, -3), out_q=(0.125, 4)):
    m = Model(description=name)
    if dtype == "INT8":
        x = m.tensor("input", in_shape, "INT8", scale=in_q[0],
                     zero_point=in_q[1])
        y = m.tensor("output", out_shape, "INT8", scale=out_q[0],
                     zero_point=out_q[1])
    else:
        x = m.tensor("input", in_shape, "FLOAT32")
        y = m.tensor("output", out_shape, "FLOAT32")
    a = m.const("axes", [len(axes)], "INT32", values=axes)
    m.op("MEAN", inputs=[x, a], outputs=[y], version=2,
         options=("ReducerOptions", {"keep_dims": keep_dims}))
    m.inputs([x])
    m.outputs([y])
    m.write(os.path.join(sys.argv[1], name + ".tflite"))


os.makedirs(sys.argv[1], exist_ok=True)
mean("float_hw", [1, 4, 4, 3], [1, 2], [1, 3], False, dtype="FLOAT32")
mean("float_keep", [2, 3, 5], [-1], [2, 3, 1], True, dtype="FLOAT32")
mean("int8_keep", [1, 3, 5, 4], [-2, 1], [1, 1, 1, 4], True)
mean("int8_dup", [2, 6, 3], [1, -2], [2, 3], False, in_q=(0.1, 0),
     out_q=(0.1, 0))

# Float MEAN is tinyprune.mean without quantization: TFLite sums each
# output's elements in input order and divides by the count, which a TOSA
# reduce_sum per axis and a multiplication by 1/n do not reproduce (e.g.
# 2.25 * 0.2f = 0.450000018, 2.25 / 5 = 0.449999988).
# FHW-LABEL: func.func @main(%{{.*}}: tensor<1x4x4x3xf32>) -> tensor<1x3xf32>
# FHW-NOT: tosa.
# FHW: %[[Y:.*]] = tinyprune.mean %arg0 {axes = array<i64: 1, 2>, keep_dims = false} : (tensor<1x4x4x3xf32>) -> tensor<1x3xf32>
# FHW: return %[[Y]]

# keep_dims with axis -1 (= 2).
# FKEEP-LABEL: func.func @main(
# FKEEP-NOT: tosa.
# FKEEP: %[[M:.*]] = tinyprune.mean %arg0 {axes = array<i64: 2>, keep_dims = true} : (tensor<2x3x5xf32>) -> tensor<2x3x1xf32>
# FKEEP: return %[[M]]

# int8 MEAN requantizes the zero-point-corrected sum with
# input_scale / (output_scale * n), which TOSA cannot express bit for bit:
# a tinyprune.mean carrying both quantizations. Axes [-2, 1] on rank 4 are
# normalized to [2, 1] and sorted to [1, 2].
# QKEEP-LABEL: func.func @main(
# QKEEP-SAME: %[[X:.*]]: tensor<1x3x5x4xi8>
# QKEEP-NOT: tosa.
# QKEEP: %[[Y:.*]] = tinyprune.mean %[[X]] {axes = array<i64: 1, 2>, input_quant = #tinyprune.quant<scale = 0.5, zero_point = -3>, keep_dims = true, output_quant = #tinyprune.quant<scale = 0.125, zero_point = 4>} : (tensor<1x3x5x4xi8>) -> tensor<1x1x1x4xi8>
# QKEEP-NOT: tosa.
# QKEEP: return %[[Y]]

# Axes [1, -2] on rank 3 name dimension 1 twice; TFLite reduces it once, so
# the op gets [1]. keep_dims false drops it: [2, 6, 3] -> [2, 3].
# QDUP-LABEL: func.func @main(
# QDUP: %[[Y:.*]] = tinyprune.mean %arg0 {axes = array<i64: 1>, {{.*}}keep_dims = false, {{.*}} : (tensor<2x6x3xi8>) -> tensor<2x3xi8>
# QDUP: return %[[Y]]
