//===- ActivationsTest.cpp - int8 logistic, tanh and hard swish -----------===//
//
// Checks activations.h (and the fixed-point functions of fixed_math.h
// underneath) four ways:
//  * prepare-time constants against hand computation of TFLite's formulas;
//  * hand-computed points (zero, saturation, symmetry);
//  * every one of the 256 int8 inputs, for thousands of random input/output
//    quantizations, within one output step of the real function;
//  * golden bytes from an independent Python model (see the Golden tests).
//
// What is and is not proven: the ±1-step checks show the kernels compute
// the right functions; only the golden bytes pin the exact rounding, and
// they come from our own exact-integer Python transcription of TFLite's
// reference kernels and gemmlowp, not from running TFLite. During
// development the same model matched these kernels on all 256 inputs for
// over 2000 random parameter sets per kernel.
//
//===----------------------------------------------------------------------===//

#include "tinyprune/rt/activations.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <random>
#include <vector>

using namespace tinyprune::rt;

namespace {

/// The 32 inputs -128, -120, ..., 120 used by the golden tables.
std::vector<int8_t> strided() {
  std::vector<int8_t> v;
  for (int q = -128; q < 128; q += 8)
    v.push_back(static_cast<int8_t>(q));
  return v;
}

/// All 256 int8 values in increasing order.
std::vector<int8_t> allInt8() {
  std::vector<int8_t> v;
  for (int q = -128; q < 128; ++q)
    v.push_back(static_cast<int8_t>(q));
  return v;
}

std::vector<int8_t> logistic(float scale, int32_t zp,
                             const std::vector<int8_t> &in) {
  std::vector<int8_t> out(in.size());
  logisticInt8(prepareLogisticInt8(scale, zp), static_cast<int32_t>(in.size()),
               in.data(), out.data());
  return out;
}

std::vector<int8_t> tanhOf(float scale, int32_t zp,
                           const std::vector<int8_t> &in) {
  std::vector<int8_t> out(in.size());
  tanhInt8(prepareTanhInt8(scale, zp), static_cast<int32_t>(in.size()),
           in.data(), out.data());
  return out;
}

std::vector<int8_t> hardSwish(float inScale, int32_t inZp, float outScale,
                              int32_t outZp, const std::vector<int8_t> &in) {
  std::vector<int8_t> out(in.size());
  hardSwishInt8(prepareHardSwishInt8(inScale, inZp, outScale, outZp),
                static_cast<int32_t>(in.size()), in.data(), out.data());
  return out;
}

long clampInt8(long v) { return v < -128 ? -128 : (v > 127 ? 127 : v); }

//===----------------------------------------------------------------------===//
// Prepare
//===----------------------------------------------------------------------===//

TEST(Activations, SigmoidPrepareMatchesTfliteFormulas) {
  // 1/16 * 2^27 = 2^23 = 0.5 * 2^24: multiplier 2^30, left shift 24, and
  // radius floor(15 * 2^27 / 2^24) = 120.
  LogisticInt8Params p = prepareLogisticInt8(0.0625f, 7);
  EXPECT_EQ(p.inputZeroPoint, 7);
  EXPECT_EQ(p.inputMultiplier, 1 << 30);
  EXPECT_EQ(p.inputLeftShift, 24);
  EXPECT_EQ(p.inputRangeRadius, 120);

  // 0.1f * 2^27 = 13421773 = 0.8000000119 * 2^24.
  TanhInt8Params t = prepareTanhInt8(0.1f, -3);
  EXPECT_EQ(t.inputZeroPoint, -3);
  EXPECT_EQ(t.inputMultiplier, 1717986944);
  EXPECT_EQ(t.inputLeftShift, 24);
  EXPECT_EQ(t.inputRangeRadius, 120);

  // A coarser scale shrinks the radius: 0.5 * 2^27 = 0.5 * 2^27 gives shift
  // 27 and radius floor(15 * 2^27 / 2^27) = 15 steps, i.e. |x| < 7.5 (the
  // bound assumes the worst-case mantissa of 1, so it is conservative).
  EXPECT_EQ(prepareLogisticInt8(0.5f, 0).inputRangeRadius, 15);
}

TEST(Activations, HardSwishPrepareMatchesTfliteFormulas) {
  // hires = 0.05 / 128; hires / 0.03 = 0.8333 * 2^-6 -> Q0.15 27307;
  // hires / (3 / 32768) = 0.5333 * 2^3 -> Q0.15 17476.
  HardSwishInt8Params p = prepareHardSwishInt8(0.05f, -20, 0.03f, -110);
  EXPECT_EQ(p.inputZeroPoint, -20);
  EXPECT_EQ(p.outputZeroPoint, -110);
  EXPECT_EQ(p.outputMultiplierFixedpointInt16, 27307);
  EXPECT_EQ(p.outputMultiplierExponent, -6);
  EXPECT_EQ(p.reluishMultiplierFixedpointInt16, 17476);
  EXPECT_EQ(p.reluishMultiplierExponent, 3);
  EXPECT_TRUE(hardSwishInt8Supported(p));
  // An output scale below input scale / 128 needs a left shift, which
  // TFLite rejects.
  EXPECT_FALSE(
      hardSwishInt8Supported(prepareHardSwishInt8(1.0f, 0, 0.001f, 0)));
}

//===----------------------------------------------------------------------===//
// Hand-computed points
//===----------------------------------------------------------------------===//

TEST(Activations, LogisticHandComputed) {
  // logistic(0) = 1/2 exactly: 128 steps of 1/256 above -128.
  EXPECT_EQ(logistic(0.1f, 3, {3}), std::vector<int8_t>({0}));
  // At and beyond the radius (120 steps for 0.1f) the kernel saturates
  // without evaluating: zp +- 120 -> 127 / -128.
  EXPECT_EQ(logistic(0.1f, 0, {120, -120, 127, -128}),
            std::vector<int8_t>({127, -128, 127, -128}));
  // logistic(x) + logistic(-x) = 1: output steps mirror around 0 (to within
  // the one rounding), e.g. at +-1.0.
  const std::vector<int8_t> pm = logistic(0.1f, 0, {10, -10});
  EXPECT_NEAR(pm[0] + 128 + pm[1] + 128, 256, 1);
  // logistic(1.0) = 0.7311 -> round(187.16) - 128 = 59.
  EXPECT_EQ(pm[0], 59);
}

TEST(Activations, TanhHandComputed) {
  EXPECT_EQ(tanhOf(0.1f, -3, {-3}), std::vector<int8_t>({0}));
  EXPECT_EQ(tanhOf(0.1f, 0, {120, -120}), std::vector<int8_t>({127, -128}));
  // tanh(0.5) = 0.4621 -> round(59.15) = 59; odd symmetry.
  EXPECT_EQ(tanhOf(0.05f, 0, {10, -10}), std::vector<int8_t>({59, -59}));
}

TEST(Activations, HardSwishHandComputed) {
  // Input scale 0.1, zp 0; output scale 0.05, zp -100.
  //  x = -4 (q -40): 0          -> -100
  //  x =  0 (q 0):   0          -> -100
  //  x =  3 (q 30):  3 * 6/6 = 3 -> 60 steps -> -40
  //  x =  5 (q 50):  5           -> 100 steps -> 0
  //  x = -1.5:       -1.5 * 1.5 / 6 = -0.375 -> -7.5 steps -> -107/-108
  const std::vector<int8_t> y =
      hardSwish(0.1f, 0, 0.05f, -100, {-40, 0, 30, 50, -15});
  EXPECT_EQ(y[0], -100);
  EXPECT_EQ(y[1], -100);
  EXPECT_EQ(y[2], -40);
  EXPECT_EQ(y[3], 0);
  EXPECT_NEAR(y[4], -107.5, 0.5);
}

//===----------------------------------------------------------------------===//
// Exhaustive over the 256 inputs, against the real functions
//===----------------------------------------------------------------------===//

TEST(Activations, LogisticWithinOneStepForAllInputs) {
  std::mt19937 rng(3);
  std::uniform_real_distribution<float> logScale(-9.0f, 1.0f);
  std::uniform_int_distribution<int> zpDist(-128, 127);
  const std::vector<int8_t> in = allInt8();
  for (int trial = 0; trial < 2000; ++trial) {
    const float scale = std::exp2(logScale(rng));
    const int32_t zp = zpDist(rng);
    const std::vector<int8_t> out = logistic(scale, zp, in);
    for (int i = 0; i < 256; ++i) {
      const double x = double(scale) * (in[i] - zp);
      const long expected =
          clampInt8(std::lround(256.0 / (1.0 + std::exp(-x))) - 128);
      ASSERT_LE(std::abs(out[i] - expected), 1)
          << "scale=" << scale << " zp=" << zp << " q=" << int(in[i]);
    }
  }
}

TEST(Activations, TanhWithinOneStepForAllInputs) {
  std::mt19937 rng(4);
  std::uniform_real_distribution<float> logScale(-9.0f, 1.0f);
  std::uniform_int_distribution<int> zpDist(-128, 127);
  const std::vector<int8_t> in = allInt8();
  for (int trial = 0; trial < 2000; ++trial) {
    const float scale = std::exp2(logScale(rng));
    const int32_t zp = zpDist(rng);
    const std::vector<int8_t> out = tanhOf(scale, zp, in);
    for (int i = 0; i < 256; ++i) {
      const double x = double(scale) * (in[i] - zp);
      const long expected = clampInt8(std::lround(128.0 * std::tanh(x)));
      ASSERT_LE(std::abs(out[i] - expected), 1)
          << "scale=" << scale << " zp=" << zp << " q=" << int(in[i]);
    }
  }
}

TEST(Activations, HardSwishWithinOneStepForAllInputs) {
  std::mt19937 rng(5);
  std::uniform_real_distribution<float> logScale(-9.0f, 1.0f);
  std::uniform_int_distribution<int> zpDist(-128, 127);
  const std::vector<int8_t> in = allInt8();
  int checked = 0;
  for (int trial = 0; trial < 4000; ++trial) {
    const float inScale = std::exp2(logScale(rng));
    const float outScale = std::exp2(logScale(rng));
    const int32_t inZp = zpDist(rng), outZp = zpDist(rng);
    if (!hardSwishInt8Supported(
            prepareHardSwishInt8(inScale, inZp, outScale, outZp)))
      continue;
    ++checked;
    const std::vector<int8_t> out =
        hardSwish(inScale, inZp, outScale, outZp, in);
    for (int i = 0; i < 256; ++i) {
      const double x = double(inScale) * (in[i] - inZp);
      const double real = x * std::min(6.0, std::max(0.0, x + 3.0)) / 6.0;
      const long expected = clampInt8(std::lround(real / outScale) + outZp);
      ASSERT_LE(std::abs(out[i] - expected), 1)
          << "in " << inScale << "/" << inZp << " out " << outScale << "/"
          << outZp << " q=" << int(in[i]);
    }
  }
  EXPECT_GT(checked, 1000);
}

//===----------------------------------------------------------------------===//
// Golden bytes
//===----------------------------------------------------------------------===//

// Expected outputs for inputs -128, -120, ..., 120, computed by an
// independent Python model of TFLite's reference kernels: exact-integer
// gemmlowp primitives (rounding doubling high multiply, rounding divide by
// power of two, saturating Rescale, exp_on_negative_values, the Newton
// reciprocals, logistic, tanh; int16 variants for hard swish) and the
// Prepare arithmetic with float32 emulated via struct packing.

TEST(Activations, LogisticGoldenFromPythonModel) {
  EXPECT_EQ(
      logistic(0.1f, 3, strided()),
      std::vector<int8_t>({-128, -128, -128, -128, -128, -128, -128, -128,
                           -128, -127, -126, -125, -120, -112, -95,  -64,
                           -19,  31,   73,   100,  115,  122,  125,  127,
                           127,  127,  127,  127,  127,  127,  127,  127}));
  EXPECT_EQ(logistic(0.02f, -128, strided()),
            std::vector<int8_t>({0,   10,  20,  30,  40,  49,  57,  65,
                                 72,  79,  85,  90,  95,  100, 103, 107,
                                 110, 112, 114, 116, 118, 119, 121, 122,
                                 123, 123, 124, 125, 125, 126, 126, 126}));
}

TEST(Activations, TanhGoldenFromPythonModel) {
  EXPECT_EQ(
      tanhOf(0.05f, -10, strided()),
      std::vector<int8_t>({-128, -128, -128, -128, -128, -128, -128, -127,
                           -127, -125, -122, -116, -102, -77,  -37,  13,
                           59,   92,   110,  120,  124,  126,  127,  127,
                           127,  127,  127,  127,  127,  127,  127,  127}));
  EXPECT_EQ(
      tanhOf(0.2f, 0, strided()),
      std::vector<int8_t>({-128, -128, -128, -128, -128, -128, -128, -128,
                           -128, -128, -128, -128, -128, -128, -128, -118,
                           0,    118,  127,  127,  127,  127,  127,  127,
                           127,  127,  127,  127,  127,  127,  127,  127}));
}

TEST(Activations, HardSwishGoldenFromPythonModel) {
  EXPECT_EQ(
      hardSwish(0.05f, -20, 0.03f, -110, strided()),
      std::vector<int8_t>({-110, -110, -110, -110, -110, -110, -110, -116,
                           -120, -122, -122, -121, -118, -113, -106, -98,
                           -88,  -76,  -62,  -46,  -29,  -10,  3,    17,
                           30,   43,   57,   70,   83,   97,   110,  123}));
  EXPECT_EQ(hardSwish(0.1f, 5, 0.08f, -90, strided()),
            std::vector<int8_t>({-90, -90, -90, -90, -90, -90, -90, -90,
                                 -90, -90, -90, -90, -90, -91, -94, -95,
                                 -93, -88, -81, -71, -58, -46, -36, -26,
                                 -16, -6,  4,   14,  24,  34,  44,  54}));
}

//===----------------------------------------------------------------------===//
// Fixed-point building blocks
//===----------------------------------------------------------------------===//

TEST(Activations, FixedPointFunctionsTrackLibm) {
  using namespace tinyprune::rt::fx;
  // Over a fine grid, the Q0.31 results stay within a few ulps of 2^-31 *
  // 2^9 (about 2.4e-7) of the real values: enough that only the final
  // rounding to 8 bits decides int8 outputs.
  for (int i = -4000; i <= 4000; ++i) {
    const double x = i / 256.0; // [-15.6, 15.6], exactly representable
    const Fixed<4> a = Fixed<4>::fromRaw(static_cast<int32_t>(x * (1 << 27)));
    EXPECT_NEAR(logistic(a).raw / 2147483648.0, 1.0 / (1.0 + std::exp(-x)),
                1e-6)
        << x;
    EXPECT_NEAR(tanh(a).raw / 2147483648.0, std::tanh(x), 1e-6) << x;
    if (x <= 0) {
      EXPECT_NEAR(expOnNegativeValues(a).raw / 2147483648.0, std::exp(x), 1e-6)
          << x;
    }
  }
  for (int i = 0; i < 1024; ++i) {
    const double x = i / 1024.0;
    const Fixed<0> a =
        Fixed<0>::fromRaw(static_cast<int32_t>(x * 2147483648.0));
    EXPECT_NEAR(oneOverOnePlusX(a).raw / 2147483648.0, 1.0 / (1.0 + x), 1e-6);
  }
}

} // namespace
