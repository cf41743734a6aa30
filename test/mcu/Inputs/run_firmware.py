#!/usr/bin/env python3
"""Builds one self-contained firmware source against the runtime headers for
a Cortex-M core and runs it under qemu-system-arm, with the start-up code,
linker script and boards of run_mcu.py. The firmware's semihosting output is
echoed; the script fails when the firmware exits non-zero.

    run_firmware.py --core cortex-m4 --src test.cpp [-D NAME=VALUE ...]
                    [--workdir DIR] [--opt -Os] [--plugin libinsncount.so]

With --plugin (the instruction-counting plugin of shared/mcu-kit) it also
prints `marks <n0> <n1> ...`: the running instruction count at each call of
the firmware's `tinyprune_mark` function.
"""

import argparse
import os
import re
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from run_mcu import CORES  # noqa: E402

RUNTIME = os.path.normpath(os.path.join(HERE, "..", "..", "..", "runtime",
                                        "include"))


def build(core, src, defines, work, opt):
    flags, board = CORES[core]
    elf = os.path.join(work, os.path.splitext(os.path.basename(src))[0] +
                       "-" + core + ".elf")
    obj = elf[:-4] + ".o"
    subprocess.run(["arm-none-eabi-g++", "-std=c++17", opt, *flags,
                    "-fno-exceptions", "-fno-rtti", "-ffunction-sections",
                    "-fdata-sections", "-Wall", "-Wextra", "-Werror",
                    "-I" + RUNTIME, *["-D" + d for d in defines], "-c", src,
                    "-o", obj], check=True)
    start = os.path.join(work, "startup-" + core + ".o")
    subprocess.run(["arm-none-eabi-gcc", opt, *flags, "-c",
                    os.path.join(HERE, "startup.c"), "-o", start], check=True)
    subprocess.run(["arm-none-eabi-g++", *flags, "-T",
                    os.path.join(HERE, "mps2.ld"), "--specs=rdimon.specs",
                    "-nostartfiles", "-Wl,--gc-sections", start, obj, "-o",
                    elf], check=True)
    return elf, board


def run(elf, board, plugin=None, timeout=600):
    cmd = ["qemu-system-arm", "-M", board, "-nographic", "-monitor", "none",
           "-serial", "none", "-semihosting-config",
           "enable=on,target=native", "-kernel", elf]
    if plugin:
        nm = subprocess.run(["arm-none-eabi-nm", elf], check=True,
                            capture_output=True, text=True).stdout
        mark = next(int(line.split()[0], 16) & ~1 for line in nm.splitlines()
                    if line.split()[-1] == "tinyprune_mark")
        cmd += ["-plugin", f"{plugin},mark={hex(mark)}", "-d", "plugin"]
    proc = subprocess.run(cmd, capture_output=True, text=True,
                          timeout=timeout)
    marks = [int(m.group(1)) for m in
             re.finditer(r"INSNCOUNT mark \d+ (\d+)", proc.stdout +
                         proc.stderr)]
    out = "".join(line + "\n" for line in proc.stdout.splitlines()
                  if not line.startswith("INSNCOUNT"))
    return proc.returncode, out, marks


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--core", choices=sorted(CORES), required=True)
    ap.add_argument("--src", required=True)
    ap.add_argument("-D", dest="defines", action="append", default=[])
    ap.add_argument("--workdir", default=None)
    ap.add_argument("--opt", default="-Os")
    ap.add_argument("--plugin", default=None)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        work = args.workdir or tmp
        os.makedirs(work, exist_ok=True)
        elf, board = build(args.core, args.src, args.defines, work, args.opt)
        status, out, marks = run(elf, board, args.plugin)
    sys.stdout.write(out)
    if args.plugin:
        print("marks " + " ".join(str(m) for m in marks))
    if status != 0:
        sys.exit(f"run_firmware: {os.path.basename(args.src)} on {args.core} "
                 f"exited with {status}")


if __name__ == "__main__":
    main()
