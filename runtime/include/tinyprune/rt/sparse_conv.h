//===- sparse_conv.h - Filterlet-sparse NHWC 2-D convolution ----*- C++ -*-===//
//
// CONV_2D (and FULLY_CONNECTED as a 1x1 convolution) whose OHWI filter has
// been pruned in "filterlets" (DTMM): contiguous runs `W[o, ky, kx,
// cb*B : cb*B + B]` of one output channel's filter, at one kernel tap, over
// one block of `B` input channels. Only the kept filterlets are stored, in
// compressed-row form per output channel (SparseFilterInt8 below), and the
// kernels visit only those.
//
// Results are those of the dense kernels of conv.h run on the same filter
// with the pruned filterlets set to zero: byte for byte for int8, bit for
// bit for float with finite inputs (see sparseConvFloat).
//
// Filterlet ids: with `NB = inC / B` blocks per tap, filterlet `(ky, kx,
// cb)` has id `f = (ky * kW + kx) * NB + cb`, so ids increase in the dense
// kernels' accumulation order (filter row, filter column, input channel).
// The compiler precomputes three tables indexed by id: `offset[f]`, the
// position of the filterlet's first input element relative to the
// window's top-left element, `(ky * dilH * inW + kx * dilW) * inC + cb * B`
// (it depends on the input width and dilations, so the tables belong to
// one layer), and `tapY[f] = ky`, `tapX[f] = kx` for clipping windows at
// the borders. Per kept filterlet only its id is stored.
//
// int8 kernel, per output channel and output pixel: `acc = sum over kept,
// in-bounds filterlets of dot(x, w)`, then `acc - zp * sum(w)` over the
// same filterlets, plus the bias; the same integer as TFLite's
// `sum(w * (x - zp))` over in-bounds taps (pruned taps contribute 0), with
// the overflow bound of convPerChannelInt8.
//  * With the DSP extension, blocks of four pixels copy their windows into
//    a stack buffer as SMLAD lanes of `x - zp` (zero in the padding), in
//    segments of filterlets when they do not fit; each output channel then
//    sweeps its kept filterlets once per block (and segment), each weight
//    word loaded and unpacked once for the four pixels (inline assembly,
//    LDRD of each pixel's word pair), and one loop requantizes the block
//    for all channels of the pass. Block lengths not divisible by four are
//    regrouped into groups of four window elements first. See
//    sparseConvPerChannelInt8.
//  * Without it (Cortex-M0+), output channels go one at a time over all
//    pixels. Interior windows (entirely inside the input; their range is
//    found once per call) never test bounds, use `bias - zp * sum(all kept
//    w)`, and form runs along each row (one run for stride-1 unpadded 1x1
//    layers) taken four pixels at a time, each weight byte loaded once for
//    the four (Thumb-1 assembly on ARMv6-M). Border windows test each kept
//    filterlet's tap against the window's in-bounds tap range and sum its
//    weights along with the dot product, in pairs where the taps match.
//  * Requantization is multiplyByQuantizedMultiplier and the clamp with
//    the per-channel parts hoisted, bit for bit (see Requant).
// TINYPRUNE_RT_SPARSE_DSP follows conv.h's TINYPRUNE_RT_ARM_DSP condition
// (TINYPRUNE_RT_NO_DSP disables both).
//
// Device kernels: no libm, no heap, no exceptions.
//
//===----------------------------------------------------------------------===//

#ifndef TINYPRUNE_RT_SPARSE_CONV_H
#define TINYPRUNE_RT_SPARSE_CONV_H

#include "tinyprune/rt/conv.h"
#include "tinyprune/rt/fixedpoint.h"

#include <cstddef>
#include <cstdint>
#include <cstring>

#if defined(__ARM_FEATURE_DSP) && defined(__ARM_FEATURE_SIMD32) &&             \
    !defined(TINYPRUNE_RT_NO_DSP)
/// Set when the Cortex-M DSP (SIMD32) paths of the sparse kernels are
/// compiled in.
#define TINYPRUNE_RT_SPARSE_DSP 1
#include <arm_acle.h>
#elif defined(TINYPRUNE_RT_SPARSE_EMULATE_DSP)
// Test hook: the DSP paths on any host, with the includer defining
// `int32_t __sxtb16(int32_t)`, `int32_t __sxtab16(int32_t, int32_t)` and
// `int32_t __smlad(int32_t, int32_t, int32_t)` (ACLE semantics) first.
#define TINYPRUNE_RT_SPARSE_DSP 1
#else
#define TINYPRUNE_RT_SPARSE_DSP 0
#endif

// Inlining control for GCC and Clang at -Os: the requantization inlined
// into its loop, the weight-stationary sweep kept out of line (portable kernel).
#if defined(__GNUC__) || defined(__clang__)
#define TINYPRUNE_RT_SPARSE_ALWAYS_INLINE inline __attribute__((always_inline))
#define TINYPRUNE_RT_SPARSE_NOINLINE __attribute__((noinline))
#else
#define TINYPRUNE_RT_SPARSE_ALWAYS_INLINE inline
#define TINYPRUNE_RT_SPARSE_NOINLINE
#endif

// Hot loops compiled at -O2 on DSP cores; at -Os without (GCC's -O2
// spills ARMv6-M's eight low registers more).
#if TINYPRUNE_RT_SPARSE_DSP
#define TINYPRUNE_RT_SPARSE_HOT TINYPRUNE_RT_HOT
#else
#define TINYPRUNE_RT_SPARSE_HOT
#endif

namespace tinyprune {
namespace rt {

/// A filterlet-pruned int8 OHWI filter `[outC][kH][kW][inC]` with block
/// length `blockLen` (B, dividing inC). The compiler stores the filterlet
/// ids (`IndexT`) as uint8_t when there are at most 256 per filter, else
/// uint16_t or uint32_t, and the row pointers (`RowT`) as uint16_t when the
/// kept filterlets number at most 65535, else uint32_t.
template <typename IndexT, typename RowT = IndexT> struct SparseFilterInt8 {
  /// outC + 1 entries: output channel o keeps filterlets
  /// [rowPtr[o], rowPtr[o + 1]).
  const RowT *rowPtr;
  /// The kept filterlets' ids, strictly increasing within each channel.
  const IndexT *index;
  /// The kept filterlets' B weights each, in the order of `index`.
  const int8_t *values;
  /// Per filterlet id (kH * kW * inC / B entries): input offset from the
  /// window's top-left element, (ky * dilH * inW + kx * dilW) * inC + cb * B.
  const int32_t *offset;
  /// Per filterlet id: its filter row ky and column kx.
  const uint8_t *tapY, *tapX;
  /// B.
  int32_t blockLen;
};

/// The float32 counterpart of SparseFilterInt8.
template <typename IndexT, typename RowT = IndexT> struct SparseFilterFloat {
  const RowT *rowPtr;
  const IndexT *index;
  const float *values;
  const int32_t *offset;
  const uint8_t *tapY, *tapX;
  int32_t blockLen;
};

namespace sparse_detail {

#if TINYPRUNE_RT_SPARSE_DSP
#if defined(TINYPRUNE_RT_SPARSE_EMULATE_DSP) && !TINYPRUNE_RT_ARM_DSP
/// Four consecutive int8 values as one word.
inline int32_t load4(const int8_t *p) {
  int32_t v;
  std::memcpy(&v, p, sizeof(v));
  return v;
}
inline int32_t lanes02(int32_t v) { return __sxtb16(v); }
inline int32_t lanes13(int32_t v) {
  return __sxtb16(static_cast<int32_t>(rotateRight8(static_cast<uint32_t>(v))));
}
inline int32_t offsetLanes02(int32_t pair, int32_t v) {
  return __sxtab16(pair, v);
}
inline int32_t offsetLanes13(int32_t pair, int32_t v) {
  return __sxtab16(pair,
                   static_cast<int32_t>(rotateRight8(static_cast<uint32_t>(v))));
}
#else
// conv.h's helpers: the same instructions as the dense kernels.
inline int32_t load4(const int8_t *p) { return detail::loadInt8x4(p); }
inline int32_t lanes02(int32_t v) { return detail::sxtbLanes02(v); }
inline int32_t lanes13(int32_t v) { return detail::sxtbLanes13(v); }
inline int32_t offsetLanes02(int32_t pair, int32_t v) {
  return __sxtab16(pair, v);
}
inline int32_t offsetLanes13(int32_t pair, int32_t v) {
  return detail::sxtabLanes13(pair, v);
}
#endif
#endif

/// The output coordinates [lo, hi) whose windows lie entirely inside the
/// input along one axis: `o * stride - pad >= 0` and
/// `o * stride - pad + (taps - 1) * dilation <= extent - 1`.
struct Span {
  int32_t lo, hi;
};

inline Span interiorSpan(int32_t pad, int32_t stride, int32_t dilation,
                         int32_t taps, int32_t extent, int32_t outExtent) {
  Span s;
  s.lo = pad > 0 ? (pad + stride - 1) / stride : 0;
  const int32_t room = extent - 1 - (taps - 1) * dilation + pad;
  s.hi = room < 0 ? 0 : room / stride + 1;
  s.hi = s.hi < outExtent ? s.hi : outExtent;
  s.lo = s.lo < s.hi ? s.lo : s.hi;
  return s;
}

/// Whether tap `k` lies in the in-bounds range `r`.
inline bool inRange(int32_t k, detail::TapRange r) {
  return static_cast<uint32_t>(k - r.begin) <
         static_cast<uint32_t>(r.end - r.begin);
}

/// detail::tapRange without its divisions for dilation 1 (ARMv6-M has no
/// divide instruction).
inline detail::TapRange tapsInside(int32_t origin, int32_t dilation,
                                   int32_t taps, int32_t extent) {
  if (dilation != 1)
    return detail::tapRange(origin, dilation, taps, extent);
  detail::TapRange r;
  r.end = extent - origin;
  r.end = r.end < 0 ? 0 : (r.end < taps ? r.end : taps);
  r.begin = origin < 0 ? -origin : 0;
  r.begin = r.begin < r.end ? r.begin : r.end;
  return r;
}

/// Stack words of the window buffer (TINYPRUNE_RT_SPARSE_WINDOW_BYTES,
/// 2 KB by default), the output channels per pass and the pixels per block.
#ifndef TINYPRUNE_RT_SPARSE_WINDOW_BYTES
#define TINYPRUNE_RT_SPARSE_WINDOW_BYTES 2048
#endif
constexpr int32_t kWindowWords = TINYPRUNE_RT_SPARSE_WINDOW_BYTES / 4;
constexpr int32_t kChannels = 32;
constexpr int32_t kMaxBlock = 4;

/// Geometry of one call, shared by the helpers below.
struct SparseLayer {
  const ConvInt8Params &p;
  int32_t inH, inW, inC, kH, kW, outH, outW;
  /// Window elements per filterlet (B).
  int32_t n;
};

#if TINYPRUNE_RT_SPARSE_DSP
/// `groups` groups of four window elements from `src` (null: padding, 0) as
/// lanes words into `dst`, eight words (a block of four pixels) between
/// groups: `x - zp` of elements 0 and 2, then of 1 and 3, as int16 pairs
/// (`pair` holds -zp twice). Returns the word after the last group.
TINYPRUNE_RT_ALWAYS_INLINE inline int32_t *
putLanes(int32_t *dst, const int8_t *src, int32_t groups, int32_t pair) {
  if (!src) {
    for (; groups > 0; --groups, dst += 8)
      dst[0] = dst[1] = 0;
    return dst;
  }
#if TINYPRUNE_RT_ARM_ASM
  if (groups > 0) {
    // GCC at -O2 stores the two words separately and keeps a second
    // counter: six instructions per group here, eight there.
    int32_t t0, t1;
    // volatile: its only effect may be the stores (a caller that ignores
    // the returned pointer).
    __asm__ volatile("1:\n\t"
                     "ldr     %[t0], [%[src]], #4\n\t"
                     "sxtab16 %[t1], %[pair], %[t0]\n\t"
                     "sxtab16 %[t0], %[pair], %[t0], ror #8\n\t"
                     "strd    %[t1], %[t0], [%[dst]], #32\n\t"
                     "subs    %[n], %[n], #1\n\t"
                     "bne     1b\n\t"
                     : [src] "+r"(src), [dst] "+r"(dst), [n] "+r"(groups),
                       [t0] "=&r"(t0), [t1] "=&r"(t1)
                     : [pair] "r"(pair)
                     : "cc", "memory");
  }
  return dst;
#else
  for (; groups > 0; --groups, dst += 8, src += 4) {
    const int32_t q = load4(src);
    dst[0] = offsetLanes02(pair, q);
    dst[1] = offsetLanes13(pair, q);
  }
  return dst;
#endif
}

/// `-zp` in both int16 halves of a word.
inline int32_t offsetPair(const ConvInt8Params &p) {
  return static_cast<int32_t>(
      (static_cast<uint32_t>(-p.inputZeroPoint) & 0xFFFFu) * 0x10001u);
}

/// Writes the window elements [e0, e1) (filter order: ky, kx, channel;
/// `inC`, `e0` and `e1` multiples of four) of output pixel (oy, ox) of the
/// batch image `in` into `dst` as lanes words (putLanes, 0 in the padding),
/// a tight loop per run of in-bounds or padding elements; kWhole: the
/// whole window (no clipping of the runs). A null `in` writes zeros (the
/// unused pixels of a block).
template <bool kWhole>
TINYPRUNE_RT_SPARSE_HOT TINYPRUNE_RT_NOINLINE void
gatherLanes(const SparseLayer &l, const int8_t *in, int32_t oy, int32_t ox,
            int32_t e0, int32_t e1, int32_t *dst) {
  if (!in) {
    putLanes(dst, nullptr, (e1 - e0) >> 2, 0);
    return;
  }
  const ConvInt8Params &p = l.p;
  const int32_t y0 = oy * p.strideH - p.padTop;
  const int32_t x0 = ox * p.strideW - p.padLeft;
  const detail::TapRange ry = tapsInside(y0, p.dilationH, l.kH, l.inH);
  const detail::TapRange rx = tapsInside(x0, p.dilationW, l.kW, l.inW);
  const int32_t pair = offsetPair(p);
  // Elements [lo, hi) of the window from `src` (null: padding), clipped
  // to [e0, e1).
  auto put = [&](int32_t lo, int32_t hi, const int8_t *src) {
    if (!kWhole) {
      if (lo < e0) {
        if (src)
          src += e0 - lo;
        lo = e0;
      }
      hi = hi < e1 ? hi : e1;
    }
    if (lo < hi)
      dst = putLanes(dst, src, (hi - lo) >> 2, pair);
  };
  if (l.kH == 1 && l.kW == 1) {
    // One tap (pointwise and fully-connected layers): one run.
    const bool inside = ry.end > ry.begin && rx.end > rx.begin;
    put(0, l.inC,
        inside ? in + (static_cast<ptrdiff_t>(y0) * l.inW + x0) * l.inC
               : nullptr);
    return;
  }
  const int32_t rowElems = l.kW * l.inC;
  const int32_t first = kWhole ? 0 : e0 / rowElems;
  const int32_t last = kWhole ? l.kH - 1 : (e1 - 1) / rowElems;
  for (int32_t ky = first; ky <= last; ++ky) {
    const int32_t row = ky * rowElems;
    if (!inRange(ky, ry)) {
      put(row, row + rowElems, nullptr);
      continue;
    }
    const int8_t *src =
        in + (static_cast<ptrdiff_t>(y0 + ky * p.dilationH) * l.inW + x0) *
                 l.inC;
    put(row, row + rx.begin * l.inC, nullptr);
    if (p.dilationW == 1) {
      put(row + rx.begin * l.inC, row + rx.end * l.inC,
          src + static_cast<ptrdiff_t>(rx.begin) * l.inC);
    } else {
      for (int32_t kx = rx.begin; kx < rx.end; ++kx)
        put(row + kx * l.inC, row + (kx + 1) * l.inC,
            src + static_cast<ptrdiff_t>(kx) * p.dilationW * l.inC);
    }
    put(row + rx.end * l.inC, row + rowElems, nullptr);
  }
}

/// The raw bytes of the window of output pixel (oy, ox) of the batch image
/// `in` in filter order, for any `inC`, with the input zero point in the
/// padding, so that `x - zp` is 0 there (the gather of regrouped filters,
/// whose windows putLanes converts). Plain byte loops: the windows are
/// small (regroupChunk).
TINYPRUNE_RT_SPARSE_HOT TINYPRUNE_RT_NOINLINE void
stageWindow(const SparseLayer &l, const int8_t *in, int32_t oy, int32_t ox,
            int8_t *dst) {
  const ConvInt8Params &p = l.p;
  const int32_t y0 = oy * p.strideH - p.padTop;
  const int32_t x0 = ox * p.strideW - p.padLeft;
  const detail::TapRange ry = tapsInside(y0, p.dilationH, l.kH, l.inH);
  const detail::TapRange rx = tapsInside(x0, p.dilationW, l.kW, l.inW);
  const int8_t zp = static_cast<int8_t>(p.inputZeroPoint);
  const int32_t rowElems = l.kW * l.inC;
  const int32_t left = rx.begin * l.inC, right = (l.kW - rx.end) * l.inC;
  for (int32_t ky = 0; ky < l.kH; ++ky) {
    if (!inRange(ky, ry)) {
      for (int32_t i = 0; i < rowElems; ++i)
        *dst++ = zp;
      continue;
    }
    const int8_t *src =
        in + (static_cast<ptrdiff_t>(y0 + ky * p.dilationH) * l.inW + x0) *
                 l.inC;
    for (int32_t i = 0; i < left; ++i)
      *dst++ = zp;
    if (p.dilationW == 1) {
      const int8_t *s = src + left;
      for (int32_t i = rowElems - left - right; i > 0; --i)
        *dst++ = *s++;
    } else {
      for (int32_t kx = rx.begin; kx < rx.end; ++kx) {
        const int8_t *s = src + static_cast<ptrdiff_t>(kx) * p.dilationW * l.inC;
        for (int32_t c = 0; c < l.inC; ++c)
          *dst++ = s[c];
      }
    }
    for (int32_t i = 0; i < right; ++i)
      *dst++ = zp;
  }
}

#if TINYPRUNE_RT_ARM_ASM
// One group of four weights (loaded from `w`, post-incremented) against the
// four pixels of a lanes block at byte offsets O0..O3 from `x`: a load, two
// SXTB16, then per pixel one LDRD of its prepared word pair and two SMLAD.
#define TINYPRUNE_RT_SPARSE_GROUP(O0, O1, O2, O3)                              \
  "ldr    %[p0], [%[w]], #4\n\t"                                               \
  "sxtb16 %[w02], %[p0]\n\t"                                                   \
  "sxtb16 %[w13], %[p0], ror #8\n\t"                                           \
  "ldrd   %[p0], %[p1], [%[x], #" O0 "]\n\t"                                   \
  "smlad  %[a0], %[p0], %[w02], %[a0]\n\t"                                     \
  "smlad  %[a0], %[p1], %[w13], %[a0]\n\t"                                     \
  "ldrd   %[p0], %[p1], [%[x], #" O1 "]\n\t"                                   \
  "smlad  %[a1], %[p0], %[w02], %[a1]\n\t"                                     \
  "smlad  %[a1], %[p1], %[w13], %[a1]\n\t"                                     \
  "ldrd   %[p0], %[p1], [%[x], #" O2 "]\n\t"                                   \
  "smlad  %[a2], %[p0], %[w02], %[a2]\n\t"                                     \
  "smlad  %[a2], %[p1], %[w13], %[a2]\n\t"                                     \
  "ldrd   %[p0], %[p1], [%[x], #" O3 "]\n\t"                                   \
  "smlad  %[a3], %[p0], %[w02], %[a3]\n\t"                                     \
  "smlad  %[a3], %[p1], %[w13], %[a3]\n\t"
#define TINYPRUNE_RT_SPARSE_GROUP_OPERANDS                                     \
  : [a0] "+r"(a0), [a1] "+r"(a1), [a2] "+r"(a2), [a3] "+r"(a3), [w] "+r"(w),   \
    [p0] "=&r"(p0), [p1] "=&r"(p1), [w02] "=&r"(w02), [w13] "=&r"(w13)         \
  : [x] "r"(x)                                                                 \
  : "memory"
#endif

/// `a_k += dot(window k, filterlet)` for the four pixels of a lanes block
/// (pixel k's word pair of group g at `x[8 * g + 2 * k]`) over `kGroups`
/// groups of four weights from `w` (advanced past them); kGroups 0: `groups`
/// at run time. Per group: one weight load and two SXTB16, then per pixel
/// one LDRD and two SMLAD (15 instructions for 16 MACs).
template <int32_t kGroups>
TINYPRUNE_RT_ALWAYS_INLINE inline void
dotQuad(const int8_t *&w, const int32_t *x, int32_t groups, int32_t &acc0,
        int32_t &acc1, int32_t &acc2, int32_t &acc3) {
  int32_t a0 = acc0, a1 = acc1, a2 = acc2, a3 = acc3;
#if TINYPRUNE_RT_ARM_ASM
  int32_t p0, p1, w02, w13;
  if constexpr (kGroups == 1) {
    __asm__(TINYPRUNE_RT_SPARSE_GROUP("0", "8", "16", "24")
                TINYPRUNE_RT_SPARSE_GROUP_OPERANDS);
  } else if constexpr (kGroups == 2) {
    __asm__(TINYPRUNE_RT_SPARSE_GROUP("0", "8", "16", "24")
                TINYPRUNE_RT_SPARSE_GROUP("32", "40", "48", "56")
                    TINYPRUNE_RT_SPARSE_GROUP_OPERANDS);
  } else if constexpr (kGroups == 4) {
    __asm__(TINYPRUNE_RT_SPARSE_GROUP("0", "8", "16", "24")
                TINYPRUNE_RT_SPARSE_GROUP("32", "40", "48", "56")
                    TINYPRUNE_RT_SPARSE_GROUP("64", "72", "80", "88")
                        TINYPRUNE_RT_SPARSE_GROUP("96", "104", "112", "120")
                            TINYPRUNE_RT_SPARSE_GROUP_OPERANDS);
  } else {
    // Four groups per iteration, then two and one.
    for (int32_t g = groups >> 2; g > 0; --g, x += 32)
      __asm__(TINYPRUNE_RT_SPARSE_GROUP("0", "8", "16", "24")
                  TINYPRUNE_RT_SPARSE_GROUP("32", "40", "48", "56")
                      TINYPRUNE_RT_SPARSE_GROUP("64", "72", "80", "88")
                          TINYPRUNE_RT_SPARSE_GROUP("96", "104", "112", "120")
                              TINYPRUNE_RT_SPARSE_GROUP_OPERANDS);
    if (groups & 2) {
      __asm__(TINYPRUNE_RT_SPARSE_GROUP("0", "8", "16", "24")
                  TINYPRUNE_RT_SPARSE_GROUP("32", "40", "48", "56")
                      TINYPRUNE_RT_SPARSE_GROUP_OPERANDS);
      x += 16;
    }
    if (groups & 1)
      __asm__(TINYPRUNE_RT_SPARSE_GROUP("0", "8", "16", "24")
                  TINYPRUNE_RT_SPARSE_GROUP_OPERANDS);
  }
#else
  const int32_t n = kGroups > 0 ? kGroups : groups;
  for (int32_t g = 0; g < n; ++g, x += 8) {
    const int32_t wq = load4(w);
    w += 4;
    const int32_t w02 = lanes02(wq), w13 = lanes13(wq);
    a0 = __smlad(x[0], w02, a0);
    a0 = __smlad(x[1], w13, a0);
    a1 = __smlad(x[2], w02, a1);
    a1 = __smlad(x[3], w13, a1);
    a2 = __smlad(x[4], w02, a2);
    a2 = __smlad(x[5], w13, a2);
    a3 = __smlad(x[6], w02, a3);
    a3 = __smlad(x[7], w13, a3);
  }
#endif
  acc0 = a0;
  acc1 = a1;
  acc2 = a2;
  acc3 = a3;
}

/// The four-pixel blocks' requantization: channels [0, chunk) of `acc`
/// with prepared multipliers `q`, a tight loop with the output stage's
/// constants in registers (kNarrow: activation bounds inside int8).
template <bool kNarrow>
TINYPRUNE_RT_SPARSE_HOT TINYPRUNE_RT_NOINLINE void
requantQuad(const int32_t (*acc)[kMaxBlock], const RightShiftMultiplier *q,
            int32_t chunk, const detail::OutputStage &stage, int8_t *y,
            ptrdiff_t yPixel) {
  const int32_t zeroPoint = stage.zeroPoint, lo = stage.actMin,
                hi = stage.actMax;
  auto finish = [&](int32_t a, const RightShiftMultiplier &qo) {
    int32_t v =
        saturateInt8(applyRightShiftMultiplier(a, qo) + zeroPoint);
    if (kNarrow)
      v = clamp(v, lo, hi);
    return static_cast<int8_t>(v);
  };
  for (int8_t *const yEnd = y + chunk; y != yEnd; ++y, ++q, ++acc) {
    // Everything loaded before the byte stores (which may alias anything).
    const RightShiftMultiplier qo = *q;
    const int32_t a0 = (*acc)[0], a1 = (*acc)[1], a2 = (*acc)[2],
                  a3 = (*acc)[3];
    const int8_t y0 = finish(a0, qo), y1 = finish(a1, qo),
                 y2 = finish(a2, qo), y3 = finish(a3, qo);
    y[0] = y0;
    y[yPixel] = y1;
    y[2 * yPixel] = y2;
    y[3 * yPixel] = y3;
  }
}

/// One pass of the four-pixel kernel: output channels [0, chunk) of a
/// filter whose filterlets are `groups` words of four weights, against a
/// lanes buffer holding blocks of four pixels (filterlet `i` of the buffer's
/// first one for pixel k at `x[8 * groups * i + 2 * k]`).
template <typename IndexT, typename RowT> struct QuadPass {
  /// The pass's channels' row pointers (chunk + 1), all ids and values.
  const RowT *rowPtr;
  const IndexT *index;
  const int8_t *values;
  /// The pass's first channel's bias, or null.
  const int32_t *bias;
  int32_t chunk, groups;
  const int32_t *x;
  /// Per channel: the four pixels' sums, and (segmented windows) its next
  /// kept filterlet.
  int32_t (*acc)[kMaxBlock];
  const IndexT **pos;
};

/// The sweep of whole windows: `acc[o][k] = bias[o] + sum of dot(window k,
/// filterlet)` over channel o's kept filterlets, each swept once for the
/// four pixels (dotQuad; 4, 8 and 16 weights fully unrolled).
template <int32_t kGroups, typename IndexT, typename RowT>
TINYPRUNE_RT_SPARSE_HOT TINYPRUNE_RT_NOINLINE void
sweepWhole(const QuadPass<IndexT, RowT> &b) {
  const int32_t groups = b.groups;
  const int32_t perFilterlet = 8 * groups;
  const IndexT *index = b.index;
  const RowT *rowPtr = b.rowPtr;
  const int32_t *bias = b.bias;
  const int32_t *x = b.x;
  int32_t(*acc)[kMaxBlock] = b.acc;
  int32_t(*const accEnd)[kMaxBlock] = acc + b.chunk;
  const int8_t *w = b.values + static_cast<ptrdiff_t>(*rowPtr) * 4 * groups;
  const IndexT *f = index + *rowPtr;
  for (; acc != accEnd; ++acc) {
    const IndexT *fEnd = index + *++rowPtr;
    const int32_t start = bias ? *bias++ : 0;
    int32_t a0 = start, a1 = start, a2 = start, a3 = start;
    for (; f != fEnd; ++f)
      dotQuad<kGroups>(w, x + static_cast<int32_t>(*f) * perFilterlet, groups,
                       a0, a1, a2, a3);
    (*acc)[0] = a0;
    (*acc)[1] = a1;
    (*acc)[2] = a2;
    (*acc)[3] = a3;
  }
}

/// The sweep of one segment of windows, filterlet ids [idBase, idEnd) in
/// the buffer: `acc[o][k] += dot(window k, filterlet)` over channel o's
/// kept filterlets from `pos[o]` on with ids in the segment, `pos[o]`
/// advanced past them. Channels with none there cost a test.
template <int32_t kGroups, typename IndexT, typename RowT>
TINYPRUNE_RT_SPARSE_HOT TINYPRUNE_RT_NOINLINE void
sweepSegment(const QuadPass<IndexT, RowT> &b, int32_t idBase, int32_t idEnd) {
  const int32_t groups = b.groups;
  const int32_t perFilterlet = 8 * groups;
  const IndexT *index = b.index;
  const int32_t *x = b.x;
  for (int32_t o = 0; o < b.chunk; ++o) {
    const IndexT *f = b.pos[o];
    const IndexT *fEnd = index + b.rowPtr[o + 1];
    if (f == fEnd || static_cast<int32_t>(*f) >= idEnd)
      continue;
    const int8_t *w = b.values + (f - index) * 4 * groups;
    int32_t *a = b.acc[o];
    int32_t a0 = a[0], a1 = a[1], a2 = a[2], a3 = a[3];
    do
      dotQuad<kGroups>(
          w, x + (static_cast<int32_t>(*f) - idBase) * perFilterlet, groups,
          a0, a1, a2, a3);
    while (++f != fEnd && static_cast<int32_t>(*f) < idEnd);
    a[0] = a0;
    a[1] = a1;
    a[2] = a2;
    a[3] = a3;
    b.pos[o] = f;
  }
}

/// sweepWhole for a block of one pixel (fully-connected layers, a layer's
/// last pixel): per four weights one load, two SXTB16 and two SMLAD.
template <typename IndexT, typename RowT>
TINYPRUNE_RT_SPARSE_HOT TINYPRUNE_RT_NOINLINE void
sweepOne(const QuadPass<IndexT, RowT> &b) {
  const int32_t groups = b.groups;
  const int32_t perFilterlet = 8 * groups;
  const IndexT *f = b.index + b.rowPtr[0];
  const int8_t *w = b.values + static_cast<ptrdiff_t>(b.rowPtr[0]) * 4 * groups;
  for (int32_t o = 0; o < b.chunk; ++o) {
    const IndexT *fEnd = b.index + b.rowPtr[o + 1];
    int32_t a = b.bias ? b.bias[o] : 0;
    for (; f != fEnd; ++f) {
      const int32_t *x = b.x + static_cast<int32_t>(*f) * perFilterlet;
      for (int32_t g = 0; g < groups; ++g, x += 8, w += 4) {
        const int32_t wq = load4(w);
        a = __smlad(x[0], lanes02(wq), a);
        a = __smlad(x[1], lanes13(wq), a);
      }
    }
    b.acc[o][0] = a;
  }
}

/// The sweep of the buffer's filterlets [idBase, idEnd) of `ids`:
/// sweepWhole for a whole window, else sweepSegment (the first segment
/// starting the sums at the bias), with the unrolled dot products for
/// 4, 8 and 16 weights.
template <typename IndexT, typename RowT>
inline void sweep(const QuadPass<IndexT, RowT> &b, int32_t idBase,
                  int32_t idEnd, int32_t ids) {
  if (idBase == 0 && idEnd == ids) {
    switch (b.groups) {
    case 1:
      return sweepWhole<1>(b);
    case 2:
      return sweepWhole<2>(b);
    case 4:
      return sweepWhole<4>(b);
    default:
      return sweepWhole<0>(b);
    }
  }
  if (idBase == 0)
    for (int32_t o = 0; o < b.chunk; ++o) {
      b.pos[o] = b.index + b.rowPtr[o];
      const int32_t start = b.bias ? b.bias[o] : 0;
      for (int32_t k = 0; k < kMaxBlock; ++k)
        b.acc[o][k] = start;
    }
  switch (b.groups) {
  case 1:
    return sweepSegment<1>(b, idBase, idEnd);
  case 2:
    return sweepSegment<2>(b, idBase, idEnd);
  case 4:
    return sweepSegment<4>(b, idBase, idEnd);
  default:
    return sweepSegment<0>(b, idBase, idEnd);
  }
}

/// The requantization of a pass: the per-channel multipliers and shifts
/// (from the pass's first channel), prepared when all of the layer's are
/// right shifts (`fast`).
struct PassOutput {
  const ConvInt8Params &p;
  const int32_t *multiplier, *shift;
  const RightShiftMultiplier *q;
  detail::OutputStage finish;
  bool fast;
};

/// Requantizes and stores the first `count` pixels of a block of the pass's
/// `chunk` channels: pixel k's channel o at `y[k * yPixel + o]`.
inline void storeBlock(const int32_t (*acc)[kMaxBlock], int32_t chunk,
                       int32_t count, const PassOutput &r, int8_t *y,
                       ptrdiff_t yPixel) {
  if (r.fast && count == kMaxBlock) {
    if (r.finish.narrow)
      requantQuad<true>(acc, r.q, chunk, r.finish, y, yPixel);
    else
      requantQuad<false>(acc, r.q, chunk, r.finish, y, yPixel);
    return;
  }
  for (int32_t o = 0; o < chunk; ++o)
    for (int32_t k = 0; k < count; ++k)
      y[k * yPixel + o] =
          r.fast ? r.finish(acc[o][k], r.q[o])
                 : detail::requantizeGeneral(acc[o][k], r.multiplier[o],
                                             r.shift[o], r.p);
}

/// The blocks of four output pixels of one pass over all `pixels` (batch,
/// row, column order), `ids` filterlets of `4 * b.groups` window elements
/// per window, `segment` of them at a time in the buffer: per block and
/// segment, `gather(image, oy, ox, e0, e1, dst)` writes window elements
/// [e0, e1) of each pixel (a null image for a last block's missing pixels)
/// to `dst`, pixel k's at `b.x + 2 * k`, then each channel sweeps its kept
/// filterlets once for the four pixels (for a lone pixel, once for it);
/// the block is then requantized.
template <typename IndexT, typename RowT, typename Gather>
TINYPRUNE_RT_SPARSE_ALWAYS_INLINE void
quadBlocks(const QuadPass<IndexT, RowT> &b, int32_t ids, int32_t segment,
           const SparseLayer &l, int32_t pixels, const int8_t *input,
           const PassOutput &r, int8_t *y, ptrdiff_t yPixel,
           const Gather &gather) {
  const int32_t n = 4 * b.groups;
  const ptrdiff_t inImage = static_cast<ptrdiff_t>(l.inH) * l.inW * l.inC;
  int32_t bi = 0, oy = 0, ox = 0; // the next pixel
  int32_t *const buffer = const_cast<int32_t *>(b.x);
  for (int32_t k0 = 0; k0 < pixels; k0 += kMaxBlock, y += kMaxBlock * yPixel) {
    const int32_t count =
        pixels - k0 < kMaxBlock ? pixels - k0 : kMaxBlock;
    const int8_t *image[kMaxBlock];
    int32_t py[kMaxBlock], px[kMaxBlock];
    for (int32_t k = 0; k < kMaxBlock; ++k) {
      image[k] = k < count ? input + bi * inImage : nullptr;
      py[k] = oy;
      px[k] = ox;
      if (k < count && ++ox == l.outW) {
        ox = 0;
        if (++oy == l.outH) {
          oy = 0;
          ++bi;
        }
      }
    }
    for (int32_t s0 = 0; s0 < ids; s0 += segment) {
      const int32_t s1 = ids - s0 < segment ? ids : s0 + segment;
      // A lone pixel with its whole window: one pixel's work.
      const bool one = count == 1 && s1 - s0 == ids;
      for (int32_t k = 0; k < (one ? 1 : kMaxBlock); ++k)
        gather(image[k], py[k], px[k], s0 * n, s1 * n, buffer + 2 * k);
      if (one)
        sweepOne(b);
      else
        sweep(b, s0, s1, ids);
    }
    storeBlock(b.acc, b.chunk, count, r, y, yPixel);
  }
}

/// Re-blocks output channels [c0, c0 + chunk) of a filter whose block
/// length is not a multiple of four into groups of four window elements
/// (filter order): a filter of block length 4 over `ceil(window / 4)` ids,
/// whose group g holds window elements [4g, 4g + 4) with the kept
/// filterlets' weights and zeros elsewhere, and is kept when one of its
/// elements belongs to a kept filterlet. The zero weights add nothing:
/// same sums. `values` gets one word per kept group.
template <typename IndexT, typename RowT>
TINYPRUNE_RT_NOINLINE void regroup(const SparseFilterInt8<IndexT, RowT> &w,
                                   int32_t c0, int32_t chunk,
                                   uint32_t *rowPtr, uint32_t *index,
                                   int32_t *values) {
  const int32_t n = w.blockLen;
  int32_t kept = 0;
  rowPtr[0] = 0;
  for (int32_t o = 0; o < chunk; ++o) {
    const IndexT *f = w.index + w.rowPtr[c0 + o];
    const IndexT *fEnd = w.index + w.rowPtr[c0 + o + 1];
    const int8_t *v = w.values + static_cast<ptrdiff_t>(w.rowPtr[c0 + o]) * n;
    int32_t group = -1;
    int8_t *bytes = nullptr;
    for (; f != fEnd; ++f) {
      int32_t e = static_cast<int32_t>(*f) * n;
      for (int32_t i = 0; i < n; ++i, ++e, ++v) {
        if (e >> 2 != group) {
          group = e >> 2;
          index[kept] = static_cast<uint32_t>(group);
          values[kept] = 0;
          bytes = reinterpret_cast<int8_t *>(values + kept);
          ++kept;
        }
        bytes[e & 3] = *v;
      }
    }
    rowPtr[o + 1] = static_cast<uint32_t>(kept);
  }
}

/// Output channels per pass of a regrouped filter with `groups` groups of
/// four per window, such that the window buffer holds four lanes windows
/// (8 words per group), one staged raw window (1 word per group), and the
/// pass's regrouped filter (per channel up to `groups` value words and ids,
/// and a row pointer, a word each); 0 when not even one channel fits.
inline int32_t regroupChunk(int32_t groups, int32_t outC) {
  const int32_t room = kWindowWords - 9 * groups - 1;
  int32_t chunk = room > 0 ? room / (2 * groups + 1) : 0;
  chunk = chunk < kChannels ? chunk : kChannels;
  return chunk < outC ? chunk : outC;
}
#endif

/// sparseConvPerChannelInt8 one output at a time, straight from the input
/// through the per-id offset and tap tables: for filterlets too large for
/// the window buffer.
template <typename IndexT, typename RowT>
TINYPRUNE_RT_NOINLINE void
directConvInt8(const SparseLayer &l, const SparseFilterInt8<IndexT, RowT> &w,
               const int32_t *multiplier, const int32_t *shift,
               const int32_t *bias, int32_t batches, int32_t outC,
               const int8_t *input, int8_t *output) {
  const ConvInt8Params &p = l.p;
  const int32_t offset = -p.inputZeroPoint;
  for (int32_t b = 0; b < batches; ++b) {
    const int8_t *in =
        input + static_cast<ptrdiff_t>(b) * l.inH * l.inW * l.inC;
    for (int32_t oy = 0; oy < l.outH; ++oy)
      for (int32_t ox = 0; ox < l.outW; ++ox, output += outC) {
        const int32_t y0 = oy * p.strideH - p.padTop;
        const int32_t x0 = ox * p.strideW - p.padLeft;
        const detail::TapRange ry = tapsInside(y0, p.dilationH, l.kH, l.inH);
        const detail::TapRange rx = tapsInside(x0, p.dilationW, l.kW, l.inW);
        const ptrdiff_t base = (static_cast<ptrdiff_t>(y0) * l.inW + x0) * l.inC;
        for (int32_t o = 0; o < outC; ++o) {
          int32_t acc = bias ? bias[o] : 0;
          const int8_t *wf = w.values + static_cast<ptrdiff_t>(w.rowPtr[o]) * l.n;
          for (const IndexT *f = w.index + w.rowPtr[o],
                            *fEnd = w.index + w.rowPtr[o + 1];
               f != fEnd; ++f, wf += l.n) {
            const IndexT id = *f;
            if (!inRange(w.tapY[id], ry) || !inRange(w.tapX[id], rx))
              continue;
            const int8_t *x = in + (base + w.offset[id]);
            for (int32_t i = 0; i < l.n; ++i)
              acc = detail::macWrap(acc, x[i] + offset, wf[i]);
          }
          output[o] = detail::requantizeGeneral(acc, multiplier[o], shift[o], p);
        }
      }
  }
}

} // namespace sparse_detail

#if !TINYPRUNE_RT_SPARSE_DSP
// Cores without the DSP extension (ARMv6-M): windows read in place, pixels
// in pairs along runs of interior windows, border windows checked per
// filterlet (the window buffer's loops spill ARMv6-M's eight low
// registers and run slower there).
namespace sparse_detail {

#if defined(__GNUC__) && defined(__thumb__) && !defined(__thumb2__) &&         \
    !defined(TINYPRUNE_RT_NO_ASM)
/// Set when the portable kernel's four-pixel loop and requantization
/// multiply are Thumb-1 (ARMv6-M) inline assembly: the loop's eight
/// pointers and temporaries take all eight low registers and its
/// accumulators four high ones, which GCC does not allocate by itself (it
/// spills the pointers), and GCC spills the 64-bit sums of the multiply.
#define TINYPRUNE_RT_SPARSE_THUMB1_ASM 1
#else
#define TINYPRUNE_RT_SPARSE_THUMB1_ASM 0
#endif

/// One output channel's requantization, `clamp(
/// multiplyByQuantizedMultiplier(acc, multiplier, shift) + zeroPoint)`,
/// with the per-channel parts computed once. Same result for every input:
/// TFLite's rounding doubling high multiply, whose nudge and truncating
/// division make `round(a * b / 2^31)` with ties up for either sign of
/// `a * b`, is `(a * b + 2^30) >> 31` (for `a * b < 0`, truncating
/// `(a * b + 1 - 2^30) / 2^31` toward zero is its ceiling, the floor of
/// `(a * b + 2^30) / 2^31`). That floor exceeds INT32_MAX only for
/// `a == b == INT32_MIN`, where it wraps to INT32_MIN and is saturated.
struct Requant {
  int32_t multiplier;
  uint32_t leftShift;
  int32_t rightShift, mask, half;
  int32_t outputZeroPoint, actMin, actMax;
  /// The multiplier's signed high and unsigned low halves; the clamp's
  /// bounds less the zero point.
  int32_t mh, ml, qMin, qMax;

  Requant(int32_t m, int32_t shift, int32_t zeroPoint, int32_t lo, int32_t hi)
      : multiplier(m), leftShift(shift > 0 ? static_cast<uint32_t>(shift) : 0),
        rightShift(shift > 0 ? 0 : -shift),
        mask(static_cast<int32_t>((int64_t(1) << rightShift) - 1)),
        half(mask >> 1), outputZeroPoint(zeroPoint), actMin(lo), actMax(hi),
        mh(m >> 16), ml(static_cast<int32_t>(static_cast<uint32_t>(m) & 0xFFFFu)),
        qMin(lo - zeroPoint), qMax(hi - zeroPoint) {}

  int8_t operator()(uint32_t acc) const { return apply(acc); }

  /// `floor((x * multiplier + 2^30) / 2^31)` modulo 2^32, from four 16 x
  /// 16-bit products (each fits int32) summed with carries: ARMv6-M has no
  /// long multiply (GCC calls __aeabi_lmul for one).
  TINYPRUNE_RT_SPARSE_ALWAYS_INLINE int32_t highMul(int32_t x) const {
#if TINYPRUNE_RT_SPARSE_THUMB1_ASM
    int32_t xl, xh, hi, lo, t;
    __asm__(".syntax unified\n\t"
            "uxth  %[xl], %[x]\n\t"
            "asrs  %[xh], %[x], #16\n\t"
            "movs  %[hi], %[xh]\n\t"
            "muls  %[hi], %[mh]\n\t"
            "muls  %[xh], %[ml]\n\t"
            "movs  %[lo], %[xl]\n\t"
            "muls  %[lo], %[ml]\n\t"
            "muls  %[xl], %[mh]\n\t"
            "lsls  %[t], %[xl], #16\n\t"
            "asrs  %[xl], %[xl], #16\n\t"
            "adds  %[lo], %[t]\n\t"
            "adcs  %[hi], %[xl]\n\t"
            "lsls  %[t], %[xh], #16\n\t"
            "asrs  %[xh], %[xh], #16\n\t"
            "adds  %[lo], %[t]\n\t"
            "adcs  %[hi], %[xh]\n\t"
            "movs  %[t], #1\n\t"
            "lsls  %[t], %[t], #30\n\t"
            "adds  %[lo], %[t]\n\t"
            "movs  %[t], #0\n\t"
            "adcs  %[hi], %[t]\n\t"
            "lsrs  %[lo], %[lo], #31\n\t"
            "lsls  %[hi], %[hi], #1\n\t"
            "orrs  %[hi], %[lo]\n\t"
            ".syntax divided\n\t"
            : [xl] "=&l"(xl), [xh] "=&l"(xh), [hi] "=&l"(hi), [lo] "=&l"(lo),
              [t] "=&l"(t)
            : [x] "l"(x), [mh] "l"(mh), [ml] "l"(ml)
            : "cc");
    return hi;
#else
    // The same steps in C (the assembly's reference, unit-tested).
    const uint32_t xl = static_cast<uint32_t>(x) & 0xFFFFu;
    const int32_t xh = x >> 16;
    uint32_t hi = static_cast<uint32_t>(xh * mh);
    const int32_t t2 = xh * ml;
    const int32_t t1 = static_cast<int32_t>(xl) * mh;
    uint32_t lo = xl * static_cast<uint32_t>(ml);
    uint32_t a = static_cast<uint32_t>(t1) << 16;
    lo += a;
    hi += static_cast<uint32_t>(t1 >> 16) + (lo < a ? 1u : 0u);
    a = static_cast<uint32_t>(t2) << 16;
    lo += a;
    hi += static_cast<uint32_t>(t2 >> 16) + (lo < a ? 1u : 0u);
    a = 0x40000000u;
    lo += a;
    hi += lo < a ? 1u : 0u;
    return static_cast<int32_t>((hi << 1) | (lo >> 31));
#endif
  }

  /// operator(), always inline (for a loop that keeps the constants in
  /// registers).
  TINYPRUNE_RT_SPARSE_ALWAYS_INLINE int8_t apply(uint32_t acc) const {
    int32_t high = highMul(static_cast<int32_t>(acc << leftShift));
    high = high == INT32_MIN ? INT32_MAX : high;
    // roundingDivideByPOT(high, rightShift).
    const int32_t threshold =
        half + static_cast<int32_t>(static_cast<uint32_t>(high) >> 31);
    int32_t q = (high >> rightShift) + ((high & mask) > threshold ? 1 : 0);
    // clamp(q + zero point) without the addition, which can pass
    // INT32_MAX for extreme accumulators (where TFLite's int32 addition is
    // undefined): the same as saturating it.
    q = q < qMin ? qMin : (q > qMax ? qMax : q);
    return static_cast<int8_t>(q + outputZeroPoint);
  }
};

/// The dot products of one output channel's kept filterlets [f, fEnd)
/// (weights from `w`, `n` each; `kB` is `n` when fixed at compile time,
/// a constant loop bound, or 0) with the windows of one pixel,
/// starting at element `base` of `in`, and with `kPair` of a second pixel
/// `pixStride` elements further: `acc[0]` (and `acc[1]` with `kPair`).
///
/// With `kChecked` (a window clipped by the borders, the same taps for
/// both pixels) only filterlets whose taps lie in `ry` x `rx` count, `base`
/// may lie outside the input, and `wSum` is the sum of their weights;
/// otherwise every tap is in bounds and `wSum` is not computed.
template <int32_t kB, bool kPair, bool kChecked, typename IndexT>
inline void keptDot(const IndexT *f, const IndexT *fEnd, const int8_t *w,
                    int32_t n, const int32_t *offset, const uint8_t *tapY,
                    const uint8_t *tapX, detail::TapRange ry,
                    detail::TapRange rx, const int8_t *in, ptrdiff_t base,
                    ptrdiff_t pixStride, int32_t acc[2], int32_t &wSum) {
  const int32_t len = kB > 0 ? kB : n;
  const int8_t *window = kChecked ? in : in + base;
  int32_t a0 = 0, a1 = 0, s = 0;
  for (; f != fEnd; ++f) {
    const IndexT id = *f;
    if (kChecked && (!inRange(tapY[id], ry) || !inRange(tapX[id], rx))) {
      w += len;
      continue;
    }
    const int8_t *x = window + (kChecked ? base + offset[id] : offset[id]);
    int32_t i = 0;
#if TINYPRUNE_RT_SPARSE_DSP
    // Each weight word is unpacked once for both pixels; the second
    // pixel's word is addressed relative to the first's.
    auto step = [&](int32_t wq) {
      const int32_t w02 = lanes02(wq), w13 = lanes13(wq);
      if (kPair) {
        const int32_t xb = load4(x + pixStride);
        a1 = __smlad(lanes02(xb), w02, a1);
        a1 = __smlad(lanes13(xb), w13, a1);
      }
      const int32_t xa = load4(x);
      a0 = __smlad(lanes02(xa), w02, a0);
      a0 = __smlad(lanes13(xa), w13, a0);
      if (kChecked) {
        s = __smlad(w02, 0x00010001, s);
        s = __smlad(w13, 0x00010001, s);
      }
      x += 4;
      w += 4;
    };
    for (; i + 4 <= len; i += 4)
      step(load4(w));
    // The last len % 4 channels.
    for (; i < len; ++i) {
      const int32_t wi = *w++;
      if (kPair)
        a1 += static_cast<int32_t>(x[pixStride]) * wi;
      a0 += static_cast<int32_t>(*x++) * wi;
      if (kChecked)
        s += wi;
    }
#else
    // Indexed loads and few live values: ARMv6-M has eight low registers.
    const int8_t *x1 = x + (kPair ? pixStride : 0);
    for (; i < len; ++i) {
      const int32_t wi = w[i];
      a0 += static_cast<int32_t>(x[i]) * wi;
      if (kPair)
        a1 += static_cast<int32_t>(x1[i]) * wi;
      if (kChecked)
        s += wi;
    }
    w += len;
#endif
  }
  acc[0] = a0;
  if (kPair)
    acc[1] = a1;
  wSum = s;
}

/// The dot products of the kept filterlets [f, fEnd) (weights from `w`,
/// `n` each) with the windows of four interior pixels, the first at
/// element `base` of `in`, the others `pixStride` apart, added to `a[k]`.
/// Each weight is loaded once for the four pixels: per weight one LDRSB,
/// then per pixel LDRSB, MULS, ADD (15 instructions for 4 MACs with the
/// loop).
template <typename IndexT>
TINYPRUNE_RT_SPARSE_ALWAYS_INLINE void
quadDot(const IndexT *f, const IndexT *fEnd, const int8_t *w, int32_t n,
        const int32_t *offset, const int8_t *in, ptrdiff_t base,
        ptrdiff_t pixStride, uint32_t (&a)[4]) {
#if TINYPRUNE_RT_SPARSE_THUMB1_ASM
  // The accumulators in high registers (ADD takes them; nothing else
  // here needs them).
  register uint32_t a0 __asm__("r8") = a[0];
  register uint32_t a1 __asm__("r9") = a[1];
  register uint32_t a2 __asm__("r10") = a[2];
  register uint32_t a3 __asm__("r11") = a[3];
  const int8_t *window = in + base + n;
  for (; f != fEnd; ++f) {
    // Pointers past the ends, an index from -n up to 0.
    const int8_t *x0 = window + offset[*f];
    const int8_t *x1 = x0 + pixStride, *x2 = x1 + pixStride,
                 *x3 = x2 + pixStride;
    w += n;
    int32_t i = -n, wi, t;
    // GCC hands Thumb-1 inline assembly over in divided syntax (and
    // switches back to unified after it).
    __asm__(".syntax unified\n"
            "1:\n\t"
            "ldrsb %[wi], [%[w], %[i]]\n\t"
            "ldrsb %[t], [%[x0], %[i]]\n\t"
            "muls  %[t], %[wi]\n\t"
            "add   %[a0], %[t]\n\t"
            "ldrsb %[t], [%[x1], %[i]]\n\t"
            "muls  %[t], %[wi]\n\t"
            "add   %[a1], %[t]\n\t"
            "ldrsb %[t], [%[x2], %[i]]\n\t"
            "muls  %[t], %[wi]\n\t"
            "add   %[a2], %[t]\n\t"
            "ldrsb %[t], [%[x3], %[i]]\n\t"
            "muls  %[t], %[wi]\n\t"
            "add   %[a3], %[t]\n\t"
            "adds  %[i], #1\n\t"
            "bne   1b\n\t"
            ".syntax divided\n\t"
            : [a0] "+r"(a0), [a1] "+r"(a1), [a2] "+r"(a2), [a3] "+r"(a3),
              [i] "+l"(i), [wi] "=&l"(wi), [t] "=&l"(t)
            : [w] "l"(w), [x0] "l"(x0), [x1] "l"(x1), [x2] "l"(x2),
              [x3] "l"(x3)
            : "cc", "memory");
  }
  a[0] = a0;
  a[1] = a1;
  a[2] = a2;
  a[3] = a3;
#else
  uint32_t a0 = a[0], a1 = a[1], a2 = a[2], a3 = a[3];
  const int8_t *window = in + base;
  for (; f != fEnd; ++f, w += n) {
    const int8_t *x0 = window + offset[*f];
    for (int32_t i = 0; i < n; ++i) {
      const int32_t wi = w[i];
      a0 += static_cast<uint32_t>(x0[i] * wi);
      a1 += static_cast<uint32_t>(x0[pixStride + i] * wi);
      a2 += static_cast<uint32_t>(x0[2 * pixStride + i] * wi);
      a3 += static_cast<uint32_t>(x0[3 * pixStride + i] * wi);
    }
  }
  a[0] = a0;
  a[1] = a1;
  a[2] = a2;
  a[3] = a3;
#endif
}

/// The first `count & ~3` pixels of interiorRun (same contract) in fours
/// through quadDot.
template <typename IndexT>
TINYPRUNE_RT_SPARSE_NOINLINE void
interiorQuads(const IndexT *fBegin, const IndexT *fEnd, const int8_t *w,
              int32_t n, const int32_t *offset, const int8_t *in,
              ptrdiff_t base, ptrdiff_t pixStride, int32_t count,
              ptrdiff_t outStride, int8_t *out, uint32_t interior,
              const Requant &rq) {
  for (; count >= 4; count -= 4) {
    uint32_t a[4] = {interior, interior, interior, interior};
    quadDot(fBegin, fEnd, w, n, offset, in, base, pixStride, a);
    out[0] = rq.apply(a[0]);
    out[outStride] = rq.apply(a[1]);
    out[2 * outStride] = rq.apply(a[2]);
    out[3 * outStride] = rq.apply(a[3]);
    base += 4 * pixStride;
    out += 4 * outStride;
  }
}

/// The portable interiorRun (same contract): pixels go in pairs through
/// the kept filterlets, each weight loaded once for both. `kB` is the block
/// length when fixed at compile time, or 0.
template <int32_t kB, typename IndexT>
inline void interiorRunPairs(const IndexT *fBegin, const IndexT *fEnd,
                             const int8_t *w, int32_t n, const int32_t *offset,
                             const int8_t *in, ptrdiff_t base,
                             ptrdiff_t pixStride, int32_t count,
                             ptrdiff_t outStride, int8_t *out,
                             uint32_t interior, const Requant &rq) {
  const detail::TapRange none = {0, 0};
  int32_t acc[2], unused;
  for (; count >= 2; count -= 2) {
    keptDot<kB, true, false>(fBegin, fEnd, w, n, offset, nullptr, nullptr, none,
                             none, in, base, pixStride, acc, unused);
    out[0] = rq(static_cast<uint32_t>(acc[0]) + interior);
    out[outStride] = rq(static_cast<uint32_t>(acc[1]) + interior);
    base += 2 * pixStride;
    out += 2 * outStride;
  }
  if (count > 0) {
    keptDot<0, false, false>(fBegin, fEnd, w, n, offset, nullptr, nullptr, none,
                             none, in, base, pixStride, acc, unused);
    out[0] = rq(static_cast<uint32_t>(acc[0]) + interior);
  }
}

/// Requantized outputs of `count` consecutive interior pixels of one
/// channel: pixel `i` reads the window at element `base + i * pixStride` of
/// `in` and writes `out[i * outStride]`. `interior` is bias - zp * sum(all
/// kept weights). Block lengths 8 and 16 get loops with a constant bound.
template <typename IndexT>
inline void interiorRun(const IndexT *fBegin, const IndexT *fEnd,
                        const int8_t *w, int32_t n, const int32_t *offset,
                        const int8_t *in, ptrdiff_t base, ptrdiff_t pixStride,
                        int32_t count, ptrdiff_t outStride, int8_t *out,
                        uint32_t interior, const Requant &rq) {
  if (count >= 4) {
    interiorQuads(fBegin, fEnd, w, n, offset, in, base, pixStride, count,
                  outStride, out, interior, rq);
    const int32_t done = count & ~3;
    base += done * pixStride;
    out += done * outStride;
    count -= done;
  }
  if (n == 8)
    interiorRunPairs<8>(fBegin, fEnd, w, n, offset, in, base, pixStride, count,
                        outStride, out, interior, rq);
  else if (n == 16)
    interiorRunPairs<16>(fBegin, fEnd, w, n, offset, in, base, pixStride, count,
                         outStride, out, interior, rq);
  else
    interiorRunPairs<0>(fBegin, fEnd, w, n, offset, in, base, pixStride, count,
                        outStride, out, interior, rq);
}

} // namespace sparse_detail

/// int8 NHWC convolution with per-output-channel requantization over a
/// filterlet-pruned filter: convPerChannelInt8 (same arguments, same
/// output bytes) on the dense OHWI filter that `w` stores, pruned
/// filterlets being zero. `w.blockLen` divides `inC`, and `w`'s offset
/// table was built for this `inW`, `inC` and dilation. A channel that keeps
/// no filterlet outputs its requantized bias.
template <typename IndexT, typename RowT>
inline void sparseConvPerChannelInt8(
    const ConvInt8Params &p, const int32_t *multiplier, const int32_t *shift,
    int32_t batches, int32_t inH, int32_t inW, int32_t inC, const int8_t *input,
    int32_t outC, int32_t kH, int32_t kW, const SparseFilterInt8<IndexT, RowT> &w,
    const int32_t *bias, int32_t outH, int32_t outW, int8_t *output) {
  using namespace sparse_detail;
  const int32_t n = w.blockLen;
  const int32_t zp = p.inputZeroPoint;
  const ptrdiff_t inRowStride = static_cast<ptrdiff_t>(inW) * inC;
  const ptrdiff_t inImageStride = static_cast<ptrdiff_t>(inH) * inRowStride;
  const ptrdiff_t outRowStride = static_cast<ptrdiff_t>(outW) * outC;
  const ptrdiff_t colStride = static_cast<ptrdiff_t>(p.strideW) * inC;
  const ptrdiff_t rowStride = static_cast<ptrdiff_t>(p.strideH) * inRowStride;
  const Span sy = interiorSpan(p.padTop, p.strideH, p.dilationH, kH, inH, outH);
  const Span sx =
      interiorSpan(p.padLeft, p.strideW, p.dilationW, kW, inW, outW);
  // Stride-1 unpadded 1x1 layers (and FULLY_CONNECTED): every pixel is
  // interior and the pixels of all rows and batches form one run.
  const bool flat = kH == 1 && kW == 1 && p.strideH == 1 && p.strideW == 1 &&
                    p.padTop == 0 && p.padLeft == 0 && outH == inH &&
                    outW == inW;
  const detail::TapRange fullY = {0, kH}, fullX = {0, kW};

  for (int32_t o = 0; o < outC; ++o) {
    const IndexT *fBegin = w.index + w.rowPtr[o];
    const IndexT *fEnd = w.index + w.rowPtr[o + 1];
    const int8_t *wO = w.values + static_cast<ptrdiff_t>(w.rowPtr[o]) * n;
    const Requant rq(multiplier[o], shift[o], p.outputZeroPoint, p.actMin,
                     p.actMax);
    const uint32_t biasO = static_cast<uint32_t>(bias ? bias[o] : 0);
    if (fBegin == fEnd) {
      // No filterlet kept: every window's sum is empty, every output the
      // requantized bias.
      const int8_t value = rq(biasO);
      for (ptrdiff_t k = 0, e = static_cast<ptrdiff_t>(batches) * outH * outW;
           k < e; ++k)
        output[k * outC + o] = value;
      continue;
    }
    // acc + bias of a window with every tap in bounds, less its dot.
    uint32_t interior = biasO;
    if (zp != 0) {
      int32_t wSum = 0;
      for (const int8_t *v = wO; v != wO + (fEnd - fBegin) * n; ++v)
        wSum += *v;
      interior -= static_cast<uint32_t>(zp) * static_cast<uint32_t>(wSum);
    }

    if (flat) {
      interiorRun(fBegin, fEnd, wO, n, w.offset, input, 0, inC,
                  batches * outH * outW, outC, output + o, interior, rq);
      continue;
    }

    // Windows clipped by the borders, one pixel or two `step` apart with
    // the same in-bounds taps `ry` x `rx`.
    auto clipped = [&](const int8_t *inB, ptrdiff_t base, ptrdiff_t step,
                       detail::TapRange ry, detail::TapRange rx, bool pair,
                       int8_t *out, ptrdiff_t outStep) {
      int32_t acc[2], wSum;
      if (pair)
        keptDot<0, true, true>(fBegin, fEnd, wO, n, w.offset, w.tapY, w.tapX,
                               ry, rx, inB, base, step, acc, wSum);
      else
        keptDot<0, false, true>(fBegin, fEnd, wO, n, w.offset, w.tapY, w.tapX,
                                ry, rx, inB, base, step, acc, wSum);
      const uint32_t c =
          biasO - static_cast<uint32_t>(zp) * static_cast<uint32_t>(wSum);
      out[0] = rq(static_cast<uint32_t>(acc[0]) + c);
      if (pair)
        out[outStep] = rq(static_cast<uint32_t>(acc[1]) + c);
    };

    for (int32_t b = 0; b < batches; ++b) {
      const int8_t *inB = input + b * inImageStride;
      int8_t *outB = output + b * outH * outRowStride + o;
      for (int32_t oy = 0; oy < outH; ++oy) {
        const int32_t y0 = oy * p.strideH - p.padTop;
        const ptrdiff_t rowBase = static_cast<ptrdiff_t>(y0) * inRowStride;
        int8_t *outRow = outB + oy * outRowStride;
        if (oy >= sy.lo && oy < sy.hi) {
          // The horizontally inside part of an inside row; its border
          // columns come below.
          interiorRun(
              fBegin, fEnd, wO, n, w.offset, inB,
              rowBase +
                  static_cast<ptrdiff_t>(sx.lo * p.strideW - p.padLeft) * inC,
              colStride, sx.hi - sx.lo, outC, outRow + sx.lo * outC, interior,
              rq);
          continue;
        }
        // A clipped row: horizontally inside pixels pair up.
        const detail::TapRange ry = detail::tapRange(y0, p.dilationH, kH, inH);
        for (int32_t ox = 0; ox < outW; ++ox) {
          const int32_t x0 = ox * p.strideW - p.padLeft;
          const ptrdiff_t base = rowBase + static_cast<ptrdiff_t>(x0) * inC;
          if (ox >= sx.lo && ox + 1 < sx.hi) {
            clipped(inB, base, colStride, ry, fullX, true, outRow + ox * outC,
                    outC);
            ++ox;
          } else {
            clipped(inB, base, colStride, ry,
                    detail::tapRange(x0, p.dilationW, kW, inW), false,
                    outRow + ox * outC, outC);
          }
        }
      }
      // Border columns of the inside rows: vertical pairs.
      for (int32_t ox = 0; ox < outW; ++ox) {
        if (ox == sx.lo)
          ox = sx.hi;
        if (ox >= outW)
          break;
        const int32_t x0 = ox * p.strideW - p.padLeft;
        const detail::TapRange rx = detail::tapRange(x0, p.dilationW, kW, inW);
        for (int32_t oy = sy.lo; oy < sy.hi; oy += 2) {
          const ptrdiff_t base =
              static_cast<ptrdiff_t>(oy * p.strideH - p.padTop) * inRowStride +
              static_cast<ptrdiff_t>(x0) * inC;
          clipped(inB, base, rowStride, fullY, rx, oy + 1 < sy.hi,
                  outB + oy * outRowStride + ox * outC, outRowStride);
        }
      }
    }
  }
}
#else // TINYPRUNE_RT_SPARSE_DSP

/// int8 NHWC convolution with per-output-channel requantization over a
/// filterlet-pruned filter: convPerChannelInt8 (same arguments, same
/// output bytes) on the dense OHWI filter that `w` stores, pruned
/// filterlets being zero. `w.blockLen` divides `inC`. A channel that keeps
/// no filterlet outputs its requantized bias.
///
/// Blocks of four output pixels first copy their windows into a stack
/// buffer as SMLAD lanes of `x - zp`, zero in the padding, in filter
/// order, so that filterlet `f`'s inputs sit at a fixed place and every
/// window, clipped or not, is the bias plus dot products (TFLite's sum
/// exactly, modulo 2^32). Then each output channel (up to 32 per pass)
/// sweeps its kept filterlets once for the block: each weight word is
/// loaded and unpacked once for the four pixels. A window larger than the
/// buffer goes through it in equal segments of filterlets, each channel's
/// sums and position kept between them.
///
/// Block lengths that are not a multiple of four (first layers over one
/// or three input channels) are regrouped per pass, in the buffer, into
/// groups of four consecutive window elements (regroup); the raw windows
/// are staged and converted. Block lengths over 256, and regrouped windows
/// over about 190 elements, go one output at a time through the per-id
/// offset and tap tables (directConvInt8; slow, rare); otherwise those
/// tables are not read.
template <typename IndexT, typename RowT>
inline void sparseConvPerChannelInt8(
    const ConvInt8Params &p, const int32_t *multiplier, const int32_t *shift,
    int32_t batches, int32_t inH, int32_t inW, int32_t inC, const int8_t *input,
    int32_t outC, int32_t kH, int32_t kW, const SparseFilterInt8<IndexT, RowT> &w,
    const int32_t *bias, int32_t outH, int32_t outW, int8_t *output) {
  using namespace sparse_detail;
  const int32_t n = w.blockLen;
  const SparseLayer l{p, inH, inW, inC, kH, kW, outH, outW, n};
  const int32_t pixels = batches * outH * outW;
  const int32_t window = kH * kW * inC;
  // Regrouped filters: groups of four window elements per window.
  const int32_t groups = (window + 3) / 4;
  const bool lanes = n % 4 == 0;
  const int32_t regroupedChunk = lanes ? 0 : regroupChunk(groups, outC);
  // Lanes filterlets: 2 * n words per block of four pixels.
  if (lanes ? 2 * n > kWindowWords : regroupedChunk == 0) {
    directConvInt8(l, w, multiplier, shift, bias, batches, outC, input,
                   output);
    return;
  }
  bool fast = true;
  for (int32_t o = 0; o < outC; ++o)
    fast = fast && isRightShiftMultiplier(multiplier[o], shift[o]);

  int32_t buffer[kWindowWords];
  int32_t acc[kChannels][kMaxBlock];
  RightShiftMultiplier q[kChannels];
  const int32_t maxChunk = lanes ? kChannels : regroupedChunk;
  for (int32_t c0 = 0; c0 < outC; c0 += maxChunk) {
    const int32_t chunk = outC - c0 < maxChunk ? outC - c0 : maxChunk;
    if (fast)
      for (int32_t o = 0; o < chunk; ++o)
        q[o] = detail::prepareMultiplier(multiplier[c0 + o], shift[c0 + o]);
    const PassOutput r{p,     multiplier + c0, shift + c0, q,
                       detail::OutputStage::of(p), fast};
    int8_t *y = output + c0;
    if (lanes) {
      // Segments of equal numbers of filterlets that the buffer holds.
      const int32_t ids = kH * kW * (inC / n);
      const int32_t most = kWindowWords / (2 * n);
      const int32_t segments = (ids + most - 1) / most;
      const IndexT *pos[kChannels];
      const QuadPass<IndexT, RowT> b{w.rowPtr + c0,
                                     w.index,
                                     w.values,
                                     bias ? bias + c0 : nullptr,
                                     chunk,
                                     n / 4,
                                     buffer,
                                     acc,
                                     pos};
      quadBlocks(b, ids, (ids + segments - 1) / segments, l, pixels, input, r,
                 y, outC,
                 [&](const int8_t *image, int32_t oy, int32_t ox, int32_t e0,
                     int32_t e1, int32_t *dst) {
                   if (segments == 1)
                     gatherLanes<true>(l, image, oy, ox, e0, e1, dst);
                   else
                     gatherLanes<false>(l, image, oy, ox, e0, e1, dst);
                 });
      continue;
    }
    // The buffer: four lanes windows, one staged raw window, then the
    // regrouped filter of the pass (regroupChunk).
    int32_t *staged = buffer + 8 * groups;
    int32_t *values = staged + groups;
    uint32_t *rowPtr = reinterpret_cast<uint32_t *>(values + chunk * groups);
    uint32_t *index = rowPtr + chunk + 1;
    regroup(w, c0, chunk, rowPtr, index, values);
    const uint32_t *pos[kChannels];
    const QuadPass<uint32_t, uint32_t> b{
        rowPtr, index, reinterpret_cast<const int8_t *>(values),
        bias ? bias + c0 : nullptr, chunk, 1, buffer, acc, pos};
    const int32_t pair = offsetPair(p);
    int8_t *raw = reinterpret_cast<int8_t *>(staged);
    // The elements past the window, as the padding: x - zp = 0.
    for (int32_t i = window; i < 4 * groups; ++i)
      raw[i] = static_cast<int8_t>(p.inputZeroPoint);
    quadBlocks(b, groups, groups, l, pixels, input, r, y, outC,
               [&](const int8_t *image, int32_t oy, int32_t ox, int32_t,
                   int32_t, int32_t *dst) {
                 if (image)
                   stageWindow(l, image, oy, ox, raw);
                 putLanes(dst, image ? raw : nullptr, groups, pair);
               });
  }
}

#endif // TINYPRUNE_RT_SPARSE_DSP

namespace sparse_detail {

/// `t[l] += x_l * w` over the kept filterlets [f, fEnd) for one pixel, or
/// two (`kPair`) `pixStride` apart, each sum in filterlet order and then
/// channel order. With `kChecked`, only filterlets whose taps lie in `ry`
/// x `rx` count (a clipped window, the same taps for both pixels); without
/// it every tap is in bounds. `base` is the index in `in` of the first
/// window's top-left element.
template <bool kChecked, bool kPair, typename IndexT>
inline void keptFloat(const IndexT *f, const IndexT *fEnd, const float *w,
                      int32_t n, const int32_t *offset, const uint8_t *tapY,
                      const uint8_t *tapX, detail::TapRange ry,
                      detail::TapRange rx, const float *in, ptrdiff_t base,
                      ptrdiff_t pixStride, float t[2]) {
  float t0 = 0.0f, t1 = 0.0f;
  for (; f != fEnd; ++f, w += n) {
    const IndexT id = *f;
    if (kChecked && (!inRange(tapY[id], ry) || !inRange(tapX[id], rx)))
      continue;
    const float *x0 = in + (base + offset[id]);
    if (kPair) {
      const float *x1 = x0 + pixStride;
      for (int32_t c = 0; c < n; ++c) {
        t0 += x0[c] * w[c];
        t1 += x1[c] * w[c];
      }
    } else {
      for (int32_t c = 0; c < n; ++c)
        t0 += x0[c] * w[c];
    }
  }
  t[0] = t0;
  t[1] = t1;
}

} // namespace sparse_detail

/// float32 NHWC convolution over a filterlet-pruned filter: convFloat on
/// the dense OHWI filter that `w` stores, pruned filterlets being zero.
///
/// Each output is `clamp(total + bias)` with `total` accumulated from 0.0f
/// over the kept filterlets with in-bounds taps, in increasing id order
/// (filter row, filter column, channel block) and channel order within a
/// filterlet: convFloat's order with the pruned terms left out. Those
/// terms are `x * 0.0f = +-0.0f` there, and adding a signed zero to a sum
/// that starts at +0.0f leaves it unchanged (round-to-nearest never makes
/// such a sum -0.0f), so the outputs are bitwise those of convFloat when
/// the input is finite and both are compiled alike (contraction into fused
/// multiply-adds applies to both loops the same way). An infinite or NaN
/// input makes convFloat's `x * 0.0f` a NaN that this kernel never
/// computes.
template <typename IndexT, typename RowT>
inline void
sparseConvFloat(const ConvFloatParams &p, int32_t batches, int32_t inH,
                int32_t inW, int32_t inC, const float *input, int32_t outC,
                int32_t kH, int32_t kW, const SparseFilterFloat<IndexT, RowT> &w,
                const float *bias, int32_t outH, int32_t outW, float *output) {
  using namespace sparse_detail;
  const int32_t n = w.blockLen;
  const ptrdiff_t inRowStride = static_cast<ptrdiff_t>(inW) * inC;
  const ptrdiff_t inImageStride = static_cast<ptrdiff_t>(inH) * inRowStride;
  const ptrdiff_t outRowStride = static_cast<ptrdiff_t>(outW) * outC;
  const ptrdiff_t pixStride = static_cast<ptrdiff_t>(p.strideW) * inC;
  const Span sy = interiorSpan(p.padTop, p.strideH, p.dilationH, kH, inH, outH);
  const Span sx =
      interiorSpan(p.padLeft, p.strideW, p.dilationW, kW, inW, outW);
  const detail::TapRange fullY = {0, kH}, fullX = {0, kW};

  for (int32_t o = 0; o < outC; ++o) {
    const IndexT *fBegin = w.index + w.rowPtr[o];
    const IndexT *fEnd = w.index + w.rowPtr[o + 1];
    const float *wO = w.values + static_cast<ptrdiff_t>(w.rowPtr[o]) * n;
    const float biasO = bias ? bias[o] : 0.0f;
    auto finish = [&](float total) {
      return detail::clampFloat(total + biasO, p.actMin, p.actMax);
    };
    if (fBegin == fEnd) {
      // No filterlet kept: every output is the clamped bias (+0.0f + bias).
      const float value = finish(0.0f);
      for (ptrdiff_t k = 0, e = static_cast<ptrdiff_t>(batches) * outH * outW;
           k < e; ++k)
        output[k * outC + o] = value;
      continue;
    }
    for (int32_t b = 0; b < batches; ++b) {
      const float *inB = input + b * inImageStride;
      float *outB = output + b * outH * outRowStride + o;
      for (int32_t oy = 0; oy < outH; ++oy) {
        const int32_t y0 = oy * p.strideH - p.padTop;
        const ptrdiff_t rowBase = static_cast<ptrdiff_t>(y0) * inRowStride;
        float *outRow = outB + oy * outRowStride;
        const bool rowInside = oy >= sy.lo && oy < sy.hi;
        const detail::TapRange ry =
            rowInside ? fullY : detail::tapRange(y0, p.dilationH, kH, inH);
        for (int32_t ox = 0; ox < outW; ++ox) {
          const int32_t x0 = ox * p.strideW - p.padLeft;
          const ptrdiff_t base = rowBase + static_cast<ptrdiff_t>(x0) * inC;
          const bool colInside = ox >= sx.lo && ox < sx.hi;
          float t[2];
          if (!colInside) {
            const detail::TapRange rx =
                detail::tapRange(x0, p.dilationW, kW, inW);
            keptFloat<true, false>(fBegin, fEnd, wO, n, w.offset, w.tapY,
                                   w.tapX, ry, rx, inB, base, pixStride, t);
            outRow[ox * outC] = finish(t[0]);
            continue;
          }
          // Horizontally inside: pair with the next pixel when it is too.
          const bool pair = ox + 1 < sx.hi;
          if (rowInside && pair)
            keptFloat<false, true>(fBegin, fEnd, wO, n, w.offset, w.tapY,
                                   w.tapX, ry, fullX, inB, base, pixStride, t);
          else if (rowInside)
            keptFloat<false, false>(fBegin, fEnd, wO, n, w.offset, w.tapY,
                                    w.tapX, ry, fullX, inB, base, pixStride, t);
          else if (pair)
            keptFloat<true, true>(fBegin, fEnd, wO, n, w.offset, w.tapY, w.tapX,
                                  ry, fullX, inB, base, pixStride, t);
          else
            keptFloat<true, false>(fBegin, fEnd, wO, n, w.offset, w.tapY,
                                   w.tapX, ry, fullX, inB, base, pixStride, t);
          outRow[ox * outC] = finish(t[0]);
          if (pair) {
            outRow[(ox + 1) * outC] = finish(t[1]);
            ++ox;
          }
        }
      }
    }
  }
}

} // namespace rt
} // namespace tinyprune

#endif // TINYPRUNE_RT_SPARSE_CONV_H
