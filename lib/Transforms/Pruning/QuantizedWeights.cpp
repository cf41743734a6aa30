//===- QuantizedWeights.cpp - Reading and writing layer weights -----------===//
//
// Reads the filters of convolution-like layers as real values and writes
// re-solved ones back into the constants, the bias and the requantization
// (QuantizedWeights.h).
//
//===----------------------------------------------------------------------===//

#include "tinyprune/Transforms/Pruning/QuantizedWeights.h"

#include "tinyprune/Dialect/TinyPrune.h"
#include "tinyprune/Transforms/Pruning/Requantize.h"

#include "mlir/IR/Builders.h"

#include <optional>

using namespace mlir;
using namespace tinyprune;
using namespace tinyprune::pruning;

std::vector<double> pruning::constantValues(tosa::ConstOp op) {
  auto values = cast<DenseElementsAttr>(op.getValues());
  std::vector<double> out;
  out.reserve(values.getNumElements());
  if (isa<FloatType>(values.getElementType())) {
    for (APFloat v : values.getValues<APFloat>())
      out.push_back(v.convertToDouble());
  } else {
    for (const APInt &v : values.getValues<APInt>())
      out.push_back(double(v.getSExtValue()));
  }
  return out;
}

tosa::RescaleOp pruning::requantizerOf(Operation *conv, int64_t filters) {
  if (!conv->hasOneUse())
    return {};
  auto rescale = dyn_cast<tosa::RescaleOp>(*conv->getUsers().begin());
  if (!rescale)
    return {};
  auto mult = rescale.getMultiplier().getDefiningOp<tosa::ConstOp>();
  auto shift = rescale.getShift().getDefiningOp<tosa::ConstOp>();
  int64_t expected = rescale.getPerChannel() ? filters : 1;
  if (!mult || !shift ||
      cast<DenseElementsAttr>(mult.getValues()).getNumElements() != expected ||
      cast<DenseElementsAttr>(shift.getValues()).getNumElements() != expected)
    return {};
  return rescale;
}

/// A clamp's bound as a double, if it is a number.
static std::optional<double> boundOf(Attribute a) {
  if (auto f = dyn_cast_or_null<FloatAttr>(a))
    return f.getValueAsDouble();
  if (auto i = dyn_cast_or_null<IntegerAttr>(a))
    return double(i.getValue().getSExtValue());
  return std::nullopt;
}

recon::Clip pruning::activationClip(Operation *conv, int64_t filters,
                                    bool isFloat) {
  recon::Clip clip;
  auto clampAfter = [](Operation *op) -> tosa::ClampOp {
    if (!op->hasOneUse())
      return {};
    return dyn_cast<tosa::ClampOp>(*op->getUsers().begin());
  };
  if (isFloat) {
    if (tosa::ClampOp clamp = clampAfter(conv)) {
      std::optional<double> lo = boundOf(clamp.getMinValAttr()),
                            hi = boundOf(clamp.getMaxValAttr());
      if (lo && hi) {
        clip.lo = *lo;
        clip.hi = *hi;
      }
    }
    return clip;
  }
  tosa::RescaleOp rescale = requantizerOf(conv, filters);
  tosa::ClampOp clamp = rescale ? clampAfter(rescale) : tosa::ClampOp();
  // The importer puts the output's quantization on the last op of the
  // chain: the clamp when the activation narrows the int8 range.
  QuantAttr q = rescale ? getResultQuant(rescale) : QuantAttr();
  if (!q && clamp)
    q = getResultQuant(clamp);
  auto outType = rescale ? dyn_cast<RankedTensorType>(rescale.getType())
                         : RankedTensorType();
  if (!q || q.isPerChannel() || !outType ||
      !outType.getElementType().isInteger(8) || rescale.getOutputUnsigned())
    return clip;
  double scale = q.getScale()[0], zp = double(q.getZeroPoint()[0]);
  double lo = -128, hi = 127;
  if (clamp) {
    std::optional<double> cl = boundOf(clamp.getMinValAttr()),
                          ch = boundOf(clamp.getMaxValAttr());
    if (cl && ch) {
      lo = std::max(lo, *cl);
      hi = std::min(hi, *ch);
    }
  }
  clip.lo = scale * (lo - zp);
  clip.hi = scale * (hi - zp);
  return clip;
}

tosa::ConstOp pruning::replaceConstant(Operation *user, OpOperand &operand,
                                       tosa::ConstOp op,
                                       DenseElementsAttr values) {
  OpBuilder b(user);
  auto copy = cast<tosa::ConstOp>(b.clone(*op));
  copy.setValuesAttr(values);
  copy.getResult().setType(cast<TensorType>(values.getType()));
  operand.set(copy.getResult());
  if (op->use_empty())
    op->erase();
  return copy;
}

FailureOr<std::vector<double>> pruning::readFilters(const FilterStorage &st) {
  auto biasOp = st.bias->get().getDefiningOp<tosa::ConstOp>();
  if (!biasOp)
    return failure();
  std::vector<double> bias = constantValues(biasOp);
  if (bias.size() != 1 && int64_t(bias.size()) != st.filters)
    return failure();
  std::vector<double> w = constantValues(tosa::ConstOp(st.weightOp));
  return dequantizeFilters(
      st.filters, st.size,
      [&](int64_t o, int64_t k) { return w[st.index(o, k)]; }, bias,
      st.isFloat ? ArrayRef<float>() : st.weightScale, st.inScale);
}

/// The integers of a constant op.
template <typename T> static std::vector<T> integers(Value v) {
  std::vector<T> out;
  for (const APInt &i :
       cast<DenseElementsAttr>(v.getDefiningOp<tosa::ConstOp>().getValues())
           .getValues<APInt>())
    out.push_back(T(i.getSExtValue()));
  return out;
}

tosa::ConstOp pruning::writeFilters(const FilterStorage &st,
                                    ArrayRef<recon::FilterSolution> solutions,
                                    ArrayRef<std::vector<double>> inputMean) {
  MLIRContext *ctx = st.op->getContext();
  int64_t size = st.size, filters = st.filters;
  tosa::ConstOp oldWeights = st.weightOp;
  auto wType = cast<RankedTensorType>(oldWeights.getType());
  auto biasOp = st.bias->get().getDefiningOp<tosa::ConstOp>();
  auto biasElt = cast<RankedTensorType>(biasOp.getType()).getElementType();
  auto biasType = RankedTensorType::get({filters}, biasElt);

  if (st.isFloat) {
    std::vector<float> w(filters * size), bias(filters);
    for (int64_t o = 0; o < filters; ++o) {
      for (int64_t k = 0; k < size; ++k)
        w[st.index(o, k)] = float(solutions[o].weights[k]);
      bias[o] = float(solutions[o].weights[size]);
    }
    tosa::ConstOp weightOp =
        replaceConstant(st.op, *st.weight, oldWeights,
                        DenseElementsAttr::get(wType, ArrayRef(w)));
    replaceConstant(st.op, *st.bias, biasOp,
                    DenseElementsAttr::get(biasType, ArrayRef(bias)));
    return weightOp;
  }

  // int8: new symmetric per-channel scales where the requantization can
  // follow, else the old ones.
  tosa::RescaleOp rescale = requantizerOf(st.op, filters);
  std::vector<int32_t> mult;
  std::vector<int8_t> shift;
  if (rescale) {
    mult = integers<int32_t>(rescale.getMultiplier());
    shift = integers<int8_t>(rescale.getShift());
  }
  std::vector<std::vector<double>> real;
  real.reserve(filters);
  for (const recon::FilterSolution &s : solutions)
    real.push_back(s.weights);
  QuantizedFilters q = requantizeFilters(real, size, st.weightScale, st.inScale,
                                         inputMean, mult, shift);
  std::vector<int8_t> w(filters * size);
  for (int64_t o = 0; o < filters; ++o)
    for (int64_t k = 0; k < size; ++k)
      w[st.index(o, k)] = q.weights[o * size + k];

  tosa::ConstOp weightOp =
      replaceConstant(st.op, *st.weight, oldWeights,
                      DenseElementsAttr::get(wType, ArrayRef(w)));
  std::vector<int64_t> zeros(filters, 0);
  setResultQuant(weightOp, QuantAttr::get(ctx, q.weightScales, zeros, st.axis));
  auto newBias =
      replaceConstant(st.op, *st.bias, biasOp,
                      DenseElementsAttr::get(biasType, ArrayRef(q.bias)));
  setResultQuant(newBias, QuantAttr::get(ctx, q.biasScales, zeros, 0));
  if (rescale) {
    auto multOp = rescale.getMultiplier().getDefiningOp<tosa::ConstOp>();
    auto shiftOp = rescale.getShift().getDefiningOp<tosa::ConstOp>();
    auto multType = RankedTensorType::get({filters}, IntegerType::get(ctx, 32));
    auto shiftType = RankedTensorType::get({filters}, IntegerType::get(ctx, 8));
    replaceConstant(rescale, rescale.getMultiplierMutable(), multOp,
                    DenseElementsAttr::get(multType, ArrayRef(q.multiplier)));
    replaceConstant(rescale, rescale.getShiftMutable(), shiftOp,
                    DenseElementsAttr::get(shiftType, ArrayRef(q.shift)));
    rescale.setPerChannel(true);
  }
  return weightOp;
}
