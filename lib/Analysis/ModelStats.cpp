//===- ModelStats.cpp - Per-layer parameters, weight bytes and MACs -------===//
//
// Implements --tinyprune-model-stats: a read-only walk that tabulates what a
// model costs on a microcontroller, layer by layer. The same quantities
// (weights in flash, MACs as a proxy for latency, activation sizes) drive
// the pruning passes' resource model. Layers are read from layer ops, on a
// copy of the function raised to them.
//
//===----------------------------------------------------------------------===//

#include "tinyprune/Analysis/CostModel.h"
#include "tinyprune/Analysis/Passes.h"
#include "tinyprune/Dialect/LayerView.h"
#include "tinyprune/Support/Files.h"
#include "tinyprune/Transforms/Layers.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Tosa/IR/TosaOps.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/OwningOpRef.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/raw_ostream.h"

namespace tinyprune {
#define GEN_PASS_DEF_TINYPRUNEMODELSTATS
#include "tinyprune/Analysis/Passes.h.inc"
} // namespace tinyprune

using namespace mlir;
using namespace tinyprune;

namespace {

/// Cost of one op.
struct LayerStats {
  std::string op;
  std::string name;
  int64_t params = 0;
  int64_t weightBytes = 0;
  int64_t macs = 0;
  int64_t outBytes = 0;
};

/// Storage size of a statically shaped tensor (i1 counts a byte).
static int64_t tensorBytes(Type type) {
  auto t = dyn_cast<RankedTensorType>(type);
  if (!t || !t.hasStaticShape())
    return 0;
  int64_t bits = t.getElementType().getIntOrFloatBitWidth();
  return t.getNumElements() * std::max<int64_t>(1, bits / 8);
}

/// Whether `v` is a constant tensor: a weight, bias or other parameter.
static bool isConstant(Value v) {
  return static_cast<bool>(constantElements(v));
}

/// Adds the constant operands at `indices` to `s` as parameters.
static void addParams(Operation *op, ArrayRef<unsigned> indices,
                      LayerStats &s) {
  for (unsigned i : indices) {
    Value v = op->getOperand(i);
    if (!isConstant(v))
      continue;
    auto t = cast<RankedTensorType>(v.getType());
    s.params += t.getNumElements();
    s.weightBytes += tensorBytes(t);
  }
}

/// The op's name for the table: its location name (the TFLite tensor it
/// produces) when it has one.
static std::string layerName(Operation *op) {
  Location loc = op->getLoc();
  if (auto fused = dyn_cast<FusedLoc>(loc))
    if (!fused.getLocations().empty())
      loc = fused.getLocations().front();
  if (auto name = dyn_cast<NameLoc>(loc))
    return name.getName().str();
  if (auto file = dyn_cast<FileLineColLoc>(loc))
    return "line " + std::to_string(file.getLine());
  return "";
}

/// Statistics of `op` in a function raised to layer ops, or nothing for ops
/// that only carry data around (constants, reshapes, casts, slices, and the
/// rescales and clamps left in TOSA form).
static std::optional<LayerStats> statsOf(Operation *op) {
  if (isa<tosa::ConstOp, tosa::ConstShapeOp, tosa::ReshapeOp, tosa::RescaleOp,
          tosa::ClampOp, tosa::CastOp, tosa::SliceOp, func::ReturnOp>(op))
    return std::nullopt;
  if (op->getNumResults() != 1)
    return std::nullopt;
  LayerStats s;
  s.op = op->getName().getStringRef().str();
  s.name = layerName(op);
  s.outBytes = tensorBytes(op->getResult(0).getType());
  auto outType = dyn_cast<RankedTensorType>(op->getResult(0).getType());
  if (!outType || !outType.hasStaticShape())
    return s;

  if (isa<Conv2DOp, DepthwiseConv2DOp>(op)) {
    // [N, OH, OW, OC] x [OC, KH, KW, IC], or [N, OH, OW, C * M] x
    // [KH, KW, C, M]: every output sums KH x KW taps of its input channels.
    FailureOr<ConvLayerView> v = ConvLayerView::get(op);
    if (failed(v))
      return s;
    s.macs = outType.getNumElements() * v->kernelH * v->kernelW *
             (v->depthwise ? 1 : v->channels);
    addParams(op, {1, 2}, s);
  } else if (auto mm = dyn_cast<tosa::MatMulOp>(op)) {
    // [N, H, C] x [N, C, W]
    auto a = cast<RankedTensorType>(mm.getA().getType());
    s.macs = outType.getNumElements() * a.getDimSize(2);
    addParams(op, {0, 1}, s);
  } else if (!isa<tosa::MulOp, MulOp>(op)) {
    // Elementwise and data movement: constant tensor operands are
    // parameters; zero points and shifts (one element) are not.
    SmallVector<unsigned> idx;
    for (unsigned i = 0; i < op->getNumOperands(); ++i) {
      auto t = dyn_cast<RankedTensorType>(op->getOperand(i).getType());
      if (t && t.hasStaticShape() && t.getNumElements() > 1)
        idx.push_back(i);
    }
    addParams(op, idx, s);
  } else {
    addParams(op, {0, 1}, s);
  }
  return s;
}

struct ModelStatsPass
    : public tinyprune::impl::TinyPruneModelStatsBase<ModelStatsPass> {
  using Base::Base;

  void runOnOperation() override {
    // Read the layers of a copy raised to layer ops; the IR stays as it is.
    OwningOpRef<func::FuncOp> raised(
        cast<func::FuncOp>(getOperation()->clone()));
    if (failed(raiseToLayers(*raised)))
      return signalPassFailure();
    WalkResult unraised = raised->walk([&](Operation *op) {
      if (!isa<tosa::Conv2DOp, tosa::DepthwiseConv2DOp>(op))
        return WalkResult::advance();
      emitError(op->getLoc())
          << "model-stats: this " << op->getName()
          << " is not a layer op: --tinyprune-raise-to-layers cannot raise "
             "it (its quantization or requantization is not the importer's)";
      return WalkResult::interrupt();
    });
    if (unraised.wasInterrupted())
      return signalPassFailure();
    SmallVector<LayerStats> rows;
    raised->walk([&](Operation *op) {
      if (std::optional<LayerStats> s = statsOf(op))
        rows.push_back(std::move(*s));
    });

    std::optional<McuCore> mcu;
    if (!core.empty() && !(mcu = parseMcuCore(core))) {
      getOperation().emitError() << "unknown core '" << core
                                 << "' (cortex-m0plus, cortex-m4, cortex-m7)";
      return signalPassFailure();
    }
    // To a file: atomically, and never over a file the tool read
    // (tinyprune/Support/Files.h); a file that cannot be written fails
    // the pass.
    std::string text;
    llvm::raw_string_ostream os(text);
    print(os, *raised, rows);
    if (mcu)
      printCosts(os, estimateFunction(*raised, *mcu), *mcu);
    if (output == "-") {
      llvm::errs() << text;
    } else if (llvm::Error e = writeOutputFile(output, text)) {
      mlir::emitError(UnknownLoc::get(&getContext()))
          << "tinyprune-model-stats: " << llvm::toString(std::move(e));
      return signalPassFailure();
    }
    markAllAnalysesPreserved();
  }

  /// The cost model's table: one row per kernel call, then the totals.
  static void printCosts(llvm::raw_ostream &os, ArrayRef<OpCost> costs,
                         McuCore mcu) {
    os << "cost-model: " << mcuCoreName(mcu) << "\n";
    os << llvm::format("%4s  %-26s %-28s %10s %12s %14s\n", "#", "op", "name",
                       "flash B", "MACs", "instructions");
    for (auto [i, c] : llvm::enumerate(costs)) {
      std::string name = layerName(c.op);
      if (name.size() > 28)
        name = "..." + name.substr(name.size() - 25);
      os << llvm::format("%4zu  %-26s %-28s %10lld %12lld %14.0f\n", i,
                         c.op->getName().getStringRef().str().c_str(),
                         name.c_str(), (long long)c.cost.flashBytes,
                         (long long)c.cost.macs, c.cost.instructions);
    }
    LayerCost total = totalCost(costs);
    os << "cost-model total: " << costs.size() << " kernel calls, "
       << total.flashBytes << " flash bytes, " << total.macs << " MACs, "
       << llvm::format("%.0f", total.instructions) << " instructions\n";
  }

  static void print(llvm::raw_ostream &os, func::FuncOp func,
                    ArrayRef<LayerStats> rows) {
    os << "tinyprune-model-stats: @" << func.getSymName() << "\n";
    os << llvm::format("%4s  %-26s %-28s %10s %12s %12s %10s\n", "#", "op",
                       "name", "params", "weight B", "MACs", "out B");
    LayerStats total;
    int64_t largest = 0;
    for (auto [i, r] : llvm::enumerate(rows)) {
      // TFLite names are paths: their tail says the most.
      std::string name = r.name.size() > 28
                             ? "..." + r.name.substr(r.name.size() - 25)
                             : r.name;
      os << llvm::format("%4zu  %-26s %-28s %10lld %12lld %12lld %10lld\n", i,
                         r.op.c_str(), name.c_str(), (long long)r.params,
                         (long long)r.weightBytes, (long long)r.macs,
                         (long long)r.outBytes);
      total.params += r.params;
      total.weightBytes += r.weightBytes;
      total.macs += r.macs;
      largest = std::max(largest, r.outBytes);
    }
    os << "total: " << rows.size() << " layers, " << total.params << " params, "
       << total.weightBytes << " weight bytes, " << total.macs
       << " MACs, largest activation " << largest << " bytes\n";
  }
};

} // namespace
