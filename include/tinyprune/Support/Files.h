//===- Files.h - Bounded input reads and atomic outputs ---------*- C++ -*-===//
//
// Every tinyprune tool reads its inputs and writes its outputs through these
// two helpers, so that no run can modify or delete a file it was given and
// no input can make a tool read without bound:
//
//  - readInputFile checks the file's size before reading it, refuses special
//    files (/dev/zero, FIFOs, directories) and files above a limit, and
//    copies the bytes into memory instead of mapping them, so that nothing a
//    later writer does to the file can change what was read. Every file it
//    reads is remembered for the rest of the process.
//  - OutputFile writes to a temporary file in the target's directory and
//    renames it into place on commit() only; an output that is an input
//    (however its path is spelled: the same path, another spelling of it, a
//    link to it) is refused before anything is written, and a failed or
//    interrupted run leaves no partial output. The inputs are the ones the
//    caller names plus every file readInputFile has read in this process,
//    so that a pass's `report=` cannot overwrite the model the tool read
//    or the calibration data the pass read.
//
//===----------------------------------------------------------------------===//

#ifndef TINYPRUNE_SUPPORT_FILES_H
#define TINYPRUNE_SUPPORT_FILES_H

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/SmallVector.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/raw_ostream.h"

#include <memory>
#include <string>

namespace tinyprune {

/// The largest input file a tool reads: 1 GiB. A TFLite flatbuffer cannot
/// exceed 2 GiB, and no microcontroller model comes near 1 GiB. A tool's
/// memory while reading stays within the file's size plus a constant.
constexpr uint64_t kMaxInputFileBytes = uint64_t(1) << 30;

/// Reads `path` ("-": standard input) whole. Fails with a one-line message
/// naming the file when it does not exist, is not a regular file, or holds
/// more than `maxBytes` bytes (checked before reading; standard input is
/// read up to one byte past the limit). The file is remembered as an input
/// of the process (see OutputFile).
llvm::Expected<std::unique_ptr<llvm::MemoryBuffer>>
readInputFile(llvm::StringRef path, uint64_t maxBytes = kMaxInputFileBytes);

/// Checks, without reading it, that `path` is a regular file of at most
/// `maxBytes` bytes, and remembers it as an input of the process; for
/// files read through other means (a folder's listing). Returns its size.
llvm::Expected<uint64_t> checkInputFile(llvm::StringRef path,
                                        uint64_t maxBytes = kMaxInputFileBytes);

/// Forgets the files read so far; for fuzzers, which read a new file on
/// every one of millions of runs.
void forgetInputFiles();

/// Whether `a` and `b` name the same existing file (same device and inode:
/// equal paths, other spellings of one path, hard or symbolic links).
bool isSameFile(llvm::StringRef a, llvm::StringRef b);

/// An output written atomically. `create` refuses a `path` that is one of
/// `inputs` or a file this process has read (readInputFile, checkInputFile)
/// and opens a temporary file beside it; `os()` writes to it;
/// `commit()` renames it over `path`. Destroying an uncommitted OutputFile
/// removes the temporary file. Path "-" writes to standard output directly.
class OutputFile {
public:
  static llvm::Expected<std::unique_ptr<OutputFile>>
  create(llvm::StringRef path, llvm::ArrayRef<std::string> inputs = {});
  ~OutputFile();
  OutputFile(const OutputFile &) = delete;
  OutputFile &operator=(const OutputFile &) = delete;

  llvm::raw_ostream &os() { return stream ? *stream : llvm::outs(); }
  llvm::StringRef path() const { return finalPath; }
  /// Flushes and moves the output into place; an error names the path.
  llvm::Error commit();

private:
  OutputFile() = default;
  std::string finalPath, tempPath;
  std::unique_ptr<llvm::raw_fd_ostream> stream;
  bool committed = false;
};

/// Refuses, with an error naming both, an output `path` that is one of
/// `inputs` or a file this process has read (see isSameFile); for tools
/// that write through other means.
llvm::Error checkNotAnInput(llvm::StringRef path,
                            llvm::ArrayRef<std::string> inputs = {});

/// Writes `text` to `path` through an OutputFile (refusing an input,
/// atomically); the error is one line naming the path.
llvm::Error writeOutputFile(llvm::StringRef path, llvm::StringRef text,
                            llvm::ArrayRef<std::string> inputs = {});

} // namespace tinyprune

#endif // TINYPRUNE_SUPPORT_FILES_H
