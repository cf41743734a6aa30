//===- RaiseToLayers.cpp - TOSA chains to tinyprune layer ops -------------===//
//
// --tinyprune-raise-to-layers: folds each chain of TOSA ops the importer
// writes for one TFLite layer into one layer op (TinyPruneLayers.td):
//
//   conv2d / depthwise_conv2d -> rescale (i32 -> i8) -> [clamp]   (int8)
//   conv2d / depthwise_conv2d -> [clamp]                          (float)
//   rescale (i8 -> i32, << left_shift) -> rescale, on both sides,
//     add / sub -> rescale (i32 -> i8) -> [clamp]                 (int8)
//   rescale (i8 -> i32, - zp) on both sides, mul -> rescale -> [clamp]
//   add / sub / mul -> [clamp]                                    (float)
//   max_pool2d -> [clamp]
//   rescale (i8 -> i8) -> [clamp]                                 (int8)
//
// The layer op takes the chain's constants as attributes (zero points into
// its quantization, which must agree with the producers' `tinyprune.quant`)
// and the chain's locations, fused. A chain whose constants a layer op
// cannot hold (not DOUBLE_ROUND, non-constant multipliers, a zero point that
// disagrees with the quantization), whose quantization is unknown, or whose
// intermediate values have other users stays TOSA; the C++ lowering then
// fails at it with the reason (whyNotRaised).
//
//===----------------------------------------------------------------------===//

#include "tinyprune/Transforms/Layers.h"
#include "tinyprune/Transforms/Passes.h"

#include "tinyprune/Dialect/LayerView.h"

#include "mlir/Dialect/Tosa/IR/TosaOps.h"
#include "mlir/IR/Matchers.h"
#include "mlir/Interfaces/FunctionInterfaces.h"
#include "mlir/Rewrite/FrozenRewritePatternSet.h"
#include "mlir/Rewrite/PatternApplicator.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"
#include "llvm/ADT/StringExtras.h"

#include <limits>
#include <optional>

namespace tinyprune {
#define GEN_PASS_DEF_RAISETOLAYERS
#include "tinyprune/Transforms/Passes.h.inc"
} // namespace tinyprune

using namespace mlir;
using namespace tinyprune;

//===----------------------------------------------------------------------===//
// Reading chains
//===----------------------------------------------------------------------===//

/// The value of a one-element integer constant (a zero point, a shift).
static std::optional<int64_t> constScalar(Value v) {
  std::optional<SmallVector<int64_t>> ints = constantInts(v);
  if (!ints || ints->size() != 1)
    return std::nullopt;
  return (*ints)[0];
}

/// Whether `v` is a constant whose elements are all 0.0 (a float zero
/// point).
static bool isFloatZero(Value v) {
  DenseFPElementsAttr attr;
  if (!matchPattern(v, m_Constant(&attr)))
    return false;
  return llvm::all_of(attr.getValues<APFloat>(),
                      [](const APFloat &f) { return f.isZero(); });
}

/// The element type of shaped value `v`.
static Type elementTypeOf(Value v) {
  return cast<ShapedType>(v.getType()).getElementType();
}

/// `v`'s only user, if it has exactly one use and that user is an `OpT`.
template <typename OpT> static OpT soleUser(Value v) {
  if (!v.hasOneUse())
    return {};
  return dyn_cast<OpT>(*v.getUsers().begin());
}

/// Whether `v` feeds only a `tosa.select`: the operands of the importer's
/// LEAKY_RELU (select(x >= zp, rescale(x), rescale(x)) on int8,
/// select(x > 0, x, x * alpha) on float) belong to that kernel.
static bool feedsSelect(Value v) {
  return static_cast<bool>(soleUser<tosa::SelectOp>(v));
}

/// A `tosa.rescale` as the layer ops hold it.
struct RescaleConstants {
  SmallVector<int32_t> multiplier;
  SmallVector<int8_t> shift;
  int64_t inputZp = 0, outputZp = 0;
};

/// Reads the constants of `r`, which must rescale `inElt` to `outElt` with
/// 32-bit multipliers, DOUBLE_ROUND and signed values, and have constant
/// multipliers, shifts (right shifts in [2, 62]) and zero points.
static LogicalResult readRescale(PatternRewriter &rw, tosa::RescaleOp r,
                                 Type inElt, Type outElt,
                                 RescaleConstants &out) {
  if (elementTypeOf(r.getInput()) != inElt ||
      elementTypeOf(r.getResult()) != outElt)
    return rw.notifyMatchFailure(r, "rescale has other element types");
  if (!r.getScale32() ||
      r.getRoundingMode() != tosa::RoundingMode::DOUBLE_ROUND ||
      r.getInputUnsigned() || r.getOutputUnsigned())
    return rw.notifyMatchFailure(
        r, "rescale is not a signed scale32 DOUBLE_ROUND rescale");
  std::optional<SmallVector<int64_t>> mult = constantInts(r.getMultiplier());
  std::optional<SmallVector<int64_t>> shift = constantInts(r.getShift());
  std::optional<int64_t> inZp = constScalar(r.getInputZp());
  std::optional<int64_t> outZp = constScalar(r.getOutputZp());
  if (!mult || !shift || !inZp || !outZp || mult->empty() ||
      mult->size() != shift->size())
    return rw.notifyMatchFailure(
        r, "rescale multipliers, shifts or zero points are not constants");
  for (auto [m, s] : llvm::zip(*mult, *shift)) {
    if (s < 2 || s > 62)
      return rw.notifyMatchFailure(r, "rescale shift is outside [2, 62]");
    out.multiplier.push_back(static_cast<int32_t>(m));
    out.shift.push_back(static_cast<int8_t>(s));
  }
  out.inputZp = *inZp;
  out.outputZp = *outZp;
  return success();
}

/// The fused activation after a layer's last value: a sole `tosa.clamp`
/// user (NaN-propagating, non-empty range), and the bounds of the layer
/// (the whole element type's range, or +-infinity, when there is none).
struct Activation {
  tosa::ClampOp clamp;
  Attribute lo, hi;
};

static Activation readActivation(Builder &b, Value v) {
  Type elt = elementTypeOf(v);
  Activation act;
  auto clamp = soleUser<tosa::ClampOp>(v);
  if (clamp && clamp.getNanMode() != tosa::NanPropagationMode::PROPAGATE)
    clamp = {};
  if (isa<FloatType>(elt)) {
    constexpr float inf = std::numeric_limits<float>::infinity();
    act.lo = b.getF32FloatAttr(-inf);
    act.hi = b.getF32FloatAttr(inf);
    if (!clamp)
      return act;
    auto lo = dyn_cast<FloatAttr>(clamp.getMinValAttr());
    auto hi = dyn_cast<FloatAttr>(clamp.getMaxValAttr());
    if (!lo || !hi || !lo.getType().isF32() || !hi.getType().isF32() ||
        !(lo.getValueAsDouble() <= hi.getValueAsDouble()))
      return act;
    act.clamp = clamp;
    act.lo = lo;
    act.hi = hi;
    return act;
  }
  unsigned bits = elt.getIntOrFloatBitWidth();
  int64_t lo = -(int64_t(1) << (bits - 1)), hi = (int64_t(1) << (bits - 1)) - 1;
  if (clamp) {
    auto clo = dyn_cast<IntegerAttr>(clamp.getMinValAttr());
    auto chi = dyn_cast<IntegerAttr>(clamp.getMaxValAttr());
    if (clo && chi &&
        std::max(lo, clo.getInt()) <= std::min(hi, chi.getInt())) {
      act.clamp = clamp;
      lo = std::max(lo, clo.getInt());
      hi = std::min(hi, chi.getInt());
    }
  }
  act.lo = b.getIntegerAttr(elt, lo);
  act.hi = b.getIntegerAttr(elt, hi);
  return act;
}

/// The quantization of the value a layer yields: what its last op states,
/// or what a reshape of it states (the importer's fully-connected layers
/// end in one).
static QuantAttr yieldedQuant(Value v) {
  if (QuantAttr q = getResultQuant(v.getDefiningOp()))
    return q;
  for (Operation *user : v.getUsers())
    if (isa<tosa::ReshapeOp>(user))
      if (QuantAttr q = getResultQuant(user))
        return q;
  return {};
}

/// Whether `q` is a per-tensor quantization with zero point `zp`.
static bool isPerTensorWithZp(QuantAttr q, int64_t zp) {
  return q && !q.isPerChannel() && q.getZeroPoint().size() == 1 &&
         q.getZeroPoint()[0] == zp;
}

/// What follows the int32 result of an int8 ADD/SUB/MUL: one per-tensor
/// rescale to int8 (from zero point 0), the fused activation's clamp, and
/// the quantization the chain's last op yields.
struct OutputTail {
  RescaleConstants rescale;
  Activation act;
  QuantAttr quant;
};

/// Reads the output tail of `op` into `out`, appending its ops to `chain`.
static LogicalResult readOutputTail(PatternRewriter &rw, Operation *op,
                                    SmallVectorImpl<Operation *> &chain,
                                    OutputTail &out) {
  auto outR = soleUser<tosa::RescaleOp>(op->getResult(0));
  if (!outR)
    return rw.notifyMatchFailure(op, "result does not feed one rescale");
  if (failed(
          readRescale(rw, outR, rw.getI32Type(), rw.getI8Type(), out.rescale)))
    return failure();
  if (out.rescale.multiplier.size() != 1 || out.rescale.inputZp != 0)
    return rw.notifyMatchFailure(
        outR, "output rescale is not per tensor from zero point 0");
  chain.push_back(outR);
  out.act = readActivation(rw, outR.getResult());
  if (out.act.clamp)
    chain.push_back(out.act.clamp);
  out.quant = yieldedQuant(chain.back()->getResult(0));
  if (!out.quant)
    out.quant = yieldedQuant(outR.getResult());
  if (!isPerTensorWithZp(out.quant, out.rescale.outputZp))
    return rw.notifyMatchFailure(
        op, "output has no per-tensor quantization with the rescale's zero "
            "point");
  return success();
}

/// Replaces `chain` (in program order, each op's result used only by the
/// next) by `layer`: the last op's uses move to it and the others go.
static void replaceChain(PatternRewriter &rw, ArrayRef<Operation *> chain,
                         Value layer) {
  rw.replaceOp(chain.back(), layer);
  for (Operation *op : llvm::reverse(chain.drop_back()))
    rw.eraseOp(op);
}

/// The locations of `chain`, fused, those of its principal op `root` (the
/// convolution, the arithmetic, the pool, the rescale) first: names the
/// pruning report and the C++ comments show come from the ops' name
/// locations, and passes that map a layer back to TOSA find its root.
static Location chainLoc(PatternRewriter &rw, Operation *root,
                         ArrayRef<Operation *> chain) {
  SmallVector<Location> locs = {root->getLoc()};
  for (Operation *op : chain)
    if (op != root)
      locs.push_back(op->getLoc());
  return rw.getFusedLoc(locs);
}

//===----------------------------------------------------------------------===//
// Patterns
//===----------------------------------------------------------------------===//

namespace {

/// conv2d / depthwise_conv2d with its int8 requantization and fused
/// activation (or a float convolution and its activation) to
/// tinyprune.conv2d / tinyprune.depthwise_conv2d. A filterlet-pruned
/// tosa.conv2d's `tinyprune.filterlets` becomes the layer's `filterlets`.
template <typename TosaConvOp, typename LayerOp>
struct RaiseConv final : OpRewritePattern<TosaConvOp> {
  using OpRewritePattern<TosaConvOp>::OpRewritePattern;

  LogicalResult matchAndRewrite(TosaConvOp conv,
                                PatternRewriter &rw) const override {
    constexpr bool depthwise =
        std::is_same_v<TosaConvOp, tosa::DepthwiseConv2DOp>;
    auto inType = cast<RankedTensorType>(conv.getInput().getType());
    auto accType = cast<RankedTensorType>(conv.getType());
    Type elt = inType.getElementType();
    bool isFloat = elt.isF32();
    if (!isFloat && !elt.isInteger(8))
      return rw.notifyMatchFailure(conv, "only int8 and f32 layers exist");
    if (elementTypeOf(conv.getWeight()) != elt)
      return rw.notifyMatchFailure(conv, "weights are of another type");
    if (!inType.hasStaticShape() || !accType.hasStaticShape())
      return rw.notifyMatchFailure(conv, "shapes are not static");
    Type accElt = isFloat ? Type(rw.getF32Type()) : Type(rw.getI32Type());
    if (accType.getElementType() != accElt || conv.getAccType() != accElt ||
        elementTypeOf(conv.getBias()) != accElt)
      return rw.notifyMatchFailure(conv, "accumulator is not i32 / f32");

    SmallVector<Operation *> chain = {conv};
    Value last = conv.getResult();
    RescaleConstants rc;
    std::optional<int64_t> inZp;
    if (isFloat) {
      if (!isFloatZero(conv.getInputZp()) || !isFloatZero(conv.getWeightZp()))
        return rw.notifyMatchFailure(conv, "float zero points are not 0");
    } else {
      inZp = constScalar(conv.getInputZp());
      std::optional<int64_t> wZp = constScalar(conv.getWeightZp());
      if (!inZp || !wZp || *wZp != 0)
        return rw.notifyMatchFailure(
            conv, "zero points are not constant or the weights' is not 0");
      auto rescale = soleUser<tosa::RescaleOp>(last);
      if (!rescale)
        return rw.notifyMatchFailure(
            conv, "accumulator does not feed exactly one rescale");
      if (failed(readRescale(rw, rescale, accElt, elt, rc)))
        return failure();
      int64_t channels = accType.getDimSize(3);
      if (rc.inputZp != 0 || (rc.multiplier.size() != 1 &&
                              (int64_t)rc.multiplier.size() != channels))
        return rw.notifyMatchFailure(
            rescale, "rescale is not one per tensor or one per channel from "
                     "zero point 0");
      chain.push_back(rescale);
      last = rescale.getResult();
    }
    Activation act = readActivation(rw, last);
    if (act.clamp) {
      chain.push_back(act.clamp);
      last = act.clamp.getResult();
    }

    QuantAttr inQ, wQ, outQ;
    DenseI32ArrayAttr mult;
    DenseI8ArrayAttr shift;
    if (!isFloat) {
      inQ = producerQuant(conv.getInput());
      if (!isPerTensorWithZp(inQ, *inZp))
        return rw.notifyMatchFailure(
            conv, "input has no per-tensor quantization with the "
                  "convolution's zero point");
      FailureOr<ConvLayerView> view = ConvLayerView::get(conv);
      wQ = succeeded(view) ? view->weightQuant : QuantAttr();
      int64_t channels = accType.getDimSize(3);
      if (!wQ ||
          (wQ.isPerChannel() && (int64_t)wQ.getScale().size() != channels))
        return rw.notifyMatchFailure(
            conv, "weights have no quantization of one scale per tensor or "
                  "per output channel");
      // The layer states the TFLite axis: 0 (OHWI) or 3 ([1, KH, KW, C*M]).
      if (wQ.isPerChannel())
        wQ = QuantAttr::get(rw.getContext(), wQ.getScale(), wQ.getZeroPoint(),
                            depthwise ? 3 : 0);
      outQ = yieldedQuant(last);
      if (!outQ && last != chain[1]->getResult(0))
        outQ = yieldedQuant(chain[1]->getResult(0));
      if (!isPerTensorWithZp(outQ, rc.outputZp))
        return rw.notifyMatchFailure(
            conv, "output has no per-tensor quantization with the rescale's "
                  "zero point");
      mult = rw.getDenseI32ArrayAttr(rc.multiplier);
      shift = rw.getDenseI8ArrayAttr(rc.shift);
    }

    Location loc = chainLoc(rw, conv, chain);
    Value layer;
    if constexpr (depthwise) {
      layer = LayerOp::create(
          rw, loc, last.getType(), conv.getInput(), conv.getWeight(),
          conv.getBias(), conv.getPadAttr(), conv.getStrideAttr(),
          conv.getDilationAttr(), act.lo, act.hi, inQ, wQ, outQ, mult, shift);
    } else {
      auto filterlets = conv->template getAttrOfType<FilterletsAttr>(
          TinyPruneDialect::getFilterletsAttrName());
      layer =
          LayerOp::create(rw, loc, last.getType(), conv.getInput(),
                          conv.getWeight(), conv.getBias(), conv.getPadAttr(),
                          conv.getStrideAttr(), conv.getDilationAttr(), act.lo,
                          act.hi, inQ, wQ, outQ, mult, shift, filterlets);
    }
    replaceChain(rw, chain, layer);
    return success();
  }
};

/// int8 ADD / SUB (each side `(x - zp) << left_shift` as a rescale, then
/// rescaled to the common scale; the i32 sum or difference rescaled to int8
/// and clamped) and float ADD / SUB (and their clamp) to tinyprune.add /
/// tinyprune.sub. i32 arithmetic on operands that are not rescaled is the
/// model's own int32 arithmetic and stays TOSA.
template <typename TosaOp, typename LayerOp>
struct RaiseAddSub final : OpRewritePattern<TosaOp> {
  using OpRewritePattern<TosaOp>::OpRewritePattern;

  LogicalResult matchAndRewrite(TosaOp op, PatternRewriter &rw) const override {
    Type elt = elementTypeOf(op.getResult());
    if (elt.isF32()) {
      Activation act = readActivation(rw, op.getResult());
      SmallVector<Operation *> chain = {op};
      if (act.clamp)
        chain.push_back(act.clamp);
      Value layer = LayerOp::create(
          rw, chainLoc(rw, op, chain), chain.back()->getResult(0).getType(),
          op.getInput1(), op.getInput2(), act.lo, act.hi, QuantAttr(),
          QuantAttr(), QuantAttr(), IntegerAttr(), IntegerAttr(), IntegerAttr(),
          IntegerAttr(), IntegerAttr(), IntegerAttr(), IntegerAttr());
      replaceChain(rw, chain, layer);
      return success();
    }
    if (!elt.isInteger(32))
      return rw.notifyMatchFailure(op, "only f32 and int8 layers exist");
    Type i8 = rw.getI8Type(), i32 = rw.getI32Type();

    struct Side {
      Value x;
      QuantAttr quant;
      RescaleConstants up, scale;
    } sides[2];
    SmallVector<Operation *> chain;
    for (int k = 0; k < 2; ++k) {
      Side &side = sides[k];
      auto scale = op->getOperand(k).template getDefiningOp<tosa::RescaleOp>();
      if (!scale)
        return rw.notifyMatchFailure(
            op, "operand is not rescaled: plain i32 arithmetic stays TOSA");
      auto up = scale.getInput().template getDefiningOp<tosa::RescaleOp>();
      if (!up)
        return rw.notifyMatchFailure(
            scale, "rescaled operand is not shifted up from int8 first");
      if (!scale->hasOneUse() || !up->hasOneUse())
        return rw.notifyMatchFailure(op, "a rescaled operand has other users");
      if (failed(readRescale(rw, up, i8, i32, side.up)) ||
          failed(readRescale(rw, scale, i32, i32, side.scale)))
        return failure();
      if (side.up.multiplier.size() != 1 || side.scale.multiplier.size() != 1)
        return rw.notifyMatchFailure(op, "operand rescales are per channel");
      // (x - zp) << L is multiplier 2^30 with shift 30 - L.
      if (side.up.multiplier[0] != (1 << 30) || side.up.shift[0] > 30 ||
          side.up.outputZp != 0 || side.scale.inputZp != 0 ||
          side.scale.outputZp != 0)
        return rw.notifyMatchFailure(
            up, "operand rescales are not a left shift and a rescale "
                "between zero points 0");
      side.x = up.getInput();
      side.quant = producerQuant(side.x);
      if (!isPerTensorWithZp(side.quant, side.up.inputZp))
        return rw.notifyMatchFailure(
            op, "operand has no per-tensor quantization with the rescale's "
                "zero point");
      chain.append({up, scale});
    }
    if (sides[0].up.shift[0] != sides[1].up.shift[0])
      return rw.notifyMatchFailure(op, "operands are shifted differently");
    chain.push_back(op);

    OutputTail out;
    if (failed(readOutputTail(rw, op, chain, out)))
      return failure();
    Value last = chain.back()->getResult(0);
    Activation &act = out.act;
    QuantAttr outQ = out.quant;

    Value layer = LayerOp::create(
        rw, chainLoc(rw, op, chain), last.getType(), sides[0].x, sides[1].x,
        act.lo, act.hi, sides[0].quant, sides[1].quant, outQ,
        rw.getI64IntegerAttr(30 - sides[0].up.shift[0]),
        rw.getI32IntegerAttr(sides[0].scale.multiplier[0]),
        rw.getI8IntegerAttr(sides[0].scale.shift[0]),
        rw.getI32IntegerAttr(sides[1].scale.multiplier[0]),
        rw.getI8IntegerAttr(sides[1].scale.shift[0]),
        rw.getI32IntegerAttr(out.rescale.multiplier[0]),
        rw.getI8IntegerAttr(out.rescale.shift[0]));
    replaceChain(rw, chain, layer);
    return success();
  }
};

/// int8 MUL (each side `x - zp` as an exact rescale to i32, the i32 product
/// rescaled to int8 and clamped) and float MUL (and its clamp) to
/// tinyprune.mul. LEAKY_RELU's float product stays with its select.
struct RaiseMul final : OpRewritePattern<tosa::MulOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(tosa::MulOp op,
                                PatternRewriter &rw) const override {
    Type elt = elementTypeOf(op.getResult());
    std::optional<int64_t> mulShift = constScalar(op.getShift());
    if (!mulShift || *mulShift != 0)
      return rw.notifyMatchFailure(op, "product is shifted");
    if (elt.isF32()) {
      if (feedsSelect(op.getResult()))
        return rw.notifyMatchFailure(op, "product belongs to a LEAKY_RELU");
      Activation act = readActivation(rw, op.getResult());
      SmallVector<Operation *> chain = {op};
      if (act.clamp)
        chain.push_back(act.clamp);
      Value layer = MulOp::create(
          rw, chainLoc(rw, op, chain), chain.back()->getResult(0).getType(),
          op.getInput1(), op.getInput2(), act.lo, act.hi, QuantAttr(),
          QuantAttr(), QuantAttr(), IntegerAttr(), IntegerAttr());
      replaceChain(rw, chain, layer);
      return success();
    }
    if (!elt.isInteger(32))
      return rw.notifyMatchFailure(op, "only f32 and int8 layers exist");
    Type i8 = rw.getI8Type(), i32 = rw.getI32Type();

    SmallVector<Operation *> chain;
    Value xs[2];
    QuantAttr quants[2];
    for (int k = 0; k < 2; ++k) {
      auto r = op->getOperand(k).getDefiningOp<tosa::RescaleOp>();
      if (!r)
        return rw.notifyMatchFailure(
            op, "operand is not rescaled: plain i32 arithmetic stays TOSA");
      if (!r->hasOneUse())
        return rw.notifyMatchFailure(op, "a rescaled operand has other users");
      RescaleConstants rc;
      if (failed(readRescale(rw, r, i8, i32, rc)))
        return failure();
      // x - zp exactly: multiplier 2^30, shift 30.
      if (rc.multiplier.size() != 1 || rc.multiplier[0] != (1 << 30) ||
          rc.shift[0] != 30 || rc.outputZp != 0)
        return rw.notifyMatchFailure(
            r, "operand rescale is not the exact widening x - zp");
      xs[k] = r.getInput();
      quants[k] = producerQuant(xs[k]);
      if (!isPerTensorWithZp(quants[k], rc.inputZp))
        return rw.notifyMatchFailure(
            op, "operand has no per-tensor quantization with the rescale's "
                "zero point");
      chain.push_back(r);
    }
    chain.push_back(op);

    OutputTail out;
    if (failed(readOutputTail(rw, op, chain, out)))
      return failure();
    Value last = chain.back()->getResult(0);
    Activation &act = out.act;
    QuantAttr outQ = out.quant;

    Value layer =
        MulOp::create(rw, chainLoc(rw, op, chain), last.getType(), xs[0], xs[1],
                      act.lo, act.hi, quants[0], quants[1], outQ,
                      rw.getI32IntegerAttr(out.rescale.multiplier[0]),
                      rw.getI8IntegerAttr(out.rescale.shift[0]));
    replaceChain(rw, chain, layer);
    return success();
  }
};

/// max_pool2d and its fused activation to tinyprune.max_pool2d.
struct RaiseMaxPool final : OpRewritePattern<tosa::MaxPool2dOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(tosa::MaxPool2dOp op,
                                PatternRewriter &rw) const override {
    Type elt = elementTypeOf(op.getResult());
    if (!elt.isF32() && !elt.isInteger(8))
      return rw.notifyMatchFailure(op, "only int8 and f32 layers exist");
    if (op.getNanMode() != tosa::NanPropagationMode::PROPAGATE)
      return rw.notifyMatchFailure(op, "NaNs are not propagated");
    ArrayRef<int64_t> k = op.getKernel(), p = op.getPad();
    if (p[0] >= k[0] || p[1] >= k[0] || p[2] >= k[1] || p[3] >= k[1])
      return rw.notifyMatchFailure(op, "a pad is as large as the kernel");
    Activation act = readActivation(rw, op.getResult());
    SmallVector<Operation *> chain = {op};
    if (act.clamp)
      chain.push_back(act.clamp);
    Value last = chain.back()->getResult(0);
    QuantAttr q;
    if (!elt.isF32()) {
      q = producerQuant(op.getInput());
      if (!q)
        q = yieldedQuant(last);
      if (!q || q.isPerChannel())
        return rw.notifyMatchFailure(op, "has no per-tensor quantization");
    }
    Value layer = MaxPool2dOp::create(rw, chainLoc(rw, op, chain),
                                      last.getType(), op.getInput(),
                                      op.getKernelAttr(), op.getStrideAttr(),
                                      op.getPadAttr(), act.lo, act.hi, q);
    replaceChain(rw, chain, layer);
    return success();
  }
};

/// An int8 -> int8 rescale (QUANTIZE between scales, ReLU on int8) and its
/// clamp to tinyprune.requantize. LEAKY_RELU's rescales stay with its
/// select.
struct RaiseRequantize final : OpRewritePattern<tosa::RescaleOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(tosa::RescaleOp op,
                                PatternRewriter &rw) const override {
    RescaleConstants rc;
    if (failed(readRescale(rw, op, rw.getI8Type(), rw.getI8Type(), rc)))
      return failure();
    if (rc.multiplier.size() != 1)
      return rw.notifyMatchFailure(op, "rescale is per channel");
    if (feedsSelect(op.getResult()))
      return rw.notifyMatchFailure(op, "rescale belongs to a LEAKY_RELU");
    QuantAttr inQ = producerQuant(op.getInput());
    if (!isPerTensorWithZp(inQ, rc.inputZp))
      return rw.notifyMatchFailure(
          op, "input has no per-tensor quantization with the rescale's zero "
              "point");
    Activation act = readActivation(rw, op.getResult());
    SmallVector<Operation *> chain = {op};
    if (act.clamp)
      chain.push_back(act.clamp);
    Value last = chain.back()->getResult(0);
    QuantAttr outQ = yieldedQuant(last);
    if (!outQ)
      outQ = yieldedQuant(op.getResult());
    if (!isPerTensorWithZp(outQ, rc.outputZp))
      return rw.notifyMatchFailure(
          op, "output has no per-tensor quantization with the rescale's zero "
              "point");
    Value layer = RequantizeOp::create(
        rw, chainLoc(rw, op, chain), last.getType(), op.getInput(),
        cast<IntegerAttr>(act.lo), cast<IntegerAttr>(act.hi), inQ, outQ,
        rw.getI32IntegerAttr(rc.multiplier[0]),
        rw.getI8IntegerAttr(rc.shift[0]));
    replaceChain(rw, chain, layer);
    return success();
  }
};

} // namespace

void tinyprune::populateRaiseToLayersPatterns(RewritePatternSet &patterns) {
  patterns.add<RaiseConv<tosa::Conv2DOp, Conv2DOp>,
               RaiseConv<tosa::DepthwiseConv2DOp, DepthwiseConv2DOp>,
               RaiseAddSub<tosa::AddOp, AddOp>, RaiseAddSub<tosa::SubOp, SubOp>,
               RaiseMul, RaiseMaxPool, RaiseRequantize>(patterns.getContext());
}

LogicalResult tinyprune::raiseToLayers(Operation *root) {
  RewritePatternSet patterns(root->getContext());
  populateRaiseToLayersPatterns(patterns);
  // Only the chains change: no folding or constant merging elsewhere, so
  // that lowering again gives the imported ops back.
  GreedyRewriteConfig config;
  config.enableFolding(false).enableConstantCSE(false);
  config.setRegionSimplificationLevel(GreedySimplifyRegionLevel::Disabled);
  return applyPatternsGreedily(root, std::move(patterns), config);
}

std::string tinyprune::whyNotRaised(Operation *op) {
  // Match on a copy: a pattern that applies rewrites its chain.
  Operation *scope = op->getParentOfType<FunctionOpInterface>();
  if (!scope)
    scope = op->getParentOp();
  if (!scope)
    return "it is not inside a function";
  int64_t index = -1, at = 0;
  scope->walk([&](Operation *o) {
    if (o == op)
      index = at;
    ++at;
  });
  OwningOpRef<Operation *> copy(scope->clone());
  Operation *twin = nullptr;
  at = 0;
  copy.get()->walk([&](Operation *o) {
    if (at++ == index)
      twin = o;
  });

  struct Reasons : RewriterBase::Listener {
    void notifyMatchFailure(
        Location, function_ref<void(Diagnostic &)> reasonCallback) override {
      Diagnostic diag(UnknownLoc::get(context), DiagnosticSeverity::Remark);
      reasonCallback(diag);
      std::string text = diag.str();
      if (!llvm::is_contained(texts, text))
        texts.push_back(text);
    }
    MLIRContext *context = nullptr;
    SmallVector<std::string> texts;
  } reasons;
  reasons.context = op->getContext();

  RewritePatternSet patterns(op->getContext());
  populateRaiseToLayersPatterns(patterns);
  FrozenRewritePatternSet frozen(std::move(patterns));
  PatternApplicator applicator(frozen);
  applicator.applyDefaultCostModel();
  PatternRewriter rewriter(op->getContext());
  rewriter.setListener(&reasons);
  rewriter.setInsertionPoint(twin);
  if (succeeded(applicator.matchAndRewrite(twin, rewriter)))
    return "--tinyprune-raise-to-layers has not run (it would raise it)";
  if (reasons.texts.empty())
    return "no layer op is made from it";
  return llvm::join(reasons.texts, "; ");
}

//===----------------------------------------------------------------------===//
// Pass
//===----------------------------------------------------------------------===//

namespace {
struct RaiseToLayers final : tinyprune::impl::RaiseToLayersBase<RaiseToLayers> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    populateRaiseToLayersPatterns(patterns);
    // Only the chains change: no folding or constant merging elsewhere, so
    // that lowering again gives the imported ops back.
    GreedyRewriteConfig config;
    config.enableFolding(false).enableConstantCSE(false);
    config.setRegionSimplificationLevel(GreedySimplifyRegionLevel::Disabled);
    if (failed(
            applyPatternsGreedily(getOperation(), std::move(patterns), config)))
      signalPassFailure();
  }
};
} // namespace
