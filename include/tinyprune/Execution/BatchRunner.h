//===- BatchRunner.h - Run a function over a data set -----------*- C++ -*-===//
//
// Runs a prepared function over the samples of a data set on several
// threads, handing each sample's outputs to a callback or collecting them
// in sample order. `tinyprune eval` scores models this way; passes and
// training that need a model's outputs on many samples can do the same.
//
// Threads share the function read-only: PreparedFunction decodes the
// constants once, and each worker runs it with its own State, reading the
// IR and the prepared constants only; nothing is created in the
// MLIRContext while the workers run.
//
//===----------------------------------------------------------------------===//

#ifndef TINYPRUNE_EXECUTION_BATCHRUNNER_H
#define TINYPRUNE_EXECUTION_BATCHRUNNER_H

#include "tinyprune/Data/Dataset.h"
#include "tinyprune/Execution/Interpreter.h"

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/STLFunctionalExtras.h"
#include "llvm/Support/Error.h"

#include <chrono>
#include <cstdint>
#include <functional>
#include <vector>

namespace tinyprune {

/// How far a batch run has come.
struct BatchProgress {
  /// Samples finished so far, of `total`.
  size_t done = 0;
  size_t total = 0;
  /// Seconds since the run started.
  double seconds = 0.0;
};

struct BatchOptions {
  /// Run samples [0, limit) only; 0: every sample of the data set.
  size_t limit = 0;
  /// Worker threads; 0: one per hardware thread. Never more than samples.
  unsigned threads = 0;
  /// If set, called on the calling thread about every `progressInterval`
  /// while the workers run (not once the last sample is done, nor after a
  /// failure).
  std::function<void(const BatchProgress &)> progress;
  std::chrono::milliseconds progressInterval{250};
};

/// What a finished run took.
struct BatchStats {
  /// Samples run.
  size_t samples = 0;
  /// Threads used: the asked (or hardware) count, capped by the samples.
  unsigned threads = 0;
  /// Wall-clock seconds, first sample to last.
  double seconds = 0.0;

  double inferencesPerSecond() const {
    return seconds > 0 ? samples / seconds : 0.0;
  }
};

/// The interpreter failed on a sample. It has already emitted an MLIR
/// diagnostic on the failing op, which says why; this error only says which
/// sample.
class InterpreterFailure : public llvm::ErrorInfo<InterpreterFailure> {
public:
  static char ID;
  explicit InterpreterFailure(size_t sample) : sample(sample) {}
  void log(llvm::raw_ostream &os) const override;
  std::error_code convertToErrorCode() const override;
  /// The index of the sample that failed.
  size_t sample;
};

/// Called once for each sample with its index, its raw input and the state
/// that holds its outputs (`state.output(i)`: result i). Calls come from
/// several threads at once, for different samples, in no set order.
using SampleCallback =
    llvm::function_ref<void(size_t index, llvm::ArrayRef<uint8_t> input,
                            const PreparedFunction::State &state)>;

/// Runs `function`, whose single argument takes the inputs of `set`, on the
/// samples `options` selects, calling `onSample` for each. Sample 0 runs
/// alone first, so that an op the interpreter rejects is reported once,
/// not once per thread; the rest go to the workers. Stops at the first
/// failure: a sample that cannot be read (its llvm::Error, "<file>: ...")
/// or an InterpreterFailure. When several samples fail at once, the error
/// of the lowest one is returned.
llvm::Expected<BatchStats> runBatch(const PreparedFunction &function,
                                    const data::Dataset &set,
                                    const BatchOptions &options,
                                    SampleCallback onSample);

/// The raw outputs of one sample, one buffer per function result.
using SampleOutputs = std::vector<std::vector<uint8_t>>;

/// runBatch, keeping every sample's outputs, in sample order. `stats`, if
/// given, receives the run's figures.
llvm::Expected<std::vector<SampleOutputs>>
collectOutputs(const PreparedFunction &function, const data::Dataset &set,
               const BatchOptions &options, BatchStats *stats = nullptr);

} // namespace tinyprune

#endif // TINYPRUNE_EXECUTION_BATCHRUNNER_H
