//===- quantize.h - float32 <-> integer affine (de)quantization -*- C++ -*-===//
//
// TFLite's reference QUANTIZE (float32 to int8/int16, per tensor and per
// channel) and DEQUANTIZE (int8/int16 to float32, per tensor), and the
// uint8 <-> int8 conversion at the edges of a uint8 model.
//
// Quantization is `clamp(round(x / scale) + zero_point)` with a true float32
// division and rounding half away from zero (TfLiteRound, i.e.
// std::round), exactly as reference_ops::AffineQuantize and
// PerChannelQuantize compute it. Multiplying by a precomputed reciprocal
// would be faster but differs from the division in the last bit for some
// inputs, which moves results sitting next to a .5 boundary.
//
// Dequantization is `scale * (q - zero_point)`. TFLite evaluates it in
// double and rounds to float; a float32 product rounds the same exact value
// (a 24-bit scale times a 17-bit integer is exact in double) once, so the
// float multiplication used here gives identical bits.
//
// Device kernels: rounding is done without libm; no heap, no exceptions.
//
//===----------------------------------------------------------------------===//

#ifndef TINYPRUNE_RT_QUANTIZE_H
#define TINYPRUNE_RT_QUANTIZE_H

#include <cstdint>

namespace tinyprune {
namespace rt {

namespace detail {

/// `clamp(round(x / scale) + zeroPoint, qmin, qmax)` with ties rounded away
/// from zero. `zeroPoint` must lie in [-2^16, 2^16] (any int16 zero point
/// does). NaN quantizes to `qmin` (TFLite's conversion of NaN is undefined
/// behaviour).
inline int32_t quantizeOne(float x, float scale, int32_t zeroPoint,
                           int32_t qmin, int32_t qmax) {
  const float q = x / scale;
  // Beyond +-2^17 the result saturates whatever the zero point, and inside
  // it the float -> int conversion below is exact and defined.
  constexpr float kSaturate = 131072.0f;
  if (q >= kSaturate)
    return qmax;
  if (!(q > -kSaturate)) // also catches NaN
    return qmin;
  // round(): truncate, then step away from zero when the dropped fraction is
  // at least one half. The subtraction is exact because |q| < 2^17.
  int32_t r = static_cast<int32_t>(q);
  const float fraction = q - static_cast<float>(r);
  if (fraction >= 0.5f)
    ++r;
  else if (fraction <= -0.5f)
    --r;
  const int32_t v = r + zeroPoint;
  return v < qmin ? qmin : (v > qmax ? qmax : v);
}

template <typename T>
inline void quantizePerTensor(float scale, int32_t zeroPoint, int32_t size,
                              const float *in, T *out, int32_t qmin,
                              int32_t qmax) {
  for (int32_t i = 0; i < size; ++i)
    out[i] = static_cast<T>(quantizeOne(in[i], scale, zeroPoint, qmin, qmax));
}

/// Per-channel quantization along `axis` of a row-major tensor: the tensor
/// is `outer x channels x inner` with `channels = dims[axis]`.
template <typename T>
inline bool quantizePerChannel(const float *scales, const int32_t *zeroPoints,
                               const int32_t *dims, int32_t rank, int32_t axis,
                               const float *in, T *out, int32_t qmin,
                               int32_t qmax) {
  if (axis < 0 || axis >= rank)
    return false;
  int64_t outer = 1, inner = 1;
  for (int32_t d = 0; d < axis; ++d)
    outer *= dims[d];
  for (int32_t d = axis + 1; d < rank; ++d)
    inner *= dims[d];
  const int32_t channels = dims[axis];
  int64_t i = 0;
  for (int64_t o = 0; o < outer; ++o)
    for (int32_t ch = 0; ch < channels; ++ch)
      for (int64_t k = 0; k < inner; ++k, ++i)
        out[i] = static_cast<T>(
            quantizeOne(in[i], scales[ch], zeroPoints[ch], qmin, qmax));
  return true;
}

template <typename T>
inline void dequantizePerTensor(float scale, int32_t zeroPoint, int32_t size,
                                const T *in, float *out) {
  for (int32_t i = 0; i < size; ++i)
    out[i] =
        scale * static_cast<float>(static_cast<int32_t>(in[i]) - zeroPoint);
}

} // namespace detail

/// float32 -> int8, TFLite's AffineQuantize.
inline void quantizeInt8(float scale, int32_t zeroPoint, int32_t size,
                         const float *in, int8_t *out) {
  detail::quantizePerTensor(scale, zeroPoint, size, in, out, INT8_MIN,
                            INT8_MAX);
}

/// float32 -> int16, TFLite's AffineQuantize.
inline void quantizeInt16(float scale, int32_t zeroPoint, int32_t size,
                          const float *in, int16_t *out) {
  detail::quantizePerTensor(scale, zeroPoint, size, in, out, INT16_MIN,
                            INT16_MAX);
}

/// float32 -> int8 with one scale and zero point per index of dimension
/// `axis` (TFLite's PerChannelQuantize). `dims[0..rank)` is the row-major
/// shape; `scales`/`zeroPoints` have `dims[axis]` entries. Returns false if
/// `axis` is out of range.
inline bool quantizeInt8PerChannel(const float *scales,
                                   const int32_t *zeroPoints,
                                   const int32_t *dims, int32_t rank,
                                   int32_t axis, const float *in, int8_t *out) {
  return detail::quantizePerChannel(scales, zeroPoints, dims, rank, axis, in,
                                    out, INT8_MIN, INT8_MAX);
}

/// float32 -> int16 per channel.
inline bool quantizeInt16PerChannel(const float *scales,
                                    const int32_t *zeroPoints,
                                    const int32_t *dims, int32_t rank,
                                    int32_t axis, const float *in,
                                    int16_t *out) {
  return detail::quantizePerChannel(scales, zeroPoints, dims, rank, axis, in,
                                    out, INT16_MIN, INT16_MAX);
}

/// Integer -> float32, value for value (TOSA's CAST): the first step of a
/// per-channel or int16 DEQUANTIZE, whose subtract and multiply follow as
/// float element-wise layers.
template <typename T>
inline void castToFloat(int32_t size, const T *in, float *out) {
  for (int32_t i = 0; i < size; ++i)
    out[i] = static_cast<float>(in[i]);
}

/// int8 -> float32, TFLite's Dequantize.
inline void dequantizeInt8(float scale, int32_t zeroPoint, int32_t size,
                           const int8_t *in, float *out) {
  detail::dequantizePerTensor(scale, zeroPoint, size, in, out);
}

/// int16 -> float32, TFLite's Dequantize.
inline void dequantizeInt16(float scale, int32_t zeroPoint, int32_t size,
                            const int16_t *in, float *out) {
  detail::dequantizePerTensor(scale, zeroPoint, size, in, out);
}

/// uint8 <-> int8 at the edge of a uint8 model, whose body computes on the
/// int8 values `q - 128`: `out = clamp(in - inZp + outZp)` to the range of
/// `Out` (a TOSA rescale by exactly one). `inZp - outZp` is +-128 here, so
/// nothing saturates; the clamp keeps any other offset defined.
template <typename In, typename Out>
inline void shiftZeroPoint(int32_t size, const In *in, int32_t inZp,
                           int32_t outZp, Out *out) {
  const int32_t lo = static_cast<Out>(-1) < 0 ? -128 : 0;
  const int32_t hi = lo + 255;
  for (int32_t i = 0; i < size; ++i) {
    const int32_t v = static_cast<int32_t>(in[i]) - inZp + outZp;
    out[i] = static_cast<Out>(v < lo ? lo : (v > hi ? hi : v));
  }
}

} // namespace rt
} // namespace tinyprune

#endif // TINYPRUNE_RT_QUANTIZE_H
