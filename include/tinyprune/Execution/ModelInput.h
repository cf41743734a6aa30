//===- ModelInput.h - A model's input as data readers see it ----*- C++ -*-===//
//
// The bridge between a function and lib/Data: what one sample must look
// like (shape, element type, quantization) to feed the function's single
// input. Used by `tinyprune eval` and by the data-aware passes.
//
//===----------------------------------------------------------------------===//

#ifndef TINYPRUNE_EXECUTION_MODELINPUT_H
#define TINYPRUNE_EXECUTION_MODELINPUT_H

#include "tinyprune/Data/Dataset.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"

namespace tinyprune {

/// The input spec of `func`'s single argument, which must be a statically
/// shaped int8 or float32 tensor with a leading batch dimension of 1 (int8:
/// quantized per tensor, if at all). The error says what is wrong, without
/// a prefix.
llvm::Expected<data::InputSpec> getInputSpec(mlir::func::FuncOp func);

} // namespace tinyprune

#endif // TINYPRUNE_EXECUTION_MODELINPUT_H
