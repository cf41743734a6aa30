//===- Report.h - What pruning changed, for people and scripts --*- C++ -*-===//
//
// The report of `tinyprune prune`: per layer and in total, before and
// after, the parameters, the flash (constants as emitted, and the code
// when a target compiler measured it), the peak RAM (the planned arena),
// the MACs and the instructions the cost model (tinyprune/Analysis/
// CostModel.h) estimates on the target core, and the accuracy on labelled
// data or the fidelity (top-1 agreement) to the original on unlabelled
// data. Written as `report.md`, `report.json` and `layers.svg`.
//
//===----------------------------------------------------------------------===//

#ifndef TINYPRUNE_PRUNE_REPORT_H
#define TINYPRUNE_PRUNE_REPORT_H

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/JSON.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace tinyprune {

enum class McuCore;

/// One layer's figures.
struct LayerFigures {
  /// Non-zero weights and biases (what a pruned layer still computes with).
  int64_t params = 0;
  /// Bytes of the constants the C++ lowering stores for it.
  int64_t flashBytes = 0;
  int64_t macs = 0;
  /// Estimated instructions per inference on the target core.
  double instructions = 0;
};

/// One layer, before and after (absent on a side where it does not exist).
struct LayerRow {
  std::string name;
  /// The layer op's name without dialect ("conv2d", "add", ...).
  std::string kind;
  std::optional<LayerFigures> before, after;
};

/// A whole model.
struct ModelFigures {
  LayerFigures total;
  /// Constant bytes of the generated C++, and its arena (peak RAM).
  int64_t weightBytes = 0;
  int64_t arenaBytes = 0;
  /// `.text` of the generated model for the target, when measured.
  std::optional<int64_t> codeBytes;
  /// Top-1 accuracy on the labelled data, or top-1 agreement with the
  /// original model (1.0 for the original itself) without labels.
  std::optional<double> quality;
};

struct PruneReport {
  std::string model, pipeline, target, data, labels;
  /// "accuracy" (labels given), "fidelity" (data without labels) or empty.
  std::string qualityMetric;
  int64_t evalSamples = 0;
  /// How code bytes were measured, or why not.
  std::string codeNote;
  ModelFigures before, after;
  std::vector<LayerRow> layers;
};

/// Per-layer figures of `func` (raised to layer ops) on `core`, in order,
/// one per kernel call the lowering makes for a layer with a cost.
std::vector<LayerRow> layerFigures(mlir::func::FuncOp func, McuCore core);

/// Pairs the layers of the model before and after pruning by name (by
/// position among layers of the same kind where names are missing).
std::vector<LayerRow> pairLayers(const std::vector<LayerRow> &before,
                                 const std::vector<LayerRow> &after);

std::string reportMarkdown(const PruneReport &report);
llvm::json::Value reportJson(const PruneReport &report);
/// Per-layer bar chart: estimated instructions and flash, before and
/// after, one pair of bars per layer.
std::string reportSvg(const PruneReport &report);
/// The before/after table the command prints.
std::string summaryTable(const PruneReport &report);

/// One run of a sweep: its pipeline and report.
struct SweepPoint {
  std::string pipeline, dir;
  PruneReport report;
};

/// The sweep's renderings (Sweep.cpp): a table per pipeline, and
/// quality against flash (constants + code where measured), arena and
/// estimated instructions, the original first, with the Pareto front of
/// each (no other point has higher quality at no more cost).
std::string sweepMarkdown(llvm::ArrayRef<SweepPoint> points);
llvm::json::Value sweepJson(llvm::ArrayRef<SweepPoint> points);
std::string sweepSvg(llvm::ArrayRef<SweepPoint> points);

/// `.text` bytes of OUTDIR `dir`'s NAME.cpp compiled for `core` with the
/// Arm GNU toolchain (CodeSize.cpp); none when it is not installed or
/// fails. `note` says how it was measured, or why not.
std::optional<int64_t> measureCodeBytes(llvm::StringRef dir,
                                        llvm::StringRef name, McuCore core,
                                        std::string &note);

} // namespace tinyprune

#endif // TINYPRUNE_PRUNE_REPORT_H
