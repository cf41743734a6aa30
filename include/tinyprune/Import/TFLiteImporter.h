//===- TFLiteImporter.h - TFLite flatbuffer to TOSA -------------*- C++ -*-===//
//
// Imports a `.tflite` model into a module of `func.func`s (one per subgraph,
// the first named `main`) made of TOSA and tinyprune operations on
// statically shaped tensors.
//
//===----------------------------------------------------------------------===//

#ifndef TINYPRUNE_IMPORT_TFLITEIMPORTER_H
#define TINYPRUNE_IMPORT_TFLITEIMPORTER_H

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OwningOpRef.h"
#include "llvm/ADT/StringRef.h"

namespace mlir {
class DialectRegistry;
class MLIRContext;
} // namespace mlir

namespace tinyprune {

/// Imports the TFLite flatbuffer `bytes`. `fileName` names the model in
/// diagnostics and locations. The bytes are verified before any field is
/// read; a malformed or unsupported model yields exactly one error
/// diagnostic (naming the file and, where it applies, the operator index and
/// name) and a null module. Never crashes on hostile input.
mlir::OwningOpRef<mlir::ModuleOp> importTFLite(llvm::StringRef bytes,
                                               llvm::StringRef fileName,
                                               mlir::MLIRContext *context);

/// Dialects that imported modules use.
void registerTFLiteImportDialects(mlir::DialectRegistry &registry);

/// Registers `--import-tflite` with mlir-translate style tools.
void registerTFLiteImportTranslation();

} // namespace tinyprune

#endif // TINYPRUNE_IMPORT_TFLITEIMPORTER_H
