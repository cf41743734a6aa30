//===- Interpreter.h - Run a module in the compiler -------------*- C++ -*-===//
//
// Executes a function of TOSA and tinyprune ops on concrete inputs, one op
// at a time with TOSA's (and TFLite's) integer semantics. It is the
// reference the generated C++ is compared against, and the engine that
// data-aware passes use to collect activations.
//
//===----------------------------------------------------------------------===//

#ifndef TINYPRUNE_EXECUTION_INTERPRETER_H
#define TINYPRUNE_EXECUTION_INTERPRETER_H

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Support/LLVM.h"
#include "llvm/ADT/ArrayRef.h"

#include <cstdint>
#include <vector>

namespace tinyprune {

/// Bytes of one value of `type` (a statically shaped int or float tensor)
/// in the raw little-endian layout that `run` reads and writes.
int64_t rawByteSize(mlir::Type type);

/// Runs `func` on `inputs`, one raw buffer per argument (row-major,
/// little-endian, element type as declared). Returns one raw buffer per
/// result, or emits an error on the failing op and returns failure.
mlir::FailureOr<std::vector<std::vector<uint8_t>>>
runFunction(mlir::func::FuncOp func,
            llvm::ArrayRef<llvm::ArrayRef<uint8_t>> inputs);

} // namespace tinyprune

#endif // TINYPRUNE_EXECUTION_INTERPRETER_H
