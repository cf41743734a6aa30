//===- ImporterForms.h - What the importer's op chains stand for -*- C++ -*-=//
//
// The exporter's readers of the forms the importer gives TFLite operators
// (lib/Import/TFLiteImporter.cpp) that raising leaves as TOSA or spreads
// over several ops: SAME/VALID padding with its trimming slice, a
// fully-connected layer between two reshapes, fused activations as clamp
// ranges, LEAKY_RELU as a select; and the importer's requantization
// arithmetic, which a layer's constants must match to be exported.
//
//===----------------------------------------------------------------------===//

#ifndef TINYPRUNE_LIB_TARGET_TFLITE_IMPORTERFORMS_H
#define TINYPRUNE_LIB_TARGET_TFLITE_IMPORTERFORMS_H

#include "tflite_generated.h"
#include "tinyprune/Dialect/TinyPrune.h"

#include "mlir/Dialect/Tosa/IR/TosaOps.h"
#include "mlir/IR/BuiltinTypes.h"
#include "llvm/ADT/SmallVector.h"

#include <optional>
#include <string>
#include <utility>

namespace tinyprune {
namespace tflexport {

using mlir::ArrayRef;
using mlir::Attribute;
using mlir::Operation;
using mlir::ShapedType;
using mlir::SmallVector;
using mlir::Type;
using mlir::Value;
using tflite::ActivationFunctionType;
namespace tosa = mlir::tosa;

/// The op that feeds a windowed layer, seen through the importer's slice
/// from the origin: `source` is what TFLite reads, `trimH`/`trimW` the rows
/// and columns the slice drops.
struct WindowInput {
  Value source;
  Operation *slice = nullptr;
  int64_t trimH = 0, trimW = 0;
};

/// A fully-connected layer imported as `reshape -> 1x1 conv2d -> reshape`.
struct FullyConnected {
  Value input, output;
  Operation *inReshape = nullptr, *outReshape = nullptr;
  bool keepNumDims = false;
};

/// A LEAKY_RELU as the importer writes it: `select(x > 0, x, x * alpha)`
/// on float, `select(x >= zp, rescale(x), rescale(x))` on int8.
struct LeakyRelu {
  Value input;
  float alpha = 0.0f;
  SmallVector<Operation *> parts;
};

/// The op that is `v`'s only user, if it is an `OpTy`.
template <typename OpTy> OpTy soleUser(Value v) {
  if (!v.hasOneUse())
    return {};
  return llvm::dyn_cast<OpTy>(*v.getUsers().begin());
}

/// A list as text, for messages: "[1, 2, 3]".
std::string listStr(ArrayRef<int64_t> v);

/// `input` seen through a slice from the origin with one use, if it is
/// one.
WindowInput windowInput(Value input);

/// The TFLite padding kind that gives `pad` ([top, bottom, left, right])
/// and the trims on `input` (NHWC), if any.
std::optional<tflite::Padding>
paddingKind(ShapedType input, ArrayRef<int64_t> kernel,
            ArrayRef<int64_t> stride, ArrayRef<int64_t> dilation,
            ArrayRef<int64_t> pad, int64_t trimH, int64_t trimW);

std::optional<FullyConnected> asFullyConnected(Conv2DOp conv);

/// The fused activation of an integer output whose clamp is [lo, hi]:
/// the one whose range (TFLite's CalculateActivationRangeQuantized) it is.
std::optional<ActivationFunctionType>
intActivation(int64_t lo, int64_t hi, QuantAttr out, unsigned bits);

/// The fused activation of a float output clamped to [lo, hi].
std::optional<ActivationFunctionType> floatActivation(double lo, double hi);

/// The fused activation a clamp range `[minAttr, maxAttr]` on an output
/// quantized by `out` (integers) stands for.
std::optional<ActivationFunctionType>
activationOf(Attribute minAttr, Attribute maxAttr, Type elt, QuantAttr out);

/// TOSA's multiplier and right shift for a real multiplier, as the importer
/// writes them (a zero multiplier keeps shift 31).
std::pair<int32_t, int32_t> tosaMultiplier(double real);

/// Whether a float layer op's clamp is the whole float range.
bool unclamped(Operation *op);

/// The float constant splat of `v`, if it is one.
std::optional<float> splatFloat(Value v);

std::optional<LeakyRelu> asLeakyRelu(tosa::SelectOp select);

} // namespace tflexport
} // namespace tinyprune

#endif // TINYPRUNE_LIB_TARGET_TFLITE_IMPORTERFORMS_H
