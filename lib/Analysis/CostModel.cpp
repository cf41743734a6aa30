//===- CostModel.cpp - Per-layer MCU cost model ---------------------------===//
//
// Flash: the byte sizes of the constant arrays CppEmitter.cpp writes for a
// layer (lowerConv / sparseFilter and the other lower* functions), exactly.
//
// Instructions: for each runtime kernel path, a linear model over counts
// of the kernel's loop iterations, computed from the geometry the way the
// kernel computes its loop bounds (interior/border windows, in-bounds
// taps, register blocks, runs of pixels, kept-filterlet visits). The
// feature functions below mirror `features()` in bench/cost_model_fit.py,
// which measured every path under QEMU (GCC -Os, as bench/mcu_bench.py
// builds the generated code) and fitted the coefficients by non-negative
// least squares on relative error; docs/cost-model.md has the accuracy.
//
//===----------------------------------------------------------------------===//

#include "tinyprune/Analysis/CostModel.h"

#include "tinyprune/Dialect/LayerView.h"

#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/BuiltinTypes.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringSwitch.h"
#include "llvm/ADT/TypeSwitch.h"

#include <algorithm>
#include <cmath>
#include <numeric>

using namespace mlir;
using namespace tinyprune;

std::optional<McuCore> tinyprune::parseMcuCore(llvm::StringRef name) {
  return llvm::StringSwitch<std::optional<McuCore>>(name)
      .Cases({"cortex-m0plus", "m0plus"}, McuCore::CortexM0Plus)
      .Cases({"cortex-m4", "m4"}, McuCore::CortexM4)
      .Cases({"cortex-m7", "m7"}, McuCore::CortexM7)
      .Default(std::nullopt);
}

llvm::StringRef tinyprune::mcuCoreName(McuCore core) {
  switch (core) {
  case McuCore::CortexM0Plus:
    return "cortex-m0plus";
  case McuCore::CortexM4:
    return "cortex-m4";
  case McuCore::CortexM7:
    return "cortex-m7";
  }
  llvm_unreachable("unknown core");
}

//===----------------------------------------------------------------------===//
// Coefficients
//===----------------------------------------------------------------------===//

namespace {

/// Instructions per unit of each feature, one array per kernel path, in
/// the order of the feature functions below (and of cost_model_fit.py's
/// sorted model names).
struct Coefficients {
  double addInt8[2];           // add_i8
  double addInt8Table[2];      // add_i8_table
  double avgPoolInt8[5];       // avgpool_i8
  double convFloat[4];         // conv_f32
  double convInt8Blocked[9];   // conv_i8_blocked
  double convInt8Fc[3];        // conv_i8_fc
  double convInt8Fc16[3];      // conv_i8_fc16
  double convInt8Patch[6];     // conv_i8_patch
  double convInt8Pointwise[4]; // conv_i8_pointwise
  double depthwiseFloat[3];    // dw_f32
  double depthwiseInt8[8];     // dw_i8
  double depthwise3x3[4];      // dw_i8_3x3
  double depthwiseGeneral[4];  // dw_i8_general
  double depthwiseSame3x3[4];  // dw_i8_same3x3
  double maxPoolInt8[5];       // maxpool_i8
  double requantizeInt8[2];    // requant_i8
  double softmaxInt8[3];       // softmax_i8
  double sparseFloat[5];       // sparse_f32
  double sparseInt8[12];       // sparse_i8
};

// clang-format off
// The coefficients, pasted from `bench/cost_model_fit.py --emit` (measured
// on QEMU 7.2 mps2-an385/an386/an500 with the shared/mcu-kit instruction
// plugin, arm-none-eabi-g++ 12 -Os; M0+ is ARMv6-M code on the an385).
// Every row comes from one fit, on 2026-12-08. Rows of kernels a core does
// not have (DSP-only kernels on M0+) are zero and never read there.
const Coefficients kM0Plus = {
    /*add_i8*/ {220, 244},
    /*add_i8_table*/ {95, 61},
    /*avgpool_i8*/ {10.2974, 75.4861, 99.7481, 0, 30.6113},
    /*conv_f32*/ {203.76, 38.5916, 286.23, 1076.36},
    /*conv_i8_blocked*/ {6.02092, 191.871, 211.609, 6.94668, 688.55, 15.8517, 8.02205, 173.804, 391.58},
    /*conv_i8_fc*/ {5.99656, 707.347, 204.01},
    /*conv_i8_fc16*/ {0, 0, 0},
    /*conv_i8_patch*/ {11.6434, 477.347, 72.3688, 51.175, 0.826804, 0},
    /*conv_i8_pointwise*/ {5.98009, 460.889, 0, 112.693},
    /*dw_f32*/ {239.851, 0, 6417.26},
    /*dw_i8*/ {49.2023, 400.386, 268.558, 33.5537, 172.273, 150.065, 312.804, 356.958},
    /*dw_i8_3x3*/ {0, 0, 0, 0},
    /*dw_i8_general*/ {28.6539, 0, 464.96, 581.832},
    /*dw_i8_same3x3*/ {0, 0, 0, 0},
    /*maxpool_i8*/ {16.0798, 73.0934, 18.3842, 37.1629, 141.17},
    /*requant_i8*/ {133.253, 33.9093},
    /*softmax_i8*/ {1757.52, 1226.67, 58.4989},
    /*sparse_f32*/ {214.02, 78.8996, 7.98724, 257.889, 0},
    /*sparse_i8*/ {3.89661, 20.0749, 6.35053, 2.71796, 76.2309, 0, 35.5083, 8.74112, 164.31, 11.2439, 206.216, 1223.58},
};
const Coefficients kM4 = {
    /*add_i8*/ {53, 161},
    /*add_i8_table*/ {17, 41},
    /*avgpool_i8*/ {6, 23, 32, 0, 124},
    /*conv_f32*/ {13.987, 23.8398, 103.554, 746.58},
    /*conv_i8_blocked*/ {1.04097, 42.2946, 131.05, 1.30325, 191.617, 37.1327, 1.82083, 245.638, 231.181},
    /*conv_i8_fc*/ {1.52852, 330.275, 163.78},
    /*conv_i8_fc16*/ {1, 78, 36},
    /*conv_i8_patch*/ {2.57822, 123.54, 123.259, 9.46693, 1.37918, 782.857},
    /*conv_i8_pointwise*/ {0.858746, 99.6706, 0, 513.451},
    /*dw_f32*/ {15.6949, 81.3676, 0},
    /*dw_i8*/ {16.9124, 0, 0, 0, 110.64, 0, 508.254, 0},
    /*dw_i8_3x3*/ {130.868, 27.3776, 430.329, 361.309},
    /*dw_i8_general*/ {9.7332, 9.375, 194.842, 264.541},
    /*dw_i8_same3x3*/ {140.375, 61.7117, 360.443, 149.621},
    /*maxpool_i8*/ {8.81847, 17.8839, 11.9972, 25.5622, 95.6428},
    /*requant_i8*/ {57.4528, 23.5572},
    /*softmax_i8*/ {633.195, 429.939, 31.2616},
    /*sparse_f32*/ {5.82894, 35.8011, 9.08127, 112.66, 0},
    /*sparse_i8*/ {17.8207, 0.371693, 15.4515, 0, 22.9451, 20.739, 7.68088, 43.7316, 456.995, 4.77987, 83.9498, 112.558},
};
const Coefficients kM7 = {
    /*add_i8*/ {53, 161},
    /*add_i8_table*/ {17, 39},
    /*avgpool_i8*/ {6, 23, 32, 0, 124},
    /*conv_f32*/ {13.9869, 23.8453, 103.714, 754.359},
    /*conv_i8_blocked*/ {1.04109, 42.2745, 132.269, 1.3035, 194.796, 36.7895, 1.81783, 247.152, 225.6},
    /*conv_i8_fc*/ {1.52852, 330.275, 163.78},
    /*conv_i8_fc16*/ {1, 77, 37},
    /*conv_i8_patch*/ {2.59569, 123.082, 122.708, 9.44459, 1.3665, 785.727},
    /*conv_i8_pointwise*/ {0.862486, 99.3264, 0, 505.474},
    /*dw_f32*/ {15.683, 80.4732, 0},
    /*dw_i8*/ {16.9008, 0, 0, 0, 109.991, 0, 567.078, 0},
    /*dw_i8_3x3*/ {130.777, 27.4241, 429.557, 368.014},
    /*dw_i8_general*/ {9.71315, 9.55425, 197.442, 272.993},
    /*dw_i8_same3x3*/ {141.222, 61.7508, 373.733, 148.107},
    /*maxpool_i8*/ {8.81847, 17.8839, 11.9972, 25.5622, 95.6428},
    /*requant_i8*/ {57.4528, 23.5572},
    /*softmax_i8*/ {633.195, 429.939, 31.2616},
    /*sparse_f32*/ {5.82337, 35.933, 9.06442, 112.392, 0},
    /*sparse_i8*/ {17.7205, 0.546762, 15.4533, 0, 22.6892, 20.7238, 7.61656, 43.3314, 470.819, 4.72809, 83.7683, 108.88},
};
// clang-format on

const Coefficients &coefficientsOf(McuCore core) {
  switch (core) {
  case McuCore::CortexM0Plus:
    return kM0Plus;
  case McuCore::CortexM4:
    return kM4;
  case McuCore::CortexM7:
    return kM7;
  }
  llvm_unreachable("unknown core");
}

/// Whether the core has the DSP extension the kernels' SIMD paths use.
bool hasDsp(McuCore core) { return core != McuCore::CortexM0Plus; }

template <size_t N>
double dot(const double (&c)[N], std::initializer_list<double> f) {
  assert(f.size() == N && "feature count differs from the coefficients");
  double sum = 0;
  size_t i = 0;
  for (double v : f)
    sum += c[i++] * v;
  return sum;
}

template <size_t N>
double dot(const double (&c)[N], const std::vector<double> &f) {
  assert(f.size() == N && "feature count differs from the coefficients");
  double sum = 0;
  for (size_t i = 0; i < N; ++i)
    sum += c[i] * f[i];
  return sum;
}

int64_t ceilDiv(int64_t a, int64_t b) { return (a + b - 1) / b; }

//===----------------------------------------------------------------------===//
// Geometry as the kernels see it
//===----------------------------------------------------------------------===//

/// One spatial axis of a windowed layer: in-bounds taps per output
/// position, their sum, and the outputs [lo, hi) whose window lies inside.
struct Axis {
  std::vector<int64_t> taps;
  int64_t total = 0, lo = 0, hi = 0;
  int64_t inside() const { return hi - lo; }
};

Axis axisOf(int64_t pad, int64_t stride, int64_t dil, int64_t k, int64_t extent,
            int64_t out) {
  Axis a;
  bool any = false;
  for (int64_t o = 0; o < out; ++o) {
    int64_t origin = o * stride - pad, t = 0;
    for (int64_t i = 0; i < k; ++i)
      t += origin + i * dil >= 0 && origin + i * dil < extent;
    a.taps.push_back(t);
    a.total += t;
    if (origin >= 0 && origin + (k - 1) * dil <= extent - 1) {
      if (!any)
        a.lo = o;
      a.hi = o + 1;
      any = true;
    }
  }
  return a;
}

Axis rowsOf(const ConvGeometry &g) {
  return axisOf(g.padTop, g.strideH, g.dilationH, g.kernelH, g.inH, g.outH);
}
Axis colsOf(const ConvGeometry &g) {
  return axisOf(g.padLeft, g.strideW, g.dilationW, g.kernelW, g.inW, g.outW);
}

/// The input zero point the kernel sees: unpadded convolutions get it
/// folded into the bias by the emitter.
bool kernelZeroPoint(const ConvGeometry &g) {
  bool unpadded =
      g.padTop == 0 && g.padBottom == 0 && g.padLeft == 0 && g.padRight == 0;
  return g.hasInputZeroPoint && !unpadded;
}

/// 1x1, stride 1, unpadded, same size: pointwise / fully-connected.
bool isFlat(const ConvGeometry &g) {
  return g.kernelH == 1 && g.kernelW == 1 && g.strideH == 1 && g.strideW == 1 &&
         g.padTop == 0 && g.padLeft == 0 && g.outH == g.inH && g.outW == g.inW;
}

int64_t pixelsOf(const ConvGeometry &g) { return g.batch * g.outH * g.outW; }

/// MACs over in-bounds taps only (what the kernels execute).
int64_t inBoundsMacs(const ConvGeometry &g) {
  return g.batch * rowsOf(g).total * colsOf(g).total * g.channels * g.filters;
}

//===----------------------------------------------------------------------===//
// Dense convolutions (rt/conv.h)
//===----------------------------------------------------------------------===//

/// Whether the emitter runs the layer as fullyConnectedW16Int8 (int16
/// weight pairs, DSP cores): one pixel through a 1x1 filter, whole words
/// of inputs and outputs, no input zero point (KernelCalls.cpp).
bool isFullyConnectedW16(const ConvGeometry &g, McuCore core) {
  return hasDsp(core) && !g.isFloat && isFlat(g) && !kernelZeroPoint(g) &&
         g.batch == 1 && g.outH == 1 && g.outW == 1 && g.channels % 4 == 0 &&
         g.filters % 4 == 0;
}

double denseInt8Instructions(const ConvGeometry &g, McuCore core) {
  const Coefficients &k = coefficientsOf(core);
  const int64_t n = g.batch, C = g.filters, ic = g.channels;
  const int64_t P = pixelsOf(g), oc2 = ceilDiv(C, 2);
  const int64_t fs = g.kernelH * g.kernelW * ic;
  const bool zp = kernelZeroPoint(g);
  if (isFullyConnectedW16(g, core))
    return dot(k.convInt8Fc16, {double(C * ic), double(C / 4), 1});
  if (isFlat(g) && !zp && (P >= 2 || C >= 4)) {
    if (P == 1) {
      int64_t b4 = ceilDiv(C, 4);
      return dot(k.convInt8Fc, {double(4 * b4 * ic), double(b4), 1});
    }
    return dot(k.convInt8Pointwise,
               {double(P * 2 * oc2 * ic), double(ceilDiv(P, 2) * oc2),
                double(oc2), 1});
  }
  if (fs <= 64 && g.dilationW == 1) {
    int64_t passes = ceilDiv(C, 32);
    int64_t pp = n * g.outH * ceilDiv(g.outW, 2);
    return dot(k.convInt8Patch,
               {double(pp * 2 * oc2 * 4 * ceilDiv(fs, 4)), double(pp * oc2),
                double(pp * passes * g.kernelH),
                double(pp * passes * 2 * ceilDiv(fs, 4)), double(C * fs), 1});
  }
  Axis ry = rowsOf(g), rx = colsOf(g);
  int64_t ninX = rx.inside(), borderX = g.outW - ninX;
  int64_t txInside = 0;
  for (int64_t o = rx.lo; o < rx.hi; ++o)
    txInside += rx.taps[o];
  int64_t txBorder = rx.total - txInside;
  int64_t runsPerRow = g.dilationW == 1 ? borderX : txBorder;
  // Starting values are summed again where the in-bounds filter rows
  // change (only with a zero point).
  int64_t changes = 0;
  if (ninX > 0 && zp) {
    int64_t prevBegin = -1, prevEnd = -1;
    for (int64_t oy = 0; oy < g.outH; ++oy) {
      int64_t y0 = oy * g.strideH - g.padTop, begin = -1, end = -1;
      for (int64_t t = 0; t < g.kernelH; ++t)
        if (y0 + t * g.dilationH >= 0 && y0 + t * g.dilationH < g.inH) {
          if (begin < 0)
            begin = t;
          end = t + 1;
        }
      if (begin != prevBegin || end != prevEnd)
        changes += (end - begin) * g.kernelW * ic;
      prevBegin = begin, prevEnd = end;
    }
  }
  return dot(k.convInt8Blocked,
             {double(2 * oc2 * n * ry.total * ninX * g.kernelW * ic),
              double(oc2 * n * ry.total * ceilDiv(ninX, 2)),
              double(oc2 * n * g.outH * (ninX > 0 ? 1 : 0)),
              double(2 * oc2 * n * ry.total * txBorder * ic),
              double(oc2 * n * g.outH * borderX),
              double(oc2 * n * ry.total * runsPerRow),
              double(2 * oc2 * changes * n), double(oc2), 1});
}

double denseFloatInstructions(const ConvGeometry &g, const Coefficients &k) {
  double taps = double(g.filters * g.batch * rowsOf(g).total * colsOf(g).total);
  return dot(k.convFloat,
             {taps * g.channels, taps, double(g.filters * pixelsOf(g)), 1});
}

//===----------------------------------------------------------------------===//
// Sparse convolutions (rt/sparse_conv.h)
//===----------------------------------------------------------------------===//

/// What the sparse kernels do per output channel, independent of how many
/// filterlets it keeps: interior runs of pixels, and clipped-window calls
/// (in-bounds taps x pixels each).
struct SparseShape {
  std::vector<int64_t> runs;
  int64_t calls = 0, clippedTapPixels = 0, clippedPixels = 0;
};

SparseShape sparseShapeOf(const ConvGeometry &g, bool isFloat) {
  SparseShape s;
  Axis ry = rowsOf(g), rx = colsOf(g);
  const int64_t kh = g.kernelH, kw = g.kernelW;
  auto call = [&](int64_t taps, int64_t pixels) {
    ++s.calls;
    s.clippedTapPixels += taps * pixels;
    s.clippedPixels += pixels;
  };
  if (!isFloat && isFlat(g)) {
    s.runs.push_back(pixelsOf(g));
    return s;
  }
  if (rx.inside() > 0)
    for (int64_t i = 0; i < g.batch * ry.inside(); ++i)
      s.runs.push_back(rx.inside());
  for (int64_t b = 0; b < g.batch; ++b) {
    for (int64_t oy = 0; oy < g.outH; ++oy) {
      if (oy >= ry.lo && oy < ry.hi)
        continue;
      for (int64_t ox = 0; ox < g.outW;) {
        if (ox >= rx.lo && ox + 1 < rx.hi) {
          call(ry.taps[oy] * kw, 2);
          ox += 2;
        } else {
          call(ry.taps[oy] * rx.taps[ox], 1);
          ox += 1;
        }
      }
    }
    for (int64_t ox = 0; ox < g.outW; ++ox) {
      if (ox >= rx.lo && ox < rx.hi)
        continue;
      for (int64_t oy = ry.lo; oy < ry.hi;) {
        // The float kernel takes border columns one pixel at a time.
        bool pair = !isFloat && oy + 1 < ry.hi;
        call(kh * rx.taps[ox], pair ? 2 : 1);
        oy += pair ? 2 : 1;
      }
    }
  }
  return s;
}

/// rt/sparse_conv.h's kWindowWords and kChannels.
constexpr int64_t kSparseWindowWords = 512, kSparsePassChannels = 32;

/// sparse_conv.h's regroupChunk: output channels per pass of a regrouped
/// filter with `groups` groups of four elements per window (0: the kernel
/// goes straight from the input).
int64_t regroupChunk(int64_t groups, int64_t filters) {
  const int64_t room = kSparseWindowWords - 9 * groups - 1;
  const int64_t chunk = room > 0 ? room / (2 * groups + 1) : 0;
  return std::min({chunk, kSparsePassChannels, filters});
}

/// The expected kept groups of four window elements of a regrouped filter
/// (block % 4 != 0) when `kept` of its filterlets are kept at random: a
/// group is kept when one of the filterlets it spans is.
double keptGroups(const ConvGeometry &g, int64_t block, int64_t kept) {
  const int64_t window = g.kernelH * g.kernelW * g.channels;
  const int64_t ids = window / block;
  const double k = ids ? double(kept) / double(g.filters * ids) : 0.0;
  double total = 0;
  for (int64_t i = 0; i < ceilDiv(window, 4); ++i) {
    const int64_t first = 4 * i / block,
                  last = (std::min(4 * i + 4, window) - 1) / block;
    total += 1.0 - std::pow(1.0 - k, double(last - first + 1));
  }
  return double(g.filters) * total;
}

/// The features of sparse_conv.h's DSP kernel (bench/cost_model_fit.py's
/// dsp_sparse_features): blocks of four pixels, up to 32 channels per
/// pass; per block and segment of filterlets the windows' lanes gathered,
/// each channel's kept filterlets swept (four weights at a time), then the
/// block requantized. Filters with block % 4 != 0 are regrouped into
/// groups of four window elements and their windows staged as bytes.
std::vector<double> dspSparseFeatures(const ConvGeometry &g, int64_t block,
                                      int64_t kept) {
  const int64_t window = g.kernelH * g.kernelW * g.channels;
  const int64_t C = g.filters, P = pixelsOf(g);
  double keptLets, staged = 0;
  int64_t groups = 1, segs = 1, gathered, chunk;
  if (block % 4 == 0) {
    groups = block / 4;
    keptLets = double(kept);
    chunk = kSparsePassChannels;
    const int64_t ids = window / block;
    const int64_t most = std::max<int64_t>(1, kSparseWindowWords / (2 * block));
    segs = ceilDiv(ids, most);
    gathered = window / 4;
  } else {
    gathered = ceilDiv(window, 4);
    keptLets = keptGroups(g, block, kept);
    chunk = std::max<int64_t>(1, regroupChunk(gathered, C));
    staged = double(window);
  }
  const double passes = double(ceilDiv(C, chunk));
  const int64_t blocks = ceilDiv(P, 4);
  const int64_t lone = P % 4 == 1 && segs == 1 ? 1 : 0;
  const double quads = double(blocks - lone), S = double(segs);
  return {keptLets * double(groups) * quads,
          keptLets * quads,
          keptLets * double(groups * lone),
          double(C) * quads * S,
          double(C) * quads * (S - 1),
          double(C * P),
          passes * double(P * gathered),
          passes * double(P) * double(g.kernelH + segs - 1),
          passes * double(blocks) * S,
          passes * double(P) * staged,
          double(C),
          1};
}

double sparseInstructions(const ConvGeometry &g, int64_t block, int64_t kept,
                          int64_t nonEmpty, McuCore core) {
  const Coefficients &k = coefficientsOf(core);
  const SparseShape s = sparseShapeOf(g, g.isFloat);
  const double K = double(kept), B = double(block), C = double(g.filters);
  const double taps = double(g.kernelH * g.kernelW);
  int64_t insidePx = std::accumulate(s.runs.begin(), s.runs.end(), int64_t(0));
  const double macsIn = K * B * double(insidePx);
  const double macsBorder = K * B * double(s.clippedTapPixels) / taps;
  if (g.isFloat) {
    int64_t insideCalls = 0;
    for (int64_t r : s.runs)
      insideCalls += ceilDiv(r, 2);
    return dot(k.sparseFloat,
               {macsIn + macsBorder, K * double(insideCalls + s.calls),
                C * double(pixelsOf(g)), C, 1});
  }
  if (hasDsp(core))
    return dot(k.sparseInt8, dspSparseFeatures(g, block, kept));
  // Without the DSP extension: interior runs of pixels in fours (the last
  // one to three in pairs and a single), border windows checked per
  // filterlet.
  double runs = 0, tailPx = 0;
  for (int64_t r : s.runs) {
    runs += double(r / 4 + ceilDiv(r % 4, 2));
    tailPx += double(r % 4);
  }
  const double tailMacs = K * B * tailPx;
  const double inner = block == 8 || block == 16 ? 0 : tailMacs;
  const double zpSum = kernelZeroPoint(g) ? K * B : 0;
  // Channels that keep no filterlet store one constant: the per-output
  // work is that of the others (the fit uses the expected count for
  // filterlets kept at random).
  const double live = double(nonEmpty);
  return dot(k.sparseInt8,
             {macsIn - tailMacs, K * runs, tailMacs, inner,
              live * double(insidePx), live * runs, K * double(s.calls),
              macsBorder, live * double(s.clippedPixels), zpSum, C, 1});
}

//===----------------------------------------------------------------------===//
// Depthwise convolutions, pools, other kernels
//===----------------------------------------------------------------------===//

double depthwiseInstructions(const ConvGeometry &g, McuCore core) {
  const Coefficients &k = coefficientsOf(core);
  Axis ry = rowsOf(g), rx = colsOf(g);
  const int64_t n = g.batch, C = g.filters, P = pixelsOf(g);
  const int64_t taps = g.kernelH * g.kernelW;
  if (g.isFloat)
    return dot(k.depthwiseFloat,
               {double(C * n * ry.total * rx.total), double(C * P), 1});
  if (g.filters != g.channels || g.channels < 4 || taps > 16)
    return dot(k.depthwiseGeneral,
               {double(C * n * ry.total * rx.total),
                double(C * n * ry.total * g.outW), double(C * P), 1});
  const int64_t groups = ceilDiv(C, 4);
  // depthwiseConv3x3SameInt8 (the emitter's conditions, KernelCalls.cpp):
  // 3x3, stride 1, 'same', one image, whole groups, rows of at most 14
  // columns, on DSP cores.
  bool same3x3 = g.kernelH == 3 && g.kernelW == 3 && g.strideH == 1 &&
                 g.strideW == 1 && g.dilationH == 1 && g.dilationW == 1 &&
                 g.padTop == 1 && g.padBottom == 1 && g.padLeft == 1 &&
                 g.padRight == 1 && g.outH == g.inH && g.outW == g.inW;
  bool narrowSame = same3x3 && n == 1 && C % 4 == 0 && g.inW <= 14;
  // depthwiseConv3x3Int8 (KernelCalls.cpp): 3x3, one image, whole groups,
  // stride 1 or 2 in both directions, padding of at most one, on DSP cores;
  // on rows of fewer than 6 columns the narrow 'same' kernel instead. (Its
  // in-place layers, which the planner decides, take the narrow kernel or
  // the general one's row loop: not modelled.)
  auto padOk = [](int64_t v) { return v == 0 || v == 1; };
  bool any3x3 = g.kernelH == 3 && g.kernelW == 3 && n == 1 && C % 4 == 0 &&
                g.inH >= 3 && g.inW >= 3 && g.strideH == g.strideW &&
                (g.strideH == 1 || g.strideH == 2) && g.dilationH == 1 &&
                g.dilationW == 1 && padOk(g.padTop) && padOk(g.padBottom) &&
                padOk(g.padLeft) && padOk(g.padRight);
  if (hasDsp(core) && any3x3 && (!narrowSame || g.inW >= 6)) {
    // Row-loop entries per output row: the clipped left column, the
    // inside run, the clipped right column (as the kernel splits them).
    int64_t first = g.padLeft > 0 && g.outW > 0 ? 1 : 0;
    int64_t last = std::min<int64_t>(
        g.outW, std::max<int64_t>(first, (g.inW - 3 + g.padLeft) / g.strideW +
                                             1));
    int64_t entries = first + (last > first) + (last < g.outW);
    return dot(k.depthwise3x3,
               {double(groups * P), double(groups * g.outH * entries),
                double(groups), 1});
  }
  if (hasDsp(core) && narrowSame)
    return dot(k.depthwiseSame3x3,
               {double(groups * P), double(groups * g.outH), double(groups),
                1});
  bool insideOk = !hasDsp(core) || (g.kernelH == 3 && g.kernelW == 3);
  int64_t win = insideOk ? n * ry.inside() * rx.inside() : 0;
  int64_t clippedTaps = n * ry.total * rx.total - win * taps;
  int64_t clippedRows = n * ry.total * g.outW - win * g.kernelH;
  return dot(k.depthwiseInt8,
             {double(groups * win * taps), double(groups * win),
              double(groups * (P - win)), double(groups * clippedTaps),
              double(groups * clippedRows), double(groups * n * g.outH),
              double(groups), 1});
}

/// A pool's window geometry as a ConvGeometry (kernel = window).
double poolInstructions(const ConvGeometry &g, const double (&c)[5]) {
  Axis ry = rowsOf(g), rx = colsOf(g);
  const int64_t n = g.batch, ch = g.channels;
  return dot(c, {double(ch * n * ry.total * rx.total),
                 double(ch * n * ry.total * g.outW), double(ch * pixelsOf(g)),
                 double(pixelsOf(g)), 1});
}

} // namespace

//===----------------------------------------------------------------------===//
// Public entry points
//===----------------------------------------------------------------------===//

FailureOr<ConvGeometry> tinyprune::getConvGeometry(Operation *conv) {
  FailureOr<ConvLayerView> v = ConvLayerView::get(conv);
  if (failed(v))
    return failure();
  // The kernel reads the untrimmed input.
  auto x = dyn_cast<RankedTensorType>(v->kernelInput.getType());
  if (!x || !x.hasStaticShape() || x.getRank() != 4)
    return failure();
  ConvGeometry g;
  g.batch = v->batch, g.inH = x.getDimSize(1), g.inW = x.getDimSize(2);
  g.channels = v->channels;
  g.outH = v->outH, g.outW = v->outW, g.filters = v->filters;
  g.kernelH = v->kernelH, g.kernelW = v->kernelW;
  g.strideH = v->strideH, g.strideW = v->strideW;
  g.dilationH = v->dilationH, g.dilationW = v->dilationW;
  g.padTop = v->padTop, g.padBottom = v->padBottom, g.padLeft = v->padLeft,
  g.padRight = v->padRight;
  g.isFloat = v->isFloat;
  g.hasInputZeroPoint = !g.isFloat && v->inputZeroPoint.value_or(0) != 0;
  return g;
}

/// Bias, multipliers and shifts: int32 per filter (int8); the float bias.
static int64_t perFilterFlash(const ConvGeometry &g) {
  return g.isFloat ? 4 * g.filters : 12 * g.filters;
}

LayerCost tinyprune::denseConvCost(const ConvGeometry &g, McuCore core) {
  LayerCost c;
  int64_t weights = g.filters * g.kernelH * g.kernelW * g.channels;
  // The portable constants, on every core (what `tinyprune compile`
  // reports): DSP builds hold int16 copies of most filters besides or
  // instead of these (docs/cost-model.md, Limits).
  c.flashBytes = weights * (g.isFloat ? 4 : 1) + perFilterFlash(g);
  c.macs = inBoundsMacs(g);
  c.instructions = g.isFloat
                       ? denseFloatInstructions(g, coefficientsOf(core))
                       : denseInt8Instructions(g, core);
  return c;
}

int64_t tinyprune::sparseConvFixedFlash(const ConvGeometry &g, int64_t block,
                                        int64_t keptFilterlets) {
  const int64_t ids = g.kernelH * g.kernelW * (g.channels / block);
  // sparseFilter(): ids and row pointers in the narrowest types that hold
  // them; arrays hold at least one element (an empty index gets a 0).
  const int64_t index = filterletIdBytes(ids);
  const int64_t row = filterletRowBytes(keptFilterlets);
  int64_t bytes = row * (g.filters + 1) +                        // row pointers
                  index * std::max<int64_t>(1, keptFilterlets) + // index
                  4 * ids + 2 * ids; // offset (int32), tapY, tapX (uint8)
  bytes += 28; // SparseFilter{Int8,Float}: six pointers and an int32_t.
  // An empty values array still holds one element.
  if (keptFilterlets * block == 0)
    bytes += g.isFloat ? 4 : 1;
  return bytes + perFilterFlash(g);
}

LayerCost tinyprune::sparseConvCost(const ConvGeometry &g, int64_t block,
                                    int64_t keptFilterlets,
                                    int64_t nonEmptyFilters, McuCore core) {
  assert(block > 0 && g.channels % block == 0 && "block must divide channels");
  LayerCost c;
  c.flashBytes = sparseConvFixedFlash(g, block, keptFilterlets) +
                 keptFilterlets * block * (g.isFloat ? 4 : 1);
  // Kept filterlets are spread over taps: in-bounds MACs scale with the
  // kept fraction of the filter.
  const int64_t ids = g.kernelH * g.kernelW * (g.channels / block);
  const int64_t total = ids * g.filters;
  c.macs = total == 0 ? 0
                      : int64_t(double(inBoundsMacs(g)) *
                                double(keptFilterlets) / double(total));
  c.instructions =
      sparseInstructions(g, block, keptFilterlets, nonEmptyFilters, core);
  return c;
}

//===----------------------------------------------------------------------===//
// Whole functions
//===----------------------------------------------------------------------===//

static int64_t elementsOf(Type t) {
  auto r = dyn_cast<RankedTensorType>(t);
  return r && r.hasStaticShape() ? r.getNumElements() : 0;
}

static bool isConstant(Value v) {
  return static_cast<bool>(constantElements(v));
}

static int64_t rankOf(Value v) {
  auto r = dyn_cast<RankedTensorType>(v.getType());
  return r ? r.getRank() : 0;
}

/// Geometry of a pool: the window as the kernel, channels = filters.
static ConvGeometry poolGeometry(Value in, Value out, ArrayRef<int64_t> kernel,
                                 ArrayRef<int64_t> stride,
                                 ArrayRef<int64_t> pad) {
  auto x = cast<RankedTensorType>(in.getType());
  auto y = cast<RankedTensorType>(out.getType());
  ConvGeometry g;
  g.batch = x.getDimSize(0), g.inH = x.getDimSize(1), g.inW = x.getDimSize(2);
  g.channels = g.filters = x.getDimSize(3);
  g.outH = y.getDimSize(1), g.outW = y.getDimSize(2);
  g.kernelH = kernel[0], g.kernelW = kernel[1];
  g.strideH = stride[0], g.strideW = stride[1];
  g.padTop = pad[0], g.padBottom = pad[1], g.padLeft = pad[2],
  g.padRight = pad[3];
  return g;
}

/// Ops the emitter prints no kernel call for, or folds into another op's
/// kernel call, in a function raised to layer ops (each layer op is one
/// call).
static bool isFused(Operation *op) {
  if (isa<tosa::ConstOp, tosa::ConstShapeOp, tosa::ReshapeOp, func::ReturnOp>(
          op))
    return true;
  // LEAKY_RELU: the compare, the int8 rescaled arms and the float alpha
  // product belong to the select.
  if (isa<tosa::GreaterEqualOp, tosa::GreaterOp>(op))
    return true;
  if (isa<tosa::RescaleOp, tosa::MulOp>(op) && !op->use_empty() &&
      llvm::all_of(op->getUsers(),
                   [](Operation *u) { return isa<tosa::SelectOp>(u); }))
    return true;
  // DEQUANTIZE: cast, sub of the zero point, mul by the scale.
  if (isa<tosa::SubOp, tosa::MulOp>(op) &&
      isa<FloatType>(getElementTypeOrSelf(op->getResult(0).getType()))) {
    Operation *def = op->getOperand(0).getDefiningOp();
    if (def && isa<tosa::CastOp>(def) && def->hasOneUse())
      return true;
    if (def && isa<tosa::SubOp>(def) && def->hasOneUse() &&
        def->getOperand(0).getDefiningOp<tosa::CastOp>())
      return true;
  }
  // A float average pool's clamp.
  if (auto c = dyn_cast<tosa::ClampOp>(op)) {
    Operation *def = c.getInput().getDefiningOp();
    return def && def->hasOneUse() && isa<tosa::AvgPool2dOp>(def);
  }
  // A slice from the origin feeding convolutions is a view of their input.
  if (isa<tosa::SliceOp>(op))
    return llvm::all_of(op->getUsers(), [&](Operation *u) {
      FailureOr<ConvLayerView> v = ConvLayerView::get(u);
      return succeeded(v) && v->kernelInput == op->getOperand(0);
    });
  return false;
}

/// The cost of one op the emitter lowers to a kernel call.
static LayerCost costOf(Operation *op, McuCore core) {
  const Coefficients &k = coefficientsOf(core);
  LayerCost c;
  if (isa<Conv2DOp, tosa::Conv2DOp>(op)) {
    FailureOr<ConvGeometry> g = getConvGeometry(op);
    if (failed(g))
      return c;
    FilterletsAttr f = ConvLayerView::get(op)->filterlets;
    if (!f)
      return denseConvCost(*g, core);
    int64_t nonEmpty = 0;
    ArrayRef<int32_t> rowPtr = f.getRowPtr();
    for (size_t o = 0; o + 1 < rowPtr.size(); ++o)
      nonEmpty += rowPtr[o + 1] > rowPtr[o];
    return sparseConvCost(*g, f.getBlock(), (int64_t)f.getIndex().size(),
                          nonEmpty, core);
  }
  if (isa<DepthwiseConv2DOp, tosa::DepthwiseConv2DOp>(op)) {
    FailureOr<ConvGeometry> g = getConvGeometry(op);
    if (failed(g))
      return c;
    c.flashBytes =
        tensorBytes(op->getOperand(1).getType()) + perFilterFlash(*g);
    c.macs = inBoundsMacs(*g) / std::max<int64_t>(1, g->channels);
    c.instructions = depthwiseInstructions(*g, core);
    return c;
  }
  Value out = op->getNumResults() ? op->getResult(0) : Value();
  int64_t n = out ? elementsOf(out.getType()) : 0;
  // Constant operands the emitter stores as arrays.
  auto constants = [&](ValueRange operands) {
    int64_t bytes = 0;
    for (Value v : operands)
      if (isConstant(v))
        bytes += tensorBytes(v.getType());
    return bytes;
  };
  if (auto pool = dyn_cast<MaxPool2dOp>(op)) {
    ConvGeometry g =
        poolGeometry(pool.getInput(), pool.getOutput(), pool.getKernel(),
                     pool.getStride(), pool.getPad());
    c.instructions = poolInstructions(g, k.maxPoolInt8);
    return c;
  }
  if (auto pool = dyn_cast<tosa::MaxPool2dOp>(op)) {
    ConvGeometry g =
        poolGeometry(pool.getInput(), pool.getResult(), pool.getKernel(),
                     pool.getStride(), pool.getPad());
    c.instructions = poolInstructions(g, k.maxPoolInt8);
    return c;
  }
  if (auto pool = dyn_cast<AvgPool2dOp>(op)) {
    ConvGeometry g =
        poolGeometry(pool.getInput(), pool.getResult(), pool.getKernel(),
                     pool.getStride(), pool.getPad());
    c.instructions = poolInstructions(g, k.avgPoolInt8);
    return c;
  }
  if (auto pool = dyn_cast<tosa::AvgPool2dOp>(op)) {
    ConvGeometry g =
        poolGeometry(pool.getInput(), pool.getResult(), pool.getKernel(),
                     pool.getStride(), pool.getPad());
    c.instructions = poolInstructions(g, k.avgPoolInt8);
    return c;
  }
  if (auto s = dyn_cast<SoftmaxOp>(op)) {
    auto t = cast<RankedTensorType>(s.getInput().getType());
    int64_t depth = t.getShape().back();
    c.instructions = dot(k.softmaxInt8, {double(n), double(n / depth), 1});
    return c;
  }
  if (isa<AddOp, SubOp, MulOp, tosa::AddOp, tosa::SubOp, tosa::MulOp>(op)) {
    // An int8 ADD/SUB whose operands have the output's shape runs from two
    // compile-time tables of 256 words (addTableInt8; TFLite's input
    // multipliers always fit them) and a 32-byte descriptor; the others
    // keep three shape arrays (int32 per dimension).
    auto outType = out ? dyn_cast<ShapedType>(out.getType()) : ShapedType();
    bool sameShape =
        !isa<MulOp, tosa::MulOp>(op) && outType &&
        !isa<FloatType>(outType.getElementType()) &&
        llvm::all_of(op->getOperands(), [&](Value v) {
          auto t = dyn_cast<ShapedType>(v.getType());
          return t && t.getShape() == outType.getShape();
        });
    if (sameShape) {
      c.flashBytes = 2 * 1024 + 32 + constants(op->getOperands());
      c.instructions = dot(k.addInt8Table, {double(n), 1});
      return c;
    }
    c.flashBytes = 3 * 4 * rankOf(out) + constants(op->getOperands());
    c.instructions = dot(k.addInt8, {double(n), 1});
    return c;
  }
  if (auto s = dyn_cast<tosa::SliceOp>(op))
    c.flashBytes = 3 * 4 * rankOf(s.getInput1()) + constants(s.getInput1());
  else if (auto p = dyn_cast<tosa::PadOp>(op))
    c.flashBytes = 3 * 4 * rankOf(p.getInput1()) +
                   tensorBytes(p.getPadConst().getType()) +
                   constants(p.getInput1());
  else if (auto t = dyn_cast<tosa::TransposeOp>(op))
    c.flashBytes = 2 * 4 * rankOf(t.getInput1()) + constants(t.getInput1());
  else if (auto cat = dyn_cast<tosa::ConcatOp>(op))
    c.flashBytes = 4 * rankOf(out) + 4 * (int64_t)cat.getInput1().size() +
                   constants(cat.getInput1());
  else if (auto m = dyn_cast<MeanOp>(op))
    c.flashBytes = 4 * rankOf(m.getInput()) + 4 * (int64_t)m.getAxes().size();
  else if (auto l = dyn_cast<LstmOp>(op)) {
    // Weights, biases and the parameter block (about 120 bytes); per step
    // and row, four gates of (input + hidden) MACs per hidden unit. The
    // instructions keep the per-element stand-in below: no LSTM kernel is
    // calibrated.
    auto in = l.getInput().getType();
    int64_t hidden = l.getInputToInputWeights().getType().getDimSize(0);
    c.flashBytes = constants(op->getOperands()) + 120;
    c.macs = in.getDimSize(0) * in.getDimSize(1) * 4 * hidden *
             (in.getDimSize(2) + hidden);
  }
  // The rest runs one pass over its elements: requantize (fitted), and
  // clamps, activations, casts, quantize, mean and data movement, which
  // take the requantize loop's per-element cost as an uncalibrated
  // stand-in (small layers in the models this serves).
  int64_t in =
      op->getNumOperands() ? elementsOf(op->getOperand(0).getType()) : 0;
  c.instructions = dot(k.requantizeInt8, {double(std::max(n, in)), 1});
  return c;
}

std::vector<OpCost> tinyprune::estimateFunction(func::FuncOp func,
                                                McuCore core) {
  // Each layer op is one kernel call; what the emitter fuses costs nothing.
  std::vector<OpCost> costs;
  func.walk([&](Operation *op) {
    if (op == func.getOperation() || isFused(op))
      return;
    costs.push_back({op, costOf(op, core)});
  });
  return costs;
}

LayerCost tinyprune::totalCost(ArrayRef<OpCost> costs) {
  LayerCost total;
  for (const OpCost &c : costs)
    total += c.cost;
  return total;
}
