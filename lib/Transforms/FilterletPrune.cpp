//===- FilterletPrune.cpp - DTMM filterlet pruning ------------------------===//
//
// --filterlet-prune: ranks the filterlets of every eligible convolution,
// prunes the lowest across the model until the requested share of weights
// is gone, zeroes them in the weights and records the kept ones in a
// `tinyprune.filterlets` attribute. Without data the rank is a
// layer-adaptive magnitude score (LAMP on filterlet energies); with
// calibration data it is each filterlet's increase of the layer's output
// reconstruction error, and the kept weights are re-solved by least squares
// (Reconstruction.h) and re-quantized.
//
//===----------------------------------------------------------------------===//

#include "tinyprune/Transforms/Passes.h"

#include "Calibration.h"

#include "tinyprune/Analysis/CostModel.h"
#include "tinyprune/Dialect/TinyPrune.h"
#include "tinyprune/Transforms/Reconstruction.h"
#include "tinyprune/rt/quant_params.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/Support/FileUtilities.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/ToolOutputFile.h"
#include "llvm/Support/raw_ostream.h"

#include <algorithm>
#include <cmath>
#include <functional>
#include <numeric>
#include <queue>

namespace tinyprune {
#define GEN_PASS_DEF_FILTERLETPRUNE
#include "tinyprune/Transforms/Passes.h.inc"
} // namespace tinyprune

using namespace mlir;
using namespace tinyprune;

/// `v` as a user wrote it (%g: 0.5, 1e-05), not as raw_ostream prints a
/// double (5.000000e-01).
static std::string shortNumber(double v) {
  std::string s;
  llvm::raw_string_ostream(s) << llvm::format("%g", v);
  return s;
}

namespace {

/// One eligible convolution and what the pass decides for it.
struct Layer {
  tosa::Conv2DOp conv;
  tosa::ConstOp weightOp;
  int64_t filters = 0, positions = 0, channels = 0, block = 0;
  /// Filterlets per filter and elements per filterlet.
  int64_t perFilter = 0;
  bool isFloat = false;
  /// Per-output-channel weight scales (int8), else empty.
  std::vector<float> weightScale;
  /// Squared L2 norm of each filterlet (real-valued weights), filter-major.
  std::vector<double> energy;
  std::vector<bool> pruned;
  int64_t prunedCount = 0;
  /// A fixed ratio from `layer-sparsity`, or < 0.
  double fixedRatio = -1.0;

  // The cost model's view:
  ConvGeometry geometry;
  /// The layer as it is (dense), from the whole-function estimate.
  LayerCost dense;
  /// Left dense: its sparse form does not pay on the target.
  bool keptDense = false;

  // With calibration data:
  calib::PatchSource source;
  /// Real weights, filters x (filter size + 1), the bias last.
  std::vector<double> weights;
  /// Output energy over the calibration patches and the reconstruction
  /// errors (summed over filters) of the masked and the re-solved weights.
  double outputEnergy = 0, maskedError = 0, solvedError = 0;
  /// Squared change of the model's outputs per unit of squared error at
  /// this layer's output, measured; < 0 when not measured.
  double sensitivity = -1.0;
  bool recovered = false;

  int64_t count() const { return filters * perFilter; }
  int64_t filterSize() const { return positions * channels; }
  double sparsity() const {
    return count() ? double(prunedCount) / double(count()) : 0.0;
  }
  int64_t prunedIn(int64_t filter) const {
    int64_t n = 0;
    for (int64_t f = 0; f < perFilter; ++f)
      n += pruned[filter * perFilter + f];
    return n;
  }
};

/// Filterlets of one layer in the order they should go, with their scores
/// (lower goes first): the pass merges the streams of all layers.
struct Stream {
  size_t layer = 0;
  std::vector<int64_t> filterlets;
  std::vector<double> scores;
  size_t next = 0;
  bool done() const { return next >= filterlets.size(); }
};

/// The largest divisor of `n` that is at most `limit` (at least 1).
int64_t largestDivisorAtMost(int64_t n, int64_t limit) {
  for (int64_t d = std::min(n, limit); d > 1; --d)
    if (n % d == 0)
      return d;
  return 1;
}

/// The values of a constant op as doubles.
std::vector<double> constantValues(tosa::ConstOp op) {
  auto values = cast<DenseElementsAttr>(op.getValues());
  std::vector<double> out;
  out.reserve(values.getNumElements());
  if (isa<FloatType>(values.getElementType())) {
    for (APFloat v : values.getValues<APFloat>())
      out.push_back(v.convertToDouble());
  } else {
    for (const APInt &v : values.getValues<APInt>())
      out.push_back(double(v.getSExtValue()));
  }
  return out;
}

struct FilterletPrunePass
    : public tinyprune::impl::FilterletPruneBase<FilterletPrunePass> {
  using FilterletPruneBase::FilterletPruneBase;

  void runOnOperation() override;

private:
  LogicalResult checkOptions();
  /// The eligible convolutions of the module, with filterlet energies.
  std::vector<Layer> collectLayers();
  /// One stream per layer, by LAMP score on filterlet energies.
  std::vector<Stream> magnitudeStreams(ArrayRef<Layer> layers);
  /// One stream per filter, by OBS error increase on calibration data.
  FailureOr<std::vector<Stream>>
  calibratedStreams(std::vector<Layer> &layers,
                    const calib::CalibrationSet &set);
  /// Measures each layer's sensitivity (the model's output change per unit
  /// of its output error) and scales its streams' scores by it.
  LogicalResult weighByModelError(std::vector<Layer> &layers,
                                  std::vector<Stream> &streams,
                                  const calib::CalibrationSet &set,
                                  func::FuncOp dense, IRMapping &denseMap);
  /// Reads `layer-sparsity` into the layers.
  LogicalResult fixLayers(std::vector<Layer> &layers);
  /// Marks filterlets pruned: fixed layers first, then by global score,
  /// until the sparsity or the budget is reached.
  LogicalResult choose(std::vector<Layer> &layers,
                       std::vector<Stream> &streams);
  /// choose(), then restores the layers whose sparse form does not pay and
  /// chooses again without them, until every pruned layer pays.
  LogicalResult chooseProfitably(std::vector<Layer> &layers,
                                 std::vector<Stream> &streams);
  /// Costs of the layers and of the rest of the model on the target.
  LogicalResult estimateCosts(std::vector<Layer> &layers);
  /// An error about the options or the whole model, at the module's
  /// location and without the module printed after it.
  InFlightDiagnostic modelError() {
    return mlir::emitError(getOperation().getLoc());
  }

  // The cost model.
  enum class Budget { None, Flash, Instructions, Macs };
  LogicalResult parseBudget();
  LayerCost sparseCost(const Layer &l, int64_t kept) const;
  /// What the budget counts (instructions without a budget).
  double metric(const LayerCost &c) const;
  /// Whether `l` with `kept` filterlets is cheaper sparse than dense.
  bool pays(const Layer &l, int64_t kept) const;
  /// The layer's cost as it would be lowered.
  LayerCost currentCost(const Layer &l) const;

  /// target=none turns the cost model off.
  bool costModel = true;
  McuCore core = McuCore::CortexM4;
  Budget budget = Budget::None;
  double budgetValue = 0;
  /// The estimate of everything but the eligible layers.
  LayerCost rest;
  /// Per eligible layer, the moments of its input on the dense model.
  std::vector<recon::Moments> denseMoments;
  /// Re-solves the pruned layers in program order on calibration data.
  LogicalResult recoverLayers(std::vector<Layer> &layers,
                              const calib::CalibrationSet &set,
                              func::FuncOp dense, IRMapping &denseMap);
  /// Re-solves a depthwise convolution's weights and biases, channel by
  /// channel, on the pruned model's inputs against the dense model's
  /// outputs.
  LogicalResult recoverDepthwise(tosa::DepthwiseConv2DOp conv,
                                 const calib::CalibrationSet &set,
                                 func::FuncOp dense, IRMapping &denseMap);
  /// Depthwise convolutions re-solved (for the report).
  int64_t depthwiseRecovered = 0;
  /// Writes re-solved real weights into the layer's constants.
  void writeWeights(Layer &l, ArrayRef<recon::FilterSolution> solutions,
                    ArrayRef<double> inputMean);
  void rewrite(Layer &layer);
  void writeReport(ArrayRef<Layer> layers, bool calibrated);
  void progress(const Twine &message);
};

} // namespace

void FilterletPrunePass::progress(const Twine &message) {
  if (llvm::errs().is_displayed())
    llvm::errs() << "filterlet-prune: " << message << "\n";
}

LogicalResult FilterletPrunePass::checkOptions() {
  auto inUnit = [](double v) { return v >= 0.0 && v < 1.0; };
  if (!inUnit(sparsity))
    return modelError() << "filterlet-prune: sparsity must be in [0, 1), "
                           "got "
                        << shortNumber(sparsity);
  if (block < 1)
    return modelError() << "filterlet-prune: block must be at least 1, got "
                        << block.getValue();
  if (minLayerSparsity < 0.0 || maxLayerSparsity > 1.0 ||
      minLayerSparsity > maxLayerSparsity)
    return modelError() << "filterlet-prune: need 0 <= min-layer-sparsity <= "
                           "max-layer-sparsity <= 1, got "
                        << shortNumber(minLayerSparsity) << " and "
                        << shortNumber(maxLayerSparsity);
  if (calibrationLimit < 0)
    return modelError()
           << "filterlet-prune: calibration-limit must be at least 0, got "
           << calibrationLimit.getValue();
  if (sensitivitySamples < 0)
    return modelError()
           << "filterlet-prune: sensitivity-samples must be at least 0, got "
           << sensitivitySamples.getValue();
  if (clipAware != "none" && clipAware != "depthwise" && clipAware != "all")
    return modelError()
           << "filterlet-prune: clip-aware must be none, depthwise or all, "
              "got '"
           << clipAware.getValue() << "'";
  if (clipIterations < 0)
    return modelError()
           << "filterlet-prune: clip-iterations must be at least 0, got "
           << clipIterations.getValue();
  if (!(damping > 0.0))
    return modelError() << "filterlet-prune: damping must be positive, got "
                        << shortNumber(damping);
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
    l.isFloat = isa<FloatType>(wType.getElementType());
    QuantAttr quant = getResultQuant(weightOp);
    if (!l.isFloat && !quant)
      return; // Integer weights without a scale have no real magnitude.
    if (!l.isFloat) {
      if (quant.isPerChannel() && quant.getAxis() != 0)
        return; // Scales along another axis: not a conv filter layout.
      for (int64_t o = 0; o < l.filters; ++o)
        l.weightScale.push_back(quant.getScaleAt(o));
    }
    std::vector<double> w = constantValues(weightOp);
    l.energy.assign(l.count(), 0.0);
    for (int64_t o = 0; o < l.filters; ++o) {
      double scale = l.isFloat ? 1.0 : double(l.weightScale[o]);
      scale *= scale;
      for (int64_t f = 0; f < l.perFilter; ++f) {
        double e = 0.0;
        const double *p = w.data() + o * l.filterSize() + f * l.block;
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

std::vector<Stream>
FilterletPrunePass::magnitudeStreams(ArrayRef<Layer> layers) {
  // Each layer's filterlets by increasing energy; LAMP score of the k-th:
  // its energy over the energy of it and all larger ones, per weight it
  // removes. Scores increase along the stream.
  std::vector<Stream> streams;
  for (auto [li, l] : llvm::enumerate(layers)) {
    Stream s;
    s.layer = li;
    s.filterlets.resize(l.count());
    std::iota(s.filterlets.begin(), s.filterlets.end(), 0);
    std::stable_sort(
        s.filterlets.begin(), s.filterlets.end(),
        [&](int64_t a, int64_t b) { return l.energy[a] < l.energy[b]; });
    s.scores.resize(l.count());
    double tail = 0.0;
    for (int64_t k = l.count() - 1; k >= 0; --k) {
      tail += l.energy[s.filterlets[k]];
      double lamp = tail > 0.0 ? l.energy[s.filterlets[k]] / tail : 0.0;
      s.scores[k] = lamp / double(l.block);
    }
    streams.push_back(std::move(s));
  }
  return streams;
}

/// Real weights (filters x (size + 1), bias last) of an eligible layer.
static FailureOr<std::vector<double>> realWeights(Layer &l) {
  auto biasOp = l.conv.getBias().getDefiningOp<tosa::ConstOp>();
  if (!biasOp)
    return failure();
  std::vector<double> bias = constantValues(biasOp);
  if (bias.size() != 1 && int64_t(bias.size()) != l.filters)
    return failure();
  std::vector<double> w = constantValues(l.weightOp);
  int64_t size = l.filterSize();
  std::vector<double> out(l.filters * (size + 1));
  for (int64_t o = 0; o < l.filters; ++o) {
    double scale = l.isFloat ? 1.0 : double(l.weightScale[o]);
    // TFLite: the bias is quantized with input scale x weight scale.
    double biasScale = l.isFloat ? 1.0 : double(l.source.scale) * scale;
    double *row = out.data() + o * (size + 1);
    for (int64_t k = 0; k < size; ++k)
      row[k] = w[o * size + k] * scale;
    row[size] = bias[bias.size() == 1 ? 0 : o] * biasScale;
  }
  return out;
}

/// Patches per sample for a layer: enough for a well-determined solve
/// (about 64 per unknown), at most 32768 in all.
static int64_t patchesPerSample(const calib::PatchSource &src, size_t samples) {
  int64_t total = std::clamp<int64_t>(256 * (src.dims() + 1), 16384, 65536);
  return std::max<int64_t>(1, (total + samples - 1) / samples);
}

FailureOr<std::vector<Stream>>
FilterletPrunePass::calibratedStreams(std::vector<Layer> &layers,
                                      const calib::CalibrationSet &set) {
  func::FuncOp func = layers.front().conv->getParentOfType<func::FuncOp>();
  std::vector<calib::ProbeTarget> targets;
  for (Layer &l : layers) {
    calib::ProbeTarget t;
    t.input = l.conv.getInput();
    t.source = l.source;
    t.patchesPerSample = patchesPerSample(l.source, set.size());
    targets.push_back(t);
  }
  progress(llvm::formatv("measuring {0} layers on {1}", layers.size(),
                         set.describe()));
  std::vector<recon::Moments> &moments = denseMoments;
  if (failed(
          calib::collectMoments(func, nullptr, targets, set, threads, moments)))
    return failure();

  std::vector<Stream> streams;
  for (auto [li, l] : llvm::enumerate(layers)) {
    progress(llvm::formatv("ranking layer {0}/{1}", li + 1, layers.size()));
    recon::LayerSolver solver(moments[li], {l.block, l.perFilter}, damping);
    int64_t size = l.filterSize() + 1;
    std::vector<recon::RemovalPath> paths(l.filters);
    calib::parallelFor(l.filters, threads, [&](int64_t o) {
      paths[o] = solver.removalPath(
          ArrayRef<double>(l.weights).slice(o * size, size), l.perFilter);
    });
    l.outputEnergy = 0;
    for (int64_t o = 0; o < l.filters; ++o)
      l.outputEnergy += solver.outputEnergy(
          ArrayRef<double>(l.weights).slice(o * size, size));
    // Error increase relative to the layer's output, per weight removed.
    double norm = l.outputEnergy > 0 ? l.outputEnergy : 1.0;
    for (int64_t o = 0; o < l.filters; ++o) {
      Stream s;
      s.layer = li;
      for (auto [g, cost] : llvm::zip(paths[o].order, paths[o].cost)) {
        s.filterlets.push_back(o * l.perFilter + g);
        s.scores.push_back(cost / norm / double(l.block));
      }
      streams.push_back(std::move(s));
    }
  }
  return streams;
}

/// The mean of the input patches of `m` (the bias coordinate dropped).
static std::vector<double> meanPatch(const recon::Moments &m) {
  int64_t size = m.size();
  const std::vector<double> &h = m.h();
  std::vector<double> mean(size - 1);
  double count = std::max<double>(1.0, double(m.count()));
  for (int64_t k = 0; k + 1 < size; ++k)
    mean[k] = h[(size - 1) * size + k] / count;
  return mean;
}

LogicalResult FilterletPrunePass::weighByModelError(
    std::vector<Layer> &layers, std::vector<Stream> &streams,
    const calib::CalibrationSet &set, func::FuncOp dense, IRMapping &denseMap) {
  size_t samples = std::min<size_t>(sensitivitySamples, set.size());
  if (samples == 0 || layers.empty())
    return success();
  FailureOr<std::vector<std::vector<double>>> reference =
      calib::runOutputs(dense, set, samples, threads);
  if (failed(reference))
    return failure();
  std::vector<std::vector<size_t>> byLayer(layers.size());
  for (auto [si, s] : llvm::enumerate(streams))
    byLayer[s.layer].push_back(si);

  // The model's output change (squared, per sample) with `removed` pruned
  // from layer `li` alone and the rest of that layer re-solved, and the
  // layer's own error (in the units of the streams' costs).
  auto trial = [&](size_t li, const std::vector<bool> &removed,
                   double &layerError) -> FailureOr<double> {
    Layer &l = layers[li];
    recon::LayerSolver solver(denseMoments[li], {l.block, l.perFilter},
                              damping);
    int64_t size = l.filterSize() + 1;
    std::vector<recon::FilterSolution> solutions(l.filters);
    calib::parallelFor(l.filters, threads, [&](int64_t o) {
      std::vector<bool> mine(removed.begin() + o * l.perFilter,
                             removed.begin() + (o + 1) * l.perFilter);
      solutions[o] =
          solver.solve(ArrayRef<double>(l.weights).slice(o * size, size), mine);
    });
    layerError = 0;
    for (const recon::FilterSolution &s : solutions)
      layerError += s.solvedError;
    IRMapping trialMap;
    OwningOpRef<func::FuncOp> copy(cast<func::FuncOp>(dense->clone(trialMap)));
    Layer t;
    t.conv = trialMap.lookup(denseMap.lookup(l.conv.getResult()))
                 .getDefiningOp<tosa::Conv2DOp>();
    t.weightOp = t.conv.getWeight().getDefiningOp<tosa::ConstOp>();
    t.filters = l.filters;
    t.positions = l.positions;
    t.channels = l.channels;
    t.isFloat = l.isFloat;
    t.weightScale = l.weightScale;
    t.source = l.source;
    writeWeights(t, solutions, meanPatch(denseMoments[li]));
    FailureOr<std::vector<std::vector<double>>> outputs =
        calib::runOutputs(*copy, set, samples, threads);
    if (failed(outputs))
      return failure();
    double change = 0;
    for (size_t s = 0; s < samples; ++s)
      for (auto [a, b] : llvm::zip((*outputs)[s], (*reference)[s]))
        change += (a - b) * (a - b);
    return change / double(samples);
  };

  // Measured at these layer sparsities (within the layer bounds); between
  // them the change is taken as linear in the layer's error.
  std::vector<double> levels;
  for (double v : {0.25, 0.5, 0.75, 1.0}) {
    v = std::clamp(v, minLayerSparsity.getValue(), maxLayerSparsity.getValue());
    if (v > 0 && (levels.empty() || v > levels.back()))
      levels.push_back(v);
  }
  // Competing layers whose trials moved no output, and the least slope
  // measured elsewhere.
  std::vector<size_t> unmeasured;
  double least = -1;
  for (auto [li, l] : llvm::enumerate(layers)) {
    if (l.fixedRatio >= 0)
      continue;
    progress(
        llvm::formatv("sensitivity of layer {0}/{1}", li + 1, layers.size()));
    // The layer's filterlets in the order its streams give them, with the
    // error each adds.
    std::vector<int64_t> order;
    std::vector<double> cost;
    using Head = std::pair<double, size_t>;
    std::priority_queue<Head, std::vector<Head>, std::greater<Head>> heads;
    std::vector<size_t> next(streams.size(), 0);
    for (size_t si : byLayer[li])
      if (!streams[si].filterlets.empty())
        heads.push({streams[si].scores[0], si});
    while (!heads.empty()) {
      size_t si = heads.top().second;
      heads.pop();
      const Stream &s = streams[si];
      order.push_back(s.filterlets[next[si]]);
      cost.push_back(s.scores[next[si]]);
      if (++next[si] < s.filterlets.size())
        heads.push({s.scores[next[si]], si});
    }
    // Per level: the first `count` of that order removed.
    std::vector<int64_t> rank(l.count(), 0);
    for (auto [r, f] : llvm::enumerate(order))
      rank[f] = int64_t(r);
    std::vector<int64_t> ends;
    std::vector<double> slope;
    std::vector<bool> removed(l.count(), false);
    int64_t done = 0;
    double lastChange = 0, lastError = 0, steepest = 0;
    for (double v : levels) {
      int64_t count = std::min<int64_t>(
          (int64_t)std::llround(v * double(l.count())), int64_t(order.size()));
      if (count <= done)
        continue;
      for (; done < count; ++done)
        removed[order[done]] = true;
      double error = 0;
      FailureOr<double> change = trial(li, removed, error);
      if (failed(change))
        return failure();
      // The change per unit error on this stretch, never less than on the
      // stretches before (the order stays the layer's own).
      double dError = error - lastError, dChange = *change - lastChange;
      double g = dError > 0 ? std::max(0.0, dChange) / dError : 0;
      steepest = std::max(steepest, g);
      ends.push_back(count);
      slope.push_back(steepest);
      lastChange = *change;
      lastError = error;
    }
    if (ends.empty() || steepest <= 0) {
      unmeasured.push_back(li);
      continue;
    }
    // Slopes never decrease along the layer: its least positive one.
    double gentlest = *llvm::find_if(slope, [](double g) { return g > 0; });
    least = least < 0 ? gentlest : std::min(least, gentlest);
    l.sensitivity = lastError > 0 ? lastChange / lastError : 0;
    // Scores: the streams' costs (relative to the output energy, per
    // weight) back in error units, times the slope of their stretch.
    double norm = l.outputEnergy > 0 ? l.outputEnergy : 1.0;
    for (size_t si : byLayer[li]) {
      Stream &s = streams[si];
      for (auto [f, score] : llvm::zip(s.filterlets, s.scores)) {
        size_t j =
            std::upper_bound(ends.begin(), ends.end(), rank[f]) - ends.begin();
        score *= norm * slope[std::min(j, slope.size() - 1)];
      }
    }
  }
  // A layer whose trials moved no output is at most as sensitive as the
  // least sensitive stretch measured: its scores take that slope, so that
  // all competing scores are in the same units. (Nothing measured at all:
  // every layer keeps its relative errors.)
  if (least > 0) {
    for (size_t li : unmeasured) {
      const Layer &l = layers[li];
      double norm = l.outputEnergy > 0 ? l.outputEnergy : 1.0;
      for (size_t si : byLayer[li])
        for (double &score : streams[si].scores)
          score *= norm * least;
    }
  }
  return success();
}

LogicalResult FilterletPrunePass::fixLayers(std::vector<Layer> &layers) {
  for (const std::string &entry : layerSparsity) {
    auto [indexText, ratioText] = StringRef(entry).split('=');
    unsigned index;
    double ratio;
    if (indexText.trim().getAsInteger(10, index) ||
        ratioText.trim().getAsDouble(ratio))
      return modelError() << "filterlet-prune: layer-sparsity entry '" << entry
                          << "' is not INDEX=RATIO";
    if (index >= layers.size())
      return modelError() << "filterlet-prune: layer-sparsity names layer "
                          << index << " but the model has " << layers.size()
                          << " eligible layers";
    if (ratio < 0.0 || ratio > 1.0)
      return modelError() << "filterlet-prune: layer " << index
                          << " sparsity must be in [0, 1], got " << ratio;
    layers[index].fixedRatio = ratio;
  }
  return success();
}

/// "12000", "48K", "1.5M" (K, M: 1024, 1024^2 for bytes; k, M: 1000,
/// 10^6 for counts), optionally followed by `unit`.
static std::optional<double> parseQuantity(StringRef text, bool binary,
                                           StringRef unit, bool &hadUnit) {
  text = text.trim();
  hadUnit = !unit.empty() && text.consume_back(unit);
  double scale = 1;
  if (text.consume_back("K") || text.consume_back("k"))
    scale = binary ? 1024 : 1000;
  else if (text.consume_back("M"))
    scale = binary ? 1024 * 1024 : 1e6;
  double v;
  if (text.getAsDouble(v) || !(v > 0))
    return std::nullopt;
  return v * scale;
}

LogicalResult FilterletPrunePass::parseBudget() {
  costModel = target != "none";
  std::optional<McuCore> c = parseMcuCore(target);
  if (costModel && !c)
    return modelError() << "filterlet-prune: unknown target '"
                        << target.getValue()
                        << "' (cortex-m0plus, cortex-m4, cortex-m7, or none)";
  if (c)
    core = *c;
  if (!flashBudget.empty() && !latencyBudget.empty())
    return modelError() << "filterlet-prune: give flash-budget or "
                           "latency-budget, not both";
  bool hadUnit = false;
  if (!flashBudget.empty()) {
    std::optional<double> v = parseQuantity(flashBudget, true, "", hadUnit);
    if (!v)
      return modelError()
             << "filterlet-prune: flash-budget '" << flashBudget.getValue()
             << "' is not a positive byte count (like 48000, 48K or 1M)";
    budget = Budget::Flash;
    budgetValue = *v;
  } else if (!latencyBudget.empty()) {
    std::optional<double> v =
        parseQuantity(latencyBudget, false, "macs", hadUnit);
    if (!v)
      return modelError()
             << "filterlet-prune: latency-budget '" << latencyBudget.getValue()
             << "' is not a positive instruction count (like 12000000 or "
                "12M) or MAC count (like 3Mmacs)";
    budget = hadUnit ? Budget::Macs : Budget::Instructions;
    budgetValue = *v;
  }
  if (budget != Budget::None && !costModel)
    return modelError() << "filterlet-prune: a budget needs a target "
                           "core, not target=none";
  if (budget != Budget::None && sparsity.hasValue())
    return modelError() << "filterlet-prune: give sparsity or a "
                           "budget, not both";
  return success();
}

LayerCost FilterletPrunePass::sparseCost(const Layer &l, int64_t kept) const {
  return sparseConvCost(l.geometry, l.block, kept, l.filters, core);
}

double FilterletPrunePass::metric(const LayerCost &c) const {
  switch (budget) {
  case Budget::Flash:
    return double(c.flashBytes);
  case Budget::Macs:
    return double(c.macs);
  case Budget::None:
  case Budget::Instructions:
    return c.instructions;
  }
  llvm_unreachable("unknown budget");
}

bool FilterletPrunePass::pays(const Layer &l, int64_t kept) const {
  if (!costModel)
    return true;
  LayerCost sparse = sparseCost(l, kept);
  if (budget == Budget::None)
    return sparse.instructions < l.dense.instructions &&
           sparse.flashBytes < l.dense.flashBytes;
  return metric(sparse) < metric(l.dense);
}

LayerCost FilterletPrunePass::currentCost(const Layer &l) const {
  int64_t kept = l.count() - l.prunedCount;
  if (l.prunedCount > 0 && pays(l, kept))
    return sparseCost(l, kept);
  return l.dense;
}

LogicalResult FilterletPrunePass::estimateCosts(std::vector<Layer> &layers) {
  if (!costModel)
    return success();
  llvm::DenseMap<Operation *, Layer *> byConv;
  for (Layer &l : layers) {
    FailureOr<ConvGeometry> g = getConvGeometry(l.conv);
    if (failed(g))
      return l.conv.emitError() << "filterlet-prune: the cost model cannot "
                                   "estimate this convolution (dynamic shape)";
    l.geometry = *g;
    byConv[l.conv] = &l;
  }
  rest = LayerCost();
  for (func::FuncOp func : getOperation().getOps<func::FuncOp>()) {
    for (const OpCost &c : estimateFunction(func, core)) {
      auto it = byConv.find(c.op);
      if (it != byConv.end())
        it->second->dense = c.cost;
      else
        rest += c.cost;
    }
  }
  return success();
}

LogicalResult FilterletPrunePass::choose(std::vector<Layer> &layers,
                                         std::vector<Stream> &streams) {
  for (Layer &l : layers) {
    l.pruned.assign(l.count(), false);
    l.prunedCount = 0;
  }
  for (Stream &s : streams)
    s.next = 0;

  // What one pruned filterlet saves of what the budget counts: sparse cost
  // is linear in the kept filterlets.
  std::vector<double> saving(layers.size(), 0.0);
  for (auto [li, l] : llvm::enumerate(layers))
    saving[li] = budget == Budget::None || !costModel
                     ? double(l.block)
                     : metric(sparseCost(l, l.count())) -
                           metric(sparseCost(l, l.count() - 1));

  // Heads of streams, lowest score per unit saved first; ties go to the
  // earlier stream. Scores are per weight removed.
  using Head = std::pair<double, size_t>;
  auto headOf = [&](size_t si) {
    const Stream &s = streams[si];
    double perUnit = s.scores[s.next] * double(layers[s.layer].block) /
                     std::max(saving[s.layer], 1e-12);
    return Head{perUnit, si};
  };
  auto take = [&](size_t si) {
    Stream &s = streams[si];
    Layer &l = layers[s.layer];
    l.pruned[s.filterlets[s.next++]] = true;
    ++l.prunedCount;
  };
  auto usable = [&](size_t li) {
    return !layers[li].keptDense && (budget == Budget::None || saving[li] > 0);
  };

  // Layers with a fixed ratio, and every usable layer's minimum, first.
  int64_t totalWeights = 0, prunedWeights = 0;
  std::vector<std::vector<size_t>> byLayer(layers.size());
  for (auto [si, s] : llvm::enumerate(streams))
    byLayer[s.layer].push_back(si);
  for (auto [li, l] : llvm::enumerate(layers)) {
    if (l.fixedRatio < 0 && !usable(li))
      continue;
    totalWeights += l.count() * l.block;
    double floorRatio = l.fixedRatio >= 0 ? l.fixedRatio : minLayerSparsity;
    int64_t floorCount = (int64_t)std::llround(floorRatio * l.count());
    std::priority_queue<Head, std::vector<Head>, std::greater<Head>> heads;
    for (size_t si : byLayer[li])
      if (!streams[si].done())
        heads.push(headOf(si));
    while (l.prunedCount < floorCount && !heads.empty()) {
      size_t si = heads.top().second;
      heads.pop();
      take(si);
      if (!streams[si].done())
        heads.push(headOf(si));
    }
    prunedWeights += l.prunedCount * l.block;
  }

  // The model's estimate in what the budget counts.
  auto total = [&] {
    LayerCost t = rest;
    for (const Layer &l : layers)
      t += currentCost(l);
    return metric(t);
  };
  int64_t target = (int64_t)std::llround(sparsity * double(totalWeights));
  auto reached = [&] {
    return budget == Budget::None ? prunedWeights >= target
                                  : total() <= budgetValue;
  };
  std::priority_queue<Head, std::vector<Head>, std::greater<Head>> heads;
  for (size_t si = 0; si < streams.size(); ++si) {
    size_t li = streams[si].layer;
    if (layers[li].fixedRatio < 0 && usable(li) && !streams[si].done())
      heads.push(headOf(si));
  }
  // The budget's total changes only in the layer pruned: track it.
  double current = budget == Budget::None ? 0 : total();
  while (!heads.empty() && (budget == Budget::None ? prunedWeights < target
                                                   : current > budgetValue)) {
    size_t si = heads.top().second;
    heads.pop();
    Layer &l = layers[streams[si].layer];
    int64_t cap = (int64_t)std::floor(maxLayerSparsity * l.count());
    if (l.prunedCount >= cap)
      continue; // The layer is full: its streams end here.
    double before = budget == Budget::None ? 0 : metric(currentCost(l));
    take(si);
    prunedWeights += l.block;
    if (budget != Budget::None)
      current += metric(currentCost(l)) - before;
    if (!streams[si].done())
      heads.push(headOf(si));
  }
  if (budget != Budget::None) {
    if (reached())
      return success();
    const char *what =
        budget == Budget::Flash ? "flash-budget" : "latency-budget";
    const char *unit = budget == Budget::Flash  ? " bytes"
                       : budget == Budget::Macs ? " MACs"
                                                : " instructions";
    return modelError()
           << "filterlet-prune: " << what << " "
           << llvm::formatv("{0:F0}", budgetValue).str() << unit
           << " cannot be met on " << mcuCoreName(core)
           << ": with max-layer-sparsity " << shortNumber(maxLayerSparsity)
           << " the model still takes "
           << llvm::formatv("{0:F0}", total()).str() << unit
           << " (estimate; everything but the eligible layers takes "
           << llvm::formatv("{0:F0}", metric(rest)).str() << ")";
  }
  // Filterlets come whole: a shortfall below one filterlet is rounding.
  int64_t granule = 1;
  for (const Layer &l : layers)
    granule = std::max(granule, l.block);
  if (target - prunedWeights >= granule)
    return modelError() << "filterlet-prune: sparsity " << shortNumber(sparsity)
                        << " cannot be reached with max-layer-sparsity "
                        << shortNumber(maxLayerSparsity)
                        << " and the fixed layers (reached "
                        << llvm::formatv("{0:F4}", totalWeights
                                                       ? double(prunedWeights) /
                                                             totalWeights
                                                       : 0.0)
                               .str()
                        << ")";
  return success();
}

LogicalResult
FilterletPrunePass::chooseProfitably(std::vector<Layer> &layers,
                                     std::vector<Stream> &streams) {
  // A layer that cannot pay even at its most sparse never takes part.
  for (Layer &l : layers) {
    if (l.fixedRatio >= 0)
      continue;
    int64_t most = (int64_t)std::floor(maxLayerSparsity * l.count());
    l.keptDense = most == 0 || !pays(l, l.count() - most);
  }
  for (size_t round = 0; round <= layers.size(); ++round) {
    if (failed(choose(layers, streams)))
      return failure();
    bool changed = false;
    for (Layer &l : layers) {
      if (l.fixedRatio < 0 && l.prunedCount > 0 &&
          !pays(l, l.count() - l.prunedCount)) {
        l.keptDense = true;
        changed = true;
      }
    }
    if (!changed)
      return success();
  }
  return success();
}

static tosa::RescaleOp requantizerOf(Operation *conv, int64_t filters);

/// A clamp's bound as a double, if it is a number.
static std::optional<double> boundOf(Attribute a) {
  if (auto f = dyn_cast_or_null<FloatAttr>(a))
    return f.getValueAsDouble();
  if (auto i = dyn_cast_or_null<IntegerAttr>(a))
    return double(i.getValue().getSExtValue());
  return std::nullopt;
}

/// What the activation after `conv` clips its real outputs to: for int8 the
/// range of its requantization (and of a clamp after it), for float a clamp
/// that is its only user. Clips nothing when the form is unknown.
static recon::Clip clipOf(Operation *conv, int64_t filters, bool isFloat) {
  recon::Clip clip;
  auto clampAfter = [](Operation *op) -> tosa::ClampOp {
    if (!op->hasOneUse())
      return {};
    return dyn_cast<tosa::ClampOp>(*op->getUsers().begin());
  };
  if (isFloat) {
    if (tosa::ClampOp clamp = clampAfter(conv)) {
      std::optional<double> lo = boundOf(clamp.getMinValAttr()),
                            hi = boundOf(clamp.getMaxValAttr());
      if (lo && hi) {
        clip.lo = *lo;
        clip.hi = *hi;
      }
    }
    return clip;
  }
  tosa::RescaleOp rescale = requantizerOf(conv, filters);
  tosa::ClampOp clamp = rescale ? clampAfter(rescale) : tosa::ClampOp();
  // The importer puts the output's quantization on the last op of the
  // chain: the clamp when the activation narrows the int8 range.
  QuantAttr q = rescale ? getResultQuant(rescale) : QuantAttr();
  if (!q && clamp)
    q = getResultQuant(clamp);
  auto outType = rescale ? dyn_cast<RankedTensorType>(rescale.getType())
                         : RankedTensorType();
  if (!q || q.isPerChannel() || !outType ||
      !outType.getElementType().isInteger(8) || rescale.getOutputUnsigned())
    return clip;
  double scale = q.getScale()[0], zp = double(q.getZeroPoint()[0]);
  double lo = -128, hi = 127;
  if (clamp) {
    std::optional<double> cl = boundOf(clamp.getMinValAttr()),
                          ch = boundOf(clamp.getMaxValAttr());
    if (cl && ch) {
      lo = std::max(lo, *cl);
      hi = std::min(hi, *ch);
    }
  }
  clip.lo = scale * (lo - zp);
  clip.hi = scale * (hi - zp);
  return clip;
}

/// Patches to keep per sample for a clipped refinement of a layer with
/// `filters` filters of `dims` inputs, or 0 when it would cost too much.
static int64_t clippedPatchesPerSample(int64_t dims, int64_t filters,
                                       int64_t patchesPerSample,
                                       size_t samples) {
  constexpr int64_t kPatches = 8192;
  int64_t perSample = std::min<int64_t>(
      patchesPerSample, (kPatches + int64_t(samples) - 1) / int64_t(samples));
  double work = double(dims + 1) * double(dims + 1) * double(filters) *
                double(perSample) * double(samples);
  return work <= 3e10 ? perSample : 0;
}

LogicalResult
FilterletPrunePass::recoverLayers(std::vector<Layer> &layers,
                                  const calib::CalibrationSet &set,
                                  func::FuncOp dense, IRMapping &denseMap) {
  func::FuncOp func = layers.front().conv->getParentOfType<func::FuncOp>();
  // The eligible layers and the depthwise convolutions in program order.
  llvm::DenseMap<Operation *, size_t> layerOf;
  for (auto [li, l] : llvm::enumerate(layers))
    layerOf[l.conv] = li;
  std::vector<Operation *> order;
  func.walk([&](Operation *op) {
    if (layerOf.count(op) || isa<tosa::DepthwiseConv2DOp>(op))
      order.push_back(op);
  });
  bool prunedBefore = false;
  for (Operation *op : order) {
    auto found = layerOf.find(op);
    if (found == layerOf.end()) {
      // Depthwise: worth re-solving once a pruned layer feeds it.
      if (recover && correctDepthwise && prunedBefore &&
          failed(recoverDepthwise(cast<tosa::DepthwiseConv2DOp>(op), set, dense,
                                  denseMap)))
        return failure();
      continue;
    }
    size_t li = found->second;
    Layer &l = layers[li];
    prunedBefore |= l.prunedCount > 0;
    if (l.prunedCount == 0 && !(recover && correctAll))
      continue;
    progress(llvm::formatv("re-solving layer {0}/{1}", li + 1, layers.size()));
    calib::ProbeTarget t;
    t.input = l.conv.getInput();
    t.referenceInput = denseMap.lookup(l.conv.getInput());
    t.source = l.source;
    t.patchesPerSample = patchesPerSample(l.source, set.size());
    recon::Clip clip = recover && clipAware == "all"
                           ? clipOf(l.conv, l.filters, l.isFloat)
                           : recon::Clip();
    if (clip.clips())
      t.keepPerSample = clippedPatchesPerSample(l.source.dims(), l.filters,
                                                t.patchesPerSample, set.size());
    std::vector<recon::Moments> moments;
    std::vector<recon::PatchSample> kept;
    if (failed(calib::collectMoments(func, dense, {t}, set, threads, moments,
                                     &kept)))
      return failure();
    recon::LayerSolver solver(moments[0], {l.block, l.perFilter}, damping);
    int64_t size = l.filterSize() + 1;
    std::vector<recon::FilterSolution> solutions(l.filters);
    calib::parallelFor(l.filters, threads, [&](int64_t o) {
      ArrayRef<double> w = ArrayRef<double>(l.weights).slice(o * size, size);
      if (recover) {
        recon::FilterSolution &sol = solutions[o];
        sol = solver.prune(w, l.prunedIn(o));
        if (t.keepPerSample > 0) {
          // The error that counts is after the activation.
          std::vector<bool> zero(size - 1);
          for (int64_t k = 0; k + 1 < size; ++k)
            zero[k] = sol.removed[k / l.block];
          sol.weights = recon::refineClipped(kept[0], w, sol.weights, zero,
                                             clip, damping, clipIterations);
          sol.solvedError = solver.error(sol.weights, w);
        }
        return;
      }
      // The choice stays; only the errors are measured.
      std::vector<bool> removed(l.perFilter);
      for (int64_t f = 0; f < l.perFilter; ++f)
        removed[f] = l.pruned[o * l.perFilter + f];
      solutions[o] = solver.solve(w, removed);
    });
    l.maskedError = l.solvedError = 0;
    for (int64_t o = 0; o < l.filters; ++o) {
      for (int64_t f = 0; f < l.perFilter; ++f)
        l.pruned[o * l.perFilter + f] = solutions[o].removed[f];
      l.maskedError += solutions[o].maskedError;
      l.solvedError += solutions[o].solvedError;
    }
    if (!recover) {
      rewrite(l);
      continue;
    }
    // The mean input patch, for the bias correction of weight rounding.
    writeWeights(l, solutions, meanPatch(moments[0]));
    l.recovered = true;
    if (l.prunedCount > 0)
      rewrite(l);
  }
  return success();
}

/// The rescale that requantizes `conv`'s accumulator, if the model has the
/// importer's form: the conv's only user, with constant multipliers and
/// shifts, per channel or one for all (which the pass makes per channel).
static tosa::RescaleOp requantizerOf(Operation *conv, int64_t filters) {
  if (!conv->hasOneUse())
    return {};
  auto rescale = dyn_cast<tosa::RescaleOp>(*conv->getUsers().begin());
  if (!rescale)
    return {};
  auto mult = rescale.getMultiplier().getDefiningOp<tosa::ConstOp>();
  auto shift = rescale.getShift().getDefiningOp<tosa::ConstOp>();
  int64_t expected = rescale.getPerChannel() ? filters : 1;
  if (!mult || !shift ||
      cast<DenseElementsAttr>(mult.getValues()).getNumElements() != expected ||
      cast<DenseElementsAttr>(shift.getValues()).getNumElements() != expected)
    return {};
  return rescale;
}

/// A copy of constant `op` (placed before `user`) holding `values`, made the
/// operand `operand` of `user`; `op` goes if nothing else uses it.
static tosa::ConstOp replaceConstant(Operation *user, OpOperand &operand,
                                     tosa::ConstOp op,
                                     DenseElementsAttr values) {
  OpBuilder b(user);
  auto copy = cast<tosa::ConstOp>(b.clone(*op));
  copy.setValuesAttr(values);
  copy.getResult().setType(cast<TensorType>(values.getType()));
  operand.set(copy.getResult());
  if (op->use_empty())
    op->erase();
  return copy;
}

namespace {
/// Where the filters of a convolution-like op live, for writing re-solved
/// real weights back: filter `o`'s k-th weight is element index(o, k) of the
/// weight constant (per-channel scales along `axis` for int8).
struct FilterStorage {
  Operation *op = nullptr;
  OpOperand *weight = nullptr, *bias = nullptr;
  tosa::ConstOp weightOp;
  int64_t filters = 0, size = 0, axis = 0;
  bool isFloat = false;
  ArrayRef<float> weightScale;
  double inScale = 1.0;
  std::function<int64_t(int64_t, int64_t)> index;
};
} // namespace

/// Writes re-solved real weights (and biases) of `solutions` into the
/// constants of `st`; int8 weights are re-quantized per channel. Returns the
/// new weight constant.
static tosa::ConstOp writeFilters(FilterStorage st,
                                  ArrayRef<recon::FilterSolution> solutions,
                                  ArrayRef<std::vector<double>> inputMean) {
  MLIRContext *ctx = st.op->getContext();
  int64_t size = st.size, filters = st.filters;
  auto wType = cast<RankedTensorType>(st.weightOp.getType());
  auto biasOp = st.bias->get().getDefiningOp<tosa::ConstOp>();
  auto biasElt = cast<RankedTensorType>(biasOp.getType()).getElementType();
  auto biasType = RankedTensorType::get({filters}, biasElt);
  auto meanOf = [&](int64_t o) -> ArrayRef<double> {
    return inputMean.size() == 1 ? inputMean[0] : inputMean[o];
  };

  if (st.isFloat) {
    std::vector<float> w(filters * size), bias(filters);
    for (int64_t o = 0; o < filters; ++o) {
      for (int64_t k = 0; k < size; ++k)
        w[st.index(o, k)] = float(solutions[o].weights[k]);
      bias[o] = float(solutions[o].weights[size]);
    }
    tosa::ConstOp weightOp =
        replaceConstant(st.op, *st.weight, st.weightOp,
                        DenseElementsAttr::get(wType, ArrayRef(w)));
    replaceConstant(st.op, *st.bias, biasOp,
                    DenseElementsAttr::get(biasType, ArrayRef(bias)));
    return weightOp;
  }

  // int8: new symmetric per-channel scales where the requantization can
  // follow, else the old ones.
  tosa::RescaleOp rescale = requantizerOf(st.op, filters);
  std::vector<int32_t> mult, bias(filters);
  std::vector<int8_t> shift, w(filters * size);
  if (rescale) {
    for (const APInt &v :
         cast<DenseElementsAttr>(
             rescale.getMultiplier().getDefiningOp<tosa::ConstOp>().getValues())
             .getValues<APInt>())
      mult.push_back(int32_t(v.getSExtValue()));
    for (const APInt &v :
         cast<DenseElementsAttr>(
             rescale.getShift().getDefiningOp<tosa::ConstOp>().getValues())
             .getValues<APInt>())
      shift.push_back(int8_t(v.getSExtValue()));
    // One multiplier for all channels becomes one per channel.
    mult.resize(filters, mult.front());
    shift.resize(filters, shift.front());
  }
  double inScale = st.inScale;
  std::vector<float> scales(filters);
  for (int64_t o = 0; o < filters; ++o) {
    const std::vector<double> &v = solutions[o].weights;
    double maxAbs = 0;
    for (int64_t k = 0; k < size; ++k)
      maxAbs = std::max(maxAbs, std::fabs(v[k]));
    float scale = st.weightScale[o];
    if (rescale && maxAbs > 0 && mult[o] > 0) {
      // The requantization scale is input x weight scale / output scale:
      // it follows the weight scale.
      float fresh = float(maxAbs / 127.0);
      double old = std::ldexp(double(mult[o]), -shift[o]);
      rt::QuantizedMultiplier m =
          rt::quantizeMultiplier(old * double(fresh) / double(scale));
      int s = rt::tosaShift(m);
      if (m.multiplier != 0 && s >= 2 && s <= 62) {
        scale = fresh;
        mult[o] = m.multiplier;
        shift[o] = int8_t(s);
      }
    }
    scales[o] = scale;
    // Quantize; the rounding's effect on the mean output moves to the bias.
    ArrayRef<double> mean = meanOf(o);
    double drift = 0;
    for (int64_t k = 0; k < size; ++k) {
      double q = std::clamp(std::round(v[k] / scale), -127.0, 127.0);
      w[st.index(o, k)] = int8_t(q);
      drift += (q * scale - v[k]) * mean[k];
    }
    double b = std::round((v[size] - drift) / (inScale * double(scale)));
    bias[o] = int32_t(std::clamp(b, -2147483648.0, 2147483647.0));
  }

  tosa::ConstOp weightOp =
      replaceConstant(st.op, *st.weight, st.weightOp,
                      DenseElementsAttr::get(wType, ArrayRef(w)));
  std::vector<int64_t> zeros(filters, 0);
  setResultQuant(weightOp, QuantAttr::get(ctx, scales, zeros, st.axis));
  auto newBias =
      replaceConstant(st.op, *st.bias, biasOp,
                      DenseElementsAttr::get(biasType, ArrayRef(bias)));
  std::vector<float> biasScales(filters);
  for (int64_t o = 0; o < filters; ++o)
    biasScales[o] = float(inScale * double(scales[o]));
  setResultQuant(newBias, QuantAttr::get(ctx, biasScales, zeros, 0));
  if (rescale) {
    auto multOp = rescale.getMultiplier().getDefiningOp<tosa::ConstOp>();
    auto shiftOp = rescale.getShift().getDefiningOp<tosa::ConstOp>();
    auto multType = RankedTensorType::get({filters}, IntegerType::get(ctx, 32));
    auto shiftType = RankedTensorType::get({filters}, IntegerType::get(ctx, 8));
    replaceConstant(rescale, rescale.getMultiplierMutable(), multOp,
                    DenseElementsAttr::get(multType, ArrayRef(mult)));
    replaceConstant(rescale, rescale.getShiftMutable(), shiftOp,
                    DenseElementsAttr::get(shiftType, ArrayRef(shift)));
    rescale.setPerChannel(true);
  }
  return weightOp;
}

void FilterletPrunePass::writeWeights(Layer &l,
                                      ArrayRef<recon::FilterSolution> solutions,
                                      ArrayRef<double> inputMean) {
  FilterStorage st;
  st.op = l.conv;
  st.weight = &l.conv.getWeightMutable();
  st.bias = &l.conv.getBiasMutable();
  st.weightOp = l.weightOp;
  st.filters = l.filters;
  st.size = l.filterSize();
  st.isFloat = l.isFloat;
  st.weightScale = l.weightScale;
  st.inScale = l.source.scale;
  int64_t size = st.size;
  st.index = [size](int64_t o, int64_t k) { return o * size + k; };
  std::vector<double> mean(inputMean.begin(), inputMean.end());
  l.weightOp = writeFilters(st, solutions, {mean});
}

LogicalResult
FilterletPrunePass::recoverDepthwise(tosa::DepthwiseConv2DOp conv,
                                     const calib::CalibrationSet &set,
                                     func::FuncOp dense, IRMapping &denseMap) {
  // Only the importer's form: constant weights KH x KW x C x 1 and one
  // constant bias per channel; anything else stays as it is.
  auto weightOp = conv.getWeight().getDefiningOp<tosa::ConstOp>();
  auto biasOp = conv.getBias().getDefiningOp<tosa::ConstOp>();
  auto wType = dyn_cast<RankedTensorType>(conv.getWeight().getType());
  if (!weightOp || !biasOp || !wType || !wType.hasStaticShape() ||
      wType.getDimSize(3) != 1)
    return success();
  int64_t channels = wType.getDimSize(2);
  int64_t size = wType.getDimSize(0) * wType.getDimSize(1);
  std::vector<double> w = constantValues(weightOp);
  std::vector<double> bias = constantValues(biasOp);
  if (int64_t(bias.size()) != channels)
    return success();
  bool isFloat = isa<FloatType>(wType.getElementType());
  QuantAttr quant = getResultQuant(weightOp);
  std::vector<float> weightScale;
  if (!isFloat) {
    if (!quant || (quant.isPerChannel() && quant.getAxis() != 2))
      return success();
    for (int64_t c = 0; c < channels; ++c)
      weightScale.push_back(quant.getScaleAt(quant.isPerChannel() ? c : 0));
  }
  llvm::Expected<calib::PatchSource> src = calib::PatchSource::get(conv);
  if (!src) {
    llvm::consumeError(src.takeError());
    return success();
  }
  progress("re-solving a depthwise convolution");

  // One target per channel: the inputs of its filter.
  std::vector<calib::ProbeTarget> targets(channels);
  for (int64_t c = 0; c < channels; ++c) {
    calib::ProbeTarget &t = targets[c];
    t.input = conv.getInput();
    t.referenceInput = denseMap.lookup(conv.getInput());
    t.source = *src;
    t.source.channel = c;
    t.patchesPerSample = patchesPerSample(t.source, set.size());
  }
  recon::Clip clip =
      clipAware != "none" ? clipOf(conv, channels, isFloat) : recon::Clip();
  if (clip.clips())
    for (calib::ProbeTarget &t : targets)
      t.keepPerSample =
          clippedPatchesPerSample(size, 1, t.patchesPerSample, set.size());
  func::FuncOp func = conv->getParentOfType<func::FuncOp>();
  std::vector<recon::Moments> moments;
  std::vector<recon::PatchSample> kept;
  if (failed(calib::collectMoments(func, dense, targets, set, threads, moments,
                                   &kept)))
    return failure();

  std::vector<recon::FilterSolution> solutions(channels);
  std::vector<std::vector<double>> means(channels);
  calib::parallelFor(channels, threads, [&](int64_t c) {
    double scale = isFloat ? 1.0 : double(weightScale[c]);
    double biasScale = isFloat ? 1.0 : double(src->scale) * scale;
    std::vector<double> real(size + 1);
    for (int64_t k = 0; k < size; ++k)
      real[k] = w[k * channels + c] * scale;
    real[size] = bias[c] * biasScale;
    recon::LayerSolver solver(moments[c], {1, size}, damping);
    solutions[c] = solver.solve(real, std::vector<bool>(size, false));
    if (targets[c].keepPerSample > 0)
      solutions[c].weights = recon::refineClipped(
          kept[c], real, solutions[c].weights, std::vector<bool>(size, false),
          clip, damping, clipIterations);
    means[c] = meanPatch(moments[c]);
  });

  FilterStorage st;
  st.op = conv;
  st.weight = &conv.getWeightMutable();
  st.bias = &conv.getBiasMutable();
  st.weightOp = weightOp;
  st.filters = channels;
  st.size = size;
  st.axis = 2;
  st.isFloat = isFloat;
  st.weightScale = weightScale;
  st.inScale = src->scale;
  st.index = [channels](int64_t o, int64_t k) { return k * channels + o; };
  writeFilters(st, solutions, means);
  ++depthwiseRecovered;
  return success();
}

void FilterletPrunePass::rewrite(Layer &l) {
  auto values = cast<DenseElementsAttr>(l.weightOp.getValues());
  int64_t filterSize = l.filterSize();
  SmallVector<int32_t> rowPtr{0}, index;
  std::vector<bool> zero(values.getNumElements(), false);
  bool anyNonZero = false;
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
      if (zero[i] && !v[i].isZero()) {
        v[i] = APFloat::getZero(v[i].getSemantics());
        anyNonZero = true;
      }
    pruned = DenseElementsAttr::get(values.getType(), v);
  } else {
    SmallVector<APInt> v(values.getValues<APInt>());
    for (size_t i = 0; i < v.size(); ++i)
      if (zero[i] && !v[i].isZero()) {
        v[i] = APInt::getZero(v[i].getBitWidth());
        anyNonZero = true;
      }
    pruned = DenseElementsAttr::get(values.getType(), v);
  }
  // A new constant (unless already zero there): the old one may feed other
  // layers.
  if (anyNonZero)
    l.weightOp =
        replaceConstant(l.conv, l.conv.getWeightMutable(), l.weightOp, pruned);
  l.conv->setAttr(TinyPruneDialect::getFilterletsAttrName(),
                  FilterletsAttr::get(&getContext(), l.block, rowPtr, index));
}

void FilterletPrunePass::writeReport(ArrayRef<Layer> layers, bool calibrated) {
  std::string error;
  std::unique_ptr<llvm::ToolOutputFile> file =
      mlir::openOutputFile(report, &error);
  if (!file) {
    modelError() << "filterlet-prune: " << error;
    return;
  }
  llvm::raw_ostream &os = file->os();
  os << "filterlet-prune: sparsity " << shortNumber(sparsity);
  if (calibrated)
    os << ", calibrated" << (recover ? ", weights re-solved" : "");
  os << "\n"
     << llvm::format("%5s %-28s %16s %6s %10s %10s %9s", "layer", "name",
                     "weight", "block", "filterlets", "kept", "sparsity");
  if (calibrated)
    os << llvm::format(" %10s %10s", "err-masked", "err-solved");
  if (costModel)
    os << llvm::format(" %17s %21s", "flash B dense/now",
                       "instructions dense/now");
  os << "\n";
  int64_t total = 0, kept = 0, payTotal = 0, payKept = 0;
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
    os << llvm::format("%5zu %-28s %16s %6lld %10lld %10lld %9.3f", i,
                       name.c_str(), shape.c_str(), (long long)l.block,
                       (long long)l.count(),
                       (long long)(l.count() - l.prunedCount), l.sparsity());
    if (calibrated) {
      // Squared output error relative to the output energy.
      double e = l.outputEnergy > 0 ? l.outputEnergy : 1.0;
      if (l.prunedCount)
        os << llvm::format(" %10.4f %10.4f", l.maskedError / e,
                           l.solvedError / e);
      else
        os << llvm::format(" %10s %10s", "-", "-");
    }
    if (costModel) {
      LayerCost now = currentCost(l);
      os << llvm::format(
          " %8lld/%-8lld %10.0f/%-10.0f", (long long)l.dense.flashBytes,
          (long long)now.flashBytes, l.dense.instructions, now.instructions);
      if (l.keptDense)
        os << " dense: the sparse form does not pay";
    }
    os << "\n";
    total += l.count() * l.block;
    kept += (l.count() - l.prunedCount) * l.block;
    if (!l.keptDense) {
      payTotal += l.count() * l.block;
      payKept += (l.count() - l.prunedCount) * l.block;
    }
  }
  os << llvm::format("total: %lld of %lld eligible weights kept (sparsity "
                     "%.4f",
                     (long long)kept, (long long)total,
                     total ? 1.0 - double(kept) / total : 0.0);
  // `sparsity` counts only the layers where the sparse form pays.
  if (payTotal != total)
    os << llvm::format("; %.4f of the %lld weights of layers where the "
                       "sparse form pays",
                       payTotal ? 1.0 - double(payKept) / payTotal : 0.0,
                       (long long)payTotal);
  os << ")\n";
  if (depthwiseRecovered)
    os << "depthwise convolutions re-solved: " << depthwiseRecovered << "\n";
  if (costModel) {
    LayerCost before = rest, after = rest;
    for (const Layer &l : layers) {
      before += l.dense;
      after += currentCost(l);
    }
    os << llvm::format(
        "%s estimate: flash %lld -> %lld bytes, %.0f -> %.0f "
        "instructions, %lld -> %lld MACs\n",
        mcuCoreName(core).str().c_str(), (long long)before.flashBytes,
        (long long)after.flashBytes, before.instructions, after.instructions,
        (long long)before.macs, (long long)after.macs);
  }
  file->keep();
}

void FilterletPrunePass::runOnOperation() {
  depthwiseRecovered = 0;
  if (failed(checkOptions()) || failed(parseBudget()))
    return signalPassFailure();
  std::vector<Layer> layers = collectLayers();
  if (failed(fixLayers(layers)) || failed(estimateCosts(layers)))
    return signalPassFailure();
  if (calibration.empty()) {
    std::vector<Stream> streams = magnitudeStreams(layers);
    if (failed(chooseProfitably(layers, streams)))
      return signalPassFailure();
    for (Layer &l : layers)
      if (l.prunedCount > 0)
        rewrite(l);
    if (!report.empty())
      writeReport(layers, /*calibrated=*/false);
    return;
  }

  // Calibrated: every eligible layer must be in the one function that the
  // data feeds, and its input patches must be readable.
  if (layers.empty()) {
    if (!report.empty())
      writeReport(layers, /*calibrated=*/true);
    return;
  }
  func::FuncOp func = layers.front().conv->getParentOfType<func::FuncOp>();
  for (Layer &l : layers) {
    if (l.conv->getParentOfType<func::FuncOp>() != func) {
      modelError() << "filterlet-prune: calibration needs the eligible "
                      "convolutions in one function; they are in @"
                   << func.getSymName() << " and @"
                   << l.conv->getParentOfType<func::FuncOp>().getSymName();
      return signalPassFailure();
    }
    llvm::Expected<calib::PatchSource> src = calib::PatchSource::get(l.conv);
    if (!src) {
      l.conv.emitError() << "filterlet-prune: cannot calibrate this "
                            "convolution: "
                         << llvm::toString(src.takeError());
      return signalPassFailure();
    }
    l.source = *src;
    FailureOr<std::vector<double>> w = realWeights(l);
    if (failed(w)) {
      l.conv.emitError() << "filterlet-prune: cannot calibrate this "
                            "convolution: its bias is not a constant of one "
                            "value per filter";
      return signalPassFailure();
    }
    l.weights = std::move(*w);
  }
  llvm::Expected<calib::CalibrationSet> set = calib::CalibrationSet::load(
      func, calibration, calibrationLimit, calibrationScale);
  if (!set) {
    modelError() << "filterlet-prune: calibration: "
                 << llvm::toString(set.takeError());
    return signalPassFailure();
  }

  // The dense model, kept aside as the reference of every re-solve.
  IRMapping denseMap;
  OwningOpRef<func::FuncOp> dense(cast<func::FuncOp>(func->clone(denseMap)));

  FailureOr<std::vector<Stream>> streams = calibratedStreams(layers, *set);
  if (failed(streams) ||
      failed(weighByModelError(layers, *streams, *set, *dense, denseMap)) ||
      failed(chooseProfitably(layers, *streams)) ||
      failed(recoverLayers(layers, *set, *dense, denseMap)))
    return signalPassFailure();
  if (!report.empty())
    writeReport(layers, /*calibrated=*/true);
}
