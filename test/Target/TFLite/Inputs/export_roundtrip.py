#!/usr/bin/env python3
"""A model exported to .tflite computes what the model does.

    export_roundtrip.py --importer-tests DIR OUT
        every model the importer tests in DIR write (test/Import/*.py)
    export_roundtrip.py --models OUT [--armnn] [--data X.npy --samples N]
                        [--sample FILE]... MODEL...
        each MODEL (.tflite, or .mlir such as a pruned model)

For each model: import it (a .tflite), export it with
`tinyprune-translate --export-tflite`, and check that
  - the file passes the FlatBuffers verifier of our schema (tflite-verify);
  - it imports again, and `tinyprune run` writes the same bytes for the
    source and the exported file on random inputs (and on the --sample
    files and N images of --data, quantized with the input's scale);
  - whether importing it again gives the source's IR after raising,
    character for character (counted, and required for .tflite sources of
    --models: their export must be exact);
  - with --armnn: Arm NN's TFLite parser on the CpuRef backend runs the
    exported file, and predicts what `tinyprune run` predicts (argmax) on
    every input; for a .tflite source Arm NN's outputs on the exported file
    are byte for byte its outputs on the original.
Prints one line per model (--models) or a summary (--importer-tests) and
exits 1 with a message at the first failure. Models the importer rejects
(the error tests' files) are skipped; models the exporter rejects are
listed with the exporter's message.
"""

import argparse
import glob
import os
import random
import re
import struct
import subprocess
import sys

ELEMENT = {"i8": ("b", 1), "i16": ("h", 2), "i32": ("i", 4), "i64": ("q", 8),
           "f32": ("f", 4), "i1": ("B", 1)}


def fail(msg):
    print("FAIL: " + msg)
    sys.exit(1)


def tool(args, check=True):
    r = subprocess.run(args, capture_output=True)
    if check and r.returncode != 0:
        fail("%s failed:\n%s" % (" ".join(args), r.stderr.decode()))
    return r


def signature(text):
    """[(shape, element, quant (scale, zp) or None)] of @main's arguments,
    and the element types of its results."""
    m = re.search(r"func\.func @main\((.*?)\) -> (.*?) \{\n", text)
    if not m:
        return None, []
    args = []
    for a in re.finditer(r"%arg\d+: tensor<((?:\d+x)*)(\w+)>"
                         r"( \{tinyprune\.quant = #tinyprune\.quant<scale = "
                         r"([-\d.e+]+), zero_point = (-?\d+)>\})?",
                         m.group(1)):
        shape = [int(d) for d in a.group(1).rstrip("x").split("x")
                 if d] if a.group(1) else []
        quant = (float(a.group(4)), int(a.group(5))) if a.group(3) else None
        args.append((shape, a.group(2), quant))
    return args, re.findall(r"tensor<(?:\d+x)*(\w+)>", m.group(2))


def count(shape):
    n = 1
    for d in shape:
        n *= d
    return n


def random_input(arg, rng):
    shape, elt, _ = arg
    n = count(shape)
    code, _ = ELEMENT[elt]
    if elt == "f32":
        vals = [rng.uniform(-2.0, 2.0) for _ in range(n)]
    elif elt == "i1":
        vals = [rng.randint(0, 1) for _ in range(n)]
    elif elt == "i8":
        vals = [rng.randint(-128, 127) for _ in range(n)]
    else:
        vals = [rng.randint(-100, 100) for _ in range(n)]
    return struct.pack("<%d%s" % (n, code), *vals)


def npy_floats(path, index, n):
    """Image `index` (n float32 values) of a C-order float32 .npy file."""
    with open(path, "rb") as f:
        magic = f.read(8)
        if magic[:6] != b"\x93NUMPY":
            fail("%s is not a .npy file" % path)
        hlen = struct.unpack("<H" if magic[6] == 1 else "<I",
                             f.read(2 if magic[6] == 1 else 4))[0]
        header = f.read(hlen).decode()
        if "'<f4'" not in header:
            fail("%s: only float32 .npy data is supported" % path)
        f.seek(index * n * 4, 1)
        return struct.unpack("<%df" % n, f.read(n * 4))


def data_input(arg, path, index):
    shape, elt, quant = arg
    n = count(shape)
    vals = npy_floats(path, index, n)
    if elt == "f32":
        return struct.pack("<%df" % n, *vals)
    if elt != "i8" or not quant:
        fail("--data needs a float32 or quantized int8 input")
    scale, zp = quant
    q = [max(-128, min(127, int(round(v / scale)) + zp)) for v in vals]
    return struct.pack("<%db" % n, *q)


def run(runner, model, inputs, base, tag, n_results):
    args = [runner] + (["run"] if runner == "tinyprune" else []) + [model]
    for i, data in enumerate(inputs):
        path = "%s.%s.in%d" % (base, tag, i)
        with open(path, "wb") as f:
            f.write(data)
        args += ["--input", path]
    outs = ["%s.%s.out%d" % (base, tag, i) for i in range(n_results)]
    for p in outs:
        args += ["--output", p]
    r = tool(args, check=False)
    if r.returncode != 0:
        return None, r.stderr.decode()
    result = []
    for p in outs:
        with open(p, "rb") as f:
            result.append(f.read())
    return result, ""


def argmax(raw, elt):
    code, size = ELEMENT[elt]
    vals = struct.unpack("<%d%s" % (len(raw) // size, code), raw)
    return max(range(len(vals)), key=lambda i: vals[i])


def raised(path, out):
    tool(["tinyprune-opt", path, "--tinyprune-raise-to-layers", "-o", out])
    with open(out) as f:
        return f.read()


def export(source, base):
    """Exports `source` (.mlir); returns (path, error line or None)."""
    exported = base + ".exported.tflite"
    r = tool(["tinyprune-translate", "--export-tflite", source, "-o",
              exported], check=False)
    if r.returncode != 0:
        lines = r.stderr.decode().splitlines()
        first = next((l for l in lines if "error:" in l), lines[0] if lines
                     else "")
        return None, first[first.find("error:"):]
    return exported, None


def check(name, source, base, input_sets, results, armnn_ref=None,
          armnn=False):
    """Exports `source`; returns (exported, same IR, Arm NN agreement or
    None when Arm NN rejects the original too)."""
    n_results = len(results)
    exported, err = export(source, base)
    if err:
        return None, err
    tool(["tflite-verify", exported])
    reimported = base + ".reimported.mlir"
    r = tool(["tinyprune-translate", "--import-tflite", exported, "-o",
              reimported], check=False)
    if r.returncode != 0:
        fail("%s: the exported file does not import:\n%s"
             % (name, r.stderr.decode()))
    same_ir = raised(source, base + ".src.raised.mlir") == \
        raised(reimported, base + ".re.raised.mlir")
    agree = total = 0
    max_diff = 0
    for k, inputs in enumerate(input_sets):
        ref, err = run("tinyprune", source, inputs, base, "src%d" % k,
                       n_results)
        if ref is None:
            fail("%s: the source does not run:\n%s" % (name, err))
        got, err = run("tinyprune", exported, inputs, base, "exp%d" % k,
                       n_results)
        if got is None:
            fail("%s: the exported file does not run:\n%s" % (name, err))
        if got != ref:
            fail("%s: the exported file computes other bytes (input set %d)"
                 % (name, k))
        if not armnn:
            continue
        an, err = run("armnn-run", exported, inputs, base, "an%d" % k,
                      n_results)
        if armnn_ref is not None:
            orig, err = run("armnn-run", armnn_ref, inputs, base, "ao%d" % k,
                            n_results)
            if orig is None:
                if an is not None:
                    fail("%s: Arm NN rejects the original only" % name)
                armnn = False  # Arm NN 20.08 cannot run this model at all.
                continue
            if orig != an:
                fail("%s: Arm NN computes other bytes on the exported file"
                     % name)
        if an is None:
            fail("%s: Arm NN rejects the exported file:\n%s" % (name, err))
        total += 1
        code, size = ELEMENT[results[0]]
        agree += argmax(an[0], results[0]) == argmax(ref[0], results[0])
        a = struct.unpack("<%d%s" % (len(an[0]) // size, code), an[0])
        b = struct.unpack("<%d%s" % (len(ref[0]) // size, code), ref[0])
        max_diff = max(max_diff, max(abs(x - y) for x, y in zip(a, b)))
    return (exported, same_ir,
            (agree, total, max_diff) if armnn else None), None


def importer_tests(test_dir, out):
    exported = same_ir = skipped = 0
    rejected = []
    for script in sorted(glob.glob(os.path.join(test_dir, "*.py"))):
        stem = os.path.splitext(os.path.basename(script))[0]
        sub = os.path.join(out, stem)
        os.makedirs(sub, exist_ok=True)
        r = subprocess.run([sys.executable, script, sub], capture_output=True,
                           text=True)
        if r.returncode != 0:
            fail("%s did not write its models:\n%s" % (script, r.stderr))
        for tfl in sorted(glob.glob(os.path.join(sub, "*.tflite"))):
            if tfl.endswith(".exported.tflite"):
                continue
            name = stem + "/" + os.path.basename(tfl)
            base = tfl[:-len(".tflite")]
            mlir = base + ".mlir"
            if tool(["tinyprune-translate", "--import-tflite", tfl, "-o",
                     mlir], check=False).returncode != 0:
                skipped += 1
                continue
            with open(mlir) as f:
                args, results = signature(f.read())
            n_results = len(results)
            if args is None or any(a[1] not in ELEMENT for a in args):
                skipped += 1
                continue
            rng = random.Random(name)
            sets = [[random_input(a, rng) for a in args]]
            # Models whose imported form `tinyprune run` rejects are skipped.
            if run("tinyprune", mlir, sets[0], base, "probe",
                   n_results)[0] is None:
                skipped += 1
                continue
            result, err = check(name, mlir, base, sets, results)
            if err:
                rejected.append((name, err))
                continue
            exported += 1
            same_ir += result[1]
    print("importer models: %d exported and computing the same bytes, %d of "
          "them importing to the same IR; %d not exported; %d skipped"
          % (exported, same_ir, len(rejected), skipped))
    for name, err in rejected:
        print("not exported: %s: %s" % (name, err))


def models(out, paths, armnn, data, samples, sample_files):
    for path in paths:
        name = os.path.basename(path)
        stem = os.path.splitext(name)[0]
        base = os.path.join(out, stem)
        if path.endswith(".tflite"):
            source = base + ".mlir"
            tool(["tinyprune-translate", "--import-tflite", path, "-o",
                  source])
        else:
            source = path
        with open(source) as f:
            args, results = signature(f.read())
        rng = random.Random(name)
        sets = [[random_input(a, rng) for a in args] for _ in range(3)]
        for s in sample_files:
            with open(s, "rb") as f:
                sets.append([f.read()])
        if data:
            sets += [[data_input(args[0], data, i)] for i in range(samples)]
        result, err = check(name, source, base, sets, results,
                            armnn_ref=path if path.endswith(".tflite")
                            else None, armnn=armnn)
        if err:
            fail("%s: %s" % (name, err))
        _, same_ir, agreement = result
        if path.endswith(".tflite") and not same_ir:
            fail("%s: the exported file imports to other IR" % name)
        line = "%s: exported, verified, same bytes on %d inputs, %s IR" % (
            name, len(sets), "same" if same_ir else "other")
        if armnn and agreement is None:
            line += "; Arm NN rejects the original too"
        elif armnn:
            agree, total, max_diff = agreement
            line += "; Arm NN argmax agrees on %d/%d (max |diff| %g)" % (
                agree, total, max_diff)
            if path.endswith(".tflite"):
                line += ", same bytes as on the original"
        print(line)


def main():
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--importer-tests", nargs=2, metavar=("DIR", "OUT"))
    p.add_argument("--models", metavar="OUT")
    p.add_argument("--armnn", action="store_true")
    p.add_argument("--data")
    p.add_argument("--samples", type=int, default=8)
    p.add_argument("--sample", action="append", default=[])
    p.add_argument("paths", nargs="*")
    a = p.parse_args()
    if a.importer_tests:
        os.makedirs(a.importer_tests[1], exist_ok=True)
        importer_tests(*a.importer_tests)
    elif a.models:
        os.makedirs(a.models, exist_ok=True)
        models(a.models, a.paths, a.armnn, a.data, a.samples, a.sample)
    else:
        p.print_usage()
        sys.exit(2)


if __name__ == "__main__":
    main()
