//===- tinyprune-opt.cpp - tinyprune's optimizer driver -------------------===//
//
// mlir-opt with the tinyprune dialect and passes registered next to the
// upstream dialects a tinyprune pipeline uses. The input is read with a size
// bound and the output written atomically (tinyprune/Support/Files.h): an
// output path that names the input is refused, and a failed run leaves no
// output behind.
//
//===----------------------------------------------------------------------===//

#include "tinyprune/InitAll.h"
#include "tinyprune/Support/Files.h"

#include "mlir/Tools/mlir-opt/MlirOptMain.h"
#include "llvm/Support/InitLLVM.h"

int main(int argc, char **argv) {
  llvm::InitLLVM y(argc, argv);
  mlir::DialectRegistry registry;
  tinyprune::registerAllDialects(registry);
  tinyprune::registerAllPasses();
  auto [inputPath, outputPath] = mlir::registerAndParseCLIOptions(
      argc, argv, "tinyprune optimizer driver\n", registry);
  mlir::MlirOptMainConfig config =
      mlir::MlirOptMainConfig::createFromCLOptions();

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
