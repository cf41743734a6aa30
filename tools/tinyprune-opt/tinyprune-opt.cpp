//===- tinyprune-opt.cpp - tinyprune's optimizer driver -------------------===//
//
// mlir-opt with the tinyprune dialect and passes registered next to the
// upstream dialects a tinyprune pipeline uses.
//
//===----------------------------------------------------------------------===//

#include "tinyprune/InitAll.h"

#include "mlir/Tools/mlir-opt/MlirOptMain.h"

int main(int argc, char **argv) {
  mlir::DialectRegistry registry;
  tinyprune::registerAllDialects(registry);
  tinyprune::registerAllPasses();
  return mlir::asMainReturnCode(
      mlir::MlirOptMain(argc, argv, "tinyprune optimizer driver\n", registry));
}
