//===- DepthPruneTraining.cpp - --depth-prune's data and head training ----===//
//
// The samples of --depth-prune and the model's outputs on them, the
// features at a cut (computed once with the interpreter and cached), the
// head trained on them (float, then calibrated, quantized and trained
// quantization-aware for int8 models; lib/Training trains a function
// holding the head alone), and base and head fine-tuned together. The only
// file of the pass that sees lib/Training.
//
//===----------------------------------------------------------------------===//

#include "DepthPrune.h"

#include "tinyprune/Dialect/LayerView.h"
#include "tinyprune/Execution/Interpreter.h"
#include "tinyprune/Execution/ModelInput.h"
#include "tinyprune/Execution/Probe.h"

#ifdef TINYPRUNE_HAVE_TRAINING
#include "tinyprune/Training/Finetune.h"
#endif

#include "llvm/Support/FormatVariadic.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstring>
#include <thread>

using namespace mlir;
using namespace tinyprune;
using namespace tinyprune::depth;
using namespace tinyprune::pruning;

namespace {

/// Index of the largest element of `v` (first on ties).
template <typename T> int64_t argmax(llvm::ArrayRef<T> v) {
  return std::max_element(v.begin(), v.end()) - v.begin();
}

#ifdef TINYPRUNE_HAVE_TRAINING
// Used only where training is built.

/// Top-1 of raw function outputs.
int64_t rawTop1(llvm::ArrayRef<uint8_t> bytes, bool isFloat) {
  if (isFloat) {
    std::vector<float> f(bytes.size() / 4);
    std::memcpy(f.data(), bytes.data(), f.size() * 4);
    return argmax<float>(f);
  }
  std::vector<int8_t> q(bytes.begin(), bytes.end());
  return argmax<int8_t>(q);
}

/// The cut tensor of every sample, raw.
FailureOr<std::vector<std::vector<uint8_t>>> features(Run &run,
                                                      const Candidate &c) {
  FailureOr<std::unique_ptr<ValueProbe>> probe =
      ValueProbe::create(run.func, {c.cut.value});
  if (failed(probe))
    return failure();
  const std::vector<std::vector<uint8_t>> &in = run.data.inputs;
  std::vector<std::vector<uint8_t>> out(in.size());
  unsigned n = run.settings.threads;
  std::atomic<bool> failedRun{false};
  std::vector<std::thread> pool;
  for (unsigned t = 0; t < n; ++t)
    pool.emplace_back([&, t] {
      PreparedFunction::State state = (*probe)->newState();
      for (size_t s = t; s < in.size() && !failedRun; s += n) {
        if (failed((*probe)->run(state, {in[s]}))) {
          failedRun = true;
          return;
        }
        llvm::ArrayRef<uint8_t> bytes = state.output(0);
        out[s].assign(bytes.begin(), bytes.end());
      }
    });
  for (std::thread &t : pool)
    t.join();
  if (failedRun)
    return failure();
  return out;
}

/// Top-1 of `func` on `inputs[from..)`.
FailureOr<std::vector<int64_t>>
predict(func::FuncOp func, llvm::ArrayRef<std::vector<uint8_t>> inputs,
        size_t from) {
  FailureOr<std::unique_ptr<PreparedFunction>> prepared =
      PreparedFunction::create(func);
  if (failed(prepared))
    return failure();
  bool isFloat = isa<FloatType>(
      cast<RankedTensorType>(func.getResultTypes()[0]).getElementType());
  std::vector<int64_t> top1(inputs.size() - from);
  PreparedFunction::State state = (*prepared)->newState();
  for (size_t s = from; s < inputs.size(); ++s) {
    if (failed((*prepared)->run(state, {inputs[s]})))
      return failure();
    top1[s - from] = rawTop1(state.output(0), isFloat);
  }
  return top1;
}

/// Top-1 accuracy (%) of `func` on `inputs[from..)` against `truth[from..)`.
FailureOr<double> accuracyFrom(func::FuncOp func,
                               llvm::ArrayRef<std::vector<uint8_t>> inputs,
                               llvm::ArrayRef<int64_t> truth, size_t from) {
  FailureOr<std::vector<int64_t>> top1 = predict(func, inputs, from);
  if (failed(top1))
    return failure();
  size_t correct = 0;
  for (size_t i = 0; i < top1->size(); ++i)
    correct += (*top1)[i] == truth[from + i];
  return 100.0 * double(correct) / double(top1->size());
}

#endif // TINYPRUNE_HAVE_TRAINING

} // namespace

bool depth::trainingAvailable() {
#ifdef TINYPRUNE_HAVE_TRAINING
  return true;
#else
  return false;
#endif
}

LogicalResult depth::loadData(Run &run, const data::DatasetOptions &options,
                              int64_t limit, double validationSplit) {
  llvm::Expected<data::InputSpec> spec = getInputSpec(run.func);
  if (!spec)
    return run.settings.error() << llvm::toString(spec.takeError());
  auto opened = data::openDataset(options, *spec);
  if (!opened)
    return run.settings.error() << llvm::toString(opened.takeError());
  const data::Dataset &set = **opened;
  size_t n = limit > 0 ? std::min<size_t>(set.size(), limit) : set.size();
  Samples &d = run.data;
  size_t val = size_t(std::llround(double(n) * validationSplit));
  if (n < 10 || val < 1 || val >= n)
    return run.settings.error() << "needs at least 10 samples and a non-empty "
                                   "training and validation split, got "
                                << n << " samples";
  d.inputs.resize(n);
  for (size_t i = 0; i < n; ++i) {
    d.inputs[i].resize(spec->byteSize());
    if (llvm::Error e = set.read(i, d.inputs[i]))
      return run.settings.error() << llvm::toString(std::move(e));
  }
  d.trainCount = n - val;
  if (!options.labelsPath.empty()) {
    llvm::ArrayRef<int64_t> l = set.labels();
    if (l.size() < n)
      return run.settings.error() << "fewer labels than samples";
    d.labels.assign(l.begin(), l.begin() + n);
    for (int64_t label : d.labels)
      if (label < 0 || label >= run.classes)
        return run.settings.error() << "label " << label << " is outside the "
                                    << run.classes << " classes of the model";
  }
  // With labels the model's outputs are needed on the validation split
  // only; without, they are the training targets too.
  size_t from = d.labels.empty() ? 0 : d.trainCount;
  progress(llvm::formatv("running the model on {0} samples", n - from));
#ifdef TINYPRUNE_HAVE_TRAINING
  auto outputs = training::teacherOutputs(
      run.func, llvm::ArrayRef(d.inputs).drop_front(from),
      run.settings.threads);
  if (!outputs)
    return run.settings.error() << llvm::toString(outputs.takeError());
  d.outputs = std::move(*outputs);
#endif
  // The model's top-1 from `from` on.
  std::vector<int64_t> modelTop1;
  for (const std::vector<float> &o : d.outputs)
    modelTop1.push_back(argmax<float>(o));
  d.truth = d.labels.empty() ? modelTop1 : d.labels;
  size_t correct = 0;
  for (size_t i = d.trainCount; i < n; ++i)
    correct += modelTop1[i - from] == d.truth[i];
  run.fullAccuracy = 100.0 * double(correct) / double(val);
  return success();
}

LogicalResult depth::trainHead(Run &run, Candidate &c) {
#ifndef TINYPRUNE_HAVE_TRAINING
  (void)run;
  (void)c;
  return run.settings.error()
         << "this build has no training (LibTorch not found, or "
            "TINYPRUNE_ENABLE_TRAINING=OFF)";
#else
  MLIRContext *ctx = run.func->getContext();
  progress(llvm::formatv("caching the features at {0}", c.cut.name));
  FailureOr<std::vector<std::vector<uint8_t>>> feats = features(run, c);
  if (failed(feats))
    return failure();
  Samples &d = run.data;
  QuantAttr inQ = run.isFloat ? QuantAttr() : producerQuant(c.cut.value);
  // Float features: as they are, or the int8 ones dequantized.
  std::vector<std::vector<uint8_t>> realFeats;
  if (run.isFloat) {
    realFeats = *feats;
  } else {
    float scale = inQ.getScaleAt(0);
    int64_t zp = inQ.getZeroPointAt(0);
    realFeats.resize(feats->size());
    for (size_t s = 0; s < feats->size(); ++s) {
      const std::vector<uint8_t> &q = (*feats)[s];
      std::vector<float> f(q.size());
      for (size_t k = 0; k < q.size(); ++k)
        f[k] = float(int64_t(int8_t(q[k])) - zp) * scale;
      realFeats[s].resize(f.size() * 4);
      std::memcpy(realFeats[s].data(), f.data(), f.size() * 4);
    }
  }
  size_t nTrain = d.trainCount;
  auto trainData = [&](const std::vector<std::vector<uint8_t>> &x) {
    training::FinetuneData t;
    t.samples.assign(x.begin(), x.begin() + nTrain);
    if (!d.labels.empty()) {
      t.labels.assign(d.labels.begin(), d.labels.begin() + nTrain);
      return t;
    }
    t.teacher.assign(d.outputs.begin(), d.outputs.begin() + nTrain);
    // The head ends in logits: a softmax model's probabilities become
    // their logarithms (the trainer softens logit targets by a softmax).
    if (run.softmax)
      for (std::vector<float> &o : t.teacher)
        for (float &p : o)
          p = std::log(std::max(p, 1e-7f));
    return t;
  };
  training::FinetuneOptions opts;
  opts.epochs = run.settings.epochs;
  opts.learningRate = run.settings.learningRate;
  opts.batchSize = run.settings.batchSize;
  opts.validationSplit = 0.1;
  opts.seed = run.settings.seed;
  opts.threads = run.settings.threads;
  auto fail = [&](llvm::Error e) {
    return run.settings.error() << "training the head at " << c.cut.name << ": "
                                << llvm::toString(std::move(e));
  };

  // The float head, trained on the real-valued features.
  HeadWeights init =
      initHead(run.spec, c.cut.channels, run.classes, run.settings.seed);
  FailureOr<OwningOpRef<ModuleOp>> floatHead =
      headFunction(run, c, init, nullptr, QuantAttr(), /*floatInput=*/true);
  if (failed(floatHead))
    return failure();
  func::FuncOp floatFn = *(*floatHead)->getOps<func::FuncOp>().begin();
  progress(llvm::formatv("training the head at {0} ({1} samples)", c.cut.name,
                         nTrain));
  auto trained = training::finetune(floatFn, trainData(realFeats), opts);
  if (!trained)
    return fail(trained.takeError());
  if (run.isFloat) {
    FailureOr<double> accuracy =
        accuracyFrom(floatFn, realFeats, d.truth, nTrain);
    if (failed(accuracy))
      return failure();
    c.accuracy = *accuracy;
    c.head = std::move(*floatHead);
    return success();
  }

  // int8: calibrate the activation ranges of the trained float head on the
  // training features, quantize, then train quantization-aware.
  llvm::Expected<HeadWeights> weights = readHead(floatFn, init);
  if (!weights)
    return fail(weights.takeError());
  std::vector<Value> outs = headLayerOutputs(floatFn);
  FailureOr<std::unique_ptr<ValueProbe>> probe =
      ValueProbe::create(floatFn, outs);
  if (failed(probe))
    return failure();
  std::vector<double> lo(outs.size(), 0.0), hi(outs.size(), 0.0);
  PreparedFunction::State state = (*probe)->newState();
  size_t calib = std::min<size_t>(nTrain, 2000);
  for (size_t s = 0; s < calib; ++s) {
    if (failed((*probe)->run(state, {realFeats[s]})))
      return failure();
    for (size_t i = 0; i < outs.size(); ++i) {
      llvm::ArrayRef<uint8_t> bytes = state.output(i);
      for (size_t k = 0; k + 4 <= bytes.size(); k += 4) {
        float f;
        std::memcpy(&f, bytes.data() + k, 4);
        lo[i] = std::min(lo[i], double(f));
        hi[i] = std::max(hi[i], double(f));
      }
    }
  }
  HeadQuant q;
  q.input = inQ;
  for (size_t i = 0; i < outs.size(); ++i)
    q.outputs.push_back(rangeQuant(ctx, lo[i], hi[i]));
  QuantAttr outQ = run.softmax ? q.outputs.back() : run.outputQuant;
  // The float features (four times the int8 ones) are done with.
  std::vector<std::vector<uint8_t>>().swap(realFeats);
  FailureOr<OwningOpRef<ModuleOp>> intHead =
      headFunction(run, c, *weights, &q, outQ, /*floatInput=*/false);
  if (failed(intHead))
    return failure();
  func::FuncOp intFn = *(*intHead)->getOps<func::FuncOp>().begin();
  if (run.settings.qatEpochs > 0) {
    progress(llvm::formatv("quantization-aware training at {0}", c.cut.name));
    training::FinetuneOptions qat = opts;
    qat.epochs = run.settings.qatEpochs;
    qat.learningRate = run.settings.learningRate / 10;
    auto result = training::finetune(intFn, trainData(*feats), qat);
    if (!result)
      return fail(result.takeError());
  }
  FailureOr<double> accuracy = accuracyFrom(intFn, *feats, d.truth, nTrain);
  if (failed(accuracy))
    return failure();
  c.accuracy = *accuracy;
  c.head = std::move(*intHead);
  return success();
#endif
}

FailureOr<double> depth::trainBaseOf(Run &run, func::FuncOp func) {
#ifndef TINYPRUNE_HAVE_TRAINING
  (void)run;
  (void)func;
  return run.settings.error() << "this build has no training";
#else
  Samples &d = run.data;
  training::FinetuneData t;
  t.samples.assign(d.inputs.begin(), d.inputs.begin() + d.trainCount);
  if (!d.labels.empty())
    t.labels.assign(d.labels.begin(), d.labels.begin() + d.trainCount);
  else
    t.teacher.assign(d.outputs.begin(), d.outputs.begin() + d.trainCount);
  training::FinetuneOptions opts;
  opts.epochs = std::max<int64_t>(1, run.settings.qatEpochs);
  opts.learningRate = run.settings.learningRate / 10;
  opts.batchSize = run.settings.batchSize;
  opts.seed = run.settings.seed;
  opts.threads = run.settings.threads;
  auto result = training::finetune(func, t, opts);
  if (!result)
    return run.settings.error()
           << "train-base: " << llvm::toString(result.takeError());
  return accuracyFrom(func, d.inputs, d.truth, d.trainCount);
#endif
}
