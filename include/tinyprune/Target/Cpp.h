//===- Cpp.h - Lowering to standalone C++ -----------------------*- C++ -*-===//
//
// Turns a function of TOSA and tinyprune ops into a standalone C++ inference
// function: weights as const arrays, activations in one static arena planned
// by liveness, one fused runtime-kernel call per layer. The lowering is a
// pipeline of passes (Passes.h) followed by the printer declared here.
//
//===----------------------------------------------------------------------===//

#ifndef TINYPRUNE_TARGET_CPP_H
#define TINYPRUNE_TARGET_CPP_H

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Support/LLVM.h"
#include "llvm/ADT/StringRef.h"

#include <string>
#include <utility>
#include <vector>

namespace tinyprune {

/// The generated files and their figures.
struct CppModel {
  std::string header; ///< NAME.h: C-callable API and size constants.
  std::string source; ///< NAME.cpp: weights, arena and NAME_invoke.
  int64_t inputBytes = 0;
  int64_t outputBytes = 0;
  int64_t arenaBytes = 0;
  int64_t weightBytes = 0;   ///< Bytes of constant arrays (weights, biases,
                             ///< requantization constants).
  int64_t peakLiveBytes = 0; ///< Lower bound for the arena (see planner).
  int64_t layers = 0;
};

/// Prints `func` (one block; its arena planned by `--tinyprune-plan-arena`)
/// as C++ named `name`, a C identifier. Emits an error on the first op it
/// cannot print, or when the plan is missing or does not fit.
mlir::FailureOr<CppModel> emitCpp(mlir::func::FuncOp func,
                                  llvm::StringRef name);

/// Runs the C++ lowering pipeline on `func` (in place), then `emitCpp`.
mlir::FailureOr<CppModel> lowerToCpp(mlir::func::FuncOp func,
                                     llvm::StringRef name);

/// The runtime headers generated code includes, as (relative path,
/// contents) pairs: write them next to the generated files.
std::vector<std::pair<std::string, std::string>> runtimeHeaders();

/// Whether `name` can name the generated files and NAME_invoke.
bool isValidCppName(llvm::StringRef name);

/// Registers `--emit-cpp` with mlir-translate: every generated file in one
/// stream, each opened by a `//--- PATH` line (LLVM's split-file format).
void registerEmitCppTranslation();

} // namespace tinyprune

#endif // TINYPRUNE_TARGET_CPP_H
