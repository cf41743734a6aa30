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

namespace tinyprune {

/// Patterns that fold each TOSA chain the importer writes for one layer
/// (convolution, requantization, fused activation; int8 element-wise
/// arithmetic; max pool; int8 requantization) into one layer op.
void populateRaiseToLayersPatterns(mlir::RewritePatternSet &patterns);

/// Raises the chains under `root` with those patterns, as
/// `--tinyprune-raise-to-layers` does: nothing else is folded or merged.
mlir::LogicalResult raiseToLayers(mlir::Operation *root);

/// Patterns that expand each layer op into exactly the TOSA chain the
/// importer writes for it.
void populateLowerLayersToTosaPatterns(mlir::RewritePatternSet &patterns);

} // namespace tinyprune

#endif // TINYPRUNE_TRANSFORMS_LAYERS_H
