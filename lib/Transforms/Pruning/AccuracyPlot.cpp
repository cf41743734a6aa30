//===- AccuracyPlot.cpp - Accuracy against size as an SVG plot -----------===//
//
// AccuracyPlot.h: axes from 0 to the largest parameter count and around
// the accuracies shown, ticks, the points and their labels.
//
//===----------------------------------------------------------------------===//

#include "tinyprune/Transforms/Pruning/AccuracyPlot.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/raw_ostream.h"

#include <algorithm>
#include <cmath>

using namespace tinyprune;
using namespace tinyprune::pruning;

/// `s` with the characters XML gives a meaning escaped.
static std::string escape(llvm::StringRef s) {
  std::string out;
  llvm::raw_string_ostream os(out);
  llvm::printHTMLEscaped(s, os);
  return out;
}

std::string AccuracyPlot::svg() const {
  // Validation accuracy against parameters, one point per trained
  // candidate, the model's accuracy as a dashed line.
  const double w = 640, h = 400, left = 70, right = 20, top = 30, bottom = 50;
  double maxParams = std::max<double>(1.0, double(modelParams)), minAcc = 100,
         maxAcc = 0;
  for (const Point &p : points) {
    maxParams = std::max(maxParams, double(p.params));
    minAcc = std::min(minAcc, p.accuracy);
    maxAcc = std::max(maxAcc, p.accuracy);
  }
  if (modelAccuracy) {
    minAcc = std::min(minAcc, *modelAccuracy);
    maxAcc = std::max(maxAcc, *modelAccuracy);
  }
  if (minAcc > maxAcc) {
    minAcc = 0;
    maxAcc = 100;
  }
  minAcc = std::floor(minAcc - 1);
  maxAcc = std::ceil(maxAcc + 1);
  auto px = [&](double params) {
    return left + (w - left - right) * params / maxParams;
  };
  auto py = [&](double acc) {
    return top + (h - top - bottom) * (maxAcc - acc) / (maxAcc - minAcc);
  };
  std::string text;
  llvm::raw_string_ostream os(text);
  os << llvm::formatv("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{0}\" "
                      "height=\"{1}\" font-family=\"sans-serif\" "
                      "font-size=\"11\">\n",
                      w, h);
  os << llvm::formatv("<rect width=\"{0}\" height=\"{1}\" fill=\"white\"/>\n",
                      w, h);
  os << llvm::formatv("<line x1=\"{0}\" y1=\"{1}\" x2=\"{2}\" y2=\"{1}\" "
                      "stroke=\"black\"/>\n",
                      left, h - bottom, w - right);
  os << llvm::formatv("<line x1=\"{0}\" y1=\"{1}\" x2=\"{0}\" y2=\"{2}\" "
                      "stroke=\"black\"/>\n",
                      left, top, h - bottom);
  os << llvm::formatv("<text x=\"{0}\" y=\"{1}\" text-anchor=\"middle\">"
                      "parameters (model: {2})</text>\n",
                      (left + w - right) / 2, h - 12, modelParams);
  os << llvm::formatv("<text x=\"14\" y=\"{0}\" transform=\"rotate(-90 14 "
                      "{0})\" text-anchor=\"middle\">validation top-1 "
                      "%</text>\n",
                      (top + h - bottom) / 2);
  for (int k = 0; k <= 4; ++k) {
    double acc = minAcc + (maxAcc - minAcc) * k / 4;
    os << llvm::formatv("<text x=\"{0}\" y=\"{1}\" text-anchor=\"end\">{2:F1}"
                        "</text>\n",
                        left - 4, py(acc) + 4, acc);
    double params = maxParams * k / 4;
    os << llvm::formatv("<text x=\"{0}\" y=\"{1}\" text-anchor=\"middle\">{2}"
                        "</text>\n",
                        px(params), h - bottom + 14, int64_t(params));
  }
  if (modelAccuracy) {
    os << llvm::formatv("<line x1=\"{0}\" y1=\"{1}\" x2=\"{2}\" y2=\"{1}\" "
                        "stroke=\"gray\" stroke-dasharray=\"4 3\"/>\n",
                        left, py(*modelAccuracy), w - right);
    os << llvm::formatv("<circle cx=\"{0}\" cy=\"{1}\" r=\"4\" "
                        "fill=\"gray\"/>\n",
                        px(modelParams), py(*modelAccuracy));
  }
  for (const Point &p : points) {
    double x = px(double(p.params)), y = py(p.accuracy);
    os << llvm::formatv("<circle cx=\"{0:F1}\" cy=\"{1:F1}\" r=\"4\" "
                        "fill=\"{2}\"/>\n",
                        x, y, p.highlight ? "red" : "steelblue");
    os << llvm::formatv("<text x=\"{0:F1}\" y=\"{1:F1}\" font-size=\"9\">{2}"
                        "</text>\n",
                        x + 5, y - 5, escape(p.label));
  }
  os << "</svg>\n";
  return text;
}

llvm::Error AccuracyPlot::write(llvm::StringRef path) const {
  std::error_code ec;
  llvm::raw_fd_ostream file(path, ec);
  if (ec)
    return llvm::createStringError("cannot write '" + path.str() +
                                   "': " + ec.message());
  file << svg();
  return llvm::Error::success();
}
