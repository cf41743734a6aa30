//===- tinyprune.cpp - The tinyprune driver -------------------------------===//
//
// One-shot commands over a model (.tflite or .mlir):
//   tinyprune run MODEL --input in.bin [--input ...] --output out.bin
//   tinyprune compile MODEL -o OUTDIR [--name NAME]
//   tinyprune eval MODEL --data X [--labels Y] (Eval.cpp)
//   tinyprune prune MODEL -o OUTDIR [--data X] ... (Prune.cpp)
// Inputs and outputs are raw tensor bytes (row-major, little-endian, the
// element type the model declares), one file per function argument/result.
// Every file is read with a size bound and written atomically
// (tinyprune/Support/Files.h): no output may be a file the run read.
//
//===----------------------------------------------------------------------===//

#include "Driver.h"

#include "tinyprune/Execution/Interpreter.h"
#include "tinyprune/Import/TFLiteImporter.h"
#include "tinyprune/InitAll.h"
#include "tinyprune/Support/Files.h"
#include "tinyprune/Support/OutOfMemory.h"
#include "tinyprune/Target/Cpp.h"

#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/SymbolTable.h"
#include "mlir/Parser/Parser.h"
#include "llvm/ADT/SmallString.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/raw_ostream.h"

#include <limits>

using namespace mlir;
namespace cl = llvm::cl;

static cl::SubCommand
    runCommand("run", "Execute a model on raw input tensors with tinyprune's "
                      "interpreter (TFLite-exact int8 arithmetic)");
static cl::SubCommand
    compileCommand("compile",
                   "Generate standalone C++ inference code: OUTDIR/NAME.h, "
                   "OUTDIR/NAME.cpp and the runtime headers they include");
static cl::opt<std::string> modelPath(cl::Positional, cl::Required,
                                      cl::desc("<model.tflite|model.mlir>"),
                                      cl::sub(runCommand),
                                      cl::sub(compileCommand));
static cl::opt<std::string> outDir("o", cl::desc("Output directory"),
                                   cl::value_desc("dir"), cl::Required,
                                   cl::sub(compileCommand));
static cl::opt<std::string>
    modelName("name",
              cl::desc("C identifier naming the model: NAME_invoke, "
                       "NAME_INPUT_BYTES, ... (default: model)"),
              cl::init("model"), cl::sub(compileCommand));
static cl::list<std::string>
    inputPaths("input",
               cl::desc("Raw bytes of one input tensor, in argument "
                        "order (repeat for several inputs)"),
               cl::value_desc("file"), cl::sub(runCommand));
static cl::list<std::string>
    outputPaths("output",
                cl::desc("Where to write the raw bytes of each "
                         "result, in result order"),
                cl::value_desc("file"), cl::sub(runCommand));
static cl::opt<std::string> functionName("function",
                                         cl::desc("Function to run or compile"),
                                         cl::init("main"), cl::sub(runCommand),
                                         cl::sub(compileCommand));

/// Prints diagnostics as one "error: ..." line each, naming the op's
/// location when it has one.
static void installDiagnosticPrinter(MLIRContext &context) {
  context.getDiagEngine().registerHandler([](Diagnostic &diag) {
    llvm::errs() << "tinyprune: ";
    if (auto file = dyn_cast<FileLineColLoc>(diag.getLocation()))
      llvm::errs() << file.getFilename().getValue() << ":" << file.getLine()
                   << ":" << file.getColumn() << ": ";
    else if (!isa<UnknownLoc>(diag.getLocation()))
      llvm::errs() << diag.getLocation() << ": ";
    llvm::errs() << (diag.getSeverity() == DiagnosticSeverity::Error ? "error: "
                                                                     : "note: ")
                 << diag.str() << "\n";
    return success();
  });
}

OwningOpRef<ModuleOp> tinyprune::driver::loadModel(MLIRContext &context,
                                                   llvm::StringRef path) {
  auto file = tinyprune::readInputFile(path);
  if (!file) {
    llvm::errs() << "tinyprune: error: " << llvm::toString(file.takeError())
                 << "\n";
    return {};
  }
  if (llvm::sys::path::extension(path) == ".tflite")
    return tinyprune::importTFLite((*file)->getBuffer(), path, &context);
  llvm::SourceMgr sourceMgr;
  sourceMgr.AddNewSourceBuffer(std::move(*file), llvm::SMLoc());
  return parseSourceFile<ModuleOp>(sourceMgr, &context);
}

func::FuncOp tinyprune::driver::lookupFunction(ModuleOp module,
                                               llvm::StringRef modelPath,
                                               llvm::StringRef name) {
  auto func = SymbolTable::lookupNearestSymbolFrom<func::FuncOp>(
      module, StringAttr::get(module.getContext(), name));
  if (!func) {
    // An absurd name is not printed whole.
    llvm::StringRef shown = name.take_front(64);
    llvm::errs() << "tinyprune: error: " << modelPath << " has no function @"
                 << shown << (shown.size() < name.size() ? "..." : "") << "\n";
  }
  return func;
}

static int runMain(MLIRContext &context) {
  OwningOpRef<ModuleOp> module =
      tinyprune::driver::loadModel(context, modelPath);
  if (!module)
    return 1;
  func::FuncOp func =
      tinyprune::driver::lookupFunction(*module, modelPath, functionName);
  if (!func)
    return 1;
  if (inputPaths.size() != func.getNumArguments()) {
    llvm::errs() << "tinyprune: error: @" << functionName << " takes "
                 << func.getNumArguments() << " input(s); " << inputPaths.size()
                 << " --input given\n";
    return 1;
  }
  if (outputPaths.size() != func.getNumResults()) {
    llvm::errs() << "tinyprune: error: @" << functionName << " returns "
                 << func.getNumResults() << " result(s); " << outputPaths.size()
                 << " --output given\n";
    return 1;
  }
  if (failed(tinyprune::checkRawSignature(func)))
    return 1;
  auto fail = [](llvm::Error e) {
    llvm::errs() << "tinyprune: error: " << llvm::toString(std::move(e))
                 << "\n";
    return 1;
  };
  std::vector<std::unique_ptr<llvm::MemoryBuffer>> buffers;
  std::vector<llvm::ArrayRef<uint8_t>> inputs;
  for (auto [i, path] : llvm::enumerate(inputPaths)) {
    // The size first, so that a wrong file is not read (and is reported
    // against the size it should have).
    int64_t want = tinyprune::rawByteSize(func.getArgumentTypes()[i]);
    llvm::Expected<uint64_t> size =
        tinyprune::checkInputFile(path, std::numeric_limits<uint64_t>::max());
    if (!size)
      return fail(size.takeError());
    if ((int64_t)*size != want) {
      llvm::errs() << "tinyprune: error: '" << path << "' holds " << *size
                   << " bytes, but input " << i << " ("
                   << func.getArgumentTypes()[i] << ") needs " << want << "\n";
      return 1;
    }
    auto file = tinyprune::readInputFile(path, want);
    if (!file)
      return fail(file.takeError());
    inputs.push_back(llvm::ArrayRef<uint8_t>(
        reinterpret_cast<const uint8_t *>((*file)->getBufferStart()),
        (*file)->getBufferSize()));
    buffers.push_back(std::move(*file));
  }
  // Every output is opened (and checked against the inputs) before the
  // run, and moved into place only after the run succeeded.
  std::vector<std::unique_ptr<tinyprune::OutputFile>> files;
  for (auto [i, path] : llvm::enumerate(outputPaths)) {
    for (size_t j = 0; j < i; ++j)
      if (outputPaths[j] == path || tinyprune::isSameFile(outputPaths[j], path))
        return fail(llvm::createStringError(
            "--output '" + path + "' is given twice (results " +
            std::to_string(j) + " and " + std::to_string(i) + ")"));
    auto out = tinyprune::OutputFile::create(path, {modelPath});
    if (!out)
      return fail(out.takeError());
    files.push_back(std::move(*out));
  }
  FailureOr<std::vector<std::vector<uint8_t>>> outputs =
      tinyprune::runFunction(func, inputs);
  if (failed(outputs))
    return 1;
  for (auto [i, out] : llvm::enumerate(files)) {
    const std::vector<uint8_t> &bytes = (*outputs)[i];
    out->os().write(reinterpret_cast<const char *>(bytes.data()), bytes.size());
  }
  for (auto &out : files)
    if (llvm::Error e = out->commit())
      return fail(std::move(e));
  return 0;
}

namespace {
/// The files of `tinyprune compile`: each written to a temporary file
/// beside its target, all moved into place by commit() once every one is
/// written. Until then the destructor removes the temporary files and the
/// directories made, so that a failed compile leaves nothing behind and
/// the files of an earlier compile as they were.
class CompileOutputs {
public:
  ~CompileOutputs() {
    files.clear(); // removes the uncommitted temporary files
    if (committed)
      return;
    for (const std::string &d : llvm::reverse(createdDirs))
      llvm::sys::fs::remove(d); // only if empty
  }

  /// Writes `text` for `path`, creating its parent directories.
  bool write(llvm::StringRef path, llvm::StringRef text) {
    if (!makeDirectories(llvm::sys::path::parent_path(path)))
      return false;
    auto out = tinyprune::OutputFile::create(path, {modelPath});
    if (!out)
      return fail(out.takeError());
    (*out)->os() << text;
    files.push_back(std::move(*out));
    return true;
  }

  /// Moves every file into place.
  bool commit() {
    committed = true;
    for (auto &out : files)
      if (llvm::Error e = out->commit())
        return fail(std::move(e));
    return true;
  }

private:
  static bool fail(llvm::Error e) {
    llvm::errs() << "tinyprune: error: " << llvm::toString(std::move(e))
                 << "\n";
    return false;
  }

  /// Creates `dir` and its missing parents, remembering which were made.
  bool makeDirectories(llvm::StringRef dir) {
    if (dir.empty() || llvm::sys::fs::is_directory(dir))
      return true;
    if (!makeDirectories(llvm::sys::path::parent_path(dir)))
      return false;
    // Not IgnoreExisting: a file of that name is in the way, not made here.
    if (std::error_code ec =
            llvm::sys::fs::create_directory(dir, /*IgnoreExisting=*/false)) {
      llvm::errs() << "tinyprune: error: cannot create the directory '" << dir
                   << "': " << ec.message() << "\n";
      return false;
    }
    createdDirs.push_back(dir.str());
    return true;
  }

  std::vector<std::unique_ptr<tinyprune::OutputFile>> files;
  std::vector<std::string> createdDirs;
  bool committed = false;
};
} // namespace

/// The longest --name: generated file names (NAME.cpp) and identifiers
/// (NAME_INPUT_BYTES) stay far below the file system's 255-byte limit.
static constexpr size_t kMaxNameLength = 128;

static int compileMain(MLIRContext &context) {
  llvm::StringRef name = modelName;
  if (name.size() > kMaxNameLength) {
    llvm::errs() << "tinyprune: error: --name holds " << name.size()
                 << " characters; at most " << kMaxNameLength << "\n";
    return 1;
  }
  if (!tinyprune::isValidCppName(name)) {
    llvm::errs() << "tinyprune: error: --name '" << name
                 << "' is not a C identifier\n";
    return 1;
  }
  OwningOpRef<ModuleOp> module =
      tinyprune::driver::loadModel(context, modelPath);
  if (!module)
    return 1;
  func::FuncOp func =
      tinyprune::driver::lookupFunction(*module, modelPath, functionName);
  if (!func || failed(tinyprune::checkRawSignature(func)))
    return 1;
  FailureOr<tinyprune::CppModel> model = tinyprune::lowerToCpp(func, name);
  if (failed(model))
    return 1;
  llvm::SmallString<256> dir(outDir);
  auto join = [&](llvm::StringRef rel) {
    llvm::SmallString<256> p(dir);
    llvm::sys::path::append(p, rel);
    return std::string(p);
  };
  std::vector<std::pair<std::string, std::string>> outputs = {
      {join((name + ".h").str()), model->header},
      {join((name + ".cpp").str()), model->source}};
  for (auto &[rel, text] : tinyprune::runtimeHeaders())
    outputs.emplace_back(join(rel), text);
  // No file is written (no directory made) if any would replace an input.
  for (auto &[path, text] : outputs)
    if (llvm::Error e = tinyprune::checkNotAnInput(path, {modelPath})) {
      llvm::errs() << "tinyprune: error: " << llvm::toString(std::move(e))
                   << "\n";
      return 1;
    }
  CompileOutputs files;
  for (auto &[path, text] : outputs)
    if (!files.write(path, text))
      return 1;
  if (!files.commit())
    return 1;
  llvm::outs() << "tinyprune: " << name << ": " << model->layers << " layers, "
               << model->weightBytes << " constant bytes, arena "
               << model->arenaBytes << " bytes (live peak "
               << model->peakLiveBytes << "), input " << model->inputBytes
               << " bytes, output " << model->outputBytes << " bytes\n";
  return 0;
}

int main(int argc, char **argv) {
  llvm::InitLLVM init(argc, argv);
  tinyprune::installOutOfMemoryHandler("tinyprune");
  cl::ParseCommandLineOptions(
      argc, argv,
      "tinyprune: prune TinyML models for microcontrollers\n\n"
      "  tinyprune run MODEL --input in.bin --output out.bin\n"
      "  tinyprune compile MODEL -o OUTDIR --name NAME\n"
      "  tinyprune eval MODEL --data DATA [--labels LABELS]\n"
      "  tinyprune prune MODEL -o OUTDIR [--data DATA] [--labels LABELS]\n"
      "                  [--pipeline PASSES] [--target CORE]\n"
      "  tinyprune sweep MODEL -o OUTDIR --pipeline P1 --pipeline P2 ...\n");
  DialectRegistry registry;
  tinyprune::registerAllDialects(registry);
  MLIRContext context(registry);
  context.loadAllAvailableDialects();
  installDiagnosticPrinter(context);
  if (runCommand)
    return runMain(context);
  if (compileCommand)
    return compileMain(context);
  if (tinyprune::driver::evalCommand)
    return tinyprune::driver::evalMain(context);
  if (tinyprune::driver::pruneCommand)
    return tinyprune::driver::pruneMain(context);
  if (tinyprune::driver::sweepCommand)
    return tinyprune::driver::sweepMain(context);
  cl::PrintHelpMessage();
  return 1;
}
