//===- Prune.h - From a model and data to a pruned deployable model -------===//
//
// `tinyprune prune`: import -> raise to layer ops -> the pruning pipeline ->
// the outputs a deployment needs (the pruned `.mlir`, the generated C++,
// the pruned `.tflite`) and a report of what changed (Report.h). The
// driver's subcommand only parses options into PruneOptions.
//
//===----------------------------------------------------------------------===//

#ifndef TINYPRUNE_PRUNE_PRUNE_H
#define TINYPRUNE_PRUNE_PRUNE_H

#include "mlir/IR/MLIRContext.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Support/LLVM.h"
#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/raw_ostream.h"

#include <cstdint>
#include <string>

namespace tinyprune {

struct PruneReport;

/// The pipeline `tinyprune prune` runs when none is given.
constexpr const char *kDefaultPrunePipeline = "filterlet-prune{sparsity=0.5}";

struct PruneOptions {
  /// The model: a `.tflite` file or a `.mlir` module.
  std::string model;
  /// Where the outputs go (created if missing; must not be a file).
  std::string outDir;
  /// Data (.npy or a folder of .bin) for the passes that calibrate and for
  /// the report's accuracy or fidelity; empty: none.
  std::string data;
  /// Labels for `data`; empty: none (the report gives fidelity instead).
  std::string labels;
  /// Held-out data (and labels) for the report; empty: `data`/`labels`.
  std::string evalData;
  std::string evalLabels;
  /// The pruning pipeline, MLIR pass-pipeline syntax on the module.
  std::string pipeline = kDefaultPrunePipeline;
  /// The core the cost model estimates for.
  std::string target = "cortex-m4";
  /// Name of the generated files (NAME.mlir, NAME.h, ...); empty: the
  /// model file's stem made a C identifier.
  std::string name;
  /// Samples the report evaluates (0: all).
  int64_t evalSamples = 1000;
  /// Threads for evaluation (0: one per hardware thread).
  unsigned threads = 0;
  /// Compile the C++ before and after with arm-none-eabi-g++ (when on
  /// PATH) for the code bytes the report gives.
  bool measureCode = true;
  /// Where to leave the report (for `tinyprune sweep`); may be null.
  PruneReport *reportOut = nullptr;
  /// Print progress lines (the driver sets it when stderr is a terminal).
  bool progress = false;
};

/// Runs `tinyprune prune`; prints the summary table on `out` and one-line
/// errors ("tinyprune: error: ...") on stderr. Returns the exit code.
int runPrune(mlir::MLIRContext &context, const PruneOptions &options,
             llvm::raw_ostream &out);

/// Gives every pass of `pm` (nested pipelines included) that declares an
/// option named `name` and leaves it empty the value `value`: how `--data`
/// and `--labels` reach the passes that take data, whatever their names.
/// Returns the number of passes given it; fails (with `error` set) when a
/// pass rejects the value.
mlir::FailureOr<unsigned> setEmptyPassOption(mlir::OpPassManager &pm,
                                             llvm::StringRef name,
                                             llvm::StringRef value,
                                             std::string &error);

/// `tinyprune sweep`: runPrune for each of `pipelines` into OUTDIR/<i>/
/// (`options.pipeline` ignored), then OUTDIR/sweep.md, sweep.json and
/// pareto.svg: quality against flash, RAM and estimated instructions, with
/// the Pareto front of each. Returns the exit code.
int runSweep(mlir::MLIRContext &context, const PruneOptions &options,
             llvm::ArrayRef<std::string> pipelines, llvm::raw_ostream &out);

/// `stem` made a C identifier: other characters become '_', a leading
/// digit gets a '_' before it.
std::string cIdentifier(llvm::StringRef stem);

} // namespace tinyprune

#endif // TINYPRUNE_PRUNE_PRUNE_H
