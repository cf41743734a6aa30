//===- ResourceModel.cpp - What a model costs on a microcontroller --------===//
//
// Lowers a copy of the function with the C++ lowering (lowerToCpp: the
// memory schedule, the arena planner, the printer) for its flash and arena
// bytes; counts parameters on the layer ops and asks the cost model for
// MACs and instructions.
//
//===----------------------------------------------------------------------===//

#include "tinyprune/Transforms/Pruning/ResourceModel.h"

#include "tinyprune/Dialect/TinyPrune.h"
#include "tinyprune/Target/Cpp.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/OwningOpRef.h"

using namespace mlir;
using namespace tinyprune;
using namespace tinyprune::pruning;

/// Elements of `v` when it is a statically shaped tensor, else 0.
static int64_t elements(Value v) {
  auto t = dyn_cast<RankedTensorType>(v.getType());
  return t && t.hasStaticShape() ? t.getNumElements() : 0;
}

llvm::Expected<ResourceCost> pruning::estimateResources(func::FuncOp func,
                                                        McuCore core) {
  ResourceCost cost;
  func.walk([&](Operation *op) {
    if (isa<Conv2DOp, DepthwiseConv2DOp>(op))
      cost.params += elements(op->getOperand(1)) + elements(op->getOperand(2));
  });
  LayerCost total = totalCost(estimateFunction(func, core));
  cost.macs = total.macs;
  cost.instructions = total.instructions;

  // The lowering works in place: on a copy in a module of its own, with
  // its diagnostics caught for the one-line reason.
  MLIRContext *ctx = func.getContext();
  OwningOpRef<ModuleOp> module = ModuleOp::create(func.getLoc());
  auto copy = cast<func::FuncOp>(func->clone());
  module->push_back(copy);
  std::string reason;
  FailureOr<CppModel> model;
  {
    ScopedDiagnosticHandler handler(ctx, [&](Diagnostic &d) {
      if (d.getSeverity() == DiagnosticSeverity::Error && reason.empty())
        reason = d.str();
      return success();
    });
    model = lowerToCpp(copy, "model");
  }
  if (failed(model))
    return llvm::createStringError(
        "the C++ lowering refuses the model: " +
        (reason.empty() ? std::string("(no reason given)") : reason));
  cost.flashBytes = model->weightBytes;
  cost.arenaBytes = model->arenaBytes;
  return cost;
}
