//===- LstmQuant.h - The runtime view of a tinyprune.lstm -------*- C++ -*-===//
//
// Reads the shapes and quantization of a `tinyprune.lstm` into the struct
// the runtime's prepare function takes (rt/lstm.h), so that the verifier,
// the interpreter and the C++ lowering derive the kernel's integers in one
// way. Users need runtime/include on their include path.
//
//===----------------------------------------------------------------------===//

#ifndef TINYPRUNE_DIALECT_LSTMQUANT_H
#define TINYPRUNE_DIALECT_LSTMQUANT_H

#include "tinyprune/Dialect/TinyPrune.h"
#include "tinyprune/rt/lstm.h"

namespace tinyprune {

/// The quantization `op` prepares from. Shapes are read from the input and
/// the input-to-input weights, so the op must have verified shapes.
inline rt::LstmInt8Quant lstmQuant(LstmOp op) {
  rt::LstmInt8Quant q{};
  auto in = op.getInput().getType();
  bool timeMajor = op.getTimeMajor();
  q.batch = static_cast<int32_t>(in.getDimSize(timeMajor ? 1 : 0));
  q.time = static_cast<int32_t>(in.getDimSize(timeMajor ? 0 : 1));
  q.inputSize = static_cast<int32_t>(in.getDimSize(2));
  q.hidden =
      static_cast<int32_t>(op.getInputToInputWeights().getType().getDimSize(0));
  q.timeMajor = timeMajor;
  q.inputScale = op.getInputQuant().getScale()[0];
  q.inputZeroPoint = static_cast<int32_t>(op.getInputQuant().getZeroPoint()[0]);
  q.hiddenScale = op.getOutputQuant().getScale()[0];
  q.hiddenZeroPoint =
      static_cast<int32_t>(op.getOutputQuant().getZeroPoint()[0]);
  q.cellScale = op.getCellQuant().getScale()[0];
  for (auto [i, s] : llvm::enumerate(op.getWeightScales()))
    if (i < 8)
      q.weightScales[i] = s;
  q.cellClip = op.getCellClip().convertToFloat();
  return q;
}

} // namespace tinyprune

#endif // TINYPRUNE_DIALECT_LSTMQUANT_H
