//===- PlanArena.cpp - Place the activations in one arena -----------------===//
//
// `--tinyprune-plan-arena`: places every intermediate buffer of the
// function's kernel calls (KernelProgram.h), in program order, in one static
// arena, and records the plan as attributes (tinyprune/Dialect/ArenaAttrs.h)
// for `--emit-cpp` to print. Buffers whose lifetimes do not overlap share
// bytes (MemoryPlanner.h). Beyond that:
//  - an element-wise layer writes over its operand when it is the operand's
//    last reader;
//  - a convolution whose input dies with it may run over that input row by
//    row (rt/inplace.h), keeping its output rows in a small ring until the
//    input rows below them are read; a wider output starts before its input.
//    It costs a copy per output row, so it is kept only where the arena
//    needs it and saves at least 1/16 of it;
//  - two windowed layers and the element-wise layer that combines the
//    second one's output with a tensor of its shape (a residual block's two
//    convolutions and add) may run as one loop over blocks of rows
//    (rt::streamRowPair): the first output lives only as a window of rows,
//    the second as one block, and the result overwrites the other operand
//    row by row. Decided before streamed convolutions, which cost more.
//
//===----------------------------------------------------------------------===//

#include "KernelProgram.h"

#include "tinyprune/Dialect/ArenaAttrs.h"
#include "tinyprune/Target/Passes.h"

#include "mlir/IR/Builders.h"

namespace tinyprune {
#define GEN_PASS_DEF_PLANARENA
#include "tinyprune/Target/Passes.h.inc"
} // namespace tinyprune

using namespace mlir;
using namespace tinyprune;
using namespace tinyprune::cpp;

/// The smallest delay (see rt/inplace.h) after which every output row can
/// be stored over input rows no later output row reads, when the output
/// starts `shift` bytes before the input; none if even the whole output
/// would have to wait.
static std::optional<int64_t> rowDelay(const RowStreaming &g, int64_t shift) {
  auto firstRead = [&](int64_t r) {
    return r >= g.outRows ? g.inRows
                          : std::max<int64_t>(0, r * g.stride - g.padTop);
  };
  for (int64_t d = 0; d < g.outRows; ++d) {
    bool safe = true;
    for (int64_t j = 0; safe && j + d < g.outRows; ++j)
      safe = (j + 1) * g.outRowBytes - shift <=
             firstRead(j + d + 1) * g.inRowBytes;
    if (safe)
      return d;
  }
  return std::nullopt;
}

namespace {

/// The plan: every arena buffer's offset is set in the program.
struct ArenaPlan {
  int64_t arenaBytes = 0, peakLiveBytes = 0;
  /// Buffers written over the input they are computed from.
  std::vector<unsigned> inPlace;
};

} // namespace

/// Chooses in-place layers (streamed convolutions only if `streaming`) and
/// places every buffer of `p`, whose lifetimes (and row-fused chains) are
/// set.
static ArenaPlan placeInPlace(KernelProgram &p, bool streaming) {
  std::vector<Buffer> &bufs = p.bufs;
  std::vector<Step> &steps = p.steps;
  std::vector<int> requestOf;

  // In-place layers. An element-wise output always takes over its dying
  // operand. A convolution can run over its dying input at the cost of
  // copying its output once: first let every one that can do so (the peak
  // is often set by several layers alike), then return to the plain call
  // each one whose in-place form the arena does not need. An output larger
  // than its input starts before it, so its rows land on rows already read.
  struct Overwrite {
    size_t step;
    unsigned out, in;
    int64_t shift;
    int ring = -1; ///< Row streaming: its ring buffer, else -1.
    int64_t ringBytes = 0, delay = 0;
  };
  std::vector<Overwrite> overwrites;
  for (auto [t, step] : llvm::enumerate(steps)) {
    if (step.writes.size() != 1 || (step.inPlaceRead < 0 && !step.rows) ||
        step.fusion >= 0 || (step.inPlaceRead < 0 && !streaming))
      continue;
    unsigned out = step.writes[0];
    unsigned in = step.inPlaceRead >= 0
                      ? step.inPlaceRead
                      : (step.reads.empty() ? out : step.reads[0]);
    if (in == out || bufs[out].home != Home::Arena ||
        bufs[in].home != Home::Arena || bufs[in].lastUse != (int64_t)t)
      continue;
    if (step.inPlaceRead >= 0) {
      overwrites.push_back({t, out, in, 0});
      continue;
    }
    int64_t shift = std::max<int64_t>(0, bufs[out].bytes - bufs[in].bytes);
    std::optional<int64_t> delay = rowDelay(*step.rows, shift);
    if (!delay)
      continue;
    Buffer ring;
    ring.elementType = bufs[out].elementType;
    ring.firstUse = ring.lastUse = t;
    bufs.push_back(ring);
    overwrites.push_back({t, out, in, shift, (int)bufs.size() - 1,
                          (*delay + 1) * step.rows->outRowBytes, *delay});
  }
  // The sharing, and the rings' sizes, when the streamed layers are `on`.
  auto share = [&](const std::vector<bool> &on) {
    Sharing sharing(bufs.size());
    for (const RowFusion &f : p.fusions)
      if (f.overwritesOther)
        sharing.overwrite(f.output, f.other, 0);
    for (auto [k, o] : llvm::enumerate(overwrites)) {
      if (o.ring >= 0)
        bufs[o.ring].bytes = on[k] ? o.ringBytes : 0;
      if (o.ring < 0 || on[k])
        sharing.overwrite(o.out, o.in, o.shift);
    }
    return sharing;
  };
  std::vector<bool> on(overwrites.size(), true);
  int64_t arena = planArena(p, share(on), requestOf).arenaBytes;
  for (size_t k = overwrites.size(); k-- > 0;) {
    if (overwrites[k].ring < 0)
      continue;
    on[k] = false;
    int64_t bytes = planArena(p, share(on), requestOf).arenaBytes;
    if (bytes <= arena)
      arena = bytes;
    else
      on[k] = true;
  }
  // Copying outputs is not worth a few bytes: keep the plain calls unless
  // running in place saves at least 1/16 of the arena.
  std::vector<bool> none(overwrites.size(), false);
  int64_t plain = planArena(p, share(none), requestOf).arenaBytes;
  if (arena > plain - plain / 16)
    on = none;
  ArenaPlan plan;
  for (const RowFusion &f : p.fusions)
    if (f.overwritesOther)
      plan.inPlace.push_back(f.output);
  for (auto [k, o] : llvm::enumerate(overwrites)) {
    if (o.ring >= 0 && !on[k])
      continue;
    plan.inPlace.push_back(o.out);
    if (o.ring >= 0) {
      steps[o.step].ringBuffer = o.ring;
      steps[o.step].ringDelay = o.delay;
    }
  }

  Sharing sharing = share(on);
  MemoryPlan memory = planArena(p, sharing, requestOf, &plan.peakLiveBytes);
  for (auto [i, b] : llvm::enumerate(bufs))
    if (b.home == Home::Arena)
      b.offset = memory.offsets[requestOf[i]] + sharing.rel[i];
  plan.arenaBytes = memory.arenaBytes;
  return plan;
}

/// `p` with the row-fused chains of `chunks` (one per candidate chain, 0
/// for none) and its plan, with streamed convolutions allowed or not; the
/// arena is unbounded when a chain does not hold at its chunk.
static std::pair<KernelProgram, ArenaPlan>
planWithChains(const KernelProgram &p, ArrayRef<RowFusion> candidates,
               ArrayRef<int64_t> chunks, bool streaming) {
  KernelProgram q = p;
  for (auto [f, chunk] : llvm::zip(candidates, chunks)) {
    if (chunk == 0)
      continue;
    std::optional<RowFusion> at = matchRowFusion(q, f.c, chunk);
    if (!at) {
      ArenaPlan none;
      none.arenaBytes = INT64_MAX;
      return {std::move(q), none};
    }
    addRowFusion(q, *at);
  }
  ArenaPlan plan = placeInPlace(q, streaming);
  return {std::move(q), plan};
}

/// Kernel calls per layer a chain starts with: rows per call are a power of
/// two at least a quarter of the layer's.
static constexpr int64_t kChainCalls = 4;

/// Chooses row-fused chains and in-place layers and places every buffer of
/// `p`. A chain runs two windowed layers and an element-wise one block of
/// rows by block of rows (RowFusion), so that the first two outputs never
/// exist whole. Its kernel calls cost set-up, and a streamed convolution
/// costs more (one call and one copy per row): chains come first, each
/// layer in at most four calls, kept if they lower the arena of the plan
/// without them; then back to the plain calls each chain the arena does
/// not need; then each kept chain with more rows per call while the arena
/// does not grow; streamed convolutions last, on top, by their own rule.
static ArenaPlan placeBuffers(KernelProgram &p) {
  p.computeLifetimes();
  std::vector<RowFusion> candidates;
  std::vector<int64_t> first;
  for (size_t t = 0; t < p.steps.size(); ++t) {
    std::optional<RowFusion> f = matchRowFusion(p, t, 1);
    if (!f)
      continue;
    int64_t rows = p.steps[f->b].rows->outRows, chunk = 1;
    while (chunk * kChainCalls < rows && chunk * 2 <= rows &&
           matchRowFusion(p, t, chunk * 2))
      chunk *= 2;
    candidates.push_back(*f);
    first.push_back(chunk);
  }
  std::vector<int64_t> chunks(candidates.size(), 0);
  auto [plain, best] = planWithChains(p, candidates, chunks, true);
  chunks = first;
  int64_t arena =
      candidates.empty()
          ? INT64_MAX
          : planWithChains(p, candidates, chunks, false).second.arenaBytes;
  if (arena >= best.arenaBytes) {
    p = std::move(plain);
    return best;
  }
  for (size_t k = candidates.size(); k-- > 0;) {
    int64_t chunk = chunks[k];
    chunks[k] = 0;
    int64_t bytes =
        planWithChains(p, candidates, chunks, false).second.arenaBytes;
    if (bytes <= arena)
      arena = bytes;
    else
      chunks[k] = chunk;
  }
  for (size_t k = 0; k < candidates.size(); ++k) {
    int64_t rows = p.steps[candidates[k].b].rows->outRows;
    while (chunks[k] > 0 && chunks[k] * 2 <= rows) {
      chunks[k] *= 2;
      int64_t bytes =
          planWithChains(p, candidates, chunks, false).second.arenaBytes;
      if (bytes > arena) {
        chunks[k] /= 2;
        break;
      }
      arena = bytes;
    }
  }
  auto [fused, plan] = planWithChains(p, candidates, chunks, true);
  p = std::move(fused);
  return plan;
}

int64_t cpp::plannedArenaBytes(const KernelProgram &program) {
  KernelProgram p = program;
  return placeBuffers(p).arenaBytes;
}

/// `{name0 = v0, name1 = v1, ...}` of i64 values.
static DictionaryAttr i64Dict(Builder &b,
                              ArrayRef<std::pair<StringRef, int64_t>> fields) {
  SmallVector<NamedAttribute> attrs;
  for (auto [name, v] : fields)
    attrs.push_back(b.getNamedAttr(name, b.getI64IntegerAttr(v)));
  return b.getDictionaryAttr(attrs);
}

/// Records `plan` on the ops producing `p`'s buffers and on `func`.
static void recordPlan(func::FuncOp func, const KernelProgram &p,
                       const ArenaPlan &plan) {
  Builder b(func.getContext());
  func.walk([](Operation *op) {
    for (StringRef name : {kArenaAttr, kOutputAttr, kInPlaceAttr,
                           kStreamRowsAttr, kScratchAttr, kFuseRowsAttr})
      op->removeAttr(name);
  });
  for (const Buffer &buf : p.bufs) {
    if (buf.scratchOf) {
      buf.scratchOf->setAttr(kScratchAttr, i64Dict(b, {{"offset", buf.offset},
                                                       {"bytes", buf.bytes}}));
      continue;
    }
    Operation *def = buf.value ? buf.value.getDefiningOp() : nullptr;
    if (!def || (buf.home != Home::Arena && buf.home != Home::Output))
      continue;
    def->setAttr(buf.home == Home::Arena ? kArenaAttr : kOutputAttr,
                 i64Dict(b, {{"offset", buf.offset}, {"bytes", buf.bytes}}));
  }
  for (unsigned out : plan.inPlace)
    if (Operation *def = p.bufs[out].value.getDefiningOp())
      def->setAttr(kInPlaceAttr, b.getUnitAttr());
  for (const RowFusion &f : p.fusions) {
    const Buffer &window = p.bufs[f.window], &block = p.bufs[f.block];
    p.steps[f.c].anchor->setAttr(kFuseRowsAttr,
                                 i64Dict(b, {{"chunk", f.chunk},
                                             {"window_offset", window.offset},
                                             {"window_bytes", window.bytes},
                                             {"block_offset", block.offset},
                                             {"block_bytes", block.bytes}}));
  }
  for (const Step &step : p.steps) {
    if (step.ringBuffer < 0)
      continue;
    const Buffer &ring = p.bufs[step.ringBuffer];
    p.bufs[step.writes[0]].value.getDefiningOp()->setAttr(
        kStreamRowsAttr, i64Dict(b, {{"ring_offset", ring.offset},
                                     {"ring_bytes", ring.bytes},
                                     {"delay", step.ringDelay}}));
  }
  func->setAttr(kArenaSizeAttr, b.getI64IntegerAttr(plan.arenaBytes));
  func->setAttr(kArenaLivePeakAttr, b.getI64IntegerAttr(plan.peakLiveBytes));
}

namespace {

struct PlanArenaPass : public tinyprune::impl::PlanArenaBase<PlanArenaPass> {
  void runOnOperation() override {
    func::FuncOp func = getOperation();
    if (func.isExternal())
      return markAllAnalysesPreserved();
    FailureOr<KernelProgram> program = buildKernelProgram(func);
    if (failed(program))
      return signalPassFailure();
    ArenaPlan plan = placeBuffers(*program);
    recordPlan(func, *program, plan);
  }
};

} // namespace
