//===- ElementwiseTest.cpp - Broadcasting add, sub, mul; requantize -------===//
//
// Checks elementwise.h:
//  * the prepare functions against multipliers worked out by hand: ADD's
//    double-precision formulas, SUB's float32 ones (which differ in the
//    last bits for the same scales), MUL's `s1 * s2 / sOut`;
//  * int8 ADD, SUB and MUL on values whose results are exact halves, so
//    TFLite's rounding shows, with zero points and the activation clamp;
//  * broadcasting of [1,3,4,5] with [1,1,1,5] and of [2,1,3] with [1,4,1],
//    either operand broadcast, for every kernel;
//  * random ranks 0..6 and broadcast patterns against a per-element model
//    that maps each output index to its input indices and applies TFLite's
//    AddFunc / quantized Sub / MulElementwise formulas literally: outputs
//    must be identical (float ones bitwise);
//  * same-shape int8 ADD and SUB (the prepared fast path) on every pair of
//    int8 inputs against the same model;
//  * that the int8 kernels with prepared parameters stay within one step
//    of the real-number result;
//  * requantizeInt8 on hand-computed values.
//
//===----------------------------------------------------------------------===//

#include "tinyprune/rt/elementwise.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <random>
#include <vector>

using namespace tinyprune::rt;

namespace {

constexpr int32_t kHalfQ31 = 1 << 30;

//===----------------------------------------------------------------------===//
// Prepare
//===----------------------------------------------------------------------===//

TEST(ElementwisePrepare, AddPowersOfTwo) {
  // s1 = 0.5, s2 = 0.25, sOut = 1: twice_max = 1, so the input multipliers
  // are 0.5 and 0.25 and the output one 2^-20.
  const AddInt8Params p = prepareAddInt8(0.5f, 3, 0.25f, -4, 1.0f, 5, -100, 90);
  EXPECT_EQ(p.input1Offset, -3);
  EXPECT_EQ(p.input2Offset, 4);
  EXPECT_EQ(p.outputOffset, 5);
  EXPECT_EQ(p.leftShift, 20);
  EXPECT_EQ(p.input1Multiplier, kHalfQ31);
  EXPECT_EQ(p.input1Shift, 0);
  EXPECT_EQ(p.input2Multiplier, kHalfQ31);
  EXPECT_EQ(p.input2Shift, -1);
  EXPECT_EQ(p.outputMultiplier, kHalfQ31);
  EXPECT_EQ(p.outputShift, -19);
  EXPECT_EQ(p.actMin, -100);
  EXPECT_EQ(p.actMax, 90);
  // Exact powers of two give the same in float, so SUB agrees here.
  const AddInt8Params q = prepareSubInt8(0.5f, 3, 0.25f, -4, 1.0f, 5, -100, 90);
  EXPECT_EQ(std::memcmp(&p, &q, sizeof(p)), 0);
}

TEST(ElementwisePrepare, AddAndSubDifferInPrecision) {
  // s1 = 0.03, s2 = 0.02, sOut = 0.05 (as float32).
  // ADD, in double: 0.03 / 0.06 = 0.5 exactly -> (2^30, 0); 0.02 / 0.06 is
  // 1/3 up to float rounding of the scales, 2^31 * 2/3 = 1431655765.33 ->
  // (1431655765, -1); 0.06 / (2^20 * 0.05) = 1.2 * 2^-20 = 0.6 * 2^-19,
  // 0.6 * 2^31 = 1288490188.8, but the float scales make it
  // 1288490140.8 -> (1288490141, -19).
  const AddInt8Params a =
      prepareAddInt8(0.03f, 0, 0.02f, 0, 0.05f, 0, -128, 127);
  EXPECT_EQ(a.input1Multiplier, kHalfQ31);
  EXPECT_EQ(a.input1Shift, 0);
  EXPECT_EQ(a.input2Multiplier, 1431655765);
  EXPECT_EQ(a.input2Shift, -1);
  EXPECT_EQ(a.outputMultiplier, 1288490141);
  EXPECT_EQ(a.outputShift, -19);
  // SUB rounds each ratio to float first: 0.02f / 0.06f = 0.3333333433f,
  // whose mantissa 0.6666666865 * 2^31 = 1431655808 exactly; and
  // 0.06f / 52428.8f = 1.1444091e-06f = 0.6000000238 * 2^-19 -> 1288490112.
  const AddInt8Params s =
      prepareSubInt8(0.03f, 0, 0.02f, 0, 0.05f, 0, -128, 127);
  EXPECT_EQ(s.input1Multiplier, kHalfQ31);
  EXPECT_EQ(s.input1Shift, 0);
  EXPECT_EQ(s.input2Multiplier, 1431655808);
  EXPECT_EQ(s.input2Shift, -1);
  EXPECT_EQ(s.outputMultiplier, 1288490112);
  EXPECT_EQ(s.outputShift, -19);
}

TEST(ElementwisePrepare, Mul) {
  // 0.5 * 0.25 / 0.125 = 1 = 2^30 * 2^(1 - 31).
  MulInt8Params p = prepareMulInt8(0.5f, 1, 0.25f, -2, 0.125f, 3, -128, 127);
  EXPECT_EQ(p.input1Offset, -1);
  EXPECT_EQ(p.input2Offset, 2);
  EXPECT_EQ(p.outputOffset, 3);
  EXPECT_EQ(p.outputMultiplier, kHalfQ31);
  EXPECT_EQ(p.outputShift, 1);
  // 0.03 * 0.02 / 0.05 = 0.012 = 0.768 * 2^-6 -> 0.768 * 2^31 =
  // 1649267441.7; with the float scales 0.0119999993 -> 1649267343.
  p = prepareMulInt8(0.03f, 0, 0.02f, 0, 0.05f, 0, -128, 127);
  EXPECT_EQ(p.outputMultiplier, 1649267343);
  EXPECT_EQ(p.outputShift, -6);
}

//===----------------------------------------------------------------------===//
// Hand-computed int8 arithmetic
//===----------------------------------------------------------------------===//

/// Applies `kernel` to two same-shape rank-1 vectors.
template <typename Params, typename Kernel>
std::vector<int8_t> elementwise(Kernel kernel, const Params &p,
                                const std::vector<int8_t> &a,
                                const std::vector<int8_t> &b) {
  const int32_t shape[1] = {static_cast<int32_t>(a.size())};
  std::vector<int8_t> out(a.size(), 99);
  kernel(p, 1, shape, a.data(), shape, b.data(), shape, out.data());
  return out;
}

TEST(ElementwiseInt8, AddRoundsHalvesAwayFromZero) {
  // 0.5 q1 + 0.25 q2 on an output scale of 1: 5 + 1.5 = 6.5 -> 7 and
  // -6.5 -> -7; 0.5 + 0.25 = 0.75 -> 1; 64 + 32 = 96.
  AddInt8Params p = prepareAddInt8(0.5f, 0, 0.25f, 0, 1.0f, 0, -128, 127);
  EXPECT_EQ(
      elementwise(addInt8, p, {10, -10, 1, 127, 0}, {6, -6, 1, 127, -128}),
      std::vector<int8_t>({7, -7, 1, 95, -32}));
  // Zero points: q1 - 2, q2 + 4, output + 3, clamped to [-5, 50]:
  // 5 + 1.5 -> 7 + 3; -11 - 1.5 -> -13 + 3 -> -5; 62.5 + 32.75 -> 95 + 3 -> 50.
  p = prepareAddInt8(0.5f, 2, 0.25f, -4, 1.0f, 3, -5, 50);
  EXPECT_EQ(elementwise(addInt8, p, {12, -20, 127}, {2, -10, 127}),
            std::vector<int8_t>({10, -5, 50}));
}

TEST(ElementwiseInt8, Sub) {
  // 0.5 q1 - 0.25 q2: 5 - 1.5 = 3.5 -> 4; -5 + 1.5 = -3.5 -> -4; 0.
  const AddInt8Params p = prepareSubInt8(0.5f, 0, 0.25f, 0, 1.0f, 0, -128, 127);
  EXPECT_EQ(elementwise(subInt8, p, {10, -10, 1}, {6, -6, 2}),
            std::vector<int8_t>({4, -4, 0}));
}

TEST(ElementwiseInt8, Mul) {
  // 0.5 * 0.25 = 0.125 on an output scale of 1: 15/8 -> 2, 12/8 = 1.5 -> 2,
  // -1.5 -> -2, 127 * 127 / 8 = 2016 -> 127.
  MulInt8Params p = prepareMulInt8(0.5f, 0, 0.25f, 0, 1.0f, 0, -128, 127);
  EXPECT_EQ(p.outputMultiplier, kHalfQ31);
  EXPECT_EQ(p.outputShift, -2);
  EXPECT_EQ(elementwise(mulInt8, p, {3, 4, -4, 127}, {5, 3, 3, 127}),
            std::vector<int8_t>({2, 2, -2, 127}));
  // Zero points 1 and -1, output zero point -10: (5 - 1)(2 + 1) = 12 -> 2.
  p = prepareMulInt8(0.5f, 1, 0.25f, -1, 1.0f, -10, -128, 127);
  EXPECT_EQ(elementwise(mulInt8, p, {5}, {2}), std::vector<int8_t>({-8}));
}

TEST(ElementwiseInt8, Requantize) {
  // (x - 2) * 0.5 + 1: 4 + 1, -65 + 1, 62.5 -> 63 (+1), 0.5 -> 1 (+1).
  const std::vector<int8_t> in = {10, -128, 127, 3};
  std::vector<int8_t> out(4);
  requantizeInt8(4, in.data(), 2, kHalfQ31, 0, 1, -128, 127, out.data());
  EXPECT_EQ(out, std::vector<int8_t>({5, -64, 64, 2}));
  // The same under a ReLU-style clamp to [-10, 60].
  requantizeInt8(4, in.data(), 2, kHalfQ31, 0, 1, -10, 60, out.data());
  EXPECT_EQ(out, std::vector<int8_t>({5, -10, 60, 2}));
  // x2 (left shift 2) saturates to the int8 range.
  requantizeInt8(4, in.data(), 2, kHalfQ31, 2, 0, -128, 127, out.data());
  EXPECT_EQ(out, std::vector<int8_t>({16, -128, 127, 2}));
  // x0.25 (right shift 1): -1.5 -> -2 with the input zero point at 9.
  const int8_t x = 3;
  int8_t y = 0;
  requantizeInt8(1, &x, 9, kHalfQ31, -1, 0, -128, 127, &y);
  EXPECT_EQ(y, -2);
}

TEST(ElementwiseFloat, NanPassesTheClamp) {
  // std::min(std::max(NaN, lo), hi) is NaN.
  const float a = std::nanf(""), b = 1.0f;
  const int32_t shape[1] = {1};
  float out = 0.0f;
  addFloat(0.0f, 6.0f, 1, shape, &a, shape, &b, shape, &out);
  EXPECT_TRUE(std::isnan(out));
}

//===----------------------------------------------------------------------===//
// Broadcasting against a per-element model
//===----------------------------------------------------------------------===//

/// TFLite's per-element formulas, written as TFLite writes them.
struct Model {
  AddInt8Params add, sub;
  MulInt8Params mul;
  float actMin, actMax;

  static int32_t smallerThanOne(int32_t x, int32_t m, int32_t shift) {
    // MultiplyByQuantizedMultiplierSmallerThanOneExp.
    return roundingDivideByPOT(saturatingRoundingDoublingHighMul(x, m), -shift);
  }
  static int8_t addSub(const AddInt8Params &p, int8_t a, int8_t b, int sign) {
    const int32_t x = smallerThanOne((p.input1Offset + a) * (1 << p.leftShift),
                                     p.input1Multiplier, p.input1Shift);
    const int32_t y = smallerThanOne((p.input2Offset + b) * (1 << p.leftShift),
                                     p.input2Multiplier, p.input2Shift);
    const int32_t raw =
        smallerThanOne(x + sign * y, p.outputMultiplier, p.outputShift) +
        p.outputOffset;
    return static_cast<int8_t>(std::min(p.actMax, std::max(p.actMin, raw)));
  }
  int8_t addOne(int8_t a, int8_t b) const { return addSub(add, a, b, 1); }
  int8_t subOne(int8_t a, int8_t b) const { return addSub(sub, a, b, -1); }
  int8_t mulOne(int8_t a, int8_t b) const {
    const int32_t raw =
        mul.outputOffset + multiplyByQuantizedMultiplier(
                               (mul.input1Offset + a) * (mul.input2Offset + b),
                               mul.outputMultiplier, mul.outputShift);
    return static_cast<int8_t>(std::min(mul.actMax, std::max(mul.actMin, raw)));
  }
  float clampF(float v) const { return std::min(std::max(v, actMin), actMax); }
};

/// Flat index into `shape` of the output position `outIndex`, reading
/// broadcast (size-1) dimensions at 0.
size_t inputIndex(const std::vector<int32_t> &shape,
                  const std::vector<int32_t> &outShape, size_t outIndex) {
  size_t index = 0, stride = 1;
  for (int d = static_cast<int>(outShape.size()) - 1; d >= 0; --d) {
    const size_t coord = outIndex % size_t(outShape[size_t(d)]);
    outIndex /= size_t(outShape[size_t(d)]);
    if (shape[size_t(d)] != 1)
      index += coord * stride;
    stride *= size_t(shape[size_t(d)]);
  }
  return index;
}

size_t elements(const std::vector<int32_t> &shape) {
  size_t n = 1;
  for (int32_t d : shape)
    n *= size_t(d);
  return n;
}

/// Runs all six kernels on one broadcast and compares each element with
/// the model.
void checkBroadcast(const Model &m, const std::vector<int32_t> &shape1,
                    const std::vector<int32_t> &shape2,
                    const std::vector<int32_t> &outShape, std::mt19937 &rng) {
  const int32_t rank = static_cast<int32_t>(outShape.size());
  std::uniform_int_distribution<int> byte(-128, 127);
  std::uniform_real_distribution<float> real(-4.0f, 4.0f);
  std::vector<int8_t> a(elements(shape1)), b(elements(shape2));
  std::vector<float> fa(a.size()), fb(b.size());
  for (size_t i = 0; i < a.size(); ++i) {
    a[i] = static_cast<int8_t>(byte(rng));
    fa[i] = real(rng);
  }
  for (size_t i = 0; i < b.size(); ++i) {
    b[i] = static_cast<int8_t>(byte(rng));
    fb[i] = real(rng);
  }
  const size_t n = elements(outShape);
  std::vector<int8_t> add(n, 0x55), sub(n, 0x55), mul(n, 0x55);
  std::vector<float> fadd(n, -9.0f), fsub(n, -9.0f), fmul(n, -9.0f);
  addInt8(m.add, rank, shape1.data(), a.data(), shape2.data(), b.data(),
          outShape.data(), add.data());
  subInt8(m.sub, rank, shape1.data(), a.data(), shape2.data(), b.data(),
          outShape.data(), sub.data());
  mulInt8(m.mul, rank, shape1.data(), a.data(), shape2.data(), b.data(),
          outShape.data(), mul.data());
  addFloat(m.actMin, m.actMax, rank, shape1.data(), fa.data(), shape2.data(),
           fb.data(), outShape.data(), fadd.data());
  subFloat(m.actMin, m.actMax, rank, shape1.data(), fa.data(), shape2.data(),
           fb.data(), outShape.data(), fsub.data());
  mulFloat(m.actMin, m.actMax, rank, shape1.data(), fa.data(), shape2.data(),
           fb.data(), outShape.data(), fmul.data());
  for (size_t i = 0; i < n; ++i) {
    const size_t i1 = inputIndex(shape1, outShape, i);
    const size_t i2 = inputIndex(shape2, outShape, i);
    ASSERT_EQ(add[i], m.addOne(a[i1], b[i2])) << "add, element " << i;
    ASSERT_EQ(sub[i], m.subOne(a[i1], b[i2])) << "sub, element " << i;
    ASSERT_EQ(mul[i], m.mulOne(a[i1], b[i2])) << "mul, element " << i;
    const float wantAdd = m.clampF(fa[i1] + fb[i2]);
    const float wantSub = m.clampF(fa[i1] - fb[i2]);
    const float wantMul = m.clampF(fa[i1] * fb[i2]);
    ASSERT_EQ(std::memcmp(&fadd[i], &wantAdd, 4), 0) << "add, element " << i;
    ASSERT_EQ(std::memcmp(&fsub[i], &wantSub, 4), 0) << "sub, element " << i;
    ASSERT_EQ(std::memcmp(&fmul[i], &wantMul, 4), 0) << "mul, element " << i;
  }
}

Model typicalModel() {
  Model m;
  m.add = prepareAddInt8(0.03f, -5, 0.02f, 17, 0.05f, 3, -128, 127);
  m.sub = prepareSubInt8(0.03f, -5, 0.02f, 17, 0.05f, 3, -128, 127);
  m.mul = prepareMulInt8(0.03f, -5, 0.02f, 17, 0.01f, 3, -128, 127);
  m.actMin = -1e30f;
  m.actMax = 1e30f;
  return m;
}

TEST(ElementwiseBroadcast, ChannelVector) {
  std::mt19937 rng(1);
  const Model m = typicalModel();
  // [1,3,4,5] with [5] (written [1,1,1,5]), in either order.
  checkBroadcast(m, {1, 3, 4, 5}, {1, 1, 1, 5}, {1, 3, 4, 5}, rng);
  checkBroadcast(m, {1, 1, 1, 5}, {1, 3, 4, 5}, {1, 3, 4, 5}, rng);
}

TEST(ElementwiseBroadcast, BothOperandsBroadcast) {
  std::mt19937 rng(2);
  const Model m = typicalModel();
  // [2,1,3] with [1,4,1] gives [2,4,3].
  checkBroadcast(m, {2, 1, 3}, {1, 4, 1}, {2, 4, 3}, rng);
  checkBroadcast(m, {1, 4, 1}, {2, 1, 3}, {2, 4, 3}, rng);
  // Same shapes, a scalar, and rank 0.
  checkBroadcast(m, {2, 4, 3}, {2, 4, 3}, {2, 4, 3}, rng);
  checkBroadcast(m, {2, 4, 3}, {1, 1, 1}, {2, 4, 3}, rng);
  checkBroadcast(m, {}, {}, {}, rng);
}

TEST(ElementwiseBroadcast, ExplicitValues) {
  // [2,1,3] + [1,4,1] in float: out(i, j, k) = a(i, k) + b(j).
  const std::vector<float> a = {1, 2, 3, 10, 20, 30};
  const std::vector<float> b = {100, 200, 300, 400};
  const int32_t s1[3] = {2, 1, 3}, s2[3] = {1, 4, 1}, so[3] = {2, 4, 3};
  std::vector<float> out(24);
  addFloat(-1e30f, 1e30f, 3, s1, a.data(), s2, b.data(), so, out.data());
  for (int i = 0; i < 2; ++i)
    for (int j = 0; j < 4; ++j)
      for (int k = 0; k < 3; ++k)
        EXPECT_EQ(out[size_t((i * 4 + j) * 3 + k)],
                  a[size_t(i * 3 + k)] + b[size_t(j)]);
}

TEST(ElementwiseBroadcast, RandomShapesMatchModel) {
  std::mt19937 rng(5150);
  auto pick = [&rng](int lo, int hi) {
    return std::uniform_int_distribution<int>(lo, hi)(rng);
  };
  std::uniform_real_distribution<float> scale(0.002f, 0.2f);
  for (int trial = 0; trial < 400; ++trial) {
    const int rank = pick(0, 6);
    std::vector<int32_t> outShape(static_cast<size_t>(rank)), shape1, shape2;
    for (int32_t &d : outShape)
      d = pick(1, rank > 4 ? 3 : 4);
    shape1 = shape2 = outShape;
    for (int d = 0; d < rank; ++d) {
      if (pick(0, 2) == 0)
        shape1[size_t(d)] = 1;
      if (pick(0, 2) == 0)
        shape2[size_t(d)] = 1;
    }
    Model m;
    const float s1 = scale(rng), s2 = scale(rng), sOut = scale(rng);
    const int32_t z1 = pick(-128, 127), z2 = pick(-128, 127),
                  zOut = pick(-128, 127);
    int32_t actMin = -128, actMax = 127;
    if (pick(0, 3) == 0) {
      actMin = pick(-128, 0);
      actMax = pick(actMin, 127);
    }
    m.add = prepareAddInt8(s1, z1, s2, z2, sOut, zOut, actMin, actMax);
    m.sub = prepareSubInt8(s1, z1, s2, z2, sOut, zOut, actMin, actMax);
    m.mul = prepareMulInt8(s1, z1, s2, z2, sOut, zOut, actMin, actMax);
    m.actMin = pick(0, 1) ? -1e30f : -2.0f;
    m.actMax = pick(0, 1) ? 1e30f : 3.0f;
    SCOPED_TRACE(testing::Message() << "trial " << trial);
    checkBroadcast(m, shape1, shape2, outShape, rng);
    if (testing::Test::HasFatalFailure())
      return;
  }
}

// Same-shape ADD and SUB take the prepared path (addSameShapeInt8): every
// pair of int8 inputs against TFLite's formulas, with random scales, zero
// points and clamps, equal input scales (an input multiplier of 2^30 with
// shift 0, as residual adds of equally scaled tensors have), and
// multipliers the path must leave to the general one (an output shift of
// 0, a negative multiplier).
TEST(ElementwiseInt8, SameShapeAllPairsMatchModel) {
  std::mt19937 rng(2026);
  std::uniform_real_distribution<float> scale(0.004f, 0.2f);
  std::uniform_int_distribution<int> byte(-128, 127);
  std::vector<int8_t> a(256 * 256), b(256 * 256), add(a.size()), sub(a.size());
  for (size_t i = 0; i < a.size(); ++i) {
    a[i] = static_cast<int8_t>(int(i / 256) - 128);
    b[i] = static_cast<int8_t>(int(i % 256) - 128);
  }
  const int32_t shape[2] = {256, 256};
  for (int trial = 0; trial < 24; ++trial) {
    const float s1 = scale(rng);
    const float s2 = trial % 3 == 0 ? s1 : scale(rng);
    const int32_t actMin = trial % 4 == 1 ? byte(rng) / 2 : -128;
    Model m;
    m.add = prepareAddInt8(s1, byte(rng), s2, byte(rng), scale(rng), byte(rng),
                           actMin, 127);
    m.sub = prepareSubInt8(s1, byte(rng), s2, byte(rng), scale(rng), byte(rng),
                           actMin, 127);
    if (trial == 5) {
      m.add.outputMultiplier = m.sub.outputMultiplier = 1 << 28;
      m.add.outputShift = m.sub.outputShift = 0;
    }
    if (trial == 6)
      m.add.input1Multiplier = m.sub.input2Multiplier = -(1 << 30);
    SCOPED_TRACE(testing::Message() << "trial " << trial);
    addInt8(m.add, 2, shape, a.data(), shape, b.data(), shape, add.data());
    subInt8(m.sub, 2, shape, a.data(), shape, b.data(), shape, sub.data());
    for (size_t i = 0; i < a.size(); ++i) {
      ASSERT_EQ(add[i], m.addOne(a[i], b[i]))
          << "add " << int(a[i]) << " " << int(b[i]);
      ASSERT_EQ(sub[i], m.subOne(a[i], b[i]))
          << "sub " << int(a[i]) << " " << int(b[i]);
    }
  }
}

TEST(ElementwiseInt8, WithinOneStepOfRealArithmetic) {
  std::mt19937 rng(77);
  std::uniform_real_distribution<float> scale(0.005f, 0.1f);
  std::uniform_int_distribution<int> byte(-128, 127);
  for (int trial = 0; trial < 300; ++trial) {
    const float s1 = scale(rng), s2 = scale(rng), sOut = scale(rng);
    const int32_t z1 = byte(rng), z2 = byte(rng), zOut = byte(rng);
    const AddInt8Params add =
        prepareAddInt8(s1, z1, s2, z2, sOut, zOut, -128, 127);
    const AddInt8Params sub =
        prepareSubInt8(s1, z1, s2, z2, sOut, zOut, -128, 127);
    const MulInt8Params mul =
        prepareMulInt8(s1, z1, s2, z2, sOut * 64, zOut, -128, 127);
    ASSERT_LE(add.input1Shift, 0);
    ASSERT_LE(add.input2Shift, 0);
    ASSERT_LE(add.outputShift, 0);
    for (int i = 0; i < 50; ++i) {
      const int8_t a = static_cast<int8_t>(byte(rng));
      const int8_t b = static_cast<int8_t>(byte(rng));
      const int32_t one[1] = {1};
      int8_t got = 0;
      auto want = [&](double real, float outScale) {
        const double q = std::round(real / outScale) + zOut;
        return static_cast<int>(std::min(127.0, std::max(-128.0, q)));
      };
      const double x = double(s1) * (a - z1), y = double(s2) * (b - z2);
      addInt8(add, 1, one, &a, one, &b, one, &got);
      EXPECT_NEAR(got, want(x + y, sOut), 1) << s1 << " " << s2 << " " << sOut;
      subInt8(sub, 1, one, &a, one, &b, one, &got);
      EXPECT_NEAR(got, want(x - y, sOut), 1) << s1 << " " << s2 << " " << sOut;
      mulInt8(mul, 1, one, &a, one, &b, one, &got);
      EXPECT_NEAR(got, want(x * y, sOut * 64), 1)
          << s1 << " " << s2 << " " << sOut;
    }
  }
}

} // namespace

namespace {

// LEAKY_RELU int8: TFLite's two requantizations, chosen on x - zp >= 0.
TEST(LeakyRelu, Int8MatchesDefinition) {
  const float inScale = 0.1f, outScale = 0.03f, alpha = 0.2f;
  const int32_t inZp = -5, outZp = -20;
  // Multipliers as TFLite computes them: in float, then QuantizeMultiplier.
  const float identityReal = inScale / outScale;
  const float alphaReal = inScale * alpha / outScale;
  const tinyprune::rt::QuantizedMultiplier id =
      tinyprune::rt::quantizeMultiplier(identityReal);
  const tinyprune::rt::QuantizedMultiplier al =
      tinyprune::rt::quantizeMultiplier(alphaReal);
  int8_t in[256], out[256];
  for (int i = 0; i < 256; ++i)
    in[i] = static_cast<int8_t>(i - 128);
  tinyprune::rt::leakyReluInt8(256, in, inZp, id.multiplier, id.exponent,
                               al.multiplier, al.exponent, outZp, out);
  for (int i = 0; i < 256; ++i) {
    const int32_t v = in[i] - inZp;
    const tinyprune::rt::QuantizedMultiplier &m = v >= 0 ? id : al;
    int32_t want = tinyprune::rt::multiplyByQuantizedMultiplier(v, m.multiplier,
                                                                m.exponent) +
                   outZp;
    want = want < -128 ? -128 : (want > 127 ? 127 : want);
    EXPECT_EQ(out[i], want) << "input " << int(in[i]);
    // And it is within one step of the real function.
    const double real = v >= 0 ? v * inScale : v * inScale * alpha;
    EXPECT_NEAR(out[i],
                std::max(-128.0, std::min(127.0, real / outScale + outZp)),
                1.0);
  }
}

TEST(LeakyRelu, FloatKeepsPositivesAndScalesNegatives) {
  const float in[5] = {-2.0f, -0.5f, 0.0f, 0.5f, 3.0f};
  float out[5];
  tinyprune::rt::leakyReluFloat(5, in, 0.1f, out);
  EXPECT_FLOAT_EQ(out[0], -0.2f);
  EXPECT_FLOAT_EQ(out[1], -0.05f);
  EXPECT_EQ(out[2], 0.0f);
  EXPECT_EQ(out[3], 0.5f);
  EXPECT_EQ(out[4], 3.0f);
}

TEST(ElementwiseInt32, WrapsAndBroadcasts) {
  const int32_t shapeA[2] = {2, 2}, shapeB[2] = {1, 2};
  const int32_t a[4] = {INT32_MAX, 5, -7, INT32_MIN};
  const int32_t b[2] = {1, -3};
  int32_t out[4];
  addInt32(2, shapeA, a, shapeB, b, shapeA, out);
  EXPECT_EQ(out[0], INT32_MIN);
  EXPECT_EQ(out[1], 2);
  EXPECT_EQ(out[2], -6);
  EXPECT_EQ(out[3], INT32_MAX - 2);
  subInt32(2, shapeA, a, shapeB, b, shapeA, out);
  EXPECT_EQ(out[0], INT32_MAX - 1);
  EXPECT_EQ(out[1], 8);
  EXPECT_EQ(out[3], INT32_MIN + 3);
  mulInt32(2, shapeA, a, shapeB, b, shapeA, out);
  EXPECT_EQ(out[0], INT32_MAX);
  EXPECT_EQ(out[1], -15);
  EXPECT_EQ(out[2], -7);
  EXPECT_EQ(out[3], INT32_MIN); // -3 * INT32_MIN wraps to INT32_MIN.
}

} // namespace
