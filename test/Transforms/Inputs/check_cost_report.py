#!/usr/bin/env python3
"""Checks the cost columns of a --filterlet-prune report.

    check_cost_report.py REPORT [--pruned-pay] [--flash-at-most B]
                         [--instructions-at-most N] [--macs-at-most N]

--pruned-pay: every layer with sparsity > 0 has fewer flash bytes and
instructions now than dense. The budgets are checked against every estimate line
("<core> estimate: flash A -> B bytes, C -> D instructions, E -> F MACs").
"""

import argparse
import re
import sys

ap = argparse.ArgumentParser()
ap.add_argument("report")
ap.add_argument("--pruned-pay", action="store_true")
ap.add_argument("--flash-at-most", type=float)
ap.add_argument("--instructions-at-most", type=float)
ap.add_argument("--macs-at-most", type=float)
args = ap.parse_args()
text = open(args.report).read()
pruned = 0
for line in text.splitlines():
    m = re.match(r"\s*(\d+) .* (\d\.\d{3})\s+(\d+)/(\d+)\s+(\d+)/(\d+)", line)
    if not m:
        continue
    layer, sparsity = int(m.group(1)), float(m.group(2))
    fd, fn, idense, inow = (int(m.group(k)) for k in range(3, 7))
    if args.pruned_pay and sparsity > 0:
        pruned += 1
        if not (fn < fd and inow < idense):
            sys.exit(f"check_cost_report: layer {layer} at {sparsity} does "
                     f"not pay: flash {fd}->{fn}, instructions {idense}->{inow}")
if args.pruned_pay and pruned == 0:
    sys.exit("check_cost_report: no layer was pruned")
# Every estimate line: a report of several modules (--split-input-file)
# has one each.
estimates = re.findall(r"estimate: flash (\d+) -> (\d+) bytes, (\d+) -> (\d+) "
                       r"instructions, (\d+) -> (\d+) MACs", text)
if not estimates:
    sys.exit("check_cost_report: no estimate line")
for m in estimates:
    flash, insns, macs = int(m[1]), int(m[3]), int(m[5])
    for value, limit, what in ((flash, args.flash_at_most, "flash"),
                               (insns, args.instructions_at_most,
                                "instructions"),
                               (macs, args.macs_at_most, "MACs")):
        if limit is not None and value > limit:
            sys.exit(f"check_cost_report: {what} {value} above the budget "
                     f"{limit}")
print(f"check_cost_report: {pruned} pruned layers pay; flash {flash}, "
      f"instructions {insns}, MACs {macs}")
