//===- TFLiteConvPool.cpp - Linear layers, pools and MEAN -----------------===//
//
// CONV_2D, DEPTHWISE_CONV_2D and FULLY_CONNECTED accumulate in i32 (or
// float) on TOSA convolutions and requantize per channel with TFLite's
// multipliers. AVERAGE_POOL_2D, MAX_POOL_2D and MEAN reduce windows or
// axes; int8 average pooling and MEAN (float MEAN too) become tinyprune
// ops that sum and round as TFLite does.
//
//===----------------------------------------------------------------------===//

#include "TFLiteSubgraphImporter.h"

#include <algorithm>

using namespace mlir;
using namespace tinyprune;
using namespace tinyprune::tfl;
using tflite::ActivationFunctionType;

namespace {

/// One output dimension of a strided window op and the padding TFLite
/// applies, adjusted to what TOSA needs: TOSA wants
/// `(in + before + after - window) % stride == 0`, TFLite floors. Rows that
/// no window reads are removed by lowering the trailing pad, or, where that
/// is zero, by slicing `trim` rows off the input.
struct WindowDim {
  int64_t out = 0;
  int64_t padBefore = 0;
  int64_t padAfter = 0;
  int64_t trim = 0;
};

} // namespace

static WindowDim windowDim(int64_t in, int64_t kernel, int64_t stride,
                           int64_t dilation, tflite::Padding padding) {
  WindowDim d;
  int64_t effective = (kernel - 1) * dilation + 1;
  if (padding == tflite::Padding::SAME) {
    d.out = (in + stride - 1) / stride;
    int64_t total = std::max<int64_t>((d.out - 1) * stride + effective - in, 0);
    d.padBefore = total / 2;
    d.padAfter = total - d.padBefore;
  } else {
    d.out = in >= effective ? (in - effective) / stride + 1 : 0;
  }
  int64_t excess =
      in + d.padBefore + d.padAfter - effective - (d.out - 1) * stride;
  if (d.out > 0 && excess > 0) {
    int64_t fromPad = std::min(excess, d.padAfter);
    d.padAfter -= fromPad;
    d.trim = excess - fromPad;
  }
  return d;
}

//===----------------------------------------------------------------------===//
// Shared by CONV_2D, DEPTHWISE_CONV_2D and FULLY_CONNECTED
//===----------------------------------------------------------------------===//

FailureOr<SubgraphImporter::LinearQuant>
SubgraphImporter::linearQuant(int32_t inIdx, int32_t wIdx, int32_t outIdx,
                              int64_t chanAxis, int64_t channels,
                              StringRef what) {
  const TensorInfo &in = tensor(inIdx), &w = tensor(wIdx),
                   &out = tensor(outIdx);
  LinearQuant lq;
  lq.isFloat = in.type == tflite::TensorType::FLOAT32;
  if (lq.isFloat) {
    if (w.type != tflite::TensorType::FLOAT32 ||
        out.type != tflite::TensorType::FLOAT32) {
      opError() << "float input needs float " << what
                << " and output (hybrid models are not supported)";
      return failure();
    }
    return lq;
  }
  if (in.type != tflite::TensorType::INT8) {
    opError() << "input type " << tflite::EnumNameTensorType(in.type)
              << " is not supported (float32 and int8 are)";
    return failure();
  }
  if (w.type != tflite::TensorType::INT8 ||
      out.type != tflite::TensorType::INT8) {
    opError() << "int8 input needs int8 " << what << " and output";
    return failure();
  }
  auto iq = perTensorQuant(inIdx, "input");
  auto oq = perTensorQuant(outIdx, "output");
  if (failed(iq) || failed(oq))
    return failure();
  lq.input = *iq;
  lq.output = *oq;
  if (!w.quant) {
    opError() << what << " '" << w.name << "' has no quantization";
    return failure();
  }
  if (w.quant->isPerChannel() && w.quant->axis != chanAxis) {
    opError() << what << " '" << w.name << "' is quantized along dimension "
              << w.quant->axis << ", expected " << chanAxis;
    return failure();
  }
  if (fromUInt8[wIdx] && !w.quant->isPerChannel())
    lq.weightZp = w.quant->zeroPoint[0];
  for (int64_t zp : w.quant->zeroPoint) {
    if (zp != lq.weightZp) {
      opError() << what << " '" << w.name << "' has zero point " << zp
                << "; TFLite int8 weights are symmetric";
      return failure();
    }
  }
  // TFLite's PopulateConvolutionQuantizationParams, in double.
  for (int64_t c = 0; c < channels; ++c) {
    double effective =
        static_cast<double>(lq.input.scale[0]) *
        static_cast<double>(w.quant->scale[w.quant->isPerChannel() ? c : 0]) /
        static_cast<double>(lq.output.scale[0]);
    lq.multipliers.push_back(rt::quantizeMultiplier(effective));
  }
  return lq;
}

FailureOr<Value> SubgraphImporter::asymmetricWeights(const LinearQuant &lq,
                                                     ArrayRef<int64_t> shape,
                                                     int64_t &repeat) {
  const TensorInfo &w = tensor(cur->inputs[1]);
  int64_t count = w.numElements(), inner = shape.back();
  SmallVector<int8_t> a(count), rest(count);
  bool split = false;
  for (int64_t k = 0; k < count; ++k) {
    int64_t v = int64_t(int8_t(w.data[k])) - lq.weightZp;
    a[k] = int8_t(std::clamp<int64_t>(v, -128, 127));
    rest[k] = int8_t(v - a[k]);
    split |= rest[k] != 0;
  }
  repeat = split ? 2 : 1;
  SmallVector<int64_t> outShape(shape);
  outShape.back() = inner * repeat;
  SmallVector<int8_t> values;
  values.reserve(count * repeat);
  for (int64_t k = 0; k < count; k += inner) {
    values.append(a.begin() + k, a.begin() + k + inner);
    if (split)
      values.append(rest.begin() + k, rest.begin() + k + inner);
  }
  Value c = constantOf<int8_t>(outShape, b.getI8Type(), values);
  c.getDefiningOp()->setLoc(tensorLoc(cur->inputs[1]));
  setResultQuant(c.getDefiningOp(),
                 QuantAttr::get(ctx, w.quant->scale, {0}, -1));
  return c;
}

/// `x` with its innermost dimension repeated `repeat` times.
static Value repeatChannels(OpBuilder &b, Location loc, Value x, int64_t repeat,
                            QuantAttr quant) {
  if (repeat == 1)
    return x;
  auto t = cast<RankedTensorType>(x.getType());
  SmallVector<int64_t> shape(t.getShape());
  shape.back() *= repeat;
  SmallVector<Value> parts(repeat, x);
  auto cat = tosa::ConcatOp::create(
      b, loc, RankedTensorType::get(shape, t.getElementType()), parts,
      t.getRank() - 1);
  if (quant)
    setResultQuant(cat, quant);
  return cat;
}

FailureOr<Value> SubgraphImporter::linearBias(int64_t channels, bool isFloat) {
  Type accElt = isFloat ? Type(b.getF32Type()) : Type(b.getI32Type());
  FailureOr<int32_t> biasIdx = inputIndex(2, /*optional=*/true);
  if (*biasIdx < 0)
    return isFloat ? constantOf<float>({channels}, accElt,
                                       SmallVector<float>(channels, 0.0f))
                   : constantOf<int32_t>({channels}, accElt,
                                         SmallVector<int32_t>(channels, 0));
  const TensorInfo &bt = tensor(*biasIdx);
  bool okType = isFloat ? bt.type == tflite::TensorType::FLOAT32
                        : bt.type == tflite::TensorType::INT32;
  if (!okType) {
    opError() << "bias '" << bt.name << "' has type "
              << tflite::EnumNameTensorType(bt.type) << ", expected "
              << (isFloat ? "FLOAT32" : "INT32");
    return failure();
  }
  if (bt.numElements() != channels) {
    opError() << "bias '" << bt.name << "' has " << bt.numElements()
              << " elements, expected " << channels;
    return failure();
  }
  return inputAs(2, {channels});
}

LogicalResult SubgraphImporter::finishLinear(Value acc, const LinearQuant &lq,
                                             ActivationFunctionType act,
                                             int32_t outIdx,
                                             ArrayRef<int64_t> outShape) {
  Value result = acc;
  if (!lq.isFloat) {
    FailureOr<Value> r =
        rescale(acc, b.getI8Type(), lq.multipliers, 0, lq.output.zeroPoint[0]);
    if (failed(r))
      return failure();
    result = *r;
  }
  FailureOr<Value> activated = fusedActivation(result, act, outIdx);
  if (failed(activated))
    return failure();
  defineOutput(0, reshape(*activated, outShape));
  return success();
}

//===----------------------------------------------------------------------===//
// CONV_2D, DEPTHWISE_CONV_2D
//===----------------------------------------------------------------------===//

/// Checks that `out` has the declared shape of the op's output tensor.
static bool sameShape(ArrayRef<int64_t> a, ArrayRef<int64_t> b) {
  return a == b;
}

LogicalResult SubgraphImporter::convertConvLike(bool depthwise) {
  if (failed(checkArity(2, 3, 1)))
    return failure();
  int32_t inIdx = cur->inputs[0], wIdx = cur->inputs[1],
          outIdx = cur->outputs[0];
  if (inIdx < 0 || wIdx < 0)
    return opError() << "input and filter are required";
  const TensorInfo &in = tensor(inIdx), &w = tensor(wIdx),
                   &out = tensor(outIdx);

  // Options.
  tflite::Padding padding = tflite::Padding::SAME;
  int64_t strideH = 0, strideW = 0, dilH = 1, dilW = 1;
  ActivationFunctionType act = ActivationFunctionType::NONE;
  if (depthwise) {
    auto opts = options<tflite::DepthwiseConv2DOptions>();
    if (failed(opts))
      return failure();
    if (*opts) {
      padding = (*opts)->padding();
      strideH = (*opts)->stride_h();
      strideW = (*opts)->stride_w();
      dilH = (*opts)->dilation_h_factor();
      dilW = (*opts)->dilation_w_factor();
      act = (*opts)->fused_activation_function();
    }
  } else {
    auto opts = options<tflite::Conv2DOptions>();
    if (failed(opts))
      return failure();
    if (*opts) {
      padding = (*opts)->padding();
      strideH = (*opts)->stride_h();
      strideW = (*opts)->stride_w();
      dilH = (*opts)->dilation_h_factor();
      dilW = (*opts)->dilation_w_factor();
      act = (*opts)->fused_activation_function();
      if ((*opts)->quantized_bias_type() != tflite::TensorType::FLOAT32 &&
          (*opts)->quantized_bias_type() != tflite::TensorType::INT32)
        return opError() << "quantized_bias_type "
                         << tflite::EnumNameTensorType(
                                (*opts)->quantized_bias_type())
                         << " is not supported";
    }
  }
  if (strideH < 1 || strideW < 1 || dilH < 1 || dilW < 1)
    return opError() << "strides (" << strideH << ", " << strideW
                     << ") and dilations (" << dilH << ", " << dilW
                     << ") must be >= 1";
  if (padding != tflite::Padding::SAME && padding != tflite::Padding::VALID)
    return opError() << "unknown padding kind";

  // Shapes: input NHWC, filter OHWI (conv) or 1HW(C*M) (depthwise).
  if (in.shape.size() != 4 || w.shape.size() != 4 || out.shape.size() != 4)
    return opError() << "input, filter and output must have rank 4, got "
                     << shapeStr(in.shape) << ", " << shapeStr(w.shape)
                     << " and " << shapeStr(out.shape);
  int64_t n = in.shape[0], ih = in.shape[1], iw = in.shape[2], ic = in.shape[3];
  int64_t kh = w.shape[1], kw = w.shape[2];
  int64_t oc = depthwise ? w.shape[3] : w.shape[0];
  int64_t multiplier = 1;
  if (depthwise) {
    if (w.shape[0] != 1)
      return opError() << "depthwise filter " << shapeStr(w.shape)
                       << " must have a leading 1";
    if (ic == 0 || oc % ic != 0)
      return opError() << "depthwise filter has " << oc
                       << " channels, not a multiple of the " << ic
                       << " input channels";
    multiplier = oc / ic;
  } else if (w.shape[3] != ic) {
    return opError() << "filter " << shapeStr(w.shape) << " expects "
                     << w.shape[3] << " input channels, but the input "
                     << shapeStr(in.shape) << " has " << ic;
  }
  if (kh < 1 || kw < 1 || n < 1 || ih < 1 || iw < 1 || ic < 1 || oc < 1)
    return opError() << "input " << shapeStr(in.shape) << " and filter "
                     << shapeStr(w.shape) << " must not have empty dimensions";
  WindowDim dh = windowDim(ih, kh, strideH, dilH, padding);
  WindowDim dw = windowDim(iw, kw, strideW, dilW, padding);
  SmallVector<int64_t> expected = {n, dh.out, dw.out, oc};
  if (!sameShape(out.shape, expected))
    return opError() << "output " << shapeStr(out.shape)
                     << " does not match the shape " << shapeStr(expected)
                     << " given by input, filter, strides and padding";
  if (!w.isConstant)
    return opError() << "filter '" << w.name << "' must be constant";

  FailureOr<LinearQuant> lq =
      linearQuant(inIdx, wIdx, outIdx, depthwise ? 3 : 0, oc, "filter");
  if (failed(lq))
    return failure();
  bool isFloat = lq->isFloat;
  QuantParams inQ = lq->input;
  Type accElt = isFloat ? Type(b.getF32Type()) : Type(b.getI32Type());
  FailureOr<Value> biasV = linearBias(oc, isFloat);
  if (failed(biasV))
    return failure();
  Value bias = *biasV;

  FailureOr<Value> inV = input(0);
  if (failed(inV))
    return failure();
  Value x = *inV;
  if (dh.trim || dw.trim) {
    SmallVector<int64_t> start = {0, 0, 0, 0};
    SmallVector<int64_t> size = {n, ih - dh.trim, iw - dw.trim, ic};
    x = tosa::SliceOp::create(
        b, loc,
        RankedTensorType::get(size,
                              cast<ShapedType>(x.getType()).getElementType()),
        x, shapeValue(start), shapeValue(size));
  }

  Type inElt = cast<ShapedType>(x.getType()).getElementType();
  int64_t inZp = isFloat ? 0 : inQ.zeroPoint[0];
  Value inZpV = zeroPoint(inElt, inZp);
  Value wZpV = zeroPoint(inElt, 0);
  SmallVector<int64_t> pad = {dh.padBefore, dh.padAfter, dw.padBefore,
                              dw.padAfter};
  SmallVector<int64_t> stride = {strideH, strideW};
  SmallVector<int64_t> dilation = {dilH, dilW};
  auto accType = RankedTensorType::get(expected, accElt);

  Value acc;
  if (depthwise) {
    // TFLite [1, KH, KW, C*M] and TOSA [KH, KW, C, M] share one byte order.
    // With M == 1 the channel axis (2) carries the per-channel scales; with
    // M > 1 the constant keeps TFLite's shape and is reshaped.
    Value weights;
    if (lq->weightZp != 0) {
      int64_t repeat = 1;
      FailureOr<Value> wv =
          asymmetricWeights(*lq, {kh, kw, ic, multiplier}, repeat);
      if (failed(wv))
        return failure();
      if (repeat != 1)
        return opError() << "uint8 filter '" << w.name << "' has zero point "
                         << lq->weightZp + 128
                         << " and values more than 127 away from it, which "
                            "the int8 depthwise kernels cannot hold";
      weights = *wv;
    } else if (multiplier == 1) {
      FailureOr<Value> wv = inputAs(1, {kh, kw, ic, 1});
      if (failed(wv))
        return failure();
      weights = *wv;
      if (w.quant && !isFloat) {
        QuantParams q = *w.quant;
        if (QuantAttr qa = QuantAttr::get(ctx, q.scale, q.zeroPoint,
                                          q.isPerChannel() ? 2 : -1))
          setResultQuant(weights.getDefiningOp(), qa);
      }
    } else {
      FailureOr<Value> wv = input(1);
      if (failed(wv))
        return failure();
      weights = reshape(*wv, {kh, kw, ic, multiplier});
    }
    acc = tosa::DepthwiseConv2DOp::create(b, loc, accType, x, weights, bias,
                                          inZpV, wZpV, pad, stride, dilation,
                                          accElt);
  } else if (lq->weightZp != 0) {
    int64_t repeat = 1;
    FailureOr<Value> wv = asymmetricWeights(*lq, w.shape, repeat);
    if (failed(wv))
      return failure();
    acc = tosa::Conv2DOp::create(
        b, loc, accType, repeatChannels(b, loc, x, repeat, quantAttr(inIdx)),
        *wv, bias, inZpV, wZpV, pad, stride, dilation, accElt);
  } else {
    FailureOr<Value> wv = input(1);
    if (failed(wv))
      return failure();
    acc = tosa::Conv2DOp::create(b, loc, accType, x, *wv, bias, inZpV, wZpV,
                                 pad, stride, dilation, accElt);
  }

  return finishLinear(acc, *lq, act, outIdx, out.shape);
}

//===----------------------------------------------------------------------===//
// FULLY_CONNECTED
//===----------------------------------------------------------------------===//

/// A fully-connected layer is a 1x1 convolution over a [rows, 1, 1, in]
/// view of its input; weights [out, in] are OHWI [out, 1, 1, in] as stored.
LogicalResult SubgraphImporter::convertFullyConnected() {
  if (failed(checkArity(2, 3, 1)))
    return failure();
  auto opts = options<tflite::FullyConnectedOptions>();
  if (failed(opts))
    return failure();
  ActivationFunctionType act = ActivationFunctionType::NONE;
  if (*opts) {
    act = (*opts)->fused_activation_function();
    if ((*opts)->weights_format() !=
        tflite::FullyConnectedOptionsWeightsFormat::DEFAULT)
      return opError() << "shuffled weight formats are not supported";
    if ((*opts)->quantized_bias_type() != tflite::TensorType::FLOAT32 &&
        (*opts)->quantized_bias_type() != tflite::TensorType::INT32)
      return opError() << "quantized_bias_type is not supported";
  }
  int32_t inIdx = cur->inputs[0], wIdx = cur->inputs[1],
          outIdx = cur->outputs[0];
  if (inIdx < 0 || wIdx < 0)
    return opError() << "input and weights are required";
  const TensorInfo &in = tensor(inIdx), &w = tensor(wIdx),
                   &out = tensor(outIdx);
  if (w.shape.size() != 2)
    return opError() << "weights " << shapeStr(w.shape) << " must have rank 2";
  int64_t units = w.shape[0], depth = w.shape[1];
  if (units < 1 || depth < 1)
    return opError() << "weights " << shapeStr(w.shape) << " are empty";
  int64_t total = in.numElements();
  if (total % depth != 0)
    return opError() << "input " << shapeStr(in.shape) << " has " << total
                     << " elements, not a multiple of the weights' depth "
                     << depth;
  int64_t rows = total / depth;
  bool keepDims = *opts && (*opts)->keep_num_dims();
  SmallVector<int64_t> expectedOut = {rows, units};
  if (keepDims) {
    if (in.shape.empty() || in.shape.back() != depth)
      return opError() << "keep_num_dims needs the input's last dimension ("
                       << shapeStr(in.shape) << ") to equal the depth "
                       << depth;
    expectedOut.assign(in.shape.begin(), in.shape.end());
    expectedOut.back() = units;
  }
  if (out.shape != ArrayRef<int64_t>(expectedOut))
    return opError() << "output " << shapeStr(out.shape)
                     << " does not match the expected shape "
                     << shapeStr(expectedOut);
  if (!w.isConstant)
    return opError() << "weights '" << w.name << "' must be constant";

  FailureOr<LinearQuant> lq =
      linearQuant(inIdx, wIdx, outIdx, /*chanAxis=*/0, units, "weights");
  if (failed(lq))
    return failure();
  bool isFloat = lq->isFloat;
  QuantParams inQ = lq->input;
  Type accElt = isFloat ? Type(b.getF32Type()) : Type(b.getI32Type());
  FailureOr<Value> biasV = linearBias(units, isFloat);
  if (failed(biasV))
    return failure();
  Value bias = *biasV;

  FailureOr<Value> inV = input(0);
  if (failed(inV))
    return failure();
  Value x = reshape(*inV, {rows, 1, 1, depth});
  int64_t repeat = 1;
  FailureOr<Value> wv =
      lq->weightZp != 0 ? asymmetricWeights(*lq, {units, 1, 1, depth}, repeat)
                        : inputAs(1, {units, 1, 1, depth});
  if (failed(wv))
    return failure();
  x = repeatChannels(b, loc, x, repeat, quantAttr(inIdx));
  if (w.quant && !isFloat && lq->weightZp == 0)
    setResultQuant(wv->getDefiningOp(),
                   QuantAttr::get(ctx, w.quant->scale, w.quant->zeroPoint,
                                  w.quant->isPerChannel() ? 0 : -1));
  Type inElt = cast<ShapedType>(x.getType()).getElementType();
  Value inZpV = zeroPoint(inElt, isFloat ? 0 : inQ.zeroPoint[0]);
  Value wZpV = zeroPoint(inElt, 0);
  auto accType = RankedTensorType::get({rows, 1, 1, units}, accElt);
  Value acc = tosa::Conv2DOp::create(
      b, loc, accType, x, *wv, bias, inZpV, wZpV, ArrayRef<int64_t>{0, 0, 0, 0},
      ArrayRef<int64_t>{1, 1}, ArrayRef<int64_t>{1, 1}, accElt);
  return finishLinear(acc, *lq, act, outIdx, out.shape);
}

//===----------------------------------------------------------------------===//
// AVERAGE_POOL_2D, MAX_POOL_2D
//===----------------------------------------------------------------------===//

LogicalResult SubgraphImporter::convertPool(bool isMax) {
  if (failed(checkArity(1, 1, 1)))
    return failure();
  auto opts = options<tflite::Pool2DOptions>();
  if (failed(opts))
    return failure();
  if (!*opts)
    return opError() << "has no Pool2DOptions";
  const tflite::Pool2DOptions &o = **opts;
  int32_t inIdx = cur->inputs[0], outIdx = cur->outputs[0];
  const TensorInfo &in = tensor(inIdx), &out = tensor(outIdx);
  if (in.shape.size() != 4 || out.shape.size() != 4)
    return opError() << "input and output must have rank 4";
  int64_t kh = o.filter_height(), kw = o.filter_width();
  int64_t sh = o.stride_h(), sw = o.stride_w();
  if (kh < 1 || kw < 1 || sh < 1 || sw < 1)
    return opError() << "filter (" << kh << ", " << kw << ") and strides ("
                     << sh << ", " << sw << ") must be >= 1";
  if (o.padding() != tflite::Padding::SAME &&
      o.padding() != tflite::Padding::VALID)
    return opError() << "unknown padding kind";
  if (in.shape[1] < 1 || in.shape[2] < 1)
    return opError() << "input " << shapeStr(in.shape) << " is empty";
  WindowDim dh = windowDim(in.shape[1], kh, sh, 1, o.padding());
  WindowDim dw = windowDim(in.shape[2], kw, sw, 1, o.padding());
  SmallVector<int64_t> expected = {in.shape[0], dh.out, dw.out, in.shape[3]};
  if (!sameShape(out.shape, expected))
    return opError() << "output " << shapeStr(out.shape)
                     << " does not match the shape " << shapeStr(expected)
                     << " given by input, filter, strides and padding";
  if (dh.padBefore >= kh || dh.padAfter >= kh || dw.padBefore >= kw ||
      dw.padAfter >= kw)
    return opError() << "padding as large as the window is not supported";
  if (in.type != out.type)
    return opError() << "input and output types differ";
  bool isFloat = in.type == tflite::TensorType::FLOAT32;
  if (!isFloat && in.type != tflite::TensorType::INT8)
    return unsupportedActivationType(in.type);
  QuantParams q;
  if (!isFloat) {
    auto iq = perTensorQuant(inIdx, "input");
    auto oq = perTensorQuant(outIdx, "output");
    if (failed(iq) || failed(oq))
      return failure();
    if (iq->scale[0] != oq->scale[0] || iq->zeroPoint[0] != oq->zeroPoint[0])
      return opError() << "input and output quantization must be equal, as "
                          "TFLite requires for pooling";
    q = *iq;
  }

  FailureOr<Value> inV = input(0);
  if (failed(inV))
    return failure();
  Value x = *inV;
  auto inType = cast<RankedTensorType>(x.getType());
  if (dh.trim || dw.trim) {
    SmallVector<int64_t> size = {in.shape[0], in.shape[1] - dh.trim,
                                 in.shape[2] - dw.trim, in.shape[3]};
    x = tosa::SliceOp::create(
        b, loc, RankedTensorType::get(size, inType.getElementType()), x,
        shapeValue({0, 0, 0, 0}), shapeValue(size));
  }
  SmallVector<int64_t> kernel = {kh, kw}, stride = {sh, sw};
  SmallVector<int64_t> pad = {dh.padBefore, dh.padAfter, dw.padBefore,
                              dw.padAfter};
  auto outType = RankedTensorType::get(expected, inType.getElementType());
  Value result;
  if (isMax) {
    result = tosa::MaxPool2dOp::create(b, loc, outType, x, kernel, stride, pad);
  } else if (isFloat) {
    Value zp = zeroPoint(b.getF32Type(), 0);
    result = tosa::AvgPool2dOp::create(b, loc, outType, x, zp, zp, kernel,
                                       stride, pad, b.getF32Type());
  } else {
    // Integer average pool: TFLite's rounding, with the activation clamp
    // folded in.
    rt::Activation a = rt::Activation::None;
    switch (o.fused_activation_function()) {
    case ActivationFunctionType::NONE:
      break;
    case ActivationFunctionType::RELU:
      a = rt::Activation::Relu;
      break;
    case ActivationFunctionType::RELU6:
      a = rt::Activation::Relu6;
      break;
    case ActivationFunctionType::RELU_N1_TO_1:
      a = rt::Activation::ReluN1To1;
      break;
    default:
      return opError() << "fused activation is not supported on integers";
    }
    unsigned bits = inType.getElementType().getIntOrFloatBitWidth();
    rt::ActivationRange r = rt::activationRange(a, q.scale[0], q.zeroPoint[0],
                                                intMin(bits), intMax(bits));
    auto quant = QuantAttr::get(ctx, q.scale, q.zeroPoint, -1);
    result = AvgPool2dOp::create(
        b, loc, outType, x, b.getDenseI64ArrayAttr(kernel),
        b.getDenseI64ArrayAttr(stride), b.getDenseI64ArrayAttr(pad),
        b.getI64IntegerAttr(r.min), b.getI64IntegerAttr(r.max), quant,
        // TFLite's uint8 kernel rounds averages of raw uint8 values.
        b.getI64IntegerAttr(fromUInt8[inIdx] ? 128 : 0));
    defineOutput(0, result);
    return success();
  }
  FailureOr<Value> activated =
      fusedActivation(result, o.fused_activation_function(), outIdx);
  if (failed(activated))
    return failure();
  defineOutput(0, *activated);
  return success();
}

//===----------------------------------------------------------------------===//
// MEAN
//===----------------------------------------------------------------------===//

LogicalResult SubgraphImporter::convertMean() {
  if (failed(checkArity(2, 2, 1)))
    return failure();
  auto opts = options<tflite::ReducerOptions>();
  if (failed(opts))
    return failure();
  bool keepDims = *opts && (*opts)->keep_dims();
  int32_t inIdx = cur->inputs[0], outIdx = cur->outputs[0];
  const TensorInfo &in = tensor(inIdx), &out = tensor(outIdx);
  if (tensor(cur->inputs[1]).type != tflite::TensorType::INT32)
    return opError() << "axes must be an int32 tensor, as TFLite requires";
  FailureOr<SmallVector<int64_t>> axesIn = constInts(1);
  if (failed(axesIn))
    return failure();
  int64_t rank = in.shape.size();
  SmallVector<int64_t> axes;
  for (int64_t a : *axesIn) {
    if (a < -rank || a >= rank)
      return opError() << "axis " << a << " is out of range for rank " << rank;
    axes.push_back(a < 0 ? a + rank : a);
  }
  llvm::sort(axes);
  axes.erase(std::unique(axes.begin(), axes.end()), axes.end());
  if (axes.empty())
    return opError() << "needs at least one axis";
  SmallVector<int64_t> keptShape, expected;
  int64_t count = 1;
  for (int64_t d = 0; d < rank; ++d) {
    bool reduced = llvm::is_contained(axes, d);
    keptShape.push_back(reduced ? 1 : in.shape[d]);
    if (reduced)
      count *= in.shape[d];
    if (!reduced)
      expected.push_back(in.shape[d]);
    else if (keepDims)
      expected.push_back(1);
  }
  if (out.shape != ArrayRef<int64_t>(expected))
    return opError() << "output " << shapeStr(out.shape)
                     << " does not match the reduced shape "
                     << shapeStr(expected);
  if (count == 0)
    return opError() << "reduces over an empty dimension";
  if (in.type != out.type)
    return opError() << "input and output types differ";
  // With equal quantization TFLite divides the raw sum, which on uint8 is a
  // floor and on the shifted int8 values a truncation toward zero.
  if (fromUInt8[inIdx] && in.quant && out.quant &&
      in.quant->scale == out.quant->scale &&
      in.quant->zeroPoint == out.quant->zeroPoint)
    return opError() << "uint8 MEAN with equal input and output quantization "
                        "is not supported (TFLite divides the raw uint8 sum, "
                        "which the int8 kernel does not reproduce)";
  FailureOr<RankedTensorType> type = tensorType(outIdx);
  FailureOr<Value> x = input(0);
  if (failed(type) || failed(x))
    return failure();
  // float32: TFLite's summation order and division (tinyprune.mean); a
  // TOSA reduce_sum per axis and a multiplication by 1/n round differently.
  if (in.type == tflite::TensorType::FLOAT32) {
    defineOutput(
        0, MeanOp::create(b, loc, *type, *x, b.getDenseI64ArrayAttr(axes),
                          b.getBoolAttr(keepDims), QuantAttr(), QuantAttr()));
    return success();
  }
  if (in.type != tflite::TensorType::INT8)
    return unsupportedActivationType(in.type);
  if (failed(perTensorQuant(inIdx, "input")) ||
      failed(perTensorQuant(outIdx, "output")))
    return failure();
  defineOutput(0,
               MeanOp::create(b, loc, *type, *x, b.getDenseI64ArrayAttr(axes),
                              b.getBoolAttr(keepDims), quantAttr(inIdx),
                              quantAttr(outIdx)));
  return success();
}
