//===- InPlaceTest.cpp - Layers computed over their own input -------------===//
//
// Checks inplace.h:
//  * rowWindow on hand-computed cases: top padding, interior rows, the
//    bottom edge, strides and a window past the input;
//  * random convolution and depthwise geometries (kernel 1 to 3, stride 1
//    and 2, dilation 1 and 2, SAME-like and no padding, channels widened
//    and narrowed): the output computed row by row over its own input, with
//    the smallest delay the compiler's rule allows (an output larger than
//    the input starting before it), equals the ordinary call into a
//    separate buffer byte for byte.
//
//===----------------------------------------------------------------------===//

#include "tinyprune/rt/inplace.h"

#include "tinyprune/rt/conv.h"
#include "tinyprune/rt/depthwise_conv.h"

#include "TestRandom.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <vector>

using namespace tinyprune::rt;

namespace {

TEST(RowWindowTest, HandComputed) {
  // 3 rows of window, stride 1, one row of top padding, 5 input rows.
  RowWindow w = rowWindow(0, 1, 1, 3, 5);
  EXPECT_EQ(w.first, 0);
  EXPECT_EQ(w.count, 2);
  EXPECT_EQ(w.padTop, 1);
  w = rowWindow(2, 1, 1, 3, 5);
  EXPECT_EQ(w.first, 1);
  EXPECT_EQ(w.count, 3);
  EXPECT_EQ(w.padTop, 0);
  w = rowWindow(4, 1, 1, 3, 5); // Bottom edge: rows 3 and 4 only.
  EXPECT_EQ(w.first, 3);
  EXPECT_EQ(w.count, 2);
  EXPECT_EQ(w.padTop, 0);
  // Stride 2, no padding, span 5 (3 taps, dilation 2).
  w = rowWindow(1, 2, 0, 5, 9);
  EXPECT_EQ(w.first, 2);
  EXPECT_EQ(w.count, 5);
  EXPECT_EQ(w.padTop, 0);
  // A window entirely below the input reads nothing.
  w = rowWindow(3, 2, 0, 1, 6);
  EXPECT_EQ(w.count, 0);
}

/// The compiler's rule (CppEmitter.cpp, rowDelay): output row j, stored
/// `shift` bytes before the input, may be written after output row j + d
/// when it ends before the first input row any later output row reads.
int32_t smallestDelay(int32_t inRows, int32_t inRowBytes, int32_t outRows,
                      int32_t outRowBytes, int32_t stride, int32_t padTop,
                      int32_t shift) {
  auto firstRead = [&](int32_t r) {
    return r >= outRows ? inRows : std::max(0, r * stride - padTop);
  };
  for (int32_t d = 0; d < outRows; ++d) {
    bool safe = true;
    for (int32_t j = 0; safe && j + d < outRows; ++j)
      safe = (j + 1) * outRowBytes - shift <= firstRead(j + d + 1) * inRowBytes;
    if (safe)
      return d;
  }
  return -1;
}

TEST(StreamRowsInPlaceTest, MatchesSeparateBuffers) {
  tinyprune::testing::Random rnd(2024);
  int checked = 0;
  for (int iter = 0; iter < 300; ++iter) {
    const bool depthwise = rnd(0, 1) == 1;
    const int32_t k = rnd(1, 3), stride = rnd(1, 2), dilation = rnd(1, 2);
    const int32_t span = (k - 1) * dilation + 1;
    const int32_t inH = rnd(span, 12), inW = rnd(span, 9);
    const int32_t inC = rnd(1, 6);
    const int32_t outC = depthwise ? inC : rnd(1, 12);
    const bool padded = rnd(0, 1) == 1;
    const int32_t pad = padded ? (span - 1) / 2 : 0;
    const int32_t outH = (inH + 2 * pad - span) / stride + 1;
    const int32_t outW = (inW + 2 * pad - span) / stride + 1;
    ConvInt8Params p{stride, stride,       dilation,     dilation, pad,
                     pad,    rnd(-20, 20), rnd(-10, 10), -128,     127};
    std::vector<int8_t> filter(static_cast<size_t>(outC) * k * k *
                               (depthwise ? 1 : inC));
    for (int8_t &w : filter)
      w = static_cast<int8_t>(rnd(-127, 127));
    std::vector<int32_t> bias(outC), mult(outC), shift(outC);
    for (int32_t c = 0; c < outC; ++c) {
      bias[c] = rnd(-500, 500);
      mult[c] = rnd(1 << 29, (1 << 30) + (1 << 29));
      shift[c] = rnd(-8, -5);
    }
    const int32_t inRowBytes = inW * inC, outRowBytes = outW * outC;
    const int32_t inBytes = inH * inRowBytes, outBytes = outH * outRowBytes;
    std::vector<int8_t> input(inBytes);
    for (int8_t &x : input)
      x = static_cast<int8_t>(rnd(-128, 127));

    auto run = [&](const int8_t *in, int32_t rows, int32_t padTop,
                   int32_t outRows, int8_t *out) {
      ConvInt8Params q = p;
      q.padTop = padTop;
      if (depthwise)
        depthwiseConvPerChannelInt8(q, mult.data(), shift.data(), 1, 1, rows,
                                    inW, inC, in, k, k, filter.data(),
                                    bias.data(), outRows, outW, out);
      else
        convPerChannelInt8(q, mult.data(), shift.data(), 1, rows, inW, inC, in,
                           outC, k, k, filter.data(), bias.data(), outRows,
                           outW, out);
    };
    std::vector<int8_t> expected(outBytes);
    run(input.data(), inH, pad, outH, expected.data());

    const int32_t before = std::max(0, outBytes - inBytes);
    const int32_t delay =
        smallestDelay(inH, inRowBytes, outH, outRowBytes, stride, pad, before);
    if (delay < 0)
      continue;
    // One buffer: the output starts `before` bytes ahead of the input.
    std::vector<int8_t> buffer(before + std::max(inBytes, outBytes), 0);
    int8_t *in = buffer.data() + before;
    std::memcpy(in, input.data(), inBytes);
    std::vector<int8_t> ring(static_cast<size_t>(delay + 1) * outRowBytes);
    streamRowsInPlace(outH, outRowBytes, delay, ring.data(), buffer.data(),
                      [&](int32_t r, void *row) {
                        const RowWindow w =
                            rowWindow(r, stride, pad, span, inH);
                        run(in + w.first * inRowBytes, w.count, w.padTop, 1,
                            static_cast<int8_t *>(row));
                      });
    ASSERT_EQ(0, std::memcmp(buffer.data(), expected.data(), outBytes))
        << "iteration " << iter << (depthwise ? " depthwise" : " conv")
        << " k=" << k << " stride=" << stride << " dilation=" << dilation
        << " in=" << inH << "x" << inW << "x" << inC << " outC=" << outC
        << " delay=" << delay;
    ++checked;
  }
  EXPECT_GT(checked, 200);
}

} // namespace
