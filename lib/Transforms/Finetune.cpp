//===- Finetune.cpp - --tinyprune-finetune --------------------------------===//
//
// The fine-tuning pass: reads the training samples (and labels, or the
// teacher model whose outputs to learn), checks that the model is raised
// to layer ops and hands its function to lib/Training, which trains it on
// LibTorch and writes the weights back. Without LibTorch (a build with
// TINYPRUNE_ENABLE_TRAINING off) the pass fails with one line saying so.
//
//===----------------------------------------------------------------------===//

#include "tinyprune/Transforms/Passes.h"

#include "tinyprune/Data/Dataset.h"
#include "tinyprune/Dialect/TinyPrune.h"
#include "tinyprune/Execution/ModelInput.h"

#ifdef TINYPRUNE_HAVE_TRAINING
#include "tinyprune/Import/TFLiteImporter.h"
#include "tinyprune/Support/Files.h"
#include "tinyprune/Training/Finetune.h"

#include "mlir/Parser/Parser.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/SourceMgr.h"
#endif

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Tosa/IR/TosaOps.h"
#include "llvm/Support/FormatVariadic.h"

#include <thread>

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

#ifdef TINYPRUNE_HAVE_TRAINING
/// The samples (and labels) of the pass options for `func`'s input.
static llvm::Error readSamples(func::FuncOp func, StringRef path,
                               StringRef labels, int64_t limit, double scale,
                               training::FinetuneData &data) {
  llvm::Expected<data::InputSpec> spec = getInputSpec(func);
  if (!spec)
    return spec.takeError();
  data::DatasetOptions options;
  options.dataPath = path.str();
  options.labelsPath = labels.str();
  options.dataScale = scale;
  auto opened = data::openDataset(options, *spec);
  if (!opened)
    return opened.takeError();
  const data::Dataset &set = **opened;
  if (set.size() == 0)
    return llvm::createStringError(path + ": holds no samples");
  size_t n = limit > 0 ? std::min<size_t>(set.size(), limit) : set.size();
  data.samples.resize(n);
  for (size_t i = 0; i < n; ++i) {
    data.samples[i].resize(spec->byteSize());
    if (llvm::Error e = set.read(i, data.samples[i]))
      return e;
  }
  if (!labels.empty()) {
    llvm::ArrayRef<int64_t> l = set.labels();
    data.labels.assign(l.begin(), l.begin() + n);
  }
  return llvm::Error::success();
}

/// The teacher model at `path` (.tflite or .mlir) in `context`.
static llvm::Expected<OwningOpRef<ModuleOp>> loadTeacher(MLIRContext *context,
                                                         StringRef path) {
  // Bounded, like every input (tinyprune/Support/Files.h).
  auto file = readInputFile(path);
  if (!file)
    return llvm::createStringError("teacher: " +
                                   llvm::toString(file.takeError()));
  OwningOpRef<ModuleOp> module;
  if (llvm::sys::path::extension(path) == ".tflite") {
    module = importTFLite((*file)->getBuffer(), path, context);
  } else {
    llvm::SourceMgr sourceMgr;
    sourceMgr.AddNewSourceBuffer(std::move(*file), llvm::SMLoc());
    module = parseSourceFile<ModuleOp>(sourceMgr, context);
  }
  if (!module)
    return llvm::createStringError(
        llvm::formatv("teacher '{0}' cannot be read (see above)", path));
  return std::move(module);
}
#endif

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
#ifndef TINYPRUNE_HAVE_TRAINING
    return fail("this build has no training (LibTorch not found, or "
                "TINYPRUNE_ENABLE_TRAINING=OFF)");
#else
    if (calibration.empty())
      return fail("needs calibration=<training samples>");
    if (labels.empty() && teacher.empty())
      return fail("needs labels=<labels>, or teacher=<the model before "
                  "pruning> to distill from");
    training::FinetuneData data;
    if (llvm::Error e = readSamples(func, calibration, labels, calibrationLimit,
                                    calibrationScale, data))
      return fail(llvm::toString(std::move(e)));
    unsigned nThreads = threads > 0
                            ? unsigned(threads)
                            : std::max(1u, std::thread::hardware_concurrency());
    if (labels.empty()) {
      auto teacherModule = loadTeacher(&getContext(), teacher);
      if (!teacherModule)
        return fail(llvm::toString(teacherModule.takeError()));
      func::FuncOp teacherFunc = soleFunction(**teacherModule);
      if (!teacherFunc)
        return fail("the teacher needs exactly one function");
      auto outputs =
          training::teacherOutputs(teacherFunc, data.samples, nThreads);
      if (!outputs)
        return fail(llvm::toString(outputs.takeError()));
      data.teacher = std::move(*outputs);
    }
    training::FinetuneOptions options;
    options.epochs = epochs;
    options.learningRate = learningRate;
    options.batchSize = batchSize;
    options.validationSplit = validationSplit;
    options.seed = seed;
    options.threads = nThreads;
    auto result = training::finetune(func, data, options);
    if (!result)
      return fail(llvm::toString(result.takeError()));
#endif
  }
};

} // namespace
