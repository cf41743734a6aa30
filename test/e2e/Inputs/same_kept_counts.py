#!/usr/bin/env python3
"""Checks that two .mlir files prune the same layers' filters to the same
numbers of filterlets (which filterlets may differ): the
`#tinyprune.filterlets<...>` attributes, in order, have the same block and,
filter by filter, the same count of kept ids, and there is at least one.

    same_kept_counts.py ONE.mlir OTHER.mlir
"""

import re
import sys

PATTERN = re.compile(r"#tinyprune\.filterlets<block = (\d+), kept = (.*?)>")


def counts(path):
    with open(path) as f:
        return [(int(block), [len(re.findall(r"\d+", filt))
                              for filt in re.findall(r"\[([^\[\]]*)\]", kept)])
                for block, kept in PATTERN.findall(f.read())]


one, other = counts(sys.argv[1]), counts(sys.argv[2])
if not one:
    sys.exit(f"same_kept_counts: {sys.argv[1]} has no filterlets")
if one != other:
    sys.exit(f"same_kept_counts: the blocks or the kept counts per filter "
             f"differ: {one} against {other}")
print(f"same_kept_counts: {len(one)} pruned layers, "
      f"{sum(sum(k) for _, k in one)} filterlets kept in both")
