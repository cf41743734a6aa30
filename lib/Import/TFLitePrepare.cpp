//===- TFLitePrepare.cpp - Rewrites of a subgraph before lowering ---------===//
//
// See TFLitePrepare.h.
//
//===----------------------------------------------------------------------===//

#include "TFLitePrepare.h"

using namespace tinyprune;
using namespace tinyprune::tfl;

/// Affine uint8 -> int8: `q - 128` is `q ^ 0x80` on the byte, and the zero
/// point moves by the same 128, so `q - zp` (all TFLite's uint8 kernels
/// compute with) is unchanged. Unquantized uint8 tensors (raw bytes, e.g.
/// before a CAST) stay UINT8, which the lowering rejects.
static void uint8ToInt8(PreparedSubgraph &p) {
  p.fromUInt8.assign(p.sg.tensors.size(), false);
  for (auto [idx, t] : llvm::enumerate(p.sg.tensors)) {
    if (t.type != tflite::TensorType::UINT8 || !t.quant)
      continue;
    t.type = tflite::TensorType::INT8;
    for (int64_t &zp : t.quant->zeroPoint)
      zp -= 128;
    if (t.isConstant) {
      std::vector<uint8_t> &bytes = p.storage.emplace_back(t.data.size());
      for (size_t k = 0; k < t.data.size(); ++k)
        bytes[k] = t.data[k] ^ 0x80;
      t.data = bytes;
    }
    p.fromUInt8[idx] = true;
  }
}

llvm::Error tfl::prepareSubgraph(const SubgraphInfo &in,
                                 PreparedSubgraph &out) {
  out.sg = in;
  out.storage.clear();
  uint8ToInt8(out);
  return llvm::Error::success();
}
