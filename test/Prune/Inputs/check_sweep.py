#!/usr/bin/env python3
"""check_sweep.py sweep.json: recomputes each Pareto front from the runs'
figures and checks it against the flags, and that the estimated
instructions fall run after run (the test's pipelines prune more and
more)."""

import json
import sys

runs = json.load(open(sys.argv[1]))["runs"]
for cost, flag in (("flash_bytes", "pareto_flash"),
                   ("arena_bytes", "pareto_arena"),
                   ("instructions", "pareto_instructions")):
    for i, r in enumerate(runs):
        dominated = any(
            o[cost] <= r[cost] and o["quality"] >= r["quality"] and
            (o[cost] < r[cost] or o["quality"] > r["quality"])
            for j, o in enumerate(runs) if j != i)
        if dominated == r[flag]:
            print("FAIL: run %d %s" % (i, flag))
            sys.exit(1)
instr = [r["instructions"] for r in runs]
if not all(a > b for a, b in zip(instr, instr[1:])):
    print("FAIL: instructions %s" % instr)
    sys.exit(1)
print("%d runs, fronts consistent, instructions fall with sparsity"
      % len(runs))
