//===- Prune.cpp - tinyprune prune ----------------------------------------===//
//
// The flow of `tinyprune prune`, as phases:
//   1. load: import the .tflite (or parse the .mlir), raise to layer ops;
//   2. prune: the pass pipeline on the module, `--data`/`--labels` given to
//      every pass that declares a `calibration`/`labels` option left empty;
//   3. write: NAME.mlir, NAME.tflite (lib/Target/TFLite), the C++
//      (lib/Target/Cpp: NAME.h, NAME.cpp, the runtime headers);
//   4. report: the cost model on both models, their arenas, accuracy or
//      fidelity on the data, rendered by Report.cpp.
// Every output is written atomically and may not be an input.
//
//===----------------------------------------------------------------------===//

#include "tinyprune/Prune/Prune.h"

#include "tinyprune/Analysis/CostModel.h"
#include "tinyprune/Analysis/Passes.h"
#include "tinyprune/Data/Dataset.h"
#include "tinyprune/Data/Metrics.h"
#include "tinyprune/Dialect/TinyPrune.h"
#include "tinyprune/Execution/BatchRunner.h"
#include "tinyprune/Execution/Interpreter.h"
#include "tinyprune/Execution/ModelInput.h"
#include "tinyprune/Import/TFLiteImporter.h"
#include "tinyprune/Prune/Report.h"
#include "tinyprune/Support/Files.h"
#include "tinyprune/Target/Cpp.h"
#include "tinyprune/Target/Passes.h"
#include "tinyprune/Target/TFLite.h"
#include "tinyprune/Transforms/Passes.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Transforms/Passes.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Program.h"
#include "llvm/Support/Regex.h"
#include "llvm/Support/SourceMgr.h"

#include <mutex>

using namespace mlir;
using namespace tinyprune;

//===----------------------------------------------------------------------===//
// Helpers
//===----------------------------------------------------------------------===//

std::string tinyprune::cIdentifier(StringRef stem) {
  std::string s;
  for (char c : stem)
    s += llvm::isAlnum(c) || c == '_' ? c : '_';
  if (s.empty() || llvm::isDigit(s[0]))
    s = "_" + s;
  return s;
}

FailureOr<unsigned> tinyprune::setEmptyPassOption(OpPassManager &pm,
                                                  StringRef name,
                                                  StringRef value,
                                                  std::string &error) {
  unsigned set = 0;
  for (Pass &pass : pm.getPasses()) {
    // A pass's options, as the pipeline syntax prints them:
    // `arg{opt1=value opt2=value ...}`; nested pipelines print theirs inside.
    std::string text;
    llvm::raw_string_ostream os(text);
    pass.printAsTextualPipeline(os);
    llvm::Regex emptyOption("(^|[{ ])" + llvm::Regex::escape(name) +
                            "=($|[ }])");
    llvm::Regex anyOption("(^|[{ ])" + llvm::Regex::escape(name) + "=");
    if (!anyOption.match(text))
      continue;
    if (!emptyOption.match(text))
      continue; // Given in the pipeline: the user's value stays.
    if (failed(pass.initializeOptions((name + "=" + value).str(),
                                      [&](const Twine &msg) {
                                        error = msg.str();
                                        return failure();
                                      })))
      return failure();
    ++set;
  }
  return set;
}

namespace {

/// The state of one run.
class PruneRun {
public:
  PruneRun(MLIRContext &context, const PruneOptions &options,
           llvm::raw_ostream &out)
      : context(context), options(options), out(out) {}
  int run();

private:
  int error(const Twine &msg) {
    llvm::errs() << "tinyprune: error: " << msg << "\n";
    return 1;
  }
  void progress(const Twine &msg) {
    if (options.progress)
      llvm::errs() << "tinyprune: prune: " << msg << "\n";
  }
  std::string outPath(StringRef rel) {
    SmallString<256> p(options.outDir);
    llvm::sys::path::append(p, rel);
    return std::string(p);
  }
  /// Writes `bytes` to OUTDIR/`rel` atomically; false after an error line.
  bool write(StringRef rel, StringRef bytes);
  OwningOpRef<ModuleOp> load();
  func::FuncOp mainFunction(ModuleOp module);
  LogicalResult prune(ModuleOp module);
  /// Top-1 accuracy (labels) or agreement with `reference` predictions.
  LogicalResult evaluate(func::FuncOp func, const data::Dataset &set,
                         std::vector<int64_t> &predictions, StringRef what);

  MLIRContext &context;
  const PruneOptions &options;
  llvm::raw_ostream &out;
  std::vector<std::string> inputs;
};

} // namespace

bool PruneRun::write(StringRef rel, StringRef bytes) {
  std::string path = outPath(rel);
  if (std::error_code ec = llvm::sys::fs::create_directories(
          llvm::sys::path::parent_path(path))) {
    error("cannot create the directory of '" + path + "': " + ec.message());
    return false;
  }
  auto file = OutputFile::create(path, inputs);
  if (!file) {
    error(llvm::toString(file.takeError()));
    return false;
  }
  (*file)->os() << bytes;
  if (llvm::Error e = (*file)->commit()) {
    error(llvm::toString(std::move(e)));
    return false;
  }
  return true;
}

OwningOpRef<ModuleOp> PruneRun::load() {
  auto bytes = readInputFile(options.model);
  if (!bytes) {
    error(llvm::toString(bytes.takeError()));
    return {};
  }
  if (llvm::sys::path::extension(options.model) == ".tflite")
    return importTFLite((*bytes)->getBuffer(), options.model, &context);
  llvm::SourceMgr sourceMgr;
  sourceMgr.AddNewSourceBuffer(std::move(*bytes), llvm::SMLoc());
  return parseSourceFile<ModuleOp>(sourceMgr, &context);
}

func::FuncOp PruneRun::mainFunction(ModuleOp module) {
  func::FuncOp found;
  for (auto f : module.getOps<func::FuncOp>()) {
    if (f.isExternal())
      continue;
    if (f.getName() == "main")
      return f;
    if (found) {
      error(options.model + " has several functions and none is @main");
      return {};
    }
    found = f;
  }
  if (!found)
    error(options.model + " has no function to prune");
  return found;
}

LogicalResult PruneRun::prune(ModuleOp module) {
  PassManager pm(&context, ModuleOp::getOperationName());
  std::string parseError;
  llvm::raw_string_ostream errs(parseError);
  if (failed(parsePassPipeline(options.pipeline, pm, errs))) {
    // The parser's message can span lines (a caret under the pipeline).
    StringRef first = StringRef(parseError).trim().split('\n').first;
    error("--pipeline '" + options.pipeline + "': " + first);
    return failure();
  }
  for (auto [option, value] :
       {std::pair<StringRef, StringRef>{"calibration", options.data},
        {"labels", options.labels}}) {
    if (value.empty())
      continue;
    std::string why;
    FailureOr<unsigned> n = setEmptyPassOption(pm, option, value, why);
    if (failed(n)) {
      error("--pipeline: " + option + "=" + value + ": " + why);
      return failure();
    }
    if (*n)
      progress(llvm::formatv("{0} given to {1} pass(es)", option, *n).str());
  }
  progress("running " + options.pipeline);
  return pm.run(module);
}

LogicalResult PruneRun::evaluate(func::FuncOp func, const data::Dataset &set,
                                 std::vector<int64_t> &predictions,
                                 StringRef what) {
  FailureOr<std::unique_ptr<PreparedFunction>> prepared =
      PreparedFunction::create(func);
  if (failed(prepared))
    return failure();
  auto outType = cast<RankedTensorType>(func.getResultTypes()[0]);
  data::TensorFormat format;
  format.numElements = outType.getNumElements();
  Type elt = outType.getElementType();
  format.kind = elt.isF32()         ? data::ElementKind::Float32
                : elt.isInteger(8)  ? data::ElementKind::Int8
                : elt.isInteger(16) ? data::ElementKind::Int16
                                    : data::ElementKind::Int32;
  size_t n = set.size();
  if (options.evalSamples > 0)
    n = std::min<size_t>(n, options.evalSamples);
  predictions.assign(n, -1);
  BatchOptions batch;
  batch.limit = n;
  batch.threads = options.threads;
  if (options.progress)
    batch.progress = [&](const BatchProgress &p) {
      llvm::errs() << llvm::formatv("\rtinyprune: prune: evaluating {0}: "
                                    "{1}/{2}",
                                    what, p.done, p.total);
    };
  auto stats = runBatch(
      **prepared, set, batch,
      [&](size_t i, ArrayRef<uint8_t>, const PreparedFunction::State &state) {
        std::vector<double> y;
        format.decode(state.output(0), y);
        predictions[i] = data::argmax(y);
      });
  if (options.progress && batch.progress)
    llvm::errs() << "\n";
  if (!stats) {
    error(llvm::toString(stats.takeError()));
    return failure();
  }
  return success();
}

int PruneRun::run() {
  // Options.
  std::optional<McuCore> core = parseMcuCore(options.target);
  if (!core)
    return error("--target '" + options.target +
                 "' is not a supported core (cortex-m0plus, cortex-m4, "
                 "cortex-m7)");
  std::string name = options.name.empty()
                         ? cIdentifier(llvm::sys::path::stem(options.model))
                         : options.name;
  if (!isValidCppName(name))
    return error("--name '" + name + "' is not a C identifier");
  if (llvm::sys::fs::exists(options.outDir) &&
      !llvm::sys::fs::is_directory(options.outDir))
    return error("-o '" + options.outDir + "' is a file, not a directory");
  if (!options.labels.empty() && options.data.empty())
    return error("--labels needs --data");
  if (!options.evalLabels.empty() && options.evalData.empty())
    return error("--eval-labels needs --eval-data");
  inputs = {options.model};
  if (!options.data.empty())
    inputs.push_back(options.data);
  if (!options.labels.empty())
    inputs.push_back(options.labels);
  for (const std::string &extra : {options.evalData, options.evalLabels})
    if (!extra.empty())
      inputs.push_back(extra);
  for (const std::string &in : inputs)
    if (!llvm::sys::fs::exists(in))
      return error("cannot read '" + in + "': no such file or directory");

  // 1. Load and raise.
  progress("loading " + options.model);
  OwningOpRef<ModuleOp> module = load();
  if (!module)
    return 1;
  func::FuncOp func = mainFunction(*module);
  if (!func)
    return 1;
  {
    PassManager raise(&context, func::FuncOp::getOperationName());
    raise.addPass(createRaiseToLayers());
    if (failed(raise.run(func)))
      return 1;
  }
  OwningOpRef<ModuleOp> original = module->clone();
  func::FuncOp originalFunc = mainFunction(*original);

  // 2. Prune.
  if (failed(prune(*module)))
    return 1;
  func = mainFunction(*module);
  if (!func)
    return 1;

  // 3. Outputs: the pruned module, its .tflite and C++.
  std::string text;
  {
    llvm::raw_string_ostream os(text);
    module->print(os);
    os << "\n"; // As tinyprune-opt writes a module.
  }
  if (!write(name + ".mlir", text))
    return 1;
  progress("exporting " + name + ".tflite");
  FailureOr<std::string> tflite = exportTFLite(func);
  if (failed(tflite))
    return 1;
  if (!write(name + ".tflite", *tflite))
    return 1;
  progress("generating C++");
  OwningOpRef<ModuleOp> lowered = module->clone();
  FailureOr<CppModel> cpp = lowerToCpp(mainFunction(*lowered), name);
  if (failed(cpp))
    return 1;
  if (!write(name + ".h", cpp->header) || !write(name + ".cpp", cpp->source))
    return 1;
  for (auto &[rel, body] : runtimeHeaders())
    if (!write(rel, body))
      return 1;
  OwningOpRef<ModuleOp> loweredOriginal = original->clone();
  FailureOr<CppModel> cppBefore =
      lowerToCpp(mainFunction(*loweredOriginal), name);
  if (failed(cppBefore))
    return 1;
  // The code, when the Arm toolchain is there: the pruned C++ where it was
  // written, the original's in a directory of its own.
  std::optional<int64_t> codeBefore, codeAfter;
  std::string codeNote;
  if (options.measureCode) {
    progress("measuring the code");
    SmallString<128> tmp;
    if (!llvm::sys::fs::createUniqueDirectory("tinyprune-original", tmp)) {
      bool ok = true;
      auto put = [&](StringRef rel, StringRef body) {
        SmallString<256> p(tmp);
        llvm::sys::path::append(p, rel);
        llvm::sys::fs::create_directories(llvm::sys::path::parent_path(p));
        std::error_code ec;
        llvm::raw_fd_ostream os(p, ec);
        os << body;
        ok &= !ec;
      };
      put(name + ".h", cppBefore->header);
      put(name + ".cpp", cppBefore->source);
      for (auto &[rel, body] : runtimeHeaders())
        put(rel, body);
      std::string ignored;
      if (ok)
        codeBefore = measureCodeBytes(tmp, name, *core, ignored);
      llvm::sys::fs::remove_directories(tmp);
    }
    codeAfter = measureCodeBytes(options.outDir, name, *core, codeNote);
    if (!codeBefore)
      codeAfter.reset();
  } else {
    codeNote = "not measured (--measure-code=false)";
  }

  // 4. Report.
  PruneReport report;
  report.model = options.model;
  report.pipeline = options.pipeline;
  report.target = mcuCoreName(*core).str();
  report.codeNote = codeNote;
  report.before.codeBytes = codeBefore;
  report.after.codeBytes = codeAfter;
  report.layers =
      pairLayers(layerFigures(originalFunc, *core), layerFigures(func, *core));
  for (const LayerRow &l : report.layers) {
    if (l.before) {
      report.before.total.params += l.before->params;
      report.before.total.macs += l.before->macs;
      report.before.total.instructions += l.before->instructions;
    }
    if (l.after) {
      report.after.total.params += l.after->params;
      report.after.total.macs += l.after->macs;
      report.after.total.instructions += l.after->instructions;
    }
  }
  report.before.weightBytes = cppBefore->weightBytes;
  report.before.arenaBytes = cppBefore->arenaBytes;
  report.after.weightBytes = cpp->weightBytes;
  report.after.arenaBytes = cpp->arenaBytes;
  report.before.total.flashBytes = cppBefore->weightBytes;
  report.after.total.flashBytes = cpp->weightBytes;

  // The report's data: the held-out set when given, else the pipeline's.
  std::string evalData =
      options.evalData.empty() ? options.data : options.evalData;
  std::string evalLabels =
      options.evalData.empty() ? options.labels : options.evalLabels;
  report.data = evalData;
  report.labels = evalLabels;
  if (!evalData.empty()) {
    if (func.getNumArguments() != 1 || func.getNumResults() != 1)
      return error("the report evaluates models of one input and one "
                   "output; @" +
                   func.getName() + " has " + Twine(func.getNumArguments()) +
                   " and " + Twine(func.getNumResults()));
    auto spec = getInputSpec(func);
    if (!spec)
      return error(llvm::toString(spec.takeError()));
    data::DatasetOptions dataOptions;
    dataOptions.dataPath = evalData;
    dataOptions.labelsPath = evalLabels;
    auto set = data::openDataset(dataOptions, *spec);
    if (!set)
      return error(llvm::toString(set.takeError()));
    std::vector<int64_t> before, after;
    if (failed(evaluate(originalFunc, **set, before, "the original")) ||
        failed(evaluate(func, **set, after, "the pruned model")))
      return 1;
    report.evalSamples = before.size();
    auto share = [&](auto matches) {
      size_t hits = 0;
      for (size_t i = 0; i < before.size(); ++i)
        hits += matches(i);
      return before.empty() ? 0.0 : double(hits) / before.size();
    };
    if ((*set)->hasLabels()) {
      ArrayRef<int64_t> labels = (*set)->labels();
      report.qualityMetric = "accuracy";
      report.before.quality =
          share([&](size_t i) { return before[i] == labels[i]; });
      report.after.quality =
          share([&](size_t i) { return after[i] == labels[i]; });
    } else {
      report.qualityMetric = "fidelity";
      report.before.quality = 1.0;
      report.after.quality =
          share([&](size_t i) { return after[i] == before[i]; });
    }
  }

  std::string json;
  {
    llvm::raw_string_ostream os(json);
    os << llvm::formatv("{0:2}", reportJson(report)) << "\n";
  }
  if (!write("report.md", reportMarkdown(report)) ||
      !write("report.json", json) || !write("layers.svg", reportSvg(report)))
    return 1;
  if (options.reportOut)
    *options.reportOut = report;
  out << summaryTable(report);
  out << "tinyprune: wrote " << name << ".mlir, " << name << ".tflite, " << name
      << ".h, " << name << ".cpp, the runtime headers, report.md, "
      << "report.json and layers.svg to " << options.outDir << "\n";
  return 0;
}

int tinyprune::runPrune(MLIRContext &context, const PruneOptions &options,
                        llvm::raw_ostream &out) {
  // The passes a pipeline may name: tinyprune's and upstream's clean-ups.
  static std::once_flag registered;
  std::call_once(registered, [] {
    registerTinyPruneAnalysisPasses();
    registerTinyPruneTransformsPasses();
    registerTinyPruneTargetPasses();
    mlir::registerCanonicalizerPass();
    mlir::registerCSEPass();
  });
  return PruneRun(context, options, out).run();
}
