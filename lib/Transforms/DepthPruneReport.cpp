//===- DepthPruneReport.cpp - --depth-prune's table and curve -------------===//
//
// The report of --depth-prune: every cut point with its costs (params,
// flash, arena, MACs, instructions) and, once trained, the validation
// accuracy of the model cut there; and the same as an accuracy/parameters
// SVG curve.
//
//===----------------------------------------------------------------------===//

#include "DepthPrune.h"

#include "tinyprune/Transforms/Pruning/AccuracyPlot.h"
#include "tinyprune/Transforms/Pruning/BudgetAllocator.h"
#include "tinyprune/Transforms/Pruning/PruningReport.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/raw_ostream.h"

using namespace mlir;
using namespace tinyprune;
using namespace tinyprune::depth;
using namespace tinyprune::pruning;

void depth::writeReport(const Run &run, StringRef path) {
  if (path.empty())
    return;
  const Settings &s = run.settings;
  std::string text;
  llvm::raw_string_ostream os(text);
  os << "depth-prune: head " << run.spec.describe() << ", cut "
     << (s.cut.empty() ? std::string("(none: report only)") : s.cut) << ", "
     << mcuCoreName(run.core);
  if (s.maxAccuracyDrop >= 0)
    os << ", max-accuracy-drop " << shortNumber(s.maxAccuracyDrop);
  if (s.withData)
    os << ", validation " << run.data.inputs.size() - run.data.trainCount
       << " samples, "
       << (s.withLabels ? "accuracy against labels"
                        : "agreement with the model");
  os << "\n";
  os << llvm::format("%3s %-24s %-11s %8s %7s %8s %9s %9s %10s %13s  %s\n", "#",
                     "cut", "HxWxC", "val-acc%", "drop", "params", "flash-B",
                     "arena-B", "MACs", "instructions", "");
  auto row = [&](StringRef index, StringRef fullName, StringRef shape,
                 std::optional<double> acc, const ResourceCost &cost,
                 StringRef note) {
    std::string accText = acc ? llvm::formatv("{0:F2}", *acc).str() : "-";
    std::string dropText =
        acc && run.fullAccuracy
            ? llvm::formatv("{0:F2}", *run.fullAccuracy - *acc).str()
            : "-";
    std::string name = fullName.str();
    if (name.size() > 24)
      name = name.substr(0, 21) + "...";
    os << llvm::format("%3s %-24s %-11s %8s %7s %8lld %9lld %9lld %10lld "
                       "%13.0f  ",
                       index.str().c_str(), name.c_str(), shape.str().c_str(),
                       accText.c_str(), dropText.c_str(),
                       (long long)cost.params, (long long)cost.flashBytes,
                       (long long)cost.arenaBytes, (long long)cost.macs,
                       cost.instructions)
       << note << "\n";
  };
  row("", "(full model)", "", run.fullAccuracy, run.full, "");
  for (auto [i, c] : llvm::enumerate(run.candidates)) {
    std::string shape =
        llvm::formatv("{0}x{1}x{2}", c.cut.height, c.cut.width, c.cut.channels);
    std::string note = int(i) == run.chosen ? "chosen"
                       : !c.fits            ? "over " + c.over
                                            : "";
    if (c.frozenAccuracy) {
      note += llvm::formatv("{0}frozen head {1:F2}", note.empty() ? "" : "; ",
                            *c.frozenAccuracy);
      if (c.tooFar)
        note += ", base not tuned";
      else if (c.tunedAccuracy && *c.tunedAccuracy < *c.frozenAccuracy)
        note += llvm::formatv(" kept (tuned {0:F2})", *c.tunedAccuracy).str();
    }
    row(std::to_string(i), c.cut.name, shape, c.accuracy, c.cost, note);
  }
  if (run.chosen >= 0) {
    const ResourceCost &k = run.candidates[run.chosen].cost;
    os << llvm::formatv(
        "chosen {0}: params {1:F1} %, flash {2:F1} %, arena {3:F1} %, "
        "instructions {4:F1} % of the model\n",
        run.candidates[run.chosen].cut.name,
        100.0 * k.params / std::max<int64_t>(1, run.full.params),
        100.0 * k.flashBytes / std::max<int64_t>(1, run.full.flashBytes),
        100.0 * k.arenaBytes / std::max<int64_t>(1, run.full.arenaBytes),
        100.0 * k.instructions / std::max(1.0, run.full.instructions));
  }
  if (path == "-") {
    llvm::outs() << text;
    llvm::outs().flush();
    return;
  }
  std::error_code ec;
  llvm::raw_fd_ostream file(path, ec);
  if (ec) {
    s.error() << "cannot write report '" << path << "': " << ec.message();
    return;
  }
  file << text;
}

void depth::writeSvg(const Run &run, StringRef path) {
  if (path.empty())
    return;
  // Validation accuracy against parameters, one point per trained
  // candidate, the model's accuracy as a dashed line.
  AccuracyPlot plot;
  plot.modelParams = run.full.params;
  plot.modelAccuracy = run.fullAccuracy;
  for (auto [i, c] : llvm::enumerate(run.candidates))
    if (c.accuracy)
      plot.points.push_back(
          {c.cut.name, c.cost.params, *c.accuracy, int(i) == run.chosen});
  if (llvm::Error e = plot.write(path))
    run.settings.error() << "report-svg: " << llvm::toString(std::move(e));
}
