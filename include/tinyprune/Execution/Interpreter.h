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
#include <memory>
#include <vector>

namespace tinyprune {

/// Bytes of one value of `type` (a statically shaped int or float tensor)
/// in the raw little-endian layout that `run` reads and writes.
int64_t rawByteSize(mlir::Type type);

/// Checks that every argument and result of `func` is a statically shaped
/// tensor whose elements raw buffers carry unchanged (i8, i16, i32, i64 or
/// f32); otherwise emits one error naming the argument or result and its
/// type, and fails. `tinyprune run` and `compile` refuse such functions.
mlir::LogicalResult checkRawSignature(mlir::func::FuncOp func);

/// Runs `func` on `inputs`, one raw buffer per argument (row-major,
/// little-endian, element type as declared). Returns one raw buffer per
/// result, or emits an error on the failing op and returns failure.
mlir::FailureOr<std::vector<std::vector<uint8_t>>>
runFunction(mlir::func::FuncOp func,
            llvm::ArrayRef<llvm::ArrayRef<uint8_t>> inputs);

/// A function prepared once for many runs, possibly on several threads at
/// a time: constants are decoded once and shared, and run() only reads the
/// prepared function and the IR (it creates nothing in the MLIRContext).
/// Each thread brings its own State, which keeps its tensors' storage from
/// one run to the next.
class PreparedFunction {
public:
  /// Per-run storage; create one per thread with newState().
  class State {
  public:
    State();
    State(State &&);
    State &operator=(State &&);
    ~State();
    /// Raw bytes of result `i` of the last successful run.
    llvm::ArrayRef<uint8_t> output(unsigned i) const;
    unsigned numOutputs() const;

  private:
    friend class PreparedFunction;
    struct Impl;
    std::unique_ptr<Impl> impl;
  };

  /// Prepares `func`; emits an error and fails if it cannot run.
  static mlir::FailureOr<std::unique_ptr<PreparedFunction>>
  create(mlir::func::FuncOp func);
  ~PreparedFunction();

  State newState() const;

  /// Runs on `inputs` (as runFunction takes them); the results are in
  /// `state`. Emits an error on the failing op and fails.
  mlir::LogicalResult run(State &state,
                          llvm::ArrayRef<llvm::ArrayRef<uint8_t>> inputs) const;

private:
  struct Impl;
  explicit PreparedFunction(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl;
};

} // namespace tinyprune

#endif // TINYPRUNE_EXECUTION_INTERPRETER_H
