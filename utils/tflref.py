"""tflref: TFLite's int8 and uint8 reference arithmetic in plain Python integers.

An independent statement of what TFLite (Micro) reference kernels compute,
used by tests to derive expected output bytes for small models. It follows
TFLite's algorithms, not tinyprune's code: QuantizeMultiplier,
SaturatingRoundingDoublingHighMul, RoundingDivideByPOT, and the per-op
loops of conv, depthwise conv, fully-connected, add, mul and pooling.
"""

import math
import struct


def f32(x):
    """Rounds a Python float to float32, as TFLite stores scales."""
    return struct.unpack("<f", struct.pack("<f", x))[0]


def round_half_away(x):
    return math.floor(x + 0.5) if x >= 0 else -math.floor(-x + 0.5)


def quantize_multiplier(real):
    if real == 0.0:
        return 0, 0
    q, e = math.frexp(real)
    m = int(round_half_away(q * (1 << 31)))
    if m == 1 << 31:
        m //= 2
        e += 1
    if e < -31:
        return 0, 0
    return m, e


def srdhm(a, b):
    if a == b == -(1 << 31):
        return (1 << 31) - 1
    ab = a * b
    nudge = (1 << 30) if ab >= 0 else (1 - (1 << 30))
    v = ab + nudge
    # C++ integer division truncates toward zero.
    q = abs(v) >> 31
    return q if v >= 0 else -q


def rdbpot(x, e):
    mask = (1 << e) - 1
    rem = x & mask
    threshold = (mask >> 1) + (1 if x < 0 else 0)
    return (x >> e) + (1 if rem > threshold else 0)


def mbqm(x, m, shift):
    left = max(shift, 0)
    right = max(-shift, 0)
    return rdbpot(srdhm(x * (1 << left), m), right)


def act_range(act, scale, zp, qmin=-128, qmax=127):
    def q(v):
        return zp + int(round_half_away(f32(v / scale)))
    if act == "NONE":
        return qmin, qmax
    if act == "RELU":
        return max(qmin, q(0.0)), qmax
    if act == "RELU6":
        return max(qmin, q(0.0)), min(qmax, q(6.0))
    if act == "RELU_N1_TO_1":
        return max(qmin, q(-1.0)), min(qmax, q(1.0))
    raise ValueError(act)


def same_pads(size, k, s, d=1):
    out = (size + s - 1) // s
    total = max((out - 1) * s + (k - 1) * d + 1 - size, 0)
    return out, total // 2


def conv2d(x, xshape, in_q, w, wshape, w_scales, bias, out_q, stride,
           padding, act, dilation=(1, 1), depthwise=False, w_zp=0,
           qmin=-128, qmax=127):
    """NHWC int8 conv (OHWI filters) or depthwise ([1,KH,KW,C*M]); uint8
    with qmin=0, qmax=255 and the filter's zero point w_zp."""
    n, ih, iw, ic = xshape
    if depthwise:
        _, kh, kw, oc = wshape
        mult = oc // ic
    else:
        oc, kh, kw, _ = wshape
    if padding == "SAME":
        oh, pt = same_pads(ih, kh, stride[0], dilation[0])
        ow, pl = same_pads(iw, kw, stride[1], dilation[1])
    else:
        oh = (ih - (kh - 1) * dilation[0] - 1) // stride[0] + 1
        ow = (iw - (kw - 1) * dilation[1] - 1) // stride[1] + 1
        pt = pl = 0
    mults = [quantize_multiplier(f32(in_q[0]) * f32(s) / f32(out_q[0]))
             for s in w_scales]
    lo, hi = act_range(act, f32(out_q[0]), out_q[1], qmin, qmax)
    out = []
    for b in range(n):
        for oy in range(oh):
            for ox in range(ow):
                for o in range(oc):
                    acc = bias[o] if bias else 0
                    for ky in range(kh):
                        y = oy * stride[0] - pt + ky * dilation[0]
                        if not 0 <= y < ih:
                            continue
                        for kx in range(kw):
                            xx = ox * stride[1] - pl + kx * dilation[1]
                            if not 0 <= xx < iw:
                                continue
                            base = ((b * ih + y) * iw + xx) * ic
                            if depthwise:
                                c = o // mult
                                acc += (x[base + c] - in_q[1]) * \
                                    (w[(ky * kw + kx) * oc + o] - w_zp)
                            else:
                                wb = ((o * kh + ky) * kw + kx) * ic
                                for c in range(ic):
                                    acc += (x[base + c] - in_q[1]) * \
                                        (w[wb + c] - w_zp)
                    m, e = mults[o if len(mults) > 1 else 0]
                    v = mbqm(acc, m, e) + out_q[1]
                    out.append(min(max(v, lo), hi))
    return out, [n, oh, ow, oc]


def add(a, ashape, qa, b, bshape, qb, out_shape, qo, act, sub=False,
        qmin=-128, qmax=127):
    """TFLite int8 (or uint8) ADD/SUB with broadcasting (20-bit left
    shift)."""
    sa, sb, so = f32(qa[0]), f32(qb[0]), f32(qo[0])
    twice_max = 2.0 * max(sa, sb)
    if sub:
        # TFLite Micro prepares SUB in float32 (CalculateOpDataSub).
        m1 = quantize_multiplier(f32(sa / twice_max))
        m2 = quantize_multiplier(f32(sb / twice_max))
        mo = quantize_multiplier(f32(twice_max / f32((1 << 20) * so)))
    else:
        m1 = quantize_multiplier(sa / twice_max)
        m2 = quantize_multiplier(sb / twice_max)
        mo = quantize_multiplier(twice_max / ((1 << 20) * so))
    lo, hi = act_range(act, so, qo[1], qmin, qmax)
    out = []
    for k in range(prod(out_shape)):
        ia = broadcast_index(k, out_shape, ashape)
        ib = broadcast_index(k, out_shape, bshape)
        x1 = mbqm((a[ia] - qa[1]) * (1 << 20), *m1)
        x2 = mbqm((b[ib] - qb[1]) * (1 << 20), *m2)
        raw = x1 - x2 if sub else x1 + x2
        v = mbqm(raw, *mo) + qo[1]
        out.append(min(max(v, lo), hi))
    return out


def mul(a, ashape, qa, b, bshape, qb, out_shape, qo, act):
    real = f32(qa[0]) * f32(qb[0]) / f32(qo[0])
    m = quantize_multiplier(real)
    lo, hi = act_range(act, f32(qo[0]), qo[1])
    out = []
    for k in range(prod(out_shape)):
        ia = broadcast_index(k, out_shape, ashape)
        ib = broadcast_index(k, out_shape, bshape)
        v = mbqm((a[ia] - qa[1]) * (b[ib] - qb[1]), *m) + qo[1]
        out.append(min(max(v, lo), hi))
    return out


def pool_windows(x, shape, k, s, padding):
    """Yields, for each output of a 2-D pool in NHWC order, the input values
    of its window that lie inside the input (TFLite leaves padding out)."""
    n, ih, iw, c = shape
    if padding == "SAME":
        oh, pt = same_pads(ih, k[0], s[0])
        ow, pl = same_pads(iw, k[1], s[1])
    else:
        oh, ow, pt, pl = (ih - k[0]) // s[0] + 1, (iw - k[1]) // s[1] + 1, 0, 0
    for b in range(n):
        for oy in range(oh):
            for ox in range(ow):
                for ch in range(c):
                    yield [x[((b * ih + y) * iw + xx) * c + ch]
                           for ky in range(k[0]) for kx in range(k[1])
                           for y, xx in [(oy * s[0] - pt + ky,
                                          ox * s[1] - pl + kx)]
                           if 0 <= y < ih and 0 <= xx < iw]


def max_pool(x, shape, k, s, padding, lo=-128, hi=127):
    """Max pool; `lo`/`hi` are the activation range (uint8: within
    [0, 255])."""
    return [min(max(max(w), lo), hi)
            for w in pool_windows(x, shape, k, s, padding)]


def prod(shape):
    p = 1
    for d in shape:
        p *= d
    return p


def broadcast_index(k, out_shape, in_shape):
    """Index into `in_shape` (right-aligned numpy broadcasting) of output k."""
    rank = len(out_shape)
    in_full = [1] * (rank - len(in_shape)) + list(in_shape)
    idx, stride_in = 0, 1
    for d in range(rank - 1, -1, -1):
        coord = k % out_shape[d]
        k //= out_shape[d]
        if in_full[d] != 1:
            idx += coord * stride_in
        stride_in *= in_full[d]
    return idx


def avg_pool(x, shape, k, s, padding, lo, hi):
    """TFLite's integer average pool: the sum of the window's in-bounds
    values divided by their count, rounded half away from zero."""
    out = []
    for w in pool_windows(x, shape, k, s, padding):
        total, count = sum(w), len(w)
        q = (total + count // 2) // count if total >= 0 else \
            -((-total + count // 2) // count)
        out.append(min(max(q, lo), hi))
    return out


def to_bytes(values, unsigned=False):
    return struct.pack(f"<{len(values)}{'B' if unsigned else 'b'}", *values)
