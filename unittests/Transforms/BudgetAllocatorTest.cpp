//===- BudgetAllocatorTest.cpp - Removal units under a ratio or budget ----===//
//
// The allocator of the pruning passes on hand-made layers and streams:
// merging by score, layer bounds and fixed ratios, layers kept dense where
// the sparse form does not pay, flash and latency budgets, the errors of
// goals out of reach, and the option parsers.
//
//===----------------------------------------------------------------------===//

#include "tinyprune/Transforms/Pruning/BudgetAllocator.h"

#include <gtest/gtest.h>

using namespace tinyprune;
using namespace tinyprune::pruning;

namespace {

/// A layer of `units` units of `perUnit` weights each.
PrunableLayer layer(int64_t units, int64_t perUnit = 1) {
  PrunableLayer l;
  l.units = units;
  l.weightsPerUnit = perUnit;
  return l;
}

/// A layer with a cost model: dense `denseFlash` bytes and instructions;
/// sparse `fixed` plus `perKept` per kept unit in both.
PrunableLayer costedLayer(int64_t units, int64_t denseFlash, int64_t fixed,
                          int64_t perKept) {
  PrunableLayer l = layer(units);
  l.dense.flashBytes = denseFlash;
  l.dense.instructions = double(denseFlash);
  l.sparseCost = [fixed, perKept](int64_t kept) {
    LayerCost c;
    c.flashBytes = fixed + perKept * kept;
    c.instructions = double(c.flashBytes);
    return c;
  };
  return l;
}

/// A stream of `layer`'s units 0..n-1 with the given scores.
RankedStream stream(size_t layer, std::vector<double> scores) {
  RankedStream s;
  s.layer = layer;
  s.scores = std::move(scores);
  for (size_t i = 0; i < s.scores.size(); ++i)
    s.units.push_back(int64_t(i));
  return s;
}

/// Which units of layer `i` were removed, as a string of 0/1.
std::string removed(const BudgetAllocator &a, size_t i) {
  std::string out;
  for (bool r : a.layer(i).removed)
    out += r ? '1' : '0';
  return out;
}

} // namespace

TEST(BudgetAllocatorTest, RatioTakesLowestScoresAcrossLayers) {
  AllocationGoal goal;
  goal.ratio = 0.5;
  BudgetAllocator a(goal, {layer(4), layer(4)});
  ASSERT_FALSE(bool(a.allocate(
      {stream(0, {0.1, 0.5, 0.6, 0.9}), stream(1, {0.2, 0.3, 0.4, 0.8})})));
  // The four lowest of eight: 0.1 (layer 0) and 0.2, 0.3, 0.4 (layer 1).
  EXPECT_EQ(removed(a, 0), "1000");
  EXPECT_EQ(removed(a, 1), "1110");
}

TEST(BudgetAllocatorTest, RatioCountsWeightsNotUnits) {
  // Layer 1's units hold 4 weights each: half of 12 weights is one of its
  // units plus two of layer 0's.
  AllocationGoal goal;
  goal.ratio = 0.5;
  BudgetAllocator a(goal, {layer(4, 1), layer(2, 4)});
  ASSERT_FALSE(bool(
      a.allocate({stream(0, {0.1, 0.2, 0.9, 0.9}), stream(1, {0.15, 0.9})})));
  EXPECT_EQ(removed(a, 0), "1100");
  EXPECT_EQ(removed(a, 1), "10");
}

TEST(BudgetAllocatorTest, MaxLayerRatioCapsALayer) {
  AllocationGoal goal;
  goal.ratio = 0.5;
  goal.maxLayerRatio = 0.75;
  BudgetAllocator a(goal, {layer(4), layer(4)});
  ASSERT_FALSE(bool(a.allocate(
      {stream(0, {0.1, 0.2, 0.3, 0.4}), stream(1, {0.5, 0.6, 0.7, 0.8})})));
  // Layer 0 would give all four; it stops at three and layer 1 gives one.
  EXPECT_EQ(removed(a, 0), "1110");
  EXPECT_EQ(removed(a, 1), "1000");
}

TEST(BudgetAllocatorTest, MaxLayerRatioOutOfReachIsAnError) {
  AllocationGoal goal;
  goal.ratio = 0.9;
  goal.maxLayerRatio = 0.5;
  BudgetAllocator a(goal, {layer(4)});
  llvm::Error err = a.allocate({stream(0, {0.1, 0.2, 0.3, 0.4})});
  ASSERT_TRUE(bool(err));
  EXPECT_EQ(llvm::toString(std::move(err)),
            "sparsity 0.9 cannot be reached with max-layer-sparsity 0.5 and "
            "the fixed layers (reached 0.5000)");
}

TEST(BudgetAllocatorTest, MinLayerRatioComesFirst) {
  AllocationGoal goal;
  goal.ratio = 0.5;
  goal.minLayerRatio = 0.25;
  BudgetAllocator a(goal, {layer(4), layer(4)});
  ASSERT_FALSE(bool(a.allocate(
      {stream(0, {0.1, 0.2, 0.3, 0.4}), stream(1, {0.5, 0.6, 0.7, 0.8})})));
  // Layer 1 gives its least-scored unit although layer 0's are lower.
  EXPECT_EQ(removed(a, 0), "1110");
  EXPECT_EQ(removed(a, 1), "1000");
}

TEST(BudgetAllocatorTest, FixedRatioIsExactAndTheRestShares) {
  AllocationGoal goal;
  goal.ratio = 0.25;
  PrunableLayer fixed = layer(4);
  fixed.fixedRatio = 0.75;
  BudgetAllocator a(goal, {fixed, layer(4)});
  ASSERT_FALSE(bool(a.allocate(
      {stream(0, {0.9, 0.9, 0.9, 0.9}), stream(1, {0.1, 0.2, 0.3, 0.4})})));
  // Three of the fixed layer's units whatever their score; 8 weights x 0.25
  // = 2 are then reached already.
  EXPECT_EQ(a.layer(0).removedCount, 3);
  EXPECT_EQ(a.layer(1).removedCount, 0);
}

TEST(BudgetAllocatorTest, SeveralStreamsPerLayerMerge) {
  // One stream per filter of a 2-filter layer: units 0-1 and 2-3.
  AllocationGoal goal;
  goal.ratio = 0.5;
  RankedStream f0 = stream(0, {0.1, 0.7}), f1 = stream(0, {0.2, 0.3});
  f1.units = {3, 2};
  BudgetAllocator a(goal, {layer(4)});
  ASSERT_FALSE(bool(a.allocate({f0, f1})));
  EXPECT_EQ(removed(a, 0), "1001");
}

TEST(BudgetAllocatorTest, LayerWhoseSparseFormNeverPaysStaysDense) {
  AllocationGoal goal;
  goal.ratio = 0.5;
  goal.core = McuCore::CortexM4;
  goal.maxLayerRatio = 0.75;
  // Layer 0: dense 100, sparse 90 + 10 per kept unit: at most 3 of 4
  // removed leaves 100, never cheaper. Layer 1: 10 + 10 per kept.
  BudgetAllocator a(goal,
                    {costedLayer(4, 100, 90, 10), costedLayer(4, 100, 10, 10)});
  ASSERT_FALSE(bool(a.allocate(
      {stream(0, {0.1, 0.2, 0.3, 0.4}), stream(1, {0.5, 0.6, 0.7, 0.8})})));
  EXPECT_TRUE(a.layer(0).keptDense);
  EXPECT_EQ(a.layer(0).removedCount, 0);
  // The ratio counts only the layers where the sparse form pays.
  EXPECT_EQ(a.layer(1).removedCount, 2);
  EXPECT_FALSE(a.layer(1).keptDense);
}

TEST(BudgetAllocatorTest, TooLittleSparsityIsRestoredToDense) {
  AllocationGoal goal;
  goal.ratio = 0.5;
  goal.core = McuCore::CortexM4;
  // Layer 0 pays only with at most 1 of 4 kept (60 + 10 x kept < 80); its
  // low scores first give it 2 removed units, which do not pay: it is
  // restored and layer 1 takes the whole share.
  BudgetAllocator a(goal,
                    {costedLayer(4, 80, 60, 10), costedLayer(4, 100, 10, 10)});
  ASSERT_FALSE(bool(a.allocate(
      {stream(0, {0.1, 0.2, 0.9, 0.9}), stream(1, {0.3, 0.4, 0.5, 0.6})})));
  EXPECT_TRUE(a.layer(0).keptDense);
  EXPECT_EQ(a.layer(0).removedCount, 0);
  EXPECT_EQ(removed(a, 1), "1100");
  EXPECT_EQ(a.currentCost(a.layer(0)).flashBytes, 80);
  EXPECT_EQ(a.currentCost(a.layer(1)).flashBytes, 30);
}

TEST(BudgetAllocatorTest, FlashBudgetStopsWhenTheModelFits) {
  AllocationGoal goal;
  goal.core = McuCore::CortexM4;
  goal.budget.kind = BudgetKind::Flash;
  goal.budget.value = 150;
  goal.rest.flashBytes = 20;
  // Dense 20 + 100 + 100 = 220; sparse layers 10 + 20 per kept unit.
  BudgetAllocator a(goal,
                    {costedLayer(4, 100, 10, 20), costedLayer(4, 100, 10, 20)});
  ASSERT_FALSE(bool(a.allocate(
      {stream(0, {0.1, 0.2, 0.3, 0.4}), stream(1, {0.15, 0.5, 0.6, 0.7})})));
  EXPECT_EQ(a.denseTotal().flashBytes, 220);
  EXPECT_LE(a.currentTotal().flashBytes, 150);
  // A layer's first removed unit saves 30 (sparse 70 replaces dense 100),
  // each next one 20: 220 -> 190 -> 160 -> 140, by score.
  EXPECT_EQ(a.currentTotal().flashBytes, 140);
  EXPECT_EQ(removed(a, 0), "1100");
  EXPECT_EQ(removed(a, 1), "1000");
}

TEST(BudgetAllocatorTest, BudgetOutOfReachSaysTheBestEstimate) {
  AllocationGoal goal;
  goal.core = McuCore::CortexM4;
  goal.budget.kind = BudgetKind::Flash;
  goal.budget.value = 10;
  goal.maxLayerRatio = 0.5;
  goal.rest.flashBytes = 5;
  BudgetAllocator a(goal, {costedLayer(4, 100, 10, 20)});
  llvm::Error err = a.allocate({stream(0, {0.1, 0.2, 0.3, 0.4})});
  ASSERT_TRUE(bool(err));
  EXPECT_EQ(llvm::toString(std::move(err)),
            "flash-budget 10 bytes cannot be met on cortex-m4: with "
            "max-layer-sparsity 0.5 the model still takes 55 bytes "
            "(estimate; everything but the eligible layers takes 5)");
}

TEST(BudgetAllocatorTest, MacBudgetCountsMacs) {
  AllocationGoal goal;
  goal.core = McuCore::CortexM7;
  goal.budget.kind = BudgetKind::Macs;
  goal.budget.value = 300;
  PrunableLayer l = layer(4);
  l.dense.macs = 400;
  l.dense.flashBytes = 1;
  l.sparseCost = [](int64_t kept) {
    LayerCost c;
    c.macs = 100 * kept;
    c.flashBytes = 1000; // Flash does not count for a MAC budget.
    return c;
  };
  BudgetAllocator a(goal, {l});
  ASSERT_FALSE(bool(a.allocate({stream(0, {0.1, 0.2, 0.3, 0.4})})));
  EXPECT_EQ(a.layer(0).removedCount, 1);
  EXPECT_EQ(a.currentTotal().macs, 300);
}

TEST(BudgetAllocatorTest, AllocateAgainStartsFromScratch) {
  AllocationGoal goal;
  goal.ratio = 0.5;
  BudgetAllocator a(goal, {layer(4)});
  std::vector<RankedStream> streams = {stream(0, {0.1, 0.2, 0.3, 0.4})};
  ASSERT_FALSE(bool(a.allocate(streams)));
  ASSERT_FALSE(bool(a.allocate(streams)));
  EXPECT_EQ(removed(a, 0), "1100");
}

TEST(BudgetParseTest, Quantities) {
  bool hadUnit = false;
  EXPECT_EQ(parseQuantity("48K", true, "", hadUnit), 48.0 * 1024);
  EXPECT_EQ(parseQuantity("1.5M", true, "", hadUnit), 1.5 * 1024 * 1024);
  EXPECT_EQ(parseQuantity("12k", false, "", hadUnit), 12000.0);
  EXPECT_EQ(parseQuantity(" 12000 ", false, "", hadUnit), 12000.0);
  EXPECT_EQ(parseQuantity("3Mmacs", false, "macs", hadUnit), 3e6);
  EXPECT_TRUE(hadUnit);
  EXPECT_EQ(parseQuantity("12M", false, "macs", hadUnit), 12e6);
  EXPECT_FALSE(hadUnit);
  EXPECT_EQ(parseQuantity("lots", true, "", hadUnit), std::nullopt);
  EXPECT_EQ(parseQuantity("-5M", false, "", hadUnit), std::nullopt);
  EXPECT_EQ(parseQuantity("0", false, "", hadUnit), std::nullopt);
}

TEST(BudgetParseTest, BudgetsSayWhatWasAsked) {
  llvm::Expected<Budget> flash = parseBudget("48K", "");
  ASSERT_TRUE(bool(flash));
  EXPECT_EQ(flash->kind, BudgetKind::Flash);
  EXPECT_EQ(flash->value, 49152.0);
  EXPECT_EQ(flash->asked, "flash-budget 48K");
  llvm::Expected<Budget> macs = parseBudget("", "5Mmacs");
  ASSERT_TRUE(bool(macs));
  EXPECT_EQ(macs->kind, BudgetKind::Macs);
  EXPECT_EQ(macs->asked, "latency-budget 5Mmacs");
  llvm::Expected<Budget> none = parseBudget("", "");
  ASSERT_TRUE(bool(none));
  EXPECT_FALSE(none->given());
}

TEST(BudgetParseTest, BadBudgetsAreOneLineErrors) {
  EXPECT_EQ(llvm::toString(parseBudget("40K", "10M").takeError()),
            "give flash-budget or latency-budget, not both");
  EXPECT_EQ(llvm::toString(parseBudget("lots", "").takeError()),
            "flash-budget 'lots' is not a positive byte count (like 48000, "
            "48K or 1M)");
}

TEST(BudgetParseTest, LayerRatios) {
  auto ok = parseLayerRatios({"0=0.5", " 2 = 1"}, 3);
  ASSERT_TRUE(bool(ok));
  ASSERT_EQ(ok->size(), 2u);
  EXPECT_EQ((*ok)[1], std::make_pair(size_t(2), 1.0));
  EXPECT_EQ(llvm::toString(parseLayerRatios({"x=0.5"}, 3).takeError()),
            "layer-sparsity entry 'x=0.5' is not INDEX=RATIO");
  EXPECT_EQ(llvm::toString(parseLayerRatios({"3=0.5"}, 3).takeError()),
            "layer-sparsity names layer 3 but the model has 3 eligible "
            "layers");
}
