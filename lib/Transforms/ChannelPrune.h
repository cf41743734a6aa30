//===- ChannelPrune.h - What the files of --channel-prune share -*- C++ -*-===//
//
// The state of one run of --channel-prune (ChannelPrune.cpp: ranking,
// choice, removal, re-solve, steps) and the report written from it
// (ChannelPruneReport.cpp).
//
//===----------------------------------------------------------------------===//

#ifndef TINYPRUNE_LIB_TRANSFORMS_CHANNELPRUNE_H
#define TINYPRUNE_LIB_TRANSFORMS_CHANNELPRUNE_H

#include "tinyprune/Analysis/CostModel.h"
#include "tinyprune/Transforms/Pruning/ChannelGroups.h"
#include "tinyprune/Transforms/Pruning/ResourceModel.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/MapVector.h"
#include "llvm/ADT/StringRef.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace tinyprune {
namespace channel {

using pruning::ChannelGroup;
using pruning::ModelResources;
using pruning::ResourceBudget;

/// What one run decides about one prunable group.
struct Candidate {
  size_t group;
  /// Importance of each channel (lower goes first).
  std::vector<double> importance;
  /// Channels by increasing importance.
  std::vector<int64_t> order;
  /// How many may go.
  int64_t limit = 0;
  /// How many go.
  int64_t removed = 0;
};

/// A layer's figures for the report.
struct LayerFigures {
  int64_t channels = 0, params = 0, macs = 0, activationBytes = 0;
};

/// Everything one run of the pass decides and measures.
struct Run {
  mlir::func::FuncOp func;
  std::vector<ChannelGroup> groups;
  std::vector<Candidate> candidates;
  ResourceBudget budget;
  std::optional<McuCore> core;
  std::optional<ModelResources> before, after;
  llvm::MapVector<mlir::Operation *, LayerFigures> layersBefore;
  bool calibrated = false;
  /// With gate-epochs: the gates' outcome, for the report.
  std::string gated;
  int64_t consumersResolved = 0, consumersCompensated = 0;
  /// With epochs: the fine-tune's outcome, for the report.
  std::string finetuned;

  /// With steps > 1: the budgets asked for; `budget` is the current
  /// step's.
  ResourceBudget finalBudget;
  /// The model as the current step finds it (the first step: `before`).
  std::optional<ModelResources> stepStart;
  /// Channels of every prunable group before the pass, by the group's
  /// first producer (max-group-ratio counts from them in every step).
  llvm::DenseMap<mlir::Operation *, int64_t> originalChannels;
  /// Before the first step: the prunable groups and their channels.
  int64_t prunableGroups = 0, prunableChannels = 0;
  /// Channels removed over all steps.
  int64_t removedTotal = 0;
  /// With steps > 1: one paragraph per step, for the report.
  std::vector<std::string> steps;
};

/// The figures of every convolution layer of `func`.
llvm::MapVector<mlir::Operation *, LayerFigures>
layerFigures(mlir::func::FuncOp func);

/// The report of `run`: `asked` says what the user asked for (budgets and
/// steps, or the ratio); then per layer the channels, parameters, MACs and
/// activation bytes before and after, the groups left alone and why, the
/// model's resources and the tensors live at its peak before and after,
/// and what the re-solve, the gates, the steps and the fine-tune did.
std::string formatReport(const Run &run, llvm::StringRef asked);

} // namespace channel
} // namespace tinyprune

#endif // TINYPRUNE_LIB_TRANSFORMS_CHANNELPRUNE_H
