//===- Exporter.h - The TFLite flatbuffer under construction ----*- C++ -*-===//
//
// The state of one export (lib/Target/TFLite/TFLiteExporter.cpp: tensors,
// operator codes, the walk over the function; ExportOperators.cpp: one
// method per TFLite operator family).
//
//===----------------------------------------------------------------------===//

#ifndef TINYPRUNE_LIB_TARGET_TFLITE_EXPORTER_H
#define TINYPRUNE_LIB_TARGET_TFLITE_EXPORTER_H

#include "ImporterForms.h"
#include "tflite_generated.h"
#include "tinyprune/Dialect/TinyPrune.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Tosa/IR/TosaOps.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/DenseSet.h"
#include "llvm/ADT/STLFunctionalExtras.h"
#include "llvm/ADT/StringMap.h"

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace tinyprune {
namespace tflexport {

/// The TFLite element type of tensors of `elt`, if TFLite has one.
std::optional<tflite::TensorType> tfliteType(mlir::Type elt);

/// The flatbuffer under construction: one subgraph.
class Exporter {
public:
  explicit Exporter(mlir::func::FuncOp func) : func(func) {
    buffers.push_back(tflite::CreateBuffer(fbb)); // TFLite's empty buffer 0.
  }

  mlir::FailureOr<std::string> run();

private:
  using LogicalResult = mlir::LogicalResult;
  template <typename T> using FailureOr = mlir::FailureOr<T>;
  using BuiltinOperator = tflite::BuiltinOperator;
  using BuiltinOptions = tflite::BuiltinOptions;
  /// The int32 constants an operator reads after its operands (shapes,
  /// axes, paddings), made once its output tensor is named.
  using ExtraInputs =
      llvm::function_ref<SmallVector<int32_t>(const std::string &outName)>;

  //===------------------------------------------------------------------===//
  // Tensors (TFLiteExporter.cpp)
  //===------------------------------------------------------------------===//

  /// A new tensor; `data` empty for activations.
  int32_t addTensor(llvm::StringRef name, ShapedType type, QuantAttr quant,
                    ArrayRef<uint8_t> data, ArrayRef<int64_t> shape,
                    std::optional<int64_t> axisOverride = std::nullopt);
  /// The tensor of SSA value `v` (an activation, or a constant written on
  /// first use).
  FailureOr<int32_t> tensorOf(Value v);
  /// A constant tensor holding `v`'s elements with `shape` and `quant`.
  FailureOr<int32_t> constTensor(Value v, ArrayRef<int64_t> shape,
                                 QuantAttr quant, llvm::StringRef what,
                                 Operation *user);
  /// A new int32 constant tensor (shapes, axes, paddings).
  int32_t int32Tensor(llvm::StringRef name, ArrayRef<int64_t> values,
                      ArrayRef<int64_t> shape);
  /// `values` as a rank-1 int32 constant tensor.
  int32_t int32Vector(llvm::StringRef name, ArrayRef<int64_t> values) {
    return int32Tensor(name, values, {static_cast<int64_t>(values.size())});
  }
  /// Defines `v` as the output tensor of an operator about to be added.
  FailureOr<int32_t> defineTensor(Value v);
  std::string nameOf(Value v);
  std::string uniqueName(llvm::StringRef base);

  //===------------------------------------------------------------------===//
  // Operators (TFLiteExporter.cpp)
  //===------------------------------------------------------------------===//

  /// Marks the ops the importer added around a layer, which the layer's
  /// operator replaces (see TFLiteExporter.cpp's file comment).
  void planFolds(Operation *op);
  void addOp(BuiltinOperator code, int version, ArrayRef<int32_t> inputs,
             ArrayRef<int32_t> outputs, BuiltinOptions optType = {},
             flatbuffers::Offset<void> options = {});
  /// The common operator: reads the tensors of `inputs` (then those `extra`
  /// makes), defines `result`'s tensor and adds `code` with its options.
  LogicalResult emitOp(BuiltinOperator code, int version,
                       mlir::ValueRange inputs, Value result,
                       BuiltinOptions optType = {},
                       flatbuffers::Offset<void> options = {},
                       ExtraInputs extra = {});
  /// The clamp that is `op`'s only user, folded into `op` as its fused
  /// activation when it is one.
  std::pair<Value, ActivationFunctionType> fuseClamp(Operation *op,
                                                     QuantAttr outQuant);
  LogicalResult exportOp(Operation *op);

  //===------------------------------------------------------------------===//
  // One TFLite operator family each (ExportOperators.cpp)
  //===------------------------------------------------------------------===//

  LogicalResult exportConv(Operation *op);
  LogicalResult exportAddSubMul(Operation *op);
  LogicalResult exportPool(Operation *op);
  LogicalResult exportRequantize(RequantizeOp op);
  LogicalResult exportReshape(tosa::ReshapeOp op);
  LogicalResult exportConcat(tosa::ConcatOp op);
  LogicalResult exportPad(tosa::PadOp op);
  LogicalResult exportSlice(tosa::SliceOp op);
  LogicalResult exportTranspose(tosa::TransposeOp op);
  LogicalResult exportClamp(tosa::ClampOp op);
  LogicalResult exportDequantize(tosa::CastOp op);
  LogicalResult exportFloatMean(tosa::ReduceSumOp op);
  LogicalResult exportMean(MeanOp op);
  LogicalResult exportSoftmax(SoftmaxOp op);
  LogicalResult exportLeakyRelu(tosa::SelectOp op);

  mlir::func::FuncOp func;
  flatbuffers::FlatBufferBuilder fbb;
  std::vector<flatbuffers::Offset<tflite::Buffer>> buffers;
  std::vector<flatbuffers::Offset<tflite::Tensor>> tensors;
  std::vector<flatbuffers::Offset<tflite::Operator>> operators;
  std::vector<flatbuffers::Offset<tflite::OperatorCode>> opcodes;
  std::map<std::pair<int32_t, int>, uint32_t> opcodeIndex;
  llvm::DenseMap<Value, int32_t> valueTensors;
  std::map<std::pair<Operation *, std::string>, int32_t> constTensors;
  /// LEAKY_RELU selects, found before their parts are reached.
  llvm::DenseMap<Operation *, LeakyRelu> leakyRelus;
  /// Ops folded into another op's operator.
  llvm::DenseSet<Operation *> folded;
  /// Tensors whose name is taken, to keep names unique.
  llvm::StringMap<unsigned> names;
  std::vector<std::string> tensorNames;
};

/// Version of an operator code: 1 on float, the first integer version on
/// int8 (what TFLite's converter writes).
inline int opVersion(bool isFloat, int intVersion) {
  return isFloat ? 1 : intVersion;
}

} // namespace tflexport
} // namespace tinyprune

#endif // TINYPRUNE_LIB_TARGET_TFLITE_EXPORTER_H
