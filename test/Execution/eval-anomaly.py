# `tinyprune eval --metric mse|auc` on an autoencoder whose reconstruction
# is always 0 (utils/evalgen.py), so each sample's anomaly score is the mean
# of its squared dequantized inputs: normal samples score 1, 2.25, 4 and 4,
# anomalous ones 4, 6.25 and 9. The tie at 4 counts one half:
# AUC = (2 + 0.5 * 2 + 4 + 4) / (3 * 4) = 11/12.
#
# RUN: %python %s %t
# RUN: tinyprune eval %t/ae_int8.tflite --data %t/features.npy --labels %t/labels.npy --metric auc | FileCheck %s --check-prefixes=ROC,MSE
# RUN: tinyprune eval %t/ae_float.tflite --data %t/features.npy --labels %t/labels.npy --metric auc | FileCheck %s --check-prefixes=ROC,MSE
# ROC:      ROC AUC: 0.916667  (3 anomalous, 4 normal samples)
# MSE:      mean anomaly score (MSE): 4.357143
# MSE-NEXT:   label 0 (normal): 4 samples, mean score 2.812500
# MSE-NEXT:   label 1 (anomalous): 3 samples, mean score 6.416667
#
# RUN: tinyprune eval %t/ae_int8.tflite --data %t/features.npy --labels %t/labels.npy --metric mse | FileCheck %s --check-prefix=MSE --implicit-check-not=AUC
#
# Without labels, mse reports the mean score only.
# RUN: tinyprune eval %t/ae_int8.tflite --data %t/features.npy --metric mse | FileCheck %s --check-prefix=NOLABELS --implicit-check-not=label
# NOLABELS: mean anomaly score (MSE): 4.357143
#
# Perfect separation and a perfectly wrong ranking.
# RUN: tinyprune eval %t/ae_int8.tflite --data %t/features.npy --labels %t/separated.npy --metric auc | FileCheck %s --check-prefix=ONE
# ONE: ROC AUC: 1.000000  (2 anomalous, 5 normal samples)
# RUN: tinyprune eval %t/ae_int8.tflite --data %t/features.npy --labels %t/inverted.npy --metric auc | FileCheck %s --check-prefix=ZERO
# ZERO: ROC AUC: 0.000000  (2 anomalous, 5 normal samples)
#
# RUN: tinyprune eval %t/ae_int8.tflite --data %t/features.npy --labels %t/labels.npy --metric auc --json %t/auc.json > /dev/null
# RUN: FileCheck %s --check-prefix=JSON < %t/auc.json
# JSON: "metric": "auc",
# JSON: "samples": 7,
# JSON: "auc": 0.91666666666666663,
# JSON-NEXT: "anomalous": 3,
# JSON-NEXT: "normal": 4,
# JSON-NEXT: "mean_score": 4.3571428571428568,
# JSON-NEXT: "per_label": [
# JSON-NEXT:   {
# JSON-NEXT:     "label": 0,
# JSON-NEXT:     "samples": 4,
# JSON-NEXT:     "mean_score": 2.8125
#
# AUC needs both kinds of sample.
# RUN: %expect_exit 1 tinyprune eval %t/ae_int8.tflite --data %t/features.npy --labels %t/labels.npy --metric auc --limit 1 2>&1 | FileCheck %s --check-prefix=ONEKIND --implicit-check-not={{.}}
# ONEKIND: tinyprune: error: {{.*}}labels.npy: --metric auc needs normal (0) and anomalous (1) samples among the 1 evaluated

import os
import sys

import evalgen as e

out = sys.argv[1]
os.makedirs(out, exist_ok=True)
p = lambda name: os.path.join(out, name)

e.autoencoder(p("ae_int8.tflite"))
e.autoencoder(p("ae_float.tflite"), "FLOAT32")
e.write_npy(p("features.npy"), e.ae_features(), [7, 4], "float32")
e.write_npy(p("labels.npy"), e.AE_LABELS, [7], "int64")
# Scores 1, 4, 2.25, 6.25, 4, 9, 4: the two highest are samples 3 and 5.
e.write_npy(p("separated.npy"), [0, 0, 0, 1, 0, 1, 0], [7], "uint8")
# The two lowest are samples 0 and 2.
e.write_npy(p("inverted.npy"), [1, 0, 1, 0, 0, 0, 0], [7], "int8")
