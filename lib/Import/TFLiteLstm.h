//===- TFLiteLstm.h - UNIDIRECTIONAL_SEQUENCE_LSTM import -------*- C++ -*-===//
//
// The conversion of TFLite's UNIDIRECTIONAL_SEQUENCE_LSTM to
// `tinyprune.lstm`, kept out of TFLiteImporter.cpp: the op has 24 operands,
// variable state tensors and its own list of refused variants.
//
//===----------------------------------------------------------------------===//

#ifndef TINYPRUNE_LIB_IMPORT_TFLITELSTM_H
#define TINYPRUNE_LIB_IMPORT_TFLITELSTM_H

#include "TFLiteModel.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/Diagnostics.h"
#include "llvm/ADT/STLFunctionalExtras.h"

namespace tinyprune {
namespace tfl {

/// What the LSTM conversion needs from the subgraph importer.
struct LstmImport {
  mlir::OpBuilder &b;
  mlir::Location loc;
  const SubgraphInfo &sg;
  const OpInfo &op;
  /// The value of operand `i` (constants materialized), or failure
  /// (reported).
  llvm::function_ref<mlir::FailureOr<mlir::Value>(unsigned)> input;
  /// Starts an error about the operator.
  llvm::function_ref<mlir::InFlightDiagnostic()> error;
};

/// Builds the `tinyprune.lstm` of an int8 UNIDIRECTIONAL_SEQUENCE_LSTM in
/// TFLite Micro's supported configuration (no peephole, projection, layer
/// norm or CIFG), or reports in one line what the model needs that is not
/// supported.
mlir::FailureOr<mlir::Value> importLstm(const LstmImport &in);

} // namespace tfl
} // namespace tinyprune

#endif // TINYPRUNE_LIB_IMPORT_TFLITELSTM_H
