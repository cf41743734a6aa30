//===- PruningOptions.h - Option values of the pruning passes ---*- C++ -*-===//
//
// The C++ types behind the enum options of the pruning passes
// (Transforms/Passes.td): the core whose cost model decides where pruning
// pays, and which re-solved layers fit their outputs after the activation.
// Passes.h includes this header before the generated pass declarations.
//
//===----------------------------------------------------------------------===//

#ifndef TINYPRUNE_TRANSFORMS_PRUNING_PRUNINGOPTIONS_H
#define TINYPRUNE_TRANSFORMS_PRUNING_PRUNINGOPTIONS_H

#include "tinyprune/Analysis/CostModel.h"

#include <optional>

namespace tinyprune {
namespace pruning {

/// `target=`: a core of the cost model, or none (no cost model).
enum class PruningTarget { None, CortexM0Plus, CortexM4, CortexM7 };

/// The cost model's core of `target`, or nullopt for none.
inline std::optional<McuCore> targetCore(PruningTarget target) {
  switch (target) {
  case PruningTarget::None:
    return std::nullopt;
  case PruningTarget::CortexM0Plus:
    return McuCore::CortexM0Plus;
  case PruningTarget::CortexM4:
    return McuCore::CortexM4;
  case PruningTarget::CortexM7:
    return McuCore::CortexM7;
  }
  return std::nullopt;
}

/// `clip-aware=`: which re-solved layers fit their outputs after the
/// activation that follows them.
enum class ClipAware { None, Depthwise, All };

} // namespace pruning
} // namespace tinyprune

#endif // TINYPRUNE_TRANSFORMS_PRUNING_PRUNINGOPTIONS_H
