//===- Calibration.h - Layer inputs on calibration data ---------*- C++ -*-===//
//
// What the data-aware pruning passes see of calibration data: the samples
// (read once with lib/Data), and for a convolution the least-squares
// moments of its im2col input patches, computed by running the model in the
// interpreter through a probe.
//
//===----------------------------------------------------------------------===//

#ifndef TINYPRUNE_LIB_TRANSFORMS_CALIBRATION_H
#define TINYPRUNE_LIB_TRANSFORMS_CALIBRATION_H

#include "tinyprune/Transforms/Reconstruction.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Tosa/IR/TosaOps.h"

#include "llvm/ADT/STLFunctionalExtras.h"
#include "llvm/Support/Error.h"

#include <string>
#include <vector>

namespace tinyprune {
namespace calib {

/// Calibration samples as raw model inputs, held in memory.
class CalibrationSet {
public:
  /// Reads at most `limit` samples (the first ones) of `path`, any format
  /// lib/Data reads, for `func`'s input. Integer data for a float model is
  /// multiplied by `scale`. Fails with a one-line reason.
  static llvm::Expected<CalibrationSet> load(mlir::func::FuncOp func,
                                             llvm::StringRef path,
                                             int64_t limit, double scale);

  size_t size() const { return samples.size(); }
  llvm::ArrayRef<uint8_t> sample(size_t i) const { return samples[i]; }
  /// What was read, for messages: "x.npy (float32 [100,28,28,1]), 64 used".
  const std::string &describe() const { return description; }

private:
  std::vector<std::vector<uint8_t>> samples;
  std::string description;
};

/// A convolution's input as im2col patches of real values: patch element
/// (ky, kx, c) at output position (y, x) is the input at
/// (y * strideH - padTop + ky * dilationH, x * strideW - padLeft + kx *
/// dilationW, c), zero outside, in the OHWI order of the weights. With
/// `channel` set, the patches hold that input channel only (ky, kx): the
/// inputs of one depthwise filter.
struct PatchSource {
  int64_t inH = 0, inW = 0, inC = 0, outH = 0, outW = 0;
  int64_t kH = 1, kW = 1, strideH = 1, strideW = 1, dilationH = 1,
          dilationW = 1, padTop = 0, padLeft = 0;
  bool isFloat = false;
  /// int8 input: real = scale * (q - zeroPoint).
  float scale = 1.0f;
  int32_t zeroPoint = 0;
  /// The one input channel of the patches, or -1 for all.
  int64_t channel = -1;

  int64_t dims() const { return kH * kW * (channel < 0 ? inC : 1); }
  int64_t positions() const { return outH * outW; }

  /// The patch source of convolution layer `conv` (tinyprune.conv2d or
  /// tinyprune.depthwise_conv2d; for a depthwise layer all channels, set
  /// `channel` for one filter's inputs), or a reason it has none (dynamic
  /// shapes, batch > 1, an int8 input without a per-tensor scale).
  static llvm::Expected<PatchSource> get(mlir::Operation *conv);
  /// The same for a TOSA convolution before raising.
  static llvm::Expected<PatchSource> get(mlir::tosa::Conv2DOp conv);
  /// The same for a depthwise convolution (weights KH x KW x C x M), all
  /// channels; set `channel` for one filter's inputs.
  static llvm::Expected<PatchSource> get(mlir::tosa::DepthwiseConv2DOp conv);

  /// Writes the patches at output `positions` (y * outW + x) of raw input
  /// `x` to `out`, dims() floats each.
  void extract(llvm::ArrayRef<uint8_t> x, llvm::ArrayRef<int64_t> positions,
               float *out) const;
};

/// The output positions of sample `sample` that enter the moments: all of
/// them up to `cap`, else `cap` spread evenly, shifted from sample to
/// sample.
std::vector<int64_t> samplePositions(int64_t total, int64_t cap, size_t sample);

/// One layer whose moments to collect: its input in the probed function,
/// optionally its input in a reference function run on the same samples.
struct ProbeTarget {
  mlir::Value input, referenceInput;
  PatchSource source;
  /// Patches per sample at most.
  int64_t patchesPerSample = 0;
  /// Of these, how many per sample to keep as they are (see
  /// collectMoments).
  int64_t keepPerSample = 0;
};

/// Runs `func` (and `reference` when the targets have reference inputs) on
/// every sample and adds each target's patches to `moments` (one per
/// target, built with the matching `withReference`). With `kept`, also
/// returns per target the first `keepPerSample` patches of every sample
/// (with their reference patches when there is a reference). Uses up to
/// `threads` threads (0: all cores). Emits an error on `func` and fails if a
/// run fails.
mlir::LogicalResult
collectMoments(mlir::func::FuncOp func, mlir::func::FuncOp reference,
               llvm::ArrayRef<ProbeTarget> targets, const CalibrationSet &set,
               unsigned threads, std::vector<recon::Moments> &moments,
               std::vector<recon::PatchSample> *kept = nullptr);

/// Runs `func` on the first `count` samples of `set` and returns, per
/// sample, its results one after another as doubles (int8 results as their
/// stored integers, float results as they are). Uses up to `threads`
/// threads (0: all cores). Emits an error on `func` and fails if a run
/// fails.
mlir::FailureOr<std::vector<std::vector<double>>>
runOutputs(mlir::func::FuncOp func, const CalibrationSet &set, size_t count,
           unsigned threads);

/// Runs `body(i)` for every i in [0, n), each once, on up to `threads`
/// threads (0: all cores).
void parallelFor(int64_t n, unsigned threads,
                 llvm::function_ref<void(int64_t)> body);

} // namespace calib
} // namespace tinyprune

#endif // TINYPRUNE_LIB_TRANSFORMS_CALIBRATION_H
