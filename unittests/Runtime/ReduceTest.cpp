//===- ReduceTest.cpp - MEAN over axes ------------------------------------===//
//
// Checks reduce.h:
//  * hand-computed float and int8 means over various axes, including the
//    two int8 paths of TFLite Micro's EvalIntegerMean (truncating division
//    when quantization is unchanged, folded-multiplier requantization
//    otherwise) and the legacy 4-D spatial path (rounded division);
//  * axis handling: negative and duplicate axes, scalars, empty reductions,
//    invalid axes and ranks;
//  * random shapes and axis sets against a model that walks the input in
//    row-major order and accumulates into output slots the way TFLite's
//    Reduce does, then applies TFLite's final formulas; and against the
//    real-valued mean within one output step.
//
// What is and is not proven: the model restates TFLite's formulas, so the
// random comparison checks indexing, accumulation order (bitwise, for
// float) and integer plumbing rather than independently deriving the
// formulas; those rest on the hand-computed cases and the ±1 bound.
//
//===----------------------------------------------------------------------===//

#include "tinyprune/rt/reduce.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <random>
#include <vector>

using namespace tinyprune::rt;

namespace {

std::vector<float> meanF(const std::vector<int32_t> &dims,
                         const std::vector<int32_t> &axes,
                         const std::vector<float> &in, size_t outSize) {
  std::vector<float> out(outSize, -1.0f);
  EXPECT_TRUE(meanFloat(dims.data(), static_cast<int32_t>(dims.size()),
                        axes.data(), static_cast<int32_t>(axes.size()),
                        in.data(), out.data()));
  return out;
}

std::vector<int8_t> meanQ(const MeanIntParams &p,
                          const std::vector<int32_t> &dims,
                          const std::vector<int32_t> &axes,
                          const std::vector<int8_t> &in, size_t outSize) {
  std::vector<int8_t> out(outSize, 99);
  EXPECT_TRUE(meanInt8(p, dims.data(), static_cast<int32_t>(dims.size()),
                       axes.data(), static_cast<int32_t>(axes.size()),
                       in.data(), out.data()));
  return out;
}

TEST(Reduce, FloatHandComputed) {
  const std::vector<float> in = {1, 2, 3, 4, 5, 6}; // 2 x 3
  EXPECT_EQ(meanF({2, 3}, {1}, in, 2), std::vector<float>({2, 5}));
  EXPECT_EQ(meanF({2, 3}, {0}, in, 3), std::vector<float>({2.5f, 3.5f, 4.5f}));
  EXPECT_EQ(meanF({2, 3}, {0, 1}, in, 1), std::vector<float>({3.5f}));
  EXPECT_EQ(meanF({2, 3}, {1, 0}, in, 1), std::vector<float>({3.5f}));
  // Negative and repeated axes resolve like TFLite's ResolveAxis.
  EXPECT_EQ(meanF({2, 3}, {-1}, in, 2), std::vector<float>({2, 5}));
  EXPECT_EQ(meanF({2, 3}, {1, -1, 1}, in, 2), std::vector<float>({2, 5}));
  // No axes: every element is its own mean.
  EXPECT_EQ(meanF({2, 3}, {}, in, 6), in);
  // Scalar.
  EXPECT_EQ(meanF({}, {}, {7.5f}, 1), std::vector<float>({7.5f}));
  // NHWC 1x2x2x2 over H and W: per-channel means.
  const std::vector<float> nhwc = {1, 10, 2, 20, 3, 30, 4, 40};
  EXPECT_EQ(meanF({1, 2, 2, 2}, {1, 2}, nhwc, 2),
            std::vector<float>({2.5f, 25.0f}));
  // Middle axis of a 3-D tensor keeps the outer/inner order.
  const std::vector<float> cube = {0, 1, 2, 3, 4, 5, 6, 7}; // 2x2x2
  EXPECT_EQ(meanF({2, 2, 2}, {1}, cube, 4), std::vector<float>({1, 2, 5, 6}));
}

TEST(Reduce, FloatSumsInInputOrder) {
  // (1e8 + 1) rounds to 1e8, -1e8 gives 0, +1 gives 1: mean 0.25. Any other
  // order of the same four values gives 0 or 0.5.
  EXPECT_EQ(meanF({4}, {0}, {1e8f, 1.0f, -1e8f, 1.0f}, 1),
            std::vector<float>({0.25f}));
}

TEST(Reduce, InvalidAxesAndRanks) {
  const int32_t dims2[2] = {2, 3};
  const int32_t bad[1] = {2}, badNeg[1] = {-3};
  float fin[6] = {}, fout[6];
  EXPECT_FALSE(meanFloat(dims2, 2, bad, 1, fin, fout));
  EXPECT_FALSE(meanFloat(dims2, 2, badNeg, 1, fin, fout));
  const int32_t dims7[7] = {1, 1, 1, 1, 1, 1, 1};
  const int32_t axis0[1] = {0};
  EXPECT_FALSE(meanFloat(dims7, 7, axis0, 1, fin, fout));
  int8_t qin[6] = {}, qout[6];
  const MeanIntParams p = prepareMeanInt(0.1f, 0, 0.1f, 0);
  EXPECT_FALSE(meanInt8(p, dims2, 2, bad, 1, qin, qout));
}

TEST(Reduce, EmptyReductionGivesZeros) {
  // Reducing a zero-sized axis leaves TFLite's zero-initialised output.
  EXPECT_EQ(meanF({2, 0}, {1}, {}, 2), std::vector<float>({0, 0}));
  EXPECT_EQ(meanQ(prepareMeanInt(0.5f, 3, 0.25f, -1), {2, 0}, {1}, {}, 2),
            std::vector<int8_t>({0, 0}));
}

TEST(Reduce, PrepareInt) {
  MeanIntParams same = prepareMeanInt(0.1f, -5, 0.1f, -5);
  EXPECT_TRUE(same.sameQuantization);
  EXPECT_EQ(same.multiplier, 1 << 30); // 1.0 = 0.5 * 2^1
  EXPECT_EQ(same.shift, 1);
  EXPECT_FALSE(prepareMeanInt(0.1f, -5, 0.1f, -4).sameQuantization);
  EXPECT_FALSE(prepareMeanInt(0.1f, -5, 0.1000001f, -5).sameQuantization);
  MeanIntParams two = prepareMeanInt(0.5f, 1, 0.25f, -3);
  EXPECT_EQ(two.multiplier, 1 << 30); // 2.0 = 0.5 * 2^2
  EXPECT_EQ(two.shift, 2);
}

TEST(Reduce, Int8SameQuantizationTruncates) {
  // TFLite Micro's reference_ops::Mean divides the raw sum with C++'s
  // truncating division: 1.5 -> 1, -1.5 -> -1 (not rounded).
  const MeanIntParams p = prepareMeanInt(0.1f, 0, 0.1f, 0);
  EXPECT_EQ(meanQ(p, {2}, {0}, {1, 2}, 1), std::vector<int8_t>({1}));
  EXPECT_EQ(meanQ(p, {2}, {0}, {-1, -2}, 1), std::vector<int8_t>({-1}));
  EXPECT_EQ(meanQ(p, {3}, {0}, {3, 4, 4}, 1), std::vector<int8_t>({3}));
  EXPECT_EQ(meanQ(p, {2, 2}, {0}, {127, -128, 127, -128}, 2),
            std::vector<int8_t>({127, -128}));
  // The zero point is irrelevant on this path: raw values are averaged.
  const MeanIntParams z = prepareMeanInt(0.1f, 100, 0.1f, 100);
  EXPECT_EQ(meanQ(z, {2}, {0}, {1, 2}, 1), std::vector<int8_t>({1}));
}

TEST(Reduce, Int8RequantizingPath) {
  // Input scale 0.5, zp 1 -> output scale 0.25, zp -3. q = {3, 5} are the
  // reals {1, 2}, mean 1.5 = 6 output steps, -3 + 6 = 3. In integers:
  // multiplier 2.0 = 2^30 * 2^(2-31); n = 2 folds in as a shift of 1:
  // (2^30 << 1) / 2 = 2^30, exponent 1; (3 + 5 - 1 * 2) = 6 -> 6 -> 3.
  const MeanIntParams p = prepareMeanInt(0.5f, 1, 0.25f, -3);
  EXPECT_EQ(meanQ(p, {2}, {0}, {3, 5}, 1), std::vector<int8_t>({3}));
  // With a multiplier of exactly 1 and n = 2, the halving happens inside the
  // rounding doubling high multiply, whose ties go toward +infinity: the
  // mean steps +0.5 -> 1 and -0.5 -> 0 (then + zp 1).
  const MeanIntParams h = prepareMeanInt(0.5f, 0, 0.5f, 1);
  EXPECT_EQ(meanQ(h, {2}, {0}, {0, 1}, 1), std::vector<int8_t>({2}));
  EXPECT_EQ(meanQ(h, {2}, {0}, {0, -1}, 1), std::vector<int8_t>({1}));
  // Saturation.
  const MeanIntParams s = prepareMeanInt(1.0f, 0, 0.01f, 0);
  EXPECT_EQ(meanQ(s, {2}, {0}, {5, 7}, 1), std::vector<int8_t>({127}));
}

TEST(Reduce, Int8LegacySpatialPathRounds) {
  // Older TFLite Micro: requantize the zero-point-corrected sum, then divide
  // by H * W rounding half away from zero.
  const MeanIntParams p = prepareMeanInt(0.1f, 0, 0.1f, 0);
  int8_t out[2];
  const int8_t a[2] = {1, 2};
  meanInt8SpatialLegacy(p, 1, 1, 2, 1, a, out);
  EXPECT_EQ(out[0], 2);
  const int8_t b[2] = {-1, -2};
  meanInt8SpatialLegacy(p, 1, 2, 1, 1, b, out);
  EXPECT_EQ(out[0], -2);
  // Two channels, 2x2, different quantization: in 0.5/1 -> out 0.25/-3.
  // Channel 0 reals {1, 2, 3, 4} -> 2.5 -> 10 steps -> 7.
  // Channel 1 reals {0, 0, 0, 1} -> 0.25 -> 1 step -> -2.
  const MeanIntParams r = prepareMeanInt(0.5f, 1, 0.25f, -3);
  const int8_t c[8] = {3, 1, 5, 1, 7, 1, 9, 3};
  meanInt8SpatialLegacy(r, 1, 2, 2, 2, c, out);
  EXPECT_EQ(out[0], 7);
  EXPECT_EQ(out[1], -2);
}

/// TFLite-style model: walk the whole input in row-major order, find each
/// element's output slot from its non-reduced coordinates, accumulate, then
/// finish with TFLite's formulas.
struct Model {
  std::vector<int32_t> dims;
  std::vector<bool> reduced;
  size_t numOutputs = 1, numReduced = 1, numInputs = 1;

  Model(const std::vector<int32_t> &d, const std::vector<int32_t> &axes)
      : dims(d), reduced(d.size(), false) {
    for (int32_t a : axes)
      reduced[a < 0 ? a + d.size() : a] = true;
    for (size_t i = 0; i < d.size(); ++i) {
      numInputs *= d[i];
      (reduced[i] ? numReduced : numOutputs) *= d[i];
    }
  }

  size_t outputSlot(size_t flat) const {
    size_t slot = 0, scale = 1;
    for (size_t i = dims.size(); i-- > 0;) {
      const size_t idx = flat % dims[i];
      flat /= dims[i];
      if (!reduced[i]) {
        slot += idx * scale;
        scale *= dims[i];
      }
    }
    return slot;
  }

  template <typename In, typename Acc>
  std::vector<Acc> sums(const std::vector<In> &in) const {
    std::vector<Acc> acc(numOutputs, Acc());
    for (size_t i = 0; i < numInputs; ++i)
      acc[outputSlot(i)] += static_cast<Acc>(in[i]);
    return acc;
  }
};

TEST(Reduce, RandomShapesMatchModel) {
  std::mt19937 rng(8);
  auto pick = [&rng](int lo, int hi) {
    return std::uniform_int_distribution<int>(lo, hi)(rng);
  };
  for (int trial = 0; trial < 2000; ++trial) {
    const int rank = pick(1, 6);
    std::vector<int32_t> dims(rank);
    for (int32_t &d : dims)
      d = pick(1, rank > 4 ? 3 : 5);
    std::vector<int32_t> axes;
    for (int a = 0; a < rank; ++a)
      if (pick(0, 2) == 0)
        axes.push_back(pick(0, 1) ? a : a - rank);
    Model m(dims, axes);

    // Float, bitwise.
    std::vector<float> fin(m.numInputs);
    for (float &v : fin)
      v = std::uniform_real_distribution<float>(-100.0f, 100.0f)(rng);
    const std::vector<float> fsum = m.sums<float, float>(fin);
    const std::vector<float> fgot = meanF(dims, axes, fin, m.numOutputs);
    for (size_t o = 0; o < m.numOutputs; ++o)
      ASSERT_EQ(fgot[o], fsum[o] / static_cast<float>(m.numReduced))
          << "trial " << trial;

    // int8, both quantization cases.
    std::vector<int8_t> qin(m.numInputs);
    for (int8_t &v : qin)
      v = static_cast<int8_t>(pick(-128, 127));
    const std::vector<int32_t> qsum = m.sums<int8_t, int32_t>(qin);
    const float inScale = std::exp2(static_cast<float>(pick(-80, 0)) / 10.0f);
    const int32_t inZp = pick(-128, 127);
    const bool same = pick(0, 1);
    const float outScale =
        same ? inScale : std::exp2(static_cast<float>(pick(-80, 0)) / 10.0f);
    const int32_t outZp = same ? inZp : pick(-128, 127);
    const MeanIntParams p = prepareMeanInt(inScale, inZp, outScale, outZp);
    ASSERT_EQ(p.sameQuantization, same);
    const std::vector<int8_t> qgot = meanQ(p, dims, axes, qin, m.numOutputs);

    const int64_t n = static_cast<int64_t>(m.numReduced);
    int shift = 0;
    while ((int64_t(2) << shift) <= n)
      ++shift;
    shift = std::min(shift, 32);
    shift = std::min(shift, 31 + p.shift);
    const int32_t mult =
        static_cast<int32_t>((static_cast<int64_t>(p.multiplier) << shift) / n);
    for (size_t o = 0; o < m.numOutputs; ++o) {
      int32_t want;
      if (same) {
        want = qsum[o] / static_cast<int32_t>(n);
      } else {
        want = multiplyByQuantizedMultiplier(
                   static_cast<int32_t>(qsum[o] - int64_t(inZp) * n), mult,
                   p.shift - shift) +
               outZp;
        want = std::min(127, std::max(-128, want));
      }
      ASSERT_EQ(qgot[o], want) << "trial " << trial << " o " << o;
      // And within one step of the real mean.
      const double realMean =
          (qsum[o] - double(inZp) * double(n)) * inScale / double(n);
      const double ideal = std::min(
          127.0, std::max(-128.0, std::round(realMean / outScale) + outZp));
      ASSERT_LE(std::abs(qgot[o] - ideal), 1.0) << "trial " << trial;
    }
  }
}

TEST(Reduce, Int16UsesSameAlgorithm) {
  const MeanIntParams p = prepareMeanInt(0.5f, 0, 0.25f, 0);
  const int32_t dims[2] = {2, 2}, axes[1] = {1};
  const int16_t in[4] = {1000, 1001, -3000, 2};
  int16_t out[2];
  ASSERT_TRUE(meanInt16(p, dims, 2, axes, 1, in, out));
  // 1000.5 * 2 = 2001; -1499 * 2 = -2998.
  EXPECT_EQ(out[0], 2001);
  EXPECT_EQ(out[1], -2998);
}

TEST(Reduce, SumOneAxisInOrder) {
  // [2][3][2], summed over the middle axis.
  const int32_t in[12] = {1, 2, 3, 4, 5, 6, -1, -2, -3, -4, -5, -6};
  int32_t out[4];
  reduceSum<int32_t>(2, 3, 2, in, out);
  EXPECT_EQ(out[0], 9);
  EXPECT_EQ(out[1], 12);
  EXPECT_EQ(out[2], -9);
  EXPECT_EQ(out[3], -12);
  // int32 wraps around instead of overflowing.
  const int32_t big[2] = {INT32_MAX, 1};
  int32_t wrapped;
  reduceSum<int32_t>(1, 2, 1, big, &wrapped);
  EXPECT_EQ(wrapped, INT32_MIN);
  // Floats add in index order: (1e8 + 1) - 1e8 is 0 in float32, not 1.
  const float f[3] = {1e8f, 1.0f, -1e8f};
  float fsum;
  reduceSum<float>(1, 3, 1, f, &fsum);
  EXPECT_EQ(fsum, 0.0f);
}

} // namespace
