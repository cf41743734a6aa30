//===- FixedPointTest.cpp - requantization arithmetic ---------------------===//
//
// Checks the runtime's rounding arithmetic two ways:
//  * against an exact 128-bit statement of TFLite's definition (a rounding
//    doubling high multiply, ties toward +inf, then a rounding right shift,
//    ties away from zero);
//  * against the TOSA specification's apply_scale_32 with DOUBLE_ROUND and
//    shift 31 - exponent, which is how the importer writes requantization.
//    Their agreement is what makes imported IR and runtime kernels compute
//    the same bits;
//  * the prepared right-shift form kernels use in their hot loops
//    (applyRightShiftMultiplier) against multiplyByQuantizedMultiplier over
//    the whole int32 range of accumulators, every right shift from 1 to 31
//    and multipliers from 0 to INT32_MAX, ties included.
//
//===----------------------------------------------------------------------===//

#include "tinyprune/rt/fixedpoint.h"
#include "tinyprune/rt/quant_params.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <random>

using namespace tinyprune::rt;

namespace {

constexpr int32_t kHalf = 1 << 30;

/// floor(a / 2^n) for 128-bit a.
__int128 floorDivPow2(__int128 a, int n) {
  __int128 d = static_cast<__int128>(1) << n;
  __int128 q = a / d;
  if ((a % d) != 0 && a < 0)
    --q;
  return q;
}

/// TFLite's MultiplyByQuantizedMultiplier, stated exactly in 128 bits.
int32_t referenceMultiply(int32_t x, int32_t m, int shift) {
  __int128 a =
      static_cast<__int128>(x) * (shift > 0 ? (int64_t(1) << shift) : 1);
  // High product: ties toward +infinity.
  __int128 high = floorDivPow2(a * m + (static_cast<__int128>(1) << 30), 31);
  if (shift >= 0)
    return static_cast<int32_t>(high);
  // Right shift: ties away from zero.
  int n = -shift;
  __int128 d = static_cast<__int128>(1) << n;
  __int128 mag = high < 0 ? -high : high;
  __int128 q = (mag + d / 2) / d;
  return static_cast<int32_t>(high < 0 ? -q : q);
}

/// The TOSA specification's apply_scale_32.
int32_t tosaApplyScale32(int32_t value, int32_t multiplier, int shift,
                         bool doubleRound) {
  int64_t round = int64_t(1) << (shift - 1);
  if (doubleRound && shift > 31) {
    if (value >= 0)
      round += int64_t(1) << 30;
    else
      round -= int64_t(1) << 30;
  }
  int64_t result = static_cast<int64_t>(value) * multiplier + round;
  return static_cast<int32_t>(result >> shift);
}

TEST(FixedPoint, HighMulEdgeCases) {
  EXPECT_EQ(saturatingRoundingDoublingHighMul(INT32_MIN, INT32_MIN), INT32_MAX);
  EXPECT_EQ(saturatingRoundingDoublingHighMul(1 << 30, 1 << 30), 1 << 29);
  // -0.5 ulp rounds up to 0; +0.5 ulp rounds up to 1.
  EXPECT_EQ(saturatingRoundingDoublingHighMul(-(1 << 30), 1), 0);
  EXPECT_EQ(saturatingRoundingDoublingHighMul(1 << 30, 1), 1);
}

TEST(FixedPoint, RoundingDivideTiesAwayFromZero) {
  EXPECT_EQ(roundingDivideByPOT(5, 1), 3);
  EXPECT_EQ(roundingDivideByPOT(-5, 1), -3);
  EXPECT_EQ(roundingDivideByPOT(6, 2), 2);
  EXPECT_EQ(roundingDivideByPOT(-6, 2), -2);
  EXPECT_EQ(roundingDivideByPOT(7, 0), 7);
  EXPECT_EQ(roundingDivideByPOT(INT32_MIN, 31), -1);
}

TEST(FixedPoint, MatchesExactDefinition) {
  std::mt19937 rng(42);
  std::uniform_int_distribution<int32_t> acc(-(1 << 24), 1 << 24);
  std::uniform_int_distribution<int32_t> mant(1 << 30, INT32_MAX);
  std::uniform_int_distribution<int> exp(-20, 3);
  for (int i = 0; i < 200000; ++i) {
    int32_t x = acc(rng), m = mant(rng);
    int e = exp(rng);
    if (e > 0)
      x >>= 4; // Keep x * 2^e inside int32, as TFLite requires.
    ASSERT_EQ(multiplyByQuantizedMultiplier(x, m, e),
              referenceMultiply(x, m, e))
        << "x=" << x << " m=" << m << " e=" << e;
  }
}

TEST(FixedPoint, MatchesTosaDoubleRoundRescale) {
  std::mt19937 rng(7);
  std::uniform_int_distribution<int32_t> acc(-(1 << 24), 1 << 24);
  std::uniform_real_distribution<double> scale(-14.0, 2.0);
  for (int i = 0; i < 200000; ++i) {
    int32_t x = acc(rng);
    QuantizedMultiplier qm = quantizeMultiplier(std::exp2(scale(rng)));
    if (qm.exponent > 0)
      x >>= 4;
    int shift = tosaShift(qm);
    ASSERT_GE(shift, 2);
    ASSERT_EQ(multiplyByQuantizedMultiplier(x, qm.multiplier, qm.exponent),
              tosaApplyScale32(x, qm.multiplier, shift, /*doubleRound=*/true))
        << "x=" << x << " m=" << qm.multiplier << " e=" << qm.exponent;
  }
}

TEST(FixedPoint, PreparedRightShiftMatches) {
  EXPECT_FALSE(isRightShiftMultiplier(kHalf, 0));
  EXPECT_FALSE(isRightShiftMultiplier(kHalf, 1));
  EXPECT_FALSE(isRightShiftMultiplier(kHalf, -32));
  EXPECT_FALSE(isRightShiftMultiplier(-1, -3));
  EXPECT_TRUE(isRightShiftMultiplier(0, -31));
  // A zero multiplier (TFLite's flush of tiny scales) takes any shift.
  EXPECT_TRUE(isRightShiftMultiplier(0, 0));
  EXPECT_TRUE(isRightShiftMultiplier(0, 5));
  for (int32_t x : {INT32_MIN, -1, 0, 1, INT32_MAX})
    for (int s : {-31, -1, 0, 7})
      EXPECT_EQ(applyRightShiftMultiplier(x, prepareRightShiftMultiplier(0, s)),
                0);
  std::mt19937 rng(11);
  std::uniform_int_distribution<int32_t> any(INT32_MIN, INT32_MAX);
  std::uniform_int_distribution<int32_t> small(-(1 << 20), 1 << 20);
  std::uniform_int_distribution<int32_t> mant(0, INT32_MAX);
  const int32_t edgeX[] = {
      INT32_MIN, INT32_MIN + 1, -(1 << 30) - 1, -(1 << 30), -1, 0,
      1,         1 << 30,       INT32_MAX - 1,  INT32_MAX};
  const int32_t edgeM[] = {0, 1, kHalf, kHalf + 1, INT32_MAX};
  for (int n = 1; n <= 31; ++n) {
    for (int32_t m : edgeM)
      for (int32_t x : edgeX) {
        const RightShiftMultiplier q = prepareRightShiftMultiplier(m, -n);
        ASSERT_EQ(applyRightShiftMultiplier(x, q),
                  multiplyByQuantizedMultiplier(x, m, -n))
            << "x=" << x << " m=" << m << " n=" << n;
      }
    for (int i = 0; i < 20000; ++i) {
      // Any accumulator, small ones, and (with m = 2^30, x0.5) exact ties
      // of the final rounding: x / 2 = (2k + 1) * 2^(n-1).
      const int kind = i % 4;
      const int32_t m = kind < 2 ? mant(rng) : kHalf;
      int32_t x = kind == 0 ? any(rng) : small(rng);
      if (kind == 3 && n < 30)
        x = static_cast<int32_t>((2 * int64_t(x >> n) + 1) * (int64_t(1) << n));
      const RightShiftMultiplier q = prepareRightShiftMultiplier(m, -n);
      ASSERT_EQ(applyRightShiftMultiplier(x, q),
                multiplyByQuantizedMultiplier(x, m, -n))
          << "x=" << x << " m=" << m << " n=" << n;
    }
  }
}

} // namespace
