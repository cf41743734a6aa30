//===- Prune.cpp - tinyprune prune and sweep ------------------------------===//
//
//   tinyprune prune MODEL -o OUTDIR [--data X] [--labels Y] [--pipeline P]
//                   [--target CORE] [--name NAME] [--eval-data X2]
//                   [--eval-labels Y2] [--eval-samples N]
//
//   tinyprune sweep MODEL -o OUTDIR --pipeline P1 --pipeline P2 ... (and
//                   prune's other options)
//
// The options of the subcommands; the flow is lib/Prune (Prune.h).
//
//===----------------------------------------------------------------------===//

#include "Driver.h"

#include "tinyprune/Prune/Prune.h"

#include "llvm/Support/raw_ostream.h"

using namespace tinyprune;
namespace cl = llvm::cl;

cl::SubCommand driver::pruneCommand(
    "prune",
    "Prune a model and write everything a deployment needs to OUTDIR:\n"
    "NAME.mlir (the pruned layer IR), NAME.tflite (the pruned model as\n"
    "TFLite builtin operators; pruned layers are written dense, their pruned\n"
    "weights as zeros, since TFLite and TFLite Micro have no sparse\n"
    "convolution kernels), NAME.h, NAME.cpp and the runtime headers (as\n"
    "`tinyprune compile` writes them), and the report: report.md,\n"
    "report.json and layers.svg (per layer and in total, before and after:\n"
    "non-zero parameters, flash of the constants, arena, MACs, estimated\n"
    "instructions on the target; accuracy with --labels, else fidelity to\n"
    "the original on --data). Prints the before/after table. The input\n"
    "files are never written.");

cl::SubCommand driver::sweepCommand(
    "sweep",
    "Run `tinyprune prune` once per --pipeline (into OUTDIR/1, OUTDIR/2, "
    "...)\nand compare the runs: OUTDIR/sweep.md, sweep.json and "
    "pareto.svg give\nthe quality (accuracy, or fidelity without labels) "
    "against flash, peak\nRAM and estimated instructions, the original "
    "model first, with the\nPareto front of each. Takes prune's options.");

static cl::opt<std::string> pruneModel(cl::Positional, cl::Required,
                                       cl::desc("<model.tflite|model.mlir>"),
                                       cl::sub(driver::pruneCommand),
                                       cl::sub(driver::sweepCommand));
static cl::opt<std::string>
    pruneOut("o",
             cl::desc("Output directory (created if missing; refused if it "
                      "is a file)"),
             cl::value_desc("dir"), cl::Required, cl::sub(driver::pruneCommand),
             cl::sub(driver::sweepCommand));
static cl::opt<std::string> pruneData(
    "data",
    cl::desc("Samples (.npy [N, ...] or a folder of raw .bin inputs, as "
             "`tinyprune eval` reads them): given as `calibration` to every "
             "pass of the pipeline that has that option and leaves it empty, "
             "and evaluated before and after for the report"),
    cl::value_desc("file.npy|dir"), cl::sub(driver::pruneCommand),
    cl::sub(driver::sweepCommand));
static cl::opt<std::string> pruneLabels(
    "labels",
    cl::desc("Labels of --data (.npy of integers, or a label CSV): given as "
             "`labels` to every pass that has that option and leaves it "
             "empty; the report then gives top-1 accuracy"),
    cl::value_desc("file.npy|file.csv"), cl::sub(driver::pruneCommand),
    cl::sub(driver::sweepCommand));
static cl::opt<std::string> pruneEvalData(
    "eval-data",
    cl::desc("Held-out samples for the report's accuracy or fidelity "
             "(default: --data; calibrating and evaluating on the same "
             "samples flatters the pruned model)"),
    cl::value_desc("file.npy|dir"), cl::sub(driver::pruneCommand),
    cl::sub(driver::sweepCommand));
static cl::opt<std::string> pruneEvalLabels(
    "eval-labels", cl::desc("Labels of --eval-data (without: fidelity)"),
    cl::value_desc("file.npy|file.csv"), cl::sub(driver::pruneCommand),
    cl::sub(driver::sweepCommand));
static cl::opt<std::string> prunePipeline(
    "pipeline",
    cl::desc("The pruning passes, in MLIR pass-pipeline syntax on the "
             "module, e.g. \"filterlet-prune{sparsity=0.25}\" (default: "
             "\"filterlet-prune{sparsity=0.5}\", calibrated when --data is "
             "given)"),
    cl::value_desc("passes"), cl::init(kDefaultPrunePipeline),
    cl::sub(driver::pruneCommand));
static cl::opt<std::string>
    pruneTarget("target",
                cl::desc("Core whose instructions the report estimates: "
                         "cortex-m0plus, cortex-m4 or cortex-m7 (default "
                         "cortex-m4)"),
                cl::value_desc("core"), cl::init("cortex-m4"),
                cl::sub(driver::pruneCommand), cl::sub(driver::sweepCommand));
static cl::opt<std::string>
    pruneName("name",
              cl::desc("C identifier naming the outputs (NAME.mlir, "
                       "NAME.tflite, NAME.h, NAME_invoke, ...; default: the "
                       "model file's name)"),
              cl::value_desc("NAME"), cl::sub(driver::pruneCommand),
              cl::sub(driver::sweepCommand));
static cl::opt<int64_t>
    pruneEvalSamples("eval-samples",
                     cl::desc("Samples the report evaluates (default 1000; 0: "
                              "all)"),
                     cl::value_desc("N"), cl::init(1000),
                     cl::sub(driver::pruneCommand),
                     cl::sub(driver::sweepCommand));
static cl::opt<unsigned>
    pruneThreads("threads",
                 cl::desc("Threads for the report's evaluation (default 0: "
                          "one per hardware thread)"),
                 cl::value_desc("N"), cl::init(0),
                 cl::sub(driver::pruneCommand), cl::sub(driver::sweepCommand));

static cl::opt<bool> pruneMeasureCode(
    "measure-code",
    cl::desc("Compile the generated C++ before and after with "
             "arm-none-eabi-g++ -Os for the target (when it is on PATH) and "
             "report the code (.text) bytes (default true)"),
    cl::init(true), cl::sub(driver::pruneCommand),
    cl::sub(driver::sweepCommand));

static cl::list<std::string> sweepPipelines(
    "pipeline",
    cl::desc("One pruning pipeline per run (repeat), MLIR pass-pipeline "
             "syntax, e.g. --pipeline \"filterlet-prune{sparsity=0.25}\" "
             "--pipeline \"filterlet-prune{sparsity=0.5}\""),
    cl::value_desc("passes"), cl::sub(driver::sweepCommand));

/// The options both subcommands take.
static PruneOptions pruneOptions() {
  PruneOptions options;
  options.model = pruneModel;
  options.outDir = pruneOut;
  options.data = pruneData;
  options.labels = pruneLabels;
  options.evalData = pruneEvalData;
  options.evalLabels = pruneEvalLabels;
  options.target = pruneTarget;
  options.name = pruneName;
  options.evalSamples = pruneEvalSamples;
  options.threads = pruneThreads;
  options.measureCode = pruneMeasureCode;
  // Progress lines on a terminal; scripts get the table and errors only.
  options.progress = llvm::errs().is_displayed();
  return options;
}

int driver::sweepMain(mlir::MLIRContext &context) {
  return runSweep(context, pruneOptions(), sweepPipelines, llvm::outs());
}

int driver::pruneMain(mlir::MLIRContext &context) {
  PruneOptions options = pruneOptions();
  options.pipeline = prunePipeline;
  return runPrune(context, options, llvm::outs());
}
