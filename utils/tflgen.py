#!/usr/bin/env python3
"""tflgen: build small .tflite models for tinyprune's lit tests.

The builder emits JSON shaped like the project's FlatBuffers schema
(lib/Import/tflite.fbs, a subset of TFLite's) and runs `flatc -b` on it to get
the binary. Standard library only; needs `flatc` (env FLATC overrides it) and
the schema (env TINYPRUNE_TFLITE_SCHEMA overrides <this dir>/../lib/Import).

    m = Model(description="conv")
    x = m.tensor("input", [1, 8, 8, 3], "INT8", scale=0.5, zero_point=-3)
    w = m.const("w", [4, 3, 3, 3], "INT8", values=[...], scale=[...],
                zero_point=[0] * 4, quantized_dimension=0)
    y = m.tensor("out", [1, 8, 8, 4], "INT8", scale=0.25, zero_point=1)
    op = m.op("CONV_2D", inputs=[x, w, None], outputs=[y], version=3,
              options=("Conv2DOptions", {"padding": "SAME", "stride_w": 1}))
    m.inputs([x]); m.outputs([y])
    m.write("out.tflite")          # or m.to_json() for the JSON dict

Tensors and operators are referred to by their index in the subgraph (the
ints that tensor()/const()/op() return); `None` in op inputs becomes -1.
m.op() also takes a raw int opcode (e.g. 200) and custom_code=/custom_options=.
Error tests can use Model(subgraphs=0), raw_tensor_fields(), raw_op_fields(),
raw_model_fields() (a field set to None is removed) and the binary helpers
truncate(), patch_u32() and corrupt_root_offset().

CLI:  tflgen.py --json MODEL.json -o OUT.tflite   (handwritten JSON -> binary)
      tflgen.py --dump MODEL.tflite                (binary -> JSON on stdout)
      tflgen.py --selftest
"""

import argparse
import copy
import json
import os
import shutil
import struct
import subprocess
import sys
import tempfile
from pathlib import Path

BUILTIN_CODES = {
    "ADD": 0, "AVERAGE_POOL_2D": 1, "CONCATENATION": 2, "CONV_2D": 3,
    "DEPTHWISE_CONV_2D": 4, "DEQUANTIZE": 6, "FULLY_CONNECTED": 9,
    "LOGISTIC": 14, "MAX_POOL_2D": 17, "MUL": 18, "RELU": 19, "RELU6": 21,
    "RESHAPE": 22, "SOFTMAX": 25, "TANH": 28, "CUSTOM": 32, "PAD": 34,
    "TRANSPOSE": 39, "MEAN": 40, "SUB": 41, "SQUEEZE": 43,
    "STRIDED_SLICE": 45, "LEAKY_RELU": 98, "QUANTIZE": 114, "HARD_SWISH": 117,
    "GATHER": 36, "UNIDIRECTIONAL_SEQUENCE_LSTM": 44, "SHAPE": 77, "PACK": 83,
}
# struct formats (little endian) for const tensor payloads.
VALUE_FORMATS = {"FLOAT32": "f", "FLOAT16": "e", "INT8": "b", "INT16": "h",
                 "INT32": "i", "INT64": "q", "UINT8": "B", "BOOL": "?"}
PLACEHOLDER_FOR_GREATER_OP_CODES = 127


class TflGenError(RuntimeError):
    """flatc is missing or rejected the model."""


def _as_list(v):
    return list(v) if isinstance(v, (list, tuple)) else [v]


def _override(obj, fields):
    for key, value in fields.items():
        if value is None:
            obj.pop(key, None)
        else:
            obj[key] = value


def schema_path():
    env = os.environ.get("TINYPRUNE_TFLITE_SCHEMA")
    if env:
        return Path(env)
    root = Path(__file__).resolve().parent.parent
    return root / "lib" / "Import" / "tflite.fbs"


def _run_flatc(args):
    cmd = [os.environ.get("FLATC", "flatc")] + [str(a) for a in args]
    try:
        res = subprocess.run(cmd, capture_output=True, text=True)
    except OSError as e:
        raise TflGenError(f"cannot run {cmd[0]!r}: {e}") from e
    if res.returncode != 0:
        # On bad arguments flatc prints its whole usage text first; keep only
        # the part from its first "error:".
        msg = res.stderr + res.stdout
        msg = msg[msg.find("error:"):] if "error:" in msg else msg
        raise TflGenError(f"flatc failed (exit {res.returncode}): "
                          f"{' '.join(cmd)}\n{msg.strip()}")


def _single_output(outdir):
    files = sorted(p for p in Path(outdir).iterdir() if p.is_file())
    if len(files) != 1:
        raise TflGenError(f"expected one flatc output, got {files}")
    return files[0]


def json_to_tflite(model, out_path):
    """Convert a schema-shaped JSON dict, or a JSON file path, to a binary."""
    with tempfile.TemporaryDirectory(prefix="tflgen-") as tmp:
        if isinstance(model, dict):
            src = Path(tmp, "model.json")
            src.write_text(json.dumps(model, indent=1) + "\n")
        else:
            src = Path(model)
        outdir = Path(tmp, "out")
        outdir.mkdir()
        _run_flatc(["-b", "--root-type", "tflite.Model", "-o", outdir,
                    schema_path(), src])
        # flatc names the output <stem>.tflite (the schema's file_extension);
        # accept .bin or anything else it might choose.
        out_path = Path(out_path)
        out_path.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(_single_output(outdir), out_path)


def tflite_to_json(path):
    """Decode a binary model back to a dict (defaults included)."""
    with tempfile.TemporaryDirectory(prefix="tflgen-") as tmp:
        _run_flatc(["--json", "--strict-json", "--raw-binary",
                    "--defaults-json", "-o", tmp, schema_path(), "--", path])
        return json.loads(_single_output(tmp).read_text())


class Model:
    def __init__(self, description="", subgraphs=1, subgraph_name="main"):
        if subgraphs not in (0, 1):
            raise ValueError("only 0 or 1 subgraphs are supported")
        self.description = description
        self.subgraph_name = subgraph_name
        self.no_subgraphs = subgraphs == 0
        self.version = 3
        self._tensors, self._operators, self._opcodes = [], [], []
        self._opcode_index = {}
        self._buffers = [{}]  # buffer 0: the empty sentinel
        self._inputs, self._outputs = [], []
        self._model_fields = {}

    # -- tensors -------------------------------------------------------------
    def tensor(self, name, shape, dtype, scale=None, zero_point=None,
               quantized_dimension=0, buffer=0):
        """Add a tensor (an activation by default); return its index."""
        t = {"shape": list(shape), "type": dtype, "buffer": buffer,
             "name": name}
        if scale is not None or zero_point is not None:
            q = {}
            if scale is not None:
                q["scale"] = [float(s) for s in _as_list(scale)]
            if zero_point is None:  # default: zero per scale entry
                zero_point = [0] * len(q["scale"])
            q["zero_point"] = [int(z) for z in _as_list(zero_point)]
            q["quantized_dimension"] = quantized_dimension
            t["quantization"] = q
        self._tensors.append(t)
        return len(self._tensors) - 1

    def const(self, name, shape, dtype, values, **quant):
        """Add a constant tensor with its own buffer; return its index.

        `values` is a flat list encoded per `dtype`, or raw `bytes`.
        """
        if isinstance(values, (bytes, bytearray)):
            data = bytes(values)
        else:
            if dtype not in VALUE_FORMATS:
                raise ValueError(f"cannot encode {dtype} values; pass bytes")
            fmt = f"<{len(values)}{VALUE_FORMATS[dtype]}"
            data = struct.pack(fmt, *values)
        self._buffers.append({"data": list(data)})
        return self.tensor(name, shape, dtype, buffer=len(self._buffers) - 1,
                           **quant)

    # -- operators -----------------------------------------------------------
    def _opcode(self, op, version, custom_code):
        key = (op, version, custom_code)
        if key not in self._opcode_index:
            if not isinstance(op, int) and op not in BUILTIN_CODES:
                raise ValueError(f"unknown operator {op!r}; pass an int code")
            num = op if isinstance(op, int) else BUILTIN_CODES[op]
            code = {"deprecated_builtin_code":
                    min(num, PLACEHOLDER_FOR_GREATER_OP_CODES)}
            if custom_code is not None:
                code["custom_code"] = custom_code
            code["version"] = version
            code["builtin_code"] = op
            self._opcode_index[key] = len(self._opcodes)
            self._opcodes.append(code)
        return self._opcode_index[key]

    def op(self, op, inputs, outputs, options=None, version=1,
           custom_code=None, custom_options=None):
        """Add an operator; `op` is a name from BUILTIN_CODES or an int.

        `options` is (union type name, dict), e.g. ("AddOptions", {...}).
        Returns the operator's index.
        """
        o = {"opcode_index": self._opcode(op, version, custom_code),
             "inputs": [-1 if i is None else i for i in inputs],
             "outputs": list(outputs)}
        if options is not None:
            o["builtin_options_type"], o["builtin_options"] = options
        if custom_options is not None:
            o["custom_options"] = list(bytes(custom_options))
        self._operators.append(o)
        return len(self._operators) - 1

    def inputs(self, tensors):
        self._inputs = list(tensors)

    def outputs(self, tensors):
        self._outputs = list(tensors)

    # -- escape hatches for error tests ---------------------------------------
    def raw_tensor_fields(self, t, **fields):
        _override(self._tensors[t], fields)

    def raw_op_fields(self, op, **fields):
        _override(self._operators[op], fields)

    def raw_model_fields(self, **fields):
        self._model_fields.update(fields)

    # -- output --------------------------------------------------------------
    def to_json(self):
        subgraphs = [] if self.no_subgraphs else [{
            "tensors": self._tensors, "inputs": self._inputs,
            "outputs": self._outputs, "operators": self._operators,
            "name": self.subgraph_name}]
        model = {"version": self.version, "operator_codes": self._opcodes,
                 "subgraphs": subgraphs, "description": self.description,
                 "buffers": self._buffers}
        _override(model, self._model_fields)
        return copy.deepcopy(model)

    def write(self, path):
        json_to_tflite(self.to_json(), path)


# -- binary corruption helpers (operate on a written file in place) -----------
def truncate(path, n_bytes_kept):
    data = Path(path).read_bytes()
    Path(path).write_bytes(data[:n_bytes_kept])


def patch_u32(path, offset, value):
    data = bytearray(Path(path).read_bytes())
    struct.pack_into("<I", data, offset, value & 0xFFFFFFFF)
    Path(path).write_bytes(bytes(data))


def corrupt_root_offset(path, value=0xFFFFFFF0):
    patch_u32(path, 0, value)


# -- self test ---------------------------------------------------------------
def _conv_model():
    m = Model(description="tflgen selftest")
    x = m.tensor("input", [1, 8, 8, 3], "INT8", scale=0.5, zero_point=-3)
    w = m.const("w", [4, 3, 3, 3], "INT8",
                values=[i % 7 - 3 for i in range(108)],
                scale=[0.1, 0.2, 0.3, 0.4], zero_point=[0] * 4,
                quantized_dimension=0)
    b = m.const("b", [4], "INT32", values=[1, -2, 300000, -4])
    y = m.tensor("conv", [1, 8, 8, 4], "INT8", scale=0.25, zero_point=1)
    m.op("CONV_2D", [x, w, b], [y], version=3, options=("Conv2DOptions", {
        "padding": "SAME", "stride_w": 1, "stride_h": 1,
        "fused_activation_function": "RELU"}))
    f = m.const("wf", [4, 3], "FLOAT32", values=[0.5 * i for i in range(12)])
    z = m.tensor("fc", [1, 3], "FLOAT32")
    m.op("FULLY_CONNECTED", [y, f, None], [z])
    c = m.tensor("custom", [1, 3], "FLOAT32")
    m.op("CUSTOM", [z], [c], custom_code="MyOp", custom_options=b"\x01\x02")
    u = m.tensor("unknown", [1, 3], "BOOL")
    op = m.op(200, [c], [u])
    m.op("FULLY_CONNECTED", [y, f, None], [z])  # reuses opcode 1
    m.inputs([x])
    m.outputs([u])
    return m, op


def selftest():
    with tempfile.TemporaryDirectory(prefix="tflgen-selftest-") as tmp:
        m, _ = _conv_model()
        path = Path(tmp, "conv.tflite")
        m.write(path)
        assert path.read_bytes()[4:8] == b"TFL3"
        j = tflite_to_json(path)
        assert j["version"] == 3 and j["description"] == "tflgen selftest"
        codes = j["operator_codes"]
        assert [c["builtin_code"] for c in codes] == [
            "CONV_2D", "FULLY_CONNECTED", "CUSTOM", 200], codes
        assert [c["deprecated_builtin_code"] for c in codes] == [3, 9, 32, 127]
        assert codes[0]["version"] == 3 and codes[2]["custom_code"] == "MyOp"
        sg = j["subgraphs"][0]
        assert sg["name"] == "main"
        assert sg["inputs"] == [0] and sg["outputs"] == [7]
        conv, fc, custom, _, _ = sg["operators"]
        assert conv["builtin_options_type"] == "Conv2DOptions"
        opts = conv["builtin_options"]
        assert opts["padding"] == "SAME" and opts["stride_h"] == 1
        assert opts["fused_activation_function"] == "RELU"
        assert fc["inputs"] == [3, 4, -1] and fc["opcode_index"] == 1
        assert custom["custom_options"] == [1, 2]
        w = sg["tensors"][1]
        assert w["type"] == "INT8" and w["buffer"] == 1
        assert w["quantization"]["zero_point"] == [0] * 4
        # flatc prints floats with ~6 significant digits.
        assert all(abs(a - e) < 1e-6 for a, e in
                   zip(w["quantization"]["scale"], [0.1, 0.2, 0.3, 0.4]))
        assert sg["tensors"][0]["quantization"]["zero_point"] == [-3]
        assert "quantization" not in sg["tensors"][4]
        buffers = j["buffers"]
        assert len(buffers) == 4 and "data" not in buffers[0]
        bias = struct.pack("<4i", 1, -2, 300000, -4)
        assert bytes(buffers[2]["data"]) == bias
        assert bytes(buffers[3]["data"])[4:8] == struct.pack("<f", 0.5)

        # Determinism, and the --json path (via a file).
        again = Path(tmp, "again.tflite")
        src = Path(tmp, "conv.json")
        src.write_text(json.dumps(_conv_model()[0].to_json()))
        json_to_tflite(src, again)
        assert again.read_bytes() == path.read_bytes()

        # Escape hatches and error paths.
        bad, op = _conv_model()
        bad.raw_tensor_fields(0, buffer=999, shape=[-1, 3], name=None)
        bad.raw_op_fields(op, opcode_index=57)
        bad.write(Path(tmp, "bad.tflite"))
        sg = tflite_to_json(Path(tmp, "bad.tflite"))["subgraphs"][0]
        t0 = sg["tensors"][0]
        assert t0["buffer"] == 999 and t0["shape"] == [-1, 3]
        assert "name" not in t0
        assert sg["operators"][op]["opcode_index"] == 57
        empty = Model(subgraphs=0)
        empty.write(Path(tmp, "empty.tflite"))
        j = tflite_to_json(Path(tmp, "empty.tflite"))
        assert j.get("subgraphs", []) == []
        try:
            json_to_tflite({"version": 3, "bogus": 1}, Path(tmp, "x.tflite"))
            raise AssertionError("flatc accepted an unknown field")
        except TflGenError as e:
            assert "bogus" in str(e)

        # Corruption helpers.
        truncate(path, 16)
        assert len(path.read_bytes()) == 16
        corrupt_root_offset(path)
        assert path.read_bytes()[:4] == b"\xf0\xff\xff\xff"
        patch_u32(path, 4, 0x01020304)
        assert path.read_bytes()[4:8] == b"\x04\x03\x02\x01"
    print("tflgen selftest: OK")


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    g = p.add_mutually_exclusive_group(required=True)
    g.add_argument("--json", metavar="MODEL.json",
                   help="convert a schema-shaped JSON file to a .tflite")
    g.add_argument("--dump", metavar="MODEL.tflite",
                   help="print a .tflite model as JSON")
    g.add_argument("--selftest", action="store_true")
    p.add_argument("-o", "--output", metavar="OUT.tflite")
    args = p.parse_args(argv)
    try:
        if args.selftest:
            selftest()
        elif args.dump:
            print(json.dumps(tflite_to_json(args.dump), indent=2))
        else:
            if not args.output:
                p.error("--json needs -o OUT.tflite")
            json_to_tflite(args.json, args.output)
    except TflGenError as e:
        print(f"tflgen: error: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
