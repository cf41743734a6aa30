//===- PoolingTest.cpp - NHWC average and max pooling ---------------------===//
//
// Checks pooling.h:
//  * hand-computed windows, including TFLite's rounding of integer averages
//    (half away from zero: {1, 2} -> 2, {-1, -2} -> -2);
//  * that windows hanging over the padding divide by the in-bounds count
//    only, and that max pool never sees padding values;
//  * fused-activation clamps and the empty-window error;
//  * random shapes, strides and paddings against a brute-force model that
//    walks each full filter window and skips out-of-bounds taps, rounding
//    with std::round (equivalent to TFLite's add-half-then-truncate for
//    every divisor: odd divisors never produce exact ties).
//
// The integer kernels are plain integer arithmetic, so agreement with the
// model is bit-exact; the float averages are checked bitwise too because
// the model adds the taps in the same row-major window order as TFLite.
//
//===----------------------------------------------------------------------===//

#include "tinyprune/rt/pooling.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <random>
#include <vector>

using namespace tinyprune::rt;

namespace {

PoolParams params(int32_t filterH, int32_t filterW, int32_t stride,
                  int32_t padTop, int32_t padLeft, int32_t actMin = -128,
                  int32_t actMax = 127) {
  return PoolParams{stride, stride,  filterH, filterW,
                    padTop, padLeft, actMin,  actMax};
}

std::vector<int8_t> avgInt8(const PoolParams &p, int32_t inH, int32_t inW,
                            const std::vector<int8_t> &in, int32_t outH,
                            int32_t outW, int32_t c = 1) {
  std::vector<int8_t> out(static_cast<size_t>(outH * outW * c));
  EXPECT_TRUE(
      averagePoolInt8(p, 1, inH, inW, c, in.data(), outH, outW, out.data()));
  return out;
}

TEST(Pooling, AverageRoundsHalfAwayFromZero) {
  // One 1x2 window per output.
  const PoolParams p = params(1, 2, 2, 0, 0);
  EXPECT_EQ(avgInt8(p, 1, 2, {1, 2}, 1, 1), std::vector<int8_t>({2}));
  EXPECT_EQ(avgInt8(p, 1, 2, {-1, -2}, 1, 1), std::vector<int8_t>({-2}));
  EXPECT_EQ(avgInt8(p, 1, 2, {3, 4}, 1, 1), std::vector<int8_t>({4}));
  EXPECT_EQ(avgInt8(p, 1, 2, {-3, -4}, 1, 1), std::vector<int8_t>({-4}));
  EXPECT_EQ(avgInt8(p, 1, 2, {-1, 2}, 1, 1), std::vector<int8_t>({1}));
  EXPECT_EQ(avgInt8(p, 1, 2, {1, -2}, 1, 1), std::vector<int8_t>({-1}));
  // 2x2: 2.5 -> 3, -2.5 -> -3, 1.25 -> 1, 1.75 -> 2, 0 -> 0.
  const PoolParams q = params(2, 2, 2, 0, 0);
  EXPECT_EQ(avgInt8(q, 2, 2, {1, 2, 3, 4}, 1, 1), std::vector<int8_t>({3}));
  EXPECT_EQ(avgInt8(q, 2, 2, {-1, -2, -3, -4}, 1, 1),
            std::vector<int8_t>({-3}));
  EXPECT_EQ(avgInt8(q, 2, 2, {1, 1, 1, 2}, 1, 1), std::vector<int8_t>({1}));
  EXPECT_EQ(avgInt8(q, 2, 2, {2, 2, 2, 1}, 1, 1), std::vector<int8_t>({2}));
  EXPECT_EQ(avgInt8(q, 2, 2, {-5, 5, -7, 7}, 1, 1), std::vector<int8_t>({0}));
  // Extremes do not overflow.
  EXPECT_EQ(avgInt8(q, 2, 2, {127, 127, 127, 127}, 1, 1),
            std::vector<int8_t>({127}));
  EXPECT_EQ(avgInt8(q, 2, 2, {-128, -128, -128, -128}, 1, 1),
            std::vector<int8_t>({-128}));
}

TEST(Pooling, AverageDivisorExcludesPadding) {
  // 3x3 input 1..9, 3x3 filter, stride 1, SAME padding (1 on each side).
  const std::vector<int8_t> in = {1, 2, 3, 4, 5, 6, 7, 8, 9};
  const std::vector<int8_t> out =
      avgInt8(params(3, 3, 1, 1, 1), 3, 3, in, 3, 3);
  // Corner: (1 + 2 + 4 + 5) / 4 = 3 (dividing by 9 would give 1).
  EXPECT_EQ(out[0], 3);
  // Edge: (1 + 2 + 3 + 4 + 5 + 6) / 6 = 3.5 -> 4.
  EXPECT_EQ(out[1], 4);
  // Centre: 45 / 9 = 5.
  EXPECT_EQ(out[4], 5);
  // Bottom-right corner: (5 + 6 + 8 + 9) / 4 = 7.
  EXPECT_EQ(out[8], 7);
  // A constant input stays constant everywhere, padding or not.
  const std::vector<int8_t> flat(9, -77);
  EXPECT_EQ(avgInt8(params(3, 3, 1, 1, 1), 3, 3, flat, 3, 3),
            std::vector<int8_t>(9, -77));
}

TEST(Pooling, ActivationClampAndChannels) {
  // Two channels interleaved (NHWC); clamp to [-10, 10].
  const std::vector<int8_t> in = {100, -100, 50, -50, 20, -20, 30, -30};
  const std::vector<int8_t> out =
      avgInt8(params(2, 2, 2, 0, 0, -10, 10), 2, 2, in, 1, 1, 2);
  EXPECT_EQ(out, std::vector<int8_t>({10, -10}));
  std::vector<int8_t> maxOut(2);
  maxPoolInt8(params(2, 2, 2, 0, 0, -10, 10), 1, 2, 2, 2, in.data(), 1, 1,
              maxOut.data());
  EXPECT_EQ(maxOut, std::vector<int8_t>({10, -10}));
}

TEST(Pooling, MaxPoolIgnoresPadding) {
  // All inputs negative: padding must not contribute a zero (or -128).
  const std::vector<int8_t> in = {-100, -90, -80, -70};
  std::vector<int8_t> out(4);
  maxPoolInt8(params(2, 2, 1, 1, 1), 1, 2, 2, 1, in.data(), 2, 2, out.data());
  EXPECT_EQ(out, std::vector<int8_t>({-100, -90, -80, -70}));
}

TEST(Pooling, EmptyWindowIsAnError) {
  // Padding of a whole filter extent: the first window covers no input.
  const std::vector<int8_t> in = {1, 2, 3, 4};
  std::vector<int8_t> out(9);
  EXPECT_FALSE(averagePoolInt8(params(2, 2, 2, 2, 2), 1, 2, 2, 1, in.data(), 3,
                               3, out.data()));
  const std::vector<float> fin = {1, 2, 3, 4};
  std::vector<float> fout(9);
  const PoolParamsFloat fp{2, 2, 2, 2, 2, 2, -1e30f, 1e30f};
  EXPECT_FALSE(averagePoolFloat(fp, 1, 2, 2, 1, fin.data(), 3, 3, fout.data()));
}

TEST(Pooling, FloatHandComputed) {
  const std::vector<float> in = {1, 2, 3, 4, 5, 6, 7, 8, 9};
  std::vector<float> out(9);
  const PoolParamsFloat p{1, 1, 3, 3, 1, 1, -1e30f, 1e30f};
  ASSERT_TRUE(averagePoolFloat(p, 1, 3, 3, 1, in.data(), 3, 3, out.data()));
  EXPECT_FLOAT_EQ(out[0], 3.0f);
  EXPECT_FLOAT_EQ(out[1], 3.5f);
  EXPECT_FLOAT_EQ(out[4], 5.0f);
  maxPoolFloat(p, 1, 3, 3, 1, in.data(), 3, 3, out.data());
  EXPECT_EQ(out, std::vector<float>({5, 6, 6, 8, 9, 9, 8, 9, 9}));
  // Relu6-style clamp.
  const PoolParamsFloat r{1, 1, 3, 3, 1, 1, 0.0f, 6.0f};
  maxPoolFloat(r, 1, 3, 3, 1, in.data(), 3, 3, out.data());
  EXPECT_EQ(out, std::vector<float>({5, 6, 6, 6, 6, 6, 6, 6, 6}));
}

TEST(Pooling, Int16MatchesInt8Semantics) {
  const std::vector<int16_t> in = {-1, -2, 1000, 1001};
  std::vector<int16_t> out(2);
  const PoolParams p{1, 2, 1, 2, 0, 0, INT16_MIN, INT16_MAX};
  ASSERT_TRUE(averagePoolInt16(p, 1, 2, 2, 1, in.data(), 2, 1, out.data()));
  EXPECT_EQ(out, std::vector<int16_t>({-2, 1001}));
  maxPoolInt16(p, 1, 2, 2, 1, in.data(), 2, 1, out.data());
  EXPECT_EQ(out, std::vector<int16_t>({-1, 1001}));
}

/// Brute-force model: visit every tap of the full filter window, skip those
/// outside the input.
template <typename T>
void modelPool(const PoolParams &p, int n, int inH, int inW, int c,
               const std::vector<T> &in, int outH, int outW,
               std::vector<int> &avg, std::vector<int> &mx) {
  avg.assign(static_cast<size_t>(n * outH * outW * c), 0);
  mx = avg;
  for (int b = 0; b < n; ++b)
    for (int oy = 0; oy < outH; ++oy)
      for (int ox = 0; ox < outW; ++ox)
        for (int ch = 0; ch < c; ++ch) {
          long sum = 0;
          int count = 0, m = -1000000;
          for (int fy = 0; fy < p.filterH; ++fy)
            for (int fx = 0; fx < p.filterW; ++fx) {
              const int iy = oy * p.strideH - p.padTop + fy;
              const int ix = ox * p.strideW - p.padLeft + fx;
              if (iy < 0 || iy >= inH || ix < 0 || ix >= inW)
                continue;
              const int v = in[((b * inH + iy) * inW + ix) * c + ch];
              sum += v;
              ++count;
              m = std::max(m, v);
            }
          const size_t o =
              static_cast<size_t>(((b * outH + oy) * outW + ox) * c + ch);
          const long r = std::lround(double(sum) / count);
          avg[o] = static_cast<int>(
              std::min<long>(p.actMax, std::max<long>(p.actMin, r)));
          mx[o] = std::min(p.actMax, std::max(p.actMin, m));
        }
}

/// Float brute-force model, summing taps row by row like TFLite.
void modelPoolFloat(const PoolParamsFloat &p, int n, int inH, int inW, int c,
                    const std::vector<float> &in, int outH, int outW,
                    std::vector<float> &avg, std::vector<float> &mx) {
  avg.assign(static_cast<size_t>(n * outH * outW * c), 0.0f);
  mx = avg;
  for (int b = 0; b < n; ++b)
    for (int oy = 0; oy < outH; ++oy)
      for (int ox = 0; ox < outW; ++ox)
        for (int ch = 0; ch < c; ++ch) {
          float sum = 0.0f, m = -3.4e38f;
          int count = 0;
          for (int fy = 0; fy < p.filterH; ++fy)
            for (int fx = 0; fx < p.filterW; ++fx) {
              const int iy = oy * p.strideH - p.padTop + fy;
              const int ix = ox * p.strideW - p.padLeft + fx;
              if (iy < 0 || iy >= inH || ix < 0 || ix >= inW)
                continue;
              const float v =
                  in[static_cast<size_t>(((b * inH + iy) * inW + ix) * c + ch)];
              sum += v;
              ++count;
              m = std::max(m, v);
            }
          const size_t o =
              static_cast<size_t>(((b * outH + oy) * outW + ox) * c + ch);
          avg[o] = sum / static_cast<float>(count);
          mx[o] = m;
        }
}

TEST(Pooling, RandomShapesMatchBruteForceModel) {
  std::mt19937 rng(21);
  auto pick = [&rng](int lo, int hi) {
    return std::uniform_int_distribution<int>(lo, hi)(rng);
  };
  for (int trial = 0; trial < 500; ++trial) {
    const int n = pick(1, 2), c = pick(1, 3);
    const int inH = pick(1, 9), inW = pick(1, 9);
    const int fH = pick(1, 4), fW = pick(1, 4), stride = pick(1, 3);
    // Padding below the filter extent keeps every window non-empty.
    const int padTop = pick(0, fH - 1), padLeft = pick(0, fW - 1);
    const int outH = (inH + padTop - 1) / stride + 1;
    const int outW = (inW + padLeft - 1) / stride + 1;
    const int actMin = pick(-128, 0), actMax = pick(0, 127);
    const PoolParams p{stride, stride, fH, fW, padTop, padLeft, actMin, actMax};

    std::vector<int8_t> in(static_cast<size_t>(n * inH * inW * c));
    for (int8_t &v : in)
      v = static_cast<int8_t>(pick(-128, 127));
    std::vector<int> wantAvg, wantMax;
    modelPool(p, n, inH, inW, c, in, outH, outW, wantAvg, wantMax);

    std::vector<int8_t> got(wantAvg.size());
    ASSERT_TRUE(
        averagePoolInt8(p, n, inH, inW, c, in.data(), outH, outW, got.data()));
    for (size_t i = 0; i < got.size(); ++i)
      ASSERT_EQ(got[i], wantAvg[i]) << "trial " << trial << " i " << i;
    maxPoolInt8(p, n, inH, inW, c, in.data(), outH, outW, got.data());
    for (size_t i = 0; i < got.size(); ++i)
      ASSERT_EQ(got[i], wantMax[i]) << "trial " << trial << " i " << i;

    // Float: same windows; the model adds taps in window order, as TFLite.
    // Non-integral values so that the sums actually round.
    std::vector<float> fin(in.size()), fout(got.size());
    for (size_t i = 0; i < in.size(); ++i)
      fin[i] = static_cast<float>(in[i]) * 0.1234567f;
    const PoolParamsFloat fp{stride, stride,  fH,     fW,
                             padTop, padLeft, -1e30f, 1e30f};
    std::vector<float> wantFloatAvg, wantFloatMax;
    modelPoolFloat(fp, n, inH, inW, c, fin, outH, outW, wantFloatAvg,
                   wantFloatMax);
    ASSERT_TRUE(averagePoolFloat(fp, n, inH, inW, c, fin.data(), outH, outW,
                                 fout.data()));
    EXPECT_EQ(fout, wantFloatAvg) << "trial " << trial;
    maxPoolFloat(fp, n, inH, inW, c, fin.data(), outH, outW, fout.data());
    EXPECT_EQ(fout, wantFloatMax) << "trial " << trial;
  }
}

TEST(Pooling, FloatAverageAddsInWindowOrder) {
  // 1e8 + 1 - 1e8 + 1 in float32 row-major order is (1e8 + 1) rounds to
  // 1e8, minus 1e8 is 0, plus 1 is 1: average 0.25. Another order would
  // give a different answer, so this pins the summation order.
  const std::vector<float> in = {1e8f, 1.0f, -1e8f, 1.0f};
  float out = 0;
  const PoolParamsFloat p{2, 2, 2, 2, 0, 0, -1e30f, 1e30f};
  ASSERT_TRUE(averagePoolFloat(p, 1, 2, 2, 1, in.data(), 1, 1, &out));
  EXPECT_EQ(out, 0.25f);
}

} // namespace
