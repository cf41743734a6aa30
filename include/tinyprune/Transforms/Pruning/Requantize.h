//===- Requantize.h - int8 weights from re-solved real weights --*- C++ -*-===//
//
// The arithmetic of writing re-solved real weights back into an int8
// layer in TFLite's quantization: new symmetric per-channel weight scales
// (max |w| / 127) where the requantization that follows can take them, the
// weights rounded to [-127, 127], the bias re-quantized with input scale x
// weight scale after moving the rounding error of the weights on the mean
// input into it, and the requantization multipliers and shifts recomputed
// from the old ones (they follow the weight scale). No IR: the pruning
// passes read and write the constants (QuantizedWeights.h).
//
//===----------------------------------------------------------------------===//

#ifndef TINYPRUNE_TRANSFORMS_PRUNING_REQUANTIZE_H
#define TINYPRUNE_TRANSFORMS_PRUNING_REQUANTIZE_H

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/STLFunctionalExtras.h"

#include <cstdint>
#include <vector>

namespace tinyprune {
namespace pruning {

/// A layer's filters in int8, filter-major: filter `o`'s k-th weight is
/// `weights[o * size + k]`.
struct QuantizedFilters {
  std::vector<int8_t> weights;
  std::vector<int32_t> bias;
  /// Per-filter weight scales, and the bias scales (input x weight).
  std::vector<float> weightScales, biasScales;
  /// Per-filter requantization (TOSA multiplier and shift); empty when the
  /// layer has none.
  std::vector<int32_t> multiplier;
  std::vector<int8_t> shift;
};

/// Real weights (and biases) dequantized per output channel: filter `o`
/// holds `size` weights `q * weightScales[o]` and its bias
/// `q * inputScale * weightScales[o]` last. `weightAt(o, k)` gives filter
/// `o`'s k-th stored weight, `bias` one value for all filters or one per
/// filter. The layout of a re-solve (filters x (size + 1)).
std::vector<double>
dequantizeFilters(int64_t filters, int64_t size,
                  llvm::function_ref<double(int64_t, int64_t)> weightAt,
                  llvm::ArrayRef<double> bias,
                  llvm::ArrayRef<float> weightScales, double inputScale);

/// Re-quantizes `real` (filters x (size + 1), bias last) into int8. The old
/// `weightScales` stay for a filter unless the requantization
/// (`multiplier`/`shift`, one per filter or one for all; empty when there
/// is none) can follow a new scale; a single multiplier becomes one per
/// filter. `inputMean` (one vector of `size`, or one per filter) is the
/// mean input the bias correction uses. With `outputScale` (> 0, the
/// layer's output scale), a new multiplier is TFLite's for `inputScale` x
/// new weight scale / `outputScale`, so that the scales give back the
/// multiplier (the export to .tflite needs it); without, the old one
/// scaled by the change of weight scale.
QuantizedFilters
requantizeFilters(llvm::ArrayRef<std::vector<double>> real, int64_t size,
                  llvm::ArrayRef<float> weightScales, double inputScale,
                  llvm::ArrayRef<std::vector<double>> inputMean,
                  llvm::ArrayRef<int32_t> multiplier,
                  llvm::ArrayRef<int8_t> shift, double outputScale = 0);

} // namespace pruning
} // namespace tinyprune

#endif // TINYPRUNE_TRANSFORMS_PRUNING_REQUANTIZE_H
