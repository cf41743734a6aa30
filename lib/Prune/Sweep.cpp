//===- Sweep.cpp - tinyprune sweep: several pipelines, one Pareto front ---===//
//
// Runs `tinyprune prune` once per pipeline into OUTDIR/<i>/ and compares
// the runs: a table, its JSON, and pareto.svg with quality (accuracy or
// fidelity) against flash, peak RAM and estimated instructions, the
// original model as the first point, the Pareto front of each panel drawn.
//
//===----------------------------------------------------------------------===//

#include "tinyprune/Prune/Prune.h"
#include "tinyprune/Prune/Report.h"

#include "tinyprune/Support/Files.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/raw_ostream.h"

#include <algorithm>
#include <cmath>

using namespace tinyprune;

namespace {
/// One point of a panel: a cost and the quality it buys.
struct Point {
  double cost, quality;
  std::string label;
};
} // namespace

/// Flash of a model: its constants, plus its code where measured.
static double flashOf(const ModelFigures &m) {
  return double(m.weightBytes) + double(m.codeBytes.value_or(0));
}

/// The points of one cost: the original, then each pipeline.
static std::vector<Point> pointsOf(llvm::ArrayRef<SweepPoint> points,
                                   double (*cost)(const ModelFigures &)) {
  std::vector<Point> out;
  if (points.empty())
    return out;
  const PruneReport &first = points.front().report;
  out.push_back(
      {cost(first.before), first.before.quality.value_or(0), "original"});
  for (const SweepPoint &p : points)
    out.push_back(
        {cost(p.report.after), p.report.after.quality.value_or(0), p.pipeline});
  return out;
}

/// Whether point `i` is on the Pareto front: no other point costs no more
/// and is at least as good, being strictly better in one.
static bool onFront(const std::vector<Point> &pts, size_t i) {
  for (size_t j = 0; j < pts.size(); ++j) {
    if (j == i)
      continue;
    bool noWorse =
        pts[j].cost <= pts[i].cost && pts[j].quality >= pts[i].quality;
    bool better = pts[j].cost < pts[i].cost || pts[j].quality > pts[i].quality;
    if (noWorse && better)
      return false;
  }
  return true;
}

static double flashCost(const ModelFigures &m) { return flashOf(m); }
static double ramCost(const ModelFigures &m) { return double(m.arenaBytes); }
static double instrCost(const ModelFigures &m) { return m.total.instructions; }

std::string tinyprune::sweepMarkdown(llvm::ArrayRef<SweepPoint> points) {
  std::string s;
  llvm::raw_string_ostream os(s);
  if (points.empty())
    return s;
  const PruneReport &first = points.front().report;
  os << "# Sweep: " << first.model << "\n\n";
  os << "Quality: "
     << (first.qualityMetric.empty() ? "none (no --data)" : first.qualityMetric)
     << "; flash: constants"
     << (first.before.codeBytes ? " + code (.text)" : "")
     << "; instructions estimated on " << first.target
     << ". `*`: on the Pareto front of quality against that cost.\n\n";
  os << "| run | pipeline | quality | flash B | arena B | instructions |\n"
        "|---|---|---:|---:|---:|---:|\n";
  std::vector<Point> flash = pointsOf(points, flashCost),
                     ram = pointsOf(points, ramCost),
                     instr = pointsOf(points, instrCost);
  for (size_t i = 0; i < flash.size(); ++i) {
    const ModelFigures &m = i == 0 ? first.before : points[i - 1].report.after;
    std::string quality =
        m.quality ? llvm::formatv("{0:f2}%", 100 * *m.quality).str() : "-";
    os << "| " << (i == 0 ? std::string("original") : points[i - 1].dir)
       << " | " << (i == 0 ? std::string("-") : "`" + flash[i].label + "`")
       << " | " << quality << " | " << int64_t(flash[i].cost)
       << (onFront(flash, i) ? " *" : "") << " | " << int64_t(ram[i].cost)
       << (onFront(ram, i) ? " *" : "") << " | "
       << int64_t(std::llround(instr[i].cost))
       << (onFront(instr, i) ? " *" : "") << " |\n";
  }
  os << "\n![quality against flash, RAM and instructions](pareto.svg)\n";
  return s;
}

llvm::json::Value tinyprune::sweepJson(llvm::ArrayRef<SweepPoint> points) {
  llvm::json::Array runs;
  std::vector<Point> flash = pointsOf(points, flashCost),
                     ram = pointsOf(points, ramCost),
                     instr = pointsOf(points, instrCost);
  for (size_t i = 0; i < flash.size(); ++i) {
    const ModelFigures &m =
        i == 0 ? points.front().report.before : points[i - 1].report.after;
    runs.push_back(llvm::json::Object{
        {"pipeline", i == 0 ? llvm::json::Value(nullptr)
                            : llvm::json::Value(flash[i].label)},
        {"dir", i == 0 ? llvm::json::Value(nullptr)
                       : llvm::json::Value(points[i - 1].dir)},
        {"quality", m.quality ? llvm::json::Value(*m.quality)
                              : llvm::json::Value(nullptr)},
        {"flash_bytes", flash[i].cost},
        {"arena_bytes", ram[i].cost},
        {"instructions", instr[i].cost},
        {"pareto_flash", onFront(flash, i)},
        {"pareto_arena", onFront(ram, i)},
        {"pareto_instructions", onFront(instr, i)}});
  }
  return llvm::json::Object{
      {"model", points.empty() ? "" : points.front().report.model},
      {"quality_metric",
       points.empty() ? "" : points.front().report.qualityMetric},
      {"runs", std::move(runs)}};
}

std::string tinyprune::sweepSvg(llvm::ArrayRef<SweepPoint> points) {
  const double panelW = 260, panelH = 200, margin = 50, top = 40;
  std::string s;
  llvm::raw_string_ostream os(s);
  os << llvm::formatv("<svg xmlns=\"http://www.w3.org/2000/svg\" "
                      "width=\"{0}\" height=\"{1}\" font-family=\"sans-serif\" "
                      "font-size=\"10\">\n",
                      int(3 * (panelW + margin) + margin),
                      int(top + panelH + 60));
  std::string metric =
      points.empty() || points.front().report.qualityMetric.empty()
          ? "quality"
          : points.front().report.qualityMetric;
  os << "<text x=\"" << int(margin) << "\" y=\"16\" font-size=\"13\">" << metric
     << " against cost; the Pareto front in red</text>\n";
  struct Panel {
    const char *title;
    double (*cost)(const ModelFigures &);
  };
  Panel panels[] = {{"flash bytes", flashCost},
                    {"arena bytes (peak RAM)", ramCost},
                    {"estimated instructions", instrCost}};
  for (int p = 0; p < 3; ++p) {
    std::vector<Point> pts = pointsOf(points, panels[p].cost);
    double x0 = margin + p * (panelW + margin), y0 = top;
    double maxC = 1, minQ = 1, maxQ = 0;
    for (const Point &pt : pts) {
      maxC = std::max(maxC, pt.cost);
      minQ = std::min(minQ, pt.quality);
      maxQ = std::max(maxQ, pt.quality);
    }
    if (maxQ - minQ < 0.01)
      minQ = std::max(0.0, maxQ - 0.01);
    auto X = [&](double c) { return x0 + panelW * c / (maxC * 1.05); };
    auto Y = [&](double q) {
      return y0 + panelH - panelH * (q - minQ) / (maxQ - minQ) * 0.9 - 10;
    };
    os << llvm::formatv("<rect x=\"{0}\" y=\"{1}\" width=\"{2}\" "
                        "height=\"{3}\" fill=\"none\" stroke=\"black\"/>\n",
                        x0, y0, panelW, panelH);
    os << llvm::formatv("<text x=\"{0}\" y=\"{1}\">{2} (max {3})</text>\n", x0,
                        y0 + panelH + 14, panels[p].title,
                        int64_t(std::llround(maxC)));
    os << llvm::formatv("<text x=\"{0}\" y=\"{1}\">{2:f1}%..{3:f1}%</text>\n",
                        x0, y0 - 4, 100 * minQ, 100 * maxQ);
    // The front, by increasing cost.
    std::vector<size_t> front;
    for (size_t i = 0; i < pts.size(); ++i)
      if (onFront(pts, i))
        front.push_back(i);
    llvm::sort(front,
               [&](size_t a, size_t b) { return pts[a].cost < pts[b].cost; });
    std::string poly;
    for (size_t i : front)
      poly += llvm::formatv("{0:f1},{1:f1} ", X(pts[i].cost), Y(pts[i].quality))
                  .str();
    if (front.size() > 1)
      os << "<polyline points=\"" << poly
         << "\" fill=\"none\" stroke=\"red\"/>\n";
    for (size_t i = 0; i < pts.size(); ++i)
      os << llvm::formatv("<circle cx=\"{0:f1}\" cy=\"{1:f1}\" r=\"3\" "
                          "fill=\"{2}\"><title>{3}</title></circle>\n",
                          X(pts[i].cost), Y(pts[i].quality),
                          i == 0 ? "#999999" : "#1f77b4", pts[i].label);
  }
  os << "</svg>\n";
  return s;
}

int tinyprune::runSweep(mlir::MLIRContext &context, const PruneOptions &options,
                        llvm::ArrayRef<std::string> pipelines,
                        llvm::raw_ostream &out) {
  if (pipelines.empty()) {
    llvm::errs() << "tinyprune: error: sweep needs at least one --pipeline\n";
    return 1;
  }
  if (llvm::sys::fs::exists(options.outDir) &&
      !llvm::sys::fs::is_directory(options.outDir)) {
    llvm::errs() << "tinyprune: error: -o '" << options.outDir
                 << "' is a file, not a directory\n";
    return 1;
  }
  std::vector<SweepPoint> points;
  for (auto [i, pipeline] : llvm::enumerate(pipelines)) {
    SweepPoint point;
    point.pipeline = pipeline;
    point.dir = std::to_string(i + 1);
    PruneOptions one = options;
    one.pipeline = pipeline;
    llvm::SmallString<256> dir(options.outDir);
    llvm::sys::path::append(dir, point.dir);
    one.outDir = std::string(dir);
    one.reportOut = &point.report;
    out << "== " << point.dir << ": " << pipeline << "\n";
    if (int rc = runPrune(context, one, out))
      return rc;
    points.push_back(std::move(point));
  }
  std::string json;
  llvm::raw_string_ostream(json)
      << llvm::formatv("{0:2}", sweepJson(points)) << "\n";
  for (auto [rel, text] :
       {std::pair<const char *, std::string>{"sweep.md", sweepMarkdown(points)},
        {"sweep.json", json},
        {"pareto.svg", sweepSvg(points)}}) {
    llvm::SmallString<256> path(options.outDir);
    llvm::sys::path::append(path, rel);
    std::vector<std::string> inputs = {options.model};
    auto file = OutputFile::create(path, inputs);
    if (!file) {
      llvm::errs() << "tinyprune: error: " << llvm::toString(file.takeError())
                   << "\n";
      return 1;
    }
    (*file)->os() << text;
    if (llvm::Error e = (*file)->commit()) {
      llvm::errs() << "tinyprune: error: " << llvm::toString(std::move(e))
                   << "\n";
      return 1;
    }
  }
  out << "== sweep\n" << sweepMarkdown(points);
  out << "tinyprune: wrote sweep.md, sweep.json and pareto.svg to "
      << options.outDir << "\n";
  return 0;
}
