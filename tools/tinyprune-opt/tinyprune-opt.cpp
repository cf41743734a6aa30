//===- tinyprune-opt.cpp - tinyprune's optimizer driver -------------------===//
//
// mlir-opt with the tinyprune dialect and passes registered next to the
// upstream dialects a tinyprune pipeline uses. The input is read with a size
// bound and the output written atomically (tinyprune/Support/Files.h): an
// output path that names the input is refused, and a failed run leaves no
// output behind. Errors without a location (a pass's option errors) print
// as one line naming the tool.
//
//===----------------------------------------------------------------------===//

#include "tinyprune/InitAll.h"
#include "tinyprune/Support/Files.h"
#include "tinyprune/Support/OutOfMemory.h"

#include "mlir/IR/Diagnostics.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Tools/mlir-opt/MlirOptMain.h"
#include "llvm/Support/InitLLVM.h"

/// Prints diagnostics without a location as "tinyprune-opt: error: ..."
/// (not "<unknown>:0: error: ...") and drops empty ones, whose text the pass
/// option parser has printed already; the others go on to MlirOptMain's
/// handler.
static void printUnknownLocDiagnostics(mlir::MLIRContext *context) {
  context->getDiagEngine().registerHandler(
      [](mlir::Diagnostic &diag) -> mlir::LogicalResult {
        if (!llvm::isa<mlir::UnknownLoc>(diag.getLocation()))
          return mlir::failure();
        std::string text = diag.str();
        if (text.empty())
          return mlir::success();
        llvm::errs() << "tinyprune-opt: "
                     << (diag.getSeverity() == mlir::DiagnosticSeverity::Error
                             ? "error: "
                             : "note: ")
                     << text << "\n";
        return mlir::success();
      });
}

int main(int argc, char **argv) {
  llvm::InitLLVM y(argc, argv);
  tinyprune::installOutOfMemoryHandler("tinyprune-opt");
  mlir::DialectRegistry registry;
  tinyprune::registerAllDialects(registry);
  tinyprune::registerAllPasses();
  auto [inputPath, outputPath] = mlir::registerAndParseCLIOptions(
      argc, argv, "tinyprune optimizer driver\n", registry);
  mlir::MlirOptMainConfig config =
      mlir::MlirOptMainConfig::createFromCLOptions();
  // The handler goes on the context the pipeline is built in (so it comes
  // after, and before in the calling order, MlirOptMain's own); not when
  // verifying diagnostics, which must see every one.
  if (!config.shouldVerifyDiagnostics()) {
    mlir::MlirOptMainConfig base = config;
    config.setPassPipelineSetupFn([base](mlir::PassManager &pm) {
      printUnknownLocDiagnostics(pm.getContext());
      return base.setupPassPipeline(pm);
    });
  }

  auto report = [](llvm::Error e) {
    llvm::errs() << "tinyprune-opt: error: " << llvm::toString(std::move(e))
                 << "\n";
    return 1;
  };
  auto input = tinyprune::readInputFile(inputPath);
  if (!input)
    return report(input.takeError());
  auto output = tinyprune::OutputFile::create(outputPath, {inputPath});
  if (!output)
    return report(output.takeError());
  if (mlir::failed(mlir::MlirOptMain((*output)->os(), std::move(*input),
                                     registry, config)))
    return 1;
  if (llvm::Error e = (*output)->commit())
    return report(std::move(e));
  return 0;
}
