// --filterlet-prune's option errors are one line each, naming the tool:
// no empty "<unknown>:0: error:" line after the option parser's message,
// no `module {` source line; an option that has no effect in the
// combination given is an error, not silently ignored (issue 18).
//
// RUN: rm -rf %t && mkdir -p %t && %python %S/Inputs/filterlet_prune_data.py %t
//
// A malformed value: the option parser's line only.
// RUN: not tinyprune-opt %s --filterlet-prune="sparsity=abc" 2>&1 | FileCheck %s --check-prefix=ABC --implicit-check-not={{.}}
// ABC: tinyprune-opt: for the --sparsity option: 'abc' value invalid for floating point argument!
//
// A value out of range: one line.
// RUN: not tinyprune-opt %s --filterlet-prune="sparsity=2" 2>&1 | FileCheck %s --check-prefix=RANGE --implicit-check-not={{.}}
// RANGE: tinyprune-opt: error: filterlet-prune: sparsity must be in [0, 1), got 2
//
// What only calibration uses, without calibration.
// RUN: not tinyprune-opt %s --filterlet-prune="recover=true" 2>&1 | FileCheck %s --check-prefix=RECOVER --implicit-check-not={{.}}
// RECOVER: tinyprune-opt: error: filterlet-prune: recover has no effect without calibration (give calibration=FILE)
// RUN: not tinyprune-opt %s --filterlet-prune="recover=false" 2>&1 | FileCheck %s --check-prefix=RECOVER --implicit-check-not={{.}}
// RUN: not tinyprune-opt %s --filterlet-prune="damping=0.5" 2>&1 | FileCheck %s --check-prefix=DAMPING --implicit-check-not={{.}}
// DAMPING: tinyprune-opt: error: filterlet-prune: damping has no effect without calibration (give calibration=FILE)
// RUN: not tinyprune-opt %s --filterlet-prune="threads=1" 2>&1 | FileCheck %s --check-prefix=THREADS --implicit-check-not={{.}}
// THREADS: tinyprune-opt: error: filterlet-prune: threads has no effect without calibration (give calibration=FILE)
// RUN: not tinyprune-opt %s --filterlet-prune="calibration-limit=4" 2>&1 | FileCheck %s --check-prefix=LIMIT --implicit-check-not={{.}}
// LIMIT: tinyprune-opt: error: filterlet-prune: calibration-limit has no effect without calibration (give calibration=FILE)
//
// What only recovery uses, with recover=false.
// RUN: not tinyprune-opt %s --filterlet-prune="calibration=%t/calib8.npy recover=false correct-all=true" 2>&1 | FileCheck %s --check-prefix=CORRECT --implicit-check-not={{.}}
// CORRECT: tinyprune-opt: error: filterlet-prune: correct-all has no effect with recover=false
// RUN: not tinyprune-opt %s --filterlet-prune="calibration=%t/calib8.npy recover=false clip-aware=all" 2>&1 | FileCheck %s --check-prefix=CLIP --implicit-check-not={{.}}
// CLIP: tinyprune-opt: error: filterlet-prune: clip-aware has no effect with recover=false
// RUN: not tinyprune-opt %s --filterlet-prune="calibration=%t/calib8.npy clip-aware=none clip-iterations=5" 2>&1 | FileCheck %s --check-prefix=CLIPIT --implicit-check-not={{.}}
// CLIPIT: tinyprune-opt: error: filterlet-prune: clip-iterations has no effect with clip-aware=none
//
// The same options where they count are accepted.
// RUN: tinyprune-opt %s --filterlet-prune="calibration=%t/calib8.npy recover=true damping=0.5 threads=1 calibration-limit=4 target=none" -o /dev/null
// RUN: tinyprune-opt %s --filterlet-prune="calibration=%t/calib8.npy recover=false target=none" -o /dev/null
//
// Calibration reads a folder of .bin files without labels (calibration
// needs none): the same samples as raw float32 files give the same model.
// RUN: %python -c "import os; d = open('%t/calib8.npy', 'rb').read()[-1024:]; os.makedirs('%t/bins'); [open('%t/bins/s%%d.bin' %% k, 'wb').write(d[128 * k:128 * (k + 1)]) for k in range(8)]"
// RUN: tinyprune-opt %s --filterlet-prune="calibration=%t/calib8.npy target=none" -o %t/from_npy.mlir
// RUN: tinyprune-opt %s --filterlet-prune="calibration=%t/bins target=none" -o %t/from_bins.mlir
// RUN: cmp %t/from_npy.mlir %t/from_bins.mlir
// RUN: FileCheck %s --check-prefix=PRUNED < %t/from_bins.mlir
// PRUNED: filterlets
//
// Calibration samples that are not finite: one line naming the file and
// the first bad element.
// RUN: %python -c "import npygen; npygen.write_npy('%t/nan.npy', [0.0] * 40 + [float('nan')] + [0.0] * 23, [2, 4, 4, 2])"
// RUN: not tinyprune-opt %s --filterlet-prune="calibration=%t/nan.npy target=none" -o %t/out.mlir 2>&1 | FileCheck %s --check-prefix=NAN --implicit-check-not={{.}}
// NAN: tinyprune-opt: error: filterlet-prune: calibration: {{.*}}nan.npy: element 40 (sample 1, element 8 of it) is NaN; data must be finite
// RUN: not test -e %t/out.mlir

func.func @conv(%x: tensor<1x4x4x2xf32>) -> tensor<1x4x3x2xf32> {
  %w = "tosa.const"() <{values = dense<[[[[1.0, 0.0], [0.0, 3.0]]], [[[0.5, 0.0], [2.0, 0.0]]]]> : tensor<2x1x2x2xf32>}> : () -> tensor<2x1x2x2xf32>
  %b = "tosa.const"() <{values = dense<0.0> : tensor<2xf32>}> : () -> tensor<2xf32>
  %y = tinyprune.conv2d %x, %w, %b {pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>, dilation = array<i64: 1, 1>, min_val = 0xFF800000 : f32, max_val = 0x7F800000 : f32} : (tensor<1x4x4x2xf32>, tensor<2x1x2x2xf32>, tensor<2xf32>) -> tensor<1x4x3x2xf32>
  return %y : tensor<1x4x3x2xf32>
}
