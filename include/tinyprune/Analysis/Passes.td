//===- Passes.td - tinyprune analysis passes ---------------*- tablegen -*-===//
//
// Read-only passes: they walk the IR and report, never rewrite it.
//
//===----------------------------------------------------------------------===//

#ifndef TINYPRUNE_ANALYSIS_PASSES_TD
#define TINYPRUNE_ANALYSIS_PASSES_TD

include "mlir/Pass/PassBase.td"

def TinyPruneModelStats : Pass<"tinyprune-model-stats", "mlir::func::FuncOp"> {
  let summary = "Print per-layer parameters, weight bytes and MACs";
  let description = [{
    Reads a function's layers and prints one row per op that does
    arithmetic (convolutions, fully-connected layers as 1x1 convolutions,
    pools, elementwise ops, requantizations, tinyprune ops), then the
    totals. Layers are read from layer ops: a function still in the
    importer's TOSA form is analyzed as `--tinyprune-raise-to-layers` raises
    it (on a copy), and a convolution that pass cannot raise is an error.

    * `params`: elements of the op's constant weight and bias operands;
    * `weight bytes`: their storage size (what ends up in flash);
    * `MACs`: multiply-accumulates of one inference (convolutions and
      matrix products); other ops count 0;
    * `out bytes`: size of the op's result.

    These are the quantities the pruning passes trade against each other.
    With `core` (cortex-m0plus, cortex-m4 or cortex-m7) it then prints the
    cost model's estimate (docs/cost-model.md) for each op the C++ lowering
    turns into a kernel call: flash of its constant arrays as emitted, MACs
    executed, and estimated instructions per inference on that core, with
    the totals.
    The IR is left untouched. The table goes to stderr, or to the file
    named by `output`, so that it does not mix with the printed IR.

    ```
    tinyprune-opt model.mlir --tinyprune-model-stats -o /dev/null
    ```
  }];
  let options = [
    Option<"output", "output", "std::string", /*default=*/"\"-\"",
           "Where to write the table ('-' is stderr)">,
    Option<"core", "core", "std::string", /*default=*/"\"\"",
           "Also print the cost model's estimates for this Cortex-M core">,
  ];
  let dependentDialects = ["mlir::tosa::TosaDialect",
                           "tinyprune::TinyPruneDialect"];
}

#endif // TINYPRUNE_ANALYSIS_PASSES_TD
