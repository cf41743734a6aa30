//===- QuantizedWeights.h - Reading and writing layer weights ---*- C++ -*-===//
//
// The weights of a convolution-like layer in the importer's form: constant
// weights (float32, or int8 with per-channel scales in `tinyprune.quant`)
// and a constant bias, for int8 followed by the `tosa.rescale` that
// requantizes the accumulator and a `tosa.clamp` for a fused activation.
// The pruning passes read the filters as real values, re-solve them, and
// write them back: int8 filters re-quantized per channel (Requantize.h)
// with the bias and the rescale's multipliers and shifts following.
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

/// The values of a constant op as doubles.
std::vector<double> constantValues(mlir::tosa::ConstOp op);

/// The rescale that requantizes `conv`'s accumulator, if the model has the
/// importer's form: the conv's only user, with constant multipliers and
/// shifts, per channel or one for all (which a re-quantization makes per
/// channel); else null.
mlir::tosa::RescaleOp requantizerOf(mlir::Operation *conv, int64_t filters);

/// What the activation after `conv` clips its real outputs to: for int8 the
/// range of its requantization (and of a clamp after it), for float a clamp
/// that is its only user. Clips nothing when the form is unknown.
recon::Clip activationClip(mlir::Operation *conv, int64_t filters,
                           bool isFloat);

/// A copy of constant `op` (placed before `user`) holding `values`, made the
/// operand `operand` of `user`; `op` goes if nothing else uses it.
mlir::tosa::ConstOp replaceConstant(mlir::Operation *user,
                                    mlir::OpOperand &operand,
                                    mlir::tosa::ConstOp op,
                                    mlir::DenseElementsAttr values);

/// Where the filters of a convolution-like op live: filter `o`'s k-th
/// weight is element index(o, k) of the weight constant (int8: per-channel
/// scales along `axis`).
struct FilterStorage {
  mlir::Operation *op = nullptr;
  mlir::OpOperand *weight = nullptr, *bias = nullptr;
  mlir::tosa::ConstOp weightOp;
  int64_t filters = 0, size = 0, axis = 0;
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
/// bias and the requantization follow. `inputMean` is one mean input patch
/// for all filters or one per filter. Returns the new weight constant.
mlir::tosa::ConstOp
writeFilters(const FilterStorage &st,
             llvm::ArrayRef<recon::FilterSolution> solutions,
             llvm::ArrayRef<std::vector<double>> inputMean);

} // namespace pruning
} // namespace tinyprune

#endif // TINYPRUNE_TRANSFORMS_PRUNING_QUANTIZEDWEIGHTS_H
