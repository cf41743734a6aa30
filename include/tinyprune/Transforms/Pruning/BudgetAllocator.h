//===- BudgetAllocator.h - Removal units under a ratio or a budget -*- C++ -*-//
//
// How many removal units (filterlets, channels, layers) of each layer go:
// the pruning passes rank the units of every layer in streams (lowest score
// first), and the allocator merges the streams across layers until a share
// of the weights is gone or the model's estimate on the target fits a flash
// or latency budget. Every layer keeps its bounds (a least and a most
// ratio, or a fixed ratio), and a layer stays dense unless its sparse form
// pays: cheaper than the dense form in instructions and flash, or for a
// budget in what the budget counts. The allocator knows the cost model
// only through each layer's dense cost and a function giving its cost with
// `kept` units, so it runs without IR.
//
//===----------------------------------------------------------------------===//

#ifndef TINYPRUNE_TRANSFORMS_PRUNING_BUDGETALLOCATOR_H
#define TINYPRUNE_TRANSFORMS_PRUNING_BUDGETALLOCATOR_H

#include "tinyprune/Analysis/CostModel.h"

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace tinyprune {
namespace pruning {

/// What a budget counts.
enum class BudgetKind { None, Flash, Instructions, Macs };

/// A resource budget that replaces the removal ratio: prune until the
/// model's estimate fits.
struct Budget {
  BudgetKind kind = BudgetKind::None;
  double value = 0;
  /// The option as given, for the report: "flash-budget 48K".
  std::string asked;

  bool given() const { return kind != BudgetKind::None; }
  /// What the budget counts of `cost` (instructions without a budget).
  double metric(const LayerCost &cost) const;
};

/// "12000", "48K", "1.5M" (K, M: 1024, 1024^2 when `binary`, else k or K:
/// 1000, M: 10^6), optionally followed by `unit` (then `hadUnit` is set);
/// nullopt unless a positive number.
std::optional<double> parseQuantity(llvm::StringRef text, bool binary,
                                    llvm::StringRef unit, bool &hadUnit);

/// The budget of the `flash-budget` and `latency-budget` options (at most
/// one non-empty); a one-line reason when they are malformed.
llvm::Expected<Budget> parseBudget(llvm::StringRef flashBudget,
                                   llvm::StringRef latencyBudget);

/// `layer-sparsity` entries "INDEX=RATIO" as (index, ratio) pairs, checked
/// against `layers` layers and [0, 1]; a one-line reason otherwise.
llvm::Expected<std::vector<std::pair<size_t, double>>>
parseLayerRatios(llvm::ArrayRef<std::string> entries, size_t layers);

/// One layer as the allocator sees it, and what it decides for it.
struct PrunableLayer {
  /// Removal units and the weights each removes.
  int64_t units = 0;
  int64_t weightsPerUnit = 1;
  /// A fixed ratio of units to remove, or < 0 to compete with the others.
  double fixedRatio = -1.0;
  /// The cost model's view (unused without it): the layer dense, and as
  /// pruned with `kept` units kept.
  LayerCost dense;
  std::function<LayerCost(int64_t kept)> sparseCost;

  // Decisions.
  std::vector<bool> removed;
  int64_t removedCount = 0;
  /// Left dense: its sparse form does not pay on the target.
  bool keptDense = false;

  int64_t kept() const { return units - removedCount; }
  double ratio() const {
    return units ? double(removedCount) / double(units) : 0.0;
  }
};

/// One layer's units in the order they should go, with their scores
/// (non-decreasing, per weight removed; lower goes first). A layer may have
/// several streams (one per filter, say); each unit is in one stream.
struct RankedStream {
  size_t layer = 0;
  std::vector<int64_t> units;
  std::vector<double> scores;
};

/// What to reach and within which bounds.
struct AllocationGoal {
  /// The share of the competing layers' weights to remove (without a
  /// budget).
  double ratio = 0.0;
  /// Bounds of every competing layer's ratio.
  double minLayerRatio = 0.0, maxLayerRatio = 1.0;
  Budget budget;
  /// The cost model's core, or nullopt: no cost model, every layer pays.
  std::optional<McuCore> core;
  /// The estimate of everything but the prunable layers.
  LayerCost rest;
};

/// Chooses the removed units of a set of layers (see the file comment).
class BudgetAllocator {
public:
  BudgetAllocator(AllocationGoal goal, std::vector<PrunableLayer> layers);

  /// Marks units removed along the merged streams: fixed layers and every
  /// layer's minimum first, then by score per unit of what the budget
  /// counts; restores the layers whose sparse form does not pay and
  /// allocates again without them, until every pruned layer pays. A goal
  /// that cannot be reached is an error saying how close it came.
  llvm::Error allocate(llvm::ArrayRef<RankedStream> streams);

  llvm::ArrayRef<PrunableLayer> layers() const { return all; }
  const PrunableLayer &layer(size_t i) const { return all[i]; }
  const AllocationGoal &goal() const { return target; }

  /// Whether layer `l` with `kept` units is cheaper sparse than dense.
  bool pays(const PrunableLayer &l, int64_t kept) const;
  /// The layer's cost as it would be lowered now (dense unless pruned and
  /// paying).
  LayerCost currentCost(const PrunableLayer &l) const;
  /// The whole model's estimate, dense and as allocated.
  LayerCost denseTotal() const;
  LayerCost currentTotal() const;

private:
  /// One allocation pass over the layers not kept dense.
  llvm::Error allocateOnce(llvm::ArrayRef<RankedStream> streams);

  AllocationGoal target;
  std::vector<PrunableLayer> all;
};

} // namespace pruning
} // namespace tinyprune

#endif // TINYPRUNE_TRANSFORMS_PRUNING_BUDGETALLOCATOR_H
