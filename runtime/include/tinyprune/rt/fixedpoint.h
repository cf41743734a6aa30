//===- fixedpoint.h - Integer requantization arithmetic ---------*- C++ -*-===//
//
// The integer arithmetic every int8 kernel shares, with TFLite's reference
// semantics bit for bit: the rounding doubling high multiply, the rounding
// right shift, and their composition that applies a quantized multiplier
// (see quant_params.h for how multipliers are derived).
//
// Runs on the device: portable C++17, no libc, no libm, no exceptions.
//
//===----------------------------------------------------------------------===//

#ifndef TINYPRUNE_RT_FIXEDPOINT_H
#define TINYPRUNE_RT_FIXEDPOINT_H

#include <cstdint>

namespace tinyprune {
namespace rt {

/// `round(a * b / 2^31)` with ties rounded toward +infinity, saturating the
/// single overflow case `a == b == INT32_MIN` (gemmlowp's
/// SaturatingRoundingDoublingHighMul).
inline int32_t saturatingRoundingDoublingHighMul(int32_t a, int32_t b) {
  if (a == INT32_MIN && b == INT32_MIN)
    return INT32_MAX;
  const int64_t ab = static_cast<int64_t>(a) * static_cast<int64_t>(b);
  // The nudge plus C++'s truncating division round ties toward +infinity.
  const int64_t nudge = ab >= 0 ? (int64_t(1) << 30) : (1 - (int64_t(1) << 30));
  return static_cast<int32_t>((ab + nudge) / (int64_t(1) << 31));
}

/// `x / 2^exponent` rounded to nearest, ties away from zero (gemmlowp's
/// RoundingDivideByPOT). `exponent` is in [0, 31].
inline int32_t roundingDivideByPOT(int32_t x, int exponent) {
  const int32_t mask = static_cast<int32_t>((int64_t(1) << exponent) - 1);
  const int32_t remainder = x & mask;
  const int32_t threshold = (mask >> 1) + (x < 0 ? 1 : 0);
  return (x >> exponent) + (remainder > threshold ? 1 : 0);
}

/// `x * multiplier * 2^(shift - 31)` as TFLite computes it: a positive
/// `shift` multiplies `x` by 2^shift first, a negative one divides the high
/// product by 2^-shift with rounding (MultiplyByQuantizedMultiplier).
inline int32_t multiplyByQuantizedMultiplier(int32_t x, int32_t multiplier,
                                             int shift) {
  const int leftShift = shift > 0 ? shift : 0;
  const int rightShift = shift > 0 ? 0 : -shift;
  // TFLite multiplies by 2^shift in int32; overflow there is undefined in
  // TFLite and wraps here. Real models keep |x| * 2^shift within int32.
  const int32_t shifted = static_cast<int32_t>(
      static_cast<uint32_t>(x) << static_cast<uint32_t>(leftShift));
  return roundingDivideByPOT(
      saturatingRoundingDoublingHighMul(shifted, multiplier), rightShift);
}

/// `v` rotated right by 8 bits. Spelled out rather than ACLE's __ror, which
/// some arm-none-eabi releases lack; compilers emit one ROR for it.
inline uint32_t rotateRight8(uint32_t v) { return (v >> 8) | (v << 24); }

/// Clamps `v` to `[lo, hi]`.
inline int32_t clamp(int32_t v, int32_t lo, int32_t hi) {
  return v < lo ? lo : (v > hi ? hi : v);
}

} // namespace rt
} // namespace tinyprune

#endif // TINYPRUNE_RT_FIXEDPOINT_H
