#!/usr/bin/env python3
"""Fits the instruction coefficients of the MCU cost model
(lib/Analysis/CostModel.cpp) to instruction counts measured under QEMU.

    /usr/bin/python3 bench/cost_model_fit.py [--cores cortex-m4,...]
                                             [--emit] [--json FILE]
    /usr/bin/python3 bench/cost_model_fit.py --models [--sparsity 0.5]

For each core (Cortex-M0+: ARMv6-M code on mps2-an385; M4F: mps2-an386;
M7: mps2-an500, as bench/mcu_bench.py builds them, GCC -Os) it builds
test/mcu/Inputs/cost_model.cpp with a table of kernel calls and counts
each call's instructions with the plugin of shared/mcu-kit:

* dense int8 convolutions on each of the kernel's paths (pointwise,
  fully-connected, small-filter patches, blocked with border windows),
  3x3/1x1/5x5/10x4, 1 to 128 channels, strides 1 and 2, with and without
  an input zero point;
* the sparse filterlet kernels (int8 and float) at filterlet sparsity 0 to
  0.9, block lengths 4, 8, 16 and inC (first layers over 1 to 3 channels
  included);
* dense float convolutions, depthwise int8/float, int8 add, pools,
  softmax and requantize.

The training cases come from a fixed seed; a disjoint held-out set (other
geometries, another seed) checks the fit. Each kernel kind gets a linear
model over counts of its loops' iterations (features() below, mirrored by
CostModel.cpp), fitted by non-negative least squares on relative error (no
negative coefficient: more work never costs less). Prints the
coefficients, the relative error table of the held-out cases, and with
--emit the C++ table to paste into CostModel.cpp.

--models compares instead the cost model's whole-model totals
(`tinyprune-opt --tinyprune-model-stats=core=...`) with measured
inferences of the MLPerf Tiny models (as bench/mcu_bench.py runs them),
after `--tinyprune-raise-to-layers --filterlet-prune=sparsity=S` with
--sparsity S.
"""

import argparse
import datetime
import json
import os
import random
import re
import subprocess
import sys
import tempfile

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
INPUTS = os.path.join(ROOT, "test", "mcu", "Inputs")
sys.path.insert(0, INPUTS)
import run_firmware  # noqa: E402

KIT = os.path.join(ROOT, "..", "shared", "mcu-kit", "insncount.c")
KINDS = {"conv_i8": 0, "sparse_i8": 1, "conv_f32": 2, "sparse_f32": 3,
         "dw_i8": 4, "dw_f32": 5, "add_i8": 6, "maxpool_i8": 7,
         "avgpool_i8": 8, "softmax_i8": 9, "requant_i8": 10,
         "fc16_i8": 11, "dw3x3_i8": 12, "addtab_i8": 13, "dw3x3any_i8": 14}
# The kernels that exist on DSP cores only (M0+ runs those layers through
# conv_i8_fc and dw_i8).
DSP_ONLY = {"fc16_i8", "dw3x3_i8", "dw3x3any_i8"}
FIELDS = ["batches", "inH", "inW", "inC", "outC", "kH", "kW", "outH", "outW",
          "strideH", "strideW", "dilationH", "dilationW", "padTop", "padLeft",
          "block", "sparsity", "zp"]
CXX_CORE = {"cortex-m0plus": "M0Plus", "cortex-m4": "M4", "cortex-m7": "M7"}
DSP = {"cortex-m0plus": False, "cortex-m4": True, "cortex-m7": True}

# ---------------------------------------------------------------------------
# Geometry helpers (as conv.h / sparse_conv.h compute them)
# ---------------------------------------------------------------------------


def taps(origin, dil, k, extent):
    """In-bounds taps of a window starting at `origin`."""
    return sum(1 for t in range(k) if 0 <= origin + t * dil < extent)


def axis(pad, stride, dil, k, extent, out):
    """Per output position: in-bounds taps; and the inside range [lo, hi)."""
    t = [taps(o * stride - pad, dil, k, extent) for o in range(out)]
    inside = [o for o in range(out)
              if o * stride - pad >= 0 and
              o * stride - pad + (k - 1) * dil <= extent - 1]
    lo, hi = (inside[0], inside[-1] + 1) if inside else (0, 0)
    return t, lo, hi


def ceil_div(a, b):
    return -(-a // b)


def conv_path(c):
    """Which path convPerChannelInt8 takes (right-shift multipliers)."""
    pixels = c["batches"] * c["outH"] * c["outW"]
    if (c["kH"] == 1 and c["kW"] == 1 and c["strideH"] == 1 and
            c["strideW"] == 1 and c["padTop"] == 0 and c["padLeft"] == 0 and
            c["zp"] == 0 and c["outH"] == c["inH"] and
            c["outW"] == c["inW"] and (pixels >= 2 or c["outC"] >= 4)):
        return "fc" if pixels == 1 else "pointwise"
    if c["kH"] * c["kW"] * c["inC"] <= 64 and c["dilationW"] == 1:
        return "patch"
    return "blocked"


def model_of(kind, c):
    if kind == "conv_i8":
        return "conv_i8_" + conv_path(c)
    if kind == "fc16_i8":
        return "conv_i8_fc16"  # fullyConnectedW16Int8
    if kind == "dw3x3_i8":
        return "dw_i8_same3x3"  # depthwiseConv3x3SameInt8
    if kind == "dw3x3any_i8":
        return "dw_i8_3x3"  # depthwiseConv3x3Int8
    if kind == "addtab_i8":
        return "add_i8_table"  # addTableInt8
    if kind == "dw_i8" and not (c["inC"] >= 4 and c["kH"] * c["kW"] <= 16):
        return "dw_i8_general"  # depthwiseConvPerChannelInt8's slow path
    return kind


WINDOW_WORDS, PASS_CHANNELS = 512, 32  # sparse_conv.h's kWindowWords, kChannels


def regroup_chunk(groups, outc):
    """sparse_conv.h's regroupChunk: channels per pass of a regrouped
    filter (0: straight from the input)."""
    room = WINDOW_WORDS - 9 * groups - 1
    chunk = room // (2 * groups + 1) if room > 0 else 0
    return min(chunk, PASS_CHANNELS, outc)


def kept_groups(c, kept):
    """Expected kept groups of four window elements of a regrouped filter
    (B % 4 != 0) when `kept` of its filterlets are kept at random: a group
    is kept when one of the filterlets it spans is."""
    B, C = c["block"], c["outC"]
    window = c["kH"] * c["kW"] * c["inC"]
    ids = window // B
    k = kept / (C * ids) if ids else 0.0
    total = 0.0
    for g in range((window + 3) // 4):
        first, last = 4 * g // B, (min(4 * g + 4, window) - 1) // B
        total += 1.0 - (1.0 - k) ** (last - first + 1)
    return C * total


def dsp_sparse_features(c, K):
    """rt/sparse_conv.h's DSP kernel (mirrored by CostModel.cpp): blocks of
    four pixels, up to 32 channels per pass; per block and segment of
    filterlets the windows' lanes gathered, each channel's kept filterlets
    swept (dotQuad per four weights), then the block requantized. Filters
    with B % 4 != 0 are regrouped into groups of four window elements
    (B = 4 over ceil(window / 4) ids) and their windows staged as bytes."""
    B, C = c["block"], c["outC"]
    kh, kw, ic = c["kH"], c["kW"], c["inC"]
    P = c["batches"] * c["outH"] * c["outW"]
    window = kh * kw * ic
    if B % 4 == 0:
        groups, kept, chunk = B // 4, K, PASS_CHANNELS
        ids = window // B
        most = max(1, WINDOW_WORDS // (2 * B))
        segs = ceil_div(ids, most)
        gathered, staged = window // 4, 0
    else:
        groups, segs = 1, 1
        gathered = ceil_div(window, 4)
        kept = kept_groups(c, K)
        chunk = max(1, regroup_chunk(gathered, C))
        staged = window
    passes = ceil_div(C, chunk)
    blocks = ceil_div(P, 4)
    lone = 1 if (P % 4 == 1 and segs == 1) else 0
    quads = blocks - lone
    return [kept * groups * quads, kept * quads, kept * groups * lone,
            C * quads * segs, C * quads * (segs - 1), C * P,
            passes * P * gathered, passes * P * (kh + segs - 1),
            passes * blocks * segs, passes * P * staged, C, 1]


def features(kind, c, core, kept):
    """The feature vector of one call (see CostModel.cpp, same order)."""
    dsp = DSP[core]
    n, C, ic = c["batches"], c["outC"], c["inC"]
    kh, kw = c["kH"], c["kW"]
    ty, ylo, yhi = axis(c["padTop"], c["strideH"], c["dilationH"], kh,
                        c["inH"], c["outH"])
    tx, xlo, xhi = axis(c["padLeft"], c["strideW"], c["dilationW"], kw,
                        c["inW"], c["outW"])
    P = n * c["outH"] * c["outW"]
    Ty, Tx = sum(ty), sum(tx)
    nin_y, nin_x = yhi - ylo, xhi - xlo
    model = model_of(kind, c)
    oc2 = ceil_div(C, 2)
    if model == "conv_i8_fc":
        b4 = ceil_div(C, 4)
        return [4 * b4 * ic, b4, 1]
    if model == "conv_i8_fc16":
        return [C * ic, C // 4, 1]
    if model == "conv_i8_pointwise":
        return [P * 2 * oc2 * ic, ceil_div(P, 2) * oc2, oc2, 1]
    if model == "conv_i8_patch":
        fs = kh * kw * ic
        passes = ceil_div(C, 32)
        pp = n * c["outH"] * ceil_div(c["outW"], 2)
        return [pp * 2 * oc2 * 4 * ceil_div(fs, 4), pp * oc2,
                pp * passes * kh, pp * passes * 2 * ceil_div(fs, 4),
                C * fs, 1]
    if model == "conv_i8_blocked":
        border_x = c["outW"] - nin_x
        tx_border = Tx - sum(tx[xlo:xhi])
        runs_per_row = (border_x if c["dilationW"] == 1 else tx_border)
        macs_in = 2 * oc2 * n * Ty * nin_x * kw * ic
        calls_in = oc2 * n * Ty * ceil_div(nin_x, 2)
        rows_in = oc2 * n * c["outH"] * (1 if nin_x > 0 else 0)
        macs_b = 2 * oc2 * n * Ty * tx_border * ic
        windows_b = oc2 * n * c["outH"] * border_x
        runs_b = oc2 * n * Ty * runs_per_row
        # Starting values re-summed where the in-bounds rows change.
        changes = 0
        if nin_x > 0 and c["zp"] != 0:
            prev = None
            for oy in range(c["outH"]):
                y0 = oy * c["strideH"] - c["padTop"]
                r = tuple(t for t in range(kh)
                          if 0 <= y0 + t * c["dilationH"] < c["inH"])
                if r != prev:
                    changes += len(r) * kw * ic
                    prev = r
        return [macs_in, calls_in, rows_in, macs_b, windows_b, runs_b,
                2 * oc2 * changes * n, oc2, 1]
    if model == "conv_f32":
        return [C * n * Ty * Tx * ic, C * n * Ty * Tx, C * P, 1]
    if model == "dw_i8":
        g = ceil_div(C, 4)
        inside_ok = (not dsp) or (kh == 3 and kw == 3)
        win = n * nin_y * nin_x if inside_ok else 0
        clipped_taps = n * Ty * Tx - win * kh * kw
        clipped_rows = n * Ty * c["outW"] - win * kh
        return [g * win * kh * kw, g * win, g * (P - win), g * clipped_taps,
                g * clipped_rows, g * n * c["outH"], g, 1]
    if model == "dw_i8_same3x3":
        # Per group of four channels: outputs (window and requantization,
        # the strip row copy), rows, the group's set-up.
        g = C // 4
        return [g * P, g * n * c["outH"], g, 1]
    if model == "dw_i8_3x3":
        # Per group of four channels: outputs, row-loop entries (the
        # clipped left column, the inside run, the clipped right column),
        # the group's set-up (three weight tables).
        g = C // 4
        s, pl, W = c["strideW"], c["padLeft"], c["outW"]
        first = 1 if pl > 0 and W > 0 else 0
        last = min(W, max(first, (c["inW"] - 3 + pl) // s + 1))
        entries = first + (1 if last > first else 0) + (1 if last < W else 0)
        return [g * P, g * n * c["outH"] * entries, g, 1]
    if model == "dw_i8_general":
        return [C * n * Ty * Tx, C * n * Ty * c["outW"], C * P, 1]
    if model == "dw_f32":
        return [C * n * Ty * Tx, C * P, 1]
    if model in ("sparse_i8", "sparse_f32"):
        B = c["block"]
        K = kept
        flat = (kh == 1 and kw == 1 and c["strideH"] == 1 and
                c["strideW"] == 1 and c["padTop"] == 0 and
                c["padLeft"] == 0 and c["outH"] == c["inH"] and
                c["outW"] == c["inW"])
        # Interior runs: (pixels per run, count) per channel.
        if flat:
            runs = [P]
        else:
            runs = [nin_x] * (n * nin_y) if nin_x > 0 else []
        # Clipped calls per channel: (in-bounds taps, pixels).
        calls = []
        for b in range(n):
            for oy in range(c["outH"]):
                if ylo <= oy < yhi and not flat:
                    continue
                if flat:
                    break
                ox = 0
                while ox < c["outW"]:
                    if xlo <= ox and ox + 1 < xhi:  # inside columns pair up
                        calls.append((ty[oy] * kw, 2))
                        ox += 2
                    else:
                        calls.append((ty[oy] * tx[ox], 1))
                        ox += 1
            if flat:
                continue
            for ox in list(range(0, xlo)) + list(range(xhi, c["outW"])):
                oy = ylo
                while oy < yhi:
                    pair = oy + 1 < yhi
                    if model == "sparse_f32":
                        calls.append((kh * tx[ox], 1))
                        oy += 1
                    else:
                        calls.append((kh * tx[ox], 2 if pair else 1))
                        oy += 2
        inside_px = sum(runs)
        kB = K * B
        macs_in = kB * inside_px
        if model == "sparse_f32":
            # Interior pixels pair along rows; each call visits all kept.
            icalls = sum(ceil_div(r, 2) for r in runs)
            macs_b = sum(kB * t * p for t, p in calls) / (kh * kw)
            return [macs_in + macs_b, K * (icalls + len(calls)), C * P, C, 1]
        if dsp:
            return dsp_sparse_features(c, K)
        # Interior runs go in fours (quadDot), the last one to three
        # pixels in pairs and a single (constant-bound loops for B = 8, 16).
        nrun = sum(r // 4 + ceil_div(r % 4, 2) for r in runs)
        visits_in = K * nrun
        tail_macs = kB * sum(r % 4 for r in runs)
        quad_macs = macs_in - tail_macs
        inner = 0 if B in (8, 16) else tail_macs
        macs_b = sum(kB * t * p for t, p in calls) / (kh * kw)
        border_out = sum(p for _, p in calls)
        zp_sum = kB if (c["zp"] != 0) else 0
        # Channels that keep a filterlet (the others store one constant):
        # the expectation for K kept filterlets drawn at random over the
        # layer, as the harness draws them (CostModel.cpp takes the
        # layer's actual count).
        ids = kh * kw * (ic // B) if B <= ic else 0
        n_all = C * ids
        p_empty = 1.0
        for i in range(ids):
            p_empty *= max(0.0, (n_all - K - i) / (n_all - i))
        cne = C * (1.0 - p_empty) if ids > 0 else 0.0
        return [quad_macs, visits_in, tail_macs, inner, cne * inside_px,
                cne * nrun, K * len(calls), macs_b, cne * border_out,
                zp_sum, C, 1]
    if model in ("add_i8", "add_i8_table", "requant_i8"):
        return [n * c["inH"] * c["inW"] * ic, 1]
    if model in ("maxpool_i8", "avgpool_i8"):
        return [ic * n * Ty * Tx, ic * n * Ty * c["outW"], ic * P, P, 1]
    if model == "softmax_i8":
        rows = n * c["inH"] * c["inW"]
        return [rows * ic, rows, 1]
    raise ValueError(model)


# ---------------------------------------------------------------------------
# Cases
# ---------------------------------------------------------------------------


def out_size(extent, k, stride, dil, same):
    span = (k - 1) * dil + 1
    if same:
        out = ceil_div(extent, stride)
        pad = max(0, (out - 1) * stride + span - extent)
        return out, pad // 2
    return (extent - span) // stride + 1, 0


def conv_case(r, hw, ic, oc, k, stride, same, zp, dil=1, batches=1):
    kh, kw = k
    oh, pt = out_size(hw[0], kh, stride, dil, same)
    ow, pl = out_size(hw[1], kw, stride, dil, same)
    return {"batches": batches, "inH": hw[0], "inW": hw[1], "inC": ic,
            "outC": oc, "kH": kh, "kW": kw, "outH": oh, "outW": ow,
            "strideH": stride, "strideW": stride, "dilationH": dil,
            "dilationW": dil, "padTop": pt, "padLeft": pl, "block": 0,
            "sparsity": 0, "zp": zp}


def fits(c, limit=64 * 1024):
    return (c["batches"] * c["inH"] * c["inW"] * c["inC"] <= limit and
            c["outC"] * c["kH"] * c["kW"] * c["inC"] <= limit and
            c["batches"] * c["outH"] * c["outW"] * c["outC"] <= limit and
            c["outC"] <= 512 and c["outH"] > 0 and c["outW"] > 0)


def make_cases(seed, count_scale=1.0):
    """A spread of calls of every kind, drawn from `seed`."""
    r = random.Random(seed)
    cases = []

    def add(kind, c, limit=64 * 1024):
        if fits(c, limit):
            cases.append((kind, c))

    chans = [1, 3, 4, 8, 12, 16, 24, 32, 48, 64, 96, 128]
    n = lambda k: max(1, int(k * count_scale))  # noqa: E731
    for _ in range(n(40)):  # dense int8: every path
        k = r.choice([(1, 1), (1, 1), (3, 3), (3, 3), (5, 5), (10, 4),
                      (3, 1)])
        hw = (r.choice([1, 3, 5, 8, 12, 16, 24, 32]),) * 2
        if k == (10, 4):
            hw = (r.choice([20, 49]), r.choice([5, 10]))
        ic, oc = r.choice(chans), r.choice(chans)
        same = r.random() < 0.7 and k != (1, 1)
        stride = r.choice([1, 1, 2])
        zp = 0 if (k == (1, 1) and stride == 1) else r.choice([0, -128, 5])
        add("conv_i8", conv_case(r, hw, ic, oc, k, stride, same, zp))
    for _ in range(n(10)):  # fully-connected
        add("conv_i8", conv_case(r, (1, 1), r.choice([16, 64, 128, 256, 640]),
                                 r.choice([4, 10, 32, 128, 256]), (1, 1), 1,
                                 False, 0))
    for _ in range(n(45)):  # sparse int8
        k = r.choice([(1, 1), (1, 1), (3, 3), (3, 3), (5, 5)])
        hw = (r.choice([3, 5, 8, 12, 16, 24]),) * 2
        ic = r.choice([8, 16, 32, 64, 96, 128])
        oc = r.choice([8, 16, 32, 64, 128])
        same = r.random() < 0.7 and k != (1, 1)
        stride = r.choice([1, 1, 2])
        zp = 0 if not same else r.choice([0, -128, 5])
        c = conv_case(r, hw, ic, oc, k, stride, same, zp)
        c["block"] = ic if k != (1, 1) else r.choice([4, 8, 16])
        c["sparsity"] = r.choice([0, 30, 50, 70, 90])
        add("sparse_i8", c)
    rf = random.Random(seed + 1000)  # its own stream: the others unchanged
    for _ in range(n(8)):  # sparse first layers: B = inC = 1 to 3
        k = rf.choice([(3, 3), (3, 3), (5, 5), (10, 4)])
        hw = (rf.choice([8, 14, 16, 28, 32]),) * 2
        if k == (10, 4):
            hw = (49, 10)
        ic = rf.choice([1, 1, 2, 3])
        c = conv_case(rf, hw, ic, rf.choice([8, 16, 32, 64]), k,
                      rf.choice([1, 2]), True, rf.choice([0, -128]))
        c["block"] = ic
        c["sparsity"] = rf.choice([0, 30, 50, 70, 90])
        add("sparse_i8", c)
    for _ in range(n(8)):  # sparse fully-connected
        c = conv_case(r, (1, 1), r.choice([64, 128, 256]),
                      r.choice([16, 64, 128]), (1, 1), 1, False, 0)
        c["block"] = r.choice([8, 16])
        c["sparsity"] = r.choice([0, 50, 90])
        add("sparse_i8", c)
    for _ in range(n(12)):  # float
        k = r.choice([(1, 1), (3, 3)])
        c = conv_case(r, (r.choice([4, 6, 8]),) * 2, r.choice([3, 8, 16]),
                      r.choice([4, 8, 16]), k, r.choice([1, 2]),
                      k != (1, 1) and r.random() < 0.7, 0)
        add("conv_f32", c, 16 * 1024)
        s = dict(c)
        s["block"] = s["inC"] if k != (1, 1) else min(8, s["inC"])
        s["sparsity"] = r.choice([0, 50, 90])
        if s["inC"] % s["block"] == 0:
            add("sparse_f32", s, 16 * 1024)
    for _ in range(n(20)):  # depthwise
        k = r.choice([(3, 3), (3, 3), (5, 5), (3, 1)])
        ch = r.choice([4, 8, 16, 32, 64, 96, 128])
        hw = (r.choice([3, 5, 6, 12, 24, 48]),) * 2
        c = conv_case(r, hw, ch, ch, k, r.choice([1, 1, 2]),
                      r.random() < 0.8, r.choice([0, -128, 3]))
        add("dw_i8", c)
    for _ in range(n(4)):
        c = conv_case(r, (r.choice([4, 8]),) * 2, 8, 8, (3, 3), 1, True, 0)
        add("dw_f32", c, 16 * 1024)
    for _ in range(n(6)):  # element-wise and friends
        hw = r.choice([1, 4, 8, 16, 32])
        ch = r.choice([8, 16, 32, 64])
        add("add_i8", conv_case(r, (hw, hw), ch, ch, (1, 1), 1, False, 0))
        add("requant_i8", conv_case(r, (hw, hw), ch, ch, (1, 1), 1, False, 0))
        k = r.choice([2, 3])
        pool = conv_case(r, (hw * 2, hw * 2), ch, ch, (k, k), 2,
                         r.random() < 0.5, 0)
        add("maxpool_i8", pool)
        g = conv_case(r, (hw, hw), ch, ch, (hw, hw), 1, False, 0)
        add("avgpool_i8", g)
        add("softmax_i8", conv_case(r, (r.choice([1, 4]), 1),
                                    r.choice([2, 10, 12, 64]),
                                    1, (1, 1), 1, False, 0))
    # The compiler-prepared kernels, from a stream of their own (the cases
    # above stay the same).
    rp = random.Random(seed + 2000)
    for _ in range(n(10)):  # fully-connected, int16 weights
        add("fc16_i8", conv_case(rp, (1, 1), rp.choice([16, 64, 128, 256, 640]),
                                 rp.choice([4, 16, 32, 128, 256]), (1, 1), 1,
                                 False, 0))
    for _ in range(n(10)):  # 3x3 'same' depthwise on rows of <= 14 columns
        ch = rp.choice([4, 8, 16, 32, 64, 96, 128])
        hw = (rp.choice([1, 3, 5, 7, 10, 12, 14]),) * 2
        if rp.random() < 0.3:  # KWS-like maps: tall and narrow
            hw = (rp.choice([12, 25, 49]), rp.choice([3, 5, 10]))
        add("dw3x3_i8", conv_case(rp, hw, ch, ch, (3, 3), 1, True,
                                  rp.choice([0, -128, 3])))
    for _ in range(n(10)):  # 3x3 depthwise of any width, stride 1 or 2
        ch = rp.choice([4, 8, 16, 32, 64, 96, 128])
        hw = (rp.choice([3, 6, 12, 24, 48]),) * 2
        add("dw3x3any_i8", conv_case(rp, hw, ch, ch, (3, 3),
                                     rp.choice([1, 2]), rp.random() < 0.8,
                                     rp.choice([0, -128, 3])))
    for _ in range(n(6)):  # same-shape adds from tables
        hw = rp.choice([1, 4, 8, 16, 32])
        ch = rp.choice([8, 16, 32, 64])
        add("addtab_i8", conv_case(rp, (hw, hw), ch, ch, (1, 1), 1, False, 0))
    return cases


def case_line(kind, c):
    vals = [KINDS[kind]] + [c[f] for f in FIELDS[:-3]] + [
        c["block"], c["sparsity"], c["zp"]]
    return "{" + ", ".join(str(v) for v in vals) + "},\n"


def for_core(core, cases):
    """The cases whose kernel exists on `core`."""
    return [(k, c) for k, c in cases if DSP[core] or k not in DSP_ONLY]


def measure(core, cases, plugin, work):
    """Instruction counts and kept filterlets of `cases` on `core`."""
    counts, kept = [], []
    for start in range(0, len(cases), 200):
        chunk = cases[start:start + 200]
        inc = os.path.join(work, "cases.inc")
        with open(inc, "w") as f:
            f.writelines(case_line(k, c) for k, c in chunk)
        elf, board = run_firmware.build(
            core, os.path.join(INPUTS, "cost_model.cpp"),
            [f'COST_CASES="{inc}"'], work, "-Os")
        status, out, marks = run_firmware.run(elf, board, plugin)
        lines = [l.split() for l in out.splitlines() if l.startswith("case ")]
        if status != 0 or len(marks) != 2 * len(chunk) or \
                len(lines) != len(chunk):
            sys.exit(f"cost_model_fit: {core} failed (status {status})\n"
                     + out)
        counts += [marks[2 * i + 1] - marks[2 * i] for i in range(len(chunk))]
        kept += [int(l[3]) for l in lines]
    return counts, kept


# ---------------------------------------------------------------------------
# Fitting
# ---------------------------------------------------------------------------


def nnls(A, b, iters=500):
    """Lawson-Hanson non-negative least squares: min |Ax - b|, x >= 0."""
    m, n = A.shape
    x = np.zeros(n)
    passive = np.zeros(n, dtype=bool)
    w = A.T @ (b - A @ x)
    for _ in range(iters):
        if passive.all() or w[~passive].max() <= 1e-10 * max(1, abs(w).max()):
            break
        j = np.where(~passive, w, -np.inf).argmax()
        passive[j] = True
        while True:
            z = np.zeros(n)
            z[passive] = np.linalg.lstsq(A[:, passive], b, rcond=None)[0]
            if (z[passive] > 0).all():
                x = z
                break
            neg = passive & (z <= 0)
            alpha = np.min(x[neg] / (x[neg] - z[neg]))
            x = x + alpha * (z - x)
            passive &= x > 1e-12
        w = A.T @ (b - A @ x)
    return x


def fit(rows):
    """Coefficients minimizing the relative error of rows (features, y)."""
    A = np.array([f for f, _ in rows], dtype=float)
    y = np.array([v for _, v in rows], dtype=float)
    weights = 1.0 / y
    # Scale columns for conditioning, fit, unscale.
    scale = np.maximum(np.abs(A * weights[:, None]).max(axis=0), 1e-30)
    x = nnls(A * weights[:, None] / scale, np.ones_like(y))
    return x / scale


def predict(coef, f):
    return float(np.dot(coef, f))


MODELS = [("VWW", "vww_96_int8", "vww_input0_int8"),
          ("KWS", "kws_ref_model", "kws_input0_int8"),
          ("IC", "pretrainedResnet_quant", "ic_input0_int8"),
          ("AD", "ad01_int8", "ad_input0_int8")]


def whole_models(build, cores, sparsity, plugin, tmp):
    """The cost model's totals against measured MLPerf Tiny inferences
    (compiled and run as bench/mcu_bench.py does), optionally after
    --filterlet-prune."""
    shared = os.path.join(ROOT, "..", "shared", "models", "mlperf-tiny")
    tool = lambda name: os.path.join(build, "bin", name)  # noqa: E731
    print(f"\n== whole models (filterlet sparsity {sparsity})")
    print(f"{'model':5} {'core':14} {'measured':>11} {'estimate':>11} "
          f"{'error':>7} {'const B':>8} {'flash B':>8}")
    for label, name, sample in MODELS:
        mlir = os.path.join(tmp, name + ".mlir")
        subprocess.run([tool("tinyprune-translate"), "--import-tflite",
                        os.path.join(shared, name + ".tflite"), "-o", mlir],
                       check=True)
        if sparsity > 0:
            # Pruned as layer ops, compiled as TOSA.
            subprocess.run([tool("tinyprune-opt"), mlir,
                            "--tinyprune-raise-to-layers",
                            f"--filterlet-prune=sparsity={sparsity}",
                            "--tinyprune-lower-layers-to-tosa", "-o",
                            mlir + ".pruned"], check=True)
            mlir += ".pruned"
        gen = os.path.join(tmp, name)
        subprocess.run([tool("tinyprune"), "compile", mlir, "-o", gen,
                        "--name", "m"], check=True, capture_output=True)
        for core in cores:
            stats = subprocess.run(
                [tool("tinyprune-opt"), mlir,
                 f"--tinyprune-model-stats=core={core}", "-o", os.devnull],
                check=True, capture_output=True, text=True).stderr
            total = re.search(r"cost-model total: .* (\d+) flash bytes, "
                              r"\d+ MACs, (\d+) instructions", stats)
            run = subprocess.run(
                [sys.executable, os.path.join(INPUTS, "run_mcu.py"),
                 "--core", core, "--gen", gen, "--name", "m", "--input",
                 os.path.join(shared, "samples", sample + ".bin"),
                 "--output", os.path.join(gen, core + ".out"),
                 "--plugin", plugin], check=True, capture_output=True,
                text=True).stdout
            val = {k: int(v) for k, v in re.findall(r"^(\w+) (\d+)$", run,
                                                     re.M)}
            est = int(total.group(2))
            print(f"{label:5} {core:14} {val['instructions']:11} {est:11} "
                  f"{est / val['instructions'] - 1:+7.1%} {val['rodata']:8} "
                  f"{total.group(1):>8}")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--models", action="store_true",
                    help="compare whole MLPerf Tiny models instead of fitting")
    ap.add_argument("--sparsity", type=float, default=0.0,
                    help="with --models: --filterlet-prune sparsity")
    ap.add_argument("--build", default=os.path.join(ROOT, "build"))
    ap.add_argument("--cores", default="cortex-m0plus,cortex-m4,cortex-m7")
    ap.add_argument("--emit", action="store_true",
                    help="print the C++ coefficient table")
    ap.add_argument("--json", help="write the coefficients and errors here")
    args = ap.parse_args()
    if not os.path.exists(KIT):
        sys.exit("cost_model_fit: needs ../shared/mcu-kit")
    if args.models:
        with tempfile.TemporaryDirectory() as tmp:
            plugin = os.path.join(tmp, "libinsncount.so")
            subprocess.run(["gcc", "-shared", "-fPIC", "-O2", "-o", plugin,
                            KIT], check=True)
            whole_models(args.build, args.cores.split(","), args.sparsity,
                         plugin, tmp)
        return
    train = make_cases(1, 3.0)
    held = make_cases(2, 1.0)
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        plugin = os.path.join(tmp, "libinsncount.so")
        subprocess.run(["gcc", "-shared", "-fPIC", "-O2", "-o", plugin, KIT],
                       check=True)
        for core in args.cores.split(","):
            ct, kt = measure(core, for_core(core, train), plugin, tmp)
            ch, kh = measure(core, for_core(core, held), plugin, tmp)
            results[core] = (ct, kt, ch, kh)
    coefs = {}
    report = []
    models = sorted({model_of(k, c) for k, c in train})
    for core, (ct, kt, ch, kh) in results.items():
        by_model = {}
        for (kind, c), y, k in zip(for_core(core, train), ct, kt):
            by_model.setdefault(model_of(kind, c), []).append(
                (features(kind, c, core, k), y))
        coefs[core] = {m: fit(rows) for m, rows in sorted(by_model.items())}
        print(f"\n== {core}: coefficients (instructions per feature unit)")
        for m, x in coefs[core].items():
            tr = [abs(predict(x, f) / y - 1) for f, y in by_model[m]]
            print(f"{m:18} n={len(tr):3} train max err {max(tr):6.1%}  "
                  + " ".join(f"{v:.4g}" for v in x))
        print(f"\n== {core}: held-out cases")
        print(f"{'model':18} {'geometry':44} {'measured':>10} "
              f"{'estimate':>10} {'error':>7}")
        errs = {}
        for (kind, c), y, k in zip(for_core(core, held), ch, kh):
            m = model_of(kind, c)
            if m not in coefs[core]:
                continue
            est = predict(coefs[core][m], features(kind, c, core, k))
            e = est / y - 1
            errs.setdefault(m, []).append(abs(e))
            geo = (f"{c['inH']}x{c['inW']}x{c['inC']}->{c['outC']} "
                   f"k{c['kH']}x{c['kW']} s{c['strideH']} p{c['padTop']} "
                   f"zp{c['zp']}")
            if kind.startswith("sparse"):
                geo += f" B{c['block']} s{c['sparsity']}%"
            print(f"{m:18} {geo:44} {y:10} {est:10.0f} {e:+7.1%}")
        print(f"\n== {core}: held-out relative error per model")
        for m, e in sorted(errs.items()):
            report.append((core, m, len(e), float(np.mean(e)), max(e)))
            print(f"{m:18} n={len(e):3} mean {np.mean(e):6.1%} "
                  f"max {max(e):6.1%}")
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"coefficients": {c: {m: list(map(float, x))
                                            for m, x in d.items()}
                                        for c, d in coefs.items()},
                       "heldout": report}, f, indent=1)
    if args.emit:
        # CostModel.cpp's Coefficients: one array per model, in this order.
        print(f"\n// Fitted by bench/cost_model_fit.py on "
              f"{datetime.date.today()}.")
        # Models without a kernel on a core (DSP_ONLY on M0+) get zeros.
        width = {m: len(x) for d in coefs.values() for m, x in d.items()}
        for core, d in coefs.items():
            print(f"const Coefficients k{CXX_CORE[core]} = {{")
            for m in models:
                x = d.get(m, [0] * width[m])
                print(f"    /*{m}*/ {{" +
                      ", ".join(f"{v:.6g}" for v in x) + "},")
            print("};")


if __name__ == "__main__":
    main()
