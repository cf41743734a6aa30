//===- ModelInput.cpp - A model's input as data readers see it ------------===//

#include "tinyprune/Execution/ModelInput.h"

#include "tinyprune/Dialect/TinyPrune.h"

#include "mlir/Support/DebugStringHelper.h"
#include "llvm/Support/FormatVariadic.h"

using namespace mlir;
using namespace tinyprune;

namespace {
llvm::Error fail(const llvm::Twine &message) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), message);
}
} // namespace

llvm::Expected<data::InputSpec> tinyprune::getInputSpec(func::FuncOp func) {
  if (func.getNumArguments() != 1)
    return fail(llvm::formatv("@{0} takes {1} inputs; one is needed",
                              func.getSymName(), func.getNumArguments()));
  auto inType = dyn_cast<RankedTensorType>(func.getArgumentTypes()[0]);
  if (!inType || !inType.hasStaticShape())
    return fail("the model input is not a statically shaped tensor");
  data::InputSpec spec;
  spec.shape.assign(inType.getShape().begin(), inType.getShape().end());
  spec.typeName = debugString(inType);
  Type elt = inType.getElementType();
  spec.isFloat = elt.isF32();
  spec.isUnsigned = elt.isUnsignedInteger(8);
  if (!spec.isFloat && !elt.isSignlessInteger(8) && !spec.isUnsigned)
    return fail("int8, uint8 and float32 model inputs are supported, not " +
                spec.typeName);
  if (spec.shape.empty() || spec.shape[0] != 1)
    return fail("the model input " + spec.typeName +
                " has no leading batch dimension of 1");
  if (auto q = func.getArgAttrOfType<QuantAttr>(
          0, TinyPruneDialect::getQuantAttrName())) {
    if (q.isPerChannel())
      return fail("the model input is quantized per channel; one scale and "
                  "zero point are needed");
    spec.hasQuant = true;
    spec.scale = q.getScale()[0];
    spec.zeroPoint = static_cast<int32_t>(q.getZeroPoint()[0]);
  }
  return spec;
}
