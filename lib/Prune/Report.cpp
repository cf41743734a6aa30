//===- Report.cpp - What pruning changed, for people and scripts ----------===//
//
// Figures per layer from the cost model, paired before/after, and the three
// renderings of the report: Markdown, JSON and an SVG bar chart.
//
//===----------------------------------------------------------------------===//

#include "tinyprune/Prune/Report.h"

#include "tinyprune/Analysis/CostModel.h"
#include "tinyprune/Dialect/LayerView.h"
#include "tinyprune/Dialect/TinyPrune.h"

#include "mlir/IR/BuiltinAttributes.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/raw_ostream.h"

#include <algorithm>
#include <cmath>

using namespace mlir;
using namespace tinyprune;

//===----------------------------------------------------------------------===//
// Figures
//===----------------------------------------------------------------------===//

/// Non-zero elements of constant `v` (0 when it is not constant).
static int64_t nonZero(Value v) {
  DenseElementsAttr e = constantElements(v);
  if (!e)
    return 0;
  if (isa<FloatType>(e.getElementType()))
    return llvm::count_if(e.getValues<APFloat>(),
                          [](const APFloat &f) { return !f.isZero(); });
  return llvm::count_if(e.getValues<APInt>(),
                        [](const APInt &i) { return !i.isZero(); });
}

/// The name a layer goes by: the tensor it writes (the importer's
/// location), else its op and position.
static std::string layerName(Operation *op, unsigned index) {
  if (auto nl = dyn_cast<NameLoc>(op->getLoc()))
    return nl.getName().str();
  if (auto fused = dyn_cast<FusedLoc>(op->getLoc()))
    for (Location l : fused.getLocations())
      if (auto nl = dyn_cast<NameLoc>(l))
        return nl.getName().str();
  return (op->getName().stripDialect() + "#" + Twine(index)).str();
}

std::vector<LayerRow> tinyprune::layerFigures(func::FuncOp func, McuCore core) {
  std::vector<LayerRow> rows;
  unsigned index = 0;
  for (const OpCost &c : estimateFunction(func, core)) {
    Operation *op = c.op;
    if (c.cost.flashBytes == 0 && c.cost.macs == 0 && c.cost.instructions == 0)
      continue;
    LayerFigures f;
    f.flashBytes = c.cost.flashBytes;
    f.macs = c.cost.macs;
    f.instructions = c.cost.instructions;
    if (FailureOr<ConvLayerView> v = ConvLayerView::get(op); succeeded(v))
      f.params = nonZero(v->weights) + nonZero(v->bias);
    LayerRow row;
    row.name = layerName(op, index++);
    row.kind = op->getName().stripDialect().str();
    row.after = f; // Filled as one side; pairLayers places it.
    rows.push_back(std::move(row));
  }
  return rows;
}

std::vector<LayerRow>
tinyprune::pairLayers(const std::vector<LayerRow> &before,
                      const std::vector<LayerRow> &after) {
  std::vector<LayerRow> rows;
  llvm::StringMap<size_t> byName;
  for (const LayerRow &b : before) {
    LayerRow r;
    r.name = b.name;
    r.kind = b.kind;
    r.before = b.after;
    byName[b.kind + "/" + b.name] = rows.size();
    rows.push_back(std::move(r));
  }
  for (const LayerRow &a : after) {
    auto it = byName.find(a.kind + "/" + a.name);
    if (it != byName.end() && !rows[it->second].after) {
      rows[it->second].after = a.after;
      continue;
    }
    LayerRow r;
    r.name = a.name;
    r.kind = a.kind;
    r.after = a.after;
    rows.push_back(std::move(r));
  }
  return rows;
}

//===----------------------------------------------------------------------===//
// Renderings
//===----------------------------------------------------------------------===//

static std::string percentChange(double before, double after) {
  if (before == 0)
    return after == 0 ? "0%" : "new";
  std::string text;
  llvm::raw_string_ostream(text)
      << llvm::format("%+.1f%%", 100.0 * (after - before) / before);
  return text;
}

static std::string quality(const std::optional<double> &q) {
  return q ? llvm::formatv("{0:f2}%", 100.0 * *q).str() : "-";
}

namespace {
/// One line of the totals table.
struct TotalLine {
  const char *what;
  double before, after;
  bool integral;
};
} // namespace

static std::vector<TotalLine> totals(const PruneReport &r) {
  std::vector<TotalLine> lines = {
      {"params (non-zero)", double(r.before.total.params),
       double(r.after.total.params), true},
      {"flash: constants (bytes)", double(r.before.weightBytes),
       double(r.after.weightBytes), true},
  };
  if (r.before.codeBytes && r.after.codeBytes)
    lines.push_back({"flash: code (bytes)", double(*r.before.codeBytes),
                     double(*r.after.codeBytes), true});
  lines.push_back({"peak RAM: arena (bytes)", double(r.before.arenaBytes),
                   double(r.after.arenaBytes), true});
  lines.push_back(
      {"MACs", double(r.before.total.macs), double(r.after.total.macs), true});
  lines.push_back({"instructions (estimated)", r.before.total.instructions,
                   r.after.total.instructions, true});
  return lines;
}

std::string tinyprune::summaryTable(const PruneReport &r) {
  std::string s;
  llvm::raw_string_ostream os(s);
  os << llvm::formatv("{0,-28} {1,14} {2,14} {3,9}\n", "", "before", "after",
                      "change");
  for (const TotalLine &l : totals(r))
    os << llvm::formatv("{0,-28} {1,14} {2,14} {3,9}\n", l.what,
                        int64_t(std::llround(l.before)),
                        int64_t(std::llround(l.after)),
                        percentChange(l.before, l.after));
  if (!r.qualityMetric.empty())
    os << llvm::formatv(
        "{0,-28} {1,14} {2,14}\n",
        (r.qualityMetric + " (" + Twine(r.evalSamples) + " samples)").str(),
        quality(r.before.quality), quality(r.after.quality));
  return s;
}

std::string tinyprune::reportMarkdown(const PruneReport &r) {
  std::string s;
  llvm::raw_string_ostream os(s);
  os << "# Pruning report: " << r.model << "\n\n";
  os << "- pipeline: `" << r.pipeline << "`\n";
  os << "- target: " << r.target
     << " (instructions estimated by the cost model, docs/cost-model.md)\n";
  if (!r.data.empty())
    os << "- data: " << r.data << (r.labels.empty() ? "" : ", labels: ")
       << r.labels << " (" << r.evalSamples << " samples evaluated)\n";
  os << "- code: " << r.codeNote << "\n";
  os << "- the pruned `.tflite` holds pruned layers dense, their pruned "
        "weights as zeros: TFLite and TFLite Micro have no sparse "
        "convolution kernels; the C++ uses tinyprune's sparse kernels\n\n";
  os << "## Totals\n\n| | before | after | change |\n|---|---:|---:|---:|\n";
  for (const TotalLine &l : totals(r))
    os << "| " << l.what << " | " << int64_t(std::llround(l.before)) << " | "
       << int64_t(std::llround(l.after)) << " | "
       << percentChange(l.before, l.after) << " |\n";
  if (!r.qualityMetric.empty())
    os << "| " << r.qualityMetric << " | " << quality(r.before.quality) << " | "
       << quality(r.after.quality) << " | |\n";
  os << "\n## Layers\n\n"
        "| layer | kind | params | flash B | MACs | instructions | "
        "instructions change |\n|---|---|---:|---:|---:|---:|---:|\n";
  auto pair = [](std::optional<LayerFigures> b, std::optional<LayerFigures> a,
                 auto get) {
    std::string x = b ? std::to_string(int64_t(std::llround(get(*b)))) : "-";
    std::string y = a ? std::to_string(int64_t(std::llround(get(*a)))) : "-";
    return x == y ? x : x + " → " + y;
  };
  for (const LayerRow &l : r.layers) {
    os << "| " << l.name << " | " << l.kind << " | "
       << pair(l.before, l.after,
               [](const LayerFigures &f) { return double(f.params); })
       << " | "
       << pair(l.before, l.after,
               [](const LayerFigures &f) { return double(f.flashBytes); })
       << " | "
       << pair(l.before, l.after,
               [](const LayerFigures &f) { return double(f.macs); })
       << " | "
       << pair(l.before, l.after,
               [](const LayerFigures &f) { return f.instructions; })
       << " | "
       << (l.before && l.after
               ? percentChange(l.before->instructions, l.after->instructions)
               : std::string("-"))
       << " |\n";
  }
  os << "\n![per-layer instructions and flash](layers.svg)\n";
  return s;
}

static llvm::json::Value figuresJson(const std::optional<LayerFigures> &f) {
  if (!f)
    return nullptr;
  return llvm::json::Object{{"params", f->params},
                            {"flash_bytes", f->flashBytes},
                            {"macs", f->macs},
                            {"instructions", f->instructions}};
}

static llvm::json::Value modelJson(const ModelFigures &m) {
  llvm::json::Object o{{"params", m.total.params},
                       {"flash_constant_bytes", m.weightBytes},
                       {"arena_bytes", m.arenaBytes},
                       {"macs", m.total.macs},
                       {"instructions", m.total.instructions}};
  o["flash_code_bytes"] = m.codeBytes ? llvm::json::Value(*m.codeBytes)
                                      : llvm::json::Value(nullptr);
  o["quality"] =
      m.quality ? llvm::json::Value(*m.quality) : llvm::json::Value(nullptr);
  return o;
}

llvm::json::Value tinyprune::reportJson(const PruneReport &r) {
  llvm::json::Array layers;
  for (const LayerRow &l : r.layers)
    layers.push_back(llvm::json::Object{{"name", l.name},
                                        {"kind", l.kind},
                                        {"before", figuresJson(l.before)},
                                        {"after", figuresJson(l.after)}});
  return llvm::json::Object{{"model", r.model},
                            {"pipeline", r.pipeline},
                            {"target", r.target},
                            {"data", r.data},
                            {"labels", r.labels},
                            {"quality_metric", r.qualityMetric},
                            {"eval_samples", r.evalSamples},
                            {"code_note", r.codeNote},
                            {"before", modelJson(r.before)},
                            {"after", modelJson(r.after)},
                            {"layers", std::move(layers)}};
}

/// `s` with the characters XML gives a meaning escaped.
static std::string xmlEscape(llvm::StringRef s) {
  std::string out;
  llvm::raw_string_ostream os(out);
  llvm::printHTMLEscaped(s, os);
  return out;
}

std::string tinyprune::reportSvg(const PruneReport &r) {
  // Two panels (instructions, flash), one group of two bars per layer.
  const double barW = 10, gap = 8, left = 70, panelH = 180, top = 40,
               labelH = 110;
  size_t n = r.layers.size();
  double width = std::max(640.0, left + n * (2 * barW + gap) + 20);
  double height = top + 2 * (panelH + 30) + labelH;
  std::string s;
  llvm::raw_string_ostream os(s);
  os << llvm::formatv("<svg xmlns=\"http://www.w3.org/2000/svg\" "
                      "width=\"{0}\" height=\"{1}\" font-family=\"sans-serif\" "
                      "font-size=\"10\">\n",
                      int(width), int(height));
  os << "<text x=\"" << int(left) << "\" y=\"16\" font-size=\"13\">"
     << xmlEscape(r.model) << ": per layer, before (grey) and after (blue) "
     << xmlEscape(r.pipeline) << "</text>\n";
  struct Panel {
    const char *title;
    double (*get)(const LayerFigures &);
  };
  Panel panels[] = {{"estimated instructions",
                     [](const LayerFigures &f) { return f.instructions; }},
                    {"flash bytes (constants)", [](const LayerFigures &f) {
                       return double(f.flashBytes);
                     }}};
  for (int p = 0; p < 2; ++p) {
    double y0 = top + p * (panelH + 30);
    double maxV = 0;
    for (const LayerRow &l : r.layers) {
      if (l.before)
        maxV = std::max(maxV, panels[p].get(*l.before));
      if (l.after)
        maxV = std::max(maxV, panels[p].get(*l.after));
    }
    if (maxV <= 0)
      maxV = 1;
    os << llvm::formatv("<text x=\"4\" y=\"{0}\">{1}</text>\n", int(y0 + 10),
                        panels[p].title);
    os << llvm::formatv("<text x=\"4\" y=\"{0}\">{1}</text>\n", int(y0 + 24),
                        int64_t(std::llround(maxV)));
    os << llvm::formatv("<line x1=\"{0}\" y1=\"{1}\" x2=\"{2}\" y2=\"{1}\" "
                        "stroke=\"black\"/>\n",
                        int(left), int(y0 + panelH), int(width - 10));
    for (size_t i = 0; i < n; ++i) {
      const LayerRow &l = r.layers[i];
      double x = left + i * (2 * barW + gap);
      auto bar = [&](const std::optional<LayerFigures> &f, double dx,
                     const char *color) {
        if (!f)
          return;
        double h = panelH * panels[p].get(*f) / maxV;
        os << llvm::formatv("<rect x=\"{0}\" y=\"{1:f1}\" width=\"{2}\" "
                            "height=\"{3:f1}\" fill=\"{4}\"><title>{5}: "
                            "{6}</title></rect>\n",
                            x + dx, y0 + panelH - h, barW, h, color,
                            xmlEscape(l.name),
                            int64_t(std::llround(panels[p].get(*f))));
      };
      bar(l.before, 0, "#999999");
      bar(l.after, barW, "#1f77b4");
    }
  }
  double yl = top + 2 * (panelH + 30) - 20;
  for (size_t i = 0; i < n; ++i) {
    double x = left + i * (2 * barW + gap) + barW;
    os << llvm::formatv("<text transform=\"translate({0},{1}) rotate(60)\">"
                        "{2}</text>\n",
                        x, yl, xmlEscape(r.layers[i].name));
  }
  os << "</svg>\n";
  return s;
}
