//===- Finetune.h - Fine-tuning a raised function on LibTorch ---*- C++ -*-===//
//
// The torch-free face of lib/Training: fine-tune the layer ops of a
// function (after `--tinyprune-raise-to-layers`) on samples, with labels
// (cross-entropy) or a teacher's outputs (distillation), and write the
// trained weights back into the IR. int8 functions train
// quantization-aware and keep their int8 interface; after training their
// weights, biases and requantization constants are what the importer would
// compute from a TFLite file holding the trained float weights. Pruned
// filterlets and all-zero filters (removed channels) stay zero.
//
// Callers (`--tinyprune-finetune`, the pruning passes) never see a torch
// type: `<torch/torch.h>` stays inside lib/Training.
//
//===----------------------------------------------------------------------===//

#ifndef TINYPRUNE_TRAINING_FINETUNE_H
#define TINYPRUNE_TRAINING_FINETUNE_H

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "llvm/ADT/ArrayRef.h"
#include "llvm/Support/Error.h"

#include <cstdint>
#include <vector>

namespace tinyprune {
namespace training {

/// One convolution (`tinyprune.conv2d`) pruned gradually during training:
/// its filterlets are runs of `block` consecutive input channels of one
/// filter at one kernel position (as in `#tinyprune.filterlets`), and
/// filter `o` ends with `keep[o]` of them (one count per output filter, as
/// the pruning pass allocated them: a layer-wide count could leave a
/// filter, a class of the classifier, with none).
struct GradualLayer {
  mlir::Operation *op = nullptr;
  int64_t block = 1;
  std::vector<int64_t> keep;
  /// The filterlets that may be pruned (filter-major, `filterlet id` within
  /// a filter), all of them when empty: a pruning pass's own choice.
  std::vector<bool> prunable;
};

/// Gradual pruning inside the fine-tune (Zhu & Gupta, "To prune, or not to
/// prune", 2017): the layers start with the filterlets they have (the
/// unpruned model) and every filter loses its filterlets of lowest L2 norm
/// (of the current trained weights) in `steps` steps, on a cubic schedule,
/// until it keeps its `keep` at the `end` fraction of the training steps;
/// the rest of
/// training fine-tunes at the final sparsity. A pruned filterlet never
/// comes back. The layers' `tinyprune.filterlets` attributes are written
/// from the final masks; only epochs that end at the final sparsity can be
/// the one kept.
struct GradualPruning {
  /// Pruning steps (0: no gradual pruning).
  int64_t steps = 0;
  /// Fraction of the training steps, in (0, 1), at which the last pruning
  /// step happens.
  double end = 0.5;
  std::vector<GradualLayer> layers;
};

/// Kept filterlets after pruning step `step` (1..`steps`) of a layer that
/// starts with `start` and ends with `keep`: start - (start - keep) x (1 -
/// (1 - step / steps)^3), rounded to nearest; `keep` at the last step.
int64_t gradualKept(int64_t start, int64_t keep, int64_t step, int64_t steps);

/// The training step (0-based, before its batch) at which pruning step
/// `step` (1..`steps`) happens when training runs `totalSteps` steps and
/// the last pruning step is at the `end` fraction of them (at most the
/// last training step, so the model always trains after the last cut).
int64_t gradualStepAt(int64_t step, int64_t steps, double end,
                      int64_t totalSteps);

/// How to train.
struct FinetuneOptions {
  int64_t epochs = 1;
  /// Adam's initial learning rate; a cosine schedule takes it to zero.
  double learningRate = 1e-3;
  int64_t batchSize = 32;
  /// Fraction of the samples held out to pick the best epoch (0: the last
  /// epoch is kept).
  double validationSplit = 0.1;
  uint64_t seed = 0;
  /// Intra-op threads of LibTorch (0: all cores). Results are
  /// deterministic for a fixed count.
  unsigned threads = 1;
  /// Convolution layer ops (of the function trained) whose weights and
  /// biases stay as they are: no gradient, not written back.
  std::vector<mlir::Operation *> frozen;
  /// With labels: the weight of a distillation term, in [0, 1] (> 0 needs
  /// teacher outputs too); the loss is (1 - w) x cross-entropy against the
  /// labels + w x distillation. Ignored without labels (then the loss is
  /// the distillation term alone).
  double distillWeight = 0;
  /// Distillation temperature T > 0: the teacher's and the model's outputs
  /// are softened by T (logits divided by T; probabilities p taken to
  /// p^(1/T) and renormalized, the same thing) and the distillation term
  /// is multiplied by T^2 so that its gradient keeps its size (Hinton et
  /// al.). 1: the plain outputs.
  double temperature = 1;
  /// Gradual pruning during training (none by default).
  GradualPruning gradual;
  /// Per-epoch progress on stderr: `Auto` when stderr is a terminal.
  enum class Progress { Auto, Never, Always } progress = Progress::Auto;
};

/// What to train on: raw model inputs (as `runFunction` takes them) and
/// labels, the teacher's real-valued outputs (one vector per sample, the
/// function's single result dequantized), or both (then mixed by
/// `FinetuneOptions::distillWeight`). A function ending in
/// a softmax trains on the logits before it (cross-entropy, its softmax
/// stays in the IR); its teacher outputs are then probabilities (a
/// teacher's softmax outputs), else logits.
struct FinetuneData {
  std::vector<std::vector<uint8_t>> samples;
  std::vector<int64_t> labels;
  std::vector<std::vector<float>> teacher;
};

/// One epoch's validation figures (epoch 0: before training).
struct EpochResult {
  int64_t epoch = 0;
  double trainLoss = 0, valLoss = 0;
  /// Top-1 agreement with the labels (or the teacher's top-1), in [0, 1].
  double valAccuracy = 0;
};

struct FinetuneResult {
  std::vector<EpochResult> epochs;
  /// The epoch whose weights were written back (0: training never beat the
  /// model as it came; never 0 with gradual pruning).
  int64_t bestEpoch = 0;
  int64_t trainSamples = 0, valSamples = 0;
  double seconds = 0;
};

/// Fine-tunes `func` in place. Fails with a one-line reason (an op that
/// cannot be trained, data that do not fit the function, a trained scale
/// that TOSA cannot express) and then leaves `func` unchanged.
llvm::Expected<FinetuneResult> finetune(mlir::func::FuncOp func,
                                        const FinetuneData &data,
                                        const FinetuneOptions &options);

/// The real-valued outputs of `teacher` (run by the interpreter) on
/// `samples`, the distillation targets.
llvm::Expected<std::vector<std::vector<float>>>
teacherOutputs(mlir::func::FuncOp teacher,
               llvm::ArrayRef<std::vector<uint8_t>> samples, unsigned threads);

} // namespace training
} // namespace tinyprune

#endif // TINYPRUNE_TRAINING_FINETUNE_H
