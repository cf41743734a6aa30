//===- ExportOperators.cpp - One TFLite operator family each
//---------------===//
//
// The exporter's methods that write one TFLite operator (or a family of
// them) from the layer op or the importer's TOSA form it stands for; the
// shared machinery is in TFLiteExporter.cpp.
//
//===----------------------------------------------------------------------===//

#include "Exporter.h"
#include "tinyprune/Dialect/LayerView.h"
#include "tinyprune/rt/quant_params.h"

#include "mlir/IR/BuiltinTypes.h"
#include "llvm/ADT/STLExtras.h"

using namespace mlir;
using namespace tinyprune;
using namespace tinyprune::tflexport;
namespace fb = flatbuffers;
using tflite::ActivationFunctionType;
using tflite::BuiltinOperator;
using tflite::BuiltinOptions;

LogicalResult Exporter::exportConv(Operation *op) {
  FailureOr<ConvLayerView> view = ConvLayerView::get(op);
  if (failed(view))
    return emitError(op->getLoc())
           << "cannot export: not a static NHWC convolution";
  auto conv = dyn_cast<Conv2DOp>(op);
  bool depthwise = !conv;
  bool isFloat = view->isFloat;
  auto weightsType = cast<RankedTensorType>(view->weights.getType());
  auto outType = cast<RankedTensorType>(view->output.getType());
  Type outElt = outType.getElementType();
  QuantAttr inQ = view->inputQuant, wQ = view->weightQuant,
            outQ = view->outputQuant;
  int64_t channels = view->filters;

  std::optional<FullyConnected> fc;
  if (conv)
    fc = asFullyConnected(conv);

  // Integer layers: the importer's requantization from these scales must be
  // the layer's own.
  if (!isFloat) {
    if (!inQ || !wQ || !outQ)
      return emitError(op->getLoc())
             << "cannot export: an int8 layer needs its input, weight and "
                "output quantization";
    auto mult = op->getAttrOfType<DenseI32ArrayAttr>("multiplier");
    auto shift = op->getAttrOfType<DenseI8ArrayAttr>("shift");
    if (!mult || !shift)
      return emitError(op->getLoc())
             << "cannot export: an int8 layer needs its multipliers";
    for (int64_t c = 0; c < channels; ++c) {
      size_t k = mult.size() == 1 ? 0 : c;
      double real = static_cast<double>(inQ.getScale()[0]) *
                    static_cast<double>(wQ.getScaleAt(c)) /
                    static_cast<double>(outQ.getScale()[0]);
      auto [m, s] = tosaMultiplier(real);
      if (m != mult[k] || (m != 0 && s != shift[k]))
        return emitError(op->getLoc())
               << "cannot export: channel " << c << "'s multiplier " << mult[k]
               << " >> " << int(shift[k])
               << " does not follow from its scales (input "
               << inQ.getScale()[0] << ", weight " << wQ.getScaleAt(c)
               << ", output " << outQ.getScale()[0] << " give " << m << " >> "
               << s << ")";
    }
  }
  auto minAttr = op->getAttr("min_val"), maxAttr = op->getAttr("max_val");
  std::optional<ActivationFunctionType> act =
      activationOf(minAttr, maxAttr, outElt, outQ);
  if (!act)
    return emitError(op->getLoc())
           << "cannot export: its clamp [" << minAttr << ", " << maxAttr
           << "] is no TFLite fused activation";

  // Input and output tensors, seen through what the importer added.
  Value source = view->input, result = view->output;
  WindowInput win{view->input};
  if (fc) {
    source = fc->input;
    result = fc->output;
  } else {
    win = windowInput(view->input);
    source = win.source;
  }
  std::optional<tflite::Padding> padding;
  if (!fc) {
    padding = paddingKind(
        cast<ShapedType>(source.getType()), {view->kernelH, view->kernelW},
        {view->strideH, view->strideW}, {view->dilationH, view->dilationW},
        {view->padTop, view->padBottom, view->padLeft, view->padRight},
        win.trimH, win.trimW);
    if (!padding)
      return emitError(op->getLoc()) << "cannot export: its padding "
                                     << listStr({view->padTop, view->padBottom,
                                                 view->padLeft, view->padRight})
                                     << " is neither TFLite's SAME nor VALID";
  }

  FailureOr<int32_t> inT = tensorOf(source);
  if (failed(inT))
    return failure();

  // Weights: OHWI for CONV_2D, [O, I] for FULLY_CONNECTED, [1, KH, KW, C*M]
  // for DEPTHWISE_CONV_2D; the same bytes in each.
  SmallVector<int64_t> wShape(weightsType.getShape());
  if (fc) {
    wShape = {weightsType.getDimSize(0), weightsType.getDimSize(3)};
  } else if (depthwise) {
    wShape = {1, view->kernelH, view->kernelW, channels};
  }
  FailureOr<int32_t> wT = constTensor(
      view->weights, wShape, isFloat ? QuantAttr() : wQ, "weights", op);
  if (failed(wT))
    return failure();

  // Bias: int32 at input scale x weight scale, as TFLite wants it.
  QuantAttr biasQ;
  if (!isFloat) {
    biasQ = getResultQuant(view->bias.getDefiningOp());
    if (!biasQ) {
      SmallVector<float> scales;
      for (int64_t c = 0; c < (wQ.isPerChannel() ? channels : 1); ++c)
        scales.push_back(inQ.getScale()[0] * wQ.getScaleAt(c));
      biasQ = QuantAttr::get(op->getContext(), scales,
                             SmallVector<int64_t>(scales.size(), 0),
                             scales.size() > 1 ? 0 : -1);
    }
  }
  FailureOr<int32_t> bT =
      constTensor(view->bias, {channels}, biasQ, "bias", op);
  if (failed(bT))
    return failure();

  FailureOr<int32_t> outT = defineTensor(result);
  if (failed(outT))
    return failure();
  if (fc) {
    auto opts = tflite::CreateFullyConnectedOptions(
        fbb, *act, tflite::FullyConnectedOptionsWeightsFormat::DEFAULT,
        fc->keepNumDims);
    addOp(BuiltinOperator::FULLY_CONNECTED, opVersion(isFloat, 4),
          {*inT, *wT, *bT}, {*outT}, BuiltinOptions::FullyConnectedOptions,
          opts.Union());
  } else if (depthwise) {
    auto opts = tflite::CreateDepthwiseConv2DOptions(
        fbb, *padding, view->strideW, view->strideH, view->depthMultiplier,
        *act, view->dilationW, view->dilationH);
    addOp(BuiltinOperator::DEPTHWISE_CONV_2D, opVersion(isFloat, 3),
          {*inT, *wT, *bT}, {*outT}, BuiltinOptions::DepthwiseConv2DOptions,
          opts.Union());
  } else {
    auto opts =
        tflite::CreateConv2DOptions(fbb, *padding, view->strideW, view->strideH,
                                    *act, view->dilationW, view->dilationH);
    addOp(BuiltinOperator::CONV_2D, opVersion(isFloat, 3), {*inT, *wT, *bT},
          {*outT}, BuiltinOptions::Conv2DOptions, opts.Union());
  }
  return success();
}

LogicalResult Exporter::exportAddSubMul(Operation *op) {
  Value lhs = op->getOperand(0), rhs = op->getOperand(1);
  Value out = op->getResult(0);
  Type elt = cast<ShapedType>(out.getType()).getElementType();
  ActivationFunctionType act = ActivationFunctionType::NONE;
  bool isFloat = elt.isF32();
  if (isa<AddOp, SubOp, MulOp>(op)) {
    QuantAttr outQ = op->getAttrOfType<QuantAttr>("output_quant");
    std::optional<ActivationFunctionType> a =
        activationOf(op->getAttr("min_val"), op->getAttr("max_val"), elt, outQ);
    if (!a)
      return emitError(op->getLoc())
             << "cannot export: its clamp [" << op->getAttr("min_val") << ", "
             << op->getAttr("max_val") << "] is no TFLite fused activation";
    act = *a;
  } else if (auto mul = dyn_cast<tosa::MulOp>(op)) {
    std::optional<SmallVector<int64_t>> shift = constantInts(mul.getShift());
    if (!shift || llvm::any_of(*shift, [](int64_t s) { return s != 0; }))
      return emitError(op->getLoc())
             << "cannot export: a shifted product has no "
                "TFLite form";
  }
  int version = opVersion(isFloat, 2);
  if (isa<AddOp, tosa::AddOp>(op))
    return emitOp(BuiltinOperator::ADD, version, {lhs, rhs}, out,
                  BuiltinOptions::AddOptions,
                  tflite::CreateAddOptions(fbb, act).Union());
  if (isa<SubOp, tosa::SubOp>(op))
    return emitOp(BuiltinOperator::SUB, version, {lhs, rhs}, out,
                  BuiltinOptions::SubOptions,
                  tflite::CreateSubOptions(fbb, act).Union());
  return emitOp(BuiltinOperator::MUL, version, {lhs, rhs}, out,
                BuiltinOptions::MulOptions,
                tflite::CreateMulOptions(fbb, act).Union());
}

LogicalResult Exporter::exportPool(Operation *op) {
  Value input = op->getOperand(0);
  auto kernel = op->getAttrOfType<DenseI64ArrayAttr>("kernel");
  auto stride = op->getAttrOfType<DenseI64ArrayAttr>("stride");
  auto pad = op->getAttrOfType<DenseI64ArrayAttr>("pad");
  Type elt = cast<ShapedType>(input.getType()).getElementType();
  bool isFloat = elt.isF32();
  bool isMax = isa<MaxPool2dOp>(op);
  QuantAttr q = isFloat ? QuantAttr() : producerQuant(op->getResult(0));

  Value result = op->getResult(0);
  ActivationFunctionType act = ActivationFunctionType::NONE;
  if (isa<MaxPool2dOp, AvgPool2dOp>(op)) {
    std::optional<ActivationFunctionType> a =
        activationOf(op->getAttr("min_val"), op->getAttr("max_val"), elt, q);
    if (!a)
      return emitError(op->getLoc())
             << "cannot export: its clamp [" << op->getAttr("min_val") << ", "
             << op->getAttr("max_val") << "] is no TFLite fused activation";
    act = *a;
  } else {
    // tosa.avg_pool2d (float): its activation is the clamp after it.
    std::tie(result, act) = fuseClamp(op, q);
  }
  WindowInput win = windowInput(input);
  std::optional<tflite::Padding> padding = paddingKind(
      cast<ShapedType>(win.source.getType()), kernel.asArrayRef(),
      stride.asArrayRef(), {1, 1}, pad.asArrayRef(), win.trimH, win.trimW);
  if (!padding)
    return emitError(op->getLoc())
           << "cannot export: its padding " << listStr(pad.asArrayRef())
           << " is neither TFLite's SAME nor VALID";
  auto opts = tflite::CreatePool2DOptions(fbb, *padding, stride[1], stride[0],
                                          kernel[1], kernel[0], act);
  return emitOp(isMax ? BuiltinOperator::MAX_POOL_2D
                      : BuiltinOperator::AVERAGE_POOL_2D,
                opVersion(isFloat, 2), win.source, result,
                BuiltinOptions::Pool2DOptions, opts.Union());
}

LogicalResult Exporter::exportRequantize(RequantizeOp op) {
  QuantAttr inQ = op.getInputQuant(), outQ = op.getOutputQuant();
  int32_t mult = static_cast<int32_t>(op.getMultiplierAttr().getInt());
  int32_t shift = static_cast<int32_t>(op.getShiftAttr().getInt());
  int64_t lo = op.getMinValAttr().getInt(), hi = op.getMaxValAttr().getInt();
  auto same = [&](std::pair<int32_t, int32_t> m) {
    return m.first == mult && (mult == 0 || m.second == shift);
  };
  // QUANTIZE: in_scale / out_scale in double, no clamp. RELU, RELU6 and
  // RELU_N1_TO_1: the ratio in float, the activation's clamp.
  std::optional<BuiltinOperator> code;
  double realDouble = static_cast<double>(inQ.getScale()[0]) /
                      static_cast<double>(outQ.getScale()[0]);
  float realFloat = inQ.getScale()[0] / outQ.getScale()[0];
  auto clampIs = [&](rt::Activation a) {
    rt::ActivationRange r = rt::activationRange(
        a, outQ.getScale()[0], static_cast<int32_t>(outQ.getZeroPoint()[0]),
        -128, 127);
    return r.min == lo && r.max == hi;
  };
  if (clampIs(rt::Activation::None) && same(tosaMultiplier(realDouble)))
    code = BuiltinOperator::QUANTIZE;
  else if (clampIs(rt::Activation::Relu) && same(tosaMultiplier(realFloat)))
    code = BuiltinOperator::RELU;
  else if (clampIs(rt::Activation::Relu6) && same(tosaMultiplier(realFloat)))
    code = BuiltinOperator::RELU6;
  if (!code)
    return emitError(op.getLoc())
           << "cannot export: its requantization (" << mult << " >> " << shift
           << ", clamp [" << lo << ", " << hi
           << "]) is neither TFLite's QUANTIZE, RELU nor RELU6 "
              "of its scales";
  return emitOp(*code, 2, op.getInput(), op.getOutput());
}

LogicalResult Exporter::exportReshape(tosa::ReshapeOp op) {
  auto type = cast<RankedTensorType>(op.getType());
  std::vector<int32_t> dims(type.getShape().begin(), type.getShape().end());
  auto opts = tflite::CreateReshapeOptions(fbb, fbb.CreateVector(dims));
  return emitOp(BuiltinOperator::RESHAPE, 1, op.getInput1(), op.getResult(),
                BuiltinOptions::ReshapeOptions, opts.Union(),
                [&](const std::string &out) -> SmallVector<int32_t> {
                  return {int32Vector(out + "/shape", type.getShape())};
                });
}

LogicalResult Exporter::exportConcat(tosa::ConcatOp op) {
  Type elt = cast<ShapedType>(op.getType()).getElementType();
  auto [result, act] =
      fuseClamp(op, elt.isF32() ? QuantAttr() : producerQuant(op.getResult()));
  auto opts = tflite::CreateConcatenationOptions(
      fbb, static_cast<int32_t>(op.getAxis()), act);
  return emitOp(BuiltinOperator::CONCATENATION, opVersion(elt.isF32(), 2),
                op.getInput1(), result, BuiltinOptions::ConcatenationOptions,
                opts.Union());
}

LogicalResult Exporter::exportPad(tosa::PadOp op) {
  auto padding = op.getPadding().getDefiningOp<tosa::ConstShapeOp>();
  if (!padding)
    return emitError(op.getLoc())
           << "cannot export: its padding is not constant";
  SmallVector<int64_t> pads;
  for (const APInt &p : padding.getValues().getValues<APInt>())
    pads.push_back(p.getSExtValue());
  // TFLite's PAD pads with the zero point (0.0 on float).
  auto type = cast<RankedTensorType>(op.getInput1().getType());
  Type elt = type.getElementType();
  int64_t zp = 0;
  if (!elt.isF32()) {
    if (QuantAttr q = producerQuant(op.getInput1()))
      zp = q.getZeroPoint()[0];
  }
  DenseElementsAttr padValue = constantElements(op.getPadConst());
  bool ok = padValue && padValue.isSplat();
  if (ok && elt.isF32())
    ok = padValue.getSplatValue<APFloat>().isZero();
  else if (ok)
    ok = padValue.getSplatValue<APInt>().getSExtValue() == zp;
  if (!ok)
    return emitError(op.getLoc())
           << "cannot export: TFLite's PAD pads with the zero "
              "point, this pad with another value";
  return emitOp(
      BuiltinOperator::PAD, opVersion(elt.isF32(), 2), op.getInput1(),
      op.getResult(), BuiltinOptions::PadOptions,
      tflite::CreatePadOptions(fbb).Union(),
      [&](const std::string &out) -> SmallVector<int32_t> {
        return {int32Tensor(out + "/paddings", pads, {type.getRank(), 2})};
      });
}

LogicalResult Exporter::exportSlice(tosa::SliceOp op) {
  auto start = op.getStart().getDefiningOp<tosa::ConstShapeOp>();
  auto size = op.getSize().getDefiningOp<tosa::ConstShapeOp>();
  if (!start || !size)
    return emitError(op.getLoc())
           << "cannot export: its bounds are not constant";
  SmallVector<int64_t> begin, end, strides;
  for (const APInt &s : start.getValues().getValues<APInt>())
    begin.push_back(s.getSExtValue());
  auto outType = cast<RankedTensorType>(op.getType());
  for (auto [b, n] : llvm::zip(begin, outType.getShape())) {
    end.push_back(b + n);
    strides.push_back(1);
  }
  bool isFloat = outType.getElementType().isF32();
  return emitOp(BuiltinOperator::STRIDED_SLICE, opVersion(isFloat, 2),
                op.getInput1(), op.getResult(),
                BuiltinOptions::StridedSliceOptions,
                tflite::CreateStridedSliceOptions(fbb).Union(),
                [&](const std::string &out) -> SmallVector<int32_t> {
                  // Made in this order: begin, end, strides.
                  int32_t b = int32Vector(out + "/begin", begin);
                  int32_t e = int32Vector(out + "/end", end);
                  return {b, e, int32Vector(out + "/strides", strides)};
                });
}

LogicalResult Exporter::exportTranspose(tosa::TransposeOp op) {
  SmallVector<int64_t> perms(op.getPerms().begin(), op.getPerms().end());
  bool isFloat = cast<ShapedType>(op.getType()).getElementType().isF32();
  return emitOp(BuiltinOperator::TRANSPOSE, opVersion(isFloat, 2),
                op.getInput1(), op.getResult(),
                BuiltinOptions::TransposeOptions,
                tflite::CreateTransposeOptions(fbb).Union(),
                [&](const std::string &out) -> SmallVector<int32_t> {
                  return {int32Vector(out + "/perm", perms)};
                });
}

LogicalResult Exporter::exportClamp(tosa::ClampOp op) {
  Type elt = cast<ShapedType>(op.getType()).getElementType();
  if (!elt.isF32())
    return emitError(op.getLoc())
           << "cannot export: an integer clamp that is not "
              "the fused activation of the op before it";
  std::optional<ActivationFunctionType> act =
      activationOf(op.getMinValAttr(), op.getMaxValAttr(), elt, QuantAttr());
  std::optional<BuiltinOperator> code;
  if (act == ActivationFunctionType::RELU)
    code = BuiltinOperator::RELU;
  else if (act == ActivationFunctionType::RELU6)
    code = BuiltinOperator::RELU6;
  else if (act == ActivationFunctionType::RELU_N1_TO_1)
    code = BuiltinOperator::RELU_N1_TO_1;
  if (!code)
    return emitError(op.getLoc())
           << "cannot export: clamp [" << op.getMinValAttr() << ", "
           << op.getMaxValAttr() << "] is not RELU, RELU6 or RELU_N1_TO_1";
  return emitOp(*code, 1, op.getInput(), op.getResult());
}

LogicalResult Exporter::exportDequantize(tosa::CastOp op) {
  // The importer's DEQUANTIZE: (float(x) - zp) * scale, per tensor or per
  // channel, the constants broadcast.
  Value x = op.getInput();
  QuantAttr q = producerQuant(x);
  auto sub = soleUser<SubOp>(op.getResult());
  MulOp mul = sub ? soleUser<MulOp>(sub.getResult()) : MulOp();
  if (!q || !sub || !mul || sub.getLhs() != op.getResult() ||
      mul.getLhs() != sub.getResult() || !unclamped(sub) || !unclamped(mul))
    return emitError(op.getLoc()) << "cannot export: a cast that is not the "
                                     "importer's DEQUANTIZE";
  auto zps = constantFloats(sub.getRhs());
  auto scales = constantFloats(mul.getRhs());
  size_t n = q.getScale().size();
  if (!zps || !scales || zps->size() != n || scales->size() != n)
    return emitError(op.getLoc())
           << "cannot export: DEQUANTIZE constants do not "
              "match the input's quantization";
  for (size_t i = 0; i < n; ++i)
    if ((*scales)[i] != q.getScale()[i] ||
        (*zps)[i] != static_cast<float>(q.getZeroPoint()[i]))
      return emitError(op.getLoc())
             << "cannot export: DEQUANTIZE constants do not "
                "match the input's quantization";
  folded.insert(sub);
  folded.insert(mul);
  return emitOp(BuiltinOperator::DEQUANTIZE, 2, x, mul.getResult());
}

LogicalResult Exporter::exportFloatMean(tosa::ReduceSumOp op) {
  // The importer's float MEAN: one reduce_sum per axis, times 1/count, and
  // a reshape without the reduced axes unless keep_dims.
  Value x = op.getInput();
  auto inType = cast<RankedTensorType>(x.getType());
  SmallVector<int64_t> axes;
  SmallVector<Operation *> chain;
  tosa::ReduceSumOp last = op;
  axes.push_back(op.getAxis());
  while (auto next = soleUser<tosa::ReduceSumOp>(last.getResult())) {
    chain.push_back(next);
    axes.push_back(next.getAxis());
    last = next;
  }
  auto mul = soleUser<MulOp>(last.getResult());
  int64_t count = 1;
  for (int64_t a : axes)
    count *= inType.getDimSize(a);
  std::optional<float> inv = mul ? splatFloat(mul.getRhs()) : std::nullopt;
  if (!inType.getElementType().isF32() || !mul ||
      mul.getLhs() != last.getResult() || !unclamped(mul) || !inv ||
      *inv != 1.0f / static_cast<float>(count))
    return emitError(op.getLoc())
           << "cannot export: a reduce_sum that is not the "
              "importer's float MEAN";
  Value result = mul.getResult();
  bool keepDims = true;
  if (auto reshape = soleUser<tosa::ReshapeOp>(result)) {
    SmallVector<int64_t> dropped;
    for (int64_t d = 0; d < inType.getRank(); ++d)
      if (!llvm::is_contained(axes, d))
        dropped.push_back(inType.getDimSize(d));
    if (cast<RankedTensorType>(reshape.getType()).getShape() ==
        ArrayRef<int64_t>(dropped)) {
      keepDims = false;
      result = reshape.getResult();
      folded.insert(reshape);
    }
  }
  for (Operation *o : chain)
    folded.insert(o);
  folded.insert(mul);
  return emitOp(BuiltinOperator::MEAN, 1, x, result,
                BuiltinOptions::ReducerOptions,
                tflite::CreateReducerOptions(fbb, keepDims).Union(),
                [&](const std::string &out) -> SmallVector<int32_t> {
                  return {int32Vector(out + "/axes", axes)};
                });
}

LogicalResult Exporter::exportMean(MeanOp op) {
  SmallVector<int64_t> axes(op.getAxes());
  return emitOp(BuiltinOperator::MEAN, 2, op.getInput(), op.getOutput(),
                BuiltinOptions::ReducerOptions,
                tflite::CreateReducerOptions(fbb, op.getKeepDims()).Union(),
                [&](const std::string &out) -> SmallVector<int32_t> {
                  return {int32Vector(out + "/axes", axes)};
                });
}

LogicalResult Exporter::exportSoftmax(SoftmaxOp op) {
  bool isFloat = cast<ShapedType>(op.getType()).getElementType().isF32();
  auto beta = static_cast<float>(op.getBetaAttr().getValueAsDouble());
  return emitOp(BuiltinOperator::SOFTMAX, opVersion(isFloat, 2), op.getInput(),
                op.getOutput(), BuiltinOptions::SoftmaxOptions,
                tflite::CreateSoftmaxOptions(fbb, beta).Union());
}

LogicalResult Exporter::exportLeakyRelu(tosa::SelectOp op) {
  auto it = leakyRelus.find(op);
  if (it == leakyRelus.end())
    return emitError(op.getLoc()) << "cannot export: a select that is not the "
                                     "importer's LEAKY_RELU";
  bool isFloat = cast<ShapedType>(op.getType()).getElementType().isF32();
  return emitOp(BuiltinOperator::LEAKY_RELU, opVersion(isFloat, 2),
                it->second.input, op.getResult(),
                BuiltinOptions::LeakyReluOptions,
                tflite::CreateLeakyReluOptions(fbb, it->second.alpha).Union());
}
