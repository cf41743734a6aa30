# Imports an int8 UNIDIRECTIONAL_SEQUENCE_LSTM, laid out as TFLite's
# converter writes a quantized Keras LSTM (utils/lstmgen.py), as one
# tinyprune.lstm holding its weights and biases as constant operands and
# the scales TFLite Micro prepares its multipliers from. The variable state
# tensors and the converter's intermediate tensors do not appear. Then the
# configurations TFLite Micro's kernel does not run are refused, each with
# one line naming what is missing.
#
# RUN: %python %s %t
# RUN: tinyprune-translate --import-tflite %t/lstm.tflite | FileCheck %s
# RUN: tinyprune-translate --import-tflite %t/lstm_classifier.tflite | FileCheck %s --check-prefix=CLS
# RUN: not tinyprune-translate --import-tflite %t/float.tflite 2>&1 | FileCheck %s --check-prefix=FLOAT --implicit-check-not={{.}}
# RUN: not tinyprune-translate --import-tflite %t/int16.tflite 2>&1 | FileCheck %s --check-prefix=INT16 --implicit-check-not={{.}}
# RUN: not tinyprune-translate --import-tflite %t/cifg.tflite 2>&1 | FileCheck %s --check-prefix=CIFG --implicit-check-not={{.}}
# RUN: not tinyprune-translate --import-tflite %t/peephole.tflite 2>&1 | FileCheck %s --check-prefix=PEEPHOLE --implicit-check-not={{.}}
# RUN: not tinyprune-translate --import-tflite %t/projection.tflite 2>&1 | FileCheck %s --check-prefix=PROJECTION --implicit-check-not={{.}}
# RUN: not tinyprune-translate --import-tflite %t/layer_norm.tflite 2>&1 | FileCheck %s --check-prefix=LAYERNORM --implicit-check-not={{.}}
# RUN: not tinyprune-translate --import-tflite %t/relu.tflite 2>&1 | FileCheck %s --check-prefix=RELU --implicit-check-not={{.}}
# RUN: not tinyprune-translate --import-tflite %t/per_channel.tflite 2>&1 | FileCheck %s --check-prefix=PERCHANNEL --implicit-check-not={{.}}
# RUN: not tinyprune-translate --import-tflite %t/not_variable.tflite 2>&1 | FileCheck %s --check-prefix=NOTVAR --implicit-check-not={{.}}
# RUN: not tinyprune-translate --import-tflite %t/cell_scale.tflite 2>&1 | FileCheck %s --check-prefix=CELLSCALE --implicit-check-not={{.}}
# RUN: not tinyprune-translate --import-tflite %t/output_quant.tflite 2>&1 | FileCheck %s --check-prefix=OUTQ --implicit-check-not={{.}}
# RUN: not tinyprune-translate --import-tflite %t/diagonal.tflite 2>&1 | FileCheck %s --check-prefix=DIAG --implicit-check-not={{.}}

import os
import random
import sys

from lstmgen import lstm_case

out = sys.argv[1]
os.makedirs(out, exist_ok=True)
rng = random.Random(7)


def write(name, **kw):
    model, _, _ = lstm_case(rng, name=name, batch=1, time=5, n_in=6,
                            hidden=8, **kw)
    model.write(os.path.join(out, name + ".tflite"))


write("lstm")


def classifier(m, op, t):
    # TFLite Micro's mnist_lstm: LSTM -> RESHAPE -> FULLY_CONNECTED ->
    # SOFTMAX.
    shape = m.const("flat_shape", [2], "INT32", [1, 40])
    flat = m.tensor("flat", [1, 40], "INT8", scale=0.0078, zero_point=3)
    m.op("RESHAPE", [t["output"], shape], [flat])
    w = m.const("fc_weights", [4, 40], "INT8",
                [rng.randint(-127, 127) for _ in range(160)], scale=0.01,
                zero_point=0)
    b = m.const("fc_bias", [4], "INT32", [100, -50, 0, 25],
                scale=0.0078 * 0.01, zero_point=0)
    logits = m.tensor("logits", [1, 4], "INT8", scale=0.17, zero_point=3)
    m.op("FULLY_CONNECTED", [flat, w, b], [logits], version=4,
         options=("FullyConnectedOptions", {}))
    probs = m.tensor("probs", [1, 4], "INT8", scale=1 / 256,
                     zero_point=-128)
    m.op("SOFTMAX", [logits], [probs], version=2,
         options=("SoftmaxOptions", {"beta": 1.0}))
    m.outputs([probs])


write("lstm_classifier", extra=classifier)


def retype(tensor, dtype):
    return lambda m, op, t: m.raw_tensor_fields(t[tensor], type=dtype)


def drop_input(i):
    def f(m, op, t):
        ins = m._operators[op]["inputs"]
        ins[i] = -1
    return f


def set_input(i, tensor):
    def f(m, op, t):
        m._operators[op]["inputs"][i] = t[tensor]
    return f


def options(**fields):
    def f(m, op, t):
        m._operators[op]["builtin_options"].update(fields)
    return f


def per_channel(m, op, t):
    m.raw_tensor_fields(t["input_to_cell_weights"], quantization={
        "scale": [0.005] * 8, "zero_point": [0] * 8,
        "quantized_dimension": 0})


def layer_norm(m, op, t):
    ins = m._operators[op]["inputs"]
    ins[21] = t["forget_bias"]


write("float", extra=retype("input", "FLOAT32"))
write("int16", extra=retype("input", "INT16"))
write("cifg", extra=drop_input(1))
write("peephole", extra=set_input(10, "forget_bias"))
write("projection", extra=set_input(16, "recurrent_to_cell_weights"))
write("layer_norm", extra=layer_norm)
write("relu", extra=options(fused_activation_function="RELU"))
write("per_channel", extra=per_channel)
write("not_variable",
      extra=lambda m, op, t: m.raw_tensor_fields(t["cell"], is_variable=None))
write("cell_scale", cell_scale=0.0003)
write("output_quant", extra=lambda m, op, t: m.raw_tensor_fields(
    t["output"], quantization={"scale": [0.01], "zero_point": [3]}))
write("diagonal", extra=options(diagonal_recurrent_tensors=True))

# The weights (TFLite order) and biases are constants; the variable states
# and the intermediates do not appear.
# CHECK-LABEL: func.func @main(
# CHECK-SAME: %[[X:.*]]: tensor<1x5x6xi8> {tinyprune.quant = #tinyprune.quant<scale = 0.0234999992, zero_point = -11>}
# CHECK-SAME: -> (tensor<1x5x8xi8> {tinyprune.quant = #tinyprune.quant<scale = 0.00779999979, zero_point = 3>})
# CHECK-COUNT-4: "tosa.const"() {{.*}} : () -> tensor<8x6xi8>
# CHECK-COUNT-4: "tosa.const"() {{.*}} : () -> tensor<8x8xi8>
# CHECK-COUNT-4: "tosa.const"() {{.*}} : () -> tensor<8xi32>
# CHECK-NOT: tensor<1x8xi16>
# CHECK: %[[Y:.*]] = tinyprune.lstm %[[X]], %0, %1, %2, %3, %4, %5, %6, %7, %8, %9, %10, %11
# CHECK-SAME: cell_clip = 1.000000e+01 : f32
# CHECK-SAME: cell_quant = #tinyprune.quant<scale = 0.00048828125, zero_point = 0>
# CHECK-SAME: input_quant = #tinyprune.quant<scale = 0.0234999992, zero_point = -11>
# CHECK-SAME: output_quant = #tinyprune.quant<scale = 0.00779999979, zero_point = 3>
# CHECK-SAME: time_major = false
# CHECK-SAME: weight_scales = array<f32: {{([0-9.e-]+, ){7}[0-9.e-]+}}>
# CHECK-SAME: -> tensor<1x5x8xi8>
# CHECK-NEXT: return %[[Y]]

# In a classifier the LSTM's output feeds the usual int8 layers.
# CLS-LABEL: func.func @main(
# CLS: %[[H:.*]] = tinyprune.lstm
# CLS: tosa.reshape %[[H]], {{.*}} -> tensor<1x40xi8>
# CLS: tosa.conv2d
# CLS: tinyprune.softmax
# CLS: return

# FLOAT: {{^}}{{.*}}float.tflite: error: operator 0 (UNIDIRECTIONAL_SEQUENCE_LSTM): float LSTM is not supported (int8 is){{$}}
# INT16: {{^}}{{.*}}int16.tflite: error: operator 0 (UNIDIRECTIONAL_SEQUENCE_LSTM): 16x8 LSTM (int16 activations) is not supported (int8 is){{$}}
# CIFG: {{^}}{{.*}}cifg.tflite: error: operator 0 (UNIDIRECTIONAL_SEQUENCE_LSTM): CIFG (coupled input and forget gates, no input gate weights) is not supported{{$}}
# PEEPHOLE: {{^}}{{.*}}peephole.tflite: error: operator 0 (UNIDIRECTIONAL_SEQUENCE_LSTM): peephole connections (operand 10): not supported{{$}}
# PROJECTION: {{^}}{{.*}}projection.tflite: error: operator 0 (UNIDIRECTIONAL_SEQUENCE_LSTM): projection (operand 16): not supported{{$}}
# LAYERNORM: {{^}}{{.*}}layer_norm.tflite: error: operator 0 (UNIDIRECTIONAL_SEQUENCE_LSTM): layer normalization (operand 21): not supported{{$}}
# RELU: {{^}}{{.*}}relu.tflite: error: operator 0 (UNIDIRECTIONAL_SEQUENCE_LSTM): cell activation RELU is not supported (TANH is){{$}}
# PERCHANNEL: {{^}}{{.*}}per_channel.tflite: error: operator 0 (UNIDIRECTIONAL_SEQUENCE_LSTM): weight tensor 'input_to_cell_weights' is quantized per channel (TFLite Micro's LSTM takes per-tensor scales){{$}}
# NOTVAR: {{^}}{{.*}}not_variable.tflite: error: operator 0 (UNIDIRECTIONAL_SEQUENCE_LSTM): state 'cell_state' is not a variable tensor{{$}}
# CELLSCALE: {{^}}{{.*}}cell_scale.tflite: error: operator 0 (UNIDIRECTIONAL_SEQUENCE_LSTM): the cell state scale is not a power of two{{$}}
# OUTQ: {{^}}{{.*}}output_quant.tflite: error: operator 0 (UNIDIRECTIONAL_SEQUENCE_LSTM): output 'lstm_output' must be int8 with the hidden state's quantization (TFLite Micro copies the hidden state to it){{$}}
# DIAG: {{^}}{{.*}}diagonal.tflite: error: operator 0 (UNIDIRECTIONAL_SEQUENCE_LSTM): diagonal recurrent weights are not supported{{$}}
