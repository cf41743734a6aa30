//===- InitAll.h - Register everything tinyprune tools use ------*- C++ -*-===//
//
// One place that lists the dialects, extensions and passes a tinyprune tool
// registers, so that every tool parses the same IR.
//
//===----------------------------------------------------------------------===//

#ifndef TINYPRUNE_INITALL_H
#define TINYPRUNE_INITALL_H

#include "tinyprune/Analysis/Passes.h"
#include "tinyprune/Dialect/TinyPrune.h"
#include "tinyprune/Target/Passes.h"
#include "tinyprune/Transforms/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/EmitC/IR/EmitC.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/Quant/IR/Quant.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Tosa/IR/TosaOps.h"
#include "mlir/Dialect/Tosa/Transforms/Passes.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/InitAllExtensions.h"
#include "mlir/InitAllPasses.h"

namespace tinyprune {

/// The dialects of a tinyprune pipeline, with their interface extensions.
inline void registerAllDialects(mlir::DialectRegistry &registry) {
  registry.insert<TinyPruneDialect, mlir::arith::ArithDialect,
                  mlir::emitc::EmitCDialect, mlir::func::FuncDialect,
                  mlir::memref::MemRefDialect, mlir::quant::QuantDialect,
                  mlir::scf::SCFDialect, mlir::tensor::TensorDialect,
                  mlir::tosa::TosaDialect>();
  mlir::registerAllExtensions(registry);
}

/// Upstream passes and tinyprune's own.
inline void registerAllPasses() {
  mlir::registerAllPasses();
  registerTinyPruneAnalysisPasses();
  registerTinyPruneTransformsPasses();
  registerTinyPruneTargetPasses();
}

} // namespace tinyprune

#endif // TINYPRUNE_INITALL_H
