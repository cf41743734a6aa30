//===- TFLiteImporter.cpp - TFLite flatbuffer to TOSA ---------------------===//
//
// Lowers each TFLite subgraph to a `func.func` of TOSA and tinyprune ops.
//
// The int8 lowering is chosen so that a later lowering to C++ reproduces
// TFLite's reference integer arithmetic bit for bit:
//  * convolutions and fully-connected layers accumulate in i32 and requantize
//    with a per-channel `tosa.rescale` (DOUBLE_ROUND, TFLite's multipliers
//    and shifts), then clamp to the fused activation's range;
//  * ADD and SUB replay TFLite's 20-bit left shift and its three
//    requantizations as rescales; MUL multiplies zero-point-corrected i32
//    values and requantizes once;
//  * operators with no exact TOSA form (softmax, logistic, tanh, hard swish,
//    int8 average pool and mean, float-to-int quantize) become tinyprune ops.
// Every integer tensor with scales keeps them in a `tinyprune.quant`
// attribute on its defining op (or on the function argument or result).
//
// Every check that can fail on a malformed model happens before an op is
// built, and fails with one diagnostic naming the file, the operator index
// and the operator.
//
// The members of `SubgraphImporter` (TFLiteSubgraphImporter.h) live by
// concern: this file holds the tensors, the operator dispatch and the
// function and module; the IR builders and each operator family have
// their own file, listed in that header.
//
//===----------------------------------------------------------------------===//

#include "tinyprune/Import/TFLiteImporter.h"

#include "TFLiteLstm.h"
#include "TFLiteSubgraphImporter.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Verifier.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/Support/FormatVariadic.h"

#include <cstring>

using namespace mlir;
using namespace tinyprune;
using namespace tinyprune::tfl;
using tflite::BuiltinOperator;

//===----------------------------------------------------------------------===//
// Tensors
//===----------------------------------------------------------------------===//

FailureOr<Type> SubgraphImporter::elementType(int32_t idx) {
  switch (tensor(idx).type) {
  case tflite::TensorType::FLOAT32:
    return Type(b.getF32Type());
  case tflite::TensorType::INT8:
    return Type(b.getIntegerType(8));
  case tflite::TensorType::INT16:
    return Type(b.getIntegerType(16));
  case tflite::TensorType::INT32:
    return Type(b.getIntegerType(32));
  case tflite::TensorType::INT64:
    return Type(b.getIntegerType(64));
  case tflite::TensorType::BOOL:
    return Type(b.getIntegerType(1));
  default:
    break;
  }
  if (tensor(idx).type == tflite::TensorType::UINT8) {
    opError() << "tensor '" << tensor(idx).name
              << "' is UINT8 without quantization, which is not supported "
                 "(affine uint8 tensors are)";
    return failure();
  }
  const char *name = tflite::EnumNameTensorType(tensor(idx).type);
  opError() << "tensor '" << tensor(idx).name << "' has type "
            << (name && *name ? name : "<unknown>")
            << ", which is not supported (float32, int8, affine uint8, int16, "
               "int32, int64 and bool are)";
  return failure();
}

FailureOr<RankedTensorType> SubgraphImporter::tensorType(int32_t idx) {
  FailureOr<Type> elt = elementType(idx);
  if (failed(elt))
    return failure();
  return RankedTensorType::get(tensor(idx).shape, *elt);
}

FailureOr<int32_t> SubgraphImporter::inputIndex(unsigned i, bool optional) {
  if (i >= cur->inputs.size() || cur->inputs[i] < 0) {
    if (optional)
      return int32_t(-1);
    opError() << "input " << i << " is missing";
    return failure();
  }
  return cur->inputs[i];
}

FailureOr<Value> SubgraphImporter::input(unsigned i) {
  FailureOr<int32_t> idx = inputIndex(i);
  if (failed(idx))
    return failure();
  if (values[*idx])
    return values[*idx];
  const TensorInfo &t = tensor(*idx);
  if (!t.isConstant) {
    opError() << "input " << i << " reads tensor '" << t.name
              << "' before any operator writes it";
    return failure();
  }
  FailureOr<RankedTensorType> type = tensorType(*idx);
  if (failed(type))
    return failure();
  Value v = constant(*type, t.data, tensorLoc(*idx));
  if (QuantAttr q = quantAttr(*idx))
    setResultQuant(v.getDefiningOp(), q);
  values[*idx] = v;
  return v;
}

FailureOr<Value> SubgraphImporter::inputAs(unsigned i,
                                           ArrayRef<int64_t> shape) {
  FailureOr<int32_t> idx = inputIndex(i);
  if (failed(idx))
    return failure();
  const TensorInfo &t = tensor(*idx);
  if (t.isConstant && !values[*idx]) {
    FailureOr<Type> elt = elementType(*idx);
    if (failed(elt))
      return failure();
    Value c =
        constant(RankedTensorType::get(shape, *elt), t.data, tensorLoc(*idx));
    // Same shape: the quantization still describes the constant.
    if (shape == ArrayRef<int64_t>(t.shape))
      if (QuantAttr q = quantAttr(*idx))
        setResultQuant(c.getDefiningOp(), q);
    return c;
  }
  FailureOr<Value> v = input(i);
  if (failed(v))
    return failure();
  return reshape(*v, shape);
}

FailureOr<SmallVector<int64_t>> SubgraphImporter::constInts(unsigned i) {
  FailureOr<int32_t> idx = inputIndex(i);
  if (failed(idx))
    return failure();
  const TensorInfo &t = tensor(*idx);
  if (!t.isConstant) {
    opError() << "input " << i << " ('" << t.name
              << "') must be a constant tensor";
    return failure();
  }
  SmallVector<int64_t> out;
  if (t.type == tflite::TensorType::INT32) {
    for (size_t k = 0; k + 4 <= t.data.size(); k += 4) {
      int32_t v;
      std::memcpy(&v, t.data.data() + k, 4);
      out.push_back(v);
    }
  } else if (t.type == tflite::TensorType::INT64) {
    for (size_t k = 0; k + 8 <= t.data.size(); k += 8) {
      int64_t v;
      std::memcpy(&v, t.data.data() + k, 8);
      out.push_back(v);
    }
  } else {
    opError() << "input " << i << " ('" << t.name
              << "') must be int32 or int64";
    return failure();
  }
  return out;
}

QuantAttr SubgraphImporter::quantAttr(int32_t idx) {
  const TensorInfo &t = tensor(idx);
  if (!t.quant || t.type == tflite::TensorType::FLOAT32)
    return {};
  return QuantAttr::get(ctx, t.quant->scale, t.quant->zeroPoint,
                        t.quant->isPerChannel() ? t.quant->axis : -1);
}

FailureOr<QuantParams> SubgraphImporter::perTensorQuant(int32_t idx,
                                                        StringRef role) {
  const TensorInfo &t = tensor(idx);
  if (!t.quant) {
    opError() << role << " '" << t.name << "' is "
              << tflite::EnumNameTensorType(t.type)
              << " but has no quantization scale";
    return failure();
  }
  if (t.quant->isPerChannel()) {
    opError() << role << " '" << t.name
              << "' must be quantized per tensor, not per channel";
    return failure();
  }
  unsigned bits = t.type == tflite::TensorType::INT16 ? 16 : 8;
  int64_t zp = t.quant->zeroPoint[0];
  if (zp < intMin(bits) || zp > intMax(bits)) {
    opError() << role << " '" << t.name << "' has zero point " << zp
              << ", outside the " << bits << "-bit range";
    return failure();
  }
  return *t.quant;
}

void SubgraphImporter::defineOutput(unsigned i, Value v) {
  int32_t idx = cur->outputs[i];
  if (Operation *def = v.getDefiningOp()) {
    def->setLoc(tensorLoc(idx));
    // tinyprune ops already state their output quantization.
    if (QuantAttr q = quantAttr(idx))
      if (getResultQuant(def) != q)
        setResultQuant(def, q);
  }
  values[idx] = v;
}

//===----------------------------------------------------------------------===//
// Operators
//===----------------------------------------------------------------------===//

LogicalResult SubgraphImporter::checkArity(unsigned minIn, unsigned maxIn,
                                           unsigned outs) {
  unsigned n = cur->inputs.size();
  if (n < minIn || n > maxIn) {
    InFlightDiagnostic d = opError() << "expects ";
    if (minIn == maxIn)
      d << minIn;
    else
      d << minIn << " to " << maxIn;
    d << " inputs, got " << n;
    return failure();
  }
  if (cur->outputs.size() != outs)
    return opError() << "expects " << outs << " output(s), got "
                     << cur->outputs.size();
  // -1 marks an absent optional input; the first `minIn` are required.
  for (unsigned i = 0; i < minIn; ++i)
    if (cur->inputs[i] < 0)
      return opError() << "input " << i << " is required but absent (-1)";
  return success();
}

/// Highest version of each operator whose semantics the importer
/// implements (higher versions add types or parameters).
static int maxSupportedVersion(BuiltinOperator code) {
  switch (code) {
  case BuiltinOperator::ADD:
  case BuiltinOperator::SUB:
    return 5;
  case BuiltinOperator::AVERAGE_POOL_2D:
  case BuiltinOperator::MAX_POOL_2D:
  case BuiltinOperator::LOGISTIC:
  case BuiltinOperator::TANH:
  case BuiltinOperator::RELU:
  case BuiltinOperator::RELU6:
  case BuiltinOperator::SOFTMAX:
  case BuiltinOperator::MEAN:
  case BuiltinOperator::QUANTIZE:
    return 3;
  case BuiltinOperator::CONCATENATION:
  case BuiltinOperator::PAD:
    return 4;
  case BuiltinOperator::CONV_2D:
    return 6;
  case BuiltinOperator::DEPTHWISE_CONV_2D:
    return 6;
  case BuiltinOperator::DEQUANTIZE:
    return 5;
  case BuiltinOperator::FULLY_CONNECTED:
    return 9;
  case BuiltinOperator::MUL:
    return 5;
  case BuiltinOperator::RESHAPE:
  case BuiltinOperator::SQUEEZE:
  case BuiltinOperator::LEAKY_RELU:
    return 2;
  case BuiltinOperator::TRANSPOSE:
    return 6;
  case BuiltinOperator::STRIDED_SLICE:
    return 6;
  case BuiltinOperator::HARD_SWISH:
    return 1;
  case BuiltinOperator::UNIDIRECTIONAL_SEQUENCE_LSTM:
    return 4;
  default:
    return 0;
  }
}

LogicalResult SubgraphImporter::convertOp(const OpInfo &op) {
  cur = &op;
  loc = op.outputs.empty() ? fileLoc : tensorLoc(op.outputs[0]);
  if (op.isCustom)
    return opError() << "custom operators are not supported";
  int maxVersion = maxSupportedVersion(op.code);
  if (maxVersion == 0)
    return opError() << "operator is not supported";
  if (op.version < 1 || op.version > maxVersion)
    return opError() << "version " << op.version
                     << " is not supported (supported: 1 to " << maxVersion
                     << ")";
  // Every output must be a fresh, non-constant tensor.
  for (int32_t out : op.outputs) {
    if (values[out] || tensor(out).isConstant)
      return opError() << "writes tensor '" << tensor(out).name
                       << "', which is already defined";
  }
  switch (op.code) {
  case BuiltinOperator::CONV_2D:
    return convertConvLike(/*depthwise=*/false);
  case BuiltinOperator::DEPTHWISE_CONV_2D:
    return convertConvLike(/*depthwise=*/true);
  case BuiltinOperator::FULLY_CONNECTED:
    return convertFullyConnected();
  case BuiltinOperator::AVERAGE_POOL_2D:
    return convertPool(/*isMax=*/false);
  case BuiltinOperator::MAX_POOL_2D:
    return convertPool(/*isMax=*/true);
  case BuiltinOperator::ADD:
    return convertAddSub(/*isSub=*/false);
  case BuiltinOperator::SUB:
    return convertAddSub(/*isSub=*/true);
  case BuiltinOperator::MUL:
    return convertMul();
  case BuiltinOperator::RESHAPE:
  case BuiltinOperator::SQUEEZE:
    return convertReshape();
  case BuiltinOperator::SOFTMAX:
    return convertSoftmax();
  case BuiltinOperator::LOGISTIC:
  case BuiltinOperator::TANH:
  case BuiltinOperator::HARD_SWISH:
    return convertActivationOp(op.code);
  case BuiltinOperator::RELU:
  case BuiltinOperator::RELU6:
    return convertReluLike(op.code);
  case BuiltinOperator::LEAKY_RELU:
    return convertLeakyRelu();
  case BuiltinOperator::QUANTIZE:
    return convertQuantize();
  case BuiltinOperator::DEQUANTIZE:
    return convertDequantize();
  case BuiltinOperator::PAD:
    return convertPad();
  case BuiltinOperator::MEAN:
    return convertMean();
  case BuiltinOperator::CONCATENATION:
    return convertConcat();
  case BuiltinOperator::STRIDED_SLICE:
    return convertStridedSlice();
  case BuiltinOperator::TRANSPOSE:
    return convertTranspose();
  case BuiltinOperator::UNIDIRECTIONAL_SEQUENCE_LSTM:
    return convertLstm();
  default:
    return opError() << "operator is not supported";
  }
}

//===----------------------------------------------------------------------===//
// Subgraph and module
//===----------------------------------------------------------------------===//

LogicalResult SubgraphImporter::convertLstm() {
  FailureOr<Value> y =
      importLstm({b, loc, sg, *cur, [&](unsigned i) { return input(i); },
                  [&]() { return opError(); }});
  if (failed(y))
    return failure();
  defineOutput(0, *y);
  return success();
}

LogicalResult SubgraphImporter::import(ModuleOp module, StringRef name) {
  // Signature.
  // Affine uint8 inputs and outputs keep their uint8 interface (`ui8`,
  // with the file's zero point); the body computes on int8.
  SmallVector<Type> argTypes, resultTypes;
  auto edgeType = [&](int32_t idx) -> FailureOr<RankedTensorType> {
    FailureOr<RankedTensorType> t = tensorType(idx);
    if (failed(t) || !fromUInt8[idx])
      return t;
    return RankedTensorType::get(
        t->getShape(), IntegerType::get(ctx, 8, IntegerType::Unsigned));
  };
  auto edgeQuant = [&](int32_t idx) -> QuantAttr {
    QuantAttr q = quantAttr(idx);
    if (!q || !fromUInt8[idx])
      return q;
    SmallVector<int64_t> zps(q.getZeroPoint());
    for (int64_t &zp : zps)
      zp += 128;
    return QuantAttr::get(ctx, q.getScale(), zps, q.getAxis());
  };
  for (int32_t idx : sg.inputs) {
    FailureOr<RankedTensorType> t = edgeType(idx);
    if (failed(t))
      return failure();
    argTypes.push_back(*t);
  }
  for (int32_t idx : sg.outputs) {
    FailureOr<RankedTensorType> t = edgeType(idx);
    if (failed(t))
      return failure();
    resultTypes.push_back(*t);
  }
  b.setInsertionPointToEnd(module.getBody());
  auto func = func::FuncOp::create(b, fileLoc, name,
                                   b.getFunctionType(argTypes, resultTypes));
  Block *entry = func.addEntryBlock();
  for (auto [i, idx] : llvm::enumerate(sg.inputs)) {
    BlockArgument arg = entry->getArgument(i);
    arg.setLoc(tensorLoc(idx));
    if (values[idx]) {
      cur = nullptr;
      return emitError(fileLoc) << "tensor '" << tensor(idx).name
                                << "' is listed twice as a subgraph input";
    }
    values[idx] = arg;
    if (QuantAttr q = edgeQuant(idx))
      func.setArgAttr(i, TinyPruneDialect::getQuantAttrName(), q);
  }
  b.setInsertionPointToStart(entry);
  for (auto [i, idx] : llvm::enumerate(sg.inputs)) {
    if (!fromUInt8[idx])
      continue;
    loc = tensorLoc(idx);
    int64_t zp = tensor(idx).quant->zeroPoint[0];
    Value v = uint8Edge(entry->getArgument(i), b.getI8Type(), zp + 128, zp);
    setResultQuant(v.getDefiningOp(), quantAttr(idx));
    values[idx] = v;
  }

  for (const OpInfo &op : sg.ops)
    if (failed(convertOp(op)))
      return failure();
  cur = nullptr;

  SmallVector<Value> results;
  for (auto [i, idx] : llvm::enumerate(sg.outputs)) {
    Value v = values[idx];
    if (!v && tensor(idx).isConstant) {
      FailureOr<RankedTensorType> t = tensorType(idx);
      if (failed(t))
        return failure();
      v = constant(*t, tensor(idx).data, tensorLoc(idx));
    }
    if (!v)
      return emitError(fileLoc)
             << "subgraph output '" << tensor(idx).name << "' is never written";
    if (fromUInt8[idx]) {
      loc = tensorLoc(idx);
      int64_t zp = tensor(idx).quant->zeroPoint[0];
      v = uint8Edge(v, IntegerType::get(ctx, 8, IntegerType::Unsigned), zp,
                    zp + 128);
      setResultQuant(v.getDefiningOp(), edgeQuant(idx));
    }
    results.push_back(v);
    if (QuantAttr q = edgeQuant(idx))
      func.setResultAttr(i, TinyPruneDialect::getQuantAttrName(), q);
  }
  func::ReturnOp::create(b, fileLoc, results);
  return success();
}

/// A symbol name for subgraph `i`: `main` for the first, otherwise its
/// name if that is a plain identifier, else `subgraph<i>`.
static std::string functionName(const SubgraphInfo &sg, unsigned i) {
  if (i == 0)
    return "main";
  bool plain = !sg.name.empty() && !llvm::isDigit(sg.name[0]) &&
               llvm::all_of(sg.name, [](char c) {
                 return llvm::isAlnum(c) || c == '_';
               });
  if (plain && sg.name != "main")
    return sg.name;
  return llvm::formatv("subgraph{0}", i).str();
}

OwningOpRef<ModuleOp> tinyprune::importTFLite(StringRef bytes,
                                              StringRef fileName,
                                              MLIRContext *context) {
  context
      ->loadDialect<func::FuncDialect, tosa::TosaDialect, TinyPruneDialect>();
  Location fileLoc = NameLoc::get(StringAttr::get(context, fileName));
  llvm::Expected<std::unique_ptr<ModelView>> view = ModelView::load(bytes);
  if (!view) {
    emitError(fileLoc) << llvm::toString(view.takeError());
    return {};
  }
  OwningOpRef<ModuleOp> module = ModuleOp::create(fileLoc);
  llvm::StringSet<> names;
  for (auto [i, sg] : llvm::enumerate((*view)->subgraphs())) {
    std::string name = functionName(sg, i);
    if (!names.insert(name).second)
      name = llvm::formatv("subgraph{0}", i).str();
    PreparedSubgraph prepared;
    if (llvm::Error err = prepareSubgraph(sg, prepared)) {
      emitError(fileLoc) << llvm::toString(std::move(err));
      return {};
    }
    SubgraphImporter importer(context, prepared, fileLoc);
    if (failed(importer.import(*module, name)))
      return {};
  }
  // Anything the checks above missed must still end in one clear error,
  // never in a module that does not verify.
  std::string firstError;
  {
    ScopedDiagnosticHandler handler(context, [&](Diagnostic &diag) {
      if (diag.getSeverity() == DiagnosticSeverity::Error && firstError.empty())
        firstError = diag.str();
      return success();
    });
    if (succeeded(verify(*module)))
      return module;
  }
  emitError(fileLoc) << "imported IR does not verify: " << firstError;
  return {};
}
