//===- CutPoints.cpp - Where a network can be cut -------------------------===//
//
// Cut points are found in one sweep over the function's single block: a
// value is live across the boundary after op `i` when it is defined at or
// before `i` (an argument before everything) and used after it (a return
// included). The output of op `i` is a cut point when it is the only value
// live across that boundary, i.e. every later op reads the input only
// through it.
//
//===----------------------------------------------------------------------===//

#include "tinyprune/Transforms/Pruning/CutPoints.h"

#include "tinyprune/Dialect/LayerView.h"
#include "tinyprune/Dialect/TinyPrune.h"
#include "tinyprune/Transforms/Pruning/PruningReport.h"

#include "mlir/Dialect/Tosa/IR/TosaOps.h"
#include "llvm/ADT/DenseMap.h"

using namespace mlir;
using namespace tinyprune;
using namespace tinyprune::pruning;

/// The real value of clamp bound `bound` of a layer whose output has
/// quantization `quant` (null on float layers).
static std::optional<double> realBound(Attribute bound, QuantAttr quant) {
  if (auto f = dyn_cast_or_null<FloatAttr>(bound))
    return f.getValueAsDouble();
  auto i = dyn_cast_or_null<IntegerAttr>(bound);
  if (!i || !quant || quant.isPerChannel())
    return std::nullopt;
  return (double(i.getInt()) - double(quant.getZeroPointAt(0))) *
         double(quant.getScaleAt(0));
}

bool pruning::endsInActivation(Operation *op) {
  if (auto clamp = dyn_cast<tosa::ClampOp>(op)) {
    auto f = dyn_cast<FloatAttr>(clamp.getMinValAttr());
    return f && f.getValueAsDouble() >= 0.0;
  }
  if (!isa<Conv2DOp, DepthwiseConv2DOp, AddOp, SubOp, MulOp, MaxPool2dOp>(op))
    return false;
  QuantAttr quant = isa<MaxPool2dOp>(op)
                        ? op->getAttrOfType<QuantAttr>("quant")
                        : op->getAttrOfType<QuantAttr>("output_quant");
  // On int8, a clamp at the lowest value with zero point -128 still means
  // the output is never negative (the importer widens every range to 0).
  std::optional<double> lo = realBound(op->getAttr("min_val"), quant);
  return lo && *lo >= 0.0;
}

/// Ops that only make constants (no path from the input runs through them).
static bool isConstantLike(Operation *op) {
  if (isa<tosa::ConstOp, tosa::ConstShapeOp>(op))
    return true;
  return op->getNumOperands() == 0;
}

std::vector<CutPoint> pruning::findCutPoints(func::FuncOp func) {
  std::vector<CutPoint> cuts;
  if (!func.getBody().hasOneBlock())
    return cuts;
  Block &block = func.getBody().front();
  // Index of each op; the last index that uses each non-constant value.
  llvm::DenseMap<Operation *, int64_t> indexOf;
  std::vector<Operation *> ops;
  for (Operation &op : block) {
    indexOf[&op] = ops.size();
    ops.push_back(&op);
  }
  int64_t n = ops.size();
  // live[i]: values live across the boundary after op i.
  std::vector<int64_t> delta(n + 1, 0);
  auto addRange = [&](Value v, int64_t def) {
    int64_t last = def;
    for (Operation *user : v.getUsers())
      last = std::max(last, indexOf.lookup(block.findAncestorOpInBlock(*user)));
    // Live across boundaries def .. last-1.
    if (last > def) {
      delta[std::max<int64_t>(def, 0)] += 1;
      delta[last] -= 1;
    }
  };
  for (BlockArgument arg : block.getArguments())
    addRange(arg, -1);
  for (auto [i, op] : llvm::enumerate(ops))
    if (!isConstantLike(op))
      for (Value r : op->getResults())
        addRange(r, i);
  int64_t live = 0;
  for (int64_t i = 0; i < n; ++i) {
    live += delta[i];
    Operation *op = ops[i];
    if (live != 1 || op->getNumResults() != 1 || isConstantLike(op) ||
        !endsInActivation(op))
      continue;
    Value v = op->getResult(0);
    // The only live value must be this op's output, read by a later op
    // that is not the return.
    bool readLater = false, returned = false;
    for (Operation *user : v.getUsers()) {
      if (isa<func::ReturnOp>(user))
        returned = true;
      else
        readLater = true;
    }
    if (!readLater || returned)
      continue;
    auto type = dyn_cast<RankedTensorType>(v.getType());
    if (!type || !type.hasStaticShape() || type.getRank() != 4 ||
        type.getDimSize(0) != 1)
      continue;
    CutPoint c;
    c.value = v;
    c.producer = op;
    c.name = layerName(op);
    if (c.name == "?")
      c.name = "op" + std::to_string(i);
    c.height = type.getDimSize(1);
    c.width = type.getDimSize(2);
    c.channels = type.getDimSize(3);
    cuts.push_back(std::move(c));
  }
  return cuts;
}
