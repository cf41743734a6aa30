//===- Network.cpp - A raised function as a LibTorch network --------------===//
//
// Builds a Network from a function of layer ops and runs it with LibTorch
// (Network.h): the convolutions' master weights and masks, the fake
// quantization of int8 functions, and one forward rule per op kind. Ops
// without a rule end the build with an error naming them.
//
//===----------------------------------------------------------------------===//

#include "Network.h"

#include "tinyprune/Dialect/TinyPrune.h"
#include "tinyprune/rt/quant_params.h"
#include "tinyprune/rt/softmax.h"

#include "mlir/Dialect/Tosa/IR/TosaOps.h"
#include "llvm/Support/FormatVariadic.h"

#include <algorithm>
#include <cmath>
#include <limits>

using namespace mlir;
using namespace tinyprune;
using namespace tinyprune::training;

/// An error "<op name> at <location>: <what>".
static llvm::Error opError(Operation *op, const llvm::Twine &what) {
  std::string loc;
  llvm::raw_string_ostream os(loc);
  op->getLoc().print(os);
  return llvm::createStringError(llvm::formatv("'{0}' at {1}: {2}",
                                               op->getName().getStringRef(),
                                               loc, what.str())
                                     .str());
}

/// The elements of the constant producing `v` as doubles, or none.
static std::optional<std::vector<double>> constantValues(Value v) {
  auto c = v.getDefiningOp<tosa::ConstOp>();
  if (!c)
    return std::nullopt;
  auto attr = dyn_cast<DenseElementsAttr>(c.getValues());
  if (!attr)
    return std::nullopt;
  std::vector<double> out;
  out.reserve(attr.getNumElements());
  if (isa<FloatType>(attr.getElementType())) {
    for (const APFloat &f : attr.getValues<APFloat>())
      out.push_back(f.convertToDouble());
  } else {
    for (const APInt &i : attr.getValues<APInt>())
      out.push_back(double(i.getSExtValue()));
  }
  return out;
}

/// The clamp bound `name` of a layer op as a double.
static double boundOf(Operation *op, StringRef name) {
  Attribute a = op->getAttr(name);
  if (auto f = dyn_cast_or_null<FloatAttr>(a))
    return f.getValueAsDouble();
  if (auto i = dyn_cast_or_null<IntegerAttr>(a))
    return double(i.getValue().getSExtValue());
  return name == "min_val" ? -std::numeric_limits<double>::infinity()
                           : std::numeric_limits<double>::infinity();
}

/// An MLIR shape or attribute array as LibTorch sizes.
static std::vector<int64_t> sizes(llvm::ArrayRef<int64_t> a) {
  return std::vector<int64_t>(a.begin(), a.end());
}

/// `shape` with its batch dimension (the first, 1 in the IR) set to `n`.
static std::vector<int64_t> batched(llvm::ArrayRef<int64_t> shape, int64_t n) {
  std::vector<int64_t> out(shape.begin(), shape.end());
  out[0] = n;
  return out;
}

//===----------------------------------------------------------------------===//
// Fake quantization
//===----------------------------------------------------------------------===//

torch::Tensor training::roundHalfAwaySTE(const torch::Tensor &x) {
  torch::Tensor r = torch::sign(x) * torch::floor(torch::abs(x) + 0.5);
  return x + (r - x).detach();
}

torch::Tensor training::fakeQuantize(const torch::Tensor &x, double scale,
                                     int64_t zp, double lo, double hi) {
  torch::Tensor q = torch::clamp(x / scale + double(zp), lo, hi);
  return (roundHalfAwaySTE(q) - double(zp)) * scale;
}

torch::Tensor training::weightScales(const torch::Tensor &w2d,
                                     const torch::Tensor &fallback) {
  // In float32, as the write-back divides: max |w| / 127.0f.
  torch::Tensor maxAbs = w2d.detach().abs().amax({1}).to(torch::kFloat);
  torch::Tensor s = maxAbs / 127.0f;
  return torch::where(maxAbs > 0, s, fallback.to(torch::kFloat))
      .to(w2d.scalar_type());
}

/// TOSA's `apply_scale_32` with DOUBLE_ROUND (the interpreter's and the
/// int8 kernels' requantization) on int64 tensors: `(v * m + round) >> s`
/// with `round = 2^(s-1)`, moved by 2^30 away from zero when s > 31.
/// `m` and `s` broadcast against `v` (one per channel, the last dimension).
static torch::Tensor applyScale32(const torch::Tensor &v,
                                  const torch::Tensor &m,
                                  const torch::Tensor &s) {
  torch::Tensor one = torch::ones_like(s);
  torch::Tensor half = torch::bitwise_left_shift(one, s - 1);
  torch::Tensor nudge = torch::where(
      s > 31, torch::full_like(s, int64_t(1) << 30), torch::zeros_like(s));
  torch::Tensor round = half + torch::where(v >= 0, nudge, -nudge);
  // An arithmetic right shift: the floor of the division by 2^s.
  return torch::bitwise_right_shift(v * m + round, s);
}

/// The same on one value.
static int64_t applyScale32(int64_t v, int64_t m, int64_t s) {
  int64_t round =
      (int64_t(1) << (s - 1)) +
      (s > 31 ? (v >= 0 ? int64_t(1) << 30 : -(int64_t(1) << 30)) : 0);
  return (v * m + round) >> s;
}

/// The same with one multiplier and shift.
static torch::Tensor applyScale32(const torch::Tensor &v, int64_t m,
                                  int64_t s) {
  auto opts = torch::TensorOptions().dtype(torch::kLong);
  return applyScale32(v, torch::full({1}, m, opts), torch::full({1}, s, opts));
}

/// `exact` (computed without gradient) as the forward value, the gradient
/// of `surrogate`: the straight-through estimator.
static torch::Tensor straightThrough(const torch::Tensor &surrogate,
                                     const torch::Tensor &exact) {
  return surrogate + (exact.to(surrogate.scalar_type()) - surrogate).detach();
}

/// The int8 values of `x`, real values on the grid of `q`.
static torch::Tensor toInt(const torch::Tensor &x, QuantAttr q) {
  return torch::round(x.detach().to(torch::kDouble) / double(q.getScaleAt(0)))
             .to(torch::kLong) +
         q.getZeroPointAt(0);
}

/// int8 values `q` clamped to [lo, hi] as real values of quantization `q`.
static torch::Tensor toReal(const torch::Tensor &q, QuantAttr quant, double lo,
                            double hi) {
  return (torch::clamp(q, int64_t(lo), int64_t(hi)).to(torch::kDouble) -
          double(quant.getZeroPointAt(0))) *
         double(quant.getScaleAt(0));
}

//===----------------------------------------------------------------------===//
// Building
//===----------------------------------------------------------------------===//

llvm::Error Network::addConv(Operation *op) {
  ConvParams c;
  c.op = op;
  c.depthwise = isa<DepthwiseConv2DOp>(op);
  auto weights = op->getOperand(1), bias = op->getOperand(2);
  auto wType = cast<RankedTensorType>(weights.getType());
  auto outType = cast<RankedTensorType>(op->getResult(0).getType());
  if (!wType.hasStaticShape() || !outType.hasStaticShape() ||
      outType.getRank() != 4)
    return opError(op, "needs static NHWC shapes");
  c.quantized = !isa<FloatType>(wType.getElementType());
  std::optional<std::vector<double>> w = constantValues(weights);
  std::optional<std::vector<double>> b = constantValues(bias);
  if (!w || !b)
    return opError(op, "weights and bias must be constants");
  int64_t filters = outType.getDimSize(3);
  if (int64_t(b->size()) != filters && b->size() != 1)
    return opError(op, "bias has neither one value nor one per channel");
  b->resize(filters, b->front());

  auto attrArray = [&](StringRef name) {
    auto a = op->getAttrOfType<DenseI64ArrayAttr>(name);
    return std::vector<int64_t>(a.asArrayRef().begin(), a.asArrayRef().end());
  };
  c.stride = attrArray("stride");
  c.dilation = attrArray("dilation");
  c.pad = attrArray("pad");
  c.outH = outType.getDimSize(1);
  c.outW = outType.getDimSize(2);
  c.lo = boundOf(op, "min_val");
  c.hi = boundOf(op, "max_val");

  auto opts = torch::TensorOptions().dtype(type);
  torch::Tensor wt =
      torch::tensor(*w, torch::kDouble).reshape(sizes(wType.getShape()));
  torch::Tensor bt = torch::tensor(*b, torch::kDouble);
  // Filters as rows [O, K], in the weights' own storage.
  auto rows = [&](const torch::Tensor &t) {
    return c.depthwise ? t.reshape({-1, filters}).t()
                       : t.reshape({filters, -1});
  };
  if (c.quantized) {
    auto inQ = op->getAttrOfType<QuantAttr>("input_quant");
    auto wQ = op->getAttrOfType<QuantAttr>("weight_quant");
    auto outQ = op->getAttrOfType<QuantAttr>("output_quant");
    if (!inQ || !wQ || !outQ || inQ.isPerChannel() || outQ.isPerChannel())
      return opError(op, "int8 layer without per-tensor input/output and "
                         "weight quantization");
    c.inScale = inQ.getScaleAt(0);
    c.inZp = inQ.getZeroPointAt(0);
    c.outScale = outQ.getScaleAt(0);
    c.outZp = outQ.getZeroPointAt(0);
    std::vector<double> scales(filters);
    for (int64_t o = 0; o < filters; ++o)
      scales[o] = wQ.getScaleAt(o);
    c.storedScales = torch::tensor(scales, torch::kDouble).to(torch::kFloat);
    auto mAttr = op->getAttrOfType<DenseI32ArrayAttr>("multiplier");
    auto sAttr = op->getAttrOfType<DenseI8ArrayAttr>("shift");
    if (mAttr && sAttr && mAttr.size() == sAttr.size() &&
        (mAttr.size() == 1 || mAttr.size() == filters)) {
      for (int64_t o = 0; o < filters; ++o) {
        int64_t at = mAttr.size() == 1 ? 0 : o;
        c.storedMultiplier.push_back(mAttr[at]);
        c.storedShift.push_back(sAttr[at]);
      }
    }
    torch::Tensor s = torch::tensor(scales, torch::kDouble);
    // Dequantize per output channel; TFLite's bias scale is input x weight.
    wt = c.depthwise ? wt * s.reshape(sizes(wType.getShape().drop_front(2)))
                     : wt * s.reshape({filters, 1, 1, 1});
    bt = bt * (s * c.inScale);
  }
  // Pruned filterlets, and filters that are all zero (removed channels),
  // stay zero: everything zero in the weights as found is masked.
  torch::Tensor mask = (wt != 0).to(torch::kDouble);
  if (auto conv = dyn_cast<Conv2DOp>(op)) {
    if (FilterletsAttr f = conv.getFilterletsAttr()) {
      // The attribute rules: a kept filterlet may be zero and still train.
      int64_t block = f.getBlock(), kw = wType.getDimSize(2),
              in = wType.getDimSize(3);
      int64_t blocks = in / block;
      mask.zero_();
      auto acc = mask.accessor<double, 4>();
      for (int64_t o = 0; o < filters; ++o)
        for (int32_t id : f.getKept(o)) {
          int64_t pos = id / blocks, cb = id % blocks;
          for (int64_t i = 0; i < block; ++i)
            acc[o][pos / kw][pos % kw][cb * block + i] = 1;
        }
    } else {
      mask.fill_(1);
    }
  } else {
    mask.fill_(1);
  }
  torch::Tensor alive = rows(wt).abs().amax({1}) > 0;
  torch::Tensor aliveW =
      c.depthwise ? alive.reshape(sizes(wType.getShape().drop_front(2)))
                  : alive.reshape({filters, 1, 1, 1});
  mask = mask * aliveW.to(torch::kDouble);

  c.weight = (wt * mask).to(opts).set_requires_grad(true);
  c.bias = bt.to(opts).set_requires_grad(true);
  c.mask = mask.to(opts);
  layerOf[op] = layers.size();
  layers.push_back(std::move(c));
  return llvm::Error::success();
}

llvm::Expected<std::unique_ptr<Network>> Network::build(func::FuncOp func,
                                                        torch::Dtype dtype) {
  std::unique_ptr<Network> net(new Network(func, dtype));
  if (func.getNumArguments() != 1 || func.getNumResults() != 1)
    return llvm::createStringError(
        "training needs a function of one input and one output");
  auto inType = dyn_cast<RankedTensorType>(func.getArgument(0).getType());
  auto outType = dyn_cast<RankedTensorType>(func.getResultTypes()[0]);
  if (!inType || !outType || !inType.hasStaticShape() ||
      !outType.hasStaticShape() || inType.getDimSize(0) != 1 ||
      outType.getDimSize(0) != 1)
    return llvm::createStringError(
        "training needs static input and output shapes with batch 1");
  net->inShape.assign(inType.getShape().begin(), inType.getShape().end());
  net->outShape.assign(outType.getShape().begin(), outType.getShape().end());
  if (!isa<FloatType>(inType.getElementType())) {
    auto q = func.getArgAttrOfType<QuantAttr>(0, "tinyprune.quant");
    if (!q)
      return llvm::createStringError("the int8 input has no quantization");
    net->inQuantized = true;
    net->inScale = q.getScaleAt(0);
    net->inZp = q.getZeroPointAt(0);
  }
  if (!isa<FloatType>(outType.getElementType())) {
    auto q = func.getResultAttrOfType<QuantAttr>(0, "tinyprune.quant");
    if (!q)
      return llvm::createStringError("the int8 output has no quantization");
    net->outQuantized = true;
    net->outScale = q.getScaleAt(0);
    net->outZp = q.getZeroPointAt(0);
  }

  for (Operation &op : func.getBody().front()) {
    if (isa<tosa::ConstOp, tosa::ConstShapeOp, func::ReturnOp>(op))
      continue;
    if (isa<Conv2DOp, DepthwiseConv2DOp>(op)) {
      if (llvm::Error e = net->addConv(&op))
        return std::move(e);
      continue;
    }
    if (isa<AddOp, SubOp, MulOp, MaxPool2dOp, AvgPool2dOp, tosa::AvgPool2dOp,
            tosa::ReshapeOp, tosa::SliceOp, tosa::ClampOp>(op)) {
      auto t = cast<RankedTensorType>(op.getResult(0).getType());
      if (!t.hasStaticShape() || t.getRank() == 0 || t.getDimSize(0) != 1)
        return opError(&op, "needs a static shape with batch 1 first");
      if (auto s = dyn_cast<tosa::SliceOp>(op)) {
        auto start = s.getStart().getDefiningOp<tosa::ConstShapeOp>();
        if (!start)
          return opError(&op, "needs a constant start");
      }
      if (isa<tosa::ClampOp>(op) && !isa<FloatType>(t.getElementType()))
        return opError(&op, "integer clamps are not trainable (not raised "
                            "into a layer)");
      continue;
    }
    if (auto sm = dyn_cast<SoftmaxOp>(op)) {
      auto t = cast<RankedTensorType>(sm.getType());
      if (!t.hasStaticShape() || t.getRank() == 0 || t.getDimSize(0) != 1)
        return opError(&op, "needs a static shape with batch 1 first");
      if (!isa<FloatType>(t.getElementType()) &&
          (!sm.getInputQuantAttr() || !sm.getOutputQuantAttr()))
        return opError(&op, "int8 softmax needs input and output quantization");
      // The loss reads the logits before a final softmax (through
      // reshapes to the output).
      Value v = sm.getResult();
      while (v.hasOneUse() && isa<tosa::ReshapeOp>(*v.getUsers().begin()))
        v = v.getUsers().begin()->getResult(0);
      if (v.hasOneUse() && isa<func::ReturnOp>(*v.getUsers().begin()))
        net->finalSoftmax = sm;
      continue;
    }
    if (op.getDialect() && op.getDialect()->getNamespace() == "tosa" &&
        isa<tosa::Conv2DOp, tosa::DepthwiseConv2DOp, tosa::RescaleOp>(op))
      return opError(&op, "is not a layer op: run "
                          "--tinyprune-raise-to-layers first");
    return opError(&op, "cannot be trained (no LibTorch rule for this op)");
  }
  return std::move(net);
}

//===----------------------------------------------------------------------===//
// Running
//===----------------------------------------------------------------------===//

int64_t Network::inputSize() const {
  int64_t n = 1;
  for (int64_t d : llvm::ArrayRef<int64_t>(inShape).drop_front())
    n *= d;
  return n;
}

int64_t Network::outputSize() const {
  int64_t n = 1;
  for (int64_t d : llvm::ArrayRef<int64_t>(outShape).drop_front())
    n *= d;
  return n;
}

torch::Tensor Network::realInputs(const std::vector<std::vector<uint8_t>> &raw,
                                  llvm::ArrayRef<int64_t> indices) const {
  int64_t n = indices.size(), size = inputSize();
  if (inQuantized) {
    torch::Tensor q = torch::empty({n, size}, torch::kInt8);
    for (int64_t i = 0; i < n; ++i)
      std::memcpy(q[i].data_ptr(), raw[indices[i]].data(), size);
    return ((q.to(type) - double(inZp)) * inScale).reshape(batched(inShape, n));
  }
  torch::Tensor x = torch::empty({n, size}, torch::kFloat);
  for (int64_t i = 0; i < n; ++i)
    std::memcpy(x[i].data_ptr(), raw[indices[i]].data(), size * 4);
  return x.to(type).reshape(batched(inShape, n));
}

torch::Tensor Network::storedOutputs(const torch::Tensor &real) const {
  if (!outQuantized)
    return real;
  torch::Tensor q = real.detach() / outScale + double(outZp);
  return (torch::sign(q) * torch::floor(torch::abs(q) + 0.5)).to(torch::kLong);
}

namespace {
/// The requantization of an int8 convolution's accumulators, per output
/// channel: acc = round(y / accScale), then TOSA's `apply_scale_32` with
/// DOUBLE_ROUND (shift in [1, 62]), the zero point and the clamp.
struct Requantization {
  std::vector<double> accScale;
  std::vector<int64_t> mult, shift;
  int64_t outZp = 0, lo = 0, hi = 0;
  double outScale = 1;
};
} // namespace

/// The int8 output of a convolution, as real values, for its real-valued
/// accumulator `y` (NHWC, channels last): one pass over the elements, with
/// the int8 kernel's integer arithmetic (the interpreter's, as
/// `applyScale32` states it). With gradients on, the gradient is the fake
/// quantization's, `clamp(y / outScale + outZp, lo, hi)` straight through
/// (1 inside the clamp, 0 outside), the forward value exact.
static torch::Tensor requantizeConv(const torch::Tensor &y,
                                    const Requantization &r) {
  torch::Tensor in = y.detach().contiguous();
  torch::Tensor exact = torch::empty_like(in);
  bool grad = torch::GradMode::is_enabled() && y.requires_grad();
  torch::Tensor gate = grad ? torch::empty_like(in) : torch::Tensor();
  int64_t channels = r.mult.size(), count = in.numel();
  std::vector<double> inv(channels);
  std::vector<int64_t> roundUp(channels), roundDown(channels);
  for (int64_t o = 0; o < channels; ++o) {
    inv[o] = 1.0 / r.accScale[o];
    int64_t half = int64_t(1) << (r.shift[o] - 1);
    int64_t nudge = r.shift[o] > 31 ? int64_t(1) << 30 : 0;
    roundUp[o] = half + nudge;
    roundDown[o] = half - nudge;
  }
  // The surrogate's clamp `lo <= y / outScale + outZp <= hi` in the units
  // of y.
  double yLo = (double(r.lo) - double(r.outZp)) * r.outScale;
  double yHi = (double(r.hi) - double(r.outZp)) * r.outScale;
  AT_DISPATCH_FLOATING_TYPES(in.scalar_type(), "requantizeConv", [&] {
    const scalar_t *src = in.data_ptr<scalar_t>();
    scalar_t *dst = exact.data_ptr<scalar_t>();
    scalar_t *g = grad ? gate.data_ptr<scalar_t>() : nullptr;
    for (int64_t i = 0; i < count; i += channels) {
      for (int64_t o = 0; o < channels; ++o) {
        double v = double(src[i + o]);
        // The accumulator: y is acc x accScale up to the rounding of the
        // convolution's float arithmetic, far below half a step, so the
        // nearest integer (ties to even, as torch::round) is acc. Adding
        // and subtracting 1.5 x 2^52 rounds to the nearest integer in the
        // default rounding mode (|x| < 2^51; an int32 accumulator is).
        double x = v * inv[o];
        double rounded = std::fabs(x) < 0x1p51 ? (x + 0x1.8p52) - 0x1.8p52
                                               : std::nearbyint(x);
        int64_t acc = int64_t(rounded);
        int64_t q =
            ((acc * r.mult[o] + (acc >= 0 ? roundUp[o] : roundDown[o])) >>
             r.shift[o]) +
            r.outZp;
        q = std::clamp(q, r.lo, r.hi);
        dst[i + o] = scalar_t((double(q) - double(r.outZp)) * r.outScale);
        if (g)
          g[i + o] = scalar_t(v >= yLo && v <= yHi);
      }
    }
  });
  if (!grad)
    return exact;
  // Forward: exact + 0; backward: the gate.
  return exact + (y - y.detach()) * gate;
}

torch::Tensor Network::runConv(const ConvParams &c,
                               const torch::Tensor &x) const {
  int64_t filters = c.bias.size(0);
  torch::Tensor w = c.weight * c.mask, b = c.bias, wScales;
  // A frozen int8 layer computes with the scales and requantization it was
  // found with.
  bool asFound = c.frozen && !c.storedMultiplier.empty();
  if (c.quantized) {
    torch::Tensor rows =
        c.depthwise ? w.reshape({-1, filters}).t() : w.reshape({filters, -1});
    torch::Tensor s = asFound ? c.storedScales.to(w.scalar_type())
                              : weightScales(rows, c.storedScales);
    wScales = s.detach();
    torch::Tensor sw = c.depthwise ? s.reshape({w.size(2), w.size(3)})
                                   : s.reshape({filters, 1, 1, 1});
    w = torch::clamp(roundHalfAwaySTE(w / sw), -127, 127) * sw;
    // The bias scale in float32, as TFLite stores it.
    torch::Tensor bs =
        (s.to(torch::kFloat) * float(c.inScale)).to(w.scalar_type());
    b = roundHalfAwaySTE(b / bs) * bs;
  }
  // NHWC as NCHW: channels-last in memory.
  torch::Tensor in = x.permute({0, 3, 1, 2});
  // Symmetric padding is the convolution's own; other padding a copy.
  std::vector<int64_t> padding{0, 0};
  if (c.pad[0] == c.pad[1] && c.pad[2] == c.pad[3])
    padding = {c.pad[0], c.pad[2]};
  else
    in =
        torch::constant_pad_nd(in, {c.pad[2], c.pad[3], c.pad[0], c.pad[1]}, 0);
  torch::Tensor kernel;
  int64_t groups = 1;
  if (c.depthwise) {
    // [KH, KW, C, M] -> [C * M, 1, KH, KW].
    int64_t kh = w.size(0), kw = w.size(1);
    groups = w.size(2);
    kernel = w.reshape({kh, kw, filters, 1}).permute({2, 3, 0, 1});
  } else {
    kernel = w.permute({0, 3, 1, 2});
  }
  torch::Tensor y =
      torch::conv2d(in, kernel, b, c.stride, padding, c.dilation, groups);
  y = y.permute({0, 2, 3, 1});
  y = y.narrow(1, 0, c.outH).narrow(2, 0, c.outW);
  if (!c.quantized)
    return torch::clamp(y, c.lo, c.hi);
  // The forward value is what the int8 kernel computes: the int32
  // accumulator requantized with the multipliers and shifts the write-back
  // stores for the current weight scales (TOSA's double rounding); the
  // gradient is the fake quantization's.
  torch::Tensor scales = wScales.to(torch::kFloat).contiguous();
  const float *sp = scales.data_ptr<float>();
  Requantization r;
  r.mult.resize(filters);
  r.shift.resize(filters);
  r.accScale.resize(filters);
  for (int64_t o = 0; o < filters; ++o) {
    r.accScale[o] = double(sp[o]) * double(float(c.inScale));
    if (asFound) {
      r.mult[o] = c.storedMultiplier[o];
      r.shift[o] = std::clamp<int64_t>(c.storedShift[o], 1, 62);
      continue;
    }
    // As the write-back and the importer compute them.
    double eff =
        double(float(c.inScale)) * double(sp[o]) / double(float(c.outScale));
    rt::QuantizedMultiplier m = rt::quantizeMultiplier(eff);
    r.mult[o] = m.multiplier;
    r.shift[o] =
        std::clamp<int64_t>(m.multiplier == 0 ? 31 : rt::tosaShift(m), 1, 62);
  }
  r.outZp = c.outZp;
  r.outScale = c.outScale;
  r.lo = int64_t(c.lo);
  r.hi = int64_t(c.hi);
  return requantizeConv(y, r);
}

/// The int8 arithmetic of an add, sub or mul layer (the interpreter's) on
/// real inputs `a` and `b`, as real outputs; no gradient.
static torch::Tensor exactElementwise(Operation *op, const torch::Tensor &a,
                                      const torch::Tensor &b) {
  torch::NoGradGuard guard;
  auto attr = [&](StringRef name) {
    return op->getAttrOfType<IntegerAttr>(name).getValue().getSExtValue();
  };
  auto lhsQ = op->getAttrOfType<QuantAttr>("lhs_quant");
  auto rhsQ = op->getAttrOfType<QuantAttr>("rhs_quant");
  auto outQ = op->getAttrOfType<QuantAttr>("output_quant");
  if (a.sizes() == b.sizes() && a.scalar_type() == b.scalar_type()) {
    // One pass over the elements (the same arithmetic as below, without
    // broadcasting).
    torch::Tensor ca = a.contiguous(), cb = b.contiguous();
    torch::Tensor out = torch::empty_like(ca);
    bool mul = isa<MulOp>(op), sub = isa<SubOp>(op);
    int64_t up = mul ? 1 : int64_t(1) << attr("left_shift");
    int64_t lm = mul ? 0 : attr("lhs_multiplier"),
            ls = mul ? 0 : attr("lhs_shift"),
            rm = mul ? 0 : attr("rhs_multiplier"),
            rs = mul ? 0 : attr("rhs_shift");
    int64_t om = attr("output_multiplier"), os = attr("output_shift");
    double la = lhsQ.getScaleAt(0), rb = rhsQ.getScaleAt(0),
           oscale = outQ.getScaleAt(0);
    int64_t ozp = outQ.getZeroPointAt(0);
    int64_t lo = int64_t(boundOf(op, "min_val")),
            hi = int64_t(boundOf(op, "max_val"));
    int64_t n = ca.numel();
    AT_DISPATCH_FLOATING_TYPES(ca.scalar_type(), "exactElementwise", [&] {
      const scalar_t *pa = ca.data_ptr<scalar_t>();
      const scalar_t *pb = cb.data_ptr<scalar_t>();
      scalar_t *po = out.data_ptr<scalar_t>();
      for (int64_t i = 0; i < n; ++i) {
        // The raw values minus their zero points.
        int64_t xa = int64_t(std::nearbyint(double(pa[i]) / la));
        int64_t xb = int64_t(std::nearbyint(double(pb[i]) / rb));
        int64_t r;
        if (mul) {
          r = xa * xb;
        } else {
          xa = applyScale32(xa * up, lm, ls);
          xb = applyScale32(xb * up, rm, rs);
          r = sub ? xa - xb : xa + xb;
        }
        int64_t q = std::clamp(applyScale32(r, om, os) + ozp, lo, hi);
        po[i] = scalar_t((double(q) - double(ozp)) * oscale);
      }
    });
    return out;
  }
  torch::Tensor xa = toInt(a, lhsQ) - lhsQ.getZeroPointAt(0);
  torch::Tensor xb = toInt(b, rhsQ) - rhsQ.getZeroPointAt(0);
  torch::Tensor r;
  if (isa<MulOp>(op)) {
    r = xa * xb;
  } else {
    // Each side (x - zp) << left_shift, rescaled by its own multiplier.
    int64_t up = int64_t(1) << attr("left_shift");
    xa = applyScale32(xa * up, attr("lhs_multiplier"), attr("lhs_shift"));
    xb = applyScale32(xb * up, attr("rhs_multiplier"), attr("rhs_shift"));
    r = isa<SubOp>(op) ? xa - xb : xa + xb;
  }
  torch::Tensor q =
      applyScale32(r, attr("output_multiplier"), attr("output_shift")) +
      outQ.getZeroPointAt(0);
  return toReal(q, outQ, boundOf(op, "min_val"), boundOf(op, "max_val"));
}

/// The output quantization of an element-wise layer op, else null.
static QuantAttr outputQuantOf(Operation *op) {
  return op->getAttrOfType<QuantAttr>("output_quant");
}

/// The int8 softmax of real inputs `x` on the grid of `s`'s input
/// quantization (the interpreter's kernel, row by row), as real outputs;
/// no gradient.
static torch::Tensor exactSoftmax(SoftmaxOp s, const torch::Tensor &x) {
  torch::NoGradGuard guard;
  QuantAttr inQ = s.getInputQuantAttr(), outQ = s.getOutputQuantAttr();
  rt::SoftmaxInt8Params p =
      rt::prepareSoftmaxInt8(inQ.getScaleAt(0), s.getBeta().convertToFloat());
  torch::Tensor q =
      torch::clamp(toInt(x, inQ), -128, 127).to(torch::kChar).contiguous();
  torch::Tensor out = torch::empty_like(q);
  int32_t depth = int32_t(q.size(-1));
  rt::softmaxInt8(p, int32_t(q.numel() / depth), depth, q.data_ptr<int8_t>(),
                  out.data_ptr<int8_t>());
  return toReal(out.to(torch::kLong), outQ, -128, 127);
}

torch::Tensor Network::forward(const torch::Tensor &input) {
  return run(input, /*logits=*/false);
}

torch::Tensor Network::logits(const torch::Tensor &input) {
  return run(input, /*logits=*/true);
}

torch::Tensor Network::run(const torch::Tensor &input, bool logits) {
  int64_t n = input.size(0);
  llvm::DenseMap<Value, torch::Tensor> values;
  values[func.getArgument(0)] = input;
  for (Operation &op : func.getBody().front()) {
    if (isa<tosa::ConstOp, tosa::ConstShapeOp>(op))
      continue;
    if (auto ret = dyn_cast<func::ReturnOp>(op))
      return values.lookup(ret.getOperand(0));
    auto in = [&](unsigned i) { return values.lookup(op.getOperand(i)); };
    auto resultType = cast<RankedTensorType>(op.getResult(0).getType());
    torch::Tensor y;
    if (isa<Conv2DOp, DepthwiseConv2DOp>(op)) {
      y = runConv(layers[layerOf.lookup(&op)], in(0));
      if (outputHook)
        y = outputHook(&op, y);
    } else if (isa<AddOp, SubOp, MulOp>(op)) {
      y = isa<AddOp>(op)   ? in(0) + in(1)
          : isa<SubOp>(op) ? in(0) - in(1)
                           : in(0) * in(1);
      double lo = boundOf(&op, "min_val"), hi = boundOf(&op, "max_val");
      if (QuantAttr q = outputQuantOf(&op))
        y = straightThrough(
            fakeQuantize(y, q.getScaleAt(0), q.getZeroPointAt(0), lo, hi),
            exactElementwise(&op, in(0), in(1)));
      else
        y = torch::clamp(y, lo, hi);
    } else if (auto p = dyn_cast<MaxPool2dOp>(op)) {
      llvm::ArrayRef<int64_t> pad = p.getPad();
      torch::Tensor x = in(0).permute({0, 3, 1, 2});
      if (pad[0] || pad[1] || pad[2] || pad[3])
        x = torch::constant_pad_nd(x, {pad[2], pad[3], pad[0], pad[1]},
                                   -std::numeric_limits<double>::infinity());
      y = torch::max_pool2d(x, sizes(p.getKernel()), sizes(p.getStride()))
              .permute({0, 2, 3, 1});
      double lo = boundOf(&op, "min_val"), hi = boundOf(&op, "max_val");
      if (QuantAttr q = p.getQuantAttr()) {
        // Shared quantization: the clamp in real units.
        double s = q.getScaleAt(0);
        int64_t zp = q.getZeroPointAt(0);
        y = torch::clamp(y, (lo - zp) * s, (hi - zp) * s);
      } else {
        y = torch::clamp(y, lo, hi);
      }
    } else if (isa<AvgPool2dOp, tosa::AvgPool2dOp>(op)) {
      llvm::ArrayRef<int64_t> kernel, stride, pad;
      if (auto p = dyn_cast<AvgPool2dOp>(op)) {
        kernel = p.getKernel(), stride = p.getStride(), pad = p.getPad();
      } else {
        auto t = cast<tosa::AvgPool2dOp>(op);
        kernel = t.getKernel(), stride = t.getStride(), pad = t.getPad();
      }
      torch::Tensor x = in(0).permute({0, 3, 1, 2});
      // Positions in the padding are not counted (TFLite): average the
      // sums by the number of valid positions under each window.
      torch::Tensor ones =
          torch::ones({1, 1, x.size(2), x.size(3)}, x.options());
      if (pad[0] || pad[1] || pad[2] || pad[3]) {
        x = torch::constant_pad_nd(x, {pad[2], pad[3], pad[0], pad[1]}, 0);
        ones =
            torch::constant_pad_nd(ones, {pad[2], pad[3], pad[0], pad[1]}, 0);
      }
      torch::Tensor sum = torch::avg_pool2d(x, sizes(kernel), sizes(stride)) *
                          double(kernel[0] * kernel[1]);
      torch::Tensor count =
          torch::avg_pool2d(ones, sizes(kernel), sizes(stride)) *
          double(kernel[0] * kernel[1]);
      y = (sum / count).permute({0, 2, 3, 1});
      if (auto p = dyn_cast<AvgPool2dOp>(op)) {
        // The raw integers are averaged and rounded half away from zero:
        // round the mean of q, which is the mean of x / s plus zp.
        QuantAttr q = p.getQuantAttr();
        double lo = boundOf(&op, "min_val"), hi = boundOf(&op, "max_val");
        torch::Tensor exact;
        {
          // TFLite: the sum of the raw values over the counted positions,
          // divided by the count rounding half away from zero.
          torch::NoGradGuard guard;
          torch::Tensor raw =
              toInt(in(0), q).to(torch::kDouble).permute({0, 3, 1, 2});
          if (pad[0] || pad[1] || pad[2] || pad[3])
            raw = torch::constant_pad_nd(raw, {pad[2], pad[3], pad[0], pad[1]},
                                         0);
          torch::Tensor sumQ =
              torch::avg_pool2d(raw, sizes(kernel), sizes(stride), 0, false,
                                true, 1)
                  .permute({0, 2, 3, 1})
                  .to(torch::kLong);
          torch::Tensor n = torch::round(count.to(torch::kDouble))
                                .permute({0, 2, 3, 1})
                                .to(torch::kLong);
          torch::Tensor half = torch::div(n, 2, "trunc");
          torch::Tensor avg = torch::div(
              torch::where(sumQ > 0, sumQ + half, sumQ - half), n, "trunc");
          exact = toReal(avg, q, lo, hi);
        }
        y = straightThrough(
            fakeQuantize(y, q.getScaleAt(0), q.getZeroPointAt(0), lo, hi),
            exact);
      }
    } else if (isa<tosa::ReshapeOp>(op)) {
      y = in(0).reshape(batched(resultType.getShape(), n));
    } else if (auto s = dyn_cast<tosa::SliceOp>(op)) {
      auto startAttr = cast<DenseElementsAttr>(
          s.getStart().getDefiningOp<tosa::ConstShapeOp>().getValues());
      y = in(0);
      int64_t d = 0;
      for (const APInt &start : startAttr.getValues<APInt>()) {
        if (d > 0)
          y = y.narrow(d, start.getSExtValue(), resultType.getDimSize(d));
        ++d;
      }
    } else if (isa<tosa::ClampOp>(op)) {
      y = torch::clamp(in(0), boundOf(&op, "min_val"), boundOf(&op, "max_val"));
    } else if (auto s = dyn_cast<SoftmaxOp>(op)) {
      torch::Tensor z = in(0) * double(s.getBeta().convertToFloat());
      // Training reads the final softmax's input: the cross-entropy of its
      // output is the log-softmax of these logits.
      if (logits && s == finalSoftmax)
        return z;
      y = torch::softmax(z, -1);
      if (QuantAttr q = s.getOutputQuantAttr())
        y = straightThrough(
            fakeQuantize(y, q.getScaleAt(0), q.getZeroPointAt(0), -128, 127),
            exactSoftmax(s, in(0)));
    }
    values[op.getResult(0)] = y;
  }
  return {};
}

//===----------------------------------------------------------------------===//
// Parameters
//===----------------------------------------------------------------------===//

std::vector<torch::Tensor> Network::parameters() {
  std::vector<torch::Tensor> out;
  for (ConvParams &c : layers) {
    c.weight.set_requires_grad(!c.frozen);
    c.bias.set_requires_grad(!c.frozen);
    if (!c.frozen) {
      out.push_back(c.weight);
      out.push_back(c.bias);
    }
  }
  return out;
}

void Network::applyMasks() {
  torch::NoGradGuard guard;
  for (ConvParams &c : layers)
    c.weight.mul_(c.mask);
}

std::vector<torch::Tensor> Network::snapshot() const {
  std::vector<torch::Tensor> out;
  for (const ConvParams &c : layers) {
    out.push_back(c.weight.detach().clone());
    out.push_back(c.bias.detach().clone());
  }
  return out;
}

void Network::restore(const std::vector<torch::Tensor> &saved) {
  torch::NoGradGuard guard;
  for (size_t i = 0; i < layers.size(); ++i) {
    layers[i].weight.copy_(saved[2 * i]);
    layers[i].bias.copy_(saved[2 * i + 1]);
  }
}

std::vector<TrainedConv> Network::trainedConvs(bool skipFrozen) const {
  std::vector<TrainedConv> trained;
  for (const ConvParams &c : layers) {
    if (skipFrozen && c.frozen)
      continue; // As found, byte for byte.
    torch::Tensor w =
        (c.weight * c.mask).detach().to(torch::kFloat).contiguous();
    torch::Tensor b = c.bias.detach().to(torch::kFloat).contiguous();
    TrainedConv t;
    t.op = c.op;
    t.weights.assign(w.data_ptr<float>(), w.data_ptr<float>() + w.numel());
    t.bias.assign(b.data_ptr<float>(), b.data_ptr<float>() + b.numel());
    trained.push_back(std::move(t));
  }
  return trained;
}
