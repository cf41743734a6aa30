//===- CodeSize.cpp - The code a generated model puts in flash ------------===//
//
// The `.text` of a generated model (NAME.cpp with the runtime kernels it
// instantiates), compiled for the report's core with the Arm GNU toolchain
// as test/mcu builds firmware (-Os, the core's -mcpu/FPU flags, sections per
// function), and read back with arm-none-eabi-size. Without the toolchain
// there is no figure, and the report says so.
//
//===----------------------------------------------------------------------===//

#include "tinyprune/Prune/Report.h"

#include "tinyprune/Analysis/CostModel.h"

#include "llvm/ADT/SmallString.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FileUtilities.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Program.h"

using namespace tinyprune;

/// The compiler flags of `core`, as test/mcu/Inputs/run_firmware.py has them.
static std::vector<std::string> coreFlags(McuCore core) {
  switch (core) {
  case McuCore::CortexM0Plus:
    return {"-mcpu=cortex-m0plus", "-mthumb", "-mfloat-abi=soft"};
  case McuCore::CortexM4:
    return {"-mcpu=cortex-m4", "-mthumb", "-mfloat-abi=hard",
            "-mfpu=fpv4-sp-d16"};
  case McuCore::CortexM7:
    return {"-mcpu=cortex-m7", "-mthumb", "-mfloat-abi=hard", "-mfpu=fpv5-d16"};
  }
  return {};
}

std::optional<int64_t> tinyprune::measureCodeBytes(llvm::StringRef dir,
                                                   llvm::StringRef name,
                                                   McuCore core,
                                                   std::string &note) {
  auto gxx = llvm::sys::findProgramByName("arm-none-eabi-g++");
  auto size = llvm::sys::findProgramByName("arm-none-eabi-size");
  if (!gxx || !size) {
    note = "not measured (no arm-none-eabi-g++/arm-none-eabi-size on PATH)";
    return std::nullopt;
  }
  llvm::SmallString<128> obj, listing;
  if (llvm::sys::fs::createTemporaryFile("tinyprune-code", "o", obj) ||
      llvm::sys::fs::createTemporaryFile("tinyprune-size", "txt", listing)) {
    note = "not measured (no temporary file)";
    return std::nullopt;
  }
  llvm::FileRemover removeObj(obj), removeListing(listing);
  std::string source = (dir + "/" + name + ".cpp").str();
  std::string include = ("-I" + dir).str();
  std::vector<std::string> args = {*gxx, "-Os"};
  for (std::string &f : coreFlags(core))
    args.push_back(f);
  for (const char *f : {"-std=c++17", "-fno-exceptions", "-fno-rtti",
                        "-ffunction-sections", "-fdata-sections"})
    args.push_back(f);
  args.insert(args.end(), {include, "-c", source, "-o", std::string(obj)});
  std::vector<llvm::StringRef> argv(args.begin(), args.end());
  std::optional<llvm::StringRef> quiet[] = {std::nullopt, llvm::StringRef(""),
                                            llvm::StringRef("")};
  if (llvm::sys::ExecuteAndWait(*gxx, argv, std::nullopt, quiet) != 0) {
    note = "not measured (arm-none-eabi-g++ failed on " + name.str() + ".cpp)";
    return std::nullopt;
  }
  std::optional<llvm::StringRef> toListing[] = {
      std::nullopt, llvm::StringRef(listing), llvm::StringRef("")};
  std::string objPath(obj);
  llvm::StringRef sizeArgs[] = {*size, "-A", objPath};
  if (llvm::sys::ExecuteAndWait(*size, sizeArgs, std::nullopt, toListing) !=
      0) {
    note = "not measured (arm-none-eabi-size failed)";
    return std::nullopt;
  }
  auto text = llvm::MemoryBuffer::getFile(listing);
  if (!text) {
    note = "not measured (arm-none-eabi-size wrote nothing)";
    return std::nullopt;
  }
  // `size -A`: "section  size  addr" rows; .text and .text.<function>.
  int64_t bytes = 0;
  llvm::SmallVector<llvm::StringRef> lines;
  (*text)->getBuffer().split(lines, '\n');
  for (llvm::StringRef line : lines) {
    llvm::SmallVector<llvm::StringRef, 3> cols;
    line.split(cols, ' ', -1, /*KeepEmpty=*/false);
    int64_t n = 0;
    if (cols.size() >= 2 &&
        (cols[0] == ".text" || cols[0].starts_with(".text.")) &&
        !cols[1].getAsInteger(10, n))
      bytes += n;
  }
  note = "measured: .text of NAME.cpp (the model and the kernels it uses), "
         "arm-none-eabi-g++ -Os " +
         llvm::join(coreFlags(core), " ");
  return bytes;
}
