//===- AuxiliaryHead.cpp - The head that replaces a cut network -----------===//
//
// Builds, initialises and reads back the auxiliary head of depth pruning
// (AuxiliaryHead.h). int8 heads are quantized as the importer reads a
// TFLite file: weights symmetric per output channel in [-127, 127], biases
// int32 at input scale x weight scale, requantization by TFLite's
// QuantizeMultiplier in TOSA's multiplier/shift form.
//
//===----------------------------------------------------------------------===//

#include "tinyprune/Transforms/Pruning/AuxiliaryHead.h"

#include "tinyprune/Dialect/LayerView.h"
#include "tinyprune/rt/quant_params.h"

#include "mlir/Dialect/Tosa/IR/TosaOps.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FormatVariadic.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <random>

using namespace mlir;
using namespace tinyprune;
using namespace tinyprune::pruning;

std::string HeadSpec::describe() const {
  if (widths.empty())
    return "dense";
  std::string s;
  for (int64_t w : widths)
    s += (s.empty() ? "" : ",") + std::to_string(w);
  return s;
}

llvm::Expected<HeadSpec> pruning::parseHeadSpec(StringRef text) {
  HeadSpec spec;
  text = text.trim();
  if (text.empty()) {
    spec.widths = {32, 16};
    return spec;
  }
  if (text == "dense")
    return spec;
  SmallVector<StringRef> parts;
  text.split(parts, ',');
  for (StringRef p : parts) {
    int64_t w = 0;
    if (p.trim().getAsInteger(10, w) || w < 1 || w > 4096)
      return llvm::createStringError(
          llvm::formatv("head must be 'dense' or comma-separated widths in "
                        "[1, 4096], got '{0}'",
                        text)
              .str());
    spec.widths.push_back(w);
  }
  return spec;
}

HeadWeights pruning::initHead(const HeadSpec &spec, int64_t channels,
                              int64_t classes, uint64_t seed) {
  std::mt19937_64 rng(seed);
  HeadWeights h;
  auto add = [&](HeadLayer::Kind kind, int64_t in, int64_t out) {
    HeadLayer l;
    l.kind = kind;
    l.in = in;
    l.out = out;
    int64_t fanIn = kind == HeadLayer::Depthwise ? 9 : in;
    int64_t count = kind == HeadLayer::Depthwise ? 9 * in : in * out;
    double limit = std::sqrt(6.0 / double(fanIn));
    std::uniform_real_distribution<double> u(-limit, limit);
    for (int64_t i = 0; i < count; ++i)
      l.weights.push_back(float(u(rng)));
    l.bias.assign(out, 0.0f);
    h.layers.push_back(std::move(l));
  };
  int64_t c = channels;
  for (int64_t w : spec.widths) {
    add(HeadLayer::Depthwise, c, c);
    add(HeadLayer::Pointwise, c, w);
    c = w;
  }
  add(HeadLayer::Dense, c, classes);
  return h;
}

QuantAttr pruning::rangeQuant(MLIRContext *ctx, double lo, double hi) {
  lo = std::min(lo, 0.0);
  hi = std::max(hi, 0.0);
  if (hi - lo < 1e-8)
    hi = lo + 1e-8;
  double scale = (hi - lo) / 255.0;
  int64_t zp = int64_t(std::llround(-128.0 - lo / scale));
  zp = std::clamp<int64_t>(zp, -128, 127);
  return QuantAttr::get(ctx, {float(scale)}, {zp}, -1);
}

/// A name for the head's ops, so reports and generated code name them.
static Location headLoc(OpBuilder &b, const Twine &name) {
  return NameLoc::get(b.getStringAttr("head/" + name.str()));
}

static Value reshape(OpBuilder &b, Location loc, Value v,
                     ArrayRef<int64_t> shape, QuantAttr quant) {
  auto type = cast<RankedTensorType>(v.getType());
  auto shapeAttr = DenseIntElementsAttr::get(
      RankedTensorType::get({int64_t(shape.size())}, b.getIndexType()), shape);
  Value shapeV = tosa::ConstShapeOp::create(
      b, loc, tosa::shapeType::get(b.getContext(), shape.size()), shapeAttr);
  auto r = tosa::ReshapeOp::create(
      b, loc, RankedTensorType::get(shape, type.getElementType()), v, shapeV);
  if (quant)
    r->setAttr("tinyprune.quant", quant);
  return r;
}

template <typename T>
static Value constant(OpBuilder &b, Location loc, ArrayRef<int64_t> shape,
                      Type elt, ArrayRef<T> values) {
  auto type = RankedTensorType::get(shape, elt);
  return tosa::ConstOp::create(b, loc, type,
                               DenseElementsAttr::get(type, values));
}

/// One convolution layer of the head on `x`, with ReLU unless `linear`.
static llvm::Expected<Value> buildLayer(OpBuilder &b, Location loc, Value x,
                                        const HeadLayer &l, QuantAttr inQ,
                                        QuantAttr outQ, bool linear) {
  MLIRContext *ctx = b.getContext();
  auto xType = cast<RankedTensorType>(x.getType());
  bool dw = l.kind == HeadLayer::Depthwise;
  int64_t h = xType.getDimSize(1), w = xType.getDimSize(2);
  SmallVector<int64_t> wShape = dw ? SmallVector<int64_t>{3, 3, l.in, 1}
                                   : SmallVector<int64_t>{l.out, 1, 1, l.in};
  auto outType =
      RankedTensorType::get({1, h, w, l.out}, xType.getElementType());
  int64_t p = dw ? 1 : 0;
  SmallVector<NamedAttribute> attrs = {
      b.getNamedAttr("pad", b.getDenseI64ArrayAttr({p, p, p, p})),
      b.getNamedAttr("stride", b.getDenseI64ArrayAttr({1, 1})),
      b.getNamedAttr("dilation", b.getDenseI64ArrayAttr({1, 1}))};
  Value weights, bias;
  if (!outQ) {
    float inf = std::numeric_limits<float>::infinity();
    attrs.push_back(
        b.getNamedAttr("min_val", b.getF32FloatAttr(linear ? -inf : 0.0f)));
    attrs.push_back(b.getNamedAttr("max_val", b.getF32FloatAttr(inf)));
    weights = constant<float>(b, loc, wShape, b.getF32Type(), l.weights);
    bias = constant<float>(b, loc, {l.out}, b.getF32Type(), l.bias);
  } else {
    int64_t filters = l.out, size = int64_t(l.weights.size()) / filters;
    auto index = [&](int64_t o, int64_t k) {
      return dw ? k * filters + o : o * size + k;
    };
    float inScale = inQ.getScaleAt(0), outScale = outQ.getScaleAt(0);
    std::vector<int8_t> qw(l.weights.size());
    std::vector<int32_t> qb(filters), mult(filters);
    std::vector<int8_t> shift(filters);
    std::vector<float> scales(filters);
    for (int64_t o = 0; o < filters; ++o) {
      float maxAbs = 0;
      for (int64_t k = 0; k < size; ++k)
        maxAbs = std::max(maxAbs, std::fabs(l.weights[index(o, k)]));
      float scale = maxAbs > 0 ? maxAbs / 127.0f : 1.0f / 127.0f;
      scales[o] = scale;
      for (int64_t k = 0; k < size; ++k)
        qw[index(o, k)] = int8_t(std::clamp(
            std::round(l.weights[index(o, k)] / scale), -127.0f, 127.0f));
      double bq = std::round(double(l.bias[o] / (scale * inScale)));
      qb[o] = int32_t(std::clamp(bq, -2147483648.0, 2147483647.0));
      double effective = double(inScale) * double(scale) / double(outScale);
      rt::QuantizedMultiplier m = rt::quantizeMultiplier(effective);
      int s = m.multiplier == 0 ? 31 : rt::tosaShift(m);
      if (s < 2 || s > 62)
        return llvm::createStringError(
            llvm::formatv("head layer {0} channel {1}: requantization scale "
                          "{2:e} needs shift {3}, outside TOSA's [2, 62]",
                          cast<NameLoc>(loc).getName().str(), o, effective, s)
                .str());
      mult[o] = m.multiplier;
      shift[o] = int8_t(s);
    }
    int64_t zp = outQ.getZeroPointAt(0);
    int64_t lo = linear ? -128 : std::clamp<int64_t>(zp, -128, 127);
    attrs.push_back(
        b.getNamedAttr("min_val", b.getIntegerAttr(b.getI8Type(), lo)));
    attrs.push_back(
        b.getNamedAttr("max_val", b.getIntegerAttr(b.getI8Type(), 127)));
    attrs.push_back(b.getNamedAttr("input_quant", inQ));
    attrs.push_back(b.getNamedAttr(
        "weight_quant",
        QuantAttr::get(ctx, scales, std::vector<int64_t>(filters, 0),
                       dw ? 3 : 0)));
    attrs.push_back(b.getNamedAttr("output_quant", outQ));
    attrs.push_back(b.getNamedAttr("multiplier", b.getDenseI32ArrayAttr(mult)));
    attrs.push_back(b.getNamedAttr("shift", b.getDenseI8ArrayAttr(shift)));
    weights = constant<int8_t>(b, loc, wShape, b.getI8Type(), qw);
    bias = constant<int32_t>(b, loc, {filters}, b.getI32Type(), qb);
  }
  SmallVector<Value> operands = {x, weights, bias};
  if (dw)
    return DepthwiseConv2DOp::create(b, loc, TypeRange{outType}, operands,
                                     attrs)
        .getResult();
  return Conv2DOp::create(b, loc, TypeRange{outType}, operands, attrs)
      .getResult();
}

llvm::Expected<Value> pruning::buildHead(OpBuilder &b, Value features,
                                         const HeadWeights &weights,
                                         const HeadQuant *quant) {
  MLIRContext *ctx = b.getContext();
  Value x = features;
  QuantAttr q = quant ? quant->input : QuantAttr();
  size_t dwIndex = 0, pwIndex = 0;
  for (auto [li, l] : llvm::enumerate(weights.layers)) {
    QuantAttr outQ = quant ? quant->outputs[li] : QuantAttr();
    if (l.kind == HeadLayer::Dense) {
      // Global average pool, then the fully-connected layer as the
      // importer writes it: a 1x1 convolution between reshapes.
      auto t = cast<RankedTensorType>(x.getType());
      int64_t h = t.getDimSize(1), w = t.getDimSize(2), c = t.getDimSize(3);
      Location poolLoc = headLoc(b, "pool");
      auto pooledType = RankedTensorType::get({1, 1, 1, c}, t.getElementType());
      Value pooled;
      if (quant) {
        pooled = AvgPool2dOp::create(
            b, poolLoc, pooledType, x, b.getDenseI64ArrayAttr({h, w}),
            b.getDenseI64ArrayAttr({1, 1}),
            b.getDenseI64ArrayAttr({0, 0, 0, 0}), b.getI64IntegerAttr(-128),
            b.getI64IntegerAttr(127), q);
      } else {
        Value zp = constant<float>(b, poolLoc, {1}, b.getF32Type(), {0.0f});
        pooled = tosa::AvgPool2dOp::create(
            b, poolLoc, pooledType, x, zp, zp, SmallVector<int64_t>{h, w},
            SmallVector<int64_t>{1, 1}, SmallVector<int64_t>{0, 0, 0, 0},
            b.getF32Type());
      }
      Location fcLoc = headLoc(b, "logits");
      Value flat = reshape(b, poolLoc, pooled, {1, c}, q);
      Value in4 = reshape(b, fcLoc, flat, {1, 1, 1, c}, QuantAttr());
      llvm::Expected<Value> y =
          buildLayer(b, fcLoc, in4, l, q, outQ, /*linear=*/true);
      if (!y)
        return y.takeError();
      return reshape(b, fcLoc, *y, {1, l.out}, outQ);
    }
    std::string name = l.kind == HeadLayer::Depthwise
                           ? "dw" + std::to_string(dwIndex++)
                           : "pw" + std::to_string(pwIndex++);
    llvm::Expected<Value> y =
        buildLayer(b, headLoc(b, name), x, l, q, outQ, /*linear=*/false);
    if (!y)
      return y.takeError();
    x = *y;
    q = outQ;
  }
  (void)ctx;
  return llvm::createStringError("a head needs a fully-connected layer");
}

std::vector<Value> pruning::headLayerOutputs(func::FuncOp func) {
  std::vector<Value> out;
  func.walk([&](Operation *op) {
    if (isa<Conv2DOp, DepthwiseConv2DOp>(op))
      out.push_back(op->getResult(0));
  });
  return out;
}

llvm::Expected<HeadWeights> pruning::readHead(func::FuncOp func,
                                              const HeadWeights &like) {
  HeadWeights h = like;
  std::vector<Operation *> convs;
  func.walk([&](Operation *op) {
    if (isa<Conv2DOp, DepthwiseConv2DOp>(op))
      convs.push_back(op);
  });
  if (convs.size() != h.layers.size())
    return llvm::createStringError("the trained head has lost a layer");
  for (auto [l, op] : llvm::zip(h.layers, convs)) {
    FailureOr<ConvLayerView> v = ConvLayerView::get(op);
    if (failed(v))
      return llvm::createStringError("the trained head has a bad layer");
    if (v->isFloat) {
      auto w = v->weightFloats();
      auto b = v->biasFloats();
      if (!w || !b)
        return llvm::createStringError("head weights are not constant");
      l.weights.assign(w->begin(), w->end());
      l.bias.assign(b->begin(), b->end());
      continue;
    }
    auto w = v->weightInts();
    auto b = v->biasInts();
    std::optional<float> inScale = v->inputScale();
    if (!w || !b || !inScale || !v->weightQuant)
      return llvm::createStringError("head weights are not constant");
    bool dw = l.kind == HeadLayer::Depthwise;
    int64_t filters = l.out, size = int64_t(w->size()) / filters;
    for (int64_t o = 0; o < filters; ++o) {
      float s = v->weightQuant.getScaleAt(o);
      for (int64_t k = 0; k < size; ++k) {
        int64_t i = dw ? k * filters + o : o * size + k;
        l.weights[i] = float((*w)[i]) * s;
      }
      l.bias[o] = float((*b)[o]) * s * *inScale;
    }
  }
  return h;
}
