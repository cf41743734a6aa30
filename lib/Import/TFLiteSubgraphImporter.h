//===- TFLiteSubgraphImporter.h - One TFLite subgraph to TOSA ---*- C++ -*-===//
//
// The importer of one subgraph, internal to lib/Import. Its members are
// defined by concern, one file each:
//  * TFLiteImporter.cpp: tensors, operator dispatch, the function and the
//    module (the entry point `importTFLite`);
//  * TFLiteBuilders.cpp: constants, reshapes, rescales, clamps and fused
//    activations, shared by every operator family;
//  * TFLiteConvPool.cpp: CONV_2D, DEPTHWISE_CONV_2D, FULLY_CONNECTED,
//    AVERAGE_POOL_2D, MAX_POOL_2D and MEAN;
//  * TFLiteElementwise.cpp: ADD, SUB, MUL, the activations (SOFTMAX,
//    LOGISTIC, TANH, HARD_SWISH, RELU, RELU6, LEAKY_RELU), QUANTIZE and
//    DEQUANTIZE;
//  * TFLiteShapeOps.cpp: RESHAPE, SQUEEZE, PAD, CONCATENATION,
//    STRIDED_SLICE and TRANSPOSE;
//  * TFLiteLstm.cpp: UNIDIRECTIONAL_SEQUENCE_LSTM, through its own narrow
//    interface (TFLiteLstm.h).
//
//===----------------------------------------------------------------------===//

#ifndef TINYPRUNE_LIB_IMPORT_TFLITESUBGRAPHIMPORTER_H
#define TINYPRUNE_LIB_IMPORT_TFLITESUBGRAPHIMPORTER_H

#include "TFLiteModel.h"
#include "TFLitePrepare.h"
#include "tinyprune/Dialect/TinyPrune.h"
#include "tinyprune/rt/quant_params.h"

#include "mlir/Dialect/Tosa/IR/TosaOps.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Diagnostics.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringExtras.h"

#include <string>
#include <type_traits>
#include <utility>
#include <vector>

namespace tinyprune {
namespace tfl {

/// Range of a signed integer type of `bits` bits.
inline int64_t intMin(unsigned bits) { return -(int64_t(1) << (bits - 1)); }
inline int64_t intMax(unsigned bits) { return (int64_t(1) << (bits - 1)) - 1; }

/// Imports one subgraph.
class SubgraphImporter {
public:
  SubgraphImporter(mlir::MLIRContext *ctx, const PreparedSubgraph &prepared,
                   mlir::Location fileLoc)
      : ctx(ctx), sg(prepared.sg), fromUInt8(prepared.fromUInt8),
        fileLoc(fileLoc), b(ctx), values(sg.tensors.size()) {}

  /// Builds `@name` at the end of `module`.
  mlir::LogicalResult import(mlir::ModuleOp module, llvm::StringRef name);

private:
  //===------------------------------------------------------------------===//
  // Diagnostics
  //===------------------------------------------------------------------===//

  /// An error about the operator being imported.
  mlir::InFlightDiagnostic opError() {
    mlir::InFlightDiagnostic diag = mlir::emitError(fileLoc);
    if (cur)
      diag << "operator " << cur->index << " (" << cur->name << "): ";
    return diag;
  }

  /// An activation of an element type the operator does not take. int16
  /// activations (TFLite's 16x8 quantization) are rejected throughout:
  /// tinyprune compiles int8 and float32 models.
  mlir::InFlightDiagnostic unsupportedActivationType(tflite::TensorType type) {
    mlir::InFlightDiagnostic diag = opError();
    diag << "type " << tflite::EnumNameTensorType(type)
         << " is not supported (int8 and float32 are";
    if (type == tflite::TensorType::INT16)
      diag << "; 16x8 quantization is not";
    diag << ")";
    return diag;
  }

  //===------------------------------------------------------------------===//
  // Tensors (TFLiteImporter.cpp)
  //===------------------------------------------------------------------===//

  const TensorInfo &tensor(int32_t idx) const { return sg.tensors[idx]; }

  /// MLIR element type of a TFLite tensor type.
  mlir::FailureOr<mlir::Type> elementType(int32_t idx);
  mlir::FailureOr<mlir::RankedTensorType> tensorType(int32_t idx);
  mlir::Location tensorLoc(int32_t idx) {
    return mlir::NameLoc::get(mlir::StringAttr::get(ctx, tensor(idx).name));
  }

  /// Tensor index of input `i` of the current op, or an error.
  mlir::FailureOr<int32_t> inputIndex(unsigned i, bool optional = false);
  /// The SSA value of input `i`, materializing constants.
  mlir::FailureOr<mlir::Value> input(unsigned i);
  /// The value of constant input `i` reinterpreted with `shape` (same
  /// element count), or a reshape of the runtime value.
  mlir::FailureOr<mlir::Value> inputAs(unsigned i,
                                       llvm::ArrayRef<int64_t> shape);
  /// Integer values of a constant int32/int64 input.
  mlir::FailureOr<llvm::SmallVector<int64_t>> constInts(unsigned i);

  /// Defines the current op's output `i` as `v`, attaching its quantization.
  void defineOutput(unsigned i, mlir::Value v);

  /// A quantization attribute for tensor `idx`, if it has scales.
  QuantAttr quantAttr(int32_t idx);
  /// The per-tensor quantization of input/output tensor `idx`, or an error.
  mlir::FailureOr<QuantParams> perTensorQuant(int32_t idx,
                                              llvm::StringRef role);

  //===------------------------------------------------------------------===//
  // Builders (TFLiteBuilders.cpp)
  //===------------------------------------------------------------------===//

  mlir::Value constant(mlir::RankedTensorType type,
                       llvm::ArrayRef<uint8_t> bytes, mlir::Location loc);
  template <typename T>
  mlir::Value constantOf(llvm::ArrayRef<int64_t> shape, mlir::Type elt,
                         llvm::ArrayRef<T> vals);
  /// `tensor<1xelt>` holding one zero point (integer or float 0).
  mlir::Value zeroPoint(mlir::Type elt, int64_t zp);
  mlir::Value shapeValue(llvm::ArrayRef<int64_t> shape);
  mlir::Value reshape(mlir::Value v, llvm::ArrayRef<int64_t> shape);
  /// Requantizes `v` to `outElt` with TFLite multipliers (one, or one per
  /// channel of the innermost dimension).
  mlir::FailureOr<mlir::Value>
  rescale(mlir::Value v, mlir::Type outElt,
          llvm::ArrayRef<rt::QuantizedMultiplier> multipliers, int64_t inZp,
          int64_t outZp);
  /// The exact uint8 <-> int8 conversion of a model edge: `q - zpFrom + zpTo`
  /// (TOSA rescale by 1 with `input_unsigned` or `output_unsigned`).
  mlir::Value uint8Edge(mlir::Value v, mlir::Type outElt, int64_t zpFrom,
                        int64_t zpTo);
  mlir::Value clampInt(mlir::Value v, int64_t lo, int64_t hi);
  mlir::Value clampFloat(mlir::Value v, float lo, float hi);
  /// Applies a fused activation to the value of output tensor `outIdx`.
  mlir::FailureOr<mlir::Value>
  fusedActivation(mlir::Value v, tflite::ActivationFunctionType act,
                  int32_t outIdx);
  /// Defines the op's only output as `v` with `act` applied.
  mlir::LogicalResult defineActivated(mlir::Value v,
                                      tflite::ActivationFunctionType act,
                                      int32_t outIdx);
  /// Reshapes `v` to rank `rank` by prepending unit dimensions (TOSA
  /// elementwise ops broadcast only between equal ranks).
  mlir::Value expandRank(mlir::Value v, int64_t rank);

  //===------------------------------------------------------------------===//
  // Operators (dispatch in TFLiteImporter.cpp)
  //===------------------------------------------------------------------===//

  mlir::LogicalResult convertOp(const OpInfo &op);
  mlir::LogicalResult checkArity(unsigned minIn, unsigned maxIn, unsigned outs);
  template <typename OptT> mlir::FailureOr<const OptT *> options();

  //===------------------------------------------------------------------===//
  // Linear layers, pools and MEAN (TFLiteConvPool.cpp)
  //===------------------------------------------------------------------===//

  /// Types, quantization and per-channel requantization multipliers of a
  /// conv-like op whose `what` ("filter", "weights") has output channels
  /// along `chanAxis`.
  struct LinearQuant {
    bool isFloat = false;
    QuantParams input, output;
    llvm::SmallVector<rt::QuantizedMultiplier> multipliers;
    /// Zero point of uint8 weights (after the shift to int8); int8 weights
    /// are symmetric.
    int64_t weightZp = 0;
  };
  mlir::FailureOr<LinearQuant> linearQuant(int32_t inIdx, int32_t wIdx,
                                           int32_t outIdx, int64_t chanAxis,
                                           int64_t channels,
                                           llvm::StringRef what);
  /// The weights of a conv-like op whose uint8 weights have zero point
  /// `lq.weightZp != 0`, as symmetric int8 weights over an input with the
  /// channels (axis 3) repeated `repeat` times: `w - zp` lies in
  /// [-255, 255], so it is split into `a = clamp(w - zp, -128, 127)` and
  /// `w - zp - a`, and `sum (x - x_zp) (w - zp)` is the convolution of
  /// `concat(x, x)` with `concat(a, w - zp - a)`: exact, on the int8
  /// kernels. `repeat` is 1 when every `w - zp` fits int8. `shape` is the
  /// OHWI shape of the weights.
  mlir::FailureOr<mlir::Value> asymmetricWeights(const LinearQuant &lq,
                                                 llvm::ArrayRef<int64_t> shape,
                                                 int64_t &repeat);
  /// Input 2 as a [channels] bias, or zeros when it is omitted.
  mlir::FailureOr<mlir::Value> linearBias(int64_t channels, bool isFloat);
  /// Requantizes (int8), applies the fused activation and defines the
  /// output with `outShape`.
  mlir::LogicalResult finishLinear(mlir::Value acc, const LinearQuant &lq,
                                   tflite::ActivationFunctionType act,
                                   int32_t outIdx,
                                   llvm::ArrayRef<int64_t> outShape);

  mlir::LogicalResult convertConvLike(bool depthwise);
  mlir::LogicalResult convertFullyConnected();
  mlir::LogicalResult convertPool(bool isMax);
  mlir::LogicalResult convertMean();

  //===------------------------------------------------------------------===//
  // Arithmetic, activations and (de)quantization (TFLiteElementwise.cpp)
  //===------------------------------------------------------------------===//

  mlir::FailureOr<std::pair<mlir::Value, mlir::Value>> broadcastOperands();
  mlir::LogicalResult convertAddSub(bool isSub);
  mlir::LogicalResult convertMul();
  mlir::LogicalResult convertSoftmax();
  mlir::LogicalResult convertActivationOp(tflite::BuiltinOperator code);
  mlir::LogicalResult convertReluLike(tflite::BuiltinOperator code);
  mlir::LogicalResult convertLeakyRelu();
  mlir::LogicalResult convertQuantize();
  mlir::LogicalResult convertDequantize();

  //===------------------------------------------------------------------===//
  // Shape ops (TFLiteShapeOps.cpp)
  //===------------------------------------------------------------------===//

  mlir::LogicalResult convertReshape();
  mlir::LogicalResult checkReshapeTarget();
  mlir::LogicalResult convertPad();
  mlir::LogicalResult convertConcat();
  mlir::LogicalResult convertStridedSlice();
  mlir::LogicalResult convertTranspose();

  /// UNIDIRECTIONAL_SEQUENCE_LSTM, in TFLiteLstm.cpp.
  mlir::LogicalResult convertLstm();

  mlir::MLIRContext *ctx;
  const SubgraphInfo &sg;
  /// Per tensor: an affine UINT8 tensor of the file, now INT8 (TFLitePrepare).
  const std::vector<bool> &fromUInt8;
  mlir::Location fileLoc;
  mlir::OpBuilder b;
  std::vector<mlir::Value> values;
  const OpInfo *cur = nullptr;
  mlir::Location loc = mlir::UnknownLoc::get(ctx);
};

template <typename T>
mlir::Value SubgraphImporter::constantOf(llvm::ArrayRef<int64_t> shape,
                                         mlir::Type elt,
                                         llvm::ArrayRef<T> vals) {
  auto type = mlir::RankedTensorType::get(shape, elt);
  mlir::DenseElementsAttr attr;
  if constexpr (std::is_floating_point_v<T>)
    attr = mlir::DenseElementsAttr::get(type, vals);
  else {
    llvm::SmallVector<llvm::APInt> ints;
    for (T v : vals)
      ints.push_back(llvm::APInt(elt.getIntOrFloatBitWidth(), int64_t(v),
                                 /*isSigned=*/!elt.isUnsignedInteger()));
    attr = mlir::DenseElementsAttr::get(type, ints);
  }
  return mlir::tosa::ConstOp::create(b, loc, type, attr);
}

/// The operator's builtin options as `OptT`, or an error if it carries
/// options of another kind. Missing options read as all defaults, as in
/// TFLite.
template <typename OptT>
mlir::FailureOr<const OptT *> SubgraphImporter::options() {
  const tflite::Operator *op = cur->op;
  if (op->builtin_options_type() == tflite::BuiltinOptions::NONE)
    return static_cast<const OptT *>(nullptr);
  if (const OptT *opts = op->template builtin_options_as<OptT>())
    return opts;
  opError() << "carries "
            << tflite::EnumNameBuiltinOptions(op->builtin_options_type())
            << ", not the options this operator takes";
  return mlir::failure();
}

} // namespace tfl
} // namespace tinyprune

#endif // TINYPRUNE_LIB_IMPORT_TFLITESUBGRAPHIMPORTER_H
