//===- Probe.cpp - Observe intermediate values of a function --------------===//

#include "tinyprune/Execution/Probe.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "llvm/ADT/STLExtras.h"

using namespace mlir;
using namespace tinyprune;

FailureOr<std::unique_ptr<ValueProbe>>
ValueProbe::create(func::FuncOp func, ArrayRef<Value> values) {
  std::unique_ptr<ValueProbe> probe(new ValueProbe);
  probe->module = ModuleOp::create(func.getLoc());
  OpBuilder b(func.getContext());
  b.setInsertionPointToEnd(probe->module->getBody());
  IRMapping map;
  auto clone = cast<func::FuncOp>(b.clone(*func, map));

  SmallVector<Value> results;
  SmallVector<Type> resultTypes;
  for (Value v : values) {
    Value mapped = map.lookupOrNull(v);
    if (!mapped)
      return func.emitError("probe: value is not defined in the function");
    results.push_back(mapped);
    resultTypes.push_back(mapped.getType());
  }
  Block &entry = clone.getBody().front();
  Operation *ret = entry.getTerminator();
  ret->setOperands(results);
  clone.setFunctionType(FunctionType::get(
      func.getContext(), clone.getArgumentTypes(), resultTypes));
  clone.removeResAttrsAttr();
  // What the probed values do not depend on need not run.
  for (Operation &op : llvm::make_early_inc_range(llvm::reverse(entry)))
    if (&op != ret && isOpTriviallyDead(&op))
      op.erase();

  FailureOr<std::unique_ptr<PreparedFunction>> prepared =
      PreparedFunction::create(clone);
  if (failed(prepared))
    return failure();
  probe->prepared = std::move(*prepared);
  return probe;
}
