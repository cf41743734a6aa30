#!/usr/bin/env python3
"""Builds generated model code for a Cortex-M core and runs one inference
under qemu-system-arm (semihosting file I/O), like the host harness does.

    run_mcu.py --core cortex-m4 --gen DIR --name NAME --input in.bin \\
               --output out.bin [--workdir DIR] [--plugin libinsncount.so]

Cores and boards are run_firmware.py's. With --plugin (the
instruction-counting plugin of shared/mcu-kit) it prints
`instructions <n>`: the guest instructions between the harness's two
markers, i.e. exactly one inference.
"""

import argparse
import os
import re
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import run_firmware  # noqa: E402
from run_firmware import CORES  # noqa: E402


def build(core, gen, name, input_path, output_path, work, opt="-Os"):
    """Builds the firmware for `tinyprune compile` output `gen`/`name` and
    the harness main.cpp; returns (elf, board, the model's object)."""
    flags, board = CORES[core]
    os.makedirs(work, exist_ok=True)
    defines = [f"-DMODEL={name}",
               f'-DMCU_INPUT="{os.path.abspath(input_path)}"',
               f'-DMCU_OUTPUT="{os.path.abspath(output_path)}"']
    objs = []
    for src, extra in [(os.path.join(gen, name + ".cpp"), []),
                       (os.path.join(HERE, "main.cpp"),
                        ["-include", os.path.join(gen, name + ".h")]
                        + defines)]:
        obj = os.path.join(work, os.path.basename(src) + ".o")
        subprocess.run(["arm-none-eabi-g++", opt, *flags,
                        *run_firmware.CXX_FLAGS, "-I" + gen, *extra, "-c",
                        src, "-o", obj], check=True)
        objs.append(obj)
    elf = os.path.join(work, name + ".elf")
    run_firmware.link(core, [run_firmware.startup(core, work, opt), *objs],
                      elf)
    return elf, board, objs[0]


def object_sizes(obj):
    """(code, rodata) bytes of an object: its .text* and .rodata* sections."""
    size = subprocess.run(["arm-none-eabi-size", "-A", obj], check=True,
                          capture_output=True, text=True).stdout
    code = rodata = 0
    for line in size.splitlines():
        parts = line.split()
        if len(parts) >= 2 and parts[1].isdigit():
            if parts[0].startswith(".text"):
                code += int(parts[1])
            elif parts[0].startswith(".rodata"):
                rodata += int(parts[1])
    return code, rodata


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--core", choices=sorted(CORES), required=True)
    ap.add_argument("--gen", required=True, help="tinyprune compile output")
    ap.add_argument("--name", required=True)
    ap.add_argument("--input", required=True)
    ap.add_argument("--output", required=True)
    ap.add_argument("--workdir", default=None)
    ap.add_argument("--plugin", default=None)
    ap.add_argument("--opt", default="-Os")
    args = ap.parse_args()
    work = args.workdir or os.path.join(args.gen, "mcu-" + args.core)
    elf, board, model_obj = build(args.core, args.gen, args.name, args.input,
                                  args.output, work, args.opt)
    status, out, marks = run_firmware.run(elf, board, args.plugin)
    if status != 0:
        sys.stderr.write(out)
        sys.exit(f"run_mcu: firmware exited with {status}")
    stack = re.search(r"^stack (\d+)", out, re.M)
    if stack:
        print(f"stack {stack.group(1)}")
    if args.plugin and len(marks) >= 2:
        print(f"instructions {marks[-1] - marks[0]}")
    # Sizes of the model's own object: code (kernels inlined) and weights.
    code, rodata = object_sizes(model_obj)
    print(f"code {code}")
    print(f"rodata {rodata}")


if __name__ == "__main__":
    main()
