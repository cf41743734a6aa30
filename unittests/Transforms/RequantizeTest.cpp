//===- RequantizeTest.cpp - int8 weights from re-solved real weights ------===//
//
// Per-channel dequantization and re-quantization of re-solved filters:
// new scales where the requantization follows, rounding and clamping, the
// bias correction of the rounding on the mean input, and the multipliers
// and shifts that keep each channel's real requantization scale.
//
//===----------------------------------------------------------------------===//

#include "tinyprune/Transforms/Pruning/Requantize.h"

#include "tinyprune/rt/quant_params.h"

#include <cmath>
#include <gtest/gtest.h>

using namespace tinyprune;
using namespace tinyprune::pruning;

namespace {

/// The real scale of a TOSA multiplier and shift.
double realScale(int32_t multiplier, int8_t shift) {
  return std::ldexp(double(multiplier), -shift);
}

/// A TOSA multiplier and shift for `scale`.
std::pair<int32_t, int8_t> tosaMultiplier(double scale) {
  rt::QuantizedMultiplier m = rt::quantizeMultiplier(scale);
  return {m.multiplier, int8_t(rt::tosaShift(m))};
}

} // namespace

TEST(RequantizeTest, DequantizePerChannelWithTheBiasScale) {
  // Two filters of two weights, stored filter-major; one bias per filter.
  std::vector<double> stored = {10, -20, 3, 4};
  std::vector<double> real = dequantizeFilters(
      2, 2, [&](int64_t o, int64_t k) { return stored[o * 2 + k]; }, {100, -50},
      {0.5f, 0.25f}, /*inputScale=*/0.1);
  ASSERT_EQ(real.size(), 6u);
  EXPECT_DOUBLE_EQ(real[0], 5.0);
  EXPECT_DOUBLE_EQ(real[1], -10.0);
  EXPECT_DOUBLE_EQ(real[2], 100 * 0.1 * 0.5); // bias x input x weight scale
  EXPECT_DOUBLE_EQ(real[3], 0.75);
  EXPECT_DOUBLE_EQ(real[4], 1.0);
  EXPECT_DOUBLE_EQ(real[5], -50 * 0.1 * 0.25);
}

TEST(RequantizeTest, DequantizeFloatAndOneBiasForAll) {
  std::vector<double> stored = {1.5, 2.5};
  std::vector<double> real = dequantizeFilters(
      2, 1, [&](int64_t o, int64_t) { return stored[o]; }, {0.25}, {},
      /*inputScale=*/0.1);
  EXPECT_EQ(real, (std::vector<double>{1.5, 0.25, 2.5, 0.25}));
}

TEST(RequantizeTest, WithoutRequantizationTheOldScalesStay) {
  // No rescale to follow a new scale: the weights are rounded on the old
  // scale 0.5 and clamped to [-127, 127].
  QuantizedFilters q =
      requantizeFilters({{1.0, -2.0, 100.0, 0.0}}, 3, {0.5f},
                        /*inputScale=*/1.0, {{0, 0, 0}}, {}, {});
  EXPECT_EQ(q.weights, (std::vector<int8_t>{2, -4, 127}));
  EXPECT_EQ(q.weightScales, (std::vector<float>{0.5f}));
  EXPECT_TRUE(q.multiplier.empty());
  EXPECT_TRUE(q.shift.empty());
}

TEST(RequantizeTest, NewScaleUsesTheFullRangeAndTheMultiplierFollows) {
  // Old weight scale 0.01, requantization 0.0004: the re-solved weights
  // peak at 0.635 = 127 x 0.005, so the new scale is 0.005 and the
  // requantization halves.
  auto [mult, shift] = tosaMultiplier(0.0004);
  QuantizedFilters q =
      requantizeFilters({{0.635, -0.3175, 0.0, 0.0}}, 3, {0.01f},
                        /*inputScale=*/0.02, {{0, 0, 0}}, {mult}, {shift});
  EXPECT_FLOAT_EQ(q.weightScales[0], float(0.635 / 127.0));
  EXPECT_EQ(q.weights, (std::vector<int8_t>{127, -64, 0}));
  ASSERT_EQ(q.multiplier.size(), 1u);
  EXPECT_NEAR(realScale(q.multiplier[0], q.shift[0]), 0.0002, 1e-9);
  // Input x weight scale over the requantization (the output scale) holds.
  EXPECT_NEAR(0.02 * q.weightScales[0] / realScale(q.multiplier[0], q.shift[0]),
              0.02 * 0.01 / 0.0004, 1e-6);
  EXPECT_FLOAT_EQ(q.biasScales[0], float(0.02 * double(q.weightScales[0])));
}

TEST(RequantizeTest, WithTheOutputScaleTheMultiplierIsTFLites) {
  // Input scale 0.02, output scale 0.5 (requantization 0.0004 at weight
  // scale 0.01): the new scale 0.005 gives TFLite's multiplier for
  // 0.02 x 0.005 / 0.5 exactly, so that the scales alone give it back.
  auto [mult, shift] = tosaMultiplier(0.0004);
  QuantizedFilters q =
      requantizeFilters({{0.635, -0.3175, 0.0, 0.0}}, 3, {0.01f},
                        /*inputScale=*/0.02, {{0, 0, 0}}, {mult}, {shift},
                        /*outputScale=*/0.5);
  ASSERT_EQ(q.multiplier.size(), 1u);
  auto [expectMult, expectShift] =
      tosaMultiplier(0.02 * double(q.weightScales[0]) / 0.5);
  EXPECT_EQ(q.multiplier[0], expectMult);
  EXPECT_EQ(q.shift[0], expectShift);
}

TEST(RequantizeTest, OneMultiplierBecomesOnePerChannel) {
  auto [mult, shift] = tosaMultiplier(0.001);
  // Filter 0 gets a new scale; filter 1 is all zeros and keeps its old
  // scale and the old multiplier.
  QuantizedFilters q =
      requantizeFilters({{1.27, 0.0, 0.0}, {0.0, 0.0, 0.0}}, 2, {0.02f, 0.02f},
                        /*inputScale=*/1.0, {{0, 0}}, {mult}, {shift});
  ASSERT_EQ(q.multiplier.size(), 2u);
  ASSERT_EQ(q.shift.size(), 2u);
  EXPECT_FLOAT_EQ(q.weightScales[0], 0.01f);
  EXPECT_NEAR(realScale(q.multiplier[0], q.shift[0]), 0.0005, 1e-9);
  EXPECT_FLOAT_EQ(q.weightScales[1], 0.02f);
  EXPECT_EQ(q.multiplier[1], mult);
  EXPECT_EQ(q.shift[1], shift);
}

TEST(RequantizeTest, BiasAbsorbsTheRoundingOnTheMeanInput) {
  // Scale 1 (no requantization): 0.4 rounds to 0 and 1.7 to 2, an error of
  // -0.4 x 10 + 0.3 x 5 = -2.5 on the mean input (10, 5), which the bias
  // (real 7, input scale 0.5) takes back: (7 + 2.5) / 0.5 = 19.
  QuantizedFilters q =
      requantizeFilters({{0.4, 1.7, 7.0}}, 2, {1.0f},
                        /*inputScale=*/0.5, {{10.0, 5.0}}, {}, {});
  EXPECT_EQ(q.weights, (std::vector<int8_t>{0, 2}));
  EXPECT_EQ(q.bias, (std::vector<int32_t>{19}));
  EXPECT_FLOAT_EQ(q.biasScales[0], 0.5f);
}

TEST(RequantizeTest, OneMeanPerFilter) {
  // Filter 1's mean input differs: its correction differs.
  QuantizedFilters q =
      requantizeFilters({{0.4, 0.0}, {0.4, 0.0}}, 1, {1.0f, 1.0f},
                        /*inputScale=*/1.0, {{0.0}, {10.0}}, {}, {});
  EXPECT_EQ(q.bias, (std::vector<int32_t>{0, 4}));
}

TEST(RequantizeTest, HugeBiasSaturates) {
  QuantizedFilters q =
      requantizeFilters({{0.0, 1e12}, {0.0, -1e12}}, 1, {1.0f, 1.0f},
                        /*inputScale=*/1e-3, {{0.0}}, {}, {});
  EXPECT_EQ(q.bias, (std::vector<int32_t>{2147483647, -2147483647 - 1}));
}
