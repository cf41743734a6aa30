//===- WriteBackTest.cpp - Trained weights to int8 ------------------------===//
//
// training::quantizeTrained, the int8 form the write-back stores: TFLite's
// symmetric per-channel quantization of the trained weights and biases and
// the importer's requantization constants for them.
//
//===----------------------------------------------------------------------===//

#include "WriteBack.h"

#include "tinyprune/rt/quant_params.h"

#include <gtest/gtest.h>

using namespace tinyprune;
using namespace tinyprune::training;

namespace {

TEST(QuantizeTrained, ScalesWeightsBiasAndMultipliersAsTheImporter) {
  // Two OHWI filters of three weights; filter 1 is all zero (a removed
  // channel) and keeps its old scale.
  std::vector<float> w = {0.5f, -1.27f, 0.25f, 0.0f, 0.0f, 0.0f};
  std::vector<float> bias = {0.1f, 0.0f};
  float inScale = 0.02f, outScale = 0.05f;
  auto q = quantizeTrained(w, bias, 2, /*depthwise=*/false, {0.5f, 0.75f},
                           inScale, outScale);
  ASSERT_TRUE(bool(q)) << llvm::toString(q.takeError());
  float s0 = 1.27f / 127.0f;
  EXPECT_EQ(q->weightScales[0], s0);
  EXPECT_EQ(q->weightScales[1], 0.75f);
  EXPECT_EQ(q->weights, (std::vector<int8_t>{50, -127, 25, 0, 0, 0}));
  EXPECT_EQ(q->bias[0], int32_t(std::round(0.1f / (s0 * inScale))));
  EXPECT_EQ(q->bias[1], 0);
  // PopulateConvolutionQuantizationParams: input x weight / output scale in
  // double, TFLite's QuantizeMultiplier, TOSA's shift 31 - exponent.
  rt::QuantizedMultiplier m =
      rt::quantizeMultiplier(double(inScale) * double(s0) / double(outScale));
  EXPECT_EQ(q->multiplier[0], m.multiplier);
  EXPECT_EQ(q->shift[0], rt::tosaShift(m));
}

TEST(QuantizeTrained, DepthwiseChannelsVaryFastest) {
  // [KH=1, KW=2, C=2, M=1]: channel 0 holds 0.1 and 0.2, channel 1 -0.4
  // and 0.4.
  std::vector<float> w = {0.1f, -0.4f, 0.2f, 0.4f};
  auto q = quantizeTrained(w, {0.0f, 0.0f}, 2, /*depthwise=*/true, {1.0f, 1.0f},
                           0.1f, 0.1f);
  ASSERT_TRUE(bool(q));
  EXPECT_EQ(q->weightScales[0], 0.2f / 127.0f);
  EXPECT_EQ(q->weightScales[1], 0.4f / 127.0f);
  EXPECT_EQ(q->weights, (std::vector<int8_t>{64, -127, 127, 127}));
}

TEST(QuantizeTrained, ScaleBeyondTosaShiftsIsAnError) {
  // input x weight / output = 2^31 (an output scale far too fine): a left
  // shift, which TOSA's rescale cannot express (a scale below 2^-31
  // flushes to a zero multiplier instead, as in TFLite).
  std::vector<float> w = {127.0f};
  auto q = quantizeTrained(w, {0.0f}, 1, false, {1.0f}, 1.0f, 0x1p-31f);
  ASSERT_FALSE(bool(q));
  EXPECT_EQ(llvm::toString(q.takeError()),
            "channel 0: requantization scale 2.147484e+09 needs shift -1, "
            "outside TOSA's [2, 62]");
}

} // namespace
