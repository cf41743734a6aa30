//===- ChannelGating.h - Channel gates trained under budgets ----*- C++ -*-===//
//
// The torch-free glue between `--channel-prune` and the gate training of
// lib/Training (tinyprune/Training/ChannelGates.h): builds the gates'
// problem from the channel groups and the model as measured (flash,
// MACs/instructions per layer from the cost model, the arena's live sets
// from the C++ lowering's schedule), reads the samples and the labels or
// the teacher, trains, and returns which channels the gates switched off
// and how sure each gate is. A build without LibTorch compiles it;
// training then fails with one line.
//
//===----------------------------------------------------------------------===//

#ifndef TINYPRUNE_TRANSFORMS_PRUNING_CHANNELGATING_H
#define TINYPRUNE_TRANSFORMS_PRUNING_CHANNELGATING_H

#include "tinyprune/Transforms/Pruning/ChannelGroups.h"
#include "tinyprune/Transforms/Pruning/Finetuning.h"
#include "tinyprune/Transforms/Pruning/ResourceModel.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "llvm/ADT/ArrayRef.h"
#include "llvm/Support/Error.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace tinyprune {
namespace pruning {

/// A group the gates may prune, and at most how many of its channels.
struct GateCandidate {
  size_t group = 0;
  int64_t limit = 0;
};

struct GatingRequest {
  /// The data and training options (`epochs` is the gate training's).
  FinetuneRequest training;
  double gateLearningRate = 0.2;
  /// What to reach: the budgets (relative to `dense`, the model measured
  /// before pruning), or without budgets the fraction of the candidates'
  /// channels to switch off.
  ResourceBudget budget;
  double ratio = 0;
  McuCore core = McuCore::CortexM4;
};

struct GatingOutcome {
  /// Per candidate (in the order given) and channel: the gate's score,
  /// lower goes first: the gate (the logistic of its logit) in (0, 1) for
  /// the channels kept, the gate when switched off minus 1 for the others.
  std::vector<std::vector<double>> scores;
  /// Per candidate: channels switched off.
  std::vector<int64_t> off;
  /// One line for the report.
  std::string summary;
};

/// Trains gates on the candidates' groups of `func` and writes the weights
/// trained with the final gates back into `func`. `before` is the function
/// before pruning, the distillation teacher without labels or `teacher`.
llvm::Expected<GatingOutcome>
trainGates(mlir::func::FuncOp func, mlir::func::FuncOp before,
           llvm::ArrayRef<ChannelGroup> groups,
           llvm::ArrayRef<GateCandidate> candidates,
           const ModelResources &dense, const GatingRequest &request);

} // namespace pruning
} // namespace tinyprune

#endif // TINYPRUNE_TRANSFORMS_PRUNING_CHANNELGATING_H
