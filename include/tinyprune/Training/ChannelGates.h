//===- ChannelGates.h - Differentiable channel gates ------------*- C++ -*-===//
//
// The torch-free face of the gate training of `--channel-prune`, after
// Liberis and Lane, "Differentiable Network Pruning for Microcontrollers"
// (arXiv 2110.08350): one gate per channel group multiplies the group's
// channels in the outputs of the layers that write them; the gates and the
// weights train together on the task (cross-entropy with labels, or
// distillation from teacher outputs) plus penalties on resources computed
// from the gates' expected number of kept channels; the lowest gates are
// switched off for good, progressively along a cubic schedule of the
// targets, until every resource estimate is within its target. The weights
// trained with the final gates are written back into the IR; the caller removes
// the switched-off channels structurally and checks the budgets on the real
// planner.
//
// The problem is described without torch types: channel groups (where
// their channels sit in layer outputs), *extents* (counts that shrink with
// a group's switched-off channels: a layer's output or input channels, a
// tensor's channel axis) and resources as sums of terms, each an amount
// times the kept fractions of a few extents; a resource with several sets
// of terms is their smooth maximum (peak RAM over a schedule's live sets).
//
//===----------------------------------------------------------------------===//

#ifndef TINYPRUNE_TRAINING_CHANNELGATES_H
#define TINYPRUNE_TRAINING_CHANNELGATES_H

#include "tinyprune/Training/Finetune.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "llvm/ADT/ArrayRef.h"
#include "llvm/Support/Error.h"

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace tinyprune {
namespace training {

/// Where a group's channels sit in the output of one layer (a convolution,
/// fully-connected or depthwise layer op): along the last axis, channel `c`
/// of the group is at every index in `positions[c]`.
struct GatedOutput {
  mlir::Operation *op = nullptr;
  std::vector<std::vector<int64_t>> positions;
};

/// One channel group: one gate per channel, shared by every layer output
/// the channels sit in (residual adds tie several producers).
struct GatedGroup {
  int64_t channels = 0;
  /// At most this many channels may be switched off (at least one stays).
  int64_t maxOff = 0;
  std::vector<GatedOutput> outputs;
};

/// A count that shrinks as channels go: `size` minus, for each entry
/// (group, per), `per` times the group's channels switched off.
struct GateExtent {
  int64_t size = 1;
  std::vector<std::pair<size_t, int64_t>> groups;
};

/// `amount` times the product of the kept fractions (kept / size) of
/// `extents` (none: a constant).
struct GateCostTerm {
  double amount = 0;
  std::vector<size_t> extents;
};

/// A resource as the gates estimate it: the sum of the terms of its one
/// set, or the smooth maximum (log-sum-exp) of the sums of its sets.
struct GatedResource {
  std::string name;
  std::vector<std::vector<GateCostTerm>> sets;
  /// The estimate must come down to this fraction of its value with every
  /// gate open.
  double target = 1;
};

struct GateProblem {
  std::vector<GatedGroup> groups;
  std::vector<GateExtent> extents;
  std::vector<GatedResource> resources;
};

struct GateOptions {
  /// Passes over the samples (at least 1).
  int64_t epochs = 1;
  /// Adam's rate for the weights (cosine schedule to zero) and for the
  /// gate logits (constant).
  double learningRate = 1e-3, gateLearningRate = 0.2;
  int64_t batchSize = 32;
  uint64_t seed = 0;
  unsigned threads = 1;
  /// Fraction of the steps over which the targets ramp down (cubically)
  /// from 1 to their value; the steps after train the weights with the
  /// gates as they are (still pruning if a target is not reached).
  double rampFraction = 0.6;
  /// Steps between two prunings (at most; at least 20 along the ramp), and
  /// the growth of the penalty weight at each pruning that had to switch
  /// off a gate still above one half.
  int64_t pruneEvery = 10;
  double penaltyGrowth = 1.25;
  /// Softness of the smooth maximum, as a fraction of the resource's value
  /// with every gate open.
  double temperature = 0.02;
  FinetuneOptions::Progress progress = FinetuneOptions::Progress::Auto;
};

struct GateResult {
  /// Per group and channel: the gate logit (its gate is the logistic of
  /// it; at the time of switching off for channels switched off).
  std::vector<std::vector<double>> logits;
  /// Per group and channel: switched off.
  std::vector<std::vector<bool>> off;
  /// Per resource: the estimate with the final gates (switched-off channels
  /// gone), as a fraction of its value with every gate open.
  std::vector<double> estimates;
  /// Whether every estimate reached its target.
  bool reached = false;
  double penaltyWeight = 0;
  int64_t steps = 0, trainSamples = 0;
  double seconds = 0;
};

/// The logit that a gate starts from (its gate is about 0.88).
constexpr double kInitialGateLogit = 2.0;

/// The estimate of `resource` when `kept[g]` channels of each group stay
/// (fractional counts allowed), with the smooth maximum of softness
/// `temperature` (absolute, in the resource's units; 0: the exact maximum).
double estimateResource(const GateProblem &problem, size_t resource,
                        llvm::ArrayRef<double> kept, double temperature);

/// Trains gates and weights of `func` (layer ops) on `data` and writes the
/// trained weights back into the IR. Fails with a one-line reason (an op
/// that cannot be trained, data that do not fit, a group whose outputs are
/// not layer outputs) and then leaves `func` unchanged.
llvm::Expected<GateResult> trainChannelGates(mlir::func::FuncOp func,
                                             const FinetuneData &data,
                                             const GateProblem &problem,
                                             const GateOptions &options);

} // namespace training
} // namespace tinyprune

#endif // TINYPRUNE_TRAINING_CHANNELGATES_H
