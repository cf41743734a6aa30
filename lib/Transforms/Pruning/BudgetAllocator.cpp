//===- BudgetAllocator.cpp - Removal units under a ratio or a budget ------===//
//
// The allocation shared by the pruning passes: streams of ranked removal
// units merged across layers under a ratio or a flash/latency budget, with
// the layers whose sparse form does not pay kept dense
// (BudgetAllocator.h).
//
//===----------------------------------------------------------------------===//

#include "tinyprune/Transforms/Pruning/BudgetAllocator.h"

#include "tinyprune/Transforms/Pruning/PruningReport.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/Support/FormatVariadic.h"

#include <algorithm>
#include <cmath>
#include <queue>

using namespace tinyprune;
using namespace tinyprune::pruning;
using llvm::ArrayRef;
using llvm::StringRef;

double Budget::metric(const LayerCost &cost) const {
  switch (kind) {
  case BudgetKind::Flash:
    return double(cost.flashBytes);
  case BudgetKind::Macs:
    return double(cost.macs);
  case BudgetKind::None:
  case BudgetKind::Instructions:
    return cost.instructions;
  }
  llvm_unreachable("unknown budget");
}

std::optional<double> pruning::parseQuantity(StringRef text, bool binary,
                                             StringRef unit, bool &hadUnit) {
  text = text.trim();
  hadUnit = !unit.empty() && text.consume_back(unit);
  double scale = 1;
  if (text.consume_back("K") || text.consume_back("k"))
    scale = binary ? 1024 : 1000;
  else if (text.consume_back("M"))
    scale = binary ? 1024 * 1024 : 1e6;
  double v;
  if (text.getAsDouble(v) || !(v > 0))
    return std::nullopt;
  return v * scale;
}

/// A one-line error for llvm::Expected.
static llvm::Error failWith(const llvm::Twine &message) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), message);
}

llvm::Expected<Budget> pruning::parseBudget(StringRef flashBudget,
                                            StringRef latencyBudget) {
  if (!flashBudget.empty() && !latencyBudget.empty())
    return failWith("give flash-budget or latency-budget, not both");
  Budget budget;
  bool hadUnit = false;
  if (!flashBudget.empty()) {
    std::optional<double> v = parseQuantity(flashBudget, true, "", hadUnit);
    if (!v)
      return failWith("flash-budget '" + flashBudget +
                      "' is not a positive byte count (like 48000, 48K or "
                      "1M)");
    budget.kind = BudgetKind::Flash;
    budget.value = *v;
    budget.asked = ("flash-budget " + flashBudget).str();
  } else if (!latencyBudget.empty()) {
    std::optional<double> v =
        parseQuantity(latencyBudget, false, "macs", hadUnit);
    if (!v)
      return failWith("latency-budget '" + latencyBudget +
                      "' is not a positive instruction count (like 12000000 "
                      "or 12M) or MAC count (like 3Mmacs)");
    budget.kind = hadUnit ? BudgetKind::Macs : BudgetKind::Instructions;
    budget.value = *v;
    budget.asked = ("latency-budget " + latencyBudget).str();
  }
  return budget;
}

llvm::Expected<std::vector<std::pair<size_t, double>>>
pruning::parseLayerRatios(llvm::ArrayRef<std::string> entries, size_t layers) {
  std::vector<std::pair<size_t, double>> out;
  for (const std::string &entry : entries) {
    auto [indexText, ratioText] = StringRef(entry).split('=');
    unsigned index;
    double ratio;
    if (indexText.trim().getAsInteger(10, index) ||
        ratioText.trim().getAsDouble(ratio))
      return failWith("layer-sparsity entry '" + entry +
                      "' is not INDEX=RATIO");
    if (index >= layers)
      return failWith(llvm::formatv("layer-sparsity names layer {0} but the "
                                    "model has {1} eligible layers",
                                    index, layers));
    if (ratio < 0.0 || ratio > 1.0) {
      std::string text;
      llvm::raw_string_ostream(text) << ratio;
      return failWith(llvm::formatv("layer {0} sparsity must be in [0, 1], "
                                    "got {1}",
                                    index, text));
    }
    out.push_back({index, ratio});
  }
  return out;
}

BudgetAllocator::BudgetAllocator(AllocationGoal goal,
                                 std::vector<PrunableLayer> layers)
    : target(std::move(goal)), all(std::move(layers)) {
  for (PrunableLayer &l : all)
    l.removed.assign(l.units, false);
}

bool BudgetAllocator::pays(const PrunableLayer &l, int64_t kept) const {
  if (!target.core)
    return true;
  LayerCost sparse = l.sparseCost(kept);
  if (!target.budget.given())
    return sparse.instructions < l.dense.instructions &&
           sparse.flashBytes < l.dense.flashBytes;
  return target.budget.metric(sparse) < target.budget.metric(l.dense);
}

LayerCost BudgetAllocator::currentCost(const PrunableLayer &l) const {
  if (l.removedCount > 0 && pays(l, l.kept()))
    return l.sparseCost(l.kept());
  return l.dense;
}

LayerCost BudgetAllocator::denseTotal() const {
  LayerCost t = target.rest;
  for (const PrunableLayer &l : all)
    t += l.dense;
  return t;
}

LayerCost BudgetAllocator::currentTotal() const {
  LayerCost t = target.rest;
  for (const PrunableLayer &l : all)
    t += currentCost(l);
  return t;
}

llvm::Error BudgetAllocator::allocateOnce(ArrayRef<RankedStream> streams) {
  const Budget &budget = target.budget;
  bool counting = budget.given() && target.core;
  for (PrunableLayer &l : all) {
    l.removed.assign(l.units, false);
    l.removedCount = 0;
  }
  std::vector<size_t> next(streams.size(), 0);
  auto done = [&](size_t si) { return next[si] >= streams[si].units.size(); };

  // What one removed unit saves of what the budget counts: the sparse cost
  // is linear in the kept units.
  std::vector<double> saving(all.size(), 0.0);
  for (auto [li, l] : llvm::enumerate(all))
    saving[li] = !counting ? double(l.weightsPerUnit)
                           : budget.metric(l.sparseCost(l.units)) -
                                 budget.metric(l.sparseCost(l.units - 1));

  // Heads of streams, lowest score per unit saved first; ties go to the
  // earlier stream. Scores are per weight removed.
  using Head = std::pair<double, size_t>;
  using Heads = std::priority_queue<Head, std::vector<Head>, std::greater<>>;
  auto headOf = [&](size_t si) {
    const RankedStream &s = streams[si];
    double perUnit = s.scores[next[si]] * double(all[s.layer].weightsPerUnit) /
                     std::max(saving[s.layer], 1e-12);
    return Head{perUnit, si};
  };
  auto take = [&](size_t si) {
    const RankedStream &s = streams[si];
    PrunableLayer &l = all[s.layer];
    l.removed[s.units[next[si]++]] = true;
    ++l.removedCount;
  };
  auto usable = [&](size_t li) {
    return !all[li].keptDense && (!budget.given() || saving[li] > 0);
  };

  // Layers with a fixed ratio, and every usable layer's minimum, first.
  int64_t totalWeights = 0, removedWeights = 0;
  std::vector<std::vector<size_t>> byLayer(all.size());
  for (auto [si, s] : llvm::enumerate(streams))
    byLayer[s.layer].push_back(si);
  for (auto [li, l] : llvm::enumerate(all)) {
    if (l.fixedRatio < 0 && !usable(li))
      continue;
    totalWeights += l.units * l.weightsPerUnit;
    double floorRatio = l.fixedRatio >= 0 ? l.fixedRatio : target.minLayerRatio;
    int64_t floorCount = (int64_t)std::llround(floorRatio * l.units);
    Heads heads;
    for (size_t si : byLayer[li])
      if (!done(si))
        heads.push(headOf(si));
    while (l.removedCount < floorCount && !heads.empty()) {
      size_t si = heads.top().second;
      heads.pop();
      take(si);
      if (!done(si))
        heads.push(headOf(si));
    }
    removedWeights += l.removedCount * l.weightsPerUnit;
  }

  // The model's estimate in what the budget counts.
  auto total = [&] { return budget.metric(currentTotal()); };
  int64_t goal = (int64_t)std::llround(target.ratio * double(totalWeights));
  Heads heads;
  for (size_t si = 0; si < streams.size(); ++si) {
    size_t li = streams[si].layer;
    if (all[li].fixedRatio < 0 && usable(li) && !done(si))
      heads.push(headOf(si));
  }
  // The budget's total changes only in the layer pruned: track it.
  double current = budget.given() ? total() : 0;
  while (!heads.empty() &&
         (budget.given() ? current > budget.value : removedWeights < goal)) {
    size_t si = heads.top().second;
    heads.pop();
    PrunableLayer &l = all[streams[si].layer];
    int64_t cap = (int64_t)std::floor(target.maxLayerRatio * l.units);
    if (l.removedCount >= cap)
      continue; // The layer is full: its streams end here.
    double before = budget.given() ? budget.metric(currentCost(l)) : 0;
    take(si);
    removedWeights += l.weightsPerUnit;
    if (budget.given())
      current += budget.metric(currentCost(l)) - before;
    if (!done(si))
      heads.push(headOf(si));
  }
  if (budget.given()) {
    if (total() <= budget.value)
      return llvm::Error::success();
    StringRef what =
        budget.kind == BudgetKind::Flash ? "flash-budget" : "latency-budget";
    StringRef unit = budget.kind == BudgetKind::Flash  ? " bytes"
                     : budget.kind == BudgetKind::Macs ? " MACs"
                                                       : " instructions";
    StringRef core = target.core ? mcuCoreName(*target.core) : "no core";
    return failWith(
        what + " " + llvm::formatv("{0:F0}", budget.value).str() + unit +
        " cannot be met on " + core + ": with max-layer-sparsity " +
        shortNumber(target.maxLayerRatio) + " the model still takes " +
        llvm::formatv("{0:F0}", total()).str() + unit +
        " (estimate; everything but the eligible layers takes " +
        llvm::formatv("{0:F0}", budget.metric(target.rest)).str() + ")");
  }
  // Units come whole: a shortfall below one unit is rounding.
  int64_t granule = 1;
  for (const PrunableLayer &l : all)
    granule = std::max(granule, l.weightsPerUnit);
  if (goal - removedWeights >= granule)
    return failWith(
        "sparsity " + shortNumber(target.ratio) +
        " cannot be reached with max-layer-sparsity " +
        shortNumber(target.maxLayerRatio) + " and the fixed layers (reached " +
        llvm::formatv("{0:F4}", totalWeights
                                    ? double(removedWeights) / totalWeights
                                    : 0.0)
            .str() +
        ")");
  return llvm::Error::success();
}

llvm::Error BudgetAllocator::allocate(ArrayRef<RankedStream> streams) {
  // A layer that cannot pay even at its most sparse never takes part.
  for (PrunableLayer &l : all) {
    if (l.fixedRatio >= 0)
      continue;
    int64_t most = (int64_t)std::floor(target.maxLayerRatio * l.units);
    l.keptDense = most == 0 || !pays(l, l.units - most);
  }
  for (size_t round = 0; round <= all.size(); ++round) {
    if (llvm::Error err = allocateOnce(streams))
      return err;
    bool changed = false;
    for (PrunableLayer &l : all) {
      if (l.fixedRatio < 0 && l.removedCount > 0 && !pays(l, l.kept())) {
        l.keptDense = true;
        changed = true;
      }
    }
    if (!changed)
      return llvm::Error::success();
  }
  return llvm::Error::success();
}
