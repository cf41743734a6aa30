#!/usr/bin/env python3
"""check_report.py OUTDIR STDOUT: checks the report `tinyprune prune` wrote
to OUTDIR against the table it printed (STDOUT), and prints one line per
file: what it holds."""

import json
import os
import re
import sys
import xml.dom.minidom

out, table = sys.argv[1], open(sys.argv[2]).read()
report = json.load(open(os.path.join(out, "report.json")))


def fail(msg):
    print("FAIL: " + msg)
    sys.exit(1)


rows = {"params (non-zero)": "params",
        "flash: constants (bytes)": "flash_constant_bytes",
        "peak RAM: arena (bytes)": "arena_bytes", "MACs": "macs",
        "instructions (estimated)": "instructions"}
for line in table.splitlines():
    for label, key in rows.items():
        if line.startswith(label):
            before, after = [int(v) for v in line[len(label):].split()[:2]]
            for side, value in (("before", before), ("after", after)):
                if round(report[side][key]) != value:
                    fail("%s %s: table %d, json %s" % (side, key, value,
                                                        report[side][key]))
# Totals are the sums of the layers (params, MACs, instructions).
for side in ("before", "after"):
    for key in ("params", "macs", "instructions"):
        total = sum(l[side][key] for l in report["layers"] if l[side])
        if abs(total - report[side][key]) > 1e-6 * max(1, total):
            fail("%s %s: layers sum to %s, total %s" % (side, key, total,
                                                        report[side][key]))
if report["quality_metric"]:
    m = re.search(re.escape(report["quality_metric"]) +
                  r" \((\d+) samples\) +([\d.]+)% +([\d.]+)%", table, re.M)
    if not m or int(m.group(1)) != report["eval_samples"]:
        fail("quality line")
    for side, text in (("before", m.group(2)), ("after", m.group(3))):
        if abs(100 * report[side]["quality"] - float(text)) > 0.006:
            fail("%s quality: table %s, json %s" % (side, text,
                                                    report[side]["quality"]))
print("report.json: %d layers, quality_metric %s, %d samples, matches the "
      "table" % (len(report["layers"]), report["quality_metric"] or "none",
                 report["eval_samples"]))
md = open(os.path.join(out, "report.md")).read()
layer_rows = [l for l in md.split("## Layers")[1].splitlines()
              if l.startswith("| ") and not l.startswith("| layer")]
if len(layer_rows) != len(report["layers"]):
    fail("report.md has %d layer rows" % len(layer_rows))
print("report.md: %d layer rows" % len(layer_rows))
svg = xml.dom.minidom.parse(os.path.join(out, "layers.svg"))
print("layers.svg: %d bars" % len(svg.getElementsByTagName("rect")))
