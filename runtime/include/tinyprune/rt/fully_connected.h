//===- fully_connected.h - int8 fully-connected layers, int16 weights -*- C++
//-*-===//
//
// TFLite's FULLY_CONNECTED (and 1x1 convolutions of a single pixel) on DSP
// cores with the weights prepared by the compiler: sign-extended to int16
// in the order SMLAD consumes them, so the inner loop does no SXTB16 on
// weights, and with the requantization constants prepared at compile time.
// Twice the flash of the int8 weights, for about a third fewer
// instructions per MAC (see docs/benchmarks.md). The int8 path of
// convPerChannelInt8 computes the same outputs on the other cores.
//
// Device kernels: no libm, no heap, no exceptions.
//
//===----------------------------------------------------------------------===//

#ifndef TINYPRUNE_RT_FULLY_CONNECTED_H
#define TINYPRUNE_RT_FULLY_CONNECTED_H

#include "tinyprune/rt/conv.h"
#include "tinyprune/rt/fixedpoint.h"

#include <cstddef>
#include <cstdint>

namespace tinyprune {
namespace rt {

/// One int8 fully-connected layer as the compiler lays it out for
/// fullyConnectedW16Int8: `n` inputs (a multiple of four), `outC` outputs
/// (a multiple of four), zero input offset (folded into `start`).
///
/// `weights` holds blocks of four outputs o..o+3; in a block, for each four
/// inputs i..i+3, eight words: for k < 4, (w[o+k][i], w[o+k][i+2]) and then
/// (w[o+k][i+1], w[o+k][i+3]) as int16 pairs (low half first), the lanes
/// of SXTB16 and SXTB16 ROR #8 of the input word. `start` is the bias with
/// the input zero point's share folded in, `q` the prepared right-shift
/// multipliers (prepareRightShiftMultiplier), both per output.
struct FullyConnectedW16Int8 {
  const int32_t *weights;
  const int32_t *start;
  const RightShiftMultiplier *q;
  int32_t n, outC;
  int32_t outputZeroPoint, actMin, actMax;
};

#if TINYPRUNE_RT_ARM_DSP && !defined(__ARM_BIG_ENDIAN)
/// Whether fullyConnectedW16Int8 exists (DSP cores); elsewhere such layers
/// take convPerChannelInt8 with the int8 weights.
#define TINYPRUNE_RT_FC_W16 1

namespace detail {
/// `a_k += sum(x[i] * w_k[i])` over the `n` (a positive multiple of four)
/// inputs from `x`, for the four outputs of one block of
/// FullyConnectedW16Int8::weights at `w`; returns the next block. Per four
/// inputs: one load and two SXTB16 of input, four LDRD and eight SMLAD,
/// 17 instructions for 16 MACs (GCC, at -O2, spilled the weight pointer
/// and loaded single words: 23).
TINYPRUNE_RT_ALWAYS_INLINE inline const int32_t *
dotW16Block1x4(const int8_t *x, int32_t n, const int32_t *w, int32_t &a0,
               int32_t &a1, int32_t &a2, int32_t &a3) {
#if TINYPRUNE_RT_ARM_ASM
  const int8_t *end = x + n;
  int32_t xq, x02, x13, wa, wb;
  // clang-format off
#define TINYPRUNE_RT_FC_STEP                                                   \
  "ldr    %[xq], [%[x]], #4\n\t"                                               \
  "sxtb16 %[x02], %[xq]\n\t"                                                   \
  "sxtb16 %[x13], %[xq], ror #8\n\t"                                           \
  "ldrd   %[wa], %[wb], [%[w]], #8\n\t"                                        \
  "smlad  %[a0], %[x02], %[wa], %[a0]\n\t"                                     \
  "smlad  %[a0], %[x13], %[wb], %[a0]\n\t"                                     \
  "ldrd   %[wa], %[wb], [%[w]], #8\n\t"                                        \
  "smlad  %[a1], %[x02], %[wa], %[a1]\n\t"                                     \
  "smlad  %[a1], %[x13], %[wb], %[a1]\n\t"                                     \
  "ldrd   %[wa], %[wb], [%[w]], #8\n\t"                                        \
  "smlad  %[a2], %[x02], %[wa], %[a2]\n\t"                                     \
  "smlad  %[a2], %[x13], %[wb], %[a2]\n\t"                                     \
  "ldrd   %[wa], %[wb], [%[w]], #8\n\t"                                        \
  "smlad  %[a3], %[x02], %[wa], %[a3]\n\t"                                     \
  "smlad  %[a3], %[x13], %[wb], %[a3]\n\t"
  // Two steps per iteration; an odd number of steps enters at the second.
  __asm__("tst    %[n], #4\n\t"
          "bne    2f\n"
          "1:\n\t" TINYPRUNE_RT_FC_STEP "\n"
          "2:\n\t" TINYPRUNE_RT_FC_STEP
          "cmp    %[x], %[end]\n\t"
          "bne    1b\n\t"
          : [a0] "+r"(a0), [a1] "+r"(a1), [a2] "+r"(a2), [a3] "+r"(a3),
            [x] "+r"(x), [w] "+r"(w), [xq] "=&r"(xq), [x02] "=&r"(x02),
            [x13] "=&r"(x13), [wa] "=&r"(wa), [wb] "=&r"(wb)
          : [n] "r"(n), [end] "r"(end)
          : "cc", "memory");
  // clang-format on
#undef TINYPRUNE_RT_FC_STEP
#else
  for (const int8_t *end = x + n; x != end; x += 4, w += 8) {
    const int32_t xq = loadInt8x4(x);
    const int32_t x02 = sxtbLanes02(xq);
    const int32_t x13 = sxtbLanes13(xq);
    a0 = __smlad(x02, w[0], a0);
    a0 = __smlad(x13, w[1], a0);
    a1 = __smlad(x02, w[2], a1);
    a1 = __smlad(x13, w[3], a1);
    a2 = __smlad(x02, w[4], a2);
    a2 = __smlad(x13, w[5], a2);
    a3 = __smlad(x02, w[6], a3);
    a3 = __smlad(x13, w[7], a3);
  }
#endif
  return w;
}
} // namespace detail

/// `y = requantize(start + W x)` for one input vector `x` of `l.n` int8
/// values, four outputs at a time (detail::dotW16Block1x4, then
/// OutputStage::store4 with the prepared multipliers).
TINYPRUNE_RT_HOT TINYPRUNE_RT_NOINLINE void
fullyConnectedW16Int8(const FullyConnectedW16Int8 &l, const int8_t *x,
                      int8_t *y) {
  const detail::OutputStage finish =
      detail::OutputStage::of(l.outputZeroPoint, l.actMin, l.actMax);
  const int32_t *w = l.weights;
  for (int32_t o = 0; o < l.outC; o += 4) {
    int32_t a0 = l.start[o], a1 = l.start[o + 1], a2 = l.start[o + 2],
            a3 = l.start[o + 3];
    w = detail::dotW16Block1x4(x, l.n, w, a0, a1, a2, a3);
    finish.store4(a0, a1, a2, a3, l.q + o, y + o);
  }
}
#else
#define TINYPRUNE_RT_FC_W16 0
#endif

} // namespace rt
} // namespace tinyprune

#endif // TINYPRUNE_RT_FULLY_CONNECTED_H
