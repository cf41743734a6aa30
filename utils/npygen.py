#!/usr/bin/env python3
"""npygen: write NumPy .npy files without NumPy, for tinyprune's tests.

    from npygen import write_npy
    write_npy("x.npy", [0.5, 1.0, ...], shape=[2, 28, 28], dtype="float32")
    write_npy("y.npy", [3, 1], shape=[2], dtype="int64")

dtype is one of float32, float64, int8, uint8, int16, int32, int64 (any
struct-packable type: the error tests also write the ones tinyprune rejects).
version= picks the format (1, 2 or 3); descr=, fortran_order= and header=
override what goes into the header dict for error tests; raw_header= replaces
the whole header text (padding and newline are still added).
"""

import struct

FORMATS = {"float32": ("f4", "f"), "float64": ("f8", "d"),
           "int8": ("i1", "b"), "uint8": ("u1", "B"),
           "int16": ("i2", "h"), "int32": ("i4", "i"),
           "int64": ("i8", "q")}


def shape_repr(shape):
    if len(shape) == 1:
        return "(%d,)" % shape[0]
    return "(" + ", ".join(str(d) for d in shape) + ")"


def npy_bytes(values, shape, dtype="float32", version=1, descr=None,
              fortran_order=False, raw_header=None, big_endian=False):
    code, fmt = FORMATS[dtype]
    byte_order = ">" if big_endian else "<"
    if descr is None:
        descr = ("|" if code[1] == "1" else byte_order) + code
    if raw_header is None:
        header = "{'descr': '%s', 'fortran_order': %s, 'shape': %s, }" % (
            descr, "True" if fortran_order else "False", shape_repr(shape))
    else:
        header = raw_header
    preamble = 10 if version == 1 else 12
    # numpy pads the header with spaces so that the data starts on a
    # multiple of 64 bytes, and ends it with a newline.
    total = preamble + len(header.encode("utf-8")) + 1
    header += " " * ((64 - total % 64) % 64) + "\n"
    hbytes = header.encode("utf-8")
    out = b"\x93NUMPY" + bytes([version, 0])
    out += struct.pack("<H" if version == 1 else "<I", len(hbytes))
    out += hbytes
    out += struct.pack(byte_order + str(len(values)) + fmt, *values)
    return out


def write_npy(path, values, shape, dtype="float32", **kwargs):
    with open(path, "wb") as f:
        f.write(npy_bytes(values, shape, dtype, **kwargs))
