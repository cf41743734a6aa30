//===- DepthPrune.cpp - Depth pruning with an auxiliary head --------------===//
//
// --depth-prune: finds the cut points of the model (CutPoints.h), costs the
// model cut at each with the auxiliary head attached (ResourceModel.h),
// trains heads on the features at the candidates that fit (computed once
// with the interpreter and cached; lib/Training trains a function holding
// the head alone), keeps the smallest that meets the accuracy bound and
// splices its head into the model in place of everything after the cut.
// What a cut point is and what a head is live in the pruning toolkit
// (CutPoints.h, AuxiliaryHead.h); this file holds the order of the steps,
// the data, the choice and the report.
//
//===----------------------------------------------------------------------===//

#include "tinyprune/Transforms/Passes.h"

#include "tinyprune/Data/Dataset.h"
#include "tinyprune/Dialect/LayerView.h"
#include "tinyprune/Dialect/TinyPrune.h"
#include "tinyprune/Execution/Interpreter.h"
#include "tinyprune/Execution/ModelInput.h"
#include "tinyprune/Execution/Probe.h"
#include "tinyprune/Support/Files.h"
#include "tinyprune/Transforms/Pruning/AccuracyPlot.h"
#include "tinyprune/Transforms/Pruning/AuxiliaryHead.h"
#include "tinyprune/Transforms/Pruning/BudgetAllocator.h"
#include "tinyprune/Transforms/Pruning/CutPoints.h"
#include "tinyprune/Transforms/Pruning/PruningReport.h"
#include "tinyprune/Transforms/Pruning/ResourceModel.h"

#ifdef TINYPRUNE_HAVE_TRAINING
#include "tinyprune/Training/Finetune.h"
#endif

#include "mlir/IR/Builders.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/Operation.h"
#include "mlir/Transforms/RegionUtils.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/raw_ostream.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <optional>
#include <thread>

namespace tinyprune {
#define GEN_PASS_DEF_DEPTHPRUNE
#include "tinyprune/Transforms/Passes.h.inc"
} // namespace tinyprune

using namespace mlir;
using namespace tinyprune;
using namespace tinyprune::pruning;

namespace {

/// One cut point and what the pass learns of it.
struct Candidate {
  CutPoint cut;
  ResourceCost cost;
  bool fits = true;
  /// Why it does not fit, for the report.
  std::string over;
  /// Validation accuracy (percent) of the model cut here, once trained
  /// (with cut=auto and train-base, after the base is fine-tuned too).
  std::optional<double> accuracy;
  /// With cut=auto and train-base: the frozen head's accuracy and the
  /// fine-tuned model's; `tooFar` when the frozen head is beyond
  /// max-accuracy-drop + base-gain (the base was then not fine-tuned).
  std::optional<double> frozenAccuracy, tunedAccuracy;
  bool tooFar = false;
  /// The trained head, a function of the cut tensor.
  OwningOpRef<ModuleOp> head;
  /// With cut=auto and train-base: the whole pruned model, base and head
  /// fine-tuned together (a module holding a copy of the function).
  OwningOpRef<ModuleOp> model;
};

/// The samples, split, and the model's own outputs on them.
struct Samples {
  std::vector<std::vector<uint8_t>> inputs;
  std::vector<int64_t> labels;
  /// The model's real outputs: on every sample without labels (the
  /// distillation targets), on the validation split only with labels.
  std::vector<std::vector<float>> outputs;
  size_t trainCount = 0;
  /// Top-1 the candidates are scored against: the labels, or the model's
  /// own top-1.
  std::vector<int64_t> truth;
};

/// Everything one run decides; made in runOnOperation.
struct Run {
  func::FuncOp func;
  std::vector<Candidate> candidates;
  ResourceCost full;
  McuCore core = McuCore::CortexM4;
  int64_t classes = 0;
  /// The model's final softmax, if any, and the model output's
  /// quantization (int8).
  SoftmaxOp softmax;
  QuantAttr outputQuant;
  bool isFloat = false;
  HeadSpec spec;
  std::optional<double> flashBudget, ramBudget, latencyBudget;
  bool latencyInMacs = false;
  Samples data;
  std::optional<double> fullAccuracy;
  int chosen = -1;
};

/// Index of the largest element of `v` (first on ties).
template <typename T> int64_t argmax(llvm::ArrayRef<T> v) {
  return std::max_element(v.begin(), v.end()) - v.begin();
}

/// Top-1 of raw function outputs.
int64_t rawTop1(llvm::ArrayRef<uint8_t> bytes, bool isFloat) {
  if (isFloat) {
    std::vector<float> f(bytes.size() / 4);
    std::memcpy(f.data(), bytes.data(), f.size() * 4);
    return argmax<float>(f);
  }
  std::vector<int8_t> q(bytes.begin(), bytes.end());
  return argmax<int8_t>(q);
}

struct DepthPrunePass : public tinyprune::impl::DepthPruneBase<DepthPrunePass> {
  using DepthPruneBase::DepthPruneBase;

  void runOnOperation() override {
    Run run;
    if (failed(prune(run)))
      signalPassFailure();
  }

private:
  LogicalResult prune(Run &run);
  LogicalResult checkOptions(Run &run);
  LogicalResult inspectModel(Run &run);
  /// The function holding `weights` as a head on candidate `c`'s tensor:
  /// float, or int8 with `quant` and the output quantization `outQ`.
  FailureOr<OwningOpRef<ModuleOp>>
  headFunction(const Candidate &c, const HeadWeights &weights,
               const HeadQuant *quant, QuantAttr outQ, bool floatInput);
  /// Replaces everything after `c`'s cut in `func` by `head`'s body.
  void splice(func::FuncOp func, Value cut, func::FuncOp head, Run &run);
  LogicalResult costCandidates(Run &run);
  /// The named cut into `run.chosen`, or with cut=auto, fails naming the
  /// smallest candidate when none fits the budgets.
  LogicalResult checkFits(Run &run);
  LogicalResult loadData(Run &run);
  /// The cut tensor of every sample, raw.
  FailureOr<std::vector<std::vector<uint8_t>>> features(Run &run,
                                                        const Candidate &c);
  /// Top-1 of `func` on `inputs[from..)`.
  FailureOr<std::vector<int64_t>>
  predict(func::FuncOp func, llvm::ArrayRef<std::vector<uint8_t>> inputs,
          size_t from);
  LogicalResult trainHead(Run &run, Candidate &c);
  /// Fine-tunes base and head of the pruned model `func` together and
  /// returns its validation accuracy (percent).
  FailureOr<double> trainBaseOf(Run &run, func::FuncOp func);
  /// cut=auto with train-base: `c`'s head trained frozen, then, unless it
  /// is beyond max-accuracy-drop + base-gain, the pruned model fine-tuned
  /// whole on a copy (`c.model`).
  LogicalResult trainCandidate(Run &run, Candidate &c);
  LogicalResult choose(Run &run);
  LogicalResult apply(Run &run);
  void writeReport(const Run &run);
  void writeSvg(const Run &run);
  void progress(const Twine &message) {
    if (llvm::errs().is_displayed())
      llvm::errs() << "depth-prune: " << message << "\n";
  }
  InFlightDiagnostic modelError() {
    return mlir::emitError(getOperation().getLoc()) << "depth-prune: ";
  }
  unsigned threadCount() const {
    return threads > 0 ? unsigned(threads)
                       : std::max(1u, std::thread::hardware_concurrency());
  }
};

} // namespace

//===----------------------------------------------------------------------===//
// Options and the model
//===----------------------------------------------------------------------===//

LogicalResult DepthPrunePass::checkOptions(Run &run) {
  llvm::Expected<HeadSpec> spec = parseHeadSpec(head);
  if (!spec)
    return modelError() << llvm::toString(spec.takeError());
  run.spec = *spec;
  std::optional<McuCore> core = targetCore(target);
  run.core = core.value_or(McuCore::CortexM4);
  bool hadUnit = false;
  auto bytes = [&](StringRef name, StringRef text,
                   std::optional<double> &out) -> LogicalResult {
    if (text.empty())
      return success();
    out = parseQuantity(text, /*binary=*/true, "", hadUnit);
    if (!out)
      return modelError() << name << " must be a positive byte count "
                          << "(suffix K or M), got '" << text << "'";
    return success();
  };
  if (failed(bytes("flash-budget", flashBudget, run.flashBudget)) ||
      failed(bytes("ram-budget", ramBudget, run.ramBudget)))
    return failure();
  if (!latencyBudget.empty()) {
    run.latencyBudget = parseQuantity(latencyBudget, /*binary=*/false, "macs",
                                      run.latencyInMacs);
    if (!run.latencyBudget)
      return modelError() << "latency-budget must be a positive instruction "
                             "count (suffix k or M, or end with 'macs'), got '"
                          << latencyBudget << "'";
  }
  bool bounds = run.flashBudget || run.ramBudget || run.latencyBudget ||
                maxAccuracyDrop >= 0;
  if (bounds && cut != "auto")
    return modelError() << "max-accuracy-drop and the budgets choose the cut: "
                           "they need cut=auto";
  if (cut == "auto" && !bounds)
    return modelError() << "cut=auto needs max-accuracy-drop or a budget "
                           "(flash-budget, ram-budget, latency-budget)";
  if ((curve || bisect) && cut != "auto")
    return modelError() << "curve and bisect need cut=auto";
  if (curve && bisect)
    return modelError() << "give curve or bisect, not both";
  if (trainBase && cut.empty())
    return modelError() << "train-base needs a cut";
  if (epochs < 1 || qatEpochs < 0 || batchSize < 1 || !(learningRate > 0))
    return modelError() << "need epochs >= 1, qat-epochs >= 0, batch-size >= "
                           "1 and learning-rate > 0";
  if (!(validationSplit > 0 && validationSplit < 1))
    return modelError() << "validation-split must be in (0, 1), got "
                        << shortNumber(validationSplit);
  if (calibrationLimit < 0)
    return modelError() << "calibration-limit must be at least 0";
  if (!cut.empty() && calibration.empty())
    return modelError() << "training the head needs calibration=<samples>";
#ifndef TINYPRUNE_HAVE_TRAINING
  if (!cut.empty())
    return modelError() << "this build has no training (LibTorch not found, "
                           "or TINYPRUNE_ENABLE_TRAINING=OFF)";
#endif
  return success();
}

LogicalResult DepthPrunePass::inspectModel(Run &run) {
  ModuleOp module = getOperation();
  for (auto f : module.getOps<func::FuncOp>()) {
    if (f.isExternal())
      continue;
    if (run.func)
      return modelError() << "needs a module with exactly one function";
    run.func = f;
  }
  if (!run.func)
    return modelError() << "needs a module with exactly one function";
  func::FuncOp func = run.func;
  Operation *tosaLayer = nullptr;
  func.walk([&](Operation *op) {
    if (!tosaLayer && isa<tosa::Conv2DOp, tosa::DepthwiseConv2DOp>(op))
      tosaLayer = op;
  });
  if (tosaLayer)
    return tosaLayer->emitError()
           << "depth-prune: cuts layer ops, but this convolution is a TOSA "
              "chain; run --tinyprune-raise-to-layers first";
  if (func.getNumArguments() != 1 || func.getNumResults() != 1)
    return modelError() << "needs a model of one input and one output";
  auto outType = dyn_cast<RankedTensorType>(func.getResultTypes()[0]);
  if (!outType || !outType.hasStaticShape() || outType.getRank() != 2 ||
      outType.getDimSize(0) != 1)
    return modelError() << "needs a classifier: an output of shape [1, "
                           "classes], got "
                        << func.getResultTypes()[0];
  run.classes = outType.getDimSize(1);
  run.isFloat = isa<FloatType>(outType.getElementType());
  auto ret = cast<func::ReturnOp>(func.getBody().front().getTerminator());
  Value out = ret.getOperand(0);
  while (auto r = out.getDefiningOp<tosa::ReshapeOp>())
    out = r.getInput1();
  run.softmax = out.getDefiningOp<SoftmaxOp>();
  if (!run.isFloat) {
    run.outputQuant = func.getResultAttrOfType<QuantAttr>(0, "tinyprune.quant");
    if (!run.outputQuant)
      run.outputQuant = producerQuant(ret.getOperand(0));
    if (!run.outputQuant)
      return modelError() << "the int8 output has no quantization";
  }
  std::vector<CutPoint> cuts = findCutPoints(func);
  if (cuts.empty())
    return modelError() << "the model has no cut point (a tensor after an "
                           "activation that every path passes through)";
  for (CutPoint &c : cuts) {
    if (!run.isFloat && !producerQuant(c.value))
      continue;
    Candidate cand;
    cand.cut = std::move(c);
    run.candidates.push_back(std::move(cand));
  }
  return success();
}

//===----------------------------------------------------------------------===//
// Heads in and out of the model
//===----------------------------------------------------------------------===//

FailureOr<OwningOpRef<ModuleOp>>
DepthPrunePass::headFunction(const Candidate &c, const HeadWeights &weights,
                             const HeadQuant *quant, QuantAttr outQ,
                             bool floatInput) {
  MLIRContext *ctx = &getContext();
  OpBuilder b(ctx);
  Location loc = NameLoc::get(b.getStringAttr("head"));
  OwningOpRef<ModuleOp> module = ModuleOp::create(loc);
  b.setInsertionPointToEnd(module->getBody());
  auto cutType = cast<RankedTensorType>(c.cut.value.getType());
  Type elt = floatInput ? Type(b.getF32Type()) : cutType.getElementType();
  auto inType = RankedTensorType::get(cutType.getShape(), elt);
  auto outType = RankedTensorType::get({1, weights.layers.back().out}, elt);
  auto func = func::FuncOp::create(b, loc, "head",
                                   b.getFunctionType({inType}, {outType}));
  if (quant) {
    func.setArgAttr(0, "tinyprune.quant", quant->input);
    func.setResultAttr(0, "tinyprune.quant", outQ);
  }
  Block *entry = func.addEntryBlock();
  b.setInsertionPointToStart(entry);
  HeadQuant q;
  if (quant) {
    q = *quant;
    q.outputs.back() = outQ;
  }
  llvm::Expected<Value> logits =
      buildHead(b, entry->getArgument(0), weights, quant ? &q : nullptr);
  if (!logits)
    return modelError() << "at " << c.cut.name << ": "
                        << llvm::toString(logits.takeError());
  func::ReturnOp::create(b, loc, ValueRange{*logits});
  return std::move(module);
}

void DepthPrunePass::splice(func::FuncOp func, Value cut, func::FuncOp head,
                            Run &run) {
  OpBuilder b(func.getContext());
  b.setInsertionPointAfterValue(cut);
  IRMapping map;
  map.map(head.getArgument(0), cut);
  Value logits;
  for (Operation &op : head.getBody().front()) {
    if (auto ret = dyn_cast<func::ReturnOp>(op)) {
      logits = map.lookup(ret.getOperand(0));
      continue;
    }
    b.clone(op, map);
  }
  Value result = logits;
  if (run.softmax) {
    auto sm = cast<SoftmaxOp>(b.clone(*run.softmax));
    sm->setOperand(0, logits);
    if (!run.isFloat)
      sm.setInputQuantAttr(producerQuant(logits));
    result = sm.getResult();
  }
  auto ret = cast<func::ReturnOp>(func.getBody().front().getTerminator());
  ret->setOperand(0, result);
  // Everything after the cut that no longer reaches the output.
  SmallVector<Operation *> ops;
  for (Operation &op : func.getBody().front())
    ops.push_back(&op);
  for (Operation *op : llvm::reverse(ops))
    if (op != ret && isOpTriviallyDead(op))
      op->erase();
}

LogicalResult DepthPrunePass::costCandidates(Run &run) {
  llvm::Expected<ResourceCost> full = estimateResources(run.func, run.core);
  if (!full)
    return modelError() << llvm::toString(full.takeError());
  run.full = *full;
  MLIRContext *ctx = &getContext();
  for (Candidate &c : run.candidates) {
    // An untrained head costs what a trained one does: the weights' values
    // change neither shapes nor storage.
    HeadWeights w = initHead(run.spec, c.cut.channels, run.classes, seed);
    HeadQuant q;
    QuantAttr outQ;
    if (!run.isFloat) {
      q.input = producerQuant(c.cut.value);
      q.outputs.assign(w.layers.size(), rangeQuant(ctx, 0.0, 8.0));
      outQ = run.softmax ? rangeQuant(ctx, -16.0, 16.0) : run.outputQuant;
    }
    FailureOr<OwningOpRef<ModuleOp>> h = headFunction(
        c, w, run.isFloat ? nullptr : &q, outQ, /*floatInput=*/false);
    if (failed(h))
      return failure();
    IRMapping map;
    auto copy = cast<func::FuncOp>(run.func->clone(map));
    OwningOpRef<ModuleOp> holder = ModuleOp::create(run.func.getLoc());
    holder->push_back(copy);
    splice(copy, map.lookup(c.cut.value), *(*h)->getOps<func::FuncOp>().begin(),
           run);
    llvm::Expected<ResourceCost> cost = estimateResources(copy, run.core);
    if (!cost)
      return modelError() << "at " << c.cut.name << ": "
                          << llvm::toString(cost.takeError());
    c.cost = *cost;
    std::string over;
    if (run.flashBudget && double(c.cost.flashBytes) > *run.flashBudget)
      over += "flash ";
    if (run.ramBudget && double(c.cost.arenaBytes) > *run.ramBudget)
      over += "ram ";
    if (run.latencyBudget &&
        (run.latencyInMacs ? double(c.cost.macs) : c.cost.instructions) >
            *run.latencyBudget)
      over += "latency ";
    c.fits = over.empty();
    c.over = StringRef(over).rtrim().str();
  }
  return success();
}

LogicalResult DepthPrunePass::checkFits(Run &run) {
  if (cut != "auto") {
    for (auto [i, c] : llvm::enumerate(run.candidates))
      if (c.cut.name == cut) {
        run.chosen = int(i);
        return success();
      }
    // Else the index in the report (long tensor names are cut short
    // there).
    unsigned index = 0;
    if (!StringRef(cut).getAsInteger(10, index) &&
        index < run.candidates.size()) {
      run.chosen = int(index);
      return success();
    }
    std::string names;
    for (const Candidate &c : run.candidates)
      names += (names.empty() ? "" : ", ") + c.cut.name;
    return modelError() << "no cut point named '" << cut
                        << "' (nor an index below " << run.candidates.size()
                        << "); the cut points are: " << names;
  }
  if (llvm::any_of(run.candidates, [](const Candidate &c) { return c.fits; }))
    return success();
  const Candidate *best = &run.candidates.front();
  for (const Candidate &c : run.candidates)
    if (c.cost.flashBytes < best->cost.flashBytes)
      best = &c;
  writeReport(run);
  return modelError() << "no cut point fits the budgets; the smallest is '"
                      << best->cut.name << "' with " << best->cost.flashBytes
                      << " flash bytes, " << best->cost.arenaBytes
                      << " arena bytes, " << int64_t(best->cost.instructions)
                      << " instructions, " << best->cost.macs << " MACs";
}

//===----------------------------------------------------------------------===//
// Data and training
//===----------------------------------------------------------------------===//

LogicalResult DepthPrunePass::loadData(Run &run) {
  llvm::Expected<data::InputSpec> spec = getInputSpec(run.func);
  if (!spec)
    return modelError() << llvm::toString(spec.takeError());
  data::DatasetOptions options;
  options.dataPath = calibration;
  options.labelsPath = labels;
  options.dataScale = calibrationScale;
  auto opened = data::openDataset(options, *spec);
  if (!opened)
    return modelError() << llvm::toString(opened.takeError());
  const data::Dataset &set = **opened;
  size_t n = calibrationLimit > 0
                 ? std::min<size_t>(set.size(), calibrationLimit)
                 : set.size();
  Samples &d = run.data;
  size_t val = size_t(std::llround(double(n) * validationSplit));
  if (n < 10 || val < 1 || val >= n)
    return modelError() << "needs at least 10 samples and a non-empty "
                           "training and validation split, got "
                        << n << " samples";
  d.inputs.resize(n);
  for (size_t i = 0; i < n; ++i) {
    d.inputs[i].resize(spec->byteSize());
    if (llvm::Error e = set.read(i, d.inputs[i]))
      return modelError() << llvm::toString(std::move(e));
  }
  d.trainCount = n - val;
  if (!labels.empty()) {
    llvm::ArrayRef<int64_t> l = set.labels();
    if (l.size() < n)
      return modelError() << "fewer labels than samples";
    d.labels.assign(l.begin(), l.begin() + n);
    for (int64_t label : d.labels)
      if (label < 0 || label >= run.classes)
        return modelError() << "label " << label << " is outside the "
                            << run.classes << " classes of the model";
  }
  // With labels the model's outputs are needed on the validation split
  // only; without, they are the training targets too.
  size_t from = d.labels.empty() ? 0 : d.trainCount;
  progress(llvm::formatv("running the model on {0} samples", n - from));
#ifdef TINYPRUNE_HAVE_TRAINING
  auto outputs = training::teacherOutputs(
      run.func, llvm::ArrayRef(d.inputs).drop_front(from), threadCount());
  if (!outputs)
    return modelError() << llvm::toString(outputs.takeError());
  d.outputs = std::move(*outputs);
#endif
  // The model's top-1 from `from` on.
  std::vector<int64_t> modelTop1;
  for (const std::vector<float> &o : d.outputs)
    modelTop1.push_back(argmax<float>(o));
  d.truth = d.labels.empty() ? modelTop1 : d.labels;
  size_t correct = 0;
  for (size_t i = d.trainCount; i < n; ++i)
    correct += modelTop1[i - from] == d.truth[i];
  run.fullAccuracy = 100.0 * double(correct) / double(val);
  return success();
}

FailureOr<std::vector<std::vector<uint8_t>>>
DepthPrunePass::features(Run &run, const Candidate &c) {
  FailureOr<std::unique_ptr<ValueProbe>> probe =
      ValueProbe::create(run.func, {c.cut.value});
  if (failed(probe))
    return failure();
  const std::vector<std::vector<uint8_t>> &in = run.data.inputs;
  std::vector<std::vector<uint8_t>> out(in.size());
  unsigned n = threadCount();
  std::atomic<bool> failedRun{false};
  std::vector<std::thread> pool;
  for (unsigned t = 0; t < n; ++t)
    pool.emplace_back([&, t] {
      PreparedFunction::State state = (*probe)->newState();
      for (size_t s = t; s < in.size() && !failedRun; s += n) {
        if (failed((*probe)->run(state, {in[s]}))) {
          failedRun = true;
          return;
        }
        llvm::ArrayRef<uint8_t> bytes = state.output(0);
        out[s].assign(bytes.begin(), bytes.end());
      }
    });
  for (std::thread &t : pool)
    t.join();
  if (failedRun)
    return failure();
  return out;
}

FailureOr<std::vector<int64_t>>
DepthPrunePass::predict(func::FuncOp func,
                        llvm::ArrayRef<std::vector<uint8_t>> inputs,
                        size_t from) {
  FailureOr<std::unique_ptr<PreparedFunction>> prepared =
      PreparedFunction::create(func);
  if (failed(prepared))
    return failure();
  bool isFloat = isa<FloatType>(
      cast<RankedTensorType>(func.getResultTypes()[0]).getElementType());
  std::vector<int64_t> top1(inputs.size() - from);
  PreparedFunction::State state = (*prepared)->newState();
  for (size_t s = from; s < inputs.size(); ++s) {
    if (failed((*prepared)->run(state, {inputs[s]})))
      return failure();
    top1[s - from] = rawTop1(state.output(0), isFloat);
  }
  return top1;
}

LogicalResult DepthPrunePass::trainHead(Run &run, Candidate &c) {
#ifndef TINYPRUNE_HAVE_TRAINING
  (void)run;
  (void)c;
  return modelError() << "this build has no training (LibTorch not found, or "
                         "TINYPRUNE_ENABLE_TRAINING=OFF)";
#else
  MLIRContext *ctx = &getContext();
  progress(llvm::formatv("caching the features at {0}", c.cut.name));
  FailureOr<std::vector<std::vector<uint8_t>>> feats = features(run, c);
  if (failed(feats))
    return failure();
  Samples &d = run.data;
  QuantAttr inQ = run.isFloat ? QuantAttr() : producerQuant(c.cut.value);
  // Float features: as they are, or the int8 ones dequantized.
  std::vector<std::vector<uint8_t>> realFeats;
  if (run.isFloat) {
    realFeats = *feats;
  } else {
    float scale = inQ.getScaleAt(0);
    int64_t zp = inQ.getZeroPointAt(0);
    realFeats.resize(feats->size());
    for (size_t s = 0; s < feats->size(); ++s) {
      const std::vector<uint8_t> &q = (*feats)[s];
      std::vector<float> f(q.size());
      for (size_t k = 0; k < q.size(); ++k)
        f[k] = float(int64_t(int8_t(q[k])) - zp) * scale;
      realFeats[s].resize(f.size() * 4);
      std::memcpy(realFeats[s].data(), f.data(), f.size() * 4);
    }
  }
  size_t nTrain = d.trainCount;
  auto trainData = [&](const std::vector<std::vector<uint8_t>> &x) {
    training::FinetuneData t;
    t.samples.assign(x.begin(), x.begin() + nTrain);
    if (!d.labels.empty()) {
      t.labels.assign(d.labels.begin(), d.labels.begin() + nTrain);
      return t;
    }
    t.teacher.assign(d.outputs.begin(), d.outputs.begin() + nTrain);
    // The head ends in logits: a softmax model's probabilities become
    // their logarithms (the trainer softens logit targets by a softmax).
    if (run.softmax)
      for (std::vector<float> &o : t.teacher)
        for (float &p : o)
          p = std::log(std::max(p, 1e-7f));
    return t;
  };
  training::FinetuneOptions opts;
  opts.epochs = epochs;
  opts.learningRate = learningRate;
  opts.batchSize = batchSize;
  opts.validationSplit = 0.1;
  opts.seed = seed;
  opts.threads = threadCount();
  auto fail = [&](llvm::Error e) {
    return modelError() << "training the head at " << c.cut.name << ": "
                        << llvm::toString(std::move(e));
  };

  // The float head, trained on the real-valued features.
  HeadWeights init = initHead(run.spec, c.cut.channels, run.classes, seed);
  FailureOr<OwningOpRef<ModuleOp>> floatHead =
      headFunction(c, init, nullptr, QuantAttr(), /*floatInput=*/true);
  if (failed(floatHead))
    return failure();
  func::FuncOp floatFn = *(*floatHead)->getOps<func::FuncOp>().begin();
  progress(llvm::formatv("training the head at {0} ({1} samples)", c.cut.name,
                         nTrain));
  auto trained = training::finetune(floatFn, trainData(realFeats), opts);
  if (!trained)
    return fail(trained.takeError());
  if (run.isFloat) {
    FailureOr<std::vector<int64_t>> top1 = predict(floatFn, realFeats, nTrain);
    if (failed(top1))
      return failure();
    size_t correct = 0;
    for (size_t i = 0; i < top1->size(); ++i)
      correct += (*top1)[i] == d.truth[nTrain + i];
    c.accuracy = 100.0 * double(correct) / double(top1->size());
    c.head = std::move(*floatHead);
    return success();
  }

  // int8: calibrate the activation ranges of the trained float head on the
  // training features, quantize, then train quantization-aware.
  llvm::Expected<HeadWeights> weights = readHead(floatFn, init);
  if (!weights)
    return fail(weights.takeError());
  std::vector<Value> outs = headLayerOutputs(floatFn);
  FailureOr<std::unique_ptr<ValueProbe>> probe =
      ValueProbe::create(floatFn, outs);
  if (failed(probe))
    return failure();
  std::vector<double> lo(outs.size(), 0.0), hi(outs.size(), 0.0);
  PreparedFunction::State state = (*probe)->newState();
  size_t calib = std::min<size_t>(nTrain, 2000);
  for (size_t s = 0; s < calib; ++s) {
    if (failed((*probe)->run(state, {realFeats[s]})))
      return failure();
    for (size_t i = 0; i < outs.size(); ++i) {
      llvm::ArrayRef<uint8_t> bytes = state.output(i);
      for (size_t k = 0; k + 4 <= bytes.size(); k += 4) {
        float f;
        std::memcpy(&f, bytes.data() + k, 4);
        lo[i] = std::min(lo[i], double(f));
        hi[i] = std::max(hi[i], double(f));
      }
    }
  }
  HeadQuant q;
  q.input = inQ;
  for (size_t i = 0; i < outs.size(); ++i)
    q.outputs.push_back(rangeQuant(ctx, lo[i], hi[i]));
  QuantAttr outQ = run.softmax ? q.outputs.back() : run.outputQuant;
  // The float features (four times the int8 ones) are done with.
  std::vector<std::vector<uint8_t>>().swap(realFeats);
  FailureOr<OwningOpRef<ModuleOp>> intHead =
      headFunction(c, *weights, &q, outQ, /*floatInput=*/false);
  if (failed(intHead))
    return failure();
  func::FuncOp intFn = *(*intHead)->getOps<func::FuncOp>().begin();
  if (qatEpochs > 0) {
    progress(llvm::formatv("quantization-aware training at {0}", c.cut.name));
    training::FinetuneOptions qat = opts;
    qat.epochs = qatEpochs;
    qat.learningRate = learningRate / 10;
    auto result = training::finetune(intFn, trainData(*feats), qat);
    if (!result)
      return fail(result.takeError());
  }
  FailureOr<std::vector<int64_t>> top1 = predict(intFn, *feats, nTrain);
  if (failed(top1))
    return failure();
  size_t correct = 0;
  for (size_t i = 0; i < top1->size(); ++i)
    correct += (*top1)[i] == d.truth[nTrain + i];
  c.accuracy = 100.0 * double(correct) / double(top1->size());
  c.head = std::move(*intHead);
  return success();
#endif
}

//===----------------------------------------------------------------------===//
// The choice
//===----------------------------------------------------------------------===//

LogicalResult DepthPrunePass::choose(Run &run) {
  std::vector<Candidate> &cands = run.candidates;
  if (cut != "auto")
    return trainHead(run, cands[run.chosen]);
  // Smallest flash first.
  std::vector<size_t> order;
  for (size_t i = 0; i < cands.size(); ++i)
    if (cands[i].fits)
      order.push_back(i);
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    return cands[a].cost.flashBytes < cands[b].cost.flashBytes;
  });
  auto meets = [&](const Candidate &c) {
    return maxAccuracyDrop < 0 ||
           *run.fullAccuracy - *c.accuracy <= maxAccuracyDrop + 1e-9;
  };
  auto train = [&](size_t i) -> FailureOr<bool> {
    if (!cands[i].accuracy && !cands[i].tooFar) {
      if (failed(trainBase ? trainCandidate(run, cands[i])
                           : trainHead(run, cands[i])))
        return failure();
      if (cands[i].tooFar)
        return false;
      progress(llvm::formatv("{0}: {1:F2} % (model {2:F2} %)",
                             cands[i].cut.name, *cands[i].accuracy,
                             *run.fullAccuracy));
    }
    return cands[i].accuracy && meets(cands[i]);
  };
  if (bisect && !curve) {
    // The first candidate (by flash) that meets the bound, taking the
    // accuracy as growing with the flash: about log2(n) heads trained.
    size_t lo = 0, hi = order.size();
    while (lo < hi) {
      size_t mid = (lo + hi) / 2;
      FailureOr<bool> ok = train(order[mid]);
      if (failed(ok))
        return failure();
      if (*ok)
        hi = mid;
      else
        lo = mid + 1;
    }
    if (lo < order.size())
      run.chosen = int(order[lo]);
  } else {
    for (size_t i : order) {
      FailureOr<bool> ok = train(i);
      if (failed(ok))
        return failure();
      if (*ok && run.chosen < 0) {
        run.chosen = int(i);
        if (!curve)
          break;
      }
    }
  }
  if (run.chosen >= 0)
    return success();
  // The best reached: after train-base, else (no base tuned) the best
  // frozen head.
  const Candidate *best = nullptr;
  auto score = [](const Candidate &c) {
    return c.accuracy ? *c.accuracy : c.frozenAccuracy.value_or(-1.0);
  };
  for (size_t i : order)
    if ((cands[i].accuracy || cands[i].frozenAccuracy) &&
        (!best || score(cands[i]) > score(*best)))
      best = &cands[i];
  // The table and the curve are the result of a run that finds no cut.
  writeReport(run);
  writeSvg(run);
  if (!best)
    return modelError() << "no cut point was trained";
  return modelError() << "no cut point within max-accuracy-drop="
                      << shortNumber(maxAccuracyDrop)
                      << llvm::formatv(" of the model's {0:F2} %; the best "
                                       "reachable is '{1}' at {2:F2} % ({3} "
                                       "flash bytes)",
                                       *run.fullAccuracy, best->cut.name,
                                       score(*best), best->cost.flashBytes)
                             .str();
}

FailureOr<double> DepthPrunePass::trainBaseOf(Run &run, func::FuncOp func) {
#ifndef TINYPRUNE_HAVE_TRAINING
  (void)run;
  (void)func;
  return modelError() << "this build has no training";
#else
  Samples &d = run.data;
  training::FinetuneData t;
  t.samples.assign(d.inputs.begin(), d.inputs.begin() + d.trainCount);
  if (!d.labels.empty())
    t.labels.assign(d.labels.begin(), d.labels.begin() + d.trainCount);
  else
    t.teacher.assign(d.outputs.begin(), d.outputs.begin() + d.trainCount);
  training::FinetuneOptions opts;
  opts.epochs = std::max<int64_t>(1, qatEpochs);
  opts.learningRate = learningRate / 10;
  opts.batchSize = batchSize;
  opts.seed = seed;
  opts.threads = threadCount();
  auto result = training::finetune(func, t, opts);
  if (!result)
    return modelError() << "train-base: " << llvm::toString(result.takeError());
  FailureOr<std::vector<int64_t>> top1 = predict(func, d.inputs, d.trainCount);
  if (failed(top1))
    return failure();
  size_t correct = 0;
  for (size_t i = 0; i < top1->size(); ++i)
    correct += (*top1)[i] == d.truth[d.trainCount + i];
  return 100.0 * double(correct) / double(top1->size());
#endif
}

LogicalResult DepthPrunePass::trainCandidate(Run &run, Candidate &c) {
  if (failed(trainHead(run, c)))
    return failure();
  c.frozenAccuracy = c.accuracy;
  if (maxAccuracyDrop >= 0 && baseGain >= 0 &&
      *run.fullAccuracy - *c.accuracy > maxAccuracyDrop + baseGain + 1e-9) {
    progress(llvm::formatv("{0}: frozen head {1:F2} %, beyond "
                           "max-accuracy-drop + base-gain: base not tuned",
                           c.cut.name, *c.accuracy));
    c.accuracy.reset();
    c.tooFar = true;
    return success();
  }
  IRMapping map;
  auto copy = cast<func::FuncOp>(run.func->clone(map));
  OwningOpRef<ModuleOp> holder = ModuleOp::create(run.func.getLoc());
  holder->push_back(copy);
  splice(copy, map.lookup(c.cut.value), *c.head->getOps<func::FuncOp>().begin(),
         run);
  // The frozen-head model, kept should fine-tuning score below it on the
  // validation split (the fine-tuning picks its epoch on a small split of
  // the training samples).
  OwningOpRef<ModuleOp> frozen = holder->clone();
  progress(
      llvm::formatv("fine-tuning base and head together at {0}", c.cut.name));
  FailureOr<double> acc = trainBaseOf(run, copy);
  if (failed(acc))
    return failure();
  c.tunedAccuracy = *acc;
  if (*acc < *c.frozenAccuracy) {
    c.model = std::move(frozen);
    return success();
  }
  c.accuracy = *acc;
  c.model = std::move(holder);
  return success();
}

LogicalResult DepthPrunePass::apply(Run &run) {
  Candidate &c = run.candidates[run.chosen];
  if (c.model) {
    // Trained whole while choosing: the copy's body replaces the model's.
    func::FuncOp trained = *c.model->getOps<func::FuncOp>().begin();
    run.func.getBody().takeBody(trained.getBody());
    return success();
  }
  splice(run.func, c.cut.value, *c.head->getOps<func::FuncOp>().begin(), run);
  if (!trainBase)
    return success();
  progress("fine-tuning base and head together");
  FailureOr<double> acc = trainBaseOf(run, run.func);
  if (failed(acc))
    return failure();
  c.accuracy = *acc;
  return success();
}

//===----------------------------------------------------------------------===//
// Report
//===----------------------------------------------------------------------===//

void DepthPrunePass::writeReport(const Run &run) {
  if (report.empty())
    return;
  std::string text;
  llvm::raw_string_ostream os(text);
  os << "depth-prune: head " << run.spec.describe() << ", cut "
     << (cut.empty() ? std::string("(none: report only)") : cut) << ", "
     << mcuCoreName(run.core);
  if (maxAccuracyDrop >= 0)
    os << ", max-accuracy-drop " << shortNumber(maxAccuracyDrop);
  if (!calibration.empty())
    os << ", validation " << run.data.inputs.size() - run.data.trainCount
       << " samples, "
       << (labels.empty() ? "agreement with the model"
                          : "accuracy against labels");
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
  if (report == "-") {
    llvm::outs() << text;
    llvm::outs().flush();
    return;
  }
  std::error_code ec;
  llvm::raw_fd_ostream file(report, ec);
  if (ec) {
    modelError() << "cannot write report '" << report << "': " << ec.message();
    return;
  }
  file << text;
}

void DepthPrunePass::writeSvg(const Run &run) {
  if (reportSvg.empty())
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
  if (llvm::Error e = plot.write(reportSvg))
    modelError() << "report-svg: " << llvm::toString(std::move(e));
}

LogicalResult DepthPrunePass::prune(Run &run) {
  if (failed(checkOptions(run)) || failed(inspectModel(run)) ||
      failed(costCandidates(run)))
    return failure();
  if (cut.empty()) {
    writeReport(run);
    writeSvg(run);
    return success();
  }
  if (failed(checkFits(run)) || failed(loadData(run)) || failed(choose(run)) ||
      failed(apply(run)))
    return failure();
  writeReport(run);
  writeSvg(run);
  return success();
}
