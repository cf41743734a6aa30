//===- TinyPrune.h - tinyprune dialect --------------------------*- C++ -*-===//
//
// Public header of the tinyprune dialect: the dialect, its `#tinyprune.quant`
// attribute and its operations.
//
//===----------------------------------------------------------------------===//

#ifndef TINYPRUNE_DIALECT_TINYPRUNE_H
#define TINYPRUNE_DIALECT_TINYPRUNE_H

#include "mlir/Bytecode/BytecodeOpInterface.h"
#include "mlir/Dialect/Traits.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Dialect.h"
#include "mlir/IR/OpDefinition.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

#include "TinyPrune/TinyPruneDialect.h.inc"

#define GET_ATTRDEF_CLASSES
#include "TinyPrune/TinyPruneAttrs.h.inc"

#define GET_OP_CLASSES
#include "TinyPrune/TinyPruneOps.h.inc"

namespace tinyprune {

/// The quantization of `op`'s single result, if any: its `tinyprune.quant`
/// attribute, or for tinyprune ops their own output quantization.
QuantAttr getResultQuant(mlir::Operation *op);

/// Attaches `quant` to `op` under the name `tinyprune.quant`.
void setResultQuant(mlir::Operation *op, QuantAttr quant);

/// Bytes per stored filterlet id of a sparse layer with `idsPerFilter`
/// filterlets per filter (the C++ lowering's storage, rt/sparse_conv.h):
/// uint8_t up to 256, uint16_t up to 65536, else uint32_t.
inline int64_t filterletIdBytes(int64_t idsPerFilter) {
  return idsPerFilter <= 0x100 ? 1 : idsPerFilter <= 0x10000 ? 2 : 4;
}

/// Bytes per row pointer of a sparse layer keeping `keptFilterlets`:
/// uint16_t where the count fits, else uint32_t.
inline int64_t filterletRowBytes(int64_t keptFilterlets) {
  return keptFilterlets <= 0xFFFF ? 2 : 4;
}

} // namespace tinyprune

#endif // TINYPRUNE_DIALECT_TINYPRUNE_H
