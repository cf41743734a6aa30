//===- TFLitePrepare.h - Rewrites of a subgraph before lowering -*- C++ -*-===//
//
// The op lowering in TFLiteImporter.cpp knows int8 and float32 models. The
// rewrites here bring other encodings of the same arithmetic into that form
// before any op is lowered, on a copy of the checked subgraph:
//  * affine uint8 tensors become the int8 tensors `q - 128` with zero point
//    `zp - 128` (TFLite's uint8 kernels compute on `q - zp`, which the shift
//    leaves unchanged), and are marked so that the model's inputs and
//    outputs keep their uint8 interface;
//  * FLOAT16 constants behind DEQUANTIZE become the float32 constants the
//    DEQUANTIZE computes (exact), and the DEQUANTIZE is dropped;
//  * int8 weights of float CONV_2D, DEPTHWISE_CONV_2D and FULLY_CONNECTED
//    (dynamic-range models) are dequantized to float32;
//  * SHAPE, and PACK, STRIDED_SLICE, GATHER and CONCATENATION of int32/int64
//    values known at import, are folded into constants and dropped.
//
//===----------------------------------------------------------------------===//

#ifndef TINYPRUNE_LIB_IMPORT_TFLITEPREPARE_H
#define TINYPRUNE_LIB_IMPORT_TFLITEPREPARE_H

#include "TFLiteModel.h"

#include <deque>

namespace tinyprune {
namespace tfl {

struct PreparedSubgraph {
  SubgraphInfo sg;
  /// Per tensor: it was an affine UINT8 tensor in the file.
  std::vector<bool> fromUInt8;
  /// The bytes of rewritten constants (`sg` points into them).
  std::deque<std::vector<uint8_t>> storage;
};

/// Rewrites `in` into `out` (see the file comment). Errors are one line,
/// prefixed with the operator they concern.
llvm::Error prepareSubgraph(const SubgraphInfo &in, PreparedSubgraph &out);

} // namespace tfl
} // namespace tinyprune

#endif // TINYPRUNE_LIB_IMPORT_TFLITEPREPARE_H
