//===- pooling.h - NHWC average and max pooling -----------------*- C++ -*-===//
//
// TFLite's reference AVERAGE_POOL_2D and MAX_POOL_2D on NHWC tensors, for
// int8, int16 and float32.
//
// Padding follows TFLite: `padTop`/`padLeft` place the first window, and a
// window hanging off any edge of the input is clipped to the input rather
// than reading padding values. The average therefore divides by the number
// of input elements actually under the window, not by the filter area.
//
// Integer averages are computed on the raw stored values (TFLite requires
// input and output to share scale and zero point, so the zero point cancels
// out of the mean and is never subtracted) and divided with rounding to
// nearest, ties away from zero: TFLite adds or subtracts half the divisor
// depending on the sign and lets C++'s truncating division finish the job.
// TOSA's avg_pool2d subtracts the zero point and multiplies by a
// fixed-point reciprocal, which is why these kernels exist.
//
// Device kernels: no libm, no heap, no exceptions.
//
//===----------------------------------------------------------------------===//

#ifndef TINYPRUNE_RT_POOLING_H
#define TINYPRUNE_RT_POOLING_H

#include "tinyprune/rt/fixedpoint.h"

#include <cstdint>

namespace tinyprune {
namespace rt {

/// Window geometry and fused-activation clamp of an integer pooling op
/// (TFLite's PoolParams). `actMin`/`actMax` are in the stored integer
/// domain, as computed by activationRange().
struct PoolParams {
  int32_t strideH, strideW;
  int32_t filterH, filterW;
  int32_t padTop, padLeft;
  int32_t actMin, actMax;
};

/// Window geometry and fused-activation clamp of a float pooling op.
struct PoolParamsFloat {
  int32_t strideH, strideW;
  int32_t filterH, filterW;
  int32_t padTop, padLeft;
  float actMin, actMax;
};

namespace detail {

/// The in-bounds part of one pooling window: input rows [yBegin, yEnd) and
/// columns [xBegin, xEnd).
struct Window {
  int32_t yBegin, yEnd, xBegin, xEnd;
};

template <typename P>
inline Window clipWindow(const P &p, int32_t outY, int32_t outX, int32_t inH,
                         int32_t inW) {
  const int32_t y0 = outY * p.strideH - p.padTop;
  const int32_t x0 = outX * p.strideW - p.padLeft;
  Window w;
  w.yBegin = y0 < 0 ? 0 : y0;
  w.yEnd = y0 + p.filterH < inH ? y0 + p.filterH : inH;
  w.xBegin = x0 < 0 ? 0 : x0;
  w.xEnd = x0 + p.filterW < inW ? x0 + p.filterW : inW;
  return w;
}

/// Integer average pool shared by int8 and int16.
template <typename T>
inline bool averagePoolInteger(const PoolParams &p, int32_t n, int32_t inH,
                               int32_t inW, int32_t c, const T *in,
                               int32_t outH, int32_t outW, T *out,
                               int32_t inputOffset = 0) {
  for (int32_t b = 0; b < n; ++b) {
    for (int32_t oy = 0; oy < outH; ++oy) {
      for (int32_t ox = 0; ox < outW; ++ox) {
        const Window w = clipWindow(p, oy, ox, inH, inW);
        for (int32_t ch = 0; ch < c; ++ch) {
          // |sum| <= filter area * 2^15: no overflow for any real filter.
          int32_t sum = 0;
          int32_t count = 0;
          for (int32_t iy = w.yBegin; iy < w.yEnd; ++iy) {
            for (int32_t ix = w.xBegin; ix < w.xEnd; ++ix) {
              sum += in[((static_cast<int64_t>(b) * inH + iy) * inW + ix) * c +
                        ch] +
                     inputOffset;
              ++count;
            }
          }
          // TFLite reports an error when a window covers no input.
          if (count == 0)
            return false;
          // Round half away from zero; truncating division does the rest.
          const int32_t avg = (sum > 0 ? (sum + count / 2) / count
                                       : (sum - count / 2) / count) -
                              inputOffset;
          out[((static_cast<int64_t>(b) * outH + oy) * outW + ox) * c + ch] =
              static_cast<T>(clamp(avg, p.actMin, p.actMax));
        }
      }
    }
  }
  return true;
}

/// Max pool shared by all element types. An empty window yields the type's
/// lowest value before clamping, as in TFLite.
template <typename T, typename P, typename Bound>
inline void maxPoolGeneric(const P &p, int32_t n, int32_t inH, int32_t inW,
                           int32_t c, const T *in, int32_t outH, int32_t outW,
                           T *out, T lowest, Bound actMin, Bound actMax) {
  for (int32_t b = 0; b < n; ++b) {
    for (int32_t oy = 0; oy < outH; ++oy) {
      for (int32_t ox = 0; ox < outW; ++ox) {
        const Window w = clipWindow(p, oy, ox, inH, inW);
        for (int32_t ch = 0; ch < c; ++ch) {
          T m = lowest;
          for (int32_t iy = w.yBegin; iy < w.yEnd; ++iy) {
            for (int32_t ix = w.xBegin; ix < w.xEnd; ++ix) {
              const T v =
                  in[((static_cast<int64_t>(b) * inH + iy) * inW + ix) * c +
                     ch];
              // std::max(m, v): keep m unless m < v.
              m = m < v ? v : m;
            }
          }
          // std::min(std::max(m, actMin), actMax).
          Bound r = static_cast<Bound>(m);
          r = r < actMin ? actMin : r;
          r = actMax < r ? actMax : r;
          out[((static_cast<int64_t>(b) * outH + oy) * outW + ox) * c + ch] =
              static_cast<T>(r);
        }
      }
    }
  }
}

} // namespace detail

/// int8 NHWC average pool, TFLite's reference_integer_ops::AveragePool.
/// Returns false, leaving the output partly written, if some window covers
/// no input element (TFLite fails the op then); a verifier that rejects
/// padding of a whole filter extent or more rules that out. With
/// `inputOffset` 128 it is TFLite's uint8 AveragePool on the int8 values
/// `q - 128` (the uint8 kernel rounds the average of non-negative sums).
inline bool averagePoolInt8(const PoolParams &p, int32_t n, int32_t inH,
                            int32_t inW, int32_t c, const int8_t *in,
                            int32_t outH, int32_t outW, int8_t *out,
                            int32_t inputOffset = 0) {
  return detail::averagePoolInteger(p, n, inH, inW, c, in, outH, outW, out,
                                    inputOffset);
}

/// int16 NHWC average pool (TFLite's int16 AveragePool, same algorithm).
inline bool averagePoolInt16(const PoolParams &p, int32_t n, int32_t inH,
                             int32_t inW, int32_t c, const int16_t *in,
                             int32_t outH, int32_t outW, int16_t *out) {
  return detail::averagePoolInteger(p, n, inH, inW, c, in, outH, outW, out);
}

/// int8 NHWC max pool, TFLite's reference_integer_ops::MaxPool.
inline void maxPoolInt8(const PoolParams &p, int32_t n, int32_t inH,
                        int32_t inW, int32_t c, const int8_t *in, int32_t outH,
                        int32_t outW, int8_t *out) {
  detail::maxPoolGeneric<int8_t>(p, n, inH, inW, c, in, outH, outW, out,
                                 INT8_MIN, p.actMin, p.actMax);
}

/// int16 NHWC max pool.
inline void maxPoolInt16(const PoolParams &p, int32_t n, int32_t inH,
                         int32_t inW, int32_t c, const int16_t *in,
                         int32_t outH, int32_t outW, int16_t *out) {
  detail::maxPoolGeneric<int16_t>(p, n, inH, inW, c, in, outH, outW, out,
                                  INT16_MIN, p.actMin, p.actMax);
}

/// float32 NHWC average pool, TFLite's reference_ops::AveragePool for
/// float: the in-bounds elements summed in window order (row by row), the
/// sum divided by their count, then clamped. Returns false if some window
/// covers no input element.
inline bool averagePoolFloat(const PoolParamsFloat &p, int32_t n, int32_t inH,
                             int32_t inW, int32_t c, const float *in,
                             int32_t outH, int32_t outW, float *out) {
  for (int32_t b = 0; b < n; ++b) {
    for (int32_t oy = 0; oy < outH; ++oy) {
      for (int32_t ox = 0; ox < outW; ++ox) {
        const detail::Window w = detail::clipWindow(p, oy, ox, inH, inW);
        for (int32_t ch = 0; ch < c; ++ch) {
          float sum = 0.0f;
          float count = 0.0f;
          for (int32_t iy = w.yBegin; iy < w.yEnd; ++iy) {
            for (int32_t ix = w.xBegin; ix < w.xEnd; ++ix) {
              sum += in[((static_cast<int64_t>(b) * inH + iy) * inW + ix) * c +
                        ch];
              count += 1.0f;
            }
          }
          if (count == 0.0f)
            return false;
          float avg = sum / count;
          avg = avg < p.actMin ? p.actMin : avg;
          avg = p.actMax < avg ? p.actMax : avg;
          out[((static_cast<int64_t>(b) * outH + oy) * outW + ox) * c + ch] =
              avg;
        }
      }
    }
  }
  return true;
}

/// float32 NHWC max pool, TFLite's reference_ops::MaxPool for float.
inline void maxPoolFloat(const PoolParamsFloat &p, int32_t n, int32_t inH,
                         int32_t inW, int32_t c, const float *in, int32_t outH,
                         int32_t outW, float *out) {
  detail::maxPoolGeneric<float>(p, n, inH, inW, c, in, outH, outW, out,
                                -3.40282347e+38f /* lowest float */, p.actMin,
                                p.actMax);
}

} // namespace rt
} // namespace tinyprune

#endif // TINYPRUNE_RT_POOLING_H
