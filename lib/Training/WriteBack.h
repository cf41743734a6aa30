//===- WriteBack.h - Trained weights into the IR ----------------*- C++ -*-===//
//
// Private to lib/Training, torch-free. Writes trained real-valued weights
// and biases into convolution layer ops: float layers take them as they
// are; int8 layers are quantized as TFLite's converter and the importer
// do from a float model: symmetric per-output-channel weight scales
// (max |w| / 127 in float32), weights rounded into [-127, 127], int32
// biases at input x weight scale, and the requantization multiplier and
// shift computed from input x weight / output scale with TFLite's
// QuantizeMultiplier (rt/quant_params.h), as lib/Import does.
//
//===----------------------------------------------------------------------===//

#ifndef TINYPRUNE_LIB_TRAINING_WRITEBACK_H
#define TINYPRUNE_LIB_TRAINING_WRITEBACK_H

#include "mlir/IR/Operation.h"
#include "llvm/ADT/ArrayRef.h"
#include "llvm/Support/Error.h"

#include <vector>

namespace tinyprune {
namespace training {

/// One trained convolution (`tinyprune.conv2d` or `depthwise_conv2d`):
/// real weights in the op's weight layout and one real bias per channel.
struct TrainedConv {
  mlir::Operation *op = nullptr;
  std::vector<float> weights, bias;
};

/// The int8 form of a trained layer (no IR), as the importer computes it.
struct QuantizedConv {
  std::vector<int8_t> weights;
  std::vector<int32_t> bias;
  std::vector<float> weightScales;
  std::vector<int32_t> multiplier;
  std::vector<int8_t> shift;
};

/// Quantizes `filters` filters (filter `o`'s k-th weight at `index(o, k)`
/// of `weights`, `size` each). `oldScales` are kept for all-zero filters.
/// Fails when a requantization falls outside TOSA's shifts [2, 62].
llvm::Expected<QuantizedConv> quantizeTrained(llvm::ArrayRef<float> weights,
                                              llvm::ArrayRef<float> bias,
                                              int64_t filters, bool depthwise,
                                              llvm::ArrayRef<float> oldScales,
                                              float inScale, float outScale);

/// Writes `layers` into their ops. Every layer is checked before any is
/// changed: on failure the IR is as it was.
llvm::Error writeBack(llvm::ArrayRef<TrainedConv> layers);

} // namespace training
} // namespace tinyprune

#endif // TINYPRUNE_LIB_TRAINING_WRITEBACK_H
