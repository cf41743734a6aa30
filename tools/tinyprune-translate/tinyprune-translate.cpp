//===- tinyprune-translate.cpp - tinyprune's translation driver -----------===//
//
// mlir-translate with tinyprune's translations: `--import-tflite` and
// `--emit-cpp`.
//
//===----------------------------------------------------------------------===//

#include "tinyprune/Import/TFLiteImporter.h"
#include "tinyprune/Target/Cpp.h"

#include "mlir/Tools/mlir-translate/MlirTranslateMain.h"

int main(int argc, char **argv) {
  tinyprune::registerTFLiteImportTranslation();
  tinyprune::registerEmitCppTranslation();
  return mlir::failed(
      mlir::mlirTranslateMain(argc, argv, "tinyprune translation driver"));
}
