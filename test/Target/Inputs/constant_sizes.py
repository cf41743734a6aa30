#!/usr/bin/env python3
"""Checks that a pruned model's constants are smaller than the dense
model's by at least a given factor, in two independent ways: the
`N constant bytes` that `tinyprune compile` reports, and the read-only data
symbols (`nm -S`, types r/R) of the two compiled objects.

    constant_sizes.py --max-ratio R DENSE.log DENSE.o PRUNED.log PRUNED.o

Prints both pairs and their ratio pruned / dense; exits 1 when either
ratio is >= R (so also when the pruned model is not smaller).
"""

import argparse
import re
import subprocess
import sys


def reported(log):
    with open(log) as f:
        m = re.search(r"(\d+) constant bytes", f.read())
    if not m:
        sys.exit(f"{log}: no 'constant bytes' line")
    return int(m.group(1))


def rodata(obj):
    out = subprocess.run(["nm", "-S", obj], check=True, capture_output=True,
                         text=True).stdout
    total = 0
    for line in out.splitlines():
        parts = line.split()
        if len(parts) >= 4 and parts[2] in ("r", "R"):
            total += int(parts[1], 16)
    if total == 0:
        sys.exit(f"{obj}: no read-only data symbols")
    return total


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--max-ratio", type=float, required=True)
    ap.add_argument("dense_log")
    ap.add_argument("dense_obj")
    ap.add_argument("pruned_log")
    ap.add_argument("pruned_obj")
    a = ap.parse_args()
    ok = True
    for what, d, p in (
            ("reported constant bytes", reported(a.dense_log),
             reported(a.pruned_log)),
            ("rodata symbol bytes", rodata(a.dense_obj),
             rodata(a.pruned_obj))):
        r = p / d
        verdict = "ok" if r < a.max_ratio else f"NOT below {a.max_ratio}"
        print(f"{what}: dense {d}, pruned {p}, ratio {r:.3f} {verdict}")
        ok = ok and r < a.max_ratio
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
