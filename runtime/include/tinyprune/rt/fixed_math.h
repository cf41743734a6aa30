//===- fixed_math.h - Fixed-point exp, logistic and tanh ------*- C++ -*-===//
//
// The fixed-point transcendental functions that TFLite's int8 softmax,
// logistic and tanh kernels evaluate. TFLite takes them from gemmlowp's
// `fixedpoint.h`; reproducing TFLite's output bytes means reproducing those
// approximations operation for operation -- the same Taylor polynomial, the
// same Newton-Raphson reciprocal, the same constants, and the same rounding
// and saturation at every step -- because one ulp of difference in an
// intermediate can move a rounded int8 result.
//
// Values are Q-format numbers held in an int32: `Fixed<I>` has `I` integer
// bits and `31 - I` fraction bits, so it covers [-2^I, 2^I). Multiplying a
// `Fixed<A>` by a `Fixed<B>` gives a `Fixed<A + B>` (a rounding doubling high
// multiply of the raw values); changing the number of integer bits is an
// explicit `rescale`. The type only exists to keep the binary points of the
// polynomial straight; it compiles to plain int32 arithmetic.
//
// Where gemmlowp relies on signed overflow never happening, these helpers
// compute in unsigned arithmetic (wrap-around): identical results whenever
// gemmlowp's are defined, and no undefined behaviour otherwise.
//
// Also here: the 16-bit variants of the rounding primitives that TFLite's
// int8 hard swish uses.
//
// Runs on the device: portable C++17, no libm, no exceptions, no heap. The
// one host-side helper (inputRadius, used by prepare functions) is compiled
// out when TINYPRUNE_RT_DEVICE_ONLY is defined.
//
//===----------------------------------------------------------------------===//

#ifndef TINYPRUNE_RT_FIXED_MATH_H
#define TINYPRUNE_RT_FIXED_MATH_H

#include "tinyprune/rt/fixedpoint.h"

#include <cstdint>

#ifndef TINYPRUNE_RT_DEVICE_ONLY
#include <cmath>
#endif

namespace tinyprune {
namespace rt {
namespace fx {

//===----------------------------------------------------------------------===//
// Raw int32 helpers
//===----------------------------------------------------------------------===//

/// `a + b` modulo 2^32.
inline int32_t wrappingAdd(int32_t a, int32_t b) {
  return static_cast<int32_t>(static_cast<uint32_t>(a) +
                              static_cast<uint32_t>(b));
}

/// `a - b` modulo 2^32.
inline int32_t wrappingSub(int32_t a, int32_t b) {
  return static_cast<int32_t>(static_cast<uint32_t>(a) -
                              static_cast<uint32_t>(b));
}

/// `-a` modulo 2^32 (so `-INT32_MIN == INT32_MIN`).
inline int32_t wrappingNeg(int32_t a) {
  return static_cast<int32_t>(0u - static_cast<uint32_t>(a));
}

/// `x * 2^Exponent` for a compile-time exponent, gemmlowp's
/// SaturatingRoundingMultiplyByPOT: a left shift that saturates to the int32
/// range for `Exponent > 0`, a rounding right shift (ties away from zero) for
/// `Exponent < 0`.
template <int Exponent> inline int32_t scaleByPowerOfTwo(int32_t x) {
  if constexpr (Exponent == 0) {
    return x;
  } else if constexpr (Exponent > 0) {
    static_assert(Exponent < 31, "shift out of range");
    // gemmlowp saturates anything whose magnitude exceeds this limit; the one
    // value it sends to INT32_MIN without strictly needing to, -2^(31-E), is
    // exactly INT32_MIN after the shift anyway.
    constexpr int32_t kLimit = (int32_t(1) << (31 - Exponent)) - 1;
    if (x > kLimit)
      return INT32_MAX;
    if (x < -kLimit)
      return INT32_MIN;
    return static_cast<int32_t>(static_cast<uint32_t>(x) << Exponent);
  } else {
    static_assert(Exponent > -32, "shift out of range");
    return roundingDivideByPOT(x, -Exponent);
  }
}

//===----------------------------------------------------------------------===//
// Fixed<I>
//===----------------------------------------------------------------------===//

/// A signed fixed-point number with `IntegerBits` integer bits and
/// `31 - IntegerBits` fraction bits in an int32.
template <int IntegerBits> struct Fixed {
  static_assert(IntegerBits >= 0 && IntegerBits < 32, "bad integer bits");
  static constexpr int kIntegerBits = IntegerBits;
  static constexpr int kFractionalBits = 31 - IntegerBits;

  int32_t raw;

  static constexpr Fixed fromRaw(int32_t r) { return Fixed{r}; }
  static constexpr Fixed zero() { return Fixed{0}; }

  /// 1.0; in Q0.31, where 1.0 is out of range, the largest value below it.
  static constexpr Fixed one() {
    return Fixed{IntegerBits == 0
                     ? INT32_MAX
                     : int32_t(1) << (IntegerBits == 0 ? 0 : kFractionalBits)};
  }

  /// The exactly representable constant 2^Exponent.
  template <int Exponent> static constexpr Fixed powerOfTwo() {
    static_assert(kFractionalBits + Exponent >= 0 &&
                      kFractionalBits + Exponent < 31,
                  "2^Exponent not representable in this format");
    return Fixed{int32_t(1) << (kFractionalBits + Exponent)};
  }
};

template <int I> inline Fixed<I> operator+(Fixed<I> a, Fixed<I> b) {
  return Fixed<I>{wrappingAdd(a.raw, b.raw)};
}

template <int I> inline Fixed<I> operator-(Fixed<I> a, Fixed<I> b) {
  return Fixed<I>{wrappingSub(a.raw, b.raw)};
}

template <int I> inline Fixed<I> operator-(Fixed<I> a) {
  return Fixed<I>{wrappingNeg(a.raw)};
}

/// Fixed-point product: the integer bits add up, the raw values go through
/// the rounding doubling high multiply (ties toward +infinity, -1 * -1
/// saturating in Q0.31).
template <int A, int B> inline Fixed<A + B> operator*(Fixed<A> a, Fixed<B> b) {
  return Fixed<A + B>{saturatingRoundingDoublingHighMul(a.raw, b.raw)};
}

/// Reinterprets the raw value with `Exponent` more integer bits: an exact
/// multiplication by 2^Exponent.
template <int Exponent, int I>
inline Fixed<I + Exponent> exactMulByPowerOfTwo(Fixed<I> a) {
  return Fixed<I + Exponent>{a.raw};
}

/// The same value with `To` integer bits, rounding when bits are dropped and
/// saturating when the value does not fit (gemmlowp's Rescale).
template <int To, int From> inline Fixed<To> rescale(Fixed<From> a) {
  return Fixed<To>{scaleByPowerOfTwo<From - To>(a.raw)};
}

/// `(a + b) / 2` rounded to nearest, ties away from zero (VRHADD).
template <int I> inline Fixed<I> roundingHalfSum(Fixed<I> a, Fixed<I> b) {
  const int64_t sum = static_cast<int64_t>(a.raw) + b.raw;
  // C++ division truncates, so adding the sign first rounds ties outward.
  return Fixed<I>{static_cast<int32_t>((sum + (sum >= 0 ? 1 : -1)) / 2)};
}

//===----------------------------------------------------------------------===//
// exp
//===----------------------------------------------------------------------===//

/// `exp(a)` for `a` in [-1/4, 0): a degree-4 Taylor expansion around -1/8.
/// The constants are exp(-1/8) and 1/3 in Q0.31.
inline Fixed<0> expOnMinusQuarterToZero(Fixed<0> a) {
  using F0 = Fixed<0>;
  const F0 kExpMinusOneEighth = F0::fromRaw(1895147668);
  const F0 kOneThird = F0::fromRaw(715827883);
  // Expand around -1/8: x = a + 1/8 lies in [-1/8, 1/8).
  const F0 x = a + F0::powerOfTwo<-3>();
  const F0 x2 = x * x;
  const F0 x3 = x2 * x;
  const F0 x4 = x2 * x2;
  const F0 x4Over4 = F0::fromRaw(scaleByPowerOfTwo<-2>(x4.raw));
  // (x^4/4 + x^3) / 3 + x^2, halved: x^4/24 + x^3/6 + x^2/2.
  const F0 higherTerms =
      F0::fromRaw(scaleByPowerOfTwo<-1>(((x4Over4 + x3) * kOneThird + x2).raw));
  return kExpMinusOneEighth + kExpMinusOneEighth * (x + higherTerms);
}

/// `exp(a)` for `a <= 0`, result in Q0.31 (exp(0) gives the largest Q0.31
/// value). `a` is split into a multiple of 1/4 and a remainder in [-1/4, 0):
/// the remainder goes through the polynomial, and each set bit of the
/// multiple multiplies in a tabulated exp(-2^k) ("barrel shifter").
template <int I> inline Fixed<0> expOnNegativeValues(Fixed<I> a) {
  using F0 = Fixed<0>;
  constexpr int kFrac = Fixed<I>::kFractionalBits;
  static_assert(kFrac >= 2, "need room for 1/4");
  const int32_t quarter = int32_t(1) << (kFrac - 2);

  // (a mod 1/4) - 1/4, in [-1/4, 0).
  const int32_t inInterval = wrappingSub(a.raw & (quarter - 1), quarter);
  F0 result =
      expOnMinusQuarterToZero(rescale<0>(Fixed<I>::fromRaw(inInterval)));
  // What is left to exponentiate: a non-negative multiple of 1/4 equal to
  // inInterval - a.
  const int32_t remainder = wrappingSub(inInterval, a.raw);

  // exp(-2^k) in Q0.31 for k = -2 .. 4.
  static constexpr int32_t kExpMinusPowerOfTwo[7] = {
      1672461947, 1302514674, 790015084, 290630308, 39332535, 720401, 242};
  for (int k = -2; k <= 4; ++k) {
    // Only bits the format actually has: gemmlowp stops at 2^(I-1).
    if (I > k && ((static_cast<uint32_t>(remainder) >> (kFrac + k)) & 1u))
      result = result * F0::fromRaw(kExpMinusPowerOfTwo[k + 2]);
  }

  // Formats that reach below -32 flush to zero there (exp(-32) < 2^-31).
  if constexpr (I > 5) {
    constexpr int32_t kMinusThirtyTwo = -(int32_t(1) << (36 - I));
    if (a.raw < kMinusThirtyTwo)
      result = F0::zero();
  }
  if (a.raw == 0)
    result = F0::one();
  return result;
}

//===----------------------------------------------------------------------===//
// Reciprocals
//===----------------------------------------------------------------------===//

/// Three Newton-Raphson steps towards 1 / d for d = `halfDenominator` in
/// [1/2, 1), starting from the minimax linear estimate 48/17 - 32/17 * d.
/// Returns the estimate in Q2.29.
inline Fixed<2> newtonReciprocal(Fixed<0> halfDenominator) {
  using F2 = Fixed<2>;
  const F2 kFortyEightOverSeventeen = F2::fromRaw(1515870810);
  const F2 kMinusThirtyTwoOverSeventeen = F2::fromRaw(-1010580540);
  F2 x =
      kFortyEightOverSeventeen + halfDenominator * kMinusThirtyTwoOverSeventeen;
  for (int i = 0; i < 3; ++i) {
    const F2 error = F2::one() - halfDenominator * x;
    x = x + rescale<2>(x * error);
  }
  return x;
}

/// `1 / (1 + a)` for `a` in [0, 1), in Q0.31.
inline Fixed<0> oneOverOnePlusX(Fixed<0> a) {
  // 1 / (1 + a) = (1 / ((1 + a) / 2)) / 2.
  const Fixed<2> reciprocal =
      newtonReciprocal(roundingHalfSum(a, Fixed<0>::one()));
  return rescale<0>(exactMulByPowerOfTwo<-1>(reciprocal));
}

/// `(1 - a) / (1 + a)` for `a` in [0, 1), in Q0.31.
inline Fixed<0> oneMinusXOverOnePlusX(Fixed<0> a) {
  // (1 - a) / (1 + a) = 1 / ((1 + a) / 2) - 1.
  const Fixed<2> reciprocal =
      newtonReciprocal(roundingHalfSum(a, Fixed<0>::one()));
  return rescale<0>(reciprocal - Fixed<2>::one());
}

//===----------------------------------------------------------------------===//
// logistic and tanh
//===----------------------------------------------------------------------===//

/// `1 / (1 + exp(-a))` in Q0.31, computed on |a| and reflected
/// (logistic(-x) = 1 - logistic(x)); exactly 1/2 at zero.
template <int I> inline Fixed<0> logistic(Fixed<I> a) {
  using F0 = Fixed<0>;
  const bool positive = a.raw > 0;
  const Fixed<I> absA = positive ? a : -a;
  const F0 ifPositive = oneOverOnePlusX(expOnNegativeValues(-absA));
  if (a.raw == 0)
    return F0::fromRaw(int32_t(1) << 30);
  return positive ? ifPositive : F0::one() - ifPositive;
}

/// `tanh(a)` in Q0.31 as (1 - exp(-2|a|)) / (1 + exp(-2|a|)), with the sign
/// of `a`; exactly 0 at zero.
template <int I> inline Fixed<0> tanh(Fixed<I> a) {
  const bool negative = a.raw < 0;
  const Fixed<I> minusAbsA = negative ? a : -a;
  // exp(2 * -|a|): doubling is free by reading the raw value with one more
  // integer bit.
  const Fixed<0> t = oneMinusXOverOnePlusX(
      expOnNegativeValues(exactMulByPowerOfTwo<1>(minusAbsA)));
  if (a.raw == 0)
    return Fixed<0>::zero();
  return negative ? -t : t;
}

//===----------------------------------------------------------------------===//
// 16-bit primitives (hard swish)
//===----------------------------------------------------------------------===//

/// The int16 rounding doubling high multiply: `round(a * b / 2^15)`, ties
/// toward +infinity, saturating -1 * -1 (gemmlowp's int16 specialisation).
inline int16_t saturatingRoundingDoublingHighMul16(int16_t a, int16_t b) {
  if (a == INT16_MIN && b == INT16_MIN)
    return INT16_MAX;
  const int32_t ab = static_cast<int32_t>(a) * static_cast<int32_t>(b);
  const int32_t nudge = ab >= 0 ? (1 << 14) : (1 - (1 << 14));
  return static_cast<int16_t>((ab + nudge) / (1 << 15));
}

/// gemmlowp's RoundingDivideByPOT instantiated for int16: `x / 2^exponent`
/// rounded, ties away from zero, for `exponent` in [0, 15]. The mask and
/// threshold are int16 values as in gemmlowp, so exponents of 16 and above
/// (which only absurd quantization scales produce) give gemmlowp's same
/// degenerate results rather than a mathematically rounded quotient.
inline int16_t roundingDivideByPOT16(int16_t x, int exponent) {
  const int16_t mask =
      static_cast<int16_t>((static_cast<int64_t>(1) << exponent) - 1);
  const int16_t remainder = static_cast<int16_t>(x & mask);
  const int16_t threshold = static_cast<int16_t>((mask >> 1) + (x < 0 ? 1 : 0));
  return static_cast<int16_t>((x >> exponent) +
                              (remainder > threshold ? 1 : 0));
}

#ifndef TINYPRUNE_RT_DEVICE_ONLY
//===----------------------------------------------------------------------===//
// Host-side preparation (not for the device)
//===----------------------------------------------------------------------===//

/// Host only. TFLite's CalculateInputRadius (floating-point build): the
/// largest input magnitude, in input steps, whose value rescaled by
/// `2^leftShift` (as a Q0.31 multiplier) stays within `2^integerBits - 1` in
/// a format with `integerBits` integer bits, rounded down. Kernels saturate
/// inputs at or beyond it instead of evaluating them.
inline int32_t inputRadius(int integerBits, int leftShift,
                           int totalSignedBits = 31) {
  const double maxRescaled =
      std::ldexp(static_cast<double>((1 << integerBits) - 1),
                 totalSignedBits - integerBits - leftShift);
  // Only absurdly small scales exceed int32; TFLite's cast is undefined
  // there, so saturate.
  if (maxRescaled >= 2147483647.0)
    return INT32_MAX;
  return static_cast<int32_t>(std::floor(maxRescaled));
}
#endif // TINYPRUNE_RT_DEVICE_ONLY

} // namespace fx
} // namespace rt
} // namespace tinyprune

#endif // TINYPRUNE_RT_FIXED_MATH_H
