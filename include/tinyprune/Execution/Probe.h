//===- Probe.h - Observe intermediate values of a function ------*- C++ -*-===//
//
// Data-aware passes need the activations inside a model (a layer's input on
// calibration samples), which a function's results do not expose. A probe
// clones the function into a module of its own, makes the chosen values its
// results, drops what they do not depend on, and prepares the clone for the
// interpreter. The original IR is not touched.
//
//===----------------------------------------------------------------------===//

#ifndef TINYPRUNE_EXECUTION_PROBE_H
#define TINYPRUNE_EXECUTION_PROBE_H

#include "tinyprune/Execution/Interpreter.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OwningOpRef.h"

#include <memory>

namespace tinyprune {

class ValueProbe {
public:
  /// A probe returning `values` (of `func`, in this order). Emits an error
  /// on `func` and fails if the clone cannot be prepared.
  static mlir::FailureOr<std::unique_ptr<ValueProbe>>
  create(mlir::func::FuncOp func, llvm::ArrayRef<mlir::Value> values);

  /// Per-thread run state; output(i) is the i-th probed value.
  PreparedFunction::State newState() const { return prepared->newState(); }
  /// Runs on one input per argument of the original function.
  mlir::LogicalResult
  run(PreparedFunction::State &state,
      llvm::ArrayRef<llvm::ArrayRef<uint8_t>> inputs) const {
    return prepared->run(state, inputs);
  }

private:
  ValueProbe() = default;
  mlir::OwningOpRef<mlir::ModuleOp> module;
  std::unique_ptr<PreparedFunction> prepared;
};

} // namespace tinyprune

#endif // TINYPRUNE_EXECUTION_PROBE_H
