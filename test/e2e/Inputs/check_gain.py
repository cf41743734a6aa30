#!/usr/bin/env python3
"""Checks that the top-1 accuracy of one `tinyprune eval --json` report
exceeds another's by at least a number of points.

    check_gain.py BEFORE.json AFTER.json --min-gain P
"""

import argparse
import json
import sys

ap = argparse.ArgumentParser()
ap.add_argument("before")
ap.add_argument("after")
ap.add_argument("--min-gain", type=float, required=True)
args = ap.parse_args()


def top1(path):
    with open(path) as f:
        return 100.0 * json.load(f)["top1_accuracy"]


b, a = top1(args.before), top1(args.after)
if a - b < args.min_gain:
    sys.exit(f"check_gain: {b:.2f}% -> {a:.2f}%, less than "
             f"{args.min_gain} points gained")
print(f"check_gain: {b:.2f}% -> {a:.2f}% (+{a - b:.2f})")
