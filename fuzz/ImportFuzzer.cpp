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
#include <memory>

namespace {
/// One context serves a batch of inputs: creating a context and loading the
/// dialects costs more than importing most inputs. A context keeps every
/// attribute and type it has uniqued, so it is replaced after a batch to keep
/// memory flat over long campaigns.
constexpr unsigned kInputsPerContext = 256;
} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static mlir::DialectRegistry *registry = [] {
    auto *r = new mlir::DialectRegistry();
    tinyprune::registerTFLiteImportDialects(*r);
    return r;
  }();
  static std::unique_ptr<mlir::MLIRContext> context;
  static unsigned inputs = 0;
  if (!context || ++inputs % kInputsPerContext == 0) {
    context.reset();
    context = std::make_unique<mlir::MLIRContext>(
        *registry, mlir::MLIRContext::Threading::DISABLED);
    context->getDiagEngine().registerHandler(
        [](mlir::Diagnostic &) { return mlir::success(); });
  }
  llvm::StringRef bytes(reinterpret_cast<const char *>(data), size);
  (void)tinyprune::importTFLite(bytes, "fuzz.tflite", context.get());
  return 0;
}
