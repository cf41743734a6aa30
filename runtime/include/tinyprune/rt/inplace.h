//===- inplace.h - Windowed layers computed over their own input -*- C++
//-*-===//
//
// A convolution or pooling layer whose input dies with it can write its
// output over that input, row by row, so the arena never holds both whole
// tensors. Output row r is computed into a small ring of rows and copied to
// its final place `delay` rows later, once no output row still to come reads
// the input rows it overwrites. The compiler chooses the smallest safe delay
// from the layer's geometry (see CppEmitter.cpp); the ring holds delay + 1
// rows and lives in the arena next to the tensor.
//
// Each output row is computed by the layer's ordinary kernel on the input
// rows its windows read (rowWindow), so results are exactly those of the
// whole-tensor call.
//
// Runs on the device: no heap, no exceptions, only memcpy.
//
//===----------------------------------------------------------------------===//

#ifndef TINYPRUNE_RT_INPLACE_H
#define TINYPRUNE_RT_INPLACE_H

#include <cstddef>
#include <cstdint>
#include <cstring>

namespace tinyprune {
namespace rt {

/// The input rows the windows of one output row read: `count` rows from
/// `first`, with `padTop` rows of padding above them. Passing these to a
/// kernel together with outH = 1 computes exactly that output row.
struct RowWindow {
  int32_t first, count, padTop;
};

/// Input rows of output row `r` of a layer with the given vertical stride,
/// top padding and window span ((kH - 1) * dilation + 1) over `inH` rows.
inline RowWindow rowWindow(int32_t r, int32_t stride, int32_t padTop,
                           int32_t span, int32_t inH) {
  const int32_t top = r * stride - padTop;
  RowWindow w;
  w.first = top < 0 ? 0 : top;
  int32_t end = top + span;
  end = end > inH ? inH : end;
  w.count = end > w.first ? end - w.first : 0;
  w.padTop = w.first - top;
  return w;
}

/// Computes `outRows` rows of `rowBytes` bytes each with `computeRow(r,
/// row)` and stores row r at `base + r * rowBytes`, `delay` rows after it
/// was computed. `ring` holds (delay + 1) * rowBytes bytes and must not
/// overlap `base`'s rows.
template <typename ComputeRow>
inline void streamRowsInPlace(int32_t outRows, int32_t rowBytes, int32_t delay,
                              void *ring, void *base, ComputeRow computeRow) {
  uint8_t *slots = static_cast<uint8_t *>(ring);
  uint8_t *dst = static_cast<uint8_t *>(base);
  const int32_t depth = delay + 1;
  for (int32_t r = 0; r < outRows + delay; ++r) {
    if (r < outRows)
      computeRow(r, static_cast<void *>(
                        slots + static_cast<ptrdiff_t>(r % depth) * rowBytes));
    const int32_t done = r - delay;
    if (done >= 0)
      std::memcpy(dst + static_cast<ptrdiff_t>(done) * rowBytes,
                  slots + static_cast<ptrdiff_t>(done % depth) * rowBytes,
                  static_cast<size_t>(rowBytes));
  }
}

} // namespace rt
} // namespace tinyprune

#endif // TINYPRUNE_RT_INPLACE_H
