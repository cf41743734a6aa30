//===- TFLiteLstm.cpp - UNIDIRECTIONAL_SEQUENCE_LSTM import ---------------===//
//
// TFLite Micro runs the integer LSTM only in its "standard" form (the Keras
// layer): 24 operands, of which the peephole (9-11), projection (16-17) and
// layer-norm (20-23) ones are absent, an input gate present (no CIFG), the
// hidden (18) and cell (19) states variable tensors. The "8x8->16" kernel
// takes int8 input, weights and hidden state, int32 biases and an int16
// cell state. Everything else is refused here, naming what is missing.
// The intermediate tensors the converter attaches (gate scales for the
// layer-norm variant, an effective hidden scale for projection) are not
// read by TFLite Micro's kernel and not by this import either.
//
//===----------------------------------------------------------------------===//

#include "TFLiteLstm.h"

#include "tinyprune/Dialect/LstmQuant.h"
#include "tinyprune/Dialect/TinyPrune.h"

#include "llvm/ADT/SmallVector.h"

using namespace mlir;
using namespace tinyprune;
using namespace tinyprune::tfl;

namespace {

/// TFLite's operand indices (lstm_shared.h).
enum : unsigned {
  kInput = 0,
  kInputToInputWeights = 1,
  kCellToInputWeights = 9,
  kInputGateBias = 12,
  kProjectionWeights = 16,
  kHiddenState = 18,
  kCellState = 19,
  kInputLayerNorm = 20,
};

struct LstmConverter {
  const LstmImport &in;

  bool present(unsigned i) const {
    return i < in.op.inputs.size() && in.op.inputs[i] >= 0;
  }
  const TensorInfo &tensor(unsigned i) const {
    return in.sg.tensors[in.op.inputs[i]];
  }

  /// Fails unless operands [first, last] are all absent.
  LogicalResult absent(unsigned first, unsigned last, StringRef feature) {
    for (unsigned i = first; i <= last; ++i)
      if (present(i))
        return in.error() << feature << " (operand " << i << "): not supported";
    return success();
  }

  /// The per-tensor quantization of operand `i`, of type `type`.
  FailureOr<QuantParams> quant(unsigned i, tflite::TensorType type,
                               StringRef role) {
    const TensorInfo &t = tensor(i);
    if (t.type != type) {
      in.error() << role << " '" << t.name << "' is "
                 << tflite::EnumNameTensorType(t.type) << " (the int8 LSTM "
                 << "needs " << tflite::EnumNameTensorType(type) << ")";
      return failure();
    }
    if (!t.quant) {
      in.error() << role << " '" << t.name << "' has no quantization";
      return failure();
    }
    if (t.quant->isPerChannel()) {
      in.error() << role << " '" << t.name
                 << "' is quantized per channel (TFLite Micro's LSTM takes "
                    "per-tensor scales)";
      return failure();
    }
    return *t.quant;
  }

  FailureOr<Value> convert();
};

} // namespace

FailureOr<Value> LstmConverter::convert() {
  const OpInfo &op = in.op;
  unsigned n = op.inputs.size();
  if (n != 20 && n != 24)
    return in.error() << "expects 20 or 24 inputs, got " << n;
  if (op.outputs.size() != 1)
    return in.error() << "expects 1 output, got " << op.outputs.size();

  // Options (missing options read as defaults: no activation, no clip).
  const tflite::Operator *raw = op.op;
  const auto *opts =
      raw->builtin_options_as<tflite::UnidirectionalSequenceLSTMOptions>();
  if (!opts && raw->builtin_options_type() != tflite::BuiltinOptions::NONE)
    return in.error() << "carries "
                      << tflite::EnumNameBuiltinOptions(
                             raw->builtin_options_type())
                      << ", not UnidirectionalSequenceLSTMOptions";
  auto act = opts ? opts->fused_activation_function()
                  : tflite::ActivationFunctionType::NONE;
  if (act != tflite::ActivationFunctionType::TANH)
    return in.error() << "cell activation "
                      << tflite::EnumNameActivationFunctionType(act)
                      << " is not supported (TANH is)";
  if (opts && opts->diagonal_recurrent_tensors())
    return in.error() << "diagonal recurrent weights are not supported";
  float cellClip = opts ? opts->cell_clip() : 0.0f;
  if (!(cellClip >= 0.0f))
    return in.error() << "cell_clip " << cellClip << " is negative";
  bool timeMajor = opts && opts->time_major();

  // The input decides the flavour.
  if (!present(kInput))
    return in.error() << "input 0 is missing";
  tflite::TensorType inType = tensor(kInput).type;
  if (inType == tflite::TensorType::FLOAT32)
    return in.error() << "float LSTM is not supported (int8 is)";
  if (inType == tflite::TensorType::INT16)
    return in.error() << "16x8 LSTM (int16 activations) is not supported "
                         "(int8 is)";

  // Variants TFLite Micro does not run either.
  if (!present(kInputToInputWeights))
    return in.error() << "CIFG (coupled input and forget gates, no input "
                         "gate weights) is not supported";
  if (failed(absent(kCellToInputWeights, kCellToInputWeights + 2,
                    "peephole connections")) ||
      failed(
          absent(kProjectionWeights, kProjectionWeights + 1, "projection")) ||
      failed(absent(kInputLayerNorm, n - 1, "layer normalization")))
    return failure();
  for (unsigned i = 1; i <= 8; ++i)
    if (!present(i))
      return in.error() << "weights operand " << i << " is missing";
  for (unsigned i = kInputGateBias; i < kInputGateBias + 4; ++i)
    if (!present(i))
      return in.error() << "gate bias operand " << i << " is missing";
  for (unsigned i : {kHiddenState, kCellState}) {
    if (!present(i))
      return in.error() << "state operand " << i << " is missing";
    if (!tensor(i).isVariable)
      return in.error() << "state '" << tensor(i).name
                        << "' is not a variable tensor";
  }

  // Shapes.
  const TensorInfo &x = tensor(kInput);
  if (x.shape.size() != 3)
    return in.error() << "input must have rank 3, got " << x.shape.size();
  int64_t batch = x.shape[timeMajor ? 1 : 0];
  int64_t inputs = x.shape[2];
  const TensorInfo &w0 = tensor(kInputToInputWeights);
  if (w0.shape.size() != 2)
    return in.error() << "weights must have rank 2";
  int64_t hidden = w0.shape[0];
  for (unsigned i = 1; i <= 8; ++i) {
    SmallVector<int64_t, 2> shape = {hidden, i <= 4 ? inputs : hidden};
    if (ArrayRef<int64_t>(tensor(i).shape) != ArrayRef<int64_t>(shape))
      return in.error() << "weight tensor '" << tensor(i).name
                        << "' must have shape [" << shape[0] << ", " << shape[1]
                        << "]";
  }
  for (unsigned i = kInputGateBias; i < kInputGateBias + 4; ++i)
    if (ArrayRef<int64_t>(tensor(i).shape) != ArrayRef<int64_t>(hidden))
      return in.error() << "gate bias '" << tensor(i).name
                        << "' must have shape [" << hidden << "]";
  if (tensor(kHiddenState).numElements() != batch * hidden ||
      tensor(kCellState).numElements() != batch * hidden)
    return in.error() << "state tensors must hold " << batch * hidden
                      << " elements (batch x hidden)";
  const TensorInfo &y = in.sg.tensors[op.outputs[0]];
  SmallVector<int64_t, 3> outShape = {x.shape[0], x.shape[1], hidden};
  if (ArrayRef<int64_t>(y.shape) != ArrayRef<int64_t>(outShape))
    return in.error() << "output must have shape [" << outShape[0] << ", "
                      << outShape[1] << ", " << outShape[2] << "]";

  // Quantization: int8 input and hidden state (the output is the hidden
  // state, byte for byte), int16 cell state, symmetric int8 weights.
  FailureOr<QuantParams> qIn = quant(kInput, tflite::TensorType::INT8, "input");
  FailureOr<QuantParams> qHidden =
      quant(kHiddenState, tflite::TensorType::INT8, "hidden state");
  FailureOr<QuantParams> qCell =
      quant(kCellState, tflite::TensorType::INT16, "cell state");
  if (failed(qIn) || failed(qHidden) || failed(qCell))
    return failure();
  if (y.type != tflite::TensorType::INT8 || !y.quant ||
      y.quant->scale != qHidden->scale ||
      y.quant->zeroPoint != qHidden->zeroPoint)
    return in.error() << "output '" << y.name << "' must be int8 with the "
                      << "hidden state's quantization (TFLite Micro copies "
                         "the hidden state to it)";
  if (qCell->zeroPoint[0] != 0)
    return in.error() << "cell state zero point must be 0";
  SmallVector<float, 8> weightScales;
  for (unsigned i = 1; i <= 8; ++i) {
    FailureOr<QuantParams> q =
        quant(i, tflite::TensorType::INT8, "weight tensor");
    if (failed(q))
      return failure();
    if (q->zeroPoint[0] != 0)
      return in.error() << "weight tensor '" << tensor(i).name
                        << "' has zero point " << q->zeroPoint[0]
                        << " (int8 weights are symmetric)";
    if (!tensor(i).isConstant)
      return in.error() << "weight tensor '" << tensor(i).name
                        << "' is not constant";
    weightScales.push_back(q->scale[0]);
  }
  for (unsigned i = kInputGateBias; i < kInputGateBias + 4; ++i) {
    const TensorInfo &t = tensor(i);
    if (t.type != tflite::TensorType::INT32 || !t.isConstant)
      return in.error() << "gate bias '" << t.name
                        << "' must be a constant INT32 tensor";
  }

  SmallVector<Value, 13> operands;
  for (unsigned i = 0; i <= 8; ++i) {
    FailureOr<Value> v = in.input(i);
    if (failed(v))
      return failure();
    operands.push_back(*v);
  }
  for (unsigned i = kInputGateBias; i < kInputGateBias + 4; ++i) {
    FailureOr<Value> v = in.input(i);
    if (failed(v))
      return failure();
    operands.push_back(*v);
  }

  MLIRContext *ctx = in.b.getContext();
  auto q = [&](const QuantParams &p) {
    return QuantAttr::get(ctx, p.scale, p.zeroPoint, -1);
  };
  auto type = RankedTensorType::get(outShape, in.b.getIntegerType(8));
  auto lstm = LstmOp::create(
      in.b, in.loc, type, operands[0], operands[1], operands[2], operands[3],
      operands[4], operands[5], operands[6], operands[7], operands[8],
      operands[9], operands[10], operands[11], operands[12], q(*qIn),
      q(*qHidden), q(*qCell), in.b.getDenseF32ArrayAttr(weightScales),
      in.b.getF32FloatAttr(cellClip), in.b.getBoolAttr(timeMajor));
  // What the verifier would refuse later (a cell scale that is not a power
  // of two, ...) is an import error naming the operator.
  if (const char *problem = rt::lstmInt8Problem(lstmQuant(lstm))) {
    lstm.erase();
    return in.error() << problem;
  }
  return lstm.getResult();
}

FailureOr<Value> tfl::importLstm(const LstmImport &in) {
  LstmConverter c{in};
  return c.convert();
}
