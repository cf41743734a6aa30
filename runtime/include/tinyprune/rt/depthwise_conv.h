//===- depthwise_conv.h - NHWC depthwise 2-D convolution --------*- C++ -*-===//
//
// TFLite's DEPTHWISE_CONV_2D on NHWC inputs: int8 with per-channel
// quantized filters (reference_integer_ops::DepthwiseConvPerChannel) and
// float32 (reference_ops::DepthwiseConv), bit for bit.
//
// The filter is `[1][kH][kW][inC * depthMultiplier]`: output channel
// `oc = ic * depthMultiplier + m` filters input channel `ic`. Padding and
// window clipping are as in conv.h (taps outside the input are skipped).
//
// The int8 accumulator is TFLite's, `sum(w * (x - zp))` over the
// in-bounds taps. Each output channel has only kH * kW taps, so
// precomputing `sum(w)` as conv.h does would cost as much as the products
// it saves. With a depth multiplier of 1 (by far the common case) four
// adjacent channels are accumulated together, walking the taps once per
// group of four with the accumulators in registers; on Cortex-M cores with
// the DSP extension SXTAB16 adds the zero-point offset to two channels at
// once and SMLABB/SMLATT multiply-accumulate each channel separately.
// Other depth multipliers take one output channel at a time.
//
// Device kernels: no libm, no heap, no exceptions.
//
//===----------------------------------------------------------------------===//

#ifndef TINYPRUNE_RT_DEPTHWISE_CONV_H
#define TINYPRUNE_RT_DEPTHWISE_CONV_H

#include "tinyprune/rt/conv.h"
#include "tinyprune/rt/fixedpoint.h"

#include <cstddef>
#include <cstdint>

namespace tinyprune {
namespace rt {

namespace detail {

/// `acc[c] += (x[c] + inputOffset) * w[c]` for the four channels c = 0..3.
/// `x + inputOffset` lies in [-255, 255], so it fits the int16 halves the
/// DSP path computes it in; the lane-to-channel mapping assumes
/// little-endian words, so big-endian builds take the portable loop.
inline void depthwiseMac4(const int8_t *x, const int8_t *w, int32_t inputOffset,
                          int32_t *acc) {
#if TINYPRUNE_RT_ARM_DSP && !defined(__ARM_BIG_ENDIAN)
  const int32_t offsetPair = static_cast<int32_t>(
      (static_cast<uint32_t>(inputOffset) & 0xFFFFu) * 0x10001u);
  const int32_t xq = loadInt8x4(x);
  const int32_t wq = loadInt8x4(w);
  // (x0 + offset, x2 + offset) and (x1 + offset, x3 + offset).
  const int32_t x02 = __sxtab16(offsetPair, xq);
  const int32_t x13 =
      __sxtab16(offsetPair,
                static_cast<int32_t>(rotateRight8(static_cast<uint32_t>(xq))));
  const int32_t w02 = sxtbLanes02(wq);
  const int32_t w13 = sxtbLanes13(wq);
  acc[0] = __smlabb(x02, w02, acc[0]);
  acc[1] = __smlabb(x13, w13, acc[1]);
  acc[2] = __smlatt(x02, w02, acc[2]);
  acc[3] = __smlatt(x13, w13, acc[3]);
#else
  for (int32_t c = 0; c < 4; ++c)
    acc[c] +=
        (static_cast<int32_t>(x[c]) + inputOffset) * static_cast<int32_t>(w[c]);
#endif
}

} // namespace detail

/// int8 NHWC depthwise convolution with per-output-channel requantization,
/// TFLite's reference_integer_ops::DepthwiseConvPerChannel.
///
/// `filter` is `[kH][kW][outC]` with `outC = inC * depthMultiplier`;
/// `multiplier`/`shift` (TFLite's convention, a positive shift is a left
/// shift) and `bias` (or null) have `outC` entries. The output is
/// `[batches][outH][outW][outC]`.
///
/// Each accumulator sums kH * kW products `w * (x - zp)` of magnitude at
/// most 128 * 255 < 2^15, so int32 cannot overflow for kH * kW <= 2^16.
inline void depthwiseConvPerChannelInt8(
    const ConvInt8Params &p, const int32_t *multiplier, const int32_t *shift,
    int32_t depthMultiplier, int32_t batches, int32_t inH, int32_t inW,
    int32_t inC, const int8_t *input, int32_t kH, int32_t kW,
    const int8_t *filter, const int32_t *bias, int32_t outH, int32_t outW,
    int8_t *output) {
  const int32_t outC = inC * depthMultiplier;
  const int32_t inputOffset = -p.inputZeroPoint;
  const ptrdiff_t inRowStride = static_cast<ptrdiff_t>(inW) * inC;
  const ptrdiff_t inTapStride = static_cast<ptrdiff_t>(p.dilationW) * inC;
  const ptrdiff_t filterRowStride = static_cast<ptrdiff_t>(kW) * outC;

  // Bias, requantization, output offset and clamp of output channel `oc`.
  auto requantize = [&](int32_t oc, int32_t acc) {
    if (bias)
      acc += bias[oc];
    const int32_t scaled =
        multiplyByQuantizedMultiplier(acc, multiplier[oc], shift[oc]) +
        p.outputZeroPoint;
    return static_cast<int8_t>(clamp(scaled, p.actMin, p.actMax));
  };

  for (int32_t b = 0; b < batches; ++b) {
    const int8_t *inB = input + static_cast<ptrdiff_t>(b) * inH * inRowStride;
    for (int32_t oy = 0; oy < outH; ++oy) {
      const int32_t y0 = oy * p.strideH - p.padTop;
      const detail::TapRange ry = detail::tapRange(y0, p.dilationH, kH, inH);
      for (int32_t ox = 0; ox < outW; ++ox) {
        const int32_t x0 = ox * p.strideW - p.padLeft;
        const detail::TapRange rx = detail::tapRange(x0, p.dilationW, kW, inW);
        const int32_t tapsX = rx.end - rx.begin;
        // No row is visited when no column is in bounds.
        const int32_t kyEnd = tapsX > 0 ? ry.end : ry.begin;
        int8_t *out =
            output +
            ((static_cast<ptrdiff_t>(b) * outH + oy) * outW + ox) * outC;

        // First in-bounds input pixel and filter tap of filter row ky.
        auto inRow = [&](int32_t ky) {
          return inB +
                 static_cast<ptrdiff_t>(y0 + ky * p.dilationH) * inRowStride +
                 static_cast<ptrdiff_t>(x0 + rx.begin * p.dilationW) * inC;
        };
        auto filterRow = [&](int32_t ky) {
          return filter + ky * filterRowStride +
                 static_cast<ptrdiff_t>(rx.begin) * outC;
        };
        // sum(w * (x - zp)) over the in-bounds taps for one output channel.
        auto accumulate = [&](int32_t ic, int32_t oc) {
          int32_t acc = 0;
          for (int32_t ky = ry.begin; ky < kyEnd; ++ky) {
            const int8_t *in = inRow(ky) + ic;
            const int8_t *w = filterRow(ky) + oc;
            for (int32_t kx = 0; kx < tapsX; ++kx)
              acc +=
                  (static_cast<int32_t>(in[kx * inTapStride]) + inputOffset) *
                  static_cast<int32_t>(w[kx * outC]);
          }
          return acc;
        };

        if (depthMultiplier == 1) {
          int32_t c = 0;
          for (; c + 4 <= inC; c += 4) {
            int32_t acc[4] = {0, 0, 0, 0};
            for (int32_t ky = ry.begin; ky < kyEnd; ++ky) {
              const int8_t *in = inRow(ky) + c;
              const int8_t *w = filterRow(ky) + c;
              for (int32_t kx = 0; kx < tapsX; ++kx)
                detail::depthwiseMac4(in + kx * inTapStride, w + kx * outC,
                                      inputOffset, acc);
            }
            for (int32_t j = 0; j < 4; ++j)
              out[c + j] = requantize(c + j, acc[j]);
          }
          for (; c < inC; ++c)
            out[c] = requantize(c, accumulate(c, c));
        } else {
          for (int32_t ic = 0; ic < inC; ++ic) {
            for (int32_t m = 0; m < depthMultiplier; ++m) {
              const int32_t oc = ic * depthMultiplier + m;
              out[oc] = requantize(oc, accumulate(ic, oc));
            }
          }
        }
      }
    }
  }
}

/// float32 NHWC depthwise convolution, TFLite's reference_ops::DepthwiseConv.
/// Each output is `clamp(total + bias)` with `total` accumulated from 0.0f
/// over the in-bounds taps in filter row, filter column order.
inline void depthwiseConvFloat(const ConvFloatParams &p,
                               int32_t depthMultiplier, int32_t batches,
                               int32_t inH, int32_t inW, int32_t inC,
                               const float *input, int32_t kH, int32_t kW,
                               const float *filter, const float *bias,
                               int32_t outH, int32_t outW, float *output) {
  const int32_t outC = inC * depthMultiplier;
  const ptrdiff_t inRowStride = static_cast<ptrdiff_t>(inW) * inC;
  const ptrdiff_t inTapStride = static_cast<ptrdiff_t>(p.dilationW) * inC;
  const ptrdiff_t filterRowStride = static_cast<ptrdiff_t>(kW) * outC;

  for (int32_t b = 0; b < batches; ++b) {
    const float *inB = input + static_cast<ptrdiff_t>(b) * inH * inRowStride;
    for (int32_t oy = 0; oy < outH; ++oy) {
      const int32_t y0 = oy * p.strideH - p.padTop;
      const detail::TapRange ry = detail::tapRange(y0, p.dilationH, kH, inH);
      for (int32_t ox = 0; ox < outW; ++ox) {
        const int32_t x0 = ox * p.strideW - p.padLeft;
        const detail::TapRange rx = detail::tapRange(x0, p.dilationW, kW, inW);
        const int32_t tapsX = rx.end - rx.begin;
        // No row is visited when no column is in bounds.
        const int32_t kyEnd = tapsX > 0 ? ry.end : ry.begin;
        float *out =
            output +
            ((static_cast<ptrdiff_t>(b) * outH + oy) * outW + ox) * outC;
        for (int32_t ic = 0; ic < inC; ++ic) {
          for (int32_t m = 0; m < depthMultiplier; ++m) {
            const int32_t oc = ic * depthMultiplier + m;
            float total = 0.0f;
            for (int32_t ky = ry.begin; ky < kyEnd; ++ky) {
              const float *in =
                  inB +
                  static_cast<ptrdiff_t>(y0 + ky * p.dilationH) * inRowStride +
                  static_cast<ptrdiff_t>(x0 + rx.begin * p.dilationW) * inC +
                  ic;
              const float *w = filter + ky * filterRowStride +
                               static_cast<ptrdiff_t>(rx.begin) * outC + oc;
              for (int32_t kx = 0; kx < tapsX; ++kx)
                total += in[kx * inTapStride] * w[kx * outC];
            }
            out[oc] = detail::clampFloat(total + (bias ? bias[oc] : 0.0f),
                                         p.actMin, p.actMax);
          }
        }
      }
    }
  }
}

} // namespace rt
} // namespace tinyprune

#endif // TINYPRUNE_RT_DEPTHWISE_CONV_H
