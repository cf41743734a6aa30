//===- WriteBack.cpp - Trained weights into the IR ------------------------===//
//
// Quantizes trained weights the way the importer reads a TFLite file and
// replaces the constants and requantization attributes of the trained
// layer ops (WriteBack.h).
//
//===----------------------------------------------------------------------===//

#include "WriteBack.h"

#include "tinyprune/Dialect/TinyPrune.h"
#include "tinyprune/rt/quant_params.h"

#include "mlir/Dialect/Tosa/IR/TosaOps.h"
#include "mlir/IR/Builders.h"
#include "llvm/Support/FormatVariadic.h"

#include <algorithm>
#include <cmath>

using namespace mlir;
using namespace tinyprune;
using namespace tinyprune::training;

llvm::Expected<QuantizedConv>
training::quantizeTrained(llvm::ArrayRef<float> weights,
                          llvm::ArrayRef<float> bias, int64_t filters,
                          bool depthwise, llvm::ArrayRef<float> oldScales,
                          float inScale, float outScale) {
  int64_t size = int64_t(weights.size()) / filters;
  // OHWI: filter-major; depthwise [KH, KW, C, M]: the channel varies
  // fastest.
  auto index = [&](int64_t o, int64_t k) {
    return depthwise ? k * filters + o : o * size + k;
  };
  QuantizedConv out;
  out.weights.resize(weights.size());
  out.bias.resize(filters);
  out.weightScales.resize(filters);
  out.multiplier.resize(filters);
  out.shift.resize(filters);
  for (int64_t o = 0; o < filters; ++o) {
    float maxAbs = 0;
    for (int64_t k = 0; k < size; ++k)
      maxAbs = std::max(maxAbs, std::fabs(weights[index(o, k)]));
    // Symmetric per channel, in float32 as the fake quantization computes
    // it; an all-zero filter keeps its scale.
    float scale = maxAbs > 0 ? maxAbs / 127.0f : oldScales[o];
    out.weightScales[o] = scale;
    for (int64_t k = 0; k < size; ++k) {
      float q = std::round(weights[index(o, k)] / scale);
      out.weights[index(o, k)] = int8_t(std::clamp(q, -127.0f, 127.0f));
    }
    float biasScale = scale * inScale;
    double b = std::round(double(bias[o] / biasScale));
    out.bias[o] = int32_t(std::clamp(b, -2147483648.0, 2147483647.0));
    // TFLite's PopulateConvolutionQuantizationParams, in double.
    double effective = double(inScale) * double(scale) / double(outScale);
    rt::QuantizedMultiplier m = rt::quantizeMultiplier(effective);
    int s = rt::tosaShift(m);
    if (m.multiplier == 0) {
      s = 31; // The product is zero whatever the shift (as the importer).
    } else if (s < 2 || s > 62) {
      return llvm::createStringError(
          llvm::formatv("channel {0}: requantization scale {1:e} needs shift "
                        "{2}, outside TOSA's [2, 62]",
                        o, effective, s)
              .str());
    }
    out.multiplier[o] = m.multiplier;
    out.shift[o] = int8_t(s);
  }
  return out;
}

/// `values` as the constant of `op`'s operand `index`, a new `tosa.const`
/// before `op`; the old constant goes when nothing else uses it.
static void replaceConstant(Operation *op, unsigned index,
                            DenseElementsAttr values) {
  OpBuilder b(op);
  Value old = op->getOperand(index);
  auto c = tosa::ConstOp::create(b, old.getLoc(), values.getType(), values);
  op->setOperand(index, c);
  if (Operation *def = old.getDefiningOp(); def && def->use_empty())
    def->erase();
}

/// What one layer becomes, computed before anything changes.
struct Update {
  Operation *op;
  DenseElementsAttr weights, bias;
  QuantAttr weightQuant;
  DenseI32ArrayAttr multiplier;
  DenseI8ArrayAttr shift;
};

llvm::Error training::writeBack(llvm::ArrayRef<TrainedConv> layers) {
  std::vector<Update> updates;
  for (const TrainedConv &t : layers) {
    Operation *op = t.op;
    auto wType = cast<RankedTensorType>(op->getOperand(1).getType());
    auto bType = cast<RankedTensorType>(op->getOperand(2).getType());
    int64_t filters = t.bias.size();
    Update u{op, {}, {}, {}, {}, {}};
    if (isa<FloatType>(wType.getElementType())) {
      u.weights = DenseElementsAttr::get(wType, llvm::ArrayRef(t.weights));
      u.bias =
          bType.getNumElements() == filters
              ? DenseElementsAttr::get(bType, llvm::ArrayRef(t.bias))
              : DenseElementsAttr::get(
                    RankedTensorType::get({filters}, bType.getElementType()),
                    llvm::ArrayRef(t.bias));
      updates.push_back(u);
      continue;
    }
    auto inQ = op->getAttrOfType<QuantAttr>("input_quant");
    auto wQ = op->getAttrOfType<QuantAttr>("weight_quant");
    auto outQ = op->getAttrOfType<QuantAttr>("output_quant");
    std::vector<float> oldScales(filters);
    for (int64_t o = 0; o < filters; ++o)
      oldScales[o] = wQ.getScaleAt(o);
    llvm::Expected<QuantizedConv> q =
        quantizeTrained(t.weights, t.bias, filters, isa<DepthwiseConv2DOp>(op),
                        oldScales, inQ.getScaleAt(0), outQ.getScaleAt(0));
    if (!q) {
      std::string loc;
      llvm::raw_string_ostream os(loc);
      op->getLoc().print(os);
      return llvm::createStringError(
          llvm::formatv("'{0}' at {1}: {2}", op->getName().getStringRef(), loc,
                        llvm::toString(q.takeError()))
              .str());
    }
    u.weights = DenseElementsAttr::get(wType, llvm::ArrayRef(q->weights));
    u.bias = DenseElementsAttr::get(
        RankedTensorType::get({filters}, bType.getElementType()),
        llvm::ArrayRef(q->bias));
    u.weightQuant =
        QuantAttr::get(op->getContext(), q->weightScales,
                       std::vector<int64_t>(filters, 0), wQ.getAxis());
    u.multiplier = DenseI32ArrayAttr::get(op->getContext(), q->multiplier);
    u.shift = DenseI8ArrayAttr::get(op->getContext(), q->shift);
    updates.push_back(u);
  }
  for (Update &u : updates) {
    replaceConstant(u.op, 1, u.weights);
    replaceConstant(u.op, 2, u.bias);
    if (u.weightQuant) {
      u.op->setAttr("weight_quant", u.weightQuant);
      u.op->setAttr("multiplier", u.multiplier);
      u.op->setAttr("shift", u.shift);
    }
  }
  return llvm::Error::success();
}
