//===- ImporterForms.cpp - What the importer's op chains stand for --------===//
//
// See ImporterForms.h. Each reader checks the whole form (operands, single
// uses, constants) and answers nothing rather than guess.
//
//===----------------------------------------------------------------------===//

#include "ImporterForms.h"

#include "tinyprune/Dialect/LayerView.h"
#include "tinyprune/rt/quant_params.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringExtras.h"

#include <array>
#include <cmath>
#include <limits>

using namespace mlir;
using namespace tinyprune;
using namespace tinyprune::tflexport;

namespace {

/// TFLite's output size and padding of one window dimension, with what the
/// importer does to fit TOSA: rows no window reads are dropped from the
/// trailing pad, or, where that is zero, sliced off the input (`trim`).
struct WindowDim {
  int64_t padBefore = 0, padAfter = 0, trim = 0;
};

} // namespace

/// One window dimension as the importer computes it (TFLite's padding
/// rule, then the trim).
static WindowDim windowDim(int64_t in, int64_t kernel, int64_t stride,
                           int64_t dilation, tflite::Padding padding) {
  WindowDim d;
  int64_t effective = (kernel - 1) * dilation + 1;
  int64_t out = 0;
  if (padding == tflite::Padding::SAME) {
    out = (in + stride - 1) / stride;
    int64_t total = std::max<int64_t>((out - 1) * stride + effective - in, 0);
    d.padBefore = total / 2;
    d.padAfter = total - d.padBefore;
  } else {
    out = in >= effective ? (in - effective) / stride + 1 : 0;
  }
  int64_t excess =
      in + d.padBefore + d.padAfter - effective - (out - 1) * stride;
  if (out > 0 && excess > 0) {
    int64_t fromPad = std::min(excess, d.padAfter);
    d.padAfter -= fromPad;
    d.trim = excess - fromPad;
  }
  return d;
}

std::string tflexport::listStr(ArrayRef<int64_t> v) {
  return "[" +
         llvm::join(
             llvm::map_range(v, [](int64_t d) { return std::to_string(d); }),
             ", ") +
         "]";
}

WindowInput tflexport::windowInput(Value input) {
  WindowInput w{input};
  auto slice = input.getDefiningOp<tosa::SliceOp>();
  if (!slice || !slice->hasOneUse())
    return w;
  auto start = slice.getStart().getDefiningOp<tosa::ConstShapeOp>();
  auto inType = dyn_cast<RankedTensorType>(slice.getInput1().getType());
  auto outType = dyn_cast<RankedTensorType>(slice.getType());
  if (!start || !inType || !outType || inType.getRank() != 4 ||
      !inType.hasStaticShape() || !outType.hasStaticShape())
    return w;
  for (const APInt &s : start.getValues().getValues<APInt>())
    if (!s.isZero())
      return w;
  if (inType.getDimSize(0) != outType.getDimSize(0) ||
      inType.getDimSize(3) != outType.getDimSize(3))
    return w;
  w.source = slice.getInput1();
  w.slice = slice;
  w.trimH = inType.getDimSize(1) - outType.getDimSize(1);
  w.trimW = inType.getDimSize(2) - outType.getDimSize(2);
  return w;
}

/// The TFLite padding kind that gives `pad` ([top, bottom, left, right])
/// and the trims on `input` (NHWC), if any.
std::optional<tflite::Padding>
tflexport::paddingKind(ShapedType input, ArrayRef<int64_t> kernel,
                       ArrayRef<int64_t> stride, ArrayRef<int64_t> dilation,
                       ArrayRef<int64_t> pad, int64_t trimH, int64_t trimW) {
  for (tflite::Padding p : {tflite::Padding::VALID, tflite::Padding::SAME}) {
    WindowDim h =
        windowDim(input.getDimSize(1), kernel[0], stride[0], dilation[0], p);
    WindowDim w =
        windowDim(input.getDimSize(2), kernel[1], stride[1], dilation[1], p);
    if (h.padBefore == pad[0] && h.padAfter == pad[1] && h.trim == trimH &&
        w.padBefore == pad[2] && w.padAfter == pad[3] && w.trim == trimW)
      return p;
  }
  return std::nullopt;
}

std::optional<FullyConnected> tflexport::asFullyConnected(Conv2DOp conv) {
  auto w = cast<RankedTensorType>(conv.getWeights().getType());
  auto in = cast<RankedTensorType>(conv.getInput().getType());
  if (w.getDimSize(1) != 1 || w.getDimSize(2) != 1 || in.getDimSize(1) != 1 ||
      in.getDimSize(2) != 1 ||
      llvm::any_of(conv.getPad(), [](int64_t p) { return p != 0; }) ||
      llvm::any_of(conv.getStride(), [](int64_t s) { return s != 1; }) ||
      llvm::any_of(conv.getDilation(), [](int64_t d) { return d != 1; }) ||
      conv.getFilterlets())
    return std::nullopt;
  auto inReshape = conv.getInput().getDefiningOp<tosa::ReshapeOp>();
  if (!inReshape || !conv->hasOneUse())
    return std::nullopt;
  auto outReshape = dyn_cast<tosa::ReshapeOp>(*conv->getUsers().begin());
  if (!outReshape)
    return std::nullopt;
  int64_t rows = in.getDimSize(0), depth = in.getDimSize(3);
  int64_t units = w.getDimSize(0);
  auto src = cast<RankedTensorType>(inReshape.getInput1().getType());
  auto dst = cast<RankedTensorType>(outReshape.getType());
  FullyConnected fc{inReshape.getInput1(), outReshape.getResult(), inReshape,
                    outReshape};
  if (dst.getShape() == ArrayRef<int64_t>{rows, units})
    return fc;
  // keep_num_dims: the input's shape with its last dimension replaced.
  if (src.getRank() >= 1 && src.getShape().back() == depth &&
      dst.getRank() == src.getRank() &&
      dst.getShape().drop_back() == src.getShape().drop_back() &&
      dst.getShape().back() == units) {
    fc.keepNumDims = true;
    return fc;
  }
  return std::nullopt;
}

/// The fused activation of an integer output whose clamp is [lo, hi]:
/// the one whose range (TFLite's CalculateActivationRangeQuantized) it is.
std::optional<ActivationFunctionType>
tflexport::intActivation(int64_t lo, int64_t hi, QuantAttr out, unsigned bits) {
  int32_t qmin = -(1 << (bits - 1)), qmax = (1 << (bits - 1)) - 1;
  if (lo == qmin && hi == qmax)
    return ActivationFunctionType::NONE;
  if (!out)
    return std::nullopt;
  std::pair<rt::Activation, ActivationFunctionType> kinds[] = {
      {rt::Activation::Relu, ActivationFunctionType::RELU},
      {rt::Activation::Relu6, ActivationFunctionType::RELU6},
      {rt::Activation::ReluN1To1, ActivationFunctionType::RELU_N1_TO_1},
      {rt::Activation::None, ActivationFunctionType::NONE}};
  for (auto [a, t] : kinds) {
    rt::ActivationRange r = rt::activationRange(
        a, out.getScale()[0], static_cast<int32_t>(out.getZeroPoint()[0]), qmin,
        qmax);
    if (r.min == lo && r.max == hi)
      return t;
  }
  return std::nullopt;
}

/// The fused activation of a float output clamped to [lo, hi].
std::optional<ActivationFunctionType> tflexport::floatActivation(double lo,
                                                                 double hi) {
  constexpr double big = std::numeric_limits<float>::max();
  bool noLo = lo <= -big, noHi = hi >= big;
  if (noLo && noHi)
    return ActivationFunctionType::NONE;
  if (lo == 0.0 && noHi)
    return ActivationFunctionType::RELU;
  if (lo == 0.0 && hi == 6.0)
    return ActivationFunctionType::RELU6;
  if (lo == -1.0 && hi == 1.0)
    return ActivationFunctionType::RELU_N1_TO_1;
  return std::nullopt;
}

/// The fused activation a clamp range `[minAttr, maxAttr]` on an output
/// quantized by `out` (integers) stands for.
std::optional<ActivationFunctionType> tflexport::activationOf(Attribute minAttr,
                                                              Attribute maxAttr,
                                                              Type elt,
                                                              QuantAttr out) {
  if (auto lo = dyn_cast<FloatAttr>(minAttr)) {
    auto hi = dyn_cast<FloatAttr>(maxAttr);
    if (!hi)
      return std::nullopt;
    return floatActivation(lo.getValueAsDouble(), hi.getValueAsDouble());
  }
  auto lo = dyn_cast<IntegerAttr>(minAttr), hi = dyn_cast<IntegerAttr>(maxAttr);
  if (!lo || !hi || !elt.isIntOrIndex())
    return std::nullopt;
  return intActivation(lo.getInt(), hi.getInt(), out,
                       elt.getIntOrFloatBitWidth());
}

/// TOSA's multiplier and right shift for a real multiplier, as the importer
/// writes them (a zero multiplier keeps shift 31).
std::pair<int32_t, int32_t> tflexport::tosaMultiplier(double real) {
  rt::QuantizedMultiplier m = rt::quantizeMultiplier(real);
  return {m.multiplier, m.multiplier == 0 ? 31 : rt::tosaShift(m)};
}

/// Whether a float layer op's clamp is the whole float range.
bool tflexport::unclamped(Operation *op) {
  auto lo = op->getAttrOfType<FloatAttr>("min_val");
  auto hi = op->getAttrOfType<FloatAttr>("max_val");
  return lo && hi &&
         floatActivation(lo.getValueAsDouble(), hi.getValueAsDouble()) ==
             ActivationFunctionType::NONE;
}

/// The float constant splat of `v`, if it is one.
std::optional<float> tflexport::splatFloat(Value v) {
  DenseElementsAttr e = constantElements(v);
  if (!e || !e.isSplat() || !isa<FloatType>(e.getElementType()))
    return std::nullopt;
  return e.getSplatValue<APFloat>().convertToFloat();
}

/// The (multiplier, shift, input zero point, output zero point) of a
/// per-tensor `tosa.rescale` with constant operands.
static std::optional<std::array<int64_t, 4>> rescaleConsts(tosa::RescaleOp r) {
  auto m = constantInts(r.getMultiplier()), s = constantInts(r.getShift()),
       iz = constantInts(r.getInputZp()), oz = constantInts(r.getOutputZp());
  if (!m || !s || !iz || !oz || m->size() != 1 || s->size() != 1 ||
      iz->size() != 1 || oz->size() != 1)
    return std::nullopt;
  return std::array<int64_t, 4>{(*m)[0], (*s)[0], (*iz)[0], (*oz)[0]};
}

std::optional<LeakyRelu> tflexport::asLeakyRelu(tosa::SelectOp select) {
  Value cond = select.getInput1(), onTrue = select.getInput2(),
        onFalse = select.getInput3();
  LeakyRelu l;
  if (auto gt = cond.getDefiningOp<tosa::GreaterOp>()) {
    // Float: x > 0 ? x : x * alpha.
    auto mul = onFalse.getDefiningOp<tosa::MulOp>();
    if (!mul || gt.getInput1() != onTrue ||
        splatFloat(gt.getInput2()) != 0.0f || mul.getInput1() != onTrue ||
        !gt->hasOneUse() || !mul->hasOneUse())
      return std::nullopt;
    std::optional<float> alpha = splatFloat(mul.getInput2());
    if (!alpha)
      return std::nullopt;
    l.input = onTrue;
    l.alpha = *alpha;
    l.parts = {gt, mul};
    return l;
  }
  auto ge = cond.getDefiningOp<tosa::GreaterEqualOp>();
  auto pos = onTrue.getDefiningOp<tosa::RescaleOp>();
  auto neg = onFalse.getDefiningOp<tosa::RescaleOp>();
  if (!ge || !pos || !neg || pos.getInput() != ge.getInput1() ||
      neg.getInput() != ge.getInput1() || !ge->hasOneUse() ||
      !pos->hasOneUse() || !neg->hasOneUse())
    return std::nullopt;
  QuantAttr inQ = producerQuant(ge.getInput1());
  QuantAttr outQ = producerQuant(select.getResult());
  auto p = rescaleConsts(pos), n = rescaleConsts(neg);
  std::optional<SmallVector<int64_t>> zp = constantInts(ge.getInput2());
  if (!inQ || !outQ || !p || !n || !zp || zp->empty() ||
      llvm::any_of(*zp, [&](int64_t z) { return z != inQ.getZeroPoint()[0]; }))
    return std::nullopt;
  float si = inQ.getScale()[0], so = outQ.getScale()[0];
  auto matches = [&](std::array<int64_t, 4> c, float real) {
    auto [m, s] = tosaMultiplier(real);
    return c[0] == m && (m == 0 || c[1] == s) &&
           c[2] == inQ.getZeroPoint()[0] && c[3] == outQ.getZeroPoint()[0];
  };
  if (!matches(*p, si / so))
    return std::nullopt;
  // alpha from the negative side's multiplier, then the float nearby that
  // the importer turns into the same multiplier.
  float guess =
      static_cast<float>(std::ldexp(double((*n)[0]), -int((*n)[1])) * so / si);
  float alpha = guess;
  for (int k = 0; k < 64 && !matches(*n, si * alpha / so); ++k)
    alpha = k % 2 ? std::nextafter(guess, 0.0f) : std::nextafter(alpha, 2.0f);
  if (!matches(*n, si * alpha / so)) {
    // Walk outward in both directions from the guess.
    float lo = guess, hi = guess;
    bool found = false;
    for (int k = 0; k < 256 && !found; ++k) {
      lo = std::nextafter(lo, -1.0f);
      hi = std::nextafter(hi, 2.0f);
      if (matches(*n, si * lo / so)) {
        alpha = lo;
        found = true;
      } else if (matches(*n, si * hi / so)) {
        alpha = hi;
        found = true;
      }
    }
    if (!found)
      return std::nullopt;
  }
  l.input = ge.getInput1();
  l.alpha = alpha;
  l.parts = {ge, pos, neg};
  return l;
}
