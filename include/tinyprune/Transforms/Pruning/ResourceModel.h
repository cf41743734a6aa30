//===- ResourceModel.h - What a model costs on a microcontroller -*- C++
//-*-===//
//
// The resources a function of layer ops takes once lowered to C++: flash
// for its constants and peak RAM for its arena, both from the real C++
// lowering (the schedule and the memory planner of `tinyprune compile`),
// and the multiply-accumulates and estimated instructions of the MCU cost
// model (docs/cost-model.md). The pruning passes compare candidates and
// check budgets with it.
//
//===----------------------------------------------------------------------===//

#ifndef TINYPRUNE_TRANSFORMS_PRUNING_RESOURCEMODEL_H
#define TINYPRUNE_TRANSFORMS_PRUNING_RESOURCEMODEL_H

#include "tinyprune/Analysis/CostModel.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "llvm/Support/Error.h"

#include <cstdint>

namespace tinyprune {
namespace pruning {

/// The resources of one function.
struct ResourceCost {
  /// Weights and biases of the layer ops (elements).
  int64_t params = 0;
  /// Bytes of the generated constant arrays (weights, biases,
  /// requantization constants).
  int64_t flashBytes = 0;
  /// Bytes of the planned activation arena.
  int64_t arenaBytes = 0;
  int64_t macs = 0;
  /// Estimated instructions per inference on the core.
  double instructions = 0;
};

/// The resources of `func`, costed on `core`. The function is lowered on
/// a copy; it is not changed. Fails with a one-line reason when the
/// lowering refuses it.
llvm::Expected<ResourceCost> estimateResources(mlir::func::FuncOp func,
                                               McuCore core);

} // namespace pruning
} // namespace tinyprune

#endif // TINYPRUNE_TRANSFORMS_PRUNING_RESOURCEMODEL_H
