# Folds shape arithmetic on static shapes at import: SHAPE, and PACK,
# STRIDED_SLICE, GATHER and CONCATENATION of int32/int64 values known at
# import become constants, so the RESHAPE that consumes them (Keras's
# Flatten in some versions) reads a constant shape. No folded op is left.
#
# RUN: %python %s %t
# RUN: tinyprune-translate --import-tflite %t/flatten_pack.tflite | FileCheck %s --check-prefix=PACK
# RUN: tinyprune-translate --import-tflite %t/flatten_gather.tflite | FileCheck %s --check-prefix=GATHER
# RUN: tinyprune-translate --import-tflite %t/shape_out.tflite | FileCheck %s --check-prefix=SHAPEOUT
# RUN: not tinyprune-translate --import-tflite %t/bad_index.tflite 2>&1 | FileCheck %s --check-prefix=BADINDEX
# RUN: not tinyprune-translate --import-tflite %t/bad_count.tflite 2>&1 | FileCheck %s --check-prefix=BADCOUNT
#
# End to end: both folded models compute what the model with a constant
# RESHAPE computes, in `run` and in the generated C++.
# RUN: tinyprune run %t/flatten_const.tflite --input %t/x.in --output %t/flatten_pack.expected
# RUN: cp %t/flatten_pack.expected %t/flatten_gather.expected
# RUN: cp %t/x.in %t/flatten_pack.in
# RUN: cp %t/x.in %t/flatten_gather.in
# RUN: tinyprune run %t/flatten_pack.tflite --input %t/x.in --output %t/pack.out
# RUN: cmp %t/pack.out %t/flatten_pack.expected
# RUN: tinyprune run %t/flatten_gather.tflite --input %t/x.in --output %t/gather.out
# RUN: cmp %t/gather.out %t/flatten_gather.expected
# RUN: %python %S/../Target/Inputs/compile_and_compare.py %t flatten_pack flatten_gather | FileCheck %s --check-prefix=CPP
# CPP: flatten_pack: same
# CPP: flatten_gather: same

import os
import sys

from tflgen import Model

out = sys.argv[1]
os.makedirs(out, exist_ok=True)


def flatten_model(kind):
    """int8 [1, 4, 4, 2] -> flatten -> FULLY_CONNECTED [1, 3]."""
    m = Model(description=kind)
    x = m.tensor("x", [1, 4, 4, 2], "INT8", scale=0.1, zero_point=-5)
    if kind == "const":
        shape = m.const("shape", [2], "INT32", values=[1, -1])
    elif kind == "pack":
        # SHAPE -> STRIDED_SLICE (shrink) -> PACK [batch, -1].
        s = m.tensor("shape_of_x", [4], "INT32")
        m.op("SHAPE", [x], [s], options=("ShapeOptions", {"out_type": "INT32"}))
        begin = m.const("begin", [1], "INT32", values=[0])
        end = m.const("end", [1], "INT32", values=[1])
        stride = m.const("stride", [1], "INT32", values=[1])
        batch = m.tensor("batch", [], "INT32")
        m.op("STRIDED_SLICE", [s, begin, end, stride], [batch],
             options=("StridedSliceOptions", {"shrink_axis_mask": 1}))
        minus1 = m.const("minus1", [], "INT32", values=[-1])
        shape = m.tensor("shape", [2], "INT32")
        m.op("PACK", [batch, minus1], [shape],
             options=("PackOptions", {"values_count": 2, "axis": 0}))
    else:
        # SHAPE (int64) -> GATHER [0] -> CONCATENATION with [-1].
        s = m.tensor("shape_of_x", [4], "INT64")
        m.op("SHAPE", [x], [s], options=("ShapeOptions", {"out_type": "INT64"}))
        idx = m.const("idx", [1], "INT32", values=[0])
        batch = m.tensor("batch", [1], "INT64")
        m.op("GATHER", [s, idx], [batch], options=("GatherOptions", {}))
        minus1 = m.const("minus1", [1], "INT64", values=[-1])
        shape = m.tensor("shape", [2], "INT64")
        m.op("CONCATENATION", [batch, minus1], [shape],
             options=("ConcatenationOptions", {"axis": 0}))
    flat = m.tensor("flat", [1, 32], "INT8", scale=0.1, zero_point=-5)
    m.op("RESHAPE", [x, shape], [flat])
    w = m.const("w", [3, 32], "INT8", values=[(k * 29) % 255 - 127
                                              for k in range(96)],
                scale=0.01, zero_point=0)
    y = m.tensor("y", [1, 3], "INT8", scale=0.2, zero_point=4)
    m.op("FULLY_CONNECTED", [flat, w, None], [y])
    m.inputs([x])
    m.outputs([y])
    m.write(os.path.join(out, f"flatten_{kind}.tflite"))


for kind in ("const", "pack", "gather"):
    flatten_model(kind)
with open(os.path.join(out, "x.in"), "wb") as f:
    f.write(bytes((k * 53 + 11) % 256 for k in range(32)))
# No op computes the shape values: no [4] shape, [2] target or scalar.
# PACK-LABEL: func.func @main(
# PACK-NOT: tensor<4xi32>
# PACK-NOT: tensor<2xi32>
# PACK-NOT: tensor<i32>
# PACK: tosa.reshape %{{.*}} : (tensor<1x4x4x2xi8>, !tosa.shape<2>) -> tensor<1x32xi8>
# GATHER-LABEL: func.func @main(
# GATHER-NOT: i64
# GATHER: tosa.reshape %{{.*}} : (tensor<1x4x4x2xi8>, !tosa.shape<2>) -> tensor<1x32xi8>

# A folded value that is the model output becomes a constant result.
m = Model()
x = m.tensor("x", [2, 3, 5], "FLOAT32")
s = m.tensor("s", [3], "INT32")
m.op("SHAPE", [x], [s])
begin = m.const("begin", [1], "INT32", values=[-1])
end = m.const("end", [1], "INT32", values=[0])
stride = m.const("stride", [1], "INT32", values=[-1])
rev = m.tensor("rev", [3], "INT32")
m.op("STRIDED_SLICE", [s, begin, end, stride], [rev],
     options=("StridedSliceOptions", {"end_mask": 1}))
m.inputs([x])
m.outputs([rev])
m.write(os.path.join(out, "shape_out.tflite"))
# SHAPEOUT: %[[C:.*]] = "tosa.const"() <{values = dense<[5, 3, 2]> : tensor<3xi32>}>
# SHAPEOUT: return %[[C]]

# Errors name the operator.
m = Model()
x = m.tensor("x", [2, 3], "FLOAT32")
s = m.tensor("s", [2], "INT32")
m.op("SHAPE", [x], [s])
idx = m.const("idx", [1], "INT32", values=[2])
g = m.tensor("g", [1], "INT32")
m.op("GATHER", [s, idx], [g], options=("GatherOptions", {}))
m.inputs([x])
m.outputs([g])
m.write(os.path.join(out, "bad_index.tflite"))
# BADINDEX: error: operator 1 (GATHER): index 2 is out of range for 2 values

m = Model()
x = m.tensor("x", [2, 3], "FLOAT32")
s = m.tensor("s", [3], "INT32")
m.op("SHAPE", [x], [s])
m.inputs([x])
m.outputs([s])
m.write(os.path.join(out, "bad_count.tflite"))
# BADCOUNT: error: operator 0 (SHAPE): computes 2 values, but its output 's' [3] holds 3
