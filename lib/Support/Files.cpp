//===- Files.cpp - Bounded input reads and atomic outputs -----------------===//
//
// See include/tinyprune/Support/Files.h. Inputs are read through an open
// descriptor whose status is checked first (so a file swapped between the
// check and the read cannot bypass it), and copied rather than mapped.
// Outputs go to a hidden temporary file beside the target, removed on
// failure or on a signal, and renamed over the target on commit. The files
// read are remembered by device and inode, which no later spelling of
// their path can hide.
//
//===----------------------------------------------------------------------===//

#include "tinyprune/Support/Files.h"

#include "llvm/ADT/ScopeExit.h"
#include "llvm/ADT/SmallString.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Signals.h"

#include <mutex>
#include <optional>
#include <utility>
#include <vector>

using namespace llvm;
using namespace tinyprune;

static Error fail(const Twine &message) {
  return createStringError(inconvertibleErrorCode(), message);
}

static std::string sizeString(uint64_t bytes) {
  if (bytes >= (uint64_t(1) << 30) && bytes % (uint64_t(1) << 30) == 0)
    return std::to_string(bytes >> 30) + " GiB";
  if (bytes >= (uint64_t(1) << 20) && bytes % (uint64_t(1) << 20) == 0)
    return std::to_string(bytes >> 20) + " MiB";
  return std::to_string(bytes) + " bytes";
}

namespace {
/// The files this process has read, with the path they were read by.
struct InputRegistry {
  std::mutex mutex;
  std::vector<std::pair<sys::fs::UniqueID, std::string>> files;
};
} // namespace

static InputRegistry &inputRegistry() {
  static InputRegistry registry;
  return registry;
}

static void rememberInput(const sys::fs::file_status &status, StringRef path) {
  InputRegistry &r = inputRegistry();
  std::lock_guard<std::mutex> lock(r.mutex);
  sys::fs::UniqueID id = status.getUniqueID();
  for (const auto &file : r.files)
    if (file.first == id)
      return;
  r.files.emplace_back(id, path.str());
}

void tinyprune::forgetInputFiles() {
  InputRegistry &r = inputRegistry();
  std::lock_guard<std::mutex> lock(r.mutex);
  r.files.clear();
}

/// The path by which this process read the file `id`, if it did.
static std::optional<std::string> readAs(sys::fs::UniqueID id) {
  InputRegistry &r = inputRegistry();
  std::lock_guard<std::mutex> lock(r.mutex);
  for (const auto &file : r.files)
    if (file.first == id)
      return file.second;
  return std::nullopt;
}

/// Checks the status of an input: a regular file of at most `maxBytes`.
static Error checkStatus(const sys::fs::file_status &status, StringRef path,
                         uint64_t maxBytes);

/// Reads standard input up to one byte past `maxBytes`.
static Expected<std::unique_ptr<MemoryBuffer>> readStdin(uint64_t maxBytes) {
  SmallString<0> data;
  sys::fs::file_t in = sys::fs::getStdinHandle();
  char chunk[1 << 16];
  while (true) {
    Expected<size_t> n = sys::fs::readNativeFile(in, MutableArrayRef(chunk));
    if (!n)
      return fail("cannot read standard input: " + toString(n.takeError()));
    if (*n == 0)
      break;
    data.append(chunk, chunk + *n);
    if (data.size() > maxBytes)
      return fail("standard input holds more than the " + sizeString(maxBytes) +
                  " an input may have");
  }
  return MemoryBuffer::getMemBufferCopy(data, "<stdin>");
}

Expected<std::unique_ptr<MemoryBuffer>>
tinyprune::readInputFile(StringRef path, uint64_t maxBytes) {
  if (path == "-")
    return readStdin(maxBytes);
  Expected<sys::fs::file_t> fd = sys::fs::openNativeFileForRead(path);
  if (!fd)
    return fail("cannot read '" + path + "': " + toString(fd.takeError()));
  scope_exit close([&] { sys::fs::closeFile(*fd); });
  sys::fs::file_status status;
  if (std::error_code ec = sys::fs::status(*fd, status))
    return fail("cannot read '" + path + "': " + ec.message());
  if (Error e = checkStatus(status, path, maxBytes))
    return std::move(e);
  uint64_t size = status.getSize();
  rememberInput(status, path);
  ErrorOr<std::unique_ptr<MemoryBuffer>> buf = MemoryBuffer::getOpenFileSlice(
      *fd, path, size, /*Offset=*/0, /*IsVolatile=*/true);
  if (!buf)
    return fail("cannot read '" + path + "': " + buf.getError().message());
  return std::move(*buf);
}

static Error checkStatus(const sys::fs::file_status &status, StringRef path,
                         uint64_t maxBytes) {
  if (status.type() != sys::fs::file_type::regular_file)
    return fail("'" + path + "' is not a regular file");
  uint64_t size = status.getSize();
  if (size > maxBytes)
    return fail("'" + path + "' holds " + std::to_string(size) +
                " bytes, more than the " + sizeString(maxBytes) +
                " an input may have");
  return Error::success();
}

Expected<uint64_t> tinyprune::checkInputFile(StringRef path,
                                             uint64_t maxBytes) {
  sys::fs::file_status status;
  if (std::error_code ec = sys::fs::status(path, status))
    return fail("cannot read '" + path + "': " + ec.message());
  if (Error e = checkStatus(status, path, maxBytes))
    return std::move(e);
  rememberInput(status, path);
  return status.getSize();
}

bool tinyprune::isSameFile(StringRef a, StringRef b) {
  bool same = false;
  return !sys::fs::equivalent(a, b, same) && same;
}

Error tinyprune::checkNotAnInput(StringRef path, ArrayRef<std::string> inputs) {
  if (path == "-")
    return Error::success();
  for (const std::string &in : inputs)
    if (in != "-" && isSameFile(path, in))
      return fail("output '" + path + "' is the input '" + in +
                  "'; write the output elsewhere");
  // A file read earlier in this process (status follows links).
  sys::fs::file_status status;
  if (!sys::fs::status(path, status))
    if (std::optional<std::string> in = readAs(status.getUniqueID()))
      return fail("output '" + path + "' is the input '" + *in +
                  "'; write the output elsewhere");
  return Error::success();
}

Error tinyprune::writeOutputFile(StringRef path, StringRef text,
                                 ArrayRef<std::string> inputs) {
  Expected<std::unique_ptr<OutputFile>> out = OutputFile::create(path, inputs);
  if (!out)
    return out.takeError();
  (*out)->os() << text;
  return (*out)->commit();
}

Expected<std::unique_ptr<OutputFile>>
OutputFile::create(StringRef path, ArrayRef<std::string> inputs) {
  std::unique_ptr<OutputFile> out(new OutputFile());
  out->finalPath = path.str();
  if (path == "-")
    return std::move(out);
  if (Error e = checkNotAnInput(path, inputs))
    return std::move(e);
  if (sys::fs::is_directory(path))
    return fail("output '" + path + "' is a directory");
  SmallString<256> model(sys::path::parent_path(path));
  if (model.empty())
    model = ".";
  sys::path::append(model, "." + sys::path::filename(path) + ".tmp-%%%%%%");
  int fd = -1;
  SmallString<256> temp;
  if (std::error_code ec = sys::fs::createUniqueFile(model, fd, temp))
    return fail("cannot write '" + path + "': " + ec.message());
  out->tempPath = std::string(temp);
  sys::RemoveFileOnSignal(out->tempPath);
  out->stream = std::make_unique<raw_fd_ostream>(fd, /*shouldClose=*/true);
  return std::move(out);
}

Error OutputFile::commit() {
  committed = true;
  if (!stream) {
    llvm::outs().flush();
    return Error::success();
  }
  stream->close();
  if (stream->has_error()) {
    std::error_code ec = stream->error();
    stream->clear_error();
    sys::fs::remove(tempPath);
    sys::DontRemoveFileOnSignal(tempPath);
    return fail("cannot write '" + finalPath + "': " + ec.message());
  }
  std::error_code ec = sys::fs::rename(tempPath, finalPath);
  sys::DontRemoveFileOnSignal(tempPath);
  if (ec) {
    sys::fs::remove(tempPath);
    return fail("cannot write '" + finalPath + "': " + ec.message());
  }
  return Error::success();
}

OutputFile::~OutputFile() {
  if (committed || tempPath.empty())
    return;
  if (stream) {
    stream->close();
    stream->clear_error();
  }
  sys::fs::remove(tempPath);
  sys::DontRemoveFileOnSignal(tempPath);
}
