//===- MemoryPlannerTest.cpp - arena planning -----------------------------===//

#include "tinyprune/Target/MemoryPlanner.h"

#include <gtest/gtest.h>

#include <random>

using namespace tinyprune;

namespace {

/// No two time-overlapping buffers share bytes; offsets are aligned.
void expectValid(const std::vector<BufferRequest> &r, const MemoryPlan &p,
                 int64_t alignment) {
  ASSERT_EQ(p.offsets.size(), r.size());
  for (size_t i = 0; i < r.size(); ++i) {
    EXPECT_EQ(p.offsets[i] % alignment, 0);
    EXPECT_LE(p.offsets[i] + r[i].size, p.arenaBytes);
    for (size_t j = i + 1; j < r.size(); ++j) {
      bool timeOverlap =
          r[i].firstUse <= r[j].lastUse && r[j].firstUse <= r[i].lastUse;
      bool spaceOverlap = p.offsets[i] < p.offsets[j] + r[j].size &&
                          p.offsets[j] < p.offsets[i] + r[i].size;
      EXPECT_FALSE(timeOverlap && spaceOverlap) << i << " and " << j;
    }
  }
}

TEST(MemoryPlanner, ChainReusesTwoSlots) {
  // A -> B -> C -> D: each buffer lives for two steps; two slots suffice.
  std::vector<BufferRequest> r = {
      {1000, 0, 1}, {1000, 1, 2}, {1000, 2, 3}, {1000, 3, 4}};
  MemoryPlan p = planMemory(r);
  expectValid(r, p, 16);
  EXPECT_EQ(p.arenaBytes, 2000 + 8); // 1000 rounded up to 1008.
  EXPECT_EQ(peakLiveBytes(r), 2000);
}

TEST(MemoryPlanner, ResidualKeepsThreeLive) {
  // x feeds a branch and a later add: three buffers live at the add.
  std::vector<BufferRequest> r = {{512, 0, 3}, {512, 1, 2}, {512, 2, 3},
                                  {512, 3, 4}};
  MemoryPlan p = planMemory(r);
  expectValid(r, p, 16);
  EXPECT_EQ(p.arenaBytes, 3 * 512);
}

TEST(MemoryPlanner, SmallBuffersFillGaps) {
  std::vector<BufferRequest> r = {{4096, 0, 1}, {4096, 1, 2}, {16, 2, 3},
                                  {16, 3, 4}};
  MemoryPlan p = planMemory(r);
  expectValid(r, p, 16);
  EXPECT_EQ(p.arenaBytes, 8192);
}

TEST(MemoryPlanner, RandomSchedulesAreValidAndNearTheBound) {
  std::mt19937 rng(3);
  for (int trial = 0; trial < 200; ++trial) {
    std::vector<BufferRequest> r;
    int n = 2 + rng() % 30;
    for (int i = 0; i < n; ++i) {
      int64_t first = rng() % 40;
      r.push_back({int64_t(1 + rng() % 5000), first, first + int64_t(rng() % 6)});
    }
    MemoryPlan p = planMemory(r);
    expectValid(r, p, 16);
    EXPECT_GE(p.arenaBytes, peakLiveBytes(r));
  }
}

} // namespace
