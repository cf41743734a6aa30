//===- TinyPruneLayers.cpp - tinyprune layer op verifiers -----------------===//
//
// Verifiers of the layer ops (TinyPruneLayers.td). A layer op is one runtime
// kernel call, so its verifier checks everything the kernel assumes: shapes
// that agree with the window arithmetic, quantization and requantization
// constants present exactly on integer layers and of the right sizes, and a
// clamp range in the output's element type.
//
//===----------------------------------------------------------------------===//

#include "tinyprune/Dialect/TinyPrune.h"

#include "PoolWindow.h"

#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/Matchers.h"

using namespace mlir;
using namespace tinyprune;

/// `t` as IR text without the quotes a diagnostic puts around types.
static std::string typeStr(Type t) {
  std::string s;
  llvm::raw_string_ostream(s) << t;
  return s;
}

/// Checks `[min_val, max_val]` against the output element type `elt`.
static LogicalResult verifyClamp(Operation *op, Attribute minAttr,
                                 Attribute maxAttr, Type elt) {
  if (isa<FloatType>(elt)) {
    auto lo = dyn_cast<FloatAttr>(minAttr), hi = dyn_cast<FloatAttr>(maxAttr);
    if (!lo || !hi || !lo.getType().isF32() || !hi.getType().isF32())
      return op->emitOpError() << "float layers need f32 'min_val'/'max_val'";
    if (!(lo.getValueAsDouble() <= hi.getValueAsDouble()))
      return op->emitOpError() << "clamp range is empty";
    return success();
  }
  auto lo = dyn_cast<IntegerAttr>(minAttr), hi = dyn_cast<IntegerAttr>(maxAttr);
  if (!lo || !hi || lo.getType() != elt || hi.getType() != elt)
    return op->emitOpError() << "integer layers need 'min_val'/'max_val' of "
                             << "type " << typeStr(elt);
  if (lo.getInt() > hi.getInt())
    return op->emitOpError() << "clamp range [" << lo.getInt() << ", "
                             << hi.getInt() << "] is empty";
  return success();
}

/// Integer layers need every attribute in `required`; float layers none of
/// them. `names` gives each one's name for the message.
static LogicalResult verifyPresence(Operation *op, bool quantized,
                                    ArrayRef<Attribute> attrs,
                                    ArrayRef<StringRef> names) {
  for (auto [attr, attrName] : llvm::zip(attrs, names)) {
    if (quantized && !attr)
      return op->emitOpError() << "integer layers need '" << attrName << "'";
    if (!quantized && attr)
      return op->emitOpError() << "float layers take no '" << attrName << "'";
  }
  return success();
}

/// A requantization shift is a right shift TOSA's 32-bit rescale accepts.
static LogicalResult verifyShift(Operation *op, int64_t shift) {
  if (shift < 2 || shift > 62)
    return op->emitOpError()
           << "requantization shift " << shift << " is outside [2, 62]";
  return success();
}

static LogicalResult verifyPerTensor(Operation *op, QuantAttr q,
                                     StringRef what) {
  if (q && q.isPerChannel())
    return op->emitOpError() << "'" << what << "' must be per-tensor";
  return success();
}

/// Shared by conv2d and depthwise_conv2d. `kh`, `kw` are the kernel size,
/// `channels` the number of output channels the weights give.
template <typename ConvOp>
static LogicalResult verifyConv(ConvOp op, int64_t kh, int64_t kw,
                                int64_t channels, int64_t inChannels) {
  auto inType = op.getInput().getType();
  auto outType = op.getOutput().getType();
  auto biasType = op.getBias().getType();
  if (inType.getRank() != 4 || outType.getRank() != 4 ||
      op.getWeights().getType().getRank() != 4)
    return op.emitOpError() << "needs rank-4 input, weights and output";
  Type elt = inType.getElementType();
  if (op.getWeights().getType().getElementType() != elt ||
      outType.getElementType() != elt)
    return op.emitOpError() << "input, weights and output element types "
                               "must agree";
  bool quantized = !isa<FloatType>(elt);
  Type biasElt = quantized ? Type(IntegerType::get(op.getContext(), 32))
                           : Type(Float32Type::get(op.getContext()));
  if (biasType.getRank() != 1 || biasType.getElementType() != biasElt ||
      (biasType.getDimSize(0) != channels && biasType.getDimSize(0) != 1))
    return op.emitOpError()
           << "bias must be "
           << typeStr(RankedTensorType::get({channels}, biasElt))
           << " (or one element)";
  ArrayRef<int64_t> pad = op.getPad(), stride = op.getStride(),
                    dilation = op.getDilation();
  if (pad.size() != 4 || stride.size() != 2 || dilation.size() != 2)
    return op.emitOpError()
           << "needs 4 pads [t, b, l, r], 2 strides and 2 dilations";
  if (llvm::any_of(pad, [](int64_t v) { return v < 0; }) || stride[0] < 1 ||
      stride[1] < 1 || dilation[0] < 1 || dilation[1] < 1)
    return op.emitOpError() << "pads must be >= 0, strides and dilations >= 1";
  if (inType.getDimSize(3) != inChannels)
    return op.emitOpError() << "input has " << inType.getDimSize(3)
                            << " channels, the weights expect " << inChannels;
  int64_t oh = windowedSize(inType.getDimSize(1), pad[0], pad[1],
                            (kh - 1) * dilation[0] + 1, stride[0]);
  int64_t ow = windowedSize(inType.getDimSize(2), pad[2], pad[3],
                            (kw - 1) * dilation[1] + 1, stride[1]);
  if (outType.getDimSize(0) != inType.getDimSize(0) ||
      outType.getDimSize(1) != oh || outType.getDimSize(2) != ow ||
      outType.getDimSize(3) != channels)
    return op.emitOpError()
           << "output shape must be [" << inType.getDimSize(0) << ", " << oh
           << ", " << ow << ", " << channels << "]";
  if (failed(verifyClamp(op, op.getMinValAttr(), op.getMaxValAttr(), elt)))
    return failure();
  if (failed(verifyPresence(op, quantized,
                            {op.getInputQuantAttr(), op.getWeightQuantAttr(),
                             op.getOutputQuantAttr(), op.getMultiplierAttr(),
                             op.getShiftAttr()},
                            {"input_quant", "weight_quant", "output_quant",
                             "multiplier", "shift"})))
    return failure();
  if (!quantized)
    return success();
  if (failed(verifyPerTensor(op, op.getInputQuantAttr(), "input_quant")) ||
      failed(verifyPerTensor(op, op.getOutputQuantAttr(), "output_quant")))
    return failure();
  QuantAttr wq = op.getWeightQuantAttr();
  if (wq.isPerChannel() && (int64_t)wq.getScale().size() != channels)
    return op.emitOpError() << "'weight_quant' has " << wq.getScale().size()
                            << " scales for " << channels << " channels";
  ArrayRef<int32_t> mult = *op.getMultiplier();
  ArrayRef<int8_t> shift = *op.getShift();
  if (mult.size() != shift.size() ||
      (mult.size() != 1 && (int64_t)mult.size() != channels))
    return op.emitOpError() << "needs one multiplier and shift, or one per "
                               "output channel ("
                            << channels << ")";
  for (int8_t s : shift)
    if (failed(verifyShift(op, s)))
      return failure();
  return success();
}

LogicalResult Conv2DOp::verify() {
  auto wType = getWeights().getType();
  if (wType.getRank() != 4)
    return emitOpError() << "weights must be OHWI";
  if (failed(verifyConv(*this, wType.getDimSize(1), wType.getDimSize(2),
                        wType.getDimSize(0), wType.getDimSize(3))))
    return failure();
  if (FilterletsAttr filterlets = getFilterletsAttr()) {
    DenseElementsAttr weights;
    matchPattern(getWeights(), m_Constant(&weights));
    return filterlets.verifyFor(wType, weights, [&] { return emitOpError(); });
  }
  return success();
}

LogicalResult DepthwiseConv2DOp::verify() {
  auto wType = getWeights().getType();
  if (wType.getRank() != 4)
    return emitOpError() << "weights must be [KH, KW, C, M]";
  return verifyConv(*this, wType.getDimSize(0), wType.getDimSize(1),
                    wType.getDimSize(2) * wType.getDimSize(3),
                    wType.getDimSize(2));
}

/// Shared by the element-wise layers: operand and result element types agree
/// and the clamp and quantization fit them.
template <typename BinaryOp>
static LogicalResult verifyBinary(BinaryOp op, ArrayRef<Attribute> intAttrs,
                                  ArrayRef<StringRef> intNames) {
  Type elt = op.getOutput().getType().getElementType();
  if (op.getLhs().getType().getElementType() != elt ||
      op.getRhs().getType().getElementType() != elt)
    return op.emitOpError() << "operand and result element types must agree";
  if (failed(verifyClamp(op, op.getMinValAttr(), op.getMaxValAttr(), elt)))
    return failure();
  bool quantized = !isa<FloatType>(elt);
  if (failed(verifyPresence(op, quantized, intAttrs, intNames)))
    return failure();
  if (!quantized)
    return success();
  if (failed(verifyPerTensor(op, op.getLhsQuantAttr(), "lhs_quant")) ||
      failed(verifyPerTensor(op, op.getRhsQuantAttr(), "rhs_quant")) ||
      failed(verifyPerTensor(op, op.getOutputQuantAttr(), "output_quant")))
    return failure();
  return verifyShift(op, *op.getOutputShift());
}

template <typename AddSubOp> static LogicalResult verifyAddSub(AddSubOp op) {
  if (failed(
          verifyBinary(op,
                       {op.getLhsQuantAttr(), op.getRhsQuantAttr(),
                        op.getOutputQuantAttr(), op.getLeftShiftAttr(),
                        op.getLhsMultiplierAttr(), op.getLhsShiftAttr(),
                        op.getRhsMultiplierAttr(), op.getRhsShiftAttr(),
                        op.getOutputMultiplierAttr(), op.getOutputShiftAttr()},
                       {"lhs_quant", "rhs_quant", "output_quant", "left_shift",
                        "lhs_multiplier", "lhs_shift", "rhs_multiplier",
                        "rhs_shift", "output_multiplier", "output_shift"})))
    return failure();
  if (!op.getLeftShift())
    return success();
  // As a TOSA rescale, `<< left_shift` is multiplier 2^30 with right shift
  // 30 - left_shift, which must be at least 2.
  if (*op.getLeftShift() < 0 || *op.getLeftShift() > 28)
    return op.emitOpError() << "left_shift must be in [0, 28]";
  if (failed(verifyShift(op, *op.getLhsShift())) ||
      failed(verifyShift(op, *op.getRhsShift())))
    return failure();
  return success();
}

LogicalResult AddOp::verify() { return verifyAddSub(*this); }
LogicalResult SubOp::verify() { return verifyAddSub(*this); }

LogicalResult MulOp::verify() {
  return verifyBinary(*this,
                      {getLhsQuantAttr(), getRhsQuantAttr(),
                       getOutputQuantAttr(), getOutputMultiplierAttr(),
                       getOutputShiftAttr()},
                      {"lhs_quant", "rhs_quant", "output_quant",
                       "output_multiplier", "output_shift"});
}

LogicalResult MaxPool2dOp::verify() {
  auto inType = getInput().getType();
  auto outType = getOutput().getType();
  if (inType.getRank() != 4 || outType.getRank() != 4)
    return emitOpError() << "needs rank-4 NHWC tensors";
  Type elt = inType.getElementType();
  if (outType.getElementType() != elt)
    return emitOpError() << "input and output element types differ";
  ArrayRef<int64_t> k = getKernel(), s = getStride(), p = getPad();
  if (failed(verifyPoolWindow(*this, inType, outType, k, s, p)))
    return failure();
  if (failed(verifyClamp(*this, getMinValAttr(), getMaxValAttr(), elt)))
    return failure();
  bool quantized = !isa<FloatType>(elt);
  if (failed(verifyPresence(*this, quantized, {getQuantAttr()}, {"quant"})))
    return failure();
  return verifyPerTensor(*this, getQuantAttr(), "quant");
}

LogicalResult RequantizeOp::verify() {
  if (failed(verifyClamp(*this, getMinValAttr(), getMaxValAttr(),
                         getOutput().getType().getElementType())))
    return failure();
  if (failed(verifyPerTensor(*this, getInputQuant(), "input_quant")) ||
      failed(verifyPerTensor(*this, getOutputQuant(), "output_quant")))
    return failure();
  return verifyShift(*this, getShift());
}
