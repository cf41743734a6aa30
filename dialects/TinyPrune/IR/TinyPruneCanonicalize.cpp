//===- TinyPruneCanonicalize.cpp - tinyprune canonicalization -------------===//
//
// The dialect's canonicalization patterns, which `--canonicalize` applies
// wherever the tinyprune dialect is loaded. They bring filterlet-pruned
// convolutions to their canonical form, on the layer op `tinyprune.conv2d`
// (its `filterlets`) as `--filterlet-prune` writes it, and on the TOSA form
// `--tinyprune-lower-layers-to-tosa` expands it to (`tosa.conv2d` with
// `tinyprune.filterlets`):
//
//   - the attribute lists exactly the filterlets with a non-zero weight (a
//     kept filterlet can round to zero after re-solving and int8
//     re-quantization), and is absent when that is every filterlet;
//   - a convolution whose filters are all empty computes its bias at every
//     output position: the layer op becomes that bias requantized and
//     clamped, a constant; the TOSA convolution becomes the bias, and the
//     requantizing rescale and the clamp after it fold into constants; so a
//     fully pruned layer leaves no work behind.
//
// A partially pruned convolution keeps its op: the sparse kernels already do
// no work for an empty filter but write its (requantized) bias.
//
//===----------------------------------------------------------------------===//

#include "tinyprune/Dialect/TinyPrune.h"
#include "tinyprune/rt/fixedpoint.h"

#include "mlir/Dialect/Tosa/IR/TosaOps.h"
#include "mlir/IR/Matchers.h"
#include "mlir/IR/PatternMatch.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <optional>

using namespace mlir;
using namespace tinyprune;

/// Whether each element of `values` is non-zero (-0.0 counts as zero: its
/// products add nothing to a sum, as the verifier's pruned filterlets).
static std::vector<bool> nonZeroElements(DenseElementsAttr values) {
  std::vector<bool> nonZero;
  nonZero.reserve(values.getNumElements());
  if (isa<FloatType>(values.getElementType())) {
    for (APFloat v : values.getValues<APFloat>())
      nonZero.push_back(!v.isZero());
  } else {
    for (const APInt &v : values.getValues<APInt>())
      nonZero.push_back(!v.isZero());
  }
  return nonZero;
}

/// Whether `v` is a constant whose elements are all zero.
static bool isConstantZero(Value v) {
  DenseElementsAttr values;
  if (!matchPattern(v, m_Constant(&values)))
    return false;
  return llvm::none_of(nonZeroElements(values), [](bool b) { return b; });
}

/// Replaces `op` by a `tosa.const` of `values`, keeping its location and its
/// `tinyprune.quant`.
static void replaceByConstant(PatternRewriter &rewriter, Operation *op,
                              DenseElementsAttr values) {
  QuantAttr quant = getResultQuant(op);
  auto c =
      rewriter.replaceOpWithNewOp<tosa::ConstOp>(op, values.getType(), values);
  if (quant)
    setResultQuant(c, quant);
}

namespace {

/// The name of the filterlets attribute of a pruned convolution: the layer
/// op's inherent `filterlets`, or the TOSA convolution's
/// `tinyprune.filterlets`.
static StringRef filterletsName(Operation *conv) {
  return isa<Conv2DOp>(conv) ? StringRef("filterlets")
                             : TinyPruneDialect::getFilterletsAttrName();
}

/// Drops the kept filterlets whose weights are all zero from the filterlets
/// attribute, and the attribute itself when every filterlet of the
/// convolution is kept. Without constant weights only the second applies.
/// `ConvOp` is `tinyprune.conv2d` or `tosa.conv2d` (weights operand 1).
template <typename ConvOp>
struct CanonicalizeFilterlets : public OpRewritePattern<ConvOp> {
  using OpRewritePattern<ConvOp>::OpRewritePattern;

  LogicalResult matchAndRewrite(ConvOp conv,
                                PatternRewriter &rewriter) const override {
    StringRef name = filterletsName(conv);
    auto filterlets = conv->template getAttrOfType<FilterletsAttr>(name);
    if (!filterlets)
      return failure();
    Value weight = conv->getOperand(1);
    auto wType = dyn_cast<RankedTensorType>(weight.getType());
    if (!wType || wType.getRank() != 4 || !wType.hasStaticShape() ||
        wType.getDimSize(0) != filterlets.getNumFilters() ||
        wType.getDimSize(3) % filterlets.getBlock() != 0)
      return rewriter.notifyMatchFailure(conv, "weight is not [O, KH, KW, I]");
    int64_t block = filterlets.getBlock();
    int64_t filterSize =
        wType.getDimSize(1) * wType.getDimSize(2) * wType.getDimSize(3);
    int64_t all = wType.getDimSize(0) * (filterSize / block);

    SmallVector<int32_t> rowPtr{0}, index;
    DenseElementsAttr weights;
    if (matchPattern(weight, m_Constant(&weights))) {
      std::vector<bool> nonZero = nonZeroElements(weights);
      for (int64_t o = 0; o < filterlets.getNumFilters(); ++o) {
        for (int32_t id : filterlets.getKept(o)) {
          auto first = nonZero.begin() + o * filterSize + id * block;
          if (std::find(first, first + block, true) != first + block)
            index.push_back(id);
        }
        rowPtr.push_back(static_cast<int32_t>(index.size()));
      }
    } else {
      index.assign(filterlets.getIndex().begin(), filterlets.getIndex().end());
    }

    if (static_cast<int64_t>(index.size()) == all) {
      rewriter.modifyOpInPlace(conv, [&] { conv->removeAttr(name); });
      return success();
    }
    // Filterlets are only ever dropped: an equal count means no change.
    if (index.size() == filterlets.getIndex().size())
      return rewriter.notifyMatchFailure(conv, "already canonical");
    rewriter.modifyOpInPlace(conv, [&] {
      conv->setAttr(
          name, FilterletsAttr::get(conv.getContext(), block, rowPtr, index));
    });
    return success();
  }
};

/// A convolution that keeps no filterlet at all computes, at every output
/// position, `bias[o] + sum((x - xzp) * (0 - 0)) = bias[o]` whatever the
/// input and its zero point: replace it with that constant. Needs constant
/// zero weights (which the attribute says they are), a constant bias and a
/// zero weight zero point.
struct FoldFullyPrunedConv : public OpRewritePattern<tosa::Conv2DOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(tosa::Conv2DOp conv,
                                PatternRewriter &rewriter) const override {
    auto filterlets = conv->getAttrOfType<FilterletsAttr>(
        TinyPruneDialect::getFilterletsAttrName());
    if (!filterlets || !filterlets.getIndex().empty())
      return failure();
    if (!isConstantZero(conv.getWeight()))
      return rewriter.notifyMatchFailure(conv, "weights are not constant zero");
    if (!isConstantZero(conv.getWeightZp()))
      return rewriter.notifyMatchFailure(conv, "weight zero point is not 0");
    DenseElementsAttr bias;
    if (!matchPattern(conv.getBias(), m_Constant(&bias)))
      return rewriter.notifyMatchFailure(conv, "bias is not constant");
    auto type = dyn_cast<RankedTensorType>(conv.getType());
    if (!type || !type.hasStaticShape() || type.getRank() != 4 ||
        type.getElementType() != bias.getElementType())
      return rewriter.notifyMatchFailure(conv, "result is not the bias type");
    int64_t channels = type.getDimSize(3);
    int64_t biasSize = bias.getNumElements();
    if (biasSize != 1 && biasSize != channels)
      return rewriter.notifyMatchFailure(conv, "bias does not fit the output");

    DenseElementsAttr values;
    if (bias.isSplat()) {
      values = bias.resizeSplat(type);
    } else if (isa<FloatType>(type.getElementType())) {
      SmallVector<APFloat> perChannel(bias.getValues<APFloat>());
      SmallVector<APFloat> out;
      out.reserve(type.getNumElements());
      for (int64_t k = 0, e = type.getNumElements(); k < e; ++k)
        out.push_back(perChannel[k % channels]);
      values = DenseElementsAttr::get(type, out);
    } else {
      SmallVector<APInt> perChannel(bias.getValues<APInt>());
      SmallVector<APInt> out;
      out.reserve(type.getNumElements());
      for (int64_t k = 0, e = type.getNumElements(); k < e; ++k)
        out.push_back(perChannel[k % channels]);
      values = DenseElementsAttr::get(type, out);
    }
    replaceByConstant(rewriter, conv, values);
    return success();
  }
};

/// The constant `bias` (one value, or one per channel) at every element of
/// `type`, each channel's value passed through `map` (on int8 layers from
/// the int32 bias to int8); null when `map` fails for a value.
static DenseElementsAttr broadcastBias(
    DenseElementsAttr bias, RankedTensorType type,
    llvm::function_ref<std::optional<APInt>(const APInt &, int64_t)> mapInt,
    llvm::function_ref<APFloat(const APFloat &)> mapFloat) {
  int64_t channels = type.getDimSize(type.getRank() - 1);
  bool splat = bias.getNumElements() == 1;
  if (isa<FloatType>(type.getElementType())) {
    SmallVector<APFloat> perChannel(bias.getValues<APFloat>());
    SmallVector<APFloat> out;
    out.reserve(type.getNumElements());
    for (int64_t k = 0, e = type.getNumElements(); k < e; ++k)
      out.push_back(mapFloat(perChannel[splat ? 0 : k % channels]));
    return DenseElementsAttr::get(type, out);
  }
  SmallVector<APInt> perChannel(bias.getValues<APInt>());
  SmallVector<APInt> channel;
  for (int64_t c = 0; c < channels; ++c) {
    std::optional<APInt> v = mapInt(perChannel[splat ? 0 : c], c);
    if (!v)
      return {};
    channel.push_back(*v);
  }
  SmallVector<APInt> out;
  out.reserve(type.getNumElements());
  for (int64_t k = 0, e = type.getNumElements(); k < e; ++k)
    out.push_back(channel[k % channels]);
  return DenseElementsAttr::get(type, out);
}

/// A fully pruned layer op: `tinyprune.conv2d` keeping no filterlet
/// computes, at every output position, `act(requant(bias[o]))` whatever its
/// input: replace it with that constant, carrying the output quantization.
/// The int8 arithmetic is FoldConstantRescale's (the runtime's
/// multiplyByQuantizedMultiplier with exponent `31 - shift`, the output zero
/// point, saturation), then the clamp to `[min_val, max_val]`.
struct FoldFullyPrunedLayer : public OpRewritePattern<Conv2DOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(Conv2DOp conv,
                                PatternRewriter &rewriter) const override {
    FilterletsAttr filterlets = conv.getFilterletsAttr();
    if (!filterlets || !filterlets.getIndex().empty())
      return failure();
    if (!isConstantZero(conv.getWeights()))
      return rewriter.notifyMatchFailure(conv, "weights are not constant zero");
    DenseElementsAttr bias;
    if (!matchPattern(conv.getBias(), m_Constant(&bias)))
      return rewriter.notifyMatchFailure(conv, "bias is not constant");
    RankedTensorType type = conv.getOutput().getType();
    int64_t channels = conv.getNumOutputChannels();
    if (!type.hasStaticShape() ||
        (bias.getNumElements() != 1 && bias.getNumElements() != channels))
      return rewriter.notifyMatchFailure(conv, "bias does not fit the output");

    auto floatBound = [](Attribute a) { return cast<FloatAttr>(a).getValue(); };
    auto clampFloat = [&](const APFloat &v) {
      APFloat lo = floatBound(conv.getMinValAttr()),
              hi = floatBound(conv.getMaxValAttr());
      float f = v.convertToFloat();
      return APFloat(
          std::min(std::max(f, lo.convertToFloat()), hi.convertToFloat()));
    };
    std::optional<ArrayRef<int32_t>> mult = conv.getMultiplier();
    std::optional<ArrayRef<int8_t>> shift = conv.getShift();
    QuantAttr outQ = conv.getOutputQuantAttr();
    auto requant = [&](const APInt &b, int64_t c) -> std::optional<APInt> {
      if (!mult || !shift || !outQ)
        return std::nullopt;
      size_t i = mult->size() == 1 ? 0 : size_t(c);
      int64_t exponent = 31 - int64_t((*shift)[i]);
      int64_t v = b.getSExtValue();
      int64_t limit =
          std::numeric_limits<int32_t>::max() >> std::max<int64_t>(0, exponent);
      if ((*mult)[i] < 0 || v > limit || v < -limit - 1)
        return std::nullopt;
      int64_t r = int64_t(rt::multiplyByQuantizedMultiplier(
                      static_cast<int32_t>(v), (*mult)[i],
                      static_cast<int>(exponent))) +
                  outQ.getZeroPoint()[0];
      int64_t lo = cast<IntegerAttr>(conv.getMinValAttr()).getInt(),
              hi = cast<IntegerAttr>(conv.getMaxValAttr()).getInt();
      r = std::min<int64_t>(std::max<int64_t>(r, -128), 127);
      return APInt(8, std::min(std::max(r, lo), hi), true);
    };
    DenseElementsAttr values = broadcastBias(bias, type, requant, clampFloat);
    if (!values)
      return rewriter.notifyMatchFailure(
          conv, "requantization is missing or its input out of range");
    auto c = rewriter.replaceOpWithNewOp<tosa::ConstOp>(conv, type, values);
    if (outQ)
      setResultQuant(c, outQ);
    return success();
  }
};

/// Evaluates a `tosa.rescale` of a constant int32 tensor (a convolution's
/// accumulator, as FoldFullyPrunedConv leaves it). The arithmetic is the
/// runtime's multiplyByQuantizedMultiplier with exponent `31 - shift`, what
/// the C++ lowering runs for the same rescale; on the operands accepted here
/// it equals TOSA's apply_scale_32, which the interpreter runs: a
/// non-negative int32 multiplier, a shift in [1, 62], DOUBLE_ROUND (or
/// SINGLE_ROUND with a shift up to 31, where the two agree) and, for shifts
/// below 31, inputs whose left shift by `31 - shift` fits in int32.
///
/// Rescales of narrower constants are left alone: they are the operand
/// rescales of int8 ADD/SUB/MUL layers, which the C++ lowering fuses.
struct FoldConstantRescale : public OpRewritePattern<tosa::RescaleOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(tosa::RescaleOp op,
                                PatternRewriter &rewriter) const override {
    DenseElementsAttr input, multiplier, shift, inZpAttr, outZpAttr;
    if (!matchPattern(op.getInput(), m_Constant(&input)) ||
        !input.getElementType().isInteger(32))
      return rewriter.notifyMatchFailure(op, "input is not a constant i32");
    if (!matchPattern(op.getMultiplier(), m_Constant(&multiplier)) ||
        !matchPattern(op.getShift(), m_Constant(&shift)) ||
        !matchPattern(op.getInputZp(), m_Constant(&inZpAttr)) ||
        !matchPattern(op.getOutputZp(), m_Constant(&outZpAttr)))
      return rewriter.notifyMatchFailure(op, "parameters are not constant");
    bool doubleRound = op.getRoundingMode() == tosa::RoundingMode::DOUBLE_ROUND;
    if (!op.getScale32() || op.getInputUnsigned() || op.getOutputUnsigned() ||
        (!doubleRound &&
         op.getRoundingMode() != tosa::RoundingMode::SINGLE_ROUND))
      return rewriter.notifyMatchFailure(op, "unsupported rescale mode");
    auto type = dyn_cast<RankedTensorType>(op.getType());
    if (!type || !type.hasStaticShape() || type.getRank() == 0 ||
        !type.getElementType().isSignlessInteger() ||
        type.getElementTypeBitWidth() > 32)
      return rewriter.notifyMatchFailure(op, "unsupported result type");

    int64_t channels = op.getPerChannel() ? type.getShape().back() : 1;
    SmallVector<int64_t> m, s;
    for (const APInt &v : multiplier.getValues<APInt>())
      m.push_back(v.getSExtValue());
    for (const APInt &v : shift.getValues<APInt>())
      s.push_back(v.getSExtValue());
    if ((int64_t)m.size() != channels || (int64_t)s.size() != channels)
      return rewriter.notifyMatchFailure(op, "parameters do not fit channels");
    for (int64_t c = 0; c < channels; ++c)
      if (m[c] < 0 || m[c] > std::numeric_limits<int32_t>::max() || s[c] < 1 ||
          s[c] > 62 || (!doubleRound && s[c] > 31))
        return rewriter.notifyMatchFailure(op, "multiplier or shift range");
    int64_t inZp = (*inZpAttr.getValues<APInt>().begin()).getSExtValue();
    int64_t outZp = (*outZpAttr.getValues<APInt>().begin()).getSExtValue();

    unsigned bits = type.getElementTypeBitWidth();
    int64_t lo = -(int64_t(1) << (bits - 1)),
            hi = (int64_t(1) << (bits - 1)) - 1;
    SmallVector<APInt> out;
    out.reserve(type.getNumElements());
    int64_t k = 0;
    for (const APInt &x : input.getValues<APInt>()) {
      int64_t c = k++ % channels;
      int64_t v = x.getSExtValue() - inZp;
      int64_t exponent = 31 - s[c];
      int64_t limit =
          std::numeric_limits<int32_t>::max() >> std::max<int64_t>(0, exponent);
      if (v > limit || v < -limit - 1)
        return rewriter.notifyMatchFailure(op, "input out of int32 range");
      int64_t r = int64_t(rt::multiplyByQuantizedMultiplier(
                      static_cast<int32_t>(v), static_cast<int32_t>(m[c]),
                      static_cast<int>(exponent))) +
                  outZp;
      out.push_back(APInt(bits, std::min(std::max(r, lo), hi), true));
    }
    replaceByConstant(rewriter, op, DenseElementsAttr::get(type, out));
    return success();
  }
};

/// Evaluates a `tosa.clamp` of a constant, as the interpreter does. NaNs
/// fold only under the default NaN propagation.
struct FoldConstantClamp : public OpRewritePattern<tosa::ClampOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(tosa::ClampOp op,
                                PatternRewriter &rewriter) const override {
    DenseElementsAttr input;
    if (!matchPattern(op.getInput(), m_Constant(&input)))
      return rewriter.notifyMatchFailure(op, "input is not constant");
    auto type = dyn_cast<RankedTensorType>(op.getType());
    if (!type || !type.hasStaticShape() || type != input.getType())
      return rewriter.notifyMatchFailure(op, "shape is not static");
    DenseElementsAttr values;
    if (auto floatType = dyn_cast<FloatType>(type.getElementType())) {
      if (!floatType.isF32())
        return rewriter.notifyMatchFailure(op, "not f32");
      float lo = cast<FloatAttr>(op.getMinValAttr()).getValueAsDouble();
      float hi = cast<FloatAttr>(op.getMaxValAttr()).getValueAsDouble();
      bool propagate = op.getNanMode() == tosa::NanPropagationMode::PROPAGATE;
      SmallVector<float> out;
      out.reserve(type.getNumElements());
      for (APFloat v : input.getValues<APFloat>()) {
        float f = v.convertToFloat();
        if (std::isnan(f) && !propagate)
          return rewriter.notifyMatchFailure(op, "NaN without propagation");
        out.push_back(std::min(std::max(f, lo), hi));
      }
      values = DenseElementsAttr::get(type, ArrayRef<float>(out));
    } else {
      if (!type.getElementType().isSignlessInteger())
        return rewriter.notifyMatchFailure(op, "not a signless integer");
      int64_t lo = cast<IntegerAttr>(op.getMinValAttr()).getInt();
      int64_t hi = cast<IntegerAttr>(op.getMaxValAttr()).getInt();
      unsigned bits = type.getElementTypeBitWidth();
      SmallVector<APInt> out;
      out.reserve(type.getNumElements());
      for (const APInt &v : input.getValues<APInt>())
        out.push_back(
            APInt(bits, std::min(std::max(v.getSExtValue(), lo), hi), true));
      values = DenseElementsAttr::get(type, out);
    }
    replaceByConstant(rewriter, op, values);
    return success();
  }
};

} // namespace

void TinyPruneDialect::getCanonicalizationPatterns(
    RewritePatternSet &results) const {
  results.add<CanonicalizeFilterlets<Conv2DOp>,
              CanonicalizeFilterlets<tosa::Conv2DOp>, FoldFullyPrunedLayer,
              FoldFullyPrunedConv, FoldConstantRescale, FoldConstantClamp>(
      getContext());
}
