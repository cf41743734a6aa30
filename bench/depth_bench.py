#!/usr/bin/env python3
"""Depth-pruning benchmark (--depth-prune, docs/depth-prune.md): the cut
`cut=auto max-accuracy-drop=D` chooses on a fixture model, measured, and
with --curve the whole accuracy/size curve over the cut points.

    /usr/bin/python3 bench/depth_bench.py [--model fashion_mobilenet_int8]
        [--limit 20000] [--epochs 8] [--qat-epochs 2] [--head 32,16]
        [--modes labels,distill] [--max-drop 1] [--curve | --bisect]
        [--train-base] [--flash-budget 20K] [--svg-dir DIR] [--vww N]
        [--test-every-cut] [--table-dir DIR]
        [--build build] [--data-dir ~/.cache/tinyprune-data]

Training samples are the first --limit images of the fixture's training
split (never the test split); --depth-prune holds out the last 20 % of them
to score the candidates. For each mode (labels: cross-entropy; distill:
distillation from the unpruned model, accuracy as top-1 agreement with it)
it runs `--depth-prune="cut=auto max-accuracy-drop=D ..."` and prints the
pass's table: every cut point with the validation accuracy of the head
trained there (with --curve all of them, else from the smallest in flash
up to the first within D points), parameters, flash and arena bytes of the
C++ lowering, MACs and the cost model's Cortex-M4 instructions. Then for
the model and the result: parameters, flash (constant bytes of `tinyprune
compile`), arena, M4F instructions (the cost model's estimate, and
measured under QEMU with the instruction-counting plugin of
../shared/mcu-kit when it and arm-none-eabi-g++ are there) and top-1 on
the whole test split (`tinyprune eval`). With --test-every-cut the pass
writes every trained candidate as a model (candidates-dir=) and each is
evaluated on the whole test split too: the curve gets a test column, and
with --table-dir it is written as MODEL-MODE.md (a Markdown table) and
MODEL-MODE-test.svg (validation and test accuracy against parameters).
Training runs with threads=1, niced: the machine is shared.
"""

import argparse
import math
import os
import re
import shutil
import struct
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SHARED = os.path.join(os.path.dirname(ROOT), "shared")


def tool(build, name):
    return os.path.join(build, "bin", name)


def raise_model(build, model, out):
    """The fixture imported and raised to layer ops, names kept."""
    imported = subprocess.run(
        [tool(build, "tinyprune-translate"), "--import-tflite", model,
         "-mlir-print-debuginfo"], check=True, capture_output=True).stdout
    subprocess.run([tool(build, "tinyprune-opt"),
                    "--tinyprune-raise-to-layers", "-mlir-print-debuginfo",
                    "-o", out], input=imported, check=True)


def depth_prune(build, model, out, options, may_fail=False):
    """Runs --depth-prune with `options`; returns (report text, seconds).
    With `may_fail`, a run that finds no cut within the bound returns its
    report (written before the error) and the error line instead of
    exiting; the text then starts with "error:"."""
    report = out + ".report"
    opts = " ".join(f"{k}={v}" for k, v in options.items())
    start = time.time()
    run = subprocess.run(
        ["nice", tool(build, "tinyprune-opt"), model,
         f"--depth-prune={opts} report={report}", "-mlir-print-debuginfo",
         "-o", out], capture_output=True, text=True)
    seconds = time.time() - start
    if (run.returncode != 0 and may_fail and os.path.exists(report)
            and "no cut point within" in run.stderr):
        with open(report) as f:
            error = run.stderr.strip().splitlines()[-1]
            return "error: " + error + "\n" + f.read(), seconds
    if run.returncode != 0:
        sys.exit(f"depth_bench: --depth-prune failed:\n{run.stderr}")
    with open(report) as f:
        return f.read(), seconds


def evaluate(build, model, data):
    out = subprocess.run(
        ["nice", tool(build, "tinyprune"), "eval", model, "--data",
         os.path.join(data, "test_x.npy"), "--labels",
         os.path.join(data, "test_y.npy"), "--threads", "1"],
        check=True, capture_output=True, text=True).stdout
    m = re.search(r"top-1 accuracy:\s+([0-9.]+)%\s+\((\d+)/(\d+)\)", out)
    return float(m.group(1)), m.group(2), m.group(3)


def stats(build, model):
    """params and MACs of `tinyprune-opt --tinyprune-model-stats`."""
    out = subprocess.run(
        [tool(build, "tinyprune-opt"), model,
         "--tinyprune-model-stats=core=cortex-m4", "-o", os.devnull],
        check=True, capture_output=True, text=True)
    return out.stdout + out.stderr


def compile_and_count(build, model, work, sample):
    """Constant and arena bytes of `tinyprune compile`, and the measured
    M4F instructions of one inference (None without the kit)."""
    gen = os.path.join(work, "gen")
    out = subprocess.run([tool(build, "tinyprune"), "compile", model, "-o",
                          gen, "--name", "m"], check=True,
                         capture_output=True, text=True).stdout
    const = int(re.search(r"(\d+) constant bytes", out).group(1))
    arena = int(re.search(r"arena (\d+) bytes", out).group(1))
    kit = os.path.join(SHARED, "mcu-kit", "insncount.c")
    if not (os.path.exists(kit) and shutil.which("arm-none-eabi-g++")
            and shutil.which("qemu-system-arm")):
        return const, arena, None
    plugin = os.path.join(work, "libinsncount.so")
    if not os.path.exists(plugin):
        subprocess.run(["gcc", "-shared", "-fPIC", "-O2", "-o", plugin, kit],
                       check=True)
    run = subprocess.run(
        [sys.executable, os.path.join(ROOT, "test", "mcu", "Inputs",
                                      "run_mcu.py"),
         "--core", "cortex-m4", "--gen", gen, "--name", "m", "--input",
         sample, "--output", os.path.join(work, "m4.out"), "--workdir",
         os.path.join(work, "w"), "--plugin", plugin],
        check=True, capture_output=True, text=True).stdout
    insns = int(re.search(r"^instructions (\d+)$", run, re.M).group(1))
    return const, arena, insns


def first_sample(data, model, path):
    """The first test image as the raw model input (int8: round(p*255) -
    128, as the fixtures' input quantization; float: as is)."""
    with open(os.path.join(data, "test_x.npy"), "rb") as f:
        raw = f.read()
    major = raw[6]
    size = struct.unpack("<H" if major == 1 else "<I",
                         raw[8:10] if major == 1 else raw[8:12])[0]
    start = (10 if major == 1 else 12) + size
    header = raw[start - size:start].decode("latin1")
    if "'<f4'" not in header:
        sys.exit("depth_bench: test_x.npy is not float32")
    x = struct.unpack("<784f", raw[start:start + 784 * 4])
    with open(path, "wb") as f:
        if model.endswith("_int8.tflite"):
            # Round half away from zero, as the fixtures' converter.
            q = [max(-128, min(127, int(math.floor(v * 255.0 + 0.5)) - 128))
                 for v in x]
            f.write(struct.pack(f"<{len(q)}b", *q))
        else:
            f.write(struct.pack(f"<{len(x)}f", *x))


ROW = re.compile(r"^\s*(\d+)\s+(\S+)\s+(\d+x\d+x\d+)\s+(\S+)\s+(\S+)\s+"
                 r"(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s*(.*)$")
FULL = re.compile(r"^\s+\(full model\)\s+(\S+)\s+(\S+)\s+(\d+)\s+(\d+)\s+"
                  r"(\d+)\s+(\d+)\s+(\d+)")


def curve_rows(text):
    """The pass's table as dicts: the model's row first (index None)."""
    rows = []
    for line in text.splitlines():
        m = FULL.match(line)
        if m:
            rows.append(dict(index=None, cut="(full model)", shape="",
                             val=m.group(1), params=int(m.group(3)),
                             flash=int(m.group(4)), arena=int(m.group(5)),
                             macs=int(m.group(6)), insns=int(m.group(7)),
                             note=""))
            continue
        m = ROW.match(line)
        if m:
            rows.append(dict(index=int(m.group(1)), cut=m.group(2),
                             shape=m.group(3), val=m.group(4),
                             params=int(m.group(6)), flash=int(m.group(7)),
                             arena=int(m.group(8)), macs=int(m.group(9)),
                             insns=int(m.group(10)), note=m.group(11)))
    return rows


def curve_table(rows):
    """Markdown: every cut point, validation and test top-1, costs."""
    out = ["| # | cut | HxWxC | val top-1 % | test top-1 % | params | "
           "flash B | arena B | MACs | M4F instructions (cost model) | |",
           "|--:|---|---|--:|--:|--:|--:|--:|--:|--:|---|"]
    for r in rows:
        idx = "" if r["index"] is None else str(r["index"])
        out.append(f"| {idx} | {r['cut']} | {r['shape']} | {r['val']} | "
                   f"{r.get('test', '-')} | {r['params']} | {r['flash']} | "
                   f"{r['arena']} | {r['macs']} | {r['insns']} | "
                   f"{r['note']} |")
    return "\n".join(out) + "\n"


def curve_svg(rows, title, path):
    """Validation and test top-1 against parameters, the model's as dashed
    lines (plain SVG)."""
    pts = [r for r in rows if r["index"] is not None and r["val"] != "-"]
    model = rows[0]
    series = [("val", "validation", "#1f77b4"), ("test", "test", "#d62728")]
    accs = [float(r[k]) for r in pts + [model] for k, _, _ in series
            if r.get(k, "-") != "-"]
    if not pts or not accs:
        return
    w, h, left, right, top, bottom = 640, 400, 60, 20, 30, 50
    xmax = max([r["params"] for r in pts] + [model["params"]]) * 1.05
    ylo = math.floor(min(accs) / 5) * 5
    yhi = max(min(100, math.ceil(max(accs) / 5) * 5), ylo + 5)

    def x(v):
        return left + (w - left - right) * v / xmax

    def y(v):
        return top + (h - top - bottom) * (yhi - v) / (yhi - ylo)
    svg = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{w}" '
           f'height="{h}" font-family="sans-serif" font-size="11">',
           f'<text x="{w / 2}" y="18" text-anchor="middle" '
           f'font-size="13">{title}</text>',
           f'<line x1="{left}" y1="{h - bottom}" x2="{w - right}" '
           f'y2="{h - bottom}" stroke="black"/>',
           f'<line x1="{left}" y1="{top}" x2="{left}" y2="{h - bottom}" '
           f'stroke="black"/>',
           f'<text x="{w / 2}" y="{h - 12}" text-anchor="middle">'
           f'parameters</text>',
           f'<text x="14" y="{h / 2}" transform="rotate(-90 14 {h / 2})" '
           f'text-anchor="middle">top-1 %</text>']
    for t in range(int(ylo), int(yhi) + 1, 5):
        svg.append(f'<text x="{left - 6}" y="{y(t) + 4:.1f}" '
                   f'text-anchor="end">{t}</text>')
    step = 10 ** math.floor(math.log10(xmax / 2))
    for t in range(0, int(xmax) + 1, int(step) * (1 if xmax / step < 8
                                                   else 2)):
        svg.append(f'<text x="{x(t):.1f}" y="{h - bottom + 15}" '
                   f'text-anchor="middle">{t}</text>')
    for key, name, colour in series:
        have = sorted((r["params"], float(r[key])) for r in pts
                      if r.get(key, "-") != "-")
        if not have:
            continue
        svg.append(f'<polyline fill="none" stroke="{colour}" points="' +
                   " ".join(f"{x(p):.1f},{y(a):.1f}" for p, a in have) +
                   '"/>')
        for p, a in have:
            svg.append(f'<circle cx="{x(p):.1f}" cy="{y(a):.1f}" r="3" '
                       f'fill="{colour}"/>')
        if model.get(key, "-") != "-":
            ma = float(model[key])
            svg.append(f'<line x1="{left}" y1="{y(ma):.1f}" x2="{w - right}" '
                       f'y2="{y(ma):.1f}" stroke="{colour}" '
                       f'stroke-dasharray="4 3"/>')
        ly = top + 14 * (1 + [s[0] for s in series].index(key))
        svg.append(f'<text x="{w - right - 150}" y="{ly}" fill="{colour}">'
                   f'{name} (dashed: model)</text>')
    for r in pts:
        svg.append(f'<text x="{x(r["params"]) + 4:.1f}" '
                   f'y="{y(float(r["val"])) - 5:.1f}" font-size="8">'
                   f'{r["cut"]}</text>')
    svg.append("</svg>")
    with open(path, "w") as f:
        f.write("\n".join(svg) + "\n")


def test_every_cut(args, data, raised, cands, text, mode):
    """Each candidate the pass wrote (candidates-dir) evaluated on the
    whole test split; prints the curve with its test column and, with
    --table-dir, writes it as Markdown and SVG."""
    rows = curve_rows(text)
    acc, correct, total = evaluate(args.build, raised, data)
    rows[0]["test"] = f"{acc:.2f}"
    start = time.time()
    for r in rows[1:]:
        path = os.path.join(cands, f"cut{r['index']}.mlir")
        if os.path.exists(path):
            acc, _, _ = evaluate(args.build, path, data)
            r["test"] = f"{acc:.2f}"
    table = curve_table(rows)
    print(f"### every cut on the test split ({total} images, "
          f"{time.time() - start:.0f} s)\n")
    print(table)
    if args.table_dir:
        os.makedirs(args.table_dir, exist_ok=True)
        base = os.path.join(args.table_dir, f"{args.model}-{mode}")
        with open(base + ".md", "w") as f:
            f.write(table)
        curve_svg(rows, f"{args.model}, {mode}, {args.limit} training "
                  f"images", base + "-test.svg")


def vww(args, tmp):
    """The MLPerf Tiny VWW model (no task data here): the mechanics only.
    Cut after the paper's block 5 (the fifth depthwise-separable block,
    cut point 10), the default head distilled from the model on its one
    MLPerf sample and `args.vww - 1` random int8 images (seeded), compiled
    and run under QEMU against the interpreter."""
    models = os.path.join(SHARED, "models", "mlperf-tiny")
    model = os.path.join(models, "vww_96_int8.tflite")
    sample = os.path.join(models, "samples", "vww_input0_int8.bin")
    if not os.path.exists(model):
        print("# vww: ../shared/models/mlperf-tiny is absent, skipped")
        return
    sys.path.insert(0, os.path.join(ROOT, "utils"))
    from npygen import write_npy
    import random
    rng = random.Random(5)
    with open(sample, "rb") as f:
        values = list(struct.unpack(f"<{96 * 96 * 3}b", f.read()))
    for _ in range(args.vww - 1):
        values += [rng.randint(-128, 127) for _ in range(96 * 96 * 3)]
    data = os.path.join(tmp, "vww_x.npy")
    write_npy(data, values, shape=[args.vww, 96, 96, 3], dtype="int8")
    raised = os.path.join(tmp, "vww.mlir")
    raise_model(args.build, model, raised)
    pruned = os.path.join(tmp, "vww_cut.mlir")
    opts = {"cut": 10, "calibration": data, "calibration-limit": 0,
            "epochs": args.epochs, "qat-epochs": args.qat_epochs,
            "threads": 1}
    if args.train_base:
        # The model ends in a softmax: base and head train on the logits
        # before it, distilled on the model's probabilities.
        opts["train-base"] = "true"
    text, seconds = depth_prune(args.build, raised, pruned, opts)
    print(f"## vww: cut 10 (block 5), distilled on 1 sample + "
          f"{args.vww - 1} random images"
          f"{', train-base' if args.train_base else ''} ({seconds:.0f} s)\n")
    print(text)
    work = os.path.join(tmp, "vww")
    os.makedirs(work)
    const, arena, insns = compile_and_count(args.build, pruned, work, sample)
    host = os.path.join(work, "host.out")
    subprocess.run([tool(args.build, "tinyprune"), "run", pruned, "--input",
                    sample, "--output", host], check=True,
                   capture_output=True)
    same = "-"
    m4 = os.path.join(work, "m4.out")
    if os.path.exists(m4):
        with open(m4, "rb") as a, open(host, "rb") as b:
            same = "equal" if a.read() == b.read() else "DIFFERENT"
    print(f"vww cut: flash {const} B, arena {arena} B, M4F instructions "
          f"{insns if insns is not None else '-'} (QEMU), output on the "
          f"sample vs interpreter: {same}\n")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--build", default=os.path.join(ROOT, "build"))
    ap.add_argument("--model", default="fashion_mobilenet_int8")
    ap.add_argument("--data-dir", default=os.environ.get(
        "TINYPRUNE_DATA", os.path.expanduser("~/.cache/tinyprune-data")))
    ap.add_argument("--limit", type=int, default=20000)
    ap.add_argument("--epochs", type=int, default=8)
    ap.add_argument("--qat-epochs", type=int, default=2)
    ap.add_argument("--head", default="")
    ap.add_argument("--modes", default="labels,distill",
                    help="labels (cross-entropy) and/or distill")
    ap.add_argument("--max-drop", type=float, default=1.0,
                    help="max-accuracy-drop of cut=auto")
    ap.add_argument("--svg-dir", default="",
                    help="write each run's report-svg curve here, as "
                         "MODEL-MODE.svg")
    ap.add_argument("--flash-budget", default="",
                    help="flash-budget of cut=auto (e.g. 20K)")
    ap.add_argument("--curve", action="store_true",
                    help="train a head at every cut point (the whole curve)")
    ap.add_argument("--bisect", action="store_true",
                    help="search the cut by bisection (bisect=true)")
    ap.add_argument("--train-base", action="store_true",
                    help="also fine-tune the base with the chosen head")
    ap.add_argument("--test-every-cut", action="store_true",
                    help="evaluate the model cut at every trained candidate "
                         "on the whole test split")
    ap.add_argument("--table-dir", default="",
                    help="with --test-every-cut: write each curve here as "
                         "MODEL-MODE.md and MODEL-MODE-test.svg")
    ap.add_argument("--vww", type=int, default=0,
                    help="also the MLPerf VWW mechanics on this many "
                         "distillation inputs (0: skip)")
    args = ap.parse_args()

    model = os.path.join(ROOT, "test", "models", args.model + ".tflite")
    data = os.path.join(args.data_dir,
                        "fashion-mnist" if args.model.startswith("fashion")
                        else "mnist")
    if not os.path.exists(model) or not os.path.isdir(data):
        sys.exit(f"depth_bench: needs {model} and {data}")
    common = {"calibration": os.path.join(data, "train_x.npy"),
              "calibration-limit": args.limit, "epochs": args.epochs,
              "qat-epochs": args.qat_epochs, "threads": 1}
    if args.head:
        common["head"] = args.head
    labels = os.path.join(data, "train_y.npy")
    with tempfile.TemporaryDirectory() as tmp:
        raised = os.path.join(tmp, "model.mlir")
        raise_model(args.build, model, raised)
        print(f"# depth_bench: {args.model}, {args.limit} training images "
              f"(last 20 % held out), epochs {args.epochs} + qat "
              f"{args.qat_epochs}, head {args.head or '32,16'}\n")
        if args.vww:
            vww(args, tmp)
        sample = os.path.join(tmp, "sample.bin")
        first_sample(data, model, sample)
        measured = {}
        for mode in [m for m in args.modes.split(",") if m]:
            opts = dict(common, cut="auto",
                        **{"max-accuracy-drop": args.max_drop})
            if args.curve:
                opts["curve"] = "true"
            if args.bisect:
                opts["bisect"] = "true"
            if args.train_base:
                opts["train-base"] = "true"
            if args.flash_budget:
                opts["flash-budget"] = args.flash_budget
            if args.svg_dir:
                os.makedirs(args.svg_dir, exist_ok=True)
                opts["report-svg"] = os.path.join(
                    os.path.abspath(args.svg_dir),
                    f"{args.model}-{mode}.svg")
            if mode == "labels":
                opts["labels"] = labels
            cands = os.path.join(tmp, mode + "-cuts")
            if args.test_every_cut:
                os.makedirs(cands)
                opts["candidates-dir"] = cands
            pruned = os.path.join(tmp, mode + ".mlir")
            text, seconds = depth_prune(args.build, raised, pruned, opts,
                                        may_fail=True)
            print(f"## {mode}: cut=auto max-accuracy-drop={args.max_drop:g}"
                  f"{' curve=true' if args.curve else ''}"
                  f"{' train-base=true' if args.train_base else ''} "
                  f"({seconds:.0f} s)\n")
            print(text)
            sys.stdout.flush()
            if args.test_every_cut:
                test_every_cut(args, data, raised, cands, text, mode)
                sys.stdout.flush()
            if text.startswith("error:"):
                # No cut within the bound: the table is the result, nothing
                # was chosen to measure.
                continue
            est = {}
            for line in text.splitlines():
                cells = line.split()
                if "(full model)" in line:
                    est["model"] = float(cells[-1])
                elif cells and cells[0].isdigit() and (
                        "chosen" in cells or "chosen;" in cells):
                    # The instructions column precedes the note.
                    at = cells.index("chosen" if "chosen" in cells
                                     else "chosen;")
                    est[mode] = float(cells[at - 1])
            rows = []
            for label, path in [("model", raised), (mode, pruned)]:
                if label not in measured:
                    work = os.path.join(tmp, label)
                    os.makedirs(work)
                    acc, correct, total = evaluate(args.build, path, data)
                    params = int(re.search(r"(\d+) params",
                                           stats(args.build, path)).group(1))
                    const, arena, insns = compile_and_count(
                        args.build, path, work, sample)
                    measured[label] = (label, params, const, arena,
                                       est.get(label), insns, acc,
                                       f"{correct}/{total}")
                rows.append(measured[label])
            print(f"{'':8} {'params':>8} {'flash B':>8} {'arena B':>8} "
                  f"{'M4F insn (model)':>17} {'M4F insn (QEMU)':>16} "
                  f"{'test top-1':>10}")
            for label, params, const, arena, e, insns, acc, frac in rows:
                print(f"{label:8} {params:8} {const:8} {arena:8} "
                      f"{'-' if e is None else int(e):>17} "
                      f"{'-' if insns is None else insns:>16} "
                      f"{acc:9.2f}% ({frac})")
            (_, p0, c0, _, e0, i0, acc0, _), (_, p1, c1, _, e1, i1, acc1,
                                              _) = rows
            print(f"\nparams {100 * (p1 / p0 - 1):+.1f} %, flash "
                  f"{100 * (c1 / c0 - 1):+.1f} %, M4F instructions "
                  f"{100 * ((i1 or e1) / (i0 or e0) - 1):+.1f} %, test top-1 "
                  f"{acc1 - acc0:+.2f} points\n")


if __name__ == "__main__":
    main()
