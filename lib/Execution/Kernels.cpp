//===- Kernels.cpp - Kernels shared by TOSA and layer ops -----------------===//
//
// The interpreter's arithmetic that TOSA ops and the layer ops standing for
// their chains share, so that both compute the same bytes: TOSA's integer
// helpers (apply_scale_32, saturation, wrapping), convolution, pooling and
// broadcasting.
//
//===----------------------------------------------------------------------===//

#include "Kernels.h"

#include <algorithm>
#include <cmath>

using namespace mlir;
using namespace tinyprune;
using namespace tinyprune::exec;

SmallVector<int64_t, 4> exec::stridesOf(ArrayRef<int64_t> shape) {
  SmallVector<int64_t, 4> s(shape.size(), 1);
  for (int64_t d = (int64_t)shape.size() - 2; d >= 0; --d)
    s[d] = s[d + 1] * shape[d + 1];
  return s;
}

int64_t exec::saturateBits(int64_t v, unsigned bits) {
  if (bits >= 64)
    return v;
  if (bits == 1)
    return v != 0;
  int64_t lo = -(int64_t(1) << (bits - 1)), hi = (int64_t(1) << (bits - 1)) - 1;
  return std::min(std::max(v, lo), hi);
}

int64_t exec::wrapBits(int64_t v, unsigned bits) {
  if (bits >= 64)
    return v;
  if (bits == 1)
    return v & 1;
  uint64_t mask = (uint64_t(1) << bits) - 1;
  uint64_t u = static_cast<uint64_t>(v) & mask;
  if (u >> (bits - 1))
    u |= ~mask;
  return static_cast<int64_t>(u);
}

int64_t exec::applyScale32(int64_t value, int64_t multiplier, int64_t shift,
                           bool doubleRound) {
  int64_t round = int64_t(1) << (shift - 1);
  if (doubleRound && shift > 31)
    round += value >= 0 ? (int64_t(1) << 30) : -(int64_t(1) << 30);
  __int128 product = static_cast<__int128>(value) * multiplier + round;
  return static_cast<int64_t>(product >> shift);
}

void exec::convolve(const Tensor &in, const Tensor &w, const Tensor &bias,
                    int64_t inZp, int64_t wZp, ArrayRef<int64_t> pad,
                    ArrayRef<int64_t> stride, ArrayRef<int64_t> dilation,
                    bool depthwise, Tensor &out, ConvScratch &scratch) {
  int64_t n = in.shape[0], ih = in.shape[1], iw = in.shape[2], ic = in.shape[3];
  int64_t oh = out.shape[1], ow = out.shape[2], oc = out.shape[3];
  // Conv: OHWI weights. Depthwise: [KH, KW, C, M], output channel c*M + m,
  // so the weight of (ky, kx, o) is at (ky*KW + kx)*OC + o.
  int64_t kh = depthwise ? w.shape[0] : w.shape[1];
  int64_t kw = depthwise ? w.shape[1] : w.shape[2];
  int64_t mult = depthwise ? w.shape[3] : 1;
  bool isFloat = in.isFloat();
  bool perChannelBias = bias.numElements() != 1;

  // Each output pixel is computed for all output channels at once; the
  // innermost loops run over contiguous channels. Every output element
  // still accumulates its terms in the order (ky, kx, c), so float results
  // are bit-identical to a per-element loop.
  if (isFloat) {
    // Conv weights transposed to [KH][KW][IC][OC] so that the channel loop
    // is contiguous.
    std::vector<float> &wt = scratch.wF;
    if (!depthwise) {
      wt.resize(w.f.size());
      for (int64_t o = 0; o < oc; ++o)
        for (int64_t k = 0; k < kh * kw; ++k)
          for (int64_t c = 0; c < ic; ++c)
            wt[(k * ic + c) * oc + o] = w.f[(o * kh * kw + k) * ic + c];
    }
    std::vector<float> &acc = scratch.accF;
    acc.resize(oc);
    for (int64_t b = 0; b < n; ++b)
      for (int64_t oy = 0; oy < oh; ++oy)
        for (int64_t ox = 0; ox < ow; ++ox) {
          // TFLite's reference kernels sum the products from 0 and add the
          // bias last; starting from the bias rounds differently.
          std::fill(acc.begin(), acc.end(), 0.0f);
          for (int64_t ky = 0; ky < kh; ++ky) {
            int64_t y = oy * stride[0] - pad[0] + ky * dilation[0];
            if (y < 0 || y >= ih)
              continue; // Padding contributes nothing.
            for (int64_t kx = 0; kx < kw; ++kx) {
              int64_t x = ox * stride[1] - pad[2] + kx * dilation[1];
              if (x < 0 || x >= iw)
                continue;
              const float *px = &in.f[((b * ih + y) * iw + x) * ic];
              float *pa = acc.data();
              if (depthwise) {
                const float *pw = &w.f[(ky * kw + kx) * oc];
                for (int64_t o = 0; o < oc; ++o)
                  pa[o] += px[o / mult] * pw[o];
                continue;
              }
              const float *pw = &wt[(ky * kw + kx) * ic * oc];
              for (int64_t c = 0; c < ic; ++c) {
                float v = px[c];
                const float *row = pw + c * oc;
                for (int64_t o = 0; o < oc; ++o)
                  pa[o] += v * row[o];
              }
            }
          }
          float *po = &out.f[((b * oh + oy) * ow + ox) * oc];
          for (int64_t o = 0; o < oc; ++o)
            po[o] = acc[o] + bias.f[perChannelBias ? o : 0];
        }
    return;
  }

  // Integers. With 8-bit inputs and weights every product of zero-point
  // corrected values fits in 17 bits, so the terms are summed in 32 bits;
  // the i32 result wraps exactly as the 64-bit sum wrapped to i32 would.
  unsigned inBits = in.elementType.getIntOrFloatBitWidth();
  unsigned wBits = w.elementType.getIntOrFloatBitWidth();
  unsigned outBits = out.elementType.getIntOrFloatBitWidth();
  bool narrow = inBits <= 8 && wBits <= 8 && outBits == 32 && ic < 30000 &&
                inZp >= -128 && inZp <= 127 && wZp >= -128 && wZp <= 127;
  if (narrow) {
    std::vector<int16_t> &xin = scratch.in, &wt = scratch.w;
    xin.resize(in.i.size());
    for (size_t k = 0; k < in.i.size(); ++k)
      xin[k] = static_cast<int16_t>(in.i[k] - inZp);
    // Few input channels (a first layer): weights transposed to
    // [KH][KW][IC][OC] and the output channels innermost, as for floats.
    // Otherwise a dot product over the input channels per output channel.
    bool channelsInner = !depthwise && ic < 16;
    wt.resize(w.i.size());
    if (channelsInner) {
      for (int64_t o = 0; o < oc; ++o)
        for (int64_t k = 0; k < kh * kw; ++k)
          for (int64_t c = 0; c < ic; ++c)
            wt[(k * ic + c) * oc + o] =
                static_cast<int16_t>(w.i[(o * kh * kw + k) * ic + c] - wZp);
    } else {
      for (size_t k = 0; k < w.i.size(); ++k)
        wt[k] = static_cast<int16_t>(w.i[k] - wZp);
    }
    std::vector<uint32_t> &acc = scratch.acc;
    acc.resize(oc);
    for (int64_t b = 0; b < n; ++b)
      for (int64_t oy = 0; oy < oh; ++oy)
        for (int64_t ox = 0; ox < ow; ++ox) {
          for (int64_t o = 0; o < oc; ++o)
            acc[o] = static_cast<uint32_t>(bias.i[perChannelBias ? o : 0]);
          for (int64_t ky = 0; ky < kh; ++ky) {
            int64_t y = oy * stride[0] - pad[0] + ky * dilation[0];
            if (y < 0 || y >= ih)
              continue;
            for (int64_t kx = 0; kx < kw; ++kx) {
              int64_t x = ox * stride[1] - pad[2] + kx * dilation[1];
              if (x < 0 || x >= iw)
                continue;
              const int16_t *px = &xin[((b * ih + y) * iw + x) * ic];
              uint32_t *pa = acc.data();
              if (depthwise) {
                const int16_t *pw = &wt[(ky * kw + kx) * oc];
                if (mult == 1) {
                  for (int64_t o = 0; o < oc; ++o)
                    pa[o] += static_cast<uint32_t>(int32_t(px[o]) * pw[o]);
                } else {
                  for (int64_t o = 0; o < oc; ++o)
                    pa[o] +=
                        static_cast<uint32_t>(int32_t(px[o / mult]) * pw[o]);
                }
                continue;
              }
              if (channelsInner) {
                const int16_t *pw = &wt[(ky * kw + kx) * ic * oc];
                for (int64_t c = 0; c < ic; ++c) {
                  int32_t v = px[c];
                  const int16_t *row = pw + c * oc;
                  for (int64_t o = 0; o < oc; ++o)
                    pa[o] += static_cast<uint32_t>(v * row[o]);
                }
                continue;
              }
              for (int64_t o = 0; o < oc; ++o) {
                const int16_t *pw = &wt[((o * kh + ky) * kw + kx) * ic];
                int32_t dot = 0; // |dot| < 30000 * 255^2 < 2^31
                for (int64_t c = 0; c < ic; ++c)
                  dot += int32_t(px[c]) * pw[c];
                pa[o] += static_cast<uint32_t>(dot);
              }
            }
          }
          int64_t *po = &out.i[((b * oh + oy) * ow + ox) * oc];
          for (int64_t o = 0; o < oc; ++o)
            po[o] = static_cast<int32_t>(acc[o]);
        }
    return;
  }

  // Wider integers (int16 activations, i48 accumulators): 64-bit sums.
  for (int64_t b = 0; b < n; ++b)
    for (int64_t oy = 0; oy < oh; ++oy)
      for (int64_t ox = 0; ox < ow; ++ox)
        for (int64_t o = 0; o < oc; ++o) {
          int64_t acc = bias.i[perChannelBias ? o : 0];
          for (int64_t ky = 0; ky < kh; ++ky) {
            int64_t y = oy * stride[0] - pad[0] + ky * dilation[0];
            if (y < 0 || y >= ih)
              continue;
            for (int64_t kx = 0; kx < kw; ++kx) {
              int64_t x = ox * stride[1] - pad[2] + kx * dilation[1];
              if (x < 0 || x >= iw)
                continue;
              int64_t base = ((b * ih + y) * iw + x) * ic;
              if (depthwise) {
                acc += (in.i[base + o / mult] - inZp) *
                       (w.i[(ky * kw + kx) * oc + o] - wZp);
                continue;
              }
              int64_t wbase = ((o * kh + ky) * kw + kx) * ic;
              for (int64_t c = 0; c < ic; ++c)
                acc += (in.i[base + c] - inZp) * (w.i[wbase + c] - wZp);
            }
          }
          out.i[((b * oh + oy) * ow + ox) * oc + o] = wrapBits(acc, outBits);
        }
}

void exec::pool(const Tensor &in, ArrayRef<int64_t> kernel,
                ArrayRef<int64_t> stride, ArrayRef<int64_t> pad, bool isMax,
                Tensor &out) {
  int64_t n = in.shape[0], ih = in.shape[1], iw = in.shape[2], c = in.shape[3];
  int64_t oh = out.shape[1], ow = out.shape[2];
  for (int64_t b = 0; b < n; ++b)
    for (int64_t oy = 0; oy < oh; ++oy)
      for (int64_t ox = 0; ox < ow; ++ox)
        for (int64_t ch = 0; ch < c; ++ch) {
          int64_t best = INT64_MIN, count = 0;
          float bestF = -INFINITY, sumF = 0.0f;
          for (int64_t ky = 0; ky < kernel[0]; ++ky) {
            int64_t y = oy * stride[0] - pad[0] + ky;
            if (y < 0 || y >= ih)
              continue;
            for (int64_t kx = 0; kx < kernel[1]; ++kx) {
              int64_t x = ox * stride[1] - pad[2] + kx;
              if (x < 0 || x >= iw)
                continue;
              int64_t idx = ((b * ih + y) * iw + x) * c + ch;
              ++count;
              if (in.isFloat()) {
                bestF = std::max(bestF, in.f[idx]);
                sumF += in.f[idx];
              } else {
                best = std::max(best, in.i[idx]);
              }
            }
          }
          int64_t oidx = ((b * oh + oy) * ow + ox) * c + ch;
          if (in.isFloat())
            out.f[oidx] = isMax ? bestF : sumF / static_cast<float>(count);
          else
            out.i[oidx] = best;
        }
}

void exec::forEachBroadcast(
    ArrayRef<int64_t> a, ArrayRef<int64_t> b, ArrayRef<int64_t> out,
    llvm::function_ref<void(int64_t, int64_t, int64_t)> fn) {
  int64_t e = 1;
  for (int64_t d : out)
    e *= d;
  // Without broadcasting, operands are read in step with the output.
  if (a == out && b == out) {
    for (int64_t k = 0; k < e; ++k)
      fn(k, k, k);
    return;
  }
  size_t rank = out.size();
  auto sa = stridesOf(a), sb = stridesOf(b), so = stridesOf(out);
  size_t offA = rank - a.size(), offB = rank - b.size();
  for (int64_t k = 0; k < e; ++k) {
    int64_t ia = 0, ib = 0, rem = k;
    for (size_t d = 0; d < rank; ++d) {
      int64_t idx = rem / so[d];
      rem %= so[d];
      if (d >= offA && a[d - offA] != 1)
        ia += idx * sa[d - offA];
      if (d >= offB && b[d - offB] != 1)
        ib += idx * sb[d - offB];
    }
    fn(k, ia, ib);
  }
}
