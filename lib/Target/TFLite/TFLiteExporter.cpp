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

#include "Exporter.h"
#include "tinyprune/Dialect/LayerView.h"
#include "tinyprune/Transforms/Passes.h"

#include "mlir/IR/BuiltinTypes.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Tools/mlir-translate/Translation.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/TypeSwitch.h"
#include "llvm/Support/CommandLine.h"

#include <cstring>

using namespace mlir;
using namespace tinyprune;
using namespace tinyprune::tflexport;
namespace fb = flatbuffers;
using tflite::ActivationFunctionType;
using tflite::BuiltinOperator;
using tflite::BuiltinOptions;

std::optional<tflite::TensorType> tinyprune::tflexport::tfliteType(Type elt) {
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

LogicalResult Exporter::emitOp(BuiltinOperator code, int version,
                               ValueRange inputs, Value result,
                               BuiltinOptions optType, fb::Offset<void> options,
                               ExtraInputs extra) {
  SmallVector<int32_t> ins;
  for (Value v : inputs) {
    FailureOr<int32_t> t = tensorOf(v);
    if (failed(t))
      return failure();
    ins.push_back(*t);
  }
  FailureOr<int32_t> out = defineTensor(result);
  if (failed(out))
    return failure();
  // A copy: `extra` adds tensors, which moves `tensorNames`.
  if (extra)
    llvm::append_range(ins, extra(std::string(tensorNames[*out])));
  addOp(code, version, ins, {*out}, optType, options);
  return success();
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
LogicalResult Exporter::exportOp(Operation *op) {
  if (folded.contains(op) || isa<tosa::ConstOp, tosa::ConstShapeOp>(op))
    return success();
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
  // Operators with input 0 to output 0 and no options.
  bool isFloat =
      op->getNumResults() == 1 && isa<ShapedType>(op->getResult(0).getType()) &&
      cast<ShapedType>(op->getResult(0).getType()).getElementType().isF32();
  auto unary = [&](BuiltinOperator code, int version) {
    return emitOp(code, version, op->getOperand(0), op->getResult(0));
  };
  if (isa<LogisticOp, tosa::SigmoidOp>(op))
    return unary(BuiltinOperator::LOGISTIC, opVersion(isFloat, 2));
  if (isa<TanhOp, tosa::TanhOp>(op))
    return unary(BuiltinOperator::TANH, opVersion(isFloat, 2));
  if (isa<HardSwishOp>(op))
    return unary(BuiltinOperator::HARD_SWISH, 1);
  if (isa<QuantizeOp>(op))
    return unary(BuiltinOperator::QUANTIZE, 2);
  return llvm::TypeSwitch<Operation *, LogicalResult>(op)
      .Case([&](RequantizeOp r) { return exportRequantize(r); })
      .Case([&](tosa::ReshapeOp r) { return exportReshape(r); })
      .Case([&](tosa::ConcatOp c) { return exportConcat(c); })
      .Case([&](tosa::PadOp p) { return exportPad(p); })
      .Case([&](tosa::SliceOp s) { return exportSlice(s); })
      .Case([&](tosa::TransposeOp t) { return exportTranspose(t); })
      .Case([&](tosa::ClampOp c) { return exportClamp(c); })
      .Case([&](tosa::CastOp c) { return exportDequantize(c); })
      .Case([&](tosa::ReduceSumOp r) { return exportFloatMean(r); })
      .Case([&](tosa::SelectOp s) { return exportLeakyRelu(s); })
      .Case([&](SoftmaxOp s) { return exportSoftmax(s); })
      .Case([&](MeanOp m) { return exportMean(m); })
      .Default([](Operation *op) {
        return emitError(op->getLoc())
               << "cannot export: '" << op->getName()
               << "' has no TFLite operator in the exporter";
      });
}
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
