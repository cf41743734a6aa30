//===- TFLiteElementwise.cpp - Arithmetic and activations -----------------===//
//
// ADD, SUB and MUL (with numpy broadcasting), the activations SOFTMAX,
// LOGISTIC, TANH, HARD_SWISH, RELU, RELU6 and LEAKY_RELU, and QUANTIZE
// and DEQUANTIZE. The int8 forms replay TFLite's requantizations as
// TOSA rescales, or become tinyprune ops where TOSA has no exact form.
//
//===----------------------------------------------------------------------===//

#include "TFLiteSubgraphImporter.h"

#include <algorithm>
#include <cmath>
#include <limits>

using namespace mlir;
using namespace tinyprune;
using namespace tinyprune::tfl;
using tflite::ActivationFunctionType;
using tflite::BuiltinOperator;

//===----------------------------------------------------------------------===//
// ADD, SUB, MUL
//===----------------------------------------------------------------------===//

/// Checks that the two inputs broadcast (numpy rules) to the output shape.
static bool broadcastsTo(ArrayRef<int64_t> a, ArrayRef<int64_t> b,
                         ArrayRef<int64_t> out) {
  size_t rank = std::max(a.size(), b.size());
  if (out.size() != rank)
    return false;
  for (size_t i = 0; i < rank; ++i) {
    int64_t da = i < rank - a.size() ? 1 : a[i - (rank - a.size())];
    int64_t db = i < rank - b.size() ? 1 : b[i - (rank - b.size())];
    int64_t want = da == 1 ? db : da;
    if ((da != 1 && db != 1 && da != db) || out[i] != want)
      return false;
  }
  return true;
}

/// Checks the two inputs of an elementwise binary op against its output and
/// returns them at the output's rank.
FailureOr<std::pair<Value, Value>> SubgraphImporter::broadcastOperands() {
  int32_t aIdx = cur->inputs[0], bIdx = cur->inputs[1],
          outIdx = cur->outputs[0];
  if (aIdx < 0 || bIdx < 0) {
    opError() << "both inputs are required";
    return failure();
  }
  const TensorInfo &ta = tensor(aIdx), &tb = tensor(bIdx),
                   &out = tensor(outIdx);
  if (!broadcastsTo(ta.shape, tb.shape, out.shape)) {
    opError() << "inputs " << shapeStr(ta.shape) << " and "
              << shapeStr(tb.shape) << " do not broadcast to output "
              << shapeStr(out.shape);
    return failure();
  }
  if (ta.type != out.type || tb.type != out.type) {
    opError() << "input and output types differ";
    return failure();
  }
  FailureOr<Value> av = input(0), bv = input(1);
  if (failed(av) || failed(bv))
    return failure();
  int64_t rank = out.shape.size();
  return std::make_pair(expandRank(*av, rank), expandRank(*bv, rank));
}

LogicalResult SubgraphImporter::convertAddSub(bool isSub) {
  if (failed(checkArity(2, 2, 1)))
    return failure();
  ActivationFunctionType act = ActivationFunctionType::NONE;
  if (isSub) {
    auto opts = options<tflite::SubOptions>();
    if (failed(opts))
      return failure();
    if (*opts)
      act = (*opts)->fused_activation_function();
  } else {
    auto opts = options<tflite::AddOptions>();
    if (failed(opts))
      return failure();
    if (*opts)
      act = (*opts)->fused_activation_function();
  }
  int32_t aIdx = cur->inputs[0], bIdx = cur->inputs[1],
          outIdx = cur->outputs[0];
  const TensorInfo &out = tensor(outIdx);
  FailureOr<RankedTensorType> outType = tensorType(outIdx);
  FailureOr<std::pair<Value, Value>> operands = broadcastOperands();
  if (failed(outType) || failed(operands))
    return failure();
  auto [a, bb] = *operands;

  if (out.type == tflite::TensorType::FLOAT32 ||
      out.type == tflite::TensorType::INT32) {
    Value r = isSub ? tosa::SubOp::create(b, loc, *outType, a, bb).getResult()
                    : tosa::AddOp::create(b, loc, *outType, a, bb).getResult();
    if (out.type == tflite::TensorType::INT32 &&
        act != ActivationFunctionType::NONE)
      return opError() << "fused activations on int32 are not supported";
    return defineActivated(r, act, outIdx);
  }
  if (out.type != tflite::TensorType::INT8)
    return opError() << "type " << tflite::EnumNameTensorType(out.type)
                     << " is not supported (float32, int32 and int8 are)";

  auto qa = perTensorQuant(aIdx, "input");
  auto qb = perTensorQuant(bIdx, "input");
  auto qo = perTensorQuant(outIdx, "output");
  if (failed(qa) || failed(qb) || failed(qo))
    return failure();
  // TFLite: both inputs are shifted left by 20 bits, scaled to a common
  // scale of twice the larger input scale, summed, and requantized.
  const int leftShift = 20;
  float sa = qa->scale[0], sb = qb->scale[0], so = qo->scale[0];
  rt::QuantizedMultiplier ma, mb, mo;
  if (isSub) {
    // TFLite Micro prepares SUB in float32 and widens only at the end.
    float twiceMax = 2 * std::max(sa, sb);
    float realA = sa / twiceMax, realB = sb / twiceMax;
    float realOut = twiceMax / (static_cast<float>(1 << leftShift) * so);
    if (!std::isfinite(realOut))
      return opError() << "input scale / output scale overflows float";
    ma = rt::quantizeMultiplier(realA);
    mb = rt::quantizeMultiplier(realB);
    mo = rt::quantizeMultiplier(realOut);
  } else {
    // ADD in double.
    double twiceMax = 2.0 * static_cast<double>(std::max(sa, sb));
    ma = rt::quantizeMultiplier(sa / twiceMax);
    mb = rt::quantizeMultiplier(sb / twiceMax);
    mo = rt::quantizeMultiplier(twiceMax /
                                (static_cast<double>(1 << leftShift) * so));
  }
  // x << 20 as a rescale: (x - zp) * 2^30 >> 10 is exact.
  rt::QuantizedMultiplier shiftUp{1 << 30, 31 - 10};
  Type i32 = b.getI32Type();
  auto scaled = [&](Value v, int64_t zp,
                    rt::QuantizedMultiplier m) -> FailureOr<Value> {
    FailureOr<Value> up = rescale(v, i32, {shiftUp}, zp, 0);
    if (failed(up))
      return failure();
    return rescale(*up, i32, {m}, 0, 0);
  };
  FailureOr<Value> xa = scaled(a, qa->zeroPoint[0], ma);
  FailureOr<Value> xb = scaled(bb, qb->zeroPoint[0], mb);
  if (failed(xa) || failed(xb))
    return failure();
  auto sumType = RankedTensorType::get(out.shape, i32);
  Value sum = isSub
                  ? tosa::SubOp::create(b, loc, sumType, *xa, *xb).getResult()
                  : tosa::AddOp::create(b, loc, sumType, *xa, *xb).getResult();
  FailureOr<Value> r = rescale(sum, b.getI8Type(), {mo}, 0, qo->zeroPoint[0]);
  if (failed(r))
    return failure();
  return defineActivated(*r, act, outIdx);
}

LogicalResult SubgraphImporter::convertMul() {
  if (failed(checkArity(2, 2, 1)))
    return failure();
  auto opts = options<tflite::MulOptions>();
  if (failed(opts))
    return failure();
  ActivationFunctionType act = *opts ? (*opts)->fused_activation_function()
                                     : ActivationFunctionType::NONE;
  int32_t aIdx = cur->inputs[0], bIdx = cur->inputs[1],
          outIdx = cur->outputs[0];
  const TensorInfo &out = tensor(outIdx);
  FailureOr<RankedTensorType> outType = tensorType(outIdx);
  FailureOr<std::pair<Value, Value>> operands = broadcastOperands();
  if (failed(outType) || failed(operands))
    return failure();
  auto [a, bb] = *operands;
  Value noShift = constantOf<int8_t>({1}, b.getI8Type(), {int8_t(0)});

  if (out.type == tflite::TensorType::FLOAT32 ||
      out.type == tflite::TensorType::INT32) {
    Value r = tosa::MulOp::create(b, loc, *outType, a, bb, noShift);
    if (out.type == tflite::TensorType::INT32 &&
        act != ActivationFunctionType::NONE)
      return opError() << "fused activations on int32 are not supported";
    return defineActivated(r, act, outIdx);
  }
  if (out.type != tflite::TensorType::INT8)
    return opError() << "type " << tflite::EnumNameTensorType(out.type)
                     << " is not supported (float32, int32 and int8 are)";
  auto qa = perTensorQuant(aIdx, "input");
  auto qb = perTensorQuant(bIdx, "input");
  auto qo = perTensorQuant(outIdx, "output");
  if (failed(qa) || failed(qb) || failed(qo))
    return failure();
  // TFLite: (a - zp_a) * (b - zp_b) in int32, requantized once.
  Type i32 = b.getI32Type();
  rt::QuantizedMultiplier identity{1 << 30, 1}; // 2^30 >> 30: exact.
  FailureOr<Value> xa = rescale(a, i32, {identity}, qa->zeroPoint[0], 0);
  FailureOr<Value> xb = rescale(bb, i32, {identity}, qb->zeroPoint[0], 0);
  if (failed(xa) || failed(xb))
    return failure();
  Value prod = tosa::MulOp::create(
      b, loc, RankedTensorType::get(out.shape, i32), *xa, *xb, noShift);
  double real = static_cast<double>(qa->scale[0]) *
                static_cast<double>(qb->scale[0]) /
                static_cast<double>(qo->scale[0]);
  FailureOr<Value> r = rescale(
      prod, b.getI8Type(), {rt::quantizeMultiplier(real)}, 0, qo->zeroPoint[0]);
  if (failed(r))
    return failure();
  return defineActivated(*r, act, outIdx);
}

//===----------------------------------------------------------------------===//
// SOFTMAX, LOGISTIC, TANH, HARD_SWISH, RELU, RELU6, LEAKY_RELU
//===----------------------------------------------------------------------===//

/// Common checks of an elementwise unary op; returns the input value.
static LogicalResult sameShapeAndType(const TensorInfo &in,
                                      const TensorInfo &out) {
  return success(in.shape == out.shape && in.type == out.type);
}

LogicalResult SubgraphImporter::convertSoftmax() {
  if (failed(checkArity(1, 1, 1)))
    return failure();
  auto opts = options<tflite::SoftmaxOptions>();
  if (failed(opts))
    return failure();
  // Without options TFLite's beta stays 0, a degenerate softmax.
  float beta = *opts ? (*opts)->beta() : 0.0f;
  if (!(beta > 0.0f) || !std::isfinite(beta))
    return opError() << "beta " << beta
                     << " is not supported (it must be positive and finite)";
  int32_t inIdx = cur->inputs[0], outIdx = cur->outputs[0];
  const TensorInfo &in = tensor(inIdx), &out = tensor(outIdx);
  if (failed(sameShapeAndType(in, out)))
    return opError() << "input and output must have the same shape and type";
  if (in.shape.empty())
    return opError() << "input must have rank >= 1";
  FailureOr<RankedTensorType> type = tensorType(outIdx);
  FailureOr<Value> x = input(0);
  if (failed(type) || failed(x))
    return failure();
  QuantAttr inQ, outQ;
  if (in.type != tflite::TensorType::FLOAT32) {
    if (in.type != tflite::TensorType::INT8)
      return unsupportedActivationType(in.type);
    if (failed(perTensorQuant(inIdx, "input")) ||
        failed(perTensorQuant(outIdx, "output")))
      return failure();
    inQ = quantAttr(inIdx);
    outQ = quantAttr(outIdx);
    float wantScale = 1.0f / 256.0f;
    int64_t wantZp = -128;
    if (outQ.getScale()[0] != wantScale || outQ.getZeroPoint()[0] != wantZp)
      return opError() << "output '" << out.name << "' must have scale "
                       << wantScale << " and zero point " << wantZp
                       << ", as TFLite requires";
  }
  Value r =
      SoftmaxOp::create(b, loc, *type, *x, b.getF32FloatAttr(beta), inQ, outQ);
  defineOutput(0, r);
  return success();
}

LogicalResult SubgraphImporter::convertActivationOp(BuiltinOperator code) {
  if (failed(checkArity(1, 1, 1)))
    return failure();
  int32_t inIdx = cur->inputs[0], outIdx = cur->outputs[0];
  const TensorInfo &in = tensor(inIdx), &out = tensor(outIdx);
  if (failed(sameShapeAndType(in, out)))
    return opError() << "input and output must have the same shape and type";
  FailureOr<RankedTensorType> type = tensorType(outIdx);
  FailureOr<Value> x = input(0);
  if (failed(type) || failed(x))
    return failure();
  if (in.type == tflite::TensorType::FLOAT32) {
    Value r;
    if (code == BuiltinOperator::LOGISTIC) {
      r = tosa::SigmoidOp::create(b, loc, *type, *x);
    } else if (code == BuiltinOperator::TANH) {
      r = tosa::TanhOp::create(b, loc, *type, *x);
    } else {
      // x * relu6(x + 3) / 6 with TFLite's true division, which TOSA lacks.
      r = HardSwishOp::create(b, loc, *type, *x, QuantAttr(), QuantAttr());
    }
    defineOutput(0, r);
    return success();
  }
  if (in.type != tflite::TensorType::INT8)
    return unsupportedActivationType(in.type);
  if (failed(perTensorQuant(inIdx, "input")) ||
      failed(perTensorQuant(outIdx, "output")))
    return failure();
  QuantAttr inQ = quantAttr(inIdx), outQ = quantAttr(outIdx);
  if (code != BuiltinOperator::HARD_SWISH) {
    bool logistic = code == BuiltinOperator::LOGISTIC;
    float wantScale = logistic ? 1.0f / 256.0f : 1.0f / 128.0f;
    int64_t wantZp = logistic ? -128 : 0;
    if (outQ.getScale()[0] != wantScale || outQ.getZeroPoint()[0] != wantZp)
      return opError() << "output '" << out.name << "' must have scale "
                       << wantScale << " and zero point " << wantZp
                       << ", as TFLite requires";
  }
  Value r;
  if (code == BuiltinOperator::LOGISTIC)
    r = LogisticOp::create(b, loc, *type, *x, inQ, outQ);
  else if (code == BuiltinOperator::TANH)
    r = TanhOp::create(b, loc, *type, *x, inQ, outQ);
  else
    r = HardSwishOp::create(b, loc, *type, *x, inQ, outQ);
  defineOutput(0, r);
  return success();
}

LogicalResult SubgraphImporter::convertReluLike(BuiltinOperator code) {
  if (failed(checkArity(1, 1, 1)))
    return failure();
  int32_t inIdx = cur->inputs[0], outIdx = cur->outputs[0];
  const TensorInfo &in = tensor(inIdx), &out = tensor(outIdx);
  if (failed(sameShapeAndType(in, out)))
    return opError() << "input and output must have the same shape and type";
  FailureOr<Value> x = input(0);
  if (failed(x))
    return failure();
  bool relu6 = code == BuiltinOperator::RELU6;
  if (in.type == tflite::TensorType::FLOAT32) {
    defineOutput(
        0, clampFloat(*x, 0.0f,
                      relu6 ? 6.0f : std::numeric_limits<float>::infinity()));
    return success();
  }
  if (in.type != tflite::TensorType::INT8)
    return unsupportedActivationType(in.type);
  auto qi = perTensorQuant(inIdx, "input");
  auto qo = perTensorQuant(outIdx, "output");
  if (failed(qi) || failed(qo))
    return failure();
  // TFLite computes this ratio in float before widening it.
  float ratio = qi->scale[0] / qo->scale[0];
  if (!std::isfinite(ratio))
    return opError() << "input scale / output scale overflows float";
  Type elt = cast<ShapedType>(x->getType()).getElementType();
  FailureOr<Value> r = rescale(*x, elt, {rt::quantizeMultiplier(ratio)},
                               qi->zeroPoint[0], qo->zeroPoint[0]);
  if (failed(r))
    return failure();
  return defineActivated(
      *r, relu6 ? ActivationFunctionType::RELU6 : ActivationFunctionType::RELU,
      outIdx);
}

LogicalResult SubgraphImporter::convertLeakyRelu() {
  if (failed(checkArity(1, 1, 1)))
    return failure();
  auto opts = options<tflite::LeakyReluOptions>();
  if (failed(opts))
    return failure();
  float alpha = *opts ? (*opts)->alpha() : 0.0f;
  if (!std::isfinite(alpha))
    return opError() << "alpha must be finite";
  int32_t inIdx = cur->inputs[0], outIdx = cur->outputs[0];
  const TensorInfo &in = tensor(inIdx), &out = tensor(outIdx);
  if (failed(sameShapeAndType(in, out)))
    return opError() << "input and output must have the same shape and type";
  FailureOr<RankedTensorType> type = tensorType(outIdx);
  FailureOr<Value> x = input(0);
  if (failed(type) || failed(x))
    return failure();
  auto condType = RankedTensorType::get(out.shape, b.getI1Type());
  SmallVector<int64_t> ones(out.shape.size(), 1);
  if (in.type == tflite::TensorType::FLOAT32) {
    // x > 0 ? x : alpha * x
    Value zero = constantOf<float>(ones, b.getF32Type(), {0.0f});
    Value alphaV = constantOf<float>(ones, b.getF32Type(), {alpha});
    Value noShift = constantOf<int8_t>({1}, b.getI8Type(), {int8_t(0)});
    Value cond = tosa::GreaterOp::create(b, loc, condType, *x, zero);
    Value scaled = tosa::MulOp::create(b, loc, *type, *x, alphaV, noShift);
    defineOutput(0, tosa::SelectOp::create(b, loc, *type, cond, *x, scaled));
    return success();
  }
  if (in.type != tflite::TensorType::INT8)
    return unsupportedActivationType(in.type);
  if (alpha < 0.0f)
    return opError() << "negative alpha " << alpha
                     << " is not supported on integer tensors (TOSA rescale "
                        "multipliers are non-negative)";
  auto qi = perTensorQuant(inIdx, "input");
  auto qo = perTensorQuant(outIdx, "output");
  if (failed(qi) || failed(qo))
    return failure();
  // TFLite: (x - zp_in) >= 0 ? requant(identity) : requant(alpha), with
  // both multipliers computed in float.
  float identity = qi->scale[0] / qo->scale[0];
  float alphaScale = qi->scale[0] * alpha / qo->scale[0];
  if (!std::isfinite(identity) || !std::isfinite(alphaScale))
    return opError() << "input scale (times alpha) / output scale overflows "
                        "float";
  Type elt = type->getElementType();
  FailureOr<Value> pos = rescale(*x, elt, {rt::quantizeMultiplier(identity)},
                                 qi->zeroPoint[0], qo->zeroPoint[0]);
  FailureOr<Value> neg = rescale(*x, elt, {rt::quantizeMultiplier(alphaScale)},
                                 qi->zeroPoint[0], qo->zeroPoint[0]);
  if (failed(pos) || failed(neg))
    return failure();
  Value zp = constantOf<int64_t>(ones, elt, {qi->zeroPoint[0]});
  Value cond = tosa::GreaterEqualOp::create(b, loc, condType, *x, zp);
  defineOutput(0, tosa::SelectOp::create(b, loc, *type, cond, *pos, *neg));
  return success();
}

//===----------------------------------------------------------------------===//
// QUANTIZE, DEQUANTIZE
//===----------------------------------------------------------------------===//

LogicalResult SubgraphImporter::convertQuantize() {
  if (failed(checkArity(1, 1, 1)))
    return failure();
  int32_t inIdx = cur->inputs[0], outIdx = cur->outputs[0];
  const TensorInfo &in = tensor(inIdx), &out = tensor(outIdx);
  if (in.shape != out.shape)
    return opError() << "input and output shapes differ";
  if (out.type != tflite::TensorType::INT8 &&
      out.type != tflite::TensorType::INT16)
    return opError() << "output type " << tflite::EnumNameTensorType(out.type)
                     << " is not supported (int8 and int16 are)";
  FailureOr<RankedTensorType> type = tensorType(outIdx);
  FailureOr<Value> x = input(0);
  if (failed(type) || failed(x))
    return failure();
  if (in.type == tflite::TensorType::FLOAT32) {
    QuantAttr q = quantAttr(outIdx);
    if (!q)
      return opError() << "output '" << out.name << "' has no quantization";
    unsigned bits = type->getElementType().getIntOrFloatBitWidth();
    for (int64_t zp : q.getZeroPoint())
      if (zp < intMin(bits) || zp > intMax(bits))
        return opError() << "output zero point " << zp << " does not fit";
    defineOutput(0, QuantizeOp::create(b, loc, *type, *x, q));
    return success();
  }
  if (in.type != tflite::TensorType::INT8)
    return unsupportedActivationType(in.type);
  if (out.type != tflite::TensorType::INT8)
    return unsupportedActivationType(out.type);
  // Requantization: TFLite's multiplier in_scale / out_scale in double.
  auto qi = perTensorQuant(inIdx, "input");
  auto qo = perTensorQuant(outIdx, "output");
  if (failed(qi) || failed(qo))
    return failure();
  double real =
      static_cast<double>(qi->scale[0]) / static_cast<double>(qo->scale[0]);
  FailureOr<Value> r =
      rescale(*x, type->getElementType(), {rt::quantizeMultiplier(real)},
              qi->zeroPoint[0], qo->zeroPoint[0]);
  if (failed(r))
    return failure();
  defineOutput(0, *r);
  return success();
}

/// `(float)(q - zp) * scale`: exact in float32 for 8- and 16-bit inputs, so
/// it matches TFLite's double-precision product rounded to float.
LogicalResult SubgraphImporter::convertDequantize() {
  if (failed(checkArity(1, 1, 1)))
    return failure();
  int32_t inIdx = cur->inputs[0], outIdx = cur->outputs[0];
  const TensorInfo &in = tensor(inIdx), &out = tensor(outIdx);
  if (in.shape != out.shape)
    return opError() << "input and output shapes differ";
  if (out.type != tflite::TensorType::FLOAT32)
    return opError() << "output must be FLOAT32";
  if (in.type != tflite::TensorType::INT8 &&
      in.type != tflite::TensorType::INT16)
    return opError() << "input type " << tflite::EnumNameTensorType(in.type)
                     << " is not supported (int8 and int16 are)";
  if (!in.quant)
    return opError() << "input '" << in.name << "' has no quantization";
  FailureOr<RankedTensorType> type = tensorType(outIdx);
  FailureOr<Value> x = input(0);
  if (failed(type) || failed(x))
    return failure();
  // Scales and zero points broadcast along the quantized axis.
  int64_t rank = out.shape.size();
  SmallVector<int64_t> qShape(rank, 1);
  if (in.quant->isPerChannel())
    qShape[in.quant->axis] = in.quant->scale.size();
  SmallVector<float> zps(llvm::map_range(
      in.quant->zeroPoint, [](int64_t z) { return static_cast<float>(z); }));
  Value asFloat = tosa::CastOp::create(b, loc, *type, *x);
  Value zp = constantOf<float>(qShape, b.getF32Type(), zps);
  Value scale = constantOf<float>(qShape, b.getF32Type(), in.quant->scale);
  Value noShift = constantOf<int8_t>({1}, b.getI8Type(), {int8_t(0)});
  Value centered = tosa::SubOp::create(b, loc, *type, asFloat, zp);
  defineOutput(0, tosa::MulOp::create(b, loc, *type, centered, scale, noShift));
  return success();
}
