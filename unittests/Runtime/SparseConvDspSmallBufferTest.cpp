//===- SparseConvDspSmallBufferTest.cpp - DSP loops, 256-byte buffer ------===//
//
// SparseConvDspTest with the sparse int8 kernel's window buffer cut to 256
// bytes (TINYPRUNE_RT_SPARSE_WINDOW_BYTES): most random windows then go
// through the buffer in several segments of filterlets, regrouped filters
// (block lengths not divisible by four) in passes of few channels, and the
// windows neither fits straight from the input, so every path of the DSP
// kernel meets every geometry of the random tests.
//
//===----------------------------------------------------------------------===//

#define TINYPRUNE_RT_SPARSE_WINDOW_BYTES 256
#include "SparseConvDspTest.cpp"

static_assert(tinyprune::rt::sparse_detail::kWindowWords == 64,
              "the small buffer must be in effect");
