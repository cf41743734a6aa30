//===- MemoryPlanner.cpp - Static arena planning --------------------------===//
//
// The classic greedy planner (as in TFLite Micro): sort by size, then give
// each buffer the lowest offset at which it collides with none of the
// already placed buffers whose lifetimes overlap its own.
//
//===----------------------------------------------------------------------===//

#include "tinyprune/Target/MemoryPlanner.h"

#include <algorithm>
#include <numeric>

using namespace tinyprune;

static int64_t alignUp(int64_t v, int64_t a) { return (v + a - 1) / a * a; }

static bool overlapInTime(const BufferRequest &a, const BufferRequest &b) {
  return a.firstUse <= b.lastUse && b.firstUse <= a.lastUse;
}

MemoryPlan tinyprune::planMemory(llvm::ArrayRef<BufferRequest> requests,
                                 int64_t alignment) {
  MemoryPlan plan;
  plan.offsets.assign(requests.size(), -1);
  std::vector<size_t> order(requests.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    if (requests[a].size != requests[b].size)
      return requests[a].size > requests[b].size;
    return requests[a].firstUse < requests[b].firstUse;
  });
  std::vector<size_t> placed;
  for (size_t idx : order) {
    const BufferRequest &r = requests[idx];
    // Intervals [offset, offset + size) of conflicting buffers, by offset.
    std::vector<std::pair<int64_t, int64_t>> busy;
    for (size_t p : placed)
      if (overlapInTime(r, requests[p]))
        busy.push_back({plan.offsets[p], plan.offsets[p] + requests[p].size});
    std::sort(busy.begin(), busy.end());
    int64_t offset = 0;
    for (auto [start, end] : busy) {
      if (offset + r.size <= start)
        break;
      offset = std::max(offset, alignUp(end, alignment));
    }
    plan.offsets[idx] = offset;
    plan.arenaBytes = std::max(plan.arenaBytes, offset + r.size);
    placed.push_back(idx);
  }
  return plan;
}

int64_t tinyprune::peakLiveBytes(llvm::ArrayRef<BufferRequest> requests) {
  int64_t last = 0;
  for (const BufferRequest &r : requests)
    last = std::max(last, r.lastUse);
  int64_t peak = 0;
  for (int64_t step = 0; step <= last; ++step) {
    int64_t live = 0;
    for (const BufferRequest &r : requests)
      if (r.firstUse <= step && step <= r.lastUse)
        live += r.size;
    peak = std::max(peak, live);
  }
  return peak;
}
