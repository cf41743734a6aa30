//===- ChannelCompensation.cpp - Bias folding of removed channels ---------===//
//
// Data-free compensation of removed channels (ChannelGroups.h,
// foldRemovedChannels): a removed channel is taken to carry the constant
// its bias alone gives; the constant is followed through the group's
// depthwise layers and folded into the consumers' biases.
//
//===----------------------------------------------------------------------===//

#include "tinyprune/Transforms/Pruning/ChannelGroups.h"

#include "tinyprune/Dialect/LayerView.h"
#include "tinyprune/Dialect/TinyPrune.h"
#include "tinyprune/Transforms/Pruning/QuantizedWeights.h"

#include "mlir/Dialect/Tosa/IR/TosaOps.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/MapVector.h"
#include "llvm/ADT/STLExtras.h"

#include <algorithm>
#include <cmath>

using namespace mlir;
using namespace tinyprune;
using namespace tinyprune::pruning;

/// The real value of a layer's output given `acc`, its real accumulator
/// (bias included), after requantization and its activation's clamp.
static double activate(Operation *layer, double acc) {
  FailureOr<ConvLayerView> v = ConvLayerView::get(layer);
  if (failed(v))
    return acc;
  auto bound = [&](StringRef name) -> double {
    Attribute a = layer->getAttr(name);
    if (auto f = dyn_cast_or_null<FloatAttr>(a))
      return f.getValueAsDouble();
    if (auto i = dyn_cast_or_null<IntegerAttr>(a))
      return double(i.getInt());
    return 0;
  };
  double lo = bound("min_val"), hi = bound("max_val");
  if (!v->isFloat && v->outputQuant) {
    double scale = v->outputQuant.getScaleAt(0);
    double zp = double(v->outputQuant.getZeroPoint()[0]);
    acc = std::round(acc / scale) + zp;
    return (std::clamp(acc, lo, hi) - zp) * scale;
  }
  return std::clamp(acc, lo, hi);
}

std::optional<std::vector<double>>
pruning::realLayerWeights(Operation *op, int64_t outputAxis) {
  FailureOr<ConvLayerView> v = ConvLayerView::get(op);
  if (failed(v))
    return std::nullopt;
  std::vector<double> w;
  if (v->isFloat) {
    auto f = v->weightFloats();
    if (!f)
      return std::nullopt;
    w.assign(f->begin(), f->end());
    return w;
  }
  auto i = v->weightInts();
  if (!i || !v->weightQuant)
    return std::nullopt;
  auto type = cast<RankedTensorType>(v->weights.getType());
  int64_t inner = 1;
  for (int64_t d = outputAxis + 1; d < type.getRank(); ++d)
    inner *= type.getDimSize(d);
  int64_t n = type.getDimSize(outputAxis);
  for (auto [k, q] : llvm::enumerate(*i))
    w.push_back(double(q) * v->weightQuant.getScaleAt((k / inner) % n));
  return w;
}

int64_t pruning::foldRemovedChannels(func::FuncOp func,
                                     ArrayRef<ChannelGroup> groups,
                                     ArrayRef<std::vector<int64_t>> removed) {
  // A removed channel whose filter is small (the magnitude criterion's
  // choice) carries about what its bias alone gives, a constant; the
  // consumers lose that constant times their weights, which their bias can
  // take back. The constant is followed through depthwise layers (their
  // weights summed) and ops that keep it; padding is ignored. Groups of
  // several producers (residual adds) are left as they are.
  llvm::MapVector<Operation *, std::vector<double>> delta;
  for (auto [g, drop] : llvm::zip(groups, removed)) {
    if (drop.empty() || g.producers.size() != 1)
      continue;
    auto producer = cast<Conv2DOp>(g.producers[0].op);
    FailureOr<ConvLayerView> pv = ConvLayerView::get(producer);
    if (failed(pv))
      continue;
    std::optional<float> inScale = pv->inputScale();
    for (int64_t ch : drop) {
      double bias = 0;
      if (pv->isFloat) {
        auto b = pv->biasFloats();
        if (!b)
          continue;
        bias = (*b)[ch];
      } else {
        auto b = pv->biasInts();
        if (!b || !inScale || !pv->weightQuant)
          continue;
        bias = double((*b)[ch]) * *inScale * pv->weightQuant.getScaleAt(ch);
      }
      // The constant in every tensor of the group, in program order.
      llvm::DenseMap<Value, double> value;
      value[producer.getOutput()] = activate(producer, bias);
      for (Operation &op : func.getBody().front()) {
        if (op.getNumResults() != 1 || op.getNumOperands() == 0)
          continue;
        auto in = value.find(op.getOperand(0));
        if (in == value.end())
          continue;
        if (auto dw = dyn_cast<DepthwiseConv2DOp>(op)) {
          auto use = llvm::find_if(
              g.depthwise, [&](const ChannelUse &u) { return u.op == &op; });
          FailureOr<ConvLayerView> dv = ConvLayerView::get(dw);
          std::optional<std::vector<double>> w = realLayerWeights(dw, 2);
          if (use == g.depthwise.end() || failed(dv) || !w)
            continue;
          int64_t idx = use->site.indices(ch).front();
          int64_t channels = dv->channels, taps = dv->kernelH * dv->kernelW;
          double acc = 0;
          for (int64_t t = 0; t < taps; ++t)
            acc += (*w)[t * channels + idx] * in->second;
          double b = 0;
          if (dv->isFloat) {
            if (auto bf = dv->biasFloats())
              b = (*bf)[idx];
          } else if (auto bi = dv->biasInts(); bi && dv->inputScale()) {
            b = double((*bi)[idx]) * *dv->inputScale() *
                dv->weightQuant.getScaleAt(idx);
          }
          value[dw.getOutput()] = activate(dw, acc + b);
          continue;
        }
        if (isa<MaxPool2dOp, AvgPool2dOp, MeanOp, tosa::ReshapeOp,
                tosa::SliceOp, tosa::TransposeOp, tosa::PadOp>(op))
          value[op.getResult(0)] = in->second;
      }
      for (const ChannelUse &u : g.consumers) {
        auto found = value.find(u.site.value);
        if (found == value.end() || found->second == 0)
          continue;
        auto conv = cast<Conv2DOp>(u.op);
        FailureOr<ConvLayerView> cv = ConvLayerView::get(conv);
        std::optional<std::vector<double>> w = realLayerWeights(conv, 0);
        if (failed(cv) || !w)
          continue;
        int64_t filters = cv->filters, inC = cv->channels;
        int64_t taps = cv->kernelH * cv->kernelW;
        std::vector<double> &d = delta[conv];
        d.resize(filters, 0.0);
        for (int64_t o = 0; o < filters; ++o)
          for (int64_t t = 0; t < taps; ++t)
            for (int64_t i : u.site.indices(ch))
              d[o] += (*w)[(o * taps + t) * inC + i] * found->second;
      }
    }
  }
  int64_t changed = 0;
  for (auto &[op, d] : delta) {
    auto conv = cast<Conv2DOp>(op);
    FailureOr<ConvLayerView> cv = ConvLayerView::get(conv);
    auto biasOp = conv.getBias().getDefiningOp<tosa::ConstOp>();
    auto values = cast<DenseElementsAttr>(biasOp.getValues());
    DenseElementsAttr updated;
    if (cv->isFloat) {
      SmallVector<float> b(values.getValues<float>());
      for (auto [i, x] : llvm::enumerate(d))
        b[i] += float(x);
      updated = DenseElementsAttr::get(values.getType(), ArrayRef<float>(b));
    } else {
      std::optional<float> inScale = cv->inputScale();
      if (!inScale || !cv->weightQuant)
        continue;
      SmallVector<int32_t> b(values.getValues<int32_t>());
      for (auto [i, x] : llvm::enumerate(d)) {
        double q = std::round(double(b[i]) +
                              x / (*inScale * cv->weightQuant.getScaleAt(i)));
        b[i] = int32_t(std::clamp(q, -2147483648.0, 2147483647.0));
      }
      updated = DenseElementsAttr::get(values.getType(), ArrayRef<int32_t>(b));
    }
    replaceConstant(conv, conv.getBiasMutable(), biasOp, updated);
    ++changed;
  }
  return changed;
}
