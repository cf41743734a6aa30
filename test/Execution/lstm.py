# `tinyprune run` computes TFLite Micro's int8 UNIDIRECTIONAL_SEQUENCE_LSTM
# byte for byte. The expected outputs (every time step's hidden state) come
# from utils/tflref_lstm.py, a plain-Python statement of TFLite Micro's
# integer LSTM that shares no code with the runtime kernel (rt/lstm.h).
# The models (utils/lstmgen.py) are laid out as TFLite's converter writes a
# quantized Keras LSTM; the state starts from TFLite Micro's reset values
# on every invocation.
#
# RUN: %python %s %t
# RUN: tinyprune run %t/lstm_b1.tflite --input %t/lstm_b1.in --output %t/lstm_b1.out
# RUN: cmp %t/lstm_b1.out %t/lstm_b1.expected
# RUN: tinyprune run %t/lstm_b2.tflite --input %t/lstm_b2.in --output %t/lstm_b2.out
# RUN: cmp %t/lstm_b2.out %t/lstm_b2.expected
# RUN: tinyprune run %t/lstm_time_major.tflite --input %t/lstm_time_major.in --output %t/lstm_time_major.out
# RUN: cmp %t/lstm_time_major.out %t/lstm_time_major.expected
# RUN: tinyprune run %t/lstm_clipped.tflite --input %t/lstm_clipped.in --output %t/lstm_clipped.out
# RUN: cmp %t/lstm_clipped.out %t/lstm_clipped.expected

import os
import random
import sys

import tflref as ref
from lstmgen import lstm_case

out = sys.argv[1]
os.makedirs(out, exist_ok=True)


def save(name, seed, **kw):
    model, inputs, expected = lstm_case(random.Random(seed), name=name, **kw)
    model.write(os.path.join(out, name + ".tflite"))
    with open(os.path.join(out, name + ".in"), "wb") as f:
        f.write(ref.to_bytes(inputs))
    with open(os.path.join(out, name + ".expected"), "wb") as f:
        f.write(ref.to_bytes(expected))
    return expected


# TFLite Micro's mnist_lstm layout: batch 1, cell scale 2^-12, clip 10.
save("lstm_b1", 1, batch=1, time=6, n_in=8, hidden=12, cell_scale=2.0 ** -12,
     hidden_q=(0.0078, 0))
# Two sequences, each its own state rows; an asymmetric hidden state.
save("lstm_b2", 2, batch=2, time=5, n_in=7, hidden=9, hidden_q=(0.0091, -6))
# Time major: all sequences advance together.
save("lstm_time_major", 3, batch=3, time=4, n_in=6, hidden=8,
     time_major=True, cell_scale=2.0 ** -10, cell_clip=0.0)
# A tight cell clip (0.5): the test fails here unless the clip changes the
# result, so the comparison covers the clipping.
clipped = dict(batch=1, time=8, n_in=10, hidden=16, in_q=(0.05, 4))
with_clip = save("lstm_clipped", 5, cell_clip=0.5, **clipped)
_, _, without_clip = lstm_case(random.Random(5), cell_clip=0.0, **clipped)
assert with_clip != without_clip, "the cell clip has no effect"
