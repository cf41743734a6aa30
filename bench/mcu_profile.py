#!/usr/bin/env python3
"""Per-layer MCU profile: compiles one model with `tinyprune compile`,
calls the harness's instruction marker between the layers of the generated
`NAME_invoke`, runs one inference under QEMU with the instruction-counting
plugin of shared/mcu-kit and prints each layer's instructions, MACs and
instructions per MAC, then the totals per layer kind.

    /usr/bin/python3 bench/mcu_profile.py MODEL.tflite INPUT.bin \\
        [--core cortex-m4] [--build build]

The markers cost a call each (a few instructions per layer); the counts of
the layers themselves are exact.
"""

import argparse
import os
import re
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from mcu_bench import model_stats  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SHARED = os.path.join(ROOT, "..", "shared")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("model")
    ap.add_argument("input")
    ap.add_argument("--core", default="cortex-m4")
    ap.add_argument("--build", default=os.path.join(ROOT, "build"))
    args = ap.parse_args()
    kit = os.path.join(SHARED, "mcu-kit", "insncount.c")
    if not os.path.exists(kit):
        sys.exit("mcu_profile: needs ../shared/mcu-kit")
    with tempfile.TemporaryDirectory() as tmp:
        plugin = os.path.join(tmp, "libinsncount.so")
        subprocess.run(["gcc", "-shared", "-fPIC", "-O2", "-o", plugin, kit],
                       check=True)
        gen = os.path.join(tmp, "gen")
        subprocess.run([os.path.join(args.build, "bin", "tinyprune"),
                        "compile", args.model, "-o", gen, "--name", "m"],
                       check=True, capture_output=True)
        src = os.path.join(gen, "m.cpp")
        with open(src) as f:
            lines = f.read().split("\n")
        # One marker per kernel call: the layers of a row-fused chain (a
        # comment followed by "(row-fused: ...)") run inside the
        # streamRowPair call of the chain's last layer, counted with it.
        out, kinds, inside = [], [], False
        groups, pending = [], []  # Per marker, the indices of its layers.
        for i, line in enumerate(lines):
            if line.startswith('extern "C" int m_invoke('):
                out.append('extern "C" void tinyprune_mark();')
                inside = True
            m = re.match(r"\s*// tinyprune\.(\w+)", line)
            if inside and m:
                kinds.append(m.group(1))
                if i + 1 < len(lines) and "(row-fused:" in lines[i + 1]:
                    pending.append(len(kinds) - 1)
                else:
                    out.append("  tinyprune_mark();")
                    groups.append([len(kinds) - 1])
            elif inside and groups:
                if "streamRowPair(" in line:
                    groups[-1][:0] = pending[:2]
                    del pending[:2]
                # The filter size, from the call's `kH, kW, filter, ...`
                # (the filter possibly in TINYPRUNE_RT_W8_ONLY(...)), given
                # to the marker's first convolution without one.
                k = re.search(r"(\d+), (\d+), (?:TINYPRUNE_RT_W8_ONLY\()?"
                              r"(?:w\d+|k\d+_sparse)\)?, ", line)
                unsized = [j for j in groups[-1]
                        if "conv" in kinds[j] and "x" not in kinds[j]]
                if k and unsized:
                    kinds[unsized[0]] += f" {k.group(1)}x{k.group(2)}"
            out.append(line)
        with open(src, "w") as f:
            f.write("\n".join(out))
        run = subprocess.run(
            [sys.executable,
             os.path.join(ROOT, "test", "mcu", "Inputs", "run_firmware.py")]
            if False else
            [sys.executable, "-c",
             "import sys; sys.path.insert(0, sys.argv[1]);"
             "import run_mcu, run_firmware;"
             "elf, board, _ = run_mcu.build(sys.argv[2], sys.argv[3], 'm',"
             " sys.argv[4], sys.argv[5], sys.argv[6]);"
             "s, o, marks = run_firmware.run(elf, board, sys.argv[7]);"
             "print(' '.join(map(str, marks)))",
             os.path.join(ROOT, "test", "mcu", "Inputs"), args.core, gen,
             args.input, os.path.join(tmp, "out.bin"),
             os.path.join(tmp, "work"), plugin],
            check=True, capture_output=True, text=True).stdout
        marks = [int(v) for v in run.split()]
    # marks: before invoke, one per layer, after invoke.
    counts = [b - a for a, b in zip(marks[1:], marks[2:])]
    if len(counts) != len(groups):
        sys.exit(f"mcu_profile: {len(marks)} marks for {len(groups)} calls")
    layer_macs = [int(m) for m in
                  re.findall(r"^\s*\d+\s+\S+\s+.*?(\d+)\s+\d+$",
                             model_stats(args.build, args.model), re.M)]
    if len(layer_macs) != len(kinds):
        layer_macs = [0] * len(kinds)
    macs = [sum(layer_macs[j] for j in g) for g in groups]
    kinds = [kinds[g[0]] if len(g) == 1 else
             "chain " + " + ".join(kinds[j].replace("conv2d ", "")
                                   for j in g) for g in groups]
    total = sum(counts)
    per_kind = {}
    print(f"{'#':>3} {'layer':22} {'instructions':>12} {'share':>6} "
          f"{'MACs':>9} {'insn/MAC':>8}")
    for i, (kind, n, mac) in enumerate(zip(kinds, counts, macs)):
        ratio = f"{n / mac:8.2f}" if mac else f"{'-':>8}"
        print(f"{i:3} {kind:22} {n:12} {100.0 * n / total:5.1f}% {mac:9} "
              f"{ratio}")
        k = per_kind.setdefault(kind, [0, 0])
        k[0] += n
        k[1] += mac
    print(f"{'':3} {'total':22} {total:12} {'':6} {sum(macs):9}")
    for kind, (n, mac) in sorted(per_kind.items(), key=lambda kv: -kv[1][0]):
        ratio = f"{n / mac:8.2f}" if mac else f"{'-':>8}"
        print(f"{'':3} {kind:22} {n:12} {100.0 * n / total:5.1f}% {mac:9} "
              f"{ratio}")


if __name__ == "__main__":
    main()
