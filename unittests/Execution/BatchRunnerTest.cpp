//===- BatchRunnerTest.cpp - running a function over a data set -----------===//
//
// A float function with two results, y = 2x + c and 2x, run over a data set
// whose sample i is known: outputs land at their sample's index whatever
// the thread count, every sample is seen once, --limit-style limits hold,
// read failures name the lowest failing sample, interpreter failures come
// back as InterpreterFailure after their diagnostic, and progress reports
// count up.
//
//===----------------------------------------------------------------------===//

#include "tinyprune/Execution/BatchRunner.h"

#include "tinyprune/Dialect/TinyPrune.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Tosa/IR/TosaOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"
#include "llvm/Support/FormatVariadic.h"

#include <gtest/gtest.h>

#include <atomic>
#include <cstring>
#include <limits>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

using namespace mlir;
using namespace tinyprune;

namespace {

constexpr int64_t kElements = 4;
const float kBias[kElements] = {1.0f, -2.0f, 0.5f, 3.0f};

const char *kModule = R"mlir(
func.func @main(%x: tensor<1x4xf32>) -> (tensor<1x4xf32>, tensor<1x4xf32>) {
  %c = "tosa.const"() <{values = dense<[[1.0, -2.0, 0.5, 3.0]]> : tensor<1x4xf32>}> : () -> tensor<1x4xf32>
  %0 = tosa.add %x, %x : (tensor<1x4xf32>, tensor<1x4xf32>) -> tensor<1x4xf32>
  %1 = tosa.add %0, %c : (tensor<1x4xf32>, tensor<1x4xf32>) -> tensor<1x4xf32>
  return %1, %0 : tensor<1x4xf32>, tensor<1x4xf32>
}
)mlir";

/// Element `e` of sample `i`: exact in float, different for every sample.
float sampleValue(size_t i, int64_t e) { return 0.25f * i + e; }

/// `size` float samples of `elements` elements; reading sample `failFrom`
/// or later (and sample `failAlso`) fails.
class SyntheticDataset : public data::Dataset {
public:
  SyntheticDataset(size_t size, int64_t elements = kElements,
                   size_t failFrom = std::numeric_limits<size_t>::max(),
                   size_t failAlso = std::numeric_limits<size_t>::max())
      : Dataset(specOf(elements)), failFrom(failFrom), failAlso(failAlso) {
    numSamples = size;
    dataFile = "synthetic";
  }

  llvm::Error read(size_t i,
                   llvm::MutableArrayRef<uint8_t> out) const override {
    if (i >= failFrom || i == failAlso)
      return llvm::createStringError(
          llvm::inconvertibleErrorCode(),
          llvm::formatv("synthetic: sample {0} is broken", i));
    for (int64_t e = 0; e < inputSpec.numElements(); ++e) {
      float v = sampleValue(i, e);
      std::memcpy(out.data() + 4 * e, &v, 4);
    }
    return llvm::Error::success();
  }

  std::string describe() const override { return "synthetic"; }

private:
  static data::InputSpec specOf(int64_t elements) {
    data::InputSpec spec;
    spec.shape = {1, elements};
    spec.isFloat = true;
    spec.typeName = llvm::formatv("tensor<1x{0}xf32>", elements).str();
    return spec;
  }

  size_t failFrom, failAlso;
};

/// Element `e` of float buffer `raw`.
float floatAt(llvm::ArrayRef<uint8_t> raw, int64_t e) {
  float v;
  std::memcpy(&v, raw.data() + 4 * e, 4);
  return v;
}

class BatchRunnerTest : public ::testing::Test {
protected:
  void SetUp() override {
    context
        .loadDialect<func::FuncDialect, tosa::TosaDialect, TinyPruneDialect>();
    module = parseSourceString<ModuleOp>(kModule, &context);
    ASSERT_TRUE(module);
    auto func = module->lookupSymbol<func::FuncOp>("main");
    ASSERT_TRUE(func);
    FailureOr<std::unique_ptr<PreparedFunction>> p =
        PreparedFunction::create(func);
    ASSERT_TRUE(succeeded(p));
    prepared = std::move(*p);
  }

  /// The outputs of a run on `threads` threads; fails the test on error.
  std::vector<SampleOutputs> outputsWith(const data::Dataset &set,
                                         unsigned threads,
                                         BatchStats *stats = nullptr) {
    BatchOptions options;
    options.threads = threads;
    auto outputs = collectOutputs(*prepared, set, options, stats);
    if (!outputs) {
      ADD_FAILURE() << llvm::toString(outputs.takeError());
      return {};
    }
    return std::move(*outputs);
  }

  MLIRContext context;
  OwningOpRef<ModuleOp> module;
  std::unique_ptr<PreparedFunction> prepared;
};

TEST_F(BatchRunnerTest, OutputsInSampleOrder) {
  SyntheticDataset set(37);
  BatchStats stats;
  std::vector<SampleOutputs> outputs = outputsWith(set, 4, &stats);
  ASSERT_EQ(outputs.size(), 37u);
  EXPECT_EQ(stats.samples, 37u);
  EXPECT_EQ(stats.threads, 4u);
  for (size_t i = 0; i < outputs.size(); ++i) {
    ASSERT_EQ(outputs[i].size(), 2u);
    ASSERT_EQ(outputs[i][0].size(), 4u * kElements);
    for (int64_t e = 0; e < kElements; ++e) {
      float x = sampleValue(i, e);
      EXPECT_EQ(floatAt(outputs[i][0], e), 2 * x + kBias[e])
          << "sample " << i << " element " << e;
      EXPECT_EQ(floatAt(outputs[i][1], e), 2 * x);
    }
  }
}

TEST_F(BatchRunnerTest, ThreadCountDoesNotChangeResults) {
  SyntheticDataset set(23);
  std::vector<SampleOutputs> one = outputsWith(set, 1);
  ASSERT_EQ(one.size(), 23u);
  for (unsigned threads : {2u, 3u, 8u, 64u}) {
    BatchStats stats;
    EXPECT_EQ(outputsWith(set, threads, &stats), one) << threads << " threads";
    // Never more threads than samples.
    EXPECT_EQ(stats.threads, std::min(threads, 23u));
  }
  BatchStats stats;
  EXPECT_EQ(outputsWith(set, 0, &stats), one) << "hardware threads";
  EXPECT_GE(stats.threads, 1u);
}

TEST_F(BatchRunnerTest, EverySampleOnceWithItsInput) {
  SyntheticDataset set(50);
  std::vector<std::atomic<int>> calls(50);
  std::atomic<int> wrongInput{0};
  BatchOptions options;
  options.threads = 5;
  auto stats =
      runBatch(*prepared, set, options,
               [&](size_t i, llvm::ArrayRef<uint8_t> input,
                   const PreparedFunction::State &state) {
                 ++calls[i];
                 for (int64_t e = 0; e < kElements; ++e)
                   if (floatAt(input, e) != sampleValue(i, e) ||
                       floatAt(state.output(1), e) != 2 * sampleValue(i, e))
                     ++wrongInput;
               });
  ASSERT_TRUE(bool(stats)) << llvm::toString(stats.takeError());
  for (size_t i = 0; i < calls.size(); ++i)
    EXPECT_EQ(calls[i].load(), 1) << "sample " << i;
  EXPECT_EQ(wrongInput.load(), 0);
  EXPECT_GE(stats->seconds, 0.0);
}

TEST_F(BatchRunnerTest, LimitRunsTheFirstSamples) {
  SyntheticDataset set(10);
  BatchOptions options;
  options.limit = 3;
  options.threads = 8;
  BatchStats stats;
  auto outputs = collectOutputs(*prepared, set, options, &stats);
  ASSERT_TRUE(bool(outputs)) << llvm::toString(outputs.takeError());
  ASSERT_EQ(outputs->size(), 3u);
  EXPECT_EQ(stats.samples, 3u);
  EXPECT_EQ(stats.threads, 3u);
  EXPECT_EQ(floatAt((*outputs)[2][1], 1), 2 * sampleValue(2, 1));
  // A limit above the size runs everything.
  options.limit = 99;
  outputs = collectOutputs(*prepared, set, options);
  ASSERT_TRUE(bool(outputs)) << llvm::toString(outputs.takeError());
  EXPECT_EQ(outputs->size(), 10u);
}

TEST_F(BatchRunnerTest, EmptyDataSet) {
  SyntheticDataset set(0);
  int calls = 0;
  auto stats = runBatch(*prepared, set, BatchOptions(),
                        [&](size_t, llvm::ArrayRef<uint8_t>,
                            const PreparedFunction::State &) { ++calls; });
  ASSERT_TRUE(bool(stats)) << llvm::toString(stats.takeError());
  EXPECT_EQ(stats->samples, 0u);
  EXPECT_EQ(stats->threads, 1u);
  EXPECT_EQ(stats->inferencesPerSecond(), 0.0);
  EXPECT_EQ(calls, 0);
}

TEST_F(BatchRunnerTest, ReadFailureNamesTheLowestFailingSample) {
  // Samples 7 and 12.. fail; workers take indices in order, so 7 is always
  // tried, whatever else fails at the same time.
  SyntheticDataset set(40, kElements, /*failFrom=*/12, /*failAlso=*/7);
  for (unsigned threads : {1u, 4u}) {
    BatchOptions options;
    options.threads = threads;
    auto outputs = collectOutputs(*prepared, set, options);
    ASSERT_FALSE(bool(outputs));
    EXPECT_EQ(llvm::toString(outputs.takeError()),
              "synthetic: sample 7 is broken");
  }
}

TEST_F(BatchRunnerTest, FirstSampleFailsAlone) {
  SyntheticDataset set(20, kElements, /*failFrom=*/0);
  std::atomic<int> calls{0};
  BatchOptions options;
  options.threads = 4;
  auto stats = runBatch(*prepared, set, options,
                        [&](size_t, llvm::ArrayRef<uint8_t>,
                            const PreparedFunction::State &) { ++calls; });
  ASSERT_FALSE(bool(stats));
  EXPECT_EQ(llvm::toString(stats.takeError()), "synthetic: sample 0 is broken");
  EXPECT_EQ(calls.load(), 0);
}

TEST_F(BatchRunnerTest, InterpreterFailureAfterItsDiagnostic) {
  // Samples of 3 floats for a function that takes 4: the interpreter
  // rejects the first, once.
  SyntheticDataset set(9, /*elements=*/3);
  std::vector<std::string> diagnostics;
  std::mutex mutex;
  ScopedDiagnosticHandler handler(&context, [&](Diagnostic &d) {
    std::lock_guard<std::mutex> lock(mutex);
    diagnostics.push_back(d.str());
    return success();
  });
  BatchOptions options;
  options.threads = 3;
  auto outputs = collectOutputs(*prepared, set, options);
  ASSERT_FALSE(bool(outputs));
  size_t failedSample = std::numeric_limits<size_t>::max();
  llvm::handleAllErrors(outputs.takeError(), [&](const InterpreterFailure &f) {
    failedSample = f.sample;
    EXPECT_EQ(f.message(), "the interpreter failed on sample 0");
  });
  EXPECT_EQ(failedSample, 0u);
  ASSERT_EQ(diagnostics.size(), 1u);
  EXPECT_NE(diagnostics[0].find("input 0 holds 12 bytes"), std::string::npos)
      << diagnostics[0];
}

TEST_F(BatchRunnerTest, ProgressCountsUp) {
  SyntheticDataset set(40);
  std::vector<BatchProgress> reports;
  BatchOptions options;
  options.threads = 2;
  options.progressInterval = std::chrono::milliseconds(1);
  // Called on this thread only: no lock needed.
  options.progress = [&](const BatchProgress &p) { reports.push_back(p); };
  auto stats = runBatch(
      *prepared, set, options,
      [&](size_t, llvm::ArrayRef<uint8_t>, const PreparedFunction::State &) {
        std::this_thread::sleep_for(std::chrono::milliseconds(3));
      });
  ASSERT_TRUE(bool(stats)) << llvm::toString(stats.takeError());
  ASSERT_FALSE(reports.empty());
  for (size_t r = 0; r < reports.size(); ++r) {
    EXPECT_EQ(reports[r].total, 40u);
    EXPECT_LT(reports[r].done, 40u);
    if (r > 0) {
      EXPECT_GE(reports[r].done, reports[r - 1].done);
      EXPECT_GE(reports[r].seconds, reports[r - 1].seconds);
    }
  }
}

} // namespace
