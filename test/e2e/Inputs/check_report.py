#!/usr/bin/env python3
"""Checks a calibrated --filterlet-prune report: every pruned layer's
re-solved reconstruction error is below its masked error, and the re-solve
recovers at least half of the error summed over the pruned layers.

    check_report.py REPORT
"""

import sys

rows = []
with open(sys.argv[1]) as f:
    for line in f:
        fields = line.split()
        if len(fields) >= 9 and fields[0].isdigit() and fields[-1] != "-":
            rows.append((int(fields[0]), float(fields[-2]), float(fields[-1])))
if not rows:
    sys.exit("check_report: no pruned layer in the report")
for layer, masked, solved in rows:
    if not solved <= masked:
        sys.exit(f"check_report: layer {layer}: re-solved error {solved} "
                 f"above masked {masked}")
masked = sum(r[1] for r in rows)
solved = sum(r[2] for r in rows)
if not solved <= 0.5 * masked:
    sys.exit(f"check_report: re-solving recovers too little: {solved} of "
             f"{masked}")
print(f"check_report: {len(rows)} pruned layers, error {masked:.4f} -> "
      f"{solved:.4f}")
