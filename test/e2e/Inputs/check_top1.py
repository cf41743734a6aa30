#!/usr/bin/env python3
"""Checks the top-1 accuracy in a `tinyprune eval --json` report against
bounds (in percent).

    check_top1.py REPORT.json [--min P] [--max P]
"""

import argparse
import json
import sys

ap = argparse.ArgumentParser()
ap.add_argument("report")
ap.add_argument("--min", type=float, default=0.0)
ap.add_argument("--max", type=float, default=100.0)
args = ap.parse_args()
with open(args.report) as f:
    top1 = 100.0 * json.load(f)["top1_accuracy"]
if not args.min <= top1 <= args.max:
    sys.exit(f"check_top1: {top1:.2f}% outside [{args.min}, {args.max}]")
print(f"check_top1: {top1:.2f}%")
