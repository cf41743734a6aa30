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

/// Input rows of output rows [r, r + n) of a layer with the given vertical
/// stride, top padding and window span ((kH - 1) * dilation + 1) over `inH`
/// rows.
inline RowWindow rowsWindow(int32_t r, int32_t n, int32_t stride,
                            int32_t padTop, int32_t span, int32_t inH) {
  const int32_t top = r * stride - padTop;
  RowWindow w;
  w.first = top < 0 ? 0 : top;
  int32_t end = (r + n - 1) * stride - padTop + span;
  end = end > inH ? inH : end;
  w.count = end > w.first ? end - w.first : 0;
  w.padTop = w.first - top;
  return w;
}

/// Input rows of output row `r` (rowsWindow of one row).
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

/// Two layers fused row by row (a row-fused chain, see the compiler's
/// PlanArena.cpp): the first layer's output (`midRows` rows of
/// `midRowBytes`) never exists whole, only as the window of rows the second
/// layer's next `chunk` output rows read. For each chunk of output rows
/// [r, r + n) of the second layer, whose windows span `span` rows with the
/// given stride and top padding, `computeMid(m, count, rows)` computes
/// first-layer rows [m, m + count) into `rows` (the window's free tail),
/// then `computeOut(r, n, w, rows)` computes the output rows from the
/// window `w` of first-layer rows starting at `rows`. Rows the next chunk
/// still reads move to the window's front (memmove) instead of being
/// recomputed, so every first-layer row is computed once. `window` holds
/// the largest `w.count` rows of a chunk.
template <typename ComputeMid, typename ComputeOut>
inline void streamRowPair(int32_t outRows, int32_t chunk, int32_t midRows,
                          int32_t midRowBytes, int32_t stride, int32_t padTop,
                          int32_t span, void *window, ComputeMid computeMid,
                          ComputeOut computeOut) {
  uint8_t *slots = static_cast<uint8_t *>(window);
  // The window holds first-layer rows [base, base + have).
  int32_t base = 0, have = 0;
  for (int32_t r = 0; r < outRows; r += chunk) {
    const int32_t n = outRows - r < chunk ? outRows - r : chunk;
    const RowWindow w = rowsWindow(r, n, stride, padTop, span, midRows);
    if (w.first > base) {
      const int32_t keep = base + have > w.first ? base + have - w.first : 0;
      if (keep > 0)
        std::memmove(
            slots, slots + static_cast<ptrdiff_t>(w.first - base) * midRowBytes,
            static_cast<size_t>(keep) * midRowBytes);
      base = w.first;
      have = keep;
    }
    const int32_t end = w.first + w.count;
    if (base + have < end) {
      computeMid(base + have, end - base - have,
                 slots + static_cast<ptrdiff_t>(have) * midRowBytes);
      have = end - base;
    }
    computeOut(r, n, w,
               slots + static_cast<ptrdiff_t>(w.first - base) * midRowBytes);
  }
}

} // namespace rt
} // namespace tinyprune

#endif // TINYPRUNE_RT_INPLACE_H
