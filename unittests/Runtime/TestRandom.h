//===- TestRandom.h - Seeded random numbers for kernel tests ----*- C++ -*-===//

#ifndef TINYPRUNE_UNITTESTS_RUNTIME_TESTRANDOM_H
#define TINYPRUNE_UNITTESTS_RUNTIME_TESTRANDOM_H

#include <cstdint>
#include <random>

namespace tinyprune {
namespace testing {

/// Deterministic integers and reals in closed ranges.
class Random {
public:
  explicit Random(uint32_t seed) : rng_(seed) {}
  int32_t operator()(int32_t lo, int32_t hi) {
    return std::uniform_int_distribution<int32_t>(lo, hi)(rng_);
  }
  float real(float lo, float hi) {
    return std::uniform_real_distribution<float>(lo, hi)(rng_);
  }

private:
  std::mt19937 rng_;
};

} // namespace testing
} // namespace tinyprune

#endif // TINYPRUNE_UNITTESTS_RUNTIME_TESTRANDOM_H
