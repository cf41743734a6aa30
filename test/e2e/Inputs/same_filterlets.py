#!/usr/bin/env python3
"""Checks that two .mlir files keep the same filterlets: the same
`#tinyprune.filterlets<...>` attributes, in the same order, and at least
one.

    same_filterlets.py BEFORE.mlir AFTER.mlir
"""

import re
import sys

PATTERN = re.compile(r"#tinyprune\.filterlets<[^>]*>")


def filterlets(path):
    with open(path) as f:
        return PATTERN.findall(f.read())


before, after = filterlets(sys.argv[1]), filterlets(sys.argv[2])
if not before:
    sys.exit(f"same_filterlets: {sys.argv[1]} has no filterlets")
if before != after:
    sys.exit(f"same_filterlets: {len(before)} pruned layers before, "
             f"{len(after)} after, or their kept filterlets differ")
print(f"same_filterlets: {len(before)} pruned layers kept as they were")
