//===- ReconstructionTest.cpp - Least-squares reconstruction -------------===//
//
// The reconstruction step on random layers: moments against direct sums,
// re-solved weights satisfying the normal equations, OBS costs equal to the
// error increase they predict, the greedy first choice equal to the best
// single removal found by trying all, and recovery never worse than masking.
//
//===----------------------------------------------------------------------===//

#include "tinyprune/Transforms/Reconstruction.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <random>
#include <vector>

using namespace tinyprune::recon;

namespace {

/// Random correlated patches: x = A z with z standard normal, so that H is
/// far from diagonal (the case where re-solving matters).
std::vector<float> randomPatches(std::mt19937 &rng, int64_t dims,
                                 int64_t patches) {
  std::normal_distribution<double> normal;
  std::vector<double> mix(dims * dims);
  for (double &v : mix)
    v = normal(rng) / std::sqrt(double(dims));
  for (int64_t i = 0; i < dims; ++i)
    mix[i * dims + i] += 1.0;
  std::vector<float> x(dims * patches);
  std::vector<double> z(dims);
  for (int64_t p = 0; p < patches; ++p) {
    for (double &v : z)
      v = normal(rng) + 0.5; // A non-zero mean exercises the bias.
    for (int64_t i = 0; i < dims; ++i) {
      double s = 0;
      for (int64_t j = 0; j < dims; ++j)
        s += mix[i * dims + j] * z[j];
      x[p * dims + i] = float(s);
    }
  }
  return x;
}

std::vector<double> randomWeights(std::mt19937 &rng, int64_t n) {
  std::normal_distribution<double> normal;
  std::vector<double> w(n);
  for (double &v : w)
    v = normal(rng);
  return w;
}

double dot(const std::vector<double> &a, const std::vector<float> &x, int64_t p,
           int64_t dims) {
  double s = a[dims]; // bias
  for (int64_t i = 0; i < dims; ++i)
    s += a[i] * x[p * dims + i];
  return s;
}

/// The squared error sum over patches, computed directly.
double directError(const std::vector<double> &v, const std::vector<double> &w,
                   const std::vector<float> &x, const std::vector<float> &xRef,
                   int64_t dims, int64_t patches) {
  double e = 0;
  for (int64_t p = 0; p < patches; ++p) {
    double d = dot(v, x, p, dims) - dot(w, xRef, p, dims);
    e += d * d;
  }
  return e;
}

TEST(Reconstruction, MomentsEqualDirectSums) {
  std::mt19937 rng(1);
  int64_t dims = 7, patches = 50;
  std::vector<float> x = randomPatches(rng, dims, patches);
  std::vector<float> r = randomPatches(rng, dims, patches);
  Moments m(dims, /*withReference=*/true);
  // In two parts, merged, to cover merge().
  Moments m2(dims, true);
  m.add(llvm::ArrayRef(x).take_front(20 * dims),
        llvm::ArrayRef(r).take_front(20 * dims), 20);
  m2.add(llvm::ArrayRef(x).drop_front(20 * dims),
         llvm::ArrayRef(r).drop_front(20 * dims), patches - 20);
  m.merge(m2);
  ASSERT_EQ(m.count(), patches);
  int64_t n = dims + 1;
  auto at = [&](const std::vector<float> &v, int64_t p, int64_t i) {
    return i == dims ? 1.0 : double(v[p * dims + i]);
  };
  for (int64_t i = 0; i < n; ++i) {
    for (int64_t j = 0; j < n; ++j) {
      double h = 0, c = 0, rr = 0;
      for (int64_t p = 0; p < patches; ++p) {
        h += at(x, p, i) * at(x, p, j);
        c += at(x, p, i) * at(r, p, j);
        rr += at(r, p, i) * at(r, p, j);
      }
      EXPECT_NEAR(m.h()[i * n + j], h, 1e-9 * (1 + std::fabs(h)));
      EXPECT_NEAR(m.c()[i * n + j], c, 1e-9 * (1 + std::fabs(c)));
      EXPECT_NEAR(m.r()[i * n + j], rr, 1e-9 * (1 + std::fabs(rr)));
    }
  }
}

TEST(Reconstruction, NothingRemovedKeepsTheDenseWeights) {
  std::mt19937 rng(2);
  int64_t dims = 12, patches = 200;
  std::vector<float> x = randomPatches(rng, dims, patches);
  Moments m(dims, /*withReference=*/false);
  m.add(x, {}, patches);
  LayerSolver solver(m, Grouping{4, 3}, /*damping=*/0.01);
  std::vector<double> w = randomWeights(rng, dims + 1);
  FilterSolution s = solver.solve(w, std::vector<bool>(3, false));
  for (int64_t i = 0; i <= dims; ++i)
    EXPECT_NEAR(s.weights[i], w[i], 1e-9);
  EXPECT_NEAR(s.solvedError, 0.0, 1e-6);
}

TEST(Reconstruction, SolutionSatisfiesNormalEquations) {
  std::mt19937 rng(3);
  int64_t dims = 12, patches = 300;
  std::vector<float> x = randomPatches(rng, dims, patches);
  std::vector<float> xRef = x;
  std::normal_distribution<double> noise(0.0, 0.3);
  for (float &v : x)
    v += float(noise(rng)); // The pruned model's inputs drift.
  Moments m(dims, /*withReference=*/true);
  m.add(x, xRef, patches);
  // Tiny damping: the solution is the plain least-squares one.
  LayerSolver solver(m, Grouping{3, 4}, /*damping=*/1e-12);
  std::vector<double> w = randomWeights(rng, dims + 1);
  std::vector<bool> removed = {false, true, false, true};
  FilterSolution s = solver.solve(w, removed);
  // Gradient of the squared error vanishes on every kept coordinate
  // (including the bias); removed coordinates are exactly zero.
  for (int64_t i = 0; i <= dims; ++i) {
    if (i < dims && removed[i / 3]) {
      EXPECT_EQ(s.weights[i], 0.0);
      continue;
    }
    double grad = 0;
    for (int64_t p = 0; p < patches; ++p) {
      double d = dot(s.weights, x, p, dims) - dot(w, xRef, p, dims);
      grad += d * (i == dims ? 1.0 : x[p * dims + i]);
    }
    EXPECT_NEAR(grad, 0.0, 1e-6 * patches) << "coordinate " << i;
  }
  EXPECT_NEAR(s.solvedError, directError(s.weights, w, x, xRef, dims, patches),
              1e-7 * (1 + s.solvedError));
  EXPECT_LE(s.solvedError, s.maskedError);
}

TEST(Reconstruction, ObsCostsEqualErrorIncreases) {
  std::mt19937 rng(4);
  int64_t dims = 16, patches = 400;
  std::vector<float> x = randomPatches(rng, dims, patches);
  Moments m(dims, /*withReference=*/false);
  m.add(x, {}, patches);
  LayerSolver solver(m, Grouping{4, 4}, /*damping=*/1e-12);
  std::vector<double> w = randomWeights(rng, dims + 1);
  RemovalPath path = solver.removalPath(w, 4);
  ASSERT_EQ(path.order.size(), 4u);
  std::vector<bool> removed(4, false);
  double previous = 0;
  for (size_t k = 0; k < path.order.size(); ++k) {
    EXPECT_FALSE(removed[path.order[k]]) << "group removed twice";
    removed[path.order[k]] = true;
    double now = solver.solve(w, removed).solvedError;
    EXPECT_NEAR(path.cost[k], now - previous, 1e-6 * (1 + now)) << "step " << k;
    previous = now;
  }
}

TEST(Reconstruction, FirstGreedyChoiceIsTheBestSingleRemoval) {
  for (unsigned seed = 10; seed < 20; ++seed) {
    std::mt19937 rng(seed);
    int64_t dims = 18, patches = 250;
    std::vector<float> x = randomPatches(rng, dims, patches);
    Moments m(dims, /*withReference=*/false);
    m.add(x, {}, patches);
    LayerSolver solver(m, Grouping{3, 6}, /*damping=*/1e-12);
    std::vector<double> w = randomWeights(rng, dims + 1);
    int64_t best = -1;
    double bestError = 0;
    for (int64_t g = 0; g < 6; ++g) {
      std::vector<bool> removed(6, false);
      removed[g] = true;
      double e = solver.solve(w, removed).solvedError;
      if (best < 0 || e < bestError) {
        best = g;
        bestError = e;
      }
    }
    FilterSolution s = solver.prune(w, 1);
    EXPECT_TRUE(s.removed[best]) << "seed " << seed;
    EXPECT_NEAR(s.solvedError, bestError, 1e-7 * (1 + bestError));
  }
}

TEST(Reconstruction, RecoveryBeatsMasking) {
  std::mt19937 rng(5);
  int64_t dims = 32, patches = 500;
  std::vector<float> x = randomPatches(rng, dims, patches);
  Moments m(dims, /*withReference=*/false);
  m.add(x, {}, patches);
  LayerSolver solver(m, Grouping{4, 8}, /*damping=*/0.01);
  for (int trial = 0; trial < 5; ++trial) {
    std::vector<double> w = randomWeights(rng, dims + 1);
    FilterSolution s = solver.prune(w, 4);
    int64_t count = 0;
    for (bool r : s.removed)
      count += r;
    EXPECT_EQ(count, 4);
    // Correlated inputs: re-solving recovers a large part of the error.
    EXPECT_LT(s.solvedError, 0.8 * s.maskedError);
    EXPECT_NEAR(s.solvedError, directError(s.weights, w, x, x, dims, patches),
                1e-6 * (1 + s.solvedError));
  }
}

/// The clipped error computed directly: mean of (clip(v.x) - clip(w.xRef))^2.
double directClippedError(const std::vector<double> &v,
                          const std::vector<double> &w,
                          const std::vector<float> &x,
                          const std::vector<float> &xRef, int64_t dims,
                          int64_t patches, Clip clip) {
  double e = 0;
  for (int64_t p = 0; p < patches; ++p) {
    double d = clip(dot(v, x, p, dims)) - clip(dot(w, xRef, p, dims));
    e += d * d;
  }
  return e / double(patches);
}

TEST(Reconstruction, ClippedErrorEqualsDirectSum) {
  std::mt19937 rng(6);
  int64_t dims = 9, patches = 300;
  PatchSample ps;
  ps.dims = dims;
  ps.x = randomPatches(rng, dims, patches);
  ps.xRef = randomPatches(rng, dims, patches);
  std::vector<double> w = randomWeights(rng, dims + 1),
                      v = randomWeights(rng, dims + 1);
  Clip relu6{0.0, 6.0};
  EXPECT_NEAR(clippedError(ps, w, v, relu6),
              directClippedError(v, w, ps.x, ps.xRef, dims, patches, relu6),
              1e-4);
}

TEST(Reconstruction, ClippedRefinementWithoutClipChangesNothing) {
  std::mt19937 rng(7);
  int64_t dims = 8, patches = 200;
  PatchSample ps;
  ps.dims = dims;
  ps.x = ps.xRef = randomPatches(rng, dims, patches);
  std::vector<double> w = randomWeights(rng, dims + 1),
                      v = randomWeights(rng, dims + 1);
  std::vector<double> out =
      refineClipped(ps, w, v, std::vector<bool>(dims, false), Clip(), 0.01, 3);
  EXPECT_EQ(out, v);
}

TEST(Reconstruction, ClippedRefinementKeepsAnExactFit) {
  // Same inputs, nothing removed: the dense weights fit every patch, and
  // the patches left out are clipped alike; the refinement stays there.
  std::mt19937 rng(8);
  int64_t dims = 10, patches = 400;
  PatchSample ps;
  ps.dims = dims;
  ps.x = ps.xRef = randomPatches(rng, dims, patches);
  std::vector<double> w = randomWeights(rng, dims + 1);
  std::vector<double> out = refineClipped(
      ps, w, w, std::vector<bool>(dims, false), Clip{0.0, 3.0}, 0.01, 3);
  for (int64_t i = 0; i <= dims; ++i)
    EXPECT_NEAR(out[i], w[i], 1e-6);
}

TEST(Reconstruction, ClippedRefinementLowersTheClippedError) {
  // A ReLU layer whose inputs drift, one group pruned: starting from the
  // plain least-squares solution, fitting where the ReLU lets the error
  // through lowers the error after the ReLU, and the pruned coordinates
  // stay zero.
  int64_t dims = 16, patches = 2000;
  Clip relu{0.0, std::numeric_limits<double>::infinity()};
  for (unsigned seed = 10; seed < 15; ++seed) {
    std::mt19937 rng(seed);
    PatchSample ps;
    ps.dims = dims;
    ps.xRef = randomPatches(rng, dims, patches);
    ps.x = ps.xRef;
    std::normal_distribution<double> noise(0.0, 0.3);
    for (float &v : ps.x)
      v += float(noise(rng));
    std::vector<double> w = randomWeights(rng, dims + 1);
    w[dims] = -1.5; // Most outputs below zero: the ReLU clips often.
    Moments m(dims, /*withReference=*/true);
    m.add(ps.x, ps.xRef, patches);
    LayerSolver solver(m, Grouping{4, 4}, /*damping=*/0.01);
    FilterSolution plain = solver.prune(w, 1);
    std::vector<bool> zero(dims);
    for (int64_t k = 0; k < dims; ++k)
      zero[k] = plain.removed[k / 4];
    std::vector<double> refined =
        refineClipped(ps, w, plain.weights, zero, relu, 0.01, 3);
    for (int64_t k = 0; k < dims; ++k) {
      if (zero[k]) {
        EXPECT_EQ(refined[k], 0.0);
      }
    }
    double before = clippedError(ps, w, plain.weights, relu);
    double after = clippedError(ps, w, refined, relu);
    EXPECT_LT(after, before) << "seed " << seed;
  }
}

} // namespace
