"""lstmgen: int8 UNIDIRECTIONAL_SEQUENCE_LSTM test models.

Builds models shaped as TFLite's converter writes a quantized Keras LSTM
(the layout of TFLite Micro's mnist_lstm example): 24 operands with the
peephole, projection and layer-norm ones omitted, per-tensor symmetric int8
weights, int32 biases at input_scale * weight_scale, variable int8 hidden
and int16 cell states (cell scale a power of two), the five intermediate
tensors the converter attaches (which TFLite Micro's kernel does not read),
and options TANH / cell_clip / time_major. Weights are random but scaled
like trained ones, so that the gates see pre-activations over the whole
sigmoid and tanh range.

    model, inputs, expected = lstm_case(rng, batch=1, time=6, n_in=8,
                                        hidden=12)

`expected` is utils/tflref_lstm.py's output for `inputs`.
"""

from tflgen import Model
import tflref_lstm


def quantize_weights(rng, shape, spread):
    """Symmetric per-tensor int8 weights: values use the full [-127, 127]
    range of a scale `spread / 127`."""
    n = shape[0] * shape[1]
    scale = spread / 127.0
    values = [rng.randint(-127, 127) for _ in range(n)]
    return values, scale


def lstm_case(rng, batch=1, time=6, n_in=8, hidden=12, time_major=False,
              in_q=(0.0235, -11), hidden_q=(0.0078, 3),
              cell_scale=2.0 ** -11, cell_clip=10.0, name="lstm",
              extra=None):
    """A model with one LSTM whose output is the model's output. `extra`
    (a function of (model, lstm op index, tensors)) may change the model
    for error tests before it is returned."""
    m = Model(description=name)
    seq = [time, batch, n_in] if time_major else [batch, time, n_in]
    x = m.tensor("input", seq, "INT8", scale=in_q[0], zero_point=in_q[1])
    weights, scales, tensors = [], [], {}
    names = ["input_to_input", "input_to_forget", "input_to_cell",
             "input_to_output", "recurrent_to_input", "recurrent_to_forget",
             "recurrent_to_cell", "recurrent_to_output"]
    for k, wname in enumerate(names):
        shape = [hidden, n_in if k < 4 else hidden]
        vals, scale = quantize_weights(rng, shape, rng.uniform(0.3, 0.9))
        weights.append(vals)
        scales.append(scale)
        tensors[wname + "_weights"] = m.const(
            wname + "_weights", shape, "INT8", vals, scale=scale,
            zero_point=0)
    biases = []
    for k, gname in enumerate(["input", "forget", "cell", "output"]):
        bscale = in_q[0] * scales[k]
        # Keras initializes the forget bias to 1.
        centre = 1.0 if gname == "forget" else 0.0
        vals = [int(round((centre + rng.uniform(-0.5, 0.5)) / bscale))
                for _ in range(hidden)]
        biases.append(vals)
        tensors[gname + "_bias"] = m.const(gname + "_gate_bias", [hidden],
                                           "INT32", vals, scale=bscale,
                                           zero_point=0)
    h = m.tensor("hidden_state", [batch, hidden], "INT8", scale=hidden_q[0],
                 zero_point=hidden_q[1])
    c = m.tensor("cell_state", [batch, hidden], "INT16", scale=cell_scale,
                 zero_point=0)
    m.raw_tensor_fields(h, is_variable=True)
    m.raw_tensor_fields(c, is_variable=True)
    inter = [m.tensor(f"input_to_{g}_intermediate", [0], "FLOAT32")
             for g in ("input", "forget", "cell", "output")]
    inter.append(m.tensor("effective_hidden_scale_intermediate", [0], "INT8",
                          scale=hidden_q[0], zero_point=hidden_q[1]))
    out_shape = seq[:2] + [hidden]
    y = m.tensor("lstm_output", out_shape, "INT8", scale=hidden_q[0],
                 zero_point=hidden_q[1])
    inputs = [x] + [tensors[n + "_weights"] for n in names] + \
        [None] * 3 + \
        [tensors[g + "_bias"] for g in ("input", "forget", "cell", "output")] + \
        [None, None, h, c] + [None] * 4
    op = m.op("UNIDIRECTIONAL_SEQUENCE_LSTM", inputs, [y],
              options=("UnidirectionalSequenceLSTMOptions",
                       {"fused_activation_function": "TANH",
                        "cell_clip": cell_clip, "proj_clip": 0.0,
                        "time_major": time_major}))
    m.raw_op_fields(op, intermediates=inter)
    m.inputs([x])
    m.outputs([y])
    tensors.update(input=x, hidden=h, cell=c, output=y)
    if extra:
        extra(m, op, tensors)
    values = [rng.randint(-128, 127) for _ in range(batch * time * n_in)]
    expected = tflref_lstm.lstm_int8(values, batch, time, n_in, hidden, in_q,
                                     hidden_q, cell_scale, weights, scales,
                                     biases, cell_clip=cell_clip,
                                     time_major=time_major)
    return m, values, expected
