//===- Passes.h - tinyprune analysis passes ---------------------*- C++ -*-===//

#ifndef TINYPRUNE_ANALYSIS_PASSES_H
#define TINYPRUNE_ANALYSIS_PASSES_H

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Tosa/IR/TosaOps.h"
#include "mlir/Pass/Pass.h"

#include <memory>

namespace tinyprune {

#define GEN_PASS_DECL
#include "tinyprune/Analysis/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "tinyprune/Analysis/Passes.h.inc"

} // namespace tinyprune

#endif // TINYPRUNE_ANALYSIS_PASSES_H
