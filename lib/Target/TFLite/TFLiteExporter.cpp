//===- TFLiteExporter.cpp - Layer IR to a TFLite flatbuffer ---------------===//
//
// The importer in reverse (lib/Import/TFLiteImporter.cpp): each layer op
// becomes the TFLite builtin operator it was imported from, and the TOSA
// and tinyprune ops that raising leaves (reshapes, slices, pads,
// concatenations, softmax, pooling, ...) become theirs.
//
// Exactness: the importer derives every integer constant (requantization
// multipliers and shifts, clamp bounds) from the scales and zero points in
// the file, so the exporter writes the layer IR's quantization unchanged
// and checks, before writing a layer, that the importer's formulas give
// back the layer's own constants: its multipliers (convolutions) and its
// clamp range (the fused activation). A layer whose constants do not follow
// from its scales is an error rather than a file that computes otherwise.
//
// A few TOSA shapes of the importer are folded back into one operator: the
// reshapes around a fully-connected layer's 1x1 convolution
// (FULLY_CONNECTED), the slice from the origin that drops rows and columns
// no window reads (SAME/VALID padding of a convolution or pool), and the
// clamp after a float average pool or a concatenation (its fused
// activation).
//
//===----------------------------------------------------------------------===//

#include "tinyprune/Target/TFLite.h"

#include "ImporterForms.h"
#include "tflite_generated.h"
#include "tinyprune/Dialect/LayerView.h"
#include "tinyprune/Dialect/TinyPrune.h"
#include "tinyprune/Transforms/Passes.h"
#include "tinyprune/rt/quant_params.h"

#include "mlir/Dialect/Tosa/IR/TosaOps.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Tools/mlir-translate/Translation.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/DenseSet.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/Support/CommandLine.h"

#include <array>
#include <cmath>
#include <cstring>
#include <limits>
#include <map>
#include <optional>

using namespace mlir;
using namespace tinyprune;
using namespace tinyprune::tflexport;
namespace fb = flatbuffers;
using tflite::ActivationFunctionType;
using tflite::BuiltinOperator;
using tflite::BuiltinOptions;

namespace {

/// The TFLite element type of `t`'s elements.
static std::optional<tflite::TensorType> tfliteType(Type elt) {
  if (elt.isF32())
    return tflite::TensorType::FLOAT32;
  if (elt.isInteger(8))
    return tflite::TensorType::INT8;
  if (elt.isInteger(16))
    return tflite::TensorType::INT16;
  if (elt.isInteger(32))
    return tflite::TensorType::INT32;
  if (elt.isInteger(64))
    return tflite::TensorType::INT64;
  if (elt.isInteger(1))
    return tflite::TensorType::BOOL;
  return std::nullopt;
}

/// Little-endian bytes of a constant, as TFLite stores it.
static std::vector<uint8_t> constantBytes(DenseElementsAttr attr) {
  std::vector<uint8_t> bytes;
  Type elt = attr.getElementType();
  if (auto ft = dyn_cast<FloatType>(elt)) {
    for (const APFloat &f : attr.getValues<APFloat>()) {
      float v = f.convertToFloat();
      uint8_t b[4];
      std::memcpy(b, &v, 4);
      bytes.insert(bytes.end(), b, b + 4);
    }
    return bytes;
  }
  unsigned width = elt.getIntOrFloatBitWidth();
  unsigned nbytes = width == 1 ? 1 : width / 8;
  for (const APInt &v : attr.getValues<APInt>()) {
    uint64_t raw = v.getZExtValue();
    for (unsigned k = 0; k < nbytes; ++k)
      bytes.push_back(static_cast<uint8_t>(raw >> (8 * k)));
  }
  return bytes;
}

/// The flatbuffer under construction: one subgraph.
class Exporter {
public:
  explicit Exporter(func::FuncOp func) : func(func) {
    buffers.push_back(tflite::CreateBuffer(fbb)); // TFLite's empty buffer 0.
  }

  FailureOr<std::string> run();

private:
  //===------------------------------------------------------------------===//
  // Tensors
  //===------------------------------------------------------------------===//

  /// A new tensor; `data` empty for activations.
  int32_t addTensor(StringRef name, ShapedType type, QuantAttr quant,
                    ArrayRef<uint8_t> data, ArrayRef<int64_t> shape,
                    std::optional<int64_t> axisOverride = std::nullopt);
  /// The tensor of SSA value `v` (an activation, or a constant written on
  /// first use).
  FailureOr<int32_t> tensorOf(Value v);
  /// A constant tensor holding `v`'s elements with `shape` and `quant`.
  FailureOr<int32_t> constTensor(Value v, ArrayRef<int64_t> shape,
                                 QuantAttr quant, StringRef what,
                                 Operation *user);
  /// A new int32 constant tensor (shapes, axes, paddings).
  int32_t int32Tensor(StringRef name, ArrayRef<int64_t> values,
                      ArrayRef<int64_t> shape);
  /// Defines `v` as the output tensor of an operator about to be added.
  FailureOr<int32_t> defineTensor(Value v);
  std::string nameOf(Value v);
  std::string uniqueName(StringRef base);
  /// Marks the ops the importer added around a layer, which the layer's
  /// operator replaces (see the file comment).
  void planFolds(Operation *op);

  //===------------------------------------------------------------------===//
  // Operators
  //===------------------------------------------------------------------===//

  void addOp(BuiltinOperator code, int version, ArrayRef<int32_t> inputs,
             ArrayRef<int32_t> outputs, BuiltinOptions optType = {},
             fb::Offset<void> options = {});
  LogicalResult exportOp(Operation *op);
  LogicalResult exportConv(Operation *op);
  LogicalResult exportAddSubMul(Operation *op);
  LogicalResult exportPool(Operation *op);
  LogicalResult exportRequantize(RequantizeOp op);
  LogicalResult exportReshape(tosa::ReshapeOp op);
  LogicalResult exportConcat(tosa::ConcatOp op);
  LogicalResult exportPad(tosa::PadOp op);
  LogicalResult exportSlice(tosa::SliceOp op);
  LogicalResult exportClamp(tosa::ClampOp op);
  LogicalResult exportDequantize(tosa::CastOp op);
  LogicalResult exportFloatMean(tosa::ReduceSumOp op);
  LogicalResult exportLeakyRelu(tosa::SelectOp op);
  /// The clamp that is `op`'s only user, folded into `op` as its fused
  /// activation when it is one.
  std::pair<Value, ActivationFunctionType> fuseClamp(Operation *op,
                                                     QuantAttr outQuant);

  func::FuncOp func;
  fb::FlatBufferBuilder fbb;
  std::vector<fb::Offset<tflite::Buffer>> buffers;
  std::vector<fb::Offset<tflite::Tensor>> tensors;
  std::vector<fb::Offset<tflite::Operator>> operators;
  std::vector<fb::Offset<tflite::OperatorCode>> opcodes;
  std::map<std::pair<int32_t, int>, uint32_t> opcodeIndex;
  DenseMap<Value, int32_t> valueTensors;
  std::map<std::pair<Operation *, std::string>, int32_t> constTensors;
  /// LEAKY_RELU selects, found before their parts are reached.
  DenseMap<Operation *, LeakyRelu> leakyRelus;
  /// Ops folded into another op's operator.
  DenseSet<Operation *> folded;
  /// Tensors whose name is taken, to keep names unique.
  llvm::StringMap<unsigned> names;
  std::vector<std::string> tensorNames;
};

} // namespace

//===----------------------------------------------------------------------===//
// Tensors
//===----------------------------------------------------------------------===//

std::string Exporter::uniqueName(StringRef base) {
  unsigned &n = names[base];
  std::string name = n == 0 ? base.str() : (base + "_" + Twine(n)).str();
  ++n;
  return name;
}

std::string Exporter::nameOf(Value v) {
  std::string base;
  if (auto nl = dyn_cast<NameLoc>(v.getLoc()))
    base = nl.getName().str();
  else if (auto arg = dyn_cast<BlockArgument>(v))
    base = "input_" + std::to_string(arg.getArgNumber());
  if (base.empty())
    base = "tensor";
  return uniqueName(base);
}

int32_t Exporter::addTensor(StringRef name, ShapedType type, QuantAttr quant,
                            ArrayRef<uint8_t> data, ArrayRef<int64_t> shape,
                            std::optional<int64_t> axisOverride) {
  uint32_t buffer = 0;
  if (!data.empty()) {
    // TFLite aligns constant data to 16 bytes.
    fbb.ForceVectorAlignment(data.size(), 1, 16);
    auto vec = fbb.CreateVector(data.data(), data.size());
    buffer = buffers.size();
    buffers.push_back(tflite::CreateBuffer(fbb, vec));
  }
  fb::Offset<tflite::QuantizationParameters> q;
  if (quant) {
    auto scales =
        fbb.CreateVector(quant.getScale().data(), quant.getScale().size());
    auto zps = fbb.CreateVector(quant.getZeroPoint().data(),
                                quant.getZeroPoint().size());
    int64_t axis = axisOverride ? *axisOverride
                                : (quant.isPerChannel() ? quant.getAxis() : 0);
    q = tflite::CreateQuantizationParameters(fbb, 0, 0, scales, zps,
                                             tflite::QuantizationDetails::NONE,
                                             0, static_cast<int32_t>(axis));
  }
  std::vector<int32_t> dims(shape.begin(), shape.end());
  auto shapeVec = fbb.CreateVector(dims);
  tensorNames.push_back(name.str());
  auto nameStr = fbb.CreateString(name.str());
  tensors.push_back(tflite::CreateTensor(
      fbb, shapeVec, *tfliteType(type.getElementType()), buffer, nameStr, q));
  return static_cast<int32_t>(tensors.size() - 1);
}

FailureOr<int32_t> Exporter::defineTensor(Value v) {
  auto type = dyn_cast<RankedTensorType>(v.getType());
  if (!type || !type.hasStaticShape() || !tfliteType(type.getElementType())) {
    emitError(v.getLoc()) << "cannot export a value of type " << v.getType()
                          << " (statically shaped tensors of f32, i8, i16, "
                             "i32, i64 or i1 only)";
    return failure();
  }
  QuantAttr q = type.getElementType().isF32() ? QuantAttr() : producerQuant(v);
  int32_t t = addTensor(nameOf(v), type, q, {}, type.getShape());
  valueTensors[v] = t;
  return t;
}

FailureOr<int32_t> Exporter::constTensor(Value v, ArrayRef<int64_t> shape,
                                         QuantAttr quant, StringRef what,
                                         Operation *user) {
  DenseElementsAttr elems = constantElements(v);
  if (!elems) {
    emitError(user->getLoc())
        << "cannot export: its " << what << " is not a constant";
    return failure();
  }
  Operation *def = v.getDefiningOp();
  std::string key = listStr(shape) + (quant ? "q" : "");
  auto it = constTensors.find({def, key});
  if (it != constTensors.end())
    return it->second;
  auto type = cast<ShapedType>(v.getType());
  if (!tfliteType(type.getElementType())) {
    emitError(user->getLoc())
        << "cannot export: its " << what << " has type " << type;
    return failure();
  }
  std::vector<uint8_t> bytes = constantBytes(elems);
  // A zero-element or empty constant still needs a buffer of its own.
  int32_t t = addTensor(nameOf(v), type, quant, bytes, shape);
  constTensors[{def, key}] = t;
  return t;
}

int32_t Exporter::int32Tensor(StringRef name, ArrayRef<int64_t> values,
                              ArrayRef<int64_t> shape) {
  std::vector<uint8_t> bytes;
  for (int64_t v : values) {
    int32_t x = static_cast<int32_t>(v);
    uint8_t b[4];
    std::memcpy(b, &x, 4);
    bytes.insert(bytes.end(), b, b + 4);
  }
  auto type =
      RankedTensorType::get(shape, IntegerType::get(func.getContext(), 32));
  return addTensor(uniqueName(name), type, {}, bytes, shape);
}

FailureOr<int32_t> Exporter::tensorOf(Value v) {
  auto it = valueTensors.find(v);
  if (it != valueTensors.end())
    return it->second;
  if (constantElements(v)) {
    auto type = cast<ShapedType>(v.getType());
    QuantAttr q =
        type.getElementType().isF32() ? QuantAttr() : producerQuant(v);
    Operation *user = v.getDefiningOp();
    FailureOr<int32_t> t = constTensor(v, type.getShape(), q, "operand", user);
    if (succeeded(t))
      valueTensors[v] = *t;
    return t;
  }
  Operation *def = v.getDefiningOp();
  if (def)
    emitError(def->getLoc())
        << "cannot export: its result is read before it is "
           "written";
  else
    emitError(v.getLoc()) << "cannot export: value is not defined";
  return failure();
}

//===----------------------------------------------------------------------===//
// Operators
//===----------------------------------------------------------------------===//

void Exporter::addOp(BuiltinOperator code, int version,
                     ArrayRef<int32_t> inputs, ArrayRef<int32_t> outputs,
                     BuiltinOptions optType, fb::Offset<void> options) {
  auto key = std::make_pair(static_cast<int32_t>(code), version);
  auto it = opcodeIndex.find(key);
  uint32_t index;
  if (it != opcodeIndex.end()) {
    index = it->second;
  } else {
    index = opcodes.size();
    int32_t c = static_cast<int32_t>(code);
    opcodes.push_back(tflite::CreateOperatorCode(
        fbb, static_cast<int8_t>(std::min(c, 127)), 0, version, code));
    opcodeIndex[key] = index;
  }
  auto in = fbb.CreateVector(inputs.data(), inputs.size());
  auto out = fbb.CreateVector(outputs.data(), outputs.size());
  operators.push_back(
      tflite::CreateOperator(fbb, index, in, out, optType, options));
}

std::pair<Value, ActivationFunctionType>
Exporter::fuseClamp(Operation *op, QuantAttr outQuant) {
  Value out = op->getResult(0);
  if (!op->hasOneUse())
    return {out, ActivationFunctionType::NONE};
  auto clamp = dyn_cast<tosa::ClampOp>(*op->getUsers().begin());
  if (!clamp)
    return {out, ActivationFunctionType::NONE};
  Type elt = cast<ShapedType>(out.getType()).getElementType();
  if (!outQuant && !elt.isF32())
    outQuant = producerQuant(clamp.getResult());
  std::optional<ActivationFunctionType> act =
      activationOf(clamp.getMinValAttr(), clamp.getMaxValAttr(), elt, outQuant);
  if (!act)
    return {out, ActivationFunctionType::NONE};
  folded.insert(clamp);
  return {clamp.getResult(), *act};
}

void Exporter::planFolds(Operation *op) {
  if (auto conv = dyn_cast<Conv2DOp>(op)) {
    if (std::optional<FullyConnected> fc = asFullyConnected(conv)) {
      folded.insert(fc->outReshape);
      if (fc->inReshape->hasOneUse())
        folded.insert(fc->inReshape);
      return;
    }
  }
  if (isa<Conv2DOp, DepthwiseConv2DOp, MaxPool2dOp, AvgPool2dOp,
          tosa::AvgPool2dOp>(op))
    if (Operation *slice = windowInput(op->getOperand(0)).slice)
      folded.insert(slice);
  if (auto select = dyn_cast<tosa::SelectOp>(op))
    if (std::optional<LeakyRelu> l = asLeakyRelu(select)) {
      for (Operation *part : l->parts)
        folded.insert(part);
      leakyRelus[op] = *l;
    }
}

/// Version of an operator code: 1 on float, the first integer version on
/// int8 (what TFLite's converter writes).
static int opVersion(bool isFloat, int intVersion) {
  return isFloat ? 1 : intVersion;
}

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
  FailureOr<int32_t> a = tensorOf(lhs), b = tensorOf(rhs);
  if (failed(a) || failed(b))
    return failure();
  FailureOr<int32_t> o = defineTensor(out);
  if (failed(o))
    return failure();
  if (isa<AddOp, tosa::AddOp>(op)) {
    addOp(BuiltinOperator::ADD, opVersion(isFloat, 2), {*a, *b}, {*o},
          BuiltinOptions::AddOptions,
          tflite::CreateAddOptions(fbb, act).Union());
  } else if (isa<SubOp, tosa::SubOp>(op)) {
    addOp(BuiltinOperator::SUB, opVersion(isFloat, 2), {*a, *b}, {*o},
          BuiltinOptions::SubOptions,
          tflite::CreateSubOptions(fbb, act).Union());
  } else {
    addOp(BuiltinOperator::MUL, opVersion(isFloat, 2), {*a, *b}, {*o},
          BuiltinOptions::MulOptions,
          tflite::CreateMulOptions(fbb, act).Union());
  }
  return success();
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
  FailureOr<int32_t> in = tensorOf(win.source);
  if (failed(in))
    return failure();
  FailureOr<int32_t> out = defineTensor(result);
  if (failed(out))
    return failure();
  auto opts = tflite::CreatePool2DOptions(fbb, *padding, stride[1], stride[0],
                                          kernel[1], kernel[0], act);
  addOp(isMax ? BuiltinOperator::MAX_POOL_2D : BuiltinOperator::AVERAGE_POOL_2D,
        opVersion(isFloat, 2), {*in}, {*out}, BuiltinOptions::Pool2DOptions,
        opts.Union());
  return success();
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
  FailureOr<int32_t> in = tensorOf(op.getInput());
  if (failed(in))
    return failure();
  FailureOr<int32_t> out = defineTensor(op.getOutput());
  if (failed(out))
    return failure();
  addOp(*code, 2, {*in}, {*out});
  return success();
}

LogicalResult Exporter::exportReshape(tosa::ReshapeOp op) {
  FailureOr<int32_t> in = tensorOf(op.getInput1());
  if (failed(in))
    return failure();
  auto type = cast<RankedTensorType>(op.getType());
  FailureOr<int32_t> out = defineTensor(op.getResult());
  if (failed(out))
    return failure();
  int32_t shapeT = int32Tensor(tensorNames[*out] + "/shape", type.getShape(),
                               {type.getRank()});
  std::vector<int32_t> dims(type.getShape().begin(), type.getShape().end());
  auto opts = tflite::CreateReshapeOptions(fbb, fbb.CreateVector(dims));
  addOp(BuiltinOperator::RESHAPE, 1, {*in, shapeT}, {*out},
        BuiltinOptions::ReshapeOptions, opts.Union());
  return success();
}

LogicalResult Exporter::exportConcat(tosa::ConcatOp op) {
  SmallVector<int32_t> ins;
  for (Value v : op.getInput1()) {
    FailureOr<int32_t> t = tensorOf(v);
    if (failed(t))
      return failure();
    ins.push_back(*t);
  }
  Type elt = cast<ShapedType>(op.getType()).getElementType();
  auto [result, act] =
      fuseClamp(op, elt.isF32() ? QuantAttr() : producerQuant(op.getResult()));
  FailureOr<int32_t> out = defineTensor(result);
  if (failed(out))
    return failure();
  auto opts = tflite::CreateConcatenationOptions(
      fbb, static_cast<int32_t>(op.getAxis()), act);
  addOp(BuiltinOperator::CONCATENATION, opVersion(elt.isF32(), 2), ins, {*out},
        BuiltinOptions::ConcatenationOptions, opts.Union());
  return success();
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
  FailureOr<int32_t> in = tensorOf(op.getInput1());
  if (failed(in))
    return failure();
  FailureOr<int32_t> out = defineTensor(op.getResult());
  if (failed(out))
    return failure();
  int32_t padsT =
      int32Tensor(tensorNames[*out] + "/paddings", pads, {type.getRank(), 2});
  addOp(BuiltinOperator::PAD, opVersion(elt.isF32(), 2), {*in, padsT}, {*out},
        BuiltinOptions::PadOptions, tflite::CreatePadOptions(fbb).Union());
  return success();
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
  FailureOr<int32_t> in = tensorOf(op.getInput1());
  if (failed(in))
    return failure();
  FailureOr<int32_t> out = defineTensor(op.getResult());
  if (failed(out))
    return failure();
  std::string base = tensorNames[*out];
  int64_t rank = outType.getRank();
  int32_t bT = int32Tensor(base + "/begin", begin, {rank});
  int32_t eT = int32Tensor(base + "/end", end, {rank});
  int32_t sT = int32Tensor(base + "/strides", strides, {rank});
  bool isFloat = outType.getElementType().isF32();
  addOp(BuiltinOperator::STRIDED_SLICE, opVersion(isFloat, 2),
        {*in, bT, eT, sT}, {*out}, BuiltinOptions::StridedSliceOptions,
        tflite::CreateStridedSliceOptions(fbb).Union());
  return success();
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
  FailureOr<int32_t> in = tensorOf(op.getInput());
  if (failed(in))
    return failure();
  FailureOr<int32_t> out = defineTensor(op.getResult());
  if (failed(out))
    return failure();
  addOp(*code, 1, {*in}, {*out});
  return success();
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
  FailureOr<int32_t> in = tensorOf(x);
  if (failed(in))
    return failure();
  FailureOr<int32_t> out = defineTensor(mul.getResult());
  if (failed(out))
    return failure();
  addOp(BuiltinOperator::DEQUANTIZE, 2, {*in}, {*out});
  return success();
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
  FailureOr<int32_t> in = tensorOf(x);
  if (failed(in))
    return failure();
  FailureOr<int32_t> out = defineTensor(result);
  if (failed(out))
    return failure();
  int32_t axesT = int32Tensor(tensorNames[*out] + "/axes", axes,
                              {static_cast<int64_t>(axes.size())});
  addOp(BuiltinOperator::MEAN, 1, {*in, axesT}, {*out},
        BuiltinOptions::ReducerOptions,
        tflite::CreateReducerOptions(fbb, keepDims).Union());
  return success();
}

LogicalResult Exporter::exportLeakyRelu(tosa::SelectOp op) {
  auto it = leakyRelus.find(op);
  if (it == leakyRelus.end())
    return emitError(op.getLoc()) << "cannot export: a select that is not the "
                                     "importer's LEAKY_RELU";
  FailureOr<int32_t> in = tensorOf(it->second.input);
  if (failed(in))
    return failure();
  FailureOr<int32_t> out = defineTensor(op.getResult());
  if (failed(out))
    return failure();
  bool isFloat = cast<ShapedType>(op.getType()).getElementType().isF32();
  addOp(BuiltinOperator::LEAKY_RELU, opVersion(isFloat, 2), {*in}, {*out},
        BuiltinOptions::LeakyReluOptions,
        tflite::CreateLeakyReluOptions(fbb, it->second.alpha).Union());
  return success();
}

/// One operator with input 0 to output 0 and no options.
#define UNARY(CODE, VERSION)                                                   \
  {                                                                            \
    FailureOr<int32_t> in = tensorOf(op->getOperand(0));                       \
    if (failed(in))                                                            \
      return failure();                                                        \
    FailureOr<int32_t> out = defineTensor(op->getResult(0));                   \
    if (failed(out))                                                           \
      return failure();                                                        \
    addOp(BuiltinOperator::CODE, VERSION, {*in}, {*out});                      \
    return success();                                                          \
  }

LogicalResult Exporter::exportOp(Operation *op) {
  if (folded.contains(op) || isa<tosa::ConstOp, tosa::ConstShapeOp>(op))
    return success();
  bool isFloat =
      op->getNumResults() == 1 && isa<ShapedType>(op->getResult(0).getType()) &&
      cast<ShapedType>(op->getResult(0).getType()).getElementType().isF32();
  // Constants reshaped (the importer's view of a weight) stay constants.
  if (isa<tosa::ReshapeOp>(op) && constantElements(op->getResult(0)))
    return success();
  if (isa<Conv2DOp, DepthwiseConv2DOp>(op))
    return exportConv(op);
  if (isa<AddOp, SubOp, MulOp>(op))
    return exportAddSubMul(op);
  if (isa<tosa::AddOp, tosa::SubOp, tosa::MulOp>(op)) {
    Type elt = cast<ShapedType>(op->getResult(0).getType()).getElementType();
    if (!elt.isInteger(32))
      return emitError(op->getLoc())
             << "cannot export: TOSA arithmetic on " << elt
             << " has no TFLite form (layer ops or int32 only)";
    return exportAddSubMul(op);
  }
  if (isa<MaxPool2dOp, AvgPool2dOp, tosa::AvgPool2dOp>(op))
    return exportPool(op);
  if (auto r = dyn_cast<RequantizeOp>(op))
    return exportRequantize(r);
  if (auto r = dyn_cast<tosa::ReshapeOp>(op))
    return exportReshape(r);
  if (auto c = dyn_cast<tosa::ConcatOp>(op))
    return exportConcat(c);
  if (auto p = dyn_cast<tosa::PadOp>(op))
    return exportPad(p);
  if (auto s = dyn_cast<tosa::SliceOp>(op))
    return exportSlice(s);
  if (auto c = dyn_cast<tosa::ClampOp>(op))
    return exportClamp(c);
  if (auto c = dyn_cast<tosa::CastOp>(op))
    return exportDequantize(c);
  if (auto r = dyn_cast<tosa::ReduceSumOp>(op))
    return exportFloatMean(r);
  if (auto s = dyn_cast<tosa::SelectOp>(op))
    return exportLeakyRelu(s);
  if (auto t = dyn_cast<tosa::TransposeOp>(op)) {
    FailureOr<int32_t> in = tensorOf(t.getInput1());
    if (failed(in))
      return failure();
    SmallVector<int64_t> perms(t.getPerms().begin(), t.getPerms().end());
    FailureOr<int32_t> out = defineTensor(t.getResult());
    if (failed(out))
      return failure();
    int32_t permT = int32Tensor(tensorNames[*out] + "/perm", perms,
                                {static_cast<int64_t>(perms.size())});
    addOp(BuiltinOperator::TRANSPOSE, opVersion(isFloat, 2), {*in, permT},
          {*out}, BuiltinOptions::TransposeOptions,
          tflite::CreateTransposeOptions(fbb).Union());
    return success();
  }
  if (auto s = dyn_cast<SoftmaxOp>(op)) {
    FailureOr<int32_t> in = tensorOf(s.getInput());
    if (failed(in))
      return failure();
    FailureOr<int32_t> out = defineTensor(s.getOutput());
    if (failed(out))
      return failure();
    addOp(BuiltinOperator::SOFTMAX, opVersion(isFloat, 2), {*in}, {*out},
          BuiltinOptions::SoftmaxOptions,
          tflite::CreateSoftmaxOptions(
              fbb, static_cast<float>(s.getBetaAttr().getValueAsDouble()))
              .Union());
    return success();
  }
  if (auto m = dyn_cast<MeanOp>(op)) {
    FailureOr<int32_t> in = tensorOf(m.getInput());
    if (failed(in))
      return failure();
    SmallVector<int64_t> axes(m.getAxes());
    FailureOr<int32_t> out = defineTensor(m.getOutput());
    if (failed(out))
      return failure();
    int32_t axesT = int32Tensor(tensorNames[*out] + "/axes", axes,
                                {static_cast<int64_t>(axes.size())});
    addOp(BuiltinOperator::MEAN, 2, {*in, axesT}, {*out},
          BuiltinOptions::ReducerOptions,
          tflite::CreateReducerOptions(fbb, m.getKeepDims()).Union());
    return success();
  }
  if (isa<LogisticOp, tosa::SigmoidOp>(op))
    UNARY(LOGISTIC, opVersion(isFloat, 2))
  if (isa<TanhOp, tosa::TanhOp>(op))
    UNARY(TANH, opVersion(isFloat, 2))
  if (isa<HardSwishOp>(op))
    UNARY(HARD_SWISH, 1)
  if (isa<QuantizeOp>(op))
    UNARY(QUANTIZE, 2)
  return emitError(op->getLoc()) << "cannot export: '" << op->getName()
                                 << "' has no TFLite operator in the exporter";
}

#undef UNARY

FailureOr<std::string> Exporter::run() {
  if (!llvm::hasSingleElement(func.getBody()))
    return emitError(func.getLoc())
           << "cannot export: the function has several "
              "blocks";
  SmallVector<int32_t> inputs, outputs;
  for (BlockArgument arg : func.getArguments()) {
    auto type = dyn_cast<RankedTensorType>(arg.getType());
    if (!type || !type.hasStaticShape() || !tfliteType(type.getElementType()))
      return emitError(func.getLoc())
             << "cannot export: argument " << arg.getArgNumber() << " has type "
             << arg.getType();
    QuantAttr q;
    if (!type.getElementType().isF32())
      q = func.getArgAttrOfType<QuantAttr>(arg.getArgNumber(),
                                           "tinyprune.quant");
    int32_t t = addTensor(nameOf(arg), type, q, {}, type.getShape());
    valueTensors[arg] = t;
    inputs.push_back(t);
  }
  Block &body = func.getBody().front();
  for (Operation &op : body.without_terminator())
    planFolds(&op);
  for (Operation &op : body.without_terminator())
    if (failed(exportOp(&op)))
      return failure();
  for (Value v : body.getTerminator()->getOperands()) {
    auto it = valueTensors.find(v);
    if (it == valueTensors.end() || llvm::is_contained(inputs, it->second))
      return emitError(func.getLoc())
             << "cannot export: a result that no operator "
                "computes";
    outputs.push_back(it->second);
  }

  auto sg = tflite::CreateSubGraph(
      fbb, fbb.CreateVector(tensors),
      fbb.CreateVector(inputs.data(), inputs.size()),
      fbb.CreateVector(outputs.data(), outputs.size()),
      fbb.CreateVector(operators), fbb.CreateString(func.getName().str()));
  auto model = tflite::CreateModel(
      fbb, /*version=*/3, fbb.CreateVector(opcodes),
      fbb.CreateVector(std::vector<fb::Offset<tflite::SubGraph>>{sg}),
      fbb.CreateString("tinyprune"), fbb.CreateVector(buffers));
  tflite::FinishModelBuffer(fbb, model);
  fb::Verifier verifier(fbb.GetBufferPointer(), fbb.GetSize());
  if (!tflite::VerifyModelBuffer(verifier))
    return emitError(func.getLoc())
           << "internal error: the exported flatbuffer "
              "fails verification";
  return std::string(reinterpret_cast<const char *>(fbb.GetBufferPointer()),
                     fbb.GetSize());
}

//===----------------------------------------------------------------------===//
// Entry points
//===----------------------------------------------------------------------===//

FailureOr<std::string> tinyprune::exportTFLite(func::FuncOp func) {
  return Exporter(func).run();
}

FailureOr<std::string> tinyprune::exportTFLite(ModuleOp module,
                                               StringRef function) {
  func::FuncOp found;
  for (auto f : module.getOps<func::FuncOp>()) {
    if (!function.empty() ? f.getName() == function : !f.isExternal()) {
      if (found && function.empty())
        return module.emitError() << "has several functions: choose one with "
                                     "--export-tflite-function";
      found = f;
    }
  }
  if (!found)
    return module.emitError()
           << (function.empty() ? std::string("has no function to export")
                                : "has no function '" + function.str() + "'");
  PassManager pm(module.getContext(), func::FuncOp::getOperationName());
  pm.addPass(createRaiseToLayers());
  if (failed(pm.run(found)))
    return failure();
  return exportTFLite(found);
}

void tinyprune::registerTFLiteExportTranslation() {
  static llvm::cl::opt<std::string> exportFunction(
      "export-tflite-function",
      llvm::cl::desc("--export-tflite: the function to write (default: the "
                     "module's only function with a body)"),
      llvm::cl::init(""));
  TranslateFromMLIRRegistration reg(
      "export-tflite",
      "Write a module as a TFLite flatbuffer (.tflite) of builtin operators",
      [](ModuleOp module, llvm::raw_ostream &os) -> LogicalResult {
        FailureOr<std::string> bytes = exportTFLite(module, exportFunction);
        if (failed(bytes))
          return failure();
        os << *bytes;
        return success();
      },
      [](DialectRegistry &registry) {
        registry
            .insert<TinyPruneDialect, func::FuncDialect, tosa::TosaDialect>();
      });
}
