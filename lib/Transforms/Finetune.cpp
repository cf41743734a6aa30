//===- Finetune.cpp - --tinyprune-finetune --------------------------------===//
//
// The fine-tuning pass: checks that the model is raised to layer ops and
// hands its function to the pruning toolkit's fine-tuning
// (Pruning/Finetuning.h), which reads the training samples (and labels, or
// the teacher model whose outputs to learn) and trains it on LibTorch.
// Without LibTorch (a build with TINYPRUNE_ENABLE_TRAINING off) the pass
// fails with one line saying so.
//
//===----------------------------------------------------------------------===//

#include "tinyprune/Transforms/Passes.h"

#include "tinyprune/Dialect/TinyPrune.h"
#include "tinyprune/Transforms/Pruning/Finetuning.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Tosa/IR/TosaOps.h"

namespace tinyprune {
#define GEN_PASS_DEF_FINETUNE
#include "tinyprune/Transforms/Passes.h.inc"
} // namespace tinyprune

using namespace mlir;
using namespace tinyprune;

namespace {

/// The one function of `module` with a body, or null.
static func::FuncOp soleFunction(ModuleOp module) {
  func::FuncOp found;
  for (auto f : module.getOps<func::FuncOp>()) {
    if (f.isExternal())
      continue;
    if (found)
      return {};
    found = f;
  }
  return found;
}

struct FinetunePass : public tinyprune::impl::FinetuneBase<FinetunePass> {
  using FinetuneBase::FinetuneBase;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    auto fail = [&](const llvm::Twine &message) {
      emitError(module.getLoc()) << "tinyprune-finetune: " << message;
      signalPassFailure();
    };
    func::FuncOp func = soleFunction(module);
    if (!func)
      return fail("needs a module with exactly one function");
    // Training runs on layer ops: a TOSA convolution chain means the model
    // was not raised.
    Operation *tosaLayer = nullptr;
    func.walk([&](Operation *op) {
      if (!tosaLayer &&
          isa<tosa::Conv2DOp, tosa::DepthwiseConv2DOp, tosa::RescaleOp>(op))
        tosaLayer = op;
    });
    if (tosaLayer) {
      tosaLayer->emitError() << "tinyprune-finetune: runs on layer ops; run "
                                "--tinyprune-raise-to-layers first";
      return signalPassFailure();
    }
    if (!pruning::trainingAvailable())
      return fail("this build has no training (LibTorch not found, or "
                  "TINYPRUNE_ENABLE_TRAINING=OFF)");
    if (calibration.empty())
      return fail("needs calibration=<training samples>");
    if (labels.empty() && teacher.empty())
      return fail("needs labels=<labels>, or teacher=<the model before "
                  "pruning> to distill from");
    pruning::FinetuneRequest request;
    request.epochs = epochs;
    request.samples = calibration;
    request.limit = calibrationLimit;
    request.scale = calibrationScale;
    request.labels = labels;
    request.teacher = teacher;
    request.distillWeight = distillWeight;
    request.temperature = temperature;
    request.learningRate = learningRate;
    request.batchSize = batchSize;
    request.validationSplit = validationSplit;
    request.seed = seed;
    request.threads = threads;
    request.freeze.assign(freeze.begin(), freeze.end());
    auto summary = pruning::finetuneAfterPruning(func, /*before=*/{}, request);
    if (!summary)
      return fail(llvm::toString(summary.takeError()));
  }
};

} // namespace
