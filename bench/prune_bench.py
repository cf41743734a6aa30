#!/usr/bin/env python3
"""Filterlet-pruning results: for each model and sparsity, with and without
calibration-based recovery, the flash and instructions per inference of the
generated code on Cortex-M4F and M0+ (QEMU), for the whole model and for the
pruned layers only against the dense model, and the accuracy (Fashion-MNIST
fixtures, full test split) or the fidelity to the dense model (MLPerf Tiny
IC and VWW, whose data sets are not here; bench/fidelity.py).

    /usr/bin/python3 bench/prune_bench.py [--models ic,vww,fashion_dscnn_int8]
        [--sparsities 0.3,0.5,0.7,0.9] [--recovery off|on|both]
        [--no-qemu | --no-mcu] [--per-layer] [--json rows.json]
        [--target none|cortex-m0plus|cortex-m4|cortex-m7]
    /usr/bin/python3 bench/prune_bench.py --rows a.json,b.json [--per-layer]

How each figure is obtained (docs/pruning-results.md says more):
- The model is imported (`tinyprune-translate --import-tflite`), pruned
  (`tinyprune-opt --tinyprune-raise-to-layers
  --filterlet-prune="sparsity=S [calibration=F]"`) and
  compiled (`tinyprune compile`). Sparsity 0 is the dense model, unpruned.
  `--target` is passed to the pass: with a core, the cost model keeps dense
  the layers whose sparse form would not pay there, and "pruned layers"
  are the ones it did prune.
- Flash: `.text` / `.rodata` of the model's object for Cortex-M4F (GCC -Os),
  for the whole model (dense → pruned) and, for the pruned layers, the size
  of their dense weight arrays in the dense object against the size of
  their sparse format (kept values, row pointers, indices, offset and tap
  tables, the SparseFilter struct) in the pruned object, symbol by symbol.
  The whole model can grow while the pruned layers shrink: the sparse
  kernels are code.
- Instructions: one inference under QEMU with the mcu-kit plugin, by the
  harness of test/mcu (run_mcu.py). For the pruned layers, a second
  firmware has `tinyprune_mark()` calls inserted before and after every
  convolution's statements in the generated `_invoke`: the counts between
  them, summed over the layers the pass pruned, in the dense and the pruned
  model. Each firmware's output is checked against `tinyprune run`. With
  --no-qemu only the object is built (flash) and counts come from the cache.
- Accuracy: `tinyprune eval` on the fixtures' 10,000 test images.
  Fidelity (MLPerf): the pruned model's outputs against the dense model's
  on the sample and on synthetic inputs picked so that the dense top-1 is
  spread over the classes: top-1 agreement beside the share of the dense
  model's most common class on those inputs, and the squared output error
  relative to the dense outputs' variance (0 = identical; >= 1 for any
  model whose output does not depend on its input). See fidelity.py.
- Recovery: the pass gets `calibration=FILE`, the first 512 training images
  (fixtures; never the test split) or the sample plus 255 uniform random
  inputs (MLPerf). When the pass rejects the option, those rows say so.

Results are cached in bench/results/prune_bench.json, keyed by the SHA-256
of what they depend on (the pruned MLIR for accuracy and fidelity, the
generated code for MCU figures), so a re-run only measures what changed.
"""

import argparse
import hashlib
import json
import os
import re
import subprocess
import sys
import tempfile

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
INPUTS = os.path.join(ROOT, "test", "mcu", "Inputs")
sys.path.insert(0, INPUTS)
import run_firmware  # noqa: E402
import run_mcu  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fidelity  # noqa: E402

SHARED = os.path.join(ROOT, "..", "shared")
KIT = os.path.join(SHARED, "mcu-kit", "insncount.c")
MLPERF = os.path.join(SHARED, "models", "mlperf-tiny")
FIXTURES = os.path.join(ROOT, "test", "models")
DATA = os.path.join(os.environ.get("TINYPRUNE_DATA", os.path.expanduser(
    os.path.join("~", ".cache", "tinyprune-data"))), "fashion-mnist")
CACHE = os.path.join(ROOT, "bench", "results", "prune_bench.json")
CORES = ["cortex-m4", "cortex-m0plus"]
# MLPerf models: short name -> (file, sample input).
MLPERF_MODELS = {"ic": ("pretrainedResnet_quant", "ic_input0_int8"),
                 "vww": ("vww_96_int8", "vww_input0_int8")}
FIXTURE_MODELS = [f"fashion_{net}_{kind}" for net in
                  ("dscnn", "mobilenet", "resnet8")
                  for kind in ("int8", "float")]
CALIBRATION_SEED = 2
# MLPerf fidelity inputs (fidelity.py): pool size and inputs per dense top-1
# class, and the pool's seed.
FIDELITY = {"ic": (1500, 25), "vww": (1000, 150)}
FIDELITY_SEED = 1
# Bumped when the fidelity measure or its inputs change.
FIDELITY_METHOD = 1
CALIBRATION_IMAGES = 512
NO_CALIBRATION = "n/a (pass has no calibration option yet)"
# Targets of the pruning issue.
SPEED_TARGET, FLASH_TARGET = 1.8, 1.8
DROP_TARGETS = {0.5: 0.5, 0.7: 2.0}  # sparsity -> allowed accuracy drop

# Bumped when a measurement's method changes: cache entries keyed with an
# older one are measured again.
METHOD = 1

CONV_CALL = re.compile(r"tinyprune::rt::(sparseConv\w+|conv\w+)\(")


def sha(*parts):
    h = hashlib.sha256()
    for p in parts:
        h.update(p if isinstance(p, bytes) else p.encode())
    return h.hexdigest()[:16]


def tool(build, name, *args, **kw):
    return subprocess.run([os.path.join(build, "bin", name), *args],
                          check=True, capture_output=True, text=True, **kw)


class NoCalibration(Exception):
    """The pass does not take a `calibration` option."""


def prune(build, dense_mlir, sparsity, calibration, out, target="none"):
    """Runs the pass; returns (achieved sparsity, eligible layers)."""
    opts = f"sparsity={sparsity} report=- target={target}"
    if calibration:
        opts += f" calibration={calibration}"
    # The pass prunes layer ops; the model goes back to TOSA for `tinyprune
    # compile` and the text this script reads.
    r = subprocess.run([os.path.join(build, "bin", "tinyprune-opt"),
                        dense_mlir, "--tinyprune-raise-to-layers",
                        f"--filterlet-prune={opts}",
                        "--tinyprune-lower-layers-to-tosa", "-o", out],
                       capture_output=True, text=True)
    if r.returncode != 0:
        if calibration and re.search(r"no such option calibration", r.stderr):
            raise NoCalibration()
        sys.exit(f"prune_bench: the pass failed:\n{r.stderr}")
    # The report goes to stdout ('-').
    total = re.search(r"^total: .*\(sparsity ([0-9.]+)[;)]", r.stdout, re.M)
    layers = re.findall(r"^\s+\d+ ", r.stdout, re.M)
    return float(total.group(1)), len(layers)


# --- Generated code: per-convolution marks and weight symbols ------------


def conv_blocks(cpp):
    """The top-level statements of each op in `_invoke`, in order: a list of
    (op, first line, end line) with lines indexing cpp.splitlines()."""
    lines = cpp.splitlines()
    start = next(i for i, line in enumerate(lines)
                 if re.match(r'extern "C" int \w+_invoke\(', line))
    blocks = []
    for i in range(start + 1, len(lines)):
        m = re.match(r"^  // (\S+)$", lines[i])
        if m or lines[i] == "  return 0;":
            if blocks:
                blocks[-1][2] = i
            if not m:
                break
            blocks.append([m.group(1), i + 1, None])
    return [tuple(b) for b in blocks]


def instrument(cpp):
    """`cpp` with tinyprune_mark() before and after every convolution's
    statements; returns (text, the convolution blocks)."""
    lines = cpp.splitlines()
    convs = [b for b in conv_blocks(cpp) if b[0] == "tosa.conv2d"]
    for _, first, end in reversed(convs):
        lines.insert(end, "  tinyprune_mark();")
        lines.insert(first, "  tinyprune_mark();")
    return ('extern "C" void tinyprune_mark();\n' + "\n".join(lines) + "\n",
            convs)


def conv_layers(cpp):
    """Per convolution of `_invoke`, in order: whether it is sparse and the
    constant symbols of its filter (the dense array, or the SparseFilter
    struct and the arrays it points to)."""
    lines = cpp.splitlines()
    layers = []
    for _, first, end in [b for b in conv_blocks(cpp)
                          if b[0] == "tosa.conv2d"]:
        body = "\n".join(lines[first:end])
        kernel = CONV_CALL.search(body).group(1)
        if kernel.startswith("sparse"):
            struct = re.search(r"\b(k\d+_sparse)\b", body).group(1)
            init = re.search(r"\b" + struct + r" = \{([^}]*)\}", cpp).group(1)
            symbols = [struct] + re.findall(r"\bk\d+_\w+", init)
            layers.append({"sparse": True, "symbols": symbols})
        else:
            # The filter comes before the bias, the only other w<N> array.
            layers.append({"sparse": False,
                           "symbols": [re.search(r"\b(w\d+)\b",
                                                 body).group(1)]})
    return layers


def split_args(text):
    """The top-level comma-separated arguments of a call's argument text."""
    args, depth, cur = [], 0, ""
    for ch in text:
        if ch in "({[":
            depth += 1
        elif ch in ")}]":
            if depth == 0:
                break
            depth -= 1
        if ch == "," and depth == 0:
            args.append(cur.strip())
            cur = ""
        else:
            cur += ch
    args.append(cur.strip())
    return args


def conv_geometry(cpp):
    """Per convolution of `_invoke`, in order: the kernel, its geometry when
    the call has literal arguments (None for row-streamed in-place layers)
    and, for sparse ones, the block length and kept filterlet count."""
    lines = cpp.splitlines()
    out = []
    for _, first, end in [b for b in conv_blocks(cpp)
                          if b[0] == "tosa.conv2d"]:
        body = "\n".join(lines[first:end])
        m = CONV_CALL.search(body)
        args = split_args(body[m.end():])
        geo = {"kernel": m.group(1)}
        names = ["batches", "inH", "inW", "inC", None, "outC", "kH", "kW",
                 None, None, "outH", "outW"]
        try:
            for name, a in zip(names, args[3:]):
                if name:
                    geo[name] = int(a)
            geo["stride"] = int(split_args(
                args[0][args[0].index("{") + 1:])[0])
        except ValueError:
            out.append(geo)
            continue
        if geo["kernel"].startswith("sparse"):
            init = re.search(r"\b" + args[11] + r" = \{([^}]*)\}", cpp).group(1)
            fields = [f.strip() for f in init.split(",")]
            b = int(fields[-1])
            kept = int(re.search(r"\b" + fields[2] + r"\[(\d+)\]",
                                 cpp).group(1))
            geo["B"], geo["kept"] = b, kept // b
        out.append(geo)
    return out


def symbol_sizes(obj):
    """Sizes of the (demangled) symbols of an object."""
    nm = subprocess.run(["arm-none-eabi-nm", "-S", "-C", obj], check=True,
                        capture_output=True, text=True).stdout
    sizes = {}
    for line in nm.splitlines():
        parts = line.split(maxsplit=3)
        if len(parts) == 4:
            name = parts[3].removeprefix("(anonymous namespace)::")
            sizes[name] = int(parts[1], 16)
    return sizes


def gen_hash(gen):
    """Hash of a `tinyprune compile` output folder (code and runtime)."""
    parts = []
    for dirpath, _, files in sorted(os.walk(gen)):
        for f in sorted(files):
            if f.endswith((".cpp", ".h")):
                with open(os.path.join(dirpath, f), "rb") as fh:
                    parts += [f.encode(), fh.read()]
    return sha(*parts)


def same_output(got, want, is_float):
    """int8 outputs must equal the host's byte for byte; float ones may
    differ by rounding (summation order, libm) but not in the top-1."""
    if not is_float:
        return got == want
    a, b = np.frombuffer(got, np.float32), np.frombuffer(want, np.float32)
    return (a.shape == b.shape and np.argmax(a) == np.argmax(b) and
            bool(np.all(np.abs(a - b) <= 1e-4 * max(1.0, np.abs(b).max()))))


def measure_mcu(gen, input_path, host_out, is_float, plugin, work, cores):
    """Flash and instructions of the compiled model in `gen`: per core, the
    whole inference (plain firmware) and per convolution (marked one)."""
    with open(os.path.join(gen, "m.cpp")) as f:
        cpp = f.read()
    marked_gen = gen + "-marked"
    subprocess.run(["cp", "-r", gen, marked_gen], check=True)
    marked, convs = instrument(cpp)
    with open(os.path.join(marked_gen, "m.cpp"), "w") as f:
        f.write(marked)
    with open(host_out, "rb") as f:
        want = f.read()
    result = {"layers": conv_layers(cpp)}
    for core in cores:
        fig = {}
        for variant, g in (("plain", gen), ("marked", marked_gen)):
            w = os.path.join(work, f"{core}-{variant}")
            out = os.path.join(w, "out.bin")
            elf, board, obj = run_mcu.build(core, g, "m", input_path, out, w)
            status, text, marks = run_firmware.run(elf, board, plugin)
            with open(out, "rb") as f:
                same = same_output(f.read(), want, is_float)
            if status != 0 or not same:
                verdict = "equals" if same else "differs from"
                sys.exit(f"prune_bench: {gen} on {core} ({variant}): status "
                         f"{status}, output {verdict} the host's\n{text}")
            if variant == "plain":
                fig["instructions"] = marks[-1] - marks[0]
                fig["code"], fig["rodata"] = run_mcu.object_sizes(obj)
                fig["symbols"] = {s: size for s, size in
                                  symbol_sizes(obj).items()
                                  if any(s in layer["symbols"]
                                         for layer in result["layers"])}
            else:
                if len(marks) != 2 + 2 * len(convs):
                    sys.exit(f"prune_bench: {len(marks)} marks for "
                             f"{len(convs)} convolutions in {gen}")
                fig["conv_instructions"] = [marks[2 + 2 * i] - marks[1 + 2 * i]
                                            for i in range(len(convs))]
        result[core] = fig
    return result


def measure_flash(gen, work):
    """The flash figures of measure_mcu() without running anything: the
    model's object for Cortex-M4F (as run_mcu.build compiles it), its
    .text/.rodata and the sizes of the convolutions' filter symbols."""
    with open(os.path.join(gen, "m.cpp")) as f:
        layers = conv_layers(f.read())
    os.makedirs(work, exist_ok=True)
    obj = os.path.join(work, "m.o")
    flags, _ = run_firmware.CORES[CORES[0]]
    subprocess.run(["arm-none-eabi-g++", "-Os", *flags,
                    *run_firmware.CXX_FLAGS, "-I" + gen, "-c",
                    os.path.join(gen, "m.cpp"), "-o", obj], check=True)
    code, rodata = run_mcu.object_sizes(obj)
    symbols = {s: size for s, size in symbol_sizes(obj).items()
               if any(s in layer["symbols"] for layer in layers)}
    return {"layers": layers,
            CORES[0]: {"code": code, "rodata": rodata, "symbols": symbols}}


# --- Data -----------------------------------------------------------------


def input_quant(mlir):
    """(scale, zero point) of the model input, or None for float input."""
    m = re.search(r"func\.func @main\(%arg0: tensor<[^>]*xi8> \{tinyprune\."
                  r"quant = #tinyprune\.quant<scale = ([-0-9.e+]+), "
                  r"zero_point = (-?\d+)>", mlir)
    return (float(m.group(1)), int(m.group(2))) if m else None


def to_input(x, quant):
    """Float samples as the model's raw input (TFLite-style quantization)."""
    if quant is None:
        return x.astype(np.float32)
    scale, zp = quant
    q = x / scale
    q = np.sign(q) * np.floor(np.abs(q) + 0.5) + zp
    return np.clip(q, -128, 127).astype(np.int8)


def random_inputs(shape, n, seed):
    rng = np.random.default_rng(seed)
    return rng.integers(-128, 128, size=(n, *shape), dtype=np.int8)


def top1(build, mlir, data, labels, json_out):
    tool(build, "tinyprune", "eval", mlir, "--data", data, "--labels",
         labels, "--threads", "2", "--json", json_out)
    with open(json_out) as f:
        r = json.load(f)
    return r["top1_accuracy"], r["samples"]


# --- One model ------------------------------------------------------------


class Model:
    """A model under test: its files, data and the cache."""

    def __init__(self, name, args, cache, tmp, plugin):
        self.name, self.args, self.cache = name, args, cache
        self.plugin = plugin
        self.tmp = os.path.join(tmp, name)
        os.makedirs(self.tmp)
        self.mlperf = name in MLPERF_MODELS
        if self.mlperf:
            file, sample = MLPERF_MODELS[name]
            self.tflite = os.path.join(MLPERF, file + ".tflite")
            self.sample = os.path.join(MLPERF, "samples", sample + ".bin")
        else:
            self.tflite = os.path.join(FIXTURES, name + ".tflite")
        self.dense = os.path.join(self.tmp, "dense.mlir")
        tool(args.build, "tinyprune-translate", "--import-tflite",
             self.tflite, "-o", self.dense)
        with open(self.dense) as f:
            self.dense_text = f.read()
        quant = input_quant(self.dense_text)
        self.float_output = bool(re.search(
            r"func\.func @main\(.*\) -> \(?tensor<[^>]*xf32>",
            self.dense_text))
        if self.mlperf:
            shape = re.search(r"@main\(%arg0: tensor<1x(\d+)x(\d+)x(\d+)xi8>",
                              self.dense_text).groups()
            shape = tuple(int(s) for s in shape)
            sample = np.fromfile(self.sample, dtype=np.int8).reshape(shape)
            self.mcu_input = self.sample
            calib = np.concatenate(
                [sample[None], random_inputs(shape, 255, CALIBRATION_SEED)])
            self.calibration = os.path.join(self.tmp, "calibration.npy")
            np.save(self.calibration, calib)
            self.fidelity_inputs(sample)
        else:
            test_x = np.load(os.path.join(DATA, "test_x.npy"), mmap_mode="r")
            self.mcu_input = os.path.join(self.tmp, "input.bin")
            to_input(np.asarray(test_x[0]), quant).tofile(self.mcu_input)
            self.calibration = os.path.join(self.tmp, "calibration.npy")
            train_x = np.load(os.path.join(DATA, "train_x.npy"), mmap_mode="r")
            np.save(self.calibration, np.asarray(train_x[:CALIBRATION_IMAGES]))

    def fidelity_inputs(self, sample):
        """The fidelity input set (fidelity.py) and the dense outputs on it:
        the sample and pool images picked so that the dense top-1 is
        spread over the classes."""
        n_pool, per_class = FIDELITY[self.name]
        gen = os.path.join(self.tmp, "fidelity-dense")
        tool(self.args.build, "tinyprune", "compile", self.dense, "-o", gen,
             "--name", "m")
        exe = fidelity.build_host(gen, "m", gen + "-work")
        train_x = np.load(os.path.join(DATA, "train_x.npy"), mmap_mode="r")
        gray = np.asarray(train_x[:1000], np.float64).reshape(-1, 28, 28)
        gray *= 255 / max(gray.max(), 1e-9)
        self.fid_x = fidelity.input_set(exe, sample, n_pool, per_class,
                                        FIDELITY_SEED, gray, gen + "-work")
        self.fid_key = sha(self.fid_x.tobytes())
        self.fid_dense = fidelity.run_batch(exe, self.fid_x, gen + "-work")
        fidelity.check_against_interpreter(
            os.path.join(self.args.build, "bin", "tinyprune"), self.dense,
            self.fid_x[:2], self.fid_dense[:2], gen + "-work")

    def evaluate(self, mlir, text, gen):
        """Accuracy (fixtures) or fidelity to the dense model (MLPerf; `gen`
        is the compiled model)."""
        if self.mlperf:
            key = f"fidelity{FIDELITY_METHOD}/{sha(text)}/{self.fid_key}"
            if key not in self.cache:
                work = gen + "-fidelity"
                exe = fidelity.build_host(gen, "m", work)
                raw = fidelity.run_batch(exe, self.fid_x, work)
                fidelity.check_against_interpreter(
                    os.path.join(self.args.build, "bin", "tinyprune"), mlir,
                    self.fid_x[:2], raw[:2], work)
                self.cache[key] = fidelity.measure(
                    self.fid_dense, raw, fidelity.output_quant(text))
            return self.cache[key]
        key = f"accuracy/{sha(text)}"
        if key not in self.cache:
            acc, n = top1(self.args.build, mlir,
                          os.path.join(DATA, "test_x.npy"),
                          os.path.join(DATA, "test_y.npy"),
                          os.path.join(self.tmp, "e.json"))
            self.cache[key] = {"accuracy": acc, "samples": n}
        return self.cache[key]

    def configuration(self, sparsity, recovery):
        """All figures of one (sparsity, recovery); sparsity 0 is dense."""
        tag = f"s{sparsity}-{'rec' if recovery else 'none'}"
        mlir = self.dense
        row = {"model": self.name, "sparsity": sparsity,
               "recovery": recovery, "target": self.args.target}
        if sparsity > 0:
            mlir = os.path.join(self.tmp, tag + ".mlir")
            try:
                row["achieved"], row["eligible"] = prune(
                    self.args.build, self.dense, sparsity,
                    self.calibration if recovery else None, mlir,
                    self.args.target)
            except NoCalibration:
                row["unavailable"] = NO_CALIBRATION
                return row
        with open(mlir) as f:
            text = f.read()
        gen = os.path.join(self.tmp, tag)
        r = tool(self.args.build, "tinyprune", "compile", mlir, "-o", gen,
                 "--name", "m")
        row["quality"] = self.evaluate(mlir, text, gen)
        with open(os.path.join(gen, "m.cpp")) as f:
            row["geometry"] = conv_geometry(f.read())
        out = r.stdout + r.stderr
        row["constant_bytes"] = int(re.search(r"(\d+) constant bytes",
                                              out).group(1))
        host = os.path.join(self.tmp, tag + ".host")
        tool(self.args.build, "tinyprune", "run", mlir, "--input",
             self.mcu_input, "--output", host)
        if self.mlperf:
            row["sample_top1"] = int(np.argmax(np.fromfile(host,
                                                           dtype=np.int8)))
        if not self.args.no_mcu:
            code = gen_hash(gen)
            with open(self.mcu_input, "rb") as f:
                key = f"mcu{METHOD}/{code}/{sha(f.read())}"
            if key not in self.cache and not self.args.no_qemu:
                self.cache[key] = measure_mcu(gen, self.mcu_input, host,
                                              self.float_output, self.plugin,
                                              gen + "-work", CORES)
            if key in self.cache:
                row["mcu"] = self.cache[key]
            else:
                # Flash only: the M4F object, no QEMU run.
                fkey = f"flash{METHOD}/{code}"
                if fkey not in self.cache:
                    self.cache[fkey] = measure_flash(gen, gen + "-work")
                row["mcu"] = self.cache[fkey]
        return row


def pruned_layer_figures(dense, row):
    """Flash and instructions of the layers the pass pruned, dense and
    sparse, from the two models' per-convolution figures."""
    d, s = dense["mcu"], row["mcu"]
    if len(d["layers"]) != len(s["layers"]):
        sys.exit(f"prune_bench: {row['model']}: dense and pruned code have "
                 f"different convolutions")
    picked = [i for i, layer in enumerate(s["layers"]) if layer["sparse"]]
    fig = {"layers": len(picked)}
    sym_d, sym_s = d[CORES[0]]["symbols"], s[CORES[0]]["symbols"]
    fig["bytes"] = (sum(sym_d[n] for i in picked
                        for n in d["layers"][i]["symbols"]),
                    sum(sym_s[n] for i in picked
                        for n in s["layers"][i]["symbols"]))
    for core in CORES:
        if "conv_instructions" in d.get(core, {}) and \
                "conv_instructions" in s.get(core, {}):
            fig[core] = (sum(d[core]["conv_instructions"][i]
                             for i in picked),
                         sum(s[core]["conv_instructions"][i]
                             for i in picked))
    return fig


# --- Table ----------------------------------------------------------------


def ratio(pair):
    return pair[0] / pair[1] if pair[1] else float("inf")


def pair(p, unit=""):
    """'dense→pruned (ratio×)' of a (dense, pruned) pair."""
    return f"{p[0]:,}{unit}→{p[1]:,}{unit} ({ratio(p):.2f}×)"


def quality_text(r, dense):
    """Accuracy with the change from dense (fixtures), or the fidelity to
    the dense model (MLPerf: top-1 agreement beside the majority-class rate
    of the dense model on the same inputs, and the relative output error)."""
    q = r["quality"]
    if "accuracy" in q:
        text = f"{100 * q['accuracy']:.2f} %"
        if r["sparsity"]:
            drop = 100 * (dense["quality"]["accuracy"] - q["accuracy"])
            text += f" ({-drop:+.2f})"
        return text
    same = r["sample_top1"] == dense["sample_top1"]
    return (f"{100 * q['agreement']:.1f} % of {q['samples']} "
            f"(majority {100 * q['majority']:.1f} %); "
            f"error {q['output_error']:.3f}; "
            f"mean abs change {q['mean_abs_change']:.3f}; "
            f"sample {'agrees' if same else 'differs'}")


def table(rows, dense_rows, no_mcu):
    head = ["model", "sparsity", "recovery", "achieved", "const B"]
    if not no_mcu:
        head += ["model flash B (M4F)", "model code B", "pruned layers B",
                 "M4F insns", "M0+ insns", "pruned layers M4F insns",
                 "pruned layers M0+ insns"]
    head += ["accuracy / fidelity"]
    out = ["| " + " | ".join(head) + " |",
           "|" + "|".join("---" if i < 3 else "---:"
                          for i in range(len(head))) + "|"]
    for r in rows:
        dense = dense_rows[r["model"]]
        cells = [r["model"], f"{r['sparsity']:.1f}" if r["sparsity"] else
                 "dense", "on" if r["recovery"] else "off"]
        if "unavailable" in r:
            out.append("| " + " | ".join(cells + [r["unavailable"]] +
                                         [""] * (len(head) - 4)) + " |")
            continue
        cells.append(f"{r['achieved']:.3f}" if "achieved" in r else "-")
        cells.append(f"{r['constant_bytes']:,}")
        if not no_mcu:
            mcu, dmcu = r["mcu"][CORES[0]], dense["mcu"][CORES[0]]
            p = pruned_layer_figures(dense, r) if r["sparsity"] else None
            r["pruned_layers"] = p
            flash = (dmcu["code"] + dmcu["rodata"],
                     mcu["code"] + mcu["rodata"])
            code = (dmcu["code"], mcu["code"])
            r["model_flash"] = flash
            if p:
                cells += [pair(flash),
                          f"{code[0]:,}→{code[1]:,} ({code[1] - code[0]:+,})",
                          pair(p["bytes"])]
            else:
                cells += [f"{flash[0]:,}", f"{code[0]:,}", "-"]
            cells += [f"{r['mcu'][c]['instructions']:,}"
                      if "instructions" in r["mcu"].get(c, {}) else
                      "not run" for c in CORES]
            cells += [(pair(p[c]) if c in p else "not run") if p else "-"
                      for c in CORES]
        cells.append(quality_text(r, dense))
        out.append("| " + " | ".join(cells) + " |")
    return "\n".join(out)


def per_layer(rows, dense_rows):
    """Per pruned convolution of each pruned row: geometry, kept fraction,
    MACs and instructions dense -> sparse on each core."""
    head = ["model", "sparsity", "layer", "geometry", "B", "kept",
            "MACs dense→kept"] + [f"{c} insns" for c in CORES] + [
            f"{c} insns/MAC d,s" for c in CORES]
    out = ["| " + " | ".join(head) + " |",
           "|" + "|".join("---" for _ in head) + "|"]
    for r in rows:
        if not r["sparsity"] or "mcu" not in r or any(
                "conv_instructions" not in m.get(c, {})
                for m in (r["mcu"], dense_rows[r["model"]]["mcu"])
                for c in CORES):
            continue
        d = dense_rows[r["model"]]["mcu"]
        for i, geo in enumerate(r["geometry"]):
            if not geo["kernel"].startswith("sparse"):
                continue
            if "kH" not in geo:
                out.append(f"| {r['model']} | {r['sparsity']:.1f} | {i} | "
                           "(row-streamed: no literal geometry) |")
                continue
            ids = geo["kH"] * geo["kW"] * geo["inC"] // geo["B"] * geo["outC"]
            pix = geo["batches"] * geo["outH"] * geo["outW"]
            macs = (pix * geo["outC"] * geo["kH"] * geo["kW"] * geo["inC"],
                    pix * geo["kept"] * geo["B"])
            cells = [r["model"], f"{r['sparsity']:.1f}", str(i),
                     f"{geo['kH']}x{geo['kW']}/{geo['stride']} "
                     f"{geo['inC']}->{geo['outC']} out {geo['outH']}x"
                     f"{geo['outW']}", str(geo["B"]),
                     f"{geo['kept']}/{ids} ({geo['kept'] / ids:.2f})",
                     f"{macs[0]:,}→{macs[1]:,} ({ratio(macs):.2f}×)"]
            pairs = [(d[c]["conv_instructions"][i],
                      r["mcu"][c]["conv_instructions"][i]) for c in CORES]
            cells += [f"{a:,}→{b:,} ({ratio((a, b)):.2f}×)"
                      for a, b in pairs]
            cells += [f"{a / macs[0]:.2f},{b / max(macs[1], 1):.2f}"
                      for a, b in pairs]
            out.append("| " + " | ".join(cells) + " |")
    return "\n".join(out)


def targets(rows, dense_rows, no_mcu):
    """Lines on the issue's targets, with the numbers."""
    lines = []
    for r in rows:
        if "unavailable" in r or not r["sparsity"]:
            continue
        name = f"{r['model']} {r['sparsity']} recovery " \
               f"{'on' if r['recovery'] else 'off'}"
        if r["target"] != "none":
            name += f" target={r['target']}"
        if r["sparsity"] == 0.5 and not no_mcu:
            p = r["pruned_layers"]
            checks = [(f"flash {ratio(p['bytes']):.2f}×",
                       ratio(p["bytes"]) >= FLASH_TARGET)]
            checks += [(f"{c} {ratio(p[c]):.2f}×",
                        ratio(p[c]) >= SPEED_TARGET) for c in CORES if c in p]
            lines.append(f"{name}: pruned layers " + ", ".join(
                f"{t} {'met' if ok else 'NOT met'}" for t, ok in checks) +
                f"; whole model flash {ratio(r['model_flash']):.2f}×")
        q = r["quality"]
        if r["recovery"] and "accuracy" in q and r["sparsity"] in DROP_TARGETS:
            drop = 100 * (dense_rows[r["model"]]["quality"]["accuracy"] -
                          q["accuracy"])
            allowed = DROP_TARGETS[r["sparsity"]]
            verdict = "met" if drop <= allowed else "NOT met"
            lines.append(f"{name}: accuracy drop {drop:.2f} points (target "
                         f"≤ {allowed}) {verdict}")
    return lines


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--build", default=os.path.join(ROOT, "build"))
    ap.add_argument("--models", default=",".join(list(MLPERF_MODELS) +
                                                 FIXTURE_MODELS))
    ap.add_argument("--sparsities", default="0.3,0.5,0.7,0.9")
    ap.add_argument("--recovery", choices=["off", "on", "both"],
                    default="both")
    ap.add_argument("--no-mcu", action="store_true",
                    help="skip the QEMU builds and runs")
    ap.add_argument("--no-qemu", action="store_true",
                    help="measure flash (Cortex-M4F object) but run no "
                    "firmware: instruction counts come from the cache "
                    "where it has them and read 'not run' otherwise")
    ap.add_argument("--target", default="none",
                    choices=["none", "cortex-m0plus", "cortex-m4",
                             "cortex-m7"],
                    help="the pass's target= option: with a core, layers "
                    "whose sparse form would not pay on it stay dense "
                    "(default none: every eligible layer is pruned)")
    ap.add_argument("--cache", default=CACHE)
    ap.add_argument("--json", help="also write the rows to this file")
    ap.add_argument("--rows", help="measure nothing: print the tables of "
                    "the rows that earlier runs wrote with --json (FILE[,"
                    "FILE...]; a later file's row replaces an earlier one's)")
    ap.add_argument("--per-layer", action="store_true",
                    help="also print each pruned convolution's figures")
    args = ap.parse_args()
    if args.rows:
        rows, dense_rows = saved_rows(args.rows.split(","),
                                      args.models.split(","))
        report(rows, dense_rows, args)
        return
    cache = {}
    if os.path.exists(args.cache):
        with open(args.cache) as f:
            cache = json.load(f)
    names = args.models.split(",")
    for n in names:
        if n not in MLPERF_MODELS and n not in FIXTURE_MODELS:
            sys.exit(f"prune_bench: unknown model {n}")
    if any(n in MLPERF_MODELS for n in names) and not os.path.isdir(MLPERF):
        print("prune_bench: ../shared/models/mlperf-tiny is absent: "
              "skipping the MLPerf models", file=sys.stderr)
        names = [n for n in names if n not in MLPERF_MODELS]
    if any(n in FIXTURE_MODELS for n in names) and not os.path.exists(
            os.path.join(DATA, "train_x.npy")):
        sys.exit(f"prune_bench: no Fashion-MNIST in {DATA} "
                 "(run scripts/fetch-data.sh)")
    if not args.no_mcu and not args.no_qemu and not os.path.exists(KIT):
        sys.exit("prune_bench: needs ../shared/mcu-kit (or --no-mcu)")
    sparsities = [float(s) for s in args.sparsities.split(",")]
    recoveries = {"off": [False], "on": [True], "both": [False, True]}[
        args.recovery]
    rows, dense_rows = [], {}
    with tempfile.TemporaryDirectory() as tmp:
        plugin = None
        if not args.no_mcu and not args.no_qemu:
            plugin = os.path.join(tmp, "libinsncount.so")
            subprocess.run(["gcc", "-shared", "-fPIC", "-O2", "-o", plugin,
                            KIT], check=True)
        for name in names:
            model = Model(name, args, cache, tmp, plugin)
            dense = model.configuration(0.0, False)
            dense_rows[name] = dense
            rows.append(dense)
            for s in sparsities:
                for rec in recoveries:
                    print(f"prune_bench: {name} sparsity {s} recovery "
                          f"{'on' if rec else 'off'}", file=sys.stderr)
                    rows.append(model.configuration(s, rec))
            os.makedirs(os.path.dirname(args.cache), exist_ok=True)
            with open(args.cache, "w") as f:
                json.dump(cache, f, indent=1, sort_keys=True)
    report(rows, dense_rows, args)


def report(rows, dense_rows, args):
    print(f"pass option target={args.target}")
    print(table(rows, dense_rows, args.no_mcu))
    print()
    if args.per_layer and not args.no_mcu:
        print(per_layer(rows, dense_rows))
        print()
    for line in targets(rows, dense_rows, args.no_mcu):
        print(line)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(rows, f, indent=1)


def saved_rows(files, names):
    """Rows of earlier runs' --json files, the last file winning for the
    same model, sparsity, recovery and target; models in `names` order."""
    merged = {}
    for path in files:
        with open(path) as f:
            for r in json.load(f):
                merged[(r["model"], r["sparsity"], r["recovery"],
                        r["target"])] = r
    rows = sorted((r for r in merged.values() if r["model"] in names),
                  key=lambda r: (names.index(r["model"]), r["sparsity"],
                                 r["recovery"]))
    dense_rows = {r["model"]: r for r in rows if not r["sparsity"]}
    return rows, dense_rows


if __name__ == "__main__":
    main()
