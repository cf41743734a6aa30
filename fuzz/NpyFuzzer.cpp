//===- NpyFuzzer.cpp - libFuzzer entry point for the .npy reader ----------===//
//
// Feeds arbitrary bytes to the .npy reader (lib/Data/Npy.cpp) and, when
// they parse, reads every sample of them as a data set (lib/Data/Dataset.cpp)
// for a model input of the array's own sample shape: int8 with
// quantization, or float32, NHWC or NCHW, as the first data byte says. Every
// input must end in a data set or one error: any crash, sanitizer report,
// hang or runaway allocation is a bug.
//
//===----------------------------------------------------------------------===//

#include "tinyprune/Data/Dataset.h"
#include "tinyprune/Support/Files.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Process.h"
#include "llvm/Support/raw_ostream.h"

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

using namespace tinyprune::data;

/// The file the data set is read from: one per process, rewritten in place.
static const std::string &scratchFile() {
  static const std::string path =
      "/tmp/tinyprune-npy-fuzz-" +
      std::to_string(llvm::sys::Process::getProcessId()) + ".npy";
  return path;
}

/// Samples read per input at most (the reader is the target, not the
/// arithmetic).
static constexpr int64_t kMaxElementsRead = 1 << 16;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  tinyprune::forgetInputFiles(); // the registry would grow without end
  llvm::StringRef bytes(reinterpret_cast<const char *>(data), size);
  llvm::Expected<NpyArray> array =
      parseNpy(llvm::MemoryBuffer::getMemBufferCopy(bytes, "fuzz.npy"));
  if (!array) {
    llvm::consumeError(array.takeError());
    return 0;
  }
  // Every element through the accessors.
  int64_t n = std::min<int64_t>(array->numElements(), kMaxElementsRead);
  double sum = 0;
  for (int64_t k = 0; k < n; ++k)
    sum += array->floatAt(k);
  (void)sum;
  if (array->shape.empty() || array->shape[0] == 0)
    return 0;

  // The same bytes as a data set for a model whose input is one sample.
  uint8_t mode = array->data().empty() ? 0 : array->data()[0];
  InputSpec spec;
  spec.shape.push_back(1);
  for (int64_t d : llvm::ArrayRef<int64_t>(array->shape).drop_front())
    spec.shape.push_back(d);
  if (spec.numElements() > kMaxElementsRead || spec.numElements() == 0)
    return 0;
  spec.isFloat = mode & 1;
  spec.hasQuant = !spec.isFloat && (mode & 2);
  spec.scale = 0.25f;
  spec.zeroPoint = -3;
  spec.typeName = "fuzz";
  DatasetOptions options;
  options.dataPath = scratchFile();
  options.dataScale = (mode & 4) ? 1.0 / 255 : 1.0;
  if (spec.shape.size() == 4 && (mode & 8)) {
    // NCHW data for an NHWC model: the model input is the permuted shape.
    options.layout = Layout::NCHW;
    std::swap(spec.shape[1], spec.shape[3]); // [1,C,H,W] -> [1,W,H,C]
    std::swap(spec.shape[1], spec.shape[2]); // -> [1,H,W,C]
  }
  {
    std::error_code ec;
    llvm::raw_fd_ostream os(options.dataPath, ec);
    if (ec)
      return 0;
    os << bytes;
  }
  auto set = openDataset(options, spec);
  if (!set) {
    llvm::consumeError(set.takeError());
    return 0;
  }
  std::vector<uint8_t> sample((*set)->spec().byteSize());
  size_t samples = std::min<size_t>(
      (*set)->size(),
      std::max<int64_t>(1, kMaxElementsRead / spec.numElements()));
  for (size_t i = 0; i < samples; ++i)
    if (llvm::Error e = (*set)->read(i, sample))
      llvm::consumeError(std::move(e));
  return 0;
}
