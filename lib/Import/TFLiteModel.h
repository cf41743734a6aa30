//===- TFLiteModel.h - Verified view of a TFLite flatbuffer -----*- C++ -*-===//
//
// Everything the importer reads from a `.tflite` file goes through this
// view. `ModelView::load` runs the FlatBuffers verifier, then checks every
// cross reference (buffer, tensor and opcode indices), every shape, every
// quantization block and every constant's size before any of it is used, so
// the op lowering can trust what it reads.
//
//===----------------------------------------------------------------------===//

#ifndef TINYPRUNE_LIB_IMPORT_TFLITEMODEL_H
#define TINYPRUNE_LIB_IMPORT_TFLITEMODEL_H

#include "tflite_generated.h"

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/SmallVector.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

#include <memory>
#include <string>
#include <vector>

namespace tinyprune {
namespace tfl {

/// Quantization block of a tensor, normalized: `axis` is -1 for per-tensor.
struct QuantParams {
  llvm::SmallVector<float, 1> scale;
  llvm::SmallVector<int64_t, 1> zeroPoint;
  int64_t axis = -1;
  bool isPerChannel() const { return scale.size() > 1; }
};

/// One tensor of a subgraph, checked.
struct TensorInfo {
  std::string name;
  tflite::TensorType type = tflite::TensorType::FLOAT32;
  llvm::SmallVector<int64_t, 4> shape;
  /// Constant data when the tensor has a non-empty buffer; its size equals
  /// the number of elements times the element size.
  llvm::ArrayRef<uint8_t> data;
  bool isConstant = false;
  /// A variable tensor (an LSTM's state): TFLite Micro resets it to its
  /// zero point (int8) or 0 and operators update it in place.
  bool isVariable = false;
  /// Present when the file gives scales.
  std::optional<QuantParams> quant;

  int64_t numElements() const;
};

/// One operator, with its opcode resolved.
struct OpInfo {
  unsigned index = 0;
  tflite::BuiltinOperator code = tflite::BuiltinOperator::ADD;
  /// Printable operator name ("CONV_2D", "CUSTOM(MyOp)", "BUILTIN_200").
  std::string name;
  int version = 1;
  bool isCustom = false;
  /// Tensor indices; -1 marks an omitted optional input.
  llvm::SmallVector<int32_t, 4> inputs;
  llvm::SmallVector<int32_t, 1> outputs;
  const tflite::Operator *op = nullptr;
};

struct SubgraphInfo {
  std::string name;
  std::vector<TensorInfo> tensors;
  std::vector<OpInfo> ops;
  llvm::SmallVector<int32_t, 2> inputs;
  llvm::SmallVector<int32_t, 2> outputs;
};

/// A verified, cross-checked model. Holds pointers into the caller's bytes,
/// which must outlive it.
class ModelView {
public:
  /// Verifies and indexes `bytes`; errors are one-line messages.
  static llvm::Expected<std::unique_ptr<ModelView>> load(llvm::StringRef bytes);

  llvm::ArrayRef<SubgraphInfo> subgraphs() const { return subgraphs_; }
  llvm::StringRef description() const { return description_; }

  /// Byte size of one element of `type`, or 0 if the type is unsupported.
  static unsigned elementSize(tflite::TensorType type);

private:
  ModelView() = default;
  llvm::Error index(const tflite::Model &model, llvm::StringRef bytes);
  llvm::Error indexSubgraph(const tflite::Model &model, unsigned sgIndex,
                            llvm::ArrayRef<llvm::ArrayRef<uint8_t>> buffers);

  std::vector<SubgraphInfo> subgraphs_;
  std::string description_;
};

/// Printable name of a builtin operator code.
std::string builtinName(int32_t code);

/// Shape as text, for messages: "[1, 8, 8, 3]".
std::string shapeStr(llvm::ArrayRef<int64_t> shape);

} // namespace tfl
} // namespace tinyprune

#endif // TINYPRUNE_LIB_IMPORT_TFLITEMODEL_H
