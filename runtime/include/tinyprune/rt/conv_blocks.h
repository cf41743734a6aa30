//===- conv_blocks.h - int8 dot-product register blocks ---------*- C++ -*-===//
//
// The inner loops shared by the int8 convolution kernels (conv.h,
// depthwise_conv.h, sparse_conv.h): sums of int8 products over contiguous
// runs in register blocks of one or two pixels by two or four filters, and
// the Cortex-M DSP helpers they use (unaligned word loads, SXTB16 lanes).
//
// On cores with the DSP extension (`__ARM_FEATURE_DSP`) a step takes four
// channels with SXTB16 and SMLAD; the innermost loops are GNU inline
// assembly (TINYPRUNE_RT_ARM_ASM) with ACLE-intrinsic versions kept for
// other compilers (TINYPRUNE_RT_NO_ASM). Define TINYPRUNE_RT_NO_DSP to force
// the portable loops. Every version computes the same int32 sums modulo
// 2^32.
//
// Device kernels: no libm, no heap, no exceptions.
//
//===----------------------------------------------------------------------===//

#ifndef TINYPRUNE_RT_CONV_BLOCKS_H
#define TINYPRUNE_RT_CONV_BLOCKS_H

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

#if TINYPRUNE_RT_ARM_DSP && !defined(__ARM_BIG_ENDIAN)
/// Set when the 2x2 blocks of convolutions can read their weights as int16
/// pairs in SMLAD's lane order (packConvW16): DSP cores, where
/// convPerChannelInt8 takes them as a last argument. The compiler passes
/// such weights through TINYPRUNE_RT_W16_ARG (`, w` here, nothing
/// elsewhere: other cores call the function they called before), and the
/// int8 copy of layers that no longer need it on these cores through
/// TINYPRUNE_RT_W8_ONLY, so each core's binary keeps only the arrays its
/// code reads.
#define TINYPRUNE_RT_CONV_W16 1
#define TINYPRUNE_RT_W16_ARG(a) , (a)
#define TINYPRUNE_RT_W8_ONLY(a) nullptr
#else
#define TINYPRUNE_RT_CONV_W16 0
#define TINYPRUNE_RT_W16_ARG(a)
#define TINYPRUNE_RT_W8_ONLY(a) (a)
#endif

namespace tinyprune {
namespace rt {

/// Words of packConvW16's layout for `outC` filters of `filterSize` int8
/// values (a multiple of four): one block per channel pair.
inline int32_t convW16Words(int32_t outC, int32_t filterSize) {
  return (outC + 1) / 2 * filterSize;
}

/// The OHWI int8 `filter` of `outC` filters of `filterSize` values (a
/// multiple of four) as the int16 weights of the 2x2 blocks: for each
/// channel pair (o0, o1) as convolutions take them (o, o + 1 for even o;
/// the last of an odd count pairs with the one before it, and a single
/// filter with itself), `filterSize` words; per four values i..i+3, for
/// o0 then o1, (w[i], w[i+2]) and (w[i+1], w[i+3]) as int16 pairs (low
/// half first), the lanes of SXTB16 and SXTB16 ROR #8 of the input word.
/// Run by the compiler (KernelCalls.cpp) and the device checks.
inline void packConvW16(const int8_t *filter, int32_t outC, int32_t filterSize,
                        int32_t *out) {
  auto pair = [](int32_t lo, int32_t hi) {
    return static_cast<int32_t>(
        (static_cast<uint32_t>(static_cast<uint16_t>(hi)) << 16) |
        static_cast<uint16_t>(lo));
  };
  for (int32_t o = 0; o < outC; o += 2) {
    const int32_t o0 = o + 2 <= outC ? o : (outC >= 2 ? outC - 2 : 0);
    const int32_t o1 = o0 + 1 < outC ? o0 + 1 : o0;
    for (int32_t i = 0; i < filterSize; i += 4)
      for (int32_t k = 0; k < 2; ++k) {
        const int8_t *f =
            filter + static_cast<ptrdiff_t>(k ? o1 : o0) * filterSize + i;
        *out++ = pair(f[0], f[2]);
        *out++ = pair(f[1], f[3]);
      }
  }
}

namespace detail {

/// `v` in both halfwords of a word, the lane-wise operand of SXTAB16 and
/// SADD16 (an input offset added to two int16 lanes at once).
inline int32_t halfwordPair(int32_t v) {
  return static_cast<int32_t>((static_cast<uint32_t>(v) & 0xFFFFu) * 0x10001u);
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

/// `sum(w[i])` over `n` int8 values. On DSP cores four at a time: USADA8
/// sums the bytes of `w ^ 0x80808080`, which are `w + 128` as unsigned
/// values (starting values are computed per call, and the compiler calls
/// in-place layers row by row).
inline int32_t sumInt8(const int8_t *w, int32_t n) {
  int32_t s = 0;
  int32_t i = 0;
#if TINYPRUNE_RT_ARM_DSP
  uint32_t biased = 0;
  for (; i + 4 <= n; i += 4)
    biased = __usada8(static_cast<uint32_t>(loadInt8x4(w + i)) ^ 0x80808080u,
                      0u, biased);
  s = static_cast<int32_t>(biased) - 128 * i;
#endif
  for (; i < n; ++i)
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
#if TINYPRUNE_RT_ARM_ASM
  if (offset == 0 && n >= 8) {
    // Without the offset (the odd last pixel of block rows, e.g. KWS's
    // five-pixel rows): eight channels per iteration, 29 instructions per
    // 16 MACs where the intrinsic loop below spends about 34.
    const int8_t *end = x + (n & ~7);
    int32_t x02, x13, t0, t1;
#define TINYPRUNE_RT_STEP1X2                                                   \
  "ldr    %[t0], [%[x]], #4\n\t"                                               \
  "sxtb16 %[x02], %[t0]\n\t"                                                   \
  "sxtb16 %[x13], %[t0], ror #8\n\t"                                           \
  "ldr    %[t1], [%[w0]], #4\n\t"                                              \
  "sxtb16 %[t0], %[t1]\n\t"                                                    \
  "sxtb16 %[t1], %[t1], ror #8\n\t"                                            \
  "smlad  %[a0], %[x02], %[t0], %[a0]\n\t"                                     \
  "smlad  %[a0], %[x13], %[t1], %[a0]\n\t"                                     \
  "ldr    %[t1], [%[w1]], #4\n\t"                                              \
  "sxtb16 %[t0], %[t1]\n\t"                                                    \
  "sxtb16 %[t1], %[t1], ror #8\n\t"                                            \
  "smlad  %[a1], %[x02], %[t0], %[a1]\n\t"                                     \
  "smlad  %[a1], %[x13], %[t1], %[a1]\n\t"
    __asm__("1:\n\t" TINYPRUNE_RT_STEP1X2 TINYPRUNE_RT_STEP1X2
            "cmp    %[x], %[end]\n\t"
            "bne    1b\n\t"
            : [a0] "+r"(a0), [a1] "+r"(a1), [x] "+r"(x), [w0] "+r"(w0),
              [w1] "+r"(w1), [x02] "=&r"(x02), [x13] "=&r"(x13), [t0] "=&r"(t0),
              [t1] "=&r"(t1)
            : [end] "r"(end)
            : "cc", "memory");
#undef TINYPRUNE_RT_STEP1X2
    n -= n & ~7;
  }
#endif
#if TINYPRUNE_RT_ARM_DSP
  const int32_t offsetPair = halfwordPair(offset);
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
#if !TINYPRUNE_RT_ARM_DSP
  // Without the offset (most calls), the loop has few enough live values
  // for ARMv6-M's eight low registers.
  if (offset == 0)
    for (; i < n; ++i) {
      a0 = macWrap(a0, x[i], w0[i]);
      a1 = macWrap(a1, x[i], w1[i]);
    }
#endif
  for (; i < n; ++i) {
    a0 = macWrap(a0, x[i] + offset, w0[i]);
    a1 = macWrap(a1, x[i] + offset, w1[i]);
  }
  acc0 = a0;
  acc1 = a1;
}

#if TINYPRUNE_RT_ARM_ASM
/// One four-channel step of the 2x2 register block, as assembly text: four
/// int8 of two filters (at w and w + filter stride) and of two pixels (at x
/// and x + pixel stride; ws and xs hold the strides less 4) are unpacked
/// with SXTB16 and accumulated into a00..a11 with SMLAD; w and x advance by
/// 4, t0..t5 are scratch. Used by dotInt8Block2x2 below and by the block
/// rows of conv.h (blockRowInt8).
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
#endif

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

/// One input run against four filters `w + k * wStride` (k = 0..3): the
/// block for a single output pixel (fully-connected layers), where there
/// is no second pixel to share the filter words with.
TINYPRUNE_RT_ALWAYS_INLINE inline void
dotInt8Block1x4(const int8_t *x, const int8_t *w, ptrdiff_t wStride, int32_t n,
                int32_t (&acc)[4]) {
  int32_t a0 = acc[0], a1 = acc[1], a2 = acc[2], a3 = acc[3];
#if TINYPRUNE_RT_ARM_ASM
  if (n >= 4) {
    // Four-channel steps, two per iteration (then one for n & 4): filters
    // 1 and 2 addressed from w before filter 0's load advances it, filter 3
    // through its own pointer.
    const int8_t *end = x + (n & ~7);
    const int8_t *w3 = w + 3 * wStride;
    int32_t x02, x13, t0, t1;
#define TINYPRUNE_RT_STEP1X4                                                   \
  "ldr    %[t0], [%[x]], #4\n\t"                                               \
  "sxtb16 %[x02], %[t0]\n\t"                                                   \
  "sxtb16 %[x13], %[t0], ror #8\n\t"                                           \
  "ldr    %[t1], [%[w], %[s]]\n\t"                                             \
  "sxtb16 %[t0], %[t1]\n\t"                                                    \
  "sxtb16 %[t1], %[t1], ror #8\n\t"                                            \
  "smlad  %[a1], %[x02], %[t0], %[a1]\n\t"                                     \
  "smlad  %[a1], %[x13], %[t1], %[a1]\n\t"                                     \
  "ldr    %[t1], [%[w], %[s], lsl #1]\n\t"                                     \
  "sxtb16 %[t0], %[t1]\n\t"                                                    \
  "sxtb16 %[t1], %[t1], ror #8\n\t"                                            \
  "smlad  %[a2], %[x02], %[t0], %[a2]\n\t"                                     \
  "smlad  %[a2], %[x13], %[t1], %[a2]\n\t"                                     \
  "ldr    %[t1], [%[w]], #4\n\t"                                               \
  "sxtb16 %[t0], %[t1]\n\t"                                                    \
  "sxtb16 %[t1], %[t1], ror #8\n\t"                                            \
  "smlad  %[a0], %[x02], %[t0], %[a0]\n\t"                                     \
  "smlad  %[a0], %[x13], %[t1], %[a0]\n\t"                                     \
  "ldr    %[t1], [%[w3]], #4\n\t"                                              \
  "sxtb16 %[t0], %[t1]\n\t"                                                    \
  "sxtb16 %[t1], %[t1], ror #8\n\t"                                            \
  "smlad  %[a3], %[x02], %[t0], %[a3]\n\t"                                     \
  "smlad  %[a3], %[x13], %[t1], %[a3]\n\t"
    if (n >= 8)
      __asm__("1:\n\t" TINYPRUNE_RT_STEP1X4 TINYPRUNE_RT_STEP1X4
              "ldr    %[t0], %[end]\n\t"
              "cmp    %[x], %[t0]\n\t"
              "bne    1b\n\t"
              : [a0] "+r"(a0), [a1] "+r"(a1), [a2] "+r"(a2), [a3] "+r"(a3),
                [x] "+r"(x), [w] "+r"(w), [w3] "+r"(w3), [x02] "=&r"(x02),
                [x13] "=&r"(x13), [t0] "=&r"(t0), [t1] "=&r"(t1)
              : [s] "r"(wStride), [end] "m"(end)
              : "cc", "memory");
    if (n & 4)
      __asm__(TINYPRUNE_RT_STEP1X4
              : [a0] "+r"(a0), [a1] "+r"(a1), [a2] "+r"(a2), [a3] "+r"(a3),
                [x] "+r"(x), [w] "+r"(w), [w3] "+r"(w3), [x02] "=&r"(x02),
                [x13] "=&r"(x13), [t0] "=&r"(t0), [t1] "=&r"(t1)
              : [s] "r"(wStride)
              : "memory");
#undef TINYPRUNE_RT_STEP1X4
    n &= 3;
  }
#elif TINYPRUNE_RT_ARM_DSP
  for (; n >= 4; n -= 4, x += 4, w += 4) {
    const int32_t xq = loadInt8x4(x);
    const int32_t x02 = sxtbLanes02(xq), x13 = sxtbLanes13(xq);
    int32_t wq = loadInt8x4(w);
    a0 = __smlad(x02, sxtbLanes02(wq), a0);
    a0 = __smlad(x13, sxtbLanes13(wq), a0);
    wq = loadInt8x4(w + wStride);
    a1 = __smlad(x02, sxtbLanes02(wq), a1);
    a1 = __smlad(x13, sxtbLanes13(wq), a1);
    wq = loadInt8x4(w + 2 * wStride);
    a2 = __smlad(x02, sxtbLanes02(wq), a2);
    a2 = __smlad(x13, sxtbLanes13(wq), a2);
    wq = loadInt8x4(w + 3 * wStride);
    a3 = __smlad(x02, sxtbLanes02(wq), a3);
    a3 = __smlad(x13, sxtbLanes13(wq), a3);
  }
#endif
#if TINYPRUNE_RT_ARM_DSP
  for (int32_t i = 0; i < n; ++i) {
    const int32_t xi = x[i];
    a0 = macWrap(a0, xi, w[i]);
    a1 = macWrap(a1, xi, w[wStride + i]);
    a2 = macWrap(a2, xi, w[2 * wStride + i]);
    a3 = macWrap(a3, xi, w[3 * wStride + i]);
  }
#else
  // Two filters at a time (see dotInt8Block2x2).
  dotInt8Block1x2(x, w, w + wStride, n, 0, a0, a1);
  dotInt8Block1x2(x, w + 2 * wStride, w + 3 * wStride, n, 0, a2, a3);
#endif
  acc[0] = a0;
  acc[1] = a1;
  acc[2] = a2;
  acc[3] = a3;
}

#if TINYPRUNE_RT_CONV_W16
/// dotInt8Block2x2 with the filters' int16 weights (packConvW16) from `w`
/// over `n` (a multiple of four) values; returns the weights that follow.
/// Per four channels: two input loads, four SXTB16, two LDRD of weights and
/// eight SMLAD. The intrinsic version (narrow activations, and
/// TINYPRUNE_RT_NO_ASM); the pairs of block rows take the assembly of
/// conv.h (blockPairsInt8Asm).
TINYPRUNE_RT_ALWAYS_INLINE inline const int32_t *
dotW16Block2x2(const int8_t *x, ptrdiff_t xStride, const int32_t *w, int32_t n,
               int32_t (&acc)[2][2]) {
  int32_t a00 = acc[0][0], a01 = acc[0][1], a10 = acc[1][0], a11 = acc[1][1];
  for (const int32_t *end = w + n; w != end; w += 4, x += 4) {
    const int32_t xa = loadInt8x4(x);
    const int32_t xa02 = sxtbLanes02(xa), xa13 = sxtbLanes13(xa);
    a00 = __smlad(xa02, w[0], a00);
    a00 = __smlad(xa13, w[1], a00);
    a01 = __smlad(xa02, w[2], a01);
    a01 = __smlad(xa13, w[3], a01);
    const int32_t xb = loadInt8x4(x + xStride);
    const int32_t xb02 = sxtbLanes02(xb), xb13 = sxtbLanes13(xb);
    a10 = __smlad(xb02, w[0], a10);
    a10 = __smlad(xb13, w[1], a10);
    a11 = __smlad(xb02, w[2], a11);
    a11 = __smlad(xb13, w[3], a11);
  }
  acc[0][0] = a00;
  acc[0][1] = a01;
  acc[1][0] = a10;
  acc[1][1] = a11;
  return w;
}

/// dotInt8Block1x2 with the pair's int16 weights (packConvW16) from `w`
/// over `n` (a multiple of four) values without an input offset (the odd
/// last pixel of block rows); returns the weights that follow. Per four
/// channels: one load, two SXTB16, two LDRD and four SMLAD, in assembly
/// two steps per iteration (GCC -Os loads single words: 14 instructions
/// per eight MACs where this takes 10).
TINYPRUNE_RT_NOINLINE const int32_t *dotW16Block1x2(const int8_t *x,
                                                    const int32_t *w, int32_t n,
                                                    int32_t &acc0,
                                                    int32_t &acc1) {
  int32_t a0 = acc0, a1 = acc1;
#if TINYPRUNE_RT_ARM_ASM
  if (n > 0) {
    const int32_t *end = w + n;
    int32_t x02, x13, t0, t1, t2, t3;
    // clang-format off
#define TINYPRUNE_RT_STEP1X2_W16                                               \
  "ldr    %[x13], [%[x]], #4\n\t"                                             \
  "ldrd   %[t0], %[t1], [%[w]], #8\n\t"                                       \
  "sxtb16 %[x02], %[x13]\n\t"                                                 \
  "sxtb16 %[x13], %[x13], ror #8\n\t"                                         \
  "ldrd   %[t2], %[t3], [%[w]], #8\n\t"                                       \
  "smlad  %[a0], %[x02], %[t0], %[a0]\n\t"                                    \
  "smlad  %[a0], %[x13], %[t1], %[a0]\n\t"                                    \
  "smlad  %[a1], %[x02], %[t2], %[a1]\n\t"                                    \
  "smlad  %[a1], %[x13], %[t3], %[a1]\n\t"
    // Two steps per iteration; an odd number of steps enters at the second.
    __asm__("tst    %[n], #4\n\t"
            "bne    2f\n"
            "1:\n\t" TINYPRUNE_RT_STEP1X2_W16 "\n"
            "2:\n\t" TINYPRUNE_RT_STEP1X2_W16
            "cmp    %[w], %[end]\n\t"
            "bne    1b\n\t"
            : [a0] "+r"(a0), [a1] "+r"(a1), [x] "+r"(x), [w] "+r"(w),
              [x02] "=&r"(x02), [x13] "=&r"(x13), [t0] "=&r"(t0),
              [t1] "=&r"(t1), [t2] "=&r"(t2), [t3] "=&r"(t3)
            : [n] "r"(n), [end] "r"(end)
            : "cc", "memory");
    // clang-format on
#undef TINYPRUNE_RT_STEP1X2_W16
  }
#else
  for (const int32_t *end = w + n; w != end; w += 4, x += 4) {
    const int32_t xq = loadInt8x4(x);
    const int32_t x02 = sxtbLanes02(xq), x13 = sxtbLanes13(xq);
    a0 = __smlad(x02, w[0], a0);
    a0 = __smlad(x13, w[1], a0);
    a1 = __smlad(x02, w[2], a1);
    a1 = __smlad(x13, w[3], a1);
  }
#endif
  acc0 = a0;
  acc1 = a1;
  return w;
}

/// dotW16Block1x2 with `offset` added to the inputs (SXTAB16): windows
/// clipped at the left or right edge (same loop in assembly).
TINYPRUNE_RT_NOINLINE void dotW16Block1x2Offset(const int8_t *x,
                                                const int32_t *w, int32_t n,
                                                int32_t offset, int32_t &acc0,
                                                int32_t &acc1) {
  int32_t a0 = acc0, a1 = acc1;
  const int32_t offsetPair = halfwordPair(offset);
#if TINYPRUNE_RT_ARM_ASM
  if (n > 0) {
    const int32_t *end = w + n;
    int32_t x02, x13, t0, t1, t2, t3;
    // clang-format off
#define TINYPRUNE_RT_STEP1X2_W16                                               \
  "ldr    %[x13], [%[x]], #4\n\t"                                             \
  "ldrd   %[t0], %[t1], [%[w]], #8\n\t"                                       \
  "sxtab16 %[x02], %[off], %[x13]\n\t"                                        \
  "sxtab16 %[x13], %[off], %[x13], ror #8\n\t"                                \
  "ldrd   %[t2], %[t3], [%[w]], #8\n\t"                                       \
  "smlad  %[a0], %[x02], %[t0], %[a0]\n\t"                                    \
  "smlad  %[a0], %[x13], %[t1], %[a0]\n\t"                                    \
  "smlad  %[a1], %[x02], %[t2], %[a1]\n\t"                                    \
  "smlad  %[a1], %[x13], %[t3], %[a1]\n\t"
    __asm__("tst    %[n], #4\n\t"
            "bne    2f\n"
            "1:\n\t" TINYPRUNE_RT_STEP1X2_W16 "\n"
            "2:\n\t" TINYPRUNE_RT_STEP1X2_W16
            "cmp    %[w], %[end]\n\t"
            "bne    1b\n\t"
            : [a0] "+r"(a0), [a1] "+r"(a1), [x] "+r"(x), [w] "+r"(w),
              [x02] "=&r"(x02), [x13] "=&r"(x13), [t0] "=&r"(t0),
              [t1] "=&r"(t1), [t2] "=&r"(t2), [t3] "=&r"(t3)
            : [n] "r"(n), [end] "r"(end), [off] "r"(offsetPair)
            : "cc", "memory");
    // clang-format on
#undef TINYPRUNE_RT_STEP1X2_W16
  }
#else
  for (const int32_t *end = w + n; w != end; w += 4, x += 4) {
    const int32_t xq = loadInt8x4(x);
    const int32_t x02 = __sxtab16(offsetPair, xq);
    const int32_t x13 = sxtabLanes13(offsetPair, xq);
    a0 = __smlad(x02, w[0], a0);
    a0 = __smlad(x13, w[1], a0);
    a1 = __smlad(x02, w[2], a1);
    a1 = __smlad(x13, w[3], a1);
  }
#endif
  acc0 = a0;
  acc1 = a1;
}

/// The sums of a pair's `n` (a multiple of four) int16 weights from `w`
/// (packConvW16): `s0` of the first filter's, `s1` of the second's (SMLAD
/// by 1 in both halves).
inline void sumW16Pair(const int32_t *w, int32_t n, int32_t &s0, int32_t &s1) {
  int32_t a0 = 0, a1 = 0;
  for (const int32_t *end = w + n; w != end; w += 4) {
    a0 = __smlad(w[0], 0x00010001, a0);
    a0 = __smlad(w[1], 0x00010001, a0);
    a1 = __smlad(w[2], 0x00010001, a1);
    a1 = __smlad(w[3], 0x00010001, a1);
  }
  s0 = a0;
  s1 = a1;
}
#endif

} // namespace detail
} // namespace rt
} // namespace tinyprune

#endif // TINYPRUNE_RT_CONV_BLOCKS_H
