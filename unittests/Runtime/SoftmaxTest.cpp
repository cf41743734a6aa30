//===- SoftmaxTest.cpp - int8 and float softmax ---------------------------===//
//
// Checks softmax.h four ways:
//  * prepare-time constants against hand computation of TFLite's
//    PreprocessSoftmaxScaling / CalculateInputRadius;
//  * small cases whose int8 result follows by hand;
//  * properties on random rows: outputs stay within one step of the real
//    softmax, sum to about 256 steps, and are ordered like the inputs;
//  * golden rows produced by an independent Python model of TFLite's
//    algorithm (see GoldenRowsFromPythonModel).
//
// What is and is not proven: the golden bytes come from our own Python
// transcription of TFLite's reference kernel and gemmlowp, not from running
// TFLite itself, so they guard against regressions and C++-specific slips
// (overflow, shifts, casts) but share any misreading of TFLite's source.
//
//===----------------------------------------------------------------------===//

#include "tinyprune/rt/softmax.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <random>
#include <vector>

using namespace tinyprune::rt;

namespace {

std::vector<int8_t> runInt8(float scale, float beta,
                            const std::vector<int8_t> &in) {
  std::vector<int8_t> out(in.size());
  softmaxInt8(prepareSoftmaxInt8(scale, beta), 1,
              static_cast<int32_t>(in.size()), in.data(), out.data());
  return out;
}

TEST(Softmax, PrepareMatchesTfliteFormulas) {
  // 0.125 * 2^26 = 2^23 = 0.5 * 2^24: multiplier 2^30, left shift 24,
  // radius floor(31 * 2^26 / 2^24) = 124.
  SoftmaxInt8Params p = prepareSoftmaxInt8(0.125f, 1.0f);
  EXPECT_EQ(p.inputMultiplier, 1 << 30);
  EXPECT_EQ(p.inputLeftShift, 24);
  EXPECT_EQ(p.diffMin, -124);

  // beta scales like the input scale.
  SoftmaxInt8Params q = prepareSoftmaxInt8(0.0625f, 2.0f);
  EXPECT_EQ(q.inputMultiplier, p.inputMultiplier);
  EXPECT_EQ(q.inputLeftShift, p.inputLeftShift);
  EXPECT_EQ(q.diffMin, p.diffMin);

  // 0.05f * 2^26 = 3355443.25 = 0.8 * 2^22: shift 22, radius 31 * 16.
  SoftmaxInt8Params r = prepareSoftmaxInt8(0.05f, 1.0f);
  EXPECT_EQ(r.inputLeftShift, 22);
  EXPECT_EQ(r.inputMultiplier, 1717986944); // round(0.8 * 2^31) from 0.05f
  EXPECT_EQ(r.diffMin, -496);

  // Huge scales cap the multiplier at 2^31 - 1; only the maximum survives.
  SoftmaxInt8Params s = prepareSoftmaxInt8(1000.0f, 1.0f);
  EXPECT_EQ(s.inputMultiplier, INT32_MAX);
  EXPECT_EQ(s.inputLeftShift, 31);
  EXPECT_EQ(s.diffMin, 0);
}

TEST(Softmax, HandComputedInt8) {
  // A single element is probability 1, i.e. 256 steps above -128: clamps to
  // 127.
  EXPECT_EQ(runInt8(0.1f, 1.0f, {42}), std::vector<int8_t>({127}));
  // Four equal entries are exactly 1/4 = 64 steps: -128 + 64.
  EXPECT_EQ(runInt8(0.1f, 1.0f, {5, 5, 5, 5}),
            std::vector<int8_t>({-64, -64, -64, -64}));
  // Two equal entries: 1/2 -> 0.
  EXPECT_EQ(runInt8(0.5f, 1.0f, {-7, -7}), std::vector<int8_t>({0, 0}));
  // Entries further than -diffMin below the maximum are skipped entirely:
  // with scale 0.125 the radius is 124, so a difference of 125 yields -128
  // and the maximum takes everything.
  EXPECT_EQ(runInt8(0.125f, 1.0f, {127, 2}), std::vector<int8_t>({127, -128}));
}

TEST(Softmax, RowsAreIndependent) {
  const std::vector<int8_t> in = {1, 2, 3, 4, -9, 0, 9, 2, 7, 7, 7, 7};
  std::vector<int8_t> all(in.size());
  softmaxInt8(prepareSoftmaxInt8(0.2f, 1.0f), 3, 4, in.data(), all.data());
  for (int row = 0; row < 3; ++row) {
    std::vector<int8_t> one(in.begin() + row * 4, in.begin() + row * 4 + 4);
    EXPECT_EQ(
        runInt8(0.2f, 1.0f, one),
        std::vector<int8_t>(all.begin() + row * 4, all.begin() + row * 4 + 4));
  }
}

TEST(Softmax, RandomRowsTrackRealSoftmax) {
  std::mt19937 rng(11);
  std::uniform_real_distribution<float> logScale(-8.0f, 0.0f);
  std::uniform_int_distribution<int> value(-128, 127);
  std::uniform_int_distribution<int> depthDist(1, 64);
  for (int trial = 0; trial < 5000; ++trial) {
    const float scale = std::exp2(logScale(rng));
    const float beta = trial % 3 == 0 ? 0.5f : 1.0f;
    const int depth = depthDist(rng);
    std::vector<int8_t> in(depth);
    for (int8_t &v : in)
      v = static_cast<int8_t>(value(rng));
    const std::vector<int8_t> out = runInt8(scale, beta, in);

    int maxIn = -128;
    for (int8_t v : in)
      maxIn = std::max<int>(maxIn, v);
    double denom = 0;
    for (int8_t v : in)
      denom += std::exp(double(beta) * scale * (v - maxIn));

    int sumSteps = 0;
    for (int i = 0; i < depth; ++i) {
      const double real =
          std::exp(double(beta) * scale * (in[i] - maxIn)) / denom;
      const long expected = std::min(127L, std::lround(real * 256.0) - 128);
      // Within one output step of the real softmax.
      ASSERT_LE(std::abs(out[i] - expected), 1)
          << "scale=" << scale << " beta=" << beta << " i=" << i;
      sumSteps += out[i] + 128;
      // Ordered like the inputs.
      for (int j = 0; j < depth; ++j) {
        if (in[i] <= in[j]) {
          ASSERT_LE(out[i], out[j]);
        }
      }
    }
    // Probabilities add up to 256 steps, up to one step of rounding per
    // entry (and the clamp of a lone certain entry at 255).
    ASSERT_LE(std::abs(sumSteps - 256), depth) << "scale=" << scale;
  }
}

TEST(Softmax, GoldenRowsFromPythonModel) {
  // Expected bytes computed by an independent Python model of TFLite's
  // reference int8 softmax: exact-integer gemmlowp primitives
  // (SaturatingRoundingDoublingHighMul, RoundingDivideByPOT, Rescale,
  // exp_on_negative_values, one_over_one_plus_x_for_x_in_0_1), TFLite's
  // GetReciprocal, and PreprocessSoftmaxScaling with float32 inputs emulated
  // via struct packing. The same model agreed with this kernel on over 2000
  // further random rows during development.
  EXPECT_EQ(runInt8(0.125f, 1.0f, {2, 10, -5, 0, 10, 3, -20, 12}),
            std::vector<int8_t>({-107, -72, -119, -112, -72, -104, -127, -55}));
  EXPECT_EQ(runInt8(0.05f, 1.0f, {-20, -15, -10, -5, 0, 5, 10, 15, 20, 25}),
            std::vector<int8_t>(
                {-121, -120, -117, -114, -110, -105, -99, -91, -80, -66}));
  EXPECT_EQ(runInt8(0.3f, 0.7f, {1, 1, 1, 0, -1, -50, 4}),
            std::vector<int8_t>({-88, -88, -88, -95, -101, -128, -52}));
}

TEST(Softmax, FloatHandComputed) {
  const float in[6] = {1.0f, 2.0f, 3.0f, 0.0f, 0.0f, 0.0f};
  float out[6];
  softmaxFloat(1.0f, 2, 3, in, out);
  const double e1 = std::exp(-2.0), e2 = std::exp(-1.0);
  const double sum = e1 + e2 + 1.0;
  EXPECT_NEAR(out[0], e1 / sum, 1e-6);
  EXPECT_NEAR(out[1], e2 / sum, 1e-6);
  EXPECT_NEAR(out[2], 1.0 / sum, 1e-6);
  for (int i = 3; i < 6; ++i)
    EXPECT_FLOAT_EQ(out[i], 1.0f / 3.0f);
}

TEST(Softmax, FloatIsStableForLargeInputsAndHonoursBeta) {
  const float in[3] = {1000.0f, 1001.0f, 1002.0f};
  const float small[3] = {0.0f, 1.0f, 2.0f};
  float out[3], ref[3];
  softmaxFloat(1.0f, 1, 3, in, out);
  softmaxFloat(1.0f, 1, 3, small, ref);
  for (int i = 0; i < 3; ++i)
    EXPECT_FLOAT_EQ(out[i], ref[i]);
  // beta = 2 on x equals beta = 1 on 2x.
  const float doubled[3] = {0.0f, 2.0f, 4.0f};
  softmaxFloat(2.0f, 1, 3, small, out);
  softmaxFloat(1.0f, 1, 3, doubled, ref);
  for (int i = 0; i < 3; ++i)
    EXPECT_FLOAT_EQ(out[i], ref[i]);
}

} // namespace
