"""Generated C++ versus `tinyprune run` on every test model.

    compile_vs_run.py TEST_DIR WORK_DIR MIN_COMPILED

TEST_DIR holds model-generating lit tests (test/Import/*.py): each is run
to write its models into WORK_DIR/models first.

For each .tflite under MODEL_DIR that `tinyprune compile` accepts, builds
the generated code with the host harness, runs it and `tinyprune run` on the
same deterministic pseudo-random inputs, and compares the outputs: byte for
byte for integer results, within 1e-5 relative for float32 ones. Models the
lowering rejects are listed (reported, not failures); fewer than
MIN_COMPILED compiled models fails, so lowering regressions show.
"""
import hashlib
import os
import re
import struct
import subprocess
import sys

here = os.path.dirname(os.path.abspath(__file__))
test_dir, work, min_compiled = sys.argv[1], sys.argv[2], int(sys.argv[3])
os.makedirs(work, exist_ok=True)
model_dir = os.path.join(work, "models")
for script in sorted(os.listdir(test_dir)):
    if script.endswith(".py"):
        subprocess.run([sys.executable, os.path.join(test_dir, script),
                        os.path.join(model_dir, script[:-3])], check=True,
                       capture_output=True)
cxx = ["g++", "-std=c++17", "-O0", "-Wall", "-Wextra", "-Werror"]
BYTES = {"i1": 1, "i8": 1, "ui8": 1, "i16": 2, "i32": 4, "i64": 8,
         "f32": 4}


def rand_bytes(n, tag):
    out, i = b"", 0
    while len(out) < n:
        out += hashlib.sha256(f"{tag}-{i}".encode()).digest()
        i += 1
    return out[:n]


def input_bytes(t, tag):
    """Deterministic pseudo-random contents of an input of type `t`: any
    bytes for integers, values in [-2, 2) for float32 (random bit patterns
    would be mostly huge or NaN and compare nothing)."""
    raw = rand_bytes(tensor_bytes(t), tag)
    if not t.endswith("f32"):
        return raw
    words = struct.unpack(f"<{len(raw) // 4}I", raw)
    return struct.pack(f"<{len(words)}f", *[w / 2**30 - 2.0 for w in words])


def tensor_bytes(t):
    dims = t.split("x")
    n = 1
    for d in dims[:-1]:
        n *= int(d)
    return n * BYTES[dims[-1]]


def signature(model):
    """(argument types, result types) of @main, as 'AxBxi8' strings."""
    mlir = subprocess.run(["tinyprune-translate", "--import-tflite", model],
                          check=True, capture_output=True, text=True).stdout
    line = next(l for l in mlir.splitlines() if "func.func @main(" in l)
    args, results = line.split(" -> ", 1)
    return (re.findall(r"tensor<([^>]*)>", args),
            re.findall(r"tensor<([^>]*)>", results))


def floats_close(a, b):
    fa = struct.unpack(f"<{len(a) // 4}f", a)
    fb = struct.unpack(f"<{len(b) // 4}f", b)
    return all(x == y or (x != x and y != y) or
               abs(x - y) <= 1e-5 * max(abs(x), abs(y))
               for x, y in zip(fa, fb))


equal, different, rejected = [], [], []
models = sorted(os.path.join(dp, f) for dp, _, fs in os.walk(model_dir)
                for f in fs if f.endswith(".tflite"))
for model in models:
    tag = os.path.relpath(model, model_dir).replace(os.sep, "_")[:-7]
    gen = os.path.join(work, tag)
    r = subprocess.run(["tinyprune", "compile", model, "-o", gen, "--name",
                        "m"], capture_output=True, text=True)
    if r.returncode != 0:
        lines = r.stderr.strip().splitlines()
        rejected.append((tag, lines[0].split("error: ")[-1] if lines else "?"))
        continue
    args, results = signature(model)
    exe = os.path.join(work, tag + ".exe")
    subprocess.run(cxx + ["-I" + gen, "-include", os.path.join(gen, "m.h"),
                          "-DMODEL=m", os.path.join(gen, "m.cpp"),
                          os.path.join(here, "harness.cpp"), "-o", exe],
                   check=True)
    # The harness takes all inputs packed; the interpreter one per argument.
    packed, run_cmd = b"", ["tinyprune", "run", model]
    for i, t in enumerate(args):
        data = input_bytes(t, f"{tag}-{i}")
        path = os.path.join(work, f"{tag}.in{i}")
        open(path, "wb").write(data)
        packed += data
        run_cmd += ["--input", path]
    open(os.path.join(work, tag + ".in"), "wb").write(packed)
    subprocess.run([exe, os.path.join(work, tag + ".in"),
                    os.path.join(work, tag + ".gen")], check=True)
    refs = []
    for i, _ in enumerate(results):
        refs.append(os.path.join(work, f"{tag}.ref{i}"))
        run_cmd += ["--output", refs[-1]]
    r = subprocess.run(run_cmd, capture_output=True, text=True)
    if r.returncode != 0:
        rejected.append((tag, "interpreter: " + r.stderr.strip()[-80:]))
        continue
    gen_out = open(os.path.join(work, tag + ".gen"), "rb").read()
    same, offset = True, 0
    for t, ref in zip(results, refs):
        want = open(ref, "rb").read()
        got = gen_out[offset:offset + len(want)]
        offset += len(want)
        if got != want and not (t.endswith("f32") and len(got) == len(want)
                                and floats_close(got, want)):
            same = False
    (equal if same and offset == len(gen_out) else different).append(tag)

for tag, why in rejected:
    print(f"not lowered: {tag}: {why}")
for tag in different:
    print(f"DIFFERENT: {tag}")
print(f"{len(equal)} lowered and equal, {len(different)} different, "
      f"{len(rejected)} not lowered")
if different or len(equal) < min_compiled:
    sys.exit(1)
