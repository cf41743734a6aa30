# Bad input: truncated, corrupted and hostile files, and valid files the
# importer does not support. Each must end with exit code 1 and exactly one
# line "<file>: error: <what>", naming the operator where one is at fault.
#
# RUN: %python %s %t
# RUN: not tinyprune-translate --import-tflite %t/empty.tflite 2>&1 | FileCheck %s --check-prefix=EMPTY --implicit-check-not={{.}}
# RUN: not tinyprune-translate --import-tflite %t/not_tflite.tflite 2>&1 | FileCheck %s --check-prefix=IDENT --implicit-check-not={{.}}
# RUN: not tinyprune-translate --import-tflite %t/truncated.tflite 2>&1 | FileCheck %s --check-prefix=TRUNC --implicit-check-not={{.}}
# RUN: not tinyprune-translate --import-tflite %t/bad_root.tflite 2>&1 | FileCheck %s --check-prefix=ROOT --implicit-check-not={{.}}
# RUN: not tinyprune-translate --import-tflite %t/bad_vector.tflite 2>&1 | FileCheck %s --check-prefix=VECTOR --implicit-check-not={{.}}
# RUN: not tinyprune-translate --import-tflite %t/no_subgraphs.tflite 2>&1 | FileCheck %s --check-prefix=NOSG --implicit-check-not={{.}}
# RUN: not tinyprune-translate --import-tflite %t/schema_v2.tflite 2>&1 | FileCheck %s --check-prefix=SCHEMA --implicit-check-not={{.}}
# RUN: not tinyprune-translate --import-tflite %t/buffer_oob.tflite 2>&1 | FileCheck %s --check-prefix=BUFOOB --implicit-check-not={{.}}
# RUN: not tinyprune-translate --import-tflite %t/negative_dim.tflite 2>&1 | FileCheck %s --check-prefix=NEGDIM --implicit-check-not={{.}}
# RUN: not tinyprune-translate --import-tflite %t/absurd_shape.tflite 2>&1 | FileCheck %s --check-prefix=ABSURD --implicit-check-not={{.}}
# RUN: not tinyprune-translate --import-tflite %t/size_mismatch.tflite 2>&1 | FileCheck %s --check-prefix=SIZE --implicit-check-not={{.}}
# RUN: not tinyprune-translate --import-tflite %t/tensor_oob.tflite 2>&1 | FileCheck %s --check-prefix=TENSOROOB --implicit-check-not={{.}}
# RUN: not tinyprune-translate --import-tflite %t/opcode_oob.tflite 2>&1 | FileCheck %s --check-prefix=OPCODE --implicit-check-not={{.}}
# RUN: not tinyprune-translate --import-tflite %t/unknown_op.tflite 2>&1 | FileCheck %s --check-prefix=UNKNOWN --implicit-check-not={{.}}
# RUN: not tinyprune-translate --import-tflite %t/unsupported_op.tflite 2>&1 | FileCheck %s --check-prefix=UNSUP --implicit-check-not={{.}}
# RUN: not tinyprune-translate --import-tflite %t/custom_op.tflite 2>&1 | FileCheck %s --check-prefix=CUSTOM --implicit-check-not={{.}}
# RUN: not tinyprune-translate --import-tflite %t/bad_version.tflite 2>&1 | FileCheck %s --check-prefix=VERSION --implicit-check-not={{.}}
# RUN: not tinyprune-translate --import-tflite %t/float64.tflite 2>&1 | FileCheck %s --check-prefix=FLOAT64 --implicit-check-not={{.}}
# RUN: not tinyprune-translate --import-tflite %t/bad_out_shape.tflite 2>&1 | FileCheck %s --check-prefix=OUTSHAPE --implicit-check-not={{.}}
# RUN: not tinyprune-translate --import-tflite %t/read_before_write.tflite 2>&1 | FileCheck %s --check-prefix=RBW --implicit-check-not={{.}}
# RUN: not tinyprune-translate --import-tflite %t/int8_tanh_fused.tflite 2>&1 | FileCheck %s --check-prefix=FUSED --implicit-check-not={{.}}
# RUN: not tinyprune-translate --import-tflite %t/int8_fused_no_quant.tflite 2>&1 | FileCheck %s --check-prefix=FUSEDNOQ --implicit-check-not={{.}}
# RUN: not tinyprune-translate --import-tflite %t/zero_scale.tflite 2>&1 | FileCheck %s --check-prefix=ZEROSCALE --implicit-check-not={{.}}
# RUN: not tinyprune-translate --import-tflite %t/wrong_options.tflite 2>&1 | FileCheck %s --check-prefix=OPTIONS --implicit-check-not={{.}}
# RUN: not tinyprune-translate --import-tflite %t/sparse.tflite 2>&1 | FileCheck %s --check-prefix=SPARSE --implicit-check-not={{.}}
# RUN: not tinyprune-translate --import-tflite %t/leaky_neg_alpha.tflite 2>&1 | FileCheck %s --check-prefix=LEAKYNEG --implicit-check-not={{.}}
# RUN: not tinyprune-translate --import-tflite %t/reshape_bad_shape.tflite 2>&1 | FileCheck %s --check-prefix=RESHAPEBAD --implicit-check-not={{.}}
# RUN: not tinyprune-translate --import-tflite %t/squeeze_not_one.tflite 2>&1 | FileCheck %s --check-prefix=SQUEEZEBAD --implicit-check-not={{.}}
# RUN: not tinyprune-translate --import-tflite %t/reshape_drops_quant.tflite 2>&1 | FileCheck %s --check-prefix=QUANTDROP --implicit-check-not={{.}}
# RUN: not tinyprune-translate --import-tflite %t/fc_bad_out.tflite 2>&1 | FileCheck %s --check-prefix=FCOUT --implicit-check-not={{.}}
# RUN: not tinyprune-translate --import-tflite %t/pad_flat.tflite 2>&1 | FileCheck %s --check-prefix=PADFLAT --implicit-check-not={{.}}
# RUN: not tinyprune-translate --import-tflite %t/mean_int64_axes.tflite 2>&1 | FileCheck %s --check-prefix=MEANAXES --implicit-check-not={{.}}
# RUN: not tinyprune-translate --import-tflite %t/softmax_no_options.tflite 2>&1 | FileCheck %s --check-prefix=SMNOOPT --implicit-check-not={{.}}
# RUN: not tinyprune-translate --import-tflite %t/missing.tflite 2>&1 | FileCheck %s --check-prefix=MISSING
#
# A failed import leaves no output file behind.
# RUN: rm -f %t/out.mlir
# Found by the importer fuzzer (issue 18's campaign): a zero point outside
# its type's range overflowed the uint8 and hybrid rewrites, a RELU whose
# scale ratio overflows float reached an undefined conversion, a required
# input marked absent (-1) was read out of bounds.
# RUN: not tinyprune-translate --import-tflite %t/zp_range.tflite 2>&1 | FileCheck %s --check-prefix=ZPRANGE --implicit-check-not={{.}}
# RUN: not tinyprune-translate --import-tflite %t/uint8_zp_range.tflite 2>&1 | FileCheck %s --check-prefix=U8ZP --implicit-check-not={{.}}
# RUN: not tinyprune-translate --import-tflite %t/relu_ratio_inf.tflite 2>&1 | FileCheck %s --check-prefix=RELUINF --implicit-check-not={{.}}
# RUN: not tinyprune-translate --import-tflite %t/pool_absent_input.tflite 2>&1 | FileCheck %s --check-prefix=ABSENT --implicit-check-not={{.}}
# RUN: not tinyprune-translate --import-tflite %t/truncated.tflite -o %t/out.mlir
# RUN: not test -e %t/out.mlir

import os
import sys

import tflgen
from tflgen import Model

out = sys.argv[1]
os.makedirs(out, exist_ok=True)


def path(name):
    return os.path.join(out, name + ".tflite")


def conv_model(**kw):
    """A valid int8 3x3 conv; keyword hooks make it invalid."""
    m = Model()
    x = m.tensor("input", [1, 4, 4, 2], "INT8", scale=0.5, zero_point=0)
    w = m.const("filter", [3, 3, 3, 2], "INT8", values=[1] * 54,
                scale=[0.1] * 3, zero_point=[0] * 3, quantized_dimension=0)
    y = m.tensor("output", kw.get("out_shape", [1, 4, 4, 3]), "INT8",
                 scale=0.25, zero_point=0)
    op = m.op(kw.get("op", "CONV_2D"), inputs=[x, w, None], outputs=[y],
              options=kw.get("options",
                             ("Conv2DOptions", {"padding": "SAME",
                                                "stride_w": 1,
                                                "stride_h": 1})),
              version=kw.get("version", 1))
    m.inputs([x])
    m.outputs([y])
    return m, x, w, y, op


def write_bytes(name, data):
    with open(path(name), "wb") as f:
        f.write(data)


# Files that are not flatbuffers at all.
write_bytes("empty", b"")
write_bytes("not_tflite", b"PK\x03\x04 this is a zip file, not a model....")

# A valid model, cut short and with its root offset broken.
good, *_ = conv_model()
good.write(path("good"))
with open(path("good"), "rb") as f:
    good_bytes = f.read()
write_bytes("truncated", good_bytes[: len(good_bytes) // 2])
good.write(path("bad_root"))
tflgen.corrupt_root_offset(path("bad_root"))
# The root offset points 4 bytes in: fine. Patch the 4-byte length of the
# first vector the verifier meets (in the buffers region) to a huge value.
data = bytearray(good_bytes)
idx = data.find(bytes([1] * 54))
data[idx - 4: idx] = (0x7FFFFFF0).to_bytes(4, "little")
write_bytes("bad_vector", bytes(data))

# Structural problems.
Model(subgraphs=0).write(path("no_subgraphs"))
m, *_ = conv_model()
m.raw_model_fields(version=2)
m.write(path("schema_v2"))
m, x, w, y, op = conv_model()
m.raw_tensor_fields(w, buffer=999)
m.write(path("buffer_oob"))
m, x, w, y, op = conv_model()
m.raw_tensor_fields(x, shape=[1, -4, 4, 2])
m.write(path("negative_dim"))
m, x, w, y, op = conv_model()
m.raw_tensor_fields(x, shape=[1, 65536, 65536, 65536])
m.write(path("absurd_shape"))
m, x, w, y, op = conv_model()
m.raw_tensor_fields(w, shape=[3, 3, 3, 3])  # 81 elements, 54 bytes
m.write(path("size_mismatch"))
m, x, w, y, op = conv_model()
m.raw_op_fields(op, inputs=[x, 77, -1])
m.write(path("tensor_oob"))
m, x, w, y, op = conv_model()
m.raw_op_fields(op, opcode_index=5)
m.write(path("opcode_oob"))
m, x, w, y, op = conv_model()
m.raw_tensor_fields(x, sparsity={"traversal_order": [0, 1, 2, 3]})
m.write(path("sparse"))

# Operators the importer does not support.
conv_model(op=200, options=None)[0].write(path("unknown_op"))
conv_model(op=42, options=None)[0].write(path("unsupported_op"))  # DIV
m = Model()
x = m.tensor("input", [1, 4], "FLOAT32")
y = m.tensor("output", [1, 4], "FLOAT32")
m.op("CUSTOM", inputs=[x], outputs=[y], custom_code="MyFancyOp")
m.inputs([x])
m.outputs([y])
m.write(path("custom_op"))
conv_model(version=99)[0].write(path("bad_version"))
m = Model()
x = m.tensor("input", [1, 4], "FLOAT64")
y = m.tensor("output", [1, 4], "FLOAT64")
m.op("RELU", inputs=[x], outputs=[y])
m.inputs([x])
m.outputs([y])
m.write(path("float64"))

# Semantically wrong operators.
conv_model(out_shape=[1, 5, 5, 3])[0].write(path("bad_out_shape"))
m = Model()
x = m.tensor("input", [1, 4], "FLOAT32")
t = m.tensor("never_written", [1, 4], "FLOAT32")
y = m.tensor("output", [1, 4], "FLOAT32")
m.op("ADD", inputs=[x, t], outputs=[y])
m.inputs([x])
m.outputs([y])
m.write(path("read_before_write"))
conv_model(options=("Conv2DOptions", {"padding": "SAME", "stride_w": 1,
                                       "stride_h": 1,
                                       "fused_activation_function": "TANH"})
           )[0].write(path("int8_tanh_fused"))
# An int8 CONCATENATION with RELU6 and no quantization anywhere (found by the
# importer fuzzer: it crashed mapping the clamp through the missing scale).
m = Model()
a = m.tensor("in0", [3, 2], "INT8")
b = m.tensor("in1", [3, 2], "INT8")
y = m.tensor("output", [3, 4], "INT8")
m.op("CONCATENATION", inputs=[a, b], outputs=[y], options=(
    "ConcatenationOptions", {"axis": 1, "fused_activation_function": "RELU6"}))
m.inputs([a, b])
m.outputs([y])
m.write(path("int8_fused_no_quant"))
m, x, w, y, op = conv_model()
m.raw_tensor_fields(y, quantization={"scale": [0.0], "zero_point": [0]})
m.write(path("zero_scale"))
conv_model(options=("AddOptions", {}))[0].write(path("wrong_options"))

def unary(name, op, in_shape, out_shape, dtype="FLOAT32", options=None,
          extra=None, in_q=None, out_q=None):
    """One-op model: input -> op -> output, with optional extra inputs."""
    m = Model()
    qi = dict(scale=in_q[0], zero_point=in_q[1]) if in_q else {}
    qo = dict(scale=out_q[0], zero_point=out_q[1]) if out_q else {}
    x = m.tensor("input", in_shape, dtype, **qi)
    y = m.tensor("output", out_shape, dtype, **qo)
    ins = [x] + [m.const(n, sh, t, values=v) for n, sh, t, v in (extra or [])]
    m.op(op, inputs=ins, outputs=[y], options=options)
    m.inputs([x])
    m.outputs([y])
    m.write(path(name))


# Checks added for mistakes found in review: each was accepted silently.
unary("leaky_neg_alpha", "LEAKY_RELU", [1, 4], [1, 4], "INT8",
      options=("LeakyReluOptions", {"alpha": -0.5}), in_q=(0.1, -5),
      out_q=(0.03, -20))
unary("reshape_bad_shape", "RESHAPE", [1, 24], [2, 12],
      extra=[("shape", [2], "INT32", [5, 7])])
unary("squeeze_not_one", "SQUEEZE", [1, 2, 1, 3], [2, 3],
      options=("SqueezeOptions", {"squeeze_dims": [1]}))
unary("reshape_drops_quant", "RESHAPE", [1, 24], [2, 12], "INT8",
      in_q=(0.5, 1), extra=[("shape", [2], "INT32", [2, 12])])
unary("pad_flat", "PAD", [1, 4], [3, 6],
      extra=[("paddings", [4], "INT32", [1, 1, 1, 1])])
unary("mean_int64_axes", "MEAN", [1, 4, 4, 2], [1, 2],
      extra=[("axes", [2], "INT64", [1, 2])])
unary("softmax_no_options", "SOFTMAX", [1, 4], [1, 4])
unary("zp_range", "RELU", [1, 4], [1, 4], "INT8", in_q=(0.5, 200),
      out_q=(0.5, 0))
unary("uint8_zp_range", "RELU", [1, 4], [1, 4], "UINT8", in_q=(0.5, -9),
      out_q=(0.5, 0))
unary("relu_ratio_inf", "RELU", [1, 4], [1, 4], "INT8", in_q=(3e38, 0),
      out_q=(1e-3, 0))
m = Model()
x = m.tensor("input", [1, 4, 4, 1], "INT8", scale=0.5, zero_point=0)
y = m.tensor("output", [1, 2, 2, 1], "INT8", scale=0.5, zero_point=0)
m.op("MAX_POOL_2D", inputs=[None], outputs=[y],
     options=("Pool2DOptions", {"padding": "VALID", "stride_w": 2,
                                "stride_h": 2, "filter_width": 2,
                                "filter_height": 2}))
m.inputs([x])
m.outputs([y])
m.write(path("pool_absent_input"))
m = Model()
x = m.tensor("input", [1, 2, 2, 3], "FLOAT32")
w = m.const("weights", [2, 3], "FLOAT32", values=[0.5] * 6)
y = m.tensor("output", [8], "FLOAT32")
m.op("FULLY_CONNECTED", inputs=[x, w, None], outputs=[y])
m.inputs([x])
m.outputs([y])
m.write(path("fc_bad_out"))

# EMPTY: {{^}}{{.*}}empty.tflite: error: file is 0 bytes long, too short to be a TFLite flatbuffer{{$}}
# IDENT: {{^}}{{.*}}not_tflite.tflite: error: not a TFLite model: the file identifier is not 'TFL3'{{$}}
# TRUNC: {{^}}{{.*}}truncated.tflite: error: corrupt TFLite flatbuffer: the FlatBuffers verifier rejected it (truncated file or offsets out of bounds){{$}}
# ROOT: {{^}}{{.*}}bad_root.tflite: error: corrupt TFLite flatbuffer: {{.*}}{{$}}
# VECTOR: {{^}}{{.*}}bad_vector.tflite: error: corrupt TFLite flatbuffer: {{.*}}{{$}}
# NOSG: {{^}}{{.*}}no_subgraphs.tflite: error: the model has no subgraphs{{$}}
# SCHEMA: {{^}}{{.*}}schema_v2.tflite: error: unsupported TFLite schema version 2 (expected 3){{$}}
# BUFOOB: {{^}}{{.*}}buffer_oob.tflite: error: subgraph 0: tensor 1 'filter' refers to buffer 999, but the model has 2 buffers{{$}}
# NEGDIM: {{^}}{{.*}}negative_dim.tflite: error: subgraph 0: tensor 0 'input' has dimension -4; dynamic or negative sizes are not supported{{$}}
# ABSURD: {{^}}{{.*}}absurd_shape.tflite: error: subgraph 0: tensor 0 'input' has more than 2^31 elements{{$}}
# SIZE: {{^}}{{.*}}size_mismatch.tflite: error: subgraph 0: tensor 1 'filter' has shape [3, 3, 3, 3] of INT8 (81 bytes) but its buffer 1 holds 54 bytes{{$}}
# TENSOROOB: {{^}}{{.*}}tensor_oob.tflite: error: operator 0 (CONV_2D): input refers to tensor 77, but the subgraph has 3 tensors{{$}}
# OPCODE: {{^}}{{.*}}opcode_oob.tflite: error: operator 0: opcode index 5 is out of range (the model has 1 operator codes){{$}}
# UNKNOWN: {{^}}{{.*}}unknown_op.tflite: error: operator 0 (BUILTIN_200): operator is not supported{{$}}
# UNSUP: {{^}}{{.*}}unsupported_op.tflite: error: operator 0 (DIV): operator is not supported{{$}}
# CUSTOM: {{^}}{{.*}}custom_op.tflite: error: operator 0 (CUSTOM(MyFancyOp)): custom operators are not supported{{$}}
# VERSION: {{^}}{{.*}}bad_version.tflite: error: operator 0 (CONV_2D): version 99 is not supported (supported: 1 to 6){{$}}
# FLOAT64: {{^}}{{.*}}float64.tflite: error: tensor 'input' has type FLOAT64, which is not supported (float32, int8, affine uint8, int16, int32, int64 and bool are){{$}}
# OUTSHAPE: {{^}}{{.*}}bad_out_shape.tflite: error: operator 0 (CONV_2D): output [1, 5, 5, 3] does not match the shape [1, 4, 4, 3] given by input, filter, strides and padding{{$}}
# RBW: {{^}}{{.*}}read_before_write.tflite: error: operator 0 (ADD): input 1 reads tensor 'never_written' before any operator writes it{{$}}
# FUSED: {{^}}{{.*}}int8_tanh_fused.tflite: error: operator 0 (CONV_2D): fused activation TANH is not supported on integer outputs{{$}}
# FUSEDNOQ: {{^}}{{.*}}int8_fused_no_quant.tflite: error: operator 0 (CONCATENATION): fused activation on output 'output' needs its quantization{{$}}
# ZEROSCALE: {{^}}{{.*}}zero_scale.tflite: error: subgraph 0: tensor 2 'output' has quantization scale 0, which is not a positive finite number{{$}}
# OPTIONS: {{^}}{{.*}}wrong_options.tflite: error: operator 0 (CONV_2D): carries AddOptions, not the options this operator takes{{$}}
# SPARSE: {{^}}{{.*}}sparse.tflite: error: subgraph 0: tensor 0 'input' is sparse, which is not supported{{$}}
# MISSING: missing.tflite{{.*}}o such file or directory
# LEAKYNEG: {{^}}{{.*}}leaky_neg_alpha.tflite: error: operator 0 (LEAKY_RELU): negative alpha {{.*}} is not supported on integer tensors (TOSA rescale multipliers are non-negative){{$}}
# RESHAPEBAD: {{^}}{{.*}}reshape_bad_shape.tflite: error: operator 0 (RESHAPE): new shape [5, 7] does not match output [2, 12]{{$}}
# SQUEEZEBAD: {{^}}{{.*}}squeeze_not_one.tflite: error: operator 0 (SQUEEZE): squeeze dimension 1 of [1, 2, 1, 3] is not 1{{$}}
# QUANTDROP: {{^}}{{.*}}reshape_drops_quant.tflite: error: operator 0 (RESHAPE): input and output quantization differ{{$}}
# FCOUT: {{^}}{{.*}}fc_bad_out.tflite: error: operator 0 (FULLY_CONNECTED): output [8] does not match the expected shape [4, 2]{{$}}
# PADFLAT: {{^}}{{.*}}pad_flat.tflite: error: operator 0 (PAD): paddings [4] must have shape [2, 2]{{$}}
# MEANAXES: {{^}}{{.*}}mean_int64_axes.tflite: error: operator 0 (MEAN): axes must be an int32 tensor, as TFLite requires{{$}}
# SMNOOPT: {{^}}{{.*}}softmax_no_options.tflite: error: operator 0 (SOFTMAX): beta {{.*}} is not supported (it must be positive and finite){{$}}
# ZPRANGE: {{^}}{{.*}}zp_range.tflite: error: subgraph 0: tensor 0 'input' has zero point 200 outside its type's range [-128, 127]{{$}}
# U8ZP: {{^}}{{.*}}uint8_zp_range.tflite: error: subgraph 0: tensor 0 'input' has zero point -9 outside its type's range [0, 255]{{$}}
# RELUINF: {{^}}{{.*}}relu_ratio_inf.tflite: error: operator 0 (RELU): input scale / output scale overflows float{{$}}
# ABSENT: {{^}}{{.*}}pool_absent_input.tflite: error: operator 0 (MAX_POOL_2D): input 0 is required but absent (-1){{$}}
