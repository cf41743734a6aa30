#!/usr/bin/env python3
"""Writes the calibration samples of test/Transforms/filterlet-prune.mlir:
inputs of its calibrated functions (1x4x4x2, NHWC), in several forms that
must give the same or different results.

    filterlet_prune_data.py OUTDIR

calib8.npy   8 float32 samples in [-1, 1)
calib4.npy   the first 4 of them
u8.npy       8 uint8 samples
u8half.npy   the same as float32, halved (what calibration-scale=0.5
             makes of u8.npy)
wrong.npy    8 samples of the wrong shape (3x3x2)
"""

import os
import random
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "..",
                                "utils"))
from npygen import write_npy  # noqa: E402

out = sys.argv[1]
rng = random.Random(12)
size = 4 * 4 * 2
floats = [rng.uniform(-1.0, 1.0) for _ in range(8 * size)]
write_npy(os.path.join(out, "calib8.npy"), floats, shape=[8, 4, 4, 2])
write_npy(os.path.join(out, "calib4.npy"), floats[:4 * size],
          shape=[4, 4, 4, 2])
u8 = [rng.randrange(256) for _ in range(8 * size)]
write_npy(os.path.join(out, "u8.npy"), u8, shape=[8, 4, 4, 2], dtype="uint8")
write_npy(os.path.join(out, "u8half.npy"), [v * 0.5 for v in u8],
          shape=[8, 4, 4, 2])
write_npy(os.path.join(out, "wrong.npy"), [0.0] * (8 * 3 * 3 * 2),
          shape=[8, 3, 3, 2])
