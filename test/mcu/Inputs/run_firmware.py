#!/usr/bin/env python3
"""Builds one self-contained firmware source against the runtime headers for
a Cortex-M core and runs it under qemu-system-arm, with this folder's
start-up code and linker script. The firmware's semihosting output is
echoed; the script fails when the firmware exits non-zero. The cores, the
build steps and the QEMU run are shared with run_mcu.py and run_check.py.

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
# Cores and boards: cortex-m4 (hard-float, mps2-an386), cortex-m7
# (hard-float, mps2-an500), cortex-m0plus (ARMv6-M code on mps2-an385, whose
# Cortex-M3 runs it). All three boards take the memory map of mps2.ld.
CORES = {
    "cortex-m4": (["-mcpu=cortex-m4", "-mthumb", "-mfloat-abi=hard",
                   "-mfpu=fpv4-sp-d16"], "mps2-an386"),
    "cortex-m0plus": (["-mcpu=cortex-m0plus", "-mthumb",
                       "-mfloat-abi=soft"], "mps2-an385"),
    "cortex-m7": (["-mcpu=cortex-m7", "-mthumb", "-mfloat-abi=hard",
                   "-mfpu=fpv5-d16"], "mps2-an500"),
}
CXX_FLAGS = ["-std=c++17", "-fno-exceptions", "-fno-rtti",
             "-ffunction-sections", "-fdata-sections", "-Wall", "-Wextra",
             "-Werror"]

RUNTIME = os.path.normpath(os.path.join(HERE, "..", "..", "..", "runtime",
                                        "include"))


def startup(core, work, opt):
    """Compiles the start-up code for `core` into `work`; returns its
    object."""
    flags, _ = CORES[core]
    start = os.path.join(work, "startup-" + core + ".o")
    subprocess.run(["arm-none-eabi-gcc", opt, *flags, "-c",
                    os.path.join(HERE, "startup.c"), "-o", start], check=True)
    return start


def link(core, objs, elf):
    """Links `objs` with the start-up code's linker script and semihosting."""
    flags, _ = CORES[core]
    subprocess.run(["arm-none-eabi-g++", *flags, "-T",
                    os.path.join(HERE, "mps2.ld"), "--specs=rdimon.specs",
                    "-nostartfiles", "-Wl,--gc-sections", *objs, "-o", elf],
                   check=True)


def build(core, src, defines, work, opt):
    flags, board = CORES[core]
    elf = os.path.join(work, os.path.splitext(os.path.basename(src))[0] +
                       "-" + core + ".elf")
    obj = elf[:-4] + ".o"
    subprocess.run(["arm-none-eabi-g++", opt, *flags, *CXX_FLAGS,
                    "-I" + RUNTIME, *["-D" + d for d in defines], "-c", src,
                    "-o", obj], check=True)
    link(core, [startup(core, work, opt), obj], elf)
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
