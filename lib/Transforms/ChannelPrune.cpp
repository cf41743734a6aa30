//===- ChannelPrune.cpp - Structured channel pruning ----------------------===//
//
// --channel-prune: removes whole channels from a model of layer ops, to a
// ratio of the prunable channels or until MCU budgets (arena, flash,
// instructions) hold. The groups of channels that go together and their
// removal are the pruning toolkit's (Pruning/ChannelGroups.h), the
// measurement of a model as deployed too (Pruning/ResourceModel.h); this
// file ranks the channels (filter magnitude, or the consumers' output error
// on calibration data), chooses how many go, re-solves the consumers with
// calibration data and writes the report.
//
//===----------------------------------------------------------------------===//

#include "tinyprune/Transforms/Passes.h"

#include "Calibration.h"
#include "ChannelPrune.h"
#include "Recovery.h"

#include "tinyprune/Dialect/LayerView.h"
#include "tinyprune/Dialect/TinyPrune.h"
#include "tinyprune/Transforms/Pruning/ChannelGating.h"
#include "tinyprune/Transforms/Pruning/ChannelGroups.h"
#include "tinyprune/Transforms/Pruning/Finetuning.h"
#include "tinyprune/Transforms/Pruning/PruningReport.h"
#include "tinyprune/Transforms/Pruning/QuantizedWeights.h"
#include "tinyprune/Transforms/Pruning/ResourceModel.h"
#include "tinyprune/Transforms/Reconstruction.h"

#include "tinyprune/Execution/ModelInput.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/IRMapping.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/raw_ostream.h"

#include <algorithm>
#include <cmath>
#include <numeric>

namespace tinyprune {
#define GEN_PASS_DEF_CHANNELPRUNE
#include "tinyprune/Transforms/Passes.h.inc"
} // namespace tinyprune

using namespace mlir;
using namespace tinyprune;
using namespace tinyprune::pruning;
using namespace tinyprune::channel;

namespace {

/// The real weights of layer `op`'s output channel `o` (weights along
/// `axis` of the constant), as L1 norm.
double filterL1(Operation *op, Value weights, int64_t axis, int64_t o,
                QuantAttr quant) {
  auto type = cast<RankedTensorType>(weights.getType());
  ArrayRef<int64_t> shape = type.getShape();
  int64_t inner = 1, outer = 1;
  for (int64_t d = axis + 1; d < type.getRank(); ++d)
    inner *= shape[d];
  for (int64_t d = 0; d < axis; ++d)
    outer *= shape[d];
  double scale = quant ? quant.getScaleAt(o) : 1.0;
  double sum = 0;
  auto add = [&](auto values) {
    for (int64_t a = 0; a < outer; ++a)
      for (int64_t i = 0; i < inner; ++i)
        sum += std::fabs(double(values[(a * shape[axis] + o) * inner + i]));
  };
  if (auto ints = constantInts(weights))
    add(*ints);
  else if (auto floats = constantFloats(weights))
    add(*floats);
  return sum * scale;
}

ArrayRef<int64_t> shapeOf(Value v) {
  return cast<RankedTensorType>(v.getType()).getShape();
}

/// The budgets of step `k` of `count`: each budget given geometrically
/// between the figure of the model before the pass (`dense`) and the
/// budget, which the last step meets exactly; every step removes about the
/// same fraction of what the previous one left.
ResourceBudget stepBudget(const ResourceBudget &final,
                          const ModelResources &dense, int64_t k,
                          int64_t count) {
  if (k >= count)
    return final;
  double t = double(k) / double(count);
  auto between = [&](double from, double to) {
    return from > to && to > 0 ? from * std::pow(to / from, t) : to;
  };
  ResourceBudget b = final;
  if (final.ramBytes)
    b.ramBytes = int64_t(
        std::floor(between(double(dense.arenaBytes), double(*final.ramBytes))));
  if (final.flashBytes)
    b.flashBytes = int64_t(std::floor(
        between(double(dense.cost.flashBytes), double(*final.flashBytes))));
  if (final.latency)
    b.latency = std::floor(between(
        final.latencyInMacs ? double(dense.cost.macs) : dense.cost.instructions,
        *final.latency));
  return b;
}

/// "ram-budget 10240 B, latency-budget 4200000 instructions".
std::string describeBudget(const ResourceBudget &b) {
  SmallVector<std::string> parts;
  if (b.ramBytes)
    parts.push_back(llvm::formatv("ram-budget {0} B", *b.ramBytes));
  if (b.flashBytes)
    parts.push_back(llvm::formatv("flash-budget {0} B", *b.flashBytes));
  if (b.latency)
    parts.push_back(llvm::formatv("latency-budget {0} {1}",
                                  int64_t(std::llround(*b.latency)),
                                  b.latencyInMacs ? "MACs" : "instructions"));
  return llvm::join(parts, ", ");
}

struct ChannelPrunePass
    : public tinyprune::impl::ChannelPruneBase<ChannelPrunePass> {
  using ChannelPruneBase::ChannelPruneBase;

  void runOnOperation() override;

private:
  LogicalResult prune(Run &run);
  /// One step: ranks, chooses to `run.budget` (or the ratio), removes,
  /// re-solves and fine-tunes (distilling from `dense`, the model before
  /// the pass, may be null) for `epochs`, or `final-epochs` when `last`.
  LogicalResult pruneStep(Run &run, func::FuncOp dense, bool last);
  LogicalResult checkOptions(Run &run);
  LogicalResult findFunction(Run &run);
  void magnitudeImportance(Run &run);
  LogicalResult calibratedImportance(Run &run, const calib::CalibrationSet &);
  /// With gate-epochs: trains the gates (and the weights) and takes their
  /// scores as the importance and the channels they switched off as the
  /// start of the choice.
  LogicalResult gateImportance(Run &run, func::FuncOp dense);
  /// The removed channels of every group: each candidate's first
  /// `removed` in its order.
  std::vector<std::vector<int64_t>> removedChannels(const Run &run) const;
  /// `run.func` with the chosen channels removed, measured; the copy is
  /// dropped.
  FailureOr<ModelResources> measureChoice(Run &run);
  LogicalResult chooseByRatio(Run &run);
  LogicalResult chooseByBudget(Run &run);
  /// With calibration: re-solves the consumers of the groups that lose
  /// channels so that they reproduce their dense outputs without them.
  LogicalResult resolveConsumers(Run &run, const calib::CalibrationSet &set);
  /// With epochs: fine-tunes the pruned `run.func` on the calibration
  /// samples, with labels or distilling from `dense`, as `request` says.
  LogicalResult finetuneAfterRemoval(Run &run, func::FuncOp dense,
                                     const FinetuneRequest &request);
  /// The fine-tuning options as the toolkit takes them.
  FinetuneRequest finetuneRequest() const { return finetuneRequestOf(*this); }
  /// Those of the last step: `final-epochs` epochs unless it is -1.
  FinetuneRequest finalFinetuneRequest() const {
    FinetuneRequest r = finetuneRequest();
    if (finalEpochs >= 0)
      r.epochs = finalEpochs;
    return r;
  }
  /// Whether some step fine-tunes.
  bool finetunes() const { return epochs > 0 || finalEpochs > 0; }
  friend FinetuneRequest pruning::finetuneRequestOf<>(const ChannelPrunePass &);
  void writeReport(const Run &run);
  void progress(const Twine &message) {
    if (llvm::errs().is_displayed())
      llvm::errs() << "channel-prune: " << message << "\n";
  }
  InFlightDiagnostic modelError() {
    return mlir::emitError(getOperation().getLoc()) << "channel-prune: ";
  }
};

} // namespace

LogicalResult ChannelPrunePass::checkOptions(Run &run) {
  if (!(ratio >= 0.0 && ratio < 1.0))
    return modelError() << "ratio must be in [0, 1), got "
                        << shortNumber(ratio);
  if (!(maxGroupRatio > 0.0 && maxGroupRatio <= 1.0))
    return modelError() << "max-group-ratio must be in (0, 1], got "
                        << shortNumber(maxGroupRatio);
  if (finalEpochs < -1)
    return modelError() << "final-epochs must be at least -1 (-1: epochs), got "
                        << finalEpochs.getValue();
  if (llvm::Error err = checkRequest(finetuneRequest()))
    return modelError() << llvm::toString(std::move(err));
  if (llvm::Error err = checkRequest(finalFinetuneRequest()))
    return modelError() << "final-epochs: " << llvm::toString(std::move(err));
  if (!labels.empty() && !finetunes() && gateEpochs == 0)
    return modelError() << "labels are for training: give epochs, "
                           "final-epochs or gate-epochs too";
  if (gateEpochs < 0)
    return modelError() << "gate-epochs must be at least 0, got "
                        << gateEpochs.getValue();
  if (gateEpochs > 0 && calibration.empty())
    return modelError() << "gate-epochs needs calibration=<training samples>";
  if (!(gateLearningRate > 0.0))
    return modelError() << "gate-learning-rate must be positive, got "
                        << shortNumber(gateLearningRate);
  if (calibrationLimit < 0)
    return modelError() << "calibration-limit must be at least 0, got "
                        << calibrationLimit.getValue();
  if (!(damping > 0.0))
    return modelError() << "damping must be positive, got "
                        << shortNumber(damping);
  llvm::Expected<ResourceBudget> budget =
      parseResourceBudget(ramBudget, flashBudget, latencyBudget);
  if (!budget)
    return modelError() << llvm::toString(budget.takeError());
  run.budget = *budget;
  run.core = targetCore(target);
  if (run.budget.given() && ratio.hasValue())
    return modelError() << "give ratio or budgets, not both";
  if (run.budget.given() && !run.core)
    return modelError() << "a budget needs a target core, not target=none";
  if (steps < 1)
    return modelError() << "steps must be at least 1, got " << steps.getValue();
  if (steps > 1 && !run.budget.given())
    return modelError() << "steps > 1 needs a budget (ram-budget, "
                           "flash-budget or latency-budget)";
  return success();
}

LogicalResult ChannelPrunePass::findFunction(Run &run) {
  for (func::FuncOp func : getOperation().getOps<func::FuncOp>()) {
    if (func.isExternal())
      continue;
    Operation *tosaConv = nullptr;
    func.walk([&](Operation *op) {
      if (isa<tosa::Conv2DOp, tosa::DepthwiseConv2DOp>(op))
        tosaConv = op;
    });
    if (tosaConv)
      return tosaConv->emitError()
             << "channel-prune: prunes layer ops, but this convolution is a "
                "TOSA chain; run --tinyprune-raise-to-layers first";
    if (run.func)
      return modelError() << "prunes one function; the module has @"
                          << run.func.getSymName() << " and @"
                          << func.getSymName();
    run.func = func;
  }
  if (!run.func)
    return modelError() << "the module has no function to prune";
  return success();
}

void ChannelPrunePass::magnitudeImportance(Run &run) {
  // A channel's magnitude along its whole path: the L1 norm of its filters
  // in the producers (averaged over the producers a residual add ties),
  // times that of its filter in each depthwise layer it passes, times the
  // L1 norm of the consumers' weights that read it; all real-valued (int8:
  // dequantized per channel). A small filter whose output a later layer
  // amplifies is not small.
  for (Candidate &c : run.candidates) {
    const ChannelGroup &g = run.groups[c.group];
    std::vector<double> gain(g.channels, 0.0);
    for (const ChannelUse &p : g.producers) {
      auto conv = cast<Conv2DOp>(p.op);
      for (int64_t o = 0; o < g.channels; ++o)
        gain[o] +=
            filterL1(conv, conv.getWeights(), 0, o, conv.getWeightQuantAttr()) /
            double(g.producers.size());
    }
    for (const ChannelUse &d : g.depthwise) {
      std::optional<std::vector<double>> w = realLayerWeights(d.op, 2);
      if (!w)
        continue;
      int64_t channels = shapeOf(d.op->getOperand(1))[2];
      int64_t taps = int64_t(w->size()) / channels;
      for (int64_t o = 0; o < g.channels; ++o) {
        double l1 = 0;
        for (int64_t i : d.site.indices(o))
          for (int64_t t = 0; t < taps; ++t)
            l1 += std::fabs((*w)[t * channels + i]);
        gain[o] *= l1;
      }
    }
    std::vector<double> reads(g.channels, 0.0);
    for (const ChannelUse &u : g.consumers) {
      std::optional<std::vector<double>> w = realLayerWeights(u.op, 0);
      if (!w)
        continue;
      ArrayRef<int64_t> shape = shapeOf(u.op->getOperand(1));
      int64_t inC = shape[3], rows = int64_t(w->size()) / inC;
      for (int64_t o = 0; o < g.channels; ++o)
        for (int64_t i : u.site.indices(o))
          for (int64_t r = 0; r < rows; ++r)
            reads[o] += std::fabs((*w)[r * inC + i]);
    }
    c.importance.assign(g.channels, 0.0);
    for (int64_t o = 0; o < g.channels; ++o)
      c.importance[o] = gain[o] * (g.consumers.empty() ? 1.0 : reads[o]);
    double mean =
        std::accumulate(c.importance.begin(), c.importance.end(), 0.0) /
        double(g.channels);
    for (double &v : c.importance)
      v = mean > 0 ? v / mean : 0.0;
  }
}

LogicalResult
ChannelPrunePass::calibratedImportance(Run &run,
                                       const calib::CalibrationSet &set) {
  // Each consumer's input moments on the dense model.
  llvm::MapVector<Operation *, size_t> consumerIndex;
  std::vector<calib::ProbeTarget> targets;
  for (const Candidate &c : run.candidates)
    for (const ChannelUse &u : run.groups[c.group].consumers) {
      if (consumerIndex.count(u.op))
        continue;
      llvm::Expected<calib::PatchSource> src = calib::PatchSource::get(u.op);
      if (!src)
        return u.op->emitError() << "channel-prune: cannot calibrate this "
                                    "layer: "
                                 << llvm::toString(src.takeError());
      calib::ProbeTarget t;
      t.input = u.op->getOperand(0);
      t.source = *src;
      t.patchesPerSample = recovery::patchesPerSample(*src, set.size());
      consumerIndex[u.op] = targets.size();
      targets.push_back(t);
    }
  progress(llvm::formatv("measuring {0} consumer layers on {1}", targets.size(),
                         set.describe()));
  std::vector<recon::Moments> moments;
  if (failed(calib::collectMoments(run.func, nullptr, targets, set, threads,
                                   moments)))
    return failure();
  // Squared output error of removing input channel (coordinates `coords`)
  // of every filter alone, relative to the layer's output energy.
  for (Candidate &c : run.candidates) {
    const ChannelGroup &g = run.groups[c.group];
    c.importance.assign(g.channels, 0.0);
    for (const ChannelUse &u : g.consumers) {
      const recon::Moments &m = moments[consumerIndex.lookup(u.op)];
      const std::vector<double> &h = m.h();
      int64_t size = m.size();
      const calib::PatchSource &src =
          targets[consumerIndex.lookup(u.op)].source;
      auto conv = cast<Conv2DOp>(u.op);
      FilterStorage st;
      st.op = conv;
      st.weight = &conv.getWeightsMutable();
      st.bias = &conv.getBiasMutable();
      st.weightOp = conv.getWeights().getDefiningOp<tosa::ConstOp>();
      st.filters = conv.getNumOutputChannels();
      st.size = size - 1;
      st.isFloat = !conv.isQuantized();
      std::vector<float> scales;
      if (QuantAttr q = conv.getWeightQuantAttr())
        for (int64_t o = 0; o < st.filters; ++o)
          scales.push_back(q.getScaleAt(o));
      st.weightScale = scales;
      st.inScale = src.scale;
      st.index = [s = st.size](int64_t o, int64_t k) { return o * s + k; };
      FailureOr<std::vector<double>> w = readFilters(st);
      if (failed(w))
        return conv.emitError() << "channel-prune: cannot calibrate this "
                                   "layer: its bias is not a constant of one "
                                   "value per filter";
      double energy = 0;
      for (int64_t o = 0; o < st.filters; ++o) {
        const double *wo = w->data() + o * size;
        for (int64_t p = 0; p < size; ++p)
          for (int64_t q = 0; q < size; ++q)
            energy += wo[p] * h[p * size + q] * wo[q];
      }
      if (!(energy > 0))
        energy = 1;
      for (int64_t ch = 0; ch < g.channels; ++ch) {
        SmallVector<int64_t> coords;
        for (int64_t i : u.site.indices(ch))
          for (int64_t pos = 0; pos < src.kH * src.kW; ++pos)
            coords.push_back(pos * src.inC + i);
        double err = 0;
        for (int64_t o = 0; o < st.filters; ++o) {
          const double *wo = w->data() + o * size;
          for (int64_t p : coords)
            for (int64_t q : coords)
              err += wo[p] * h[p * size + q] * wo[q];
        }
        c.importance[ch] += err / energy;
      }
    }
  }
  return success();
}

LogicalResult ChannelPrunePass::gateImportance(Run &run, func::FuncOp dense) {
  GatingRequest request;
  request.training = finetuneRequest();
  request.training.epochs = gateEpochs;
  request.gateLearningRate = gateLearningRate;
  request.budget = run.budget;
  request.ratio = ratio;
  if (run.core)
    request.core = *run.core;
  std::vector<GateCandidate> candidates;
  for (const Candidate &c : run.candidates)
    candidates.push_back({c.group, c.limit});
  progress(
      llvm::formatv("training gates for {0} epochs", gateEpochs.getValue()));
  llvm::Expected<GatingOutcome> outcome =
      trainGates(run.func, dense, run.groups, candidates,
                 run.stepStart ? *run.stepStart : ModelResources(), request);
  if (!outcome)
    return modelError() << "gates: " << llvm::toString(outcome.takeError());
  for (auto [i, c] : llvm::enumerate(run.candidates)) {
    c.importance = outcome->scores[i];
    c.removed = std::min(outcome->off[i], c.limit);
  }
  run.gated = outcome->summary;
  return success();
}

std::vector<std::vector<int64_t>>
ChannelPrunePass::removedChannels(const Run &run) const {
  std::vector<std::vector<int64_t>> removed(run.groups.size());
  for (const Candidate &c : run.candidates)
    removed[c.group].assign(c.order.begin(), c.order.begin() + c.removed);
  return removed;
}

FailureOr<ModelResources> ChannelPrunePass::measureChoice(Run &run) {
  OpBuilder b(&getContext());
  OwningOpRef<ModuleOp> scratch(ModuleOp::create(run.func.getLoc()));
  b.setInsertionPointToEnd(scratch->getBody());
  IRMapping toCopy;
  auto copy = cast<func::FuncOp>(b.clone(*run.func, toCopy));
  // The groups of the copy come in the same order as the original's.
  std::vector<ChannelGroup> groups = findChannelGroups(copy);
  if (failed(removeChannels(copy, groups, removedChannels(run))))
    return failure();
  FailureOr<ModelResources> r = measureResources(copy, *run.core);
  if (failed(r))
    return failure();
  // The peak's tensors as those of `run.func` (the removal keeps values).
  llvm::DenseMap<Value, Value> toOriginal;
  for (auto [from, to] : toCopy.getValueMap())
    toOriginal[to] = from;
  for (LiveTensor &t : r->peakTensors)
    t.value = toOriginal.lookup(t.value);
  return r;
}

LogicalResult ChannelPrunePass::chooseByRatio(Run &run) {
  // The gates' switched-off channels score 0: they go first.
  int64_t total = 0;
  for (Candidate &c : run.candidates) {
    total += run.groups[c.group].channels;
    c.removed = 0;
  }
  int64_t goal = std::llround(ratio * double(total));
  // The least important channel of any group next, while groups have room.
  struct Next {
    double importance;
    size_t candidate;
    bool operator>(const Next &o) const { return importance > o.importance; }
  };
  std::vector<Next> heap;
  auto push = [&](size_t i) {
    Candidate &c = run.candidates[i];
    if (c.removed < c.limit) {
      heap.push_back({c.importance[c.order[c.removed]], i});
      std::push_heap(heap.begin(), heap.end(), std::greater<Next>());
    }
  };
  for (size_t i = 0; i < run.candidates.size(); ++i)
    push(i);
  for (int64_t n = 0; n < goal && !heap.empty(); ++n) {
    std::pop_heap(heap.begin(), heap.end(), std::greater<Next>());
    size_t i = heap.back().candidate;
    heap.pop_back();
    ++run.candidates[i].removed;
    push(i);
  }
  return success();
}

LogicalResult ChannelPrunePass::chooseByBudget(Run &run) {
  // Out of reach even with every removable channel gone?
  std::vector<int64_t> start;
  for (Candidate &c : run.candidates) {
    start.push_back(c.removed);
    c.removed = c.limit;
  }
  FailureOr<ModelResources> least = measureChoice(run);
  if (failed(least))
    return failure();
  // The budgets asked for, also in the earlier, looser steps: every step
  // can remove the same channels (max-group-ratio counts from the model
  // before the pass).
  std::vector<std::string> over = run.finalBudget.violations(*least);
  if (!over.empty())
    return modelError() << "out of reach: " << llvm::join(over, "; ")
                        << " with every removable channel removed (at most "
                        << shortNumber(maxGroupRatio)
                        << " of each group, see max-group-ratio)";
  // From the gates' choice, or nothing.
  for (auto [c, removed] : llvm::zip(run.candidates, start))
    c.removed = removed;
  // The gates' estimates are not the planner: once the budgets hold, give
  // back removed channels, the highest score first (for switched-off
  // channels, the gate when it went), while the budgets still hold, until
  // no group can.
  auto giveBack = [&]() -> LogicalResult {
    std::vector<bool> done(run.candidates.size(), false);
    for (;;) {
      size_t best = run.candidates.size();
      double bestScore = 0;
      for (auto [i, c] : llvm::enumerate(run.candidates))
        if (!done[i] && c.removed > 0) {
          double score = c.importance[c.order[c.removed - 1]];
          if (best == run.candidates.size() || score > bestScore) {
            best = i;
            bestScore = score;
          }
        }
      if (best == run.candidates.size())
        return success();
      --run.candidates[best].removed;
      FailureOr<ModelResources> trial = measureChoice(run);
      if (failed(trial))
        return failure();
      if (!run.budget.holds(*trial)) {
        ++run.candidates[best].removed;
        done[best] = true;
      }
    }
  };
  if (!run.gated.empty()) {
    FailureOr<ModelResources> now = measureChoice(run);
    if (failed(now))
      return failure();
    if (run.budget.holds(*now))
      return giveBack();
  }

  int64_t total = 0;
  for (const Candidate &c : run.candidates)
    total += c.limit;
  int64_t chunk = std::max<int64_t>(1, total / 64);
  std::vector<size_t> lastRound;
  for (int round = 0;; ++round) {
    FailureOr<ModelResources> now = measureChoice(run);
    if (failed(now))
      return failure();
    if (run.budget.holds(*now)) {
      // The last round may have removed more than needed: give back its
      // channels, the most important first, while the budgets still hold.
      for (size_t i : llvm::reverse(lastRound)) {
        --run.candidates[i].removed;
        FailureOr<ModelResources> trial = measureChoice(run);
        if (failed(trial))
          return failure();
        if (!run.budget.holds(*trial))
          ++run.candidates[i].removed;
      }
      return run.gated.empty() ? success() : giveBack();
    }
    // What one more channel of each group saves of each budget exceeded,
    // relative to how much the model takes of it now.
    llvm::DenseSet<Value> peak;
    for (const LiveTensor &t : now->peakTensors)
      peak.insert(t.value);
    bool ram = run.budget.ramBytes && now->arenaBytes > *run.budget.ramBytes;
    bool flash =
        run.budget.flashBytes && now->cost.flashBytes > *run.budget.flashBytes;
    bool latency = run.budget.latency &&
                   (run.budget.latencyInMacs
                        ? double(now->cost.macs) > *run.budget.latency
                        : now->cost.instructions > *run.budget.latency);
    struct Next {
      double priority;
      size_t candidate;
    };
    std::vector<Next> next;
    for (auto [i, c] : llvm::enumerate(run.candidates)) {
      if (c.removed >= c.limit)
        continue;
      const ChannelGroup &g = run.groups[c.group];
      double benefit = 0;
      int64_t params = 0, macs = 0, bytes = 0;
      auto perChannel = [&](Operation *op) {
        auto it = run.layersBefore.find(op);
        if (it == run.layersBefore.end() || it->second.channels == 0)
          return std::pair<int64_t, int64_t>(0, 0);
        return std::pair<int64_t, int64_t>(
            it->second.params / it->second.channels,
            it->second.macs / it->second.channels);
      };
      for (const ChannelUse &u : g.producers) {
        auto [p, m] = perChannel(u.op);
        params += p;
        macs += m;
      }
      for (const ChannelUse &u : g.depthwise) {
        auto [p, m] = perChannel(u.op);
        params += p;
        macs += m;
      }
      for (const ChannelUse &u : g.consumers) {
        // An input channel of a consumer: its share of the weights.
        auto it = run.layersBefore.find(u.op);
        if (it == run.layersBefore.end())
          continue;
        int64_t inputs =
            cast<RankedTensorType>(u.site.value.getType()).getDimSize(3);
        int64_t share = u.site.indices(0).size();
        params += it->second.params * share / std::max<int64_t>(1, inputs);
        macs += it->second.macs * share / std::max<int64_t>(1, inputs);
      }
      for (const ChannelSite &s : g.sites)
        if (peak.contains(s.value)) {
          auto type = cast<RankedTensorType>(s.value.getType());
          bytes += tensorBytes(type) / type.getDimSize(s.axis) *
                   int64_t(s.indices(0).size());
        }
      if (ram)
        benefit += double(bytes) / double(now->arenaBytes);
      if (flash)
        benefit += double(params) / double(now->cost.flashBytes);
      if (latency)
        benefit += double(macs) / double(std::max<int64_t>(1, now->cost.macs));
      if (benefit <= 0)
        continue;
      // The group's next few channels, each weighed alone: a round may
      // take several channels of the best group and none of a poor one.
      for (int64_t k = c.removed; k < c.limit && k < c.removed + chunk; ++k)
        next.push_back({(c.importance[c.order[k]] + 1e-9) / benefit, i});
    }
    if (next.empty())
      return modelError() << "no removable channel saves what the budgets "
                             "still exceed: "
                          << llvm::join(run.budget.violations(*now), "; ");
    llvm::stable_sort(next, [](const Next &a, const Next &b) {
      return a.priority < b.priority;
    });
    // The best few channels of all groups (the savings change as they go:
    // a round takes only 1/64 of the removable channels). Taking one per
    // group per round instead let every group lose channels at the same
    // pace whatever its importance, when the round is larger than the
    // number of groups: MobileNet's 16- and 32-channel early layers went
    // to 2 and 4 channels for a flash budget that their few weights
    // hardly help (47 % top-1).
    lastRound.clear();
    for (int64_t k = 0; k < chunk && k < int64_t(next.size()); ++k) {
      ++run.candidates[next[k].candidate].removed;
      lastRound.push_back(next[k].candidate);
    }
    if (round % 8 == 0)
      progress(llvm::formatv("round {0}: arena {1} B, flash {2} B", round,
                             now->arenaBytes, now->cost.flashBytes));
  }
}

LogicalResult
ChannelPrunePass::resolveConsumers(Run &run, const calib::CalibrationSet &set) {
  // Consumers losing input coordinates, with those coordinates.
  llvm::MapVector<Operation *, std::set<int64_t>> lost;
  for (const Candidate &c : run.candidates) {
    if (c.removed == 0)
      continue;
    for (const ChannelUse &u : run.groups[c.group].consumers)
      for (int64_t k = 0; k < c.removed; ++k)
        for (int64_t i : u.site.indices(c.order[k]))
          lost[u.op].insert(i);
  }
  if (lost.empty())
    return success();
  std::vector<calib::ProbeTarget> targets;
  for (auto &[op, coords] : lost) {
    llvm::Expected<calib::PatchSource> src = calib::PatchSource::get(op);
    if (!src)
      return op->emitError() << "channel-prune: cannot calibrate this layer: "
                             << llvm::toString(src.takeError());
    calib::ProbeTarget t;
    t.input = op->getOperand(0);
    t.source = *src;
    t.patchesPerSample = recovery::patchesPerSample(*src, set.size());
    targets.push_back(t);
  }
  progress(llvm::formatv("re-solving {0} consumer layers", targets.size()));
  std::vector<recon::Moments> moments;
  if (failed(calib::collectMoments(run.func, nullptr, targets, set, threads,
                                   moments)))
    return failure();
  for (auto [index, entry] : llvm::enumerate(lost)) {
    auto conv = cast<Conv2DOp>(entry.first);
    const calib::PatchSource &src = targets[index].source;
    FilterStorage st;
    st.op = conv;
    st.weight = &conv.getWeightsMutable();
    st.bias = &conv.getBiasMutable();
    st.weightOp = conv.getWeights().getDefiningOp<tosa::ConstOp>();
    st.filters = conv.getNumOutputChannels();
    st.size = src.dims();
    st.isFloat = !conv.isQuantized();
    std::vector<float> scales;
    if (QuantAttr q = conv.getWeightQuantAttr())
      for (int64_t o = 0; o < st.filters; ++o)
        scales.push_back(q.getScaleAt(o));
    st.weightScale = scales;
    st.inScale = src.scale;
    st.index = [s = st.size](int64_t o, int64_t k) { return o * s + k; };
    FailureOr<std::vector<double>> w = readFilters(st);
    if (failed(w))
      return conv.emitError() << "channel-prune: cannot re-solve this layer: "
                                 "its bias is not a constant of one value "
                                 "per filter";
    std::vector<bool> removed(st.size, false);
    for (int64_t pos = 0; pos < src.kH * src.kW; ++pos)
      for (int64_t i : entry.second)
        removed[pos * src.inC + i] = true;
    recon::LayerSolver solver(moments[index], {1, st.size}, damping);
    int64_t size = st.size + 1;
    std::vector<recon::FilterSolution> solutions(st.filters);
    calib::parallelFor(st.filters, threads, [&](int64_t o) {
      solutions[o] =
          solver.solve(ArrayRef<double>(*w).slice(o * size, size), removed);
    });
    // The mean input patch, for the bias correction of weight rounding.
    writeFilters(st, solutions, {recovery::meanPatch(moments[index])});
    ++run.consumersResolved;
  }
  return success();
}

LogicalResult
ChannelPrunePass::finetuneAfterRemoval(Run &run, func::FuncOp dense,
                                       const FinetuneRequest &request) {
  progress(llvm::formatv("fine-tuning for {0} epochs", request.epochs));
  llvm::Expected<FinetuneSummary> summary =
      finetuneAfterPruning(run.func, dense, request);
  if (!summary)
    return modelError() << "fine-tuning: "
                        << llvm::toString(summary.takeError());
  run.finetuned = summary->describe();
  return success();
}

void ChannelPrunePass::writeReport(const Run &run) {
  std::string asked;
  if (run.budget.given()) {
    SmallVector<std::string> parts;
    if (!ramBudget.empty())
      parts.push_back("ram-budget " + ramBudget);
    if (!flashBudget.empty())
      parts.push_back("flash-budget " + flashBudget);
    if (!latencyBudget.empty())
      parts.push_back("latency-budget " + latencyBudget);
    asked = llvm::join(parts, ", ");
    if (steps > 1)
      asked += " in " + std::to_string(steps.getValue()) + " steps";
  } else {
    asked = "ratio " + shortNumber(ratio);
  }
  std::string out = formatReport(run, asked);
  if (report == "-") {
    llvm::outs() << out;
    return;
  }
  std::error_code ec;
  llvm::raw_fd_ostream file(report, ec);
  if (ec) {
    modelError() << "cannot write the report to '" << report
                 << "': " << ec.message();
    return;
  }
  file << out;
}

LogicalResult ChannelPrunePass::pruneStep(Run &run, func::FuncOp dense,
                                          bool last) {
  run.groups = findChannelGroups(run.func);
  run.candidates.clear();
  run.gated.clear();
  run.finetuned.clear();
  run.calibrated = false;
  bool first = run.originalChannels.empty();
  for (auto [i, g] : llvm::enumerate(run.groups)) {
    if (!g.prunable || g.channels < 2)
      continue;
    // At most max-group-ratio of the group's channels before the pass, over
    // all steps.
    int64_t original =
        first ? g.channels
              : run.originalChannels.lookup_or(g.producers[0].op, g.channels);
    if (first)
      run.originalChannels[g.producers[0].op] = g.channels;
    Candidate c;
    c.group = i;
    c.limit = std::min<int64_t>(
        g.channels - 1,
        int64_t(std::floor(maxGroupRatio * double(original) + 1e-9)) -
            (original - g.channels));
    if (c.limit <= 0)
      continue;
    if (first) {
      ++run.prunableGroups;
      run.prunableChannels += g.channels;
    }
    run.candidates.push_back(std::move(c));
  }
  if (run.core && !first) {
    FailureOr<ModelResources> now = measureResources(run.func, *run.core);
    if (failed(now))
      return failure();
    run.stepStart = *now;
  }
  std::optional<calib::CalibrationSet> set;
  if (gateEpochs > 0) {
    if (failed(gateImportance(run, dense)))
      return failure();
  } else if (!calibration.empty()) {
    llvm::Expected<calib::CalibrationSet> loaded = calib::CalibrationSet::load(
        run.func, calibration, calibrationLimit, calibrationScale);
    if (!loaded)
      return modelError() << "calibration: "
                          << llvm::toString(loaded.takeError());
    set.emplace(std::move(*loaded));
    run.calibrated = true;
    if (failed(calibratedImportance(run, *set)))
      return failure();
  } else {
    magnitudeImportance(run);
  }
  for (Candidate &c : run.candidates) {
    c.order.resize(c.importance.size());
    std::iota(c.order.begin(), c.order.end(), 0);
    std::stable_sort(c.order.begin(), c.order.end(), [&](int64_t a, int64_t b) {
      return c.importance[a] < c.importance[b];
    });
  }
  if (failed(run.budget.given() ? chooseByBudget(run) : chooseByRatio(run)))
    return failure();
  if (set && failed(resolveConsumers(run, *set)))
    return failure();
  if (!set && run.gated.empty())
    run.consumersCompensated +=
        foldRemovedChannels(run.func, run.groups, removedChannels(run));
  if (failed(removeChannels(run.func, run.groups, removedChannels(run))))
    return failure();
  for (const Candidate &c : run.candidates)
    run.removedTotal += c.removed;
  FinetuneRequest request = last ? finalFinetuneRequest() : finetuneRequest();
  if (request.epochs > 0 && failed(finetuneAfterRemoval(run, dense, request)))
    return failure();
  return success();
}

LogicalResult ChannelPrunePass::prune(Run &run) {
  if (failed(checkOptions(run)) || failed(findFunction(run)))
    return failure();
  run.layersBefore = layerFigures(run.func);
  if (run.core) {
    FailureOr<ModelResources> before = measureResources(run.func, *run.core);
    if (failed(before))
      return failure();
    run.before = *before;
    run.stepStart = *before;
  }
  // The model before pruning: the teacher of the gates and of a fine-tune
  // without labels (or mixed with them), in every step.
  OwningOpRef<func::FuncOp> dense;
  if (finetunes() || gateEpochs > 0)
    dense = cast<func::FuncOp>(run.func->clone());
  // Progressive pruning: `steps` budgets from the model's figures down to
  // the ones asked for, each step ranking, removing and fine-tuning on
  // what the previous one left.
  run.finalBudget = run.budget;
  int64_t count = run.budget.given() ? int64_t(steps) : 1;
  for (int64_t k = 1; k <= count; ++k) {
    if (count > 1) {
      run.budget = stepBudget(run.finalBudget, *run.before, k, count);
      progress(llvm::formatv("step {0} of {1}: {2}", k, count,
                             describeBudget(run.budget)));
    }
    int64_t removedBefore = run.removedTotal;
    if (failed(pruneStep(run, dense ? *dense : func::FuncOp(), k == count)))
      return failure();
    if (count == 1)
      break;
    FailureOr<ModelResources> now = measureResources(run.func, *run.core);
    if (failed(now))
      return failure();
    std::string step;
    llvm::raw_string_ostream os(step);
    os << llvm::formatv("step {0} of {1}: {2}: {3} channels removed; arena "
                        "{4} B, flash {5} B, {6} instructions\n",
                        k, count, describeBudget(run.budget),
                        run.removedTotal - removedBefore, now->arenaBytes,
                        now->cost.flashBytes,
                        int64_t(std::llround(now->cost.instructions)));
    if (!run.gated.empty())
      os << "  " << run.gated << "\n";
    if (!run.finetuned.empty())
      os << "  " << run.finetuned << "\n";
    run.steps.push_back(std::move(step));
  }
  if (run.core) {
    FailureOr<ModelResources> after = measureResources(run.func, *run.core);
    if (failed(after))
      return failure();
    run.after = *after;
  }
  if (!report.empty())
    writeReport(run);
  return success();
}

void ChannelPrunePass::runOnOperation() {
  Run run;
  if (failed(prune(run)))
    signalPassFailure();
}
