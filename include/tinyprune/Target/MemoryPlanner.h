//===- MemoryPlanner.h - Static arena planning ------------------*- C++ -*-===//
//
// Places the intermediate tensors of a schedule in one arena: two buffers
// may share bytes when their lifetimes do not overlap.
//
//===----------------------------------------------------------------------===//

#ifndef TINYPRUNE_TARGET_MEMORYPLANNER_H
#define TINYPRUNE_TARGET_MEMORYPLANNER_H

#include "llvm/ADT/ArrayRef.h"

#include <cstdint>
#include <vector>

namespace tinyprune {

/// A buffer live from step `firstUse` (written) to step `lastUse` (last
/// read), both inclusive.
struct BufferRequest {
  int64_t size = 0;
  int64_t firstUse = 0;
  int64_t lastUse = 0;
};

struct MemoryPlan {
  std::vector<int64_t> offsets; ///< One per request, in request order.
  int64_t arenaBytes = 0;
};

/// Greedy best-offset planning: buffers are placed largest first, each at
/// the lowest aligned offset that overlaps no time-overlapping buffer.
/// Offsets are multiples of `alignment`.
MemoryPlan planMemory(llvm::ArrayRef<BufferRequest> requests,
                      int64_t alignment = 16);

/// The lower bound any plan must reach: the largest total size of buffers
/// live at one step.
int64_t peakLiveBytes(llvm::ArrayRef<BufferRequest> requests);

} // namespace tinyprune

#endif // TINYPRUNE_TARGET_MEMORYPLANNER_H
