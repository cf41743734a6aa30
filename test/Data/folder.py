# MLPerf Tiny style data: a folder of raw .bin input tensors plus a label
# CSV. The folder holds the twelve samples of utils/evalgen.py (three of
# them mislabelled: 9/12 correct) as raw int8 (or raw float32 for the float
# model).
#
# RUN: %python %s %t
#
# y_labels.csv (file,num_classes,label rows) is found in the folder.
# RUN: tinyprune eval %t/int8.tflite --data %t/bins | FileCheck %s --check-prefix=ACC
# ACC:      data:    {{.*}}bins (12 .bin files), labels {{.*}}.csv
# ACC:      top-1 accuracy:  75.00%  (9/12)
# ACC:      confusion matrix (rows: true class, columns: predicted class):
# ACC-NEXT:   true\pred  0  1  2  3
# ACC-NEXT:           0  2  0  0  1
# ACC-NEXT:           1  0  3  1  0
# ACC-NEXT:           2  0  0  2  0
# ACC-NEXT:           3  1  0  0  2
#
# A CSV elsewhere, of file,label rows with a header line and CRLF endings,
# listing the files in another order.
# RUN: tinyprune eval %t/int8.tflite --data %t/bins --labels %t/two_fields.csv | FileCheck %s --check-prefix=ACC
#
# Raw float32 .bin files for a float model; --limit.
# RUN: tinyprune eval %t/float.tflite --data %t/float_bins --limit 4 | FileCheck %s --check-prefix=FLOAT
# FLOAT: samples: 4 of 12 (--limit)
# FLOAT: top-1 accuracy:  75.00%  (3/4)
#
# Nothing on stderr when it is not a terminal (no progress line).
# RUN: tinyprune eval %t/int8.tflite --data %t/bins 2>&1 > /dev/null | count 0

import os
import random
import sys

import evalgen as e

out = sys.argv[1]
os.makedirs(out, exist_ok=True)
p = lambda name: os.path.join(out, name)

e.classifier(p("int8.tflite"))
e.classifier(p("float.tflite"), "FLOAT32")
names = e.mlperf_folder(p("bins"))

rows = ["%s,%d" % (n, e.LABELS[k]) for k, n in enumerate(names)]
random.Random(5).shuffle(rows)
with open(p("two_fields.csv"), "w", newline="") as f:
    f.write("file,label\r\n" + "\r\n".join(rows) + "\r\n")

os.makedirs(p("float_bins"), exist_ok=True)
x = e.images()
with open(p("float_bins/y_labels.csv"), "w") as f:
    for k in range(12):
        name = "%012d.bin" % (343218 + k)
        e.write_bin(p("float_bins/" + name), x[4 * k:4 * k + 4], "f")
        f.write("%s,4,%d\n" % (name, e.LABELS[k]))
