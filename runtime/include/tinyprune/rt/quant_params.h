//===- quant_params.h - Prepare-time quantization parameters ----*- C++ -*-===//
//
// Derivation of the integer constants TFLite computes when it prepares an
// int8 operator: the fixed-point multiplier and exponent of a real scale,
// and the clamp range of a fused activation. The compiler computes them
// once, at import or compile time, with exactly TFLite's formulas, so that
// generated code reproduces TFLite's results bit for bit. Nothing here runs
// on the device: it may use <cmath>.
//
//===----------------------------------------------------------------------===//

#ifndef TINYPRUNE_RT_QUANT_PARAMS_H
#define TINYPRUNE_RT_QUANT_PARAMS_H

#include <cmath>
#include <cstdint>

namespace tinyprune {
namespace rt {

/// A real multiplier as `multiplier * 2^(exponent - 31)`, with `multiplier`
/// a Q0.31 value in [2^30, 2^31) (or 0). This is TFLite's
/// `QuantizeMultiplier`: a negative exponent is a right shift applied after
/// the rounding doubling high multiply, a positive one a left shift before.
struct QuantizedMultiplier {
  int32_t multiplier = 0;
  int exponent = 0;
};

/// TFLite's `QuantizeMultiplier` (double-rounding build, the reference),
/// including its two edge cases: a mantissa that rounds up to 2^31 is
/// halved, and exponents below -31 flush the multiplier to zero.
inline QuantizedMultiplier quantizeMultiplier(double realMultiplier) {
  QuantizedMultiplier result;
  if (realMultiplier == 0.0)
    return result;
  int exponent = 0;
  const double q = std::frexp(realMultiplier, &exponent);
  int64_t qFixed = static_cast<int64_t>(std::round(q * (1LL << 31)));
  if (qFixed == (1LL << 31)) {
    qFixed /= 2;
    ++exponent;
  }
  if (exponent < -31) {
    exponent = 0;
    qFixed = 0;
  }
  result.multiplier = static_cast<int32_t>(qFixed);
  result.exponent = exponent;
  return result;
}

/// TOSA `rescale` expresses the same multiplier with a right shift of
/// `31 - exponent` (valid when it lands in [2, 62]).
inline int tosaShift(const QuantizedMultiplier &m) { return 31 - m.exponent; }

/// Fused activations of TFLite operators.
enum class Activation { None, Relu, ReluN1To1, Relu6 };

/// Clamp range of an integer output with `scale`/`zeroPoint` under a fused
/// activation: TFLite's `CalculateActivationRangeQuantized`. `qmin`/`qmax`
/// are the limits of the storage type.
struct ActivationRange {
  int32_t min;
  int32_t max;
};

inline ActivationRange activationRange(Activation act, float scale,
                                       int32_t zeroPoint, int32_t qmin,
                                       int32_t qmax) {
  // zeroPoint + round(f / scale), TFLite's float arithmetic, saturated to
  // int32 (0 for a NaN) before the conversion: only a hostile scale (tiny,
  // zero or NaN) gets there, and the conversion would be undefined.
  auto quantize = [&](float f) {
    const float q = std::round(f / scale);
    int64_t v = 0;
    if (q >= 2147483648.0f)
      v = INT32_MAX;
    else if (q <= -2147483648.0f)
      v = INT32_MIN;
    else if (q == q)
      v = static_cast<int32_t>(q);
    v += zeroPoint;
    return static_cast<int32_t>(v > INT32_MAX   ? INT32_MAX
                                : v < INT32_MIN ? INT32_MIN
                                                : v);
  };
  ActivationRange r{qmin, qmax};
  switch (act) {
  case Activation::None:
    break;
  case Activation::Relu:
    r.min = quantize(0.0f) > qmin ? quantize(0.0f) : qmin;
    break;
  case Activation::Relu6:
    r.min = quantize(0.0f) > qmin ? quantize(0.0f) : qmin;
    r.max = quantize(6.0f) < qmax ? quantize(6.0f) : qmax;
    break;
  case Activation::ReluN1To1:
    r.min = quantize(-1.0f) > qmin ? quantize(-1.0f) : qmin;
    r.max = quantize(1.0f) < qmax ? quantize(1.0f) : qmax;
    break;
  }
  return r;
}

} // namespace rt
} // namespace tinyprune

#endif // TINYPRUNE_RT_QUANT_PARAMS_H
