//===- Requantize.cpp - int8 weights from re-solved real weights ----------===//
//
// Per-channel dequantization and re-quantization of a layer's filters, bias
// and requantization constants (Requantize.h).
//
//===----------------------------------------------------------------------===//

#include "tinyprune/Transforms/Pruning/Requantize.h"

#include "tinyprune/rt/quant_params.h"

#include <algorithm>
#include <cmath>

using namespace tinyprune;
using namespace tinyprune::pruning;

std::vector<double> pruning::dequantizeFilters(
    int64_t filters, int64_t size,
    llvm::function_ref<double(int64_t, int64_t)> weightAt,
    llvm::ArrayRef<double> bias, llvm::ArrayRef<float> weightScales,
    double inputScale) {
  bool isFloat = weightScales.empty();
  std::vector<double> out(filters * (size + 1));
  for (int64_t o = 0; o < filters; ++o) {
    double scale = isFloat ? 1.0 : double(weightScales[o]);
    // TFLite: the bias is quantized with input scale x weight scale.
    double biasScale = isFloat ? 1.0 : inputScale * scale;
    double *row = out.data() + o * (size + 1);
    for (int64_t k = 0; k < size; ++k)
      row[k] = weightAt(o, k) * scale;
    row[size] = bias[bias.size() == 1 ? 0 : o] * biasScale;
  }
  return out;
}

QuantizedFilters
pruning::requantizeFilters(llvm::ArrayRef<std::vector<double>> real,
                           int64_t size, llvm::ArrayRef<float> weightScales,
                           double inputScale,
                           llvm::ArrayRef<std::vector<double>> inputMean,
                           llvm::ArrayRef<int32_t> multiplier,
                           llvm::ArrayRef<int8_t> shift, double outputScale) {
  int64_t filters = int64_t(real.size());
  QuantizedFilters out;
  out.weights.resize(filters * size);
  out.bias.resize(filters);
  out.weightScales.resize(filters);
  out.biasScales.resize(filters);
  bool requantized = !multiplier.empty();
  if (requantized) {
    // One multiplier for all channels becomes one per channel.
    out.multiplier.assign(multiplier.begin(), multiplier.end());
    out.shift.assign(shift.begin(), shift.end());
    out.multiplier.resize(filters, out.multiplier.front());
    out.shift.resize(filters, out.shift.front());
  }
  for (int64_t o = 0; o < filters; ++o) {
    const std::vector<double> &v = real[o];
    double maxAbs = 0;
    for (int64_t k = 0; k < size; ++k)
      maxAbs = std::max(maxAbs, std::fabs(v[k]));
    float scale = weightScales[o];
    if (requantized && maxAbs > 0 && out.multiplier[o] > 0) {
      // The requantization scale is input x weight scale / output scale:
      // it follows the weight scale.
      float fresh = float(maxAbs / 127.0);
      // With the output scale, TFLite's own derivation (its
      // PopulateConvolutionQuantizationParams, in double), so that the
      // layer's scales give back its multiplier (an exported .tflite
      // computes what the layer does); else the old multiplier, scaled.
      double old = std::ldexp(double(out.multiplier[o]), -out.shift[o]);
      rt::QuantizedMultiplier m =
          outputScale > 0
              ? rt::quantizeMultiplier(inputScale * double(fresh) / outputScale)
              : rt::quantizeMultiplier(old * double(fresh) / double(scale));
      int s = rt::tosaShift(m);
      // TOSA shifts are 2..62; a multiplier that needs another stays old.
      if (m.multiplier != 0 && s >= 2 && s <= 62) {
        scale = fresh;
        out.multiplier[o] = m.multiplier;
        out.shift[o] = int8_t(s);
      }
    }
    out.weightScales[o] = scale;
    // Quantize; the rounding's effect on the mean output moves to the bias.
    llvm::ArrayRef<double> mean =
        inputMean.size() == 1 ? inputMean[0] : inputMean[o];
    double drift = 0;
    for (int64_t k = 0; k < size; ++k) {
      double q = std::clamp(std::round(v[k] / scale), -127.0, 127.0);
      out.weights[o * size + k] = int8_t(q);
      drift += (q * scale - v[k]) * mean[k];
    }
    double b = std::round((v[size] - drift) / (inputScale * double(scale)));
    out.bias[o] = int32_t(std::clamp(b, -2147483648.0, 2147483647.0));
    out.biasScales[o] = float(inputScale * double(scale));
  }
  return out;
}
