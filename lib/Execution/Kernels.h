//===- Kernels.h - The interpreter's tensors and shared kernels -*- C++ -*-===//
//
// Internal to lib/Execution: the interpreter's tensor representation, the
// integer helpers of TOSA's arithmetic, the kernels that both TOSA ops and
// layer ops run (convolution, pooling, broadcasting), and the entry points of
// layer-op execution (LayerOps.cpp) and of the tinyprune ops that call the
// runtime's kernels (RuntimeOps.cpp).
//
//===----------------------------------------------------------------------===//

#ifndef TINYPRUNE_LIB_EXECUTION_KERNELS_H
#define TINYPRUNE_LIB_EXECUTION_KERNELS_H

#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Operation.h"
#include "mlir/Support/LLVM.h"
#include "llvm/ADT/STLFunctionalExtras.h"
#include "llvm/ADT/SmallVector.h"

#include <cstdint>
#include <vector>

namespace tinyprune {
namespace exec {

/// A tensor value during interpretation: integers widened to int64 (sign
/// extended), floats as float.
struct Tensor {
  llvm::SmallVector<int64_t, 4> shape;
  mlir::Type elementType;
  std::vector<int64_t> i; // integer elements, sign-extended
  std::vector<float> f;   // float elements

  bool isFloat() const { return llvm::isa<mlir::FloatType>(elementType); }
  int64_t numElements() const {
    int64_t n = 1;
    for (int64_t d : shape)
      n *= d;
    return n;
  }
};

/// Row-major strides of `shape`.
llvm::SmallVector<int64_t, 4> stridesOf(llvm::ArrayRef<int64_t> shape);

/// Saturates `v` to the range of a `bits`-wide signed integer.
int64_t saturateBits(int64_t v, unsigned bits);

/// Wraps `v` to a `bits`-wide signed integer (two's complement), as
/// arithmetic on that type does.
int64_t wrapBits(int64_t v, unsigned bits);

/// TOSA's apply_scale_32.
int64_t applyScale32(int64_t value, int64_t multiplier, int64_t shift,
                     bool doubleRound);

/// TOSA's rescale of one value: apply_scale_32 of `value - inZp`, plus
/// `outZp`, saturated to `bits` (scale32, signed).
inline int64_t rescaleValue(int64_t value, int64_t inZp, int64_t multiplier,
                            int64_t shift, int64_t outZp, unsigned bits) {
  return saturateBits(
      applyScale32(value - inZp, multiplier, shift, /*doubleRound=*/true) +
          outZp,
      bits);
}

/// Scratch buffers of the convolution, kept from one run to the next.
struct ConvScratch {
  std::vector<int16_t> in, w;
  std::vector<uint32_t> acc;
  std::vector<float> wF, accF;
  /// The int32 accumulator of an int8 convolution layer.
  Tensor layerAcc;
};

/// TOSA conv2d (OHWI weights) or depthwise_conv2d ([KH, KW, C, M]) of `in`
/// into `out`, which is shaped and typed already (its type decides how the
/// accumulator wraps): integer accumulation of zero-point corrected
/// products plus the bias, float accumulation in (ky, kx, c) order.
void convolve(const Tensor &in, const Tensor &w, const Tensor &bias,
              int64_t inZp, int64_t wZp, llvm::ArrayRef<int64_t> pad,
              llvm::ArrayRef<int64_t> stride, llvm::ArrayRef<int64_t> dilation,
              bool depthwise, Tensor &out, ConvScratch &scratch);

/// TOSA max_pool2d (or float avg_pool2d) of `in` into `out` (shaped and
/// typed already): positions in the padding are skipped.
void pool(const Tensor &in, llvm::ArrayRef<int64_t> kernel,
          llvm::ArrayRef<int64_t> stride, llvm::ArrayRef<int64_t> pad,
          bool isMax, Tensor &out);

/// Calls `fn(k, ia, ib)` for every element `k` of a result of shape `out`
/// with the indices of the elements of `a` and `b` that broadcast to it
/// (numpy rules, shapes aligned at the right).
void forEachBroadcast(llvm::ArrayRef<int64_t> a, llvm::ArrayRef<int64_t> b,
                      llvm::ArrayRef<int64_t> out,
                      llvm::function_ref<void(int64_t, int64_t, int64_t)> fn);

/// Whether `op` is a tinyprune layer op (TinyPruneLayers.td).
bool isLayerOp(mlir::Operation *op);

/// Runs layer op `op` on `operands` (its operands' tensors, in order) into
/// `out` (shaped and typed as its result), with exactly the arithmetic of
/// the TOSA chain it stands for. Emits an error on `op` and fails for what
/// the interpreter does not support.
mlir::LogicalResult executeLayerOp(mlir::Operation *op,
                                   llvm::ArrayRef<const Tensor *> operands,
                                   Tensor &out, ConvScratch &scratch);

/// Runs tinyprune op `op` (SoftmaxOp, LogisticOp, TanhOp, HardSwishOp,
/// AvgPool2dOp, MeanOp, QuantizeOp or LstmOp) on `operands` (its operands'
/// tensors, in order) into `out` (shaped, typed and zero-filled) with the
/// runtime's TFLite-exact kernels. Emits an error on `op` and fails for what
/// the interpreter does not support.
mlir::LogicalResult executeRuntimeOp(mlir::Operation *op,
                                     llvm::ArrayRef<const Tensor *> operands,
                                     Tensor &out);

} // namespace exec
} // namespace tinyprune

#endif // TINYPRUNE_LIB_EXECUTION_KERNELS_H
