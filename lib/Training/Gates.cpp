//===- Gates.cpp - Training differentiable channel gates ------------------===//
//
// `training::trainChannelGates` (ChannelGates.h). Each channel of a group
// has a logit theta; while the gates train, the channel is multiplied by
// its gate sigmoid(theta) in the outputs of the layers writing it, so that
// a gate moving down shrinks its channel and the task pushes back as much
// as the channel matters; a channel switched off is multiplied by 0. The
// expected number of kept channels of a group is the sum of its gates, and
// every resource estimate a function of those counts (ChannelGates.h). Once
// every target is reached the gates move linearly to exactly 1 (on) or 0
// (off) over half the remaining steps, the weights following, and the rest
// trains the weights for the model that will be deployed. The loss is
//
//   task + lambda * sum_k max(0, R_k / (R_k(all on) * t_k(step)) - 1)
//
// where t_k(step) ramps cubically from 1 to the target (the ramp of
// gradual pruning); every `pruneEvery` steps the lowest gates are switched
// off, one at a time, while some estimate is above its scheduled target,
// and lambda grows while the gates lag behind the schedule (no gate below
// one half was left to switch off).
//
//===----------------------------------------------------------------------===//

#include "Network.h"
#include "WriteBack.h"

#include "tinyprune/Training/ChannelGates.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/raw_ostream.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <numeric>
#include <random>
#include <unistd.h>

using namespace mlir;
using namespace tinyprune;
using namespace tinyprune::training;

/// The value of one set of terms for the kept counts `kept`, with any
/// scalar type that has + and * (double, or a torch tensor).
template <typename T>
static T setValue(const GateProblem &p, llvm::ArrayRef<GateCostTerm> terms,
                  llvm::ArrayRef<T> extentFraction, T zero) {
  T sum = zero;
  for (const GateCostTerm &t : terms) {
    T v = zero + t.amount;
    for (size_t e : t.extents)
      v = v * extentFraction[e];
    sum = sum + v;
  }
  return sum;
}

double training::estimateResource(const GateProblem &problem, size_t resource,
                                  llvm::ArrayRef<double> kept,
                                  double temperature) {
  std::vector<double> fraction;
  for (const GateExtent &e : problem.extents) {
    double k = double(e.size);
    for (auto [g, per] : e.groups)
      k -= double(per) * (double(problem.groups[g].channels) - kept[g]);
    fraction.push_back(e.size > 0 ? std::max(0.0, k) / double(e.size) : 1.0);
  }
  const GatedResource &r = problem.resources[resource];
  std::vector<double> sets;
  for (const auto &terms : r.sets)
    sets.push_back(setValue<double>(problem, terms, fraction, 0.0));
  if (sets.empty())
    return 0;
  double top = *std::max_element(sets.begin(), sets.end());
  if (sets.size() == 1 || !(temperature > 0))
    return top;
  // T log sum exp(x / T), shifted by the maximum.
  double sum = 0;
  for (double s : sets)
    sum += std::exp((s - top) / temperature);
  return top + temperature * std::log(sum);
}

namespace {

/// One gated layer output: which group, and for every index along the last
/// axis the group's channel there (or `channels`: not the group's).
struct GateUse {
  size_t group;
  torch::Tensor index;
};

class GateTrainer {
public:
  GateTrainer(Network &net, const FinetuneData &data,
              const GateProblem &problem, const GateOptions &options)
      : net(net), data(data), problem(problem), options(options) {}

  llvm::Expected<GateResult> run();

private:
  llvm::Error setUp();
  /// Each group's gates: the logistic of the logits of the channels on
  /// (0 off); with `hard` in (0, 1] that far on the way to 1 on and 0 off,
  /// without gradient.
  std::vector<torch::Tensor> gates(double hard) const;
  /// Kept counts (hard) of every group.
  std::vector<double> keptCounts() const;
  /// Each resource's estimate with the hard counts, relative to all on.
  std::vector<double> hardEstimates() const;
  /// The penalty for targets `targets` (relative), differentiable in the
  /// logits.
  torch::Tensor penalty(const std::vector<torch::Tensor> &g,
                        llvm::ArrayRef<double> targets) const;
  /// Switches off gates, lowest first, while an estimate is above its
  /// target; true when every target holds afterwards.
  bool prune(llvm::ArrayRef<double> targets);
  torch::Tensor taskLoss(const torch::Tensor &out,
                         llvm::ArrayRef<int64_t> batch) const;

  Network &net;
  const FinetuneData &data;
  const GateProblem &problem;
  const GateOptions &options;
  std::vector<torch::Tensor> logits, on;
  llvm::DenseMap<Operation *, std::vector<GateUse>> uses;
  /// Each resource's smooth maximum's softness, and its estimate with every
  /// channel on.
  std::vector<double> softness, full;
  /// The gates of the current step, for the output hook.
  std::vector<torch::Tensor> current;
  /// The logits of the switched-off channels when they were.
  std::vector<std::vector<double>> offLogits;
  /// Whether a pruning switched off a gate still above one half.
  bool lagging = false;
  torch::Tensor labels, teacher;
};

} // namespace

llvm::Error GateTrainer::setUp() {
  auto opts = torch::TensorOptions().dtype(net.dtype());
  for (auto [gi, g] : llvm::enumerate(problem.groups)) {
    logits.push_back(torch::full({g.channels}, kInitialGateLogit, opts)
                         .set_requires_grad(true));
    on.push_back(torch::ones({g.channels}, opts));
    offLogits.emplace_back(g.channels, 0.0);
    for (const GatedOutput &o : g.outputs) {
      auto type = dyn_cast<RankedTensorType>(o.op->getResult(0).getType());
      if (!type || !type.hasStaticShape() ||
          int64_t(o.positions.size()) != g.channels)
        return llvm::createStringError("a gated layer output does not match "
                                       "its channel group");
      int64_t last = type.getDimSize(type.getRank() - 1);
      std::vector<int64_t> index(last, g.channels);
      for (auto [c, positions] : llvm::enumerate(o.positions))
        for (int64_t i : positions) {
          if (i < 0 || i >= last)
            return llvm::createStringError("a gated channel lies outside its "
                                           "layer's output");
          index[i] = int64_t(c);
        }
      uses[o.op].push_back({gi, torch::tensor(index, torch::kLong)});
    }
  }
  std::vector<double> all;
  for (const GatedGroup &g : problem.groups)
    all.push_back(double(g.channels));
  for (size_t r = 0; r < problem.resources.size(); ++r) {
    double exact = estimateResource(problem, r, all, 0.0);
    if (!(exact > 0))
      return llvm::createStringError(
          llvm::formatv("the resource '{0}' is 0 with every channel",
                        problem.resources[r].name));
    softness.push_back(options.temperature * exact);
    full.push_back(estimateResource(problem, r, all, softness.back()));
  }
  net.outputHook = [this](Operation *op, const torch::Tensor &y) {
    auto it = uses.find(op);
    if (it == uses.end())
      return y;
    torch::Tensor out = y;
    for (const GateUse &u : it->second) {
      torch::Tensor ext =
          torch::cat({current[u.group], torch::ones({1}, y.options())});
      out = out * ext.index_select(0, u.index);
    }
    return out;
  };
  if (data.labels.empty()) {
    int64_t n = data.teacher.size(), k = data.teacher.front().size();
    teacher = torch::empty({n, k}, torch::kFloat);
    for (int64_t i = 0; i < n; ++i)
      std::memcpy(teacher[i].data_ptr(), data.teacher[i].data(), k * 4);
    teacher = teacher.to(net.dtype());
  } else {
    labels = torch::tensor(data.labels, torch::kLong);
  }
  return llvm::Error::success();
}

std::vector<torch::Tensor> GateTrainer::gates(double hard) const {
  std::vector<torch::Tensor> out;
  for (size_t g = 0; g < logits.size(); ++g) {
    torch::Tensor soft = torch::sigmoid(logits[g]) * on[g];
    out.push_back(hard > 0 ? (hard * on[g] + (1 - hard) * soft).detach()
                           : soft);
  }
  return out;
}

std::vector<double> GateTrainer::keptCounts() const {
  std::vector<double> kept;
  for (const torch::Tensor &o : on)
    kept.push_back(o.sum().item<double>());
  return kept;
}

std::vector<double> GateTrainer::hardEstimates() const {
  std::vector<double> kept = keptCounts(), out;
  for (size_t r = 0; r < problem.resources.size(); ++r)
    out.push_back(estimateResource(problem, r, kept, softness[r]) / full[r]);
  return out;
}

torch::Tensor GateTrainer::penalty(const std::vector<torch::Tensor> &g,
                                   llvm::ArrayRef<double> targets) const {
  auto opts = torch::TensorOptions().dtype(net.dtype());
  std::vector<torch::Tensor> fraction;
  for (const GateExtent &e : problem.extents) {
    torch::Tensor k = torch::full({}, double(e.size), opts);
    for (auto [gi, per] : e.groups)
      k = k - double(per) * (double(problem.groups[gi].channels) - g[gi].sum());
    fraction.push_back(torch::clamp_min(k, 0.0) /
                       double(std::max<int64_t>(1, e.size)));
  }
  torch::Tensor zero = torch::zeros({}, opts), total = zero;
  for (auto [r, res] : llvm::enumerate(problem.resources)) {
    std::vector<torch::Tensor> sets;
    for (const auto &terms : res.sets)
      sets.push_back(setValue<torch::Tensor>(problem, terms, fraction, zero));
    if (sets.empty())
      continue;
    torch::Tensor value =
        (sets.size() == 1
             ? sets.front()
             : softness[r] *
                   torch::logsumexp(torch::stack(sets) / softness[r], 0)) /
        full[r];
    total = total + torch::relu(value / targets[r] - 1.0);
  }
  return total;
}

bool GateTrainer::prune(llvm::ArrayRef<double> targets) {
  auto holds = [&] {
    std::vector<double> e = hardEstimates();
    for (size_t r = 0; r < e.size(); ++r)
      if (e[r] > targets[r] + 1e-12)
        return false;
    return true;
  };
  if (holds())
    return true;
  struct Below {
    double logit;
    size_t group;
    int64_t channel;
  };
  std::vector<Below> below;
  for (size_t g = 0; g < logits.size(); ++g) {
    torch::Tensor l = logits[g].detach().to(torch::kDouble).contiguous();
    torch::Tensor o = on[g].to(torch::kDouble).contiguous();
    for (int64_t c = 0; c < l.size(0); ++c)
      if (o[c].item<double>() > 0)
        below.push_back({l[c].item<double>(), g, c});
  }
  llvm::sort(below,
             [](const Below &a, const Below &b) { return a.logit < b.logit; });
  for (const Below &b : below) {
    double kept = on[b.group].sum().item<double>();
    if (double(problem.groups[b.group].channels) - kept >=
        double(problem.groups[b.group].maxOff))
      continue;
    {
      torch::NoGradGuard guard;
      on[b.group].index_put_({b.channel}, 0.0);
    }
    lagging |= b.logit >= 0;
    offLogits[b.group][b.channel] = b.logit;
    if (holds())
      return true;
  }
  return false;
}

torch::Tensor GateTrainer::taskLoss(const torch::Tensor &out,
                                    llvm::ArrayRef<int64_t> batch) const {
  torch::Tensor logitsOut = out.reshape({out.size(0), -1});
  torch::Tensor idx =
      torch::tensor(std::vector<int64_t>(batch.begin(), batch.end()));
  if (labels.defined())
    return torch::nn::functional::cross_entropy(logitsOut,
                                                labels.index_select(0, idx));
  torch::Tensor p = torch::softmax(teacher.index_select(0, idx), 1);
  return -(p * torch::log_softmax(logitsOut, 1)).sum(1).mean();
}

llvm::Expected<GateResult> GateTrainer::run() {
  auto start = std::chrono::steady_clock::now();
  auto elapsed = [&] {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() -
                                         start)
        .count();
  };
  if (llvm::Error e = setUp())
    return std::move(e);
  std::vector<torch::Tensor> weights = net.parameters();
  if (weights.empty())
    return llvm::createStringError("the function has no trainable layer");
  torch::optim::Adam adam(weights,
                          torch::optim::AdamOptions(options.learningRate));
  torch::optim::Adam gateAdam(
      logits, torch::optim::AdamOptions(options.gateLearningRate));
  int64_t n = data.samples.size();
  std::vector<int64_t> order(n);
  std::iota(order.begin(), order.end(), 0);
  std::mt19937_64 rng(options.seed);
  int64_t batches = (n + options.batchSize - 1) / options.batchSize;
  int64_t total = batches * options.epochs, step = 0;
  int64_t rampSteps =
      std::max<int64_t>(1, int64_t(options.rampFraction * double(total)));
  // At least 20 prunings along the ramp.
  int64_t pruneEvery =
      std::max<int64_t>(1, std::min(options.pruneEvery, rampSteps / 20));
  bool progress = options.progress == FinetuneOptions::Progress::Always ||
                  (options.progress == FinetuneOptions::Progress::Auto &&
                   isatty(STDERR_FILENO));
  double lambda = 1.0;
  bool reached = false;
  int64_t reachedAt = 0;
  std::vector<double> finalTargets;
  for (const GatedResource &r : problem.resources)
    finalTargets.push_back(r.target);
  for (int64_t epoch = 1; epoch <= options.epochs; ++epoch) {
    std::shuffle(order.begin(), order.end(), rng);
    double lossSum = 0;
    int64_t seen = 0;
    for (int64_t bi = 0; bi < batches; ++bi, ++step) {
      double lr = 0.5 * options.learningRate *
                  (1 + std::cos(M_PI * double(step) / double(total)));
      for (auto &group : adam.param_groups())
        static_cast<torch::optim::AdamOptions &>(group.options()).lr(lr);
      // The targets on the cubic ramp.
      double t = std::min(1.0, double(step + 1) / double(rampSteps));
      double ramp = 1.0 - std::pow(1.0 - t, 3.0);
      std::vector<double> targets;
      for (double f : finalTargets)
        targets.push_back(1.0 - (1.0 - f) * ramp);
      llvm::ArrayRef<int64_t> batch = llvm::ArrayRef(order).slice(
          bi * options.batchSize,
          std::min<int64_t>(options.batchSize, n - bi * options.batchSize));
      // Once reached, the gates go to exactly 1 and 0 over half the steps
      // left (the weights follow), then stay.
      double hard = 0;
      if (reached)
        hard = std::min(1.0, double(step - reachedAt) /
                                 std::max(1.0, double(total - reachedAt) / 2));
      current = gates(hard);
      torch::Tensor out = net.forward(net.realInputs(data.samples, batch));
      torch::Tensor task = taskLoss(out, batch);
      torch::Tensor loss = task;
      if (!reached)
        loss = loss + lambda * penalty(current, targets);
      adam.zero_grad();
      gateAdam.zero_grad();
      loss.backward();
      adam.step();
      if (!reached)
        gateAdam.step();
      net.applyMasks();
      lossSum += task.item<double>() * batch.size();
      seen += batch.size();
      if (!reached && ((step + 1) % pruneEvery == 0 || step + 1 == total)) {
        lagging = false;
        bool holds = prune(targets);
        if (holds && t >= 1.0)
          reached = prune(finalTargets);
        if (reached)
          reachedAt = step + 1;
        if (!holds || lagging)
          lambda *= options.penaltyGrowth;
      }
      if (progress) {
        std::vector<double> e = hardEstimates();
        std::string est;
        for (size_t r = 0; r < e.size(); ++r)
          est += llvm::formatv(" {0} {1:F2}", problem.resources[r].name, e[r]);
        llvm::errs() << llvm::formatv("\rgates: epoch {0}/{1} batch {2}/{3} "
                                      "loss {4:F4}{5} lambda {6:F1}   ",
                                      epoch, options.epochs, bi + 1, batches,
                                      lossSum / seen, est, lambda);
      }
    }
    if (progress)
      llvm::errs() << "\n";
  }
  current.clear();
  net.outputHook = nullptr;

  GateResult result;
  result.reached = reached || prune(finalTargets);
  result.estimates = hardEstimates();
  result.penaltyWeight = lambda;
  result.steps = step;
  result.trainSamples = n;
  for (size_t g = 0; g < logits.size(); ++g) {
    torch::Tensor l = logits[g].detach().to(torch::kDouble).contiguous();
    torch::Tensor o = on[g].to(torch::kDouble).contiguous();
    std::vector<double> lv(l.data_ptr<double>(),
                           l.data_ptr<double>() + l.numel());
    std::vector<bool> off;
    for (int64_t c = 0; c < o.numel(); ++c) {
      off.push_back(o.data_ptr<double>()[c] == 0);
      if (off.back())
        lv[c] = offLogits[g][c];
    }
    result.logits.push_back(std::move(lv));
    result.off.push_back(std::move(off));
  }
  // The weights as trained, back into the IR (the switched-off channels'
  // weights too: the caller removes them).
  if (llvm::Error e = writeBack(net.trainedConvs(/*skipFrozen=*/false)))
    return std::move(e);
  result.seconds = elapsed();
  return result;
}

llvm::Expected<GateResult>
training::trainChannelGates(func::FuncOp func, const FinetuneData &data,
                            const GateProblem &problem,
                            const GateOptions &options) {
  if (data.samples.empty())
    return llvm::createStringError("no samples to train the gates on");
  if (data.labels.empty() && data.teacher.size() != data.samples.size())
    return llvm::createStringError(
        "gate training needs labels or teacher outputs for every sample");
  if (!data.labels.empty() && data.labels.size() != data.samples.size())
    return llvm::createStringError(llvm::formatv(
        "{0} labels for {1} samples", data.labels.size(), data.samples.size()));
  if (options.epochs < 1 || options.batchSize < 1 ||
      !(options.learningRate > 0) || !(options.gateLearningRate > 0) ||
      options.pruneEvery < 1 || !(options.temperature > 0))
    return llvm::createStringError(
        "gate training needs epochs >= 1, batch-size >= 1 and positive "
        "learning rates");
  if (problem.groups.empty())
    return llvm::createStringError("no channel group to gate");
  try {
    if (options.threads > 0)
      torch::set_num_threads(options.threads);
    torch::manual_seed(options.seed);
    at::globalContext().setFlushDenormal(true);
    llvm::Expected<std::unique_ptr<Network>> built = Network::build(func);
    if (!built)
      return built.takeError();
    if (data.labels.empty() &&
        int64_t(data.teacher.front().size()) != (*built)->outputSize())
      return llvm::createStringError(
          llvm::formatv("the teacher gives {0} outputs per sample, the "
                        "function {1}",
                        data.teacher.front().size(), (*built)->outputSize()));
    GateTrainer trainer(**built, data, problem, options);
    return trainer.run();
  } catch (const c10::Error &e) {
    return llvm::createStringError(
        llvm::formatv("LibTorch: {0}", e.what_without_backtrace()).str());
  } catch (const std::exception &e) {
    return llvm::createStringError(
        llvm::formatv("LibTorch: {0}", e.what()).str());
  }
}
