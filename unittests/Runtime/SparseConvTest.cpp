//===- SparseConvTest.cpp - Filterlet-sparse 2-D convolution --------------===//
//
// Checks sparse_conv.h against the dense kernels of conv.h run on the same
// filter with the pruned filterlets zeroed (the sparse kernels' contract):
//  * hand-built cases: a fully pruned channel next to a dense one (it must
//    output its requantized bias), SAME padding with an input zero point
//    (border windows keep only in-bounds taps, also when pruning leaves a
//    border window no tap at all), stride 2 with dilation 2, several
//    channel blocks per tap, odd block lengths 3 and 5, and hand-computed
//    outputs for a few of them;
//  * random geometries (strides, dilations, paddings, windows in the
//    padding, batches, zero points, clamps, null biases, block lengths
//    from 1 to 32 including the unrolled 8 and 16 and ones not divisible
//    by 4, the stride-1 1x1 fast path) at filterlet sparsity 0, 0.3, 0.5,
//    0.9 and 1, with uint8_t, uint16_t and uint32_t indices: int8 outputs
//    byte-identical, float outputs bitwise identical;
//  * the kernels' requantization against multiplyByQuantizedMultiplier
//    over every shift, extreme accumulators and multipliers, and ties.
//
// SparseConvDspTest compiles this file again with the kernels' DSP paths
// on emulated intrinsics; test/mcu's sparse-conv test runs the comparison
// on M0+, M4 and M7 under QEMU.
//
//===----------------------------------------------------------------------===//

#include "tinyprune/rt/sparse_conv.h"

#include "TestRandom.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <vector>

using namespace tinyprune::rt;
using tinyprune::testing::Random;

namespace {

constexpr int32_t kHalfQ31 = 1 << 30; // with shift 1: x1.0

struct Geometry {
  int32_t batches, inH, inW, inC, outC, kH, kW, outH, outW;
  int32_t strideH, strideW, dilationH, dilationW, padTop, padLeft;
  size_t inSize() const { return size_t(batches) * inH * inW * inC; }
  size_t filterSize() const { return size_t(outC) * kH * kW * inC; }
  size_t outSize() const { return size_t(batches) * outH * outW * outC; }
};

/// The compiler's storage of a filterlet-pruned layer, built from a dense
/// OHWI filter and a keep mask over (output channel, filterlet id).
template <typename IndexT, typename T, typename RowT = IndexT>
struct SparseStorage {
  std::vector<RowT> rowPtr;
  std::vector<IndexT> index;
  std::vector<T> values;
  std::vector<int32_t> offset;
  std::vector<uint8_t> tapY, tapX;
  int32_t blockLen = 0;

  SparseStorage(const Geometry &g, int32_t b, const std::vector<T> &dense,
                const std::vector<bool> &keep)
      : blockLen(b) {
    const int32_t nb = g.inC / b;
    const int32_t ids = g.kH * g.kW * nb;
    for (int32_t ky = 0; ky < g.kH; ++ky)
      for (int32_t kx = 0; kx < g.kW; ++kx)
        for (int32_t cb = 0; cb < nb; ++cb) {
          offset.push_back(
              (ky * g.dilationH * g.inW + kx * g.dilationW) * g.inC + cb * b);
          tapY.push_back(uint8_t(ky));
          tapX.push_back(uint8_t(kx));
        }
    rowPtr.push_back(0);
    for (int32_t o = 0; o < g.outC; ++o) {
      for (int32_t f = 0; f < ids; ++f) {
        if (!keep[size_t(o) * ids + f])
          continue;
        index.push_back(IndexT(f));
        // Filterlet f of channel o is contiguous in OHWI.
        const size_t start = size_t(o) * g.kH * g.kW * g.inC + size_t(f) * b;
        values.insert(values.end(), dense.begin() + start,
                      dense.begin() + start + b);
      }
      rowPtr.push_back(RowT(index.size()));
    }
  }

  template <typename Filter> Filter filter() const {
    return Filter{rowPtr.data(), index.data(), values.data(), offset.data(),
                  tapY.data(),   tapX.data(),  blockLen};
  }
};

/// `dense` with the filterlets that `keep` drops set to zero.
template <typename T>
std::vector<T> masked(const Geometry &g, int32_t b, std::vector<T> dense,
                      const std::vector<bool> &keep) {
  const size_t ids = size_t(g.kH) * g.kW * (g.inC / b);
  for (size_t o = 0; o < size_t(g.outC); ++o)
    for (size_t f = 0; f < ids; ++f)
      if (!keep[o * ids + f])
        for (int32_t c = 0; c < b; ++c)
          dense[(o * ids + f) * b + c] = T(0);
  return dense;
}

ConvInt8Params int8Params(const Geometry &g, int32_t inZp, int32_t outZp,
                          int32_t actMin = -128, int32_t actMax = 127) {
  return ConvInt8Params{g.strideH, g.strideW, g.dilationH, g.dilationW,
                        g.padTop,  g.padLeft, inZp,        outZp,
                        actMin,    actMax};
}

/// Runs the sparse int8 kernel on `dense` pruned by `keep`, and the dense
/// kernel on the masked filter; returns {sparse, dense} outputs.
template <typename IndexT, typename RowT = IndexT>
std::pair<std::vector<int8_t>, std::vector<int8_t>>
runBothInt8(const Geometry &g, const ConvInt8Params &p, int32_t b,
            const std::vector<int32_t> &mult, const std::vector<int32_t> &shift,
            const std::vector<int8_t> &in, const std::vector<int8_t> &dense,
            const std::vector<bool> &keep, const int32_t *bias) {
  const SparseStorage<IndexT, int8_t, RowT> s(g, b, dense, keep);
  const std::vector<int8_t> m = masked(g, b, dense, keep);
  std::vector<int8_t> got(g.outSize(), 0x55), want(g.outSize(), 0x66);
  sparseConvPerChannelInt8(p, mult.data(), shift.data(), g.batches, g.inH,
                           g.inW, g.inC, in.data(), g.outC, g.kH, g.kW,
                           s.template filter<SparseFilterInt8<IndexT, RowT>>(), bias,
                           g.outH, g.outW, got.data());
  convPerChannelInt8(p, mult.data(), shift.data(), g.batches, g.inH, g.inW,
                     g.inC, in.data(), g.outC, g.kH, g.kW, m.data(), bias,
                     g.outH, g.outW, want.data());
  return {got, want};
}

template <typename IndexT, typename RowT = IndexT>
std::pair<std::vector<float>, std::vector<float>>
runBothFloat(const Geometry &g, const ConvFloatParams &p, int32_t b,
             const std::vector<float> &in, const std::vector<float> &dense,
             const std::vector<bool> &keep, const float *bias) {
  const SparseStorage<IndexT, float, RowT> s(g, b, dense, keep);
  const std::vector<float> m = masked(g, b, dense, keep);
  std::vector<float> got(g.outSize(), -7.0f), want(g.outSize(), 7.0f);
  sparseConvFloat(p, g.batches, g.inH, g.inW, g.inC, in.data(), g.outC, g.kH,
                  g.kW, s.template filter<SparseFilterFloat<IndexT, RowT>>(), bias,
                  g.outH, g.outW, got.data());
  convFloat(p, g.batches, g.inH, g.inW, g.inC, in.data(), g.outC, g.kH, g.kW,
            m.data(), bias, g.outH, g.outW, want.data());
  return {got, want};
}

std::vector<int8_t> ramp(size_t n, int start, int step) {
  std::vector<int8_t> v(n);
  for (size_t i = 0; i < n; ++i)
    v[i] = int8_t((start + int(i) * step) % 97 - 48);
  return v;
}

//===----------------------------------------------------------------------===//
// Hand-built cases
//===----------------------------------------------------------------------===//

TEST(SparseConvInt8, FullyPrunedChannelOutputsItsBias) {
  // 3x3 input of 1..9, 2x2 filters, B = inC = 1. Channel 0 keeps nothing,
  // channel 1 keeps all four taps {1, 2, 3, 4}: window sums 37, 47, 67, 77.
  const Geometry g{1, 3, 3, 1, 2, 2, 2, 2, 2, 1, 1, 1, 1, 0, 0};
  const std::vector<int8_t> in = {1, 2, 3, 4, 5, 6, 7, 8, 9};
  const std::vector<int8_t> dense = {9, 9, 9, 9, 1, 2, 3, 4};
  const std::vector<bool> keep = {false, false, false, false,
                                  true,  true,  true,  true};
  const int32_t bias[2] = {-21, 3};
  // x1.0 for both channels, output zero point -10.
  const auto r =
      runBothInt8<uint16_t>(g, int8Params(g, 0, -10), 1, {kHalfQ31, kHalfQ31},
                            {1, 1}, in, dense, keep, bias);
  EXPECT_EQ(r.first, std::vector<int8_t>({-31, 30, -31, 40, -31, 60, -31, 70}));
  EXPECT_EQ(r.first, r.second);
  // The bias alone is clamped too.
  const auto c = runBothInt8<uint32_t>(g, int8Params(g, 5, 0, -128, -40), 1,
                                       {kHalfQ31, kHalfQ31}, {1, 1}, in, dense,
                                       keep, bias);
  EXPECT_EQ(c.first[0], -40);
  EXPECT_EQ(c.first, c.second);
}

TEST(SparseConvInt8, SamePaddingWithZeroPointSkipsOutOfBoundsTaps) {
  // 2x2 input stored as zp + {1, 2, 3, 4} (zp = 3), 3x3 filter 1..9 with
  // the centre row pruned (B = inC = 1), SAME padding: every window is a
  // border window. Top-left output sees weights 5, 6, 8, 9 at inputs
  // 1, 2, 3, 4; row 1 (5, 6) is pruned, so 8 * 3 + 9 * 4 = 60.
  const Geometry g{1, 2, 2, 1, 1, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1};
  const std::vector<int8_t> in = {4, 5, 6, 7};
  std::vector<int8_t> dense(9);
  for (int i = 0; i < 9; ++i)
    dense[i] = int8_t(i + 1);
  const std::vector<bool> keep = {true,  true, true, false, false,
                                  false, true, true, true};
  const auto r = runBothInt8<uint16_t>(g, int8Params(g, 3, 0), 1, {kHalfQ31},
                                       {1}, in, dense, keep, nullptr);
  // Top-right: weights 4, 5 / 7, 8 at 1, 2 / 3, 4 -> 7 * 3 + 8 * 4 = 53;
  // bottom-left: weights 2, 3 / 5, 6 -> 2 + 6 = 8; bottom-right: 1 * 1 +
  // 2 * 2 = 5.
  EXPECT_EQ(r.first, std::vector<int8_t>({60, 53, 8, 5}));
  EXPECT_EQ(r.first, r.second);
}

TEST(SparseConvInt8, BorderWindowWithNoKeptTapInBounds) {
  // 4x4 input, 3x3 filter keeping only its bottom-right tap, padding 1
  // (and 2 on a second run, so whole windows fall in the padding): border
  // windows whose kept tap is outside give the bias alone.
  for (int32_t pad : {1, 2}) {
    const Geometry g{2, 4, 4, 4, 3, 3, 3, 4, 4, 1, 1, 1, 1, pad, pad};
    const std::vector<int8_t> in = ramp(g.inSize(), 5, 7);
    const std::vector<int8_t> dense = ramp(g.filterSize(), 1, 3);
    std::vector<bool> keep(size_t(g.outC) * 9, false);
    keep[8] = keep[9 + 8] = true; // channels 0 and 1: tap (2, 2)
    keep[18 + 4] = true;          // channel 2: the centre tap
    const int32_t bias[3] = {100, -100, 7};
    const auto r = runBothInt8<uint16_t>(
        g, int8Params(g, -7, 2), 4, {kHalfQ31, kHalfQ31 + 12345, INT32_MAX},
        {-3, -4, -2}, in, dense, keep, bias);
    EXPECT_EQ(r.first, r.second) << "pad " << pad;
  }
}

TEST(SparseConvInt8, StrideTwoDilationTwo) {
  // 5x5 input v = 5y + x, 2x2 filter {1, 2, 3, 4}, dilation 2, stride 2,
  // tap (0, 1) pruned: out = (v(2oy,2ox) + 3 v(+2,0) + 4 v(+2,+2)) / 2.
  Geometry g{1, 5, 5, 1, 1, 2, 2, 2, 2, 2, 2, 2, 2, 0, 0};
  std::vector<int8_t> in(25);
  for (int i = 0; i < 25; ++i)
    in[i] = int8_t(i);
  const std::vector<int8_t> dense = {1, 2, 3, 4};
  const std::vector<bool> keep = {true, false, true, true};
  const auto r = runBothInt8<uint32_t>(g, int8Params(g, 0, 0), 1, {kHalfQ31},
                                       {0}, in, dense, keep, nullptr);
  // (0 + 30 + 48) / 2 = 39, (2 + 36 + 56) / 2 = 47, (10 + 60 + 88) / 2 = 79,
  // (12 + 66 + 96) / 2 = 87.
  EXPECT_EQ(r.first, std::vector<int8_t>({39, 47, 79, 87}));
  EXPECT_EQ(r.first, r.second);
  // The same with SAME-like padding, several channels and blocks.
  g = Geometry{2, 7, 6, 8, 3, 3, 2, 4, 3, 2, 2, 2, 2, 2, 1};
  Random rng(5);
  for (int trial = 0; trial < 20; ++trial) {
    std::vector<bool> keep2(size_t(g.outC) * g.kH * g.kW * 2);
    for (size_t i = 0; i < keep2.size(); ++i)
      keep2[i] = rng(0, 1) != 0;
    const auto r2 = runBothInt8<uint16_t>(
        g, int8Params(g, rng(-128, 127), 1), 4, {kHalfQ31, kHalfQ31, kHalfQ31},
        {-5, -6, -7}, ramp(g.inSize(), trial, 11),
        ramp(g.filterSize(), trial, 5), keep2, nullptr);
    EXPECT_EQ(r2.first, r2.second) << "trial " << trial;
  }
}

TEST(SparseConvInt8, SeveralBlocksPerTap) {
  // 1x1 convolution, inC = 8 in blocks of 2: channel 0 keeps blocks 1
  // and 3 (inputs 2, 3 and 6, 7), channel 1 keeps block 0 only.
  const Geometry g{1, 1, 2, 8, 2, 1, 1, 1, 2, 1, 1, 1, 1, 0, 0};
  const std::vector<int8_t> in = {1,  2,  3,  4,  5,  6,  7,  8,
                                  -1, -2, -3, -4, -5, -6, -7, -8};
  const std::vector<int8_t> dense = {9,  9, 1, 1, 9, 9, 2, -1,
                                     10, 1, 9, 9, 9, 9, 9, 9};
  const std::vector<bool> keep = {false, true,  false, true,
                                  true,  false, false, false};
  const auto r =
      runBothInt8<uint16_t>(g, int8Params(g, 0, 0), 2, {kHalfQ31, kHalfQ31},
                            {1, 1}, in, dense, keep, nullptr);
  // Channel 0: 3 + 4 + 14 - 8 = 13; channel 1: 10 + 2 = 12; negated for
  // the second pixel.
  EXPECT_EQ(r.first, std::vector<int8_t>({13, 12, -13, -12}));
  EXPECT_EQ(r.first, r.second);
}

TEST(SparseConvInt8, ManyChannelsLargeBlocksAndGeneralMultipliers) {
  // Passes over more than 32 output channels, windows larger than the DSP
  // kernel's buffer (segments of filterlets), filterlets larger than it
  // (B = 2048, straight from the input), regrouped block lengths, and
  // multipliers that are not right shifts (general requantization), each
  // against the dense kernel.
  Random r(77);
  struct Case {
    Geometry g;
    int32_t b, shift;
  };
  const Case cases[] = {
      // The DSP kernel's paths: whole windows (below), windows in segments
      // of filterlets with B = 64 and 32 (3x3 over 64 channels, as in
      // ResNet-8), first layers over 1 and 3 channels regrouped into
      // groups of four elements, over several passes (10x4 over 1 channel,
      // 40 filters), and a regrouped window too large for the buffer.
      {{1, 6, 5, 64, 37, 3, 3, 6, 5, 1, 1, 1, 1, 1, 1}, 64, -11},
      {{1, 5, 6, 64, 9, 3, 3, 3, 3, 2, 2, 1, 1, 1, 0}, 32, -11},
      {{1, 9, 7, 1, 40, 10, 4, 9, 7, 1, 1, 1, 1, 4, 1}, 1, -9},
      {{2, 7, 6, 3, 35, 3, 3, 4, 3, 2, 2, 1, 1, 1, 1}, 3, -9},
      {{1, 5, 5, 24, 6, 3, 3, 5, 5, 1, 1, 1, 1, 1, 1}, 3, -11},
      {{1, 5, 4, 8, 41, 3, 3, 5, 4, 1, 1, 1, 1, 1, 1}, 4, -9},
      {{2, 3, 3, 64, 37, 3, 3, 2, 2, 1, 1, 1, 1, 0, 1}, 16, -11},
      {{1, 1, 1, 2048, 3, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0}, 2048, -13},
      {{1, 1, 1, 1600, 5, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0}, 8, -13},
      {{1, 4, 3, 8, 34, 2, 2, 3, 3, 1, 1, 1, 1, 1, 0}, 8, 1},
  };
  for (const Case &c : cases) {
    const Geometry &g = c.g;
    std::vector<bool> keep(size_t(g.outC) * g.kH * g.kW * (g.inC / c.b));
    for (size_t i = 0; i < keep.size(); ++i)
      keep[i] = r(0, 1) == 0;
    std::vector<int8_t> in(g.inSize()), dense(g.filterSize());
    for (int8_t &v : in)
      v = int8_t(r(-128, 127));
    for (int8_t &v : dense)
      v = int8_t(r(-128, 127));
    std::vector<int32_t> bias(size_t(g.outC)), mult(size_t(g.outC)),
        shift(size_t(g.outC), c.shift);
    for (int32_t o = 0; o < g.outC; ++o) {
      bias[size_t(o)] = r(-3000, 3000);
      mult[size_t(o)] = c.shift > 0 ? r(1 << 20, 1 << 21) : r(kHalfQ31, INT32_MAX);
    }
    const auto res = runBothInt8<uint16_t>(g, int8Params(g, r(-20, 20), 3),
                                           c.b, mult, shift, in, dense, keep,
                                           bias.data());
    EXPECT_EQ(res.first, res.second) << "inC " << g.inC << " B " << c.b;
    int32_t distinct = 0;
    for (size_t i = 1; i < res.first.size(); ++i)
      distinct += res.first[i] != res.first[i - 1];
    EXPECT_GT(distinct, int32_t(res.first.size()) / 4);
  }
}

TEST(SparseConvInt8, OddBlockLengths) {
  // B = 3 and 5 (not divisible by 4): k x k filterlets of whole channel
  // vectors, and 1x1 layers with several blocks, padded and unpadded,
  // with and without an input zero point.
  Random rng(35);
  for (int32_t b : {3, 5}) {
    for (int32_t nb : {1, 3}) {
      for (int32_t k : {1, 3}) {
        const int32_t pad = k == 3 ? 1 : 0;
        const Geometry g{1, 5, 6, b * nb, 5, k, k, 5, 6, 1, 1, 1, 1, pad, pad};
        const int32_t ids = k * k * nb;
        std::vector<bool> keep(size_t(g.outC) * ids);
        for (size_t i = 0; i < keep.size(); ++i)
          keep[i] = rng(0, 2) != 0;
        for (int32_t f = 0; f < ids; ++f)
          keep[size_t(f)] = false; // channel 0 fully pruned
        const std::vector<int32_t> mult(5, kHalfQ31), shift(5, -4);
        for (int32_t zp : {0, 17}) {
          const auto r = runBothInt8<uint16_t>(
              g, int8Params(g, zp, -3), b, mult, shift, ramp(g.inSize(), b, 13),
              ramp(g.filterSize(), nb, 7), keep, nullptr);
          EXPECT_EQ(r.first, r.second)
              << "B " << b << " blocks " << nb << " k " << k << " zp " << zp;
        }
      }
    }
  }
}

TEST(SparseConvFloat, HandComputed) {
  // 3x3 input 1..9, 2x2 filter {1, 2, 3, 4} with tap (1, 0) pruned:
  // window sums 37 - 3 * 4, ... plus a bias of 0.5.
  const Geometry g{1, 3, 3, 1, 2, 2, 2, 2, 2, 1, 1, 1, 1, 0, 0};
  const std::vector<float> in = {1, 2, 3, 4, 5, 6, 7, 8, 9};
  const std::vector<float> dense = {1, 2, 3, 4, 5, 5, 5, 5};
  const std::vector<bool> keep = {true,  true,  false, true,
                                  false, false, false, false};
  const float bias[2] = {0.5f, -1.0f};
  const ConvFloatParams p{1, 1, 1, 1, 0, 0, -1e30f, 1e30f};
  const auto r = runBothFloat<uint16_t>(g, p, 1, in, dense, keep, bias);
  EXPECT_EQ(r.first, std::vector<float>({25.5f, -1.0f, 32.5f, -1.0f, 46.5f,
                                         -1.0f, 53.5f, -1.0f}));
  EXPECT_EQ(0, std::memcmp(r.first.data(), r.second.data(), 8 * 4));
}

#if !TINYPRUNE_RT_SPARSE_DSP
// The portable kernel's requantization (the DSP kernel uses conv.h's).
TEST(SparseConvRequant, MatchesMultiplyByQuantizedMultiplier) {
  // The kernels' requantization hoists the per-channel parts and uses
  // (a * b + 2^30) >> 31 for the doubling high multiply: same results for
  // every shift, including the extremes, saturation and rounding ties.
  Random r(31);
  const int32_t edges[] = {
      INT32_MIN, INT32_MIN + 1, -(1 << 30),    -65536,   -3, -1, 0, 1, 2, 3,
      65536,     1 << 30,       INT32_MAX - 1, INT32_MAX};
  int checked = 0;
  for (int32_t shift = -31; shift <= 31; ++shift) {
    for (int trial = 0; trial < 3000; ++trial) {
      const int32_t m = trial < 14 ? edges[trial] : r(INT32_MIN, INT32_MAX);
      const int32_t zp = r(-128, 127);
      const int32_t lo = r(-128, 0), hi = r(0, 127);
      const sparse_detail::Requant rq(m, shift, zp, lo, hi);
      for (int k = 0; k < 20; ++k) {
        int32_t acc = k < 14 ? edges[k] : r(INT32_MIN, INT32_MAX);
        if (k >= 17)
          acc >>= r(0, 31);
        // In 64 bits: extreme accumulators reach INT32_MAX before the zero
        // point is added.
        const int64_t scaled =
            int64_t(multiplyByQuantizedMultiplier(acc, m, shift)) + zp;
        const int32_t want = static_cast<int32_t>(
            std::min<int64_t>(hi, std::max<int64_t>(lo, scaled)));
        ASSERT_EQ(rq(static_cast<uint32_t>(acc)), want)
            << "acc " << acc << " multiplier " << m << " shift " << shift;
        ++checked;
      }
    }
  }
  // Exact ties of the right shift: acc * m / 2^31 = (2j + 1) * 2^(e - 1).
  for (int32_t e = 1; e <= 20; ++e)
    for (int32_t j = -300; j <= 300; ++j) {
      const int32_t acc = (2 * j + 1) * (1 << (e - 1));
      const sparse_detail::Requant rq(1 << 30, 1 - e, 0, -128, 127);
      ASSERT_EQ(rq(static_cast<uint32_t>(acc)),
                std::min(127, std::max(-128, multiplyByQuantizedMultiplier(
                                                 acc, 1 << 30, 1 - e))))
          << "acc " << acc << " e " << e;
    }
  EXPECT_EQ(checked, 63 * 3000 * 20);
}
#endif

//===----------------------------------------------------------------------===//
// Random cases against the dense kernels on the masked filter
//===----------------------------------------------------------------------===//

/// Random geometry with inC a multiple of the block length `b`; windows
/// may lie wholly in padding or stop short of the input's far edge. One
/// case in four is a stride-1 unpadded 1x1 layer (the kernels' flat path).
Geometry randomGeometry(Random &r, int32_t &b) {
  static const int32_t kBlocks[] = {1, 2, 3, 4, 5, 7, 8, 8, 12, 16, 16, 32};
  b = kBlocks[r(0, 11)];
  Geometry g;
  g.batches = r(1, 2);
  g.inH = r(1, 7);
  g.inW = r(1, 7);
  g.inC = b * r(1, b >= 16 ? 2 : 4);
  g.outC = r(1, 5);
  if (r(0, 3) == 0) {
    g.kH = g.kW = 1;
    g.outH = g.inH;
    g.outW = g.inW;
    g.strideH = g.strideW = g.dilationH = g.dilationW = 1;
    g.padTop = g.padLeft = 0;
    return g;
  }
  g.kH = r(1, 4);
  g.kW = r(1, 4);
  g.outH = r(1, 7);
  g.outW = r(1, 7);
  g.strideH = r(1, 3);
  g.strideW = r(1, 3);
  g.dilationH = r(1, 3);
  g.dilationW = r(1, 3);
  g.padTop = r(0, (g.kH - 1) * g.dilationH + 1);
  g.padLeft = r(0, (g.kW - 1) * g.dilationW + 1);
  return g;
}

std::vector<bool> randomKeep(Random &r, const Geometry &g, int32_t b,
                             int sparsityPercent) {
  std::vector<bool> keep(size_t(g.outC) * g.kH * g.kW * (g.inC / b));
  for (size_t i = 0; i < keep.size(); ++i)
    keep[i] = r(0, 99) >= sparsityPercent;
  return keep;
}

constexpr int kSparsities[] = {0, 30, 50, 90, 100};
constexpr int kTrials = 150;

template <typename IndexT, typename RowT = IndexT>
void randomInt8(uint32_t seed) {
  Random r(seed);
  int checked = 0, unclamped = 0;
  for (int sparsity : kSparsities) {
    for (int trial = 0; trial < kTrials; ++trial) {
      int32_t b;
      const Geometry g = randomGeometry(r, b);
      const std::vector<bool> keep = randomKeep(r, g, b, sparsity);
      // The compiler folds the input zero point of unpadded layers into
      // the bias: half the cases have none.
      const int32_t inZp = r(0, 1) ? 0 : r(-128, 127);
      ConvInt8Params p = int8Params(g, inZp, r(-128, 127));
      if (r(0, 3) == 0) {
        p.actMin = r(-128, 20);
        p.actMax = r(p.actMin, 127);
      }
      std::vector<int8_t> in(g.inSize()), dense(g.filterSize());
      for (int8_t &v : in)
        v = int8_t(r(-128, 127));
      for (int8_t &v : dense)
        v = int8_t(r(-128, 127));
      std::vector<int32_t> bias(size_t(g.outC)), mult(size_t(g.outC)),
          shift(size_t(g.outC));
      const int32_t taps = g.kH * g.kW * g.inC;
      for (int32_t o = 0; o < g.outC; ++o) {
        bias[size_t(o)] = r(-30000, 30000);
        mult[size_t(o)] = r(kHalfQ31, INT32_MAX);
        // Accumulators reach about 2^14 * sqrt(taps): scale to ~2^7.
        int32_t bits = 14;
        for (int32_t t = 1; t < taps; t *= 4)
          ++bits;
        shift[size_t(o)] = 7 - bits + r(-1, 1);
      }
      const int32_t *biasPtr = r(0, 4) == 0 ? nullptr : bias.data();
      const auto res =
          runBothInt8<IndexT, RowT>(g, p, b, mult, shift, in, dense, keep,
                                    biasPtr);
      ASSERT_EQ(res.first, res.second)
          << "sparsity " << sparsity << "% trial " << trial << " B " << b
          << " inC " << g.inC << " k " << g.kH << "x" << g.kW;
      for (int8_t v : res.first) {
        ++checked;
        unclamped += v > p.actMin && v < p.actMax;
      }
    }
  }
  // Outputs must mostly stay off the clamp, or equality would say little.
  EXPECT_GT(unclamped, checked / 2);
}

TEST(SparseConvInt8, RandomCasesMatchDenseOnMaskedFilterUint16) {
  randomInt8<uint16_t>(20240901);
}

TEST(SparseConvInt8, RandomCasesMatchDenseOnMaskedFilterUint32) {
  randomInt8<uint32_t>(20240902);
}

template <typename IndexT, typename RowT = IndexT>
void randomFloat(uint32_t seed) {
  Random r(seed);
  for (int sparsity : kSparsities) {
    for (int trial = 0; trial < kTrials; ++trial) {
      int32_t b;
      const Geometry g = randomGeometry(r, b);
      const std::vector<bool> keep = randomKeep(r, g, b, sparsity);
      ConvFloatParams p{g.strideH, g.strideW, g.dilationH, g.dilationW,
                        g.padTop,  g.padLeft, -1e30f,      1e30f};
      if (r(0, 2) == 0) {
        p.actMin = r.real(-2.0f, 0.0f);
        p.actMax = r.real(0.0f, 2.0f);
      }
      std::vector<float> in(g.inSize()), dense(g.filterSize()),
          bias(size_t(g.outC));
      for (float &v : in)
        v = r.real(-1.0f, 1.0f);
      for (float &v : dense)
        v = r.real(-1.0f, 1.0f);
      for (float &v : bias)
        v = r.real(-1.0f, 1.0f);
      const float *biasPtr = r(0, 4) == 0 ? nullptr : bias.data();
      const auto res =
          runBothFloat<IndexT, RowT>(g, p, b, in, dense, keep, biasPtr);
      ASSERT_EQ(0, std::memcmp(res.first.data(), res.second.data(),
                               res.first.size() * sizeof(float)))
          << "sparsity " << sparsity << "% trial " << trial << " B " << b;
    }
  }
}

// The compiler's narrowest storage: uint8_t ids (at most 256 filterlets
// per filter; the random geometries have at most 64), uint16_t row pointers.
TEST(SparseConvInt8, RandomCasesMatchDenseOnMaskedFilterUint8Ids) {
  randomInt8<uint8_t, uint16_t>(20240903);
}

TEST(SparseConvFloat, RandomCasesMatchDenseOnMaskedFilterUint8Ids) {
  randomFloat<uint8_t, uint16_t>(77003);
}

TEST(SparseConvFloat, RandomCasesMatchDenseOnMaskedFilterUint16) {
  randomFloat<uint16_t>(77001);
}

TEST(SparseConvFloat, RandomCasesMatchDenseOnMaskedFilterUint32) {
  randomFloat<uint32_t>(77002);
}

} // namespace
