//===- TosaKernelCalls.cpp - Kernel calls of the TOSA ops that stay TOSA --===//
//
// The kernel calls of the TOSA ops that stay TOSA (reshape views, slice, pad,
// transpose, concat, a clamp alone, float sigmoid/tanh/avg_pool, reduce_sum,
// the casts of DEQUANTIZE, the select of LEAKY_RELU, int32 arithmetic, the
// uint8 <-> int8 rescales at the edges of a uint8 model).
//
// The importer's layer chains (convolution, requantization, int8 and float
// element-wise arithmetic, max pool) are not matched here: they are lowered
// only as the layer ops `--tinyprune-raise-to-layers` makes of them. A chain
// that pass left TOSA fails with the reason it gives (notALayerOp).
//
//===----------------------------------------------------------------------===//

#include "KernelProgram.h"

#include "tinyprune/Transforms/Layers.h"

#include "mlir/IR/BuiltinAttributes.h"
#include "llvm/Support/FormatVariadic.h"

using namespace mlir;
using namespace tinyprune;
using namespace tinyprune::cpp;

bool cpp::rescaleConstants(tosa::RescaleOp r, int64_t channels,
                           SmallVector<int64_t> &mult,
                           SmallVector<int64_t> &shift) {
  SmallVector<int64_t> m = constInts(r.getMultiplier());
  SmallVector<int64_t> s = constInts(r.getShift());
  if (m.empty() || m.size() != s.size() ||
      r.getRoundingMode() != tosa::RoundingMode::DOUBLE_ROUND ||
      !r.getScale32() || r.getInputUnsigned() || r.getOutputUnsigned())
    return false;
  for (int64_t c = 0; c < channels; ++c) {
    size_t i = m.size() == 1 ? 0 : c;
    mult.push_back(m[i]);
    shift.push_back(31 - s[i]); // TOSA shift -> TFLite exponent.
  }
  return true;
}

void KernelCallBuilder::claimChains(Block &entry) {
  // LEAKY_RELU is a select between two branches computed before it.
  for (Operation &op : entry)
    if (auto select = dyn_cast<tosa::SelectOp>(op))
      for (Value v : select->getOperands())
        if (Operation *def = v.getDefiningOp())
          if (isa<tosa::RescaleOp, tosa::GreaterOp, tosa::GreaterEqualOp,
                  tosa::MulOp>(def) &&
              def->hasOneUse()) {
            consumed.insert(def);
            claimedBy[&op].push_back(def);
          }
  // Trimming slices feed convolutions, which read the untrimmed input.
  for (Operation &op : entry)
    if (auto slice = dyn_cast<tosa::SliceOp>(op))
      if (slice->hasOneUse() &&
          isa<tosa::Conv2DOp, tosa::DepthwiseConv2DOp, Conv2DOp,
              DepthwiseConv2DOp>(*slice->getUsers().begin()) &&
          slice->getUses().begin()->getOperandNumber() == 0) {
        consumed.insert(slice);
        claimedBy[*slice->getUsers().begin()].push_back(slice);
      }
}

LogicalResult KernelCallBuilder::notALayerOp(Operation *op) {
  // The operand rescales of an int8 ADD/SUB/MUL come before it: the
  // chain, and the pattern that refused it, are the arithmetic's.
  Operation *anchor = op;
  while (isa<tosa::RescaleOp>(anchor) && anchor->hasOneUse() &&
         cast<RankedTensorType>(anchor->getResult(0).getType())
             .getElementType()
             .isInteger(32) &&
         isa<tosa::RescaleOp, tosa::AddOp, tosa::SubOp, tosa::MulOp>(
             *anchor->getUsers().begin()))
    anchor = *anchor->getUsers().begin();
  return anchor->emitOpError()
         << "is not a layer op: the C++ lowering prints layer chains only as "
            "the layer ops --tinyprune-raise-to-layers makes, and it left this "
            "one TOSA: "
         << whyNotRaised(anchor);
}

LogicalResult KernelCallBuilder::lowerDataMovement(Operation *op) {
  Value out = op->getResult(0);
  auto outT = cast<RankedTensorType>(out.getType());
  int64_t eb = elementBytes(outT);
  std::string code;
  if (auto slice = dyn_cast<tosa::SliceOp>(op)) {
    auto inT = cast<RankedTensorType>(slice.getInput1().getType());
    SmallVector<int64_t> start = shapeValues(slice.getStart());
    if (start.size() != (size_t)inT.getRank())
      return op->emitOpError() << "needs a constant start";
    std::string in = operand(slice.getInput1());
    code = llvm::formatv("tinyprune::rt::sliceCopy({0}, {1}, {2}, {3}, {4}, "
                         "{5}, {6});",
                         eb, inT.getRank(), shapeArray(inT.getShape()),
                         shapeArray(start), shapeArray(outT.getShape()), in,
                         ptr(out));
  } else if (auto pad = dyn_cast<tosa::PadOp>(op)) {
    auto inT = cast<RankedTensorType>(pad.getInput1().getType());
    SmallVector<int64_t> pads = shapeValues(pad.getPadding());
    SmallVector<int64_t> before;
    for (size_t d = 0; d < pads.size(); d += 2)
      before.push_back(pads[d]);
    std::string value =
        constArray(pad.getPadConst(), cTypeOf(outT.getElementType()));
    std::string in = operand(pad.getInput1());
    code = llvm::formatv("tinyprune::rt::padCopy({0}, {1}, {2}, {3}, {4}, {5}, "
                         "{6}, {7});",
                         eb, inT.getRank(), shapeArray(inT.getShape()),
                         shapeArray(before), shapeArray(outT.getShape()), value,
                         in, ptr(out));
  } else if (auto tr = dyn_cast<tosa::TransposeOp>(op)) {
    auto inT = cast<RankedTensorType>(tr.getInput1().getType());
    SmallVector<int64_t> perm(tr.getPerms().begin(), tr.getPerms().end());
    std::string in = operand(tr.getInput1());
    code = llvm::formatv("tinyprune::rt::transposeCopy({0}, {1}, {2}, {3}, "
                         "{4}, {5});",
                         eb, inT.getRank(), shapeArray(inT.getShape()),
                         shapeArray(perm), in, ptr(out));
  } else if (auto cat = dyn_cast<tosa::ConcatOp>(op)) {
    int64_t axis = cat.getAxis();
    SmallVector<int64_t> sizes;
    std::string list;
    for (Value in : cat.getInput1()) {
      sizes.push_back(cast<RankedTensorType>(in.getType()).getDimSize(axis));
      list += "static_cast<const void *>(" + operand(in) + "), ";
    }
    code = llvm::formatv("{{ const void *const parts[] = {{{0}}; "
                         "tinyprune::rt::concatCopy({1}, {2}, {3}, {4}, {5}, "
                         "{6}, parts, {7}); }",
                         list, eb, outT.getRank(), shapeArray(outT.getShape()),
                         axis, sizes.size(), intArray(sizes, "int32_t", "axis"),
                         ptr(out));
  } else if (auto clamp = dyn_cast<tosa::ClampOp>(op)) {
    std::string in = operand(clamp.getInput());
    int64_t n = outT.getNumElements();
    if (isa<FloatType>(outT.getElementType())) {
      float lo = cast<FloatAttr>(clamp.getMinValAttr()).getValueAsDouble();
      float hi = cast<FloatAttr>(clamp.getMaxValAttr()).getValueAsDouble();
      code = llvm::formatv("tinyprune::rt::clampFloat({0}, (const float *){1}, "
                           "{2}, {3}, (float *){4});",
                           n, in, floatLiteral(lo), floatLiteral(hi), ptr(out));
    } else if (outT.getElementType().isInteger(8)) {
      code = llvm::formatv(
          "tinyprune::rt::clampInt8({0}, (const int8_t *){1}, "
          "{2}, {3}, (int8_t *){4});",
          n, in, cast<IntegerAttr>(clamp.getMinValAttr()).getInt(),
          cast<IntegerAttr>(clamp.getMaxValAttr()).getInt(), ptr(out));
    } else {
      return op->emitOpError() << "C++ lowering clamps int8 and float";
    }
  } else {
    return op->emitOpError() << "is not supported by the C++ lowering yet";
  }
  define(out);
  emit(op, code);
  if (auto clamp = dyn_cast<tosa::ClampOp>(op))
    allowInPlace(clamp.getInput(), out);
  return success();
}

LogicalResult KernelCallBuilder::lowerReduceSum(tosa::ReduceSumOp op) {
  auto inT = op.getInput().getType();
  Type elt = inT.getElementType();
  if (!isa<FloatType>(elt) && !elt.isInteger(32))
    return op.emitOpError() << "C++ lowering sums float32 and int32";
  int64_t axis = op.getAxis(), outer = 1, inner = 1;
  for (int64_t d = 0; d < inT.getRank(); ++d)
    (d < axis ? outer : inner) *= d == axis ? 1 : inT.getDimSize(d);
  std::string cType = cTypeOf(elt);
  std::string in = operand(op.getInput());
  define(op.getResult());
  emit(op, llvm::formatv("tinyprune::rt::reduceSum<{0}>({1}, {2}, {3}, (const "
                         "{0} *){4}, ({0} *){5});",
                         cType, outer, inT.getDimSize(axis), inner, in,
                         ptr(op.getResult()))
               .str());
  return success();
}

/// int32 ADD/SUB/MUL: plain integer arithmetic, no rescale (TFLite allows
/// no fused activation on int32).
LogicalResult KernelCallBuilder::lowerInt32Binary(Operation *op) {
  auto outT = cast<RankedTensorType>(op->getResult(0).getType());
  Value a = op->getOperand(0), b = op->getOperand(1);
  if (auto mul = dyn_cast<tosa::MulOp>(op)) {
    SmallVector<int64_t> shift = constInts(mul.getShift());
    if (shift.size() != 1 || shift[0] != 0)
      return op->emitOpError() << "C++ lowering needs an int32 multiply "
                                  "without shift";
  }
  std::string s1 = shapeArray(cast<RankedTensorType>(a.getType()).getShape());
  std::string s2 = shapeArray(cast<RankedTensorType>(b.getType()).getShape());
  std::string so = shapeArray(outT.getShape());
  std::string in1 = "(const int32_t *)" + operand(a);
  std::string in2 = "(const int32_t *)" + operand(b);
  define(op->getResult(0));
  StringRef fn = isa<tosa::AddOp>(op)   ? "addInt32"
                 : isa<tosa::SubOp>(op) ? "subInt32"
                                        : "mulInt32";
  emit(op, llvm::formatv("tinyprune::rt::{0}({1}, {2}, {3}, {4}, {5}, {6}, "
                         "(int32_t *){7});",
                         fn, outT.getRank(), s1, in1, s2, in2, so,
                         ptr(op->getResult(0)))
               .str());
  allowInPlace(a, op->getResult(0));
  allowInPlace(b, op->getResult(0));
  return success();
}

/// DEQUANTIZE as the importer writes it: cast i8 -> f32, sub a zero-point
/// constant, mul by a scale constant (per tensor).
LogicalResult KernelCallBuilder::lowerDequantize(tosa::CastOp op) {
  auto inT = cast<RankedTensorType>(op.getInput().getType());
  auto sub = soleUser<tosa::SubOp>(op.getResult());
  auto mul = sub ? soleUser<tosa::MulOp>(sub.getResult()) : tosa::MulOp();
  auto zpC =
      sub ? sub.getInput2().getDefiningOp<tosa::ConstOp>() : tosa::ConstOp();
  auto scaleC =
      mul ? mul.getInput2().getDefiningOp<tosa::ConstOp>() : tosa::ConstOp();
  bool perTensorInt8 =
      inT.getElementType().isInteger(8) && sub && mul && zpC && scaleC &&
      sub.getInput1() == op.getResult() && mul.getInput1() == sub.getResult() &&
      cast<DenseElementsAttr>(zpC.getValues()).getNumElements() == 1 &&
      cast<DenseElementsAttr>(scaleC.getValues()).getNumElements() == 1;
  if (!perTensorInt8) {
    // Any other integer -> float cast (int16 or per-channel DEQUANTIZE):
    // the cast alone; the subtract and multiply lower as float layers.
    auto outT = cast<RankedTensorType>(op.getType());
    if (!isa<FloatType>(outT.getElementType()) ||
        !isa<IntegerType>(inT.getElementType()) ||
        inT.getElementTypeBitWidth() > 32)
      return op.emitOpError() << "C++ lowering casts integers to float only";
    std::string x = operand(op.getInput());
    define(op.getResult());
    emit(op, llvm::formatv("tinyprune::rt::castToFloat<{0}>({1}, (const {0} "
                           "*){2}, (float *){3});",
                           cTypeOf(inT.getElementType()), inT.getNumElements(),
                           x, ptr(op.getResult()))
                 .str());
    return success();
  }
  auto zpA = cast<DenseElementsAttr>(zpC.getValues());
  auto scA = cast<DenseElementsAttr>(scaleC.getValues());
  consume(sub);
  consume(mul);
  float zp = (*zpA.getValues<APFloat>().begin()).convertToFloat();
  float scale = (*scA.getValues<APFloat>().begin()).convertToFloat();
  std::string x = operand(op.getInput());
  define(mul.getResult());
  emit(op, llvm::formatv("tinyprune::rt::dequantizeInt8({0}, {1}, {2}, (const "
                         "int8_t *){3}, (float *){4});",
                         floatLiteral(scale), static_cast<int64_t>(zp),
                         inT.getNumElements(), x, ptr(mul.getResult()))
               .str());
  return success();
}

LogicalResult KernelCallBuilder::lowerUInt8Edge(tosa::RescaleOp op) {
  Type inElt = op.getInput().getType().getElementType();
  Type outElt = op.getOutput().getType().getElementType();
  SmallVector<int64_t> mult = constInts(op.getMultiplier());
  SmallVector<int64_t> shift = constInts(op.getShift());
  auto zp = [](Value v) -> std::optional<int64_t> {
    auto c = v.getDefiningOp<tosa::ConstOp>();
    auto attr = c ? dyn_cast<DenseIntElementsAttr>(c.getValues())
                  : DenseIntElementsAttr();
    if (!attr || attr.getNumElements() != 1)
      return std::nullopt;
    APInt z = *attr.getValues<APInt>().begin();
    return getElementTypeOrSelf(v.getType()).isUnsignedInteger()
               ? int64_t(z.getZExtValue())
               : z.getSExtValue();
  };
  std::optional<int64_t> inZp = zp(op.getInputZp()),
                         outZp = zp(op.getOutputZp());
  bool edge = op.getInputUnsigned() == inElt.isUnsignedInteger(8) &&
              op.getOutputUnsigned() == outElt.isUnsignedInteger(8) &&
              inElt.isInteger(8) && outElt.isInteger(8) && mult.size() == 1 &&
              shift.size() == 1 && shift[0] >= 2 && shift[0] <= 30 &&
              mult[0] == int64_t(1) << shift[0] && inZp && outZp;
  if (!edge)
    return op.emitOpError()
           << "C++ lowering supports unsigned rescales only as the uint8 <-> "
              "int8 conversion by one at a model's edge";
  std::string x = operand(op.getInput());
  define(op.getResult());
  emit(op, llvm::formatv("tinyprune::rt::shiftZeroPoint<{0}, {1}>({2}, (const "
                         "{0} *){3}, {4}, {5}, ({1} *){6});",
                         inElt.isUnsignedInteger() ? "uint8_t" : "int8_t",
                         outElt.isUnsignedInteger() ? "uint8_t" : "int8_t",
                         op.getInput().getType().getNumElements(), x, *inZp,
                         *outZp, ptr(op.getResult()))
               .str());
  allowInPlace(op.getInput(), op.getResult());
  return success();
}

/// LEAKY_RELU as the importer writes it. int8: select(x >= zp,
/// rescale_identity(x), rescale_alpha(x)); float: select(x > 0, x, x * a).
LogicalResult KernelCallBuilder::lowerLeakyRelu(tosa::SelectOp op) {
  auto fail = [&] {
    return op.emitOpError() << "C++ lowering supports the LEAKY_RELU select";
  };
  auto outT = op.getType();
  int64_t n = outT.getNumElements();
  if (isa<FloatType>(outT.getElementType())) {
    auto cmp = op.getInput1().getDefiningOp<tosa::GreaterOp>();
    auto mul = op.getInput3().getDefiningOp<tosa::MulOp>();
    if (!cmp || !mul || op.getInput2() != cmp.getInput1() ||
        mul.getInput1() != cmp.getInput1())
      return fail();
    auto alphaC = mul.getInput2().getDefiningOp<tosa::ConstOp>();
    if (!alphaC ||
        cast<DenseElementsAttr>(alphaC.getValues()).getNumElements() != 1)
      return fail();
    float alpha = (*cast<DenseElementsAttr>(alphaC.getValues())
                        .getValues<APFloat>()
                        .begin())
                      .convertToFloat();
    std::string x = operand(cmp.getInput1());
    define(op.getResult());
    emit(op, llvm::formatv("tinyprune::rt::leakyReluFloat({0}, (const float "
                           "*){1}, {2}, (float *){3});",
                           n, x, floatLiteral(alpha), ptr(op.getResult()))
                 .str());
    allowInPlace(cmp.getInput1(), op.getResult());
    return success();
  }
  auto cmp = op.getInput1().getDefiningOp<tosa::GreaterEqualOp>();
  auto pos = op.getInput2().getDefiningOp<tosa::RescaleOp>();
  auto neg = op.getInput3().getDefiningOp<tosa::RescaleOp>();
  if (!cmp || !pos || !neg || pos.getInput() != cmp.getInput1() ||
      neg.getInput() != cmp.getInput1() || !outT.getElementType().isInteger(8))
    return fail();
  SmallVector<int64_t> mp, sp, mn, sn;
  if (!rescaleConstants(pos, 1, mp, sp) || !rescaleConstants(neg, 1, mn, sn))
    return fail();
  int64_t inZp = constInts(pos.getInputZp()).front();
  int64_t outZp = constInts(pos.getOutputZp()).front();
  std::string x = operand(cmp.getInput1());
  define(op.getResult());
  emit(op, llvm::formatv("tinyprune::rt::leakyReluInt8({0}, (const int8_t "
                         "*){1}, {2}, {3}, {4}, {5}, {6}, {7}, (int8_t *){8});",
                         n, x, inZp, mp[0], sp[0], mn[0], sn[0], outZp,
                         ptr(op.getResult()))
               .str());
  allowInPlace(cmp.getInput1(), op.getResult());
  return success();
}

LogicalResult KernelCallBuilder::lowerFloatActivation(Operation *o) {
  Value in = o->getOperand(0), out = o->getResult(0);
  std::string x = operand(in);
  define(out);
  emit(o, llvm::formatv("tinyprune::rt::{0}({1}, (const float *){2}, "
                        "(float *){3});",
                        isa<tosa::SigmoidOp>(o) ? "logisticFloat" : "tanhFloat",
                        cast<RankedTensorType>(in.getType()).getNumElements(),
                        x, ptr(out))
              .str());
  allowInPlace(in, out);
  return success();
}

LogicalResult KernelCallBuilder::lowerFloatAvgPool(tosa::AvgPool2dOp a) {
  auto inT = cast<RankedTensorType>(a.getInput().getType());
  if (!isa<FloatType>(inT.getElementType()))
    return a.emitOpError() << "C++ lowering supports float tosa.avg_pool2d";
  auto [out, range] = floatClampAfter(a.getResult());
  std::string x = operand(a.getInput());
  define(out);
  ArrayRef<int64_t> k = a.getKernel(), st = a.getStride(), pd = a.getPad();
  emit(a, llvm::formatv(
              "tinyprune::rt::averagePoolFloat(tinyprune::rt::"
              "PoolParamsFloat{{{0}, {1}, {2}, {3}, {4}, {5}, {6}, {7}}, "
              "{8}, {9}, {10}, {11}, (const float *){12}, {13}, {14}, "
              "(float *){15});",
              st[0], st[1], k[0], k[1], pd[0], pd[2],
              floatLiteral((float)range.first),
              floatLiteral((float)range.second), inT.getDimSize(0),
              inT.getDimSize(1), inT.getDimSize(2), inT.getDimSize(3), x,
              a.getType().getDimSize(1), a.getType().getDimSize(2), ptr(out))
              .str());
  return success();
}
