//===- consumer-opt.cpp - An MLIR tool built on an installed tinyprune ----===//
//
// mlir-opt with the tinyprune dialect and passes, registered through the
// installed headers and libraries only (find_package(TinyPrune)).
//
//===----------------------------------------------------------------------===//

#include "tinyprune/Dialect/TinyPrune.h"
#include "tinyprune/Transforms/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Tosa/IR/TosaOps.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/Tools/mlir-opt/MlirOptMain.h"

int main(int argc, char **argv) {
  mlir::DialectRegistry registry;
  registry.insert<tinyprune::TinyPruneDialect, mlir::func::FuncDialect,
                  mlir::tosa::TosaDialect>();
  tinyprune::registerTinyPruneTransformsPasses();
  return mlir::asMainReturnCode(mlir::MlirOptMain(
      argc, argv, "An MLIR tool built on an installed tinyprune\n",
      registry));
}
