//===- TFLite.h - Export to a TFLite flatbuffer -----------------*- C++ -*-===//
//
// Writes a function of layer ops (and the TOSA and tinyprune ops left
// beside them after `--tinyprune-raise-to-layers`) as a `.tflite` file of
// TFLite builtin operators, the inverse of the importer
// (tinyprune/Import/TFLiteImporter.h): every tensor keeps the scales and
// zero points the layer IR states, so that importing the file again gives
// the same requantization constants and `tinyprune run` the same bytes.
// Pruned layers are written dense: filterlet-pruned weights keep their
// zeros (TFLite and TFLite Micro have no sparse convolution kernels).
//
//===----------------------------------------------------------------------===//

#ifndef TINYPRUNE_TARGET_TFLITE_H
#define TINYPRUNE_TARGET_TFLITE_H

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/Support/LLVM.h"
#include "llvm/ADT/StringRef.h"

#include <string>

namespace tinyprune {

/// Serializes `func`, already raised to layer ops, as a TFLite flatbuffer
/// with one subgraph. The bytes pass the FlatBuffers verifier with
/// tinyprune's schema before they are returned. Emits one error naming the
/// op (and why) on the first op with no TFLite form, and fails.
mlir::FailureOr<std::string> exportTFLite(mlir::func::FuncOp func);

/// Raises `module`'s function `function` (empty: the module's only function
/// with a body) to layer ops in place, then exports it.
mlir::FailureOr<std::string> exportTFLite(mlir::ModuleOp module,
                                          llvm::StringRef function = "");

/// Registers `--export-tflite` with mlir-translate style tools.
void registerTFLiteExportTranslation();

} // namespace tinyprune

#endif // TINYPRUNE_TARGET_TFLITE_H
