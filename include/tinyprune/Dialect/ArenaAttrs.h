//===- ArenaAttrs.h - Arena plan attributes ---------------------*- C++ -*-===//
//
// The discardable attributes `--tinyprune-plan-arena` writes and
// `--emit-cpp` reads (docs/lowering.md, "Arena plan attributes"):
//
//   on the op producing a buffer (a layer op, or the last op of a TOSA chain):
//     tinyprune.arena = {offset = O : i64, bytes = B : i64}
//         the result lives at arena[O, O + B);
//     tinyprune.output = {offset = O : i64, bytes = B : i64}
//         the result is written straight into the caller's output at O;
//     tinyprune.in_place
//         the result overwrites the storage of the input it is computed
//         from (an element-wise layer's dying operand, or a streamed
//         convolution's input);
//     tinyprune.stream_rows = {ring_offset = R : i64, ring_bytes = N : i64,
//                              delay = D : i64}
//         the convolution runs row by row over its input (rt/inplace.h),
//         keeping D + 1 output rows in the ring at arena[R, R + N);
//   on the element-wise op ending a row-fused chain (PlanArena.cpp):
//     tinyprune.fuse_rows = {chunk = C : i64, window_offset = W : i64,
//                            window_bytes = WB : i64, block_offset = K : i64,
//                            block_bytes = KB : i64}
//         the two windowed layers before it and it run as one loop over
//         blocks of C output rows (rt::streamRowPair): the first layer's rows
//         in the window at arena[W, W + WB), the second's block of rows at
//         arena[K, K + KB); neither layer's output exists whole (they have
//         no tinyprune.arena);
//   on an op whose kernel call needs working memory (tinyprune.lstm):
//     tinyprune.scratch = {offset = O : i64, bytes = B : i64}
//         the call's scratch lives at arena[O, O + B) during the call only;
//   on the function:
//     tinyprune.arena_size = S : i64        bytes of the arena;
//     tinyprune.arena_live_peak = P : i64   the live-bytes lower bound.
//
//===----------------------------------------------------------------------===//

#ifndef TINYPRUNE_DIALECT_ARENAATTRS_H
#define TINYPRUNE_DIALECT_ARENAATTRS_H

#include "mlir/IR/Operation.h"
#include "llvm/ADT/StringRef.h"

namespace tinyprune {

inline constexpr llvm::StringLiteral kArenaAttr = "tinyprune.arena";
inline constexpr llvm::StringLiteral kOutputAttr = "tinyprune.output";
inline constexpr llvm::StringLiteral kInPlaceAttr = "tinyprune.in_place";
inline constexpr llvm::StringLiteral kStreamRowsAttr = "tinyprune.stream_rows";
inline constexpr llvm::StringLiteral kScratchAttr = "tinyprune.scratch";
inline constexpr llvm::StringLiteral kFuseRowsAttr = "tinyprune.fuse_rows";
inline constexpr llvm::StringLiteral kArenaSizeAttr = "tinyprune.arena_size";
inline constexpr llvm::StringLiteral kArenaLivePeakAttr =
    "tinyprune.arena_live_peak";

/// Whether `name` is one of the arena plan attributes.
bool isArenaAttrName(llvm::StringRef name);

/// Verifies an arena plan attribute on `op`: its form, that a buffer fits
/// its op's single result and the function's arena, that a ring comes with
/// an arena buffer.
llvm::LogicalResult verifyArenaAttr(mlir::Operation *op,
                                    mlir::NamedAttribute attr);

} // namespace tinyprune

#endif // TINYPRUNE_DIALECT_ARENAATTRS_H
