//===- Passes.h - tinyprune transformations ---------------------*- C++ -*-===//

#ifndef TINYPRUNE_TRANSFORMS_PASSES_H
#define TINYPRUNE_TRANSFORMS_PASSES_H

#include "tinyprune/Transforms/Pruning/PruningOptions.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Tosa/IR/TosaOps.h"
#include "mlir/Pass/Pass.h"

#include <memory>

namespace tinyprune {

#define GEN_PASS_DECL
#include "tinyprune/Transforms/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "tinyprune/Transforms/Passes.h.inc"

} // namespace tinyprune

#endif // TINYPRUNE_TRANSFORMS_PASSES_H
