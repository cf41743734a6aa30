//===- QuantizedWeights.cpp - Reading and writing layer weights -----------===//
//
// Reads the filters of convolution layer ops as real values and writes
// re-solved ones back into the constants, the bias and the layer's
// quantization and requantization (QuantizedWeights.h).
//
//===----------------------------------------------------------------------===//

#include "tinyprune/Transforms/Pruning/QuantizedWeights.h"

#include "tinyprune/Dialect/LayerView.h"
#include "tinyprune/Dialect/TinyPrune.h"
#include "tinyprune/Transforms/Pruning/Requantize.h"

#include "mlir/IR/Builders.h"

#include <algorithm>
#include <optional>

using namespace mlir;
using namespace tinyprune;
using namespace tinyprune::pruning;

/// The elements of constant `v` as doubles (LayerView.h's readers).
static std::optional<std::vector<double>> realValues(Value v) {
  if (std::optional<SmallVector<int64_t>> ints = constantInts(v))
    return std::vector<double>(ints->begin(), ints->end());
  if (std::optional<SmallVector<float>> floats = constantFloats(v))
    return std::vector<double>(floats->begin(), floats->end());
  return std::nullopt;
}

/// A clamp bound as a double, if it is a number.
static std::optional<double> boundOf(Attribute a) {
  if (auto f = dyn_cast_or_null<FloatAttr>(a))
    return f.getValueAsDouble();
  if (auto i = dyn_cast_or_null<IntegerAttr>(a))
    return double(i.getValue().getSExtValue());
  return std::nullopt;
}

/// The fused activation's bounds of a convolution layer op.
static std::pair<Attribute, Attribute> activationBounds(Operation *op) {
  if (auto c = dyn_cast<Conv2DOp>(op))
    return {c.getMinValAttr(), c.getMaxValAttr()};
  if (auto d = dyn_cast<DepthwiseConv2DOp>(op))
    return {d.getMinValAttr(), d.getMaxValAttr()};
  return {};
}

recon::Clip pruning::activationClip(Operation *layer) {
  recon::Clip clip;
  FailureOr<ConvLayerView> v = ConvLayerView::get(layer);
  if (failed(v) || isa<tosa::Conv2DOp, tosa::DepthwiseConv2DOp>(layer))
    return clip;
  auto [minVal, maxVal] = activationBounds(layer);
  std::optional<double> lo = boundOf(minVal), hi = boundOf(maxVal);
  if (v->isFloat) {
    if (lo && hi) {
      clip.lo = *lo;
      clip.hi = *hi;
    }
    return clip;
  }
  QuantAttr q = v->outputQuant;
  if (!q || q.isPerChannel())
    return clip;
  double scale = q.getScale()[0], zp = double(q.getZeroPoint()[0]);
  double qlo = -128, qhi = 127;
  if (lo && hi) {
    qlo = std::max(qlo, *lo);
    qhi = std::min(qhi, *hi);
  }
  clip.lo = scale * (qlo - zp);
  clip.hi = scale * (qhi - zp);
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
  std::optional<std::vector<double>> bias = realValues(biasOp);
  if (!bias || (bias->size() != 1 && int64_t(bias->size()) != st.filters))
    return failure();
  std::optional<std::vector<double>> w = realValues(st.weight->get());
  if (!w)
    return failure();
  return dequantizeFilters(
      st.filters, st.size,
      [&](int64_t o, int64_t k) { return (*w)[st.index(o, k)]; }, *bias,
      st.isFloat ? ArrayRef<float>() : st.weightScale, st.inScale);
}

/// The requantization of a convolution layer op: its `multiplier` and
/// `shift`, null when it has none.
static std::pair<DenseI32ArrayAttr, DenseI8ArrayAttr>
requantization(Operation *op) {
  if (auto c = dyn_cast<Conv2DOp>(op))
    return {c.getMultiplierAttr(), c.getShiftAttr()};
  if (auto d = dyn_cast<DepthwiseConv2DOp>(op))
    return {d.getMultiplierAttr(), d.getShiftAttr()};
  return {};
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
  auto [multAttr, shiftAttr] = requantization(st.op);
  std::vector<int32_t> mult;
  std::vector<int8_t> shift;
  if (multAttr && shiftAttr) {
    mult.assign(multAttr.asArrayRef().begin(), multAttr.asArrayRef().end());
    shift.assign(shiftAttr.asArrayRef().begin(), shiftAttr.asArrayRef().end());
  }
  std::vector<std::vector<double>> real;
  real.reserve(filters);
  for (const recon::FilterSolution &s : solutions)
    real.push_back(s.weights);
  double outScale = 0;
  if (auto outQ = st.op->getAttrOfType<QuantAttr>("output_quant"))
    outScale = outQ.getScale()[0];
  QuantizedFilters q = requantizeFilters(real, size, st.weightScale, st.inScale,
                                         inputMean, mult, shift, outScale);
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
  // The layer states its weights' quantization and requantization itself.
  st.op->setAttr("weight_quant",
                 QuantAttr::get(ctx, q.weightScales, zeros, st.layerAxis));
  if (multAttr && shiftAttr) {
    st.op->setAttr("multiplier", DenseI32ArrayAttr::get(ctx, q.multiplier));
    st.op->setAttr("shift", DenseI8ArrayAttr::get(ctx, q.shift));
  }
  return weightOp;
}
