//===- data_movement.h - Copy, slice, pad, transpose, concat ----*- C++ -*-===//
//
// Element-type-agnostic data movement on row-major tensors of rank <= 6:
// the kernels behind TFLite's RESHAPE (a copy when it cannot be a view),
// STRIDED_SLICE (contiguous part), PAD, TRANSPOSE and CONCATENATION, plus
// the element-wise clamp of a standalone RELU. Elements are moved as bytes
// (`elementBytes` each), so one implementation serves int8, int32 and
// float. These ops are rare and cheap next to convolutions: the loops favour
// clarity over speed, copying the innermost contiguous run with memcpy.
//
// Runs on the device: no heap, no exceptions, only memcpy.
//
//===----------------------------------------------------------------------===//

#ifndef TINYPRUNE_RT_DATA_MOVEMENT_H
#define TINYPRUNE_RT_DATA_MOVEMENT_H

#include <cstddef>
#include <cstdint>
#include <cstring>

namespace tinyprune {
namespace rt {

/// Largest rank the data-movement kernels accept.
constexpr int32_t kMaxMoveRank = 6;

namespace detail {

/// Row-major element strides of `shape`.
inline void stridesOf(int32_t rank, const int32_t *shape, ptrdiff_t *strides) {
  ptrdiff_t s = 1;
  for (int32_t d = rank - 1; d >= 0; --d) {
    strides[d] = s;
    s *= shape[d];
  }
}

/// Number of elements of `shape`.
inline ptrdiff_t countOf(int32_t rank, const int32_t *shape) {
  ptrdiff_t n = 1;
  for (int32_t d = 0; d < rank; ++d)
    n *= shape[d];
  return n;
}

} // namespace detail

/// Copies `bytes` bytes.
inline void copyBytes(int32_t bytes, const void *in, void *out) {
  std::memcpy(out, in, static_cast<size_t>(bytes));
}

/// out = in[start[0] : start[0] + outShape[0], ...]: a contiguous slice.
inline void sliceCopy(int32_t elementBytes, int32_t rank,
                      const int32_t *inShape, const int32_t *start,
                      const int32_t *outShape, const void *in, void *out) {
  ptrdiff_t inStrides[kMaxMoveRank], outStrides[kMaxMoveRank];
  detail::stridesOf(rank, inShape, inStrides);
  detail::stridesOf(rank, outShape, outStrides);
  const int32_t inner = rank > 0 ? outShape[rank - 1] : 1;
  const ptrdiff_t rows = detail::countOf(rank, outShape) / (inner ? inner : 1);
  const auto *src = static_cast<const uint8_t *>(in);
  auto *dst = static_cast<uint8_t *>(out);
  for (ptrdiff_t r = 0; r < rows; ++r) {
    // Position of this output row in the input.
    ptrdiff_t rem = r * inner, offset = 0;
    for (int32_t d = 0; d < rank; ++d) {
      const ptrdiff_t idx = rem / outStrides[d];
      rem %= outStrides[d];
      offset += (idx + start[d]) * inStrides[d];
    }
    std::memcpy(dst + r * inner * elementBytes, src + offset * elementBytes,
                static_cast<size_t>(inner) * elementBytes);
  }
}

/// Pads `in` with `padBefore[d]` elements before each dimension d (the
/// output shape gives the rest) filled with the element at `padValue`.
inline void padCopy(int32_t elementBytes, int32_t rank, const int32_t *inShape,
                    const int32_t *padBefore, const int32_t *outShape,
                    const void *padValue, const void *in, void *out) {
  const ptrdiff_t outCount = detail::countOf(rank, outShape);
  auto *dst = static_cast<uint8_t *>(out);
  for (ptrdiff_t k = 0; k < outCount; ++k)
    std::memcpy(dst + k * elementBytes, padValue,
                static_cast<size_t>(elementBytes));
  ptrdiff_t inStrides[kMaxMoveRank], outStrides[kMaxMoveRank];
  detail::stridesOf(rank, inShape, inStrides);
  detail::stridesOf(rank, outShape, outStrides);
  const int32_t inner = rank > 0 ? inShape[rank - 1] : 1;
  const ptrdiff_t rows = detail::countOf(rank, inShape) / (inner ? inner : 1);
  const auto *src = static_cast<const uint8_t *>(in);
  for (ptrdiff_t r = 0; r < rows; ++r) {
    ptrdiff_t rem = r * inner, offset = 0;
    for (int32_t d = 0; d < rank; ++d) {
      const ptrdiff_t idx = rem / inStrides[d];
      rem %= inStrides[d];
      offset += (idx + padBefore[d]) * outStrides[d];
    }
    std::memcpy(dst + offset * elementBytes, src + r * inner * elementBytes,
                static_cast<size_t>(inner) * elementBytes);
  }
}

/// out[i0, ..., in] = in[i_perm^-1...]: output dimension d is input
/// dimension perm[d].
inline void transposeCopy(int32_t elementBytes, int32_t rank,
                          const int32_t *inShape, const int32_t *perm,
                          const void *in, void *out) {
  int32_t outShape[kMaxMoveRank];
  for (int32_t d = 0; d < rank; ++d)
    outShape[d] = inShape[perm[d]];
  ptrdiff_t inStrides[kMaxMoveRank], outStrides[kMaxMoveRank];
  detail::stridesOf(rank, inShape, inStrides);
  detail::stridesOf(rank, outShape, outStrides);
  const ptrdiff_t count = detail::countOf(rank, outShape);
  const auto *src = static_cast<const uint8_t *>(in);
  auto *dst = static_cast<uint8_t *>(out);
  for (ptrdiff_t k = 0; k < count; ++k) {
    ptrdiff_t rem = k, offset = 0;
    for (int32_t d = 0; d < rank; ++d) {
      const ptrdiff_t idx = rem / outStrides[d];
      rem %= outStrides[d];
      offset += idx * inStrides[perm[d]];
    }
    std::memcpy(dst + k * elementBytes, src + offset * elementBytes,
                static_cast<size_t>(elementBytes));
  }
}

/// Concatenates `count` tensors along `axis`. All have `outShape` except
/// along `axis`, where input i has `axisSizes[i]`.
inline void concatCopy(int32_t elementBytes, int32_t rank,
                       const int32_t *outShape, int32_t axis, int32_t count,
                       const int32_t *axisSizes, const void *const *inputs,
                       void *out) {
  // Everything after `axis` is one contiguous block per outer index.
  ptrdiff_t outer = 1, innerPerUnit = 1;
  for (int32_t d = 0; d < axis; ++d)
    outer *= outShape[d];
  for (int32_t d = axis + 1; d < rank; ++d)
    innerPerUnit *= outShape[d];
  auto *dst = static_cast<uint8_t *>(out);
  for (ptrdiff_t o = 0; o < outer; ++o) {
    for (int32_t i = 0; i < count; ++i) {
      const size_t block =
          static_cast<size_t>(axisSizes[i] * innerPerUnit * elementBytes);
      std::memcpy(dst, static_cast<const uint8_t *>(inputs[i]) + o * block,
                  block);
      dst += block;
    }
  }
}

/// out = clamp(in, lo, hi) element-wise (a standalone RELU/RELU6).
inline void clampInt8(int32_t size, const int8_t *in, int32_t lo, int32_t hi,
                      int8_t *out) {
  for (int32_t i = 0; i < size; ++i)
    out[i] = static_cast<int8_t>(in[i] < lo ? lo : (in[i] > hi ? hi : in[i]));
}

inline void clampFloat(int32_t size, const float *in, float lo, float hi,
                       float *out) {
  for (int32_t i = 0; i < size; ++i)
    out[i] = in[i] < lo ? lo : (in[i] > hi ? hi : in[i]);
}

} // namespace rt
} // namespace tinyprune

#endif // TINYPRUNE_RT_DATA_MOVEMENT_H
