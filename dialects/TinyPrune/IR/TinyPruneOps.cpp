//===- TinyPruneOps.cpp - tinyprune operations ----------------------------===//
//
// Verifiers of the tinyprune operations. They enforce the invariants the
// runtime kernels rely on, so that a bad module fails here rather than
// computing garbage later.
//
//===----------------------------------------------------------------------===//

#include "tinyprune/Dialect/LstmQuant.h"
#include "tinyprune/Dialect/TinyPrune.h"

#include "PoolWindow.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/OpImplementation.h"

using namespace mlir;
using namespace tinyprune;

#define GET_OP_CLASSES
#include "TinyPrune/TinyPruneOps.cpp.inc"

/// Integer tensors need per-tensor quantization on both sides; float
/// tensors must carry none.
static LogicalResult verifyQuantPair(Operation *op, Type inType, Type outType,
                                     QuantAttr inQuant, QuantAttr outQuant) {
  Type inElt = cast<ShapedType>(inType).getElementType();
  Type outElt = cast<ShapedType>(outType).getElementType();
  if (inElt != outElt)
    return op->emitOpError() << "input element type " << inElt
                             << " differs from output element type " << outElt;
  if (isa<FloatType>(inElt)) {
    if (inQuant || outQuant)
      return op->emitOpError() << "float tensors take no quantization";
    return success();
  }
  if (!inQuant || !outQuant)
    return op->emitOpError()
           << "integer tensors need 'input_quant' and 'output_quant'";
  if (inQuant.isPerChannel() || outQuant.isPerChannel())
    return op->emitOpError() << "needs per-tensor quantization";
  return success();
}

/// TFLite fixes the output quantization of some activations; a module that
/// says otherwise would be computed with the wrong scale.
static LogicalResult verifyFixedOutput(Operation *op, Type outType,
                                       QuantAttr outQuant, float int8Scale,
                                       int64_t int8Zp) {
  if (!outQuant)
    return success();
  Type elt = cast<ShapedType>(outType).getElementType();
  float scale = elt.isInteger(8) ? int8Scale : 1.0f / 32768.0f;
  int64_t zp = elt.isInteger(8) ? int8Zp : 0;
  if (outQuant.getScale()[0] != scale || outQuant.getZeroPoint()[0] != zp)
    return op->emitOpError() << "output quantization must be scale " << scale
                             << ", zero point " << zp << " for " << elt;
  return success();
}

LogicalResult LogisticOp::verify() {
  if (failed(verifyQuantPair(*this, getInput().getType(), getType(),
                             getInputQuantAttr(), getOutputQuantAttr())))
    return failure();
  return verifyFixedOutput(*this, getType(), getOutputQuantAttr(),
                           1.0f / 256.0f, -128);
}

LogicalResult TanhOp::verify() {
  if (failed(verifyQuantPair(*this, getInput().getType(), getType(),
                             getInputQuantAttr(), getOutputQuantAttr())))
    return failure();
  return verifyFixedOutput(*this, getType(), getOutputQuantAttr(),
                           1.0f / 128.0f, 0);
}

LogicalResult HardSwishOp::verify() {
  if (failed(verifyQuantPair(*this, getInput().getType(), getType(),
                             getInputQuantAttr(), getOutputQuantAttr())))
    return failure();
  if (getType().getElementType().isInteger(16))
    return emitOpError() << "int16 hard swish is not a TFLite operator";
  return success();
}

LogicalResult SoftmaxOp::verify() {
  if (failed(verifyQuantPair(*this, getInput().getType(), getType(),
                             getInputQuantAttr(), getOutputQuantAttr())))
    return failure();
  if (getInput().getType().getRank() < 1)
    return emitOpError() << "needs a tensor of rank >= 1";
  if (!(getBeta().convertToFloat() > 0.0f))
    return emitOpError() << "beta must be positive";
  return verifyFixedOutput(*this, getType(), getOutputQuantAttr(),
                           1.0f / 256.0f, -128);
}

LogicalResult AvgPool2dOp::verify() {
  auto inType = getInput().getType();
  auto outType = getType();
  if (inType.getRank() != 4 || outType.getRank() != 4)
    return emitOpError() << "needs rank-4 NHWC tensors";
  if (inType.getElementType() != outType.getElementType())
    return emitOpError() << "input and output element types differ";
  ArrayRef<int64_t> k = getKernel(), s = getStride(), p = getPad();
  if (failed(verifyPoolWindow(*this, inType, outType, k, s, p)))
    return failure();
  unsigned bits = inType.getElementType().getIntOrFloatBitWidth();
  int64_t lo = -(int64_t(1) << (bits - 1)), hi = (int64_t(1) << (bits - 1)) - 1;
  // I64Attr accessors are unsigned; the clamp bounds are signed.
  int64_t minVal = getMinValAttr().getInt(), maxVal = getMaxValAttr().getInt();
  if (minVal > maxVal || minVal < lo || maxVal > hi)
    return emitOpError() << "clamp range [" << minVal << ", " << maxVal
                         << "] is empty or exceeds " << bits << "-bit integers";
  if (getQuant().isPerChannel())
    return emitOpError() << "needs per-tensor quantization";
  return success();
}

LogicalResult MeanOp::verify() {
  auto inType = getInput().getType();
  auto outType = getType();
  if (inType.getElementType() != outType.getElementType())
    return emitOpError() << "input and output element types differ";
  ArrayRef<int64_t> axes = getAxes();
  if (axes.empty())
    return emitOpError() << "needs at least one axis";
  for (size_t i = 0; i < axes.size(); ++i) {
    if (axes[i] < 0 || axes[i] >= inType.getRank())
      return emitOpError() << "axis " << axes[i] << " is out of range";
    if (i > 0 && axes[i] <= axes[i - 1])
      return emitOpError() << "axes must be sorted and unique";
  }
  SmallVector<int64_t> expected;
  for (int64_t d = 0; d < inType.getRank(); ++d) {
    if (!llvm::is_contained(axes, d))
      expected.push_back(inType.getDimSize(d));
    else if (getKeepDims())
      expected.push_back(1);
  }
  if (outType.getShape() != ArrayRef<int64_t>(expected))
    return emitOpError() << "output shape does not match reducing axes";
  return verifyQuantPair(*this, inType, outType, getInputQuantAttr(),
                         getOutputQuantAttr());
}

LogicalResult QuantizeOp::verify() {
  QuantAttr q = getOutputQuant();
  auto outType = getType();
  if (q.isPerChannel()) {
    if (q.getAxis() >= outType.getRank() ||
        outType.getDimSize(q.getAxis()) != (int64_t)q.getScale().size())
      return emitOpError() << "per-channel quantization does not fit "
                           << outType;
  }
  unsigned bits = outType.getElementType().getIntOrFloatBitWidth();
  int64_t lo = -(int64_t(1) << (bits - 1)), hi = (int64_t(1) << (bits - 1)) - 1;
  for (int64_t zp : q.getZeroPoint())
    if (zp < lo || zp > hi)
      return emitOpError() << "zero point " << zp << " does not fit " << bits
                           << " bits";
  return success();
}

LogicalResult LstmOp::verify() {
  auto inType = getInput().getType();
  auto outType = getType();
  if (inType.getRank() != 3 || !inType.hasStaticShape())
    return emitOpError() << "needs a static rank-3 input";
  int64_t rows = inType.getDimSize(0), steps = inType.getDimSize(1);
  int64_t inputs = inType.getDimSize(2);
  auto w = getInputToInputWeights().getType();
  if (w.getRank() != 2)
    return emitOpError() << "needs rank-2 weights";
  int64_t hidden = w.getDimSize(0);
  SmallVector<int64_t, 3> expected = {rows, steps, hidden};
  if (outType.getShape() != ArrayRef<int64_t>(expected))
    return emitOpError() << "output must be " << rows << "x" << steps << "x"
                         << hidden;
  Operation *op = getOperation();
  for (unsigned i = 1; i <= 8; ++i) {
    auto t = cast<RankedTensorType>(op->getOperand(i).getType());
    SmallVector<int64_t, 2> shape = {hidden, i <= 4 ? inputs : hidden};
    if (t.getShape() != ArrayRef<int64_t>(shape))
      return emitOpError() << "weights " << i << " must be " << shape[0] << "x"
                           << shape[1];
  }
  for (unsigned i = 9; i <= 12; ++i) {
    auto t = cast<RankedTensorType>(op->getOperand(i).getType());
    if (t.getShape() != ArrayRef<int64_t>(hidden))
      return emitOpError() << "biases must have " << hidden << " elements";
  }
  for (QuantAttr q : {getInputQuant(), getOutputQuant(), getCellQuant()})
    if (q.isPerChannel())
      return emitOpError() << "needs per-tensor quantization";
  if (getCellQuant().getZeroPoint()[0] != 0)
    return emitOpError() << "needs a cell state zero point of 0";
  for (QuantAttr q : {getInputQuant(), getOutputQuant()})
    if (q.getZeroPoint()[0] < -128 || q.getZeroPoint()[0] > 127)
      return emitOpError() << "has an int8 zero point out of range";
  if (getWeightScales().size() != 8)
    return emitOpError() << "needs 8 weight scales";
  if (!(getCellClip().convertToFloat() >= 0.0f))
    return emitOpError() << "needs a non-negative cell_clip";
  if (const char *problem = rt::lstmInt8Problem(lstmQuant(*this)))
    return emitOpError() << problem;
  return success();
}
