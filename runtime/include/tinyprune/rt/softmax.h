//===- softmax.h - Softmax over the innermost dimension ---------*- C++ -*-===//
//
// TFLite's reference SOFTMAX for int8 and float32 tensors viewed as
// `rows x depth` (the innermost dimension is `depth`), with the int8
// parameter derivation of TFLite Micro's `softmax_common.cc`.
//
// The int8 kernel works on differences from the row maximum, so every
// exponent is of a non-positive number. Each difference is scaled by
// `beta * input_scale` into Q5.26 (five integer bits: differences below
// `diffMin`, about -32 after scaling, contribute nothing and are skipped),
// exponentiated in fixed point into Q0.31, and accumulated in Q12.19. The
// sum's reciprocal is computed once per row by Newton-Raphson on the sum
// normalised to [1, 2), and each output is exp * reciprocal rounded to the
// int8 output scale TFLite requires: 1/256 with zero point -128.
//
// The kernels run on the device; the int8 one uses no libm, the float one
// calls expf. prepareSoftmaxInt8 runs on the host and is compiled out when
// TINYPRUNE_RT_DEVICE_ONLY is defined.
//
//===----------------------------------------------------------------------===//

#ifndef TINYPRUNE_RT_SOFTMAX_H
#define TINYPRUNE_RT_SOFTMAX_H

#include "tinyprune/rt/fixed_math.h"
#include "tinyprune/rt/fixedpoint.h"

#include <cmath>
#include <cstdint>

#ifndef TINYPRUNE_RT_DEVICE_ONLY
#include "tinyprune/rt/quant_params.h"
#endif

namespace tinyprune {
namespace rt {

/// Integer bits of the scaled input differences (Q5.26). Must agree between
/// prepareSoftmaxInt8 and softmaxInt8, as in TFLite.
constexpr int kSoftmaxScaledDiffIntegerBits = 5;
/// Integer bits of the sum of exponentials (Q12.19).
constexpr int kSoftmaxAccumulationIntegerBits = 12;

/// Parameters of the int8 softmax kernel (the int8 part of TFLite's
/// SoftmaxParams).
struct SoftmaxInt8Params {
  /// `beta * input_scale * 2^26` as `inputMultiplier * 2^(inputLeftShift -
  /// 31)`, with `inputLeftShift >= 0`.
  int32_t inputMultiplier;
  int32_t inputLeftShift;
  /// Differences from the row maximum below this are treated as -infinity.
  int32_t diffMin;
};

namespace detail {

/// Number of leading zero bits of `x` (32 for zero).
inline int countLeadingZeros32(uint32_t x) {
  int n = 0;
  for (uint32_t bit = 0x80000000u; bit != 0 && (x & bit) == 0; bit >>= 1)
    ++n;
  return n;
}

/// TFLite's GetReciprocal: `1 / x` for a positive fixed-point `x` with
/// `integerBits` integer bits, returned as a Q0.31 mantissa in [1/2, 1] and
/// the number of bits by which `x` exceeds 1 (so the reciprocal is
/// `mantissa * 2^-bitsOverUnit`).
inline int32_t reciprocal(int32_t x, int integerBits, int &bitsOverUnit) {
  const int headroomPlusOne = countLeadingZeros32(static_cast<uint32_t>(x));
  bitsOverUnit = integerBits - headroomPlusOne;
  // Normalise x to [1, 2) and subtract 1, giving a Q0.31 value in [0, 1).
  const uint32_t normalised =
      headroomPlusOne >= 32
          ? 0u
          : static_cast<uint32_t>(x) << static_cast<uint32_t>(headroomPlusOne);
  const int32_t minusOne = static_cast<int32_t>(normalised - 0x80000000u);
  return fx::oneOverOnePlusX(fx::Fixed<0>::fromRaw(minusOne)).raw;
}

} // namespace detail

/// int8 softmax over the innermost dimension, TFLite's
/// reference_ops::Softmax<int8_t, int8_t>. Output scale 1/256, zero point
/// -128.
///
/// TFLite aborts (TFLITE_CHECK) when a row's sum of exponentials reaches
/// 2^9, i.e. more than about 512 entries tie for the maximum; this kernel
/// instead caps the final shift at 31, which drives those outputs to -128.
inline void softmaxInt8(const SoftmaxInt8Params &p, int32_t rows, int32_t depth,
                        const int8_t *in, int8_t *out) {
  using ScaledDiff = fx::Fixed<kSoftmaxScaledDiffIntegerBits>;
  using Accum = fx::Fixed<kSoftmaxAccumulationIntegerBits>;
  using F0 = fx::Fixed<0>;

  // beta * scale * diff in Q5.26. TFLite's MultiplyByQuantizedMultiplier-
  // GreaterThanOne: the left shift is exact because |diff| <= -diffMin
  // keeps the product within int32; the high multiply rounds once.
  auto scaledExp = [&p](int32_t diff) {
    const int32_t shifted = static_cast<int32_t>(
        static_cast<uint32_t>(diff) << static_cast<uint32_t>(p.inputLeftShift));
    return fx::expOnNegativeValues(ScaledDiff::fromRaw(
        saturatingRoundingDoublingHighMul(shifted, p.inputMultiplier)));
  };

  for (int32_t row = 0; row < rows; ++row) {
    const int8_t *x = in + static_cast<int64_t>(row) * depth;
    int8_t *y = out + static_cast<int64_t>(row) * depth;

    int8_t maxInRow = INT8_MIN;
    for (int32_t c = 0; c < depth; ++c)
      maxInRow = x[c] > maxInRow ? x[c] : maxInRow;

    Accum sumOfExps = Accum::zero();
    for (int32_t c = 0; c < depth; ++c) {
      const int32_t diff = static_cast<int32_t>(x[c]) - maxInRow;
      if (diff >= p.diffMin)
        sumOfExps = sumOfExps + fx::rescale<kSoftmaxAccumulationIntegerBits>(
                                    scaledExp(diff));
    }

    int bitsOverUnit = 0;
    const F0 scale = F0::fromRaw(detail::reciprocal(
        sumOfExps.raw, kSoftmaxAccumulationIntegerBits, bitsOverUnit));
    // exp / sum = exp * mantissa * 2^-bitsOverUnit, then * 2^8 for the
    // output's 1/256 scale: one rounding right shift by this many bits.
    int exponent = bitsOverUnit + 31 - 8;
    exponent = exponent > 31 ? 31 : exponent;

    for (int32_t c = 0; c < depth; ++c) {
      const int32_t diff = static_cast<int32_t>(x[c]) - maxInRow;
      if (diff >= p.diffMin) {
        const int32_t unsaturated =
            roundingDivideByPOT((scale * scaledExp(diff)).raw, exponent);
        y[c] =
            static_cast<int8_t>(clamp(unsaturated - 128, INT8_MIN, INT8_MAX));
      } else {
        y[c] = INT8_MIN;
      }
    }
  }
}

/// float32 softmax over the innermost dimension, TFLite's
/// reference_ops::Softmax for float: subtract the row maximum, exponentiate
/// `(x - max) * beta` with expf, divide by the sum accumulated in order.
/// Bit-identical to TFLite when both use the same expf.
inline void softmaxFloat(float beta, int32_t rows, int32_t depth,
                         const float *in, float *out) {
  for (int32_t row = 0; row < rows; ++row) {
    const float *x = in + static_cast<int64_t>(row) * depth;
    float *y = out + static_cast<int64_t>(row) * depth;

    // Same comparison as std::max(max, x), including how NaNs fall out.
    float maxInRow = -3.40282347e+38f; // numeric_limits<float>::lowest()
    for (int32_t c = 0; c < depth; ++c)
      maxInRow = maxInRow < x[c] ? x[c] : maxInRow;

    float sum = 0.0f;
    for (int32_t c = 0; c < depth; ++c) {
      y[c] = std::exp((x[c] - maxInRow) * beta);
      sum += y[c];
    }
    for (int32_t c = 0; c < depth; ++c)
      y[c] = y[c] / sum;
  }
}

#ifndef TINYPRUNE_RT_DEVICE_ONLY
//===----------------------------------------------------------------------===//
// Host-side preparation (not for the device)
//===----------------------------------------------------------------------===//

/// Host only. SOFTMAX's Prepare for int8 input and output: TFLite's
/// PreprocessSoftmaxScaling (floating-point build) with 5 integer bits, and
/// `diffMin = -CalculateInputRadius(5, inputLeftShift)`.
///
/// TFLite requires `beta * inputScale * 2^26 > 1` (it CHECK-fails
/// otherwise); every practical int8 scale satisfies it. The multiplier is
/// capped at 2^31 - 1, where only the row maximum survives.
inline SoftmaxInt8Params prepareSoftmaxInt8(float inputScale, float beta) {
  const double realMultiplier =
      static_cast<double>(beta) * static_cast<double>(inputScale) *
      static_cast<double>(1 << (31 - kSoftmaxScaledDiffIntegerBits));
  const double kMaxRealMultiplier = (1LL << 31) - 1.0;
  const QuantizedMultiplier m = quantizeMultiplier(
      realMultiplier < kMaxRealMultiplier ? realMultiplier
                                          : kMaxRealMultiplier);
  SoftmaxInt8Params p{};
  p.inputMultiplier = m.multiplier;
  p.inputLeftShift = m.exponent;
  p.diffMin = -fx::inputRadius(kSoftmaxScaledDiffIntegerBits, m.exponent);
  return p;
}
#endif // TINYPRUNE_RT_DEVICE_ONLY

} // namespace rt
} // namespace tinyprune

#endif // TINYPRUNE_RT_SOFTMAX_H
