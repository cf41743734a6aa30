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
//  * other convolutions compute the windows that lie wholly inside the
//    input two pixels (along the row) by two channels at a time, as
//    `start + sum(x * w)` with `start = bias - zp * sum(w)` over the whole
//    filter, computed once per channel; only windows that touch the
//    padding sum `w * (x - zp)` over their clipped taps one by one;
//  * requantization uses multipliers prepared once per channel
//    (RightShiftMultiplier, fixedpoint.h).
// Other layers take the general per-window path throughout. The sums are
// exact modulo 2^32, so every path computes TFLite's int32 accumulator.
//
// On Cortex-M cores with the DSP extension (`__ARM_FEATURE_DSP`), the dot
// products take four channels per step with SXTB16 and SMLAD (SXTAB16 adds
// the input offset in clipped windows); the innermost loops are inline
// assembly (TINYPRUNE_RT_ARM_ASM). Elsewhere portable loops compute the
// same integers. Define TINYPRUNE_RT_NO_DSP to force the portable loops
// (e.g. to compare both on a device).
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

#if TINYPRUNE_RT_ARM_DSP && (defined(__GNUC__) || defined(__clang__)) &&       \
    !defined(TINYPRUNE_RT_NO_ASM)
/// Set when the innermost DSP loops are GNU inline assembly rather than
/// ACLE intrinsics. Same instructions, but with the registers allocated by
/// hand: GCC at -Os spills accumulators and pointers out of these loops
/// (its -Os register allocator weighs code size, not loop frequency). The
/// intrinsic loops remain for other compilers and for comparison
/// (TINYPRUNE_RT_NO_ASM); both compute the same integers.
#define TINYPRUNE_RT_ARM_ASM 1
#else
#define TINYPRUNE_RT_ARM_ASM 0
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

/// The output positions in [0, outSize) whose whole window lies inside
/// [0, extent): windows start at `o * stride - pad` and span
/// `(taps - 1) * dilation + 1` inputs. Empty (begin >= end) when none does.
inline TapRange insideRange(int32_t pad, int32_t stride, int32_t dilation,
                            int32_t taps, int32_t extent, int32_t outSize) {
  TapRange r;
  r.begin = (pad + stride - 1) / stride;
  const int32_t lastStart = extent - 1 - (taps - 1) * dilation + pad;
  r.end = lastStart < 0 ? 0 : lastStart / stride + 1;
  r.end = r.end < outSize ? r.end : outSize;
  return r;
}

/// `std::min(std::max(x, lo), hi)`, TFLite's ActivationFunctionWithMinMax
/// (a NaN passes through).
inline float clampFloat(float x, float lo, float hi) {
  x = x < lo ? lo : x;
  return hi < x ? hi : x;
}

/// `a + x * w` with int32 wrap-around: accumulators start at the bias, so
/// a partial sum may leave int32 where TFLite's order of additions would
/// not; modulo 2^32 the final sum is the same.
TINYPRUNE_RT_ALWAYS_INLINE inline int32_t macWrap(int32_t a, int32_t x,
                                                  int32_t w) {
  return static_cast<int32_t>(static_cast<uint32_t>(a) +
                              static_cast<uint32_t>(x * w));
}

#if TINYPRUNE_RT_ARM_DSP
/// Four consecutive int8 values as one word: an unaligned load, which
/// ARMv7-M allows for LDR. GCC emits one LDR by default; clang targeting
/// bare metal needs -munaligned-access, or it assembles the word from byte
/// loads. The builtin stays inline under -ffreestanding / -fno-builtin,
/// where std::memcpy would become a call.
TINYPRUNE_RT_ALWAYS_INLINE inline int32_t loadInt8x4(const int8_t *p) {
  int32_t v;
#if defined(__GNUC__) || defined(__clang__)
  __builtin_memcpy(&v, p, sizeof(v));
#else
  std::memcpy(&v, p, sizeof(v));
#endif
  return v;
}

/// Bytes 0 and 2 of `v`, sign-extended into the two int16 halves.
TINYPRUNE_RT_ALWAYS_INLINE inline int32_t sxtbLanes02(int32_t v) {
  return __sxtb16(v);
}

/// Bytes 1 and 3 of `v`, sign-extended into the two int16 halves. SXTB16
/// rotates its operand for free, but GCC does not fold a rotation into the
/// ACLE intrinsic (it emits a separate ROR), hence the one-instruction asm.
TINYPRUNE_RT_ALWAYS_INLINE inline int32_t sxtbLanes13(int32_t v) {
#if defined(__GNUC__) || defined(__clang__)
  int32_t r;
  __asm__("sxtb16 %0, %1, ror #8" : "=r"(r) : "r"(v));
  return r;
#else
  return __sxtb16(static_cast<int32_t>(rotateRight8(static_cast<uint32_t>(v))));
#endif
}

/// `offsetPair` plus bytes 1 and 3 of `v` sign-extended, per int16 half
/// (SXTAB16 with its free rotation; see sxtbLanes13).
TINYPRUNE_RT_ALWAYS_INLINE inline int32_t sxtabLanes13(int32_t offsetPair,
                                                       int32_t v) {
#if defined(__GNUC__) || defined(__clang__)
  int32_t r;
  __asm__("sxtab16 %0, %1, %2, ror #8" : "=r"(r) : "r"(offsetPair), "r"(v));
  return r;
#else
  return __sxtab16(
      offsetPair, static_cast<int32_t>(rotateRight8(static_cast<uint32_t>(v))));
#endif
}
#endif

/// `sum(w[i])` over `n` int8 values.
inline int32_t sumInt8(const int8_t *w, int32_t n) {
  int32_t s = 0;
  for (int32_t i = 0; i < n; ++i)
    s += w[i];
  return s;
}

/// One input run against two filters, with the input offset added:
/// `acc_k += sum((x[i] + offset) * w_k[i])`, each input word unpacked once
/// (windows clipped by the padding, one pixel at a time). `x + offset`
/// lies in [-255, 255], within the int16 halves of the DSP path. Not
/// inlined: it has few live values and keeps them in registers only when
/// compiled on its own (ARMv6-M in particular).
TINYPRUNE_RT_NOINLINE void dotInt8Block1x2(const int8_t *x, const int8_t *w0,
                                           const int8_t *w1, int32_t n,
                                           int32_t offset, int32_t &acc0,
                                           int32_t &acc1) {
  int32_t a0 = acc0, a1 = acc1;
  int32_t i = 0;
#if TINYPRUNE_RT_ARM_DSP
  const int32_t offsetPair = static_cast<int32_t>(
      (static_cast<uint32_t>(offset) & 0xFFFFu) * 0x10001u);
  for (; i + 4 <= n; i += 4) {
    const int32_t xq = loadInt8x4(x + i);
    const int32_t x02 = __sxtab16(offsetPair, xq);
    const int32_t x13 = sxtabLanes13(offsetPair, xq);
    const int32_t w0q = loadInt8x4(w0 + i);
    a0 = __smlad(x02, sxtbLanes02(w0q), a0);
    a0 = __smlad(x13, sxtbLanes13(w0q), a0);
    const int32_t w1q = loadInt8x4(w1 + i);
    a1 = __smlad(x02, sxtbLanes02(w1q), a1);
    a1 = __smlad(x13, sxtbLanes13(w1q), a1);
  }
#endif
  for (; i < n; ++i) {
    a0 = macWrap(a0, x[i] + offset, w0[i]);
    a1 = macWrap(a1, x[i] + offset, w1[i]);
  }
  acc0 = a0;
  acc1 = a1;
}

/// Register block of the convolution's inner loop: two output pixels times
/// two output channels. `acc[p][o] += sum(x_p[i] * w_o[i])` over `n` int8
/// values, for the input runs x_0 = x, x_1 = x + xStride and the filter
/// runs w_0 = w, w_1 = w + wStride. Each input word is loaded and unpacked
/// once for both filters, each filter word once for both pixels: per four
/// channels, four loads, eight SXTB16 and eight SMLAD for sixteen products.
/// A stride of 0 repeats a pixel or filter (blocks at odd edges).
TINYPRUNE_RT_ALWAYS_INLINE inline void
dotInt8Block2x2(const int8_t *x, ptrdiff_t xStride, const int8_t *w,
                ptrdiff_t wStride, int32_t n, int32_t (&acc)[2][2]) {
  int32_t a00 = acc[0][0], a01 = acc[0][1], a10 = acc[1][0], a11 = acc[1][1];
#if TINYPRUNE_RT_ARM_ASM
  if (n >= 4) {
    // Two four-channel steps per iteration; an odd number of steps enters
    // at the second. The loads after a post-increment use strides less 4.
    const int8_t *end = w + (n & ~3);
    const ptrdiff_t xs = xStride - 4, ws = wStride - 4;
    int32_t t0, t1, t2, t3, t4, t5;
#define TINYPRUNE_RT_STEP2X2                                                   \
  "ldr    %[t1], [%[w]], #4\n\t"                                               \
  "ldr    %[t0], [%[w], %[ws]]\n\t"                                            \
  "sxtb16 %[t2], %[t1]\n\t"                                                    \
  "sxtb16 %[t1], %[t1], ror #8\n\t"                                            \
  "sxtb16 %[t3], %[t0]\n\t"                                                    \
  "sxtb16 %[t0], %[t0], ror #8\n\t"                                            \
  "ldr    %[t5], [%[x]], #4\n\t"                                               \
  "sxtb16 %[t4], %[t5]\n\t"                                                    \
  "sxtb16 %[t5], %[t5], ror #8\n\t"                                            \
  "smlad  %[a00], %[t4], %[t2], %[a00]\n\t"                                    \
  "smlad  %[a00], %[t5], %[t1], %[a00]\n\t"                                    \
  "smlad  %[a01], %[t4], %[t3], %[a01]\n\t"                                    \
  "smlad  %[a01], %[t5], %[t0], %[a01]\n\t"                                    \
  "ldr    %[t5], [%[x], %[xs]]\n\t"                                            \
  "sxtb16 %[t4], %[t5]\n\t"                                                    \
  "sxtb16 %[t5], %[t5], ror #8\n\t"                                            \
  "smlad  %[a10], %[t4], %[t2], %[a10]\n\t"                                    \
  "smlad  %[a10], %[t5], %[t1], %[a10]\n\t"                                    \
  "smlad  %[a11], %[t4], %[t3], %[a11]\n\t"                                    \
  "smlad  %[a11], %[t5], %[t0], %[a11]\n\t"
    __asm__(
        "ldr    %[t0], %[n]\n\t"
        "tst    %[t0], #4\n\t"
        "bne    2f\n"
        "1:\n\t" TINYPRUNE_RT_STEP2X2 "\n"
        "2:\n\t" TINYPRUNE_RT_STEP2X2 "ldr    %[t0], %[end]\n\t"
        "cmp    %[w], %[t0]\n\t"
        "bne    1b\n\t"
        : [a00] "+r"(a00), [a01] "+r"(a01), [a10] "+r"(a10), [a11] "+r"(a11),
          [x] "+r"(x), [w] "+r"(w), [t0] "=&r"(t0), [t1] "=&r"(t1),
          [t2] "=&r"(t2), [t3] "=&r"(t3), [t4] "=&r"(t4), [t5] "=&r"(t5)
        : [xs] "r"(xs), [ws] "r"(ws), [n] "m"(n), [end] "m"(end)
        : "cc", "memory");
#undef TINYPRUNE_RT_STEP2X2
    n &= 3;
  }
#elif TINYPRUNE_RT_ARM_DSP
  auto step = [&]() TINYPRUNE_RT_ALWAYS_INLINE {
    const int32_t wa = loadInt8x4(w), wb = loadInt8x4(w + wStride);
    const int32_t wa02 = sxtbLanes02(wa), wa13 = sxtbLanes13(wa);
    const int32_t wb02 = sxtbLanes02(wb), wb13 = sxtbLanes13(wb);
    const int32_t xa = loadInt8x4(x);
    const int32_t xa02 = sxtbLanes02(xa), xa13 = sxtbLanes13(xa);
    a00 = __smlad(xa02, wa02, a00);
    a00 = __smlad(xa13, wa13, a00);
    a01 = __smlad(xa02, wb02, a01);
    a01 = __smlad(xa13, wb13, a01);
    const int32_t xb = loadInt8x4(x + xStride);
    const int32_t xb02 = sxtbLanes02(xb), xb13 = sxtbLanes13(xb);
    a10 = __smlad(xb02, wa02, a10);
    a10 = __smlad(xb13, wa13, a10);
    a11 = __smlad(xb02, wb02, a11);
    a11 = __smlad(xb13, wb13, a11);
    x += 4;
    w += 4;
  };
  // Eight channels per iteration halve the loop overhead (-Os does not
  // unroll).
  for (const int8_t *end = w + (n & ~7); w != end;) {
    step();
    step();
  }
  if (n & 4)
    step();
  n &= 3;
#endif
#if TINYPRUNE_RT_ARM_DSP
  // The last one to three channels.
  for (int32_t i = 0; i < n; ++i) {
    const int32_t xa = x[i], xb = x[xStride + i];
    const int32_t wa = w[i], wb = w[wStride + i];
    a00 = macWrap(a00, xa, wa);
    a01 = macWrap(a01, xa, wb);
    a10 = macWrap(a10, xb, wa);
    a11 = macWrap(a11, xb, wb);
  }
#else
  // One pixel at a time: cores without the DSP extension (ARMv6-M) have
  // too few registers for four accumulators, four pointers and operands.
  dotInt8Block1x2(x, w, w + wStride, n, 0, a00, a01);
  dotInt8Block1x2(x + xStride, w, w + wStride, n, 0, a10, a11);
#endif
  acc[0][0] = a00;
  acc[0][1] = a01;
  acc[1][0] = a10;
  acc[1][1] = a11;
}

/// One input run against four filters w0..w3 (which may repeat): the
/// block for a single output pixel (fully-connected layers), where there
/// is no second pixel to share the filter words with.
TINYPRUNE_RT_ALWAYS_INLINE inline void
dotInt8Block1x4(const int8_t *x, const int8_t *w0, const int8_t *w1,
                const int8_t *w2, const int8_t *w3, int32_t n,
                int32_t (&acc)[4]) {
  int32_t a0 = acc[0], a1 = acc[1], a2 = acc[2], a3 = acc[3];
#if TINYPRUNE_RT_ARM_DSP
  auto step = [&]() TINYPRUNE_RT_ALWAYS_INLINE {
    const int32_t xq = loadInt8x4(x);
    const int32_t x02 = sxtbLanes02(xq), x13 = sxtbLanes13(xq);
    int32_t wq = loadInt8x4(w0);
    a0 = __smlad(x02, sxtbLanes02(wq), a0);
    a0 = __smlad(x13, sxtbLanes13(wq), a0);
    wq = loadInt8x4(w1);
    a1 = __smlad(x02, sxtbLanes02(wq), a1);
    a1 = __smlad(x13, sxtbLanes13(wq), a1);
    wq = loadInt8x4(w2);
    a2 = __smlad(x02, sxtbLanes02(wq), a2);
    a2 = __smlad(x13, sxtbLanes13(wq), a2);
    wq = loadInt8x4(w3);
    a3 = __smlad(x02, sxtbLanes02(wq), a3);
    a3 = __smlad(x13, sxtbLanes13(wq), a3);
    x += 4;
    w0 += 4;
    w1 += 4;
    w2 += 4;
    w3 += 4;
  };
  for (const int8_t *end = x + (n & ~7); x != end;) {
    step();
    step();
  }
  if (n & 4)
    step();
  n &= 3;
#endif
  for (int32_t i = 0; i < n; ++i) {
    const int32_t xi = x[i];
    a0 = macWrap(a0, xi, w0[i]);
    a1 = macWrap(a1, xi, w1[i]);
    a2 = macWrap(a2, xi, w2[i]);
    a3 = macWrap(a3, xi, w3[i]);
  }
  acc[0] = a0;
  acc[1] = a1;
  acc[2] = a2;
  acc[3] = a3;
}

/// Requantization of the fast paths: per-channel multipliers prepared once
/// (all of a layer's must be right shifts, isRightShiftMultiplier), then
/// output zero point and clamp.
struct OutputStage {
  int32_t zeroPoint, actMin, actMax;
  TINYPRUNE_RT_ALWAYS_INLINE int8_t
  operator()(int32_t acc, const RightShiftMultiplier &q) const {
    return static_cast<int8_t>(
        clamp(applyRightShiftMultiplier(acc, q) + zeroPoint, actMin, actMax));
  }
};

/// Everything about one int8 convolution the helpers below share.
struct ConvInt8Layer {
  const ConvInt8Params &p;
  const int32_t *multiplier, *shift, *bias;
  int32_t inH, inW, inC, outC, kH, kW, outH, outW;
  const int8_t *filter;
  int32_t filterSize;
};

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

/// Pointwise and fully-connected fast path of convPerChannelInt8: 1x1
/// filter, stride 1, no padding, a zero input offset (the compiler folds
/// the zero point into the bias of such layers) and right-shift
/// multipliers. Every output pixel is a matrix-vector product. Output
/// channels go in pairs (the pair's multipliers prepared once) and pixels
/// in pairs through dotInt8Block2x2; a single pixel (fully-connected
/// layers) takes four channels at a time through dotInt8Block1x4 instead.
/// At an odd count the last block overlaps the one before it (or repeats
/// its only lane), recomputing and storing an output twice with the same
/// value, so that every block stores all of its outputs unconditionally.
inline void pointwiseInt8(const ConvInt8Layer &l, int32_t pixels,
                          const int8_t *input, int8_t *output) {
  const OutputStage finish{l.p.outputZeroPoint, l.p.actMin, l.p.actMax};
  const int32_t inC = l.inC, outC = l.outC;
  auto blockStart = [](int32_t i, int32_t size, int32_t count) {
    return i + size <= count ? i : (count >= size ? count - size : 0);
  };
  if (pixels == 1) {
    for (int32_t o = 0; o < outC; o += 4) {
      const int32_t o0 = blockStart(o, 4, outC);
      int32_t ok[4], acc[4];
      const int8_t *w[4];
      for (int32_t k = 0; k < 4; ++k) {
        ok[k] = o0 + k < outC ? o0 + k : outC - 1;
        acc[k] = l.bias ? l.bias[ok[k]] : 0;
        w[k] = l.filter + static_cast<ptrdiff_t>(ok[k]) * inC;
      }
      dotInt8Block1x4(input, w[0], w[1], w[2], w[3], inC, acc);
      for (int32_t k = 0; k < 4; ++k)
        output[ok[k]] =
            finish(acc[k], prepareRightShiftMultiplier(l.multiplier[ok[k]],
                                                       l.shift[ok[k]]));
    }
    return;
  }
  for (int32_t o = 0; o < outC; o += 2) {
    const int32_t o0 = blockStart(o, 2, outC);
    const int32_t o1 = o0 + 1 < outC ? o0 + 1 : o0;
    const RightShiftMultiplier q0 =
        prepareRightShiftMultiplier(l.multiplier[o0], l.shift[o0]);
    const RightShiftMultiplier q1 =
        prepareRightShiftMultiplier(l.multiplier[o1], l.shift[o1]);
    const int32_t b0 = l.bias ? l.bias[o0] : 0, b1 = l.bias ? l.bias[o1] : 0;
    const int8_t *w = l.filter + static_cast<ptrdiff_t>(o0) * inC;
    const ptrdiff_t wStride = static_cast<ptrdiff_t>(o1 - o0) * inC;
    for (int32_t px = 0; px < pixels; px += 2) {
      const int32_t p0 = blockStart(px, 2, pixels);
      const int8_t *x = input + static_cast<ptrdiff_t>(p0) * inC;
      int8_t *y = output + static_cast<ptrdiff_t>(p0) * outC + o0;
      int32_t acc[2][2] = {{b0, b1}, {b0, b1}};
      dotInt8Block2x2(x, inC, w, wStride, inC, acc);
      y[0] = finish(acc[0][0], q0);
      y[o1 - o0] = finish(acc[0][1], q1);
      y[outC] = finish(acc[1][0], q0);
      y[outC + o1 - o0] = finish(acc[1][1], q1);
    }
  }
}

} // namespace detail

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
/// The bias is then added as in TFLite (the fast paths start the sum from
/// the bias; int32 wrap-around makes that the same).
///
/// Fast paths, taken when every channel's multiplier is a right shift (as
/// TFLite's always are in practice): pointwise and fully-connected layers
/// (pointwiseInt8 above); otherwise, windows that lie wholly inside the
/// input go two output pixels (along the row) by two output channels at
/// a time through dotInt8Block2x2, with `zp * sum(w)` of the whole filter
/// folded into the starting value, and only the windows that touch the
/// padding take the general per-window path.
inline void convPerChannelInt8(const ConvInt8Params &p,
                               const int32_t *multiplier, const int32_t *shift,
                               int32_t batches, int32_t inH, int32_t inW,
                               int32_t inC, const int8_t *input, int32_t outC,
                               int32_t kH, int32_t kW, const int8_t *filter,
                               const int32_t *bias, int32_t outH, int32_t outW,
                               int8_t *output) {
  const detail::ConvInt8Layer l{p,    multiplier, shift,  bias,         inH,
                                inW,  inC,        outC,   kH,           kW,
                                outH, outW,       filter, kH * kW * inC};
  const ptrdiff_t inImage = static_cast<ptrdiff_t>(inH) * inW * inC;
  const ptrdiff_t outImage = static_cast<ptrdiff_t>(outH) * outW * outC;

  bool fast = true;
  for (int32_t o = 0; o < outC; ++o)
    fast = fast && isRightShiftMultiplier(multiplier[o], shift[o]);
  if (!fast) {
    // General path: every window clipped and requantized one by one.
    for (int32_t b = 0; b < batches; ++b)
      for (int32_t oy = 0; oy < outH; ++oy)
        for (int32_t ox = 0; ox < outW; ++ox)
          for (int32_t o = 0; o < outC; o += 2) {
            const int32_t o1 = o + 1 < outC ? o + 1 : o;
            int32_t acc[2];
            detail::convWindowInt8(l, input + b * inImage, oy, ox, o, o1,
                                   acc[0], acc[1]);
            for (int32_t k = 0; k <= o1 - o; ++k)
              output[b * outImage +
                     (static_cast<ptrdiff_t>(oy) * outW + ox) * outC + o + k] =
                  static_cast<int8_t>(
                      clamp(multiplyByQuantizedMultiplier(
                                acc[k], multiplier[o + k], shift[o + k]) +
                                p.outputZeroPoint,
                            p.actMin, p.actMax));
          }
    return;
  }

  const int32_t pixels = batches * outH * outW;
  if (kH == 1 && kW == 1 && p.strideH == 1 && p.strideW == 1 && p.padTop == 0 &&
      p.padLeft == 0 && p.inputZeroPoint == 0 && outH == inH && outW == inW &&
      (pixels >= 2 || outC >= 4)) {
    detail::pointwiseInt8(l, pixels, input, output);
    return;
  }

  const detail::OutputStage finish{p.outputZeroPoint, p.actMin, p.actMax};
  const int32_t inputOffset = -p.inputZeroPoint;
  const detail::TapRange insideY =
      detail::insideRange(p.padTop, p.strideH, p.dilationH, kH, inH, outH);
  const detail::TapRange insideX =
      detail::insideRange(p.padLeft, p.strideW, p.dilationW, kW, inW, outW);
  // Inside windows: whole filter rows are contiguous runs of kW * inC
  // values when the width dilation is 1, else one run per tap.
  const int32_t runs = p.dilationW == 1 ? 1 : kW;
  const int32_t runLength = p.dilationW == 1 ? kW * inC : inC;
  const ptrdiff_t xStride = static_cast<ptrdiff_t>(p.strideW) * inC;

  // Blocks of two pixels need two windows inside the row; at an odd count
  // the last block overlaps the one before (see pointwiseInt8).
  const bool pairsInside = insideX.end - insideX.begin >= 2;
  for (int32_t o = 0; o < outC; o += 2) {
    const int32_t o0 = o + 2 <= outC ? o : (outC >= 2 ? outC - 2 : 0);
    const int32_t o1 = o0 + 1 < outC ? o0 + 1 : o0;
    const RightShiftMultiplier q0 =
        prepareRightShiftMultiplier(multiplier[o0], shift[o0]);
    const RightShiftMultiplier q1 =
        prepareRightShiftMultiplier(multiplier[o1], shift[o1]);
    const int8_t *w = filter + static_cast<ptrdiff_t>(o0) * l.filterSize;
    const ptrdiff_t wStride = static_cast<ptrdiff_t>(o1 - o0) * l.filterSize;
    // Starting value of a window inside the input: bias and the zero
    // point's share over the whole filter.
    int32_t start0 = bias ? bias[o0] : 0, start1 = bias ? bias[o1] : 0;
    if (inputOffset != 0) {
      start0 = detail::macWrap(start0, inputOffset,
                               detail::sumInt8(w, l.filterSize));
      start1 = detail::macWrap(start1, inputOffset,
                               detail::sumInt8(w + wStride, l.filterSize));
    }
    for (int32_t b = 0; b < batches; ++b) {
      const int8_t *inB = input + b * inImage;
      int8_t *outB = output + b * outImage;
      for (int32_t oy = 0; oy < outH; ++oy) {
        const int32_t fastBegin =
            pairsInside && oy >= insideY.begin && oy < insideY.end
                ? insideX.begin
                : -1;
        int8_t *y = outB + static_cast<ptrdiff_t>(oy) * outW * outC + o0;
        // Offset of the row's window origin at ox = 0 (only formed into a
        // pointer for windows inside the input).
        const ptrdiff_t rowOrigin =
            (static_cast<ptrdiff_t>(oy * p.strideH - p.padTop) * inW -
             p.padLeft) *
            inC;
        for (int32_t ox = 0; ox < outW; ++ox) {
          if (ox == fastBegin) {
            for (; ox < insideX.end; ox += 2) {
              const int32_t ox0 = ox + 2 <= insideX.end ? ox : ox - 1;
              int32_t acc[2][2] = {{start0, start1}, {start0, start1}};
              const int8_t *x =
                  inB + rowOrigin + static_cast<ptrdiff_t>(ox0) * xStride;
              const int8_t *wRow = w;
              for (int32_t ky = 0; ky < kH; ++ky) {
                for (int32_t k = 0; k < runs; ++k)
                  detail::dotInt8Block2x2(
                      x + static_cast<ptrdiff_t>(k) * p.dilationW * inC,
                      xStride, wRow + k * inC, wStride, runLength, acc);
                x += static_cast<ptrdiff_t>(p.dilationH) * inW * inC;
                wRow += static_cast<ptrdiff_t>(kW) * inC;
              }
              int8_t *yx = y + static_cast<ptrdiff_t>(ox0) * outC;
              yx[0] = finish(acc[0][0], q0);
              yx[o1 - o0] = finish(acc[0][1], q1);
              yx[outC] = finish(acc[1][0], q0);
              yx[outC + o1 - o0] = finish(acc[1][1], q1);
            }
            ox = insideX.end - 1;
            continue;
          }
          int32_t acc0, acc1;
          detail::convWindowInt8(l, inB, oy, ox, o0, o1, acc0, acc1);
          int8_t *yx = y + static_cast<ptrdiff_t>(ox) * outC;
          yx[0] = finish(acc0, q0);
          yx[o1 - o0] = finish(acc1, q1);
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
