//===- TFLiteShapeOps.cpp - Shape and layout ops --------------------------===//
//
// RESHAPE, SQUEEZE, PAD, CONCATENATION, STRIDED_SLICE and TRANSPOSE:
// operators that move values without arithmetic. The declared output
// shape is checked against what the operands and options say.
//
//===----------------------------------------------------------------------===//

#include "TFLiteSubgraphImporter.h"

#include <algorithm>

using namespace mlir;
using namespace tinyprune;
using namespace tinyprune::tfl;
using tflite::ActivationFunctionType;
using tflite::BuiltinOperator;

//===----------------------------------------------------------------------===//
// RESHAPE, SQUEEZE
//===----------------------------------------------------------------------===//

/// The output tensor's declared shape is authoritative; the optional shape
/// input and the options only have to agree with it in element count.
LogicalResult SubgraphImporter::convertReshape() {
  if (failed(checkArity(1, 2, 1)))
    return failure();
  int32_t inIdx = cur->inputs[0], outIdx = cur->outputs[0];
  const TensorInfo &in = tensor(inIdx), &out = tensor(outIdx);
  if (in.numElements() != out.numElements())
    return opError() << "input " << shapeStr(in.shape) << " and output "
                     << shapeStr(out.shape) << " have different element counts";
  if (in.type != out.type)
    return opError() << "input and output types differ";
  if (in.quant.has_value() != out.quant.has_value() ||
      (in.quant && (in.quant->scale != out.quant->scale ||
                    in.quant->zeroPoint != out.quant->zeroPoint)))
    return opError() << "input and output quantization differ";
  if (failed(checkReshapeTarget()))
    return failure();
  FailureOr<Value> v = input(0);
  if (failed(v))
    return failure();
  if (failed(tensorType(outIdx)))
    return failure();
  Value r = *v;
  auto type = cast<RankedTensorType>(r.getType());
  // A reshape to the same shape is still an op, so that the output tensor
  // keeps its own name and location.
  r = tosa::ReshapeOp::create(
      b, loc, RankedTensorType::get(out.shape, type.getElementType()), r,
      shapeValue(out.shape));
  defineOutput(0, r);
  return success();
}

/// Checks what RESHAPE's shape input / new_shape option or SQUEEZE's
/// squeeze_dims say against the declared output shape.
LogicalResult SubgraphImporter::checkReshapeTarget() {
  const TensorInfo &in = tensor(cur->inputs[0]), &out = tensor(cur->outputs[0]);
  if (cur->code == BuiltinOperator::SQUEEZE) {
    auto opts = options<tflite::SqueezeOptions>();
    if (failed(opts))
      return failure();
    SmallVector<bool> drop(in.shape.size(), false);
    int64_t rank = in.shape.size();
    if (*opts && (*opts)->squeeze_dims() && (*opts)->squeeze_dims()->size()) {
      for (int32_t d : *(*opts)->squeeze_dims()) {
        if (d < -rank || d >= rank)
          return opError() << "squeeze dimension " << d << " is out of range";
        int64_t dd = d < 0 ? d + rank : d;
        if (in.shape[dd] != 1)
          return opError() << "squeeze dimension " << d << " of "
                           << shapeStr(in.shape) << " is not 1";
        drop[dd] = true;
      }
    } else {
      for (int64_t d = 0; d < rank; ++d)
        drop[d] = in.shape[d] == 1;
    }
    SmallVector<int64_t> expected;
    for (int64_t d = 0; d < rank; ++d)
      if (!drop[d])
        expected.push_back(in.shape[d]);
    if (out.shape != ArrayRef<int64_t>(expected))
      return opError() << "output " << shapeStr(out.shape)
                       << " does not match the squeezed shape "
                       << shapeStr(expected);
    return success();
  }
  // RESHAPE: the shape input, else the option, may give the target with at
  // most one -1; it must describe the output.
  SmallVector<int64_t> target;
  bool have = false;
  if (cur->inputs.size() > 1 && cur->inputs[1] >= 0 &&
      tensor(cur->inputs[1]).isConstant) {
    FailureOr<SmallVector<int64_t>> v = constInts(1);
    if (failed(v))
      return failure();
    target = *v;
    have = true;
  } else {
    auto opts = options<tflite::ReshapeOptions>();
    if (failed(opts))
      return failure();
    if (*opts && (*opts)->new_shape()) {
      for (int32_t d : *(*opts)->new_shape())
        target.push_back(d);
      have = true;
    }
  }
  if (!have)
    return success();
  int64_t known = 1, unknown = -1;
  for (auto [i, d] : llvm::enumerate(target)) {
    if (d == -1 && unknown < 0) {
      unknown = i;
      continue;
    }
    if (d < 0)
      return opError() << "new shape " << shapeStr(target)
                       << " has an invalid dimension";
    known *= d;
  }
  if (unknown >= 0 && known > 0)
    target[unknown] = in.numElements() / known;
  if (target != ArrayRef<int64_t>(out.shape))
    return opError() << "new shape " << shapeStr(target)
                     << " does not match output " << shapeStr(out.shape);
  return success();
}

/// Largest padding accepted on one side of one dimension.
static constexpr int64_t kMaxPad = int64_t(1) << 20;

//===----------------------------------------------------------------------===//
// PAD, CONCATENATION, STRIDED_SLICE, TRANSPOSE
//===----------------------------------------------------------------------===//

LogicalResult SubgraphImporter::convertPad() {
  if (failed(checkArity(2, 2, 1)))
    return failure();
  int32_t inIdx = cur->inputs[0], outIdx = cur->outputs[0];
  const TensorInfo &in = tensor(inIdx), &out = tensor(outIdx);
  FailureOr<SmallVector<int64_t>> pads = constInts(1);
  if (failed(pads))
    return failure();
  int64_t rank = in.shape.size();
  const TensorInfo &padsT = tensor(cur->inputs[1]);
  if (padsT.shape.size() != 2 || padsT.shape[0] != rank || padsT.shape[1] != 2)
    return opError() << "paddings " << shapeStr(padsT.shape)
                     << " must have shape [" << rank << ", 2]";
  if ((int64_t)pads->size() != 2 * rank)
    return opError() << "paddings hold " << pads->size() << " values; a rank-"
                     << rank << " input needs " << 2 * rank;
  SmallVector<int64_t> expected;
  for (int64_t d = 0; d < rank; ++d) {
    int64_t lo = (*pads)[2 * d], hi = (*pads)[2 * d + 1];
    if (lo < 0 || hi < 0 || lo > kMaxPad || hi > kMaxPad)
      return opError() << "padding (" << lo << ", " << hi << ") of dimension "
                       << d << " is negative or absurd";
    expected.push_back(in.shape[d] + lo + hi);
  }
  if (out.shape != ArrayRef<int64_t>(expected))
    return opError() << "output " << shapeStr(out.shape)
                     << " does not match the padded shape "
                     << shapeStr(expected);
  if (in.type != out.type)
    return opError() << "input and output types differ";
  FailureOr<RankedTensorType> type = tensorType(outIdx);
  FailureOr<Value> x = input(0);
  if (failed(type) || failed(x))
    return failure();
  Type elt = type->getElementType();
  Value padConst;
  if (isa<FloatType>(elt)) {
    padConst = constantOf<float>({1}, elt, {0.0f});
  } else {
    // TFLite pads quantized tensors with the output zero point.
    int64_t zp = 0;
    if (out.quant) {
      auto qo = perTensorQuant(outIdx, "output");
      if (failed(qo))
        return failure();
      zp = qo->zeroPoint[0];
      if (in.quant && (in.quant->scale != qo->scale ||
                       in.quant->zeroPoint != qo->zeroPoint))
        return opError() << "input and output quantization differ";
    }
    padConst = constantOf<int64_t>({1}, elt, {zp});
  }
  defineOutput(
      0, tosa::PadOp::create(b, loc, *type, *x, shapeValue(*pads), padConst));
  return success();
}

LogicalResult SubgraphImporter::convertConcat() {
  if (cur->inputs.empty() || cur->outputs.size() != 1)
    return opError() << "expects at least one input and one output";
  auto opts = options<tflite::ConcatenationOptions>();
  if (failed(opts))
    return failure();
  int64_t axis = *opts ? (*opts)->axis() : 0;
  ActivationFunctionType act = *opts ? (*opts)->fused_activation_function()
                                     : ActivationFunctionType::NONE;
  int32_t outIdx = cur->outputs[0];
  const TensorInfo &out = tensor(outIdx);
  int64_t rank = out.shape.size();
  if (axis < -rank || axis >= rank)
    return opError() << "axis " << axis << " is out of range for rank " << rank;
  if (axis < 0)
    axis += rank;
  int64_t total = 0;
  SmallVector<Value> operands;
  for (unsigned i = 0; i < cur->inputs.size(); ++i) {
    FailureOr<int32_t> idx = inputIndex(i);
    if (failed(idx))
      return failure();
    const TensorInfo &t = tensor(*idx);
    if (t.type != out.type)
      return opError() << "input " << i << " has a different type";
    if ((int64_t)t.shape.size() != rank)
      return opError() << "input " << i << " " << shapeStr(t.shape)
                       << " has a different rank than the output";
    for (int64_t d = 0; d < rank; ++d)
      if (d != axis && t.shape[d] != out.shape[d])
        return opError() << "input " << i << " " << shapeStr(t.shape)
                         << " does not match output " << shapeStr(out.shape)
                         << " outside axis " << axis;
    total += t.shape[axis];
    if (out.quant && (!t.quant || t.quant->scale != out.quant->scale ||
                      t.quant->zeroPoint != out.quant->zeroPoint))
      return opError() << "input " << i << " '" << t.name
                       << "' is quantized differently from the output; TFLite "
                          "requires equal quantization";
    FailureOr<Value> v = input(i);
    if (failed(v))
      return failure();
    operands.push_back(*v);
  }
  if (total != out.shape[axis])
    return opError() << "inputs add up to " << total << " along axis " << axis
                     << ", but the output has " << out.shape[axis];
  FailureOr<RankedTensorType> type = tensorType(outIdx);
  if (failed(type))
    return failure();
  Value r = tosa::ConcatOp::create(b, loc, *type, operands,
                                   b.getI32IntegerAttr(axis));
  return defineActivated(r, act, outIdx);
}

LogicalResult SubgraphImporter::convertStridedSlice() {
  if (failed(checkArity(4, 4, 1)))
    return failure();
  auto opts = options<tflite::StridedSliceOptions>();
  if (failed(opts))
    return failure();
  int32_t beginMask = 0, endMask = 0, shrinkMask = 0;
  bool offset = false;
  if (*opts) {
    if ((*opts)->ellipsis_mask() || (*opts)->new_axis_mask())
      return opError() << "ellipsis and new-axis masks are not supported";
    beginMask = (*opts)->begin_mask();
    endMask = (*opts)->end_mask();
    shrinkMask = (*opts)->shrink_axis_mask();
    offset = (*opts)->offset();
  }
  int32_t inIdx = cur->inputs[0], outIdx = cur->outputs[0];
  const TensorInfo &in = tensor(inIdx), &out = tensor(outIdx);
  FailureOr<SmallVector<int64_t>> begin = constInts(1), end = constInts(2),
                                  strides = constInts(3);
  if (failed(begin) || failed(end) || failed(strides))
    return failure();
  int64_t rank = in.shape.size();
  if ((int64_t)begin->size() != rank || (int64_t)end->size() != rank ||
      (int64_t)strides->size() != rank)
    return opError() << "begin, end and strides need " << rank
                     << " values each";
  // Resolve each dimension to [start, start + (count - 1) * stride].
  SmallVector<int64_t> start, count, stride, finalShape;
  for (int64_t d = 0; d < rank; ++d) {
    int64_t dim = in.shape[d], s = (*strides)[d];
    if (s < 1)
      return opError() << "stride " << s << " of dimension " << d
                       << " is not supported (only positive strides are)";
    auto clampIdx = [&](int64_t v) {
      if (v < 0)
        v += dim;
      return std::clamp<int64_t>(v, 0, dim);
    };
    int64_t lo = (beginMask >> d) & 1 ? 0 : clampIdx((*begin)[d]);
    int64_t hi;
    if ((shrinkMask >> d) & 1) {
      // TFLite resolves begin_mask first, then takes one element.
      int64_t raw = (beginMask >> d) & 1 ? 0 : (*begin)[d];
      int64_t bgn = raw < 0 ? raw + dim : raw;
      if (bgn < 0 || bgn >= dim)
        return opError() << "shrunk index " << (*begin)[d]
                         << " is out of range for dimension " << d;
      lo = bgn;
      hi = bgn + 1;
    } else if ((endMask >> d) & 1) {
      hi = dim;
    } else if (offset) {
      hi = std::clamp<int64_t>(lo + (*end)[d], 0, dim);
    } else {
      hi = clampIdx((*end)[d]);
    }
    int64_t n = hi > lo ? (hi - lo + s - 1) / s : 0;
    start.push_back(lo);
    count.push_back(n);
    stride.push_back(s);
    if (!((shrinkMask >> d) & 1))
      finalShape.push_back(n);
  }
  if (out.shape != ArrayRef<int64_t>(finalShape))
    return opError() << "output " << shapeStr(out.shape)
                     << " does not match the sliced shape "
                     << shapeStr(finalShape);
  if (llvm::is_contained(count, 0))
    return opError() << "empty slices are not supported";
  if (in.type != out.type)
    return opError() << "input and output types differ";
  FailureOr<RankedTensorType> outType = tensorType(outIdx);
  FailureOr<Value> x = input(0);
  if (failed(outType) || failed(x))
    return failure();
  Type elt = outType->getElementType();
  // Contiguous slice covering every selected element.
  SmallVector<int64_t> span;
  for (int64_t d = 0; d < rank; ++d)
    span.push_back((count[d] - 1) * stride[d] + 1);
  Value v = tosa::SliceOp::create(b, loc, RankedTensorType::get(span, elt), *x,
                                  shapeValue(start), shapeValue(span));
  // Each strided dimension: pad to count * stride, split it into
  // [count, stride], keep index 0 of the stride part.
  SmallVector<int64_t> shape = span;
  for (int64_t d = 0; d < rank; ++d) {
    if (stride[d] == 1)
      continue;
    SmallVector<int64_t> pads(2 * rank, 0);
    pads[2 * d + 1] = count[d] * stride[d] - shape[d];
    shape[d] = count[d] * stride[d];
    Value padConst = isa<FloatType>(elt) ? constantOf<float>({1}, elt, {0.0f})
                                         : constantOf<int64_t>({1}, elt, {0});
    v = tosa::PadOp::create(b, loc, RankedTensorType::get(shape, elt), v,
                            shapeValue(pads), padConst);
    SmallVector<int64_t> split(shape.begin(), shape.begin() + d);
    split.push_back(count[d]);
    split.push_back(stride[d]);
    split.append(shape.begin() + d + 1, shape.end());
    v = reshape(v, split);
    SmallVector<int64_t> sStart(split.size(), 0), sSize = split;
    sSize[d + 1] = 1;
    v = tosa::SliceOp::create(b, loc, RankedTensorType::get(sSize, elt), v,
                              shapeValue(sStart), shapeValue(sSize));
    shape[d] = count[d];
    v = reshape(v, shape);
  }
  v = tosa::ReshapeOp::create(b, loc, *outType, v, shapeValue(out.shape));
  defineOutput(0, v);
  return success();
}

LogicalResult SubgraphImporter::convertTranspose() {
  if (failed(checkArity(2, 2, 1)))
    return failure();
  int32_t inIdx = cur->inputs[0], outIdx = cur->outputs[0];
  const TensorInfo &in = tensor(inIdx), &out = tensor(outIdx);
  FailureOr<SmallVector<int64_t>> perm = constInts(1);
  if (failed(perm))
    return failure();
  int64_t rank = in.shape.size();
  if ((int64_t)perm->size() != rank)
    return opError() << "permutation has " << perm->size()
                     << " entries for a rank-" << rank << " input";
  SmallVector<int32_t> perms;
  SmallVector<bool> seen(rank, false);
  SmallVector<int64_t> expected;
  for (int64_t p : *perm) {
    if (p < 0 || p >= rank || seen[p])
      return opError() << "permutation is not a permutation of 0.." << rank - 1;
    seen[p] = true;
    perms.push_back(p);
    expected.push_back(in.shape[p]);
  }
  if (out.shape != ArrayRef<int64_t>(expected))
    return opError() << "output " << shapeStr(out.shape)
                     << " does not match the permuted shape "
                     << shapeStr(expected);
  if (in.type != out.type)
    return opError() << "input and output types differ";
  FailureOr<RankedTensorType> type = tensorType(outIdx);
  FailureOr<Value> x = input(0);
  if (failed(type) || failed(x))
    return failure();
  defineOutput(0, tosa::TransposeOp::create(b, loc, *type, *x, perms));
  return success();
}
