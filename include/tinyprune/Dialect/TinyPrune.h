//===- TinyPrune.h - tinyprune dialect --------------------------*- C++ -*-===//
//
// Public header of the tinyprune dialect: the dialect, its `#tinyprune.quant`
// attribute and its operations.
//
//===----------------------------------------------------------------------===//

#ifndef TINYPRUNE_DIALECT_TINYPRUNE_H
#define TINYPRUNE_DIALECT_TINYPRUNE_H

#include "mlir/Bytecode/BytecodeOpInterface.h"
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

} // namespace tinyprune

#endif // TINYPRUNE_DIALECT_TINYPRUNE_H
