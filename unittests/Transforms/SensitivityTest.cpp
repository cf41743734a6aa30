//===- SensitivityTest.cpp - A layer's measured effect on the outputs -----===//
//
// The bookkeeping of the sensitivity trials on made-up measurements: the
// levels within the layer bounds, the merged order of a layer's streams,
// the never-decreasing slopes of the curve, and the weighting of the
// streams (measured, unmeasured and fixed layers).
//
//===----------------------------------------------------------------------===//

#include "tinyprune/Transforms/Pruning/Sensitivity.h"

#include <gtest/gtest.h>

using namespace mlir;
using namespace tinyprune;
using namespace tinyprune::pruning;

namespace {

/// A stream of `layer` over `units` with `scores`.
RankedStream stream(size_t layer, std::vector<int64_t> units,
                    std::vector<double> scores) {
  RankedStream s;
  s.layer = layer;
  s.units = std::move(units);
  s.scores = std::move(scores);
  return s;
}

} // namespace

TEST(SensitivityTest, LevelsStayWithinTheBounds) {
  EXPECT_EQ(sensitivityLevels(0.0, 1.0),
            (std::vector<double>{0.25, 0.5, 0.75, 1.0}));
  EXPECT_EQ(sensitivityLevels(0.0, 0.6), (std::vector<double>{0.25, 0.5, 0.6}));
  EXPECT_EQ(sensitivityLevels(0.5, 0.5), (std::vector<double>{0.5}));
  EXPECT_TRUE(sensitivityLevels(0.0, 0.0).empty());
}

TEST(SensitivityTest, MergeTakesTheLayersStreamsByScore) {
  std::vector<RankedStream> streams = {stream(0, {0, 1}, {0.1, 0.4}),
                                       stream(1, {0}, {0.0}),
                                       stream(0, {3, 2}, {0.2, 0.3})};
  UnitOrder order = mergeStreams(streams, {0, 2});
  EXPECT_EQ(order.units, (std::vector<int64_t>{0, 3, 2, 1}));
  EXPECT_EQ(order.scores, (std::vector<double>{0.1, 0.2, 0.3, 0.4}));
}

TEST(SensitivityTest, SlopesNeverDecreaseAlongTheLayer) {
  // Each unit adds 1 to the layer's error; the outputs move 2, 2, 1, 4.
  UnitOrder order;
  order.units = {3, 1, 0, 2};
  std::vector<double> change = {2, 4, 5, 9};
  std::vector<std::vector<bool>> seen;
  FailureOr<SensitivityCurve> curve = measureSensitivity(
      order, 4, {0.25, 0.5, 0.75, 1.0},
      [&](const std::vector<bool> &removed) -> FailureOr<TrialResult> {
        seen.push_back(removed);
        size_t n = seen.size();
        return TrialResult{change[n - 1], double(n)};
      });
  ASSERT_TRUE(succeeded(curve));
  // The trials remove the first 1, 2, 3, 4 units of the order.
  ASSERT_EQ(seen.size(), 4u);
  EXPECT_EQ(seen[0], (std::vector<bool>{false, false, false, true}));
  EXPECT_EQ(seen[1], (std::vector<bool>{false, true, false, true}));
  EXPECT_EQ(curve->ends, (std::vector<int64_t>{1, 2, 3, 4}));
  // The third stretch (slope 1) keeps the 2 before it.
  EXPECT_EQ(curve->slopes, (std::vector<double>{2, 2, 2, 4}));
  EXPECT_TRUE(curve->measured());
  EXPECT_EQ(curve->gentlest(), 2);
  EXPECT_EQ(curve->slopeAt(0), 2);
  EXPECT_EQ(curve->slopeAt(3), 4);
  EXPECT_EQ(curve->slopeAt(9), 4);
}

TEST(SensitivityTest, ATrialThatFailsFailsTheMeasurement) {
  UnitOrder order;
  order.units = {0, 1};
  FailureOr<SensitivityCurve> curve = measureSensitivity(
      order, 2, {0.5, 1.0},
      [](const std::vector<bool> &) -> FailureOr<TrialResult> {
        return failure();
      });
  EXPECT_TRUE(failed(curve));
}

TEST(SensitivityTest, OutputsThatNeverMoveAreUnmeasured) {
  UnitOrder order;
  order.units = {0, 1};
  FailureOr<SensitivityCurve> curve = measureSensitivity(
      order, 2, {0.5, 1.0},
      [](const std::vector<bool> &) -> FailureOr<TrialResult> {
        return TrialResult{0.0, 1.0};
      });
  ASSERT_TRUE(succeeded(curve));
  EXPECT_FALSE(curve->measured());
}

TEST(SensitivityTest, WeighingPutsLayersInOutputUnits) {
  // Layer 0 measured (slope 2 on its first unit, 8 on the second), layer 1
  // competing but unmeasured (takes the least slope, 2), layer 2 fixed.
  std::vector<RankedStream> streams = {stream(0, {1, 0}, {1.0, 1.0}),
                                       stream(1, {0}, {1.0}),
                                       stream(2, {0}, {1.0})};
  SensitivityCurve measured;
  measured.ends = {1, 2};
  measured.slopes = {2, 8};
  SensitivityCurve flat;
  flat.ends = {1};
  flat.slopes = {0};
  std::vector<std::optional<SensitivityCurve>> curves = {measured, flat,
                                                         std::nullopt};
  std::vector<UnitOrder> orders(3);
  orders[0].units = {1, 0};
  // Output energies (the scores are relative to them): 10, 100, 1000.
  weighStreams(streams, curves, orders, {2, 1, 1}, {10, 100, 1000});
  EXPECT_EQ(streams[0].scores, (std::vector<double>{20, 80}));
  EXPECT_EQ(streams[1].scores, (std::vector<double>{200}));
  EXPECT_EQ(streams[2].scores, (std::vector<double>{1}));
}

TEST(SensitivityTest, NothingMeasuredChangesNothing) {
  std::vector<RankedStream> streams = {stream(0, {0}, {0.5})};
  SensitivityCurve flat;
  flat.ends = {1};
  flat.slopes = {0};
  weighStreams(streams, {flat}, {UnitOrder()}, {1}, {10});
  EXPECT_EQ(streams[0].scores, (std::vector<double>{0.5}));
}
