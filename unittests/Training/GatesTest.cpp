//===- GatesTest.cpp - The gates' resource estimates ----------------------===//
//
// `training::estimateResource` (ChannelGates.h), torch-free: sums of terms
// scaled by kept fractions of extents (a flatten's period counts), and the
// smooth maximum of several sets, which lies between the exact maximum and
// the maximum plus T log(number of sets) and tends to the maximum as T
// goes to 0.
//
//===----------------------------------------------------------------------===//

#include "tinyprune/Training/ChannelGates.h"

#include "gtest/gtest.h"

#include <cmath>

using namespace tinyprune::training;

namespace {

/// Two groups (8 and 4 channels); extent 0: a tensor of group 0's 8
/// channels; extent 1: a flattened tensor of 4 x 9 positions (group 1,
/// period 9); extent 2: a concatenation of both (12 channels).
GateProblem twoGroups() {
  GateProblem p;
  p.groups.resize(2);
  p.groups[0].channels = 8;
  p.groups[1].channels = 4;
  p.extents.push_back({8, {{0, 1}}});
  p.extents.push_back({36, {{1, 9}}});
  p.extents.push_back({12, {{0, 1}, {1, 1}}});
  return p;
}

TEST(GatesTest, SumScalesWithKeptFractions) {
  GateProblem p = twoGroups();
  GatedResource r;
  r.name = "flash";
  // A layer from extent 0 to extent 1 (weights 8 x 36), a constant, and a
  // layer reading the concatenation.
  r.sets.push_back({{288, {0, 1}}, {100, {}}, {12, {2}}});
  p.resources.push_back(r);
  EXPECT_DOUBLE_EQ(estimateResource(p, 0, {8, 4}, 0), 400);
  // Half of group 0 and one of group 1 off: 288 * 4/8 * 27/36 + 100 +
  // 12 * 7/12.
  EXPECT_DOUBLE_EQ(estimateResource(p, 0, {4, 3}, 0),
                   288 * 0.5 * 0.75 + 100 + 7);
  // Fractional (expected) counts.
  EXPECT_DOUBLE_EQ(estimateResource(p, 0, {6.5, 4}, 0),
                   288 * 6.5 / 8 + 100 + 12 * 10.5 / 12);
}

TEST(GatesTest, SmoothMaximumBounds) {
  GateProblem p = twoGroups();
  GatedResource r;
  r.name = "arena";
  r.sets.push_back({{800, {0}}, {50, {}}});
  r.sets.push_back({{360, {1}}, {300, {2}}});
  p.resources.push_back(r);
  std::vector<double> kept = {5, 2};
  double a = 800 * 5.0 / 8 + 50;
  double b = 360 * 2.0 / 4 + 300 * 7.0 / 12;
  double top = std::max(a, b);
  EXPECT_DOUBLE_EQ(estimateResource(p, 0, kept, 0), top);
  for (double t : {1.0, 10.0, 100.0}) {
    double s = estimateResource(p, 0, kept, t);
    EXPECT_GE(s, top);
    EXPECT_LE(s, top + t * std::log(2.0) + 1e-9);
    EXPECT_NEAR(s, t * std::log(std::exp(a / t) + std::exp(b / t)), 1e-9 * top);
  }
  EXPECT_NEAR(estimateResource(p, 0, kept, 1e-3), top, 1e-6);
}

} // namespace
