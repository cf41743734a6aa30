// --filterlet-prune on hand-made convolutions whose filterlet energies are
// known: which filterlets go, the zeroed weights, the attribute, the
// report, and one RUN line per option showing what it changes. Runs over
// the trained fixture models are in test/e2e; bad options and models in
// filterlet-prune-errors.mlir.
//
// Magnitude ranking (no data), no cost model.
// RUN: tinyprune-opt %s --split-input-file --filterlet-prune="sparsity=0.5 target=none" | FileCheck %s
// RUN: tinyprune-opt %s --split-input-file --filterlet-prune="sparsity=0.0 target=none" | FileCheck %s --check-prefix=NONE
// RUN: tinyprune-opt %s --split-input-file --filterlet-prune="sparsity=0.5 block=4 target=none" | FileCheck %s --check-prefix=BLOCK
// RUN: tinyprune-opt %s --split-input-file --filterlet-prune="sparsity=0.5 pointwise=false target=none" | FileCheck %s --check-prefix=NOPW
// RUN: tinyprune-opt %s --split-input-file --filterlet-prune="sparsity=0.25 min-layer-sparsity=0.25 target=none" | FileCheck %s --check-prefix=MIN
// RUN: tinyprune-opt %s --split-input-file --filterlet-prune="sparsity=0.5 max-layer-sparsity=0.5 target=none" | FileCheck %s --check-prefix=MAX
// RUN: tinyprune-opt %s --split-input-file --filterlet-prune="sparsity=0.2 layer-sparsity=0=0.75 target=none" | FileCheck %s --check-prefix=FIXED
//
// The report (with report=-, every split's table in turn on stdout).
// RUN: tinyprune-opt %s --split-input-file --filterlet-prune="sparsity=0.5 target=none report=-" -o /dev/null | FileCheck %s --check-prefix=REPORT
//
// The cost model of each core, and budgets instead of a ratio.
// RUN: tinyprune-opt %s --split-input-file --filterlet-prune="sparsity=0.5 report=-" -o /dev/null | FileCheck %s --check-prefix=M4
// RUN: tinyprune-opt %s --split-input-file --filterlet-prune="sparsity=0.5 target=cortex-m7 report=-" -o /dev/null | FileCheck %s --check-prefix=M7
// RUN: tinyprune-opt %s --split-input-file --filterlet-prune="sparsity=0.5 target=cortex-m0plus report=-" -o /dev/null | FileCheck %s --check-prefix=M0
// RUN: tinyprune-opt %s --split-input-file --filterlet-prune="flash-budget=1K report=-" -o /dev/null > %t.flash
// RUN: FileCheck %s --check-prefix=FLASH < %t.flash
// RUN: %python %S/Inputs/check_cost_report.py %t.flash --flash-at-most 1024
// RUN: tinyprune-opt %s --split-input-file --filterlet-prune="latency-budget=100k report=-" -o /dev/null > %t.latency
// RUN: FileCheck %s --check-prefix=LATENCY < %t.latency
// RUN: %python %S/Inputs/check_cost_report.py %t.latency --instructions-at-most 100000
// RUN: tinyprune-opt %s --split-input-file --filterlet-prune="latency-budget=10kmacs report=-" -o /dev/null > %t.macs
// RUN: FileCheck %s --check-prefix=MACS < %t.macs
// RUN: %python %S/Inputs/check_cost_report.py %t.macs --macs-at-most 10000

// A 1x3 float convolution, 2 filters over 2 channels: filterlet energies
// (filter, position) = (0,0) 1, (0,1) 9, (0,2) 4, (1,0) 0.25, (1,1) 8,
// (1,2) 2. Half the weights go: the three smallest, (1,0), (0,0), (1,2).
// CHECK-LABEL: func.func @float_1x3(
// CHECK: %[[W:.*]] = "tosa.const"() <{values = dense<{{\[\[\[}}[0.000000e+00, 0.000000e+00], [0.000000e+00, 3.000000e+00], [2.000000e+00, 0.000000e+00]]], {{\[\[}}[0.000000e+00, 0.000000e+00], [2.000000e+00, 2.000000e+00], [0.000000e+00, 0.000000e+00]]]]>
// CHECK: tosa.conv2d %{{.*}}, %[[W]],
// CHECK-SAME: tinyprune.filterlets = #tinyprune.filterlets<block = 2, kept = {{\[\[}}1, 2], [1]]>
// sparsity=0 prunes nothing.
// NONE-LABEL: func.func @float_1x3(
// NONE-NOT: tinyprune.filterlets
// NOPW-LABEL: func.func @float_1x3(
// NOPW: tinyprune.filterlets = #tinyprune.filterlets<block = 2, kept = {{\[\[}}1, 2], [1]]>
// The report: what was asked, then a row per eligible layer ("?": the
// layer has no name).
// REPORT: filterlet-prune: sparsity 0.5
// REPORT-NEXT: layer name{{ +}}weight block filterlets kept sparsity{{$}}
// REPORT-NEXT: 0 ? 2x3x2 2 6 3 0.500
// REPORT-NEXT: total: 6 of 12 eligible weights kept (sparsity 0.5000)
// Under the cost model of every core, a layer this small is cheaper dense
// than with a sparse index: it stays dense (target=none prunes it, above).
// M4: 0 ? 2x3x2 2 6 6 0.000 {{.*}} dense: the sparse form does not pay
// M4-NEXT: total: 12 of 12 eligible weights kept (sparsity 0.0000; 0.0000 of the 0 weights of layers where the sparse form pays)
// M4-NEXT: cortex-m4 estimate: flash [[DENSE:[0-9]+]] -> [[DENSE]] bytes
// M7: 0 ? 2x3x2 2 6 6 0.000 {{.*}} dense: the sparse form does not pay
// M0: 0 ? 2x3x2 2 6 6 0.000 {{.*}} dense: the sparse form does not pay
func.func @float_1x3(%x: tensor<1x4x4x2xf32>) -> tensor<1x4x2x2xf32> {
  %w = "tosa.const"() <{values = dense<[[[[1.0, 0.0], [0.0, 3.0], [2.0, 0.0]]], [[[0.0, 0.5], [2.0, 2.0], [1.0, 1.0]]]]> : tensor<2x1x3x2xf32>}> : () -> tensor<2x1x3x2xf32>
  %b = "tosa.const"() <{values = dense<[0.5, -0.5]> : tensor<2xf32>}> : () -> tensor<2xf32>
  %zp = "tosa.const"() <{values = dense<0.0> : tensor<1xf32>}> : () -> tensor<1xf32>
  %y = tosa.conv2d %x, %w, %b, %zp, %zp {acc_type = f32, dilation = array<i64: 1, 1>, pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>} : (tensor<1x4x4x2xf32>, tensor<2x1x3x2xf32>, tensor<2xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x4x2x2xf32>
  return %y : tensor<1x4x2x2xf32>
}

// -----

// An int8 fully-connected layer as a 1x1 convolution over 8 inputs: the
// default block (16) is cut to the largest divisor of 8, one filterlet per
// filter. Filter 0 has large integers but a tiny scale, filter 1 small
// integers and a large scale: in real units filter 0 is the weak one.
// CHECK-LABEL: func.func @int8_fc(
// CHECK: %[[W:.*]] = "tosa.const"() <{values = dense<{{\[\[\[}}[0, 0, 0, 0, 0, 0, 0, 0]]], {{\[\[}}[1, 1, 1, 1, 2, 2, 2, 2]]]]> : tensor<2x1x1x8xi8>}> {tinyprune.quant = #tinyprune.quant<axis = 0, scale = [0.00100000005, 1.0], zero_point = [0, 0]>}
// CHECK: tinyprune.filterlets = #tinyprune.filterlets<block = 8, kept = {{\[\[}}], [0]]>
// block=4: two filterlets per filter; real energies 0.04, 0.01 (filter 0)
// and 4, 16 (filter 1): filter 0's two go.
// BLOCK-LABEL: func.func @int8_fc(
// BLOCK: tinyprune.filterlets = #tinyprune.filterlets<block = 4, kept = {{\[\[}}], [0, 1]]>
// pointwise=false leaves 1x1 convolutions (and fully-connected layers)
// dense.
// NOPW-LABEL: func.func @int8_fc(
// NOPW-NOT: tinyprune.filterlets
// NOPW: return
func.func @int8_fc(%x: tensor<1x1x1x8xi8>) -> tensor<1x1x1x2xi32> {
  %w = "tosa.const"() <{values = dense<[[[[100, 100, 100, 100, 50, 50, 50, 50]]], [[[1, 1, 1, 1, 2, 2, 2, 2]]]]> : tensor<2x1x1x8xi8>}> {tinyprune.quant = #tinyprune.quant<axis = 0, scale = [0.001, 1.0], zero_point = [0, 0]>} : () -> tensor<2x1x1x8xi8>
  %b = "tosa.const"() <{values = dense<[7, -7]> : tensor<2xi32>}> : () -> tensor<2xi32>
  %zp = "tosa.const"() <{values = dense<0> : tensor<1xi8>}> : () -> tensor<1xi8>
  %y = tosa.conv2d %x, %w, %b, %zp, %zp {acc_type = i32, dilation = array<i64: 1, 1>, pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>} : (tensor<1x1x1x8xi8>, tensor<2x1x1x8xi8>, tensor<2xi32>, tensor<1xi8>, tensor<1xi8>) -> tensor<1x1x1x2xi32> loc(fused["fc.tflite":1:1, "dense/MatMul"("fc.tflite":1:1)])
  return %y : tensor<1x1x1x2xi32>
}

// One row per eligible layer, named by the NameLoc inside the conv's
// location (here fused with a file location).
// REPORT: filterlet-prune: sparsity 0.5
// REPORT-NEXT: layer name{{ +}}weight block filterlets kept sparsity{{$}}
// REPORT-NEXT: 0 dense/MatMul 2x1x8 8 2 1 0.500
// REPORT-NEXT: total: 8 of 16 eligible weights kept (sparsity 0.5000)

// -----

// Two layers whose LAMP scores differ: every filterlet of @p has the same
// energy (scores 1/4, 1/3, 1/2, 1), @q's energy sits in one filterlet
// (100, 0.01, 0.01, 0.01: scores about 1/103, 1/102, 1/101, 1). At 0.5 the
// three small ones of @q go, then the first of @p.
// CHECK-LABEL: func.func @layer_bounds(
// CHECK: %[[P:.*]] = tosa.conv2d {{.*}}tinyprune.filterlets = #tinyprune.filterlets<block = 2, kept = {{\[\[}}1], [0, 1]]>
// CHECK: tosa.conv2d %[[P]], {{.*}}tinyprune.filterlets = #tinyprune.filterlets<block = 2, kept = {{\[\[}}0], []]>
// min-layer-sparsity: each layer gives a quarter first, which is already
// the asked 0.25 (alone, @q would give two).
// MIN-LABEL: func.func @layer_bounds(
// MIN: %[[P:.*]] = tosa.conv2d {{.*}}kept = {{\[\[}}1], [0, 1]]>
// MIN: tosa.conv2d %[[P]], {{.*}}kept = {{\[\[}}0], [0, 1]]>
// max-layer-sparsity: @q stops at half, @p gives the rest.
// MAX-LABEL: func.func @layer_bounds(
// MAX: %[[P:.*]] = tosa.conv2d {{.*}}kept = {{\[\[}}], [0, 1]]>
// MAX: tosa.conv2d %[[P]], {{.*}}kept = {{\[\[}}0], [1]]>
// layer-sparsity=0=0.75 fixes @p (layer 0) at three of four filterlets;
// that alone is more than 0.2 of all weights, so @q keeps everything.
// FIXED-LABEL: func.func @layer_bounds(
// FIXED: %[[P:.*]] = tosa.conv2d {{.*}}kept = {{\[\[}}], [1]]>
// FIXED: tosa.conv2d %[[P]], {{[^{]*}} {acc_type = f32, dilation = array<i64: 1, 1>, pad = array<i64: 0, 0, 0, 1>, stride = array<i64: 1, 1>} :
// REPORT: filterlet-prune: sparsity 0.5
// REPORT: 0 p 2x2x2 2 4 3 0.250
// REPORT-NEXT: 1 q 2x2x2 2 4 1 0.750
// REPORT-NEXT: total: 8 of 16 eligible weights kept (sparsity 0.5000)
func.func @layer_bounds(%x: tensor<1x4x4x2xf32>) -> tensor<1x4x4x2xf32> {
  %zp = "tosa.const"() <{values = dense<0.0> : tensor<1xf32>}> : () -> tensor<1xf32>
  %b = "tosa.const"() <{values = dense<0.0> : tensor<2xf32>}> : () -> tensor<2xf32>
  %wp = "tosa.const"() <{values = dense<[[[[1.0, 0.0], [0.0, 1.0]]], [[[1.0, 0.0], [0.0, 1.0]]]]> : tensor<2x1x2x2xf32>}> : () -> tensor<2x1x2x2xf32>
  %p = tosa.conv2d %x, %wp, %b, %zp, %zp {acc_type = f32, dilation = array<i64: 1, 1>, pad = array<i64: 0, 0, 0, 1>, stride = array<i64: 1, 1>} : (tensor<1x4x4x2xf32>, tensor<2x1x2x2xf32>, tensor<2xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x4x4x2xf32> loc("p")
  %wq = "tosa.const"() <{values = dense<[[[[10.0, 0.0], [0.0, 0.1]]], [[[0.1, 0.0], [0.0, 0.1]]]]> : tensor<2x1x2x2xf32>}> : () -> tensor<2x1x2x2xf32>
  %q = tosa.conv2d %p, %wq, %b, %zp, %zp {acc_type = f32, dilation = array<i64: 1, 1>, pad = array<i64: 0, 0, 0, 1>, stride = array<i64: 1, 1>} : (tensor<1x4x4x2xf32>, tensor<2x1x2x2xf32>, tensor<2xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x4x4x2xf32> loc("q")
  return %q : tensor<1x4x4x2xf32>
}

// -----

// The cost model. Over 8 channels the sparse form pays: at 0.5 on each core the layer
// takes less flash and fewer instructions; the estimate names the core.
// M4: 0 wide 8x9x8 8 72 36 0.500 [[FD:[0-9]+]]/[[FN:[0-9]+]] [[ID:[0-9]+]]/[[IN:[0-9]+]]
// M4-NEXT: total: 288 of 576 eligible weights kept
// M4-NEXT: cortex-m4 estimate: flash [[FD]] -> [[FN]] bytes, [[ID]] -> [[IN]] instructions
// M7: 0 wide 8x9x8 8 72 36 0.500
// M7: cortex-m7 estimate:
// M0: 0 wide 8x9x8 8 72 36 0.500
// M0: cortex-m0plus estimate:
// A budget replaces the ratio, and the report says which: each of these
// needs more than half the filterlets gone (check_cost_report.py checks
// the estimates against the budgets).
// FLASH: filterlet-prune: flash-budget 1K
// FLASH: 0 wide 8x9x8 8 72 {{2[0-9]}} 0.6
// LATENCY: filterlet-prune: latency-budget 100k
// LATENCY: 0 wide 8x9x8 8 72 {{2[0-9]|3[0-5]}} 0.
// MACS: filterlet-prune: latency-budget 10kmacs
// MACS: 0 wide 8x9x8 8 72 {{2[0-9]|3[0-5]}} 0.
func.func @wide(%x: tensor<1x8x8x8xf32>) -> tensor<1x8x8x8xf32> {
  %w = "tosa.const"() <{values = dense<0.5> : tensor<8x3x3x8xf32>}> : () -> tensor<8x3x3x8xf32>
  %b = "tosa.const"() <{values = dense<0.0> : tensor<8xf32>}> : () -> tensor<8xf32>
  %zp = "tosa.const"() <{values = dense<0.0> : tensor<1xf32>}> : () -> tensor<1xf32>
  %y = tosa.conv2d %x, %w, %b, %zp, %zp {acc_type = f32, dilation = array<i64: 1, 1>, pad = array<i64: 1, 1, 1, 1>, stride = array<i64: 1, 1>} : (tensor<1x8x8x8xf32>, tensor<8x3x3x8xf32>, tensor<8xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x8x8x8xf32> loc("wide")
  return %y : tensor<1x8x8x8xf32>
}

// -----

// With calibration data. The calibrated cases sit in nested modules, and
// the calibrated RUN lines run the pass on nested modules only: their
// samples (Inputs/filterlet_prune_data.py) fit these functions and no
// other. (The RUN lines above prune them by magnitude and check nothing.)
// RUN: rm -rf %t && mkdir -p %t && %python %S/Inputs/filterlet_prune_data.py %t
// RUN: tinyprune-opt %s --split-input-file --pass-pipeline="builtin.module(builtin.module(filterlet-prune{sparsity=0.5 max-layer-sparsity=1 target=none layer-sparsity=1=0 calibration=%t/calib8.npy report=-}))" -o %t/cal.mlir > %t/cal.report
// RUN: FileCheck %s --check-prefix=CAL < %t/cal.mlir
// RUN: FileCheck %s --check-prefix=CAL-REPORT < %t/cal.report
// RUN: tinyprune-opt %s --split-input-file --pass-pipeline="builtin.module(builtin.module(filterlet-prune{sparsity=0.5 max-layer-sparsity=1 target=none layer-sparsity=1=0 calibration=%t/calib8.npy recover=false}))" | FileCheck %s --check-prefix=NOREC
// RUN: tinyprune-opt %s --split-input-file --pass-pipeline="builtin.module(builtin.module(filterlet-prune{sparsity=0.5 max-layer-sparsity=1 target=none layer-sparsity=1=0 calibration=%t/calib8.npy correct-all=false}))" | FileCheck %s --check-prefix=NOCORR
// RUN: tinyprune-opt %s --split-input-file --pass-pipeline="builtin.module(builtin.module(filterlet-prune{sparsity=0.5 max-layer-sparsity=1 target=none layer-sparsity=1=0 calibration=%t/calib8.npy correct-depthwise=false}))" | FileCheck %s --check-prefix=NODW
//
// Options whose effect is on the re-solved values: each run against the
// default one (%t/cal.mlir) or one it must equal.
// clip-aware=none fits the depthwise layer before its ReLU6: another
// solution. No clip iterations leave the plain solution, which is that one.
// RUN: tinyprune-opt %s --split-input-file --pass-pipeline="builtin.module(builtin.module(filterlet-prune{sparsity=0.5 max-layer-sparsity=1 target=none layer-sparsity=1=0 calibration=%t/calib8.npy clip-aware=none}))" -o %t/clipnone.mlir
// RUN: not cmp -s %t/clipnone.mlir %t/cal.mlir
// RUN: tinyprune-opt %s --split-input-file --pass-pipeline="builtin.module(builtin.module(filterlet-prune{sparsity=0.5 max-layer-sparsity=1 target=none layer-sparsity=1=0 calibration=%t/calib8.npy clip-iterations=0}))" -o %t/clip0.mlir
// RUN: cmp %t/clip0.mlir %t/clipnone.mlir
// clip-aware=all also fits @a after its ReLU6.
// RUN: tinyprune-opt %s --split-input-file --pass-pipeline="builtin.module(builtin.module(filterlet-prune{sparsity=0.5 max-layer-sparsity=1 target=none layer-sparsity=1=0 calibration=%t/calib8.npy clip-aware=all}))" -o %t/clipall.mlir
// RUN: not cmp -s %t/clipall.mlir %t/cal.mlir
// A large damping pulls the solution towards the dense weights.
// RUN: tinyprune-opt %s --split-input-file --pass-pipeline="builtin.module(builtin.module(filterlet-prune{sparsity=0.5 max-layer-sparsity=1 target=none layer-sparsity=1=0 calibration=%t/calib8.npy damping=10}))" -o %t/damped.mlir
// RUN: not cmp -s %t/damped.mlir %t/cal.mlir
// calibration-limit=4 uses the first 4 of the 8 samples: as if there were
// only those.
// RUN: tinyprune-opt %s --split-input-file --pass-pipeline="builtin.module(builtin.module(filterlet-prune{sparsity=0.5 max-layer-sparsity=1 target=none layer-sparsity=1=0 calibration=%t/calib8.npy calibration-limit=4}))" -o %t/limit4.mlir
// RUN: tinyprune-opt %s --split-input-file --pass-pipeline="builtin.module(builtin.module(filterlet-prune{sparsity=0.5 max-layer-sparsity=1 target=none layer-sparsity=1=0 calibration=%t/calib4.npy}))" -o %t/first4.mlir
// RUN: cmp %t/limit4.mlir %t/first4.mlir
// RUN: not cmp -s %t/limit4.mlir %t/cal.mlir
// calibration-scale multiplies integer samples for a float model: uint8
// samples at 0.5 are their float halves.
// RUN: tinyprune-opt %s --split-input-file --pass-pipeline="builtin.module(builtin.module(filterlet-prune{sparsity=0.5 max-layer-sparsity=1 target=none layer-sparsity=1=0 calibration=%t/u8.npy calibration-scale=0.5}))" -o %t/u8.mlir
// RUN: tinyprune-opt %s --split-input-file --pass-pipeline="builtin.module(builtin.module(filterlet-prune{sparsity=0.5 max-layer-sparsity=1 target=none layer-sparsity=1=0 calibration=%t/u8half.npy}))" -o %t/u8half.mlir
// RUN: cmp %t/u8.mlir %t/u8half.mlir
// The thread count changes the speed only.
// RUN: tinyprune-opt %s --split-input-file --pass-pipeline="builtin.module(builtin.module(filterlet-prune{sparsity=0.5 max-layer-sparsity=1 target=none layer-sparsity=1=0 calibration=%t/calib8.npy threads=1}))" -o %t/threads1.mlir
// RUN: tinyprune-opt %s --split-input-file --pass-pipeline="builtin.module(builtin.module(filterlet-prune{sparsity=0.5 max-layer-sparsity=1 target=none layer-sparsity=1=0 calibration=%t/calib8.npy threads=2}))" -o %t/threads2.mlir
// RUN: cmp %t/threads1.mlir %t/threads2.mlir
//
// Sensitivity weighting (the last split).
// RUN: tinyprune-opt %s --split-input-file --pass-pipeline="builtin.module(builtin.module(filterlet-prune{sparsity=0.5 max-layer-sparsity=1 target=none calibration=%t/calib8.npy}))" | FileCheck %s --check-prefix=SENS
// RUN: tinyprune-opt %s --split-input-file --pass-pipeline="builtin.module(builtin.module(filterlet-prune{sparsity=0.5 max-layer-sparsity=1 target=none calibration=%t/calib8.npy sensitivity-samples=0}))" | FileCheck %s --check-prefix=SENS0

// A pruned 1x3 layer @a, a ReLU6, a depthwise layer, a ReLU6 and a 1x1
// layer @b fixed dense (layer-sparsity=1=0). Calibrated, @a's filterlets
// go by output error, and @a's kept weights, the depthwise layer and @b
// are re-solved against the dense model's outputs.
// CAL-LABEL: func.func @chain(
// CAL-NOT: [1.000000e+00, -5.000000e-01]
// CAL: %[[WA:.*]] = "tosa.const"() <{values = dense<{{\[\[\[}}[{{[^]]*}}], [0.000000e+00, 0.000000e+00], [0.000000e+00, 0.000000e+00]]], {{\[\[}}[0.000000e+00, 0.000000e+00], [{{[^]]*}}], [0.000000e+00, 0.000000e+00]]]]>
// CAL: tosa.conv2d %{{.*}}, %[[WA]], {{.*}}tinyprune.filterlets = #tinyprune.filterlets<block = 2, kept = {{\[\[}}0], [1]]>
// CAL-NOT: [5.000000e-01], [-2.500000e-01]
// CAL: tosa.depthwise_conv2d
// CAL-NOT: [5.000000e-01, -1.000000e+00]
// CAL: tosa.conv2d
// CAL-NOT: tinyprune.filterlets
// CAL: return
// CAL-REPORT: filterlet-prune: sparsity 0.5, calibrated, weights re-solved
// CAL-REPORT: layer name{{ +}}weight block filterlets kept sparsity err-masked err-solved{{$}}
// CAL-REPORT-NEXT: 0 a 2x3x2 2 6 2 0.667 {{[0-9.]+ +[0-9.]+$}}
// CAL-REPORT-NEXT: 1 b 2x1x2 2 2 2 0.000 - -
// CAL-REPORT-NEXT: total: 8 of 16 eligible weights kept (sparsity 0.5000)
// CAL-REPORT-NEXT: depthwise convolutions re-solved: 1
// recover=false: the same choice, the kept weights as they were, nothing
// else re-solved.
// NOREC-LABEL: func.func @chain(
// NOREC: "tosa.const"() <{values = dense<{{\[\[\[}}[1.000000e+00, -5.000000e-01], [0.000000e+00, 0.000000e+00], [0.000000e+00, 0.000000e+00]]], {{\[\[}}[0.000000e+00, 0.000000e+00], [-1.000000e+00, 2.500000e-01], [0.000000e+00, 0.000000e+00]]]]>
// NOREC: "tosa.const"() <{values = dense<{{\[\[\[}}[5.000000e-01], [-2.500000e-01]],
// NOREC: "tosa.const"() <{values = dense<{{\[\[\[}}[5.000000e-01, -1.000000e+00]]], {{\[\[}}[1.500000e+00, 2.500000e-01]]]]>
// correct-all=false: @b, left dense, keeps its weights; the depthwise
// layer is still re-solved.
// NOCORR-LABEL: func.func @chain(
// NOCORR-NOT: [5.000000e-01], [-2.500000e-01]
// NOCORR: tosa.depthwise_conv2d
// NOCORR: "tosa.const"() <{values = dense<{{\[\[\[}}[5.000000e-01, -1.000000e+00]]], {{\[\[}}[1.500000e+00, 2.500000e-01]]]]>
// correct-depthwise=false: the depthwise layer keeps its weights.
// NODW-LABEL: func.func @chain(
// NODW: "tosa.const"() <{values = dense<{{\[\[\[}}[5.000000e-01], [-2.500000e-01]],
// NODW: tosa.depthwise_conv2d
// NODW-NOT: [5.000000e-01, -1.000000e+00]
// NODW: return
module {
module @chain {
  func.func @chain(%x: tensor<1x4x4x2xf32>) -> tensor<1x4x4x2xf32> {
    %zp = "tosa.const"() <{values = dense<0.0> : tensor<1xf32>}> : () -> tensor<1xf32>
    %wa = "tosa.const"() <{values = dense<[[[[1.0, -0.5], [0.75, 0.625], [-0.25, 0.875]]], [[[0.375, 0.75], [-1.0, 0.25], [0.5, -0.625]]]]> : tensor<2x1x3x2xf32>}> : () -> tensor<2x1x3x2xf32>
    %ba = "tosa.const"() <{values = dense<[0.125, -0.25]> : tensor<2xf32>}> : () -> tensor<2xf32>
    %a = tosa.conv2d %x, %wa, %ba, %zp, %zp {acc_type = f32, dilation = array<i64: 1, 1>, pad = array<i64: 0, 0, 1, 1>, stride = array<i64: 1, 1>} : (tensor<1x4x4x2xf32>, tensor<2x1x3x2xf32>, tensor<2xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x4x4x2xf32> loc("a")
    %ra = tosa.clamp %a {max_val = 6.0 : f32, min_val = 0.0 : f32} : (tensor<1x4x4x2xf32>) -> tensor<1x4x4x2xf32>
    %wd = "tosa.const"() <{values = dense<[[[[0.5], [-0.25]], [[1.0], [0.5]], [[-0.5], [0.75]]], [[[0.25], [1.0]], [[-1.0], [0.5]], [[0.5], [-0.5]]], [[[0.75], [0.25]], [[0.5], [-0.75]], [[0.25], [1.0]]]]> : tensor<3x3x2x1xf32>}> : () -> tensor<3x3x2x1xf32>
    %bd = "tosa.const"() <{values = dense<[0.0625, -0.0625]> : tensor<2xf32>}> : () -> tensor<2xf32>
    %d = tosa.depthwise_conv2d %ra, %wd, %bd, %zp, %zp {acc_type = f32, dilation = array<i64: 1, 1>, pad = array<i64: 1, 1, 1, 1>, stride = array<i64: 1, 1>} : (tensor<1x4x4x2xf32>, tensor<3x3x2x1xf32>, tensor<2xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x4x4x2xf32>
    %rd = tosa.clamp %d {max_val = 6.0 : f32, min_val = 0.0 : f32} : (tensor<1x4x4x2xf32>) -> tensor<1x4x4x2xf32>
    %wb = "tosa.const"() <{values = dense<[[[[0.5, -1.0]]], [[[1.5, 0.25]]]]> : tensor<2x1x1x2xf32>}> : () -> tensor<2x1x1x2xf32>
    %bb = "tosa.const"() <{values = dense<[0.0, 0.5]> : tensor<2xf32>}> : () -> tensor<2xf32>
    %b = tosa.conv2d %rd, %wb, %bb, %zp, %zp {acc_type = f32, dilation = array<i64: 1, 1>, pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>} : (tensor<1x4x4x2xf32>, tensor<2x1x1x2xf32>, tensor<2xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x4x4x2xf32> loc("b")
    return %b : tensor<1x4x4x2xf32>
  }
}
}

// -----

// Two results from the same input through the same filters, @quiet's
// weights 1000 times smaller: the same relative errors, but removing from
// @quiet moves the model's outputs a million times less. Weighed by the
// measured sensitivity (the default, 8 samples here) all the pruning goes
// to @quiet; by relative error alone (sensitivity-samples=0) the two layers
// share it.
// SENS-LABEL: func.func @sensitivity(
// SENS: tosa.conv2d %arg0, {{[^{]*}} {acc_type = f32, dilation = array<i64: 1, 1>, pad = array<i64: 0, 0, 1, 1>, stride = array<i64: 1, 1>} :
// SENS: tosa.conv2d %arg0, {{.*}}tinyprune.filterlets = #tinyprune.filterlets<block = 2, kept = {{\[\[}}], []]>
// SENS0-LABEL: func.func @sensitivity(
// SENS0: tosa.conv2d %arg0, {{.*}}tinyprune.filterlets = #tinyprune.filterlets<block = 2, kept = {{\[\[}}0, 1], [1]]>
// SENS0: tosa.conv2d %arg0, {{.*}}tinyprune.filterlets = #tinyprune.filterlets<block = 2, kept = {{\[\[}}0, 1], [1]]>
module {
module @sensitivity {
  func.func @sensitivity(%x: tensor<1x4x4x2xf32>) -> (tensor<1x4x4x2xf32>, tensor<1x4x4x2xf32>) {
    %zp = "tosa.const"() <{values = dense<0.0> : tensor<1xf32>}> : () -> tensor<1xf32>
    %b = "tosa.const"() <{values = dense<0.0> : tensor<2xf32>}> : () -> tensor<2xf32>
    %wl = "tosa.const"() <{values = dense<[[[[1.0, -0.5], [0.8, 0.6], [-0.3, 0.9]]], [[[0.4, 0.7], [-1.0, 0.2], [0.5, -0.6]]]]> : tensor<2x1x3x2xf32>}> : () -> tensor<2x1x3x2xf32>
    %loud = tosa.conv2d %x, %wl, %b, %zp, %zp {acc_type = f32, dilation = array<i64: 1, 1>, pad = array<i64: 0, 0, 1, 1>, stride = array<i64: 1, 1>} : (tensor<1x4x4x2xf32>, tensor<2x1x3x2xf32>, tensor<2xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x4x4x2xf32> loc("loud")
    %wq = "tosa.const"() <{values = dense<[[[[1.0e-3, -0.5e-3], [0.8e-3, 0.6e-3], [-0.3e-3, 0.9e-3]]], [[[0.4e-3, 0.7e-3], [-1.0e-3, 0.2e-3], [0.5e-3, -0.6e-3]]]]> : tensor<2x1x3x2xf32>}> : () -> tensor<2x1x3x2xf32>
    %quiet = tosa.conv2d %x, %wq, %b, %zp, %zp {acc_type = f32, dilation = array<i64: 1, 1>, pad = array<i64: 0, 0, 1, 1>, stride = array<i64: 1, 1>} : (tensor<1x4x4x2xf32>, tensor<2x1x3x2xf32>, tensor<2xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x4x4x2xf32> loc("quiet")
    return %loud, %quiet : tensor<1x4x4x2xf32>, tensor<1x4x4x2xf32>
  }
}
}
