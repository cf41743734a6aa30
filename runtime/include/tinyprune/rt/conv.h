//===- conv.h - NHWC 2-D convolution ----------------------------*- C++ -*-===//
//
// TFLite's CONV_2D on NHWC inputs and OHWI filters: int8 with per-channel
// quantized filters (reference_integer_ops::ConvPerChannel) and float32
// (reference_ops::Conv), bit for bit.
//
// Padding follows TFLite: `padTop`/`padLeft` place the first window, and
// filter taps that fall outside the input are skipped, which for int8 is
// the same as padding with the input zero point. The kernels clip each
// window to the taps inside the input once per output row and column, so
// the inner loops never test bounds.
//
// The int8 accumulator is reorganised. TFLite sums `w * (x - zp)` over the
// in-bounds taps; this kernel sums `x * w` and subtracts `zp * sum(w)`
// once per output. Integer arithmetic is exact, so the int32 result is
// identical (see convPerChannelInt8 for the overflow bound), while the
// inner loop is a plain int8 dot product over input channels, contiguous
// in both NHWC input and OHWI filter. `sum(w)` over the whole filter is
// computed once per output channel; only windows clipped by padding sum
// their in-bounds taps again.
//
// On Cortex-M cores with the DSP extension (`__ARM_FEATURE_DSP`), the dot
// product takes four channels per step with SXTB16 and SMLAD; elsewhere a
// portable loop computes the same integer. Define TINYPRUNE_RT_NO_DSP to
// force the portable loop (e.g. to compare both on a device).
//
// The float kernel accumulates each output in TFLite's order (filter row,
// filter column, input channel) so results match TFLite bitwise when both
// are compiled alike: floating-point contraction into fused multiply-adds
// (GCC's default -ffp-contract=fast on FPUs with FMA) can change the last
// bit on either side.
//
// Device kernels: no libm, no heap, no exceptions.
//
//===----------------------------------------------------------------------===//

#ifndef TINYPRUNE_RT_CONV_H
#define TINYPRUNE_RT_CONV_H

#include "tinyprune/rt/fixedpoint.h"

#include <cstddef>
#include <cstdint>

#if defined(__ARM_FEATURE_DSP) && defined(__ARM_FEATURE_SIMD32) &&             \
    !defined(TINYPRUNE_RT_NO_DSP)
/// Set when the Cortex-M DSP (SIMD32) code paths are compiled in.
#define TINYPRUNE_RT_ARM_DSP 1
#include <arm_acle.h>
#include <cstring>
#else
#define TINYPRUNE_RT_ARM_DSP 0
#endif

namespace tinyprune {
namespace rt {

/// Geometry, zero points and fused-activation clamp of an int8 CONV_2D or
/// DEPTHWISE_CONV_2D (the int8 part of TFLite's ConvParams). Dilations and
/// strides are at least 1. `actMin`/`actMax` are in the output's stored
/// integer domain (activationRange()).
struct ConvInt8Params {
  int32_t strideH, strideW;
  int32_t dilationH, dilationW;
  int32_t padTop, padLeft;
  /// TFLite's `input_offset` is `-inputZeroPoint`.
  int32_t inputZeroPoint;
  int32_t outputZeroPoint;
  int32_t actMin, actMax;
};

/// Geometry and fused-activation clamp of a float32 CONV_2D or
/// DEPTHWISE_CONV_2D.
struct ConvFloatParams {
  int32_t strideH, strideW;
  int32_t dilationH, dilationW;
  int32_t padTop, padLeft;
  float actMin, actMax;
};

namespace detail {

/// The filter taps `k` in [begin, end) whose input coordinate
/// `origin + k * dilation` lies in [0, extent): the taps TFLite does not
/// skip. Empty (begin == end) when the whole window is padding.
struct TapRange {
  int32_t begin, end;
};

inline TapRange tapRange(int32_t origin, int32_t dilation, int32_t taps,
                         int32_t extent) {
  TapRange r;
  // Smallest k with origin + k * dilation >= 0: ceil(-origin / dilation).
  r.begin = origin < 0 ? (dilation - 1 - origin) / dilation : 0;
  // Largest k * dilation that stays below extent is extent - 1 - origin.
  const int32_t room = extent - 1 - origin;
  r.end = room < 0 ? 0 : room / dilation + 1;
  r.end = r.end < taps ? r.end : taps;
  r.begin = r.begin < r.end ? r.begin : r.end;
  return r;
}

/// `std::min(std::max(x, lo), hi)`, TFLite's ActivationFunctionWithMinMax
/// (a NaN passes through).
inline float clampFloat(float x, float lo, float hi) {
  x = x < lo ? lo : x;
  return hi < x ? hi : x;
}

#if TINYPRUNE_RT_ARM_DSP
/// Four consecutive int8 values as one word: an unaligned load, which
/// ARMv7-M allows for LDR. GCC emits one LDR by default; clang targeting
/// bare metal needs -munaligned-access, or it assembles the word from byte
/// loads. The builtin stays inline under -ffreestanding / -fno-builtin,
/// where std::memcpy would become a call.
inline int32_t loadInt8x4(const int8_t *p) {
  int32_t v;
#if defined(__GNUC__) || defined(__clang__)
  __builtin_memcpy(&v, p, sizeof(v));
#else
  std::memcpy(&v, p, sizeof(v));
#endif
  return v;
}

/// Bytes 0 and 2 of `v`, sign-extended into the two int16 halves.
inline int32_t sxtbLanes02(int32_t v) { return __sxtb16(v); }

/// Bytes 1 and 3 of `v`, sign-extended into the two int16 halves.
inline int32_t sxtbLanes13(int32_t v) {
  return __sxtb16(static_cast<int32_t>(rotateRight8(static_cast<uint32_t>(v))));
}
#endif

/// `sum(x[i] * w[i])` over `n` int8 pairs, exact in int32 for n < 2^17.
/// The DSP path pairs bytes 0/2 and 1/3 of four-byte groups identically
/// on both operands, so it adds the same sixteen-bit products in a
/// different order (and is independent of byte order).
inline int32_t dotInt8(const int8_t *x, const int8_t *w, int32_t n) {
  int32_t acc = 0;
  int32_t i = 0;
#if TINYPRUNE_RT_ARM_DSP
  for (; i + 4 <= n; i += 4) {
    const int32_t xq = loadInt8x4(x + i);
    const int32_t wq = loadInt8x4(w + i);
    // acc += x0 * w0 + x2 * w2, then acc += x1 * w1 + x3 * w3.
    acc = __smlad(sxtbLanes02(xq), sxtbLanes02(wq), acc);
    acc = __smlad(sxtbLanes13(xq), sxtbLanes13(wq), acc);
  }
#endif
  for (; i < n; ++i)
    acc += static_cast<int32_t>(x[i]) * static_cast<int32_t>(w[i]);
  return acc;
}

/// `sum(x[i] * w0[i])` and `sum(x[i] * w1[i])` in one pass: each input
/// word is loaded and unpacked once for two filters.
inline void dotInt8x2(const int8_t *x, const int8_t *w0, const int8_t *w1,
                      int32_t n, int32_t &acc0, int32_t &acc1) {
  int32_t a0 = 0, a1 = 0;
  int32_t i = 0;
#if TINYPRUNE_RT_ARM_DSP
  for (; i + 4 <= n; i += 4) {
    const int32_t xq = loadInt8x4(x + i);
    const int32_t x02 = sxtbLanes02(xq), x13 = sxtbLanes13(xq);
    const int32_t w0q = loadInt8x4(w0 + i);
    a0 = __smlad(x02, sxtbLanes02(w0q), a0);
    a0 = __smlad(x13, sxtbLanes13(w0q), a0);
    const int32_t w1q = loadInt8x4(w1 + i);
    a1 = __smlad(x02, sxtbLanes02(w1q), a1);
    a1 = __smlad(x13, sxtbLanes13(w1q), a1);
  }
#endif
  for (; i < n; ++i) {
    a0 += static_cast<int32_t>(x[i]) * static_cast<int32_t>(w0[i]);
    a1 += static_cast<int32_t>(x[i]) * static_cast<int32_t>(w1[i]);
  }
  acc0 = a0;
  acc1 = a1;
}

/// `sum(w[i])` over `n` int8 values.
inline int32_t sumInt8(const int8_t *w, int32_t n) {
  int32_t s = 0;
  for (int32_t i = 0; i < n; ++i)
    s += w[i];
  return s;
}

} // namespace detail

/// Pointwise fast path of convPerChannelInt8: 1x1 filter, stride 1, no
/// padding and a zero input offset (the compiler folds the zero point into
/// the bias of such layers). Every output pixel is a matrix-vector product;
/// output channels go in pairs so each input word serves two filters.
inline void pointwiseInt8(const ConvInt8Params &p, const int32_t *multiplier,
                          const int32_t *shift, int32_t pixels, int32_t inC,
                          const int8_t *input, int32_t outC,
                          const int8_t *filter, const int32_t *bias,
                          int8_t *output) {
  auto finish = [&](int32_t acc, int32_t o) {
    acc += bias ? bias[o] : 0;
    const int32_t scaled =
        multiplyByQuantizedMultiplier(acc, multiplier[o], shift[o]) +
        p.outputZeroPoint;
    return static_cast<int8_t>(clamp(scaled, p.actMin, p.actMax));
  };
  for (int32_t px = 0; px < pixels; ++px) {
    const int8_t *x = input + static_cast<ptrdiff_t>(px) * inC;
    int8_t *y = output + static_cast<ptrdiff_t>(px) * outC;
    int32_t o = 0;
    for (; o + 2 <= outC; o += 2) {
      int32_t acc0, acc1;
      detail::dotInt8x2(x, filter + static_cast<ptrdiff_t>(o) * inC,
                        filter + static_cast<ptrdiff_t>(o + 1) * inC, inC, acc0,
                        acc1);
      y[o] = finish(acc0, o);
      y[o + 1] = finish(acc1, o + 1);
    }
    if (o < outC)
      y[o] = finish(
          detail::dotInt8(x, filter + static_cast<ptrdiff_t>(o) * inC, inC), o);
  }
}

/// int8 NHWC convolution with per-output-channel requantization, TFLite's
/// reference_integer_ops::ConvPerChannel (without groups: the filter's
/// input depth is `inC`).
///
/// `filter` is OHWI, `[outC][kH][kW][inC]`. `multiplier`/`shift` hold one
/// quantized multiplier per output channel in TFLite's convention (a
/// positive shift is a left shift; see quantizeMultiplier()). `bias` has
/// `outC` entries or is null. The output is `[batches][outH][outW][outC]`;
/// `outH`/`outW` come from the padding scheme and need not cover the input.
///
/// Per output, TFLite computes `acc = sum(w * (x - zp))` over the taps
/// inside the input, then `acc + bias`. Here `acc = dot - zp * wSum` with
/// `dot = sum(x * w)` and `wSum = sum(w)` over the same taps, the same
/// integer. No int32 overflow for N = kH * kW * inC <= 2^16 taps, the
/// filter size TFLite's own int32 accumulator assumes: with |x|, |w| <= 128
/// and |zp| <= 128, |dot| and |zp * wSum| are each at most N * 2^14 <= 2^30,
/// and their sum is TFLite's accumulator, at most N * 128 * 255 < 2^31.
/// The bias is then added as in TFLite.
inline void convPerChannelInt8(const ConvInt8Params &p,
                               const int32_t *multiplier, const int32_t *shift,
                               int32_t batches, int32_t inH, int32_t inW,
                               int32_t inC, const int8_t *input, int32_t outC,
                               int32_t kH, int32_t kW, const int8_t *filter,
                               const int32_t *bias, int32_t outH, int32_t outW,
                               int8_t *output) {
  if (kH == 1 && kW == 1 && p.strideH == 1 && p.strideW == 1 && p.padTop == 0 &&
      p.padLeft == 0 && p.inputZeroPoint == 0 && outH == inH && outW == inW) {
    pointwiseInt8(p, multiplier, shift, batches * outH * outW, inC, input, outC,
                  filter, bias, output);
    return;
  }
  const int32_t inputOffset = -p.inputZeroPoint;
  const int32_t filterSize = kH * kW * inC;
  const ptrdiff_t inRowStride = static_cast<ptrdiff_t>(inW) * inC;
  const ptrdiff_t inTapStride = static_cast<ptrdiff_t>(p.dilationW) * inC;

  // Output channels go in pairs: each input word loaded in the window
  // serves two filters (the last channel of an odd count goes alone).
  for (int32_t o = 0; o < outC; o += 2) {
    const int32_t lanes = o + 1 < outC ? 2 : 1;
    const int8_t *filterO[2] = {filter + static_cast<ptrdiff_t>(o) * filterSize,
                                filter + static_cast<ptrdiff_t>(o + lanes - 1) *
                                             filterSize};
    // sum(w) for windows entirely inside the input. With a zero input
    // offset (the compiler folds zp * sum(w) into the bias of unpadded
    // convolutions) the term vanishes and is not computed.
    int32_t filterSum[2] = {0, 0};
    if (inputOffset != 0)
      for (int32_t l = 0; l < lanes; ++l)
        filterSum[l] = detail::sumInt8(filterO[l], filterSize);

    for (int32_t b = 0; b < batches; ++b) {
      const int8_t *inB = input + static_cast<ptrdiff_t>(b) * inH * inRowStride;
      int8_t *outB = output + static_cast<ptrdiff_t>(b) * outH * outW * outC;
      for (int32_t oy = 0; oy < outH; ++oy) {
        const int32_t y0 = oy * p.strideH - p.padTop;
        const detail::TapRange ry = detail::tapRange(y0, p.dilationH, kH, inH);
        for (int32_t ox = 0; ox < outW; ++ox) {
          const int32_t x0 = ox * p.strideW - p.padLeft;
          const detail::TapRange rx =
              detail::tapRange(x0, p.dilationW, kW, inW);
          const int32_t tapsX = rx.end - rx.begin;
          // No row is visited when no column is in bounds.
          const int32_t kyEnd = tapsX > 0 ? ry.end : ry.begin;

          int32_t dot[2] = {0, 0};
          for (int32_t ky = ry.begin; ky < kyEnd; ++ky) {
            const int8_t *in =
                inB +
                static_cast<ptrdiff_t>(y0 + ky * p.dilationH) * inRowStride +
                static_cast<ptrdiff_t>(x0 + rx.begin * p.dilationW) * inC;
            const ptrdiff_t wRow =
                (static_cast<ptrdiff_t>(ky) * kW + rx.begin) * inC;
            // Adjacent taps are contiguous in input and filter when the
            // width dilation is 1: one run per row.
            const int32_t runs = p.dilationW == 1 ? 1 : tapsX;
            const int32_t runLength = p.dilationW == 1 ? tapsX * inC : inC;
            for (int32_t kx = 0; kx < runs; ++kx) {
              const int8_t *x = in + kx * inTapStride;
              const int8_t *w0 = filterO[0] + wRow + kx * inC;
              if (lanes == 2) {
                int32_t d0, d1;
                detail::dotInt8x2(x, w0, filterO[1] + wRow + kx * inC,
                                  runLength, d0, d1);
                dot[0] += d0;
                dot[1] += d1;
              } else {
                dot[0] += detail::dotInt8(x, w0, runLength);
              }
            }
          }

          const bool clipped = ry.end - ry.begin != kH || tapsX != kW;
          for (int32_t l = 0; l < lanes; ++l) {
            int32_t wSum = filterSum[l];
            if (inputOffset != 0 && clipped) {
              // Clipped window: sum the in-bounds taps, contiguous per row.
              wSum = 0;
              for (int32_t ky = ry.begin; ky < kyEnd; ++ky)
                wSum += detail::sumInt8(
                    filterO[l] +
                        (static_cast<ptrdiff_t>(ky) * kW + rx.begin) * inC,
                    tapsX * inC);
            }
            const int32_t ol = o + l;
            const int32_t acc =
                (dot[l] + inputOffset * wSum) + (bias ? bias[ol] : 0);
            const int32_t scaled =
                multiplyByQuantizedMultiplier(acc, multiplier[ol], shift[ol]) +
                p.outputZeroPoint;
            outB[(static_cast<ptrdiff_t>(oy) * outW + ox) * outC + ol] =
                static_cast<int8_t>(clamp(scaled, p.actMin, p.actMax));
          }
        }
      }
    }
  }
}

/// float32 NHWC convolution, TFLite's reference_ops::Conv (without
/// groups). `filter` is OHWI, `bias` has `outC` entries or is null. Each
/// output is `clamp(total + bias)` with `total` accumulated from 0.0f over
/// the in-bounds taps in filter row, filter column, input channel order.
inline void convFloat(const ConvFloatParams &p, int32_t batches, int32_t inH,
                      int32_t inW, int32_t inC, const float *input,
                      int32_t outC, int32_t kH, int32_t kW, const float *filter,
                      const float *bias, int32_t outH, int32_t outW,
                      float *output) {
  const int32_t filterSize = kH * kW * inC;
  const ptrdiff_t inRowStride = static_cast<ptrdiff_t>(inW) * inC;
  const ptrdiff_t inTapStride = static_cast<ptrdiff_t>(p.dilationW) * inC;

  for (int32_t o = 0; o < outC; ++o) {
    const float *filterO = filter + static_cast<ptrdiff_t>(o) * filterSize;
    const float biasO = bias ? bias[o] : 0.0f;
    for (int32_t b = 0; b < batches; ++b) {
      const float *inB = input + static_cast<ptrdiff_t>(b) * inH * inRowStride;
      float *outB = output + static_cast<ptrdiff_t>(b) * outH * outW * outC;
      for (int32_t oy = 0; oy < outH; ++oy) {
        const int32_t y0 = oy * p.strideH - p.padTop;
        const detail::TapRange ry = detail::tapRange(y0, p.dilationH, kH, inH);
        for (int32_t ox = 0; ox < outW; ++ox) {
          const int32_t x0 = ox * p.strideW - p.padLeft;
          const detail::TapRange rx =
              detail::tapRange(x0, p.dilationW, kW, inW);
          const int32_t tapsX = rx.end - rx.begin;
          // No row is visited when no column is in bounds.
          const int32_t kyEnd = tapsX > 0 ? ry.end : ry.begin;

          float total = 0.0f;
          for (int32_t ky = ry.begin; ky < kyEnd; ++ky) {
            const float *in =
                inB +
                static_cast<ptrdiff_t>(y0 + ky * p.dilationH) * inRowStride +
                static_cast<ptrdiff_t>(x0 + rx.begin * p.dilationW) * inC;
            const float *w =
                filterO + (static_cast<ptrdiff_t>(ky) * kW + rx.begin) * inC;
            for (int32_t kx = 0; kx < tapsX; ++kx) {
              const float *inTap = in + kx * inTapStride;
              const float *wTap = w + kx * inC;
              for (int32_t c = 0; c < inC; ++c)
                total += inTap[c] * wTap[c];
            }
          }
          outB[(static_cast<ptrdiff_t>(oy) * outW + ox) * outC + o] =
              detail::clampFloat(total + biasO, p.actMin, p.actMax);
        }
      }
    }
  }
}

} // namespace rt
} // namespace tinyprune

#endif // TINYPRUNE_RT_CONV_H
