//===- ScheduleForMemory.cpp - Reorder layers to keep the arena small -----===//
//
// `--tinyprune-schedule-for-memory`: a list schedule of the function's kernel
// calls (KernelProgram.h) that keeps the live activation bytes low, applied
// to the IR by moving each call's ops into the new order. Where a layer's
// input feeds two branches (a residual block's shortcut), it runs the branch
// that lets the shared input die first. The new order is kept only when the
// arena it plans to, with the in-place layers and row-fused chains
// `--tinyprune-plan-arena` chooses for it, is smaller than program order's,
// or as small and smaller without them; an arena plan made for the old order
// is then dropped.
//
//===----------------------------------------------------------------------===//

#include "KernelProgram.h"

#include "tinyprune/Dialect/ArenaAttrs.h"
#include "tinyprune/Target/Passes.h"

#include "llvm/ADT/SmallPtrSet.h"

#include <cassert>

namespace tinyprune {
#define GEN_PASS_DEF_SCHEDULEFORMEMORY
#include "tinyprune/Target/Passes.h.inc"
} // namespace tinyprune

using namespace mlir;
using namespace tinyprune;
using namespace tinyprune::cpp;

/// Of the steps whose inputs are ready, take the one with the fewest live
/// bytes while it runs, then the one freeing the most, then the earliest.
std::vector<size_t> cpp::scheduleForMemory(const KernelProgram &program) {
  const std::vector<Step> &steps = program.steps;
  const std::vector<Buffer> &bufs = program.bufs;
  size_t n = steps.size();
  std::vector<int64_t> writer(bufs.size(), -1);
  std::vector<int64_t> readers(bufs.size(), 0);
  for (size_t i = 0; i < n; ++i) {
    for (unsigned b : steps[i].writes)
      writer[b] = i;
    for (unsigned b : steps[i].reads)
      ++readers[b];
  }
  std::vector<SmallVector<size_t, 2>> succs(n);
  std::vector<int64_t> waiting(n, 0);
  for (size_t i = 0; i < n; ++i)
    for (unsigned b : steps[i].reads)
      if (writer[b] >= 0 && (size_t)writer[b] != i) {
        succs[writer[b]].push_back(i);
        ++waiting[i];
      }
  auto arenaBytes = [&](unsigned b) {
    return bufs[b].home == Home::Arena ? bufs[b].bytes : 0;
  };
  std::vector<size_t> order;
  std::vector<bool> done(n, false);
  int64_t live = 0;
  while (order.size() < n) {
    size_t best = n;
    int64_t bestDuring = 0, bestFreed = 0;
    for (size_t i = 0; i < n; ++i) {
      if (done[i] || waiting[i] != 0)
        continue;
      int64_t during = live, freed = 0;
      for (unsigned b : steps[i].writes)
        during += arenaBytes(b);
      for (unsigned b : steps[i].reads)
        if (readers[b] == 1)
          freed += arenaBytes(b);
      if (best == n || during < bestDuring ||
          (during == bestDuring && freed > bestFreed)) {
        best = i, bestDuring = during, bestFreed = freed;
      }
    }
    assert(best < n && "the steps form a DAG");
    done[best] = true;
    order.push_back(best);
    for (unsigned b : steps[best].writes)
      live += readers[b] > 0 ? arenaBytes(b) : 0;
    for (unsigned b : steps[best].reads)
      if (--readers[b] == 0)
        live -= arenaBytes(b);
    for (size_t s : succs[best])
      --waiting[s];
  }
  return order;
}

/// The arena `program`'s steps plan to in their current order: as
/// `--tinyprune-plan-arena` plans it, then without in-place layers or
/// row-fused chains (where the first ties, an order that needs fewer of
/// them runs faster).
static std::pair<int64_t, int64_t> arenas(KernelProgram &program) {
  int64_t planned = plannedArenaBytes(program);
  program.computeLifetimes();
  std::vector<int> requestOf;
  return {planned,
          planArena(program, Sharing(program.bufs.size()), requestOf)
              .arenaBytes};
}

/// Moves the ops of `func` into the order of `order`'s steps: each step's
/// ops together, in their original relative order, after the ops they use.
/// Ops without operands (constants) stay where they are, before all others.
static void reorderOps(func::FuncOp func, const KernelProgram &program,
                       ArrayRef<size_t> order) {
  Block &entry = func.getBody().front();
  Operation *terminator = entry.getTerminator();
  DenseMap<Operation *, unsigned> position;
  SmallVector<Operation *> original;
  for (Operation &op : entry) {
    position[&op] = original.size();
    original.push_back(&op);
  }
  SmallPtrSet<Operation *, 16> placed;
  std::function<void(Operation *)> place = [&](Operation *op) {
    if (op == terminator || op->getNumOperands() == 0 ||
        !placed.insert(op).second)
      return;
    for (Value v : op->getOperands())
      if (Operation *def = v.getDefiningOp())
        if (def->getBlock() == &entry)
          place(def);
    op->moveBefore(terminator);
  };
  for (size_t s : order) {
    SmallVector<Operation *, 4> ops(program.steps[s].ops.begin(),
                                    program.steps[s].ops.end());
    llvm::sort(ops, [&](Operation *a, Operation *b) {
      return position[a] < position[b];
    });
    for (Operation *op : ops)
      place(op);
  }
  for (Operation *op : original)
    place(op);
}

/// Drops the arena plan of `func`: it was made for the old order.
static void dropPlan(func::FuncOp func) {
  func.walk([](Operation *op) {
    for (StringRef name :
         {kArenaAttr, kOutputAttr, kInPlaceAttr, kStreamRowsAttr, kFuseRowsAttr,
          kArenaSizeAttr, kArenaLivePeakAttr})
      op->removeAttr(name);
  });
}

namespace {

struct ScheduleForMemoryPass
    : public tinyprune::impl::ScheduleForMemoryBase<ScheduleForMemoryPass> {
  void runOnOperation() override {
    func::FuncOp func = getOperation();
    if (func.isExternal())
      return markAllAnalysesPreserved();
    FailureOr<KernelProgram> program = buildKernelProgram(func);
    if (failed(program))
      return signalPassFailure();
    std::pair<int64_t, int64_t> inProgramOrder = arenas(*program);
    std::vector<size_t> order = scheduleForMemory(*program);
    KernelProgram reordered = *program;
    reordered.steps.clear();
    for (size_t s : order)
      reordered.steps.push_back(program->steps[s]);
    if (arenas(reordered) >= inProgramOrder)
      return markAllAnalysesPreserved();
    reorderOps(func, *program, order);
    dropPlan(func);
  }
};

} // namespace
