#!/usr/bin/env python3
"""MCU benchmark: for each MLPerf Tiny model and core, compile with
`tinyprune compile`, build for the core, run one inference under QEMU with
the instruction-counting plugin of shared/mcu-kit, and print one row:
flash (code of the model object, kernels included; constants), arena,
peak stack of the inference, instructions per inference, MACs and
instructions per MAC, next to TFLite Micro's figures from the kit.

    /usr/bin/python3 bench/mcu_bench.py [--build build] [--cores cortex-m4,...]
"""

import argparse
import os
import re
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SHARED = os.path.join(ROOT, "..", "shared")
MODELS = [  # name, file, sample input, TFLM ref insns, TFLM+CMSIS-NN, TFLM arena
    ("VWW", "vww_96_int8", "vww_input0_int8", 100141332, 24102789, 100660),
    ("KWS", "kws_ref_model", "kws_input0_int8", 43023802, 7697736, 22772),
    ("IC", "pretrainedResnet_quant", "ic_input0_int8", 107291579, 29862442,
     54340),
    ("AD", "ad01_int8", "ad_input0_int8", 1952219, 583204, 2260),
]


def model_stats(build, model):
    """--tinyprune-model-stats's report of `model` (stderr): the whole
    model's MACs and a per-layer table (MACs in its sixth column)."""
    mlir = subprocess.run([os.path.join(build, "bin", "tinyprune-translate"),
                           "--import-tflite", model], check=True,
                          capture_output=True, text=True).stdout
    stats = subprocess.run([os.path.join(build, "bin", "tinyprune-opt"),
                            "--tinyprune-model-stats", "-o", os.devnull],
                           input=mlir, check=True, capture_output=True,
                           text=True).stderr
    return stats


def macs(build, model):
    return int(re.search(r"(\d+) MACs", model_stats(build, model)).group(1))


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--build", default=os.path.join(ROOT, "build"))
    ap.add_argument("--cores", default="cortex-m4,cortex-m7,cortex-m0plus")
    args = ap.parse_args()
    models_dir = os.path.join(SHARED, "models", "mlperf-tiny")
    kit = os.path.join(SHARED, "mcu-kit", "insncount.c")
    if not os.path.isdir(models_dir) or not os.path.exists(kit):
        sys.exit("mcu_bench: needs ../shared/models and ../shared/mcu-kit")
    with tempfile.TemporaryDirectory() as tmp:
        plugin = os.path.join(tmp, "libinsncount.so")
        subprocess.run(["gcc", "-shared", "-fPIC", "-O2", "-o", plugin, kit],
                       check=True)
        print(f"{'model':5} {'core':14} {'code B':>7} {'const B':>8} "
              f"{'arena B':>8} {'TFLM arena':>10} {'stack B':>7} "
              f"{'instructions':>12} {'TFLM ref':>11} {'TFLM+CMSIS':>11} "
              f"{'MACs':>10} {'insn/MAC':>8}")
        for label, name, sample, ref, cmsis, tflm_arena in MODELS:
            model = os.path.join(models_dir, name + ".tflite")
            gen = os.path.join(tmp, name)
            out = subprocess.run([os.path.join(args.build, "bin", "tinyprune"),
                                  "compile", model, "-o", gen, "--name", "m"],
                                 check=True, capture_output=True,
                                 text=True).stdout
            arena = int(re.search(r"arena (\d+) bytes", out).group(1))
            n_macs = macs(args.build, model)
            for core in args.cores.split(","):
                run = subprocess.run(
                    [sys.executable,
                     os.path.join(ROOT, "test", "mcu", "Inputs", "run_mcu.py"),
                     "--core", core, "--gen", gen, "--name", "m", "--input",
                     os.path.join(models_dir, "samples", sample + ".bin"),
                     "--output", os.path.join(gen, core + ".out"),
                     "--plugin", plugin], check=True, capture_output=True,
                    text=True).stdout
                val = {k: int(v) for k, v in re.findall(r"^(\w+) (\d+)$", run,
                                                         re.M)}
                m4 = core == "cortex-m4"
                print(f"{label:5} {core:14} {val['code']:7} {val['rodata']:8} "
                      f"{arena:8} {tflm_arena:10} {val['stack']:7} "
                      f"{val['instructions']:12} "
                      f"{(ref if m4 else '-'):>11} {(cmsis if m4 else '-'):>11} "
                      f"{n_macs:10} {val['instructions'] / n_macs:8.2f}")


if __name__ == "__main__":
    main()
