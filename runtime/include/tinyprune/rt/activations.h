//===- activations.h - int8 logistic, tanh and hard swish -------*- C++ -*-===//
//
// TFLite's reference int8 kernels for LOGISTIC, TANH and HARD_SWISH, with
// the parameter derivation TFLite Micro performs in their Prepare functions
// (`logistic_common.cc`, `tanh_common.cc`, `hard_swish_common.cc`).
//
// Logistic and tanh rescale `q - zero_point` to a Q4.27 real value with a
// quantized multiplier, evaluate gemmlowp's fixed-point function (see
// fixed_math.h), and round the Q0.31 result to the fixed int8 output
// scale TFLite mandates (1/256 with zero point -128 for logistic, 1/128 with
// zero point 0 for tanh). Inputs whose rescaled value would leave the Q4.27
// range saturate directly.
//
// Hard swish works in 16-bit fixed point: the input is moved to a "high
// resolution" int16 scale, a saturating "relu-ish" factor in [0, 1]
// approximates relu6(x + 3) / 6, and the product is rounded onto the output
// scale. TFLite deliberately uses a truncating (not rounding) high multiply
// for the final product because it cancels the bias of the rounding ones.
//
// The kernels run on the device (no libm, no heap, no exceptions). The
// `prepare...` functions run on the host, at compile or import time; they
// use <cmath> and are compiled out when TINYPRUNE_RT_DEVICE_ONLY is defined.
//
//===----------------------------------------------------------------------===//

#ifndef TINYPRUNE_RT_ACTIVATIONS_H
#define TINYPRUNE_RT_ACTIVATIONS_H

#include "tinyprune/rt/fixed_math.h"
#include "tinyprune/rt/fixedpoint.h"

#include <cstdint>
#include <math.h>

#ifndef TINYPRUNE_RT_DEVICE_ONLY
#include "tinyprune/rt/quant_params.h"

#include <cmath>
#endif

namespace tinyprune {
namespace rt {

//===----------------------------------------------------------------------===//
// Logistic and tanh
//===----------------------------------------------------------------------===//

/// Integer bits of the fixed-point input of logistic and tanh. Must agree
/// between the prepare functions and the kernels, as in TFLite.
constexpr int kSigmoidInputIntegerBits = 4;

/// Parameters of the int8 logistic kernel (TFLite's OpDataLogistic).
struct LogisticInt8Params {
  int32_t inputZeroPoint;
  /// Inputs with |q - zero_point| >= this saturate without evaluation.
  int32_t inputRangeRadius;
  /// `inputScale * 2^27` as `inputMultiplier * 2^(inputLeftShift - 31)`.
  int32_t inputMultiplier;
  int32_t inputLeftShift;
};

/// Parameters of the int8 tanh kernel (TFLite's OpDataTanh).
struct TanhInt8Params {
  int32_t inputZeroPoint;
  int32_t inputRangeRadius;
  int32_t inputMultiplier;
  int32_t inputLeftShift;
};

namespace detail {

/// The shared body of logistic and tanh: saturate out-of-range inputs,
/// rescale the rest to Q4.27, apply `fn`, round its Q0.31 result to 2^-bits
/// and add `outputZeroPoint`.
template <typename Fn>
inline void sigmoidLikeInt8(int32_t zeroPoint, int32_t radius,
                            int32_t multiplier, int32_t leftShift,
                            int outputFractionBits, int32_t outputZeroPoint,
                            int32_t size, const int8_t *in, int8_t *out,
                            Fn fn) {
  for (int32_t i = 0; i < size; ++i) {
    const int32_t x = static_cast<int32_t>(in[i]) - zeroPoint;
    // Below the radius the rescaled value stays within 15.0 in Q4.27 (the
    // bound assumes the largest mantissa, so it is conservative), hence the
    // rescale cannot overflow; beyond it both functions have reached their
    // limits at int8 precision.
    if (x <= -radius) {
      out[i] = INT8_MIN;
    } else if (x >= radius) {
      out[i] = INT8_MAX;
    } else {
      const int32_t xQ4 =
          multiplyByQuantizedMultiplier(x, multiplier, leftShift);
      const int32_t yQ0 =
          fn(fx::Fixed<kSigmoidInputIntegerBits>::fromRaw(xQ4)).raw;
      const int32_t y =
          roundingDivideByPOT(yQ0, 31 - outputFractionBits) + outputZeroPoint;
      out[i] = static_cast<int8_t>(clamp(y, INT8_MIN, INT8_MAX));
    }
  }
}

} // namespace detail

/// int8 logistic, TFLite's reference_integer_ops::Logistic. The output has
/// scale 1/256 and zero point -128.
inline void logisticInt8(const LogisticInt8Params &p, int32_t size,
                         const int8_t *in, int8_t *out) {
  detail::sigmoidLikeInt8(
      p.inputZeroPoint, p.inputRangeRadius, p.inputMultiplier, p.inputLeftShift,
      /*outputFractionBits=*/8, /*outputZeroPoint=*/-128, size, in, out,
      [](fx::Fixed<kSigmoidInputIntegerBits> x) { return fx::logistic(x); });
}

/// int8 tanh, TFLite's reference_integer_ops::Tanh. The output has scale
/// 1/128 and zero point 0.
inline void tanhInt8(const TanhInt8Params &p, int32_t size, const int8_t *in,
                     int8_t *out) {
  detail::sigmoidLikeInt8(
      p.inputZeroPoint, p.inputRangeRadius, p.inputMultiplier, p.inputLeftShift,
      /*outputFractionBits=*/7, /*outputZeroPoint=*/0, size, in, out,
      [](fx::Fixed<kSigmoidInputIntegerBits> x) { return fx::tanh(x); });
}

//===----------------------------------------------------------------------===//
// Hard swish
//===----------------------------------------------------------------------===//

/// Parameters of the int8 hard swish kernel (TFLite's HardSwishParams).
/// Multipliers are Q0.15 int16 values with TFLite's exponent convention
/// (positive = left shift).
struct HardSwishInt8Params {
  int32_t inputZeroPoint;
  int32_t outputZeroPoint;
  /// Maps the high-resolution input scale to the scale on which 3.0 is
  /// 32768.
  int16_t reluishMultiplierFixedpointInt16;
  int32_t reluishMultiplierExponent;
  /// Maps the high-resolution input scale to the output scale; TFLite
  /// requires `outputMultiplierExponent <= 0`.
  int16_t outputMultiplierFixedpointInt16;
  int32_t outputMultiplierExponent;
};

namespace detail {

/// `value * 2^amount` saturated to int16.
inline int16_t saturatingShiftLeft16(int16_t value, int amount) {
  if (value == 0)
    return 0;
  // Anything nonzero shifted by 16 or more saturates; cap the shift so the
  // 64-bit product is always defined.
  const int capped = amount > 16 ? 16 : amount;
  const int64_t shifted = static_cast<int64_t>(value) * (int64_t(1) << capped);
  if (shifted > INT16_MAX)
    return INT16_MAX;
  if (shifted < INT16_MIN)
    return INT16_MIN;
  return static_cast<int16_t>(shifted);
}

/// `a * b / 2^15` truncated toward zero, saturating -1 * -1 (SQDMULH). The
/// truncation is intended: TFLite pairs it with rounding multiplies earlier
/// so that their biases cancel.
inline int16_t saturatingDoublingHighMul16(int16_t a, int16_t b) {
  if (a == INT16_MIN && b == INT16_MIN)
    return INT16_MAX;
  const int32_t ab = static_cast<int32_t>(a) * static_cast<int32_t>(b);
  return static_cast<int16_t>(ab / (1 << 15));
}

} // namespace detail

/// int8 hard swish, `x * relu6(x + 3) / 6`, TFLite's
/// reference_ops::HardSwish on quantized data. Every intermediate is the
/// int16 value TFLite computes, including its int16 wrap-around when adding
/// the output zero point before the final clamp.
inline void hardSwishInt8(const HardSwishInt8Params &p, int32_t size,
                          const int8_t *in, int8_t *out) {
  for (int32_t i = 0; i < size; ++i) {
    const int16_t x =
        static_cast<int16_t>(static_cast<int32_t>(in[i]) - p.inputZeroPoint);
    // Shift left by 7 (|x| <= 255 fits) to use the int16's high bits.
    const int16_t xHires = static_cast<int16_t>(x * (1 << 7));
    // x on the output scale, before the output's right shift.
    const int16_t xPreshiftOut = fx::saturatingRoundingDoublingHighMul16(
        xHires, p.outputMultiplierFixedpointInt16);

    // The relu-ish factor: x on the scale where 3.0 is 2^15, saturated to
    // [-1, 1). For a left-shifting multiplier all but one bit of the shift
    // happen before the multiply and the last one after, so that saturation
    // before the multiply never decides the result.
    int16_t reluish = xHires;
    if (p.reluishMultiplierExponent > 0)
      reluish = detail::saturatingShiftLeft16(reluish,
                                              p.reluishMultiplierExponent - 1);
    reluish = fx::saturatingRoundingDoublingHighMul16(
        reluish, p.reluishMultiplierFixedpointInt16);
    if (p.reluishMultiplierExponent > 0)
      reluish = detail::saturatingShiftLeft16(reluish, 1);
    if (p.reluishMultiplierExponent < 0)
      reluish =
          fx::roundingDivideByPOT16(reluish, -p.reluishMultiplierExponent);
    // [-1, 1) -> [0, 1): (r + 1) / 2.
    reluish =
        static_cast<int16_t>((static_cast<int32_t>(reluish) + (1 << 15)) >> 1);

    const int16_t preshiftOut =
        detail::saturatingDoublingHighMul16(reluish, xPreshiftOut);
    int16_t y =
        fx::roundingDivideByPOT16(preshiftOut, -p.outputMultiplierExponent);
    y = static_cast<int16_t>(y + p.outputZeroPoint);
    out[i] = static_cast<int8_t>(clamp(y, INT8_MIN, INT8_MAX));
  }
}

#ifndef TINYPRUNE_RT_DEVICE_ONLY
//===----------------------------------------------------------------------===//
// Host-side preparation (not for the device)
//===----------------------------------------------------------------------===//

namespace detail {

/// The logistic/tanh input rescaling as TFLite Micro prepares it: `frexp` of
/// `inputScale * 2^27` with the mantissa rounded to Q0.31. Unlike
/// QuantizeMultiplier there is no renormalisation when the mantissa rounds
/// up to 2^31; that cannot happen here because a float scale has a 24-bit
/// mantissa.
template <typename Params>
inline Params prepareSigmoidLike(float inputScale, int32_t inputZeroPoint) {
  Params p{};
  p.inputZeroPoint = inputZeroPoint;
  const double realMultiplier =
      static_cast<double>(inputScale) *
      static_cast<double>(1 << (31 - kSigmoidInputIntegerBits));
  int leftShift = 0;
  const double q = std::frexp(realMultiplier, &leftShift);
  p.inputMultiplier = static_cast<int32_t>(std::round(q * (1LL << 31)));
  p.inputLeftShift = leftShift;
  p.inputRangeRadius = fx::inputRadius(kSigmoidInputIntegerBits, leftShift);
  return p;
}

/// TFLite's DownScaleInt32ToInt16Multiplier: a Q0.31 multiplier rounded to
/// Q0.15, saturating at the top.
inline int16_t downscaleMultiplierToInt16(int32_t multiplier) {
  constexpr int32_t kRounding = 1 << 15;
  if (multiplier >= INT32_MAX - kRounding)
    return INT16_MAX;
  return static_cast<int16_t>((multiplier + kRounding) >> 16);
}

} // namespace detail

/// Host only. LOGISTIC's Prepare for int8 input (output must be 1/256, -128).
inline LogisticInt8Params prepareLogisticInt8(float inputScale,
                                              int32_t inputZeroPoint) {
  return detail::prepareSigmoidLike<LogisticInt8Params>(inputScale,
                                                        inputZeroPoint);
}

/// Host only. TANH's Prepare for int8 input (output must be 1/128, 0).
inline TanhInt8Params prepareTanhInt8(float inputScale,
                                      int32_t inputZeroPoint) {
  return detail::prepareSigmoidLike<TanhInt8Params>(inputScale, inputZeroPoint);
}

/// Host only. HARD_SWISH's Prepare for int8. The scale ratios are computed
/// in float, as TFLite does, before being widened for QuantizeMultiplier.
/// TFLite rejects the model when the result has
/// `outputMultiplierExponent > 0` (output scale below input scale / 128);
/// check with hardSwishInt8Supported().
inline HardSwishInt8Params prepareHardSwishInt8(float inputScale,
                                                int32_t inputZeroPoint,
                                                float outputScale,
                                                int32_t outputZeroPoint) {
  HardSwishInt8Params p{};
  p.inputZeroPoint = inputZeroPoint;
  p.outputZeroPoint = outputZeroPoint;
  const float hiresInputScale = (1.0f / 128.0f) * inputScale;
  const float reluishScale = 3.0f / 32768.0f;

  const QuantizedMultiplier output =
      quantizeMultiplier(static_cast<double>(hiresInputScale / outputScale));
  p.outputMultiplierFixedpointInt16 =
      detail::downscaleMultiplierToInt16(output.multiplier);
  p.outputMultiplierExponent = output.exponent;

  const QuantizedMultiplier reluish =
      quantizeMultiplier(static_cast<double>(hiresInputScale / reluishScale));
  p.reluishMultiplierFixedpointInt16 =
      detail::downscaleMultiplierToInt16(reluish.multiplier);
  p.reluishMultiplierExponent = reluish.exponent;
  return p;
}

/// Whether TFLite accepts these hard swish parameters (its Prepare fails
/// otherwise).
inline bool hardSwishInt8Supported(const HardSwishInt8Params &p) {
  return p.outputMultiplierExponent <= 0;
}
#endif // TINYPRUNE_RT_DEVICE_ONLY

/// float32 sigmoid and tanh, TFLite's float reference (libm; float paths
/// may use it).
inline void logisticFloat(int32_t size, const float *in, float *out) {
  for (int32_t i = 0; i < size; ++i)
    out[i] = 1.0f / (1.0f + expf(-in[i]));
}

inline void tanhFloat(int32_t size, const float *in, float *out) {
  for (int32_t i = 0; i < size; ++i)
    out[i] = tanhf(in[i]);
}

/// float32 hard swish, TFLite's reference: `x * min(6, max(0, x + 3)) / 6`
/// with a true division.
inline void hardSwishFloat(int32_t size, const float *in, float *out) {
  for (int32_t i = 0; i < size; ++i) {
    const float x = in[i];
    float r = x + 3.0f;
    r = r < 0.0f ? 0.0f : (r > 6.0f ? 6.0f : r);
    out[i] = x * r / 6.0f;
  }
}

} // namespace rt
} // namespace tinyprune

#endif // TINYPRUNE_RT_ACTIVATIONS_H
