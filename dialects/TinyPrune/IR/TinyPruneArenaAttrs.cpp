//===- TinyPruneArenaAttrs.cpp - Arena plan attribute verifier ------------===//
//
// Verifies the arena plan attributes of the C++ lowering
// (tinyprune/Dialect/ArenaAttrs.h): each is checked for its form, and a
// buffer against the result it holds and the function's arena size, so
// that hand-edited or stale plans fail with one line, not in the printer.
//
//===----------------------------------------------------------------------===//

#include "tinyprune/Dialect/ArenaAttrs.h"

#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/BuiltinTypes.h"

using namespace mlir;
using namespace tinyprune;

bool tinyprune::isArenaAttrName(StringRef name) {
  return name == kArenaAttr || name == kOutputAttr || name == kInPlaceAttr ||
         name == kStreamRowsAttr || name == kScratchAttr ||
         name == kFuseRowsAttr || name == kArenaSizeAttr ||
         name == kArenaLivePeakAttr;
}

/// The non-negative i64 field `field` of `dict`, or failure (reported).
static FailureOr<int64_t> field(Operation *op, StringRef attrName,
                                DictionaryAttr dict, StringRef field) {
  auto v = dict.getAs<IntegerAttr>(field);
  if (!v || !v.getType().isInteger(64) || v.getInt() < 0)
    return op->emitOpError()
           << "'" << attrName << "' needs a non-negative i64 '" << field << "'";
  return v.getInt();
}

/// The arena size of the function holding `op`, or -1 when it has none.
static int64_t arenaSizeAround(Operation *op) {
  for (Operation *p = op->getParentOp(); p; p = p->getParentOp())
    if (auto size = p->getAttrOfType<IntegerAttr>(kArenaSizeAttr))
      return size.getInt();
  return -1;
}

/// Checks that [offset, offset + bytes) lies in the arena around `op`.
static LogicalResult checkInArena(Operation *op, StringRef attrName,
                                  int64_t offset, int64_t bytes) {
  int64_t size = arenaSizeAround(op);
  if (size >= 0 && offset + bytes > size)
    return op->emitOpError()
           << "'" << attrName << "' [" << offset << ", " << offset + bytes
           << ") exceeds the arena of " << size << " bytes";
  return success();
}

LogicalResult tinyprune::verifyArenaAttr(Operation *op, NamedAttribute attr) {
  StringRef name = attr.getName().strref();
  if (name == kArenaSizeAttr || name == kArenaLivePeakAttr) {
    auto v = dyn_cast<IntegerAttr>(attr.getValue());
    if (!v || !v.getType().isInteger(64) || v.getInt() < 0)
      return op->emitOpError() << "'" << name << "' must be a non-negative i64";
    if (op->getNumRegions() == 0)
      return op->emitOpError() << "'" << name << "' belongs on a function";
    return success();
  }
  if (name == kInPlaceAttr) {
    if (!isa<UnitAttr>(attr.getValue()))
      return op->emitOpError() << "'" << name << "' is a unit attribute";
    if (!op->hasAttr(kArenaAttr))
      return op->emitOpError()
             << "'" << name << "' needs '" << kArenaAttr << "'";
    return success();
  }
  auto dict = dyn_cast<DictionaryAttr>(attr.getValue());
  if (!dict)
    return op->emitOpError() << "'" << name << "' must be a dictionary";
  if (name == kStreamRowsAttr) {
    FailureOr<int64_t> at = field(op, name, dict, "ring_offset");
    FailureOr<int64_t> bytes = field(op, name, dict, "ring_bytes");
    if (failed(at) || failed(bytes) || failed(field(op, name, dict, "delay")))
      return failure();
    if (!op->hasAttr(kArenaAttr) || !op->hasAttr(kInPlaceAttr))
      return op->emitOpError() << "'" << name << "' needs '" << kArenaAttr
                               << "' and '" << kInPlaceAttr << "'";
    return checkInArena(op, name, *at, *bytes);
  }
  if (name == kFuseRowsAttr) {
    FailureOr<int64_t> chunk = field(op, name, dict, "chunk");
    FailureOr<int64_t> window = field(op, name, dict, "window_offset");
    FailureOr<int64_t> windowBytes = field(op, name, dict, "window_bytes");
    FailureOr<int64_t> block = field(op, name, dict, "block_offset");
    FailureOr<int64_t> blockBytes = field(op, name, dict, "block_bytes");
    if (failed(chunk) || failed(window) || failed(windowBytes) ||
        failed(block) || failed(blockBytes))
      return failure();
    if (*chunk < 1)
      return op->emitOpError() << "'" << name << "' needs a positive 'chunk'";
    if (failed(checkInArena(op, name, *window, *windowBytes)))
      return failure();
    return checkInArena(op, name, *block, *blockBytes);
  }
  if (name == kScratchAttr) {
    FailureOr<int64_t> at = field(op, name, dict, "offset");
    FailureOr<int64_t> bytes = field(op, name, dict, "bytes");
    if (failed(at) || failed(bytes))
      return failure();
    return checkInArena(op, name, *at, *bytes);
  }
  // tinyprune.arena and tinyprune.output: a buffer holding the result.
  FailureOr<int64_t> at = field(op, name, dict, "offset");
  FailureOr<int64_t> bytes = field(op, name, dict, "bytes");
  if (failed(at) || failed(bytes))
    return failure();
  if (op->getNumResults() != 1)
    return op->emitOpError() << "'" << name << "' needs an op with one result";
  auto type = dyn_cast<RankedTensorType>(op->getResult(0).getType());
  if (type && type.hasStaticShape() && type.getElementType().isIntOrFloat()) {
    int64_t size = type.getNumElements() *
                   std::max<int64_t>(1, type.getElementTypeBitWidth() / 8);
    if (size != *bytes)
      return op->emitOpError()
             << "'" << name << "' holds " << *bytes << " bytes but the result "
             << type << " has " << size;
  }
  if (name == kArenaAttr)
    return checkInArena(op, name, *at, *bytes);
  if (op->hasAttr(kArenaAttr))
    return op->emitOpError()
           << "has both '" << kArenaAttr << "' and '" << kOutputAttr << "'";
  return success();
}
