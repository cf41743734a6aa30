//===- Trainer.cpp - The fine-tuning loop ---------------------------------===//
//
// `training::finetune` (Finetune.h): builds the Network of a function,
// trains it with Adam under a cosine learning-rate schedule on shuffled
// mini-batches, scores a held-out validation split after every epoch,
// keeps the best epoch's weights (epoch 0, the model as it came, included)
// and writes them back into the IR. Cross-entropy against labels, against
// the teacher's outputs softened by a temperature (distillation), or a
// weighted sum of both; a function ending in a softmax is scored on the
// logits before it. With gradual pruning (FinetuneOptions::gradual) the
// chosen layers lose their weakest filterlets step by step on a cubic
// schedule while they train, and their filterlet attributes are written
// from the final masks.
// Seeded: the same seed and thread count give the same weights.
//
//===----------------------------------------------------------------------===//

#include "Network.h"
#include "WriteBack.h"

#include "tinyprune/Training/Finetune.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/raw_ostream.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <malloc.h>
#include <numeric>
#include <random>
#include <unistd.h>

using namespace mlir;
using namespace tinyprune;
using namespace tinyprune::training;

namespace {

/// The loss of a batch and the number of its samples whose top-1 matches.
struct BatchScore {
  torch::Tensor loss;
  int64_t correct = 0;
};

/// Targets and loss: labels (cross-entropy), teacher outputs
/// (distillation), or both, mixed by `distillWeight`. The loss reads the
/// network's logits (a final softmax's input); the teacher's outputs are
/// logits too, or, when the function ends in a softmax, probabilities (its
/// outputs). Top-1 is scored against the labels when there are any.
class Objective {
public:
  Objective(const FinetuneData &data, const FinetuneOptions &options,
            torch::Dtype dtype, bool probabilities)
      : probabilities(probabilities), temperature(options.temperature) {
    if (!data.labels.empty())
      labels = torch::tensor(data.labels, torch::kLong);
    if (!data.teacher.empty() &&
        (data.labels.empty() || options.distillWeight > 0)) {
      int64_t n = data.teacher.size(), k = data.teacher.front().size();
      teacher = torch::empty({n, k}, torch::kFloat);
      for (int64_t i = 0; i < n; ++i)
        std::memcpy(teacher[i].data_ptr(), data.teacher[i].data(), k * 4);
      teacher = teacher.to(dtype);
    }
    distillWeight = !labels.defined()   ? 1.0
                    : teacher.defined() ? options.distillWeight
                                        : 0;
  }

  BatchScore score(const torch::Tensor &output,
                   const torch::Tensor &indices) const {
    torch::Tensor logits = output.reshape({output.size(0), -1});
    BatchScore s;
    torch::Tensor target;
    if (labels.defined()) {
      target = labels.index_select(0, indices);
      s.loss = torch::nn::functional::cross_entropy(logits, target);
      if (distillWeight > 0)
        s.loss = (1 - distillWeight) * s.loss +
                 distillWeight * distillation(logits, indices);
    } else {
      s.loss = distillation(logits, indices);
      target = teacher.index_select(0, indices).argmax(1);
    }
    s.correct = logits.argmax(1).eq(target).sum().item<int64_t>();
    return s;
  }

private:
  torch::Tensor distillation(const torch::Tensor &logits,
                             const torch::Tensor &indices) const {
    return distillationLoss(logits,
                            softTargets(teacher.index_select(0, indices),
                                        probabilities, temperature),
                            temperature);
  }

  bool probabilities;
  double temperature, distillWeight;
  torch::Tensor labels, teacher;
};

/// A layer pruned gradually: its convolution in the network, the
/// filterlets' shape and how many it starts and ends with.
struct GradualMask {
  size_t conv = 0;
  int64_t block = 1, perFilter = 0;
  /// Per filter: the filterlets kept at the start and at the end.
  std::vector<int64_t> start, keep;
  /// 1 where a filterlet may be pruned, [filters, perFilter]; undefined:
  /// all.
  torch::Tensor prunable;
};

/// The filterlets of `c` as rows [filters x perFilter, block] (OHWI: a
/// filterlet's channels are contiguous, its id the row within a filter).
torch::Tensor filterletRows(const torch::Tensor &t, const GradualMask &g) {
  return t.reshape({-1, g.block});
}

/// Kept filterlets of `c`: 1 per row of filterletRows.
torch::Tensor aliveFilterlets(const ConvParams &c, const GradualMask &g) {
  return filterletRows(c.mask, g).amax(1) > 0;
}

/// Prunes, in every filter `o` of `c`, the filterlets of lowest L2 norm
/// (of the masked trained weights) among its kept ones until `kept(o)`
/// remain.
void pruneTo(ConvParams &c, const GradualMask &g,
             const std::function<int64_t(int64_t)> &kept) {
  torch::NoGradGuard guard;
  int64_t filters = c.weight.size(0);
  torch::Tensor alive = aliveFilterlets(c, g).reshape({filters, g.perFilter});
  torch::Tensor score = filterletRows(c.weight.detach() * c.mask, g)
                            .to(torch::kDouble)
                            .pow(2)
                            .sum(1)
                            .reshape({filters, g.perFilter});
  // Pruned filterlets rank below every kept one (norms are >= 0), and
  // those that may not be pruned above all.
  score = torch::where(alive, score, torch::full_like(score, -1.0));
  if (g.prunable.defined())
    score = torch::where(g.prunable, score, torch::full_like(score, INFINITY));
  torch::Tensor keepRows = alive.to(c.mask.scalar_type());
  for (int64_t o = 0; o < filters; ++o) {
    int64_t k = kept(o);
    if (k >= alive[o].sum().item<int64_t>())
      continue;
    keepRows[o].zero_();
    if (k > 0)
      keepRows[o].index_fill_(0, std::get<1>(score[o].topk(k)), 1);
  }
  c.mask.mul_(keepRows.reshape({-1, 1})
                  .expand({filters * g.perFilter, g.block})
                  .reshape(c.mask.sizes()));
}

/// The layers of `options.gradual` in `net`, checked.
llvm::Expected<std::vector<GradualMask>>
gradualMasks(Network &net, const FinetuneOptions &options) {
  std::vector<GradualMask> masks;
  if (options.gradual.steps <= 0)
    return masks;
  if (options.epochs < 1)
    return llvm::createStringError("gradual pruning needs epochs >= 1");
  if (!(options.gradual.end > 0) || !(options.gradual.end < 1))
    return llvm::createStringError(
        llvm::formatv("gradual pruning must end in (0, 1) of training, got {0}",
                      options.gradual.end));
  for (const GradualLayer &l : options.gradual.layers) {
    auto found = llvm::find_if(
        net.convs(), [&](const ConvParams &c) { return c.op == l.op; });
    if (found == net.convs().end() || found->depthwise || !isa<Conv2DOp>(l.op))
      return llvm::createStringError(
          "gradual pruning: a layer that is not a trained conv2d");
    const ConvParams &c = *found;
    if (c.frozen)
      return llvm::createStringError(
          "gradual pruning: a layer cannot be both frozen and pruned");
    int64_t channels = c.weight.size(3);
    if (l.block < 1 || channels % l.block != 0)
      return llvm::createStringError(llvm::formatv(
          "gradual pruning: block {0} does not divide {1} channels", l.block,
          channels));
    GradualMask g;
    g.conv = found - net.convs().begin();
    g.block = l.block;
    g.perFilter = c.weight.size(1) * c.weight.size(2) * (channels / l.block);
    int64_t filters = c.weight.size(0);
    if (int64_t(l.keep.size()) != filters)
      return llvm::createStringError(
          llvm::formatv("gradual pruning: {0} counts for {1} filters",
                        l.keep.size(), filters));
    if (!l.prunable.empty()) {
      if (int64_t(l.prunable.size()) != filters * g.perFilter)
        return llvm::createStringError(
            "gradual pruning: the prunable filterlets do not fit the layer");
      std::vector<uint8_t> bytes(l.prunable.begin(), l.prunable.end());
      g.prunable =
          torch::tensor(bytes).to(torch::kBool).reshape({filters, g.perFilter});
    }
    torch::Tensor alive =
        aliveFilterlets(c, g).reshape({filters, g.perFilter}).sum(1);
    for (int64_t o = 0; o < filters; ++o) {
      g.start.push_back(alive[o].item<int64_t>());
      g.keep.push_back(std::clamp<int64_t>(l.keep[o], 0, g.start.back()));
    }
    masks.push_back(g);
  }
  return masks;
}

/// Writes the filterlets that `c`'s mask keeps as its attribute.
void writeFilterlets(const ConvParams &c, const GradualMask &g) {
  torch::Tensor alive =
      aliveFilterlets(c, g).reshape({-1, g.perFilter}).contiguous();
  auto acc = alive.accessor<bool, 2>();
  llvm::SmallVector<int32_t> rowPtr{0}, index;
  for (int64_t o = 0; o < alive.size(0); ++o) {
    for (int64_t f = 0; f < g.perFilter; ++f)
      if (acc[o][f])
        index.push_back(int32_t(f));
    rowPtr.push_back(int32_t(index.size()));
  }
  cast<Conv2DOp>(c.op).setFilterletsAttr(
      FilterletsAttr::get(c.op->getContext(), g.block, rowPtr, index));
}

/// "1m05s".
std::string formatDuration(double seconds) {
  int64_t s = int64_t(std::max(0.0, seconds) + 0.5);
  return s >= 60 ? llvm::formatv("{0}m{1:2}s", s / 60, s % 60).str()
                 : llvm::formatv("{0}s", s).str();
}

} // namespace

int64_t training::gradualKept(int64_t start, int64_t keep, int64_t step,
                              int64_t steps) {
  if (steps <= 0 || step >= steps)
    return keep;
  if (step <= 0)
    return start;
  double left = 1.0 - double(step) / double(steps);
  double cut = double(start - keep) * (1.0 - left * left * left);
  return start - int64_t(std::llround(cut));
}

int64_t training::gradualStepAt(int64_t step, int64_t steps, double end,
                                int64_t totalSteps) {
  int64_t last = std::clamp<int64_t>(int64_t(std::floor(end * totalSteps)), 0,
                                     std::max<int64_t>(totalSteps - 1, 0));
  if (steps <= 0)
    return last;
  return std::clamp<int64_t>(step, 0, steps) * last / steps;
}

torch::Tensor training::softTargets(const torch::Tensor &teacher,
                                    bool probabilities, double temperature) {
  if (!probabilities)
    return torch::softmax(teacher / temperature, 1);
  // softmax(log p / T) = p^(1/T) / sum p^(1/T), without the log of the
  // zeros an int8 softmax outputs (they stay zero).
  torch::Tensor p = teacher.clamp_min(0);
  if (temperature != 1)
    p = p.pow(1.0 / temperature);
  return p / p.sum(1, true).clamp_min(1e-12);
}

torch::Tensor training::distillationLoss(const torch::Tensor &logits,
                                         const torch::Tensor &targets,
                                         double temperature) {
  torch::Tensor logQ = torch::log_softmax(logits / temperature, 1);
  return -(targets * logQ).sum(1).mean() * (temperature * temperature);
}

/// The loss and top-1 agreement of `net` on the samples `indices`.
static std::pair<double, double>
evaluate(Network &net, const FinetuneData &data, const Objective &objective,
         llvm::ArrayRef<int64_t> indices, int64_t batchSize) {
  if (indices.empty())
    return {0.0, 0.0};
  torch::NoGradGuard guard;
  double loss = 0;
  int64_t correct = 0;
  for (size_t at = 0; at < indices.size(); at += batchSize) {
    llvm::ArrayRef<int64_t> batch =
        indices.slice(at, std::min<size_t>(batchSize, indices.size() - at));
    torch::Tensor out = net.logits(net.realInputs(data.samples, batch));
    BatchScore s = objective.score(
        out, torch::tensor(std::vector<int64_t>(batch.begin(), batch.end())));
    loss += s.loss.item<double>() * batch.size();
    correct += s.correct;
  }
  return {loss / indices.size(), double(correct) / indices.size()};
}

static llvm::Expected<FinetuneResult> train(func::FuncOp func,
                                            const FinetuneData &data,
                                            const FinetuneOptions &options) {
  auto start = std::chrono::steady_clock::now();
  auto elapsed = [&] {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() -
                                         start)
        .count();
  };
  if (options.threads > 0)
    torch::set_num_threads(options.threads);
  torch::manual_seed(options.seed);
  // Denormal floats (tiny gradients of a heavily pruned model) slow the
  // CPU down by an order of magnitude.
  at::globalContext().setFlushDenormal(true);
  // Every batch allocates and frees the same large activations; by
  // default glibc hands blocks above 128 KiB back to the kernel, and each
  // batch then pays page faults on fresh zeroed pages (about a sixth of
  // the time). Keep them in the heap: blocks up to 32 MiB (glibc's
  // largest threshold) are not mapped apart, and the heap is not trimmed
  // below 256 MiB.
  mallopt(M_MMAP_THRESHOLD, 32 << 20);
  mallopt(M_TRIM_THRESHOLD, 256 << 20);

  llvm::Expected<std::unique_ptr<Network>> built = Network::build(func);
  if (!built)
    return built.takeError();
  Network &net = **built;
  for (ConvParams &c : net.convs())
    c.frozen = llvm::is_contained(options.frozen, c.op);
  if (!data.teacher.empty() &&
      int64_t(data.teacher.front().size()) != net.outputSize())
    return llvm::createStringError(
        llvm::formatv("the teacher gives {0} outputs per sample, the "
                      "function {1}",
                      data.teacher.front().size(), net.outputSize()));
  Objective objective(data, options, net.dtype(), net.endsInSoftmax());
  llvm::Expected<std::vector<GradualMask>> gradualOr =
      gradualMasks(net, options);
  if (!gradualOr)
    return gradualOr.takeError();
  std::vector<GradualMask> gradual = std::move(*gradualOr);

  // The split: a seeded shuffle, the last `validationSplit` held out.
  int64_t n = data.samples.size();
  std::vector<int64_t> order(n);
  std::iota(order.begin(), order.end(), 0);
  std::mt19937_64 rng(options.seed);
  std::shuffle(order.begin(), order.end(), rng);
  int64_t valCount = int64_t(std::floor(n * options.validationSplit));
  if (options.validationSplit > 0 && valCount == 0 && n > 1)
    valCount = 1;
  std::vector<int64_t> trainSet(order.begin(), order.end() - valCount);
  std::vector<int64_t> valSet(order.end() - valCount, order.end());
  if (trainSet.empty())
    return llvm::createStringError(
        llvm::formatv("{0} samples leave none to train on after the "
                      "validation split {1}",
                      n, options.validationSplit));

  bool progress = options.progress == FinetuneOptions::Progress::Always ||
                  (options.progress == FinetuneOptions::Progress::Auto &&
                   isatty(STDERR_FILENO));
  FinetuneResult result;
  result.trainSamples = trainSet.size();
  result.valSamples = valSet.size();

  // Epoch 0: the model as it came.
  auto [loss0, acc0] =
      evaluate(net, data, objective, valSet, options.batchSize);
  result.epochs.push_back({0, 0.0, loss0, acc0});
  std::vector<torch::Tensor> best = net.snapshot();
  // Pruned gradually, the model as it came is not at the final sparsity:
  // the first epoch that ends there is kept unless a later one beats it.
  double bestAcc = gradual.empty() ? acc0 : -1.0, bestLoss = loss0;

  std::vector<torch::Tensor> params = net.parameters();
  if (params.empty())
    return llvm::createStringError("the function has no trainable layer");
  torch::optim::Adam adam(params,
                          torch::optim::AdamOptions(options.learningRate));
  int64_t batches =
      (trainSet.size() + options.batchSize - 1) / options.batchSize;
  int64_t totalSteps = batches * options.epochs, step = 0;
  // The next gradual pruning step (1-based); past `steps`: all done.
  int64_t cut = 1, cuts = gradual.empty() ? 0 : options.gradual.steps;

  for (int64_t epoch = 1; epoch <= options.epochs; ++epoch) {
    std::shuffle(trainSet.begin(), trainSet.end(), rng);
    double lossSum = 0;
    int64_t correct = 0, seen = 0;
    for (int64_t bi = 0; bi < batches; ++bi, ++step) {
      for (; cut <= cuts &&
             step >= gradualStepAt(cut, cuts, options.gradual.end, totalSteps);
           ++cut) {
        for (const GradualMask &g : gradual)
          pruneTo(net.convs()[g.conv], g, [&](int64_t o) {
            return gradualKept(g.start[o], g.keep[o], cut, cuts);
          });
        net.applyMasks();
      }
      // Cosine schedule from the initial rate to zero.
      double lr = 0.5 * options.learningRate *
                  (1 + std::cos(M_PI * double(step) / double(totalSteps)));
      for (auto &group : adam.param_groups())
        static_cast<torch::optim::AdamOptions &>(group.options()).lr(lr);
      llvm::ArrayRef<int64_t> batch = llvm::ArrayRef(trainSet).slice(
          bi * options.batchSize,
          std::min<int64_t>(options.batchSize,
                            trainSet.size() - bi * options.batchSize));
      torch::Tensor x = net.realInputs(data.samples, batch);
      BatchScore s = objective.score(
          net.logits(x),
          torch::tensor(std::vector<int64_t>(batch.begin(), batch.end())));
      adam.zero_grad();
      s.loss.backward();
      adam.step();
      net.applyMasks();
      lossSum += s.loss.item<double>() * batch.size();
      correct += s.correct;
      seen += batch.size();
      if (progress) {
        double done = double(step + 1) / double(totalSteps);
        llvm::errs() << llvm::formatv(
            "\rfinetune: epoch {0}/{1} batch {2}/{3} loss {4:F4} acc "
            "{5:F1}% ETA {6}   ",
            epoch, options.epochs, bi + 1, batches, lossSum / seen,
            100.0 * correct / seen,
            formatDuration(elapsed() * (1 - done) / done));
      }
    }
    auto [valLoss, valAcc] =
        evaluate(net, data, objective, valSet, options.batchSize);
    result.epochs.push_back({epoch, lossSum / seen, valLoss, valAcc});
    if (progress)
      llvm::errs() << llvm::formatv(
          "\rfinetune: epoch {0}/{1} loss {2:F4} train acc {3:F1}% val loss "
          "{4:F4} val acc {5:F1}% ({6})\n",
          epoch, options.epochs, lossSum / seen, 100.0 * correct / seen,
          valLoss, 100.0 * valAcc, formatDuration(elapsed()));
    // Best epoch: the highest validation accuracy, then the lowest loss;
    // without a validation split, the last epoch.
    bool atFinalSparsity = cut > cuts;
    if (atFinalSparsity && (valSet.empty() || valAcc > bestAcc ||
                            (valAcc == bestAcc && valLoss < bestLoss))) {
      bestAcc = valAcc;
      bestLoss = valLoss;
      result.bestEpoch = epoch;
      best = net.snapshot();
    }
  }
  net.restore(best);
  result.seconds = elapsed();
  // Training never beat the model as it came: the IR stays as it is.
  if (result.bestEpoch == 0)
    return result;

  // Back into the IR: masked master weights in the IR's layout.
  // Frozen layers stay as found, byte for byte.
  if (llvm::Error e = writeBack(net.trainedConvs(/*skipFrozen=*/true)))
    return std::move(e);
  for (const GradualMask &g : gradual)
    writeFilterlets(net.convs()[g.conv], g);
  result.seconds = elapsed();
  return result;
}

llvm::Expected<FinetuneResult>
training::finetune(func::FuncOp func, const FinetuneData &data,
                   const FinetuneOptions &options) {
  if (data.samples.empty())
    return llvm::createStringError("no samples to train on");
  if ((data.labels.empty() || options.distillWeight > 0) &&
      data.teacher.size() != data.samples.size())
    return llvm::createStringError(
        "training needs labels or teacher outputs for every sample");
  if (!data.labels.empty() && data.labels.size() != data.samples.size())
    return llvm::createStringError(llvm::formatv(
        "{0} labels for {1} samples", data.labels.size(), data.samples.size()));
  if (options.epochs < 0 || options.batchSize < 1 ||
      !(options.learningRate > 0) || !(options.validationSplit >= 0) ||
      !(options.validationSplit < 1) || !(options.distillWeight >= 0) ||
      !(options.distillWeight <= 1) || !(options.temperature > 0))
    return llvm::createStringError(
        "training needs epochs >= 0, batch-size >= 1, learning-rate > 0, "
        "validation-split in [0, 1), distill-weight in [0, 1] and "
        "temperature > 0");
  // LibTorch reports misuse by exceptions; none may escape the compiler.
  try {
    return train(func, data, options);
  } catch (const c10::Error &e) {
    return llvm::createStringError(
        llvm::formatv("LibTorch: {0}", e.what_without_backtrace()).str());
  } catch (const std::exception &e) {
    return llvm::createStringError(
        llvm::formatv("LibTorch: {0}", e.what()).str());
  }
}
