//===- reduce.h - MEAN and REDUCE_SUM ---------------------------*- C++ -*-===//
//
// TFLite Micro's MEAN for int8, int16 and float32 tensors of rank <= 6,
// over any set of axes. The output holds the non-reduced dimensions in
// row-major order; `keep_dims` only changes the output's shape, never its
// data, so it is not a parameter here.
//
// Which integer algorithm: TFLite Micro's current `reduce_common.cc`
// (EvalMeanHelper -> EvalIntegerMean) takes one of two paths, decided by
// the quantization alone:
//  * input and output share zero point and scale: reference_ops::Mean, the
//    int32 sum of the raw stored values divided by the element count with
//    C++'s truncating division (toward zero, *not* rounded);
//  * otherwise: reference_ops::QuantizedMeanOrSum, the sum of
//    `q - input_zp` requantized by `input_scale / output_scale` with the
//    1/count folded into the multiplier in integer arithmetic, plus the
//    output zero point, clamped.
// meanInt8/meanInt16 implement exactly that. Older TFLite Micro versions
// (before that special case was dropped) sent int8 4-D means over axes
// {1, 2} with keep_dims to reference_integer_ops::Mean instead, which
// requantizes the zero-point-corrected sum and then divides with rounding; that
// path is meanInt8SpatialLegacy, for reproducing models run on those releases.
//
// The float kernel adds each output's elements in the same order as TFLite
// (increasing input offset), so its sums round identically.
//
// Device kernels: no libm, no heap, no exceptions; index bookkeeping lives
// in fixed-size arrays on the stack. prepareMeanInt runs on the host and
// is compiled out when TINYPRUNE_RT_DEVICE_ONLY is defined.
//
//===----------------------------------------------------------------------===//

#ifndef TINYPRUNE_RT_REDUCE_H
#define TINYPRUNE_RT_REDUCE_H

#include "tinyprune/rt/fixedpoint.h"

#include <cstddef>
#include <cstdint>

#ifndef TINYPRUNE_RT_DEVICE_ONLY
#include "tinyprune/rt/quant_params.h"
#endif

namespace tinyprune {
namespace rt {

/// Highest tensor rank the reduction kernels accept.
constexpr int32_t kMaxReduceRank = 6;

/// Parameters of the integer MEAN kernels (TFLite's OpDataReduce, int8
/// part).
struct MeanIntParams {
  int32_t inputZeroPoint;
  int32_t outputZeroPoint;
  /// `input_scale / output_scale` in TFLite's QuantizeMultiplier form.
  int32_t multiplier;
  int32_t shift;
  /// Input and output quantization are identical (same zero point and the
  /// same float scale): TFLite then takes the plain-division path.
  bool sameQuantization;
};

namespace detail {

/// The input split into the dimensions that survive the reduction and the
/// reduced ones, each with its input stride, both outermost first.
struct ReductionPlan {
  int32_t keptCount = 0, reducedCount = 0;
  int32_t keptExtent[kMaxReduceRank] = {}, keptStride[kMaxReduceRank] = {};
  int32_t reducedExtent[kMaxReduceRank] = {};
  int32_t reducedStride[kMaxReduceRank] = {};
  int64_t numOutputs = 1;
  int64_t numReduced = 1;
};

/// Resolves `axes` like TFLite's ResolveAxis (negative axes count from the
/// end, duplicates are ignored). Returns false for a rank above
/// kMaxReduceRank or an axis out of range.
inline bool planReduction(const int32_t *dims, int32_t rank,
                          const int32_t *axes, int32_t numAxes,
                          ReductionPlan &plan) {
  if (rank < 0 || rank > kMaxReduceRank)
    return false;
  bool reduced[kMaxReduceRank] = {};
  // A scalar has nothing to reduce; TFLite ignores its axes.
  for (int32_t i = 0; i < numAxes && rank > 0; ++i) {
    const int32_t axis = axes[i] < 0 ? axes[i] + rank : axes[i];
    if (axis < 0 || axis >= rank)
      return false;
    reduced[axis] = true;
  }
  int32_t strides[kMaxReduceRank] = {};
  int32_t stride = 1;
  for (int32_t d = rank - 1; d >= 0; --d) {
    strides[d] = stride;
    stride *= dims[d];
  }
  for (int32_t d = 0; d < rank; ++d) {
    if (reduced[d]) {
      plan.reducedExtent[plan.reducedCount] = dims[d];
      plan.reducedStride[plan.reducedCount++] = strides[d];
      plan.numReduced *= dims[d];
    } else {
      plan.keptExtent[plan.keptCount] = dims[d];
      plan.keptStride[plan.keptCount++] = strides[d];
      plan.numOutputs *= dims[d];
    }
  }
  return true;
}

/// Advances a row-major multi-index over `extent` by one position, keeping
/// `offset` equal to the sum of index * stride.
inline void stepIndex(int32_t count, const int32_t *extent,
                      const int32_t *stride, int32_t *index, int64_t &offset) {
  for (int32_t d = count - 1; d >= 0; --d) {
    offset += stride[d];
    if (++index[d] < extent[d])
      return;
    offset -= static_cast<int64_t>(stride[d]) * extent[d];
    index[d] = 0;
  }
}

/// a + b; for int32, with two's-complement wrap-around.
inline float addWrapping(float a, float b) { return a + b; }
inline int32_t addWrapping(int32_t a, int32_t b) {
  return static_cast<int32_t>(static_cast<uint32_t>(a) +
                              static_cast<uint32_t>(b));
}

/// floor(log2(n)) for n >= 1.
inline int floorLog2(int64_t n) {
  int log = 0;
  while (n > 1) {
    n >>= 1;
    ++log;
  }
  return log;
}

/// The integer MEAN of TFLite Micro's EvalIntegerMean for int8 and int16.
template <typename T>
inline bool meanInteger(const MeanIntParams &p, const int32_t *dims,
                        int32_t rank, const int32_t *axes, int32_t numAxes,
                        const T *in, T *out, int32_t qmin, int32_t qmax) {
  ReductionPlan plan;
  if (!planReduction(dims, rank, axes, numAxes, plan))
    return false;
  const int64_t n = plan.numReduced;

  // An empty reduction leaves TFLite's zero-initialised output untouched.
  if (n == 0) {
    for (int64_t o = 0; o < plan.numOutputs; ++o)
      out[o] = 0;
    return true;
  }

  // Fold 1/n into the multiplier (QuantizedMeanOrSum): scale it up by
  // 2^shift before the integer division by n to keep precision, with the
  // shift capped so the 64-bit product cannot overflow and the final
  // exponent stays >= -31.
  int32_t multiplier = p.multiplier;
  int32_t exponent = p.shift;
  if (!p.sameQuantization) {
    int shift = floorLog2(n);
    shift = shift < 32 ? shift : 32;
    shift = shift < 31 + exponent ? shift : 31 + exponent;
    multiplier =
        static_cast<int32_t>((static_cast<int64_t>(multiplier) << shift) / n);
    exponent -= shift;
  }

  // One pass per output; int32 sums wrap as TFLite's do (impossible below
  // 2^24 int8 or 2^16 int16 elements).
  int32_t keptIndex[kMaxReduceRank] = {};
  int64_t base = 0;
  for (int64_t o = 0; o < plan.numOutputs; ++o) {
    int32_t reducedIndex[kMaxReduceRank] = {};
    int64_t offset = base;
    uint32_t sum = 0;
    for (int64_t r = 0; r < n; ++r) {
      sum += static_cast<uint32_t>(static_cast<int32_t>(in[offset]));
      stepIndex(plan.reducedCount, plan.reducedExtent, plan.reducedStride,
                reducedIndex, offset);
    }
    const int32_t rawSum = static_cast<int32_t>(sum);
    if (p.sameQuantization) {
      // reference_ops::Mean: truncating division of the raw sum.
      out[o] = static_cast<T>(rawSum / static_cast<int32_t>(n));
    } else {
      const int32_t shifted = static_cast<int32_t>(
          rawSum - static_cast<int64_t>(p.inputZeroPoint) * n);
      const int32_t y =
          multiplyByQuantizedMultiplier(shifted, multiplier, exponent) +
          p.outputZeroPoint;
      out[o] = static_cast<T>(clamp(y, qmin, qmax));
    }
    stepIndex(plan.keptCount, plan.keptExtent, plan.keptStride, keptIndex,
              base);
  }
  return true;
}

} // namespace detail

/// int8 MEAN over `axes` of a tensor with shape `dims[0..rank)`, as TFLite
/// Micro's current EvalIntegerMean (see the file comment for the two
/// paths). Returns false for rank > 6 or an axis out of range.
inline bool meanInt8(const MeanIntParams &p, const int32_t *dims, int32_t rank,
                     const int32_t *axes, int32_t numAxes, const int8_t *in,
                     int8_t *out) {
  return detail::meanInteger(p, dims, rank, axes, numAxes, in, out, INT8_MIN,
                             INT8_MAX);
}

/// int16 MEAN, the same algorithm on int16 storage.
inline bool meanInt16(const MeanIntParams &p, const int32_t *dims, int32_t rank,
                      const int32_t *axes, int32_t numAxes, const int16_t *in,
                      int16_t *out) {
  return detail::meanInteger(p, dims, rank, axes, numAxes, in, out, INT16_MIN,
                             INT16_MAX);
}

/// int8 MEAN of an NHWC tensor over H and W (keep_dims), as older TFLite
/// Micro releases computed it (reference_integer_ops::Mean): the sum of
/// `q - input_zp` requantized by `input_scale / output_scale`, then divided
/// by H * W rounding half away from zero, plus the output zero point,
/// clamped. Output is N x 1 x 1 x C. Both quantization cases use this path.
inline void meanInt8SpatialLegacy(const MeanIntParams &p, int32_t n, int32_t h,
                                  int32_t w, int32_t c, const int8_t *in,
                                  int8_t *out) {
  const int32_t count = h * w;
  for (int32_t b = 0; b < n; ++b) {
    for (int32_t ch = 0; ch < c; ++ch) {
      int32_t acc = 0;
      for (int32_t y = 0; y < h; ++y)
        for (int32_t x = 0; x < w; ++x)
          acc += in[((static_cast<int64_t>(b) * h + y) * w + x) * c + ch] -
                 p.inputZeroPoint;
      acc = multiplyByQuantizedMultiplier(acc, p.multiplier, p.shift);
      acc = acc > 0 ? (acc + count / 2) / count : (acc - count / 2) / count;
      acc += p.outputZeroPoint;
      out[static_cast<int64_t>(b) * c + ch] =
          static_cast<int8_t>(clamp(acc, INT8_MIN, INT8_MAX));
    }
  }
}

/// float32 MEAN over `axes`, TFLite's reference_ops::Mean for float: each
/// output is the float sum of its elements in increasing input offset,
/// divided by their count converted to float. Returns false for rank > 6 or
/// an axis out of range.
inline bool meanFloat(const int32_t *dims, int32_t rank, const int32_t *axes,
                      int32_t numAxes, const float *in, float *out) {
  detail::ReductionPlan plan;
  if (!detail::planReduction(dims, rank, axes, numAxes, plan))
    return false;
  const float count = static_cast<float>(plan.numReduced);
  int32_t keptIndex[kMaxReduceRank] = {};
  int64_t base = 0;
  for (int64_t o = 0; o < plan.numOutputs; ++o) {
    int32_t reducedIndex[kMaxReduceRank] = {};
    int64_t offset = base;
    float sum = 0.0f;
    for (int64_t r = 0; r < plan.numReduced; ++r) {
      sum += in[offset];
      detail::stepIndex(plan.reducedCount, plan.reducedExtent,
                        plan.reducedStride, reducedIndex, offset);
    }
    // TFLite leaves the zero-initialised output alone for empty reductions.
    out[o] = plan.numReduced > 0 ? sum / count : 0.0f;
    detail::stepIndex(plan.keptCount, plan.keptExtent, plan.keptStride,
                      keptIndex, base);
  }
  return true;
}

/// Sum over one axis of a row-major tensor seen as `outer x extent x
/// inner` (TOSA's REDUCE_SUM): out[o][i] adds in[o][0][i], in[o][1][i], ...
/// in that order, so float sums round as in the interpreter. Integer sums
/// wrap around in two's complement.
template <typename T>
inline void reduceSum(int32_t outer, int32_t extent, int32_t inner, const T *in,
                      T *out) {
  for (int32_t o = 0; o < outer; ++o) {
    T *dst = out + static_cast<ptrdiff_t>(o) * inner;
    const T *src = in + static_cast<ptrdiff_t>(o) * extent * inner;
    for (int32_t i = 0; i < inner; ++i)
      dst[i] = src[i];
    for (int32_t a = 1; a < extent; ++a) {
      src += inner;
      for (int32_t i = 0; i < inner; ++i)
        dst[i] = detail::addWrapping(dst[i], src[i]);
    }
  }
}

#ifndef TINYPRUNE_RT_DEVICE_ONLY
//===----------------------------------------------------------------------===//
// Host-side preparation (not for the device)
//===----------------------------------------------------------------------===//

/// Host only. MEAN's Prepare for int8/int16: QuantizeMultiplier of
/// `double(inputScale) / double(outputScale)`, and the exact float
/// comparison TFLite uses to pick the plain-division path.
inline MeanIntParams prepareMeanInt(float inputScale, int32_t inputZeroPoint,
                                    float outputScale,
                                    int32_t outputZeroPoint) {
  MeanIntParams p{};
  p.inputZeroPoint = inputZeroPoint;
  p.outputZeroPoint = outputZeroPoint;
  const QuantizedMultiplier m = quantizeMultiplier(
      static_cast<double>(inputScale) / static_cast<double>(outputScale));
  p.multiplier = m.multiplier;
  p.shift = m.exponent;
  p.sameQuantization =
      inputZeroPoint == outputZeroPoint && inputScale == outputScale;
  return p;
}
#endif // TINYPRUNE_RT_DEVICE_ONLY

} // namespace rt
} // namespace tinyprune

#endif // TINYPRUNE_RT_REDUCE_H
