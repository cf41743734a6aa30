// Firmware for sparse_conv.h on Cortex-M (run by run_firmware.py).
//
// Default: random geometries, block lengths (1 to 32: the unrolled 8 and
// 16, ones not divisible by 4), zero points and filterlet sparsities 0,
// 0.3, 0.5, 0.9 and 1 with uint16_t and uint32_t indices; the sparse int8
// and float kernels against convPerChannelInt8 / convFloat on the masked
// dense filter, compiled for the core (the DSP path on M4/M7, the portable
// one on M0+). Prints `dsp <0|1>`, one summary line, every mismatch, and
// exits with 1 if there was one.
//
// -DSPARSE_BENCH: the benchmark layers of bench/sparse_conv_bench.py at
// sparsity 0, 0.3, 0.5, 0.7 and 0.9, each run dense then sparse between
// calls of tinyprune_mark (three marks per run, so the instruction plugin
// gives both counts), outputs compared.

#include "tinyprune/rt/sparse_conv.h"

#include <cstdint>
#include <cstdio>
#include <cstring>

/// The instruction-count plugin's marker.
extern "C" __attribute__((noinline)) void tinyprune_mark() {
  __asm volatile("" ::: "memory");
}

namespace {

using namespace tinyprune::rt;

/// xorshift32: deterministic and identical on every core.
struct Rng {
  uint32_t s;
  uint32_t next() {
    s ^= s << 13;
    s ^= s >> 17;
    s ^= s << 5;
    return s;
  }
  /// Uniform-ish in [lo, hi].
  int32_t operator()(int32_t lo, int32_t hi) {
    return lo +
           static_cast<int32_t>(next() % static_cast<uint32_t>(hi - lo + 1));
  }
  float real(float lo, float hi) {
    return lo +
           (hi - lo) * static_cast<float>(next() >> 8) * (1.0f / 16777216.0f);
  }
};

struct Geometry {
  int32_t batches, inH, inW, inC, outC, kH, kW, outH, outW;
  int32_t strideH, strideW, dilationH, dilationW, padTop, padLeft;
  int32_t inSize() const { return batches * inH * inW * inC; }
  int32_t filterSize() const { return outC * kH * kW * inC; }
  int32_t outSize() const { return batches * outH * outW * outC; }
};

constexpr int32_t kMaxIn = 16 * 16 * 64;
#ifdef SPARSE_BENCH
constexpr int32_t kMaxFilter = 64 * 64 * 9;
#else
constexpr int32_t kMaxFilter = 64 * 64 * 2;
#endif
constexpr int32_t kMaxOut = 16 * 16 * 64;
constexpr int32_t kMaxOutC = 64;
constexpr int32_t kMaxIds = 512;

int8_t inputI8[kMaxIn], denseI8[kMaxFilter], maskedI8[kMaxFilter],
    valuesI8[kMaxFilter], outSparseI8[kMaxOut], outDenseI8[kMaxOut];
int32_t biasI32[kMaxOutC], multiplier[kMaxOutC], shift[kMaxOutC];
bool keep[kMaxOutC * kMaxIds];
uint16_t rowPtr16[kMaxOutC + 1], index16[kMaxOutC * kMaxIds];
#ifndef SPARSE_BENCH
float inputF[kMaxIn], denseF[kMaxFilter], maskedF[kMaxFilter],
    valuesF[kMaxFilter], outSparseF[kMaxOut], outDenseF[kMaxOut];
float biasF[kMaxOutC];
uint32_t rowPtr32[kMaxOutC + 1], index32[kMaxOutC * kMaxIds];
#endif
int32_t offsets[kMaxIds];
uint8_t tapY[kMaxIds], tapX[kMaxIds];

int32_t filterletIds(const Geometry &g, int32_t b) {
  return g.kH * g.kW * (g.inC / b);
}

/// The compiler's CSR form of `dense` under `keep`, plus the masked dense
/// filter. Returns the number of kept filterlets.
template <typename IndexT, typename T>
int32_t buildSparse(const Geometry &g, int32_t b, const T *dense, T *masked,
                    IndexT *rowPtr, IndexT *index, T *values) {
  const int32_t nb = g.inC / b;
  const int32_t ids = filterletIds(g, b);
  for (int32_t ky = 0; ky < g.kH; ++ky)
    for (int32_t kx = 0; kx < g.kW; ++kx)
      for (int32_t cb = 0; cb < nb; ++cb) {
        const int32_t f = (ky * g.kW + kx) * nb + cb;
        offsets[f] =
            (ky * g.dilationH * g.inW + kx * g.dilationW) * g.inC + cb * b;
        tapY[f] = static_cast<uint8_t>(ky);
        tapX[f] = static_cast<uint8_t>(kx);
      }
  int32_t kept = 0;
  rowPtr[0] = 0;
  for (int32_t o = 0; o < g.outC; ++o) {
    for (int32_t f = 0; f < ids; ++f) {
      const T *src = dense + (o * ids + f) * b;
      T *dst = masked + (o * ids + f) * b;
      if (keep[o * ids + f]) {
        index[kept] = static_cast<IndexT>(f);
        for (int32_t c = 0; c < b; ++c)
          values[kept * b + c] = dst[c] = src[c];
        ++kept;
      } else {
        for (int32_t c = 0; c < b; ++c)
          dst[c] = T(0);
      }
    }
    rowPtr[o + 1] = static_cast<IndexT>(kept);
  }
  return kept;
}

/// Keeps exactly round((1 - sparsity) * n) of the n filterlets of the
/// layer, chosen at random (a partial Fisher-Yates shuffle of ids).
void randomMask(Rng &r, int32_t n, int32_t sparsityPercent) {
  static int32_t order[kMaxOutC * kMaxIds];
  for (int32_t i = 0; i < n; ++i) {
    order[i] = i;
    keep[i] = false;
  }
  const int32_t kept = (n * (100 - sparsityPercent) + 50) / 100;
  for (int32_t i = 0; i < kept; ++i) {
    const int32_t j = r(i, n - 1);
    const int32_t t = order[i];
    order[i] = order[j];
    order[j] = t;
    keep[order[i]] = true;
  }
}

ConvInt8Params int8Params(const Geometry &g, int32_t inZp, int32_t outZp) {
  return ConvInt8Params{g.strideH, g.strideW, g.dilationH, g.dilationW,
                        g.padTop,  g.padLeft, inZp,        outZp,
                        -128,      127};
}

#if defined(SPARSE_BENCH) && TINYPRUNE_RT_CONV_W16
int32_t masked16[kMaxFilter];

/// The masked filter as int16 pairs where the compiler passes them to the
/// dense kernel (KernelCalls.cpp: whole-word filter rows, pointwise or
/// larger than the patch path takes, undilated), else null: the benchmark
/// compares the sparse kernel with the dense code the DSP cores run.
const int32_t *denseW16(const Geometry &g, int32_t inZp) {
  const bool pointwise = g.kH == 1 && g.kW == 1 && g.strideH == 1 &&
                         g.strideW == 1 && g.padTop == 0 && g.padLeft == 0 &&
                         inZp == 0 && g.outH == g.inH && g.outW == g.inW;
  if ((g.kW * g.inC) % 4 != 0 || g.dilationH != 1 || g.dilationW != 1 ||
      !(pointwise || g.kH * g.kW * g.inC > 64))
    return nullptr;
  packConvW16(maskedI8, g.outC, g.kH * g.kW * g.inC, masked16);
  return masked16;
}
#endif

// The kernels behind noinline wrappers: geometry arrives at run time, as
// for a layer whose call the compiler does not specialize.
__attribute__((noinline)) void denseInt8(const ConvInt8Params &p,
                                         const Geometry &g,
                                         const int32_t *bias,
                                         const int32_t *w16 = nullptr) {
  convPerChannelInt8(p, multiplier, shift, g.batches, g.inH, g.inW, g.inC,
                     inputI8, g.outC, g.kH, g.kW, maskedI8, bias, g.outH,
                     g.outW, outDenseI8
#if TINYPRUNE_RT_CONV_W16
                     ,
                     w16
#endif
  );
  (void)w16;
}

template <typename IndexT>
__attribute__((noinline)) void
sparseInt8(const ConvInt8Params &p, const Geometry &g,
           const SparseFilterInt8<IndexT> &w, const int32_t *bias) {
  sparseConvPerChannelInt8(p, multiplier, shift, g.batches, g.inH, g.inW, g.inC,
                           inputI8, g.outC, g.kH, g.kW, w, bias, g.outH, g.outW,
                           outSparseI8);
}

#ifndef SPARSE_BENCH

int32_t mismatches = 0;

void report(const char *kind, int32_t test, const Geometry &g, int32_t b,
            int32_t sparsity, int32_t at) {
  if (++mismatches > 20)
    return;
  std::printf("MISMATCH %s case %ld: B %ld inC %ld k %ldx%ld s %ldx%ld d "
              "%ldx%ld pad %ld,%ld sparsity %ld%% output %ld\n",
              kind, long(test), long(b), long(g.inC), long(g.kH), long(g.kW),
              long(g.strideH), long(g.strideW), long(g.dilationH),
              long(g.dilationW), long(g.padTop), long(g.padLeft),
              long(sparsity), long(at));
}

Geometry randomGeometry(Rng &r, int32_t &b) {
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

/// Layer shapes of the models that the random geometries rarely reach:
/// 3x3 windows over 32 and 64 channels (larger than the DSP kernel's
/// buffer: segments of filterlets), more than one pass of 32 filters,
/// first layers over 1 and 3 channels
/// (block lengths 1 and 3, regrouped on DSP cores; 10x4 over 1 channel with
/// 40 filters in several passes), and a regrouped window too large for
/// the buffer (straight from the input).
struct FixedCase {
  Geometry g;
  int32_t b;
};
const FixedCase kFixed[] = {
    {{1, 6, 6, 64, 14, 3, 3, 6, 6, 1, 1, 1, 1, 1, 1}, 64},
    {{1, 7, 7, 32, 28, 3, 3, 4, 4, 2, 2, 1, 1, 1, 1}, 32},
    {{1, 7, 7, 16, 40, 3, 3, 4, 4, 2, 2, 1, 1, 1, 1}, 16},
    {{2, 5, 5, 64, 9, 3, 3, 5, 5, 1, 1, 1, 1, 1, 1}, 16},
    {{1, 14, 14, 1, 16, 3, 3, 14, 14, 1, 1, 1, 1, 1, 1}, 1},
    {{1, 12, 12, 3, 34, 3, 3, 6, 6, 2, 2, 1, 1, 0, 0}, 3},
    {{1, 12, 8, 1, 40, 10, 4, 6, 4, 2, 2, 1, 1, 4, 1}, 1},
    {{1, 6, 6, 24, 5, 3, 3, 6, 6, 1, 1, 1, 1, 1, 1}, 3},
};
constexpr int32_t kFixedCount = sizeof(kFixed) / sizeof(kFixed[0]);

/// One int8 case: a random geometry, or `fixed` when given.
template <typename IndexT>
void checkInt8(Rng &r, int32_t test, int32_t sparsity, IndexT *rowPtr,
               IndexT *index, int32_t &outputs,
               const FixedCase *fixed = nullptr) {
  int32_t b;
  Geometry g = randomGeometry(r, b);
  if (fixed) {
    g = fixed->g;
    b = fixed->b;
  }
  randomMask(r, g.outC * filterletIds(g, b), sparsity);
  for (int32_t i = 0; i < g.inSize(); ++i)
    inputI8[i] = static_cast<int8_t>(r(-128, 127));
  for (int32_t i = 0; i < g.filterSize(); ++i)
    denseI8[i] = static_cast<int8_t>(r(-128, 127));
  int32_t bits = 14;
  for (int32_t t = 1; t < g.kH * g.kW * g.inC; t *= 4)
    ++bits;
  for (int32_t o = 0; o < g.outC; ++o) {
    biasI32[o] = r(-30000, 30000);
    multiplier[o] = r(1 << 30, INT32_MAX);
    shift[o] = 7 - bits + r(-1, 1);
  }
  const ConvInt8Params p =
      int8Params(g, r(0, 1) ? 0 : r(-128, 127), r(-128, 127));
  const int32_t *bias = r(0, 4) == 0 ? nullptr : biasI32;
  buildSparse(g, b, denseI8, maskedI8, rowPtr, index, valuesI8);
  const SparseFilterInt8<IndexT> w{rowPtr, index, valuesI8, offsets,
                                   tapY,   tapX,  b};
  std::memset(outSparseI8, 0x55, size_t(g.outSize()));
  std::memset(outDenseI8, 0x66, size_t(g.outSize()));
  sparseInt8(p, g, w, bias);
  denseInt8(p, g, bias);
  for (int32_t i = 0; i < g.outSize(); ++i)
    if (outSparseI8[i] != outDenseI8[i]) {
      report("int8", test, g, b, sparsity, i);
      break;
    }
  outputs += g.outSize();
}

template <typename IndexT>
void checkFloat(Rng &r, int32_t test, int32_t sparsity, IndexT *rowPtr,
                IndexT *index, int32_t &outputs) {
  int32_t b;
  const Geometry g = randomGeometry(r, b);
  randomMask(r, g.outC * filterletIds(g, b), sparsity);
  for (int32_t i = 0; i < g.inSize(); ++i)
    inputF[i] = r.real(-1.0f, 1.0f);
  for (int32_t i = 0; i < g.filterSize(); ++i)
    denseF[i] = r.real(-1.0f, 1.0f);
  for (int32_t o = 0; o < g.outC; ++o)
    biasF[o] = r.real(-1.0f, 1.0f);
  ConvFloatParams p{g.strideH, g.strideW, g.dilationH, g.dilationW,
                    g.padTop,  g.padLeft, -1e30f,      1e30f};
  if (r(0, 2) == 0) {
    p.actMin = r.real(-2.0f, 0.0f);
    p.actMax = r.real(0.0f, 2.0f);
  }
  const float *bias = r(0, 4) == 0 ? nullptr : biasF;
  buildSparse(g, b, denseF, maskedF, rowPtr, index, valuesF);
  const SparseFilterFloat<IndexT> w{rowPtr, index, valuesF, offsets,
                                    tapY,   tapX,  b};
  sparseConvFloat(p, g.batches, g.inH, g.inW, g.inC, inputF, g.outC, g.kH, g.kW,
                  w, bias, g.outH, g.outW, outSparseF);
  convFloat(p, g.batches, g.inH, g.inW, g.inC, inputF, g.outC, g.kH, g.kW,
            maskedF, bias, g.outH, g.outW, outDenseF);
  if (std::memcmp(outSparseF, outDenseF, size_t(g.outSize()) * 4) != 0)
    report("float", test, g, b, sparsity, -1);
  outputs += g.outSize();
}

#ifndef SPARSE_CASES
#define SPARSE_CASES 40
#endif

#if !TINYPRUNE_RT_SPARSE_DSP
/// The portable kernel's requantization (its multiply is Thumb-1 assembly
/// on ARMv6-M) against multiplyByQuantizedMultiplier and the clamp, over
/// every shift with extreme and random multipliers and accumulators.
void checkRequant(Rng &r) {
  static const int32_t kEdges[] = {
      INT32_MIN, INT32_MIN + 1, -(1 << 30), -65536, -65535, -3, -1, 0, 1, 2,
      65535,     65536,         1 << 30,    INT32_MAX - 1,    INT32_MAX};
  constexpr int32_t kEdgeCount = sizeof(kEdges) / sizeof(kEdges[0]);
  for (int32_t shift = -31; shift <= 31; ++shift)
    for (int32_t trial = 0; trial < 40; ++trial) {
      const int32_t m = trial < kEdgeCount ? kEdges[trial]
                                           : static_cast<int32_t>(r.next());
      const int32_t zp = r(-128, 127), lo = r(-128, 0), hi = r(0, 127);
      const sparse_detail::Requant rq(m, shift, zp, lo, hi);
      for (int32_t k = 0; k < 24; ++k) {
        int32_t acc = k < kEdgeCount ? kEdges[k] : static_cast<int32_t>(r.next());
        if (k >= 20)
          acc >>= r(0, 31);
        const int64_t scaled =
            int64_t(multiplyByQuantizedMultiplier(acc, m, shift)) + zp;
        const int32_t want = static_cast<int32_t>(
            scaled < lo ? lo : (scaled > hi ? hi : scaled));
        if (rq(static_cast<uint32_t>(acc)) != want && ++mismatches <= 20)
          std::printf("MISMATCH requant: acc %ld multiplier %ld shift %ld\n",
                      long(acc), long(m), long(shift));
      }
    }
}
#endif

} // namespace

int main() {
  std::printf("dsp %d\n", TINYPRUNE_RT_SPARSE_DSP);
  static const int32_t kSparsities[] = {0, 30, 50, 90, 100};
  Rng r{20240917u};
  int32_t cases = 0, outputs = 0;
#if !TINYPRUNE_RT_SPARSE_DSP
  Rng requantRng{7u};
  checkRequant(requantRng);
#endif
  for (int32_t sparsity : kSparsities)
    for (int32_t i = 0; i < SPARSE_CASES; ++i, cases += 4) {
      checkInt8(r, cases, sparsity, rowPtr16, index16, outputs);
      checkInt8(r, cases + 1, sparsity, rowPtr32, index32, outputs);
      checkFloat(r, cases + 2, sparsity, rowPtr16, index16, outputs);
      checkFloat(r, cases + 3, sparsity, rowPtr32, index32, outputs);
    }
  std::printf("sparse-conv: %ld cases, %ld outputs, %ld mismatches\n",
              long(cases), long(outputs), long(mismatches));
  int32_t fixedCases = 0;
  outputs = 0;
  for (int32_t sparsity : kSparsities)
    for (const FixedCase &c : kFixed) {
      checkInt8(r, cases + fixedCases, sparsity, rowPtr16, index16, outputs,
                &c);
      ++fixedCases;
    }
  std::printf("sparse-conv model shapes: %ld cases, %ld outputs, %ld "
              "mismatches\n",
              long(fixedCases), long(outputs), long(mismatches));
  return mismatches == 0 ? 0 : 1;
}

#else // SPARSE_BENCH

struct Layer {
  const char *name;
  Geometry g;
  int32_t blockLen;
  int32_t inputZeroPoint;
};

// 3x3 16->32 on 16x16, SAME padding (so it keeps its input zero point):
// k x k filterlets, B = inC. 1x1 64->64 on 12x12 with the zero point folded
// into the bias, as the compiler emits it: B = 8 and 16. Then layers of
// the MLPerf Tiny ResNet-8 and the Fashion-MNIST fixtures: 3x3 over 32
// and 64 channels (windows larger than the DSP kernel's buffer), and
// first layers over 1 and 3 input channels (B = 1 and 3).
const Layer kLayers[] = {
    {"3x3 16->32 16x16 B=16",
     {1, 16, 16, 16, 32, 3, 3, 16, 16, 1, 1, 1, 1, 1, 1},
     16,
     -128},
    {"1x1 64->64 12x12 B=8",
     {1, 12, 12, 64, 64, 1, 1, 12, 12, 1, 1, 1, 1, 0, 0},
     8,
     0},
    {"1x1 64->64 12x12 B=16",
     {1, 12, 12, 64, 64, 1, 1, 12, 12, 1, 1, 1, 1, 0, 0},
     16,
     0},
    {"3x3 32->32 16x16 B=32",
     {1, 16, 16, 32, 32, 3, 3, 16, 16, 1, 1, 1, 1, 1, 1},
     32,
     -128},
    {"3x3 64->64 8x8 B=64",
     {1, 8, 8, 64, 64, 3, 3, 8, 8, 1, 1, 1, 1, 1, 1},
     64,
     -128},
    {"3x3 3->16 32x32 B=3",
     {1, 32, 32, 3, 16, 3, 3, 32, 32, 1, 1, 1, 1, 1, 1},
     3,
     -128},
    {"3x3 1->16 28x28 B=1",
     {1, 28, 28, 1, 16, 3, 3, 28, 28, 1, 1, 1, 1, 1, 1},
     1,
     -128},
};

} // namespace

int main() {
  static const int32_t kSparsities[] = {0, 30, 50, 70, 90};
  Rng r{12345u};
  int32_t failures = 0;
  for (const Layer &layer : kLayers) {
    const Geometry &g = layer.g;
    const int32_t b = layer.blockLen;
    for (int32_t i = 0; i < g.inSize(); ++i)
      inputI8[i] = static_cast<int8_t>(r(-128, 127));
    for (int32_t i = 0; i < g.filterSize(); ++i)
      denseI8[i] = static_cast<int8_t>(r(-128, 127));
    for (int32_t o = 0; o < g.outC; ++o) {
      biasI32[o] = r(-30000, 30000);
      multiplier[o] = r(1 << 30, INT32_MAX);
      shift[o] = -9;
    }
    const ConvInt8Params p = int8Params(g, layer.inputZeroPoint, -3);
    for (int32_t sparsity : kSparsities) {
      randomMask(r, g.outC * filterletIds(g, b), sparsity);
      const int32_t kept =
          buildSparse(g, b, denseI8, maskedI8, rowPtr16, index16, valuesI8);
      const SparseFilterInt8<uint16_t> w{rowPtr16, index16, valuesI8, offsets,
                                         tapY,     tapX,    b};
      const int32_t *w16 = nullptr;
#if TINYPRUNE_RT_CONV_W16
      w16 = denseW16(g, layer.inputZeroPoint);
#endif
      tinyprune_mark();
      denseInt8(p, g, biasI32, w16);
      tinyprune_mark();
      sparseInt8(p, g, w, biasI32);
      tinyprune_mark();
      const bool same =
          std::memcmp(outSparseI8, outDenseI8, size_t(g.outSize())) == 0;
      failures += same ? 0 : 1;
      std::printf("layer %s | sparsity %ld | kept %ld | filterlets %ld | "
                  "outC %ld | B %ld | %s\n",
                  layer.name, long(sparsity), long(kept),
                  long(g.outC * filterletIds(g, b)), long(g.outC), long(b),
                  same ? "same" : "DIFFERENT");
    }
  }
  return failures == 0 ? 0 : 1;
}

#endif // SPARSE_BENCH
