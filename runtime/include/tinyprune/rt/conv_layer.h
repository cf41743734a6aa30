//===- conv_layer.h - Shared pieces of the int8 convolution -----*- C++ -*-===//
//
// What the paths of convPerChannelInt8 (conv.h) and the depthwise and
// fully-connected kernels share: the layer parameters, the in-bounds tap
// ranges of a window, the requantization of the fast paths (OutputStage),
// the description of one int8 convolution (ConvInt8Layer) and rows of 2x2
// register blocks (BlockRow, blockRowInt8), whose pixel-pair loop is
// inline assembly on DSP cores, from int8 or int16 weights.
//
// Device kernels: no libm, no heap, no exceptions.
//
//===----------------------------------------------------------------------===//

#ifndef TINYPRUNE_RT_CONV_LAYER_H
#define TINYPRUNE_RT_CONV_LAYER_H

#include "tinyprune/rt/conv_blocks.h"
#include "tinyprune/rt/fixedpoint.h"

#include <cstddef>
#include <cstdint>

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

/// The general paths' requantization: any multiplier, then output zero
/// point and clamp.
TINYPRUNE_RT_NOINLINE int8_t requantizeGeneral(int32_t acc, int32_t multiplier,
                                               int32_t shift,
                                               const ConvInt8Params &p) {
  return static_cast<int8_t>(clamp(
      multiplyByQuantizedMultiplier(acc, multiplier, shift) + p.outputZeroPoint,
      p.actMin, p.actMax));
}

/// prepareRightShiftMultiplier out of line, for the places that prepare a
/// multiplier per channel rather than per output (code size).
TINYPRUNE_RT_NOINLINE RightShiftMultiplier prepareMultiplier(int32_t multiplier,
                                                             int32_t shift) {
  return prepareRightShiftMultiplier(multiplier, shift);
}

/// Requantization of the fast paths: per-channel multipliers prepared once
/// (all of a layer's must be right shifts, isRightShiftMultiplier), then
/// output zero point and clamp. The clamp to [actMin, actMax] is a
/// saturation to int8 (one SSAT on Cortex-M), followed by the activation's
/// bounds only when they are narrower (`narrow`): models mostly clamp to
/// the whole int8 range.
struct OutputStage {
  int32_t zeroPoint, actMin, actMax;
  bool narrow;
  static OutputStage of(int32_t zeroPoint, int32_t actMin, int32_t actMax) {
    return {zeroPoint, actMin, actMax, actMin > -128 || actMax < 127};
  }
  static OutputStage of(const ConvInt8Params &p) {
    return of(p.outputZeroPoint, p.actMin, p.actMax);
  }
  TINYPRUNE_RT_ALWAYS_INLINE int8_t
  operator()(int32_t acc, const RightShiftMultiplier &q) const {
    int32_t v = saturateInt8(applyRightShiftMultiplier(acc, q) + zeroPoint);
    if (narrow)
      v = clamp(v, actMin, actMax);
    return static_cast<int8_t>(v);
  }
  /// `y[k] = (*this)(a_k, q[k])` for four adjacent channels k < 4 (the
  /// groups of depthwise layers). With the inline assembly and the whole
  /// int8 range, ten instructions per output (GCC spends about 15-20: it
  /// reloads the fields of the stage after each int8 store, which may
  /// alias them).
  TINYPRUNE_RT_ALWAYS_INLINE void store4(int32_t a0, int32_t a1, int32_t a2,
                                         int32_t a3,
                                         const RightShiftMultiplier *q,
                                         int8_t *y) const {
#if TINYPRUNE_RT_ARM_ASM
    if (!narrow) {
      static_assert(sizeof(RightShiftMultiplier) == 16 &&
                        offsetof(RightShiftMultiplier, rounding) == 0 &&
                        offsetof(RightShiftMultiplier, multiplier) == 8 &&
                        offsetof(RightShiftMultiplier, highShift) == 12,
                    "the layout OutputStage::store4 assumes");
      int32_t lo, hi, m, sh, t;
      // clang-format off
#define TINYPRUNE_RT_STORE(ACC, K)                                             \
  "ldrd   %[lo], %[hi], [%[q], #" K "*16]\n\t"                                \
  "ldrd   %[m], %[sh], [%[q], #" K "*16+8]\n\t"                               \
  "and    %[t], %[" ACC "], #0x80000000\n\t"                                   \
  "smlal  %[lo], %[hi], %[" ACC "], %[m]\n\t"                                  \
  "subs   %[lo], %[lo], %[t]\n\t"                                             \
  "sbc    %[hi], %[hi], #0\n\t"                                               \
  "asr    %[hi], %[hi], %[sh]\n\t"                                            \
  "add    %[hi], %[hi], %[zp]\n\t"                                            \
  "ssat   %[hi], #8, %[hi]\n\t"                                               \
  "strb   %[hi], [%[y], #" K "]\n\t"
      __asm__ volatile(TINYPRUNE_RT_STORE("a0", "0")
                       TINYPRUNE_RT_STORE("a1", "1")
                       TINYPRUNE_RT_STORE("a2", "2")
                       TINYPRUNE_RT_STORE("a3", "3")
                       : [lo] "=&r"(lo), [hi] "=&r"(hi), [m] "=&r"(m),
                         [sh] "=&r"(sh), [t] "=&r"(t)
                       : [a0] "r"(a0), [a1] "r"(a1), [a2] "r"(a2),
                         [a3] "r"(a3), [q] "r"(q), [zp] "r"(zeroPoint),
                         [y] "r"(y)
                       : "cc", "memory");
#undef TINYPRUNE_RT_STORE
      // clang-format on
      return;
    }
#endif
    y[0] = (*this)(a0, q[0]);
    y[1] = (*this)(a1, q[1]);
    y[2] = (*this)(a2, q[2]);
    y[3] = (*this)(a3, q[3]);
  }
};

/// Everything about one int8 convolution the helpers below share.
struct ConvInt8Layer {
  const ConvInt8Params &p;
  const int32_t *multiplier, *shift, *bias;
  int32_t inH, inW, inC, outC, kH, kW, outH, outW;
  const int8_t *filter;
  int32_t filterSize;
#if TINYPRUNE_RT_CONV_W16
  /// The filter as int16 weights (packConvW16) where the 2x2 blocks read
  /// them (filterSize a multiple of four), or null.
  const int32_t *filter16;
#endif
};

/// A row of output pixels computed in 2x2 register blocks (two pixels by
/// two output channels; dotInt8Block2x2) from one starting value per
/// channel: pointwise layers and small-filter patches (a matrix product;
/// see matrixInt8) and the windows of a row that lie inside the input.
struct BlockRow {
  /// The first pixel's input (window origin) and the offset between two
  /// adjacent pixels' inputs.
  const int8_t *x;
  ptrdiff_t xPixel;
  /// The first channel's filter and the offset to the second channel's
  /// (0 repeats the channel).
  const int8_t *w;
  ptrdiff_t wChannel;
  /// Each window: `rows` runs of `runLength` contiguous values, `xRow`
  /// apart in the input and consecutive in the filter.
  int32_t rows, runLength;
  ptrdiff_t xRow;
  /// The first pixel's output for the first channel, the offset between
  /// adjacent pixels' outputs and to the second channel's (0 or 1).
  int8_t *y;
  ptrdiff_t yPixel, yChannel;
  int32_t start0, start1;
  RightShiftMultiplier q0, q1;
  OutputStage finish;
#if TINYPRUNE_RT_ARM_DSP
  /// When not null (TINYPRUNE_RT_CONV_W16 only), the pair's weights as
  /// int16 (packConvW16) from the first run's, read instead of `w`: `rows`
  /// runs of `runLength` words, consecutive; runs are whole words.
  const int32_t *w16;
#endif
};

#if TINYPRUNE_RT_ARM_ASM
/// The pixel pairs of blockRowInt8 in one block of assembly, for runs of a
/// multiple of four bytes and activations covering int8: per pair, the
/// 2x2 dot products over `r.rows` runs (dotInt8Block2x2's loop) and the
/// four outputs, `saturateInt8(applyRightShiftMultiplier(acc, q) + zp)`
/// with each channel's multiplier and shift loaded once (nine
/// instructions per output). Written out because GCC, even at -O2, keeps
/// the block's description in spilled copies (an int8 store may alias it)
/// and spent about 100 instructions per block outside the dot-product loop
/// where this spends about 80, and 70 per call where this spends 6. The
/// loop state lives in a 24-byte frame below the stack pointer: the
/// registers are all taken by the dot product.
template <bool W16, bool OneRow = false>
TINYPRUNE_RT_ALWAYS_INLINE inline void blockPairsInt8Asm(const BlockRow &r,
                                                         int32_t pairs) {
  int32_t a00, a01, a10, a11, xs, ws, t2, t3, t4, t5;
  const int8_t *x, *w;
  const BlockRow *t0 = &r;
  int32_t t1 = pairs;
  // One output: t3 = multiplier, t4 = shift, ws = zero point, t0 = &r.
#define TINYPRUNE_RT_FINISH(ACC, DST, Q)                                       \
  "ldrd   %[t1], %[t2], [%[t0], %[oQ]+" Q "]\n\t"                              \
  "and    %[x], %[" ACC "], #0x80000000\n\t"                                   \
  "smlal  %[t1], %[t2], %[" ACC "], %[t3]\n\t"                                 \
  "subs   %[t1], %[t1], %[x]\n\t"                                              \
  "sbc    %[t2], %[t2], #0\n\t"                                                \
  "asr    %[t2], %[t2], %[t4]\n\t"                                             \
  "add    %[t2], %[t2], %[ws]\n\t"                                             \
  "ssat   %[t2], #8, %[t2]\n\t"                                                \
  "strb   %[t2], " DST "\n\t"
  // Both channels' outputs for both pixels (q0 at offset 0, q1 at 16).
  // clang-format off
#define TINYPRUNE_RT_FINISH4                                                   \
  "ldrd   %[t3], %[t4], [%[t0], %[oQ]+8]\n\t"                                \
  TINYPRUNE_RT_FINISH("a00", "[%[t5]]", "0")                                   \
  TINYPRUNE_RT_FINISH("a10", "[%[t5], %[xs]]", "0")                            \
  "ldr    %[w], [%[t0], %[oYC]]\n\t"                                          \
  "add    %[w], %[t5], %[w]\n\t"                                              \
  "ldrd   %[t3], %[t4], [%[t0], %[oQ]+24]\n\t"                               \
  TINYPRUNE_RT_FINISH("a01", "[%[w]]", "16")                                   \
  TINYPRUNE_RT_FINISH("a11", "[%[w], %[xs]]", "16")
  // clang-format on
  // The pair's weights: int8 from w, the second filter wChannel bytes on
  // (ws = wChannel - 4), or int16 from w16.
#define TINYPRUNE_RT_PAIR_W8                                                   \
  "ldrd   %[w], %[ws], [%[t0], %[oW]]\n\t"                                     \
  "sub    %[ws], %[ws], #4\n\t"
#define TINYPRUNE_RT_PAIR_W16 "ldr    %[w], [%[t0], %[oW16]]\n\t"
  // One run: an odd number of four-byte steps enters at the second step of
  // the loop. int8: the end of the run's filter at [sp, 8]; int16: in ws.
  // clang-format off
#define TINYPRUNE_RT_RUN_W8                                                    \
  "ldr    %[t1], [%[t0], %[oRun]]\n\t"                                       \
  "add    %[t2], %[w], %[t1]\n\t"                                            \
  "str    %[t2], [sp, #8]\n\t"                                               \
  "tst    %[t1], #4\n\t"                                                     \
  "bne    2f\n"                                                              \
  "1:\n\t" TINYPRUNE_RT_STEP2X2 "\n"                                          \
  "2:\n\t" TINYPRUNE_RT_STEP2X2 "ldr    %[t0], [sp, #8]\n\t"                 \
  "cmp    %[w], %[t0]\n\t"                                                   \
  "bne    1b\n\t"
  // The int16 step (16 instructions per 16 MACs where the int8 one takes
  // 20): the first pixel's input word unpacked, both filters' four words
  // by two LDRD, then the second pixel's word.
#define TINYPRUNE_RT_STEP2X2_W16                                               \
  "ldr    %[t5], [%[x]], #4\n\t"                                             \
  "ldrd   %[t0], %[t1], [%[w]], #8\n\t"                                      \
  "sxtb16 %[t4], %[t5]\n\t"                                                  \
  "sxtb16 %[t5], %[t5], ror #8\n\t"                                          \
  "ldrd   %[t2], %[t3], [%[w]], #8\n\t"                                      \
  "smlad  %[a00], %[t4], %[t0], %[a00]\n\t"                                  \
  "smlad  %[a00], %[t5], %[t1], %[a00]\n\t"                                  \
  "smlad  %[a01], %[t4], %[t2], %[a01]\n\t"                                  \
  "smlad  %[a01], %[t5], %[t3], %[a01]\n\t"                                  \
  "ldr    %[t5], [%[x], %[xs]]\n\t"                                          \
  "sxtb16 %[t4], %[t5]\n\t"                                                  \
  "sxtb16 %[t5], %[t5], ror #8\n\t"                                          \
  "smlad  %[a10], %[t4], %[t0], %[a10]\n\t"                                  \
  "smlad  %[a10], %[t5], %[t1], %[a10]\n\t"                                  \
  "smlad  %[a11], %[t4], %[t2], %[a11]\n\t"                                  \
  "smlad  %[a11], %[t5], %[t3], %[a11]\n\t"
#define TINYPRUNE_RT_RUN_W16                                                   \
  "ldr    %[t1], [%[t0], %[oRun]]\n\t"                                       \
  "add    %[ws], %[w], %[t1], lsl #2\n\t"                                    \
  "tst    %[t1], #4\n\t"                                                     \
  "bne    2f\n"                                                              \
  "1:\n\t" TINYPRUNE_RT_STEP2X2_W16 "\n"                                      \
  "2:\n\t" TINYPRUNE_RT_STEP2X2_W16                                           \
  "cmp    %[w], %[ws]\n\t"                                                   \
  "bne    1b\n\t"
  // clang-format on
  // Frame: [sp] &r, [sp, 4] pairs left, [sp, 8] end of the int8 run,
  // [sp, 12] rows left, [sp, 16] the pair's input, [sp, 20] its output.
  // Per pair: starting values, weights (PAIR_W), input stride less 4; one
  // run per filter row (RUN), the input advanced to the next row; then the
  // four outputs (t5 = y, xs = yPixel, w = y + yChannel) and the next pair.
  // clang-format off
#define TINYPRUNE_RT_PAIRS(PAIR_W, ROWS_IN, RUN, ROWS_OUT)                     \
  __asm__ volatile(                                                            \
      "sub    sp, sp, #24\n\t"                                                 \
      "str    %[t0], [sp]\n\t"                                                 \
      "str    %[t1], [sp, #4]\n\t"                                             \
      "ldr    %[x], [%[t0], %[oX]]\n\t"                                        \
      "str    %[x], [sp, #16]\n\t"                                             \
      "ldr    %[x], [%[t0], %[oY]]\n\t"                                        \
      "str    %[x], [sp, #20]\n"                                               \
      "3:\n\t"                                                                 \
      "ldrd   %[a00], %[a01], [%[t0], %[oS0]]\n\t"                             \
      "mov    %[a10], %[a00]\n\t"                                              \
      "mov    %[a11], %[a01]\n\t"                                              \
      PAIR_W                                                                   \
      "ldr    %[x], [sp, #16]\n\t"                                             \
      "ldr    %[xs], [%[t0], %[oXP]]\n\t"                                      \
      "sub    %[xs], %[xs], #4\n\t"                                            \
      ROWS_IN                                                                  \
      RUN                                                                      \
      "ldr    %[t0], [sp]\n\t"                                                 \
      ROWS_OUT                                                                 \
      "ldr    %[t5], [sp, #20]\n\t"                                            \
      "ldr    %[xs], [%[t0], %[oYP]]\n\t"                                      \
      "ldr    %[ws], [%[t0], %[oZP]]\n\t" TINYPRUNE_RT_FINISH4                 \
      "add    %[t5], %[t5], %[xs], lsl #1\n\t"                                 \
      "str    %[t5], [sp, #20]\n\t"                                            \
      "ldr    %[t1], [%[t0], %[oXP]]\n\t"                                      \
      "ldr    %[x], [sp, #16]\n\t"                                             \
      "add    %[x], %[x], %[t1], lsl #1\n\t"                                   \
      "str    %[x], [sp, #16]\n\t"                                             \
      "ldr    %[t1], [sp, #4]\n\t"                                             \
      "subs   %[t1], %[t1], #1\n\t"                                            \
      "str    %[t1], [sp, #4]\n\t"                                             \
      "bne    3b\n\t"                                                          \
      "add    sp, sp, #24\n\t"                                                 \
      : [a00] "=&r"(a00), [a01] "=&r"(a01), [a10] "=&r"(a10),                  \
        [a11] "=&r"(a11), [x] "=&r"(x), [w] "=&r"(w), [t0] "+&r"(t0),          \
        [t1] "+&r"(t1), [t2] "=&r"(t2), [t3] "=&r"(t3), [t4] "=&r"(t4),        \
        [t5] "=&r"(t5), [xs] "=&r"(xs), [ws] "=&r"(ws)                         \
      : [oX] "i"(offsetof(BlockRow, x)), [oY] "i"(offsetof(BlockRow, y)),      \
        [oS0] "i"(offsetof(BlockRow, start0)),                                 \
        [oW] "i"(offsetof(BlockRow, w)), [oW16] "i"(offsetof(BlockRow, w16)),  \
        [oXP] "i"(offsetof(BlockRow, xPixel)),                                 \
        [oRows] "i"(offsetof(BlockRow, rows)),                                 \
        [oRun] "i"(offsetof(BlockRow, runLength)),                             \
        [oXRow] "i"(offsetof(BlockRow, xRow)),                                 \
        [oYP] "i"(offsetof(BlockRow, yPixel)),                                 \
        [oYC] "i"(offsetof(BlockRow, yChannel)),                               \
        [oZP] "i"(offsetof(BlockRow, finish) +                                 \
                  offsetof(OutputStage, zeroPoint)),                           \
        [oQ] "i"(offsetof(BlockRow, q0))                                       \
      : "cc", "memory")
  // clang-format on
  // The loop over filter rows (rows left at [sp, 12]), left out for
  // single-row windows (OneRow: pointwise layers and patches).
#define TINYPRUNE_RT_ROWS_IN                                                   \
  "ldr    %[t1], [%[t0], %[oRows]]\n\t"                                        \
  "str    %[t1], [sp, #12]\n"                                                  \
  "4:\n\t"
#define TINYPRUNE_RT_ROWS_OUT                                                  \
  "ldr    %[t1], [%[t0], %[oXRow]]\n\t"                                        \
  "ldr    %[t2], [%[t0], %[oRun]]\n\t"                                         \
  "sub    %[t1], %[t1], %[t2]\n\t"                                             \
  "add    %[x], %[x], %[t1]\n\t"                                               \
  "ldr    %[t1], [sp, #12]\n\t"                                                \
  "subs   %[t1], %[t1], #1\n\t"                                                \
  "str    %[t1], [sp, #12]\n\t"                                                \
  "bne    4b\n\t"
  if constexpr (W16 && OneRow)
    TINYPRUNE_RT_PAIRS(TINYPRUNE_RT_PAIR_W16, "", TINYPRUNE_RT_RUN_W16, "");
  else if constexpr (W16)
    TINYPRUNE_RT_PAIRS(TINYPRUNE_RT_PAIR_W16, TINYPRUNE_RT_ROWS_IN,
                       TINYPRUNE_RT_RUN_W16, TINYPRUNE_RT_ROWS_OUT);
  else
    TINYPRUNE_RT_PAIRS(TINYPRUNE_RT_PAIR_W8, TINYPRUNE_RT_ROWS_IN,
                       TINYPRUNE_RT_RUN_W8, TINYPRUNE_RT_ROWS_OUT);
#undef TINYPRUNE_RT_ROWS_OUT
#undef TINYPRUNE_RT_ROWS_IN
#undef TINYPRUNE_RT_PAIRS
#undef TINYPRUNE_RT_RUN_W16
#undef TINYPRUNE_RT_STEP2X2_W16
#undef TINYPRUNE_RT_RUN_W8
#undef TINYPRUNE_RT_PAIR_W16
#undef TINYPRUNE_RT_PAIR_W8
#undef TINYPRUNE_RT_FINISH4
#undef TINYPRUNE_RT_FINISH
}
#endif

/// Computes `pixels` (>= 1) outputs of `r` for both channels: pairs of
/// pixels in 2x2 blocks, an odd last pixel through dotInt8Block1x2 (a
/// block would compute it twice, a fifth more work on the five-pixel rows
/// of KWS's in-place layers). One out-of-line copy serves every caller
/// (code size). With the assembly blocks, the pairs of runs of whole words
/// go through blockPairsInt8Asm.
TINYPRUNE_RT_HOT TINYPRUNE_RT_NOINLINE void blockRowInt8(const BlockRow &r,
                                                         int32_t pixels) {
  int32_t px = 0;
#if TINYPRUNE_RT_ARM_ASM
  // The layout blockPairsInt8Asm assumes: the rounding constant, then the
  // multiplier and shift (one LDRD each), q1 after q0; start0 and start1,
  // w and wChannel loaded by one LDRD each.
  static_assert(offsetof(RightShiftMultiplier, rounding) == 0 &&
                    offsetof(RightShiftMultiplier, multiplier) == 8 &&
                    offsetof(RightShiftMultiplier, highShift) == 12 &&
                    offsetof(BlockRow, q1) == offsetof(BlockRow, q0) + 16 &&
                    offsetof(BlockRow, start1) ==
                        offsetof(BlockRow, start0) + 4 &&
                    offsetof(BlockRow, wChannel) == offsetof(BlockRow, w) + 4,
                "field pairs of blockPairsInt8Asm");
  if (pixels >= 2 && r.rows > 0 && !r.finish.narrow && r.runLength >= 4 &&
      (r.runLength & 3) == 0) {
    px = pixels & ~1;
#if TINYPRUNE_RT_CONV_W16
    if (r.w16 && r.rows == 1)
      blockPairsInt8Asm<true, true>(r, pixels >> 1);
    else if (r.w16)
      blockPairsInt8Asm<true>(r, pixels >> 1);
    else
#endif
      blockPairsInt8Asm<false>(r, pixels >> 1);
  }
#endif
  for (; px + 2 <= pixels; px += 2) {
    int32_t acc[2][2] = {{r.start0, r.start1}, {r.start0, r.start1}};
    const int8_t *x = r.x + px * r.xPixel;
    const int8_t *w = r.w;
#if TINYPRUNE_RT_CONV_W16
    // int16 weights (runs of whole words), sharing the requantization.
    if (r.w16) {
      const int32_t *w16 = r.w16;
      for (int32_t ky = r.rows; ky > 0; --ky, x += r.xRow)
        w16 = dotW16Block2x2(x, r.xPixel, w16, r.runLength, acc);
    } else
#endif
      for (int32_t ky = r.rows; ky > 0; --ky, x += r.xRow, w += r.runLength)
        dotInt8Block2x2(x, r.xPixel, w, r.wChannel, r.runLength, acc);
    int8_t *y = r.y + px * r.yPixel;
    y[0] = r.finish(acc[0][0], r.q0);
    y[r.yChannel] = r.finish(acc[0][1], r.q1);
    y[r.yPixel] = r.finish(acc[1][0], r.q0);
    y[r.yPixel + r.yChannel] = r.finish(acc[1][1], r.q1);
  }
  if (pixels & 1) {
    int32_t acc0 = r.start0, acc1 = r.start1;
    const int8_t *x = r.x + (pixels - 1) * r.xPixel;
    const int8_t *w = r.w;
#if TINYPRUNE_RT_CONV_W16
    if (r.w16) {
      const int32_t *w16 = r.w16;
      for (int32_t ky = r.rows; ky > 0; --ky, x += r.xRow)
        w16 = dotW16Block1x2(x, w16, r.runLength, acc0, acc1);
    } else
#endif
      for (int32_t ky = r.rows; ky > 0; --ky, x += r.xRow, w += r.runLength)
        dotInt8Block1x2(x, w, w + r.wChannel, r.runLength, 0, acc0, acc1);
    int8_t *y = r.y + (pixels - 1) * r.yPixel;
    y[0] = r.finish(acc0, r.q0);
    y[r.yChannel] = r.finish(acc1, r.q1);
  }
}

} // namespace detail
} // namespace rt
} // namespace tinyprune

#endif // TINYPRUNE_RT_CONV_LAYER_H
