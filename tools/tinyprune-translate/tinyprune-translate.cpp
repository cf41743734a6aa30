//===- tinyprune-translate.cpp - tinyprune's translation driver -----------===//
//
// mlir-translate with tinyprune's translations (`--import-tflite`,
// `--emit-cpp`, `--export-tflite`). The driver is ours rather than
// mlirTranslateMain so that the input is read with a size bound and the output
// written atomically (tinyprune/Support/Files.h): an output path that names the
// input is refused, and a failed import leaves no output file behind.
//
//===----------------------------------------------------------------------===//

#include "tinyprune/Import/TFLiteImporter.h"
#include "tinyprune/Support/Files.h"
#include "tinyprune/Support/OutOfMemory.h"
#include "tinyprune/Target/Cpp.h"
#include "tinyprune/Target/TFLite.h"

#include "mlir/IR/AsmState.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Tools/mlir-translate/Translation.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/SourceMgr.h"

namespace cl = llvm::cl;

int main(int argc, char **argv) {
  llvm::InitLLVM y(argc, argv);
  tinyprune::installOutOfMemoryHandler("tinyprune-translate");
  tinyprune::registerTFLiteImportTranslation();
  tinyprune::registerEmitCppTranslation();
  tinyprune::registerTFLiteExportTranslation();

  static cl::opt<std::string> inputPath(
      cl::Positional, cl::desc("<input file>"), cl::init("-"));
  static cl::opt<std::string> outputPath(
      "o",
      cl::desc("Output file (written only when the translation "
               "succeeds; it may not be the input)"),
      cl::value_desc("filename"), cl::init("-"));
  cl::opt<const mlir::Translation *, false, mlir::TranslationParser>
      translation("", cl::desc("Translation to perform"), cl::Required);
  mlir::registerAsmPrinterCLOptions();
  mlir::registerMLIRContextCLOptions();
  mlir::registerTranslationCLOptions();
  cl::ParseCommandLineOptions(argc, argv, "tinyprune translation driver\n");

  auto report = [](llvm::Error e) {
    llvm::errs() << "tinyprune-translate: error: "
                 << llvm::toString(std::move(e)) << "\n";
    return 1;
  };
  auto input = tinyprune::readInputFile(inputPath);
  if (!input)
    return report(input.takeError());
  auto output = tinyprune::OutputFile::create(outputPath, {inputPath});
  if (!output)
    return report(output.takeError());

  mlir::MLIRContext context;
  auto sourceMgr = std::make_shared<llvm::SourceMgr>();
  sourceMgr->AddNewSourceBuffer(std::move(*input), llvm::SMLoc());
  mlir::SourceMgrDiagnosticHandler diagnostics(*sourceMgr, &context);
  if (mlir::failed((*translation)(sourceMgr, (*output)->os(), &context)))
    return 1;
  if (llvm::Error e = (*output)->commit())
    return report(std::move(e));
  return 0;
}
