#!/usr/bin/env python3
"""Fidelity of a pruned model to its dense original on inputs without
labels (the MLPerf Tiny IC and VWW models, whose data sets are not here).

Top-1 agreement on uniform random inputs says little: the dense VWW model
gives the same class to all of them and IC to most, so a model with a
constant output agrees as well as a faithful one. This module measures
instead, on an input set on which the dense model's top-1 is spread over
the classes:

- `agreement`: the share of inputs on which the pruned model's top-1 is
  the dense model's, printed beside `majority`, the share of the most
  common dense top-1 in the set: a model that always answers one class
  scores at most `majority`;
- `output_error`: the dequantized outputs' squared difference to the
  dense ones, divided by the dense outputs' variance over the set
  (sum over inputs and outputs of (y - y_dense)^2 / sum of
  (y_dense - mean_input(y_dense))^2). A faithful model scores 0; any
  model whose output does not depend on the input scores >= 1, since the
  per-output mean is the constant closest to the dense outputs;
- `mean_abs_change`: mean |y - y_dense| in output units (probabilities
  for a softmax output), for scale.

The input set: the kit's sample input, then inputs picked from a pool of
synthetic images (uniform noise, smooth random colour fields, random
shapes, stripes, Fashion-MNIST images scaled to the input and coloured,
and mild variations of the sample input when it is not a constant image)
so that each class the dense model predicts on the pool gets up to
`per_class` inputs, in pool order. The pool is drawn with a fixed seed;
it is not natural data, so the figures are fidelity to the dense model,
not accuracy.

Outputs come from the generated C++ built for the host (`tinyprune
compile`, g++ -O2) with a batch harness; `check_against_interpreter`
compares a few of them with `tinyprune run`.
"""

import os
import re
import subprocess

import numpy as np

HARNESS = r"""
#include <cstdio>
#include <vector>
#define TP_CAT2(a, b) a##b
#define TP_CAT(a, b) TP_CAT2(a, b)
// Runs the model on each input of a file of concatenated raw inputs and
// writes the concatenated outputs.
int main(int argc, char **argv) {
  if (argc != 3) return 2;
  std::vector<unsigned char> in(TP_CAT(MODEL, _INPUT_BYTES));
  std::vector<unsigned char> out(TP_CAT(MODEL, _OUTPUT_BYTES));
  std::FILE *f = std::fopen(argv[1], "rb"), *g = std::fopen(argv[2], "wb");
  if (!f || !g) return 1;
  while (std::fread(in.data(), 1, in.size(), f) == in.size()) {
    if (TP_CAT(MODEL, _invoke)(in.data(), out.data()) != 0) return 1;
    if (std::fwrite(out.data(), 1, out.size(), g) != out.size()) return 1;
  }
  return std::fclose(g) == 0 ? 0 : 1;
}
"""


def output_quant(mlir_text):
    """(scale, zero point) of the int8 result of @main."""
    m = re.search(r"func\.func @main\(.*\) -> \(?tensor<[^>]*xi8> "
                  r"\{tinyprune\.quant = #tinyprune\.quant<scale = "
                  r"([-0-9.e+]+), zero_point = (-?\d+)>", mlir_text)
    if not m:
        raise ValueError("@main has no quantized int8 result")
    return float(m.group(1)), int(m.group(2))


def build_host(gen, name, work):
    """A host binary running the compiled model `gen`/`name` on a batch."""
    os.makedirs(work, exist_ok=True)
    src = os.path.join(work, "batch.cpp")
    with open(src, "w") as f:
        f.write(HARNESS)
    exe = os.path.join(work, "batch")
    subprocess.run(["g++", "-std=c++17", "-O2", "-I" + gen, "-include",
                    os.path.join(gen, name + ".h"), f"-DMODEL={name}",
                    os.path.join(gen, name + ".cpp"), src, "-o", exe],
                   check=True)
    return exe


def run_batch(exe, xs, work):
    """Raw int8 outputs [N, outputs] of the host binary on inputs xs."""
    inp, out = os.path.join(work, "batch.in"), os.path.join(work, "batch.out")
    np.ascontiguousarray(xs, dtype=np.int8).tofile(inp)
    subprocess.run([exe, inp, out], check=True)
    y = np.fromfile(out, dtype=np.int8)
    return y.reshape(len(xs), -1)


def check_against_interpreter(tinyprune, mlir, xs, ys, work):
    """Each of xs through `tinyprune run` must give the same bytes as ys."""
    for i, (x, y) in enumerate(zip(xs, ys)):
        inp = os.path.join(work, f"check{i}.in")
        out = os.path.join(work, f"check{i}.out")
        np.ascontiguousarray(x, dtype=np.int8).tofile(inp)
        subprocess.run([tinyprune, "run", mlir, "--input", inp, "--output",
                        out], check=True, capture_output=True)
        if np.fromfile(out, dtype=np.int8).tobytes() != y.tobytes():
            raise RuntimeError(f"{mlir}: generated code and interpreter "
                               f"differ on check input {i}")


# --- The input pool --------------------------------------------------------


def _resize(img, h, w):
    """Bilinear resize of [H, W, C] float to [h, w, C]."""
    H, W = img.shape[:2]
    ys = np.clip((np.arange(h) + 0.5) * H / h - 0.5, 0, H - 1)
    xs = np.clip((np.arange(w) + 0.5) * W / w - 0.5, 0, W - 1)
    y0, x0 = np.floor(ys).astype(int), np.floor(xs).astype(int)
    y1, x1 = np.minimum(y0 + 1, H - 1), np.minimum(x0 + 1, W - 1)
    fy, fx = (ys - y0)[:, None, None], (xs - x0)[None, :, None]
    top = img[y0][:, x0] * (1 - fx) + img[y0][:, x1] * fx
    bot = img[y1][:, x0] * (1 - fx) + img[y1][:, x1] * fx
    return top * (1 - fy) + bot * fy


def _augment(sample, rng):
    """A mild random variation of `sample` [H, W, C]: crop to 60-100 % and
    scale back, mirror, contrast, brightness, colour cast, noise."""
    h, w, _ = sample.shape
    z = rng.uniform(0.6, 1.0)
    ch, cw = max(1, int(h * z)), max(1, int(w * z))
    y0, x0 = rng.integers(0, h - ch + 1), rng.integers(0, w - cw + 1)
    img = _resize(sample[y0:y0 + ch, x0:x0 + cw], h, w)
    if rng.random() < 0.5:
        img = img[:, ::-1]
    img = (img - 128) * rng.uniform(0.7, 1.3) + 128 + rng.uniform(-40, 40)
    img = img * rng.uniform(0.8, 1.2, sample.shape[2])
    return img + rng.normal(0, rng.uniform(0, 10), img.shape)


def pool(shape, n, seed, gray_images=None, sample=None):
    """n synthetic uint8 images [n, H, W, C], the kinds interleaved:
    uniform noise, smooth colour fields, shapes on a background, stripes,
    grey images (e.g. Fashion-MNIST) scaled up and coloured, and, when a
    sample image that is not constant is given, variations of it (every
    other image)."""
    h, w, c = shape
    rng = np.random.default_rng(seed)
    out = np.empty((n, h, w, c), np.float64)
    yy, xx = np.mgrid[0:h, 0:w]
    synthetic = 5 if gray_images is not None else 4
    varied = sample is not None and np.ptp(sample) > 0
    for i in range(n):
        if varied and i % 2:
            out[i] = _augment(np.asarray(sample, np.float64), rng)
            continue
        kind = (i // 2 if varied else i) % synthetic
        if kind == 0:  # uniform noise
            img = rng.uniform(0, 256, (h, w, c))
        elif kind == 1:  # smooth colour field
            g = rng.integers(2, 9)
            img = _resize(rng.uniform(0, 256, (g, g, c)), h, w)
            img += rng.normal(0, rng.uniform(0, 30), (h, w, c))
        elif kind == 2:  # shapes on a background
            img = np.broadcast_to(rng.uniform(0, 256, c), (h, w, c)).copy()
            for _ in range(rng.integers(1, 6)):
                cy, cx = rng.uniform(0, h), rng.uniform(0, w)
                ry, rx = rng.uniform(h / 10, h / 2), rng.uniform(w / 10, w / 2)
                if rng.random() < 0.5:
                    m = ((yy - cy) / ry) ** 2 + ((xx - cx) / rx) ** 2 <= 1
                else:
                    m = (abs(yy - cy) <= ry) & (abs(xx - cx) <= rx)
                img[m] = rng.uniform(0, 256, c)
        elif kind == 3:  # stripes
            a = rng.uniform(0, np.pi)
            t = (np.cos(a) * yy + np.sin(a) * xx) / max(h, w)
            f = rng.uniform(0.5, 8)
            base = rng.uniform(0, 256, c)
            amp = rng.uniform(-128, 128, c)
            img = base + amp * np.sin(2 * np.pi * f * t)[..., None]
        else:  # a grey image scaled up, coloured
            g = gray_images[rng.integers(len(gray_images))] / 255.0
            if rng.random() < 0.5:
                g = 1 - g
            g = _resize(g[..., None], h, w)
            img = g * rng.uniform(0, 256, c) + (1 - g) * rng.uniform(0, 256, c)
        out[i] = img
    return np.clip(np.rint(out), 0, 255).astype(np.uint8)


def balanced(top1, per_class, classes):
    """Indices into a pool: the first `per_class` of each predicted class,
    in pool order."""
    picked = []
    for k in range(classes):
        picked += list(np.flatnonzero(top1 == k)[:per_class])
    return np.array(sorted(picked), dtype=np.int64)


# --- The measure ---------------------------------------------------------


def measure(dense_raw, raw, quant):
    """Fidelity of outputs `raw` to `dense_raw` (int8 [N, K], one quant)."""
    scale, zp = quant
    yd = (dense_raw.astype(np.float64) - zp) * scale
    y = (raw.astype(np.float64) - zp) * scale
    td, t = dense_raw.argmax(1), raw.argmax(1)
    spread = np.sum((yd - yd.mean(0)) ** 2)
    counts = np.bincount(td, minlength=yd.shape[1])
    return {"samples": int(len(yd)),
            "agreement": float(np.mean(t == td)),
            "majority": float(counts.max() / len(td)),
            "dense_classes": int(np.count_nonzero(counts)),
            "output_error": float(np.sum((y - yd) ** 2) / spread)
            if spread else float("nan"),
            "mean_abs_change": float(np.mean(np.abs(y - yd)))}


def input_set(dense_exe, sample, n_pool, per_class, seed, gray_images, work):
    """The fidelity inputs (raw int8, model input = uint8 pixel - 128): the
    sample, then up to `per_class` pool images for each class the dense
    model predicts on the pool."""
    px = pool(sample.shape, n_pool, seed, gray_images,
              sample.astype(np.int16) + 128)
    xs = (px.astype(np.int16) - 128).astype(np.int8)
    top1 = run_batch(dense_exe, xs, work).argmax(1)
    picked = balanced(top1, per_class, int(top1.max()) + 1)
    return np.concatenate([sample[None].astype(np.int8), xs[picked]])
