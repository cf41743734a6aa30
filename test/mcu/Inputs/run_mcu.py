#!/usr/bin/env python3
"""Builds generated model code for a Cortex-M core and runs one inference
under qemu-system-arm (semihosting file I/O), like the host harness does.

    run_mcu.py --core cortex-m4 --gen DIR --name NAME --input in.bin \\
               --output out.bin [--workdir DIR] [--plugin libinsncount.so]

Cores and boards: cortex-m4 (hard-float, mps2-an386), cortex-m7
(hard-float, mps2-an500), cortex-m0plus (ARMv6-M code on mps2-an385, whose
Cortex-M3 runs it). All three boards take the memory map of mps2.ld. With --plugin (the
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
CORES = {
    "cortex-m4": (["-mcpu=cortex-m4", "-mthumb", "-mfloat-abi=hard",
                   "-mfpu=fpv4-sp-d16"], "mps2-an386"),
    "cortex-m0plus": (["-mcpu=cortex-m0plus", "-mthumb",
                       "-mfloat-abi=soft"], "mps2-an385"),
    "cortex-m7": (["-mcpu=cortex-m7", "-mthumb", "-mfloat-abi=hard",
                   "-mfpu=fpv5-d16"], "mps2-an500"),
}


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
    flags, board = CORES[args.core]
    work = args.workdir or os.path.join(args.gen, "mcu-" + args.core)
    os.makedirs(work, exist_ok=True)
    elf = os.path.join(work, args.name + ".elf")
    cxx = ["arm-none-eabi-g++", "-std=c++17", args.opt, *flags,
           "-fno-exceptions", "-fno-rtti", "-ffunction-sections",
           "-fdata-sections", "-Wall", "-Wextra", "-Werror"]
    defines = [f"-DMODEL={args.name}",
               f'-DMCU_INPUT="{os.path.abspath(args.input)}"',
               f'-DMCU_OUTPUT="{os.path.abspath(args.output)}"']
    objs = []
    for src, extra in [(os.path.join(args.gen, args.name + ".cpp"), []),
                       (os.path.join(HERE, "main.cpp"),
                        ["-include", os.path.join(args.gen, args.name + ".h")]
                        + defines)]:
        obj = os.path.join(work, os.path.basename(src) + ".o")
        subprocess.run(cxx + ["-I" + args.gen, *extra, "-c", src, "-o", obj],
                       check=True)
        objs.append(obj)
    start = os.path.join(work, "startup.o")
    subprocess.run(["arm-none-eabi-gcc", args.opt, *flags, "-c",
                    os.path.join(HERE, "startup.c"), "-o", start], check=True)
    subprocess.run(["arm-none-eabi-g++", *flags, "-T",
                    os.path.join(HERE, "mps2.ld"), "--specs=rdimon.specs",
                    "-nostartfiles", "-Wl,--gc-sections", start, *objs,
                    "-o", elf], check=True)
    cmd = ["qemu-system-arm", "-M", board, "-nographic", "-monitor", "none",
           "-serial", "none", "-semihosting-config",
           "enable=on,target=native", "-kernel", elf]
    if args.plugin:
        nm = subprocess.run(["arm-none-eabi-nm", elf], check=True,
                            capture_output=True, text=True).stdout
        mark = next(int(line.split()[0], 16) & ~1 for line in nm.splitlines()
                    if line.split()[-1] == "tinyprune_mark")
        cmd += ["-plugin", f"{args.plugin},mark={hex(mark)}", "-d", "plugin"]
    run = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    if run.returncode != 0:
        sys.stderr.write(run.stdout + run.stderr)
        sys.exit(f"run_mcu: firmware exited with {run.returncode}")
    text = run.stdout + run.stderr
    stack = re.search(r"^stack (\d+)", text, re.M)
    if stack:
        print(f"stack {stack.group(1)}")
    if args.plugin:
        counts = [int(m.group(1)) for m in
                  re.finditer(r"INSNCOUNT mark \d+ (\d+)", text)]
        if len(counts) >= 2:
            print(f"instructions {counts[-1] - counts[0]}")
    # Sizes of the model's own object: code (kernels inlined) and weights.
    size = subprocess.run(["arm-none-eabi-size", "-A", objs[0]], check=True,
                          capture_output=True, text=True).stdout
    code = rodata = 0
    for line in size.splitlines():
        parts = line.split()
        if len(parts) >= 2 and parts[1].isdigit():
            if parts[0].startswith(".text"):
                code += int(parts[1])
            elif parts[0].startswith(".rodata"):
                rodata += int(parts[1])
    print(f"code {code}")
    print(f"rodata {rodata}")


if __name__ == "__main__":
    main()
