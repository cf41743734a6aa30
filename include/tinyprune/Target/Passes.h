//===- Passes.h - tinyprune C++ lowering phases -----------------*- C++ -*-===//
//
// The passes of the C++ lowering (Passes.td) and the pipeline running them
// in order (lib/Target/Cpp/Pipelines.cpp).
//
//===----------------------------------------------------------------------===//

#ifndef TINYPRUNE_TARGET_PASSES_H
#define TINYPRUNE_TARGET_PASSES_H

#include "tinyprune/Dialect/TinyPrune.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Pass/Pass.h"
#include "mlir/Pass/PassManager.h"

#include <memory>

namespace tinyprune {

#define GEN_PASS_DECL
#include "tinyprune/Target/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "tinyprune/Target/Passes.h.inc"

/// The phases of the C++ lowering, in order. `tinyprune compile` is the
/// importer, these phases, then the printer (`--emit-cpp`).
enum class CppPhase {
  /// `--tinyprune-raise-to-layers`: TOSA chains into layer ops.
  RaiseToLayers,
  /// `--tinyprune-schedule-for-memory`: the layer order.
  ScheduleForMemory,
  /// `--tinyprune-plan-arena`: buffer offsets, in-place layers, rings.
  PlanArena,
};

/// Adds the phases of the C++ lowering to `pm`, a pass manager on
/// `func.func`, in order.
void buildLowerToCppPipeline(mlir::OpPassManager &pm);

/// Registers `--tinyprune-lower-to-cpp`, the pipeline above.
void registerLowerToCppPipeline();

/// Registers the passes and the pipeline.
inline void registerTinyPruneTargetPasses() {
  registerTinyPruneTargetCppPasses();
  registerLowerToCppPipeline();
}

} // namespace tinyprune

#endif // TINYPRUNE_TARGET_PASSES_H
