#!/usr/bin/env python3
"""Writes the seed inputs of the data readers' fuzzers (fuzz/NpyFuzzer.cpp,
fuzz/BinFolderFuzzer.cpp): valid files of every form the readers accept and
a few near misses, so that a campaign starts from the interesting paths.

    fuzz_data_seeds.py npy OUTDIR
    fuzz_data_seeds.py bin-folder OUTDIR
"""

import os
import struct
import sys

sys.path.insert(0, os.path.dirname(__file__))
from npygen import npy_bytes  # noqa: E402


def npy_seeds():
    """.npy files: each dtype and version, 1- to 4-D, NHWC and NCHW modes
    (the fuzzer reads the first data byte as its mode), special values,
    and broken headers."""
    seeds = {}
    ints = [k % 11 - 5 for k in range(48)]
    floats = [0.25 * (k % 9) - 1.0 for k in range(48)]
    for dtype in ["float32", "int8", "uint8", "int32", "int64"]:
        values = floats if dtype == "float32" else [abs(v) for v in ints] \
            if dtype == "uint8" else ints
        for version in (1, 2, 3):
            seeds["%s_v%d" % (dtype, version)] = npy_bytes(
                values, [3, 2, 2, 4], dtype, version=version)
        seeds["%s_2d" % dtype] = npy_bytes(values, [12, 4], dtype)
        seeds["%s_1d" % dtype] = npy_bytes(values, [48], dtype)
    for mode in range(16):
        seeds["mode_%02d" % mode] = npy_bytes(
            [mode] + ints[1:], [3, 2, 2, 4], "int8")
    seeds["nan"] = npy_bytes([float("nan")] + floats[1:], [3, 16])
    seeds["inf"] = npy_bytes(floats[:47] + [float("-inf")], [3, 16])
    seeds["empty"] = npy_bytes([], [0, 4])
    seeds["scalar"] = npy_bytes([1.0], [])
    seeds["fortran"] = npy_bytes(floats, [12, 4], fortran_order=True)
    seeds["big_endian"] = npy_bytes(floats, [12, 4], big_endian=True)
    seeds["structured"] = npy_bytes(
        floats, [12, 4], raw_header="{'descr': [('a', '<f4')], "
        "'fortran_order': False, 'shape': (12, 4), }")
    seeds["truncated"] = npy_bytes(floats, [12, 4])[:-3]
    seeds["huge_shape"] = npy_bytes(
        [], [0], raw_header="{'descr': '<f4', 'fortran_order': False, "
        "'shape': (4294967296, 4294967296), }")
    # Found by the fuzzer: dimensions overflowing int64, then a zero.
    seeds["overflow_then_zero"] = npy_bytes(
        [], [0], raw_header="{'descr': '<f4', 'fortran_order': False, "
        "'shape': (2147483649, 429496727483649, 0), }")
    # Found by the fuzzer too: a product above int64 that fits uint64.
    seeds["above_int64_then_zero"] = npy_bytes(
        [], [0], raw_header="{'descr': '<f4', 'fortran_order': False, "
        "'shape': (2147483649, 4297483643, 0), }")
    return seeds


def folder_input(mode, csv, files):
    """The fuzzer's input: MODE, CSV text, NUL, LENGTH-prefixed files."""
    out = bytes([mode]) + csv.encode() + b"\0"
    for f in files:
        out += bytes([len(f)]) + f
    return out


def bin_folder_seeds():
    seeds = {}
    int8 = [struct.pack("<4b", k, -k, 2 * k, 3) for k in range(4)]
    f32 = [struct.pack("<4f", 0.5 * k, -1.0, 2.0, k) for k in range(4)]
    rows3 = "".join("sample_%d.bin,4,%d\n" % (k, k) for k in range(4))
    rows2 = "file,label\r\n" + "".join("sample_%d.bin,%d\r\n" % (k, 3 - k)
                                       for k in range(4))
    seeds["int8_three_fields"] = folder_input(0, rows3, int8)
    seeds["int8_two_fields"] = folder_input(0, rows2, int8)
    seeds["float"] = folder_input(1, rows3, f32)
    seeds["unlabelled_int8"] = folder_input(0, "", int8)
    seeds["unlabelled_float"] = folder_input(1, "", f32)
    seeds["float_nan"] = folder_input(
        1, rows3, f32[:2] + [struct.pack("<4f", 0, float("nan"), 0, 0)])
    seeds["wrong_size"] = folder_input(0, rows3, int8[:2] + [b"\1\2\3"])
    seeds["missing_file"] = folder_input(0, rows3 + "sample_9.bin,4,1\n", int8)
    seeds["label_range"] = folder_input(0, "sample_0.bin,7\n", int8)
    seeds["mixed_classes"] = folder_input(
        0, "sample_0.bin,4,1\nsample_1.bin,5,1\n", int8)
    seeds["bad_label"] = folder_input(0, "sample_0.bin,cat\n", int8)
    seeds["header_only"] = folder_input(0, "file,label\n", int8)
    return seeds


def main():
    kind, out = sys.argv[1], sys.argv[2]
    os.makedirs(out, exist_ok=True)
    seeds = {"npy": npy_seeds, "bin-folder": bin_folder_seeds}[kind]()
    for name, data in seeds.items():
        with open(os.path.join(out, name), "wb") as f:
            f.write(data)


if __name__ == "__main__":
    main()
