//===- tinyprune.cpp - The tinyprune driver -------------------------------===//
//
// One-shot commands over a model (.tflite or .mlir):
//   tinyprune run MODEL --input in.bin [--input ...] --output out.bin
//   tinyprune compile MODEL -o OUTDIR [--name NAME]
//   tinyprune eval MODEL --data X [--labels Y] (Eval.cpp)
//   tinyprune prune MODEL -o OUTDIR [--data X] ... (Prune.cpp)
// Inputs and outputs are raw tensor bytes (row-major, little-endian, the
// element type the model declares), one file per function argument/result.
//
//===----------------------------------------------------------------------===//

#include "Driver.h"

#include "tinyprune/Execution/Interpreter.h"
#include "tinyprune/Import/TFLiteImporter.h"
#include "tinyprune/InitAll.h"
#include "tinyprune/Target/Cpp.h"

#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/SymbolTable.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Support/FileUtilities.h"
#include "llvm/ADT/SmallString.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/ToolOutputFile.h"
#include "llvm/Support/raw_ostream.h"

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
    if (!isa<UnknownLoc>(diag.getLocation()))
      llvm::errs() << diag.getLocation() << ": ";
    llvm::errs() << (diag.getSeverity() == DiagnosticSeverity::Error ? "error: "
                                                                     : "note: ")
                 << diag.str() << "\n";
    return success();
  });
}

OwningOpRef<ModuleOp> tinyprune::driver::loadModel(MLIRContext &context,
                                                   llvm::StringRef path) {
  auto file = llvm::MemoryBuffer::getFile(path, /*IsText=*/false,
                                          /*RequiresNullTerminator=*/false);
  if (!file) {
    llvm::errs() << "tinyprune: error: cannot read '" << path
                 << "': " << file.getError().message() << "\n";
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
  if (!func)
    llvm::errs() << "tinyprune: error: " << modelPath << " has no function @"
                 << name << "\n";
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
  std::vector<std::unique_ptr<llvm::MemoryBuffer>> buffers;
  std::vector<llvm::ArrayRef<uint8_t>> inputs;
  for (auto [i, path] : llvm::enumerate(inputPaths)) {
    auto file = llvm::MemoryBuffer::getFile(path, /*IsText=*/false,
                                            /*RequiresNullTerminator=*/false);
    if (!file) {
      llvm::errs() << "tinyprune: error: cannot read '" << path
                   << "': " << file.getError().message() << "\n";
      return 1;
    }
    int64_t want = tinyprune::rawByteSize(func.getArgumentTypes()[i]);
    if ((int64_t)(*file)->getBufferSize() != want) {
      llvm::errs() << "tinyprune: error: '" << path << "' holds "
                   << (*file)->getBufferSize() << " bytes, but input " << i
                   << " (" << func.getArgumentTypes()[i] << ") needs " << want
                   << "\n";
      return 1;
    }
    inputs.push_back(llvm::ArrayRef<uint8_t>(
        reinterpret_cast<const uint8_t *>((*file)->getBufferStart()),
        (*file)->getBufferSize()));
    buffers.push_back(std::move(*file));
  }
  FailureOr<std::vector<std::vector<uint8_t>>> outputs =
      tinyprune::runFunction(func, inputs);
  if (failed(outputs))
    return 1;
  for (auto [i, path] : llvm::enumerate(outputPaths)) {
    std::string error;
    auto out = openOutputFile(path, &error);
    if (!out) {
      llvm::errs() << "tinyprune: error: " << error << "\n";
      return 1;
    }
    const std::vector<uint8_t> &bytes = (*outputs)[i];
    out->os().write(reinterpret_cast<const char *>(bytes.data()), bytes.size());
    out->keep();
  }
  return 0;
}

/// Writes `text` to `path`, creating parent directories.
static bool writeFile(llvm::StringRef path, llvm::StringRef text) {
  if (std::error_code ec = llvm::sys::fs::create_directories(
          llvm::sys::path::parent_path(path))) {
    llvm::errs() << "tinyprune: error: cannot create the directory of '" << path
                 << "': " << ec.message() << "\n";
    return false;
  }
  std::string error;
  auto out = openOutputFile(path, &error);
  if (!out) {
    llvm::errs() << "tinyprune: error: " << error << "\n";
    return false;
  }
  out->os() << text;
  out->keep();
  return true;
}

static int compileMain(MLIRContext &context) {
  llvm::StringRef name = modelName;
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
  if (!func)
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
  if (!writeFile(join((name + ".h").str()), model->header) ||
      !writeFile(join((name + ".cpp").str()), model->source))
    return 1;
  for (auto &[rel, text] : tinyprune::runtimeHeaders())
    if (!writeFile(join(rel), text))
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
