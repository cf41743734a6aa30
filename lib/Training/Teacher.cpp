//===- Teacher.cpp - Distillation targets from the interpreter ------------===//
//
// `training::teacherOutputs` (Finetune.h): runs the teacher function (any
// function the interpreter runs, raised or not) on the training samples,
// on several threads, and dequantizes its single output into the real
// values the student's outputs are trained to match.
//
//===----------------------------------------------------------------------===//

#include "tinyprune/Dialect/TinyPrune.h"
#include "tinyprune/Execution/Interpreter.h"
#include "tinyprune/Training/Finetune.h"

#include "llvm/Support/FormatVariadic.h"

#include <algorithm>
#include <atomic>
#include <cstring>
#include <thread>

using namespace mlir;
using namespace tinyprune;

llvm::Expected<std::vector<std::vector<float>>>
training::teacherOutputs(func::FuncOp teacher,
                         llvm::ArrayRef<std::vector<uint8_t>> samples,
                         unsigned threads) {
  if (teacher.getNumResults() != 1)
    return llvm::createStringError("the teacher must have one output");
  auto outType = dyn_cast<RankedTensorType>(teacher.getResultTypes()[0]);
  if (!outType || !outType.hasStaticShape())
    return llvm::createStringError("the teacher's output has no static shape");
  bool isFloat = outType.getElementType().isF32();
  float scale = 1;
  int64_t zp = 0;
  if (!isFloat) {
    auto q = teacher.getResultAttrOfType<QuantAttr>(0, "tinyprune.quant");
    if (!outType.getElementType().isInteger(8) || !q)
      return llvm::createStringError(
          "the teacher's output is neither float32 nor quantized int8");
    scale = q.getScaleAt(0);
    zp = q.getZeroPointAt(0);
  }
  FailureOr<std::unique_ptr<PreparedFunction>> prepared =
      PreparedFunction::create(teacher);
  if (failed(prepared))
    return llvm::createStringError("the teacher cannot be run (see above)");
  int64_t count = outType.getNumElements();
  std::vector<std::vector<float>> out(samples.size(),
                                      std::vector<float>(count));
  if (threads == 0)
    threads = std::max(1u, std::thread::hardware_concurrency());
  threads = std::min<unsigned>(threads, std::max<size_t>(1, samples.size()));
  std::atomic<size_t> next{0};
  std::atomic<int64_t> failedAt{-1};
  auto work = [&] {
    PreparedFunction::State state = (*prepared)->newState();
    for (size_t i = next++; i < samples.size() && failedAt < 0; i = next++) {
      llvm::ArrayRef<uint8_t> in = samples[i];
      if (failed((*prepared)->run(state, {in}))) {
        failedAt = int64_t(i);
        return;
      }
      llvm::ArrayRef<uint8_t> raw = state.output(0);
      for (int64_t k = 0; k < count; ++k) {
        if (isFloat) {
          std::memcpy(&out[i][k], raw.data() + 4 * k, 4);
        } else {
          out[i][k] = float(int64_t(int8_t(raw[k])) - zp) * scale;
        }
      }
    }
  };
  // The first sample alone, so that a failing op is reported once.
  {
    PreparedFunction::State state = (*prepared)->newState();
    llvm::ArrayRef<uint8_t> in = samples.front();
    if (failed((*prepared)->run(state, {in})))
      return llvm::createStringError("the teacher fails on sample 0");
  }
  std::vector<std::thread> pool;
  for (unsigned t = 1; t < threads; ++t)
    pool.emplace_back(work);
  work();
  for (std::thread &t : pool)
    t.join();
  if (failedAt >= 0)
    return llvm::createStringError(
        llvm::formatv("the teacher fails on sample {0}", int64_t(failedAt)));
  return out;
}
