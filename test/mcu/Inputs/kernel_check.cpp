// Device self-check of the int8 convolution kernels: random cases of
// conv.h and depthwise_conv.h against straight loops that accumulate
// `w * (x - zp)` in int64 as TFLite's reference kernels do, and the
// prepared right-shift requantization against multiplyByQuantizedMultiplier.
// Built for each core by run_check.py, so the Cortex-M DSP code paths
// (SXTB16/SMLAD on M4F and M7) are compared against the same loops the host
// unit tests use for the portable path. The shapes favour the layers real
// models have (pointwise and 3x3, channel counts that are not multiples of
// four, odd pixel counts, padding on every edge, strides 1 and 2) and still
// cover the general case (dilation, wide padding, depth multipliers).
// Prints one line and exits with 0 when every output matches.
#include "tinyprune/rt/conv.h"
#include "tinyprune/rt/depthwise_conv.h"
#include "tinyprune/rt/elementwise.h"
#include "tinyprune/rt/fully_connected.h"

#include <cstdint>
#include <cstdio>

using namespace tinyprune::rt;

namespace {

uint32_t rngState = 12345;

/// xorshift32.
uint32_t nextWord() {
  rngState ^= rngState << 13;
  rngState ^= rngState >> 17;
  rngState ^= rngState << 5;
  return rngState;
}

/// A (nearly) uniform integer in [lo, hi], hi - lo < 2^32 - 1.
int32_t rnd(int32_t lo, int32_t hi) {
  const uint32_t span =
      static_cast<uint32_t>(hi) - static_cast<uint32_t>(lo) + 1u;
  return static_cast<int32_t>(static_cast<uint32_t>(lo) + nextWord() % span);
}

constexpr int kMaxIn = 2 * 12 * 12 * 40;
constexpr int kMaxFilter = 40 * 3 * 3 * 40;
constexpr int kMaxOut = 2 * 12 * 12 * 80;
int8_t input[kMaxIn];
int8_t filter[kMaxFilter];
int32_t bias[80];
int32_t mult[80], shift[80];
int64_t acc[kMaxOut];
int8_t got[kMaxOut + 4];

long failures = 0, outputs = 0;
/// Trials depthwiseConv3x3SameInt8 and fullyConnectedW16Int8 computed, and
/// convolutions run again from int16 weights (packConvW16).
int sameTaken = 0, fcTaken = 0, w16Taken = 0;
#if TINYPRUNE_RT_CONV_W16
int32_t filter16[kMaxFilter];
#endif

struct Geometry {
  int32_t batches, inH, inW, inC, outC, kH, kW, outH, outW, depthMultiplier;
  bool depthwise;
};

/// TFLite's accumulator plus bias for every output.
void reference(const ConvInt8Params &p, const Geometry &g, const int32_t *b) {
  for (int n = 0; n < g.batches; ++n)
    for (int oy = 0; oy < g.outH; ++oy)
      for (int ox = 0; ox < g.outW; ++ox)
        for (int o = 0; o < g.outC; ++o) {
          int64_t a = 0;
          const int ic0 = g.depthwise ? o / g.depthMultiplier : 0;
          const int icN = g.depthwise ? ic0 + 1 : g.inC;
          for (int ky = 0; ky < g.kH; ++ky)
            for (int kx = 0; kx < g.kW; ++kx)
              for (int c = ic0; c < icN; ++c) {
                const int iy = oy * p.strideH - p.padTop + ky * p.dilationH;
                const int ix = ox * p.strideW - p.padLeft + kx * p.dilationW;
                if (iy < 0 || iy >= g.inH || ix < 0 || ix >= g.inW)
                  continue;
                const int64_t x =
                    input[((n * g.inH + iy) * g.inW + ix) * g.inC + c];
                const int64_t w =
                    g.depthwise
                        ? filter[(ky * g.kW + kx) * g.outC + o]
                        : filter[((o * g.kH + ky) * g.kW + kx) * g.inC + c];
                a += w * (x - p.inputZeroPoint);
              }
          acc[((n * g.outH + oy) * g.outW + ox) * g.outC + o] =
              a + (b ? b[o] : 0);
        }
}

/// Multipliers that bring each channel's accumulators to about 2^8, mostly
/// right shifts (the fast requantization); now and then a left shift or a
/// zero multiplier, which must take the general path.
void pickMultipliers(const Geometry &g, int outputsPerChannel) {
  for (int o = 0; o < g.outC; ++o) {
    int64_t maxAbs = 1;
    for (int i = 0; i < outputsPerChannel; ++i) {
      const int64_t a = acc[i * g.outC + o];
      maxAbs = a < 0 && -a > maxAbs ? -a : (a > maxAbs ? a : maxAbs);
    }
    int bits = 0;
    while ((int64_t(1) << bits) <= maxAbs)
      ++bits;
    mult[o] = rnd(1 << 30, INT32_MAX);
    shift[o] = 8 - bits + rnd(-1, 1);
    if (shift[o] > 0 && rnd(0, 1))
      shift[o] = -1;
    if (rnd(0, 40) == 0)
      mult[o] = 0;
  }
}

void check(const char *what, int trial, const ConvInt8Params &p,
           const Geometry &g) {
  const int total = g.batches * g.outH * g.outW * g.outC;
  for (int i = 0; i < total; ++i) {
    const int o = i % g.outC;
    int32_t want = multiplyByQuantizedMultiplier(static_cast<int32_t>(acc[i]),
                                                 mult[o], shift[o]) +
                   p.outputZeroPoint;
    want = want < p.actMin ? p.actMin : (want > p.actMax ? p.actMax : want);
    if (got[i] != want && failures++ < 10)
      std::printf("%s trial %d output %d: got %d want %d\n", what, trial, i,
                  got[i], static_cast<int>(want));
  }
  for (int i = total; i < total + 4; ++i)
    if (got[i] != 0x55 && failures++ < 10)
      std::printf("%s trial %d wrote past the output\n", what, trial);
  outputs += total;
}

void randomData(ConvInt8Params &p, const Geometry &g, int filterSize,
                bool zeroInputOffset) {
  for (int i = 0; i < g.batches * g.inH * g.inW * g.inC; ++i)
    input[i] = static_cast<int8_t>(rnd(-128, 127));
  for (int i = 0; i < filterSize; ++i)
    filter[i] = static_cast<int8_t>(rnd(-128, 127));
  for (int o = 0; o < g.outC; ++o)
    bias[o] = rnd(-40000, 40000);
  p.inputZeroPoint = zeroInputOffset ? 0 : rnd(-128, 127);
  p.outputZeroPoint = rnd(-128, 127);
  p.actMin = -128;
  p.actMax = 127;
  if (rnd(0, 3) == 0) {
    p.actMin = rnd(-128, 20);
    p.actMax = rnd(p.actMin, 127);
  }
  for (int i = 0; i < kMaxOut + 4; ++i)
    got[i] = 0x55;
}

const int32_t kChannels[] = {1, 2, 3, 4, 5, 7, 8, 9, 12, 16, 17, 24, 31, 40};
constexpr int kNumChannels = sizeof(kChannels) / sizeof(kChannels[0]);

void convTrial(int trial) {
  ConvInt8Params p{};
  Geometry g{};
  g.batches = rnd(1, 2);
  const int kind = rnd(0, 3);
  g.inC = kChannels[rnd(0, kNumChannels - 1)];
  g.outC = rnd(0, 3) == 0 ? rnd(30, 40) : rnd(1, 20);
  g.inH = rnd(1, 12);
  g.inW = rnd(1, 12);
  p.dilationH = p.dilationW = 1;
  if (kind == 0) {
    // Pointwise, as the compiler emits it (zero point folded into bias).
    g.kH = g.kW = 1;
    p.strideH = p.strideW = 1;
    g.outH = g.inH;
    g.outW = g.inW;
  } else if (kind == 1 || kind == 2) {
    // 3x3 (or another small filter), SAME or VALID, stride 1 or 2.
    g.kH = kind == 1 ? 3 : rnd(1, 5);
    g.kW = kind == 1 ? 3 : rnd(1, 4);
    p.strideH = rnd(1, 2);
    p.strideW = kind == 1 ? p.strideH : rnd(1, 2);
    const bool same = rnd(0, 2) != 0;
    p.padTop = same ? (g.kH - 1) / 2 + rnd(0, 1) * ((g.kH - 1) % 2) : 0;
    p.padLeft = same ? (g.kW - 1) / 2 + rnd(0, 1) * ((g.kW - 1) % 2) : 0;
    g.outH = same ? (g.inH + p.strideH - 1) / p.strideH
                  : (g.inH - g.kH) / p.strideH + 1;
    g.outW = same ? (g.inW + p.strideW - 1) / p.strideW
                  : (g.inW - g.kW) / p.strideW + 1;
    if (g.outH < 1 || g.outW < 1)
      g.outH = g.outW = 1, p.padTop = p.padLeft = 2;
  } else {
    // Anything: dilation, padding past the filter, windows in the padding.
    g.kH = rnd(1, 3);
    g.kW = rnd(1, 3);
    p.strideH = rnd(1, 3);
    p.strideW = rnd(1, 3);
    p.dilationH = rnd(1, 3);
    p.dilationW = rnd(1, 3);
    p.padTop = rnd(0, (g.kH - 1) * p.dilationH + 1);
    p.padLeft = rnd(0, (g.kW - 1) * p.dilationW + 1);
    g.outH = rnd(1, 8);
    g.outW = rnd(1, 8);
  }
  const int filterSize = g.outC * g.kH * g.kW * g.inC;
  if (filterSize > kMaxFilter)
    return;
  randomData(p, g, filterSize, kind == 0 || rnd(0, 3) == 0);
  const int32_t *b = rnd(0, 4) == 0 ? nullptr : bias;
  reference(p, g, b);
  pickMultipliers(g, g.batches * g.outH * g.outW);
  convPerChannelInt8(p, mult, shift, g.batches, g.inH, g.inW, g.inC, input,
                     g.outC, g.kH, g.kW, filter, b, g.outH, g.outW, got);
  check("conv", trial, p, g);
#if TINYPRUNE_RT_CONV_W16
  // Again from int16 weights, as the compiler emits layers whose filters
  // are whole words: with right-shift multipliers, pointwise layers with
  // at least four channels and other layers beyond the patch path whose
  // channels are whole words without their int8 filter
  // (TINYPRUNE_RT_W8_ONLY), others with both.
  const int32_t perFilter = g.kH * g.kW * g.inC;
  if (perFilter % 4 != 0)
    return;
  packConvW16(filter, g.outC, perFilter, filter16);
  bool rightShifts = true;
  for (int o = 0; o < g.outC; ++o)
    rightShifts = rightShifts && isRightShiftMultiplier(mult[o], shift[o]);
  const bool noInt8 =
      rightShifts && ((kind == 0 && g.outC >= 4) ||
                      (kind != 0 && perFilter > detail::kMaxPatch &&
                       g.inC % 4 == 0 && p.dilationW == 1));
  for (int i = 0; i < kMaxOut + 4; ++i)
    got[i] = 0x55;
  convPerChannelInt8(p, mult, shift, g.batches, g.inH, g.inW, g.inC, input,
                     g.outC, g.kH, g.kW, noInt8 ? nullptr : filter, b, g.outH,
                     g.outW, got, filter16);
  ++w16Taken;
  check("conv w16", trial, p, g);
#endif
}

void depthwiseTrial(int trial) {
  ConvInt8Params p{};
  Geometry g{};
  g.depthwise = true;
  g.batches = rnd(1, 2);
  const int kind = rnd(0, 2);
  g.inC = kChannels[rnd(0, kNumChannels - 1)];
  g.depthMultiplier = kind == 2 ? rnd(1, 2) : 1;
  g.outC = g.inC * g.depthMultiplier;
  g.inH = rnd(1, 12);
  g.inW = rnd(1, 12);
  p.dilationH = p.dilationW = 1;
  if (kind < 2) {
    g.kH = g.kW = 3;
    p.strideH = p.strideW = rnd(1, 2);
    const bool same = kind == 0 || rnd(0, 1);
    p.padTop = same ? rnd(0, 1) : 0;
    p.padLeft = same ? p.padTop : 0;
    g.outH = same ? (g.inH + p.strideH - 1) / p.strideH
                  : (g.inH - 3) / p.strideH + 1;
    g.outW = same ? (g.inW + p.strideW - 1) / p.strideW
                  : (g.inW - 3) / p.strideW + 1;
    if (g.outH < 1 || g.outW < 1)
      g.outH = g.outW = 1;
  } else {
    g.kH = rnd(1, 4);
    g.kW = rnd(1, 4);
    p.strideH = rnd(1, 3);
    p.strideW = rnd(1, 3);
    p.dilationH = rnd(1, 2);
    p.dilationW = rnd(1, 2);
    p.padTop = rnd(0, g.kH);
    p.padLeft = rnd(0, g.kW);
    g.outH = rnd(1, 8);
    g.outW = rnd(1, 8);
  }
  randomData(p, g, g.kH * g.kW * g.outC, false);
  const int32_t *b = rnd(0, 4) == 0 ? nullptr : bias;
  reference(p, g, b);
  pickMultipliers(g, g.batches * g.outH * g.outW);
  depthwiseConvPerChannelInt8(p, mult, shift, g.depthMultiplier, g.batches,
                              g.inH, g.inW, g.inC, input, g.kH, g.kW, filter, b,
                              g.outH, g.outW, got);
  check("depthwise", trial, p, g);
}

/// depthwiseConv3x3SameInt8 (DSP cores): a 3x3 stride-1 'same' layer,
/// every other trial over its own input (copied into `got`). The layers it
/// does not take (a multiplier that is not a right shift, as the compiler
/// checks) and the other cores go through depthwiseConvPerChannelInt8, as
/// the generated code does.
void depthwiseSameTrial(int trial) {
  const bool inPlace = trial % 2 == 0;
  ConvInt8Params p{};
  Geometry g{};
  g.depthwise = true;
  g.batches = 1;
  g.depthMultiplier = 1;
  g.inC = g.outC = 4 * rnd(1, 10);
  g.inH = g.outH = rnd(1, 12);
  g.inW = g.outW = rnd(1, 12);
  g.kH = g.kW = 3;
  p.strideH = p.strideW = p.dilationH = p.dilationW = 1;
  p.padTop = p.padLeft = 1;
  randomData(p, g, 9 * g.outC, false);
  const int32_t *b = rnd(0, 4) == 0 ? nullptr : bias;
  reference(p, g, b);
  pickMultipliers(g, g.outH * g.outW);
  const int total = g.inH * g.inW * g.inC;
  for (int i = 0; i < total; ++i)
    got[i] = input[i];
  bool rightShifts = true;
  for (int o = 0; o < g.outC; ++o)
    rightShifts = rightShifts && isRightShiftMultiplier(mult[o], shift[o]);
#if TINYPRUNE_RT_DEPTHWISE_3X3_SAME
  if (rightShifts) {
    const DepthwiseSame3x3Int8 l{mult,
                                 shift,
                                 filter,
                                 b,
                                 g.inH,
                                 g.inW,
                                 g.inC,
                                 p.inputZeroPoint,
                                 p.outputZeroPoint,
                                 p.actMin,
                                 p.actMax};
    depthwiseConv3x3SameInt8(l, inPlace ? got : input, got);
    ++sameTaken;
  } else
#endif
    depthwiseConvPerChannelInt8(p, mult, shift, 1, 1, g.inH, g.inW, g.inC,
                                input, 3, 3, filter, b, g.outH, g.outW, got);
  check(inPlace ? "depthwise in place" : "depthwise 3x3 same", trial, p, g);
}

/// depthwiseConv3x3Int8 (DSP cores): a 3x3 layer, stride 1 or 2, with 0 or
/// 1 row or column of padding on each side, up to 40 columns wide. Layers
/// it does not take (a multiplier that is not a right shift) and the other
/// cores go through depthwiseConvPerChannelInt8, as the generated code does.
int anyTaken = 0;

void depthwise3x3Trial(int trial) {
  ConvInt8Params p{};
  Geometry g{};
  g.depthwise = true;
  g.batches = 1;
  g.depthMultiplier = 1;
  g.inC = g.outC = 4 * rnd(1, 4);
  g.inH = rnd(3, 12);
  g.inW = rnd(3, 40);
  g.kH = g.kW = 3;
  p.strideH = p.strideW = rnd(1, 2);
  p.dilationH = p.dilationW = 1;
  p.padTop = rnd(0, 1);
  p.padLeft = rnd(0, 1);
  const int32_t padBottom = rnd(0, 1), padRight = rnd(0, 1);
  g.outH = (g.inH + p.padTop + padBottom - 3) / p.strideH + 1;
  g.outW = (g.inW + p.padLeft + padRight - 3) / p.strideW + 1;
  if (g.inH * g.inW * g.inC > kMaxIn)
    return;
  randomData(p, g, 9 * g.outC, false);
  const int32_t *b = rnd(0, 4) == 0 ? nullptr : bias;
  reference(p, g, b);
  pickMultipliers(g, g.outH * g.outW);
  bool rightShifts = true;
  for (int o = 0; o < g.outC; ++o)
    rightShifts = rightShifts && isRightShiftMultiplier(mult[o], shift[o]);
#if TINYPRUNE_RT_DEPTHWISE_3X3
  if (rightShifts) {
    const Depthwise3x3Int8 l{mult,
                             shift,
                             filter,
                             b,
                             g.inH,
                             g.inW,
                             g.inC,
                             g.outH,
                             g.outW,
                             p.strideH,
                             p.padTop,
                             p.padLeft,
                             p.inputZeroPoint,
                             p.outputZeroPoint,
                             p.actMin,
                             p.actMax};
    depthwiseConv3x3Int8(l, input, got);
    ++anyTaken;
  } else
#endif
    depthwiseConvPerChannelInt8(p, mult, shift, 1, 1, g.inH, g.inW, g.inC,
                                input, 3, 3, filter, b, g.outH, g.outW, got);
  check("depthwise 3x3", trial, p, g);
}

#if TINYPRUNE_RT_FC_W16
/// fullyConnectedW16Int8 (DSP cores) with the weights laid out as the
/// compiler does (KernelCalls.cpp) and prepared multipliers; layers with a
/// multiplier that is not a right shift are left to convTrial's kernel.
int32_t wide[kMaxFilter / 2];
RightShiftMultiplier prepared[80];
int32_t starts[80];

void fullyConnectedTrial(int trial) {
  ConvInt8Params p{};
  Geometry g{};
  g.batches = g.inH = g.inW = g.kH = g.kW = g.outH = g.outW = 1;
  g.inC = 4 * rnd(1, 24);
  g.outC = 4 * rnd(1, 20);
  p.strideH = p.strideW = p.dilationH = p.dilationW = 1;
  randomData(p, g, g.inC * g.outC, true);
  const int32_t *b = rnd(0, 4) == 0 ? nullptr : bias;
  reference(p, g, b);
  pickMultipliers(g, 1);
  for (int o = 0; o < g.outC; ++o) {
    if (!isRightShiftMultiplier(mult[o], shift[o]))
      return;
    prepared[o] = prepareRightShiftMultiplier(mult[o], shift[o]);
    starts[o] = b ? b[o] : 0;
  }
  int32_t *w = wide;
  auto pair = [](int lo, int hi) {
    return static_cast<int32_t>(
        (static_cast<uint32_t>(static_cast<uint16_t>(hi)) << 16) |
        static_cast<uint16_t>(lo));
  };
  for (int o = 0; o < g.outC; o += 4)
    for (int i = 0; i < g.inC; i += 4)
      for (int k = 0; k < 4; ++k) {
        const int8_t *f = filter + (o + k) * g.inC + i;
        *w++ = pair(f[0], f[2]);
        *w++ = pair(f[1], f[3]);
      }
  const FullyConnectedW16Int8 l{wide,     starts,  prepared,
                                g.inC,    g.outC,  p.outputZeroPoint,
                                p.actMin, p.actMax};
  fullyConnectedW16Int8(l, input, got);
  ++fcTaken;
  check("fully-connected w16", trial, p, g);
}
#endif

/// addTableInt8 with tables built as the compiler builds them
/// (KernelCalls.cpp) against addInt8 / subInt8 on the same inputs: random
/// scales as TFLite prepares them, out of place, in place over either
/// input, narrow activations now and then.
int32_t addTables[2][256];

void addTableTrial(int trial) {
  AddInt8Params p{};
  p.input1Offset = -rnd(-128, 127);
  p.input2Offset = -rnd(-128, 127);
  p.outputOffset = rnd(-128, 127);
  p.leftShift = 20;
  p.input1Multiplier = rnd(1 << 30, INT32_MAX);
  p.input1Shift = -rnd(0, 3);
  p.input2Multiplier = rnd(1 << 30, INT32_MAX);
  p.input2Shift = -rnd(0, 3);
  p.outputMultiplier = rnd(1 << 30, INT32_MAX);
  p.outputShift = -rnd(17, 21);
  p.actMin = -128;
  p.actMax = 127;
  if (rnd(0, 3) == 0) {
    p.actMin = rnd(-128, 20);
    p.actMax = rnd(p.actMin, 127);
  }
  const bool sub = trial % 3 == 0;
  const detail::AddInputScale s1 = detail::AddInputScale::of(
      p.input1Offset, p.leftShift, p.input1Multiplier, p.input1Shift);
  const detail::AddInputScale s2 = detail::AddInputScale::of(
      p.input2Offset, p.leftShift, p.input2Multiplier, p.input2Shift);
  for (int x = -128; x < 128; ++x) {
    addTables[0][x + 128] = s1(x);
    addTables[1][x + 128] = sub ? -s2(x) : s2(x);
  }
  const AddTableInt8 t{
      addTables[0],
      addTables[1],
      prepareRightShiftMultiplier(p.outputMultiplier, p.outputShift),
      p.outputOffset,
      p.actMin,
      p.actMax};
  const int32_t size = rnd(1, 300);
  const int32_t shape[1] = {size};
  int8_t *a = input, *b = input + 512, *want = got + 1024;
  for (int i = 0; i < size; ++i) {
    a[i] = static_cast<int8_t>(rnd(-128, 127));
    b[i] = static_cast<int8_t>(rnd(-128, 127));
  }
  if (sub)
    subInt8(p, 1, shape, a, shape, b, shape, want);
  else
    addInt8(p, 1, shape, a, shape, b, shape, want);
  const int where = rnd(0, 2); // out of place, over input 1, over input 2
  int8_t *out = where == 0 ? got : (where == 1 ? a : b);
  addTableInt8(t, size, a, b, out);
  for (int i = 0; i < size; ++i)
    if (out[i] != want[i] && failures++ < 10)
      std::printf("add table trial %d element %d: got %d want %d\n", trial, i,
                  out[i], want[i]);
  outputs += size;
}

void requantizeChecks() {
  for (int i = 0; i < 20000; ++i) {
    const int32_t m = i % 3 ? rnd(1 << 30, INT32_MAX) : rnd(0, INT32_MAX);
    const int s = -rnd(1, 31);
    const int32_t x =
        i % 2 ? rnd(-(1 << 24), 1 << 24) : static_cast<int32_t>(nextWord());
    const RightShiftMultiplier q = prepareRightShiftMultiplier(m, s);
    if (applyRightShiftMultiplier(x, q) !=
            multiplyByQuantizedMultiplier(x, m, s) &&
        failures++ < 10)
      std::printf("requantize x=%ld m=%ld s=%d\n", static_cast<long>(x),
                  static_cast<long>(m), s);
  }
}

} // namespace

int main() {
  requantizeChecks();
  for (int trial = 0; trial < 400; ++trial)
    convTrial(trial);
  for (int trial = 0; trial < 400; ++trial)
    depthwiseTrial(trial);
  for (int trial = 0; trial < 200; ++trial)
    depthwiseSameTrial(trial);
  for (int trial = 0; trial < 200; ++trial)
    depthwise3x3Trial(trial);
#if TINYPRUNE_RT_FC_W16
  for (int trial = 0; trial < 200; ++trial)
    fullyConnectedTrial(trial);
#endif
  for (int trial = 0; trial < 300; ++trial)
    addTableTrial(trial);
  std::printf("kernel_check: %ld outputs, %ld mismatches (%d by the 3x3 "
              "same depthwise kernel, %d by the 3x3 depthwise one, %d by the "
              "int16-weight fully-connected one, %d convolutions from int16 "
              "weights)\n",
              outputs, failures, sameTaken, anyTaken, fcTaken, w16Taken);
  return failures == 0 ? 0 : 1;
}
