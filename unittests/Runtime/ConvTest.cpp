//===- ConvTest.cpp - NHWC 2-D convolution --------------------------------===//
//
// Checks conv.h:
//  * hand-computed outputs: a plain valid convolution, SAME padding with a
//    non-zero input zero point (padding must act as the zero point, and
//    clipped windows must subtract the zero point only for their in-bounds
//    taps), stride with dilation, per-channel multipliers with left and
//    right shifts (including TFLite's rounding of ties), the activation
//    clamp, a null bias, and the largest accumulators int8 data can make;
//  * random shapes, strides, dilations, paddings (some windows entirely in
//    the padding), zero points, biases and per-channel multipliers against
//    a straight seven-deep loop that accumulates `w * (x - zp)` in int64
//    exactly as TFLite's ConvPerChannel does, then requantizes: outputs
//    must be byte-identical;
//  * the fast paths (taken when every multiplier is a right shift) on the
//    shapes they specialise: pointwise and fully-connected blocks, pairs
//    of windows inside the input with padding, strides, dilation and odd
//    counts of pixels and channels, small first-layer filters copied into
//    patches; and the same layers with one left-shifting channel, which
//    must take the general path;
//  * the float kernel against the same loop in float, bitwise (both add
//    the products in TFLite's order).
//
// The Cortex-M DSP paths are not compiled on the host; test/mcu runs the
// same kind of random cases on the devices (kernel_check.cpp).
//
//===----------------------------------------------------------------------===//

#include "tinyprune/rt/conv.h"

#include "TestRandom.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <random>
#include <vector>

using namespace tinyprune::rt;

namespace {

/// multiplier 2^30 with shift 1 is exactly x1.0; shift 0 is x0.5.
constexpr int32_t kHalfQ31 = 1 << 30;

ConvInt8Params int8Params(int32_t stride, int32_t dilation, int32_t padTop,
                          int32_t padLeft, int32_t inZp = 0, int32_t outZp = 0,
                          int32_t actMin = -128, int32_t actMax = 127) {
  return ConvInt8Params{stride,  stride, dilation, dilation, padTop,
                        padLeft, inZp,   outZp,    actMin,   actMax};
}

/// Runs the int8 kernel on one batch and returns the output.
std::vector<int8_t>
runInt8(const ConvInt8Params &p, const std::vector<int32_t> &mult,
        const std::vector<int32_t> &shift, int32_t inH, int32_t inW,
        int32_t inC, const std::vector<int8_t> &in, int32_t outC, int32_t kH,
        int32_t kW, const std::vector<int8_t> &filter, const int32_t *bias,
        int32_t outH, int32_t outW) {
  std::vector<int8_t> out(static_cast<size_t>(outH * outW * outC), 99);
  convPerChannelInt8(p, mult.data(), shift.data(), 1, inH, inW, inC, in.data(),
                     outC, kH, kW, filter.data(), bias, outH, outW, out.data());
  return out;
}

TEST(ConvInt8, ValidConvolutionWithBiasAndOutputZeroPoint) {
  // 3x3 input 1..9, 2x2 filter {1, 2, 3, 4}: window sums 37, 47, 67, 77.
  const std::vector<int8_t> in = {1, 2, 3, 4, 5, 6, 7, 8, 9};
  const std::vector<int8_t> filter = {1, 2, 3, 4};
  const int32_t bias = 3;
  EXPECT_EQ(runInt8(int8Params(1, 1, 0, 0, 0, -10), {kHalfQ31}, {1}, 3, 3, 1,
                    in, 1, 2, 2, filter, &bias, 2, 2),
            std::vector<int8_t>({30, 40, 60, 70}));
  // Relu6-like clamp to [-5, 45] in the output domain.
  EXPECT_EQ(runInt8(int8Params(1, 1, 0, 0, 0, -10, -5, 45), {kHalfQ31}, {1}, 3,
                    3, 1, in, 1, 2, 2, filter, &bias, 2, 2),
            std::vector<int8_t>({30, 40, 45, 45}));
  // A null bias is a zero bias.
  EXPECT_EQ(runInt8(int8Params(1, 1, 0, 0), {kHalfQ31}, {1}, 3, 3, 1, in, 1, 2,
                    2, filter, nullptr, 2, 2),
            std::vector<int8_t>({37, 47, 67, 77}));
}

TEST(ConvInt8, PaddingActsAsTheInputZeroPoint) {
  // 2x2 input stored as zp + {1, 2, 3, 4} with zp = 3; 3x3 filters, SAME
  // padding (1 each side). Every window covers the whole input.
  const std::vector<int8_t> in = {4, 5, 6, 7};
  // Channel 0: all ones -> 1 + 2 + 3 + 4 = 10 everywhere. Channel 1:
  // weights 1..9; each corner window sees a different 2x2 corner of it.
  std::vector<int8_t> filter(18, 1);
  for (int i = 0; i < 9; ++i)
    filter[9 + i] = static_cast<int8_t>(i + 1);
  // Channel 1 at x0.5, rounding ties up: 77 -> 39, 67 -> 34, 47 -> 24,
  // 37 -> 19 (top-left output sees weights 5, 6, 8, 9, and so on).
  const std::vector<int8_t> out =
      runInt8(int8Params(1, 1, 1, 1, 3), {kHalfQ31, kHalfQ31}, {1, 0}, 2, 2, 1,
              in, 2, 3, 3, filter, nullptr, 2, 2);
  EXPECT_EQ(out, std::vector<int8_t>({10, 39, 10, 34, 10, 24, 10, 19}));

  // An input equal to its zero point is real zero: only the bias remains,
  // however much of each window is padding.
  const std::vector<int8_t> zeros(4, 3);
  const int32_t bias[2] = {-20, 21};
  EXPECT_EQ(runInt8(int8Params(1, 1, 1, 1, 3), {kHalfQ31, kHalfQ31}, {1, 1}, 2,
                    2, 1, zeros, 2, 3, 3, filter, bias, 2, 2),
            std::vector<int8_t>({-20, 21, -20, 21, -20, 21, -20, 21}));
}

TEST(ConvInt8, WindowsEntirelyInPaddingGiveTheBias) {
  // 2x2 input, 2x2 filter of ones with dilation 2 (taps at offsets 0 and
  // 2), padding 3, 4x4 output: window origins run from -3 to 0, and an
  // origin of -3 puts both taps of that axis (-3, -1) in the padding.
  const std::vector<int8_t> in = {50, 60, 70, 80}; // zp -1: 51, 61, 71, 81
  const std::vector<int8_t> filter = {1, 1, 1, 1};
  const int32_t bias = 7;
  const std::vector<int8_t> out =
      runInt8(int8Params(1, 2, 3, 3, -1), {kHalfQ31}, {1}, 2, 2, 1, in, 1, 2, 2,
              filter, &bias, 4, 4);
  // Row 0 and column 0 see no input at all.
  for (int i = 0; i < 4; ++i) {
    EXPECT_EQ(out[i], 7) << "row 0, column " << i;
    EXPECT_EQ(out[i * 4], 7) << "column 0, row " << i;
  }
  // Origin (-2, -2) sees only input (0, 0); (-1, -1) only (1, 1);
  // (0, 0) only (0, 0) again; (-2, -1) only (0, 1).
  EXPECT_EQ(out[1 * 4 + 1], 7 + 51);
  EXPECT_EQ(out[2 * 4 + 2], 7 + 81);
  EXPECT_EQ(out[3 * 4 + 3], 7 + 51);
  EXPECT_EQ(out[1 * 4 + 2], 7 + 61);
}

TEST(ConvInt8, StrideAndDilation) {
  // 5x5 input v = 5y + x, 2x2 filter {1, 2, 3, 4} with dilation 2 (taps at
  // offsets 0 and 2), stride 2: out = 10 v(2oy, 2ox) + 82, times 0.5.
  std::vector<int8_t> in(25);
  for (int i = 0; i < 25; ++i)
    in[i] = static_cast<int8_t>(i);
  const std::vector<int8_t> filter = {1, 2, 3, 4};
  EXPECT_EQ(runInt8(int8Params(2, 2, 0, 0), {kHalfQ31}, {0}, 5, 5, 1, in, 1, 2,
                    2, filter, nullptr, 2, 2),
            std::vector<int8_t>({41, 51, 91, 101}));
}

TEST(ConvInt8, PerChannelShiftsOfBothSigns) {
  // 1x1 convolution of the single value 6 into four channels.
  const std::vector<int8_t> in = {6};
  const std::vector<int8_t> filter = {1, 1, -1, 1};
  const std::vector<int32_t> mult = {kHalfQ31, kHalfQ31, kHalfQ31,
                                     1431655765}; // ~2/3
  // x2 (left shift 2), x0.25 (right shift 1): 1.5 -> 2 and -1.5 -> -2
  // (ties away from zero), x4/3 (left shift 1): 8.
  const std::vector<int32_t> shift = {2, -1, -1, 1};
  EXPECT_EQ(runInt8(int8Params(1, 1, 0, 0), mult, shift, 1, 1, 1, in, 4, 1, 1,
                    filter, nullptr, 1, 1),
            std::vector<int8_t>({12, 2, -2, 8}));
}

//===----------------------------------------------------------------------===//
// Random cases against a straight loop
//===----------------------------------------------------------------------===//

struct Shape {
  int32_t batches, inH, inW, inC, outC, kH, kW, outH, outW;
  size_t inSize() const { return size_t(batches) * inH * inW * inC; }
  size_t filterSize() const { return size_t(outC) * kH * kW * inC; }
  size_t outSize() const { return size_t(batches) * outH * outW * outC; }
};

/// TFLite's ConvPerChannel accumulator plus bias, in int64, for every
/// output (NHWC order).
std::vector<int64_t> modelAcc(const ConvInt8Params &p, const Shape &s,
                              const std::vector<int8_t> &in,
                              const std::vector<int8_t> &filter,
                              const int32_t *bias) {
  std::vector<int64_t> acc(s.outSize());
  for (int b = 0; b < s.batches; ++b)
    for (int oy = 0; oy < s.outH; ++oy)
      for (int ox = 0; ox < s.outW; ++ox)
        for (int o = 0; o < s.outC; ++o) {
          int64_t a = 0;
          for (int ky = 0; ky < s.kH; ++ky)
            for (int kx = 0; kx < s.kW; ++kx)
              for (int c = 0; c < s.inC; ++c) {
                const int iy = oy * p.strideH - p.padTop + ky * p.dilationH;
                const int ix = ox * p.strideW - p.padLeft + kx * p.dilationW;
                if (iy < 0 || iy >= s.inH || ix < 0 || ix >= s.inW)
                  continue;
                const int64_t x =
                    in[((size_t(b) * s.inH + iy) * s.inW + ix) * s.inC + c];
                const int64_t w =
                    filter[((size_t(o) * s.kH + ky) * s.kW + kx) * s.inC + c];
                a += w * (x - p.inputZeroPoint);
              }
          if (bias)
            a += bias[o];
          acc[((size_t(b) * s.outH + oy) * s.outW + ox) * s.outC + o] = a;
        }
  return acc;
}

using tinyprune::testing::Random;

/// Random geometry; outH/outW are free (windows may lie wholly in padding
/// or fall short of the input's far edge, as TFLite allows).
Shape randomShape(Random &r, ConvInt8Params &p) {
  static const int32_t kChannels[] = {1, 2, 3, 4, 5, 7, 8, 9, 12, 16, 17};
  Shape s;
  s.batches = r(1, 2);
  s.inH = r(1, 8);
  s.inW = r(1, 8);
  s.inC = kChannels[r(0, 10)];
  s.outC = r(1, 5);
  s.kH = r(1, 4);
  s.kW = r(1, 4);
  s.outH = r(1, 7);
  s.outW = r(1, 7);
  p.strideH = r(1, 3);
  p.strideW = r(1, 3);
  p.dilationH = r(1, 3);
  p.dilationW = r(1, 3);
  p.padTop = r(0, (s.kH - 1) * p.dilationH + 1);
  p.padLeft = r(0, (s.kW - 1) * p.dilationW + 1);
  return s;
}

/// Per-channel multipliers that bring each channel's largest accumulator to
/// roughly 2^7 .. 2^9, so outputs spread over the int8 range and some clamp.
void pickMultipliers(Random &r, const Shape &s, const std::vector<int64_t> &acc,
                     std::vector<int32_t> &mult, std::vector<int32_t> &shift) {
  mult.assign(size_t(s.outC), 0);
  shift.assign(size_t(s.outC), 0);
  for (int o = 0; o < s.outC; ++o) {
    int64_t maxAbs = 1;
    for (size_t i = size_t(o); i < acc.size(); i += size_t(s.outC))
      maxAbs = std::max<int64_t>(maxAbs, acc[i] < 0 ? -acc[i] : acc[i]);
    const int bits = static_cast<int>(std::ceil(std::log2(double(maxAbs) + 1)));
    mult[size_t(o)] = r(kHalfQ31, INT32_MAX);
    shift[size_t(o)] = std::min(8 - bits + r(-1, 1), 20);
  }
}

TEST(ConvInt8, RandomCasesMatchStraightLoop) {
  Random r(20240611);
  int outputsChecked = 0, unclamped = 0;
  for (int trial = 0; trial < 400; ++trial) {
    ConvInt8Params p{};
    const Shape s = randomShape(r, p);
    p.inputZeroPoint = r(-128, 127);
    p.outputZeroPoint = r(-128, 127);
    p.actMin = -128;
    p.actMax = 127;
    if (r(0, 3) == 0) {
      p.actMin = r(-128, 20);
      p.actMax = r(p.actMin, 127);
    }

    std::vector<int8_t> in(s.inSize()), filter(s.filterSize());
    for (int8_t &v : in)
      v = static_cast<int8_t>(r(-128, 127));
    for (int8_t &v : filter)
      v = static_cast<int8_t>(r(-128, 127));
    std::vector<int32_t> bias(size_t(s.outC));
    for (int32_t &v : bias)
      v = r(-40000, 40000);
    const int32_t *biasPtr = r(0, 4) == 0 ? nullptr : bias.data();

    const std::vector<int64_t> acc = modelAcc(p, s, in, filter, biasPtr);
    std::vector<int32_t> mult, shift;
    pickMultipliers(r, s, acc, mult, shift);

    std::vector<int8_t> got(s.outSize(), 0x55);
    convPerChannelInt8(p, mult.data(), shift.data(), s.batches, s.inH, s.inW,
                       s.inC, in.data(), s.outC, s.kH, s.kW, filter.data(),
                       biasPtr, s.outH, s.outW, got.data());

    for (size_t i = 0; i < acc.size(); ++i) {
      ASSERT_GE(acc[i], INT32_MIN);
      ASSERT_LE(acc[i], INT32_MAX);
      const size_t o = i % size_t(s.outC);
      const int32_t scaled =
          multiplyByQuantizedMultiplier(static_cast<int32_t>(acc[i]), mult[o],
                                        shift[o]) +
          p.outputZeroPoint;
      const int32_t want = std::min(p.actMax, std::max(p.actMin, scaled));
      ASSERT_EQ(got[i], want) << "trial " << trial << " output " << i;
      ++outputsChecked;
      unclamped += (want > p.actMin && want < p.actMax) ? 1 : 0;
    }
  }
  // The multipliers must keep most outputs away from the clamp, or the
  // comparison would say little.
  EXPECT_GT(unclamped, outputsChecked / 2);
}

// The pointwise fast path (1x1, stride 1, unpadded, zero input offset:
// what the compiler emits for pointwise layers) against the straight loop,
// with odd and even channel counts so the paired loop and its tail both run.
TEST(ConvInt8, PointwiseFastPathMatchesStraightLoop) {
  Random r(777);
  static const int32_t kChannels[] = {1, 2, 3, 4, 5, 7, 8, 9, 16, 17, 64};
  for (int trial = 0; trial < 300; ++trial) {
    ConvInt8Params p{};
    Shape s;
    s.batches = r(1, 2);
    s.inH = s.outH = r(1, 6);
    s.inW = s.outW = r(1, 6);
    s.inC = kChannels[r(0, 10)];
    s.outC = kChannels[r(0, 10)];
    s.kH = s.kW = 1;
    p.strideH = p.strideW = p.dilationH = p.dilationW = 1;
    p.outputZeroPoint = r(-128, 127);
    p.actMin = -128;
    p.actMax = 127;
    std::vector<int8_t> in(s.inSize()), filter(s.filterSize());
    for (int8_t &v : in)
      v = static_cast<int8_t>(r(-128, 127));
    for (int8_t &v : filter)
      v = static_cast<int8_t>(r(-128, 127));
    std::vector<int32_t> bias(size_t(s.outC));
    for (int32_t &v : bias)
      v = r(-40000, 40000);
    const int32_t *biasPtr = r(0, 4) == 0 ? nullptr : bias.data();
    const std::vector<int64_t> acc = modelAcc(p, s, in, filter, biasPtr);
    std::vector<int32_t> mult, shift;
    pickMultipliers(r, s, acc, mult, shift);
    std::vector<int8_t> got(s.outSize(), 0x55);
    convPerChannelInt8(p, mult.data(), shift.data(), s.batches, s.inH, s.inW,
                       s.inC, in.data(), s.outC, 1, 1, filter.data(), biasPtr,
                       s.outH, s.outW, got.data());
    for (size_t i = 0; i < acc.size(); ++i) {
      const size_t o = i % size_t(s.outC);
      const int32_t want = std::min(
          127,
          std::max(-128, multiplyByQuantizedMultiplier(
                             static_cast<int32_t>(acc[i]), mult[o], shift[o]) +
                             p.outputZeroPoint));
      ASSERT_EQ(got[i], want) << "trial " << trial << " output " << i;
    }
  }
}

/// Random data, bias and right-shift multipliers (the fast paths' kind;
/// one channel in ten gets a zero multiplier, TFLite's flush of tiny
/// scales) for shape `s`; runs the kernel and checks every output against
/// the straight loop. With `leftShiftChannel` >= 0 that channel's shift
/// turns positive, which sends the whole layer down the general path.
void checkRandomLayer(Random &r, const ConvInt8Params &p, const Shape &s,
                      int leftShiftChannel, const char *what, int trial) {
  std::vector<int8_t> in(s.inSize()), filter(s.filterSize());
  for (int8_t &v : in)
    v = static_cast<int8_t>(r(-128, 127));
  for (int8_t &v : filter)
    v = static_cast<int8_t>(r(-128, 127));
  std::vector<int32_t> bias(size_t(s.outC));
  for (int32_t &v : bias)
    v = r(-40000, 40000);
  const int32_t *biasPtr = r(0, 4) == 0 ? nullptr : bias.data();
  const std::vector<int64_t> acc = modelAcc(p, s, in, filter, biasPtr);
  std::vector<int32_t> mult, shift;
  pickMultipliers(r, s, acc, mult, shift);
  for (int o = 0; o < s.outC; ++o) {
    shift[size_t(o)] = std::max(-31, std::min(shift[size_t(o)], -1));
    if (r(0, 9) == 0)
      mult[size_t(o)] = 0;
  }
  if (leftShiftChannel >= 0)
    shift[size_t(leftShiftChannel)] = 1;
  std::vector<int8_t> got(s.outSize() + 4, 0x55);
  convPerChannelInt8(p, mult.data(), shift.data(), s.batches, s.inH, s.inW,
                     s.inC, in.data(), s.outC, s.kH, s.kW, filter.data(),
                     biasPtr, s.outH, s.outW, got.data());
  for (size_t i = 0; i < acc.size(); ++i) {
    const size_t o = i % size_t(s.outC);
    const int32_t want =
        std::min(p.actMax, std::max(p.actMin, multiplyByQuantizedMultiplier(
                                                  static_cast<int32_t>(acc[i]),
                                                  mult[o], shift[o]) +
                                                  p.outputZeroPoint));
    ASSERT_EQ(got[i], want) << what << " trial " << trial << " output " << i;
  }
  for (size_t i = acc.size(); i < got.size(); ++i)
    ASSERT_EQ(got[i], 0x55) << what << " trial " << trial << " wrote past";
}

// The blocked fast path of 3x3 (and other small) convolutions: pairs of
// windows inside the input, odd and even counts of them per row (the last
// pair overlaps), odd output channel counts (the last pair overlaps or
// repeats its channel), channel counts that leave every remainder of the
// four-channel steps, SAME and VALID padding, strides 1 and 2, dilation,
// zero and non-zero input zero points, the activation clamp.
TEST(ConvInt8, FastPathMatchesStraightLoop) {
  Random r(4242);
  static const int32_t kChannels[] = {1, 2, 3, 4, 5, 7, 8, 9, 12, 16, 17, 32};
  for (int trial = 0; trial < 300; ++trial) {
    ConvInt8Params p{};
    Shape s;
    s.batches = r(1, 2);
    s.inC = kChannels[r(0, 11)];
    s.outC = r(1, 9);
    s.kH = r(0, 1) ? 3 : r(1, 4);
    s.kW = r(0, 1) ? 3 : r(1, 4);
    p.strideH = r(1, 2);
    p.strideW = r(1, 2);
    p.dilationH = r(0, 3) ? 1 : 2;
    p.dilationW = r(0, 3) ? 1 : 2;
    const int32_t spanH = (s.kH - 1) * p.dilationH + 1;
    const int32_t spanW = (s.kW - 1) * p.dilationW + 1;
    s.inH = r(spanH, spanH + 8);
    s.inW = r(spanW, spanW + 9);
    const bool same = r(0, 1);
    p.padTop = same ? (spanH - 1) / 2 : 0;
    p.padLeft = same ? (spanW - 1) / 2 : 0;
    s.outH = same ? (s.inH + p.strideH - 1) / p.strideH
                  : (s.inH - spanH) / p.strideH + 1;
    s.outW = same ? (s.inW + p.strideW - 1) / p.strideW
                  : (s.inW - spanW) / p.strideW + 1;
    p.inputZeroPoint = r(0, 2) ? r(-128, 127) : 0;
    p.outputZeroPoint = r(-128, 127);
    p.actMin = -128;
    p.actMax = 127;
    if (r(0, 3) == 0) {
      p.actMin = r(-128, 20);
      p.actMax = r(p.actMin, 127);
    }
    checkRandomLayer(r, p, s, -1, "fast", trial);
    checkRandomLayer(r, p, s, r(0, s.outC - 1), "general", trial);
  }
}

// First layers on one to three input channels (filters of at most 64
// bytes, copied into patches), KWS's 10x4 filter among them, with more
// output channels than one pass over the image takes (32), stride 2 and
// padding on every side; a 5x5x3 filter is just too large for patches.
TEST(ConvInt8, SmallFilterPatchesMatchStraightLoop) {
  Random r(31);
  struct Case {
    int32_t inC, kH, kW;
  };
  static const Case kCases[] = {{1, 10, 4}, {3, 3, 3}, {2, 4, 4},
                                {1, 1, 3},  {3, 5, 5}, {1, 8, 8}};
  static const int32_t kOutC[] = {1, 2, 7, 32, 33, 64};
  int trial = 0;
  for (const Case &c : kCases)
    for (int32_t outC : kOutC) {
      ConvInt8Params p{};
      Shape s;
      s.batches = r(1, 2);
      s.inC = c.inC;
      s.kH = c.kH;
      s.kW = c.kW;
      s.outC = outC;
      p.strideH = p.strideW = r(1, 2);
      p.dilationH = p.dilationW = 1;
      s.inH = r(c.kH, c.kH + 6);
      s.inW = r(c.kW, c.kW + 6);
      p.padTop = r(0, c.kH / 2);
      p.padLeft = r(0, c.kW / 2);
      s.outH = (s.inH + p.padTop + r(0, 2) - c.kH) / p.strideH + 1;
      s.outW = (s.inW + p.padLeft + r(0, 2) - c.kW) / p.strideW + 1;
      p.inputZeroPoint = r(-128, 127);
      p.outputZeroPoint = r(-128, 127);
      p.actMin = -128;
      p.actMax = 127;
      checkRandomLayer(r, p, s, -1, "fast", trial);
      checkRandomLayer(r, p, s, r(0, s.outC - 1), "general", trial);
      ++trial;
    }
}

// Pointwise layers (zero input offset, as compiled) and fully-connected
// ones (a single pixel: blocks of four channels, the last one overlapping
// or repeating channels when there are fewer than four left).
TEST(ConvInt8, PointwiseAndFullyConnectedBlocks) {
  Random r(99);
  static const int32_t kChannels[] = {1, 3, 4, 5, 8, 9, 16, 17, 40, 64};
  for (int trial = 0; trial < 300; ++trial) {
    ConvInt8Params p{};
    Shape s;
    const bool fullyConnected = r(0, 1);
    s.batches = fullyConnected ? 1 : r(1, 2);
    s.inH = s.outH = fullyConnected ? 1 : r(1, 5);
    s.inW = s.outW = fullyConnected ? 1 : r(1, 5);
    s.inC = kChannels[r(0, 9)];
    s.outC = r(1, 11);
    s.kH = s.kW = 1;
    p.strideH = p.strideW = p.dilationH = p.dilationW = 1;
    p.outputZeroPoint = r(-128, 127);
    p.actMin = -128;
    p.actMax = 127;
    checkRandomLayer(r, p, s, -1, "fast", trial);
    checkRandomLayer(r, p, s, r(0, s.outC - 1), "general", trial);
  }
}

TEST(ConvInt8, LargestAccumulators) {
  // 3x3x256 taps of (x - zp) = +-255 times -128 or 127: up to 7.5e7 in
  // magnitude, through both the clipped (border) and whole-filter (centre)
  // zero-point sums.
  for (int sign : {1, -1}) {
    const Shape s{1, 3, 3, 256, 2, 3, 3, 3, 3};
    const ConvInt8Params p = int8Params(1, 1, 1, 1, sign > 0 ? -128 : 127, 0);
    std::vector<int8_t> in(s.inSize(), sign > 0 ? 127 : -128);
    std::vector<int8_t> filter(s.filterSize(), -128);
    for (size_t i = s.filterSize() / 2; i < s.filterSize(); ++i)
      filter[i] = 127;
    const std::vector<int64_t> acc = modelAcc(p, s, in, filter, nullptr);
    const std::vector<int32_t> mult = {kHalfQ31, kHalfQ31};
    const std::vector<int32_t> shift = {-20, -20};
    std::vector<int8_t> got(s.outSize());
    convPerChannelInt8(p, mult.data(), shift.data(), 1, 3, 3, 256, in.data(), 2,
                       3, 3, filter.data(), nullptr, 3, 3, got.data());
    for (size_t i = 0; i < acc.size(); ++i) {
      const int32_t want =
          std::min(127, std::max(-128, multiplyByQuantizedMultiplier(
                                           static_cast<int32_t>(acc[i]),
                                           mult[i % 2], shift[i % 2])));
      EXPECT_EQ(got[i], want) << "sign " << sign << " output " << i;
    }
  }
}

//===----------------------------------------------------------------------===//
// Float
//===----------------------------------------------------------------------===//

TEST(ConvFloat, HandComputed) {
  const std::vector<float> in = {1, 2, 3, 4, 5, 6, 7, 8, 9};
  const std::vector<float> filter = {1, 2, 3, 4};
  const float bias = 0.5f;
  std::vector<float> out(4);
  const ConvFloatParams p{1, 1, 1, 1, 0, 0, -1e30f, 1e30f};
  convFloat(p, 1, 3, 3, 1, in.data(), 1, 2, 2, filter.data(), &bias, 2, 2,
            out.data());
  EXPECT_EQ(out, std::vector<float>({37.5f, 47.5f, 67.5f, 77.5f}));
  const ConvFloatParams relu6{1, 1, 1, 1, 0, 0, 0.0f, 6.0f};
  const std::vector<float> neg = {-1, 2, -3, -4, 5, -6, 7, 8, 20};
  const std::vector<float> ones = {0.25f, 0.25f, 0.25f, 0.25f};
  convFloat(relu6, 1, 3, 3, 1, neg.data(), 1, 2, 2, ones.data(), nullptr, 2, 2,
            out.data());
  // Window means 0.5, -0.5, 4 and 6.75, clamped to [0, 6].
  EXPECT_EQ(out, std::vector<float>({0.5f, 0.0f, 4.0f, 6.0f}));
  // SAME padding, stride 2: the padded taps contribute nothing.
  const ConvFloatParams same{2, 2, 1, 1, 1, 1, -1e30f, 1e30f};
  const std::vector<float> all(9, 1.0f);
  convFloat(same, 1, 3, 3, 1, in.data(), 1, 3, 3, all.data(), nullptr, 2, 2,
            out.data());
  // Windows centred on (0,0), (0,2), (2,0), (2,2).
  EXPECT_EQ(out, std::vector<float>({12, 16, 24, 28}));
}

TEST(ConvFloat, RandomCasesMatchStraightLoopBitwise) {
  Random r(7);
  for (int trial = 0; trial < 300; ++trial) {
    ConvInt8Params geometry{};
    const Shape s = randomShape(r, geometry);
    ConvFloatParams p{geometry.strideH,
                      geometry.strideW,
                      geometry.dilationH,
                      geometry.dilationW,
                      geometry.padTop,
                      geometry.padLeft,
                      -1e30f,
                      1e30f};
    if (r(0, 2) == 0) {
      p.actMin = r.real(-2.0f, 0.0f);
      p.actMax = r.real(0.0f, 2.0f);
    }
    std::vector<float> in(s.inSize()), filter(s.filterSize()),
        bias(size_t(s.outC));
    for (float &v : in)
      v = r.real(-1.0f, 1.0f);
    for (float &v : filter)
      v = r.real(-1.0f, 1.0f);
    for (float &v : bias)
      v = r.real(-1.0f, 1.0f);
    const float *biasPtr = r(0, 4) == 0 ? nullptr : bias.data();

    std::vector<float> want(s.outSize());
    for (int b = 0; b < s.batches; ++b)
      for (int oy = 0; oy < s.outH; ++oy)
        for (int ox = 0; ox < s.outW; ++ox)
          for (int o = 0; o < s.outC; ++o) {
            float total = 0.0f;
            for (int ky = 0; ky < s.kH; ++ky)
              for (int kx = 0; kx < s.kW; ++kx)
                for (int c = 0; c < s.inC; ++c) {
                  const int iy = oy * p.strideH - p.padTop + ky * p.dilationH;
                  const int ix = ox * p.strideW - p.padLeft + kx * p.dilationW;
                  if (iy < 0 || iy >= s.inH || ix < 0 || ix >= s.inW)
                    continue;
                  total +=
                      in[((size_t(b) * s.inH + iy) * s.inW + ix) * s.inC + c] *
                      filter[((size_t(o) * s.kH + ky) * s.kW + kx) * s.inC + c];
                }
            const float v = total + (biasPtr ? biasPtr[o] : 0.0f);
            want[((size_t(b) * s.outH + oy) * s.outW + ox) * s.outC + o] =
                std::min(std::max(v, p.actMin), p.actMax);
          }

    std::vector<float> got(s.outSize(), -7.0f);
    convFloat(p, s.batches, s.inH, s.inW, s.inC, in.data(), s.outC, s.kH, s.kW,
              filter.data(), biasPtr, s.outH, s.outW, got.data());
    ASSERT_EQ(0, std::memcmp(got.data(), want.data(), got.size() * 4))
        << "trial " << trial;
  }
}

} // namespace
