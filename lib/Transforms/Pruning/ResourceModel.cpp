//===- ResourceModel.cpp - What a model costs on the MCU ------------------===//
//
// Measures a function as the compiler deploys it (ResourceModel.h): the C++
// lowering's pipeline on a copy in a scratch module, its arena size read
// from the plan it records, the live buffers of its schedule at the peak,
// and the cost model's estimate.
//
//===----------------------------------------------------------------------===//

#include "tinyprune/Transforms/Pruning/ResourceModel.h"

#include "tinyprune/Dialect/ArenaAttrs.h"
#include "tinyprune/Dialect/LayerView.h"
#include "tinyprune/Target/Passes.h"
#include "tinyprune/Transforms/Pruning/BudgetAllocator.h"
#include "tinyprune/Transforms/Pruning/PruningReport.h"

#include "mlir/Dialect/Tosa/IR/TosaOps.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/Pass/PassManager.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/Support/FormatVariadic.h"

#include <set>

using namespace mlir;
using namespace tinyprune;
using namespace tinyprune::pruning;

std::string pruning::opLabel(Operation *op) {
  std::string name = layerName(op);
  if (name != "?")
    return name;
  int64_t index = 0;
  if (Block *block = op->getBlock())
    for (Operation &other : *block) {
      if (&other == op)
        break;
      if (!isa<tosa::ConstOp, tosa::ConstShapeOp>(other))
        ++index;
    }
  StringRef kind = op->getName().getStringRef();
  return (kind.substr(kind.find('.') + 1) + " #" + Twine(index)).str();
}

/// The arena buffers live together where the most bytes are, in the order
/// of `func`'s block (the lowering's schedule): a buffer is live from its
/// producer to its last reader.
static void findPeak(func::FuncOp func, const IRMapping &toOriginal,
                     ModelResources &r) {
  Block &block = func.getBody().front();
  llvm::DenseMap<Operation *, int64_t> step;
  int64_t t = 0;
  for (Operation &op : block)
    step[&op] = t++;
  struct Live {
    Operation *op;
    int64_t bytes, first, last;
  };
  std::vector<Live> buffers;
  for (Operation &op : block) {
    auto dict = op.getAttrOfType<DictionaryAttr>(kArenaAttr);
    if (!dict || op.getNumResults() != 1)
      continue;
    auto bytes = dict.getAs<IntegerAttr>("bytes");
    int64_t last = step[&op];
    for (Operation *user : op.getResult(0).getUsers())
      last = std::max(last, step.lookup(block.findAncestorOpInBlock(*user)));
    buffers.push_back({&op, bytes ? bytes.getInt() : 0, step[&op], last});
  }
  int64_t best = -1, bestStep = 0;
  std::set<std::vector<size_t>> seen;
  for (int64_t s = 0; s < t; ++s) {
    int64_t live = 0;
    std::vector<size_t> set;
    for (auto [i, b] : llvm::enumerate(buffers))
      if (b.first <= s && s <= b.last) {
        live += b.bytes;
        set.push_back(i);
      }
    if (!set.empty() && seen.insert(set).second)
      r.liveSets.push_back(set);
    if (live > best) {
      best = live;
      bestStep = s;
    }
  }
  r.peakLiveBytes = std::max<int64_t>(best, 0);
  for (const Live &b : buffers) {
    Value original = toOriginal.lookupOrNull(b.op->getResult(0));
    std::string name = original && original.getDefiningOp()
                           ? opLabel(original.getDefiningOp())
                           : opLabel(b.op);
    r.buffers.push_back({name, b.bytes, original});
    if (b.first <= bestStep && bestStep <= b.last)
      r.peakTensors.push_back(r.buffers.back());
  }
}

FailureOr<ModelResources> pruning::measureResources(func::FuncOp func,
                                                    McuCore core) {
  ModelResources r;
  r.cost = totalCost(estimateFunction(func, core));
  OpBuilder b(func.getContext());
  OwningOpRef<ModuleOp> scratch(ModuleOp::create(func.getLoc()));
  b.setInsertionPointToEnd(scratch->getBody());
  IRMapping toCopy;
  auto copy = cast<func::FuncOp>(b.clone(*func, toCopy));
  PassManager pm(func.getContext(), func::FuncOp::getOperationName());
  buildLowerToCppPipeline(pm);
  if (failed(pm.run(copy)))
    return failure();
  auto size = copy->getAttrOfType<IntegerAttr>(kArenaSizeAttr);
  if (!size)
    return func.emitError("resource model: the lowering planned no arena");
  r.arenaBytes = size.getInt();
  // The lowering's phases reorder ops and add attributes: every value of
  // the copy is still the one cloned.
  IRMapping toOriginal;
  for (auto [from, to] : toCopy.getValueMap())
    toOriginal.map(to, from);
  findPeak(copy, toOriginal, r);
  return r;
}

/// Elements of `v` when it is a statically shaped tensor, else 0.
static int64_t elements(Value v) {
  auto t = dyn_cast<RankedTensorType>(v.getType());
  return t && t.hasStaticShape() ? t.getNumElements() : 0;
}

llvm::Expected<ResourceCost> pruning::estimateResources(func::FuncOp func,
                                                        McuCore core) {
  std::string reason;
  FailureOr<ModelResources> measured;
  {
    ScopedDiagnosticHandler handler(func.getContext(), [&](Diagnostic &d) {
      if (d.getSeverity() == DiagnosticSeverity::Error && reason.empty())
        reason = d.str();
      return success();
    });
    measured = measureResources(func, core);
  }
  if (failed(measured))
    return llvm::createStringError(
        "the C++ lowering refuses the model: " +
        (reason.empty() ? std::string("(no reason given)") : reason));
  ResourceCost cost;
  func.walk([&](Operation *op) {
    if (isa<Conv2DOp, DepthwiseConv2DOp>(op))
      cost.params += elements(op->getOperand(1)) + elements(op->getOperand(2));
  });
  cost.flashBytes = measured->cost.flashBytes;
  cost.arenaBytes = measured->arenaBytes;
  cost.macs = measured->cost.macs;
  cost.instructions = measured->cost.instructions;
  return cost;
}

bool ResourceBudget::holds(const ModelResources &r) const {
  return violations(r).empty();
}

std::vector<std::string>
ResourceBudget::violations(const ModelResources &r) const {
  std::vector<std::string> out;
  if (ramBytes && r.arenaBytes > *ramBytes)
    out.push_back(llvm::formatv("ram-budget {0}: the arena takes {1} bytes",
                                *ramBytes, r.arenaBytes));
  if (flashBytes && r.cost.flashBytes > *flashBytes)
    out.push_back(llvm::formatv("flash-budget {0}: the constants take {1} "
                                "bytes",
                                *flashBytes, r.cost.flashBytes));
  if (latency) {
    double have = latencyInMacs ? double(r.cost.macs) : r.cost.instructions;
    if (have > *latency)
      out.push_back(llvm::formatv("latency-budget {0}: an inference takes "
                                  "{1} {2}",
                                  shortNumber(*latency), shortNumber(have),
                                  latencyInMacs ? "MACs" : "instructions"));
  }
  return out;
}

static llvm::Error failWith(const Twine &message) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), message.str());
}

llvm::Expected<ResourceBudget> pruning::parseResourceBudget(StringRef ram,
                                                            StringRef flash,
                                                            StringRef latency) {
  ResourceBudget budget;
  bool hadUnit = false;
  auto bytes = [&](StringRef name, StringRef text,
                   std::optional<int64_t> &out) -> llvm::Error {
    if (text.empty())
      return llvm::Error::success();
    std::optional<double> v = parseQuantity(text, true, "", hadUnit);
    if (!v)
      return failWith(name + " '" + text +
                      "' is not a positive byte count (like 48000, 48K or "
                      "1M)");
    out = int64_t(*v);
    return llvm::Error::success();
  };
  if (llvm::Error err = bytes("ram-budget", ram, budget.ramBytes))
    return std::move(err);
  if (llvm::Error err = bytes("flash-budget", flash, budget.flashBytes))
    return std::move(err);
  if (!latency.empty()) {
    std::optional<double> v = parseQuantity(latency, false, "macs", hadUnit);
    if (!v)
      return failWith("latency-budget '" + latency +
                      "' is not a positive instruction count (like 12000000 "
                      "or 12M) or MAC count (like 3Mmacs)");
    budget.latency = *v;
    budget.latencyInMacs = hadUnit;
  }
  return budget;
}
