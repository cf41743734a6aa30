#!/usr/bin/env python3
"""Counts the depthwise weight constants (tensor<KHxKWxCx1x...>, the second
operand of a tosa.depthwise_conv2d) of PRUNED that differ from every one of
ORIGINAL, and checks the pass left their count alone.

    depthwise_changed.py ORIGINAL.mlir PRUNED.mlir
prints "depthwise weights: N of M changed".
"""

import re
import sys

CONST = re.compile(r'(%\S+) = "tosa.const"\(\) <\{values = (dense<.*?>) : '
                   r'(tensor<[^>]*>)\}>')
DEPTHWISE = re.compile(r'tosa.depthwise_conv2d %\S+, (%\S+),')


def depthwise_weights(path):
    with open(path) as f:
        text = f.read()
    consts = {name: (values, ty) for name, values, ty in CONST.findall(text)}
    return [consts[w] for w in DEPTHWISE.findall(text)]


a, b = depthwise_weights(sys.argv[1]), depthwise_weights(sys.argv[2])
if len(a) != len(b) or not a:
    sys.exit(f"depthwise_changed: {len(a)} depthwise weights became {len(b)}")
changed = sum(1 for w in b if w not in a)
print(f"depthwise weights: {changed} of {len(b)} changed")
