//===- FilterletPrune.cpp - DTMM filterlet pruning ------------------------===//
//
// --filterlet-prune: ranks the filterlets of every eligible convolution,
// prunes the lowest across the model until the requested share of weights
// is gone or a budget is met, zeroes them in the weights and records the
// kept ones in a `tinyprune.filterlets` attribute. Without data the rank is
// a layer-adaptive magnitude score (LAMP on filterlet energies); with
// calibration data it is each filterlet's increase of the layer's output
// reconstruction error weighed by the layer's measured sensitivity, and the
// kept weights are re-solved by least squares (Reconstruction.h) and
// re-quantized. This file holds what is filterlet-specific (which layers,
// what a filterlet is, how its removal is ranked and recorded) and the
// order of the steps; the allocation, the sensitivity bookkeeping, the
// reading and writing of quantized weights and the report are the pruning
// toolkit's (include/tinyprune/Transforms/Pruning), the calibration probes
// and the depthwise re-solve are in Calibration.h and Recovery.h.
//
//===----------------------------------------------------------------------===//

#include "tinyprune/Transforms/Passes.h"

#include "Calibration.h"
#include "Recovery.h"

#include "tinyprune/Analysis/CostModel.h"
#include "tinyprune/Dialect/LayerView.h"
#include "tinyprune/Dialect/TinyPrune.h"
#include "tinyprune/Transforms/Pruning/BudgetAllocator.h"
#include "tinyprune/Transforms/Pruning/Finetuning.h"
#include "tinyprune/Transforms/Pruning/PruningReport.h"
#include "tinyprune/Transforms/Pruning/QuantizedWeights.h"
#include "tinyprune/Transforms/Pruning/Sensitivity.h"
#include "tinyprune/Transforms/Reconstruction.h"

#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/IRMapping.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/raw_ostream.h"

#include <algorithm>
#include <numeric>
#include <optional>

namespace tinyprune {
#define GEN_PASS_DEF_FILTERLETPRUNE
#include "tinyprune/Transforms/Passes.h.inc"
} // namespace tinyprune

using namespace mlir;
using namespace tinyprune;
using namespace tinyprune::pruning;
using namespace tinyprune::recovery;

namespace {

/// One eligible convolution and what the pass decides for it.
struct Layer {
  Conv2DOp conv;
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

  // With calibration data:
  calib::PatchSource source;
  /// Real weights, filters x (filter size + 1), the bias last.
  std::vector<double> weights;
  /// Output energy over the calibration patches and the reconstruction
  /// errors (summed over filters) of the masked and the re-solved weights.
  double outputEnergy = 0, maskedError = 0, solvedError = 0;

  int64_t count() const { return filters * perFilter; }
  int64_t filterSize() const { return positions * channels; }
  int64_t prunedIn(int64_t filter) const {
    int64_t n = 0;
    for (int64_t f = 0; f < perFilter; ++f)
      n += pruned[filter * perFilter + f];
    return n;
  }
};

/// Everything one run of the pass decides and measures. It is made inside
/// runOnOperation and gone when the run ends, so nothing carries over from
/// one run (or one module) to the next.
struct Run {
  std::vector<Layer> layers;
  AllocationGoal goal;
  std::optional<BudgetAllocator> allocator;
  /// Ranked filterlets: one stream per layer (LAMP) or per filter (OBS).
  std::vector<RankedStream> streams;

  // With calibration data:
  std::optional<calib::CalibrationSet> set;
  /// The dense model, kept aside as the reference of every re-solve.
  OwningOpRef<func::FuncOp> dense;
  IRMapping denseMap;
  /// Per eligible layer, the moments of its input on the dense model.
  std::vector<recon::Moments> denseMoments;
  /// Depthwise convolutions re-solved (for the report).
  int64_t depthwiseRecovered = 0;
  /// What fine-tuning did, when it ran (for the report).
  std::optional<FinetuneSummary> finetuned;
};

/// The largest divisor of `n` that is at most `limit` (at least 1).
int64_t largestDivisorAtMost(int64_t n, int64_t limit) {
  for (int64_t d = std::min(n, limit); d > 1; --d)
    if (n % d == 0)
      return d;
  return 1;
}

/// Where the filters of `conv` (an eligible layer or its copy) live: OHWI,
/// filter-major.
FilterStorage convStorage(const Layer &l, Conv2DOp conv,
                          tosa::ConstOp weightOp) {
  FilterStorage st;
  st.op = conv;
  st.weight = &conv.getWeightsMutable();
  st.bias = &conv.getBiasMutable();
  st.weightOp = weightOp;
  st.filters = l.filters;
  st.size = l.filterSize();
  st.isFloat = l.isFloat;
  st.weightScale = l.weightScale;
  st.inScale = l.source.scale;
  int64_t size = st.size;
  st.index = [size](int64_t o, int64_t k) { return o * size + k; };
  return st;
}

/// Writes re-solved real weights into the constants of `conv` (layer `l`
/// or its copy in a trial model); returns the new weight constant.
tosa::ConstOp writeWeights(const Layer &l, Conv2DOp conv,
                           tosa::ConstOp weightOp,
                           ArrayRef<recon::FilterSolution> solutions,
                           ArrayRef<double> inputMean) {
  std::vector<double> mean(inputMean.begin(), inputMean.end());
  return writeFilters(convStorage(l, conv, weightOp), solutions, {mean});
}

struct FilterletPrunePass
    : public tinyprune::impl::FilterletPruneBase<FilterletPrunePass> {
  using FilterletPruneBase::FilterletPruneBase;

  void runOnOperation() override;

private:
  /// The whole pass on one run's state.
  LogicalResult prune(Run &run);
  LogicalResult checkOptions();
  /// Fails, naming --tinyprune-raise-to-layers, when the module still has
  /// convolutions as TOSA chains.
  LogicalResult checkRaised();
  /// The ratio or budget, the layer bounds and the core into `run.goal`.
  LogicalResult parseGoal(Run &run);
  /// The eligible convolutions of the module, with filterlet energies.
  void collectLayers(Run &run);
  /// Reads `layer-sparsity` into the layers.
  LogicalResult fixLayers(Run &run);
  /// Costs of the layers and of the rest of the model on the target; makes
  /// the allocator.
  LogicalResult estimateCosts(Run &run);
  /// One stream per layer, by LAMP score on filterlet energies.
  void magnitudeStreams(Run &run);
  /// Readies calibration: the samples, each layer's patch source and real
  /// weights, the dense model kept aside.
  LogicalResult loadCalibration(Run &run);
  /// One stream per filter, by OBS error increase on calibration data.
  LogicalResult calibratedStreams(Run &run);
  /// Measures each layer's sensitivity (the model's output change per unit
  /// of its output error) and scales its streams' scores by it.
  LogicalResult weighByModelError(Run &run);
  /// Allocates the filterlets to remove and marks them in the layers.
  LogicalResult allocate(Run &run);
  /// Re-solves the pruned layers in program order on calibration data.
  LogicalResult recoverLayers(Run &run);
  /// With `epochs`: fine-tunes the pruned model on the calibration
  /// samples (Pruning/Finetuning.h), distilling from the dense model kept
  /// aside when there are no labels. With `prune-steps`, the model is
  /// still unpruned and training prunes it to the allocated counts.
  LogicalResult finetune(Run &run);
  /// The fine-tuning options as the toolkit takes them.
  FinetuneRequest finetuneRequest() const { return finetuneRequestOf(*this); }
  friend FinetuneRequest
  pruning::finetuneRequestOf<>(const FilterletPrunePass &);
  /// Zeroes the pruned filterlets and attaches the attribute.
  void rewrite(Layer &layer);
  /// Options given where they have no effect are errors, not silently
  /// ignored settings.
  LogicalResult checkCombinations();
  /// Fails when the report cannot be written (the pass fails with it).
  LogicalResult writeReport(const Run &run, bool calibrated);
  void progress(const Twine &message);
  /// An error about the options or the whole model: without a location,
  /// so that it is one line (no `module {` source line after it).
  InFlightDiagnostic modelError() {
    return mlir::emitError(UnknownLoc::get(&getContext()));
  }
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
  if (clipIterations < 0)
    return modelError()
           << "filterlet-prune: clip-iterations must be at least 0, got "
           << clipIterations.getValue();
  if (!(damping > 0.0))
    return modelError() << "filterlet-prune: damping must be positive, got "
                        << shortNumber(damping);
  if (pruneSteps < 0)
    return modelError()
           << "filterlet-prune: prune-steps must be at least 0, got "
           << pruneSteps.getValue();
  if (!(pruneEnd > 0.0) || !(pruneEnd < 1.0))
    return modelError() << "filterlet-prune: prune-end must be in (0, 1), got "
                        << shortNumber(pruneEnd);
  if (llvm::Error err = checkRequest(finetuneRequest()))
    return modelError() << "filterlet-prune: "
                        << llvm::toString(std::move(err));
  if (epochs > 0 && !trainingAvailable())
    return modelError() << "filterlet-prune: epochs > 0, but this build has "
                           "no training (LibTorch not found, or "
                           "TINYPRUNE_ENABLE_TRAINING=OFF)";
  return success();
}

LogicalResult FilterletPrunePass::checkCombinations() {
  auto noEffect = [&](StringRef option, StringRef where) {
    return modelError() << "filterlet-prune: " << option << " has no effect "
                        << where;
  };
  // Gradual pruning is a way of fine-tuning.
  if (epochs == 0) {
    if (pruneSteps.hasValue() && pruneSteps > 0)
      return noEffect("prune-steps", "without epochs > 0");
    if (pruneEnd.hasValue())
      return noEffect("prune-end", "without epochs > 0");
  }
  if (pruneEnd.hasValue() && pruneSteps == 0)
    return noEffect("prune-end", "without prune-steps > 0");
  if (pruneSelected.hasValue() && pruneSteps == 0)
    return noEffect("prune-selected", "without prune-steps > 0");
  // What only calibration uses.
  if (calibration.empty()) {
    for (auto [given, option] :
         {std::pair(recover.hasValue(), "recover"),
          std::pair(correctAll.hasValue(), "correct-all"),
          std::pair(correctDepthwise.hasValue(), "correct-depthwise"),
          std::pair(clipAware.hasValue(), "clip-aware"),
          std::pair(clipIterations.hasValue(), "clip-iterations"),
          std::pair(sensitivitySamples.hasValue(), "sensitivity-samples"),
          std::pair(damping.hasValue(), "damping"),
          std::pair(calibrationLimit.hasValue(), "calibration-limit"),
          std::pair(calibrationScale.hasValue(), "calibration-scale"),
          std::pair(threads.hasValue(), "threads")})
      if (given)
        return noEffect(option, "without calibration (give calibration=FILE)");
    return success();
  }
  // What only recovery uses.
  if (!recover) {
    for (auto [given, option] :
         {std::pair(correctAll.hasValue(), "correct-all"),
          std::pair(correctDepthwise.hasValue(), "correct-depthwise"),
          std::pair(clipAware.hasValue(), "clip-aware"),
          std::pair(clipIterations.hasValue(), "clip-iterations")})
      if (given)
        return noEffect(option, "with recover=false");
    return success();
  }
  if (clipIterations.hasValue() && clipAware == ClipAware::None)
    return noEffect("clip-iterations", "with clip-aware=none");
  return success();
}

LogicalResult FilterletPrunePass::parseGoal(Run &run) {
  llvm::Expected<Budget> budget = parseBudget(flashBudget, latencyBudget);
  if (!budget)
    return modelError() << "filterlet-prune: "
                        << llvm::toString(budget.takeError());
  AllocationGoal &goal = run.goal;
  goal.core = targetCore(target);
  goal.budget = *budget;
  goal.ratio = sparsity;
  goal.minLayerRatio = minLayerSparsity;
  goal.maxLayerRatio = maxLayerSparsity;
  if (goal.budget.given() && !goal.core)
    return modelError() << "filterlet-prune: a budget needs a target "
                           "core, not target=none";
  if (goal.budget.given() && sparsity.hasValue())
    return modelError() << "filterlet-prune: give sparsity or a "
                           "budget, not both";
  return success();
}

LogicalResult FilterletPrunePass::checkRaised() {
  Operation *tosaConv = nullptr;
  getOperation().walk([&](Operation *op) {
    if (!isa<tosa::Conv2DOp, tosa::DepthwiseConv2DOp>(op))
      return WalkResult::advance();
    tosaConv = op;
    return WalkResult::interrupt();
  });
  if (!tosaConv)
    return success();
  return tosaConv->emitError()
         << "filterlet-prune: prunes layer ops, but this convolution is a "
            "TOSA chain; run --tinyprune-raise-to-layers first";
}

void FilterletPrunePass::collectLayers(Run &run) {
  getOperation().walk([&](Conv2DOp conv) {
    auto weightOp = conv.getWeights().getDefiningOp<tosa::ConstOp>();
    FailureOr<ConvLayerView> view = ConvLayerView::get(conv);
    if (!weightOp || failed(view) || conv.getFilterletsAttr())
      return;
    auto wType = cast<RankedTensorType>(conv.getWeights().getType());
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
    l.isFloat = view->isFloat;
    QuantAttr quant = view->weightQuant;
    if (!l.isFloat && !quant)
      return; // Integer weights without a scale have no real magnitude.
    if (!l.isFloat) {
      if (quant.isPerChannel() && quant.getAxis() != 0)
        return; // Scales along another axis: not a conv filter layout.
      for (int64_t o = 0; o < l.filters; ++o)
        l.weightScale.push_back(quant.getScaleAt(o));
    }
    std::vector<double> w;
    if (l.isFloat) {
      std::optional<SmallVector<float>> f = view->weightFloats();
      if (!f)
        return;
      w.assign(f->begin(), f->end());
    } else {
      std::optional<SmallVector<int64_t>> i = view->weightInts();
      if (!i)
        return;
      w.assign(i->begin(), i->end());
    }
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
    run.layers.push_back(std::move(l));
  });
}

LogicalResult FilterletPrunePass::fixLayers(Run &run) {
  llvm::Expected<std::vector<std::pair<size_t, double>>> fixed =
      parseLayerRatios(layerSparsity, run.layers.size());
  if (!fixed)
    return modelError() << "filterlet-prune: "
                        << llvm::toString(fixed.takeError());
  for (auto [index, ratio] : *fixed)
    run.layers[index].fixedRatio = ratio;
  return success();
}

LogicalResult FilterletPrunePass::estimateCosts(Run &run) {
  std::optional<McuCore> core = run.goal.core;
  if (core) {
    llvm::DenseMap<Operation *, Layer *> byConv;
    for (Layer &l : run.layers) {
      FailureOr<ConvGeometry> g = getConvGeometry(l.conv);
      if (failed(g))
        return l.conv.emitError()
               << "filterlet-prune: the cost model cannot estimate this "
                  "convolution (dynamic shape)";
      l.geometry = *g;
      byConv[l.conv] = &l;
    }
    for (func::FuncOp func : getOperation().getOps<func::FuncOp>()) {
      for (const OpCost &c : estimateFunction(func, *core)) {
        auto it = byConv.find(c.op);
        if (it != byConv.end())
          it->second->dense = c.cost;
        else
          run.goal.rest += c.cost;
      }
    }
  }
  std::vector<PrunableLayer> prunable;
  for (const Layer &l : run.layers) {
    PrunableLayer p;
    p.units = l.count();
    p.weightsPerUnit = l.block;
    p.fixedRatio = l.fixedRatio;
    p.dense = l.dense;
    if (core)
      p.sparseCost = [g = l.geometry, block = l.block, filters = l.filters,
                      c = *core](int64_t kept) {
        return sparseConvCost(g, block, kept, filters, c);
      };
    prunable.push_back(std::move(p));
  }
  run.allocator.emplace(run.goal, std::move(prunable));
  return success();
}

void FilterletPrunePass::magnitudeStreams(Run &run) {
  // Each layer's filterlets by increasing energy; LAMP score of the k-th:
  // its energy over the energy of it and all larger ones, per weight it
  // removes. Scores increase along the stream.
  for (auto [li, l] : llvm::enumerate(run.layers)) {
    RankedStream s;
    s.layer = li;
    s.units.resize(l.count());
    std::iota(s.units.begin(), s.units.end(), 0);
    std::stable_sort(s.units.begin(), s.units.end(), [&](int64_t a, int64_t b) {
      return l.energy[a] < l.energy[b];
    });
    s.scores.resize(l.count());
    double tail = 0.0;
    for (int64_t k = l.count() - 1; k >= 0; --k) {
      tail += l.energy[s.units[k]];
      double lamp = tail > 0.0 ? l.energy[s.units[k]] / tail : 0.0;
      s.scores[k] = lamp / double(l.block);
    }
    run.streams.push_back(std::move(s));
  }
}

LogicalResult FilterletPrunePass::loadCalibration(Run &run) {
  // Every eligible layer must be in the one function that the data feeds,
  // and its input patches must be readable.
  func::FuncOp func = run.layers.front().conv->getParentOfType<func::FuncOp>();
  for (Layer &l : run.layers) {
    if (l.conv->getParentOfType<func::FuncOp>() != func)
      return mlir::emitError(getOperation().getLoc())
             << "filterlet-prune: calibration needs the eligible "
                "convolutions in one function; they are in @"
             << func.getSymName() << " and @"
             << l.conv->getParentOfType<func::FuncOp>().getSymName();
    llvm::Expected<calib::PatchSource> src = calib::PatchSource::get(l.conv);
    if (!src)
      return l.conv.emitError() << "filterlet-prune: cannot calibrate this "
                                   "convolution: "
                                << llvm::toString(src.takeError());
    l.source = *src;
    FailureOr<std::vector<double>> w =
        readFilters(convStorage(l, l.conv, l.weightOp));
    if (failed(w))
      return l.conv.emitError() << "filterlet-prune: cannot calibrate this "
                                   "convolution: its bias is not a constant "
                                   "of one value per filter";
    l.weights = std::move(*w);
  }
  llvm::Expected<calib::CalibrationSet> set = calib::CalibrationSet::load(
      func, calibration, calibrationLimit, calibrationScale);
  if (!set)
    return modelError() << "filterlet-prune: calibration: "
                        << llvm::toString(set.takeError());
  run.set.emplace(std::move(*set));
  run.dense = cast<func::FuncOp>(func->clone(run.denseMap));
  return success();
}

LogicalResult FilterletPrunePass::calibratedStreams(Run &run) {
  std::vector<Layer> &layers = run.layers;
  const calib::CalibrationSet &set = *run.set;
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
  if (failed(calib::collectMoments(func, nullptr, targets, set, threads,
                                   run.denseMoments)))
    return failure();

  for (auto [li, l] : llvm::enumerate(layers)) {
    progress(llvm::formatv("ranking layer {0}/{1}", li + 1, layers.size()));
    recon::LayerSolver solver(run.denseMoments[li], {l.block, l.perFilter},
                              damping);
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
      RankedStream s;
      s.layer = li;
      for (auto [g, cost] : llvm::zip(paths[o].order, paths[o].cost)) {
        s.units.push_back(o * l.perFilter + g);
        s.scores.push_back(cost / norm / double(l.block));
      }
      run.streams.push_back(std::move(s));
    }
  }
  return success();
}

LogicalResult FilterletPrunePass::weighByModelError(Run &run) {
  std::vector<Layer> &layers = run.layers;
  const calib::CalibrationSet &set = *run.set;
  size_t samples = std::min<size_t>(sensitivitySamples, set.size());
  if (samples == 0 || layers.empty())
    return success();
  FailureOr<std::vector<std::vector<double>>> reference =
      calib::runOutputs(*run.dense, set, samples, threads);
  if (failed(reference))
    return failure();
  std::vector<std::vector<size_t>> byLayer(layers.size());
  for (auto [si, s] : llvm::enumerate(run.streams))
    byLayer[s.layer].push_back(si);

  // The model's output change (squared, per sample) with `removed` pruned
  // from layer `li` alone and the rest of that layer re-solved, and the
  // layer's own error (in the units of the streams' costs).
  auto trial = [&](size_t li,
                   const std::vector<bool> &removed) -> FailureOr<TrialResult> {
    Layer &l = layers[li];
    recon::LayerSolver solver(run.denseMoments[li], {l.block, l.perFilter},
                              damping);
    int64_t size = l.filterSize() + 1;
    std::vector<recon::FilterSolution> solutions(l.filters);
    calib::parallelFor(l.filters, threads, [&](int64_t o) {
      std::vector<bool> mine(removed.begin() + o * l.perFilter,
                             removed.begin() + (o + 1) * l.perFilter);
      solutions[o] =
          solver.solve(ArrayRef<double>(l.weights).slice(o * size, size), mine);
    });
    TrialResult result;
    for (const recon::FilterSolution &s : solutions)
      result.layerError += s.solvedError;
    IRMapping trialMap;
    OwningOpRef<func::FuncOp> copy(
        cast<func::FuncOp>(run.dense.get()->clone(trialMap)));
    auto conv = trialMap.lookup(run.denseMap.lookup(l.conv.getOutput()))
                    .getDefiningOp<Conv2DOp>();
    writeWeights(l, conv, conv.getWeights().getDefiningOp<tosa::ConstOp>(),
                 solutions, meanPatch(run.denseMoments[li]));
    FailureOr<std::vector<std::vector<double>>> outputs =
        calib::runOutputs(*copy, set, samples, threads);
    if (failed(outputs))
      return failure();
    double change = 0;
    for (size_t s = 0; s < samples; ++s)
      for (auto [a, b] : llvm::zip((*outputs)[s], (*reference)[s]))
        change += (a - b) * (a - b);
    result.outputChange = change / double(samples);
    return result;
  };

  // Measured at these layer sparsities (within the layer bounds); between
  // them the change is taken as linear in the layer's error.
  std::vector<double> levels =
      sensitivityLevels(minLayerSparsity, maxLayerSparsity);
  std::vector<std::optional<SensitivityCurve>> curves(layers.size());
  std::vector<UnitOrder> orders(layers.size());
  std::vector<int64_t> units(layers.size());
  std::vector<double> norms(layers.size());
  for (auto [li, l] : llvm::enumerate(layers)) {
    units[li] = l.count();
    norms[li] = l.outputEnergy > 0 ? l.outputEnergy : 1.0;
    if (l.fixedRatio >= 0)
      continue;
    progress(
        llvm::formatv("sensitivity of layer {0}/{1}", li + 1, layers.size()));
    orders[li] = mergeStreams(run.streams, byLayer[li]);
    FailureOr<SensitivityCurve> curve = measureSensitivity(
        orders[li], l.count(), levels,
        [&](const std::vector<bool> &removed) { return trial(li, removed); });
    if (failed(curve))
      return failure();
    curves[li] = std::move(*curve);
  }
  weighStreams(run.streams, curves, orders, units, norms);
  return success();
}

LogicalResult FilterletPrunePass::allocate(Run &run) {
  if (llvm::Error err = run.allocator->allocate(run.streams))
    return modelError() << "filterlet-prune: "
                        << llvm::toString(std::move(err));
  for (auto [l, p] : llvm::zip(run.layers, run.allocator->layers())) {
    l.pruned = p.removed;
    l.prunedCount = p.removedCount;
  }
  return success();
}

LogicalResult FilterletPrunePass::recoverLayers(Run &run) {
  std::vector<Layer> &layers = run.layers;
  const calib::CalibrationSet &set = *run.set;
  func::FuncOp func = layers.front().conv->getParentOfType<func::FuncOp>();
  // The eligible layers and the depthwise convolutions in program order.
  llvm::DenseMap<Operation *, size_t> layerOf;
  for (auto [li, l] : llvm::enumerate(layers))
    layerOf[l.conv] = li;
  std::vector<Operation *> order;
  func.walk([&](Operation *op) {
    if (layerOf.count(op) || isa<DepthwiseConv2DOp>(op))
      order.push_back(op);
  });
  bool prunedBefore = false;
  for (Operation *op : order) {
    auto found = layerOf.find(op);
    if (found == layerOf.end()) {
      // Depthwise: worth re-solving once a pruned layer feeds it.
      if (!recover || !correctDepthwise || !prunedBefore)
        continue;
      recovery::SolveOptions options;
      options.damping = damping;
      options.clipAware = clipAware != ClipAware::None;
      options.clipIterations = clipIterations;
      options.threads = threads;
      FailureOr<bool> solved = recovery::resolveDepthwise(
          cast<DepthwiseConv2DOp>(op), set, *run.dense, run.denseMap, options,
          [&](const Twine &message) { progress(message); });
      if (failed(solved))
        return failure();
      run.depthwiseRecovered += *solved;
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
    t.referenceInput = run.denseMap.lookup(l.conv.getInput());
    t.source = l.source;
    t.patchesPerSample = patchesPerSample(l.source, set.size());
    recon::Clip clip = recover && clipAware == ClipAware::All
                           ? activationClip(l.conv)
                           : recon::Clip();
    if (clip.clips())
      t.keepPerSample = clippedPatchesPerSample(l.source.dims(), l.filters,
                                                t.patchesPerSample, set.size());
    std::vector<recon::Moments> moments;
    std::vector<recon::PatchSample> kept;
    if (failed(calib::collectMoments(func, *run.dense, {t}, set, threads,
                                     moments, &kept)))
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
    l.weightOp =
        writeWeights(l, l.conv, l.weightOp, solutions, meanPatch(moments[0]));
    if (l.prunedCount > 0)
      rewrite(l);
  }
  return success();
}

LogicalResult FilterletPrunePass::finetune(Run &run) {
  if (epochs == 0)
    return success();
  func::FuncOp func;
  if (!run.layers.empty()) {
    func = run.layers.front().conv->getParentOfType<func::FuncOp>();
  } else {
    for (auto f : getOperation().getOps<func::FuncOp>()) {
      if (f.isExternal())
        continue;
      if (func)
        return modelError() << "filterlet-prune: fine-tuning needs a module "
                               "with exactly one function";
      func = f;
    }
    if (!func)
      return modelError() << "filterlet-prune: fine-tuning needs a function";
  }
  // Without layers to prune nothing was kept aside: the model is as it was.
  OwningOpRef<func::FuncOp> unpruned;
  func::FuncOp before = run.dense ? *run.dense : func::FuncOp();
  if (!before) {
    unpruned = cast<func::FuncOp>(func->clone());
    before = *unpruned;
  }
  FinetuneRequest request = finetuneRequest();
  bool gradual = pruneSteps > 0;
  if (gradual) {
    request.gradual.steps = pruneSteps;
    request.gradual.end = pruneEnd;
    for (const Layer &l : run.layers) {
      if (l.prunedCount == 0)
        continue;
      training::GradualLayer g{l.conv, l.block, {}, {}};
      for (int64_t o = 0; o < l.filters; ++o)
        g.keep.push_back(l.perFilter - l.prunedIn(o));
      if (pruneSelected)
        g.prunable = l.pruned;
      request.gradual.layers.push_back(std::move(g));
    }
  }
  progress(llvm::formatv("fine-tuning for {0} epochs{1}", epochs.getValue(),
                         gradual ? ", pruning gradually" : ""));
  llvm::Expected<FinetuneSummary> summary =
      finetuneAfterPruning(func, before, request);
  if (!summary)
    return modelError() << "filterlet-prune: fine-tuning: "
                        << llvm::toString(summary.takeError());
  progress(summary->describe());
  run.finetuned = std::move(*summary);
  if (!gradual)
    return success();
  // What training kept, for the report: the attributes it wrote.
  for (Layer &l : run.layers) {
    FilterletsAttr f = l.conv.getFilterletsAttr();
    if (!f)
      continue;
    l.pruned.assign(l.count(), true);
    for (int64_t o = 0; o < l.filters; ++o)
      for (int32_t id : f.getKept(o))
        l.pruned[o * l.perFilter + id] = false;
    l.prunedCount = llvm::count(l.pruned, true);
    l.weightOp = l.conv.getWeights().getDefiningOp<tosa::ConstOp>();
  }
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
        replaceConstant(l.conv, l.conv.getWeightsMutable(), l.weightOp, pruned);
  l.conv.setFilterletsAttr(
      FilterletsAttr::get(&getContext(), l.block, rowPtr, index));
}

LogicalResult FilterletPrunePass::writeReport(const Run &run, bool calibrated) {
  PruningReport r;
  r.pass = "filterlet-prune";
  r.asked = run.goal.budget.given() ? run.goal.budget.asked
                                    : "sparsity " + shortNumber(sparsity);
  r.unitName = "filterlets";
  r.calibrated = calibrated;
  r.recovered = recover;
  r.core = run.goal.core;
  r.rest = run.goal.rest;
  for (auto [l, p] : llvm::zip(run.layers, run.allocator->layers())) {
    ReportRow row;
    row.name = layerName(l.conv);
    row.shape =
        llvm::formatv("{0}x{1}x{2}", l.filters, l.positions, l.channels).str();
    row.weightsPerUnit = l.block;
    row.units = l.count();
    row.kept = l.count() - l.prunedCount;
    row.maskedError = l.maskedError;
    row.solvedError = l.solvedError;
    row.outputEnergy = l.outputEnergy;
    row.keptDense = p.keptDense;
    if (r.core) {
      row.dense = p.dense;
      row.now = run.allocator->currentCost(p);
    }
    r.rows.push_back(std::move(row));
  }
  if (run.depthwiseRecovered)
    r.notes.push_back(llvm::formatv("depthwise convolutions re-solved: {0}",
                                    run.depthwiseRecovered));
  if (run.finetuned)
    r.notes.push_back(run.finetuned->describe());
  if (llvm::Error err = r.write(report, {calibration.getValue()}))
    return modelError() << "filterlet-prune: report: "
                        << llvm::toString(std::move(err));
  return success();
}

LogicalResult FilterletPrunePass::prune(Run &run) {
  if (failed(checkOptions()) || failed(checkCombinations()) ||
      failed(checkRaised()) || failed(parseGoal(run)))
    return failure();
  collectLayers(run);
  if (failed(fixLayers(run)) || failed(estimateCosts(run)))
    return failure();
  if (calibration.empty()) {
    magnitudeStreams(run);
    if (failed(allocate(run)))
      return failure();
    for (Layer &l : run.layers)
      if (l.prunedCount > 0)
        rewrite(l);
    if (!report.empty())
      return writeReport(run, /*calibrated=*/false);
    return success();
  }
  if (run.layers.empty()) {
    if (failed(finetune(run)))
      return failure();
    if (!report.empty())
      return writeReport(run, /*calibrated=*/true);
    return success();
  }
  if (failed(loadCalibration(run)) || failed(calibratedStreams(run)) ||
      failed(weighByModelError(run)) || failed(allocate(run)))
    return failure();
  // Pruned gradually, the layers train from their unpruned weights: only
  // the counts of the selection carry over.
  if ((pruneSteps == 0 && failed(recoverLayers(run))) || failed(finetune(run)))
    return failure();
  if (!report.empty())
    return writeReport(run, /*calibrated=*/true);
  return success();
}

void FilterletPrunePass::runOnOperation() {
  // Everything a run decides lives in `run`, made here: nothing carries
  // over to the next run.
  Run run;
  if (failed(prune(run)))
    signalPassFailure();
}
