//===- TinyPruneDialect.cpp - tinyprune dialect ---------------------------===//
//
// Registers the dialect's ops and attributes and checks the discardable
// `tinyprune.quant` and `tinyprune.filterlets` attributes wherever they are
// attached.
//
//===----------------------------------------------------------------------===//

#include "tinyprune/Dialect/TinyPrune.h"

#include "tinyprune/Dialect/ArenaAttrs.h"

#include "mlir/IR/DialectImplementation.h"
#include "mlir/IR/Matchers.h"
#include "mlir/Interfaces/FunctionInterfaces.h"

using namespace mlir;
using namespace tinyprune;

#include "TinyPrune/TinyPruneDialect.cpp.inc"

void TinyPruneDialect::initialize() {
  addOperations<
#define GET_OP_LIST
#include "TinyPrune/TinyPruneOps.cpp.inc"
      >();
  registerAttributes();
}

/// Checks that `attr`, attached to a value of type `type`, is a
/// `#tinyprune.quant` that fits it: an integer tensor, and an axis that names
/// a dimension whose size equals the number of scales.
static LogicalResult verifyQuantFor(Attribute attr, Type type,
                                    function_ref<InFlightDiagnostic()> emit) {
  auto quant = dyn_cast<QuantAttr>(attr);
  if (!quant)
    return emit() << "'" << TinyPruneDialect::getQuantAttrName()
                  << "' must be a #tinyprune.quant attribute";
  auto tensorType = dyn_cast<RankedTensorType>(type);
  if (!tensorType || !tensorType.getElementType().isInteger())
    return emit() << "'" << TinyPruneDialect::getQuantAttrName()
                  << "' needs a ranked integer tensor, got " << type;
  if (!quant.isPerChannel())
    return success();
  int64_t axis = quant.getAxis();
  if (axis < 0 || axis >= tensorType.getRank())
    return emit() << "quantization axis " << axis << " is out of range for "
                  << type;
  if (tensorType.getDimSize(axis) != (int64_t)quant.getScale().size())
    return emit() << "quantization has " << quant.getScale().size()
                  << " scales but dimension " << axis << " of " << type
                  << " has size " << tensorType.getDimSize(axis);
  return success();
}

LogicalResult TinyPruneDialect::verifyOperationAttribute(Operation *op,
                                                         NamedAttribute attr) {
  if (attr.getName() == getFilterletsAttrName()) {
    auto filterlets = dyn_cast<FilterletsAttr>(attr.getValue());
    if (!filterlets)
      return op->emitError() << "'" << getFilterletsAttrName()
                             << "' must be a #tinyprune.filterlets attribute";
    if (op->getName().getStringRef() != "tosa.conv2d" ||
        op->getNumOperands() < 2)
      return op->emitError()
             << "'" << getFilterletsAttrName() << "' belongs on a tosa.conv2d";
    auto weightType = dyn_cast<RankedTensorType>(op->getOperand(1).getType());
    if (!weightType)
      return op->emitError() << "filterlets need a ranked weight";
    DenseElementsAttr weights;
    (void)matchPattern(op->getOperand(1), m_Constant(&weights));
    return filterlets.verifyFor(weightType, weights,
                                [&] { return op->emitError(); });
  }
  // The C++ lowering's arena plan (tinyprune/Dialect/ArenaAttrs.h).
  if (isArenaAttrName(attr.getName().strref()))
    return verifyArenaAttr(op, attr);
  if (attr.getName() != getQuantAttrName())
    return op->emitError() << "unknown tinyprune attribute '" << attr.getName()
                           << "'";
  if (op->getNumResults() != 1)
    return op->emitError() << "'" << getQuantAttrName()
                           << "' needs an op with one result";
  return verifyQuantFor(attr.getValue(), op->getResult(0).getType(),
                        [&] { return op->emitError(); });
}

LogicalResult TinyPruneDialect::verifyRegionArgAttribute(Operation *op,
                                                         unsigned region,
                                                         unsigned argIndex,
                                                         NamedAttribute attr) {
  if (attr.getName() != getQuantAttrName())
    return op->emitError() << "unknown tinyprune argument attribute '"
                           << attr.getName() << "'";
  Region &r = op->getRegion(region);
  if (r.empty() || argIndex >= r.getNumArguments())
    return success(); // External functions: nothing to check against.
  return verifyQuantFor(attr.getValue(), r.getArgument(argIndex).getType(),
                        [&] { return op->emitError(); });
}

LogicalResult TinyPruneDialect::verifyRegionResultAttribute(
    Operation *op, unsigned region, unsigned resultIndex, NamedAttribute attr) {
  if (attr.getName() != getQuantAttrName())
    return op->emitError() << "unknown tinyprune result attribute '"
                           << attr.getName() << "'";
  auto func = dyn_cast<FunctionOpInterface>(op);
  if (!func || resultIndex >= func.getNumResults())
    return success();
  return verifyQuantFor(attr.getValue(), func.getResultTypes()[resultIndex],
                        [&] { return op->emitError(); });
}

QuantAttr tinyprune::getResultQuant(Operation *op) {
  if (auto q =
          op->getAttrOfType<QuantAttr>(TinyPruneDialect::getQuantAttrName()))
    return q;
  // tinyprune ops carry their output quantization as part of their meaning.
  if (op->getName().getDialectNamespace() ==
      TinyPruneDialect::getDialectNamespace()) {
    if (auto q = op->getAttrOfType<QuantAttr>("output_quant"))
      return q;
    if (auto q = op->getAttrOfType<QuantAttr>("quant"))
      return q;
  }
  return {};
}

void tinyprune::setResultQuant(Operation *op, QuantAttr quant) {
  op->setAttr(TinyPruneDialect::getQuantAttrName(), quant);
}
