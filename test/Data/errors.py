# Bad data for `tinyprune eval`: each case ends with exit code 1 and exactly
# one line "tinyprune: error: <file>: <what is wrong>".
#
# RUN: %python %s %t
#
# Shapes and layouts.
# RUN: %expect_exit 1 tinyprune eval %t/m.tflite --data %t/shape.npy --labels %t/labels.npy 2>&1 | FileCheck %s --check-prefix=SHAPE --implicit-check-not={{.}}
# SHAPE: tinyprune: error: {{.*}}shape.npy: samples of shape [3,3] (array [12,3,3]) do not fit the model input [1,2,2,1]
# RUN: %expect_exit 1 tinyprune eval %t/m.tflite --data %t/nchw.npy --labels %t/labels.npy 2>&1 | FileCheck %s --check-prefix=NCHW --implicit-check-not={{.}}
# NCHW: tinyprune: error: {{.*}}nchw.npy: data is NCHW [12,1,2,2]; the model expects NHWC [1,2,2,1] (pass --layout nchw to transpose it)
# RUN: %expect_exit 1 tinyprune eval %t/m.tflite --data %t/nchw3.npy --layout nchw --labels %t/labels.npy 2>&1 | FileCheck %s --check-prefix=NCHW3 --implicit-check-not={{.}}
# NCHW3: tinyprune: error: {{.*}}nchw3.npy: samples of shape [3,2,2] (array [12,3,2,2]) do not fit the model input [1,2,2,1] as NCHW [1,2,2]
# RUN: %expect_exit 1 tinyprune eval %t/m.tflite --data %t/empty.npy --labels %t/labels.npy 2>&1 | FileCheck %s --check-prefix=EMPTY --implicit-check-not={{.}}
# EMPTY: tinyprune: error: {{.*}}empty.npy: holds no samples (shape [0,2,2])
# RUN: %expect_exit 1 tinyprune eval %t/m.tflite --data %t/scalar.npy --labels %t/labels.npy 2>&1 | FileCheck %s --check-prefix=SCALAR --implicit-check-not={{.}}
# SCALAR: tinyprune: error: {{.*}}scalar.npy: a 0-d array holds no samples (the first dimension counts the samples)
#
# Element types, byte order, order, broken files.
# RUN: %expect_exit 1 tinyprune eval %t/m.tflite --data %t/f64.npy --labels %t/labels.npy 2>&1 | FileCheck %s --check-prefix=F64 --implicit-check-not={{.}}
# F64: tinyprune: error: {{.*}}f64.npy: unsupported dtype '<f8' (float32, int8, uint8, int32 or int64 only)
# RUN: %expect_exit 1 tinyprune eval %t/m.tflite --data %t/i16.npy --labels %t/labels.npy 2>&1 | FileCheck %s --check-prefix=I16 --implicit-check-not={{.}}
# I16: tinyprune: error: {{.*}}i16.npy: unsupported dtype '<i2' (float32, int8, uint8, int32 or int64 only)
# RUN: %expect_exit 1 tinyprune eval %t/m.tflite --data %t/big.npy --labels %t/labels.npy 2>&1 | FileCheck %s --check-prefix=BIG --implicit-check-not={{.}}
# BIG: tinyprune: error: {{.*}}big.npy: big-endian dtype '>f4' is not supported (only little-endian '<' or '|')
# RUN: %expect_exit 1 tinyprune eval %t/m.tflite --data %t/fortran.npy --labels %t/labels.npy 2>&1 | FileCheck %s --check-prefix=FORTRAN --implicit-check-not={{.}}
# FORTRAN: tinyprune: error: {{.*}}fortran.npy: Fortran-order arrays are not supported (save the array in C order)
# RUN: %expect_exit 1 tinyprune eval %t/m.tflite --data %t/truncated.npy --labels %t/labels.npy 2>&1 | FileCheck %s --check-prefix=TRUNC --implicit-check-not={{.}}
# TRUNC: tinyprune: error: {{.*}}truncated.npy: truncated: shape [12,2,2] of float32 needs 192 data bytes after the header, the file has 190
# RUN: %expect_exit 1 tinyprune eval %t/m.tflite --data %t/oversized.npy --labels %t/labels.npy 2>&1 | FileCheck %s --check-prefix=OVER --implicit-check-not={{.}}
# OVER: tinyprune: error: {{.*}}oversized.npy: 4 bytes follow the data of shape [12,2,2] of float32 (expected 192 data bytes)
# RUN: %expect_exit 1 tinyprune eval %t/m.tflite --data %t/bins/sample_00.bin --labels %t/labels.npy 2>&1 | FileCheck %s --check-prefix=MAGIC --implicit-check-not={{.}}
# MAGIC: tinyprune: error: {{.*}}sample_00.bin: not a .npy file (bad magic)
# RUN: %expect_exit 1 tinyprune eval %t/m.tflite --data %t/baddict.npy --labels %t/labels.npy 2>&1 | FileCheck %s --check-prefix=DICT --implicit-check-not={{.}}
# DICT: tinyprune: error: {{.*}}baddict.npy: bad header: missing key 'shape'
# RUN: %expect_exit 1 tinyprune eval %t/m.tflite --data %t/missing.npy --labels %t/labels.npy 2>&1 | FileCheck %s --check-prefix=MISSING --implicit-check-not={{.}}
# MISSING: tinyprune: error: cannot read '{{.*}}missing.npy': No such file or directory
# RUN: %expect_exit 1 tinyprune eval %t/noquant.mlir --data %t/x.npy --labels %t/labels.npy 2>&1 | FileCheck %s --check-prefix=NOQUANT --implicit-check-not={{.}}
# NOQUANT: tinyprune: error: {{.*}}x.npy: float32 data must be quantized with the model input's scale and zero point, and the model input tensor<1x2x2x1xi8> has none; pass int8 data
# RUN: tinyprune eval %t/noquant.mlir --data %t/xq.npy --labels %t/labels.npy | FileCheck %s --check-prefix=RAW
# (int8 data runs raw; this model does not permute, so every label is wrong.)
# RAW: top-1 accuracy:   0.00%  (0/12)
#
# Labels.
# RUN: %expect_exit 1 tinyprune eval %t/m.tflite --data %t/x.npy 2>&1 | FileCheck %s --check-prefix=NOLABELS --implicit-check-not={{.}}
# NOLABELS: tinyprune: error: {{.*}}x.npy: --metric accuracy needs labels (--labels)
# RUN: %expect_exit 1 tinyprune eval %t/m.tflite --data %t/x.npy --labels %t/labels11.npy 2>&1 | FileCheck %s --check-prefix=COUNT --implicit-check-not={{.}}
# COUNT: tinyprune: error: {{.*}}labels11.npy: 11 labels for the 12 samples of {{.*}}x.npy
# RUN: %expect_exit 1 tinyprune eval %t/m.tflite --data %t/x.npy --labels %t/labels_float.npy 2>&1 | FileCheck %s --check-prefix=LDTYPE --implicit-check-not={{.}}
# LDTYPE: tinyprune: error: {{.*}}labels_float.npy: labels must have an integer dtype, not float32
# RUN: %expect_exit 1 tinyprune eval %t/m.tflite --data %t/x.npy --labels %t/labels_2d.npy 2>&1 | FileCheck %s --check-prefix=LSHAPE --implicit-check-not={{.}}
# LSHAPE: tinyprune: error: {{.*}}labels_2d.npy: labels must have shape [N] or [N,1], not [12,2]
# RUN: %expect_exit 1 tinyprune eval %t/m.tflite --data %t/x.npy --labels %t/labels_range.npy 2>&1 | FileCheck %s --check-prefix=RANGE --implicit-check-not={{.}}
# RANGE: tinyprune: error: {{.*}}labels_range.npy: label 4 of sample 3 is outside [0, 4) (the model has 4 classes)
# RUN: %expect_exit 1 tinyprune eval %t/m.tflite --data %t/x.npy --labels %t/labels_neg.npy 2>&1 | FileCheck %s --check-prefix=NEG --implicit-check-not={{.}}
# NEG: tinyprune: error: {{.*}}labels_neg.npy: label -1 of sample 0 is outside [0, 4) (the model has 4 classes)
# RUN: %expect_exit 1 tinyprune eval %t/m.tflite --data %t/x.npy --labels %t/bins/y_labels.csv 2>&1 | FileCheck %s --check-prefix=NPYCSV --implicit-check-not={{.}}
# NPYCSV: tinyprune: error: {{.*}}y_labels.csv: the labels of .npy data must be a .npy file of integers (label CSVs go with folders of .bin files)
# RUN: %expect_exit 1 tinyprune eval %t/m.tflite --data %t/x.npy --labels %t/nolabels.npy 2>&1 | FileCheck %s --check-prefix=NOLABELFILE --implicit-check-not={{.}}
# NOLABELFILE: tinyprune: error: cannot read '{{.*}}nolabels.npy': No such file or directory
# RUN: %expect_exit 1 tinyprune eval %t/ae.tflite --data %t/ae.npy --labels %t/ae_labels.npy --metric auc 2>&1 | FileCheck %s --check-prefix=AUCLABEL --implicit-check-not={{.}}
# AUCLABEL: tinyprune: error: {{.*}}ae_labels.npy: label 2 of sample 1 is outside [0, 2) (anomaly labels are 0 (normal) or 1 (anomalous))
#
# Folders of .bin files.
# RUN: %expect_exit 1 tinyprune eval %t/m.tflite --data %t/missing_bin 2>&1 | FileCheck %s --check-prefix=NOBIN --implicit-check-not={{.}}
# NOBIN: tinyprune: error: cannot read '{{.*}}missing_bin{{/|\\}}sample_99.bin': No such file or directory
# RUN: %expect_exit 1 tinyprune eval %t/m.tflite --data %t/bad_size 2>&1 | FileCheck %s --check-prefix=BINSIZE --implicit-check-not={{.}}
# BINSIZE: tinyprune: error: {{.*}}bad_size{{/|\\}}sample_05.bin: holds 5 bytes, but the model input tensor<1x2x2x1xi8> needs 4 (raw int8)
# RUN: %expect_exit 1 tinyprune eval %t/float.tflite --data %t/bins 2>&1 | FileCheck %s --check-prefix=FLOATBIN --implicit-check-not={{.}}
# FLOATBIN: tinyprune: error: {{.*}}bins{{/|\\}}sample_00.bin: holds 4 bytes, but the model input tensor<1x2x2x1xf32> needs 16 (raw float32)
# A folder without a CSV is its .bin files, unlabelled: enough for an
# autoencoder's mean error, not for accuracy.
# RUN: %expect_exit 1 tinyprune eval %t/m.tflite --data %t/no_csv 2>&1 | FileCheck %s --check-prefix=NOCSV --implicit-check-not={{.}}
# NOCSV: tinyprune: error: {{.*}}no_csv: --metric accuracy needs labels (--labels)
# RUN: %expect_exit 1 tinyprune eval %t/m.tflite --data %t/no_bins 2>&1 | FileCheck %s --check-prefix=NOBINS --implicit-check-not={{.}}
# NOBINS: tinyprune: error: {{.*}}no_bins: holds no .bin files (and no y_labels.csv)
# RUN: %expect_exit 1 tinyprune eval %t/m.tflite --data %t/bins --labels %t/labels.npy 2>&1 | FileCheck %s --check-prefix=BINNPY --implicit-check-not={{.}}
# BINNPY: tinyprune: error: {{.*}}labels.npy: the labels of a folder of .bin files must be a CSV of 'file,label' rows, not a .npy file
# RUN: %expect_exit 1 tinyprune eval %t/m.tflite --data %t/bins --labels %t/csv_range.csv 2>&1 | FileCheck %s --check-prefix=CSVRANGE --implicit-check-not={{.}}
# CSVRANGE: tinyprune: error: {{.*}}csv_range.csv:3: label 7 of sample 2 is outside [0, 4) (the model has 4 classes)
# RUN: %expect_exit 1 tinyprune eval %t/m.tflite --data %t/bins --labels %t/csv_classes.csv 2>&1 | FileCheck %s --check-prefix=CSVCLASSES --implicit-check-not={{.}}
# CSVCLASSES: tinyprune: error: {{.*}}csv_classes.csv: 10 classes, but the model has 4
# RUN: %expect_exit 1 tinyprune eval %t/m.tflite --data %t/bins --labels %t/csv_fields.csv 2>&1 | FileCheck %s --check-prefix=CSVFIELDS --implicit-check-not={{.}}
# CSVFIELDS: tinyprune: error: {{.*}}csv_fields.csv:1: expected 2 or 3 fields ('file,label' or 'file,num_classes,label'), got 5
# RUN: %expect_exit 1 tinyprune eval %t/m.tflite --data %t/bins --labels %t/csv_label.csv 2>&1 | FileCheck %s --check-prefix=CSVLABEL --implicit-check-not={{.}}
# CSVLABEL: tinyprune: error: {{.*}}csv_label.csv:2: label 'cat' is not an integer
# RUN: %expect_exit 1 tinyprune eval %t/m.tflite --data %t/bins --labels %t/csv_mixed.csv 2>&1 | FileCheck %s --check-prefix=CSVMIXED --implicit-check-not={{.}}
# CSVMIXED: tinyprune: error: {{.*}}csv_mixed.csv:2: num_classes 5 differs from the 4 of line 1
# RUN: %expect_exit 1 tinyprune eval %t/m.tflite --data %t/bins --labels %t/csv_empty.csv 2>&1 | FileCheck %s --check-prefix=CSVEMPTY --implicit-check-not={{.}}
# CSVEMPTY: tinyprune: error: {{.*}}csv_empty.csv: lists no samples
#
# Options that do not fit the model.
# RUN: %expect_exit 1 tinyprune eval %t/m.tflite --data %t/x.npy --labels %t/labels.npy --top-k 5 2>&1 | FileCheck %s --check-prefix=TOPK --implicit-check-not={{.}}
# TOPK: tinyprune: error: {{.*}}m.tflite: --top-k 5 exceeds the model's 4 classes
# RUN: %expect_exit 1 tinyprune eval %t/m.tflite --function other --data %t/x.npy 2>&1 | FileCheck %s --check-prefix=FUNC --implicit-check-not={{.}}
# FUNC: tinyprune: error: {{.*}}m.tflite has no function @other
# RUN: %expect_exit 1 tinyprune eval %t/nomodel.tflite --data %t/x.npy 2>&1 | FileCheck %s --check-prefix=NOMODEL --implicit-check-not={{.}}
# NOMODEL: tinyprune: error: cannot read '{{.*}}nomodel.tflite': No such file or directory
# RUN: %expect_exit 1 tinyprune eval %t/m.tflite --data %t/x.npy --labels %t/labels.npy --json %t/no/such/dir/r.json 2>&1 | FileCheck %s --check-prefix=JSONDIR --implicit-check-not={{.}}
# JSONDIR: tinyprune: error: cannot write '{{.*}}r.json': No such file or directory
#
# Not finite data is an error naming the file and the first bad element,
# never a silently wrong accuracy: a NaN, an infinity, in .npy data or a
# raw float32 .bin file (for the float model), or a data scale.
# RUN: %expect_exit 1 tinyprune eval %t/m.tflite --data %t/nan.npy --labels %t/labels.npy 2>&1 | FileCheck %s --check-prefix=NAN --implicit-check-not={{.}}
# NAN: tinyprune: error: {{.*}}nan.npy: element 21 (sample 5, element 1 of it) is NaN; data must be finite
# RUN: %expect_exit 1 tinyprune eval %t/float.tflite --data %t/inf.npy --labels %t/labels.npy 2>&1 | FileCheck %s --check-prefix=INF --implicit-check-not={{.}}
# INF: tinyprune: error: {{.*}}inf.npy: element 0 (sample 0, element 0 of it) is -inf; data must be finite
# RUN: %expect_exit 1 tinyprune eval %t/float.tflite --data %t/nan_bins 2>&1 | FileCheck %s --check-prefix=NANBIN --implicit-check-not={{.}}
# NANBIN: tinyprune: error: {{.*}}nan_bins{{/|\\}}sample_01.bin: element 3 (sample 0, element 3 of it) is +inf; data must be finite
# RUN: %expect_exit 1 tinyprune eval %t/m.tflite --data %t/xq.npy --labels %t/labels.npy --data-scale inf 2>&1 | FileCheck %s --check-prefix=SCALE --implicit-check-not={{.}}
# SCALE: tinyprune: error: {{.*}}xq.npy: the data scale inf is not finite
#
# Special files are refused before anything is read.
# RUN: %expect_exit 1 tinyprune eval %t/m.tflite --data /dev/zero --labels %t/labels.npy 2>&1 | FileCheck %s --check-prefix=ZERO --implicit-check-not={{.}}
# ZERO: tinyprune: error: '/dev/zero' is not a regular file
# RUN: %expect_exit 1 tinyprune eval %t/m.tflite --data %t/x.npy --labels /dev/zero 2>&1 | FileCheck %s --check-prefix=ZERO --implicit-check-not={{.}}
# RUN: %expect_exit 1 tinyprune eval /dev/zero --data %t/x.npy --labels %t/labels.npy 2>&1 | FileCheck %s --check-prefix=ZERO --implicit-check-not={{.}}
# RUN: %expect_exit 1 tinyprune eval %t/m.tflite --data %t/bins --labels /dev/zero 2>&1 | FileCheck %s --check-prefix=ZERO --implicit-check-not={{.}}

import os
import sys

import evalgen as e
from npygen import npy_bytes

out = sys.argv[1]
os.makedirs(out, exist_ok=True)
p = lambda name: os.path.join(out, name)

e.classifier(p("m.tflite"))
e.classifier(p("float.tflite"), "FLOAT32")
e.autoencoder(p("ae.tflite"))
x = e.images()
e.write_npy(p("x.npy"), x, [12, 2, 2])
e.write_npy(p("labels.npy"), e.LABELS, [12], "int64")
e.write_npy(p("xq.npy"), e.quantized(x), [12, 2, 2], "int8")

e.write_npy(p("shape.npy"), [0.0] * 108, [12, 3, 3])
e.write_npy(p("nchw.npy"), x, [12, 1, 2, 2])
e.write_npy(p("nchw3.npy"), [0.0] * 144, [12, 3, 2, 2])
e.write_npy(p("empty.npy"), [], [0, 2, 2])
e.write_npy(p("scalar.npy"), [1.0], [])
e.write_npy(p("f64.npy"), x, [12, 2, 2], "float64")
e.write_npy(p("i16.npy"), [0] * 48, [12, 2, 2], "int16")
e.write_npy(p("big.npy"), x, [12, 2, 2], big_endian=True)
e.write_npy(p("fortran.npy"), x, [12, 2, 2], fortran_order=True)
good = npy_bytes(x, [12, 2, 2])
with open(p("truncated.npy"), "wb") as f:
    f.write(good[:-2])
with open(p("oversized.npy"), "wb") as f:
    f.write(good + b"\0" * 4)
e.write_npy(p("baddict.npy"), x, [12, 2, 2],
            raw_header="{'descr': '<f4', 'fortran_order': False}")
with open(p("noquant.mlir"), "w") as f:
    f.write("""func.func @main(%x: tensor<1x2x2x1xi8>) -> tensor<1x4xi8> {
  %s = tosa.const_shape {values = dense<[1, 4]> : tensor<2xindex>} : () -> !tosa.shape<2>
  %y = tosa.reshape %x, %s : (tensor<1x2x2x1xi8>, !tosa.shape<2>) -> tensor<1x4xi8>
  return %y : tensor<1x4xi8>
}
""")

e.write_npy(p("labels11.npy"), e.LABELS[:11], [11], "int64")
e.write_npy(p("labels_float.npy"), [float(v) for v in e.LABELS], [12])
e.write_npy(p("labels_2d.npy"), e.LABELS * 2, [12, 2], "int32")
bad = list(e.LABELS)
bad[3] = 4
e.write_npy(p("labels_range.npy"), bad, [12], "uint8")
bad = list(e.LABELS)
bad[0] = -1
e.write_npy(p("labels_neg.npy"), bad, [12], "int8")
e.write_npy(p("ae.npy"), e.ae_features(), [7, 4])
bad = list(e.AE_LABELS)
bad[1] = 2
e.write_npy(p("ae_labels.npy"), bad, [7], "int64")

names = e.mlperf_folder(p("bins"))
e.mlperf_folder(p("missing_bin"),
                lambda n: ["%s,4,0" % m for m in n[:3]] + ["sample_99.bin,4,1"])
e.mlperf_folder(p("bad_size"))
with open(p("bad_size/sample_05.bin"), "ab") as f:
    f.write(b"\0")
e.mlperf_folder(p("no_csv"), csv_name=None)
os.makedirs(p("no_bins"), exist_ok=True)

bad = list(x)
bad[21] = float("nan")
e.write_npy(p("nan.npy"), bad, [12, 2, 2])
bad = list(x)
bad[0] = float("-inf")
e.write_npy(p("inf.npy"), bad, [12, 2, 2])
os.makedirs(p("nan_bins"), exist_ok=True)
with open(p("nan_bins/y_labels.csv"), "w") as f:
    for k in range(3):
        v = x[4 * k:4 * k + 4]
        if k == 1:
            v[3] = float("inf")
        e.write_bin(p("nan_bins/sample_%02d.bin" % k), v, "f")
        f.write("sample_%02d.bin,4,%d\n" % (k, e.LABELS[k]))


def csv(name, lines):
    with open(p(name), "w") as f:
        f.write("\n".join(lines) + "\n")


csv("csv_range.csv", ["%s,1" % n for n in names[:2]] + ["%s,7" % names[2]])
csv("csv_classes.csv", ["%s,10,1" % n for n in names])
csv("csv_fields.csv", ["%s,2,0,2560,512" % n for n in names])
csv("csv_label.csv", ["%s,1" % names[0], "%s,cat" % names[1]])
csv("csv_mixed.csv", ["%s,4,1" % names[0], "%s,5,1" % names[1]])
csv("csv_empty.csv", ["file,label"])
