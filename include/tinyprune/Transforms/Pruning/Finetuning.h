//===- Finetuning.h - Fine-tuning after pruning -----------------*- C++ -*-===//
//
// The torch-free glue between the passes and lib/Training: reading the
// training samples, their labels or the teacher model, checking the
// training options, and one entry point that a pruning pass calls after it
// has pruned (and `--tinyprune-finetune` calls on its own): train the
// function on the samples, with labels (cross-entropy) or by distillation
// from a teacher (the function as it was before pruning, or a model file),
// and say what training did for the report. A build without LibTorch
// compiles all of it; training itself then fails with one line.
//
//===----------------------------------------------------------------------===//

#ifndef TINYPRUNE_TRANSFORMS_PRUNING_FINETUNING_H
#define TINYPRUNE_TRANSFORMS_PRUNING_FINETUNING_H

#include "tinyprune/Training/Finetune.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/OwningOpRef.h"
#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

#include <cstdint>
#include <string>
#include <vector>

namespace tinyprune {
namespace pruning {

/// What to train on and how: the values of the fine-tuning options
/// (`TinyPrune_FinetuneOptions` in Transforms/Passes.td) and the data
/// options the passes already have.
struct FinetuneRequest {
  /// Passes over the training samples; 0: no training.
  int64_t epochs = 0;
  /// The samples (.npy or a folder of .bin files), at most `limit` of them
  /// (the first ones; 0: all), integer data times `scale` for a float
  /// model.
  std::string samples;
  int64_t limit = 0;
  double scale = 1.0;
  /// Labels of the samples; without, distill from `teacher` (a .tflite or
  /// .mlir file) or, when that is empty too, from the function before
  /// pruning that the pass hands over.
  std::string labels, teacher;
  /// With labels: the weight in [0, 1] of a distillation term (from the
  /// same teacher) added to the label loss; 0: labels alone.
  double distillWeight = 0.5;
  /// Distillation temperature (> 0; 1: the teacher's outputs as they are).
  double temperature = 2;
  double learningRate = 1e-3;
  int64_t batchSize = 32;
  double validationSplit = 0.1;
  uint64_t seed = 0;
  /// LibTorch and teacher threads (0: all cores).
  unsigned threads = 1;
  /// Convolution layers whose weights stay as they are: names (as the
  /// report names them) or indices among the function's convolutions.
  std::vector<std::string> freeze;
  /// Layers to prune gradually while training (a pruning pass fills it;
  /// none by default).
  training::GradualPruning gradual;
};

/// What training did, for the pass's report.
struct FinetuneSummary {
  int64_t epochs = 0;
  /// The epoch whose weights were kept (0: none beat the model as it came,
  /// the IR is unchanged).
  int64_t bestEpoch = 0;
  int64_t trainSamples = 0, valSamples = 0;
  /// Top-1 on the held-out samples (against the labels, or the teacher's
  /// top-1) before training and at the best epoch, in [0, 1].
  double accuracyBefore = 0, accuracyAfter = 0;
  /// "labels", "distillation from the model before pruning",
  /// "distillation from FILE", or "labels + 0.5 x distillation from ..."
  /// (with ", temperature T" when T is not 1).
  std::string objective;
  int64_t frozen = 0;
  double seconds = 0;

  /// One line for a report: "fine-tuned: 3 epochs on 1843 samples
  /// (labels), best epoch 2, held-out top-1 81.0% -> 86.3%, 41.2 s".
  std::string describe() const;
};

/// The request of a pruning pass with `TinyPrune_FinetuneOptions` (and the
/// shared data options `calibration` and `calibration-scale`): its option
/// values. The generated options are protected: the pass befriends this
/// function (`friend FinetuneRequest finetuneRequestOf<>(const P &)`).
template <typename PassT> FinetuneRequest finetuneRequestOf(const PassT &pass) {
  FinetuneRequest r;
  r.epochs = pass.epochs;
  r.samples = pass.calibration;
  r.limit = pass.finetuneLimit;
  r.scale = pass.calibrationScale;
  r.labels = pass.labels;
  r.teacher = pass.teacher;
  r.distillWeight = pass.distillWeight;
  r.temperature = pass.temperature;
  r.learningRate = pass.learningRate;
  r.batchSize = pass.batchSize;
  r.validationSplit = pass.validationSplit;
  r.seed = pass.seed;
  r.threads = pass.finetuneThreads;
  return r;
}

/// Whether this build can train (LibTorch was found).
bool trainingAvailable();

/// One-line reasons for options that cannot work (negative epochs, a batch
/// below 1, a learning rate not above 0, a validation split outside
/// [0, 1), a distillation weight outside [0, 1], a temperature not above
/// 0, epochs without samples); `pass` prefixes nothing, the caller
/// does.
llvm::Error checkRequest(const FinetuneRequest &request);

/// Fine-tunes `func` in place (nothing when `request.epochs` is 0).
/// `before` is the function as it was before pruning (may be null): the
/// distillation teacher when there are neither labels nor a `teacher`
/// file. Fails with one line (no training in this build, unreadable data,
/// labels that do not match the samples, a `freeze` entry that names no
/// convolution, an op that cannot be trained) and then leaves
/// `func` as it was.
llvm::Expected<FinetuneSummary>
finetuneAfterPruning(mlir::func::FuncOp func, mlir::func::FuncOp before,
                     const FinetuneRequest &request);

/// The raw samples of `path` for `func`'s input (at most `limit`, 0: all;
/// integer data times `scale` for a float model) and, with `labelsPath`,
/// their labels.
llvm::Error readTrainingSamples(mlir::func::FuncOp func, llvm::StringRef path,
                                llvm::StringRef labelsPath, int64_t limit,
                                double scale,
                                std::vector<std::vector<uint8_t>> &samples,
                                std::vector<int64_t> &labels);

/// Threads of training and of the teacher: `request.threads`, or all
/// cores for 0.
unsigned trainingThreads(const FinetuneRequest &request);

/// What `request` trains `func` on, into `data` (training builds only:
/// lib/Training defines FinetuneData): the samples, their labels, and the
/// teacher's outputs when there are no labels, or when `distillWeight` >
/// 0 and there is a teacher (the `teacher` file, else `before`, the
/// function before pruning, if not null). Returns the objective for a
/// report ("labels", "distillation from ...", "labels + 0.5 x
/// distillation from ..., temperature 2").
llvm::Expected<std::string> readFinetuneData(mlir::func::FuncOp func,
                                             mlir::func::FuncOp before,
                                             const FinetuneRequest &request,
                                             training::FinetuneData &data);

/// The model at `path` (.tflite or .mlir) in `context`, for a teacher.
llvm::Expected<mlir::OwningOpRef<mlir::ModuleOp>>
loadTeacherModel(mlir::MLIRContext *context, llvm::StringRef path);

} // namespace pruning
} // namespace tinyprune

#endif // TINYPRUNE_TRANSFORMS_PRUNING_FINETUNING_H
