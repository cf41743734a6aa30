//===- GradualTest.cpp - The gradual pruning schedule ---------------------===//
//
// `training::gradualKept` and `training::gradualStepAt` (Finetune.h),
// torch-free: the cubic schedule of Zhu and Gupta cuts most at the first
// steps, never raises the count, ends exactly at the final count; the
// pruning steps are spread evenly up to the `end` fraction of training and
// the last one always leaves training steps after it.
//
//===----------------------------------------------------------------------===//

#include "tinyprune/Training/Finetune.h"

#include "gtest/gtest.h"

using namespace tinyprune::training;

namespace {

TEST(GradualTest, KeptFollowsTheCubicSchedule) {
  // 100 filterlets to 30 in 4 steps: 70 x (1 - (1 - i/4)^3) cut.
  EXPECT_EQ(gradualKept(100, 30, 0, 4), 100);
  EXPECT_EQ(gradualKept(100, 30, 1, 4), 100 - 40); // 70 x 37/64 = 40.5
  EXPECT_EQ(gradualKept(100, 30, 2, 4), 100 - 61); // 70 x 7/8 = 61.25
  EXPECT_EQ(gradualKept(100, 30, 3, 4), 100 - 69); // 70 x 63/64 = 68.9
  EXPECT_EQ(gradualKept(100, 30, 4, 4), 30);
}

TEST(GradualTest, KeptNeverRisesAndEndsAtTheFinalCount) {
  for (int64_t steps : {1, 2, 3, 7, 16, 50})
    for (auto [start, keep] :
         {std::pair<int64_t, int64_t>(9, 2), {1000, 300}, {64, 63}, {5, 0}}) {
      int64_t prev = start;
      for (int64_t i = 1; i <= steps; ++i) {
        int64_t kept = gradualKept(start, keep, i, steps);
        EXPECT_LE(kept, prev) << steps << " " << start << " " << i;
        EXPECT_GE(kept, keep);
        prev = kept;
      }
      EXPECT_EQ(prev, keep);
    }
}

TEST(GradualTest, CutsShrinkStepByStep) {
  int64_t prev = 10000, prevCut = 10000;
  for (int64_t i = 1; i <= 10; ++i) {
    int64_t kept = gradualKept(10000, 1000, i, 10);
    EXPECT_LE(prev - kept, prevCut);
    prevCut = prev - kept;
    prev = kept;
  }
}

TEST(GradualTest, StepsSpreadUpToTheEnd) {
  // 300 training steps, the last cut at half of them, 5 cuts.
  std::vector<int64_t> at;
  for (int64_t i = 1; i <= 5; ++i)
    at.push_back(gradualStepAt(i, 5, 0.5, 300));
  EXPECT_EQ(at, (std::vector<int64_t>{30, 60, 90, 120, 150}));
  // However late the end, training goes on after the last cut.
  EXPECT_EQ(gradualStepAt(4, 4, 0.999, 10), 9);
  EXPECT_EQ(gradualStepAt(1, 1, 0.5, 1), 0);
  // More cuts than steps: several at the same step, in order.
  for (int64_t i = 1; i < 8; ++i)
    EXPECT_LE(gradualStepAt(i, 8, 0.5, 6), gradualStepAt(i + 1, 8, 0.5, 6));
  EXPECT_EQ(gradualStepAt(8, 8, 0.5, 6), 3);
}

} // namespace
