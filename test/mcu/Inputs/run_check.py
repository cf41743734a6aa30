#!/usr/bin/env python3
"""Builds a self-checking device program (one C++ source that includes the
runtime headers) for a Cortex-M core and runs it under qemu-system-arm; the
program's exit status is this script's.

    run_check.py --core cortex-m4 --source kernel_check.cpp --include DIR \\
                 --workdir DIR [-D NAME ...]
"""

import argparse
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from run_firmware import CORES  # noqa: E402


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--core", choices=sorted(CORES), required=True)
    ap.add_argument("--source", required=True)
    ap.add_argument("--include", required=True, help="runtime include dir")
    ap.add_argument("--workdir", required=True)
    ap.add_argument("--opt", default="-Os")
    ap.add_argument("-D", dest="defines", action="append", default=[],
                    help="a macro for the C++ source")
    args = ap.parse_args()
    flags, board = CORES[args.core]
    os.makedirs(args.workdir, exist_ok=True)
    elf = os.path.join(args.workdir, args.core + ".elf")
    start = os.path.join(args.workdir, args.core + "-startup.o")
    subprocess.run(["arm-none-eabi-gcc", args.opt, *flags, "-c",
                    os.path.join(HERE, "startup.c"), "-o", start], check=True)
    subprocess.run(["arm-none-eabi-g++", "-std=c++17", args.opt, *flags,
                    "-fno-exceptions", "-fno-rtti", "-Wall", "-Wextra",
                    "-Werror", "-I" + args.include,
                    *["-D" + d for d in args.defines], "-T",
                    os.path.join(HERE, "mps2.ld"), "--specs=rdimon.specs",
                    "-nostartfiles", start, args.source, "-o", elf],
                   check=True)
    run = subprocess.run(["qemu-system-arm", "-M", board, "-nographic",
                          "-monitor", "none", "-serial", "none",
                          "-semihosting-config", "enable=on,target=native",
                          "-kernel", elf], capture_output=True, text=True,
                         timeout=600)
    sys.stdout.write(run.stdout)
    sys.stderr.write(run.stderr)
    sys.exit(run.returncode)


if __name__ == "__main__":
    main()
