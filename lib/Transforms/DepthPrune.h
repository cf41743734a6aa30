//===- DepthPrune.h - The steps of --depth-prune ----------------*- C++ -*-===//
//
// What the files of --depth-prune share: the run's state (the candidates,
// the samples, the choice) and the steps that live outside the pass
// driver (DepthPrune.cpp): the data and the training of heads
// (DepthPruneTraining.cpp, the only one that sees lib/Training) and the
// report (DepthPruneReport.cpp).
//
//===----------------------------------------------------------------------===//

#ifndef TINYPRUNE_LIB_TRANSFORMS_DEPTHPRUNE_H
#define TINYPRUNE_LIB_TRANSFORMS_DEPTHPRUNE_H

#include "tinyprune/Data/Dataset.h"
#include "tinyprune/Dialect/TinyPrune.h"
#include "tinyprune/Transforms/Pruning/AuxiliaryHead.h"
#include "tinyprune/Transforms/Pruning/CutPoints.h"
#include "tinyprune/Transforms/Pruning/ResourceModel.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/OwningOpRef.h"
#include "llvm/ADT/Twine.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace tinyprune {
namespace depth {

using pruning::CutPoint;
using pruning::HeadQuant;
using pruning::HeadSpec;
using pruning::HeadWeights;
using pruning::ResourceCost;

/// The pass options the steps outside the pass read (copied once), and
/// where their errors go.
struct Settings {
  /// The module: errors are reported at its location.
  mlir::Operation *module = nullptr;
  std::string cut;
  double maxAccuracyDrop = -1;
  int64_t epochs = 10, qatEpochs = 3, batchSize = 64;
  double learningRate = 3e-3;
  uint64_t seed = 1;
  unsigned threads = 1;
  /// Whether samples and labels were given (the report's header).
  bool withData = false, withLabels = false;

  /// An error "depth-prune: ..." at the module.
  mlir::InFlightDiagnostic error() const {
    return mlir::emitError(module->getLoc()) << "depth-prune: ";
  }
};

/// One cut point and what the pass learns of it.
struct Candidate {
  CutPoint cut;
  ResourceCost cost;
  bool fits = true;
  /// Why it does not fit, for the report.
  std::string over;
  /// Validation accuracy (percent) of the model cut here, once trained
  /// (with cut=auto and train-base, after the base is fine-tuned too).
  std::optional<double> accuracy;
  /// With cut=auto and train-base: the frozen head's accuracy and the
  /// fine-tuned model's; `tooFar` when the frozen head is beyond
  /// max-accuracy-drop + base-gain (the base was then not fine-tuned).
  std::optional<double> frozenAccuracy, tunedAccuracy;
  bool tooFar = false;
  /// The trained head, a function of the cut tensor.
  mlir::OwningOpRef<mlir::ModuleOp> head;
  /// With cut=auto and train-base: the whole pruned model, base and head
  /// fine-tuned together (a module holding a copy of the function).
  mlir::OwningOpRef<mlir::ModuleOp> model;
};

/// The samples, split, and the model's own outputs on them.
struct Samples {
  std::vector<std::vector<uint8_t>> inputs;
  std::vector<int64_t> labels;
  /// The model's real outputs: on every sample without labels (the
  /// distillation targets), on the validation split only with labels.
  std::vector<std::vector<float>> outputs;
  size_t trainCount = 0;
  /// Top-1 the candidates are scored against: the labels, or the model's
  /// own top-1.
  std::vector<int64_t> truth;
};

/// Everything one run decides; made in runOnOperation.
struct Run {
  Settings settings;
  mlir::func::FuncOp func;
  std::vector<Candidate> candidates;
  ResourceCost full;
  McuCore core = McuCore::CortexM4;
  int64_t classes = 0;
  /// The model's final softmax, if any, and the model output's
  /// quantization (int8).
  SoftmaxOp softmax;
  QuantAttr outputQuant;
  bool isFloat = false;
  HeadSpec spec;
  std::optional<double> flashBudget, ramBudget, latencyBudget;
  bool latencyInMacs = false;
  Samples data;
  std::optional<double> fullAccuracy;
  int chosen = -1;
};

/// Progress on stderr when it is a terminal.
void progress(const llvm::Twine &message);

//===----------------------------------------------------------------------===//
// Heads in and out of the model (DepthPrune.cpp)
//===----------------------------------------------------------------------===//

/// The function holding `weights` as a head on candidate `c`'s tensor:
/// float, or int8 with `quant` and the output quantization `outQ`.
mlir::FailureOr<mlir::OwningOpRef<mlir::ModuleOp>>
headFunction(const Run &run, const Candidate &c, const HeadWeights &weights,
             const HeadQuant *quant, QuantAttr outQ, bool floatInput);
/// Replaces everything after the `cut` value in `func` by `head`'s body
/// (and the model's softmax, if it has one).
void splice(mlir::func::FuncOp func, mlir::Value cut, mlir::func::FuncOp head,
            const Run &run);

//===----------------------------------------------------------------------===//
// Data and training (DepthPruneTraining.cpp)
//===----------------------------------------------------------------------===//

/// Whether this build trains (lib/Training was built).
bool trainingAvailable();
/// Reads at most `limit` samples (0: all) into `run.data`, splits off the
/// last `validationSplit` of them and runs the model on them.
mlir::LogicalResult loadData(Run &run, const data::DatasetOptions &options,
                             int64_t limit, double validationSplit);
/// Trains `c`'s head on the cached features at its cut, scores it on the
/// validation split (`c.accuracy`) and keeps it (`c.head`).
mlir::LogicalResult trainHead(Run &run, Candidate &c);
/// Fine-tunes base and head of the pruned model `func` together and
/// returns its validation accuracy (percent).
mlir::FailureOr<double> trainBaseOf(Run &run, mlir::func::FuncOp func);

//===----------------------------------------------------------------------===//
// Report (DepthPruneReport.cpp)
//===----------------------------------------------------------------------===//

/// The table of candidates to `path` ("-": stdout); nothing when empty.
void writeReport(const Run &run, llvm::StringRef path);
/// The accuracy/parameters curve as SVG to `path`; nothing when empty.
void writeSvg(const Run &run, llvm::StringRef path);

} // namespace depth
} // namespace tinyprune

#endif // TINYPRUNE_LIB_TRANSFORMS_DEPTHPRUNE_H
