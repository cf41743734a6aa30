#!/usr/bin/env python3
"""Raising to layer ops and lowering back changes no byte of any output.

    layers_roundtrip.py --importer-tests DIR OUT   every model the importer
                                                   tests in DIR write
    layers_roundtrip.py --mlperf DIR OUT           the MLPerf Tiny models in
                                                   DIR, on their samples

For each model: import it, raise it (--tinyprune-raise-to-layers), lower the
raised module (--tinyprune-lower-layers-to-tosa), and check that
  - `tinyprune run` writes the same bytes for the imported, the raised and
    the lowered module on the same inputs;
  - lowering gives the imported ops back: the same non-constant ops in the
    same order, and raising the lowered module gives the raised module
    again, character for character;
  - the lowered module passes --tosa-validate whenever the imported one does
    (always, for the MLPerf models);
  - on the MLPerf models, `tinyprune eval` reports the same on random
    samples for the imported and the raised module.
Models that do not import (the error tests' files) or whose imported form
`tinyprune run` rejects are counted and skipped. Prints one summary line per
model set and the number of layer ops of each kind raised; exits 1 with a
message at the first difference.
"""

import glob
import json
import os
import random
import re
import struct
import subprocess
import sys

LAYER_OPS = ["conv2d", "depthwise_conv2d", "add", "sub", "mul", "max_pool2d",
             "requantize"]
VALIDATE = ["--tosa-attach-target=profiles=pro_int,pro_fp "
            "extensions=doubleround level=none", "--tosa-validate"]
MLPERF = [("kws_ref_model", "kws"), ("vww_96_int8", "vww"),
          ("pretrainedResnet_quant", "ic"), ("ad01_int8", "ad")]


def fail(msg):
    print("FAIL: " + msg)
    sys.exit(1)


def tool(args, check=True):
    r = subprocess.run(args, capture_output=True, text=True)
    if check and r.returncode != 0:
        fail("%s failed:\n%s" % (" ".join(args), r.stderr))
    return r


def opt(src, dst, *flags):
    tool(["tinyprune-opt", src, "-o", dst] + list(flags))
    with open(dst) as f:
        return f.read()


def op_sequence(text):
    """Names of the non-constant ops, in order."""
    names = []
    for line in text.splitlines():
        m = re.match(r'\s*(?:%\S+ = )?"?([a-z_]+\.[a-z_0-9]+)', line)
        if m and m.group(1) not in ("tosa.const", "tosa.const_shape"):
            names.append(m.group(1))
    return names


ELEMENT = {"i8": ("b", 1), "i16": ("h", 2), "i32": ("i", 4), "i64": ("q", 8),
           "f32": ("f", 4), "i1": ("B", 1)}


def random_inputs(text, rng):
    """Random bytes for each argument of @main."""
    m = re.search(r"func\.func @main\((.*?)\) ->", text)
    if not m:
        return None
    inputs = []
    for shape, elt in re.findall(r"tensor<((?:\d+x)*)(\w+)>", m.group(1)):
        if elt not in ELEMENT:
            return None
        count = 1
        for d in shape.rstrip("x").split("x") if shape else []:
            count *= int(d)
        code, _ = ELEMENT[elt]
        if elt == "f32":
            vals = [rng.uniform(-2.0, 2.0) for _ in range(count)]
        elif elt == "i1":
            vals = [rng.randint(0, 1) for _ in range(count)]
        elif elt == "i8":
            vals = [rng.randint(-128, 127) for _ in range(count)]
        else:
            vals = [rng.randint(-100, 100) for _ in range(count)]
        inputs.append(struct.pack("<%d%s" % (count, code), *vals))
    return inputs


def run(model, inputs, out, tag, n_results):
    args = ["tinyprune", "run", model]
    for i, data in enumerate(inputs):
        path = "%s.%s.in%d" % (out, tag, i)
        with open(path, "wb") as f:
            f.write(data)
        args += ["--input", path]
    outs = ["%s.%s.out%d" % (out, tag, i) for i in range(n_results)]
    for p in outs:
        args += ["--output", p]
    r = tool(args, check=False)
    if r.returncode != 0:
        return None, r.stderr
    result = []
    for p in outs:
        with open(p, "rb") as f:
            result.append(f.read())
    return result, ""


def check_model(name, mlir, inputs_for, counts, validate_required):
    """Raises and lowers `mlir`; returns False if it cannot run at all."""
    base = mlir[:-len(".mlir")]
    with open(mlir) as f:
        imported = f.read()
    raised = opt(mlir, base + ".raised.mlir", "--tinyprune-raise-to-layers")
    lowered = opt(base + ".raised.mlir", base + ".lowered.mlir",
                  "--tinyprune-lower-layers-to-tosa")
    again = opt(base + ".lowered.mlir", base + ".again.mlir",
                "--tinyprune-raise-to-layers")
    if op_sequence(lowered) != op_sequence(imported):
        fail("%s: lowering does not give the imported ops back:\n  %s\n  %s"
             % (name, op_sequence(imported), op_sequence(lowered)))
    if again != raised:
        fail("%s: raising the lowered module differs from the raised one"
             % name)
    valid = tool(["tinyprune-opt", mlir, "-o", os.devnull] + VALIDATE,
                 check=False).returncode == 0
    if validate_required and not valid:
        fail("%s: the imported module fails --tosa-validate" % name)
    if valid:
        r = tool(["tinyprune-opt", base + ".lowered.mlir", "-o",
                  os.devnull] + VALIDATE, check=False)
        if r.returncode != 0:
            fail("%s: the lowered module fails --tosa-validate:\n%s"
                 % (name, r.stderr))

    m = re.search(r"func\.func @main\(.*?\) -> \((.*)\) \{|"
                  r"func\.func @main\(.*?\) -> ([^{]*) \{", imported)
    results = m.group(1) or m.group(2) if m else ""
    n_results = len(re.findall(r"tensor<", results))
    input_sets = inputs_for(imported)
    if input_sets is None:
        return False
    for inputs in input_sets:
        ref, err = run(mlir, inputs, base, "imported", n_results)
        if ref is None:
            return False
        for tag, path in (("raised", base + ".raised.mlir"),
                          ("lowered", base + ".lowered.mlir")):
            got, err = run(path, inputs, base, tag, n_results)
            if got is None:
                fail("%s: the %s module does not run:\n%s" % (name, tag, err))
            if got != ref:
                fail("%s: the %s module computes other bytes" % (name, tag))
    for op in LAYER_OPS:
        counts[op] += len(re.findall(r"= tinyprune\.%s " % op, raised))
    return True


def importer_tests(test_dir, out):
    counts = dict((op, 0) for op in LAYER_OPS)
    models = skipped_import = skipped_run = 0
    env = dict(os.environ)
    for script in sorted(glob.glob(os.path.join(test_dir, "*.py"))):
        stem = os.path.splitext(os.path.basename(script))[0]
        sub = os.path.join(out, stem)
        os.makedirs(sub, exist_ok=True)
        r = subprocess.run([sys.executable, script, sub], capture_output=True,
                           text=True, env=env)
        if r.returncode != 0:
            fail("%s did not write its models:\n%s" % (script, r.stderr))
        for tfl in sorted(glob.glob(os.path.join(sub, "*.tflite"))):
            name = stem + "/" + os.path.basename(tfl)
            mlir = tfl[:-len(".tflite")] + ".mlir"
            r = tool(["tinyprune-translate", "--import-tflite", tfl, "-o",
                      mlir], check=False)
            if r.returncode != 0:
                skipped_import += 1
                continue
            rng = random.Random(name)

            def input_sets(text):
                inputs = random_inputs(text, rng)
                return [inputs] if inputs is not None else None

            if check_model(name, mlir, input_sets, counts,
                           validate_required=False):
                models += 1
            else:
                skipped_run += 1
    print("importer models: %d identical after raising and lowering, "
          "%d do not import, %d do not run" % (models, skipped_import,
                                               skipped_run))
    return counts


def eval_report(model, data, labels, out):
    """`tinyprune eval`'s JSON report without what depends on time or the
    model's file name."""
    args = ["tinyprune", "eval", model, "--data", data, "--json", out]
    args += ["--labels", labels] if labels else ["--metric", "mse"]
    tool(args)
    with open(out) as f:
        report = json.load(f)
    for key in ("model", "seconds", "inferences_per_second"):
        report.pop(key, None)
    return report


def check_eval(model, base, imported, rng):
    """Evaluates the imported and the raised module on 8 random samples."""
    from npygen import write_npy
    m = re.search(r"func\.func @main\(%arg0: tensor<([\dx]+)xi8>", imported)
    if not m:
        fail("%s: expected one int8 input" % model)
    shape = [int(d) for d in m.group(1).split("x")][1:]
    count = 1
    for d in shape:
        count *= d
    data, labels = base + ".eval.npy", None
    write_npy(data, [rng.randint(-128, 127) for _ in range(8 * count)],
              shape=[8] + shape, dtype="int8")
    if model != "ad01_int8":
        labels = base + ".labels.npy"
        write_npy(labels, [rng.randint(0, 1) for _ in range(8)], shape=[8],
                  dtype="int64")
    ref = eval_report(base + ".mlir", data, labels, base + ".imported.json")
    got = eval_report(base + ".raised.mlir", data, labels,
                      base + ".raised.json")
    if got != ref:
        fail("%s: tinyprune eval reports differently on the raised module"
             % model)


def mlperf(model_dir, out):
    counts = dict((op, 0) for op in LAYER_OPS)
    for model, short in MLPERF:
        mlir = os.path.join(out, model + ".mlir")
        tool(["tinyprune-translate", "--import-tflite",
              os.path.join(model_dir, model + ".tflite"), "-o", mlir])
        sample = os.path.join(model_dir, "samples", short + "_input0_int8.bin")
        with open(sample, "rb") as f:
            data = f.read()
        rng = random.Random(model)

        def input_sets(text):
            # The sample, and random inputs, on which a confident model's
            # outputs move more.
            return [[data]] + [random_inputs(text, rng) for _ in range(2)]

        if not check_model(model, mlir, input_sets, counts,
                           validate_required=True):
            fail("%s does not run" % model)
        with open(mlir) as f:
            check_eval(model, mlir[:-len(".mlir")], f.read(),
                       random.Random(model))
        print("%s: identical after raising and lowering" % model)
    return counts


def main():
    if len(sys.argv) != 4 or sys.argv[1] not in ("--importer-tests",
                                                 "--mlperf"):
        print(__doc__)
        sys.exit(2)
    out = sys.argv[3]
    os.makedirs(out, exist_ok=True)
    if sys.argv[1] == "--importer-tests":
        counts = importer_tests(sys.argv[2], out)
    else:
        counts = mlperf(sys.argv[2], out)
    print("raised: " + ", ".join("%s %d" % (op, counts[op])
                                 for op in LAYER_OPS))


if __name__ == "__main__":
    main()
