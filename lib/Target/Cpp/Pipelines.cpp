//===- Pipelines.cpp - The C++ lowering as a sequence of phases -----------===//
//
// The C++ lowering of a function, phase by phase (CppPhase in
// tinyprune/Target/Passes.h); each phase is a pass runnable alone in
// tinyprune-opt, and `--tinyprune-lower-to-cpp` runs them in order.
// `tinyprune compile` is the importer, this pipeline, then the printer
// (`tinyprune-translate --emit-cpp`, tinyprune/Target/Cpp.h).
//
//===----------------------------------------------------------------------===//

#include "tinyprune/Target/Cpp.h"
#include "tinyprune/Target/Passes.h"
#include "tinyprune/Transforms/Passes.h"

#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"

using namespace mlir;
using namespace tinyprune;

void tinyprune::buildLowerToCppPipeline(OpPassManager &pm) {
  // CppPhase::RaiseToLayers: one layer op per kernel call. The later phases
  // know layers only as layer ops: a chain it leaves TOSA (see its
  // description) fails the lowering with the reason raising gave.
  pm.addPass(createRaiseToLayers());

  // CppPhase::ScheduleForMemory: the layer order sets which tensors are
  // live together, so it comes before any placement.
  pm.addPass(createScheduleForMemory());

  // CppPhase::PlanArena: offsets, in-place layers and rings for the order
  // just chosen; the printer reads them and decides nothing.
  pm.addPass(createPlanArena());
}

void tinyprune::registerLowerToCppPipeline() {
  PassPipelineRegistration<>(
      "tinyprune-lower-to-cpp",
      "The phases of the C++ lowering in order: raise TOSA chains to layer "
      "ops, schedule the layers for memory, plan the arena (print with "
      "tinyprune-translate --emit-cpp)",
      [](OpPassManager &pm) {
        buildLowerToCppPipeline(pm.nest<func::FuncOp>());
      });
}

FailureOr<CppModel> tinyprune::lowerToCpp(func::FuncOp func, StringRef name) {
  PassManager pm(func.getContext(), func::FuncOp::getOperationName());
  buildLowerToCppPipeline(pm);
  if (failed(pm.run(func)))
    return failure();
  return emitCpp(func, name);
}
