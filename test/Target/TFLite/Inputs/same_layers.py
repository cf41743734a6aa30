#!/usr/bin/env python3
"""same_layers.py A.mlir B.mlir: whether two raised modules hold the same
constants (in any order) and the same convolution layer ops (attributes and
types, operands aside), filterlet lists ignored (an exported file is
dense). Prints "constants same|differ, layers same|differ"."""

import re
import sys


def parts(path):
    text = re.sub(r"filterlets = #tinyprune\.filterlets<[^>]*>, ", "",
                  open(path).read())
    consts, layers = [], []
    for line in text.splitlines():
        line = re.sub(r"^\s*%\d+ = ", "", line)
        if line.startswith('"tosa.const"'):
            consts.append(line)
        elif line.startswith("tinyprune.conv2d") or \
                line.startswith("tinyprune.depthwise_conv2d"):
            layers.append(line[line.index("{"):])
    return sorted(consts), layers


a, b = parts(sys.argv[1]), parts(sys.argv[2])
print("constants %s, layers %s" % ("same" if a[0] == b[0] else "differ",
                                    "same" if a[1] == b[1] else "differ"))
