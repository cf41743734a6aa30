//===- Reconstruction.cpp - Least-squares layer reconstruction ------------===//
//
// Dense linear algebra with Eigen: symmetric rank updates for the moments,
// Cholesky factorisations for the inverse and the final solves.
//
//===----------------------------------------------------------------------===//

#include "tinyprune/Transforms/Reconstruction.h"

#include <Eigen/Dense>

#include <cassert>
#include <limits>

using namespace tinyprune::recon;

namespace {
using Matrix =
    Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
using Vector = Eigen::VectorXd;
using MatrixMap = Eigen::Map<Matrix>;
using ConstMatrixMap = Eigen::Map<const Matrix>;
using ConstVectorMap = Eigen::Map<const Vector>;

/// `patches` patches of `dims` floats, one after another, as the columns of
/// a (dims + 1) x patches matrix whose last row is 1.
Eigen::MatrixXd augmented(llvm::ArrayRef<float> x, int64_t dims,
                          int64_t patches) {
  Eigen::MatrixXd a(dims + 1, patches);
  a.topRows(dims) =
      Eigen::Map<const Eigen::MatrixXf>(x.data(), dims, patches).cast<double>();
  a.row(dims).setOnes();
  return a;
}

/// Mirrors the upper triangle of square `m` into its lower one.
void symmetrize(std::vector<double> &m, int64_t n) {
  MatrixMap a(m.data(), n, n);
  a.triangularView<Eigen::StrictlyLower>() = a.transpose();
}
} // namespace

//===----------------------------------------------------------------------===//
// Moments
//===----------------------------------------------------------------------===//

Moments::Moments(int64_t dims, bool withReference)
    : numDims(dims), reference(withReference) {
  int64_t n = dims + 1;
  hm.assign(n * n, 0.0);
  if (reference) {
    cm.assign(n * n, 0.0);
    rm.assign(n * n, 0.0);
  }
}

void Moments::add(llvm::ArrayRef<float> x, llvm::ArrayRef<float> xRef,
                  int64_t patches) {
  assert(int64_t(x.size()) == patches * numDims && "patch count mismatch");
  assert((!reference || xRef.size() == x.size()) && "reference mismatch");
  if (patches == 0)
    return;
  int64_t n = size();
  Eigen::MatrixXd a = augmented(x, numDims, patches);
  MatrixMap(hm.data(), n, n).selfadjointView<Eigen::Upper>().rankUpdate(a);
  if (reference) {
    Eigen::MatrixXd b = augmented(xRef, numDims, patches);
    MatrixMap(cm.data(), n, n).noalias() += a * b.transpose();
    MatrixMap(rm.data(), n, n).selfadjointView<Eigen::Upper>().rankUpdate(b);
  }
  numPatches += patches;
  finished = false;
}

void Moments::merge(const Moments &other) {
  assert(other.numDims == numDims && other.reference == reference);
  auto addTo = [](std::vector<double> &to, const std::vector<double> &from) {
    for (size_t i = 0; i < to.size(); ++i)
      to[i] += from[i];
  };
  // Both are upper-triangular (or both full) only if both are finished or
  // both not; finishing first makes them full.
  finish();
  other.finish();
  addTo(hm, other.hm);
  if (reference) {
    addTo(cm, other.cm);
    addTo(rm, other.rm);
  }
  numPatches += other.numPatches;
}

void Moments::finish() const {
  if (finished)
    return;
  int64_t n = size();
  // rankUpdate wrote the upper triangles; a full matrix is symmetric, so
  // mirroring again is harmless.
  symmetrize(hm, n);
  if (reference)
    symmetrize(rm, n);
  finished = true;
}

const std::vector<double> &Moments::h() const {
  finish();
  return hm;
}
const std::vector<double> &Moments::c() const {
  finish();
  return reference ? cm : hm;
}
const std::vector<double> &Moments::r() const {
  finish();
  return reference ? rm : hm;
}

//===----------------------------------------------------------------------===//
// LayerSolver
//===----------------------------------------------------------------------===//

LayerSolver::LayerSolver(const Moments &moments, Grouping grouping,
                         double damping)
    : m(moments), group(grouping) {
  assert(grouping.dims() == moments.dims() && "grouping does not cover dims");
  int64_t n = m.size();
  ConstMatrixMap h(m.h().data(), n, n);
  double meanDiag =
      m.dims() > 0 ? h.diagonal().head(m.dims()).mean() : double(m.count());
  lambda = damping * meanDiag;
  if (!(lambda > 0))
    lambda = 1e-8; // All-zero inputs: keep H invertible.
  hDamped.resize(n * n);
  MatrixMap hd(hDamped.data(), n, n);
  hd = h;
  hd.diagonal().array() += lambda;
  hInverse.resize(n * n);
  MatrixMap(hInverse.data(), n, n) = hd.llt().solve(Matrix::Identity(n, n));
}

std::vector<double> LayerSolver::target(llvm::ArrayRef<double> w) const {
  int64_t n = m.size();
  ConstVectorMap wv(w.data(), n);
  Vector g = ConstMatrixMap(m.c().data(), n, n) * wv + lambda * wv;
  return std::vector<double>(g.data(), g.data() + n);
}

double LayerSolver::outputEnergy(llvm::ArrayRef<double> w) const {
  int64_t n = m.size();
  ConstVectorMap wv(w.data(), n);
  return wv.dot(ConstMatrixMap(m.r().data(), n, n) * wv);
}

double LayerSolver::error(llvm::ArrayRef<double> v,
                          llvm::ArrayRef<double> w) const {
  int64_t n = m.size();
  ConstVectorMap vv(v.data(), n), wv(w.data(), n);
  double e = vv.dot(ConstMatrixMap(m.h().data(), n, n) * vv) -
             2.0 * vv.dot(ConstMatrixMap(m.c().data(), n, n) * wv) +
             outputEnergy(w);
  return std::max(e, 0.0); // Rounding can dip below the exact zero.
}

namespace {
/// Greedy OBS state of one filter: the optimum over the free coordinates
/// and the inverse of the damped H restricted to them (zero elsewhere).
struct Greedy {
  Vector v;
  Matrix hInv;
  std::vector<bool> removed;
  int64_t groupSize;

  /// Error increase of removing group `g`, and the factor needed to do it.
  double cost(int64_t g, Eigen::LLT<Matrix> &block) const {
    int64_t s = g * groupSize;
    block.compute(hInv.block(s, s, groupSize, groupSize));
    if (block.info() != Eigen::Success)
      return std::numeric_limits<double>::infinity();
    Vector vg = v.segment(s, groupSize);
    return vg.dot(block.solve(vg));
  }

  /// Removes the cheapest group not yet removed; returns it and its cost.
  std::pair<int64_t, double> removeBest() {
    int64_t best = -1;
    double bestCost = std::numeric_limits<double>::infinity();
    Eigen::LLT<Matrix> block;
    for (int64_t g = 0; g < int64_t(removed.size()); ++g) {
      if (removed[g])
        continue;
      double c = cost(g, block);
      if (best < 0 || c < bestCost) {
        best = g;
        bestCost = c;
      }
    }
    assert(best >= 0 && "no group left to remove");
    int64_t s = best * groupSize;
    cost(best, block);
    if (block.info() == Eigen::Success) {
      // v -= S M v_G and hInv -= S M S' with S = hInv[:, G], M = block^-1.
      Matrix sCols = hInv.middleCols(s, groupSize);
      Matrix mSt = block.solve(sCols.transpose());
      v.noalias() -= mSt.transpose() * v.segment(s, groupSize);
      hInv.noalias() -= sCols * mSt;
    }
    v.segment(s, groupSize).setZero();
    hInv.middleRows(s, groupSize).setZero();
    hInv.middleCols(s, groupSize).setZero();
    removed[best] = true;
    return {best, std::max(bestCost, 0.0)};
  }
};
} // namespace

RemovalPath LayerSolver::removalPath(llvm::ArrayRef<double> w,
                                     int64_t steps) const {
  int64_t n = m.size();
  std::vector<double> g = target(w);
  ConstMatrixMap hInv(hInverse.data(), n, n);
  Greedy state{hInv * ConstVectorMap(g.data(), n), hInv,
               std::vector<bool>(group.groups, false), group.groupSize};
  RemovalPath path;
  steps = std::min(steps, group.groups);
  for (int64_t k = 0; k < steps; ++k) {
    auto [removedGroup, cost] = state.removeBest();
    path.order.push_back(removedGroup);
    path.cost.push_back(cost);
  }
  return path;
}

FilterSolution LayerSolver::prune(llvm::ArrayRef<double> w,
                                  int64_t count) const {
  RemovalPath path = removalPath(w, count);
  std::vector<bool> removed(group.groups, false);
  for (int64_t g : path.order)
    removed[g] = true;
  return solve(w, removed);
}

FilterSolution LayerSolver::solve(llvm::ArrayRef<double> w,
                                  const std::vector<bool> &removed) const {
  int64_t n = m.size();
  assert(int64_t(w.size()) == n && int64_t(removed.size()) == group.groups);
  std::vector<int64_t> kept;
  for (int64_t g = 0; g < group.groups; ++g)
    if (!removed[g])
      for (int64_t k = 0; k < group.groupSize; ++k)
        kept.push_back(g * group.groupSize + k);
  kept.push_back(n - 1); // The bias.

  std::vector<double> g = target(w);
  int64_t k = kept.size();
  Matrix hk(k, k);
  Vector gk(k);
  ConstMatrixMap hd(hDamped.data(), n, n);
  for (int64_t i = 0; i < k; ++i) {
    gk[i] = g[kept[i]];
    for (int64_t j = 0; j < k; ++j)
      hk(i, j) = hd(kept[i], kept[j]);
  }
  Vector vk = hk.llt().solve(gk);

  FilterSolution out;
  out.removed = removed;
  out.weights.assign(n, 0.0);
  for (int64_t i = 0; i < k; ++i)
    out.weights[kept[i]] = vk[i];
  std::vector<double> masked(w.begin(), w.end());
  for (int64_t gi = 0; gi < group.groups; ++gi)
    if (removed[gi])
      for (int64_t j = 0; j < group.groupSize; ++j)
        masked[gi * group.groupSize + j] = 0.0;
  out.maskedError = error(masked, w);
  out.solvedError = error(out.weights, w);
  return out;
}

//===----------------------------------------------------------------------===//
// Clipped refinement
//===----------------------------------------------------------------------===//

namespace {
/// Outputs `v . x` (bias last) of every patch in `x`.
Vector outputsOf(llvm::ArrayRef<float> x, int64_t dims, int64_t count,
                 llvm::ArrayRef<double> v) {
  Eigen::Map<const Eigen::MatrixXf> xs(x.data(), dims, count);
  Eigen::VectorXf head = ConstVectorMap(v.data(), dims).cast<float>();
  Vector y = (xs.transpose() * head).cast<double>();
  y.array() += v[dims];
  return y;
}
} // namespace

double tinyprune::recon::clippedError(const PatchSample &patches,
                                      llvm::ArrayRef<double> w,
                                      llvm::ArrayRef<double> v, Clip clip) {
  int64_t n = patches.count(), dims = patches.dims;
  if (n == 0)
    return 0;
  Vector y = outputsOf(patches.x, dims, n, v);
  Vector t = outputsOf(patches.xRef, dims, n, w);
  double sum = 0;
  for (int64_t p = 0; p < n; ++p) {
    double d = clip(y[p]) - clip(t[p]);
    sum += d * d;
  }
  return sum / double(n);
}

std::vector<double> tinyprune::recon::refineClipped(
    const PatchSample &patches, llvm::ArrayRef<double> w,
    llvm::ArrayRef<double> v, const std::vector<bool> &zero, Clip clip,
    double damping, int iterations) {
  int64_t n = patches.count(), dims = patches.dims;
  assert(int64_t(w.size()) == dims + 1 && int64_t(v.size()) == dims + 1 &&
         int64_t(zero.size()) == dims && "size mismatch");
  std::vector<double> out(v.begin(), v.end());
  if (!clip.clips() || n == 0)
    return out;
  std::vector<int64_t> kept;
  for (int64_t k = 0; k < dims; ++k)
    if (!zero[k])
      kept.push_back(k);
  int64_t k = kept.size();
  Eigen::Map<const Eigen::MatrixXf> xs(patches.x.data(), dims, n);
  // The targets: the dense outputs, clipped.
  Vector t = outputsOf(patches.xRef, dims, n, w);
  for (int64_t p = 0; p < n; ++p)
    t[p] = clip(t[p]);
  for (int it = 0; it < iterations; ++it) {
    Vector y = outputsOf(patches.x, dims, n, out);
    // Patches where the loss is not flat: not both clipped on one side.
    std::vector<int64_t> active;
    for (int64_t p = 0; p < n; ++p) {
      bool low = y[p] <= clip.lo && t[p] <= clip.lo;
      bool high = y[p] >= clip.hi && t[p] >= clip.hi;
      if (!low && !high)
        active.push_back(p);
    }
    int64_t m = active.size();
    if (m == 0)
      break;
    // A: the free coordinates of the active patches, and the constant 1.
    Eigen::MatrixXd a(k + 1, m);
    Vector target(m);
    for (int64_t j = 0; j < m; ++j) {
      for (int64_t i = 0; i < k; ++i)
        a(i, j) = xs(kept[i], active[j]);
      a(k, j) = 1.0;
      target[j] = t[active[j]];
    }
    Eigen::MatrixXd h = Eigen::MatrixXd::Zero(k + 1, k + 1);
    h.selfadjointView<Eigen::Lower>().rankUpdate(a);
    h.triangularView<Eigen::StrictlyUpper>() = h.transpose();
    double meanDiag = k > 0 ? h.diagonal().head(k).mean() : double(m);
    double lambda = damping * meanDiag;
    if (!(lambda > 0))
      lambda = 1e-8;
    Vector wk(k + 1);
    for (int64_t i = 0; i < k; ++i)
      wk[i] = w[kept[i]];
    wk[k] = w[dims];
    Vector g = a * target + lambda * wk;
    h.diagonal().array() += lambda;
    Eigen::LLT<Eigen::MatrixXd> llt(h);
    if (llt.info() != Eigen::Success)
      break;
    Vector sol = llt.solve(g);
    std::fill(out.begin(), out.end(), 0.0);
    for (int64_t i = 0; i < k; ++i)
      out[kept[i]] = sol[i];
    out[dims] = sol[k];
  }
  return out;
}
