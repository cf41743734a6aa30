#!/usr/bin/env python3
"""Writes calibration and check inputs for the calibrated --filterlet-prune
tests: random 28x28x1 images in [0, 1) (float32 .npy), a wrongly shaped
.npy, and one raw float32 and one raw int8 input for `tinyprune run`.

    calib_data.py OUTDIR
"""

import os
import random
import struct
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "..",
                                "utils"))
from npygen import write_npy  # noqa: E402

out = sys.argv[1]
rng = random.Random(11)
# Smooth blobs rather than white noise: neighbouring pixels correlate, as
# in images, so the layers' inputs are far from white.
images = []
for _ in range(48):
    cx, cy = rng.uniform(6, 22), rng.uniform(6, 22)
    r = rng.uniform(3, 9)
    img = []
    for y in range(28):
        for x in range(28):
            d = ((x - cx) ** 2 + (y - cy) ** 2) / (r * r)
            img.append(min(1.0, max(0.0, 1.0 - d + rng.uniform(-0.1, 0.1))))
    images.append(img)
write_npy(os.path.join(out, "calib.npy"), [v for im in images for v in im],
          shape=[48, 28, 28, 1])
write_npy(os.path.join(out, "wrong.npy"), [0.0] * (4 * 10 * 10),
          shape=[4, 10, 10, 1])
with open(os.path.join(out, "in_f32.bin"), "wb") as f:
    f.write(struct.pack("<784f", *images[0]))
with open(os.path.join(out, "in_i8.bin"), "wb") as f:
    # The int8 fixtures' input: scale 1/255, zero point -128.
    f.write(bytes((int(round(v * 255)) - 128) & 0xFF for v in images[0]))
