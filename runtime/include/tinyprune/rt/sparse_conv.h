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
//    sparseConvPerChannelInt8 in sparse_conv_dsp.h.
//  * Without it (Cortex-M0+; sparse_conv_portable.h), output channels go one at a time over all
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

} // namespace rt
} // namespace tinyprune

// The int8 kernel: the window-buffer version on DSP cores, the in-place
// one elsewhere.
#if TINYPRUNE_RT_SPARSE_DSP
#include "tinyprune/rt/sparse_conv_dsp.h"
#else
#include "tinyprune/rt/sparse_conv_portable.h"
#endif

namespace tinyprune {
namespace rt {

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