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
// the heads' splicing, the costs and the choice; DepthPruneTraining.cpp the
// data and the training, DepthPruneReport.cpp the table and the curve
// (DepthPrune.h: what they share).
//
//===----------------------------------------------------------------------===//

#include "DepthPrune.h"

#include "tinyprune/Transforms/Passes.h"

#include "tinyprune/Dialect/LayerView.h"
#include "tinyprune/Dialect/TinyPrune.h"
#include "tinyprune/Execution/ModelInput.h"
#include "tinyprune/Support/Files.h"
#include "tinyprune/Transforms/Pruning/BudgetAllocator.h"
#include "tinyprune/Transforms/Pruning/PruningReport.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/Operation.h"
#include "mlir/Transforms/RegionUtils.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/raw_ostream.h"

#include <algorithm>
#include <optional>
#include <thread>

namespace tinyprune {
#define GEN_PASS_DEF_DEPTHPRUNE
#include "tinyprune/Transforms/Passes.h.inc"
} // namespace tinyprune

using namespace mlir;
using namespace tinyprune;
using namespace tinyprune::depth;
using namespace tinyprune::pruning;

void depth::progress(const Twine &message) {
  if (llvm::errs().is_displayed())
    llvm::errs() << "depth-prune: " << message << "\n";
}

namespace {

struct DepthPrunePass : public tinyprune::impl::DepthPruneBase<DepthPrunePass> {
  using DepthPruneBase::DepthPruneBase;

  void runOnOperation() override {
    Run run;
    if (failed(prune(run)))
      signalPassFailure();
  }

private:
  LogicalResult prune(Run &run);
  /// The options the other files read, into `run.settings`.
  void copySettings(Run &run);
  LogicalResult checkOptions(Run &run);
  LogicalResult inspectModel(Run &run);
  LogicalResult costCandidates(Run &run);
  /// The named cut into `run.chosen`, or with cut=auto, fails naming the
  /// smallest candidate when none fits the budgets.
  LogicalResult checkFits(Run &run);
  /// cut=auto with train-base: `c`'s head trained frozen, then, unless it
  /// is beyond max-accuracy-drop + base-gain, the pruned model fine-tuned
  /// whole on a copy (`c.model`).
  LogicalResult trainCandidate(Run &run, Candidate &c);
  LogicalResult choose(Run &run);
  LogicalResult apply(Run &run);
  /// candidates-dir: the model cut at every trained candidate, as
  /// cut<N>.mlir.
  LogicalResult writeCandidates(Run &run);
  InFlightDiagnostic modelError() {
    return mlir::emitError(getOperation().getLoc()) << "depth-prune: ";
  }
};

} // namespace

void DepthPrunePass::copySettings(Run &run) {
  Settings &s = run.settings;
  s.module = getOperation();
  s.cut = cut;
  s.maxAccuracyDrop = maxAccuracyDrop;
  s.epochs = epochs;
  s.qatEpochs = qatEpochs;
  s.batchSize = batchSize;
  s.learningRate = learningRate;
  s.seed = seed;
  s.threads = threads > 0 ? unsigned(threads)
                          : std::max(1u, std::thread::hardware_concurrency());
  s.withData = !calibration.empty();
  s.withLabels = !labels.empty();
}

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
  if (!candidatesDir.empty() && cut != "auto")
    return modelError() << "candidates-dir needs cut=auto";
  if (!candidatesDir.empty() && !llvm::sys::fs::is_directory(candidatesDir))
    return modelError() << "candidates-dir '" << candidatesDir
                        << "' is not a directory";
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
  if (!cut.empty() && !trainingAvailable())
    return modelError() << "this build has no training (LibTorch not found, "
                           "or TINYPRUNE_ENABLE_TRAINING=OFF)";
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
depth::headFunction(const Run &run, const Candidate &c,
                    const HeadWeights &weights, const HeadQuant *quant,
                    QuantAttr outQ, bool floatInput) {
  MLIRContext *ctx = run.func->getContext();
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
    return run.settings.error()
           << "at " << c.cut.name << ": " << llvm::toString(logits.takeError());
  func::ReturnOp::create(b, loc, ValueRange{*logits});
  return std::move(module);
}

void depth::splice(func::FuncOp func, Value cut, func::FuncOp head,
                   const Run &run) {
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
        run, c, w, run.isFloat ? nullptr : &q, outQ, /*floatInput=*/false);
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
  writeReport(run, report);
  return modelError() << "no cut point fits the budgets; the smallest is '"
                      << best->cut.name << "' with " << best->cost.flashBytes
                      << " flash bytes, " << best->cost.arenaBytes
                      << " arena bytes, " << int64_t(best->cost.instructions)
                      << " instructions, " << best->cost.macs << " MACs";
}

//===----------------------------------------------------------------------===//
// Data and training
//===----------------------------------------------------------------------===//

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
  // The table, the curve and the candidates are the result of a run that
  // finds no cut.
  writeReport(run, report);
  writeSvg(run, reportSvg);
  if (failed(writeCandidates(run)))
    return failure();
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

LogicalResult DepthPrunePass::writeCandidates(Run &run) {
  if (candidatesDir.empty())
    return success();
  for (auto [i, c] : llvm::enumerate(run.candidates)) {
    if (!c.head)
      continue;
    // The whole module (attributes and declarations kept), its function
    // cut: the copy fine-tuned with train-base, else the head spliced in.
    IRMapping map;
    OwningOpRef<ModuleOp> module = cast<ModuleOp>(getOperation()->clone(map));
    auto func = module->lookupSymbol<func::FuncOp>(run.func.getSymName());
    if (c.model) {
      auto trained = cast<func::FuncOp>(
          (*c.model->getOps<func::FuncOp>().begin())->clone());
      func.getBody().takeBody(trained.getBody());
      trained->erase();
    } else {
      splice(func, map.lookup(c.cut.value),
             *c.head->getOps<func::FuncOp>().begin(), run);
    }
    llvm::SmallString<128> path(candidatesDir);
    llvm::sys::path::append(path, llvm::formatv("cut{0}.mlir", i).str());
    std::error_code ec;
    llvm::raw_fd_ostream file(path, ec);
    if (ec)
      return modelError() << "candidates-dir: cannot write '" << path
                          << "': " << ec.message();
    module->print(file, OpPrintingFlags().enableDebugInfo());
  }
  return success();
}

LogicalResult DepthPrunePass::prune(Run &run) {
  copySettings(run);
  if (failed(checkOptions(run)) || failed(inspectModel(run)) ||
      failed(costCandidates(run)))
    return failure();
  if (cut.empty()) {
    writeReport(run, report);
    writeSvg(run, reportSvg);
    return success();
  }
  // The candidates are written before apply() moves the chosen one's
  // trained copy into the model.
  data::DatasetOptions options;
  options.dataPath = calibration;
  options.labelsPath = labels;
  options.dataScale = calibrationScale;
  if (failed(checkFits(run)) ||
      failed(loadData(run, options, calibrationLimit, validationSplit)) ||
      failed(choose(run)) || failed(writeCandidates(run)) || failed(apply(run)))
    return failure();
  writeReport(run, report);
  writeSvg(run, reportSvg);
  return success();
}
