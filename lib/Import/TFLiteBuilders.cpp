//===- TFLiteBuilders.cpp - IR builders of the importer -------------------===//
//
// Constants, reshapes, TOSA rescales with TFLite's multipliers, the
// uint8 edge conversion, clamps and fused activations: what every
// operator family builds with.
//
//===----------------------------------------------------------------------===//

#include "TFLiteSubgraphImporter.h"

#include <limits>

using namespace mlir;
using namespace tinyprune;
using namespace tinyprune::tfl;
using tflite::ActivationFunctionType;

//===----------------------------------------------------------------------===//
// Builders
//===----------------------------------------------------------------------===//

Value SubgraphImporter::constant(RankedTensorType type, ArrayRef<uint8_t> bytes,
                                 Location constLoc) {
  // One copy, into the context's uniqued storage; the file is not kept.
  ArrayRef<char> raw(reinterpret_cast<const char *>(bytes.data()),
                     bytes.size());
  DenseElementsAttr attr;
  if (type.getElementType().isInteger(1)) {
    SmallVector<bool> bits(
        llvm::map_range(bytes, [](uint8_t v) { return v != 0; }));
    attr = DenseElementsAttr::get(type, ArrayRef<bool>(bits));
  } else {
    attr = DenseElementsAttr::getFromRawBuffer(type, raw);
  }
  return tosa::ConstOp::create(b, constLoc, type, attr);
}

Value SubgraphImporter::zeroPoint(Type elt, int64_t zp) {
  if (isa<FloatType>(elt))
    return constantOf<float>({1}, elt, {0.0f});
  return constantOf<int64_t>({1}, elt, {zp});
}

Value SubgraphImporter::shapeValue(ArrayRef<int64_t> shape) {
  auto type = RankedTensorType::get({int64_t(shape.size())}, b.getIndexType());
  return tosa::ConstShapeOp::create(b, loc,
                                    tosa::shapeType::get(ctx, shape.size()),
                                    DenseIntElementsAttr::get(type, shape));
}

Value SubgraphImporter::reshape(Value v, ArrayRef<int64_t> shape) {
  auto type = cast<RankedTensorType>(v.getType());
  if (type.getShape() == shape)
    return v;
  return tosa::ReshapeOp::create(
      b, loc, RankedTensorType::get(shape, type.getElementType()), v,
      shapeValue(shape));
}

FailureOr<Value>
SubgraphImporter::rescale(Value v, Type outElt,
                          ArrayRef<rt::QuantizedMultiplier> multipliers,
                          int64_t inZp, int64_t outZp) {
  SmallVector<int32_t> mult;
  SmallVector<int8_t> shift;
  for (const rt::QuantizedMultiplier &m : multipliers) {
    int s = rt::tosaShift(m);
    if (m.multiplier == 0) {
      s = 31; // The product is zero whatever the shift; keep it legal.
    } else if (s < 2 || s > 62) {
      opError() << "requantization scale 2^" << m.exponent
                << " is outside what TOSA rescale can express";
      return failure();
    }
    mult.push_back(m.multiplier);
    shift.push_back(static_cast<int8_t>(s));
  }
  auto inType = cast<RankedTensorType>(v.getType());
  int64_t n = multipliers.size();
  Value multV = constantOf<int32_t>({n}, b.getI32Type(), mult);
  Value shiftV = constantOf<int8_t>({n}, b.getI8Type(), shift);
  Value inZpV = zeroPoint(inType.getElementType(), inZp);
  Value outZpV = zeroPoint(outElt, outZp);
  return tosa::RescaleOp::create(
             b, loc, RankedTensorType::get(inType.getShape(), outElt), v, multV,
             shiftV, inZpV, outZpV, /*scale32=*/true,
             tosa::RoundingMode::DOUBLE_ROUND, /*per_channel=*/n > 1,
             /*input_unsigned=*/false, /*output_unsigned=*/false)
      .getResult();
}

Value SubgraphImporter::uint8Edge(Value v, Type outElt, int64_t zpFrom,
                                  int64_t zpTo) {
  auto inType = cast<RankedTensorType>(v.getType());
  // 2^30 >> 30 multiplies by one exactly.
  Value multV = constantOf<int32_t>({1}, b.getI32Type(), {1 << 30});
  Value shiftV = constantOf<int8_t>({1}, b.getI8Type(), {30});
  return tosa::RescaleOp::create(
             b, loc, RankedTensorType::get(inType.getShape(), outElt), v, multV,
             shiftV, zeroPoint(inType.getElementType(), zpFrom),
             zeroPoint(outElt, zpTo), /*scale32=*/true,
             tosa::RoundingMode::DOUBLE_ROUND, /*per_channel=*/false,
             /*input_unsigned=*/inType.getElementType().isUnsignedInteger(),
             /*output_unsigned=*/outElt.isUnsignedInteger())
      .getResult();
}

Value SubgraphImporter::clampInt(Value v, int64_t lo, int64_t hi) {
  auto type = cast<RankedTensorType>(v.getType());
  Type elt = type.getElementType();
  return tosa::ClampOp::create(b, loc, type, v, b.getIntegerAttr(elt, lo),
                               b.getIntegerAttr(elt, hi));
}

Value SubgraphImporter::clampFloat(Value v, float lo, float hi) {
  auto type = cast<RankedTensorType>(v.getType());
  return tosa::ClampOp::create(b, loc, type, v, b.getF32FloatAttr(lo),
                               b.getF32FloatAttr(hi));
}

FailureOr<Value> SubgraphImporter::fusedActivation(Value v,
                                                   ActivationFunctionType act,
                                                   int32_t outIdx) {
  auto type = cast<RankedTensorType>(v.getType());
  if (isa<FloatType>(type.getElementType())) {
    constexpr float inf = std::numeric_limits<float>::infinity();
    switch (act) {
    case ActivationFunctionType::NONE:
      return v;
    case ActivationFunctionType::RELU:
      return clampFloat(v, 0.0f, inf);
    case ActivationFunctionType::RELU_N1_TO_1:
      return clampFloat(v, -1.0f, 1.0f);
    case ActivationFunctionType::RELU6:
      return clampFloat(v, 0.0f, 6.0f);
    case ActivationFunctionType::TANH:
      return tosa::TanhOp::create(b, loc, type, v).getResult();
    default:
      break;
    }
  } else {
    rt::Activation a;
    switch (act) {
    case ActivationFunctionType::NONE:
      return v;
    case ActivationFunctionType::RELU:
      a = rt::Activation::Relu;
      break;
    case ActivationFunctionType::RELU_N1_TO_1:
      a = rt::Activation::ReluN1To1;
      break;
    case ActivationFunctionType::RELU6:
      a = rt::Activation::Relu6;
      break;
    default:
      opError() << "fused activation "
                << tflite::EnumNameActivationFunctionType(act)
                << " is not supported on integer outputs";
      return failure();
    }
    const TensorInfo &out = tensor(outIdx);
    // The clamp bounds are real values mapped through the output's
    // quantization; an integer output without one has no range to clamp to.
    if (!out.quant || out.quant->scale.empty() ||
        out.quant->zeroPoint.empty()) {
      opError() << "fused activation on output '" << out.name
                << "' needs its quantization";
      return failure();
    }
    unsigned bits = type.getElementType().getIntOrFloatBitWidth();
    rt::ActivationRange r =
        rt::activationRange(a, out.quant->scale[0], out.quant->zeroPoint[0],
                            intMin(bits), intMax(bits));
    if (r.min > r.max) {
      opError() << "fused activation range of output '" << out.name
                << "' is empty";
      return failure();
    }
    if (r.min == intMin(bits) && r.max == intMax(bits))
      return v;
    return clampInt(v, r.min, r.max);
  }
  const char *name = tflite::EnumNameActivationFunctionType(act);
  opError() << "fused activation " << (name && *name ? name : "<unknown>")
            << " is not supported";
  return failure();
}

LogicalResult SubgraphImporter::defineActivated(Value v,
                                                ActivationFunctionType act,
                                                int32_t outIdx) {
  FailureOr<Value> activated = fusedActivation(v, act, outIdx);
  if (failed(activated))
    return failure();
  defineOutput(0, *activated);
  return success();
}

Value SubgraphImporter::expandRank(Value v, int64_t rank) {
  auto type = cast<RankedTensorType>(v.getType());
  if (type.getRank() >= rank)
    return v;
  SmallVector<int64_t> shape(rank - type.getRank(), 1);
  llvm::append_range(shape, type.getShape());
  return reshape(v, shape);
}
