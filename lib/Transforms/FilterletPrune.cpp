//===- FilterletPrune.cpp - DTMM filterlet pruning ------------------------===//
//
// --filterlet-prune: ranks the filterlets of every eligible convolution by
// their layer-adaptive magnitude score (LAMP on filterlet energies), prunes
// the lowest across the model until the requested share of weights is gone,
// zeroes them in the weights and records the kept ones in a
// `tinyprune.filterlets` attribute.
//
//===----------------------------------------------------------------------===//

#include "tinyprune/Transforms/Passes.h"

#include "tinyprune/Dialect/TinyPrune.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/Support/FileUtilities.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/ToolOutputFile.h"
#include "llvm/Support/raw_ostream.h"

#include <algorithm>
#include <numeric>

namespace tinyprune {
#define GEN_PASS_DEF_FILTERLETPRUNE
#include "tinyprune/Transforms/Passes.h.inc"
} // namespace tinyprune

using namespace mlir;
using namespace tinyprune;

namespace {

/// One eligible convolution and what the pass decides for it.
struct Layer {
  tosa::Conv2DOp conv;
  tosa::ConstOp weightOp;
  int64_t filters = 0, positions = 0, channels = 0, block = 0;
  /// Filterlets per filter and elements per filterlet.
  int64_t perFilter = 0;
  /// Squared L2 norm of each filterlet (real-valued weights), filter-major.
  std::vector<double> energy;
  std::vector<bool> pruned;
  int64_t prunedCount = 0;
  /// A fixed ratio from `layer-sparsity`, or < 0.
  double fixedRatio = -1.0;

  int64_t count() const { return filters * perFilter; }
  double sparsity() const {
    return count() ? double(prunedCount) / double(count()) : 0.0;
  }
};

/// The largest divisor of `n` that is at most `limit` (at least 1).
int64_t largestDivisorAtMost(int64_t n, int64_t limit) {
  for (int64_t d = std::min(n, limit); d > 1; --d)
    if (n % d == 0)
      return d;
  return 1;
}

struct FilterletPrunePass
    : public tinyprune::impl::FilterletPruneBase<FilterletPrunePass> {
  using FilterletPruneBase::FilterletPruneBase;

  void runOnOperation() override;

private:
  LogicalResult checkOptions();
  /// The eligible convolutions of the module, with filterlet energies.
  std::vector<Layer> collectLayers();
  /// Marks filterlets pruned: fixed layers first, then by global score.
  LogicalResult choose(std::vector<Layer> &layers);
  void rewrite(Layer &layer);
  void writeReport(ArrayRef<Layer> layers);
};

} // namespace

LogicalResult FilterletPrunePass::checkOptions() {
  ModuleOp module = getOperation();
  auto inUnit = [](double v) { return v >= 0.0 && v < 1.0; };
  if (!inUnit(sparsity))
    return module.emitError() << "filterlet-prune: sparsity must be in [0, 1), "
                                 "got "
                              << sparsity.getValue();
  if (block < 1)
    return module.emitError()
           << "filterlet-prune: block must be at least 1, got "
           << block.getValue();
  if (minLayerSparsity < 0.0 || maxLayerSparsity > 1.0 ||
      minLayerSparsity > maxLayerSparsity)
    return module.emitError()
           << "filterlet-prune: need 0 <= min-layer-sparsity <= "
              "max-layer-sparsity <= 1, got "
           << minLayerSparsity.getValue() << " and "
           << maxLayerSparsity.getValue();
  return success();
}

std::vector<Layer> FilterletPrunePass::collectLayers() {
  std::vector<Layer> layers;
  getOperation().walk([&](tosa::Conv2DOp conv) {
    auto weightOp = conv.getWeight().getDefiningOp<tosa::ConstOp>();
    auto wType = dyn_cast<RankedTensorType>(conv.getWeight().getType());
    if (!weightOp || !wType || !wType.hasStaticShape() ||
        conv->hasAttr(TinyPruneDialect::getFilterletsAttrName()))
      return;
    Layer l;
    l.conv = conv;
    l.weightOp = weightOp;
    l.filters = wType.getDimSize(0);
    l.positions = wType.getDimSize(1) * wType.getDimSize(2);
    l.channels = wType.getDimSize(3);
    bool pointwiseLayer = l.positions == 1;
    if (pointwiseLayer && !pointwise)
      return;
    l.block =
        pointwiseLayer ? largestDivisorAtMost(l.channels, block) : l.channels;
    l.perFilter = l.positions * (l.channels / l.block);
    if (l.count() < 2)
      return;
    auto values = cast<DenseElementsAttr>(weightOp.getValues());
    QuantAttr quant = getResultQuant(weightOp);
    bool isFloat = isa<FloatType>(values.getElementType());
    if (!isFloat && !quant)
      return; // Integer weights without a scale have no real magnitude.
    std::vector<double> w;
    w.reserve(values.getNumElements());
    if (isFloat) {
      for (APFloat v : values.getValues<APFloat>())
        w.push_back(v.convertToDouble());
    } else {
      for (const APInt &v : values.getValues<APInt>())
        w.push_back(double(v.getSExtValue()));
    }
    int64_t filterSize = l.positions * l.channels;
    l.energy.assign(l.count(), 0.0);
    for (int64_t o = 0; o < l.filters; ++o) {
      double scale = 1.0;
      if (!isFloat) {
        if (quant.isPerChannel() && quant.getAxis() != 0)
          return; // Scales along another axis: not a conv filter layout.
        scale = quant.getScaleAt(o);
        scale *= scale;
      }
      for (int64_t f = 0; f < l.perFilter; ++f) {
        double e = 0.0;
        const double *p = w.data() + o * filterSize + f * l.block;
        for (int64_t k = 0; k < l.block; ++k)
          e += p[k] * p[k];
        l.energy[o * l.perFilter + f] = e * scale;
      }
    }
    l.pruned.assign(l.count(), false);
    layers.push_back(std::move(l));
  });
  return layers;
}

LogicalResult FilterletPrunePass::choose(std::vector<Layer> &layers) {
  ModuleOp module = getOperation();
  for (const std::string &entry : layerSparsity) {
    auto [indexText, ratioText] = StringRef(entry).split('=');
    unsigned index;
    double ratio;
    if (indexText.trim().getAsInteger(10, index) ||
        ratioText.trim().getAsDouble(ratio))
      return module.emitError() << "filterlet-prune: layer-sparsity entry '"
                                << entry << "' is not INDEX=RATIO";
    if (index >= layers.size())
      return module.emitError()
             << "filterlet-prune: layer-sparsity names layer " << index
             << " but the model has " << layers.size() << " eligible layers";
    if (ratio < 0.0 || ratio > 1.0)
      return module.emitError() << "filterlet-prune: layer " << index
                                << " sparsity must be in [0, 1], got " << ratio;
    layers[index].fixedRatio = ratio;
  }

  // Each layer's filterlets by increasing energy; LAMP score of the k-th:
  // its energy over the energy of it and all larger ones. Candidates are
  // ranked by that score per weight they remove.
  struct Candidate {
    double score;
    size_t layer;
    int64_t filterlet;
  };
  std::vector<Candidate> candidates;
  std::vector<std::vector<int64_t>> byEnergy(layers.size());
  int64_t totalWeights = 0, fixedPruned = 0;
  for (auto [li, l] : llvm::enumerate(layers)) {
    std::vector<int64_t> &order = byEnergy[li];
    order.resize(l.count());
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.end(), [&](int64_t a, int64_t b) {
      return l.energy[a] < l.energy[b];
    });
    totalWeights += l.count() * l.block;
    // Layers with a fixed ratio, and every layer's minimum, first.
    double floorRatio = l.fixedRatio >= 0 ? l.fixedRatio : minLayerSparsity;
    int64_t floorCount = (int64_t)std::llround(floorRatio * l.count());
    for (int64_t k = 0; k < floorCount; ++k)
      l.pruned[order[k]] = true;
    l.prunedCount = floorCount;
    fixedPruned += floorCount * l.block;
    if (l.fixedRatio >= 0)
      continue;
    double tail = 0.0;
    std::vector<double> score(l.count());
    for (int64_t k = l.count() - 1; k >= 0; --k) {
      tail += l.energy[order[k]];
      score[k] = tail > 0.0 ? l.energy[order[k]] / tail : 0.0;
    }
    for (int64_t k = floorCount; k < l.count(); ++k)
      candidates.push_back({score[k] / double(l.block), li, order[k]});
  }
  std::stable_sort(
      candidates.begin(), candidates.end(),
      [](const Candidate &a, const Candidate &b) { return a.score < b.score; });
  int64_t target = (int64_t)std::llround(sparsity * double(totalWeights));
  int64_t prunedWeights = fixedPruned;
  for (const Candidate &c : candidates) {
    if (prunedWeights >= target)
      break;
    Layer &l = layers[c.layer];
    int64_t cap = (int64_t)std::floor(maxLayerSparsity * l.count());
    if (l.prunedCount >= cap)
      continue;
    l.pruned[c.filterlet] = true;
    ++l.prunedCount;
    prunedWeights += l.block;
  }
  // Filterlets come whole: a shortfall below one filterlet is rounding.
  int64_t granule = 1;
  for (const Layer &l : layers)
    granule = std::max(granule, l.block);
  if (target - prunedWeights >= granule)
    return module.emitError()
           << "filterlet-prune: sparsity " << sparsity.getValue()
           << " cannot be reached with max-layer-sparsity "
           << maxLayerSparsity.getValue() << " and the fixed layers (reached "
           << llvm::formatv("{0:F4}", totalWeights
                                          ? double(prunedWeights) / totalWeights
                                          : 0.0)
                  .str()
           << ")";
  return success();
}

void FilterletPrunePass::rewrite(Layer &l) {
  auto values = cast<DenseElementsAttr>(l.weightOp.getValues());
  int64_t filterSize = l.positions * l.channels;
  SmallVector<int32_t> rowPtr{0}, index;
  std::vector<bool> zero(values.getNumElements(), false);
  for (int64_t o = 0; o < l.filters; ++o) {
    for (int64_t f = 0; f < l.perFilter; ++f) {
      if (!l.pruned[o * l.perFilter + f]) {
        index.push_back(static_cast<int32_t>(f));
        continue;
      }
      for (int64_t k = 0; k < l.block; ++k)
        zero[o * filterSize + f * l.block + k] = true;
    }
    rowPtr.push_back(static_cast<int32_t>(index.size()));
  }
  DenseElementsAttr pruned;
  if (isa<FloatType>(values.getElementType())) {
    SmallVector<APFloat> v(values.getValues<APFloat>());
    for (size_t i = 0; i < v.size(); ++i)
      if (zero[i])
        v[i] = APFloat::getZero(v[i].getSemantics());
    pruned = DenseElementsAttr::get(values.getType(), v);
  } else {
    SmallVector<APInt> v(values.getValues<APInt>());
    for (size_t i = 0; i < v.size(); ++i)
      if (zero[i])
        v[i] = APInt::getZero(v[i].getBitWidth());
    pruned = DenseElementsAttr::get(values.getType(), v);
  }
  // A new constant: the old one may feed other layers.
  OpBuilder b(l.conv);
  auto newWeights = cast<tosa::ConstOp>(b.clone(*l.weightOp));
  newWeights.setValuesAttr(pruned);
  l.conv.getWeightMutable().assign(newWeights.getResult());
  if (l.weightOp->use_empty())
    l.weightOp->erase();
  l.weightOp = newWeights;
  l.conv->setAttr(TinyPruneDialect::getFilterletsAttrName(),
                  FilterletsAttr::get(&getContext(), l.block, rowPtr, index));
}

void FilterletPrunePass::writeReport(ArrayRef<Layer> layers) {
  std::string error;
  std::unique_ptr<llvm::ToolOutputFile> file =
      mlir::openOutputFile(report, &error);
  if (!file) {
    getOperation().emitError() << "filterlet-prune: " << error;
    return;
  }
  llvm::raw_ostream &os = file->os();
  os << "filterlet-prune: sparsity " << sparsity.getValue() << "\n"
     << llvm::format("%5s %-28s %16s %6s %10s %10s %9s\n", "layer", "name",
                     "weight", "block", "filterlets", "kept", "sparsity");
  int64_t total = 0, kept = 0;
  for (auto [i, l] : llvm::enumerate(layers)) {
    // The importer names ops after their TFLite output tensor; passes and
    // parsing may wrap that name (fused, call-site or file locations).
    std::string name = "?";
    if (auto loc = l.conv->getLoc()->findInstanceOf<NameLoc>())
      name = loc.getName().str();
    if (name.size() > 28)
      name = name.substr(0, 25) + "...";
    std::string shape =
        llvm::formatv("{0}x{1}x{2}", l.filters, l.positions, l.channels).str();
    os << llvm::format("%5zu %-28s %16s %6lld %10lld %10lld %9.3f\n", i,
                       name.c_str(), shape.c_str(), (long long)l.block,
                       (long long)l.count(),
                       (long long)(l.count() - l.prunedCount), l.sparsity());
    total += l.count() * l.block;
    kept += (l.count() - l.prunedCount) * l.block;
  }
  os << llvm::format("total: %lld of %lld eligible weights kept (sparsity "
                     "%.4f)\n",
                     (long long)kept, (long long)total,
                     total ? 1.0 - double(kept) / total : 0.0);
  file->keep();
}

void FilterletPrunePass::runOnOperation() {
  if (failed(checkOptions()))
    return signalPassFailure();
  std::vector<Layer> layers = collectLayers();
  if (failed(choose(layers)))
    return signalPassFailure();
  for (Layer &l : layers)
    if (l.prunedCount > 0)
      rewrite(l);
  if (!report.empty())
    writeReport(layers);
}
