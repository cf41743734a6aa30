//===- SparseConvDspTest.cpp - sparse_conv.h's DSP loops on the host ------===//
//
// SparseConvTest with the sparse kernels' Cortex-M DSP code paths compiled
// in (TINYPRUNE_RT_SPARSE_EMULATE_DSP): the window buffer in SMLAD lanes (SXTAB16)
// and the SXTB16/SMLAD dot products over blocks of pixels, with the three ACLE intrinsics they use
// defined here after the Arm architecture manual. The dense reference
// kernels of conv.h keep their portable loops. test/mcu/sparse-conv.test
// runs the real instructions on Cortex-M4 and M7.
//
//===----------------------------------------------------------------------===//

#include <cstdint>

namespace {

int16_t lowByte(uint32_t v, int shift) {
  return static_cast<int16_t>(static_cast<int8_t>((v >> shift) & 0xFF));
}

} // namespace

/// SXTB16: bytes 0 and 2 of `v`, sign-extended into the two halfwords.
inline int32_t __sxtb16(int32_t v) {
  const uint32_t u = static_cast<uint32_t>(v);
  return static_cast<int32_t>(
      (static_cast<uint32_t>(static_cast<uint16_t>(lowByte(u, 0)))) |
      (static_cast<uint32_t>(static_cast<uint16_t>(lowByte(u, 16))) << 16));
}

/// SXTAB16: `a` plus bytes 0 and 2 of `v` sign-extended, per halfword.
inline int32_t __sxtab16(int32_t a, int32_t v) {
  const uint32_t u = static_cast<uint32_t>(v), ua = static_cast<uint32_t>(a);
  const uint32_t lo = (ua + static_cast<uint32_t>(lowByte(u, 0))) & 0xFFFFu;
  const uint32_t hi = ((ua >> 16) + static_cast<uint32_t>(lowByte(u, 16))) &
                      0xFFFFu;
  return static_cast<int32_t>(lo | (hi << 16));
}

/// SMLAD: `acc` plus the products of the two halfword pairs (wrapping).
inline int32_t __smlad(int32_t a, int32_t b, int32_t acc) {
  const auto half = [](int32_t v, int hi) {
    return static_cast<int32_t>(
        static_cast<int16_t>(static_cast<uint32_t>(v) >> (hi ? 16 : 0)));
  };
  return static_cast<int32_t>(static_cast<uint32_t>(acc) +
                              static_cast<uint32_t>(half(a, 0) * half(b, 0)) +
                              static_cast<uint32_t>(half(a, 1) * half(b, 1)));
}

#define TINYPRUNE_RT_SPARSE_EMULATE_DSP 1
#include "SparseConvTest.cpp"

static_assert(TINYPRUNE_RT_SPARSE_DSP == 1,
              "the DSP paths must be compiled in this test");
