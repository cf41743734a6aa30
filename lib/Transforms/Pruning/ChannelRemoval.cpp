//===- ChannelRemoval.cpp - Remove channel groups from a function ---------===//
//
// The rewrite of ChannelGroups.h's removeChannels: the removed channels of
// each group are turned into indices, per layer (the output filters of its
// producers, the input channels of its consumers, the channels of its
// depthwise layers) and per tensor (along the site's axis); then every
// layer's constants lose those indices (weights, bias, per-channel weight
// scales, per-channel multipliers and shifts) and every tensor its
// elements, with the shape operands of reshapes and slices rewritten to
// match. The result is an ordinary smaller model.
//
//===----------------------------------------------------------------------===//

#include "tinyprune/Transforms/Pruning/ChannelGroups.h"

#include "tinyprune/Dialect/TinyPrune.h"
#include "tinyprune/Transforms/Pruning/QuantizedWeights.h"

#include "mlir/Dialect/Tosa/IR/TosaOps.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinTypes.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/SetVector.h"

#include <set>

using namespace mlir;
using namespace tinyprune;
using namespace tinyprune::pruning;

namespace {

using IndexSet = std::set<int64_t>;

/// `values` without the indices `drop` along dimension `axis`.
DenseElementsAttr eraseAlong(DenseElementsAttr values, int64_t axis,
                             const IndexSet &drop) {
  auto type = cast<RankedTensorType>(values.getType());
  ArrayRef<int64_t> shape = type.getShape();
  int64_t outer = 1, inner = 1;
  for (int64_t d = 0; d < axis; ++d)
    outer *= shape[d];
  for (int64_t d = axis + 1; d < int64_t(shape.size()); ++d)
    inner *= shape[d];
  int64_t length = shape[axis];
  SmallVector<int64_t> newShape(shape);
  newShape[axis] = length - int64_t(drop.size());
  auto newType = RankedTensorType::get(newShape, type.getElementType());
  auto keep = [&](auto all) {
    using T = typename decltype(all)::value_type;
    SmallVector<T> out;
    out.reserve(outer * newShape[axis] * inner);
    for (int64_t o = 0; o < outer; ++o)
      for (int64_t j = 0; j < length; ++j) {
        if (drop.count(j))
          continue;
        for (int64_t i = 0; i < inner; ++i)
          out.push_back(all[(o * length + j) * inner + i]);
      }
    return out;
  };
  if (values.isSplat())
    return values.resizeSplat(newType);
  if (isa<FloatType>(type.getElementType())) {
    SmallVector<APFloat> all(values.getValues<APFloat>());
    return DenseElementsAttr::get(newType, keep(all));
  }
  SmallVector<APInt> all(values.getValues<APInt>());
  return DenseElementsAttr::get(newType, keep(all));
}

template <typename T>
SmallVector<T> eraseIndices(ArrayRef<T> values, const IndexSet &drop) {
  SmallVector<T> out;
  for (auto [i, v] : llvm::enumerate(values))
    if (!drop.count(int64_t(i)))
      out.push_back(v);
  return out;
}

/// The per-channel scales of `quant` without `drop` (per-tensor: as is).
QuantAttr eraseQuant(QuantAttr quant, const IndexSet &drop) {
  if (!quant || !quant.isPerChannel())
    return quant;
  return QuantAttr::get(
      quant.getContext(), eraseIndices(quant.getScale(), drop),
      eraseIndices(quant.getZeroPoint(), drop), quant.getAxis());
}

/// Replaces constant operand `index` of `op` by its values without `drop`
/// along `axis`.
LogicalResult eraseConstant(Operation *op, unsigned index, int64_t axis,
                            const IndexSet &drop) {
  OpOperand &operand = op->getOpOperand(index);
  auto c = operand.get().getDefiningOp<tosa::ConstOp>();
  if (!c)
    return op->emitError("channel removal: operand ")
           << index << " is not a constant";
  auto values = cast<DenseElementsAttr>(c.getValues());
  int64_t length = cast<RankedTensorType>(values.getType()).getDimSize(axis);
  tosa::ConstOp copy =
      replaceConstant(op, operand, c, eraseAlong(values, axis, drop));
  // The constant's own quantization, per channel along the same dimension.
  if (auto q = copy->getAttrOfType<QuantAttr>("tinyprune.quant"))
    if (q.isPerChannel() && q.getAxis() == axis &&
        int64_t(q.getScale().size()) == length)
      copy->setAttr("tinyprune.quant", eraseQuant(q, drop));
  return success();
}

/// Drops output channels `drop` of a convolution or depthwise layer: its
/// weights along `weightAxis`, the bias, the per-channel weight scales and
/// requantization constants.
template <typename LayerOp>
LogicalResult eraseOutputs(LayerOp op, int64_t weightAxis,
                           const IndexSet &drop) {
  if (failed(eraseConstant(op, 1, weightAxis, drop)) ||
      failed(eraseConstant(op, 2, 0, drop)))
    return failure();
  if (QuantAttr q = op.getWeightQuantAttr())
    op.setWeightQuantAttr(eraseQuant(q, drop));
  if (auto m = op.getMultiplierAttr(); m && m.size() > 1)
    op.setMultiplierAttr(DenseI32ArrayAttr::get(
        op.getContext(), eraseIndices(m.asArrayRef(), drop)));
  if (auto s = op.getShiftAttr(); s && s.size() > 1)
    op.setShiftAttr(DenseI8ArrayAttr::get(op.getContext(),
                                          eraseIndices(s.asArrayRef(), drop)));
  return success();
}

/// A `tosa.const_shape` of `dims` before `user`.
Value constShape(Operation *user, ArrayRef<int64_t> dims) {
  OpBuilder b(user);
  int64_t rank = dims.size();
  auto attr = DenseIntElementsAttr::get(
      RankedTensorType::get({rank}, b.getIndexType()), dims);
  return tosa::ConstShapeOp::create(
      b, user->getLoc(), tosa::shapeType::get(b.getContext(), rank), attr);
}

/// Replaces shape operand `operand` of `op` by a new constant of `dims`;
/// the old one goes when unused.
void replaceShape(Operation *op, OpOperand &operand, ArrayRef<int64_t> dims) {
  Operation *old = operand.get().getDefiningOp();
  operand.set(constShape(op, dims));
  if (old && old->use_empty())
    old->erase();
}

} // namespace

LogicalResult pruning::removeChannels(func::FuncOp func,
                                      ArrayRef<ChannelGroup> groups,
                                      ArrayRef<std::vector<int64_t>> removed) {
  // Indices to drop per layer and per tensor (one axis per tensor).
  llvm::MapVector<Operation *, IndexSet> outputs, inputs, depthwise;
  llvm::MapVector<Value, std::pair<int64_t, IndexSet>> tensors;
  for (auto [g, drop] : llvm::zip(groups, removed)) {
    if (drop.empty())
      continue;
    if (!g.prunable)
      return func.emitError("channel removal: a group is not prunable: ")
             << g.reason;
    IndexSet unique(drop.begin(), drop.end());
    if (int64_t(unique.size()) >= g.channels || *unique.begin() < 0 ||
        *unique.rbegin() >= g.channels)
      return func.emitError("channel removal: removes ")
             << unique.size() << " of " << g.channels
             << " channels of a group, or a channel out of range";
    auto indicesOf = [&](const ChannelSite &site) {
      IndexSet out;
      for (int64_t c : unique)
        for (int64_t i : site.indices(c))
          out.insert(i);
      return out;
    };
    for (const ChannelUse &p : g.producers)
      outputs[p.op].insert(unique.begin(), unique.end());
    for (const ChannelUse &u : g.consumers)
      inputs[u.op].merge(indicesOf(u.site));
    for (const ChannelUse &d : g.depthwise)
      depthwise[d.op].merge(indicesOf(d.site));
    for (const ChannelSite &s : g.sites) {
      auto &[axis, set] = tensors[s.value];
      if (!set.empty() && axis != s.axis)
        return func.emitError("channel removal: a tensor loses channels "
                              "along two axes");
      axis = s.axis;
      set.merge(indicesOf(s));
    }
  }

  for (auto &[op, drop] : outputs)
    if (failed(eraseOutputs(cast<Conv2DOp>(op), /*weightAxis=*/0, drop)))
      return failure();
  for (auto &[op, drop] : inputs)
    if (failed(eraseConstant(op, 1, /*axis=*/3, drop)))
      return failure();
  for (auto &[op, drop] : depthwise)
    if (failed(
            eraseOutputs(cast<DepthwiseConv2DOp>(op), /*weightAxis=*/2, drop)))
      return failure();

  for (auto &[value, entry] : tensors) {
    auto &[axis, drop] = entry;
    auto type = cast<RankedTensorType>(value.getType());
    SmallVector<int64_t> shape(type.getShape());
    shape[axis] -= int64_t(drop.size());
    value.setType(RankedTensorType::get(shape, type.getElementType()));
    Operation *def = value.getDefiningOp();
    if (auto reshape = dyn_cast_or_null<tosa::ReshapeOp>(def))
      replaceShape(reshape, reshape.getShapeMutable(), shape);
    else if (auto slice = dyn_cast_or_null<tosa::SliceOp>(def))
      replaceShape(slice, slice.getSizeMutable(), shape);
  }
  return success();
}
