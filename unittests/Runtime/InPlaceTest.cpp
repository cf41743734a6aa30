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
//    separate buffer byte for byte;
//  * rowsWindow of several rows, and streamRowPair on random pairs of
//    convolutions (kernel 1 to 3, stride 1 and 2, padded or not, any rows
//    per block): the second layer's rows equal the whole-tensor calls and
//    every row of the first layer is computed once.
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

TEST(RowWindowTest, SeveralRows) {
  // Rows 1..3 of a 3-row window, stride 1, one row of top padding.
  RowWindow w = rowsWindow(1, 3, 1, 1, 3, 8);
  EXPECT_EQ(w.first, 0);
  EXPECT_EQ(w.count, 5);
  EXPECT_EQ(w.padTop, 0);
  // Rows 0..1 with top padding; rows 6..7 clipped at the bottom.
  w = rowsWindow(0, 2, 1, 1, 3, 8);
  EXPECT_EQ(w.first, 0);
  EXPECT_EQ(w.count, 3);
  EXPECT_EQ(w.padTop, 1);
  w = rowsWindow(6, 2, 1, 1, 3, 8);
  EXPECT_EQ(w.first, 5);
  EXPECT_EQ(w.count, 3);
  // Stride 2, no padding: rows 1..2 read input rows 2..6.
  w = rowsWindow(1, 2, 2, 0, 3, 9);
  EXPECT_EQ(w.first, 2);
  EXPECT_EQ(w.count, 5);
  EXPECT_EQ(w.padTop, 0);
}

TEST(StreamRowPairTest, MatchesWholeTensors) {
  tinyprune::testing::Random rnd(77);
  struct Layer {
    int32_t k, stride, pad, inH, inW, inC, outH, outW, outC;
    ConvInt8Params p;
    std::vector<int8_t> filter;
    std::vector<int32_t> bias, mult, shift;
    void run(const int8_t *in, int32_t rows, int32_t padTop, int32_t outRows,
             int8_t *out) const {
      ConvInt8Params q = p;
      q.padTop = padTop;
      convPerChannelInt8(q, mult.data(), shift.data(), 1, rows, inW, inC, in,
                         outC, k, k, filter.data(), bias.data(), outRows, outW,
                         out);
    }
  };
  auto layer = [&](int32_t inH, int32_t inW, int32_t inC) {
    Layer l;
    l.k = rnd(1, 3), l.stride = rnd(1, 2);
    l.pad = rnd(0, 1) == 1 ? (l.k - 1) / 2 : 0;
    l.inH = inH, l.inW = inW, l.inC = inC, l.outC = rnd(1, 8);
    l.outH = (inH + 2 * l.pad - l.k) / l.stride + 1;
    l.outW = (inW + 2 * l.pad - l.k) / l.stride + 1;
    l.p = ConvInt8Params{l.stride,     l.stride,     1,    1,  l.pad, l.pad,
                         rnd(-20, 20), rnd(-10, 10), -128, 127};
    l.filter.resize(static_cast<size_t>(l.outC) * l.k * l.k * inC);
    for (int8_t &w : l.filter)
      w = static_cast<int8_t>(rnd(-127, 127));
    for (int32_t c = 0; c < l.outC; ++c) {
      l.bias.push_back(rnd(-500, 500));
      l.mult.push_back(rnd(1 << 29, (1 << 30) + (1 << 29)));
      l.shift.push_back(rnd(-8, -5));
    }
    return l;
  };
  int checked = 0;
  for (int iter = 0; iter < 200; ++iter) {
    const Layer a = layer(rnd(3, 14), rnd(3, 9), rnd(1, 5));
    if (a.outH < 1 || a.outW < 1 || a.outH < 3 || a.outW < 3)
      continue;
    const Layer b = layer(a.outH, a.outW, a.outC);
    if (b.outH < 1 || b.outW < 1)
      continue;
    const int32_t chunk = rnd(1, b.outH);
    const int32_t inRowBytes = a.inW * a.inC, midRowBytes = a.outW * a.outC;
    const int32_t outRowBytes = b.outW * b.outC;
    std::vector<int8_t> input(static_cast<size_t>(a.inH) * inRowBytes);
    for (int8_t &x : input)
      x = static_cast<int8_t>(rnd(-128, 127));
    std::vector<int8_t> mid(static_cast<size_t>(a.outH) * midRowBytes);
    std::vector<int8_t> expected(static_cast<size_t>(b.outH) * outRowBytes);
    a.run(input.data(), a.inH, a.pad, a.outH, mid.data());
    b.run(mid.data(), b.inH, b.pad, b.outH, expected.data());

    std::vector<int8_t> window(mid.size()), out(expected.size());
    std::vector<int> computed(a.outH, 0);
    bool ordered = true;
    int32_t next = 0;
    streamRowPair(
        b.outH, chunk, a.outH, midRowBytes, b.stride, b.pad, b.k, window.data(),
        [&](int32_t r, int32_t n, uint8_t *dst) {
          ordered = ordered && r >= next;
          next = r + n;
          for (int32_t j = r; j < r + n; ++j)
            ++computed[j];
          const RowWindow w = rowsWindow(r, n, a.stride, a.pad, a.k, a.inH);
          a.run(input.data() + w.first * inRowBytes, w.count, w.padTop, n,
                reinterpret_cast<int8_t *>(dst));
        },
        [&](int32_t r, int32_t n, const RowWindow &w, const uint8_t *src) {
          b.run(reinterpret_cast<const int8_t *>(src), w.count, w.padTop, n,
                out.data() + static_cast<ptrdiff_t>(r) * outRowBytes);
        });
    ASSERT_EQ(out, expected)
        << "iteration " << iter << " a: k=" << a.k << " stride=" << a.stride
        << " pad=" << a.pad << " b: k=" << b.k << " stride=" << b.stride
        << " pad=" << b.pad << " chunk=" << chunk;
    EXPECT_TRUE(ordered);
    for (int c : computed)
      EXPECT_LE(c, 1);
    ++checked;
  }
  EXPECT_GT(checked, 100);
}

} // namespace
