//===- LowerLayersToTosa.cpp - tinyprune layer ops to TOSA chains ---------===//
//
// --tinyprune-lower-layers-to-tosa: expands every layer op
// (TinyPruneLayers.td) into the chain of TOSA ops the importer writes for
// its TFLite layer, op for op and constant for constant, so that
// `--tinyprune-raise-to-layers` and this pass are inverses on imported
// models and the result is TOSA that `--tosa-validate` accepts. The chain's
// last op carries the layer's output quantization as `tinyprune.quant`, and
// every op of the chain the layer's location.
//
//===----------------------------------------------------------------------===//

#include "tinyprune/Transforms/Layers.h"
#include "tinyprune/Transforms/Passes.h"

#include "tinyprune/Dialect/TinyPrune.h"

#include "mlir/Dialect/Tosa/IR/TosaOps.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

#include <limits>

namespace tinyprune {
#define GEN_PASS_DEF_LOWERLAYERSTOTOSA
#include "tinyprune/Transforms/Passes.h.inc"
} // namespace tinyprune

using namespace mlir;
using namespace tinyprune;

//===----------------------------------------------------------------------===//
// Building chains
//===----------------------------------------------------------------------===//

/// A rank-1 `tosa.const` of `vals` in integer type `elt`.
static Value intConst(OpBuilder &b, Location loc, Type elt,
                      ArrayRef<int64_t> vals) {
  auto type = RankedTensorType::get({(int64_t)vals.size()}, elt);
  SmallVector<APInt> ints;
  for (int64_t v : vals)
    ints.push_back(APInt(elt.getIntOrFloatBitWidth(), v, /*isSigned=*/true));
  return tosa::ConstOp::create(b, loc, type,
                               DenseElementsAttr::get(type, ints));
}

/// A one-element zero point of element type `elt`: `zp`, or 0.0 on floats.
static Value zeroPoint(OpBuilder &b, Location loc, Type elt, int64_t zp) {
  if (isa<FloatType>(elt)) {
    auto type = RankedTensorType::get({1}, elt);
    float zero = 0.0f;
    return tosa::ConstOp::create(b, loc, type,
                                 DenseElementsAttr::get(type, {zero}));
  }
  return intConst(b, loc, elt, {zp});
}

/// The importer's rescale of `v` to `outElt`: signed, scale32,
/// DOUBLE_ROUND, per channel when there are several multipliers.
static Value rescale(OpBuilder &b, Location loc, Value v, Type outElt,
                     ArrayRef<int64_t> mult, ArrayRef<int64_t> shift,
                     int64_t inZp, int64_t outZp) {
  auto inType = cast<RankedTensorType>(v.getType());
  Value multV = intConst(b, loc, b.getI32Type(), mult);
  Value shiftV = intConst(b, loc, b.getI8Type(), shift);
  Value inZpV = zeroPoint(b, loc, inType.getElementType(), inZp);
  Value outZpV = zeroPoint(b, loc, outElt, outZp);
  return tosa::RescaleOp::create(
      b, loc, RankedTensorType::get(inType.getShape(), outElt), v, multV,
      shiftV, inZpV, outZpV, /*scale32=*/true, tosa::RoundingMode::DOUBLE_ROUND,
      /*per_channel=*/mult.size() > 1, /*input_unsigned=*/false,
      /*output_unsigned=*/false);
}

/// `v` clamped to `[lo, hi]`, unless that is the whole range of its element
/// type (or +-infinity), where the importer writes no clamp.
static Value clampIfNarrower(OpBuilder &b, Location loc, Value v, Attribute lo,
                             Attribute hi) {
  Type elt = cast<ShapedType>(v.getType()).getElementType();
  if (auto flo = dyn_cast<FloatAttr>(lo)) {
    constexpr double inf = std::numeric_limits<double>::infinity();
    double l = flo.getValueAsDouble(),
           h = cast<FloatAttr>(hi).getValueAsDouble();
    if (l == -inf && h == inf)
      return v;
  } else {
    unsigned bits = elt.getIntOrFloatBitWidth();
    if (cast<IntegerAttr>(lo).getInt() == -(int64_t(1) << (bits - 1)) &&
        cast<IntegerAttr>(hi).getInt() == (int64_t(1) << (bits - 1)) - 1)
      return v;
  }
  return tosa::ClampOp::create(b, loc, v.getType(), v, lo, hi);
}

/// `v` with leading unit dimensions up to `rank` (the importer's operands
/// of broadcasting element-wise ops).
static Value expandRank(OpBuilder &b, Location loc, Value v, int64_t rank) {
  auto type = cast<RankedTensorType>(v.getType());
  if (type.getRank() >= rank)
    return v;
  SmallVector<int64_t> shape(rank - type.getRank(), 1);
  llvm::append_range(shape, type.getShape());
  auto shapeAttr = DenseIntElementsAttr::get(
      RankedTensorType::get({rank}, b.getIndexType()), shape);
  Value shapeV = tosa::ConstShapeOp::create(
      b, loc, tosa::shapeType::get(b.getContext(), rank), shapeAttr);
  return tosa::ReshapeOp::create(
      b, loc, RankedTensorType::get(shape, type.getElementType()), v, shapeV);
}

/// Replaces `layer` by the chain ending in `result`, which states the
/// layer's output quantization `quant` (if any) as the importer does.
static void finish(PatternRewriter &rw, Operation *layer, Value result,
                   QuantAttr quant) {
  if (quant)
    setResultQuant(result.getDefiningOp(), quant);
  rw.replaceOp(layer, result);
}

/// Requantization constants as the rescale builder takes them.
static SmallVector<int64_t> widen(ArrayRef<int32_t> v) {
  return SmallVector<int64_t>(v.begin(), v.end());
}
static SmallVector<int64_t> widen(ArrayRef<int8_t> v) {
  return SmallVector<int64_t>(v.begin(), v.end());
}

//===----------------------------------------------------------------------===//
// Patterns
//===----------------------------------------------------------------------===//

namespace {

/// tinyprune.conv2d / depthwise_conv2d to the TOSA convolution (i32 or f32
/// accumulator), on int8 the rescale to int8, and the clamp.
template <typename LayerOp, typename TosaConvOp>
struct LowerConv final : OpRewritePattern<LayerOp> {
  using OpRewritePattern<LayerOp>::OpRewritePattern;

  LogicalResult matchAndRewrite(LayerOp op,
                                PatternRewriter &rw) const override {
    Location loc = op.getLoc();
    Type elt = op.getInput().getType().getElementType();
    bool isFloat = !op.isQuantized();
    Type accElt = isFloat ? Type(rw.getF32Type()) : Type(rw.getI32Type());
    int64_t inZp = isFloat ? 0 : op.getInputQuantAttr().getZeroPoint()[0];
    Value inZpV = zeroPoint(rw, loc, elt, inZp);
    Value wZpV = zeroPoint(rw, loc, elt, 0);
    auto accType =
        RankedTensorType::get(op.getOutput().getType().getShape(), accElt);
    auto conv = TosaConvOp::create(
        rw, loc, accType, op.getInput(), op.getWeights(), op.getBias(), inZpV,
        wZpV, op.getPad(), op.getStride(), op.getDilation(), accElt);
    if constexpr (std::is_same_v<LayerOp, Conv2DOp>)
      if (FilterletsAttr filterlets = op.getFilterletsAttr())
        conv->setAttr(TinyPruneDialect::getFilterletsAttrName(), filterlets);
    Value result = conv.getResult();
    if (!isFloat)
      result = rescale(rw, loc, result, elt, widen(*op.getMultiplier()),
                       widen(*op.getShift()), 0,
                       op.getOutputQuantAttr().getZeroPoint()[0]);
    result = clampIfNarrower(rw, loc, result, op.getMinValAttr(),
                             op.getMaxValAttr());
    finish(rw, op, result, op.getOutputQuantAttr());
    return success();
  }
};

/// tinyprune.add / sub to TFLite's int8 arithmetic as the importer writes
/// it (each side `(x - zp) << left_shift`, rescaled; the i32 result
/// rescaled to int8; the clamp), or to the float op and its clamp.
template <typename LayerOp, typename TosaOp>
struct LowerAddSub final : OpRewritePattern<LayerOp> {
  using OpRewritePattern<LayerOp>::OpRewritePattern;

  LogicalResult matchAndRewrite(LayerOp op,
                                PatternRewriter &rw) const override {
    Location loc = op.getLoc();
    auto outType = op.getOutput().getType();
    int64_t rank = outType.getRank();
    Value lhs = expandRank(rw, loc, op.getLhs(), rank);
    Value rhs = expandRank(rw, loc, op.getRhs(), rank);
    if (isa<FloatType>(outType.getElementType())) {
      Value r = TosaOp::create(rw, loc, outType, lhs, rhs);
      finish(
          rw, op,
          clampIfNarrower(rw, loc, r, op.getMinValAttr(), op.getMaxValAttr()),
          {});
      return success();
    }
    Type i32 = rw.getI32Type();
    int64_t up = 30 - static_cast<int64_t>(op.getLeftShiftAttr().getInt());
    auto scaled = [&](Value x, QuantAttr q, int64_t mult, int64_t shift) {
      Value wide = rescale(rw, loc, x, i32, {int64_t(1) << 30}, {up},
                           q.getZeroPoint()[0], 0);
      return rescale(rw, loc, wide, i32, {mult}, {shift}, 0, 0);
    };
    Value xa =
        scaled(lhs, op.getLhsQuantAttr(), op.getLhsMultiplierAttr().getInt(),
               op.getLhsShiftAttr().getInt());
    Value xb =
        scaled(rhs, op.getRhsQuantAttr(), op.getRhsMultiplierAttr().getInt(),
               op.getRhsShiftAttr().getInt());
    Value sum = TosaOp::create(
        rw, loc, RankedTensorType::get(outType.getShape(), i32), xa, xb);
    Value r = rescale(rw, loc, sum, outType.getElementType(),
                      {op.getOutputMultiplierAttr().getInt()},
                      {op.getOutputShiftAttr().getInt()}, 0,
                      op.getOutputQuantAttr().getZeroPoint()[0]);
    finish(rw, op,
           clampIfNarrower(rw, loc, r, op.getMinValAttr(), op.getMaxValAttr()),
           op.getOutputQuantAttr());
    return success();
  }
};

/// tinyprune.mul to TFLite's int8 product as the importer writes it (each
/// side `x - zp` as an exact rescale to i32, the product rescaled to int8,
/// the clamp), or to the float product and its clamp.
struct LowerMul final : OpRewritePattern<MulOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(MulOp op, PatternRewriter &rw) const override {
    Location loc = op.getLoc();
    auto outType = op.getOutput().getType();
    int64_t rank = outType.getRank();
    Value lhs = expandRank(rw, loc, op.getLhs(), rank);
    Value rhs = expandRank(rw, loc, op.getRhs(), rank);
    Value noShift = intConst(rw, loc, rw.getI8Type(), {0});
    if (isa<FloatType>(outType.getElementType())) {
      Value r = tosa::MulOp::create(rw, loc, outType, lhs, rhs, noShift);
      finish(
          rw, op,
          clampIfNarrower(rw, loc, r, op.getMinValAttr(), op.getMaxValAttr()),
          {});
      return success();
    }
    Type i32 = rw.getI32Type();
    // x - zp exactly: multiplier 2^30, shift 30.
    Value xa = rescale(rw, loc, lhs, i32, {int64_t(1) << 30}, {30},
                       op.getLhsQuantAttr().getZeroPoint()[0], 0);
    Value xb = rescale(rw, loc, rhs, i32, {int64_t(1) << 30}, {30},
                       op.getRhsQuantAttr().getZeroPoint()[0], 0);
    Value prod = tosa::MulOp::create(
        rw, loc, RankedTensorType::get(outType.getShape(), i32), xa, xb,
        noShift);
    Value r = rescale(rw, loc, prod, outType.getElementType(),
                      {op.getOutputMultiplierAttr().getInt()},
                      {op.getOutputShiftAttr().getInt()}, 0,
                      op.getOutputQuantAttr().getZeroPoint()[0]);
    finish(rw, op,
           clampIfNarrower(rw, loc, r, op.getMinValAttr(), op.getMaxValAttr()),
           op.getOutputQuantAttr());
    return success();
  }
};

/// tinyprune.max_pool2d to tosa.max_pool2d and the clamp.
struct LowerMaxPool final : OpRewritePattern<MaxPool2dOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(MaxPool2dOp op,
                                PatternRewriter &rw) const override {
    Location loc = op.getLoc();
    Value pool = tosa::MaxPool2dOp::create(rw, loc, op.getOutput().getType(),
                                           op.getInput(), op.getKernel(),
                                           op.getStride(), op.getPad());
    finish(
        rw, op,
        clampIfNarrower(rw, loc, pool, op.getMinValAttr(), op.getMaxValAttr()),
        op.getQuantAttr());
    return success();
  }
};

/// tinyprune.requantize to an int8 -> int8 rescale and the clamp.
struct LowerRequantize final : OpRewritePattern<RequantizeOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(RequantizeOp op,
                                PatternRewriter &rw) const override {
    Location loc = op.getLoc();
    Value r =
        rescale(rw, loc, op.getInput(), rw.getI8Type(),
                {op.getMultiplierAttr().getInt()}, {op.getShiftAttr().getInt()},
                op.getInputQuant().getZeroPoint()[0],
                op.getOutputQuant().getZeroPoint()[0]);
    finish(rw, op,
           clampIfNarrower(rw, loc, r, op.getMinValAttr(), op.getMaxValAttr()),
           op.getOutputQuant());
    return success();
  }
};

} // namespace

void tinyprune::populateLowerLayersToTosaPatterns(RewritePatternSet &patterns) {
  patterns.add<LowerConv<Conv2DOp, tosa::Conv2DOp>,
               LowerConv<DepthwiseConv2DOp, tosa::DepthwiseConv2DOp>,
               LowerAddSub<AddOp, tosa::AddOp>, LowerAddSub<SubOp, tosa::SubOp>,
               LowerMul, LowerMaxPool, LowerRequantize>(patterns.getContext());
}

//===----------------------------------------------------------------------===//
// Pass
//===----------------------------------------------------------------------===//

namespace {
struct LowerLayersToTosa final
    : tinyprune::impl::LowerLayersToTosaBase<LowerLayersToTosa> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    populateLowerLayersToTosaPatterns(patterns);
    // Only the layer ops change: nothing else is folded or merged.
    GreedyRewriteConfig config;
    config.enableFolding(false).enableConstantCSE(false);
    config.setRegionSimplificationLevel(GreedySimplifyRegionLevel::Disabled);
    if (failed(
            applyPatternsGreedily(getOperation(), std::move(patterns), config)))
      signalPassFailure();
  }
};
} // namespace
