//===- sparse_conv_portable.h - Sparse int8 conv, ARMv6-M -------*- C++ -*-===//
//
// The filterlet-sparse int8 kernel for cores without the DSP extension
// (ARMv6-M, and hosts): windows read in place. Part of sparse_conv.h,
// which includes it when TINYPRUNE_RT_SPARSE_DSP is not set; see there
// for the format and the common helpers.
//
//===----------------------------------------------------------------------===//

#ifndef TINYPRUNE_RT_SPARSE_CONV_PORTABLE_H
#define TINYPRUNE_RT_SPARSE_CONV_PORTABLE_H

#ifndef TINYPRUNE_RT_SPARSE_CONV_H
#error "sparse_conv_portable.h is included by tinyprune/rt/sparse_conv.h only"
#endif

namespace tinyprune {
namespace rt {

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

} // namespace rt
} // namespace tinyprune

#endif // TINYPRUNE_RT_SPARSE_CONV_PORTABLE_H
