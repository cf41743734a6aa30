//===- elementwise.h - Broadcasting add, sub, mul; requantize ---*- C++ -*-===//
//
// TFLite's ADD, SUB and MUL for int8 and float32 with numpy broadcasting,
// and the core of its int8 requantization (REQUANTIZE, and the clamp
// TFLite's RELU/RELU6/RELU_N1_TO_1 apply when rescaling), bit for bit.
//
// int8 ADD and SUB (reference_integer_ops::Add, reference_ops's quantized
// Sub) bring both inputs to a common scale with 20 bits of headroom: each
// offset input is shifted left by `leftShift` = 20, rescaled by a
// multiplier below one relative to twice the larger input scale, the two
// are added or subtracted, and the sum is rescaled to the output. int8
// MUL multiplies the offset inputs exactly and rescales the product once
// by `s1 * s2 / sOut`.
//
// Shapes have equal rank (at most 6; pad the smaller one with leading 1s)
// and every input dimension either equals the output's or is 1, which
// broadcasts it. Adjacent dimensions that broadcast alike are merged first,
// so a bias add over the channels runs as one long inner loop per pixel
// and a same-shape add as a single flat loop. The element order of the
// result does not affect any value: every element is computed alone.
//
// The kernels run on the device (no libm, no heap, no exceptions). The
// prepare functions run on the host and are compiled out when
// TINYPRUNE_RT_DEVICE_ONLY is defined.
//
//===----------------------------------------------------------------------===//

#ifndef TINYPRUNE_RT_ELEMENTWISE_H
#define TINYPRUNE_RT_ELEMENTWISE_H

#include "tinyprune/rt/conv_blocks.h"
#include "tinyprune/rt/fixedpoint.h"

#include <cstddef>
#include <cstdint>

#ifndef TINYPRUNE_RT_DEVICE_ONLY
#include "tinyprune/rt/quant_params.h"
#endif

namespace tinyprune {
namespace rt {

/// Largest rank the broadcasting kernels accept (TFLite's 6-D broadcast).
constexpr int32_t kMaxElementwiseRank = 6;

/// Parameters of int8 ADD and SUB (the int8 part of TFLite's
/// ArithmeticParams). Multipliers follow TFLite's convention; prepareAddInt8
/// and prepareSubInt8 produce shifts <= 0 for every valid scale.
struct AddInt8Params {
  /// `-zp1`, `-zp2` and `+zpOut`.
  int32_t input1Offset, input2Offset, outputOffset;
  /// Headroom bits of the common scale: 20 for int8.
  int32_t leftShift;
  int32_t input1Multiplier, input1Shift;
  int32_t input2Multiplier, input2Shift;
  int32_t outputMultiplier, outputShift;
  int32_t actMin, actMax;
};

/// Parameters of int8 MUL.
struct MulInt8Params {
  /// `-zp1`, `-zp2` and `+zpOut`.
  int32_t input1Offset, input2Offset, outputOffset;
  /// `s1 * s2 / sOut` in TFLite's convention.
  int32_t outputMultiplier, outputShift;
  int32_t actMin, actMax;
};

namespace detail {

/// A broadcast reduced to `kMaxElementwiseRank` dimensions, outermost
/// first, with unit dimensions in front and element strides of the inputs
/// (0 along broadcast dimensions).
struct BroadcastLoops {
  int32_t extent[kMaxElementwiseRank];
  ptrdiff_t stride1[kMaxElementwiseRank];
  ptrdiff_t stride2[kMaxElementwiseRank];
};

/// Drops output dimensions of size 1, merges neighbours that both inputs
/// broadcast alike, and right-aligns the result.
inline BroadcastLoops planBroadcast(int32_t rank, const int32_t *shape1,
                                    const int32_t *shape2,
                                    const int32_t *outShape) {
  // Merged dimensions, innermost first.
  int32_t extent[kMaxElementwiseRank];
  bool full1[kMaxElementwiseRank], full2[kMaxElementwiseRank];
  int32_t n = 0;
  for (int32_t d = rank - 1; d >= 0; --d) {
    if (outShape[d] == 1)
      continue;
    const bool f1 = shape1[d] != 1;
    const bool f2 = shape2[d] != 1;
    if (n > 0 && full1[n - 1] == f1 && full2[n - 1] == f2) {
      extent[n - 1] *= outShape[d];
    } else {
      extent[n] = outShape[d];
      full1[n] = f1;
      full2[n] = f2;
      ++n;
    }
  }

  BroadcastLoops loops;
  ptrdiff_t size1 = 1, size2 = 1;
  for (int32_t i = 0; i < kMaxElementwiseRank; ++i) {
    const int32_t slot = kMaxElementwiseRank - 1 - i;
    if (i < n) {
      loops.extent[slot] = extent[i];
      loops.stride1[slot] = full1[i] ? size1 : 0;
      loops.stride2[slot] = full2[i] ? size2 : 0;
      size1 *= full1[i] ? extent[i] : 1;
      size2 *= full2[i] ? extent[i] : 1;
    } else {
      loops.extent[slot] = 1;
      loops.stride1[slot] = 0;
      loops.stride2[slot] = 0;
    }
  }
  return loops;
}

/// `out[i] = op(in1[j], in2[k])` over the broadcast output, row-major.
template <typename T, typename Op>
inline void broadcastBinary(int32_t rank, const int32_t *shape1, const T *in1,
                            const int32_t *shape2, const T *in2,
                            const int32_t *outShape, T *out, Op op) {
  const BroadcastLoops l = planBroadcast(rank, shape1, shape2, outShape);
  const ptrdiff_t s1 = l.stride1[5], s2 = l.stride2[5];
  for (int32_t i0 = 0; i0 < l.extent[0]; ++i0) {
    for (int32_t i1 = 0; i1 < l.extent[1]; ++i1) {
      for (int32_t i2 = 0; i2 < l.extent[2]; ++i2) {
        for (int32_t i3 = 0; i3 < l.extent[3]; ++i3) {
          for (int32_t i4 = 0; i4 < l.extent[4]; ++i4) {
            const T *a = in1 + i0 * l.stride1[0] + i1 * l.stride1[1] +
                         i2 * l.stride1[2] + i3 * l.stride1[3] +
                         i4 * l.stride1[4];
            const T *b = in2 + i0 * l.stride2[0] + i1 * l.stride2[1] +
                         i2 * l.stride2[2] + i3 * l.stride2[3] +
                         i4 * l.stride2[4];
            for (int32_t i5 = 0; i5 < l.extent[5]; ++i5)
              out[i5] = op(a[i5 * s1], b[i5 * s2]);
            out += l.extent[5];
          }
        }
      }
    }
  }
}

/// One input of int8 ADD/SUB on the common scale: `(x - zp) * 2^leftShift`
/// (at most 255 * 2^20 in magnitude, exact) times the input's multiplier.
/// TFLite applies MultiplyByQuantizedMultiplierSmallerThanOneExp, which is
/// multiplyByQuantizedMultiplier for the non-positive shifts it allows.
inline int32_t addScaleInput(int8_t x, int32_t offset, int32_t leftShift,
                             int32_t multiplier, int32_t shift) {
  const int32_t shifted = (offset + x) * (1 << leftShift);
  return multiplyByQuantizedMultiplier(shifted, multiplier, shift);
}

/// The output half of int8 ADD/SUB: rescale the raw sum, offset, clamp.
inline int8_t addRescaleOutput(const AddInt8Params &p, int32_t raw) {
  const int32_t scaled =
      multiplyByQuantizedMultiplier(raw, p.outputMultiplier, p.outputShift) +
      p.outputOffset;
  return static_cast<int8_t>(clamp(scaled, p.actMin, p.actMax));
}

/// addScaleInput prepared once per layer (the fast path of addInt8 and
/// subInt8): `(x + offset) * 2^shift` times a multiplier with a right shift
/// n in [0, 31], as one 64-bit multiply-accumulate. For n >= 1 it is
/// applyRightShiftMultiplier of the shifted input. For n = 0 TFLite's
/// result is saturatingRoundingDoublingHighMul alone, floor((v + 2^30) /
/// 2^31) with v = x * m (it cannot saturate: |x| < 2^31 - 1); the input is
/// shifted one bit further (|x| <= 255 * 2^(leftShift + 1) stays in int32
/// for leftShift <= 22) so the same high word, with rounding 2^31 and no
/// sign correction, is floor((2v + 2^31) / 2^32).
struct AddInputScale {
  RightShiftMultiplier q;
  int32_t offset, shift;
  uint32_t signMask;

  /// Whether the fast path applies: a non-negative multiplier with a shift
  /// in [-31, 0] (TFLite's input multipliers are below one) and headroom
  /// that keeps the shifted input in int32.
  static bool fits(int32_t multiplier, int32_t shift, int32_t leftShift) {
    return multiplier >= 0 && shift <= 0 && shift >= -31 && leftShift >= 0 &&
           leftShift <= 22;
  }
  static AddInputScale of(int32_t offset, int32_t leftShift, int32_t multiplier,
                          int32_t shift) {
    AddInputScale s;
    s.offset = offset;
    if (shift == 0 && multiplier != 0) {
      s.q.rounding = int64_t(1) << 31;
      s.q.multiplier = multiplier;
      s.q.highShift = 0;
      s.shift = leftShift + 1;
      s.signMask = 0;
    } else {
      s.q = prepareRightShiftMultiplier(multiplier, shift);
      s.shift = leftShift;
      s.signMask = 0x80000000u;
    }
    return s;
  }
  TINYPRUNE_RT_ALWAYS_INLINE int32_t operator()(int32_t x) const {
    const int32_t shifted = static_cast<int32_t>(
        static_cast<uint32_t>(x + offset) << static_cast<uint32_t>(shift));
    const int64_t v =
        static_cast<int64_t>(shifted) * q.multiplier + q.rounding -
        static_cast<int64_t>(static_cast<uint32_t>(shifted) & signMask);
    return static_cast<int32_t>(v >> 32) >> q.highShift;
  }
};

/// Same-shape int8 ADD (`sign` = 1) or SUB (`sign` = -1) over `size`
/// elements with every multiplier prepared once: true when it ran, false
/// when a multiplier falls outside the prepared forms (AddInputScale::fits
/// for the inputs, a right shift for the output), which the broadcasting
/// path then computes. About 30 instructions per element on Cortex-M4
/// against 160 for the general multiplyByQuantizedMultiplier.
TINYPRUNE_RT_NOINLINE bool addSameShapeInt8(const AddInt8Params &p,
                                            int32_t sign, ptrdiff_t size,
                                            const int8_t *in1,
                                            const int8_t *in2, int8_t *out) {
  if (!AddInputScale::fits(p.input1Multiplier, p.input1Shift, p.leftShift) ||
      !AddInputScale::fits(p.input2Multiplier, p.input2Shift, p.leftShift) ||
      !isRightShiftMultiplier(p.outputMultiplier, p.outputShift))
    return false;
  const AddInputScale s1 = AddInputScale::of(p.input1Offset, p.leftShift,
                                             p.input1Multiplier, p.input1Shift);
  const AddInputScale s2 = AddInputScale::of(p.input2Offset, p.leftShift,
                                             p.input2Multiplier, p.input2Shift);
  const RightShiftMultiplier qOut =
      prepareRightShiftMultiplier(p.outputMultiplier, p.outputShift);
  const bool narrow = p.actMin > -128 || p.actMax < 127;
  for (ptrdiff_t i = 0; i < size; ++i) {
    const int32_t x = s1(in1[i]), y = s2(in2[i]);
    int32_t v =
        saturateInt8(applyRightShiftMultiplier(sign > 0 ? x + y : x - y, qOut) +
                     p.outputOffset);
    if (narrow)
      v = clamp(v, p.actMin, p.actMax);
    out[i] = static_cast<int8_t>(v);
  }
  return true;
}

/// The number of elements when both inputs have the output's shape, else
/// -1 (a broadcast).
inline ptrdiff_t sameShapeSize(int32_t rank, const int32_t *shape1,
                               const int32_t *shape2, const int32_t *outShape) {
  ptrdiff_t size = 1;
  for (int32_t d = 0; d < rank; ++d) {
    if (shape1[d] != outShape[d] || shape2[d] != outShape[d])
      return -1;
    size *= outShape[d];
  }
  return size;
}

} // namespace detail

/// A same-shape int8 ADD or SUB whose inputs' rescaling the compiler has
/// tabulated: `table1[x + 128]` is detail::AddInputScale of input 1 for
/// every int8 value x (what addSameShapeInt8 computes per element), and
/// `table2` the same for input 2, negated for a SUB; `q` is the output's
/// prepared right-shift multiplier.
struct AddTableInt8 {
  const int32_t *table1, *table2;
  RightShiftMultiplier q;
  int32_t outputOffset, actMin, actMax;
};

/// `out[i] = requantize(table1[in1[i]] + table2[in2[i]])` over `size`
/// elements: two table loads instead of two 64-bit rescalings per element,
/// the same results as addInt8 / subInt8. The tables take 2 KB of flash
/// per layer. `out` may be `in1` or `in2`.
TINYPRUNE_RT_HOT TINYPRUNE_RT_NOINLINE void
addTableInt8(const AddTableInt8 &t, ptrdiff_t size, const int8_t *in1,
             const int8_t *in2, int8_t *out) {
  const int32_t *t1 = t.table1 + 128, *t2 = t.table2 + 128;
  const bool narrow = t.actMin > -128 || t.actMax < 127;
#if TINYPRUNE_RT_ARM_ASM
  if (!narrow && size > 0) {
    // 17 instructions per element (GCC at -O2 spilled the table pointers
    // and spent 28): the rounding constant and the output offset are
    // loaded from `t` each time, the registers being taken.
    static_assert(offsetof(AddTableInt8, q) == 8 &&
                      offsetof(RightShiftMultiplier, rounding) == 0 &&
                      offsetof(AddTableInt8, outputOffset) == 24,
                  "the layout addTableInt8's assembly assumes");
    const int8_t *end = out + size;
    int32_t a, b, lo, hi;
    __asm__ volatile(
        "1:\n\t"
        "ldrsb  %[a], [%[x]], #1\n\t"
        "ldrsb  %[b], [%[y]], #1\n\t"
        "ldr    %[a], [%[t1], %[a], lsl #2]\n\t"
        "ldr    %[b], [%[t2], %[b], lsl #2]\n\t"
        "add    %[a], %[a], %[b]\n\t"
        "ldrd   %[lo], %[hi], [%[t], #8]\n\t"
        "smlal  %[lo], %[hi], %[a], %[m]\n\t"
        "and    %[b], %[a], #0x80000000\n\t"
        "subs   %[lo], %[lo], %[b]\n\t"
        "sbc    %[hi], %[hi], #0\n\t"
        "asr    %[hi], %[hi], %[s]\n\t"
        "ldr    %[b], [%[t], #24]\n\t"
        "add    %[hi], %[hi], %[b]\n\t"
        "ssat   %[hi], #8, %[hi]\n\t"
        "strb   %[hi], [%[out]], #1\n\t"
        "cmp    %[out], %[end]\n\t"
        "bne    1b\n\t"
        : [a] "=&r"(a), [b] "=&r"(b), [lo] "=&r"(lo), [hi] "=&r"(hi),
          [x] "+r"(in1), [y] "+r"(in2), [out] "+r"(out)
        : [t1] "r"(t1), [t2] "r"(t2), [t] "r"(&t), [m] "r"(t.q.multiplier),
          [s] "r"(t.q.highShift), [end] "r"(end)
        : "cc", "memory");
    return;
  }
#endif
  const RightShiftMultiplier q = t.q;
  const int32_t offset = t.outputOffset;
  for (ptrdiff_t i = 0; i < size; ++i) {
    int32_t v = saturateInt8(
        applyRightShiftMultiplier(t1[in1[i]] + t2[in2[i]], q) + offset);
    if (narrow)
      v = clamp(v, t.actMin, t.actMax);
    out[i] = static_cast<int8_t>(v);
  }
}

/// int8 ADD with broadcasting, TFLite's reference_integer_ops::Add and
/// BroadcastAdd6DSlow. Same-shape adds (residual connections) take
/// detail::addSameShapeInt8.
inline void addInt8(const AddInt8Params &p, int32_t rank, const int32_t *shape1,
                    const int8_t *in1, const int32_t *shape2, const int8_t *in2,
                    const int32_t *outShape, int8_t *out) {
  const ptrdiff_t size = detail::sameShapeSize(rank, shape1, shape2, outShape);
  if (size >= 0 && detail::addSameShapeInt8(p, 1, size, in1, in2, out))
    return;
  detail::broadcastBinary(
      rank, shape1, in1, shape2, in2, outShape, out, [&p](int8_t a, int8_t b) {
        const int32_t x = detail::addScaleInput(
            a, p.input1Offset, p.leftShift, p.input1Multiplier, p.input1Shift);
        const int32_t y = detail::addScaleInput(
            b, p.input2Offset, p.leftShift, p.input2Multiplier, p.input2Shift);
        return detail::addRescaleOutput(p, x + y);
      });
}

/// int8 SUB with broadcasting, TFLite's quantized reference Sub
/// (SubElementwise and BroadcastQuantSubSlow): ADD with the second scaled
/// input subtracted. Use prepareSubInt8 for its parameters.
inline void subInt8(const AddInt8Params &p, int32_t rank, const int32_t *shape1,
                    const int8_t *in1, const int32_t *shape2, const int8_t *in2,
                    const int32_t *outShape, int8_t *out) {
  const ptrdiff_t size = detail::sameShapeSize(rank, shape1, shape2, outShape);
  if (size >= 0 && detail::addSameShapeInt8(p, -1, size, in1, in2, out))
    return;
  detail::broadcastBinary(
      rank, shape1, in1, shape2, in2, outShape, out, [&p](int8_t a, int8_t b) {
        const int32_t x = detail::addScaleInput(
            a, p.input1Offset, p.leftShift, p.input1Multiplier, p.input1Shift);
        const int32_t y = detail::addScaleInput(
            b, p.input2Offset, p.leftShift, p.input2Multiplier, p.input2Shift);
        return detail::addRescaleOutput(p, x - y);
      });
}

/// int8 MUL with broadcasting, TFLite's reference_integer_ops::Mul and
/// BroadcastMul6DSlow. The product of the offset inputs is at most 255^2
/// in magnitude, exact in int32.
inline void mulInt8(const MulInt8Params &p, int32_t rank, const int32_t *shape1,
                    const int8_t *in1, const int32_t *shape2, const int8_t *in2,
                    const int32_t *outShape, int8_t *out) {
  detail::broadcastBinary(
      rank, shape1, in1, shape2, in2, outShape, out, [&p](int8_t a, int8_t b) {
        const int32_t product = (p.input1Offset + a) * (p.input2Offset + b);
        const int32_t scaled = multiplyByQuantizedMultiplier(
                                   product, p.outputMultiplier, p.outputShift) +
                               p.outputOffset;
        return static_cast<int8_t>(clamp(scaled, p.actMin, p.actMax));
      });
}

namespace detail {

/// A float binary op with broadcasting, clamped to [actMin, actMax] as
/// TFLite's ActivationFunctionWithMinMax does (a NaN passes through).
template <typename Op>
inline void floatBinary(float actMin, float actMax, int32_t rank,
                        const int32_t *shape1, const float *in1,
                        const int32_t *shape2, const float *in2,
                        const int32_t *outShape, float *out, Op op) {
  broadcastBinary(rank, shape1, in1, shape2, in2, outShape, out,
                  [actMin, actMax, op](float a, float b) {
                    float r = op(a, b);
                    r = r < actMin ? actMin : r;
                    return actMax < r ? actMax : r;
                  });
}

} // namespace detail

/// float32 ADD with broadcasting: `clamp(a + b)`, TFLite's reference Add.
inline void addFloat(float actMin, float actMax, int32_t rank,
                     const int32_t *shape1, const float *in1,
                     const int32_t *shape2, const float *in2,
                     const int32_t *outShape, float *out) {
  detail::floatBinary(actMin, actMax, rank, shape1, in1, shape2, in2, outShape,
                      out, [](float a, float b) { return a + b; });
}

/// float32 SUB with broadcasting: `clamp(a - b)`.
inline void subFloat(float actMin, float actMax, int32_t rank,
                     const int32_t *shape1, const float *in1,
                     const int32_t *shape2, const float *in2,
                     const int32_t *outShape, float *out) {
  detail::floatBinary(actMin, actMax, rank, shape1, in1, shape2, in2, outShape,
                      out, [](float a, float b) { return a - b; });
}

/// float32 MUL with broadcasting: `clamp(a * b)`.
inline void mulFloat(float actMin, float actMax, int32_t rank,
                     const int32_t *shape1, const float *in1,
                     const int32_t *shape2, const float *in2,
                     const int32_t *outShape, float *out) {
  detail::floatBinary(actMin, actMax, rank, shape1, in1, shape2, in2, outShape,
                      out, [](float a, float b) { return a * b; });
}

namespace detail {

/// An int32 binary op with broadcasting, computed on uint32 so that it
/// wraps around in two's complement instead of overflowing.
template <typename Op>
inline void int32Binary(int32_t rank, const int32_t *shape1, const int32_t *in1,
                        const int32_t *shape2, const int32_t *in2,
                        const int32_t *outShape, int32_t *out, Op op) {
  broadcastBinary(rank, shape1, in1, shape2, in2, outShape, out,
                  [op](int32_t a, int32_t b) {
                    return static_cast<int32_t>(
                        op(static_cast<uint32_t>(a), static_cast<uint32_t>(b)));
                  });
}

} // namespace detail

/// int32 ADD, SUB and MUL with broadcasting: TFLite's int32 kernels, with
/// two's-complement wrap-around where C++ would overflow (TOSA's and the
/// interpreter's semantics; TFLite leaves overflow undefined). TFLite
/// allows no fused activation on int32.
inline void addInt32(int32_t rank, const int32_t *shape1, const int32_t *in1,
                     const int32_t *shape2, const int32_t *in2,
                     const int32_t *outShape, int32_t *out) {
  detail::int32Binary(rank, shape1, in1, shape2, in2, outShape, out,
                      [](uint32_t a, uint32_t b) { return a + b; });
}

inline void subInt32(int32_t rank, const int32_t *shape1, const int32_t *in1,
                     const int32_t *shape2, const int32_t *in2,
                     const int32_t *outShape, int32_t *out) {
  detail::int32Binary(rank, shape1, in1, shape2, in2, outShape, out,
                      [](uint32_t a, uint32_t b) { return a - b; });
}

inline void mulInt32(int32_t rank, const int32_t *shape1, const int32_t *in1,
                     const int32_t *shape2, const int32_t *in2,
                     const int32_t *outShape, int32_t *out) {
  detail::int32Binary(rank, shape1, in1, shape2, in2, outShape, out,
                      [](uint32_t a, uint32_t b) { return a * b; });
}

/// int8 to int8 requantization, `clamp(MBQM(x - inZp, m, s) + outZp)`:
/// TFLite's reference Requantize for int8 (with actMin/actMax = -128/127)
/// and the integer core of its quantized RELU, RELU6 and RELU_N1_TO_1
/// (with the activation's clamp). TFLite's int8<->uint8 shortcut does not
/// apply to int8 to int8.
inline void requantizeInt8(int32_t size, const int8_t *in, int32_t inZp,
                           int32_t multiplier, int32_t shift, int32_t outZp,
                           int32_t actMin, int32_t actMax, int8_t *out) {
  for (int32_t i = 0; i < size; ++i) {
    const int32_t scaled =
        multiplyByQuantizedMultiplier(static_cast<int32_t>(in[i]) - inZp,
                                      multiplier, shift) +
        outZp;
    out[i] = static_cast<int8_t>(clamp(scaled, actMin, actMax));
  }
}

#ifndef TINYPRUNE_RT_DEVICE_ONLY
//===----------------------------------------------------------------------===//
// Host-side preparation (not for the device)
//===----------------------------------------------------------------------===//

namespace detail {

inline AddInt8Params makeAddInt8Params(double real1, double real2,
                                       double realOut, int32_t zp1, int32_t zp2,
                                       int32_t zpOut, int32_t actMin,
                                       int32_t actMax) {
  const QuantizedMultiplier m1 = quantizeMultiplier(real1);
  const QuantizedMultiplier m2 = quantizeMultiplier(real2);
  const QuantizedMultiplier mOut = quantizeMultiplier(realOut);
  AddInt8Params p{};
  p.input1Offset = -zp1;
  p.input2Offset = -zp2;
  p.outputOffset = zpOut;
  p.leftShift = 20;
  p.input1Multiplier = m1.multiplier;
  p.input1Shift = m1.exponent;
  p.input2Multiplier = m2.multiplier;
  p.input2Shift = m2.exponent;
  p.outputMultiplier = mOut.multiplier;
  p.outputShift = mOut.exponent;
  p.actMin = actMin;
  p.actMax = actMax;
  return p;
}

} // namespace detail

/// Host only. ADD's Prepare for int8 (TFLite Micro's CalculateOpDataAdd),
/// in double precision: with `twice_max = 2 * max(s1, s2)`, the input
/// multipliers are `s1 / twice_max` and `s2 / twice_max` and the output
/// multiplier `twice_max / (2^20 * sOut)`. TFLite requires the output
/// multiplier to be below one (sOut > twice_max / 2^20, true of any real
/// model); beyond that this returns a positive shift where TFLite fails.
inline AddInt8Params prepareAddInt8(float s1, int32_t zp1, float s2,
                                    int32_t zp2, float sOut, int32_t zpOut,
                                    int32_t actMin, int32_t actMax) {
  const double twiceMax = 2 * static_cast<double>(s1 > s2 ? s1 : s2);
  return detail::makeAddInt8Params(
      static_cast<double>(s1) / twiceMax, static_cast<double>(s2) / twiceMax,
      twiceMax / ((1 << 20) * static_cast<double>(sOut)), zp1, zp2, zpOut,
      actMin, actMax);
}

/// Host only. SUB's Prepare for int8 (TFLite Micro's CalculateOpDataSub).
/// The formulas are ADD's, but TFLite evaluates them in float32 and only
/// then widens to double, which changes some multipliers in their last
/// bits (s1 = 0.03, s2 = 0.02 gives 1431655808 for the second input where
/// ADD's double arithmetic gives 1431655765), so SUB needs its own
/// preparation to stay bit-exact.
inline AddInt8Params prepareSubInt8(float s1, int32_t zp1, float s2,
                                    int32_t zp2, float sOut, int32_t zpOut,
                                    int32_t actMin, int32_t actMax) {
  // Each step rounds to float, as TFLite's float variables do (a named
  // float drops any wider evaluation precision).
  const float twiceMax = 2 * (s1 > s2 ? s1 : s2);
  const float real1 = s1 / twiceMax;
  const float real2 = s2 / twiceMax;
  const float realOut = twiceMax / ((1 << 20) * sOut);
  return detail::makeAddInt8Params(real1, real2, realOut, zp1, zp2, zpOut,
                                   actMin, actMax);
}

/// Host only. MUL's Prepare for int8 (TFLite Micro's CalculateOpDataMul):
/// the output multiplier is `s1 * s2 / sOut` computed in double.
inline MulInt8Params prepareMulInt8(float s1, int32_t zp1, float s2,
                                    int32_t zp2, float sOut, int32_t zpOut,
                                    int32_t actMin, int32_t actMax) {
  const QuantizedMultiplier m =
      quantizeMultiplier(static_cast<double>(s1) * static_cast<double>(s2) /
                         static_cast<double>(sOut));
  MulInt8Params p{};
  p.input1Offset = -zp1;
  p.input2Offset = -zp2;
  p.outputOffset = zpOut;
  p.outputMultiplier = m.multiplier;
  p.outputShift = m.exponent;
  p.actMin = actMin;
  p.actMax = actMax;
  return p;
}
#endif // TINYPRUNE_RT_DEVICE_ONLY

/// int8 LEAKY_RELU, TFLite's QuantizeLeakyRelu: `x - inZp` is requantized
/// with the identity multiplier when non-negative, with the alpha
/// multiplier otherwise, then offset and saturated to int8.
inline void leakyReluInt8(int32_t size, const int8_t *in, int32_t inZp,
                          int32_t identityMultiplier, int32_t identityShift,
                          int32_t alphaMultiplier, int32_t alphaShift,
                          int32_t outZp, int8_t *out) {
  for (int32_t i = 0; i < size; ++i) {
    const int32_t v = static_cast<int32_t>(in[i]) - inZp;
    const int32_t scaled =
        v >= 0 ? multiplyByQuantizedMultiplier(v, identityMultiplier,
                                               identityShift)
               : multiplyByQuantizedMultiplier(v, alphaMultiplier, alphaShift);
    out[i] = static_cast<int8_t>(clamp(scaled + outZp, -128, 127));
  }
}

/// float32 LEAKY_RELU: `x > 0 ? x : x * alpha`.
inline void leakyReluFloat(int32_t size, const float *in, float alpha,
                           float *out) {
  for (int32_t i = 0; i < size; ++i)
    out[i] = in[i] > 0.0f ? in[i] : in[i] * alpha;
}

} // namespace rt
} // namespace tinyprune

#endif // TINYPRUNE_RT_ELEMENTWISE_H
