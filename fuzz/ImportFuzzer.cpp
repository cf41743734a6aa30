//===- ImportFuzzer.cpp - libFuzzer entry point for the importer ----------===//
//
// Feeds arbitrary bytes to the TFLite importer. The importer must return a
// module or an error for every input: any crash, sanitizer report, hang or
// runaway allocation is a bug.
//
//===----------------------------------------------------------------------===//

#include "tinyprune/Import/TFLiteImporter.h"

#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/IR/MLIRContext.h"

#include <cstddef>
#include <cstdint>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static mlir::DialectRegistry *registry = [] {
    auto *r = new mlir::DialectRegistry();
    tinyprune::registerTFLiteImportDialects(*r);
    return r;
  }();
  // A fresh context per input keeps memory flat over long campaigns.
  mlir::MLIRContext context(*registry, mlir::MLIRContext::Threading::DISABLED);
  context.getDiagEngine().registerHandler(
      [](mlir::Diagnostic &) { return mlir::success(); });
  llvm::StringRef bytes(reinterpret_cast<const char *>(data), size);
  (void)tinyprune::importTFLite(bytes, "fuzz.tflite", &context);
  return 0;
}
