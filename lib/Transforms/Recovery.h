//===- Recovery.h - Re-solving layers on calibration data -------*- C++ -*-===//
//
// What the data-driven pruning passes share of accuracy recovery without
// retraining, on top of the calibration probes (Calibration.h): how many
// input patches per sample a layer's least squares take, the mean input
// patch for the bias correction, and the re-solve of a depthwise
// convolution after pruned layers (per channel, its weights and bias fit
// to the dense model's outputs from the pruned model's inputs, optionally
// after the activation). Private to lib/Transforms like Calibration.h.
//
//===----------------------------------------------------------------------===//

#ifndef TINYPRUNE_LIB_TRANSFORMS_RECOVERY_H
#define TINYPRUNE_LIB_TRANSFORMS_RECOVERY_H

#include "Calibration.h"

#include "tinyprune/Transforms/Reconstruction.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Tosa/IR/TosaOps.h"
#include "mlir/IR/IRMapping.h"
#include "llvm/ADT/STLFunctionalExtras.h"
#include "llvm/ADT/Twine.h"

#include <cstdint>
#include <vector>

namespace tinyprune {
namespace recovery {

/// Patches per sample for a layer's moments: enough for a well-determined
/// solve (about 256 per unknown), between 16384 and 65536 in all.
int64_t patchesPerSample(const calib::PatchSource &src, size_t samples);

/// Patches to keep per sample for a clipped refinement of a layer with
/// `filters` filters of `dims` inputs (at most 8192 in all), or 0 when it
/// would cost too much.
int64_t clippedPatchesPerSample(int64_t dims, int64_t filters,
                                int64_t patchesPerSample, size_t samples);

/// The mean of the input patches of `m` (the bias coordinate dropped).
std::vector<double> meanPatch(const recon::Moments &m);

/// How re-solves run.
struct SolveOptions {
  /// Least-squares damping, relative to the mean input energy.
  double damping = 0.01;
  /// Fit the outputs after the activation that follows, in this many
  /// rounds (recon::refineClipped); false: before it.
  bool clipAware = true;
  int64_t clipIterations = 3;
  /// Threads (0: all cores).
  unsigned threads = 0;
};

/// Re-solves the depthwise convolution `conv` of the pruned function
/// against `dense` (the dense model; `denseMap` maps the pruned function's
/// values to it) on the samples `set`: per channel, its weights and bias
/// by damped least squares, int8 weights re-quantized per channel with the
/// requantization following. Returns whether it was re-solved: only the
/// importer's form is (constant KH x KW x C x 1 weights and a constant
/// bias per channel, int8 scales along the channels). `progress` is told
/// before the work starts. Fails (with an error emitted) if a run fails.
mlir::FailureOr<bool>
resolveDepthwise(mlir::tosa::DepthwiseConv2DOp conv,
                 const calib::CalibrationSet &set, mlir::func::FuncOp dense,
                 mlir::IRMapping &denseMap, const SolveOptions &options,
                 llvm::function_ref<void(const llvm::Twine &)> progress);

} // namespace recovery
} // namespace tinyprune

#endif // TINYPRUNE_LIB_TRANSFORMS_RECOVERY_H
