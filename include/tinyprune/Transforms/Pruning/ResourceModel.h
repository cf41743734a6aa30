//===- ResourceModel.h - What a model costs on the MCU ----------*- C++ -*-===//
//
// The resources a pruning pass budgets, measured the way the compiler
// deploys the model: the peak RAM is the arena of the C++ lowering's own
// memory planner (`--tinyprune-lower-to-cpp`: the memory-aware schedule,
// in-place element-wise layers and row streaming included), run on a copy
// of the function; flash, MACs and instructions come from the cost model of
// the core (docs/cost-model.md), whose flash is the constants as the
// emitter stores them. Shared by the pruning passes that budget these.
//
//===----------------------------------------------------------------------===//

#ifndef TINYPRUNE_TRANSFORMS_PRUNING_RESOURCEMODEL_H
#define TINYPRUNE_TRANSFORMS_PRUNING_RESOURCEMODEL_H

#include "tinyprune/Analysis/CostModel.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Support/LLVM.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace tinyprune {
namespace pruning {

/// A tensor of the arena live at the peak.
struct LiveTensor {
  std::string name; ///< Its producer's name (location), else its op.
  int64_t bytes = 0;
  /// The tensor in the measured function.
  mlir::Value value;
};

struct ModelResources {
  /// Bytes of the arena the C++ lowering plans.
  int64_t arenaBytes = 0;
  /// The cost model's estimate of the whole function on the core.
  LayerCost cost;
  /// The arena buffers live together at the step of the planned schedule
  /// where the most bytes are live, and those bytes.
  std::vector<LiveTensor> peakTensors;
  int64_t peakLiveBytes = 0;
  /// Every arena buffer of the schedule (its value null when the lowering
  /// added it), and the distinct sets of buffers live together at the
  /// schedule's steps (indices into `buffers`).
  std::vector<LiveTensor> buffers;
  std::vector<std::vector<size_t>> liveSets;
};

/// How reports name an op: its name location when it has one, else its
/// kind and its position among the function's ops that are not constants
/// ("conv2d #4", counting from 0), which the schedule does not change.
std::string opLabel(mlir::Operation *op);

/// Measures `func` (layer ops) on `core`: lowers a copy of it through the
/// C++ lowering's schedule and arena planner and estimates it with the cost
/// model. Failure (with the lowering's errors) when the copy does not lower.
mlir::FailureOr<ModelResources> measureResources(mlir::func::FuncOp func,
                                                 McuCore core);

/// The resources of one function in one record, as the depth pruning's
/// candidate table lists them.
struct ResourceCost {
  /// Weights and biases of the layer ops (elements).
  int64_t params = 0;
  /// Bytes of the constants as the emitter stores them (weights, biases,
  /// requantization constants).
  int64_t flashBytes = 0;
  /// Bytes of the planned activation arena.
  int64_t arenaBytes = 0;
  int64_t macs = 0;
  /// Estimated instructions per inference on the core.
  double instructions = 0;
};

/// `measureResources` with the parameters counted, as one record; the
/// lowering's first error becomes the one-line reason of the failure.
llvm::Expected<ResourceCost> estimateResources(mlir::func::FuncOp func,
                                               McuCore core);

/// Resource budgets: each one given must hold.
struct ResourceBudget {
  std::optional<int64_t> ramBytes, flashBytes;
  /// Instructions on the core, or MACs when `latencyInMacs`.
  std::optional<double> latency;
  bool latencyInMacs = false;

  bool given() const { return ramBytes || flashBytes || latency; }
  /// Whether `r` meets every budget.
  bool holds(const ModelResources &r) const;
  /// The budgets `r` exceeds, one phrase each ("ram-budget 20K: the arena
  /// takes 24576 bytes").
  std::vector<std::string> violations(const ModelResources &r) const;
};

/// Parses `ram-budget`, `flash-budget` (bytes, suffix K or M: KiB, MiB) and
/// `latency-budget` (instructions, suffix k or M; ending in "macs":
/// multiply-accumulates); empty strings are no budget. A one-line error
/// naming the option otherwise.
llvm::Expected<ResourceBudget> parseResourceBudget(llvm::StringRef ram,
                                                   llvm::StringRef flash,
                                                   llvm::StringRef latency);

} // namespace pruning
} // namespace tinyprune

#endif // TINYPRUNE_TRANSFORMS_PRUNING_RESOURCEMODEL_H
