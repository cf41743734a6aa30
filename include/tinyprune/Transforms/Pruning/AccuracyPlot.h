//===- AccuracyPlot.h - Accuracy against size as an SVG plot -----*- C++
//-*-===//
//
// The curve a pruning pass reports when it weighs candidates: validation
// accuracy against parameters, one labelled point per candidate, the model
// before pruning as a grey point and a dashed line. Plain SVG, no
// dependencies.
//
//===----------------------------------------------------------------------===//

#ifndef TINYPRUNE_TRANSFORMS_PRUNING_ACCURACYPLOT_H
#define TINYPRUNE_TRANSFORMS_PRUNING_ACCURACYPLOT_H

#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace tinyprune {
namespace pruning {

struct AccuracyPlot {
  struct Point {
    std::string label;
    int64_t params = 0;
    /// Percent.
    double accuracy = 0;
    /// Drawn in red (the chosen candidate).
    bool highlight = false;
  };
  std::vector<Point> points;
  int64_t modelParams = 0;
  std::optional<double> modelAccuracy;

  /// The plot as an SVG document.
  std::string svg() const;
  /// Writes svg() to `path`; a one-line reason on failure.
  llvm::Error write(llvm::StringRef path) const;
};

} // namespace pruning
} // namespace tinyprune

#endif // TINYPRUNE_TRANSFORMS_PRUNING_ACCURACYPLOT_H
