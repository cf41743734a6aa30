//===- Reconstruction.h - Least-squares layer reconstruction ----*- C++ -*-===//
//
// The linear algebra behind data-aware pruning: a layer computes, for each
// output filter `o`, y_o = w_o . x over input patches x (for a convolution:
// its im2col patches, a constant 1 appended for the bias). Pruning fixes
// groups of w_o's coordinates (filterlets) at zero; the remaining
// coordinates are re-solved by least squares so that the pruned layer, fed
// by the pruned model's inputs x, reproduces the dense layer's outputs on
// the dense model's inputs x_ref:
//
//   minimise  sum over calibration patches of (v . x - w . x_ref)^2
//           = v' H v - 2 v' C w + w' R w,
//   H = sum x x',  C = sum x x_ref',  R = sum x_ref x_ref'.
//
// Groups are removed greedily by Optimal Brain Surgeon (Hassibi & Stork;
// group form as in SparseGPT, Frantar & Alistarh 2023): from the current
// optimum v over the free coordinates, removing group G and re-solving the
// rest raises the error by v_G' [(H^-1)_GG]^-1 v_G, and H^-1 and v update in
// closed form. The problem is regularised towards the dense weights:
// lambda |v - w|^2 with lambda = `damping` x the mean diagonal of H, so that
// without pruning (and with x = x_ref) the solution is exactly w.
//
//===----------------------------------------------------------------------===//

#ifndef TINYPRUNE_TRANSFORMS_RECONSTRUCTION_H
#define TINYPRUNE_TRANSFORMS_RECONSTRUCTION_H

#include "llvm/ADT/ArrayRef.h"

#include <cstdint>
#include <limits>
#include <vector>

namespace tinyprune {
namespace recon {

/// Second moments of a layer's inputs over calibration patches. Vectors
/// have `dims` coordinates followed by the constant 1 of the bias, so the
/// matrices are (dims + 1) x (dims + 1), row-major.
class Moments {
public:
  /// `withReference`: also accumulate C and R from separate reference
  /// inputs; otherwise the reference is the input itself (C = R = H).
  Moments(int64_t dims, bool withReference);

  int64_t dims() const { return numDims; }
  int64_t size() const { return numDims + 1; }
  int64_t count() const { return numPatches; }

  /// Adds `patches` patches: `x` holds them one after another, `dims`
  /// values each (the 1 is implicit); `xRef` likewise, or empty without a
  /// reference.
  void add(llvm::ArrayRef<float> x, llvm::ArrayRef<float> xRef,
           int64_t patches);
  /// Adds the patches of another accumulator (same shape).
  void merge(const Moments &other);

  /// H, C and R with their upper triangles filled (row-major).
  const std::vector<double> &h() const;
  const std::vector<double> &c() const;
  const std::vector<double> &r() const;

private:
  void finish() const;

  int64_t numDims;
  bool reference;
  int64_t numPatches = 0;
  mutable bool finished = true;
  mutable std::vector<double> hm, cm, rm;
};

/// How a filter's coordinates group: `groups` consecutive runs of
/// `groupSize` coordinates, then the bias coordinate (never removed).
struct Grouping {
  int64_t groupSize = 1;
  int64_t groups = 0;
  int64_t dims() const { return groupSize * groups; }
};

/// One filter's greedy removal sequence: `order[k]` is the k-th group
/// removed and `cost[k]` the increase of the squared reconstruction error
/// it causes (after re-solving the remaining coordinates).
struct RemovalPath {
  std::vector<int64_t> order;
  std::vector<double> cost;
};

/// The result of pruning and re-solving one filter.
struct FilterSolution {
  /// New weights, dims + 1 values (the last is the bias); removed groups
  /// are exactly zero.
  std::vector<double> weights;
  /// removed[g]: group g was pruned.
  std::vector<bool> removed;
  /// Squared reconstruction error of the dense weights with the removed
  /// groups zeroed and nothing re-solved, and of `weights`.
  double maskedError = 0, solvedError = 0;
};

/// Shared, read-only per-layer state for many filters: the damped inverse
/// of H and the product C.
class LayerSolver {
public:
  LayerSolver(const Moments &moments, Grouping grouping, double damping);

  const Grouping &grouping() const { return group; }
  /// The squared output of filter `w` on the reference inputs, w' R w.
  double outputEnergy(llvm::ArrayRef<double> w) const;

  /// Greedy removal of up to `steps` groups of filter `w` (dims + 1
  /// values), starting from the least-squares optimum over all groups.
  RemovalPath removalPath(llvm::ArrayRef<double> w, int64_t steps) const;

  /// Removes `count` groups of filter `w` greedily and returns the
  /// re-solved weights.
  FilterSolution prune(llvm::ArrayRef<double> w, int64_t count) const;

  /// The least-squares weights when exactly the groups in `removed` are
  /// zero (no greedy choice).
  FilterSolution solve(llvm::ArrayRef<double> w,
                       const std::vector<bool> &removed) const;

  /// Squared reconstruction error of weights `v` against dense `w`.
  double error(llvm::ArrayRef<double> v, llvm::ArrayRef<double> w) const;

private:
  /// The targets' weights: the optimum is hDamped^-1 (C + lambda) w.
  std::vector<double> target(llvm::ArrayRef<double> w) const;

  const Moments &m;
  Grouping group;
  double lambda = 0;
  /// H + lambda I and its inverse; (dims + 1)^2 row-major.
  std::vector<double> hDamped, hInverse;
};

/// The range a layer's activation clamps its outputs to (ReLU: [0, inf),
/// ReLU6: [0, 6], an int8 requantization: what the int8 range holds).
struct Clip {
  double lo = -std::numeric_limits<double>::infinity();
  double hi = std::numeric_limits<double>::infinity();
  bool clips() const {
    return lo > -std::numeric_limits<double>::infinity() ||
           hi < std::numeric_limits<double>::infinity();
  }
  double operator()(double y) const { return y < lo ? lo : y > hi ? hi : y; }
};

/// Calibration patches kept as they are: `x` (pruned model) and `xRef`
/// (dense model), `dims` floats per patch, one patch after another.
struct PatchSample {
  int64_t dims = 0;
  std::vector<float> x, xRef;
  int64_t count() const { return dims ? int64_t(x.size()) / dims : 0; }
};

/// Refines re-solved weights `v` of dense filter `w` (dims + 1 values, bias
/// last; coordinates where `zero` is set stay zero) for a layer whose
/// outputs are clipped: minimises
///   sum over patches of (clip(v . x) - clip(w . x_ref))^2
///     + lambda |v - w|^2 (over the free coordinates)
/// by `iterations` rounds of least squares on the patches where the loss is
/// not flat: a patch whose pruned and dense outputs are both clipped on the
/// same side is left out, and the targets are the clipped dense outputs.
/// lambda is `damping` x the mean diagonal of the round's Gram matrix (the
/// relative strength of LayerSolver's damping). The last round's weights
/// are returned; they are not checked against `v` (keeping the best by
/// clippedError on the sample was measured: no better on the fixtures).
/// Returns `v` unchanged when `clip` clips nothing or no patch is left.
std::vector<double> refineClipped(const PatchSample &patches,
                                  llvm::ArrayRef<double> w,
                                  llvm::ArrayRef<double> v,
                                  const std::vector<bool> &zero, Clip clip,
                                  double damping, int iterations);

/// The mean of (clip(v . x) - clip(w . x_ref))^2 over `patches`.
double clippedError(const PatchSample &patches, llvm::ArrayRef<double> w,
                    llvm::ArrayRef<double> v, Clip clip);

} // namespace recon
} // namespace tinyprune

#endif // TINYPRUNE_TRANSFORMS_RECONSTRUCTION_H
