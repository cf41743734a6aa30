#!/usr/bin/env python3
"""Checks that pruning only masked weights: every weight constant of the
pruned module is the original one with some values zeroed, and all other
constants (biases, multipliers, shifts, scales) are unchanged.

    same_constants.py ORIGINAL.mlir PRUNED.mlir
"""

import re
import sys
from collections import Counter

CONST = re.compile(r'"tosa.const"\(\) <\{values = (dense<.*?>) : (tensor<[^>]*>)\}>'
                   r'(?: \{tinyprune.quant = (#tinyprune.quant<[^>]*>)\})?')


def constants(path):
    with open(path) as f:
        return [m.groups() for m in CONST.finditer(f.read())]


def is_weight(ty):
    return ty.count("x") == 4  # tensor<OxHxWxIxT>: a 4-D weight


a, b = constants(sys.argv[1]), constants(sys.argv[2])
if len(a) != len(b):
    sys.exit(f"same_constants: {len(a)} constants became {len(b)}")
# The pass may move constants; compare them as multisets.
if Counter((t, q) for _, t, q in a) != Counter((t, q) for _, t, q in b):
    sys.exit("same_constants: a constant changed type or scale")
if (Counter(c for c in a if not is_weight(c[1])) !=
        Counter(c for c in b if not is_weight(c[1]))):
    sys.exit("same_constants: a bias, multiplier or shift changed")
before = Counter(c for c in a if is_weight(c[1]))
changed = sum(1 for c in b if is_weight(c[1]) and before[c] == 0)
if changed == 0:
    sys.exit("same_constants: no weight was masked")
print(f"same_constants: {changed} weight constants masked, nothing else")
