# `tinyprune eval` on a classifier whose every prediction is known
# (utils/evalgen.py): twelve samples, three of them deliberately mislabelled,
# so top-1 is 9/12, top-2 11/12, and the confusion matrix is exact. The same
# samples in every accepted form (float32 with the channel squeezed, raw
# int8, uint8 times --data-scale, NCHW with --layout nchw, a float model)
# give the same table.
#
# RUN: %python %s %t
# RUN: tinyprune eval %t/int8.tflite --data %t/float.npy --labels %t/labels.npy --top-k 2 | FileCheck %s --check-prefixes=HEAD,TOP2,TABLE
# RUN: tinyprune eval %t/int8.tflite --data %t/int8.npy --labels %t/labels.npy --top-k 2 | FileCheck %s --check-prefixes=TOP2,TABLE
# RUN: tinyprune eval %t/int8.tflite --data %t/uint8.npy --data-scale 0.5 --labels %t/labels.npy | FileCheck %s --check-prefixes=TOP1,TABLE --implicit-check-not=top-
# RUN: tinyprune eval %t/int8.tflite --data %t/nchw.npy --layout nchw --labels %t/labels.npy | FileCheck %s --check-prefixes=TOP1,TABLE
# RUN: tinyprune eval %t/float.tflite --data %t/float.npy --labels %t/labels32.npy | FileCheck %s --check-prefixes=TOP1,TABLE
# RUN: tinyprune eval %t/float.tflite --data %t/int32.npy --data-scale 0.5 --labels %t/labels.npy | FileCheck %s --check-prefixes=TOP1,TABLE
#
# One thread or more threads than samples: the same results.
# RUN: tinyprune eval %t/int8.tflite --data %t/float.npy --labels %t/labels.npy --threads 1 | FileCheck %s --check-prefixes=TOP1,TABLE
# RUN: tinyprune eval %t/int8.tflite --data %t/float.npy --labels %t/labels.npy --threads 16 | FileCheck %s --check-prefixes=TOP1,TABLE
#
# The .mlir form of the model evaluates the same.
# RUN: tinyprune-translate --import-tflite %t/int8.tflite -o %t/int8.mlir
# RUN: tinyprune eval %t/int8.mlir --data %t/float.npy --labels %t/labels.npy | FileCheck %s --check-prefixes=TOP1,TABLE
#
# HEAD: model:   {{.*}}int8.tflite (tensor<1x2x2x1xi8> -> tensor<1x4xi8>)
# HEAD-NEXT: data:    {{.*}}float.npy (float32 [12,2,2]), labels {{.*}}labels.npy
# HEAD-NEXT: samples: 12, {{[0-9]+}} thread{{s?}}, {{[0-9.]+}} s, {{[0-9.]+}} inferences/s
# HEAD-EMPTY:
# TOP1:      top-1 accuracy:  75.00%  (9/12)
# TOP1-EMPTY:
# TOP2:      top-1 accuracy:  75.00%  (9/12)
# TOP2-NEXT: top-2 accuracy:  91.67%  (11/12)
# TOP2-EMPTY:
# TABLE-NEXT: per-class accuracy:
# TABLE-NEXT:   class  samples  correct  accuracy
# TABLE-NEXT:       0        3        2    66.67%
# TABLE-NEXT:       1        4        3    75.00%
# TABLE-NEXT:       2        2        2   100.00%
# TABLE-NEXT:       3        3        2    66.67%
# TABLE-EMPTY:
# TABLE-NEXT: confusion matrix (rows: true class, columns: predicted class):
# TABLE-NEXT:   true\pred  0  1  2  3
# TABLE-NEXT:           0  2  0  0  1
# TABLE-NEXT:           1  0  3  1  0
# TABLE-NEXT:           2  0  0  2  0
# TABLE-NEXT:           3  1  0  0  2
#
# --limit: samples 0-5 hold one wrong label.
# RUN: tinyprune eval %t/int8.tflite --data %t/float.npy --labels %t/labels.npy --limit 6 | FileCheck %s --check-prefix=LIMIT
# LIMIT: samples: 6 of 12 (--limit), {{.*}} inferences/s
# LIMIT: top-1 accuracy:  83.33%  (5/6)
# LIMIT:       0        2        1    50.00%
# LIMIT-NEXT:  1        2        2   100.00%
# LIMIT-NEXT:  2        1        1   100.00%
# LIMIT-NEXT:  3        1        1   100.00%
#
# A class without samples has no accuracy.
# RUN: tinyprune eval %t/int8.tflite --data %t/float.npy --labels %t/labels.npy --limit 2 | FileCheck %s --check-prefix=EMPTYCLASS
# EMPTYCLASS:       2        0        0         -
#
# --json writes the same figures.
# RUN: tinyprune eval %t/int8.tflite --data %t/float.npy --labels %t/labels.npy --top-k 2 --threads 2 --json %t/result.json > /dev/null
# RUN: FileCheck %s --check-prefix=JSON < %t/result.json
# JSON:      "model": "{{.*}}int8.tflite",
# JSON-NEXT: "function": "main",
# JSON-NEXT: "data": "{{.*}}float.npy",
# JSON-NEXT: "labels": "{{.*}}labels.npy",
# JSON-NEXT: "metric": "accuracy",
# JSON-NEXT: "samples": 12,
# JSON-NEXT: "threads": 2,
# JSON-NEXT: "seconds": {{[0-9.e-]+}},
# JSON-NEXT: "inferences_per_second": {{[0-9.e+]+}},
# JSON-NEXT: "classes": 4,
# JSON-NEXT: "top1_accuracy": 0.75,
# JSON-NEXT: "top1_correct": 9,
# JSON-NEXT: "top_k": {
# JSON-NEXT:   "k": 2,
# JSON-NEXT:   "accuracy": 0.91666666666666663,
# JSON-NEXT:   "correct": 11
# JSON-NEXT: },
# JSON-NEXT: "per_class": [
# JSON-NEXT:   {
# JSON-NEXT:     "class": 0,
# JSON-NEXT:     "samples": 3,
# JSON-NEXT:     "correct": 2,
# JSON-NEXT:     "accuracy": 0.66666666666666663
# JSON-NEXT:   },
# JSON:      "confusion_matrix": [
# JSON-NEXT:   [
# JSON-NEXT:     2,
# JSON-NEXT:     0,
# JSON-NEXT:     0,
# JSON-NEXT:     1
# JSON-NEXT:   ],
# RUN: %python -c "import json,sys; r=json.load(open(sys.argv[1])); print(r['confusion_matrix'], [c['accuracy'] for c in r['per_class']])" %t/result.json | FileCheck %s --check-prefix=JSONPY
# JSONPY: {{\[}}[2, 0, 0, 1], [0, 3, 1, 0], [0, 0, 2, 0], [1, 0, 0, 2]] [0.6666666666666666, 0.75, 1, 0.6666666666666666]

import os
import sys

import evalgen as e

out = sys.argv[1]
os.makedirs(out, exist_ok=True)
p = lambda name: os.path.join(out, name)

e.classifier(p("int8.tflite"))
e.classifier(p("float.tflite"), "FLOAT32")
x = e.images()
e.write_npy(p("float.npy"), x, [12, 2, 2], "float32")
e.write_npy(p("int8.npy"), e.quantized(x), [12, 2, 2, 1], "int8")
e.write_npy(p("uint8.npy"), [int(v * 2) for v in x], [12, 2, 2], "uint8",
            version=2)
e.write_npy(p("int32.npy"), [int(v * 2) for v in x], [12, 2, 2, 1], "int32",
            version=3)
e.write_npy(p("nchw.npy"), x, [12, 1, 2, 2], "float32")
e.write_npy(p("labels.npy"), e.LABELS, [12], "int64")
e.write_npy(p("labels32.npy"), e.LABELS, [12, 1], "int32")
