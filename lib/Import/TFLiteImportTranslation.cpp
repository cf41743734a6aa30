//===- TFLiteImportTranslation.cpp - --import-tflite ----------------------===//
//
// Registers the importer as an mlir-translate style translation.
//
//===----------------------------------------------------------------------===//

#include "tinyprune/Dialect/TinyPrune.h"
#include "tinyprune/Import/TFLiteImporter.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Tosa/IR/TosaOps.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/Tools/mlir-translate/Translation.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/raw_ostream.h"

using namespace mlir;

void tinyprune::registerTFLiteImportDialects(DialectRegistry &registry) {
  registry.insert<func::FuncDialect, tosa::TosaDialect, TinyPruneDialect>();
}

void tinyprune::registerTFLiteImportTranslation() {
  TranslateToMLIRRegistration reg(
      "import-tflite", "Import a TFLite flatbuffer (.tflite) as TOSA",
      [](llvm::SourceMgr &sourceMgr,
         MLIRContext *context) -> OwningOpRef<Operation *> {
        const llvm::MemoryBuffer *buf =
            sourceMgr.getMemoryBuffer(sourceMgr.getMainFileID());
        StringRef name = buf->getBufferIdentifier();
        // Importer errors are about the file as a whole: print them as one
        // "file: error: message" line rather than with a source excerpt.
        ScopedDiagnosticHandler handler(context, [&](Diagnostic &diag) {
          auto nameLoc = dyn_cast<NameLoc>(diag.getLocation());
          if (!nameLoc || nameLoc.getName() != name)
            return failure(); // Not ours: let the tool's handler print it.
          const char *kind = "note";
          switch (diag.getSeverity()) {
          case DiagnosticSeverity::Error:
            kind = "error";
            break;
          case DiagnosticSeverity::Warning:
            kind = "warning";
            break;
          case DiagnosticSeverity::Remark:
            kind = "remark";
            break;
          case DiagnosticSeverity::Note:
            break;
          }
          llvm::errs() << name << ": " << kind << ": " << diag.str() << "\n";
          return success();
        });
        return importTFLite(buf->getBuffer(), name, context);
      },
      [](DialectRegistry &registry) {
        registerTFLiteImportDialects(registry);
      });
}
