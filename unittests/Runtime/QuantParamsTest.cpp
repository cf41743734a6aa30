//===- QuantParamsTest.cpp - prepare-time quantization arithmetic ---------===//
//
// TFLite's QuantizeMultiplier and activation ranges, on the values where
// they are easy to get wrong: exact powers of two, mantissas that round up
// to 2^31, tiny multipliers that flush to zero, and fused-activation clamps.
//
//===----------------------------------------------------------------------===//

#include "tinyprune/rt/quant_params.h"

#include <gtest/gtest.h>

#include <cmath>

using namespace tinyprune::rt;

namespace {

/// The real value a quantized multiplier stands for.
double realOf(const QuantizedMultiplier &m) {
  return std::ldexp(static_cast<double>(m.multiplier), m.exponent - 31);
}

TEST(QuantizeMultiplier, Zero) {
  QuantizedMultiplier m = quantizeMultiplier(0.0);
  EXPECT_EQ(m.multiplier, 0);
  EXPECT_EQ(m.exponent, 0);
}

TEST(QuantizeMultiplier, PowersOfTwo) {
  // 0.5 = 2^30 * 2^(0 - 31): mantissa 0.5, exponent 0.
  QuantizedMultiplier half = quantizeMultiplier(0.5);
  EXPECT_EQ(half.multiplier, 1 << 30);
  EXPECT_EQ(half.exponent, 0);
  QuantizedMultiplier one = quantizeMultiplier(1.0);
  EXPECT_EQ(one.multiplier, 1 << 30);
  EXPECT_EQ(one.exponent, 1);
  QuantizedMultiplier small = quantizeMultiplier(std::ldexp(1.0, -20));
  EXPECT_EQ(small.multiplier, 1 << 30);
  EXPECT_EQ(small.exponent, -19);
  EXPECT_EQ(tosaShift(small), 50);
}

TEST(QuantizeMultiplier, KnownValue) {
  // 0.02 = 0.64 * 2^-5 and round(0.64 * 2^31) = round(1374389534.72).
  QuantizedMultiplier m = quantizeMultiplier(0.02);
  EXPECT_EQ(m.multiplier, 1374389535);
  EXPECT_EQ(m.exponent, -5);
  EXPECT_EQ(tosaShift(m), 36);
}

TEST(QuantizeMultiplier, MantissaRoundingUpToTwoPow31) {
  // Just below 1.0: the mantissa rounds to 2^31, which is halved and the
  // exponent bumped, as TFLite does.
  double almostOne = 1.0 - std::ldexp(1.0, -40);
  QuantizedMultiplier m = quantizeMultiplier(almostOne);
  EXPECT_EQ(m.multiplier, 1 << 30);
  EXPECT_EQ(m.exponent, 1);
}

TEST(QuantizeMultiplier, TinyFlushesToZero) {
  QuantizedMultiplier m = quantizeMultiplier(std::ldexp(1.0, -40));
  EXPECT_EQ(m.multiplier, 0);
  EXPECT_EQ(m.exponent, 0);
}

TEST(QuantizeMultiplier, RelativeErrorBelowQ31Resolution) {
  for (double v = 1e-6; v < 100.0; v *= 1.37) {
    QuantizedMultiplier m = quantizeMultiplier(v);
    EXPECT_GE(m.multiplier, 1 << 30) << v;
    EXPECT_NEAR(realOf(m) / v, 1.0, std::ldexp(1.0, -30)) << v;
  }
}

TEST(ActivationRange, ReluFamily) {
  // int8, scale 0.25, zero point 1.
  ActivationRange none = activationRange(Activation::None, 0.25f, 1, -128, 127);
  EXPECT_EQ(none.min, -128);
  EXPECT_EQ(none.max, 127);
  ActivationRange relu = activationRange(Activation::Relu, 0.25f, 1, -128, 127);
  EXPECT_EQ(relu.min, 1);
  EXPECT_EQ(relu.max, 127);
  ActivationRange relu6 =
      activationRange(Activation::Relu6, 0.25f, 1, -128, 127);
  EXPECT_EQ(relu6.min, 1);
  EXPECT_EQ(relu6.max, 25);
  ActivationRange n1to1 =
      activationRange(Activation::ReluN1To1, 0.25f, 1, -128, 127);
  EXPECT_EQ(n1to1.min, -3);
  EXPECT_EQ(n1to1.max, 5);
}

TEST(ActivationRange, SaturatesAtTypeLimits) {
  // Zero point -128: RELU's lower bound is the type's minimum; a coarse
  // scale puts 6.0 beyond 127.
  ActivationRange r =
      activationRange(Activation::Relu6, 0.01f, -128, -128, 127);
  EXPECT_EQ(r.min, -128);
  EXPECT_EQ(r.max, 127);
}

TEST(ActivationRange, HostileScalesSaturate) {
  // 6 / 1e-11 overflows int32 (undefined as a conversion): it saturates,
  // and the bound stays the type's limit; a zero or NaN scale neither.
  ActivationRange tiny =
      activationRange(Activation::Relu6, 1e-11f, 3, -128, 127);
  EXPECT_EQ(tiny.min, 3);
  EXPECT_EQ(tiny.max, 127);
  ActivationRange below =
      activationRange(Activation::ReluN1To1, 1e-11f, 0, -128, 127);
  EXPECT_EQ(below.min, -128);
  EXPECT_EQ(below.max, 127);
  ActivationRange zero = activationRange(Activation::Relu6, 0.0f, 0, -128, 127);
  EXPECT_EQ(zero.max, 127);
  ActivationRange nan =
      activationRange(Activation::Relu, std::nanf(""), 5, -128, 127);
  EXPECT_EQ(nan.min, 5);
}

TEST(ActivationRange, RoundsHalfAwayFromZero) {
  // 6 / 0.8 = 7.5 -> 8 (std::round), not 7 (banker's rounding).
  ActivationRange r = activationRange(Activation::Relu6, 0.8f, 0, -128, 127);
  EXPECT_EQ(r.max, 8);
}

} // namespace
