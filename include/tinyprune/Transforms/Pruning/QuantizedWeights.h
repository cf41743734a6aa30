//===- QuantizedWeights.h - Reading and writing layer weights ---*- C++ -*-===//
//
// The weights of a convolution layer op (`tinyprune.conv2d`,
// `tinyprune.depthwise_conv2d`): constant weights (float32, or int8 with
// per-channel scales in the op's `weight_quant`) and a constant bias, for
// int8 requantized by the op's `multiplier`/`shift` and clamped to its
// fused activation's `min_val`/`max_val`. The pruning passes read the
// filters as real values (through LayerView.h), re-solve them, and write
// them back: int8 filters re-quantized per channel (Requantize.h) with the
// bias and the requantization following.
//
//===----------------------------------------------------------------------===//

#ifndef TINYPRUNE_TRANSFORMS_PRUNING_QUANTIZEDWEIGHTS_H
#define TINYPRUNE_TRANSFORMS_PRUNING_QUANTIZEDWEIGHTS_H

#include "tinyprune/Transforms/Reconstruction.h"

#include "mlir/Dialect/Tosa/IR/TosaOps.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "llvm/ADT/ArrayRef.h"

#include <functional>
#include <vector>

namespace tinyprune {
namespace pruning {

/// What the fused activation of convolution layer op `layer` clips its real
/// outputs to: for int8 the part of `[min_val, max_val]` its output
/// quantization can hold, for float `[min_val, max_val]`. Clips nothing
/// when `layer` is no convolution layer op or its quantization is unknown.
recon::Clip activationClip(mlir::Operation *layer);

/// A copy of constant `op` (placed before `user`) holding `values`, made the
/// operand `operand` of `user`; `op` goes if nothing else uses it.
mlir::tosa::ConstOp replaceConstant(mlir::Operation *user,
                                    mlir::OpOperand &operand,
                                    mlir::tosa::ConstOp op,
                                    mlir::DenseElementsAttr values);

/// Where the filters of a convolution layer op live: filter `o`'s k-th
/// weight is element index(o, k) of the weight constant (int8: per-channel
/// scales along `axis` of the constant, `layerAxis` in the op's
/// `weight_quant`).
struct FilterStorage {
  /// The layer op: `tinyprune.conv2d` or `tinyprune.depthwise_conv2d`.
  mlir::Operation *op = nullptr;
  mlir::OpOperand *weight = nullptr, *bias = nullptr;
  mlir::tosa::ConstOp weightOp;
  int64_t filters = 0, size = 0, axis = 0, layerAxis = 0;
  bool isFloat = false;
  /// Per-filter weight scales (int8), else empty.
  llvm::ArrayRef<float> weightScale;
  /// The input's scale (int8): the bias scale is input x weight scale.
  double inScale = 1.0;
  std::function<int64_t(int64_t, int64_t)> index;
};

/// The real filters of `st` (filters x (size + 1), the bias last), or
/// failure when the bias is not a constant of one value or one per filter.
mlir::FailureOr<std::vector<double>> readFilters(const FilterStorage &st);

/// Writes the re-solved real weights (and biases) of `solutions` into the
/// constants of `st`; int8 weights are re-quantized per channel and the
/// bias, the op's `weight_quant` and its `multiplier`/`shift` (per channel
/// from then on) follow. `inputMean` is one mean input patch for all
/// filters or one per filter. Returns the new weight constant.
mlir::tosa::ConstOp
writeFilters(const FilterStorage &st,
             llvm::ArrayRef<recon::FilterSolution> solutions,
             llvm::ArrayRef<std::vector<double>> inputMean);

} // namespace pruning
} // namespace tinyprune

#endif // TINYPRUNE_TRANSFORMS_PRUNING_QUANTIZEDWEIGHTS_H
