//===- sparse_conv_dsp.h - Sparse int8 conv, DSP cores ----------*- C++ -*-===//
//
// The filterlet-sparse int8 kernel for cores with the DSP extension (and
// the host tests that emulate it): windows copied into a stack buffer as
// SMLAD lanes, blocks of four pixels. Part of sparse_conv.h, which
// includes it when TINYPRUNE_RT_SPARSE_DSP is set; see there for the
// format and the common helpers.
//
//===----------------------------------------------------------------------===//

#ifndef TINYPRUNE_RT_SPARSE_CONV_DSP_H
#define TINYPRUNE_RT_SPARSE_CONV_DSP_H

#ifndef TINYPRUNE_RT_SPARSE_CONV_H
#error "sparse_conv_dsp.h is included by tinyprune/rt/sparse_conv.h only"
#endif

namespace tinyprune {
namespace rt {

namespace sparse_detail {

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
  return detail::halfwordPair(-p.inputZeroPoint);
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

} // namespace sparse_detail


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

} // namespace rt
} // namespace tinyprune

#endif // TINYPRUNE_RT_SPARSE_CONV_DSP_H
