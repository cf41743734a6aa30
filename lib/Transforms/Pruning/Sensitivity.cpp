//===- Sensitivity.cpp - A layer's measured effect on the outputs ---------===//
//
// Measures the slopes of a layer's output-change-per-error curve from the
// trials a pass runs and weighs the ranked streams by them
// (Sensitivity.h).
//
//===----------------------------------------------------------------------===//

#include "tinyprune/Transforms/Pruning/Sensitivity.h"

#include "llvm/ADT/STLExtras.h"

#include <algorithm>
#include <cmath>
#include <queue>

using namespace mlir;
using namespace tinyprune;
using namespace tinyprune::pruning;

std::vector<double> pruning::sensitivityLevels(double minRatio,
                                               double maxRatio) {
  std::vector<double> levels;
  for (double v : {0.25, 0.5, 0.75, 1.0}) {
    v = std::clamp(v, minRatio, maxRatio);
    if (v > 0 && (levels.empty() || v > levels.back()))
      levels.push_back(v);
  }
  return levels;
}

UnitOrder pruning::mergeStreams(ArrayRef<RankedStream> streams,
                                ArrayRef<size_t> which) {
  UnitOrder out;
  using Head = std::pair<double, size_t>;
  std::priority_queue<Head, std::vector<Head>, std::greater<>> heads;
  std::vector<size_t> next(streams.size(), 0);
  for (size_t si : which)
    if (!streams[si].units.empty())
      heads.push({streams[si].scores[0], si});
  while (!heads.empty()) {
    size_t si = heads.top().second;
    heads.pop();
    const RankedStream &s = streams[si];
    out.units.push_back(s.units[next[si]]);
    out.scores.push_back(s.scores[next[si]]);
    if (++next[si] < s.units.size())
      heads.push({s.scores[next[si]], si});
  }
  return out;
}

double SensitivityCurve::gentlest() const {
  return *llvm::find_if(slopes, [](double g) { return g > 0; });
}

double SensitivityCurve::slopeAt(int64_t rank) const {
  size_t j = std::upper_bound(ends.begin(), ends.end(), rank) - ends.begin();
  return slopes[std::min(j, slopes.size() - 1)];
}

FailureOr<SensitivityCurve> pruning::measureSensitivity(const UnitOrder &order,
                                                        int64_t units,
                                                        ArrayRef<double> levels,
                                                        TrialFn trial) {
  SensitivityCurve curve;
  std::vector<bool> removed(units, false);
  int64_t done = 0;
  double lastChange = 0, lastError = 0, steepest = 0;
  for (double v : levels) {
    int64_t count = std::min<int64_t>((int64_t)std::llround(v * double(units)),
                                      int64_t(order.units.size()));
    if (count <= done)
      continue;
    for (; done < count; ++done)
      removed[order.units[done]] = true;
    FailureOr<TrialResult> t = trial(removed);
    if (failed(t))
      return failure();
    // The change per unit error on this stretch, never less than on the
    // stretches before (the order stays the layer's own).
    double dError = t->layerError - lastError;
    double dChange = t->outputChange - lastChange;
    double g = dError > 0 ? std::max(0.0, dChange) / dError : 0;
    steepest = std::max(steepest, g);
    curve.ends.push_back(count);
    curve.slopes.push_back(steepest);
    lastChange = t->outputChange;
    lastError = t->layerError;
  }
  return curve;
}

void pruning::weighStreams(MutableArrayRef<RankedStream> streams,
                           ArrayRef<std::optional<SensitivityCurve>> curves,
                           ArrayRef<UnitOrder> orders, ArrayRef<int64_t> units,
                           ArrayRef<double> norm) {
  // The least slope measured anywhere.
  double least = -1;
  for (const std::optional<SensitivityCurve> &c : curves)
    if (c && c->measured())
      least = least < 0 ? c->gentlest() : std::min(least, c->gentlest());
  std::vector<std::vector<int64_t>> rank(curves.size());
  for (auto [li, c] : llvm::enumerate(curves)) {
    if (!c || !c->measured())
      continue;
    rank[li].assign(units[li], 0);
    for (auto [r, u] : llvm::enumerate(orders[li].units))
      rank[li][u] = int64_t(r);
  }
  for (RankedStream &s : streams) {
    const std::optional<SensitivityCurve> &c = curves[s.layer];
    if (!c)
      continue;
    if (c->measured()) {
      // Scores: the streams' costs (relative to the output energy, per
      // weight) back in error units, times the slope of their stretch.
      for (auto [u, score] : llvm::zip(s.units, s.scores))
        score *= norm[s.layer] * c->slopeAt(rank[s.layer][u]);
    } else if (least > 0) {
      // A layer whose trials moved no output is at most as sensitive as
      // the least sensitive stretch measured: its scores take that slope,
      // so that all competing scores are in the same units. (Nothing
      // measured at all: every layer keeps its relative errors.)
      for (double &score : s.scores)
        score *= norm[s.layer] * least;
    }
  }
}
