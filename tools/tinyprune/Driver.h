//===- Driver.h - Shared pieces of the tinyprune driver ---------*- C++ -*-===//
//
// What the subcommands of the `tinyprune` driver share: model loading and
// the `eval` and `prune` subcommands, which live in Eval.cpp and Prune.cpp.
//
//===----------------------------------------------------------------------===//

#ifndef TINYPRUNE_TOOLS_TINYPRUNE_DRIVER_H
#define TINYPRUNE_TOOLS_TINYPRUNE_DRIVER_H

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/OwningOpRef.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/CommandLine.h"

namespace tinyprune {
namespace driver {

/// Loads a .tflite (imported) or .mlir (parsed) model; prints one error line
/// and returns null on failure.
mlir::OwningOpRef<mlir::ModuleOp> loadModel(mlir::MLIRContext &context,
                                            llvm::StringRef path);

/// The function `name` of `module`; prints one error line and returns null
/// if there is none.
mlir::func::FuncOp lookupFunction(mlir::ModuleOp module,
                                  llvm::StringRef modelPath,
                                  llvm::StringRef name);

/// `tinyprune eval` (Eval.cpp).
extern llvm::cl::SubCommand evalCommand;
int evalMain(mlir::MLIRContext &context);

/// `tinyprune prune` (Prune.cpp).
extern llvm::cl::SubCommand pruneCommand;
int pruneMain(mlir::MLIRContext &context);

/// `tinyprune sweep` (Prune.cpp).
extern llvm::cl::SubCommand sweepCommand;
int sweepMain(mlir::MLIRContext &context);

} // namespace driver
} // namespace tinyprune

#endif // TINYPRUNE_TOOLS_TINYPRUNE_DRIVER_H
