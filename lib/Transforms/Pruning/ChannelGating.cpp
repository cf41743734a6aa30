//===- ChannelGating.cpp - Channel gates trained under budgets ------------===//
//
// ChannelGating.h: the gates' problem from the channel groups and the
// measured model, then lib/Training's gate training when this build has it
// (TINYPRUNE_HAVE_TRAINING).
//
//===----------------------------------------------------------------------===//

#include "tinyprune/Transforms/Pruning/ChannelGating.h"

#include "tinyprune/Dialect/TinyPrune.h"
#include "tinyprune/Transforms/Pruning/PruningReport.h"

#ifdef TINYPRUNE_HAVE_TRAINING
#include "tinyprune/Training/ChannelGates.h"
#endif

#include "mlir/IR/BuiltinOps.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/Support/FormatVariadic.h"

#include <cmath>
#include <thread>

using namespace mlir;
using namespace tinyprune;
using namespace tinyprune::pruning;

#ifdef TINYPRUNE_HAVE_TRAINING
namespace {

/// Builds the gates' problem: one gated group per candidate, one extent per
/// (tensor, axis) the candidates' channels sit in, resources as the cost
/// model's per-layer figures and the schedule's live sets.
class ProblemBuilder {
public:
  ProblemBuilder(ArrayRef<ChannelGroup> groups,
                 ArrayRef<GateCandidate> candidates)
      : groups(groups), candidates(candidates) {}

  llvm::Error build(func::FuncOp func, const ModelResources &dense,
                    const GatingRequest &request,
                    training::GateProblem &problem);

private:
  /// The extents of the tensor `v` (one per axis the channels sit along).
  std::vector<size_t> extentsOf(Value v) const {
    auto it = byValue.find(v);
    return it == byValue.end() ? std::vector<size_t>() : it->second;
  }
  void addTerms(func::FuncOp func, McuCore core, training::GatedResource &flash,
                training::GatedResource &macs,
                training::GatedResource &instructions);

  ArrayRef<ChannelGroup> groups;
  ArrayRef<GateCandidate> candidates;
  training::GateProblem *p = nullptr;
  llvm::DenseMap<Value, std::vector<size_t>> byValue;
};

} // namespace

void ProblemBuilder::addTerms(func::FuncOp func, McuCore core,
                              training::GatedResource &flash,
                              training::GatedResource &macs,
                              training::GatedResource &instructions) {
  flash.sets.assign(1, {});
  macs.sets.assign(1, {});
  instructions.sets.assign(1, {});
  for (const OpCost &c : estimateFunction(func, core)) {
    // A layer's cost scales with its output's kept channels and, for a
    // convolution or fully-connected layer, its input's.
    std::vector<size_t> ext;
    if (c.op->getNumResults() == 1)
      ext = extentsOf(c.op->getResult(0));
    if (isa<Conv2DOp>(c.op))
      for (size_t e : extentsOf(c.op->getOperand(0)))
        ext.push_back(e);
    flash.sets[0].push_back({double(c.cost.flashBytes), ext});
    macs.sets[0].push_back({double(c.cost.macs), ext});
    instructions.sets[0].push_back({c.cost.instructions, ext});
  }
}

llvm::Error ProblemBuilder::build(func::FuncOp func,
                                  const ModelResources &dense,
                                  const GatingRequest &request,
                                  training::GateProblem &problem) {
  p = &problem;
  llvm::DenseMap<std::pair<Value, int64_t>, size_t> extentIndex;
  for (auto [k, cand] : llvm::enumerate(candidates)) {
    const ChannelGroup &g = groups[cand.group];
    training::GatedGroup gated;
    gated.channels = g.channels;
    gated.maxOff = cand.limit;
    auto gate = [&](const ChannelUse &u) -> llvm::Error {
      auto type = cast<RankedTensorType>(u.site.value.getType());
      if (u.site.axis != type.getRank() - 1)
        return llvm::createStringError(
            "gates: a layer writes a channel group along an inner axis");
      training::GatedOutput out;
      out.op = u.op;
      for (int64_t c = 0; c < g.channels; ++c) {
        SmallVector<int64_t> idx = u.site.indices(c);
        out.positions.emplace_back(idx.begin(), idx.end());
      }
      gated.outputs.push_back(std::move(out));
      return llvm::Error::success();
    };
    for (const ChannelUse &u : g.producers)
      if (llvm::Error e = gate(u))
        return e;
    for (const ChannelUse &u : g.depthwise)
      if (llvm::Error e = gate(u))
        return e;
    problem.groups.push_back(std::move(gated));
    for (const ChannelSite &s : g.sites) {
      auto type = cast<RankedTensorType>(s.value.getType());
      auto [it, fresh] =
          extentIndex.try_emplace({s.value, s.axis}, problem.extents.size());
      if (fresh) {
        training::GateExtent e;
        e.size = type.getDimSize(s.axis);
        problem.extents.push_back(e);
        byValue[s.value].push_back(it->second);
      }
      problem.extents[it->second].groups.push_back(
          {k, int64_t(s.indices(0).size())});
    }
  }

  const ResourceBudget &b = request.budget;
  if (!b.given()) {
    // The fraction of the candidates' channels kept.
    training::GatedResource channels;
    channels.name = "channels";
    channels.sets.assign(1, {});
    for (auto [k, g] : llvm::enumerate(problem.groups)) {
      training::GateExtent e;
      e.size = g.channels;
      e.groups.push_back({k, 1});
      channels.sets[0].push_back(
          {double(g.channels), {problem.extents.size()}});
      problem.extents.push_back(e);
    }
    channels.target = 1.0 - request.ratio;
    problem.resources.push_back(std::move(channels));
    return llvm::Error::success();
  }
  training::GatedResource flash, macs, instructions;
  addTerms(func, request.core, flash, macs, instructions);
  if (b.ramBytes) {
    // The peak of the live sets of the lowering's schedule.
    training::GatedResource arena;
    arena.name = "arena";
    for (const std::vector<size_t> &set : dense.liveSets) {
      std::vector<training::GateCostTerm> terms;
      for (size_t i : set) {
        const LiveTensor &t = dense.buffers[i];
        terms.push_back({double(t.bytes),
                         t.value ? extentsOf(t.value) : std::vector<size_t>()});
      }
      arena.sets.push_back(std::move(terms));
    }
    arena.target = double(*b.ramBytes) / double(dense.arenaBytes);
    problem.resources.push_back(std::move(arena));
  }
  if (b.flashBytes) {
    flash.name = "flash";
    flash.target = double(*b.flashBytes) / double(dense.cost.flashBytes);
    problem.resources.push_back(std::move(flash));
  }
  if (b.latency) {
    training::GatedResource &r = b.latencyInMacs ? macs : instructions;
    r.name = b.latencyInMacs ? "MACs" : "instructions";
    double have =
        b.latencyInMacs ? double(dense.cost.macs) : dense.cost.instructions;
    r.target = *b.latency / std::max(1.0, have);
    problem.resources.push_back(std::move(r));
  }
  return llvm::Error::success();
}
#endif

llvm::Expected<GatingOutcome>
pruning::trainGates(func::FuncOp func, func::FuncOp before,
                    ArrayRef<ChannelGroup> groups,
                    ArrayRef<GateCandidate> candidates,
                    const ModelResources &dense, const GatingRequest &request) {
  const FinetuneRequest &r = request.training;
  if (llvm::Error e = checkRequest(r))
    return std::move(e);
#ifndef TINYPRUNE_HAVE_TRAINING
  (void)func, (void)before, (void)groups, (void)candidates, (void)dense;
  return llvm::createStringError("this build has no training (LibTorch not "
                                 "found, or TINYPRUNE_ENABLE_TRAINING=OFF)");
#else
  training::GateProblem problem;
  ProblemBuilder builder(groups, candidates);
  if (llvm::Error e = builder.build(func, dense, request, problem))
    return std::move(e);
  // The gates train on labels or by distillation, not on a mix of both.
  FinetuneRequest gateData = r;
  gateData.distillWeight = 0;
  gateData.temperature = 1;
  training::FinetuneData data;
  llvm::Expected<std::string> objective =
      readFinetuneData(func, before, gateData, data);
  if (!objective)
    return objective.takeError();
  unsigned threads = trainingThreads(r);
  training::GateOptions options;
  options.epochs = r.epochs;
  options.learningRate = r.learningRate;
  options.gateLearningRate = request.gateLearningRate;
  options.batchSize = r.batchSize;
  options.seed = r.seed;
  options.threads = threads;
  auto result = training::trainChannelGates(func, data, problem, options);
  if (!result)
    return result.takeError();
  GatingOutcome out;
  int64_t off = 0, total = 0;
  for (size_t k = 0; k < candidates.size(); ++k) {
    std::vector<double> scores;
    int64_t n = 0;
    for (auto [c, l] : llvm::enumerate(result->logits[k])) {
      bool isOff = result->off[k][c];
      double gate = 1.0 / (1.0 + std::exp(-l));
      scores.push_back(isOff ? gate - 1.0 : gate);
      n += isOff;
    }
    out.scores.push_back(std::move(scores));
    out.off.push_back(n);
    off += n;
    total += problem.groups[k].channels;
  }
  std::string estimates;
  for (auto [i, res] : llvm::enumerate(problem.resources))
    estimates += llvm::formatv("{0}{1} {2:F3} (target {3:F3})", i ? ", " : "",
                               res.name, result->estimates[i], res.target)
                     .str();
  out.summary =
      llvm::formatv("gates: {0} epoch{1} on {2} samples ({3}), {4} of {5} "
                    "channels switched off in {6} steps, {7}; estimated {8}; "
                    "penalty weight {9}, {10:F1} s",
                    r.epochs, r.epochs == 1 ? "" : "s", result->trainSamples,
                    *objective, off, total, result->steps,
                    result->reached ? "targets reached"
                                    : "targets not reached (the budget loop "
                                      "goes on)",
                    estimates, shortNumber(result->penaltyWeight),
                    result->seconds)
          .str();
  return out;
#endif
}
