//===- Finetuning.cpp - Fine-tuning after pruning -------------------------===//
//
// The torch-free glue of Finetuning.h: reads the samples, labels and
// teacher, checks the options, resolves frozen layer names, and hands the
// function to lib/Training when this build has it
// (TINYPRUNE_HAVE_TRAINING).
//
//===----------------------------------------------------------------------===//

#include "tinyprune/Transforms/Pruning/Finetuning.h"

#include "tinyprune/Data/Dataset.h"
#include "tinyprune/Dialect/TinyPrune.h"
#include "tinyprune/Execution/ModelInput.h"
#include "tinyprune/Import/TFLiteImporter.h"
#include "tinyprune/Support/Files.h"
#include "tinyprune/Transforms/Pruning/PruningReport.h"

#ifdef TINYPRUNE_HAVE_TRAINING
#include "tinyprune/Training/Finetune.h"
#endif

#include "mlir/IR/BuiltinOps.h"
#include "mlir/Parser/Parser.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/SourceMgr.h"

#include <algorithm>
#include <thread>

using namespace mlir;
using namespace tinyprune;
using namespace tinyprune::pruning;

std::string FinetuneSummary::describe() const {
  if (epochs == 0)
    return "fine-tuned: no (epochs=0)";
  std::string frozenText =
      frozen ? llvm::formatv(", {0} layers frozen", frozen).str() : "";
  std::string kept =
      bestEpoch == 0 ? "no epoch beat the pruned model, weights left as pruned"
                     : llvm::formatv("best epoch {0}", bestEpoch).str();
  std::string held =
      valSamples == 0
          ? std::string("no held-out samples")
          : llvm::formatv("held-out top-1 {0:F1}% -> {1:F1}% on {2}",
                          100.0 * accuracyBefore, 100.0 * accuracyAfter,
                          valSamples)
                .str();
  return llvm::formatv("fine-tuned: {0} epoch{1} on {2} samples ({3}{4}), {5}, "
                       "{6}, {7:F1} s",
                       epochs, epochs == 1 ? "" : "s", trainSamples, objective,
                       frozenText, kept, held, seconds)
      .str();
}

bool pruning::trainingAvailable() {
#ifdef TINYPRUNE_HAVE_TRAINING
  return true;
#else
  return false;
#endif
}

llvm::Error pruning::checkRequest(const FinetuneRequest &r) {
  if (r.epochs < 0)
    return llvm::createStringError(
        llvm::formatv("epochs must be at least 0, got {0}", r.epochs));
  if (r.epochs == 0)
    return llvm::Error::success();
  if (r.samples.empty())
    return llvm::createStringError(
        "epochs > 0 needs calibration=<training samples>");
  if (r.batchSize < 1)
    return llvm::createStringError(
        llvm::formatv("batch-size must be at least 1, got {0}", r.batchSize));
  if (!(r.learningRate > 0))
    return llvm::createStringError(
        llvm::formatv("learning-rate must be positive, got {0}",
                      shortNumber(r.learningRate)));
  if (!(r.validationSplit >= 0 && r.validationSplit < 1))
    return llvm::createStringError(
        llvm::formatv("validation-split must be in [0, 1), got {0}",
                      shortNumber(r.validationSplit)));
  if (!(r.distillWeight >= 0 && r.distillWeight <= 1))
    return llvm::createStringError(
        llvm::formatv("distill-weight must be in [0, 1], got {0}",
                      shortNumber(r.distillWeight)));
  if (!(r.temperature > 0))
    return llvm::createStringError(llvm::formatv(
        "temperature must be positive, got {0}", shortNumber(r.temperature)));
  if (r.limit < 0)
    return llvm::createStringError(
        llvm::formatv("the sample limit must be at least 0, got {0}", r.limit));
  return llvm::Error::success();
}

llvm::Error
pruning::readTrainingSamples(func::FuncOp func, StringRef path,
                             StringRef labelsPath, int64_t limit, double scale,
                             std::vector<std::vector<uint8_t>> &samples,
                             std::vector<int64_t> &labels) {
  llvm::Expected<data::InputSpec> spec = getInputSpec(func);
  if (!spec)
    return spec.takeError();
  data::DatasetOptions options;
  options.dataPath = path.str();
  options.labelsPath = labelsPath.str();
  options.dataScale = scale;
  auto opened = data::openDataset(options, *spec);
  if (!opened)
    return opened.takeError();
  const data::Dataset &set = **opened;
  if (set.size() == 0)
    return llvm::createStringError(path + ": holds no samples");
  size_t n = limit > 0 ? std::min<size_t>(set.size(), limit) : set.size();
  samples.assign(n, {});
  for (size_t i = 0; i < n; ++i) {
    samples[i].resize(spec->byteSize());
    if (llvm::Error e = set.read(i, samples[i]))
      return e;
  }
  labels.clear();
  if (!labelsPath.empty()) {
    llvm::ArrayRef<int64_t> l = set.labels();
    if (l.size() < n)
      return llvm::createStringError(llvm::formatv(
          "{0}: {1} labels for {2} samples", labelsPath, l.size(), n));
    labels.assign(l.begin(), l.begin() + n);
  }
  return llvm::Error::success();
}

llvm::Expected<OwningOpRef<ModuleOp>>
pruning::loadTeacherModel(MLIRContext *context, StringRef path) {
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

#ifdef TINYPRUNE_HAVE_TRAINING
/// The convolution layers of `func` named in `names`: by the report's
/// name of the layer, or by its index among the function's convolutions
/// (conv2d and depthwise_conv2d, 0 first, in program order); else the first
/// entry that names none.
static llvm::Expected<std::vector<Operation *>>
frozenLayers(func::FuncOp func, llvm::ArrayRef<std::string> names) {
  std::vector<Operation *> convs, out;
  if (names.empty())
    return out;
  func.walk([&](Operation *op) {
    if (isa<Conv2DOp, DepthwiseConv2DOp>(op))
      convs.push_back(op);
  });
  for (const std::string &n : names) {
    size_t before = out.size();
    unsigned index;
    if (!StringRef(n).getAsInteger(10, index)) {
      if (index < convs.size())
        out.push_back(convs[index]);
    } else {
      for (Operation *op : convs)
        if (layerName(op) == n)
          out.push_back(op);
    }
    if (out.size() == before)
      return llvm::createStringError(llvm::formatv(
          "freeze: '{0}' names none of the {1} convolution layers (give a "
          "layer's name or its index, 0 to {2})",
          n, convs.size(), int64_t(convs.size()) - 1));
  }
  return out;
}

/// The function with a body of `module`, if it has exactly one.
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
unsigned pruning::trainingThreads(const FinetuneRequest &request) {
  return request.threads > 0
             ? request.threads
             : std::max(1u, std::thread::hardware_concurrency());
}

llvm::Expected<std::string>
pruning::readFinetuneData(func::FuncOp func, func::FuncOp before,
                          const FinetuneRequest &request,
                          training::FinetuneData &data) {
  if (llvm::Error e = readTrainingSamples(func, request.samples, request.labels,
                                          request.limit, request.scale,
                                          data.samples, data.labels))
    return std::move(e);
  // The teacher: without labels, or mixed with them when there is one (a
  // file, or the function before pruning).
  bool distill =
      request.labels.empty() ||
      (request.distillWeight > 0 && (!request.teacher.empty() || before));
  if (!distill)
    return std::string("labels");
  OwningOpRef<ModuleOp> teacherModule;
  func::FuncOp teacher = before;
  std::string from = "the model before pruning";
  if (!request.teacher.empty()) {
    auto loaded = loadTeacherModel(func.getContext(), request.teacher);
    if (!loaded)
      return loaded.takeError();
    teacherModule = std::move(*loaded);
    teacher = soleFunction(*teacherModule);
    if (!teacher)
      return llvm::createStringError("the teacher needs exactly one function");
    from = request.teacher;
  }
  if (!teacher)
    return llvm::createStringError("needs labels=<labels>, or teacher=<the "
                                   "model before pruning> to distill from");
  auto outputs =
      training::teacherOutputs(teacher, data.samples, trainingThreads(request));
  if (!outputs)
    return outputs.takeError();
  data.teacher = std::move(*outputs);
  std::string objective =
      request.labels.empty()
          ? "distillation from " + from
          : llvm::formatv("labels + {0} x distillation from {1}",
                          shortNumber(request.distillWeight), from)
                .str();
  if (request.temperature != 1)
    objective +=
        llvm::formatv(", temperature {0}", shortNumber(request.temperature))
            .str();
  return objective;
}
#endif

llvm::Expected<FinetuneSummary>
pruning::finetuneAfterPruning(func::FuncOp func, func::FuncOp before,
                              const FinetuneRequest &request) {
  FinetuneSummary summary;
  if (llvm::Error e = checkRequest(request))
    return std::move(e);
  if (request.epochs == 0)
    return summary;
#ifndef TINYPRUNE_HAVE_TRAINING
  (void)before;
  return llvm::createStringError("this build has no training (LibTorch not "
                                 "found, or TINYPRUNE_ENABLE_TRAINING=OFF)");
#else
  if (request.labels.empty() && request.teacher.empty() && !before)
    return llvm::createStringError("needs labels=<labels>, or teacher=<the "
                                   "model before pruning> to distill from");
  llvm::Expected<std::vector<Operation *>> frozen =
      frozenLayers(func, request.freeze);
  if (!frozen)
    return frozen.takeError();
  unsigned threads = trainingThreads(request);
  training::FinetuneData data;
  llvm::Expected<std::string> objective =
      readFinetuneData(func, before, request, data);
  if (!objective)
    return objective.takeError();
  summary.objective = std::move(*objective);
  bool distill = !data.teacher.empty();
  training::FinetuneOptions options;
  options.epochs = request.epochs;
  options.learningRate = request.learningRate;
  options.batchSize = request.batchSize;
  options.validationSplit = request.validationSplit;
  options.seed = request.seed;
  options.threads = threads;
  options.distillWeight =
      request.labels.empty() || !distill ? 0 : request.distillWeight;
  options.temperature = request.temperature;
  options.frozen = std::move(*frozen);
  options.gradual = request.gradual;
  summary.frozen = options.frozen.size();
  auto result = training::finetune(func, data, options);
  if (!result)
    return result.takeError();
  summary.epochs = request.epochs;
  summary.bestEpoch = result->bestEpoch;
  summary.trainSamples = result->trainSamples;
  summary.valSamples = result->valSamples;
  summary.seconds = result->seconds;
  if (!result->epochs.empty()) {
    summary.accuracyBefore = result->epochs.front().valAccuracy;
    for (const training::EpochResult &e : result->epochs)
      if (e.epoch == result->bestEpoch)
        summary.accuracyAfter = e.valAccuracy;
  }
  return summary;
#endif
}
