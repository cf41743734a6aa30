"""tflite_export: write a trained fixture network as float32 or int8 .tflite.

Input: a `Graph` (fixture_nets.py) and its BatchNorm-folded parameters as
numpy arrays (`params_from_torch`). Output through utils/tflgen.py:

  float: float32 tensors throughout; CONV_2D / DEPTHWISE_CONV_2D with SAME
         padding and fused RELU, ADD, AVERAGE_POOL_2D over the whole feature
         map, RESHAPE to [N, C], FULLY_CONNECTED to the logits.
  int8:  the same graph, quantized like TFLite's full-integer converter:
         int8 input (scale 1/255, zero point -128) and output; symmetric
         per-channel int8 weights (axis 0 for CONV_2D OHWI and
         FULLY_CONNECTED [out, in], axis 3 for DEPTHWISE_CONV_2D [1,H,W,C]);
         int32 biases with scale input_scale * weight_scale[c], zero point 0;
         asymmetric per-tensor int8 activations from calibration ranges
         (`calibrate`), widened to include 0. AVERAGE_POOL_2D and RESHAPE
         keep their input's quantization, as TFLite requires.

`Int8Sim` runs an int8 model's arithmetic in numpy, following TFLite's
reference kernels (QuantizeMultiplier, MultiplyByQuantizedMultiplier with
its two roundings, ADD's 20-bit left shift, average pooling's rounded
division), so that the exported file can be checked bit for bit against
`tinyprune run`.
"""

import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "utils"))
from fixture_nets import same_pads  # noqa: E402
from tflgen import Model  # noqa: E402
from tflref import quantize_multiplier  # noqa: E402

INPUT_SCALE = 1.0 / 255.0
INPUT_ZERO_POINT = -128


def f32(x):
    """Round to float32, as a .tflite stores scales."""
    return float(np.float32(x))


# -- parameters and calibration -----------------------------------------------
def params_from_torch(net):
    """{layer name: (weights, bias)} in TFLite layouts, as float32 numpy.

    conv: OHWI [out, k, k, in]; depthwise: [1, k, k, C]; fc: [out, in].
    `net` must have had fold_bn() applied.
    """
    out = {}
    for l in net.graph.layers:
        key = net.key(l.name)
        if l.kind == "conv":
            m = net.convs[key]
            w = m.weight.detach().numpy()          # [out, in/groups, k, k]
            w = w.transpose(1, 2, 3, 0) if l.dw else w.transpose(0, 2, 3, 1)
        elif l.kind == "fc":
            m = net.fcs[key]
            w = m.weight.detach().numpy()
        else:
            continue
        out[l.name] = (np.ascontiguousarray(w, np.float32),
                       m.bias.detach().numpy().astype(np.float32))
    return out


@torch.no_grad()
def calibrate(net, images, batch=250):
    """Min/max of every layer output over `images` (float32 NHWC numpy)."""
    ranges = {}
    for i in range(0, len(images), batch):
        x = to_torch(images[i:i + batch])
        for name, v in net(x, keep=True).items():
            lo, hi = float(v.min()), float(v.max())
            old = ranges.get(name, (lo, hi))
            ranges[name] = (min(old[0], lo), max(old[1], hi))
    return ranges


def to_torch(images_nhwc):
    return torch.from_numpy(np.ascontiguousarray(images_nhwc)).permute(
        0, 3, 1, 2).contiguous(memory_format=torch.channels_last)


def activation_quant(lo, hi):
    """Asymmetric int8 (scale, zero point) for the range [lo, hi] ∪ {0}."""
    lo, hi = min(lo, 0.0), max(hi, 0.0)
    scale = f32((hi - lo) / 255.0) if hi > lo else 1.0
    zp = int(round(-128 - lo / scale))
    return scale, max(-128, min(127, zp))


def activation_quants(graph, ranges):
    """{tensor name: (scale, zp)} for the input and every layer output."""
    q = {"input": (f32(INPUT_SCALE), INPUT_ZERO_POINT)}
    for l in graph.layers:
        # Pooling keeps its input's quantization (TFLite's requirement).
        q[l.name] = (q[l.inputs[0]] if l.kind == "gap"
                     else activation_quant(*ranges[l.name]))
    return q


def quantize_weights(w, axis):
    """Symmetric per-channel int8 along `axis`: (int8 array, scales)."""
    other = tuple(d for d in range(w.ndim) if d != axis)
    amax = np.abs(w).max(axis=other)
    scales = np.where(amax > 0, amax / 127.0, 1.0).astype(np.float32)
    shape = [1] * w.ndim
    shape[axis] = -1
    q = np.clip(np.round(w / scales.reshape(shape)), -127, 127)
    return q.astype(np.int8), [float(s) for s in scales]


def quantize_bias(b, in_scale, w_scales):
    scales = [float(np.float32(in_scale)) * s for s in w_scales]
    q = np.round(b.astype(np.float64) / np.array(scales))
    assert np.all(np.abs(q) < 2 ** 31), "bias does not fit int32"
    return q.astype(np.int32), scales


# -- export -------------------------------------------------------------------
class QuantizedLayer:
    """An int8 layer's integer weights, bias and scales (see quantize())."""

    def __init__(self, w, w_scales, b, b_scales, axis):
        self.w, self.w_scales = w, w_scales
        self.b, self.b_scales = b, b_scales
        self.axis = axis


def quantize(graph, params, act_q):
    """{layer name: QuantizedLayer} for the conv and fc layers."""
    out = {}
    for l in graph.layers:
        if l.name not in params:
            continue
        w, b = params[l.name]
        axis = 3 if l.kind == "conv" and l.dw else 0
        qw, w_scales = quantize_weights(w, axis)
        qb, b_scales = quantize_bias(b, act_q[l.inputs[0]][0], w_scales)
        out[l.name] = QuantizedLayer(qw, w_scales, qb, b_scales, axis)
    return out


def build_model(graph, params, description, act_q=None, batch=1,
                output=None):
    """A tflgen.Model of `graph`: float32 when act_q is None, else int8.

    `batch` sets the leading dimension of every activation (1 for the
    committed models; larger copies evaluate a whole test split in one run).
    `output` names a layer to end the model at (default: the last layer).
    """
    m = Model(description=description)
    int8 = act_q is not None
    qlayers = quantize(graph, params, act_q) if int8 else {}
    dtype = "INT8" if int8 else "FLOAT32"
    tensors = {}

    def act(name, shape, quant_of=None):
        """An activation tensor, quantized like tensor `quant_of` (or like
        itself)."""
        quant = {}
        if int8:
            scale, zp = act_q[quant_of or name]
            quant = {"scale": scale, "zero_point": zp}
        return m.tensor(name, [batch] + list(shape), dtype, **quant)

    def version(v):
        """Operator versions of TFLite's int8 kernels; 1 for float."""
        return v if int8 else 1

    def weights(l, shape):
        w, b = params[l.name]
        if not int8:
            return (m.const(l.name + "/weights", shape, "FLOAT32",
                            values=w.reshape(-1).tolist()),
                    m.const(l.name + "/bias", [l.cout], "FLOAT32",
                            values=b.tolist()))
        q = qlayers[l.name]
        return (m.const(l.name + "/weights", shape, "INT8",
                        values=q.w.tobytes(), scale=q.w_scales,
                        zero_point=[0] * l.cout,
                        quantized_dimension=q.axis),
                m.const(l.name + "/bias", [l.cout], "INT32",
                        values=q.b.tobytes(), scale=q.b_scales,
                        zero_point=[0] * l.cout, quantized_dimension=0))

    tensors["input"] = act("input", graph.input_shape)
    for l in graph.layers:
        x = tensors[l.inputs[0]]
        fused = "RELU" if l.relu else "NONE"
        if l.kind == "conv":
            y = act(l.name, l.shape)
            opts = {"padding": "SAME", "stride_w": l.stride,
                    "stride_h": l.stride, "fused_activation_function": fused}
            if l.dw:
                w, b = weights(l, [1, l.k, l.k, l.cout])
                opts["depth_multiplier"] = 1
                m.op("DEPTHWISE_CONV_2D", [x, w, b], [y], version=version(3),
                     options=("DepthwiseConv2DOptions", opts))
            else:
                w, b = weights(l, [l.cout, l.k, l.k, l.cin])
                m.op("CONV_2D", [x, w, b], [y], version=version(3),
                     options=("Conv2DOptions", opts))
        elif l.kind == "add":
            y = act(l.name, l.shape)
            m.op("ADD", [x, tensors[l.inputs[1]]], [y], version=version(2),
                 options=("AddOptions", {"fused_activation_function": fused}))
        elif l.kind == "gap":
            h, w_, c = graph.shape_of(l.inputs[0])
            pooled = act(l.name + "/avg", [1, 1, c], quant_of=l.name)
            m.op("AVERAGE_POOL_2D", [x], [pooled], version=version(2),
                 options=("Pool2DOptions", {
                     "padding": "VALID", "stride_w": 1, "stride_h": 1,
                     "filter_width": w_, "filter_height": h,
                     "fused_activation_function": "NONE"}))
            y = act(l.name, [c])
            shape = m.const(l.name + "/shape", [2], "INT32",
                            values=[batch, c])
            m.op("RESHAPE", [pooled, shape], [y], options=(
                "ReshapeOptions", {"new_shape": [batch, c]}))
        else:  # fc
            y = act(l.name, l.shape)
            w, b = weights(l, [l.cout, l.cin])
            m.op("FULLY_CONNECTED", [x, w, b], [y], version=version(4),
                 options=("FullyConnectedOptions",
                          {"fused_activation_function": fused}))
        tensors[l.name] = y
        if l.name == output:
            break
    m.inputs([tensors["input"]])
    m.outputs([tensors[output or graph.layers[-1].name]])
    return m


def quantize_input(images):
    """float images in [0,1] -> int8 bytes: round(p*255) - 128."""
    q = np.round(images.astype(np.float64) / INPUT_SCALE) + INPUT_ZERO_POINT
    return np.clip(q, -128, 127).astype(np.int8)


# -- int8 reference arithmetic (numpy) ----------------------------------------
def _srdhm(a, b):
    """SaturatingRoundingDoublingHighMul on int64 arrays of int32 values."""
    ab = a * np.int64(b)
    nudge = np.where(ab >= 0, np.int64(1 << 30), np.int64(1 - (1 << 30)))
    v = ab + nudge
    q = np.abs(v) >> 31          # C++ division truncates toward zero
    return np.where(v >= 0, q, -q)


def _rdbpot(x, e):
    """RoundingDivideByPOT: x / 2^e rounded half away from zero."""
    if e == 0:
        return x
    mask = np.int64((1 << e) - 1)
    rem = x & mask
    threshold = (mask >> 1) + (x < 0)
    return (x >> e) + (rem > threshold)


def _mbqm(x, multiplier, shift):
    """MultiplyByQuantizedMultiplier for one (multiplier, shift) pair."""
    left, right = max(shift, 0), max(-shift, 0)
    x = x * np.int64(1 << left)
    assert np.all(np.abs(x) < 2 ** 31), "int32 overflow in requantization"
    return _rdbpot(_srdhm(x, multiplier), right)


def _requantize(acc, mults, zp, lo, hi):
    """acc [..., C] int64; mults a (multiplier, shift) per channel."""
    out = np.empty_like(acc)
    for c, (m, s) in enumerate(mults):
        out[..., c] = _mbqm(acc[..., c], m, s)
    return np.clip(out + zp, lo, hi)


def _relu_floor(fused, zp):
    """Lower clamp of an int8 output: the zero point under a fused ReLU
    (TFLite's CalculateActivationRange), else -128."""
    return max(-128, zp) if fused else -128


class Int8Sim:
    """TFLite reference int8 arithmetic for an exported graph."""

    def __init__(self, graph, params, act_q):
        self.graph = graph
        self.act_q = act_q
        self.q = quantize(graph, params, act_q)

    def _conv(self, l, x):
        """x: int64 [N,H,W,C] with the zero point still in."""
        s_in, zp_in = self.act_q[l.inputs[0]]
        s_out, zp_out = self.act_q[l.name]
        q = self.q[l.name]
        n, h, w, c = x.shape
        top, bottom = same_pads(h, l.k, l.stride)
        left, right = same_pads(w, l.k, l.stride)
        # Padding points contribute 0 to TFLite's sum of (x - zp) * w.
        xp = np.pad(x - zp_in, ((0, 0), (top, bottom), (left, right), (0, 0)))
        oh, ow = l.shape[0], l.shape[1]
        patches = np.stack([
            xp[:, ky:ky + (oh - 1) * l.stride + 1:l.stride,
               kx:kx + (ow - 1) * l.stride + 1:l.stride, :]
            for ky in range(l.k) for kx in range(l.k)], axis=3)
        # patches: [N, OH, OW, K*K, C]; float64 sums of int products are exact.
        patches = patches.astype(np.float64)
        if l.dw:
            wk = q.w.reshape(l.k * l.k, l.cout).astype(np.float64)
            acc = np.einsum("nhwkc,kc->nhwc", patches, wk)
        else:
            wk = q.w.reshape(l.cout, l.k * l.k * l.cin).astype(np.float64)
            acc = patches.reshape(n, oh, ow, -1) @ wk.T
        acc = acc.astype(np.int64) + q.b.astype(np.int64)
        mults = [quantize_multiplier(f32(s_in) * f32(ws) / f32(s_out))
                 for ws in q.w_scales]
        return _requantize(acc, mults, zp_out,
                           _relu_floor(l.relu, zp_out), 127)

    def _fc(self, l, x):
        s_in, zp_in = self.act_q[l.inputs[0]]
        s_out, zp_out = self.act_q[l.name]
        q = self.q[l.name]
        acc = ((x - zp_in).astype(np.float64) @ q.w.astype(np.float64).T)
        acc = acc.astype(np.int64) + q.b.astype(np.int64)
        mults = [quantize_multiplier(f32(s_in) * f32(ws) / f32(s_out))
                 for ws in q.w_scales]
        return _requantize(acc, mults, zp_out,
                           _relu_floor(l.relu, zp_out), 127)

    def _add(self, l, a, b):
        (sa, za), (sb, zb) = (self.act_q[i] for i in l.inputs)
        so, zo = self.act_q[l.name]
        twice_max = 2.0 * max(f32(sa), f32(sb))
        ma = quantize_multiplier(f32(sa) / twice_max)
        mb = quantize_multiplier(f32(sb) / twice_max)
        mo = quantize_multiplier(twice_max / ((1 << 20) * f32(so)))
        x1 = _mbqm((a - za) * (1 << 20), *ma)
        x2 = _mbqm((b - zb) * (1 << 20), *mb)
        return np.clip(_mbqm(x1 + x2, *mo) + zo,
                       _relu_floor(l.relu, zo), 127)

    @staticmethod
    def _avg(x):
        """Whole-map average with TFLite's rounding: [N,H,W,C] -> [N,C]."""
        count = x.shape[1] * x.shape[2]
        s = x.sum(axis=(1, 2))
        # C++ integer division truncates toward zero.
        num = np.where(s > 0, s + count // 2, s - count // 2)
        return np.sign(num) * (np.abs(num) // count)

    def run(self, x_int8, batch=500):
        """int8 [N,28,28,1] -> int8 logits [N, classes]."""
        outs = []
        for i in range(0, len(x_int8), batch):
            values = {"input": x_int8[i:i + batch].astype(np.int64)}
            for l in self.graph.layers:
                ins = [values[n] for n in l.inputs]
                if l.kind == "conv":
                    y = self._conv(l, ins[0])
                elif l.kind == "add":
                    y = self._add(l, *ins)
                elif l.kind == "gap":
                    y = self._avg(ins[0])
                else:
                    y = self._fc(l, ins[0])
                values[l.name] = y
            outs.append(values[self.graph.layers[-1].name].astype(np.int8))
        return np.concatenate(outs)
