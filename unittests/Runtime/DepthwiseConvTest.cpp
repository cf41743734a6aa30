//===- DepthwiseConvTest.cpp - NHWC depthwise 2-D convolution -------------===//
//
// Checks depthwise_conv.h:
//  * hand-computed outputs: depth multiplier 2 (output channel
//    `ic * 2 + m` filters input channel `ic`), SAME padding with a non-zero
//    input zero point over five channels (one group of four plus a
//    remainder in the multiplier-1 path), stride with dilation, per-channel
//    shifts of both signs, the clamp and a null bias;
//  * random shapes, depth multipliers 1 to 3, strides, dilations,
//    paddings, zero points, biases and per-channel multipliers against a
//    straight loop that accumulates `w * (x - zp)` in int64 as TFLite's
//    DepthwiseConvPerChannel does: outputs must be byte-identical;
//  * the fast path (depth multiplier 1, right-shift multipliers) on 3x3 and
//    other windows at every position against the padding, channel counts
//    that are not multiples of four, strides and dilations; and the same
//    layers with one left-shifting channel, which take the general path;
//  * the float kernel against the same loop in float, bitwise.
//
// The Cortex-M DSP paths are not compiled on the host; test/mcu runs the
// same kind of random cases on the devices (kernel_check.cpp).
//
//===----------------------------------------------------------------------===//

#include "tinyprune/rt/depthwise_conv.h"

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

ConvInt8Params int8Params(int32_t stride, int32_t dilation, int32_t pad,
                          int32_t inZp = 0, int32_t outZp = 0,
                          int32_t actMin = -128, int32_t actMax = 127) {
  return ConvInt8Params{stride, stride, dilation, dilation, pad,
                        pad,    inZp,   outZp,    actMin,   actMax};
}

std::vector<int8_t>
runInt8(const ConvInt8Params &p, const std::vector<int32_t> &mult,
        const std::vector<int32_t> &shift, int32_t depthMultiplier, int32_t inH,
        int32_t inW, int32_t inC, const std::vector<int8_t> &in, int32_t kH,
        int32_t kW, const std::vector<int8_t> &filter, const int32_t *bias,
        int32_t outH, int32_t outW) {
  std::vector<int8_t> out(
      static_cast<size_t>(outH * outW * inC * depthMultiplier), 99);
  depthwiseConvPerChannelInt8(p, mult.data(), shift.data(), depthMultiplier, 1,
                              inH, inW, inC, in.data(), kH, kW, filter.data(),
                              bias, outH, outW, out.data());
  return out;
}

TEST(DepthwiseConvInt8, DepthMultiplierTwo) {
  // 3x3 input, two channels: channel 0 holds 1..9, channel 1 is all 2.
  std::vector<int8_t> in(18);
  for (int i = 0; i < 9; ++i) {
    in[size_t(2 * i)] = static_cast<int8_t>(i + 1);
    in[size_t(2 * i + 1)] = 2;
  }
  // 2x2 taps x 4 output channels: oc 0 and 1 read input channel 0 (top-left
  // and bottom-right tap), oc 2 and 3 read channel 1 (weights 1,1,1,1 and
  // 1,2,3,4: 8 and 20).
  const std::vector<int8_t> filter = {
      1, 0, 1, 1, // tap (0,0)
      0, 0, 1, 2, // tap (0,1)
      0, 0, 1, 3, // tap (1,0)
      0, 1, 1, 4, // tap (1,1)
  };
  const std::vector<int32_t> one(4, kHalfQ31), shift(4, 1);
  EXPECT_EQ(runInt8(int8Params(1, 1, 0), one, shift, 2, 3, 3, 2, in, 2, 2,
                    filter, nullptr, 2, 2),
            std::vector<int8_t>({1, 5, 8, 20, 2, 6, 8, 20, //
                                 4, 8, 8, 20, 5, 9, 8, 20}));
  // Bias, output zero point and clamp per output channel.
  const int32_t bias[4] = {100, -100, 0, 3};
  EXPECT_EQ(runInt8(int8Params(1, 1, 0, 0, 10, -80, 110), one, shift, 2, 3, 3,
                    2, in, 2, 2, filter, bias, 2, 2),
            std::vector<int8_t>({110, -80, 18, 33, 110, -80, 18, 33, //
                                 110, -80, 18, 33, 110, -80, 18, 33}));
}

TEST(DepthwiseConvInt8, PaddingActsAsTheInputZeroPoint) {
  // 2x2 input with five channels stored as zp + (c + 1), zp = -7; 3x3
  // filter of ones, SAME padding: every window covers all four pixels, so
  // channel c gives 4 (c + 1) whatever the padding.
  const int32_t zp = -7;
  std::vector<int8_t> in(20);
  for (int px = 0; px < 4; ++px)
    for (int c = 0; c < 5; ++c)
      in[size_t(px * 5 + c)] = static_cast<int8_t>(zp + c + 1);
  const std::vector<int8_t> filter(45, 1);
  // Channels at x1, x2, x0.25, x0.5, x1: 4, 16, 3, 8, 20.
  const std::vector<int32_t> mult(5, kHalfQ31);
  const std::vector<int32_t> shift = {1, 2, -1, 0, 1};
  const std::vector<int8_t> out =
      runInt8(int8Params(1, 1, 1, zp), mult, shift, 1, 2, 2, 5, in, 3, 3,
              filter, nullptr, 2, 2);
  for (int px = 0; px < 4; ++px)
    EXPECT_EQ(
        std::vector<int8_t>(out.begin() + px * 5, out.begin() + px * 5 + 5),
        std::vector<int8_t>({4, 16, 3, 8, 20}))
        << "pixel " << px;
}

TEST(DepthwiseConvInt8, PerChannelRoundingOfTies) {
  // One pixel, four channels of value 6 and a 1x1 filter {1, 1, -1, 1}:
  // x0.25 rounds 1.5 to 2 and -1.5 to -2; x2 gives 12; x4/3 gives 8.
  const std::vector<int8_t> in = {6, 6, 6, 6};
  const std::vector<int8_t> filter = {1, 1, -1, 1};
  const std::vector<int32_t> mult = {kHalfQ31, kHalfQ31, kHalfQ31, 1431655765};
  const std::vector<int32_t> shift = {-1, 2, -1, 1};
  EXPECT_EQ(runInt8(int8Params(1, 1, 0), mult, shift, 1, 1, 1, 4, in, 1, 1,
                    filter, nullptr, 1, 1),
            std::vector<int8_t>({2, 12, -2, 8}));
}

TEST(DepthwiseConvInt8, StrideAndDilation) {
  // As in ConvTest: 5x5 input v = 5y + x, filter {1, 2, 3, 4} dilated by 2,
  // stride 2, times 0.5.
  std::vector<int8_t> in(25);
  for (int i = 0; i < 25; ++i)
    in[size_t(i)] = static_cast<int8_t>(i);
  const std::vector<int8_t> filter = {1, 2, 3, 4};
  EXPECT_EQ(runInt8(int8Params(2, 2, 0), {kHalfQ31}, {0}, 1, 5, 5, 1, in, 2, 2,
                    filter, nullptr, 2, 2),
            std::vector<int8_t>({41, 51, 91, 101}));
}

//===----------------------------------------------------------------------===//
// Random cases against a straight loop
//===----------------------------------------------------------------------===//

struct Shape {
  int32_t batches, inH, inW, inC, depthMultiplier, kH, kW, outH, outW;
  int32_t outC() const { return inC * depthMultiplier; }
  size_t inSize() const { return size_t(batches) * inH * inW * inC; }
  size_t filterSize() const { return size_t(kH) * kW * outC(); }
  size_t outSize() const { return size_t(batches) * outH * outW * outC(); }
};

using tinyprune::testing::Random;

Shape randomShape(Random &r, ConvInt8Params &p) {
  static const int32_t kChannels[] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 12, 13};
  Shape s;
  s.batches = r(1, 2);
  s.inH = r(1, 8);
  s.inW = r(1, 8);
  s.inC = kChannels[r(0, 10)];
  s.depthMultiplier = r(0, 2) == 0 ? r(2, 3) : 1;
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

/// TFLite's DepthwiseConvPerChannel accumulator plus bias, in int64.
std::vector<int64_t> modelAcc(const ConvInt8Params &p, const Shape &s,
                              const std::vector<int8_t> &in,
                              const std::vector<int8_t> &filter,
                              const int32_t *bias) {
  const int outC = s.outC();
  std::vector<int64_t> acc(s.outSize());
  for (int b = 0; b < s.batches; ++b)
    for (int oy = 0; oy < s.outH; ++oy)
      for (int ox = 0; ox < s.outW; ++ox)
        for (int ic = 0; ic < s.inC; ++ic)
          for (int m = 0; m < s.depthMultiplier; ++m) {
            const int oc = ic * s.depthMultiplier + m;
            int64_t a = 0;
            for (int ky = 0; ky < s.kH; ++ky)
              for (int kx = 0; kx < s.kW; ++kx) {
                const int iy = oy * p.strideH - p.padTop + ky * p.dilationH;
                const int ix = ox * p.strideW - p.padLeft + kx * p.dilationW;
                if (iy < 0 || iy >= s.inH || ix < 0 || ix >= s.inW)
                  continue;
                const int64_t x =
                    in[((size_t(b) * s.inH + iy) * s.inW + ix) * s.inC + ic];
                const int64_t w = filter[(size_t(ky) * s.kW + kx) * outC + oc];
                a += w * (x - p.inputZeroPoint);
              }
            if (bias)
              a += bias[oc];
            acc[((size_t(b) * s.outH + oy) * s.outW + ox) * outC + oc] = a;
          }
  return acc;
}

TEST(DepthwiseConvInt8, RandomCasesMatchStraightLoop) {
  Random r(31337);
  int outputsChecked = 0, unclamped = 0;
  for (int trial = 0; trial < 400; ++trial) {
    ConvInt8Params p{};
    const Shape s = randomShape(r, p);
    const int outC = s.outC();
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
    std::vector<int32_t> bias(static_cast<size_t>(outC));
    for (int32_t &v : bias)
      v = r(-20000, 20000);
    const int32_t *biasPtr = r(0, 4) == 0 ? nullptr : bias.data();

    const std::vector<int64_t> acc = modelAcc(p, s, in, filter, biasPtr);
    // Per-channel multipliers bringing each channel's largest accumulator
    // to about 2^7 .. 2^9.
    std::vector<int32_t> mult(static_cast<size_t>(outC)),
        shift(static_cast<size_t>(outC));
    for (int o = 0; o < outC; ++o) {
      int64_t maxAbs = 1;
      for (size_t i = size_t(o); i < acc.size(); i += size_t(outC))
        maxAbs = std::max<int64_t>(maxAbs, acc[i] < 0 ? -acc[i] : acc[i]);
      const int bits =
          static_cast<int>(std::ceil(std::log2(double(maxAbs) + 1)));
      mult[size_t(o)] = r(kHalfQ31, INT32_MAX);
      shift[size_t(o)] = std::min(8 - bits + r(-1, 1), 20);
    }

    std::vector<int8_t> got(s.outSize(), 0x55);
    depthwiseConvPerChannelInt8(p, mult.data(), shift.data(), s.depthMultiplier,
                                s.batches, s.inH, s.inW, s.inC, in.data(), s.kH,
                                s.kW, filter.data(), biasPtr, s.outH, s.outW,
                                got.data());

    for (size_t i = 0; i < acc.size(); ++i) {
      ASSERT_GE(acc[i], INT32_MIN);
      ASSERT_LE(acc[i], INT32_MAX);
      const size_t o = i % size_t(outC);
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
  EXPECT_GT(unclamped, outputsChecked / 2);
}

// The fast path: depth multiplier 1, at least four channels (groups of
// four, the last one overlapping at other counts), up to 16 taps, every
// multiplier a right shift (one channel in ten with a zero multiplier);
// 3x3 windows in all positions against the padding, other window sizes,
// strides and dilations. The same layers with one left-shifting channel
// take the general path.
TEST(DepthwiseConvInt8, FastPathMatchesStraightLoop) {
  Random r(2718);
  static const int32_t kChannels[] = {4, 5, 6, 7, 8, 9, 12, 13, 16, 17, 32};
  for (int trial = 0; trial < 300; ++trial) {
    ConvInt8Params p{};
    Shape s;
    s.batches = r(1, 2);
    s.inC = kChannels[r(0, 10)];
    s.depthMultiplier = 1;
    s.kH = r(0, 1) ? 3 : r(1, 5);
    s.kW = r(0, 1) ? 3 : r(1, 4);
    p.strideH = p.strideW = r(1, 2);
    p.dilationH = r(0, 3) ? 1 : 2;
    p.dilationW = r(0, 3) ? 1 : 2;
    const int32_t spanH = (s.kH - 1) * p.dilationH + 1;
    const int32_t spanW = (s.kW - 1) * p.dilationW + 1;
    s.inH = r(1, spanH + 7);
    s.inW = r(1, spanW + 7);
    p.padTop = r(0, spanH - 1);
    p.padLeft = r(0, spanW - 1);
    s.outH = r(1, (s.inH + p.padTop + p.strideH - 1) / p.strideH);
    s.outW = r(1, (s.inW + p.padLeft + p.strideW - 1) / p.strideW);
    p.inputZeroPoint = r(-128, 127);
    p.outputZeroPoint = r(-128, 127);
    p.actMin = -128;
    p.actMax = 127;
    if (r(0, 3) == 0) {
      p.actMin = r(-128, 20);
      p.actMax = r(p.actMin, 127);
    }
    const int outC = s.outC();
    std::vector<int8_t> in(s.inSize()), filter(s.filterSize());
    for (int8_t &v : in)
      v = static_cast<int8_t>(r(-128, 127));
    for (int8_t &v : filter)
      v = static_cast<int8_t>(r(-128, 127));
    std::vector<int32_t> bias(static_cast<size_t>(outC));
    for (int32_t &v : bias)
      v = r(-20000, 20000);
    const int32_t *biasPtr = r(0, 4) == 0 ? nullptr : bias.data();
    const std::vector<int64_t> acc = modelAcc(p, s, in, filter, biasPtr);
    std::vector<int32_t> mult(static_cast<size_t>(outC)),
        shift(static_cast<size_t>(outC));
    for (int o = 0; o < outC; ++o) {
      mult[size_t(o)] = r(0, 9) == 0 ? 0 : r(kHalfQ31, INT32_MAX);
      shift[size_t(o)] = -r(1, 8);
    }
    for (int general = 0; general < 2; ++general) {
      if (general)
        shift[size_t(r(0, outC - 1))] = 2;
      std::vector<int8_t> got(s.outSize() + 4, 0x55);
      depthwiseConvPerChannelInt8(p, mult.data(), shift.data(), 1, s.batches,
                                  s.inH, s.inW, s.inC, in.data(), s.kH, s.kW,
                                  filter.data(), biasPtr, s.outH, s.outW,
                                  got.data());
      for (size_t i = 0; i < acc.size(); ++i) {
        const size_t o = i % size_t(outC);
        const int32_t want = std::min(
            p.actMax, std::max(p.actMin, multiplyByQuantizedMultiplier(
                                             static_cast<int32_t>(acc[i]),
                                             mult[o], shift[o]) +
                                             p.outputZeroPoint));
        ASSERT_EQ(got[i], want) << (general ? "general" : "fast") << " trial "
                                << trial << " output " << i;
      }
      for (size_t i = acc.size(); i < got.size(); ++i)
        ASSERT_EQ(got[i], 0x55) << "trial " << trial << " wrote past";
    }
  }
}

//===----------------------------------------------------------------------===//
// Float
//===----------------------------------------------------------------------===//

TEST(DepthwiseConvFloat, HandComputed) {
  // The DepthMultiplierTwo case in float, with a bias and a clamp.
  std::vector<float> in(18);
  for (int i = 0; i < 9; ++i) {
    in[size_t(2 * i)] = static_cast<float>(i + 1);
    in[size_t(2 * i + 1)] = 2.0f;
  }
  const std::vector<float> filter = {1, 0, 1, 1, 0, 0, 1, 2,
                                     0, 0, 1, 3, 0, 1, 1, 4};
  const std::vector<float> bias = {0.5f, 0.0f, -9.0f, 0.0f};
  std::vector<float> out(16);
  const ConvFloatParams p{1, 1, 1, 1, 0, 0, 0.0f, 19.0f};
  depthwiseConvFloat(p, 2, 1, 3, 3, 2, in.data(), 2, 2, filter.data(),
                     bias.data(), 2, 2, out.data());
  EXPECT_EQ(out, std::vector<float>({1.5f, 5, 0, 19, 2.5f, 6, 0, 19, //
                                     4.5f, 8, 0, 19, 5.5f, 9, 0, 19}));
}

TEST(DepthwiseConvFloat, RandomCasesMatchStraightLoopBitwise) {
  Random r(99);
  for (int trial = 0; trial < 300; ++trial) {
    ConvInt8Params geometry{};
    const Shape s = randomShape(r, geometry);
    const int outC = s.outC();
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
        bias(static_cast<size_t>(outC));
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
          for (int ic = 0; ic < s.inC; ++ic)
            for (int m = 0; m < s.depthMultiplier; ++m) {
              const int oc = ic * s.depthMultiplier + m;
              float total = 0.0f;
              for (int ky = 0; ky < s.kH; ++ky)
                for (int kx = 0; kx < s.kW; ++kx) {
                  const int iy = oy * p.strideH - p.padTop + ky * p.dilationH;
                  const int ix = ox * p.strideW - p.padLeft + kx * p.dilationW;
                  if (iy < 0 || iy >= s.inH || ix < 0 || ix >= s.inW)
                    continue;
                  total +=
                      in[((size_t(b) * s.inH + iy) * s.inW + ix) * s.inC + ic] *
                      filter[(size_t(ky) * s.kW + kx) * outC + oc];
                }
              const float v = total + (biasPtr ? biasPtr[oc] : 0.0f);
              want[((size_t(b) * s.outH + oy) * s.outW + ox) * outC + oc] =
                  std::min(std::max(v, p.actMin), p.actMax);
            }

    std::vector<float> got(s.outSize(), -7.0f);
    depthwiseConvFloat(p, s.depthMultiplier, s.batches, s.inH, s.inW, s.inC,
                       in.data(), s.kH, s.kW, filter.data(), biasPtr, s.outH,
                       s.outW, got.data());
    ASSERT_EQ(0, std::memcmp(got.data(), want.data(), got.size() * 4))
        << "trial " << trial;
  }
}

} // namespace
