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
// int8: TFLite sums `w * (x - zp)` over the in-bounds taps, then adds the
// bias, then requantizes. When every output channel's multiplier is a
// right shift (TFLite's are, in practice) the kernel takes fast paths:
//  * pointwise and fully-connected layers (1x1, stride 1, unpadded, with
//    the input zero point folded into the bias by the compiler) are matrix
//    products in register blocks of two pixels by two output channels, or
//    of one pixel by four channels;
//  * small filters (first layers on one to three channels, up to
//    kMaxPatch bytes) copy each window into a patch, with the zero point
//    for taps in the padding, and run the same matrix product over them;
//  * other convolutions compute the windows whose columns lie inside the
//    input two pixels (along the row) by two channels at a time, as
//    `start + sum(x * w)` with `start = bias - zp * sum(w)` over the filter
//    rows inside the input; only windows clipped at the left or right edge
//    sum `w * (x - zp)` over their clipped taps one by one;
//  * requantization uses multipliers prepared once per channel
//    (RightShiftMultiplier, fixedpoint.h).
// Other layers take the general per-window path throughout. The sums are
// exact modulo 2^32, so every path computes TFLite's int32 accumulator.
//
// On Cortex-M cores with the DSP extension (`__ARM_FEATURE_DSP`), the dot
// products take four channels per step with SXTB16 and SMLAD (SXTAB16 adds
// the input offset in clipped windows); the innermost loops are inline
// assembly (TINYPRUNE_RT_ARM_ASM). These register blocks live in
// conv_blocks.h. There the compiler may also pass the filter as int16
// pairs in SMLAD's lane order (packConvW16, the `filter16` argument), which
// the 2x2 blocks, clipped windows and starting values of the pointwise and
// blocked paths read instead of the int8 filter. Elsewhere portable loops
// compute the same integers. Define TINYPRUNE_RT_NO_DSP to force the
// portable loops (e.g. to compare both on a device).
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

#include "tinyprune/rt/conv_layer.h"

#include <cstddef>
#include <cstdint>

namespace tinyprune {
namespace rt {
namespace detail {

/// The first channel of the pair covering channel `o`: `o` itself, or
/// `count - 2` for the last channel of an odd count (the pair overlaps the
/// one before), or 0 when there is a single channel.
inline int32_t pairStart(int32_t o, int32_t count) {
  return o + 2 <= count ? o : (count >= 2 ? count - 2 : 0);
}

/// TFLite's accumulator plus bias for output channels `o0` and `o1` (which
/// may be equal) of the window at (oy, ox) of one batch image: the sum of
/// `w * (x - zp)` over the taps inside the input, plus the bias. The
/// general case, used for windows that touch the padding and for layers
/// the fast paths do not take.
inline void convWindowInt8(const ConvInt8Layer &l, const int8_t *in, int32_t oy,
                           int32_t ox, int32_t o0, int32_t o1, int32_t &acc0,
                           int32_t &acc1) {
  const ConvInt8Params &p = l.p;
  const int32_t y0 = oy * p.strideH - p.padTop;
  const int32_t x0 = ox * p.strideW - p.padLeft;
  const TapRange ry = tapRange(y0, p.dilationH, l.kH, l.inH);
  const TapRange rx = tapRange(x0, p.dilationW, l.kW, l.inW);
  const int32_t tapsX = rx.end - rx.begin;
  // Adjacent taps are contiguous in input and filter when the width
  // dilation is 1: one run per row.
  const int32_t runs = p.dilationW == 1 ? (tapsX > 0 ? 1 : 0) : tapsX;
  const int32_t runLength = p.dilationW == 1 ? tapsX * l.inC : l.inC;
  const int8_t *w0 = l.filter + static_cast<ptrdiff_t>(o0) * l.filterSize;
  const int8_t *w1 = l.filter + static_cast<ptrdiff_t>(o1) * l.filterSize;
  int32_t a0 = l.bias ? l.bias[o0] : 0, a1 = l.bias ? l.bias[o1] : 0;
  for (int32_t ky = ry.begin; ky < ry.end; ++ky) {
    const int8_t *x =
        in + (static_cast<ptrdiff_t>(y0 + ky * p.dilationH) * l.inW + x0 +
              rx.begin * p.dilationW) *
                 l.inC;
    const ptrdiff_t wRow =
        (static_cast<ptrdiff_t>(ky) * l.kW + rx.begin) * l.inC;
    for (int32_t k = 0; k < runs; ++k)
      dotInt8Block1x2(x + static_cast<ptrdiff_t>(k) * p.dilationW * l.inC,
                      w0 + wRow + k * l.inC, w1 + wRow + k * l.inC, runLength,
                      -p.inputZeroPoint, a0, a1);
  }
  acc0 = a0;
  acc1 = a1;
}

#if TINYPRUNE_RT_CONV_W16
/// convWindowInt8 from the pair's int16 weights `w16` (packConvW16) with
/// `inC` a multiple of four and width dilation 1: every run starts and
/// ends on a whole word of the filter.
inline void convWindowW16(const ConvInt8Layer &l, const int8_t *in, int32_t oy,
                          int32_t ox, int32_t o0, int32_t o1,
                          const int32_t *w16, int32_t &acc0, int32_t &acc1) {
  const ConvInt8Params &p = l.p;
  const int32_t y0 = oy * p.strideH - p.padTop;
  const int32_t x0 = ox * p.strideW - p.padLeft;
  const TapRange ry = tapRange(y0, p.dilationH, l.kH, l.inH);
  const TapRange rx = tapRange(x0, 1, l.kW, l.inW);
  const int32_t runLength = (rx.end - rx.begin) * l.inC;
  int32_t a0 = l.bias ? l.bias[o0] : 0, a1 = l.bias ? l.bias[o1] : 0;
  for (int32_t ky = ry.begin; runLength > 0 && ky < ry.end; ++ky) {
    const int8_t *x =
        in + (static_cast<ptrdiff_t>(y0 + ky * p.dilationH) * l.inW + x0 +
              rx.begin) *
                 l.inC;
    dotW16Block1x2Offset(
        x, w16 + (static_cast<ptrdiff_t>(ky) * l.kW + rx.begin) * l.inC,
        runLength, -p.inputZeroPoint, a0, a1);
  }
  acc0 = a0;
  acc1 = a1;
}
#endif

/// The matrix product at the heart of pointwise, fully-connected and
/// small-filter (patch) layers: for `pixels` output pixels p (inputs x_p =
/// `x + p * xPixel`, outputs `y + p * yPixel`) and `outC` channels o,
/// `start[o] + sum(x_p[i] * w[o * n + i])` over i < n, requantized with
/// right-shift multipliers. When the inputs are zero from n up to
/// `nPadded` (a multiple of four), blocks read that far (into the next
/// filter rows) where the filter has that many bytes left, which saves the
/// one-to-three-channel tail. `start` may be null (zero).
struct MatrixInt8 {
  const int8_t *x;
  ptrdiff_t xPixel;
  int32_t pixels;
  const int8_t *w;
  int32_t n, nPadded, outC;
  const int32_t *start, *multiplier, *shift;
  int8_t *y;
  ptrdiff_t yPixel;
#if TINYPRUNE_RT_CONV_W16
  /// The filters as int16 weights (packConvW16; n == nPadded, a multiple
  /// of four), or null.
  const int32_t *w16;
#endif
};

/// Output channels go in pairs (the pair's multipliers prepared once) and
/// pixels in pairs through blockRowInt8; a single pixel (fully-connected
/// layers) with at least four channels takes four at a time through
/// dotInt8Block1x4 instead, the last block overlapping the one before.
inline void matrixInt8(const MatrixInt8 &m, const OutputStage &finish) {
  const int32_t outC = m.outC, n = m.n;
  // Run length of a block whose last filter row is `row`: nPadded bytes
  // from the start of the row must lie within the filter.
  const int32_t lastPadded = outC - (m.nPadded + n - 1) / n;
  auto runLength = [&](int32_t row) {
    return row <= lastPadded ? m.nPadded : n;
  };
#if TINYPRUNE_RT_CONV_W16
  const bool w16 = m.w16 != nullptr;
#else
  const bool w16 = false;
#endif
  if (m.pixels == 1 && outC >= 4 && !w16) {
    for (int32_t o = 0; o < outC; o += 4) {
      // The last block overlaps the one before it.
      const int32_t o0 = o + 4 <= outC ? o : outC - 4;
      int32_t acc[4];
      for (int32_t k = 0; k < 4; ++k)
        acc[k] = m.start ? m.start[o0 + k] : 0;
      dotInt8Block1x4(m.x, m.w + static_cast<ptrdiff_t>(o0) * n, n,
                      runLength(o0 + 3), acc);
      for (int32_t k = 0; k < 4; ++k)
        m.y[o0 + k] =
            finish(acc[k], prepareRightShiftMultiplier(m.multiplier[o0 + k],
                                                       m.shift[o0 + k]));
    }
    return;
  }
  // Every field set below (no zero-initialization: -Os makes it a memset
  // call, per patch pair in patchConvInt8).
  BlockRow r;
  r.x = m.x;
  r.xPixel = m.xPixel;
  r.rows = 1;
  r.xRow = 0;
  r.yPixel = m.yPixel;
  r.finish = finish;
  for (int32_t o = 0; o < outC; o += 2) {
    const int32_t o0 = pairStart(o, outC);
    const int32_t o1 = o0 + 1 < outC ? o0 + 1 : o0;
#if TINYPRUNE_RT_CONV_W16
    // No int8 filter in pointwise layers that have int16 weights.
    r.w = m.w ? m.w + static_cast<ptrdiff_t>(o0) * n : nullptr;
#else
    r.w = m.w + static_cast<ptrdiff_t>(o0) * n;
#endif
#if TINYPRUNE_RT_CONV_W16
    r.w16 = w16 ? m.w16 + static_cast<ptrdiff_t>(o >> 1) * n : nullptr;
#elif TINYPRUNE_RT_ARM_DSP
    r.w16 = nullptr;
#endif
    r.wChannel = static_cast<ptrdiff_t>(o1 - o0) * n;
    r.runLength = runLength(o1);
    r.y = m.y + o0;
    r.yChannel = o1 - o0;
    r.start0 = m.start ? m.start[o0] : 0;
    r.start1 = m.start ? m.start[o1] : 0;
    r.q0 = prepareMultiplier(m.multiplier[o0], m.shift[o0]);
    r.q1 = prepareMultiplier(m.multiplier[o1], m.shift[o1]);
    blockRowInt8(r, m.pixels);
  }
}

/// The pointwise and fully-connected fast path of convPerChannelInt8 (1x1
/// filter, stride 1, unpadded, a zero input offset: the compiler folds the
/// input zero point into the bias of such layers): a matrix product over
/// all `pixels` output pixels.
TINYPRUNE_RT_NOINLINE void pointwiseInt8(const ConvInt8Layer &l, int32_t pixels,
                                         const int8_t *input, int8_t *output) {
  MatrixInt8 m{};
  m.x = input;
  m.xPixel = l.inC;
  m.pixels = pixels;
  m.w = l.filter;
  m.n = m.nPadded = l.inC;
  m.outC = l.outC;
  m.start = l.bias;
  m.multiplier = l.multiplier;
  m.shift = l.shift;
  m.y = output;
  m.yPixel = l.outC;
#if TINYPRUNE_RT_CONV_W16
  m.w16 = l.filter16;
#endif
  matrixInt8(m, OutputStage::of(l.p));
}

/// Largest filter (kH * kW * inC bytes) patchConvInt8 takes (first layers
/// on few input channels, 3x3x3 or 10x4x1, fit), and the output channels
/// it computes per pass over the image, from the patches of the output
/// pixels along a row that kPatchBytes holds at a time (the multipliers of
/// a channel pair are prepared once per such group), at most
/// kMaxPatchPixels. Its stack use is kPatchBytes + 4 * kPatchChannels
/// bytes.
constexpr int32_t kMaxPatch = 64;
constexpr int32_t kPatchChannels = 32;
constexpr int32_t kPatchBytes = 256;
constexpr int32_t kMaxPatchPixels = 16;

/// `n` bytes from `src` to `dst` (`src` null: `n` copies of `fill`), a
/// word at a time where unaligned words are allowed (ARMv7E-M). The fill
/// shares the copy loop: a byte loop of its own would become a memset call.
/// The padding of windows that touch it (copyWindowInt8).
TINYPRUNE_RT_NOINLINE void copyInt8(int8_t *dst, const int8_t *src, int8_t fill,
                                    int32_t n) {
  const int32_t fill4 = static_cast<int32_t>(
      static_cast<uint32_t>(static_cast<uint8_t>(fill)) * 0x01010101u);
#if TINYPRUNE_RT_ARM_DSP
  for (; n >= 4; n -= 4, dst += 4) {
    const int32_t v = src ? loadInt8x4(src) : fill4;
    __builtin_memcpy(dst, &v, 4);
    if (src)
      src += 4;
  }
#endif
  for (; n > 0; --n, ++dst) {
    *dst = src ? *src : static_cast<int8_t>(fill4);
    if (src)
      ++src;
  }
}

/// The `kH` rows of `rowBytes` bytes, `srcRow` apart, of a window inside
/// the input into `dst` (contiguous). On DSP cores a word at a time with
/// the last one to three bytes of a row without a loop (a byte loop would
/// become a memcpy call); elsewhere through copyInt8.
TINYPRUNE_RT_ALWAYS_INLINE inline void
copyRowsInt8(int8_t *dst, const int8_t *src, ptrdiff_t srcRow, int32_t kH,
             int32_t rowBytes) {
  for (int32_t ky = 0; ky < kH; ++ky, src += srcRow) {
#if TINYPRUNE_RT_ARM_DSP
    const int8_t *s = src;
    int32_t n = rowBytes;
    for (; n >= 4; n -= 4, dst += 4, s += 4) {
      const int32_t v = loadInt8x4(s);
      __builtin_memcpy(dst, &v, 4);
    }
    if (n & 2) {
      int16_t h;
      __builtin_memcpy(&h, s, 2);
      __builtin_memcpy(dst, &h, 2);
      dst += 2;
      s += 2;
    }
    if (n & 1)
      *dst++ = *s;
#else
    copyInt8(dst, src, 0, rowBytes);
    dst += rowBytes;
#endif
  }
}

/// The window of output pixel (oy, ox) in filter order (`[kH][kW][inC]`),
/// with the input zero point for taps in the padding (width dilation 1).
inline void copyWindowInt8(const ConvInt8Layer &l, const int8_t *in, int32_t oy,
                           int32_t ox, int8_t *dst) {
  const ConvInt8Params &p = l.p;
  const int8_t zp = static_cast<int8_t>(p.inputZeroPoint);
  const int32_t y0 = oy * p.strideH - p.padTop;
  const int32_t x0 = ox * p.strideW - p.padLeft;
  const int32_t inC = l.inC, rowBytes = l.kW * inC;
  const ptrdiff_t srcRow = static_cast<ptrdiff_t>(p.dilationH) * l.inW * inC;
  if (x0 >= 0 && x0 + l.kW <= l.inW && y0 >= 0 &&
      y0 + (l.kH - 1) * p.dilationH < l.inH) {
    // Inside the input (most windows): rows straight from the input.
    copyRowsInt8(dst, in + (static_cast<ptrdiff_t>(y0) * l.inW + x0) * inC,
                 srcRow, l.kH, rowBytes);
    return;
  }
  const TapRange rx = tapRange(x0, 1, l.kW, l.inW);
  for (int32_t ky = 0; ky < l.kH; ++ky, dst += rowBytes) {
    const int32_t iy = y0 + ky * p.dilationH;
    if (iy < 0 || iy >= l.inH) {
      copyInt8(dst, nullptr, zp, rowBytes);
      continue;
    }
    const int32_t lead = rx.begin * inC, valid = (rx.end - rx.begin) * inC;
    const int32_t trail = rowBytes - lead - valid;
    if (lead != 0)
      copyInt8(dst, nullptr, zp, lead);
    copyInt8(dst + lead,
             in + (static_cast<ptrdiff_t>(iy) * l.inW + x0 + rx.begin) * inC,
             zp, valid);
    if (trail != 0)
      copyInt8(dst + lead + valid, nullptr, zp, trail);
  }
}

/// Fast path of convPerChannelInt8 for small filters (at most kMaxPatch
/// bytes), typically a network's first layer on one to three input
/// channels, whose filter rows are too short for the blocked dot product
/// to pay off and whose windows are often clipped. Each group of output
/// pixels along the row (as many as kPatchBytes holds) first copies its
/// windows into contiguous stack patches in filter order, with the input
/// zero point for taps in the padding, so that every window, clipped or
/// not, is `bias - zp * sum(w)` plus one dot product of the patch with the
/// filter; all output channel pairs then run dotInt8Block2x2 over them.
/// The patches end in zeros up to a multiple of four bytes: dot products
/// run over whole words, reading into the next filter, except for the
/// last channel pair.
TINYPRUNE_RT_NOINLINE void patchConvInt8(const ConvInt8Layer &l,
                                         int32_t batches, const int8_t *input,
                                         int8_t *output) {
  const ConvInt8Params &p = l.p;
  const OutputStage finish = OutputStage::of(p);
  const int32_t n = l.filterSize;
  const int32_t nWords = (n + 3) & ~3;
  // As many whole-word patches as kPatchBytes holds, an even number (the
  // 2x2 blocks take pixels in pairs) when more than one: 8 of 28 bytes
  // (3x3x3), 6 of 40 (10x4x1), 16 of 16.
  int32_t group = kPatchBytes / nWords;
  group = group > kMaxPatchPixels ? kMaxPatchPixels
                                  : (group > 1 ? group & ~1 : group);
  int32_t patchWords[kPatchBytes / 4];
  int8_t *patch = reinterpret_cast<int8_t *>(patchWords);
  for (int32_t k = 0; k < group; ++k)
    for (int32_t i = n; i < nWords; ++i)
      patch[k * nWords + i] = 0;
  int32_t start[kPatchChannels];
  MatrixInt8 m{};
  m.x = patch;
  m.xPixel = nWords;
  m.n = n;
  m.nPadded = nWords;
  m.start = start;
  m.yPixel = l.outC;
  // At most kPatchChannels output channels per pass (the starting values'
  // table is on the stack); the patches are copied again for each pass.
  for (int32_t c0 = 0; c0 < l.outC; c0 += kPatchChannels) {
    m.outC = l.outC - c0 < kPatchChannels ? l.outC - c0 : kPatchChannels;
    m.w = l.filter + static_cast<ptrdiff_t>(c0) * n;
    m.multiplier = l.multiplier + c0;
    m.shift = l.shift + c0;
    // bias - zp * sum(w) per output channel (modulo 2^32, see macWrap).
    for (int32_t o = 0; o < m.outC; ++o)
      start[o] = macWrap(l.bias ? l.bias[c0 + o] : 0, -p.inputZeroPoint,
                         sumInt8(m.w + static_cast<ptrdiff_t>(o) * n, n));
    for (int32_t b = 0; b < batches; ++b) {
      const int8_t *in =
          input + static_cast<ptrdiff_t>(b) * l.inH * l.inW * l.inC;
      for (int32_t oy = 0; oy < l.outH; ++oy)
        for (int32_t ox = 0; ox < l.outW; ox += group) {
          m.pixels = l.outW - ox < group ? l.outW - ox : group;
          for (int32_t k = 0; k < m.pixels; ++k)
            copyWindowInt8(l, in, oy, ox + k, patch + k * nWords);
          m.y = output +
                ((static_cast<ptrdiff_t>(b) * l.outH + oy) * l.outW + ox) *
                    l.outC +
                c0;
          matrixInt8(m, finish);
        }
    }
  }
}

/// The fast path of convPerChannelInt8 for other filters: windows whose
/// columns lie inside the input go through blockRowInt8 (each filter row
/// one contiguous run; rows clipped by the padding are left out, with the
/// zero point's share over the remaining rows in the starting value); only
/// windows clipped at the left or right edge, or all of them with a width
/// dilation, go one by one through convWindowInt8. With `general` (a
/// multiplier that is not a right shift), every window goes one by one and
/// is requantized by requantizeGeneral: the general path of any layer.
TINYPRUNE_RT_NOINLINE void blockedConvInt8(const ConvInt8Layer &l,
                                           int32_t batches, const int8_t *input,
                                           int8_t *output, bool general) {
  const ConvInt8Params &p = l.p;
  const int32_t inH = l.inH, inW = l.inW, inC = l.inC, outC = l.outC;
  const int32_t kH = l.kH, kW = l.kW, outH = l.outH, outW = l.outW;
  const ptrdiff_t inImage = static_cast<ptrdiff_t>(inH) * inW * inC;
  const ptrdiff_t outImage = static_cast<ptrdiff_t>(outH) * outW * outC;
  const int32_t inputOffset = -p.inputZeroPoint;
  const TapRange insideX =
      p.dilationW == 1 && !general
          ? insideRange(p.padLeft, p.strideW, 1, kW, inW, outW)
          : TapRange{0, 0};
  const int32_t rowLength = kW * inC;
  BlockRow r{};
  r.xPixel = static_cast<ptrdiff_t>(p.strideW) * inC;
  r.runLength = rowLength;
  r.xRow = static_cast<ptrdiff_t>(p.dilationH) * inW * inC;
  r.yPixel = outC;
  r.finish = OutputStage::of(p);
  for (int32_t o = 0; o < outC; o += 2) {
    const int32_t o0 = pairStart(o, outC);
    const int32_t o1 = o0 + 1 < outC ? o0 + 1 : o0;
#if TINYPRUNE_RT_CONV_W16
    const int8_t *w = l.filter
                          ? l.filter + static_cast<ptrdiff_t>(o0) * l.filterSize
                          : nullptr;
    const int32_t *w16 =
        l.filter16 && !general && rowLength % 4 == 0
            ? l.filter16 + static_cast<ptrdiff_t>(o >> 1) * l.filterSize
            : nullptr;
    // Clipped windows and starting values from the int16 weights too.
    const bool edges16 = w16 && inC % 4 == 0 && p.dilationW == 1;
#else
    const int8_t *w = l.filter + static_cast<ptrdiff_t>(o0) * l.filterSize;
#endif
    r.wChannel = static_cast<ptrdiff_t>(o1 - o0) * l.filterSize;
    r.yChannel = o1 - o0;
    if (!general) {
      r.q0 = prepareMultiplier(l.multiplier[o0], l.shift[o0]);
      r.q1 = prepareMultiplier(l.multiplier[o1], l.shift[o1]);
    }
    const int32_t bias0 = l.bias ? l.bias[o0] : 0,
                  bias1 = l.bias ? l.bias[o1] : 0;
    for (int32_t b = 0; b < batches; ++b) {
      const int8_t *inB = input + b * inImage;
      int8_t *outB = output + b * outImage;
      TapRange rowsBefore{-1, -1};
      for (int32_t oy = 0; oy < outH; ++oy) {
        const int32_t y0 = oy * p.strideH - p.padTop;
        const TapRange ry = tapRange(y0, p.dilationH, kH, inH);
        int8_t *y = outB + static_cast<ptrdiff_t>(oy) * outW * outC + o0;
        for (int32_t ox = 0; ox < outW; ++ox) {
          if (ox == insideX.begin && insideX.begin < insideX.end) {
            // The row's windows whose columns are inside the input.
            if (ry.begin != rowsBefore.begin || ry.end != rowsBefore.end) {
              // Starting values: bias and the zero point's share over the
              // filter rows inside the input.
              const ptrdiff_t first = ry.begin * rowLength;
              const int32_t n = (ry.end - ry.begin) * rowLength;
#if TINYPRUNE_RT_CONV_W16
              // Layers with int16 weights and whole words of channels may
              // have no int8 filter: the sums come from the int16 one.
              r.w = w ? w + first : nullptr;
              r.w16 = w16 ? w16 + first : nullptr;
#else
              r.w = w + first;
#endif
              r.start0 = bias0;
              r.start1 = bias1;
#if TINYPRUNE_RT_CONV_W16
              if (inputOffset != 0 && edges16) {
                int32_t s0, s1;
                sumW16Pair(r.w16, n, s0, s1);
                r.start0 = macWrap(r.start0, inputOffset, s0);
                r.start1 = macWrap(r.start1, inputOffset, s1);
              } else
#endif
                  if (inputOffset != 0) {
                r.start0 = macWrap(r.start0, inputOffset, sumInt8(r.w, n));
                r.start1 = macWrap(r.start1, inputOffset,
                                   sumInt8(r.w + r.wChannel, n));
              }
              rowsBefore = ry;
            }
            r.rows = ry.end - ry.begin;
            r.x = inB +
                  (static_cast<ptrdiff_t>(y0 + ry.begin * p.dilationH) * inW +
                   ox * p.strideW - p.padLeft) *
                      inC;
            r.y = y + static_cast<ptrdiff_t>(ox) * outC;
            blockRowInt8(r, insideX.end - insideX.begin);
            ox = insideX.end - 1;
            continue;
          }
          int32_t acc[2];
#if TINYPRUNE_RT_CONV_W16
          if (edges16)
            convWindowW16(l, inB, oy, ox, o0, o1, w16, acc[0], acc[1]);
          else
#endif
            convWindowInt8(l, inB, oy, ox, o0, o1, acc[0], acc[1]);
          int8_t *yx = y + static_cast<ptrdiff_t>(ox) * outC;
          for (int32_t k = 0; k < 2; ++k) {
            const int32_t ok = k ? o1 : o0;
            yx[ok - o0] = general ? requantizeGeneral(acc[k], l.multiplier[ok],
                                                      l.shift[ok], p)
                                  : r.finish(acc[k], k ? r.q1 : r.q0);
          }
        }
      }
    }
  }
}

} // namespace detail

/// int8 NHWC convolution with per-output-channel requantization, TFLite's
/// reference_integer_ops::ConvPerChannel (without groups: the filter's
/// input depth is `inC`).
///
/// `filter16` (DSP cores: TINYPRUNE_RT_CONV_W16), when not null, is the
/// filter as packConvW16 lays it out: the 2x2 blocks of pointwise layers
/// and of the inside windows of other layers (not the patch path) read it
/// instead of `filter`, when the filter size is a multiple of four.
/// Pointwise layers with right-shift multipliers and
/// either two pixels or four channels then never read `filter`, which may
/// be null there.
///
/// `filter` is OHWI, `[outC][kH][kW][inC]`. `multiplier`/`shift` hold one
/// quantized multiplier per output channel in TFLite's convention (a
/// positive shift is a left shift; see quantizeMultiplier()). `bias` has
/// `outC` entries or is null. The output is `[batches][outH][outW][outC]`;
/// `outH`/`outW` come from the padding scheme and need not cover the input.
///
/// Per output, TFLite computes `acc = sum(w * (x - zp))` over the taps
/// inside the input, then `acc + bias`, in int32: no overflow for
/// N = kH * kW * inC <= 2^16 taps, the filter size TFLite's own int32
/// accumulator assumes (|w * (x - zp)| <= 128 * 255). The fast paths
/// compute the same integer as `bias - zp * sum(w) + sum(x * w)` (each
/// term at most N * 2^14 <= 2^30 in magnitude) or, in windows clipped by
/// the padding, as `bias + sum((x - zp) * w)`, modulo 2^32 (macWrap),
/// which gives TFLite's sum whenever TFLite's own is defined.
///
/// Fast paths, taken when every channel's multiplier is a right shift (as
/// TFLite's are in practice; the general path otherwise):
///  * pointwise and fully-connected layers (pointwiseInt8): a matrix
///    product in blocks of two pixels by two output channels, or one pixel
///    by four channels;
///  * filters of at most kMaxPatch bytes (patchConvInt8): every window is
///    copied into a patch first (zero point in the padding), then the same
///    matrix product;
///  * other filters (blockedConvInt8): windows whose columns lie inside
///    the input in blocks of two pixels (along the row) by two channels,
///    rows clipped by the padding left out; windows clipped at the left or
///    right edge one at a time.
inline void convPerChannelInt8(const ConvInt8Params &p,
                               const int32_t *multiplier, const int32_t *shift,
                               int32_t batches, int32_t inH, int32_t inW,
                               int32_t inC, const int8_t *input, int32_t outC,
                               int32_t kH, int32_t kW, const int8_t *filter,
                               const int32_t *bias, int32_t outH, int32_t outW,
                               int8_t *output
#if TINYPRUNE_RT_CONV_W16
                               ,
                               const int32_t *filter16 = nullptr
#endif
) {
  const int32_t filterSize = kH * kW * inC;
#if TINYPRUNE_RT_CONV_W16
  const detail::ConvInt8Layer l{
      p,      multiplier, shift,
      bias,   inH,        inW,
      inC,    outC,       kH,
      kW,     outH,       outW,
      filter, filterSize, filterSize % 4 ? nullptr : filter16};
#else
  const detail::ConvInt8Layer l{p,    multiplier, shift,  bias,      inH,
                                inW,  inC,        outC,   kH,        kW,
                                outH, outW,       filter, filterSize};
#endif
  bool fast = true;
  for (int32_t o = 0; o < outC; ++o)
    fast = fast && isRightShiftMultiplier(multiplier[o], shift[o]);
  if (!fast) {
    // General path: every window clipped and requantized one by one.
    detail::blockedConvInt8(l, batches, input, output, true);
    return;
  }

  const int32_t pixels = batches * outH * outW;
  if (kH == 1 && kW == 1 && p.strideH == 1 && p.strideW == 1 && p.padTop == 0 &&
      p.padLeft == 0 && p.inputZeroPoint == 0 && outH == inH && outW == inW &&
      (pixels >= 2 || outC >= 4)) {
    detail::pointwiseInt8(l, pixels, input, output);
    return;
  }
  if (l.filterSize <= detail::kMaxPatch && p.dilationW == 1) {
    detail::patchConvInt8(l, batches, input, output);
    return;
  }

  detail::blockedConvInt8(l, batches, input, output, false);
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
