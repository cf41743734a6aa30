//===- LayerView.cpp - What passes read of a layer ------------------------===//
//
// The readers of LayerView.h: constants through reshapes, an activation's
// quantization through the ops that only move it, and the view of a
// convolution layer.
//
//===----------------------------------------------------------------------===//

#include "tinyprune/Dialect/LayerView.h"

#include "mlir/Dialect/Tosa/IR/TosaOps.h"
#include "mlir/IR/Matchers.h"
#include "mlir/Interfaces/FunctionInterfaces.h"

using namespace mlir;
using namespace tinyprune;

DenseElementsAttr tinyprune::constantElements(Value v) {
  while (auto r = v.getDefiningOp<tosa::ReshapeOp>())
    v = r.getInput1();
  DenseElementsAttr attr;
  if (!matchPattern(v, m_Constant(&attr)))
    return {};
  return attr;
}

int64_t tinyprune::tensorBytes(Type type) {
  auto t = dyn_cast<RankedTensorType>(type);
  if (!t || !t.hasStaticShape())
    return 0;
  return t.getNumElements() *
         std::max<int64_t>(1, t.getElementTypeBitWidth() / 8);
}

std::optional<SmallVector<int64_t>> tinyprune::constantInts(Value v) {
  DenseElementsAttr attr = constantElements(v);
  if (!attr || !attr.getElementType().isInteger())
    return std::nullopt;
  SmallVector<int64_t> out;
  out.reserve(attr.getNumElements());
  for (const APInt &i : attr.getValues<APInt>())
    out.push_back(i.getSExtValue());
  return out;
}

std::optional<SmallVector<float>> tinyprune::constantFloats(Value v) {
  DenseElementsAttr attr = constantElements(v);
  if (!attr || !attr.getElementType().isF32())
    return std::nullopt;
  SmallVector<float> out;
  out.reserve(attr.getNumElements());
  for (float f : attr.getValues<float>())
    out.push_back(f);
  return out;
}

QuantAttr tinyprune::producerQuant(Value v) {
  while (true) {
    if (auto arg = dyn_cast<BlockArgument>(v)) {
      auto fn = dyn_cast<FunctionOpInterface>(arg.getOwner()->getParentOp());
      if (!fn || arg.getOwner() != &fn.getFunctionBody().front())
        return {};
      return fn.getArgAttrOfType<QuantAttr>(
          arg.getArgNumber(), TinyPruneDialect::getQuantAttrName());
    }
    Operation *def = v.getDefiningOp();
    if (QuantAttr q = getResultQuant(def))
      return q;
    if (!isa<tosa::ReshapeOp, tosa::SliceOp, tosa::PadOp, tosa::TransposeOp>(
            def))
      return {};
    v = def->getOperand(0);
  }
}

/// The quantization a constant operand states (through reshapes).
static QuantAttr constantQuant(Value v) {
  while (auto r = v.getDefiningOp<tosa::ReshapeOp>())
    v = r.getInput1();
  Operation *def = v.getDefiningOp();
  return def ? getResultQuant(def) : QuantAttr();
}

/// The one value of an integer constant (a zero point).
static std::optional<int64_t> constantScalar(Value v) {
  std::optional<SmallVector<int64_t>> ints = constantInts(v);
  if (!ints || ints->size() != 1)
    return std::nullopt;
  return (*ints)[0];
}

FailureOr<ConvLayerView> ConvLayerView::get(Operation *op) {
  ConvLayerView v;
  v.op = op;
  ArrayRef<int64_t> pad, stride, dilation;
  if (auto c = dyn_cast<Conv2DOp>(op)) {
    pad = c.getPad(), stride = c.getStride(), dilation = c.getDilation();
    v.inputQuant = c.getInputQuantAttr();
    v.weightQuant = c.getWeightQuantAttr();
    v.outputQuant = c.getOutputQuantAttr();
    v.filterlets = c.getFilterletsAttr();
  } else if (auto d = dyn_cast<DepthwiseConv2DOp>(op)) {
    v.depthwise = true;
    pad = d.getPad(), stride = d.getStride(), dilation = d.getDilation();
    v.inputQuant = d.getInputQuantAttr();
    v.weightQuant = d.getWeightQuantAttr();
    v.outputQuant = d.getOutputQuantAttr();
  } else if (auto c = dyn_cast<tosa::Conv2DOp>(op)) {
    pad = c.getPad(), stride = c.getStride(), dilation = c.getDilation();
    v.filterlets = op->getAttrOfType<FilterletsAttr>(
        TinyPruneDialect::getFilterletsAttrName());
  } else if (auto d = dyn_cast<tosa::DepthwiseConv2DOp>(op)) {
    v.depthwise = true;
    pad = d.getPad(), stride = d.getStride(), dilation = d.getDilation();
  } else {
    return failure();
  }
  v.input = op->getOperand(0);
  v.weights = op->getOperand(1);
  v.bias = op->getOperand(2);
  v.output = op->getResult(0);
  v.kernelInput = v.input;
  if (auto slice = v.input.getDefiningOp<tosa::SliceOp>())
    if (auto start = slice.getStart().getDefiningOp<tosa::ConstShapeOp>())
      if (llvm::all_of(start.getValues().getValues<APInt>(),
                       [](const APInt &i) { return i.isZero(); }))
        v.kernelInput = slice.getInput1();
  auto x = dyn_cast<RankedTensorType>(v.input.getType());
  auto w = dyn_cast<RankedTensorType>(v.weights.getType());
  auto y = dyn_cast<RankedTensorType>(v.output.getType());
  if (!x || !w || !y || !x.hasStaticShape() || !w.hasStaticShape() ||
      !y.hasStaticShape() || x.getRank() != 4 || w.getRank() != 4 ||
      y.getRank() != 4 || pad.size() != 4 || stride.size() != 2 ||
      dilation.size() != 2)
    return failure();
  v.batch = x.getDimSize(0), v.inH = x.getDimSize(1), v.inW = x.getDimSize(2);
  v.channels = x.getDimSize(3);
  v.outH = y.getDimSize(1), v.outW = y.getDimSize(2),
  v.filters = y.getDimSize(3);
  v.kernelH = w.getDimSize(v.depthwise ? 0 : 1);
  v.kernelW = w.getDimSize(v.depthwise ? 1 : 2);
  v.depthMultiplier = v.depthwise ? w.getDimSize(3) : 1;
  v.strideH = stride[0], v.strideW = stride[1];
  v.dilationH = dilation[0], v.dilationW = dilation[1];
  v.padTop = pad[0], v.padBottom = pad[1], v.padLeft = pad[2],
  v.padRight = pad[3];
  v.isFloat = isa<FloatType>(x.getElementType());
  if (v.isFloat)
    return v;
  if (isa<tosa::Conv2DOp, tosa::DepthwiseConv2DOp>(op)) {
    // The TOSA convolution states its input zero point as an operand and
    // its quantization through its producers.
    v.inputZeroPoint = constantScalar(op->getOperand(3));
    v.inputQuant = producerQuant(v.input);
    v.weightQuant = constantQuant(v.weights);
  } else {
    v.inputZeroPoint =
        v.inputQuant ? std::optional<int64_t>(v.inputQuant.getZeroPoint()[0])
                     : std::nullopt;
  }
  return v;
}

std::optional<SmallVector<int64_t>> ConvLayerView::biasInts() const {
  std::optional<SmallVector<int64_t>> b = constantInts(bias);
  if (b && b->size() == 1 && filters != 1)
    b->assign(filters, (*b)[0]);
  return b;
}

std::optional<SmallVector<float>> ConvLayerView::biasFloats() const {
  std::optional<SmallVector<float>> b = constantFloats(bias);
  if (b && b->size() == 1 && filters != 1)
    b->assign(filters, (*b)[0]);
  return b;
}

std::optional<float> ConvLayerView::inputScale() const {
  if (isFloat)
    return std::nullopt;
  if (inputQuant && !inputQuant.isPerChannel())
    return inputQuant.getScale()[0];
  QuantAttr bq = constantQuant(bias);
  QuantAttr wq = weightQuant ? weightQuant : constantQuant(weights);
  if (!bq || !wq || wq.getScaleAt(0) == 0.0f)
    return std::nullopt;
  return bq.getScaleAt(0) / wq.getScaleAt(0);
}
