"""tflref_lstm: TFLite Micro's int8 UNIDIRECTIONAL_SEQUENCE_LSTM in Python.

An independent statement, for tests, of what TFLite Micro's integer LSTM
(`lstm_eval.h`, `lstm_eval_common.cc`: int8 activations and weights, int32
biases, int16 cell state) computes, written from TFLite's algorithm step by
step rather than from tinyprune's kernel: the prepare-time multipliers
(CreateGateParams, CreateInterGateMulParams, CreateLstmCellStateInfo), the
reference FullyConnected to int16, the saturating AddElementWise, the int16
Logistic and Tanh of reference_integer_ops with TFLite's lookup table, the
int16 MulElementwise, and TFLite Micro's loop over batches and time steps.
The state starts at TFLite Micro's reset values (hidden = zero point,
cell = 0).
"""

import math

from tflref import f32, mbqm, quantize_multiplier

# TFLite's sigmoid_table_uint16 (tensorflow/lite/kernels/internal/common.h):
# sigmoid(i / 24) in 0.16 fixed point, as TFLite tabulates it.
SIGMOID_TABLE = [
    32768, 33451, 34133, 34813, 35493, 36169, 36843, 37513, 38180, 38841,
    39498, 40149, 40794, 41432, 42064, 42688, 43304, 43912, 44511, 45102,
    45683, 46255, 46817, 47369, 47911, 48443, 48964, 49475, 49975, 50464,
    50942, 51409, 51865, 52311, 52745, 53169, 53581, 53983, 54374, 54755,
    55125, 55485, 55834, 56174, 56503, 56823, 57133, 57433, 57724, 58007,
    58280, 58544, 58800, 59048, 59288, 59519, 59743, 59959, 60168, 60370,
    60565, 60753, 60935, 61110, 61279, 61441, 61599, 61750, 61896, 62036,
    62172, 62302, 62428, 62549, 62666, 62778, 62886, 62990, 63090, 63186,
    63279, 63368, 63454, 63536, 63615, 63691, 63765, 63835, 63903, 63968,
    64030, 64090, 64148, 64204, 64257, 64308, 64357, 64405, 64450, 64494,
    64536, 64576, 64614, 64652, 64687, 64721, 64754, 64786, 64816, 64845,
    64873, 64900, 64926, 64950, 64974, 64997, 65019, 65039, 65060, 65079,
    65097, 65115, 65132, 65149, 65164, 65179, 65194, 65208, 65221, 65234,
    65246, 65258, 65269, 65280, 65291, 65301, 65310, 65319, 65328, 65337,
    65345, 65352, 65360, 65367, 65374, 65381, 65387, 65393, 65399, 65404,
    65410, 65415, 65420, 65425, 65429, 65433, 65438, 65442, 65445, 65449,
    65453, 65456, 65459, 65462, 65465, 65468, 65471, 65474, 65476, 65479,
    65481, 65483, 65485, 65488, 65489, 65491, 65493, 65495, 65497, 65498,
    65500, 65501, 65503, 65504, 65505, 65507, 65508, 65509, 65510, 65511,
    65512, 65513, 65514, 65515, 65516, 65517, 65517, 65518, 65519, 65520,
    65520, 65521, 65522, 65522, 65523, 65523, 65524, 65524, 65525, 65525,
    65526, 65526, 65526, 65527, 65527, 65528, 65528, 65528, 65529, 65529,
    65529, 65529, 65530, 65530, 65530, 65530, 65531, 65531, 65531, 65531,
    65531, 65532, 65532, 65532, 65532, 65532, 65532, 65533, 65533, 65533,
    65533, 65533, 65533, 65533, 65533, 65534, 65534, 65534, 65534, 65534,
    65534, 65534, 65534, 65534, 65534, 65535]

GATE_SCALE = 2.0 ** -12     # Q3.12, the FC outputs (activation inputs)
GATE_OUT_SCALE = 2.0 ** -15  # Q0.15, the activation outputs


def to_int16(v):
    """C's conversion of an integer to int16_t (two's complement wrap)."""
    v &= 0xFFFF
    return v - 0x10000 if v >= 0x8000 else v


def _scaled_inputs(x, input_multiplier, input_left_shift):
    """The rescaled inputs of reference_integer_ops' int16 Logistic and
    Tanh: `(v * input_multiplier + round) >> input_left_shift`, with a zero
    multiplier meaning 3 (the fixed scale of TFLite's int16 activations)."""
    if input_multiplier == 0:
        input_multiplier = 3 << input_left_shift
        input_left_shift = 0
    rnd = (1 << (input_left_shift - 1)) if input_left_shift > 0 else 0
    return [(v * input_multiplier + rnd) >> input_left_shift for v in x]


def _table_lookup(a, frac_bits, saturated):
    """SIGMOID_TABLE at `a` (>= 0) with `frac_bits` fractional bits, linearly
    interpolated between entries; `saturated` past the table's end."""
    uh = a >> frac_bits
    if uh >= 255:
        return saturated
    ua, ub = SIGMOID_TABLE[uh], SIGMOID_TABLE[uh + 1]
    return (ua << frac_bits) + (a & ((1 << frac_bits) - 1)) * (ub - ua)


def logistic_int16(x, input_multiplier, input_left_shift):
    """reference_integer_ops::Logistic on int16."""
    out = []
    for d in _scaled_inputs(x, input_multiplier, input_left_shift):
        res = _table_lookup(abs(d), 9, 0x7FFF << 10)
        res = res + (1 << 9) if d >= 0 else (1 << 25) - res + (1 << 9) - 1
        out.append(to_int16((res & 0xFFFFFFFF) >> 10))
    return out


def tanh_int16(x, input_multiplier, input_left_shift):
    """reference_integer_ops::Tanh on int16."""
    out = []
    for d in _scaled_inputs(x, input_multiplier, input_left_shift):
        res = _table_lookup(abs(d), 8, 0xFFFF << 8)
        if d >= 0:
            res = res - (1 << 23) + (1 << 7)
        else:
            res = -res + (1 << 23) + (1 << 7) - 1
        out.append(to_int16(res >> 8))
    return out


def lstm_tanh(x, cell_state_scale_power):
    """TFLite Micro's lstm_internal::Tanh."""
    shift = (15 + cell_state_scale_power) - 3
    mult = 0
    if shift < 0:
        shift, mult = -shift, 3
    return tanh_int16(x, mult, shift)


def fully_connected_int16(x, rows, depth, w, units, bias, in_offset, mult):
    """reference_integer_ops::FullyConnected, int8 x int8 -> int16."""
    out = []
    for r in range(rows):
        for o in range(units):
            acc = 0
            for d in range(depth):
                acc += w[o * depth + d] * (x[r * depth + d] + in_offset)
            if bias is not None:
                acc += bias[o]
            v = mbqm(acc, *mult)
            out.append(min(max(v, -32768), 32767))
    return out


def add_sat16(a, b):
    return [min(max(p + q, -32768), 32767) for p, q in zip(a, b)]


def mul_elementwise(a, b, mult, out_zp, lo, hi):
    return [min(max(out_zp + mbqm(p * q, *mult), lo), hi) for p, q in zip(a, b)]


def conv_multiplier(in_scale, w_scale, out_scale):
    """GetQuantizedConvolutionMultipler + QuantizeMultiplier."""
    return quantize_multiplier(float(f32(in_scale)) * float(f32(w_scale)) /
                               float(f32(out_scale)))


def checked_log2(x):
    lg = f32(math.log(f32(x)) * f32(1.0 / math.log(2.0)))
    return int(math.floor(lg + 0.5) if lg >= 0 else -math.floor(-lg + 0.5))


def lstm_int8(x, batch, time, n_in, n_hidden, in_q, hidden_q, cell_scale,
              weights, w_scales, biases, cell_clip=0.0, time_major=False,
              cell_tanh=True):
    """The op's int8 output for int8 input `x`. `weights` are the eight
    flat int8 weight lists in TFLite's order (input-to-{i, f, c, o} then
    recurrent-to-{i, f, c, o}), `w_scales` their scales, `biases` the
    four int32 bias lists (i, f, c, o)."""
    in_scale, in_zp = in_q
    h_scale, h_zp = hidden_q
    fc_in = [conv_multiplier(in_scale, w_scales[g], GATE_SCALE)
             for g in range(4)]
    fc_rec = [conv_multiplier(h_scale, w_scales[4 + g], GATE_SCALE)
              for g in range(4)]

    def inter(s1, s2, so):
        return quantize_multiplier(float(f32(s1)) * float(f32(s2)) /
                                   float(f32(so)))
    forget_mul = inter(GATE_OUT_SCALE, cell_scale, cell_scale)
    input_mul = inter(GATE_OUT_SCALE, GATE_OUT_SCALE, cell_scale)
    output_mul = inter(GATE_OUT_SCALE, GATE_OUT_SCALE, h_scale)
    power = checked_log2(cell_scale)
    qclip = int(min(max(float(f32(cell_clip)) / float(f32(cell_scale)),
                        -32768.0), 32767.0))

    rows = batch if time_major else 1
    hidden = [h_zp] * (batch * n_hidden)
    cell = [0] * (batch * n_hidden)
    out = [0] * (batch * time * n_hidden)

    def gate(g, xs, hs, act):
        a = fully_connected_int16(xs, rows, n_in, weights[g], n_hidden,
                                  biases[g], -in_zp, fc_in[g])
        b = fully_connected_int16(hs, rows, n_hidden, weights[4 + g],
                                  n_hidden, None, -h_zp, fc_rec[g])
        s = add_sat16(a, b)
        if act == "sigmoid":
            return logistic_int16(s, 0, 0)
        return lstm_tanh(s, -12)

    def step(x_off, state_off, out_off):
        size = rows * n_hidden
        xs = x[x_off:x_off + rows * n_in]
        hs = hidden[state_off:state_off + size]
        forget = gate(1, xs, hs, "sigmoid")
        inp = gate(0, xs, hs, "sigmoid")
        cgate = gate(2, xs, hs, "tanh" if cell_tanh else "sigmoid")
        c = cell[state_off:state_off + size]
        c = mul_elementwise(forget, c, forget_mul, 0, -32768, 32767)
        ig = mul_elementwise(inp, cgate, input_mul, 0, -32768, 32767)
        c = add_sat16(c, ig)
        if f32(cell_clip) > 0:
            c = [max(min(qclip, v), -qclip) for v in c]
        cell[state_off:state_off + size] = c
        og = gate(3, xs, hs, "sigmoid")
        th = lstm_tanh(c, power)
        h = mul_elementwise(th, og, output_mul, h_zp, -128, 127)
        hidden[state_off:state_off + size] = h
        out[out_off:out_off + size] = h

    if time_major:
        for t in range(time):
            step(t * batch * n_in, 0, t * batch * n_hidden)
    else:
        for b in range(batch):
            for t in range(time):
                step((b * time + t) * n_in, b * n_hidden,
                     (b * time + t) * n_hidden)
    return out
