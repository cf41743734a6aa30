//===- PruningReport.cpp - The per-layer table of a pruning pass ----------===//
//
// Prints the `report=` table of the pruning passes (PruningReport.h).
//
//===----------------------------------------------------------------------===//

#include "tinyprune/Transforms/Pruning/PruningReport.h"

#include "mlir/IR/Location.h"
#include "mlir/IR/Operation.h"
#include "tinyprune/Support/Files.h"

#include "llvm/Support/Format.h"

using namespace tinyprune;
using namespace tinyprune::pruning;

std::string pruning::shortNumber(double v) {
  std::string s;
  llvm::raw_string_ostream(s) << llvm::format("%g", v);
  return s;
}

std::string pruning::layerName(mlir::Operation *op) {
  if (auto loc = op->getLoc()->findInstanceOf<mlir::NameLoc>())
    return loc.getName().str();
  return "?";
}

void PruningReport::print(llvm::raw_ostream &os) const {
  bool costModel = core.has_value();
  os << pass << ": " << asked;
  if (calibrated)
    os << ", calibrated" << (recovered ? ", weights re-solved" : "");
  os << "\n"
     << llvm::format("%5s %-28s %16s %6s %10s %10s %9s", "layer", "name",
                     "weight", "block", unitName.c_str(), "kept", "sparsity");
  if (calibrated)
    os << llvm::format(" %10s %10s", "err-masked", "err-solved");
  if (costModel)
    os << llvm::format(" %17s %21s", "flash B dense/now",
                       "instructions dense/now");
  os << "\n";
  int64_t total = 0, kept = 0, payTotal = 0, payKept = 0;
  for (auto [i, row] : llvm::enumerate(rows)) {
    std::string name = row.name;
    if (name.size() > 28)
      name = name.substr(0, 25) + "...";
    double ratio = row.units ? double(row.removed()) / double(row.units) : 0.0;
    os << llvm::format("%5zu %-28s %16s %6lld %10lld %10lld %9.3f", i,
                       name.c_str(), row.shape.c_str(),
                       (long long)row.weightsPerUnit, (long long)row.units,
                       (long long)row.kept, ratio);
    if (calibrated) {
      // Squared output error relative to the output energy.
      double e = row.outputEnergy > 0 ? row.outputEnergy : 1.0;
      if (row.removed())
        os << llvm::format(" %10.4f %10.4f", row.maskedError / e,
                           row.solvedError / e);
      else
        os << llvm::format(" %10s %10s", "-", "-");
    }
    if (costModel) {
      os << llvm::format(" %8lld/%-8lld %10.0f/%-10.0f",
                         (long long)row.dense.flashBytes,
                         (long long)row.now.flashBytes, row.dense.instructions,
                         row.now.instructions);
      if (row.keptDense)
        os << " dense: the sparse form does not pay";
    }
    os << "\n";
    total += row.units * row.weightsPerUnit;
    kept += row.kept * row.weightsPerUnit;
    if (!row.keptDense) {
      payTotal += row.units * row.weightsPerUnit;
      payKept += row.kept * row.weightsPerUnit;
    }
  }
  os << llvm::format("total: %lld of %lld eligible weights kept (sparsity "
                     "%.4f",
                     (long long)kept, (long long)total,
                     total ? 1.0 - double(kept) / total : 0.0);
  // A ratio counts only the layers where the sparse form pays.
  if (payTotal != total)
    os << llvm::format("; %.4f of the %lld weights of layers where the "
                       "sparse form pays",
                       payTotal ? 1.0 - double(payKept) / payTotal : 0.0,
                       (long long)payTotal);
  os << ")\n";
  for (const std::string &note : notes)
    os << note << "\n";
  if (costModel) {
    LayerCost before = rest, after = rest;
    for (const ReportRow &row : rows) {
      before += row.dense;
      after += row.now;
    }
    os << llvm::format(
        "%s estimate: flash %lld -> %lld bytes, %.0f -> %.0f "
        "instructions, %lld -> %lld MACs\n",
        mcuCoreName(*core).str().c_str(), (long long)before.flashBytes,
        (long long)after.flashBytes, before.instructions, after.instructions,
        (long long)before.macs, (long long)after.macs);
  }
}

llvm::Error PruningReport::write(llvm::StringRef path,
                                 llvm::ArrayRef<std::string> inputs) const {
  if (path == "-") {
    print(llvm::outs());
    return llvm::Error::success();
  }
  // Atomically, and never over an input: the pass's data, or a file the
  // process has read (the model).
  std::string text;
  llvm::raw_string_ostream os(text);
  print(os);
  return writeOutputFile(path, text, inputs);
}
