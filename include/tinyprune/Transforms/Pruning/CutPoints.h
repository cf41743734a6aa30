//===- CutPoints.h - Where a network can be cut -----------------*- C++ -*-===//
//
// The cut points of depth pruning (De Leon & Atienza, "Depth Pruning with
// Auxiliary Networks for TinyML"): tensors of a function of layer ops
// through which every path from the input to the outputs passes, each the
// output of an activation (the end of a block, a residual block's add
// included). Everything after such a tensor depends on the input only
// through it, so the layers after it can be replaced by an auxiliary head
// that reads it alone.
//
//===----------------------------------------------------------------------===//

#ifndef TINYPRUNE_TRANSFORMS_PRUNING_CUTPOINTS_H
#define TINYPRUNE_TRANSFORMS_PRUNING_CUTPOINTS_H

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Value.h"

#include <string>
#include <vector>

namespace tinyprune {
namespace pruning {

/// One place to cut: the output of `producer`.
struct CutPoint {
  mlir::Value value;
  mlir::Operation *producer = nullptr;
  /// The producer's tensor name (layerName), else "op<N>".
  std::string name;
  /// NHWC shape of the tensor.
  int64_t height = 0, width = 0, channels = 0;
};

/// Whether `op` ends in an activation bounded below by zero (ReLU, ReLU6):
/// a layer op whose fused clamp starts at real value 0 or above, or a float
/// `tosa.clamp` starting at 0 or above.
bool endsInActivation(mlir::Operation *op);

/// The cut points of `func` (one block), in program order: 4-D static
/// tensors ending an activation through which all paths from the
/// arguments to the returned values pass (constants do not count as
/// paths). The returned values themselves are not cut points.
std::vector<CutPoint> findCutPoints(mlir::func::FuncOp func);

} // namespace pruning
} // namespace tinyprune

#endif // TINYPRUNE_TRANSFORMS_PRUNING_CUTPOINTS_H
