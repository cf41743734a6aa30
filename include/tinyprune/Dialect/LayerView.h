//===- LayerView.h - What passes read of a layer ----------------*- C++ -*-===//
//
// One reader of layer knowledge for the passes that reason about layers
// (the cost model, calibration, pruning, the C++ lowering): a convolution
// layer's geometry, its constant weights and bias as typed vectors and its
// quantization, read from the layer op; and the constant and quantization
// readers they all need.
//
//===----------------------------------------------------------------------===//

#ifndef TINYPRUNE_DIALECT_LAYERVIEW_H
#define TINYPRUNE_DIALECT_LAYERVIEW_H

#include "tinyprune/Dialect/TinyPrune.h"

#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/Value.h"
#include "llvm/ADT/SmallVector.h"

#include <optional>

namespace tinyprune {

/// The elements of constant `v` (a `tosa.const`, or a constant reshaped,
/// which keeps the element order); null when `v` is not constant.
mlir::DenseElementsAttr constantElements(mlir::Value v);

/// The integer elements of constant `v`, sign-extended.
std::optional<llvm::SmallVector<int64_t>> constantInts(mlir::Value v);

/// The float elements of constant `v`.
std::optional<llvm::SmallVector<float>> constantFloats(mlir::Value v);

/// Bytes of a statically shaped tensor as stored (sub-byte elements take a
/// byte each), 0 for anything else.
int64_t tensorBytes(mlir::Type type);

/// The quantization of activation `v` as its producer states it: the
/// producer's `tinyprune.quant` (or a tinyprune op's output quantization),
/// a function argument's `tinyprune.quant`, or, through ops that move
/// elements without changing them (reshape, slice, pad, transpose), that of
/// their input.
QuantAttr producerQuant(mlir::Value v);

/// A convolution layer (`tinyprune.conv2d`, `tinyprune.depthwise_conv2d`)
/// as its kernel runs it. The bare TOSA convolutions (`tosa.conv2d`,
/// `tosa.depthwise_conv2d`) are read the same way for
/// `--tinyprune-raise-to-layers`, which makes layer ops of them; their
/// quantization comes from the `tinyprune.quant` of their operands.
struct ConvLayerView {
  mlir::Operation *op = nullptr;
  bool depthwise = false;
  /// float32 layer, else int8 (per-channel requantization).
  bool isFloat = false;
  mlir::Value input, weights, bias, output;
  /// The tensor the kernel reads: `input`, or the input of the slice from
  /// the origin that produces it (the importer trims rows and columns no
  /// window reads; the kernel reads the whole tensor instead).
  mlir::Value kernelInput;
  int64_t batch = 1, inH = 0, inW = 0, channels = 0; // NHWC input
  int64_t outH = 0, outW = 0, filters = 0;           // output channels
  int64_t kernelH = 1, kernelW = 1;
  /// Output channels per input channel of a depthwise layer.
  int64_t depthMultiplier = 1;
  int64_t strideH = 1, strideW = 1, dilationH = 1, dilationW = 1;
  int64_t padTop = 0, padBottom = 0, padLeft = 0, padRight = 0;
  /// The input zero point: 0 on float layers, none on int8 ones where it is
  /// not a constant.
  std::optional<int64_t> inputZeroPoint = 0;
  /// int8: what the layer states (a layer op) or its operands state (TOSA);
  /// null where unknown.
  QuantAttr inputQuant, weightQuant, outputQuant;
  /// The kept filterlets of a pruned conv2d, or null.
  FilterletsAttr filterlets;

  /// The view of `op`; failure if it is not a convolution or its shapes are
  /// not static NHWC.
  static mlir::FailureOr<ConvLayerView> get(mlir::Operation *op);

  /// Weights in their stored layout (OHWI, or [KH, KW, C, M] for depthwise)
  /// when constant: integers sign-extended, floats as float.
  std::optional<llvm::SmallVector<int64_t>> weightInts() const {
    return constantInts(weights);
  }
  std::optional<llvm::SmallVector<float>> weightFloats() const {
    return constantFloats(weights);
  }
  /// The bias, one value per output channel, when constant.
  std::optional<llvm::SmallVector<int64_t>> biasInts() const;
  std::optional<llvm::SmallVector<float>> biasFloats() const;

  /// The input scale: the input's quantization, else the bias scale over
  /// the weight scale (TFLite quantizes the bias with input scale x weight
  /// scale); none on float layers or when unknown.
  std::optional<float> inputScale() const;

  bool isPadded() const {
    return padTop != 0 || padBottom != 0 || padLeft != 0 || padRight != 0;
  }
};

} // namespace tinyprune

#endif // TINYPRUNE_DIALECT_LAYERVIEW_H
