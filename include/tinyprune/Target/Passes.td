//===- Passes.td - tinyprune C++ lowering phases ------------*- tablegen -*-===//
//
// The phases of the C++ lowering that rewrite or annotate IR. They run in
// this order (`--tinyprune-lower-to-cpp`, lib/Target/Cpp/Pipelines.cpp)
// after `--tinyprune-raise-to-layers` (Transforms/Passes.td), and
// `tinyprune-translate --emit-cpp` prints the result.
//
//===----------------------------------------------------------------------===//

#ifndef TINYPRUNE_TARGET_PASSES_TD
#define TINYPRUNE_TARGET_PASSES_TD

include "mlir/Pass/PassBase.td"

def ScheduleForMemory
    : Pass<"tinyprune-schedule-for-memory", "mlir::func::FuncOp"> {
  let summary = "Reorder the layers so that fewer activations are live at once";
  let description = [{
    Orders the function's kernel calls (one per layer op, or per TOSA chain
    the C++ lowering fuses) by a list schedule: of the calls whose inputs
    are ready, the one with the fewest live activation bytes while it runs,
    then the one freeing the most, then the earliest. Where a layer's output
    feeds two branches (a residual block's shortcut), this runs the branch
    that lets the shared tensor die first, which is what sets the arena of
    residual networks.

    The ops move; nothing else changes. Each call's ops stay together, after
    the ops they use; constants stay in place. The new order is kept only
    when the arena it plans to (as `--tinyprune-plan-arena` plans it) is
    smaller than that of program order, or as small and smaller without
    in-place layers and row-fused chains, so running the pass twice changes
    nothing. When
    the ops move, an arena plan (`--tinyprune-plan-arena`) made for the old
    order is dropped.
  }];
  let dependentDialects = ["::tinyprune::TinyPruneDialect"];
}

def PlanArena : Pass<"tinyprune-plan-arena", "mlir::func::FuncOp"> {
  let summary = "Place the activations in one arena and record the plan";
  let description = [{
    Places every intermediate tensor of the function, in program order, in
    one static arena: tensors whose lifetimes do not overlap share bytes
    (greedy best-offset, largest first, 16-byte aligned). The model input is
    read in place and a computed result is written straight into the
    caller's output, so neither takes arena bytes; constants stay in flash.
    An element-wise layer writes over an operand it is the last reader of.
    A convolution whose input dies with it may run over that input row by
    row, keeping a ring of output rows; it is kept where the arena needs it
    and saves at least 1/16 of it. Before those, two convolutions and the
    int8 element-wise layer that combines the second one's output with a
    tensor of its shape (a residual block's convolutions and add) may run as
    one loop over blocks of rows, a row-fused chain: the first output lives
    only as a window of rows, the second as one block, and the result
    overwrites the other operand when it dies there. Chains start at four
    kernel calls per layer, are kept where they lower the arena, and take
    more rows per call while the arena does not grow.

    The plan is recorded as attributes (tinyprune/Dialect/ArenaAttrs.h,
    verified by the dialect) for `--emit-cpp`: `tinyprune.arena = {offset,
    bytes}` or `tinyprune.output = {offset, bytes}` on the op producing each
    buffer, `tinyprune.in_place` on a layer writing over its input,
    `tinyprune.stream_rows = {ring_offset, ring_bytes, delay}` on a streamed
    convolution, `tinyprune.fuse_rows = {chunk, window_offset, window_bytes,
    block_offset, block_bytes}` on the last layer of a row-fused chain, and `tinyprune.arena_size` and `tinyprune.arena_live_peak`
    (the bytes live at the busiest layer, a lower bound) on the function.
    Running it again replaces the plan.
  }];
  let dependentDialects = ["::tinyprune::TinyPruneDialect"];
}

#endif // TINYPRUNE_TARGET_PASSES_TD
