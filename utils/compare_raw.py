#!/usr/bin/env python3
"""compare_raw: element-wise comparison of two raw tensor files.

    compare_raw.py a.bin b.bin --dtype int8|float32
                   [--max-abs-diff N] [--max-rel-diff R] [--report]

Both files hold the same tensor as raw little-endian bytes. Prints one
summary line:

    compare_raw: N elements, max |diff| D (at i), differing K, \
argmax a=I b=J agree|DIFFER

and exits 1 when a bound is exceeded (or the files do not match in size),
0 otherwise. --max-rel-diff bounds |a-b| / max(|a|, |b|) for elements where
that denominator is non-zero. --report also lists the differing elements.
Standard library only.
"""

import argparse
import math
import struct
import sys

DTYPES = {
    "int8": ("b", 1),
    "uint8": ("B", 1),
    "int16": ("h", 2),
    "int32": ("i", 4),
    "float32": ("f", 4),
}


def load(path, dtype):
    fmt, size = DTYPES[dtype]
    with open(path, "rb") as f:
        data = f.read()
    if len(data) % size:
        raise ValueError("%s: %d bytes is not a whole number of %s elements"
                         % (path, len(data), dtype))
    return list(struct.unpack("<%d%s" % (len(data) // size, fmt), data))


def argmax(values):
    best = None
    for i, v in enumerate(values):
        if isinstance(v, float) and math.isnan(v):
            continue
        if best is None or v > values[best]:
            best = i
    return best


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("a")
    parser.add_argument("b")
    parser.add_argument("--dtype", required=True, choices=sorted(DTYPES))
    parser.add_argument("--max-abs-diff", type=float, default=None,
                        help="largest allowed |a - b| (default: 0, exact)")
    parser.add_argument("--max-rel-diff", type=float, default=None,
                        help="largest allowed |a - b| / max(|a|, |b|)")
    parser.add_argument("--report", action="store_true",
                        help="list every differing element")
    args = parser.parse_args(argv)

    try:
        a = load(args.a, args.dtype)
        b = load(args.b, args.dtype)
    except (OSError, ValueError) as e:
        print("compare_raw: error: %s" % e)
        return 1
    if len(a) != len(b):
        print("compare_raw: error: %s has %d elements, %s has %d"
              % (args.a, len(a), args.b, len(b)))
        return 1

    max_abs, max_abs_at = 0.0, None
    max_rel, max_rel_at = 0.0, None
    differing = []
    for i, (x, y) in enumerate(zip(a, b)):
        if x == y:
            continue
        nan = (isinstance(x, float) and math.isnan(x)) or \
              (isinstance(y, float) and math.isnan(y))
        if nan and math.isnan(x) and math.isnan(y):
            continue
        differing.append(i)
        d = math.inf if nan else abs(x - y)
        if max_abs_at is None or d > max_abs:
            max_abs, max_abs_at = d, i
        denom = max(abs(x), abs(y))
        if denom:
            r = math.inf if nan else d / denom
            if max_rel_at is None or r > max_rel:
                max_rel, max_rel_at = r, i

    am_a, am_b = argmax(a), argmax(b)
    fmt_num = (lambda v: "%g" % v) if args.dtype == "float32" else \
        (lambda v: "%d" % v if v != math.inf else "inf")
    line = "compare_raw: %d elements, max |diff| %s" % (len(a),
                                                         fmt_num(max_abs))
    if max_abs_at is not None:
        line += " (at %d)" % max_abs_at
    if args.max_rel_diff is not None:
        line += ", max rel diff %g" % max_rel
    line += ", differing %d, argmax a=%s b=%s %s" % (
        len(differing), am_a, am_b, "agree" if am_a == am_b else "DIFFER")
    print(line)
    if args.report:
        for i in differing:
            print("  [%d] a=%s b=%s" % (i, a[i], b[i]))

    failed = []
    abs_bound = args.max_abs_diff
    if abs_bound is None and args.max_rel_diff is None:
        abs_bound = 0.0
    if abs_bound is not None and max_abs > abs_bound:
        failed.append("max |diff| %s > %s" % (fmt_num(max_abs),
                                               "%g" % abs_bound))
    if args.max_rel_diff is not None and max_rel > args.max_rel_diff:
        failed.append("max rel diff %g > %g" % (max_rel, args.max_rel_diff))
    if failed:
        print("compare_raw: FAIL: " + "; ".join(failed))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
