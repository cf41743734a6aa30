//===- ChannelPruneReport.cpp - The report of --channel-prune -------------===//
//
// The per-layer table and the model's figures before and after a run of
// --channel-prune, as `report=` writes them.
//
//===----------------------------------------------------------------------===//

#include "ChannelPrune.h"

#include "tinyprune/Dialect/LayerView.h"
#include "tinyprune/Dialect/TinyPrune.h"
#include "tinyprune/Transforms/Pruning/PruningReport.h"

#include "llvm/Support/Format.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/raw_ostream.h"

using namespace mlir;
using namespace tinyprune;
using namespace tinyprune::pruning;

namespace tinyprune {
namespace channel {

/// The figures of every convolution layer of `func`.
llvm::MapVector<Operation *, LayerFigures> layerFigures(func::FuncOp func) {
  llvm::MapVector<Operation *, LayerFigures> out;
  func.walk([&](Operation *op) {
    if (!isa<Conv2DOp, DepthwiseConv2DOp>(op))
      return;
    LayerFigures f;
    Value output = op->getResult(0);
    f.channels = cast<RankedTensorType>(output.getType()).getDimSize(3);
    for (unsigned i : {1u, 2u})
      f.params +=
          cast<RankedTensorType>(op->getOperand(i).getType()).getNumElements();
    if (FailureOr<ConvGeometry> g = getConvGeometry(op); succeeded(g)) {
      int64_t perOutput = g->kernelH * g->kernelW *
                          (isa<DepthwiseConv2DOp>(op) ? 1 : g->channels);
      f.macs = g->batch * g->outH * g->outW * g->filters * perOutput;
    }
    f.activationBytes = tensorBytes(output.getType());
    out[op] = f;
  });
  return out;
}

std::string formatReport(const Run &run, StringRef asked) {
  std::string out;
  llvm::raw_string_ostream os(out);
  os << "channel-prune: ";
  os << asked;
  os << (!run.gated.empty()
             ? ", by differentiable gates trained under resource penalties"
         : run.calibrated ? ", by consumers' output error on calibration "
                            "data, consumers re-solved"
                          : ", by magnitude (L1 of the filters)")
     << "\n";
  os << llvm::format("%-28s %5s %5s %9s %9s %11s %11s %9s %9s\n", "layer", "ch",
                     "kept", "params", "now", "MACs", "now", "act B", "now");
  llvm::MapVector<Operation *, LayerFigures> after = layerFigures(run.func);
  for (auto &[op, f] : run.layersBefore) {
    LayerFigures a = after.lookup(op);
    std::string name = opLabel(op);
    if (name.size() > 28)
      name = "..." + name.substr(name.size() - 25);
    os << llvm::format("%-28s %5lld %5lld %9lld %9lld %11lld %11lld %9lld "
                       "%9lld\n",
                       name.c_str(), (long long)f.channels,
                       (long long)a.channels, (long long)f.params,
                       (long long)a.params, (long long)f.macs,
                       (long long)a.macs, (long long)f.activationBytes,
                       (long long)a.activationBytes);
  }
  os << llvm::formatv("channel groups: {0}, prunable: {1} ({2} channels), "
                      "removed {3} channels\n",
                      run.groups.size(), run.prunableGroups,
                      run.prunableChannels, run.removedTotal);
  for (const ChannelGroup &g : run.groups)
    if (!g.prunable)
      os << "  not prunable: group of " << opLabel(g.producers[0].op) << " ("
         << g.channels << " channels): " << g.reason << "\n";
  if (run.before && run.after) {
    auto line = [&](const char *what, const ModelResources &r) {
      os << llvm::formatv("{0}: arena {1} B, flash {2} B, {3} MACs, {4} "
                          "instructions on {5}\n",
                          what, r.arenaBytes, r.cost.flashBytes, r.cost.macs,
                          shortNumber(r.cost.instructions),
                          mcuCoreName(*run.core));
      os << "  live at the peak step (" << r.peakLiveBytes
         << " B, before in-place sharing):";
      for (const LiveTensor &t : r.peakTensors)
        os << " " << t.name << " (" << t.bytes << " B)";
      os << "\n";
    };
    line("before", *run.before);
    line("after", *run.after);
  }
  if (run.consumersCompensated)
    os << "consumer biases compensated for the removed channels' bias "
          "constants: "
       << run.consumersCompensated << "\n";
  if (run.consumersResolved)
    os << "consumer layers re-solved: " << run.consumersResolved << "\n";
  if (!run.steps.empty()) {
    for (const std::string &step : run.steps)
      os << step;
  } else {
    if (!run.gated.empty())
      os << run.gated << "\n";
    if (!run.finetuned.empty())
      os << run.finetuned << "\n";
  }
  os.flush();
  return out;
}

} // namespace channel
} // namespace tinyprune
