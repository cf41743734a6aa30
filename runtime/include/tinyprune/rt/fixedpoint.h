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

#if defined(__ARM_FEATURE_SAT)
#include <arm_acle.h>
#endif

/// Forces inlining of the small helpers kernels call per output or per
/// multiply-accumulate in their inner loops: under -Os, GCC would rather
/// call them (and spill accumulators to memory around each call).
#if defined(__GNUC__) || defined(__clang__)
#define TINYPRUNE_RT_ALWAYS_INLINE __attribute__((always_inline))
#else
#define TINYPRUNE_RT_ALWAYS_INLINE
#endif

/// Compiles a kernel's hot out-of-line function for speed even in -Os
/// builds (GCC for Cortex-M cores with the DSP extension, where it was
/// measured to pay off): at -Os, GCC's register allocator weighs code size
/// rather than loop frequency and spills inner-loop values to the stack.
#if defined(__GNUC__) && !defined(__clang__) && defined(__ARM_FEATURE_DSP)
#define TINYPRUNE_RT_HOT __attribute__((optimize("O2")))
#else
#define TINYPRUNE_RT_HOT
#endif

/// Keeps a kernel's inner-loop helper out of line (still `inline` for the
/// one-definition rule), so that its loop gets registers of its own.
#if defined(__GNUC__) || defined(__clang__)
#define TINYPRUNE_RT_NOINLINE inline __attribute__((noinline))
#else
#define TINYPRUNE_RT_NOINLINE inline
#endif

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

/// A quantized multiplier with a right shift, prepared so that applying it
/// takes one 64-bit multiply-accumulate (see applyRightShiftMultiplier).
/// Kernels prepare one per output channel outside their pixel loops.
struct RightShiftMultiplier {
  /// 2^30 + 2^(30 + n) for a right shift by n.
  int64_t rounding;
  int32_t multiplier;
  /// n - 1: the shift left to do on the high word.
  int32_t highShift;
};

/// Whether (multiplier, shift) can be a RightShiftMultiplier: a right shift
/// by 1 to 31 and a non-negative multiplier (TFLite's are in [2^30, 2^31)),
/// or a zero multiplier with any shift (quantizeMultiplier's flush to zero
/// of tiny scales), which always gives 0.
inline bool isRightShiftMultiplier(int32_t multiplier, int shift) {
  return multiplier == 0 || (multiplier > 0 && shift <= -1 && shift >= -31);
}

TINYPRUNE_RT_ALWAYS_INLINE inline RightShiftMultiplier
prepareRightShiftMultiplier(int32_t multiplier, int shift) {
  // A zero multiplier gives 0 with any right shift: use 1.
  const int n = multiplier == 0 ? 1 : -shift;
  // 2^30 + 2^(30 + n), word by word (cheaper than a 64-bit shift on
  // 32-bit cores): n = 1 gives 0xC0000000, n >= 2 2^(n - 2) : 2^30.
  const uint32_t high = n >= 2 ? uint32_t(1) << (n - 2) : 0;
  const uint32_t low = n >= 2 ? 0x40000000u : 0xC0000000u;
  RightShiftMultiplier q;
  q.rounding = static_cast<int64_t>((static_cast<uint64_t>(high) << 32) | low);
  q.multiplier = multiplier;
  q.highShift = n - 1;
  return q;
}

/// multiplyByQuantizedMultiplier(x, multiplier, shift) for a prepared right
/// shift n in [1, 31], bit for bit, in one rounding step:
///
///   floor((x * m + 2^30 + 2^(30 + n) - [x < 0] * 2^31) / 2^(31 + n)).
///
/// Why it is the same integer: with v = x * m, the high multiply is
/// r = floor((v + 2^30) / 2^31) (the nudge and truncating division of
/// saturatingRoundingDoublingHighMul round ties up; it cannot saturate as
/// m >= 0). roundingDivideByPOT(r, n) rounds ties away from zero, which is
/// floor((r + 2^(n-1) - [r < 0]) / 2^n). Nesting floors of integer
/// quotients, floor((floor(a / b) + c) / d) = floor((a + c * b) / (b * d)),
/// gives the formula with [r < 0] in place of [x < 0]. The two differ only
/// for x < 0 with -2^30 <= v <= 0, where r = 0 and both give
/// floor((2^(n-1) - [x < 0]) / 2^n) = 0. This is TOSA's apply_scale_32 with
/// double rounding. The dividend fits int64 and 31 + n >= 32, so the result
/// is the high word shifted right by n - 1.
TINYPRUNE_RT_ALWAYS_INLINE inline int32_t
applyRightShiftMultiplier(int32_t x, const RightShiftMultiplier &q) {
  const int64_t v =
      static_cast<int64_t>(x) * q.multiplier + q.rounding -
      static_cast<int64_t>(static_cast<uint32_t>(x) & 0x80000000u);
  return static_cast<int32_t>(v >> 32) >> q.highShift;
}

/// `v` rotated right by 8 bits. Spelled out rather than ACLE's __ror, which
/// some arm-none-eabi releases lack; compilers emit one ROR for it.
inline uint32_t rotateRight8(uint32_t v) { return (v >> 8) | (v << 24); }

/// `v` saturated to [-128, 127]: one SSAT where the core has it.
TINYPRUNE_RT_ALWAYS_INLINE inline int32_t saturateInt8(int32_t v) {
#if defined(__ARM_FEATURE_SAT)
  return __ssat(v, 8);
#else
  return v < -128 ? -128 : (v > 127 ? 127 : v);
#endif
}

/// Clamps `v` to `[lo, hi]`.
TINYPRUNE_RT_ALWAYS_INLINE inline int32_t clamp(int32_t v, int32_t lo,
                                                int32_t hi) {
  return v < lo ? lo : (v > hi ? hi : v);
}

} // namespace rt
} // namespace tinyprune

#endif // TINYPRUNE_RT_FIXEDPOINT_H
