//===- BinFolderFuzzer.cpp - libFuzzer entry point for .bin folders -------===//
//
// Feeds arbitrary bytes to the reader of MLPerf Tiny style folders
// (lib/Data/Dataset.cpp): a label CSV and raw .bin input tensors. The input
// is split as
//
//   MODE  CSV-TEXT  '\0'  { LENGTH  BYTES[LENGTH] }*
//
// MODE's low bit picks the model input (4 int8 elements with quantization,
// or 4 float32); the CSV text becomes y_labels.csv (none when empty: the
// folder's .bin files are listed unlabelled); each LENGTH-prefixed chunk
// becomes sample_<k>.bin. The folder is opened, every sample read and the
// labels range-checked. Every input must end in a data set or one error:
// any crash, sanitizer report, hang or runaway allocation is a bug.
//
//===----------------------------------------------------------------------===//

#include "tinyprune/Data/Dataset.h"
#include "tinyprune/Support/Files.h"

#include "llvm/ADT/SmallString.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Process.h"
#include "llvm/Support/raw_ostream.h"

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

using namespace tinyprune::data;

/// The folder the samples are written to: one per process, in $TMPDIR
/// (scripts/fuzz.sh points it at /dev/shm: files in memory run faster).
static const std::string &scratchDir() {
  static const std::string path = [] {
    llvm::SmallString<128> p;
    llvm::sys::path::system_temp_directory(/*ErasedOnReboot=*/true, p);
    llvm::sys::path::append(
        p, "tinyprune-bin-fuzz-" +
               std::to_string(llvm::sys::Process::getProcessId()));
    return std::string(p);
  }();
  return path;
}

static std::string inDir(llvm::StringRef name) {
  llvm::SmallString<128> p(scratchDir());
  llvm::sys::path::append(p, name);
  return std::string(p);
}

static void writeFile(const std::string &path, llvm::StringRef bytes) {
  std::error_code ec;
  llvm::raw_fd_ostream os(path, ec);
  if (!ec)
    os << bytes;
}

/// Empties the folder (it holds only files this fuzzer wrote).
static void clearDir() {
  std::error_code ec;
  std::vector<std::string> files;
  for (llvm::sys::fs::directory_iterator it(scratchDir(), ec), end;
       it != end && !ec; it.increment(ec))
    files.push_back(it->path());
  for (const std::string &f : files)
    llvm::sys::fs::remove(f);
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  tinyprune::forgetInputFiles(); // the registry would grow without end
  if (size == 0)
    return 0;
  static bool made = !llvm::sys::fs::create_directories(scratchDir());
  if (!made)
    return 0;
  clearDir();
  llvm::StringRef bytes(reinterpret_cast<const char *>(data), size);
  uint8_t mode = data[0];
  bytes = bytes.drop_front();
  auto [csv, rest] = bytes.split('\0');
  if (!csv.empty())
    writeFile(inDir("y_labels.csv"), csv);
  for (unsigned k = 0; !rest.empty() && k < 64; ++k) {
    size_t length = static_cast<uint8_t>(rest[0]);
    rest = rest.drop_front();
    writeFile(inDir("sample_" + std::to_string(k) + ".bin"),
              rest.take_front(length));
    rest = rest.drop_front(std::min(length, rest.size()));
  }

  InputSpec spec;
  spec.shape = {1, 2, 2, 1};
  spec.isFloat = mode & 1;
  spec.hasQuant = !spec.isFloat;
  spec.scale = 0.5f;
  spec.zeroPoint = 1;
  spec.typeName = spec.isFloat ? "tensor<1x2x2x1xf32>" : "tensor<1x2x2x1xi8>";
  DatasetOptions options;
  options.dataPath = scratchDir();
  auto set = openDataset(options, spec);
  if (!set) {
    llvm::consumeError(set.takeError());
    return 0;
  }
  std::vector<uint8_t> sample(spec.byteSize());
  for (size_t i = 0; i < (*set)->size(); ++i)
    if (llvm::Error e = (*set)->read(i, sample))
      llvm::consumeError(std::move(e));
  if ((*set)->hasLabels())
    llvm::consumeError((*set)->checkLabelRange(4, "fuzz"));
  (void)(*set)->describe();
  return 0;
}
