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
// in-bounds taps plus the bias, computed modulo 2^32 like conv.h's. With a
// depth multiplier of 1 (by far the common case) and right-shift
// multipliers, four adjacent channels are accumulated together, each
// group of four over all output pixels with its weights unpacked once and
// its requantization prepared once (see depthwiseConvPerChannelInt8); on
// DSP cores SXTAB16 adds `-zp` while it sign-extends, so a 3x3 window takes
// 9 x 8 instructions. Output rows with windows in the padding, when their
// windows span at most kMaxStripColumns input columns, first copy the
// rows they read into a strip with the zero point in the padding, so that
// every window of the row takes the unrolled path.
// Other layers take a general path, one window and channel at a time.
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

/// Everything about one int8 depthwise convolution the helpers share.
struct DepthwiseInt8Layer {
  const ConvInt8Params &p;
  int32_t depthMultiplier, inH, inW, inC, kH, kW;
  const int8_t *filter;
  const int32_t *bias;
};

/// TFLite's accumulator plus bias for output channel `oc` of the window at
/// (oy, ox) of one batch image: `sum(w * (x - zp))` over the taps inside
/// the input. The general case, for windows that touch the padding and
/// for layers the fast path does not take.
inline int32_t depthwiseWindowInt8(const DepthwiseInt8Layer &l,
                                   const int8_t *in, int32_t oy, int32_t ox,
                                   int32_t oc) {
  const ConvInt8Params &p = l.p;
  const int32_t outC = l.inC * l.depthMultiplier;
  const int32_t y0 = oy * p.strideH - p.padTop;
  const int32_t x0 = ox * p.strideW - p.padLeft;
  const TapRange ry = tapRange(y0, p.dilationH, l.kH, l.inH);
  const TapRange rx = tapRange(x0, p.dilationW, l.kW, l.inW);
  const int32_t ic = oc / l.depthMultiplier;
  int32_t acc = l.bias ? l.bias[oc] : 0;
  for (int32_t ky = ry.begin; ky < ry.end; ++ky)
    for (int32_t kx = rx.begin; kx < rx.end; ++kx) {
      const int32_t x =
          in[(static_cast<ptrdiff_t>(y0 + ky * p.dilationH) * l.inW + x0 +
              kx * p.dilationW) *
                 l.inC +
             ic];
      const int32_t w =
          l.filter[(static_cast<ptrdiff_t>(ky) * l.kW + kx) * outC + oc];
      acc = macWrap(acc, x - p.inputZeroPoint, w);
    }
  return acc;
}

#if TINYPRUNE_RT_ARM_DSP && !defined(__ARM_BIG_ENDIAN)
/// The depthwise fast path's DSP code: SXTB16 lanes map to channels as
/// little-endian words do.
#define TINYPRUNE_RT_DEPTHWISE_DSP 1
#else
#define TINYPRUNE_RT_DEPTHWISE_DSP 0
#endif

/// `a_k += sum((x[t][k] - zp) * w[t][k])` over the taps t of a window
/// inside the input, for the four channels k of a group: `x` is the
/// window's first tap (channel 0 of the group), taps `tapStride` apart
/// along a row and rows `rowStride` apart. `offset` is `-zp`, on DSP cores
/// in both int16 halves (offsetPair; SXTAB16 adds it as it sign-extends,
/// for free). On DSP cores `w` is the group's weight table (two words per
/// tap: SXTB16 lanes 0/2 and 1/3, i.e. channels 0/2 and 1/3 of
/// little-endian words); elsewhere it is channel 0 of the group in the
/// `[kH][kW][outC]` filter. Adding the offset per tap rather than folding
/// `-zp * sum(w)` into the starting value keeps the per-call set-up small,
/// which matters when the compiler calls the kernel row by row (in-place
/// layers, inplace.h).
#if TINYPRUNE_RT_DEPTHWISE_DSP && TINYPRUNE_RT_ARM_ASM
/// With the inline assembly, only 3x3 windows (unrolled, registers
/// allocated by hand: 8 instructions per tap) take this path; the
/// clipped-window loop serves the others.
constexpr bool kDepthwiseInsideAnyWindow = false;
TINYPRUNE_RT_ALWAYS_INLINE inline void
depthwiseInside4(const int8_t *x, ptrdiff_t tapStride, ptrdiff_t rowStride,
                 int32_t /*kH*/, int32_t /*kW*/, const int32_t *w,
                 int32_t /*outC*/, int32_t offset, int32_t &a0, int32_t &a1,
                 int32_t &a2, int32_t &a3) {
  int32_t t0, t1, w0, w1;
#define TINYPRUNE_RT_DW_TAP(address, offset)                                   \
  "ldr    %[t0], " address "\n\t"                                              \
  "ldrd   %[w0], %[w1], [%[w], #" offset "]\n\t"                               \
  "sxtab16 %[t1], %[off], %[t0]\n\t"                                           \
  "sxtab16 %[t0], %[off], %[t0], ror #8\n\t"                                   \
  "smlabb %[a0], %[t1], %[w0], %[a0]\n\t"                                      \
  "smlatt %[a2], %[t1], %[w0], %[a2]\n\t"                                      \
  "smlabb %[a1], %[t0], %[w1], %[a1]\n\t"                                      \
  "smlatt %[a3], %[t0], %[w1], %[a3]\n\t"
  // clang-format off
  __asm__(TINYPRUNE_RT_DW_TAP("[%[x]]", "0")
          TINYPRUNE_RT_DW_TAP("[%[x], %[dx]]", "8")
          TINYPRUNE_RT_DW_TAP("[%[x], %[dx], lsl #1]", "16")
          "add    %[x], %[x], %[dy]\n\t"
          TINYPRUNE_RT_DW_TAP("[%[x]]", "24")
          TINYPRUNE_RT_DW_TAP("[%[x], %[dx]]", "32")
          TINYPRUNE_RT_DW_TAP("[%[x], %[dx], lsl #1]", "40")
          "add    %[x], %[x], %[dy]\n\t"
          TINYPRUNE_RT_DW_TAP("[%[x]]", "48")
          TINYPRUNE_RT_DW_TAP("[%[x], %[dx]]", "56")
          TINYPRUNE_RT_DW_TAP("[%[x], %[dx], lsl #1]", "64")
          : [a0] "+r"(a0), [a1] "+r"(a1), [a2] "+r"(a2), [a3] "+r"(a3),
            [t0] "=&r"(t0), [t1] "=&r"(t1), [w0] "=&r"(w0), [w1] "=&r"(w1),
            [x] "+r"(x)
          : [dx] "r"(tapStride), [dy] "r"(rowStride), [w] "r"(w),
            [off] "r"(offset)
          : "memory");
  // clang-format on
#undef TINYPRUNE_RT_DW_TAP
}
#elif TINYPRUNE_RT_DEPTHWISE_DSP
constexpr bool kDepthwiseInsideAnyWindow = true;
inline void depthwiseInside4(const int8_t *x, ptrdiff_t tapStride,
                             ptrdiff_t rowStride, int32_t kH, int32_t kW,
                             const int32_t *w, int32_t /*outC*/, int32_t offset,
                             int32_t &a0, int32_t &a1, int32_t &a2,
                             int32_t &a3) {
  for (int32_t ky = 0; ky < kH; ++ky, x += rowStride)
    for (int32_t kx = 0; kx < kW; ++kx, w += 2) {
      const int32_t xq = loadInt8x4(x + kx * tapStride);
      const int32_t x02 = __sxtab16(offset, xq);
      const int32_t x13 = sxtabLanes13(offset, xq);
      a0 = __smlabb(x02, w[0], a0);
      a2 = __smlatt(x02, w[0], a2);
      a1 = __smlabb(x13, w[1], a1);
      a3 = __smlatt(x13, w[1], a3);
    }
}
#else
constexpr bool kDepthwiseInsideAnyWindow = true;
inline void depthwiseInside4(const int8_t *x, ptrdiff_t tapStride,
                             ptrdiff_t rowStride, int32_t kH, int32_t kW,
                             const int8_t *w, int32_t outC, int32_t offset,
                             int32_t &a0, int32_t &a1, int32_t &a2,
                             int32_t &a3) {
  for (int32_t ky = 0; ky < kH; ++ky, x += rowStride)
    for (int32_t kx = 0; kx < kW; ++kx, w += outC) {
      const int8_t *xp = x + kx * tapStride;
      a0 = macWrap(a0, xp[0] + offset, w[0]);
      a1 = macWrap(a1, xp[1] + offset, w[1]);
      a2 = macWrap(a2, xp[2] + offset, w[2]);
      a3 = macWrap(a3, xp[3] + offset, w[3]);
    }
}
#endif

/// `a_k += sum((x[t][k] - zp) * w[t][k])` over the taps of the window at
/// (oy, ox), clipped to the input, for the four channels k of a group
/// (weights as for depthwiseInside4): the windows of the fast path that
/// depthwiseInside4 does not take. `in` is the batch image offset to the
/// group's channel 0.
inline void depthwiseClipped4(const DepthwiseInt8Layer &l, const int8_t *in,
                              int32_t oy, int32_t ox,
#if TINYPRUNE_RT_DEPTHWISE_DSP
                              const int32_t *w,
#else
                              const int8_t *w,
#endif
                              int32_t &a0, int32_t &a1, int32_t &a2,
                              int32_t &a3) {
  const ConvInt8Params &p = l.p;
  const int32_t y0 = oy * p.strideH - p.padTop;
  const int32_t x0 = ox * p.strideW - p.padLeft;
  const TapRange ry = tapRange(y0, p.dilationH, l.kH, l.inH);
  const TapRange rx = tapRange(x0, p.dilationW, l.kW, l.inW);
  const ptrdiff_t tapStride = static_cast<ptrdiff_t>(p.dilationW) * l.inC;
  const int32_t inputOffset = -p.inputZeroPoint;
#if TINYPRUNE_RT_DEPTHWISE_DSP
  // (x + offset) in both int16 lanes: x - zp lies in [-255, 255].
  const int32_t offsetPair = halfwordPair(inputOffset);
#endif
  for (int32_t ky = ry.begin; ky < ry.end; ++ky) {
    const int8_t *x =
        in + (static_cast<ptrdiff_t>(y0 + ky * p.dilationH) * l.inW + x0 +
              rx.begin * p.dilationW) *
                 l.inC;
    const int32_t tap = ky * l.kW + rx.begin;
    for (int32_t kx = rx.begin; kx < rx.end; ++kx, x += tapStride) {
#if TINYPRUNE_RT_DEPTHWISE_DSP
      const int32_t *wt = w + 2 * (tap + kx - rx.begin);
      const int32_t xq = loadInt8x4(x);
      const int32_t x02 = __sxtab16(offsetPair, xq);
      const int32_t x13 = sxtabLanes13(offsetPair, xq);
      a0 = __smlabb(x02, wt[0], a0);
      a2 = __smlatt(x02, wt[0], a2);
      a1 = __smlabb(x13, wt[1], a1);
      a3 = __smlatt(x13, wt[1], a3);
#else
      const int8_t *wt =
          w + static_cast<ptrdiff_t>(tap + kx - rx.begin) * l.inC;
      a0 = macWrap(a0, x[0] + inputOffset, wt[0]);
      a1 = macWrap(a1, x[1] + inputOffset, wt[1]);
      a2 = macWrap(a2, x[2] + inputOffset, wt[2]);
      a3 = macWrap(a3, x[3] + inputOffset, wt[3]);
#endif
    }
  }
}

#if TINYPRUNE_RT_DEPTHWISE_DSP
/// Widest output row, in input columns, that depthwiseStrip4 copies: three
/// rows of it take 192 bytes of stack.
constexpr int32_t kMaxStripColumns = 16;

/// The input rows and columns that the windows of output row `oy` read, for
/// the four channels of a group, copied into `strip` (kH rows of `columns`
/// words, one word per input column): column c is input column
/// `c - padLeft`, and every tap outside the input holds the zero point in
/// all four bytes (`zpWord`), where `x - zp` is 0. Every window of the row
/// is then an inside window of the strip (depthwiseInside4), which is what
/// rows touching the padding gain: on the small maps of late layers and in
/// the row-by-row calls of in-place layers most windows clip. `in` is the
/// batch image offset to the group's channel 0.
inline void depthwiseStrip4(const DepthwiseInt8Layer &l, const int8_t *in,
                            int32_t oy, int32_t columns, int32_t zpWord,
                            int32_t *strip) {
  const ConvInt8Params &p = l.p;
  const int32_t y0 = oy * p.strideH - p.padTop;
  // Columns [0, left) and [left + inside, columns) are padding.
  const int32_t left = p.padLeft < columns ? p.padLeft : columns;
  const int32_t room = l.inW < columns - left ? l.inW : columns - left;
  const int32_t inside = room > 0 ? room : 0;
  int32_t *end = strip + l.kH * columns;
  for (int32_t y = y0; strip != end; y += p.dilationH) {
    int32_t *rowEnd = strip + columns;
    if (y >= 0 && y < l.inH) {
      for (int32_t c = 0; c < left; ++c)
        *strip++ = zpWord;
      const int8_t *x = in + static_cast<ptrdiff_t>(y) * l.inW * l.inC;
      for (int32_t c = 0; c < inside; ++c, x += l.inC)
        *strip++ = loadInt8x4(x);
    }
    while (strip != rowEnd)
      *strip++ = zpWord;
  }
}

#if TINYPRUNE_RT_ARM_ASM
/// What the assembly loop of depthwiseRows3x3 reads besides its 13
/// registers (reloaded per pixel); it advances `y` and counts `n` down.
struct DepthwiseRowFrame {
  ptrdiff_t tapStride;           // 0
  const int32_t *weights;        // 4: the group's table (depthwiseInside4)
  int32_t offset;                // 8: -zp in both halves
  const RightShiftMultiplier *q; // 12
  int32_t zeroPoint;             // 16: the output's
  int8_t *y;                     // 20
  ptrdiff_t yStep, rowStride;    // 24, 28
  ptrdiff_t xNext;               // 32: next window from the third row
  int32_t n;                     // 36: windows left, at least 1
  int32_t start[4];              // 40
};

/// `f.n` (at least one) 3x3 windows for the four channels of a group from
/// `x` (windows `f.xNext + 2 * f.rowStride` bytes apart), each requantized
/// over the whole int8 range into `f.y`: the unrolled window (72
/// instructions), the four requantizations (40) and about 20 instructions
/// of loop, all in inline assembly (GCC spent about 40 besides the two).
/// Out of line (one copy of its 130 instructions; a call costs about six),
/// called by the 3x3 kernels with the frame set up once per group.
TINYPRUNE_RT_HOT TINYPRUNE_RT_NOINLINE void
depthwiseRows3x3(DepthwiseRowFrame &f, const int8_t *x) {
  static_assert(sizeof(RightShiftMultiplier) == 16 &&
                    offsetof(RightShiftMultiplier, rounding) == 0 &&
                    offsetof(RightShiftMultiplier, multiplier) == 8 &&
                    offsetof(RightShiftMultiplier, highShift) == 12,
                "the layout the depthwise row loop assumes");
  static_assert(sizeof(ptrdiff_t) == 4 && sizeof(void *) == 4 &&
                    offsetof(DepthwiseRowFrame, start) == 40,
                "the frame layout the depthwise row loop assumes");
  int32_t a0, a1, a2, a3, t0, t1, w0, w1, dx, wp, off;
#define TINYPRUNE_RT_DW_TAP(address, offset)                                   \
  "ldr    %[t0], " address "\n\t"                                              \
  "ldrd   %[w0], %[w1], [%[wp], #" offset "]\n\t"                              \
  "sxtab16 %[t1], %[off], %[t0]\n\t"                                           \
  "sxtab16 %[t0], %[off], %[t0], ror #8\n\t"                                   \
  "smlabb %[a0], %[t1], %[w0], %[a0]\n\t"                                      \
  "smlatt %[a2], %[t1], %[w0], %[a2]\n\t"                                      \
  "smlabb %[a1], %[t0], %[w1], %[a1]\n\t"                                      \
  "smlatt %[a3], %[t0], %[w1], %[a3]\n\t"
  // Requantize a_K into byte K of y (registers: lo t0, hi t1, m w0, sh
  // w1, q wp, zp off, y dx); a_K becomes the sign correction.
#define TINYPRUNE_RT_DW_STORE(ACC, K)                                          \
  "ldrd   %[t0], %[t1], [%[wp], #" K "*16]\n\t"                                \
  "ldrd   %[w0], %[w1], [%[wp], #" K "*16+8]\n\t"                              \
  "smlal  %[t0], %[t1], %[" ACC "], %[w0]\n\t"                                 \
  "and    %[" ACC "], %[" ACC "], #0x80000000\n\t"                             \
  "subs   %[t0], %[t0], %[" ACC "]\n\t"                                        \
  "sbc    %[t1], %[t1], #0\n\t"                                                \
  "asr    %[t1], %[t1], %[w1]\n\t"                                             \
  "add    %[t1], %[t1], %[off]\n\t"                                            \
  "ssat   %[t1], #8, %[t1]\n\t"                                                \
  "strb   %[t1], [%[dx], #" K "]\n\t"
  // clang-format off
  __asm__ volatile(
      "1:\n\t"
      "ldrd   %[dx], %[wp], [%[f]]\n\t"
      "ldr    %[off], [%[f], #8]\n\t"
      "ldrd   %[a0], %[a1], [%[f], #40]\n\t"
      "ldrd   %[a2], %[a3], [%[f], #48]\n\t"
      TINYPRUNE_RT_DW_TAP("[%[x]]", "0")
      TINYPRUNE_RT_DW_TAP("[%[x], %[dx]]", "8")
      TINYPRUNE_RT_DW_TAP("[%[x], %[dx], lsl #1]", "16")
      "ldr    %[t0], [%[f], #28]\n\t"
      "add    %[x], %[x], %[t0]\n\t"
      TINYPRUNE_RT_DW_TAP("[%[x]]", "24")
      TINYPRUNE_RT_DW_TAP("[%[x], %[dx]]", "32")
      TINYPRUNE_RT_DW_TAP("[%[x], %[dx], lsl #1]", "40")
      "ldr    %[t0], [%[f], #28]\n\t"
      "add    %[x], %[x], %[t0]\n\t"
      TINYPRUNE_RT_DW_TAP("[%[x]]", "48")
      TINYPRUNE_RT_DW_TAP("[%[x], %[dx]]", "56")
      TINYPRUNE_RT_DW_TAP("[%[x], %[dx], lsl #1]", "64")
      "ldr    %[t0], [%[f], #32]\n\t"
      "add    %[x], %[x], %[t0]\n\t"
      "ldrd   %[wp], %[off], [%[f], #12]\n\t"
      "ldr    %[dx], [%[f], #20]\n\t"
      TINYPRUNE_RT_DW_STORE("a0", "0")
      TINYPRUNE_RT_DW_STORE("a1", "1")
      TINYPRUNE_RT_DW_STORE("a2", "2")
      TINYPRUNE_RT_DW_STORE("a3", "3")
      "ldr    %[t0], [%[f], #24]\n\t"
      "add    %[dx], %[dx], %[t0]\n\t"
      "str    %[dx], [%[f], #20]\n\t"
      "ldr    %[t0], [%[f], #36]\n\t"
      "subs   %[t0], %[t0], #1\n\t"
      "str    %[t0], [%[f], #36]\n\t"
      "bne    1b\n\t"
      : [a0] "=&r"(a0), [a1] "=&r"(a1), [a2] "=&r"(a2), [a3] "=&r"(a3),
        [t0] "=&r"(t0), [t1] "=&r"(t1), [w0] "=&r"(w0), [w1] "=&r"(w1),
        [dx] "=&r"(dx), [wp] "=&r"(wp), [off] "=&r"(off), [x] "+r"(x)
      : [f] "r"(&f)
      : "cc", "memory");
  // clang-format on
#undef TINYPRUNE_RT_DW_STORE
#undef TINYPRUNE_RT_DW_TAP
}
#endif

/// `outW` outputs for the four channels of a group from strip rows at `x`
/// (`rowStride` bytes apart), windows `xStep` bytes apart, taps `tapStride`
/// bytes apart: every window an inside one. Out of line, so that the
/// unrolled window gets the registers its inline assembly needs.
TINYPRUNE_RT_HOT TINYPRUNE_RT_NOINLINE void depthwiseStripWindows4(
    const int8_t *x, ptrdiff_t tapStride, ptrdiff_t rowStride, ptrdiff_t xStep,
    int32_t kH, int32_t kW, const int32_t *weights, int32_t offset,
    const int32_t (&start)[4], const RightShiftMultiplier (&q)[4],
    const OutputStage &finish, int32_t outW, int32_t outC, int8_t *y) {
#if TINYPRUNE_RT_ARM_ASM
  // 3x3 windows (the only ones this path takes with the assembly) over the
  // whole int8 range: depthwiseRows3x3.
  if (!finish.narrow && outW > 0) {
    DepthwiseRowFrame f = {tapStride,
                           weights,
                           offset,
                           q,
                           finish.zeroPoint,
                           y,
                           outC,
                           rowStride,
                           xStep - 2 * rowStride,
                           outW,
                           {start[0], start[1], start[2], start[3]}};
    depthwiseRows3x3(f, x);
    return;
  }
#endif
  for (int32_t ox = 0; ox < outW; ++ox, y += outC, x += xStep) {
    int32_t a0 = start[0], a1 = start[1], a2 = start[2], a3 = start[3];
    depthwiseInside4(x, tapStride, rowStride, kH, kW, weights, outC, offset, a0,
                     a1, a2, a3);
    finish.store4(a0, a1, a2, a3, q, y);
  }
}

/// The `outW` outputs of row `oy` for the four channels of a group through
/// a strip (depthwiseStrip4).
inline void depthwiseStripRow4(const DepthwiseInt8Layer &l, const int8_t *in,
                               int32_t oy, int32_t columns, int32_t zpWord,
                               const int32_t *weights, int32_t offset,
                               const int32_t (&start)[4],
                               const RightShiftMultiplier (&q)[4],
                               const OutputStage &finish, int32_t outW,
                               int8_t *y) {
  int32_t strip[3 * kMaxStripColumns];
  depthwiseStrip4(l, in, oy, columns, zpWord, strip);
  depthwiseStripWindows4(reinterpret_cast<const int8_t *>(strip),
                         4 * l.p.dilationW, 4 * columns, 4 * l.p.strideW, l.kH,
                         l.kW, weights, offset, start, q, finish, outW, l.inC,
                         y);
}
#endif

#if TINYPRUNE_RT_DEPTHWISE_DSP && TINYPRUNE_RT_ARM_ASM
/// Rows of the rolling strip of depthwiseConv3x3SameInt8: three input rows
/// in a ring, the first two stored twice (slots s and s + 3), so that the
/// three rows of every output row lie at consecutive slots.
constexpr int32_t kRollingStripRows = 5;
#endif

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
///
/// Fast path (depth multiplier 1, at least four channels, at most
/// kMaxFastTaps taps, right-shift multipliers): channels go in groups of
/// four (at a count that is not a multiple of four the last group overlaps
/// the one before), each group over all output pixels with its
/// requantization prepared once. On the DSP cores the group's weights are
/// first unpacked into a stack table (128 bytes), two words per tap (SXTB16
/// lanes 0/2 and 1/3, loaded with one LDRD), so each tap of a window costs
/// one load and two SXTAB16 of input (which add `-zp` for free) and four
/// SMLABB/SMLATT; the 3x3 window is unrolled in inline assembly. Windows
/// that touch the padding sum `(x - zp) * w` over their clipped taps
/// (depthwiseClipped4), still four channels at a time.
TINYPRUNE_RT_HOT inline void depthwiseConvPerChannelInt8(
    const ConvInt8Params &p, const int32_t *multiplier, const int32_t *shift,
    int32_t depthMultiplier, int32_t batches, int32_t inH, int32_t inW,
    int32_t inC, const int8_t *input, int32_t kH, int32_t kW,
    const int8_t *filter, const int32_t *bias, int32_t outH, int32_t outW,
    int8_t *output) {
  const detail::DepthwiseInt8Layer l{p,  depthMultiplier, inH, inW, inC, kH,
                                     kW, filter,          bias};
  const int32_t outC = inC * depthMultiplier;
  const ptrdiff_t inImage = static_cast<ptrdiff_t>(inH) * inW * inC;
  const ptrdiff_t outImage = static_cast<ptrdiff_t>(outH) * outW * outC;
  constexpr int32_t kMaxFastTaps = 16;

  bool fast = depthMultiplier == 1 && inC >= 4 && kH * kW <= kMaxFastTaps;
  for (int32_t o = 0; fast && o < outC; ++o)
    fast = isRightShiftMultiplier(multiplier[o], shift[o]);
  if (!fast) {
    for (int32_t b = 0; b < batches; ++b)
      for (int32_t oy = 0; oy < outH; ++oy)
        for (int32_t ox = 0; ox < outW; ++ox)
          for (int32_t oc = 0; oc < outC; ++oc) {
            const int32_t acc =
                detail::depthwiseWindowInt8(l, input + b * inImage, oy, ox, oc);
            output[b * outImage +
                   (static_cast<ptrdiff_t>(oy) * outW + ox) * outC + oc] =
                detail::requantizeGeneral(acc, multiplier[oc], shift[oc], p);
          }
    return;
  }

  const detail::OutputStage finish = detail::OutputStage::of(p);
  const detail::TapRange insideY =
      detail::insideRange(p.padTop, p.strideH, p.dilationH, kH, inH, outH);
  const detail::TapRange insideX =
      detail::insideRange(p.padLeft, p.strideW, p.dilationW, kW, inW, outW);
  const ptrdiff_t tapStride = static_cast<ptrdiff_t>(p.dilationW) * inC;
  const ptrdiff_t rowStride = static_cast<ptrdiff_t>(p.dilationH) * inW * inC;
  const ptrdiff_t xStep = static_cast<ptrdiff_t>(p.strideW) * inC;
  const bool insideAny =
      detail::kDepthwiseInsideAnyWindow || (kH == 3 && kW == 3);
#if TINYPRUNE_RT_DEPTHWISE_DSP
  // -zp in both int16 halves (x - zp lies in [-255, 255]).
  const int32_t offset = detail::halfwordPair(-p.inputZeroPoint);
#else
  const int32_t offset = -p.inputZeroPoint;
#endif
#if TINYPRUNE_RT_DEPTHWISE_DSP
  // Weights of the group, per tap: lanes 0/2 and 1/3 sign-extended.
  int32_t wTable[2 * kMaxFastTaps];
  // The rows with windows in the padding go through a strip
  // (depthwiseStrip4) when their windows span at most kMaxStripColumns
  // input columns (0: none does).
  const int32_t span = (outW - 1) * p.strideW + (kW - 1) * p.dilationW + 1;
  const int32_t stripColumns =
      insideAny && kH <= 3 && span <= detail::kMaxStripColumns ? span : 0;
  const int32_t zpWord = static_cast<int32_t>(
      (static_cast<uint32_t>(p.inputZeroPoint) & 0xFFu) * 0x01010101u);
#endif

  for (int32_t c = 0; c < inC; c += 4) {
    const int32_t c0 = c + 4 <= inC ? c : inC - 4;
    RightShiftMultiplier q[4];
    int32_t start[4];
    for (int32_t k = 0; k < 4; ++k) {
      q[k] = detail::prepareMultiplier(multiplier[c0 + k], shift[c0 + k]);
      start[k] = bias ? bias[c0 + k] : 0;
    }
#if TINYPRUNE_RT_DEPTHWISE_DSP
    for (int32_t t = 0; t < kH * kW; ++t) {
      const int32_t wq =
          detail::loadInt8x4(filter + static_cast<ptrdiff_t>(t) * outC + c0);
      wTable[2 * t] = detail::sxtbLanes02(wq);
      wTable[2 * t + 1] = detail::sxtbLanes13(wq);
    }
#endif
#if TINYPRUNE_RT_DEPTHWISE_DSP
    const int32_t *weights = wTable;
#else
    const int8_t *weights = filter + c0;
#endif
    for (int32_t b = 0; b < batches; ++b) {
      const int8_t *inB = input + b * inImage;
      int8_t *outB = output + b * outImage + c0;
      for (int32_t oy = 0; oy < outH; ++oy) {
        const int32_t fastBegin = insideAny && oy >= insideY.begin &&
                                          oy < insideY.end &&
                                          insideX.begin < insideX.end
                                      ? insideX.begin
                                      : -1;
        int8_t *y = outB + static_cast<ptrdiff_t>(oy) * outW * outC;
#if TINYPRUNE_RT_DEPTHWISE_DSP
        // A row with windows in the padding, narrow enough: through a strip
        // with the zero point in the padding (depthwiseStrip4).
        if (stripColumns > 0 &&
            (fastBegin != 0 || insideX.end < outW || fastBegin < 0)) {
          detail::depthwiseStripRow4(l, inB + c0, oy, stripColumns, zpWord,
                                     weights, offset, start, q, finish, outW,
                                     y);
          continue;
        }
#endif
        for (int32_t ox = 0; ox < outW; ++ox, y += outC) {
          if (ox != fastBegin) {
            int32_t a[4] = {start[0], start[1], start[2], start[3]};
            detail::depthwiseClipped4(l, inB + c0, oy, ox, weights, a[0], a[1],
                                      a[2], a[3]);
            for (int32_t k = 0; k < 4; ++k)
              y[k] = finish(a[k], q[k]);
            continue;
          }
          const int8_t *x =
              inB +
              (static_cast<ptrdiff_t>(oy * p.strideH - p.padTop) * inW +
               ox * p.strideW - p.padLeft) *
                  inC +
              c0;
          for (; ox < insideX.end; ++ox, y += outC, x += xStep) {
            int32_t a0 = start[0], a1 = start[1], a2 = start[2], a3 = start[3];
            detail::depthwiseInside4(x, tapStride, rowStride, kH, kW, weights,
                                     outC, offset, a0, a1, a2, a3);
            finish.store4(a0, a1, a2, a3, q, y);
          }
          --ox;
          y -= outC;
        }
      }
    }
  }
}

/// A 3x3, stride-1, 'same'-padded int8 depthwise layer (depth multiplier 1,
/// one image) as the compiler describes it for depthwiseConv3x3SameInt8.
struct DepthwiseSame3x3Int8 {
  const int32_t *multiplier, *shift;
  const int8_t *filter;
  const int32_t *bias;
  int32_t h, w, c;
  int32_t inputZeroPoint, outputZeroPoint, actMin, actMax;
};

#if TINYPRUNE_RT_DEPTHWISE_DSP && TINYPRUNE_RT_ARM_ASM
/// Whether depthwiseConv3x3SameInt8 exists (DSP cores with the inline
/// assembly); elsewhere such layers take depthwiseConvPerChannelInt8.
#define TINYPRUNE_RT_DEPTHWISE_3X3_SAME 1

/// The widest rows depthwiseConv3x3SameInt8 takes.
constexpr int32_t kMaxDepthwiseSameWidth = detail::kMaxStripColumns - 2;

/// A DepthwiseSame3x3Int8 layer from `input` to `output`, which may be the
/// same buffer. In place it replaces what the compiler otherwise does row
/// by row through a ring (inplace.h), with every call's set-up repeated per
/// row. Each group of four channels runs over all rows once, its weight
/// table and requantization prepared once, and reads its input through a
/// rolling strip on the stack (kRollingStripRows rows of w + 2 words, the
/// zero point in the padding): one input row is copied per output row, and
/// every window is an unrolled inside one. Channels are independent, so in
/// place the strip holds the input rows a group still needs before its
/// output rows overwrite them. Same results as depthwiseConvPerChannelInt8.
///
/// The compiler checks what the kernel needs: `c` a multiple of four (in
/// place, overlapping groups would read outputs), 1 <= w <=
/// kMaxDepthwiseSameWidth, right-shift multipliers (isRightShiftMultiplier).
/// Out of line: one copy for all the layers that use it.
TINYPRUNE_RT_HOT TINYPRUNE_RT_NOINLINE void
depthwiseConv3x3SameInt8(const DepthwiseSame3x3Int8 &l, const int8_t *input,
                         int8_t *output) {
  const detail::OutputStage finish =
      detail::OutputStage::of(l.outputZeroPoint, l.actMin, l.actMax);
  const int32_t offset = detail::halfwordPair(-l.inputZeroPoint);
  const int32_t zpWord = static_cast<int32_t>(
      (static_cast<uint32_t>(l.inputZeroPoint) & 0xFFu) * 0x01010101u);
  const int32_t w = l.w, c = l.c, columns = w + 2;
  const ptrdiff_t rowBytes = static_cast<ptrdiff_t>(w) * c;
  int32_t strip[detail::kRollingStripRows * detail::kMaxStripColumns];
  for (int32_t r = 0; r < detail::kRollingStripRows; ++r)
    strip[r * columns] = strip[r * columns + columns - 1] = zpWord;
  int32_t wTable[18];
  detail::DepthwiseRowFrame f;
  for (int32_t c0 = 0; c0 < c; c0 += 4) {
    RightShiftMultiplier q[4];
    int32_t start[4];
    for (int32_t k = 0; k < 4; ++k) {
      q[k] = detail::prepareMultiplier(l.multiplier[c0 + k], l.shift[c0 + k]);
      start[k] = l.bias ? l.bias[c0 + k] : 0;
    }
    for (int32_t t = 0; t < 9; ++t) {
      const int32_t wq =
          detail::loadInt8x4(l.filter + static_cast<ptrdiff_t>(t) * c + c0);
      wTable[2 * t] = detail::sxtbLanes02(wq);
      wTable[2 * t + 1] = detail::sxtbLanes13(wq);
    }
    // Input row i (from -1, the padding, to h, the padding) goes to slot
    // `slot` and, for slots 0 and 1, to slot + 3 as well; output row i - 1
    // then reads slots `first` to first + 2. In place, input row i is in
    // the strip before output row i overwrites it.
    int8_t *y = output + c0;
    int32_t slot = 0, first = 0;
    for (int32_t i = -1; i <= l.h; ++i) {
      int32_t *a = strip + slot * columns + 1;
      int32_t *b = slot < 2 ? a + 3 * columns : a;
      const bool inside = i >= 0 && i < l.h;
      const int8_t *xc = input + c0 + (inside ? i : 0) * rowBytes;
      for (int32_t k = 0; k < w; ++k, xc += c) {
        const int32_t v = inside ? detail::loadInt8x4(xc) : zpWord;
        a[k] = v;
        b[k] = v;
      }
      slot = slot == 2 ? 0 : slot + 1;
      if (i < 1)
        continue;
      const int8_t *x =
          reinterpret_cast<const int8_t *>(strip + first * columns);
      if (finish.narrow)
        detail::depthwiseStripWindows4(x, 4, 4 * columns, 4, 3, 3, wTable,
                                       offset, start, q, finish, w, c, y);
      else {
        // The group's frame, set once; the loop advances f.y a row.
        if (i == 1)
          f = {4,
               wTable,
               offset,
               q,
               finish.zeroPoint,
               y,
               c,
               4 * columns,
               4 - 8 * columns,
               w,
               {start[0], start[1], start[2], start[3]}};
        f.n = w;
        detail::depthwiseRows3x3(f, x);
      }
      y += rowBytes;
      first = first == 2 ? 0 : first + 1;
    }
  }
}
#else
#define TINYPRUNE_RT_DEPTHWISE_3X3_SAME 0
#endif

/// A 3x3 int8 depthwise layer (depth multiplier 1, one image, dilation 1,
/// stride 1 or 2 along both axes, at most one row or column of padding on
/// each side, input at least 3x3) as the compiler describes it for
/// depthwiseConv3x3Int8.
struct Depthwise3x3Int8 {
  const int32_t *multiplier, *shift;
  const int8_t *filter;
  const int32_t *bias;
  int32_t inH, inW, c, outH, outW, stride, padTop, padLeft;
  int32_t inputZeroPoint, outputZeroPoint, actMin, actMax;
};

#if TINYPRUNE_RT_DEPTHWISE_DSP
/// Whether depthwiseConv3x3Int8 exists (DSP cores); elsewhere such layers
/// take depthwiseConvPerChannelInt8.
#define TINYPRUNE_RT_DEPTHWISE_3X3 1

namespace detail {
/// The weight table of depthwiseInside4 (two words per tap) for the four
/// channels at `f` (the `[3][3][c]` filter offset to the group) when the
/// window is read `colShift` columns right of where it lies: table tap
/// (r, k) holds filter tap (r, k + colShift), or zero where that is outside
/// the filter.
inline void depthwiseShiftedTable3x3(const int8_t *f, int32_t c,
                                     int32_t colShift, int32_t *t) {
  for (int32_t r = 0; r < 3; ++r)
    for (int32_t k = 0; k < 3; ++k, t += 2) {
      const int32_t kx = k + colShift;
      if (kx < 0 || kx > 2) {
        t[0] = t[1] = 0;
        continue;
      }
      const int32_t wq = loadInt8x4(f + static_cast<ptrdiff_t>(r * 3 + kx) * c);
      t[0] = sxtbLanes02(wq);
      t[1] = sxtbLanes13(wq);
    }
}
} // namespace detail

/// A Depthwise3x3Int8 layer from `input` to `output` (distinct buffers),
/// any width: the layers depthwiseConv3x3SameInt8 does not take (VWW's
/// stride-2 layers and its 48- and 24-column maps). Each group of four
/// channels runs over all rows with its requantization prepared once and
/// reads the input where it lies, without strip copies: a window clipped
/// by the padding is read as the inside window next to it (moved by one
/// row or column) with its weights moved the other way and zeros for the
/// taps in the padding. The group's three tables (left edge, inside, right
/// edge) lie between rows of zeros (30 words each, 360 bytes of stack), so
/// a window moved down (up) a row reads its table from one row later
/// (earlier): each table is built once per group, and each output row is at
/// most three calls of the unrolled window loop (the left edge window, the
/// inside run, the right edge window). Same results as
/// depthwiseConvPerChannelInt8.
///
/// The compiler checks what the kernel needs: `c` a multiple of four,
/// inH, inW >= 3, padding 0 or 1 on every side, right-shift multipliers
/// (isRightShiftMultiplier). Out of line: one copy for all its layers.
TINYPRUNE_RT_HOT TINYPRUNE_RT_NOINLINE void
depthwiseConv3x3Int8(const Depthwise3x3Int8 &l, const int8_t *input,
                     int8_t *output) {
  const detail::OutputStage finish =
      detail::OutputStage::of(l.outputZeroPoint, l.actMin, l.actMax);
  const int32_t offset = detail::halfwordPair(-l.inputZeroPoint);
  const int32_t c = l.c, s = l.stride;
  const ptrdiff_t rowBytes = static_cast<ptrdiff_t>(l.inW) * c;
  const ptrdiff_t outRowBytes = static_cast<ptrdiff_t>(l.outW) * c;
  // Output columns [0, first) clip on the left, [first, last) lie inside,
  // [last, outW) clip on the right (at most one each, with padding <= 1).
  const int32_t first = l.padLeft > 0 && l.outW > 0 ? 1 : 0;
  int32_t last = (l.inW - 3 + l.padLeft) / s + 1;
  last = last > l.outW ? l.outW : (last < first ? first : last);
  const int32_t rightShift = (l.inW - 3) - (last * s - l.padLeft);
  const ptrdiff_t firstBytes =
      static_cast<ptrdiff_t>(first * s - l.padLeft) * c;
  const ptrdiff_t rightBytes = static_cast<ptrdiff_t>(l.inW - 3) * c;
  // Per table: a row of zeros, the 3x3 taps, a row of zeros.
  constexpr int32_t kRow = 6, kTable = 5 * kRow;
  int32_t tables[3 * kTable];
  for (int32_t i = 0; i < 3; ++i)
    for (int32_t k = 0; k < kRow; ++k)
      tables[i * kTable + k] = tables[i * kTable + 4 * kRow + k] = 0;
  int32_t *left = tables + kRow, *inside = left + kTable,
          *right = inside + kTable;
#if TINYPRUNE_RT_ARM_ASM
  detail::DepthwiseRowFrame frame;
#endif
  for (int32_t c0 = 0; c0 < c; c0 += 4) {
    RightShiftMultiplier q[4];
    int32_t start[4];
    for (int32_t k = 0; k < 4; ++k) {
      q[k] = detail::prepareMultiplier(l.multiplier[c0 + k], l.shift[c0 + k]);
      start[k] = l.bias ? l.bias[c0 + k] : 0;
    }
    const int8_t *f = l.filter + c0;
    detail::depthwiseShiftedTable3x3(f, c, 0, inside);
    if (first > 0)
      detail::depthwiseShiftedTable3x3(f, c, l.padLeft, left);
    if (last < l.outW)
      detail::depthwiseShiftedTable3x3(f, c, rightShift, right);
    int8_t *y = output + c0;
    for (int32_t oy = 0; oy < l.outH; ++oy, y += outRowBytes) {
      // The window's rows, moved inside the input: rows y1..y1 + 2, whose
      // weights are the filter's rows from y1 - y0 (-1, 0 or 1).
      const int32_t y0 = oy * s - l.padTop;
      const int32_t y1 = y0 < 0 ? 0 : (y0 > l.inH - 3 ? l.inH - 3 : y0);
      const int32_t moved = kRow * (y1 - y0);
      const int8_t *x = input + c0 + static_cast<ptrdiff_t>(y1) * rowBytes;
#if TINYPRUNE_RT_ARM_ASM
      if (!finish.narrow) {
        // The group's frame, set once; the loop advances frame.y.
        if (oy == 0)
          frame = {c,
                   inside,
                   offset,
                   q,
                   finish.zeroPoint,
                   y,
                   c,
                   rowBytes,
                   static_cast<ptrdiff_t>(s) * c - 2 * rowBytes,
                   0,
                   {start[0], start[1], start[2], start[3]}};
        if (first > 0) {
          frame.weights = left + moved;
          frame.n = 1;
          detail::depthwiseRows3x3(frame, x);
        }
        if (last > first) {
          frame.weights = inside + moved;
          frame.n = last - first;
          detail::depthwiseRows3x3(frame, x + firstBytes);
        }
        if (last < l.outW) {
          frame.weights = right + moved;
          frame.n = 1;
          detail::depthwiseRows3x3(frame, x + rightBytes);
        }
        continue;
      }
#endif
      if (first > 0)
        detail::depthwiseStripWindows4(x, c, rowBytes, 0, 3, 3, left + moved,
                                       offset, start, q, finish, 1, c, y);
      detail::depthwiseStripWindows4(
          x + firstBytes, c, rowBytes, static_cast<ptrdiff_t>(s) * c, 3, 3,
          inside + moved, offset, start, q, finish, last - first, c,
          y + static_cast<ptrdiff_t>(first) * c);
      if (last < l.outW)
        detail::depthwiseStripWindows4(
            x + rightBytes, c, rowBytes, 0, 3, 3, right + moved, offset, start,
            q, finish, 1, c, y + static_cast<ptrdiff_t>(last) * c);
    }
  }
}
#else
#define TINYPRUNE_RT_DEPTHWISE_3X3 0
#endif

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
