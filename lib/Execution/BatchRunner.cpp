//===- BatchRunner.cpp - Run a function over a data set -------------------===//
//
// A pool of workers takes sample indices from a shared counter; the calling
// thread runs sample 0 alone first, then waits for the workers, reporting
// progress, and collects the first failure. Each worker owns its input
// buffer and interpreter State, so the callback sees a sample's input and
// outputs undisturbed until it returns.
//
//===----------------------------------------------------------------------===//

#include "tinyprune/Execution/BatchRunner.h"

#include "llvm/Support/raw_ostream.h"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <limits>
#include <mutex>
#include <string>
#include <thread>

using namespace tinyprune;

char InterpreterFailure::ID = 0;

void InterpreterFailure::log(llvm::raw_ostream &os) const {
  os << "the interpreter failed on sample " << sample;
}

std::error_code InterpreterFailure::convertToErrorCode() const {
  return llvm::inconvertibleErrorCode();
}

namespace {
/// What the threads of one run share.
class Run {
public:
  Run(const PreparedFunction &function, const data::Dataset &set, size_t n,
      SampleCallback onSample)
      : function(function), set(set), n(n), onSample(onSample) {}

  /// Runs sample `i` with a worker's `state` and `input` buffer; false when
  /// it failed (the failure is recorded).
  bool runOne(size_t i, PreparedFunction::State &state,
              std::vector<uint8_t> &input) {
    if (llvm::Error e = set.read(i, input)) {
      fail(i, toString(std::move(e)), /*interpreter=*/false);
      return false;
    }
    llvm::ArrayRef<uint8_t> in(input);
    if (failed(function.run(state, in))) {
      fail(i, "", /*interpreter=*/true);
      return false;
    }
    onSample(i, input, state);
    if (done.fetch_add(1) + 1 == n) {
      std::lock_guard<std::mutex> lock(mutex);
      finished.notify_all();
    }
    return true;
  }

  /// A worker: takes samples until none are left or a run failed.
  void work() {
    std::vector<uint8_t> input(set.spec().byteSize());
    PreparedFunction::State state = function.newState();
    while (!stop) {
      size_t i = next.fetch_add(1);
      if (i >= n || !runOne(i, state, input))
        break;
    }
  }

  /// Waits until every sample is done or a run failed, calling `progress`
  /// (if set) every `interval` meanwhile.
  void wait(const std::function<void(const BatchProgress &)> &progress,
            std::chrono::milliseconds interval,
            std::chrono::steady_clock::time_point start) {
    std::unique_lock<std::mutex> lock(mutex);
    while (!stop && done < n) {
      finished.wait_for(lock, interval);
      size_t d = done;
      if (!progress || stop || d >= n)
        continue;
      std::chrono::duration<double> elapsed =
          std::chrono::steady_clock::now() - start;
      progress({d, n, elapsed.count()});
    }
  }

  /// The recorded failure, if any.
  llvm::Error takeError() {
    std::lock_guard<std::mutex> lock(mutex);
    if (!stop)
      return llvm::Error::success();
    if (failedInInterpreter)
      return llvm::make_error<InterpreterFailure>(failedSample);
    return llvm::createStringError(llvm::inconvertibleErrorCode(), message);
  }

  std::atomic<size_t> next{0};

private:
  /// Records that sample `i` failed; the lowest failing sample wins.
  void fail(size_t i, std::string why, bool interpreter) {
    std::lock_guard<std::mutex> lock(mutex);
    if (i < failedSample) {
      failedSample = i;
      message = std::move(why);
      failedInInterpreter = interpreter;
    }
    stop = true;
    finished.notify_all();
  }

  const PreparedFunction &function;
  const data::Dataset &set;
  const size_t n;
  SampleCallback onSample;

  std::atomic<size_t> done{0};
  std::atomic<bool> stop{false};
  std::mutex mutex;
  std::condition_variable finished;
  size_t failedSample = std::numeric_limits<size_t>::max();
  std::string message;
  bool failedInInterpreter = false;
};
} // namespace

llvm::Expected<BatchStats> tinyprune::runBatch(const PreparedFunction &function,
                                               const data::Dataset &set,
                                               const BatchOptions &options,
                                               SampleCallback onSample) {
  BatchStats stats;
  size_t n = set.size();
  if (options.limit > 0)
    n = std::min(n, options.limit);
  unsigned threads = options.threads;
  if (threads == 0)
    threads = std::max(1u, std::thread::hardware_concurrency());
  stats.samples = n;
  stats.threads = std::max<unsigned>(1, std::min<size_t>(threads, n));
  if (n == 0)
    return stats;

  Run run(function, set, n, onSample);
  auto start = std::chrono::steady_clock::now();
  // Sample 0 alone: an op the interpreter rejects fails here, once.
  {
    std::vector<uint8_t> input(set.spec().byteSize());
    PreparedFunction::State state = function.newState();
    run.next = 1;
    if (!run.runOne(0, state, input))
      return run.takeError();
  }
  std::vector<std::thread> pool;
  if (n > 1)
    for (unsigned t = 0; t < stats.threads; ++t)
      pool.emplace_back([&run] { run.work(); });
  run.wait(options.progress, options.progressInterval, start);
  for (std::thread &t : pool)
    t.join();
  stats.seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
          .count();
  if (llvm::Error e = run.takeError())
    return std::move(e);
  return stats;
}

llvm::Expected<std::vector<SampleOutputs>>
tinyprune::collectOutputs(const PreparedFunction &function,
                          const data::Dataset &set, const BatchOptions &options,
                          BatchStats *stats) {
  size_t n = set.size();
  if (options.limit > 0)
    n = std::min(n, options.limit);
  // Each sample writes its own slot: no locking needed.
  std::vector<SampleOutputs> outputs(n);
  llvm::Expected<BatchStats> ran = runBatch(
      function, set, options,
      [&](size_t i, llvm::ArrayRef<uint8_t>,
          const PreparedFunction::State &state) {
        SampleOutputs &mine = outputs[i];
        mine.resize(state.numOutputs());
        for (unsigned r = 0, e = state.numOutputs(); r < e; ++r)
          mine[r].assign(state.output(r).begin(), state.output(r).end());
      });
  if (!ran)
    return ran.takeError();
  if (stats)
    *stats = *ran;
  return outputs;
}
