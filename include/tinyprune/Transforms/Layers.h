//===- Layers.h - Raising TOSA chains to layer ops and back -----*- C++ -*-===//
//
// The rewrite patterns behind `--tinyprune-raise-to-layers` and
// `--tinyprune-lower-layers-to-tosa`, for passes and tools that want to raise
// or lower as part of their own pattern sets.
//
//===----------------------------------------------------------------------===//

#ifndef TINYPRUNE_TRANSFORMS_LAYERS_H
#define TINYPRUNE_TRANSFORMS_LAYERS_H

#include "mlir/IR/PatternMatch.h"
#include "mlir/Support/LLVM.h"

#include <string>

namespace tinyprune {

/// Patterns that fold each TOSA chain the importer writes for one layer
/// (convolution, requantization, fused activation; int8 element-wise
/// arithmetic; max pool; int8 requantization) into one layer op.
void populateRaiseToLayersPatterns(mlir::RewritePatternSet &patterns);

/// Raises the chains under `root` with those patterns, as
/// `--tinyprune-raise-to-layers` does: nothing else is folded or merged.
mlir::LogicalResult raiseToLayers(mlir::Operation *root);

/// Why the raise patterns leave `op` (the anchor of a chain, e.g. a
/// tosa.conv2d or tosa.add) TOSA: the reasons the patterns rooted at it
/// give, joined by "; ". Tried on a copy of the enclosing function, so the
/// IR does not change. If a pattern would raise the chain now, says that
/// `--tinyprune-raise-to-layers` has not run.
std::string whyNotRaised(mlir::Operation *op);

/// Patterns that expand each layer op into exactly the TOSA chain the
/// importer writes for it.
void populateLowerLayersToTosaPatterns(mlir::RewritePatternSet &patterns);

} // namespace tinyprune

#endif // TINYPRUNE_TRANSFORMS_LAYERS_H
