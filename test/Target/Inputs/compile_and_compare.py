"""For each model NAME in DIR: `tinyprune compile` it, build the generated
code with the host harness, run it on DIR/NAME.in and compare with
DIR/NAME.expected. Prints one line per model; exits 1 on any difference.

    compile_and_compare.py DIR NAME...
"""
import os
import subprocess
import sys

here = os.path.dirname(os.path.abspath(__file__))
out_dir, names = sys.argv[1], sys.argv[2:]
cxx = os.environ.get("CXX", "g++").split() + [
    "-std=c++17", "-O2", "-Wall", "-Wextra", "-Werror"]
failed = 0
for name in names:
    gen = os.path.join(out_dir, name + "_cpp")
    subprocess.run(["tinyprune", "compile", os.path.join(out_dir, name + ".tflite"),
                    "-o", gen, "--name", name], check=True,
                   stdout=subprocess.DEVNULL)
    exe = os.path.join(out_dir, name + ".exe")
    subprocess.run(cxx + ["-I" + gen, "-include", os.path.join(gen, name + ".h"),
                          f"-DMODEL={name}",
                          os.path.join(gen, name + ".cpp"),
                          os.path.join(here, "harness.cpp"), "-o", exe],
                   check=True)
    result = os.path.join(out_dir, name + ".gen.out")
    subprocess.run([exe, os.path.join(out_dir, name + ".in"), result],
                   check=True)
    with open(result, "rb") as a, \
            open(os.path.join(out_dir, name + ".expected"), "rb") as b:
        same = a.read() == b.read()
    print(f"{name}: {'same' if same else 'DIFFERENT'}")
    failed += not same
sys.exit(1 if failed else 0)
