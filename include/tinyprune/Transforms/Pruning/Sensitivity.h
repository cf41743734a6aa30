//===- Sensitivity.h - A layer's measured effect on the outputs -*- C++ -*-===//
//
// Layers differ in how much an error at their output moves the model's
// outputs. A data-driven pruning pass measures it: each competing layer
// alone is pruned along its own ranking to a few levels (25, 50, 75 and
// 100 % within the layer bounds) and re-solved, the model runs on a few
// calibration samples, and on each stretch between levels the squared
// change of the model's outputs per unit of the layer's own squared error
// (never decreasing along the layer) gives a slope. The slopes turn the
// layer's error increases into estimated changes of the model's outputs,
// so that layers compete in the same units. The pass supplies the trial
// (prune, re-solve, run); this file does the bookkeeping.
//
//===----------------------------------------------------------------------===//

#ifndef TINYPRUNE_TRANSFORMS_PRUNING_SENSITIVITY_H
#define TINYPRUNE_TRANSFORMS_PRUNING_SENSITIVITY_H

#include "tinyprune/Transforms/Pruning/BudgetAllocator.h"

#include "mlir/Support/LLVM.h"
#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/STLFunctionalExtras.h"

#include <cstdint>
#include <optional>
#include <vector>

namespace tinyprune {
namespace pruning {

/// The layer ratios a layer is measured at: 0.25, 0.5, 0.75 and 1 clamped
/// into [minRatio, maxRatio], positive and increasing.
std::vector<double> sensitivityLevels(double minRatio, double maxRatio);

/// One layer's units in the order its streams give them (merged by score),
/// with the scores.
struct UnitOrder {
  std::vector<int64_t> units;
  std::vector<double> scores;
};
UnitOrder mergeStreams(llvm::ArrayRef<RankedStream> streams,
                       llvm::ArrayRef<size_t> which);

/// What one trial measured: the model's squared output change (per sample)
/// and the layer's own squared error.
struct TrialResult {
  double outputChange = 0, layerError = 0;
};
using TrialFn = llvm::function_ref<mlir::FailureOr<TrialResult>(
    const std::vector<bool> &removed)>;

/// The measured slopes of one layer: on the stretch of ranks up to
/// `ends[i]` (exclusive), `slopes[i]` squared output change per unit of
/// the layer's squared error.
struct SensitivityCurve {
  std::vector<int64_t> ends;
  std::vector<double> slopes;

  /// Whether any trial moved the outputs.
  bool measured() const { return !ends.empty() && slopes.back() > 0; }
  /// The least positive slope.
  double gentlest() const;
  /// The slope of the stretch holding the unit of rank `rank`.
  double slopeAt(int64_t rank) const;
};

/// Measures a layer of `units` units along `order` at `levels` (ratios of
/// the units), running `trial` once per level with the first units of the
/// order removed. Fails if a trial fails.
mlir::FailureOr<SensitivityCurve>
measureSensitivity(const UnitOrder &order, int64_t units,
                   llvm::ArrayRef<double> levels, TrialFn trial);

/// Scales the scores of `streams` from relative errors (the layer's
/// squared error over `norm[layer]`, per weight) to estimated output
/// changes: a measured layer's unit by the slope of its stretch (its rank
/// in `order[layer]`), an unmeasured competing layer's by the least slope
/// measured anywhere (it is at most as sensitive). Layers with no curve
/// (fixed ones) keep their scores; nothing measured at all: nothing
/// changes.
void weighStreams(llvm::MutableArrayRef<RankedStream> streams,
                  llvm::ArrayRef<std::optional<SensitivityCurve>> curves,
                  llvm::ArrayRef<UnitOrder> orders,
                  llvm::ArrayRef<int64_t> units, llvm::ArrayRef<double> norm);

} // namespace pruning
} // namespace tinyprune

#endif // TINYPRUNE_TRANSFORMS_PRUNING_SENSITIVITY_H
