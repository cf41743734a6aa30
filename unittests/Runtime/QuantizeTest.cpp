//===- QuantizeTest.cpp - float32 <-> integer affine quantization ---------===//
//
// Checks quantize.h:
//  * hand-computed roundings, ties away from zero, clamping, non-finite
//    inputs;
//  * the true division against a reciprocal multiply, at an input where
//    the two disagree;
//  * random inputs against TFLite's formula written with libm
//    (`std::round(x / scale) + zp`, clamped), bit for bit;
//  * all 256 int8 (and all 65536 int16) codes: dequantize matches TFLite's
//    double-precision formula bitwise, quantize inverts it exactly, and
//    midpoints between codes land within one step;
//  * per-channel quantization along first, middle and last axes.
//
//===----------------------------------------------------------------------===//

#include "tinyprune/rt/quantize.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <vector>

using namespace tinyprune::rt;

namespace {

int8_t q8(float x, float scale, int32_t zp) {
  int8_t out;
  quantizeInt8(scale, zp, 1, &x, &out);
  return out;
}

/// TFLite's AffineQuantize, written with libm.
int32_t tfliteQuantize(float x, float scale, int32_t zp, int32_t lo,
                       int32_t hi) {
  // x / scale is a float division, as in TFLite.
  const double r = static_cast<double>(std::round(x / scale)) + zp;
  return static_cast<int32_t>(std::min<double>(hi, std::max<double>(lo, r)));
}

TEST(Quantize, HandComputed) {
  EXPECT_EQ(q8(0.0f, 0.5f, 0), 0);
  EXPECT_EQ(q8(0.24f, 0.5f, 0), 0);   // 0.48
  EXPECT_EQ(q8(0.25f, 0.5f, 0), 1);   // 0.5 -> away from zero
  EXPECT_EQ(q8(-0.25f, 0.5f, 0), -1); // -0.5 -> away from zero
  EXPECT_EQ(q8(0.75f, 0.5f, 0), 2);   // 1.5
  EXPECT_EQ(q8(-0.75f, 0.5f, 0), -2);
  EXPECT_EQ(q8(1.25f, 0.5f, 0), 3); // 2.5: not to even
  EXPECT_EQ(q8(1.0f, 0.5f, -128), -126);
  // The largest float below 0.5 must not round up (the classic x + 0.5
  // truncation bug).
  EXPECT_EQ(q8(0.49999997f, 1.0f, 0), 0);
  EXPECT_EQ(q8(-0.49999997f, 1.0f, 0), 0);
  // Clamping to the storage range, including via the zero point.
  EXPECT_EQ(q8(1000.0f, 0.1f, 0), 127);
  EXPECT_EQ(q8(-1000.0f, 0.1f, 0), -128);
  EXPECT_EQ(q8(12.0f, 0.1f, 10), 127);
  EXPECT_EQ(q8(-1e30f, 1e-10f, 5), -128);
  EXPECT_EQ(q8(1e30f, 1e-10f, -5), 127);
  EXPECT_EQ(q8(std::numeric_limits<float>::infinity(), 0.1f, 0), 127);
  EXPECT_EQ(q8(-std::numeric_limits<float>::infinity(), 0.1f, 0), -128);
  // NaN is undefined behaviour in TFLite; defined here as the minimum.
  EXPECT_EQ(q8(std::numeric_limits<float>::quiet_NaN(), 0.1f, 0), -128);
}

TEST(Quantize, UsesTrueDivision) {
  // -29.25f / 0.3f is -97.4999924 in float (rounds to -97), while
  // -29.25f * (1 / 0.3f) is exactly -97.5 (rounds to -98).
  const float x = -29.25f, scale = 0.3f;
  ASSERT_NE(std::round(x / scale), std::round(x * (1.0f / scale)));
  EXPECT_EQ(q8(x, scale, 0), -97);
}

TEST(Quantize, RandomInputsMatchTfliteFormula) {
  std::mt19937 rng(9);
  std::uniform_real_distribution<float> logScale(-12.0f, 4.0f);
  std::uniform_real_distribution<float> value(-1.0f, 1.0f);
  std::uniform_int_distribution<int> zp8(-128, 127), zp16(-32768, 32767);
  std::vector<float> in(256);
  std::vector<int8_t> out8(256);
  std::vector<int16_t> out16(256);
  for (int trial = 0; trial < 2000; ++trial) {
    const float scale = std::exp2(logScale(rng));
    const int32_t z8 = zp8(rng), z16 = zp16(rng);
    for (size_t i = 0; i < in.size(); ++i) {
      // Mostly in range, with ties and out-of-range values mixed in.
      const float steps = value(rng) * (i % 4 == 0 ? 40000.0f : 150.0f);
      in[i] = (i % 8 == 1 ? std::round(steps) + 0.5f : steps) * scale;
    }
    quantizeInt8(scale, z8, 256, in.data(), out8.data());
    quantizeInt16(scale, z16, 256, in.data(), out16.data());
    for (size_t i = 0; i < in.size(); ++i) {
      ASSERT_EQ(out8[i], tfliteQuantize(in[i], scale, z8, -128, 127))
          << in[i] << " / " << scale;
      ASSERT_EQ(out16[i], tfliteQuantize(in[i], scale, z16, -32768, 32767))
          << in[i] << " / " << scale;
    }
  }
}

TEST(Quantize, AllInt8CodesRoundTrip) {
  std::mt19937 rng(10);
  std::uniform_real_distribution<float> logScale(-12.0f, 4.0f);
  std::uniform_int_distribution<int> zpDist(-128, 127);
  std::vector<int8_t> codes(256), back(256);
  for (int q = -128; q < 128; ++q)
    codes[static_cast<size_t>(q + 128)] = static_cast<int8_t>(q);
  std::vector<float> real(256), mid(256);
  for (int trial = 0; trial < 1000; ++trial) {
    const float scale = std::exp2(logScale(rng));
    const int32_t zp = zpDist(rng);
    dequantizeInt8(scale, zp, 256, codes.data(), real.data());
    for (int i = 0; i < 256; ++i) {
      // TFLite: static_cast<float>(double(scale) * (q - zp)).
      const float want = static_cast<float>(double(scale) * (codes[i] - zp));
      ASSERT_EQ(real[i], want);
    }
    quantizeInt8(scale, zp, 256, real.data(), back.data());
    ASSERT_EQ(back, codes) << "scale " << scale << " zp " << zp;
    // Midway between neighbouring codes: one of the two neighbours.
    for (int i = 0; i < 256; ++i)
      mid[i] = static_cast<float>((codes[i] - zp + 0.5) * double(scale));
    quantizeInt8(scale, zp, 256, mid.data(), back.data());
    for (int i = 0; i < 256; ++i)
      ASSERT_LE(std::abs(back[i] - (codes[i] + 0.5)), 1.0);
  }
}

TEST(Quantize, AllInt16CodesRoundTrip) {
  std::vector<int16_t> codes(65536), back(65536);
  for (int q = -32768; q < 32768; ++q)
    codes[static_cast<size_t>(q + 32768)] = static_cast<int16_t>(q);
  std::vector<float> real(65536);
  for (float scale : {1.0f / 32768.0f, 0.0123f, 3.5f}) {
    for (int32_t zp : {0, -7, 1234}) {
      dequantizeInt16(scale, zp, 65536, codes.data(), real.data());
      for (size_t i = 0; i < codes.size(); ++i)
        ASSERT_EQ(real[i], static_cast<float>(double(scale) * (codes[i] - zp)));
      quantizeInt16(scale, zp, 65536, real.data(), back.data());
      ASSERT_EQ(back, codes) << scale << " " << zp;
    }
  }
}

TEST(Quantize, PerChannel) {
  // Shape 2 x 3 x 2, channels on axis 1.
  const int32_t dims[3] = {2, 3, 2};
  const float scales[3] = {0.5f, 0.25f, 2.0f};
  const int32_t zps[3] = {0, 10, -10};
  std::vector<float> in(12);
  for (size_t i = 0; i < in.size(); ++i)
    in[i] = static_cast<float>(i) - 4.0f;
  std::vector<int8_t> out(12);
  ASSERT_TRUE(
      quantizeInt8PerChannel(scales, zps, dims, 3, 1, in.data(), out.data()));
  for (size_t i = 0; i < in.size(); ++i) {
    const size_t ch = (i / 2) % 3;
    EXPECT_EQ(out[i], tfliteQuantize(in[i], scales[ch], zps[ch], -128, 127))
        << i;
  }
  // First and last axes.
  const int32_t dims2[2] = {3, 4};
  ASSERT_TRUE(
      quantizeInt8PerChannel(scales, zps, dims2, 2, 0, in.data(), out.data()));
  for (size_t i = 0; i < 12; ++i)
    EXPECT_EQ(out[i],
              tfliteQuantize(in[i], scales[i / 4], zps[i / 4], -128, 127));
  const int32_t dims3[2] = {4, 3};
  std::vector<int16_t> out16(12);
  ASSERT_TRUE(quantizeInt16PerChannel(scales, zps, dims3, 2, 1, in.data(),
                                      out16.data()));
  for (size_t i = 0; i < 12; ++i)
    EXPECT_EQ(out16[i],
              tfliteQuantize(in[i], scales[i % 3], zps[i % 3], -32768, 32767));
  // Axis out of range.
  EXPECT_FALSE(
      quantizeInt8PerChannel(scales, zps, dims2, 2, 2, in.data(), out.data()));
  EXPECT_FALSE(
      quantizeInt8PerChannel(scales, zps, dims2, 2, -1, in.data(), out.data()));
}

} // namespace
