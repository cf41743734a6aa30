//===- PruningReport.h - The per-layer table of a pruning pass --*- C++ -*-===//
//
// What a pruning pass writes with `report=`: a header saying what was asked
// (a ratio or a budget) and how, one row per prunable layer (its shape,
// units, kept units and ratio; with calibration, its reconstruction error
// masked and re-solved; with the cost model, its flash and instructions
// dense and now), the totals, notes of the pass, and the whole model's
// estimate on the target.
//
//===----------------------------------------------------------------------===//

#ifndef TINYPRUNE_TRANSFORMS_PRUNING_PRUNINGREPORT_H
#define TINYPRUNE_TRANSFORMS_PRUNING_PRUNINGREPORT_H

#include "tinyprune/Analysis/CostModel.h"

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"
#include "llvm/Support/raw_ostream.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace mlir {
class Operation;
} // namespace mlir

namespace tinyprune {
namespace pruning {

/// `v` as a user wrote it (%g: 0.5, 1e-05), not as raw_ostream prints a
/// double (5.000000e-01).
std::string shortNumber(double v);

/// The name of a layer for the report: the NameLoc inside its location
/// (the importer names ops after their TFLite output tensor; passes and
/// parsing may wrap it in fused, call-site or file locations), else "?".
std::string layerName(mlir::Operation *op);

/// One row of the table.
struct ReportRow {
  std::string name;
  /// The weight shape as the pass sees it, "16x9x1".
  std::string shape;
  int64_t weightsPerUnit = 1, units = 0, kept = 0;
  /// With calibration: the squared output error of the layer with the
  /// dense weights masked and re-solved, and its output energy.
  double maskedError = 0, solvedError = 0, outputEnergy = 0;
  /// With the cost model: the layer dense and as it is now.
  LayerCost dense, now;
  bool keptDense = false;

  int64_t removed() const { return units - kept; }
};

/// The whole report.
struct PruningReport {
  /// The pass's flag and what was asked: "filterlet-prune",
  /// "sparsity 0.5" or "flash-budget 48K".
  std::string pass, asked;
  /// The removal unit's column header: "filterlets".
  std::string unitName = "units";
  bool calibrated = false, recovered = false;
  /// The cost model's core, or nullopt without it.
  std::optional<McuCore> core;
  std::vector<ReportRow> rows;
  /// The estimate of everything but the rows' layers.
  LayerCost rest;
  /// Lines after the totals ("depthwise convolutions re-solved: 4").
  std::vector<std::string> notes;

  void print(llvm::raw_ostream &os) const;
  /// Writes the report to `path` ('-': stdout) atomically; a one-line
  /// reason if it cannot be written, or if it is one of `inputs` (the
  /// pass's data files) or a file the process has read.
  llvm::Error write(llvm::StringRef path,
                    llvm::ArrayRef<std::string> inputs = {}) const;
};

} // namespace pruning
} // namespace tinyprune

#endif // TINYPRUNE_TRANSFORMS_PRUNING_PRUNINGREPORT_H
