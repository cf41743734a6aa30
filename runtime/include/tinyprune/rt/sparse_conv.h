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
// the overflow bound of convPerChannelInt8. Output channels go one at a
// time over all pixels:
//  * Interior windows (entirely inside the input; their range is found
//    once per call, no per-pixel division) never test bounds and use
//    `bias - zp * sum(all kept w)`, computed once per channel. They form
//    runs along each row (one run over everything for stride-1 unpadded
//    1x1 layers). With the DSP extension, runs of up to 32 pixels keep
//    their accumulators on the stack (128 bytes): each kept filterlet's
//    weights are loaded and unpacked (SXTB16) once per run, eight channels
//    at a time, and swept over the run's pixels with SMLAD; then the run
//    is requantized in one loop. The portable loops (Cortex-M0+) take
//    pixels in pairs, each weight byte loaded once for both.
//  * Border windows test each kept filterlet's tap against the window's
//    in-bounds tap range and sum its weights along with the dot product.
//    Pixels with the same in-bounds taps pair up: along clipped rows and
//    down the border columns.
//  * Any block length works; channels beyond a multiple of 8 (or 4) take
//    a byte loop.
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

#if defined(__ARM_FEATURE_DSP) && defined(__ARM_FEATURE_SIMD32) &&             \
    !defined(TINYPRUNE_RT_NO_DSP)
/// Set when the Cortex-M DSP (SIMD32) paths of the sparse kernels are
/// compiled in.
#define TINYPRUNE_RT_SPARSE_DSP 1
#include <arm_acle.h>
#elif defined(TINYPRUNE_RT_SPARSE_EMULATE_DSP)
// Test hook: the DSP paths on any host, with the includer defining
// `int32_t __sxtb16(int32_t)` and `int32_t __smlad(int32_t, int32_t,
// int32_t)` (ACLE semantics) first.
#define TINYPRUNE_RT_SPARSE_DSP 1
#else
#define TINYPRUNE_RT_SPARSE_DSP 0
#endif

// Inlining control for GCC and Clang at -Os: the requantization inlined
// into its loop, the weight-stationary sweep kept out of line (see
// runDot).
#if defined(__GNUC__) || defined(__clang__)
#define TINYPRUNE_RT_SPARSE_ALWAYS_INLINE inline __attribute__((always_inline))
#define TINYPRUNE_RT_SPARSE_NOINLINE __attribute__((noinline))
#else
#define TINYPRUNE_RT_SPARSE_ALWAYS_INLINE inline
#define TINYPRUNE_RT_SPARSE_NOINLINE
#endif

namespace tinyprune {
namespace rt {

/// A filterlet-pruned int8 OHWI filter `[outC][kH][kW][inC]` with block
/// length `blockLen` (B, dividing inC). `IndexT` is uint16_t when every
/// stored value fits, else uint32_t.
template <typename IndexT> struct SparseFilterInt8 {
  /// outC + 1 entries: output channel o keeps filterlets
  /// [rowPtr[o], rowPtr[o + 1]).
  const IndexT *rowPtr;
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
template <typename IndexT> struct SparseFilterFloat {
  const IndexT *rowPtr;
  const IndexT *index;
  const float *values;
  const int32_t *offset;
  const uint8_t *tapY, *tapX;
  int32_t blockLen;
};

namespace sparse_detail {

#if TINYPRUNE_RT_SPARSE_DSP
/// Four consecutive int8 values as one word (an unaligned LDR; see
/// conv.h's loadInt8x4 for the compiler notes).
inline int32_t load4(const int8_t *p) {
  int32_t v;
  __builtin_memcpy(&v, p, sizeof(v));
  return v;
}

/// Bytes 0 and 2 of `v`, sign-extended into the two int16 halves.
inline int32_t lanes02(int32_t v) { return __sxtb16(v); }

/// Bytes 1 and 3 of `v`, sign-extended into the two int16 halves: one
/// SXTB16 with its operand rotated, which GCC does not form from
/// `__sxtb16(ror(v, 8))` by itself (it emits a separate ROR).
inline int32_t lanes13(int32_t v) {
#if defined(__ARM_FEATURE_DSP) && (defined(__GNUC__) || defined(__clang__))
  int32_t r;
  __asm__("sxtb16 %0, %1, ror #8" : "=r"(r) : "r"(v));
  return r;
#else
  return __sxtb16(static_cast<int32_t>(rotateRight8(static_cast<uint32_t>(v))));
#endif
}
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

  Requant(int32_t m, int32_t shift, int32_t zeroPoint, int32_t lo, int32_t hi)
      : multiplier(m), leftShift(shift > 0 ? static_cast<uint32_t>(shift) : 0),
        rightShift(shift > 0 ? 0 : -shift),
        mask(static_cast<int32_t>((int64_t(1) << rightShift) - 1)),
        half(mask >> 1), outputZeroPoint(zeroPoint), actMin(lo), actMax(hi) {}

  int8_t operator()(uint32_t acc) const { return apply(acc); }

  /// operator(), always inline (for a loop that keeps the constants in
  /// registers).
  TINYPRUNE_RT_SPARSE_ALWAYS_INLINE int8_t apply(uint32_t acc) const {
    const int32_t x = static_cast<int32_t>(acc << leftShift);
    const int64_t ab = static_cast<int64_t>(x) * multiplier;
    int32_t high = static_cast<int32_t>((ab + (int64_t(1) << 30)) >> 31);
    high = high == INT32_MIN ? INT32_MAX : high;
    // roundingDivideByPOT(high, rightShift).
    const int32_t threshold =
        half + static_cast<int32_t>(static_cast<uint32_t>(high) >> 31);
    const int32_t q =
        (high >> rightShift) + ((high & mask) > threshold ? 1 : 0);
    // q + zero point can pass INT32_MAX for extreme accumulators (where
    // TFLite's int32 addition is undefined): saturate instead of wrapping.
    const int64_t scaled = static_cast<int64_t>(q) + outputZeroPoint;
    return static_cast<int8_t>(scaled < actMin   ? actMin
                               : scaled > actMax ? actMax
                                                 : scaled);
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

#if TINYPRUNE_RT_SPARSE_DSP
/// Pixels per run of interiorRun: its accumulators live on the stack.
constexpr int32_t kRunPixels = 32;

/// `acc[p] += dot(x + p * pixStride, w)` over `kBytes` (8 or 4) int8
/// values for p < run (run >= 1): the weights are loaded and unpacked
/// once, then stay in registers for every pixel. Not inlined: on its own
/// the loop keeps everything in registers (15 instructions per pixel and
/// 8 bytes on Cortex-M4 with GCC -Os), while inlined into interiorRun's
/// loops GCC spills the unpacked weights; so it does with two pixels per
/// iteration.
template <int32_t kBytes>
TINYPRUNE_RT_SPARSE_NOINLINE inline void
runDot(const int8_t *x, ptrdiff_t pixStride, const int8_t *w, int32_t *acc,
       int32_t run) {
  const int32_t wq0 = load4(w);
  const int32_t w02a = lanes02(wq0), w13a = lanes13(wq0);
  int32_t w02b = 0, w13b = 0;
  if (kBytes == 8) {
    const int32_t wq1 = load4(w + 4);
    w02b = lanes02(wq1);
    w13b = lanes13(wq1);
  }
  int32_t *const end = acc + run;
  do {
    const int32_t xa = load4(x);
    int32_t s = *acc;
    s = __smlad(lanes02(xa), w02a, s);
    s = __smlad(lanes13(xa), w13a, s);
    if (kBytes == 8) {
      const int32_t xb = load4(x + 4);
      s = __smlad(lanes02(xb), w02b, s);
      s = __smlad(lanes13(xb), w13b, s);
    }
    *acc++ = s;
    x += pixStride;
  } while (acc != end);
}

/// Requantized outputs of `count` consecutive interior pixels of one
/// channel: pixel `i` reads the window at element `base + i * pixStride` of
/// `in` and writes `out[i * outStride]`. `interior` is bias - zp * sum(all
/// kept weights).
///
/// Runs of up to kRunPixels pixels: each kept filterlet's weights are
/// unpacked once per run, eight channels at a time, and swept over the
/// run's pixels; then the run is requantized in one loop.
template <typename IndexT>
inline void interiorRun(const IndexT *fBegin, const IndexT *fEnd,
                        const int8_t *w, int32_t n, const int32_t *offset,
                        const int8_t *in, ptrdiff_t base, ptrdiff_t pixStride,
                        int32_t count, ptrdiff_t outStride, int8_t *out,
                        uint32_t interior, const Requant &rq) {
  int32_t acc[kRunPixels];
  while (count > 0) {
    const int32_t run = count < kRunPixels ? count : kRunPixels;
    for (int32_t p = 0; p < run; ++p)
      acc[p] = 0;
    const int8_t *window = in + base;
    const int8_t *wk = w;
    for (const IndexT *f = fBegin; f != fEnd; ++f, wk += n) {
      const int8_t *x = window + offset[*f];
      int32_t c = 0;
      for (; c + 8 <= n; c += 8)
        runDot<8>(x + c, pixStride, wk + c, acc, run);
      if (c + 4 <= n) {
        runDot<4>(x + c, pixStride, wk + c, acc, run);
        c += 4;
      }
      for (; c < n; ++c) {
        const int32_t wc = wk[c];
        const int8_t *xc = x + c;
        for (int32_t p = 0; p < run; ++p, xc += pixStride)
          acc[p] += static_cast<int32_t>(*xc) * wc;
      }
    }
    for (int32_t p = 0; p < run; ++p, out += outStride)
      *out = rq.apply(static_cast<uint32_t>(acc[p]) + interior);
    base += run * pixStride;
    count -= run;
  }
}
#else
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
#endif

} // namespace sparse_detail

/// int8 NHWC convolution with per-output-channel requantization over a
/// filterlet-pruned filter: convPerChannelInt8 (same arguments, same
/// output bytes) on the dense OHWI filter that `w` stores, pruned
/// filterlets being zero. `w.blockLen` divides `inC`, and `w`'s offset
/// table was built for this `inW`, `inC` and dilation. A channel that keeps
/// no filterlet outputs its requantized bias.
template <typename IndexT>
inline void sparseConvPerChannelInt8(
    const ConvInt8Params &p, const int32_t *multiplier, const int32_t *shift,
    int32_t batches, int32_t inH, int32_t inW, int32_t inC, const int8_t *input,
    int32_t outC, int32_t kH, int32_t kW, const SparseFilterInt8<IndexT> &w,
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
template <typename IndexT>
inline void
sparseConvFloat(const ConvFloatParams &p, int32_t batches, int32_t inH,
                int32_t inW, int32_t inC, const float *input, int32_t outC,
                int32_t kH, int32_t kW, const SparseFilterFloat<IndexT> &w,
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
