//===- Interpreter.cpp - Run a module in the compiler ---------------------===//
//
// A direct interpreter of the TOSA and tinyprune ops the importer produces.
// Each TOSA op is executed exactly as the TOSA specification defines it
// (integer accumulation without rounding, rescale by apply_scale_32 with
// DOUBLE_ROUND, saturation to the result type); tinyprune ops call the
// runtime's TFLite-exact kernels (RuntimeOps.cpp), and layer ops compute
// exactly what the TOSA chains they were raised from compute (LayerOps.cpp).
// Nothing else is fused: this is the reference that optimized, fused
// generated code must match byte for byte.
//
// Integers are held widened to int64 and floats as float, so that every op
// can be written once per element kind; results are narrowed (saturated
// where the spec saturates) to their declared type.
//
//===----------------------------------------------------------------------===//

#include "tinyprune/Execution/Interpreter.h"

#include "Kernels.h"

#include "tinyprune/Dialect/TinyPrune.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Tosa/IR/TosaOps.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/TypeSwitch.h"

#include <cmath>
#include <cstring>

using namespace mlir;
using namespace tinyprune;

namespace {

using exec::applyScale32;
using exec::saturateBits;
using exec::stridesOf;
using exec::Tensor;
using exec::wrapBits;

/// An empty tensor of `type`, zero-filled.
static Tensor makeTensor(Type type) {
  auto t = cast<RankedTensorType>(type);
  Tensor r;
  r.shape.assign(t.getShape().begin(), t.getShape().end());
  r.elementType = t.getElementType();
  if (r.isFloat())
    r.f.assign(r.numElements(), 0.0f);
  else
    r.i.assign(r.numElements(), 0);
  return r;
}

/// Saturates `v` to the range of integer type `t`.
static int64_t saturate(int64_t v, Type t) {
  return saturateBits(v, t.getIntOrFloatBitWidth());
}

/// Wraps `v` to integer type `t`.
static int64_t wrap(int64_t v, Type t) {
  return wrapBits(v, t.getIntOrFloatBitWidth());
}

/// What a PreparedFunction shares between runs and threads: its decoded
/// constants and the ops left to execute.
struct Prepared {
  func::FuncOp func;
  DenseMap<Value, Tensor> constants;
  DenseMap<Value, SmallVector<int64_t>> shapes;
  /// The entry block's ops that are not constants, without the terminator.
  std::vector<Operation *> ops;
};

class Interpreter {
public:
  explicit Interpreter(const Prepared &prepared) : prepared(prepared) {}

  /// Decodes the constants of `prepared.func` into `prepared`.
  static LogicalResult prepare(Prepared &prepared);

  LogicalResult run(ArrayRef<ArrayRef<uint8_t>> inputs,
                    std::vector<std::vector<uint8_t>> &outputs);

private:
  LogicalResult execute(Operation *op);
  const Tensor &get(Value v) {
    auto it = values.find(v);
    if (it != values.end())
      return it->second;
    return prepared.constants.find(v)->second;
  }
  ArrayRef<int64_t> shapeOf(Value v) { return prepared.shapes.find(v)->second; }
  /// A zero-filled tensor for `v`, reusing the storage `v` had in the
  /// previous run.
  Tensor newTensor(Value v) { return recycle(v, /*zeroFill=*/true); }
  /// A tensor for `v` with the storage `v` had in the previous run; without
  /// `zeroFill`, for ops that write every element, its elements are stale.
  Tensor recycle(Value v, bool zeroFill);
  /// The single element of a one-element integer tensor (zero points).
  int64_t scalar(Value v) { return get(v).i.at(0); }
  float scalarF(Value v) { return get(v).f.at(0); }

  LogicalResult conv2d(Operation *op, Value in, Value w, Value bias, Value inZp,
                       Value wZp, ArrayRef<int64_t> pad,
                       ArrayRef<int64_t> stride, ArrayRef<int64_t> dilation,
                       bool depthwise);
  LogicalResult rescale(tosa::RescaleOp op);
  LogicalResult binary(Operation *op,
                       llvm::function_ref<int64_t(int64_t, int64_t)> fi,
                       llvm::function_ref<float(float, float)> ff);
  LogicalResult pool(Operation *op, Value in, ArrayRef<int64_t> kernel,
                     ArrayRef<int64_t> stride, ArrayRef<int64_t> pad,
                     bool isMax);
  LogicalResult tinypruneOp(Operation *op);
  LogicalResult layerOp(Operation *op);

  const Prepared &prepared;
  /// This run's tensors; kept across runs for their storage.
  DenseMap<Value, Tensor> values;
  /// Scratch buffers of the convolutions.
  exec::ConvScratch scratch;
};

} // namespace

/// Why `type` cannot be a raw argument or result, or an empty string.
static std::string rawTypeProblem(Type type) {
  auto t = dyn_cast<RankedTensorType>(type);
  if (!t)
    return "is not a ranked tensor";
  if (!t.hasStaticShape())
    return "has a dynamic shape";
  Type e = t.getElementType();
  if (e.isF32())
    return "";
  if (auto i = dyn_cast<IntegerType>(e))
    if (llvm::is_contained({8u, 16u, 32u, 64u}, i.getWidth()))
      return "";
  return "has elements of a type raw buffers do not carry (i8, i16, i32, "
         "i64 and f32 do)";
}

int64_t tinyprune::rawByteSize(Type type) {
  if (!rawTypeProblem(type).empty())
    return -1;
  auto t = cast<RankedTensorType>(type);
  unsigned bits = t.getElementType().getIntOrFloatBitWidth();
  return t.getNumElements() * std::max<unsigned>(1, bits / 8);
}

LogicalResult tinyprune::checkRawSignature(func::FuncOp func) {
  auto check = [&](StringRef what, unsigned i, Type type) -> LogicalResult {
    std::string problem = rawTypeProblem(type);
    if (problem.empty())
      return success();
    return func.emitError() << what << " " << i << " of @" << func.getName()
                            << " (" << type << ") " << problem;
  };
  for (auto [i, type] : llvm::enumerate(func.getArgumentTypes()))
    if (failed(check("argument", i, type)))
      return failure();
  for (auto [i, type] : llvm::enumerate(func.getResultTypes()))
    if (failed(check("result", i, type)))
      return failure();
  return success();
}

//===----------------------------------------------------------------------===//
// Raw buffers
//===----------------------------------------------------------------------===//

/// Decodes little-endian raw bytes into `t` (shaped and typed already).
static void decodeInto(Tensor &t, ArrayRef<uint8_t> bytes) {
  unsigned bits = t.elementType.getIntOrFloatBitWidth();
  int64_t n = t.numElements();
  const uint8_t *p = bytes.data();
  for (int64_t k = 0; k < n; ++k) {
    if (t.isFloat()) {
      std::memcpy(&t.f[k], p + 4 * k, 4);
    } else if (bits <= 8) {
      t.i[k] = bits == 1 || t.elementType.isUnsignedInteger()
                   ? (bits == 1 ? p[k] != 0 : p[k])
                   : static_cast<int8_t>(p[k]);
    } else if (bits == 16) {
      int16_t v;
      std::memcpy(&v, p + 2 * k, 2);
      t.i[k] = v;
    } else if (bits == 32) {
      int32_t v;
      std::memcpy(&v, p + 4 * k, 4);
      t.i[k] = v;
    } else {
      std::memcpy(&t.i[k], p + 8 * k, 8);
    }
  }
}

/// Encodes `t` as little-endian raw bytes of its element type into `out`.
static void encodeInto(const Tensor &t, std::vector<uint8_t> &out) {
  unsigned bits = t.elementType.getIntOrFloatBitWidth();
  unsigned size = std::max(1u, bits / 8);
  int64_t n = t.numElements();
  out.resize(n * size);
  for (int64_t k = 0; k < n; ++k) {
    if (t.isFloat()) {
      std::memcpy(&out[4 * k], &t.f[k], 4);
    } else {
      int64_t v = t.i[k];
      std::memcpy(&out[size * k], &v, size); // little-endian host
    }
  }
}

Tensor Interpreter::recycle(Value v, bool zeroFill) {
  Tensor t;
  auto it = values.find(v);
  if (it != values.end())
    t = std::move(it->second);
  auto type = cast<RankedTensorType>(v.getType());
  t.shape.assign(type.getShape().begin(), type.getShape().end());
  t.elementType = type.getElementType();
  int64_t n = t.numElements();
  if (t.isFloat()) {
    if (zeroFill)
      t.f.assign(n, 0.0f);
    else
      t.f.resize(n);
    t.i.clear();
  } else {
    if (zeroFill)
      t.i.assign(n, 0);
    else
      t.i.resize(n);
    t.f.clear();
  }
  return t;
}

//===----------------------------------------------------------------------===//
// Ops
//===----------------------------------------------------------------------===//

/// Decodes a constant op's values.
static FailureOr<Tensor> decodeConstant(tosa::ConstOp op) {
  auto attr = dyn_cast<DenseElementsAttr>(op.getValues());
  if (!attr) {
    op.emitOpError() << "interpreter needs dense constant values";
    return failure();
  }
  Tensor t = makeTensor(op.getType());
  if (t.isFloat()) {
    int64_t k = 0;
    for (APFloat v : attr.getValues<APFloat>())
      t.f[k++] = v.convertToFloat();
  } else if (t.elementType.isInteger(1)) {
    int64_t k = 0;
    for (bool v : attr.getValues<bool>())
      t.i[k++] = v;
  } else {
    int64_t k = 0;
    bool isUnsigned = t.elementType.isUnsignedInteger();
    for (const APInt &v : attr.getValues<APInt>())
      t.i[k++] = isUnsigned ? int64_t(v.getZExtValue()) : v.getSExtValue();
  }
  return t;
}

LogicalResult Interpreter::conv2d(Operation *op, Value inV, Value wV,
                                  Value biasV, Value inZpV, Value wZpV,
                                  ArrayRef<int64_t> pad,
                                  ArrayRef<int64_t> stride,
                                  ArrayRef<int64_t> dilation, bool depthwise) {
  const Tensor &in = get(inV);
  Tensor out = recycle(op->getResult(0), /*zeroFill=*/false); // all written
  bool isFloat = in.isFloat();
  exec::convolve(in, get(wV), get(biasV), isFloat ? 0 : scalar(inZpV),
                 isFloat ? 0 : scalar(wZpV), pad, stride, dilation, depthwise,
                 out, scratch);
  values[op->getResult(0)] = std::move(out);
  return success();
}

LogicalResult Interpreter::rescale(tosa::RescaleOp op) {
  // Unsigned operands are `ui8`/`ui16` values (decoded zero-extended); the
  // flags must agree with the types.
  if (op.getInputUnsigned() !=
          getElementTypeOrSelf(op.getInput()).isUnsignedInteger() ||
      op.getOutputUnsigned() !=
          getElementTypeOrSelf(op.getOutput()).isUnsignedInteger())
    return op.emitOpError() << "interpreter needs input_unsigned and "
                               "output_unsigned to match unsigned types";
  if (!op.getScale32())
    return op.emitOpError() << "interpreter supports only scale32 rescale";
  bool doubleRound = op.getRoundingMode() == tosa::RoundingMode::DOUBLE_ROUND;
  if (!doubleRound && op.getRoundingMode() != tosa::RoundingMode::SINGLE_ROUND)
    return op.emitOpError() << "interpreter does not support this rounding";
  const Tensor &in = get(op.getInput());
  const Tensor &mult = get(op.getMultiplier()), &shift = get(op.getShift());
  int64_t inZp = scalar(op.getInputZp()), outZp = scalar(op.getOutputZp());
  Tensor out = recycle(op.getResult(), /*zeroFill=*/false);
  int64_t channels = out.shape.empty() ? 1 : out.shape.back();
  if (!op.getPerChannel())
    channels = 1;
  unsigned bits = out.elementType.getIntOrFloatBitWidth();
  bool outUnsigned = op.getOutputUnsigned();
  int64_t lo = outUnsigned ? 0 : saturateBits(INT64_MIN, bits),
          hi = outUnsigned ? (int64_t(1) << bits) - 1
                           : saturateBits(INT64_MAX, bits);
  int64_t e = out.numElements();
  // With inputs of at most 32 bits, small zero points and multipliers and
  // shifts in TOSA's ranges, value * multiplier + rounding stays below 2^63:
  // the 64-bit computation is exact and equals applyScale32's.
  unsigned inBits = in.elementType.getIntOrFloatBitWidth();
  bool fits = inBits <= 32 && inZp >= -(1 << 16) && inZp <= (1 << 16);
  for (int64_t c = 0; c < channels && fits; ++c)
    fits = mult.i[c] >= INT32_MIN && mult.i[c] <= INT32_MAX &&
           shift.i[c] >= 2 && shift.i[c] <= 62;
  if (!fits) {
    for (int64_t k = 0; k < e; k += channels)
      for (int64_t c = 0; c < channels && k + c < e; ++c) {
        int64_t v = applyScale32(in.i[k + c] - inZp, mult.i[c], shift.i[c],
                                 doubleRound) +
                    outZp;
        out.i[k + c] = std::min(std::max(v, lo), hi);
      }
    values[op.getResult()] = std::move(out);
    return success();
  }
  // Per channel: the rounding term and DOUBLE_ROUND's extra 2^30.
  SmallVector<int64_t, 64> round(channels), extra(channels);
  for (int64_t c = 0; c < channels; ++c) {
    round[c] = int64_t(1) << (shift.i[c] - 1);
    extra[c] = doubleRound && shift.i[c] > 31 ? int64_t(1) << 30 : 0;
  }
  for (int64_t k = 0; k < e; k += channels)
    for (int64_t c = 0; c < channels && k + c < e; ++c) {
      int64_t value = in.i[k + c] - inZp;
      int64_t r = round[c] + (value >= 0 ? extra[c] : -extra[c]);
      int64_t v = ((value * mult.i[c] + r) >> shift.i[c]) + outZp;
      out.i[k + c] = std::min(std::max(v, lo), hi);
    }
  values[op.getResult()] = std::move(out);
  return success();
}

LogicalResult
Interpreter::binary(Operation *op,
                    llvm::function_ref<int64_t(int64_t, int64_t)> fi,
                    llvm::function_ref<float(float, float)> ff) {
  const Tensor &a = get(op->getOperand(0)), &b = get(op->getOperand(1));
  Tensor out = recycle(op->getResult(0), /*zeroFill=*/false); // all written
  size_t rank = out.shape.size();
  if (a.shape.size() != rank || b.shape.size() != rank)
    return op->emitOpError() << "interpreter needs equal-rank operands";
  bool inFloat = a.isFloat();
  unsigned bits = out.isFloat() ? 0 : out.elementType.getIntOrFloatBitWidth();
  auto apply = [&](int64_t k, int64_t ia, int64_t ib) {
    if (out.isFloat())
      out.f[k] = ff(a.f[ia], b.f[ib]);
    else if (inFloat) // comparisons of floats yield i1
      out.i[k] = ff(a.f[ia], b.f[ib]) != 0.0f;
    else
      out.i[k] = wrapBits(fi(a.i[ia], b.i[ib]), bits);
  };
  exec::forEachBroadcast(a.shape, b.shape, out.shape, apply);
  values[op->getResult(0)] = std::move(out);
  return success();
}

LogicalResult Interpreter::pool(Operation *op, Value inV,
                                ArrayRef<int64_t> kernel,
                                ArrayRef<int64_t> stride, ArrayRef<int64_t> pad,
                                bool isMax) {
  const Tensor &in = get(inV);
  Tensor out = newTensor(op->getResult(0));
  exec::pool(in, kernel, stride, pad, isMax, out);
  values[op->getResult(0)] = std::move(out);
  return success();
}

LogicalResult Interpreter::layerOp(Operation *op) {
  SmallVector<const Tensor *, 3> operands;
  for (Value v : op->getOperands())
    operands.push_back(&get(v));
  Tensor out = recycle(op->getResult(0), /*zeroFill=*/false); // all written
  if (failed(exec::executeLayerOp(op, operands, out, scratch)))
    return failure();
  values[op->getResult(0)] = std::move(out);
  return success();
}

LogicalResult Interpreter::tinypruneOp(Operation *op) {
  SmallVector<const Tensor *, 13> operands;
  for (Value v : op->getOperands())
    operands.push_back(&get(v));
  Tensor out = newTensor(op->getResult(0));
  if (failed(exec::executeRuntimeOp(op, operands, out)))
    return failure();
  values[op->getResult(0)] = std::move(out);
  return success();
}

LogicalResult Interpreter::execute(Operation *op) {
  return llvm::TypeSwitch<Operation *, LogicalResult>(op)
      .Case([&](tosa::Conv2DOp c) {
        return conv2d(c, c.getInput(), c.getWeight(), c.getBias(),
                      c.getInputZp(), c.getWeightZp(), c.getPad(),
                      c.getStride(), c.getDilation(), /*depthwise=*/false);
      })
      .Case([&](tosa::DepthwiseConv2DOp c) {
        return conv2d(c, c.getInput(), c.getWeight(), c.getBias(),
                      c.getInputZp(), c.getWeightZp(), c.getPad(),
                      c.getStride(), c.getDilation(), /*depthwise=*/true);
      })
      .Case([&](tosa::RescaleOp r) { return rescale(r); })
      .Case([&](tosa::ClampOp c) -> LogicalResult {
        const Tensor &in = get(c.getInput());
        Tensor out = newTensor(c.getResult());
        if (out.isFloat()) {
          float lo = cast<FloatAttr>(c.getMinValAttr()).getValueAsDouble();
          float hi = cast<FloatAttr>(c.getMaxValAttr()).getValueAsDouble();
          for (int64_t k = 0, e = out.numElements(); k < e; ++k)
            out.f[k] = std::min(std::max(in.f[k], lo), hi);
        } else {
          int64_t lo = cast<IntegerAttr>(c.getMinValAttr()).getInt();
          int64_t hi = cast<IntegerAttr>(c.getMaxValAttr()).getInt();
          for (int64_t k = 0, e = out.numElements(); k < e; ++k)
            out.i[k] = std::min(std::max(in.i[k], lo), hi);
        }
        values[c.getResult()] = std::move(out);
        return success();
      })
      .Case([&](tosa::AddOp a) {
        return binary(
            a, [](int64_t x, int64_t y) { return x + y; },
            [](float x, float y) { return x + y; });
      })
      .Case([&](tosa::SubOp s) {
        return binary(
            s, [](int64_t x, int64_t y) { return x - y; },
            [](float x, float y) { return x - y; });
      })
      .Case([&](tosa::MulOp m) -> LogicalResult {
        int64_t shift = m.getShift() ? scalar(m.getShift()) : 0;
        return binary(
            m,
            [shift](int64_t x, int64_t y) {
              int64_t p = x * y;
              return shift > 0 ? (p + (int64_t(1) << (shift - 1))) >> shift : p;
            },
            [](float x, float y) { return x * y; });
      })
      .Case([&](tosa::GreaterOp g) {
        return binary(
            g, [](int64_t x, int64_t y) -> int64_t { return x > y; },
            [](float x, float y) { return x > y ? 1.0f : 0.0f; });
      })
      .Case([&](tosa::GreaterEqualOp g) {
        return binary(
            g, [](int64_t x, int64_t y) -> int64_t { return x >= y; },
            [](float x, float y) { return x >= y ? 1.0f : 0.0f; });
      })
      .Case([&](tosa::SelectOp s) -> LogicalResult {
        const Tensor &c = get(s.getInput1()), &a = get(s.getInput2()),
                     &b = get(s.getInput3());
        Tensor out = newTensor(s.getResult());
        if (c.numElements() != out.numElements() ||
            a.numElements() != out.numElements() ||
            b.numElements() != out.numElements())
          return s.emitOpError() << "interpreter needs same-shape operands";
        for (int64_t k = 0, e = out.numElements(); k < e; ++k) {
          if (out.isFloat())
            out.f[k] = c.i[k] ? a.f[k] : b.f[k];
          else
            out.i[k] = c.i[k] ? a.i[k] : b.i[k];
        }
        values[s.getResult()] = std::move(out);
        return success();
      })
      .Case([&](tosa::ReshapeOp r) {
        Tensor out = recycle(r.getResult(), /*zeroFill=*/false);
        const Tensor &in = get(r.getInput1());
        out.i = in.i;
        out.f = in.f;
        values[r.getResult()] = std::move(out);
        return success();
      })
      .Case([&](tosa::SliceOp s) {
        const Tensor &in = get(s.getInput1());
        ArrayRef<int64_t> start = shapeOf(s.getStart());
        Tensor out = newTensor(s.getResult());
        auto si = stridesOf(in.shape), so = stridesOf(out.shape);
        for (int64_t k = 0, e = out.numElements(); k < e; ++k) {
          int64_t src = 0, rem = k;
          for (size_t d = 0; d < out.shape.size(); ++d) {
            src += (rem / so[d] + start[d]) * si[d];
            rem %= so[d];
          }
          if (out.isFloat())
            out.f[k] = in.f[src];
          else
            out.i[k] = in.i[src];
        }
        values[s.getResult()] = std::move(out);
        return success();
      })
      .Case([&](tosa::PadOp p) {
        const Tensor &in = get(p.getInput1());
        ArrayRef<int64_t> pads = shapeOf(p.getPadding());
        Tensor out = newTensor(p.getResult());
        if (out.isFloat())
          std::fill(out.f.begin(), out.f.end(), scalarF(p.getPadConst()));
        else
          std::fill(out.i.begin(), out.i.end(), scalar(p.getPadConst()));
        auto si = stridesOf(in.shape), so = stridesOf(out.shape);
        for (int64_t k = 0, e = in.numElements(); k < e; ++k) {
          int64_t dst = 0, rem = k;
          for (size_t d = 0; d < in.shape.size(); ++d) {
            dst += (rem / si[d] + pads[2 * d]) * so[d];
            rem %= si[d];
          }
          if (out.isFloat())
            out.f[dst] = in.f[k];
          else
            out.i[dst] = in.i[k];
        }
        values[p.getResult()] = std::move(out);
        return success();
      })
      .Case([&](tosa::ConcatOp c) {
        Tensor out = newTensor(c.getResult());
        int64_t axis = c.getAxis();
        auto so = stridesOf(out.shape);
        int64_t offset = 0;
        for (Value v : c.getInput1()) {
          const Tensor &in = get(v);
          auto si = stridesOf(in.shape);
          for (int64_t k = 0, e = in.numElements(); k < e; ++k) {
            int64_t dst = 0, rem = k;
            for (size_t d = 0; d < in.shape.size(); ++d) {
              int64_t idx = rem / si[d];
              rem %= si[d];
              dst += (idx + ((int64_t)d == axis ? offset : 0)) * so[d];
            }
            if (out.isFloat())
              out.f[dst] = in.f[k];
            else
              out.i[dst] = in.i[k];
          }
          offset += in.shape[axis];
        }
        values[c.getResult()] = std::move(out);
        return success();
      })
      .Case([&](tosa::TransposeOp t) {
        const Tensor &in = get(t.getInput1());
        Tensor out = newTensor(t.getResult());
        ArrayRef<int32_t> perms = t.getPerms();
        auto si = stridesOf(in.shape), so = stridesOf(out.shape);
        for (int64_t k = 0, e = out.numElements(); k < e; ++k) {
          int64_t src = 0, rem = k;
          for (size_t d = 0; d < out.shape.size(); ++d) {
            src += (rem / so[d]) * si[perms[d]];
            rem %= so[d];
          }
          if (out.isFloat())
            out.f[k] = in.f[src];
          else
            out.i[k] = in.i[src];
        }
        values[t.getResult()] = std::move(out);
        return success();
      })
      .Case([&](tosa::ReduceSumOp r) {
        const Tensor &in = get(r.getInput());
        Tensor out = newTensor(r.getResult());
        int64_t axis = r.getAxis();
        auto si = stridesOf(in.shape), so = stridesOf(out.shape);
        for (int64_t k = 0, e = in.numElements(); k < e; ++k) {
          int64_t dst = 0, rem = k;
          for (size_t d = 0; d < in.shape.size(); ++d) {
            int64_t idx = rem / si[d];
            rem %= si[d];
            dst += ((int64_t)d == axis ? 0 : idx) * so[d];
          }
          if (out.isFloat())
            out.f[dst] += in.f[k];
          else
            out.i[dst] += in.i[k];
        }
        values[r.getResult()] = std::move(out);
        return success();
      })
      .Case([&](tosa::CastOp c) -> LogicalResult {
        const Tensor &in = get(c.getInput());
        Tensor out = newTensor(c.getResult());
        for (int64_t k = 0, e = out.numElements(); k < e; ++k) {
          if (out.isFloat())
            out.f[k] = in.isFloat() ? in.f[k] : static_cast<float>(in.i[k]);
          else if (in.isFloat()) // TOSA: round to nearest even, saturate
            out.i[k] = saturate(static_cast<int64_t>(std::nearbyint(in.f[k])),
                                out.elementType);
          else
            out.i[k] = wrap(in.i[k], out.elementType);
        }
        values[c.getResult()] = std::move(out);
        return success();
      })
      .Case([&](tosa::MaxPool2dOp m) {
        return pool(m, m.getInput(), m.getKernel(), m.getStride(), m.getPad(),
                    /*isMax=*/true);
      })
      .Case([&](tosa::AvgPool2dOp a) -> LogicalResult {
        if (!isa<FloatType>(a.getType().getElementType()))
          return a.emitOpError()
                 << "interpreter supports float tosa.avg_pool2d only (the "
                    "importer uses tinyprune.avg_pool2d for integers)";
        return pool(a, a.getInput(), a.getKernel(), a.getStride(), a.getPad(),
                    /*isMax=*/false);
      })
      .Case([&](tosa::SigmoidOp s) {
        const Tensor &in = get(s.getInput());
        Tensor out = newTensor(s.getResult());
        for (int64_t k = 0, e = out.numElements(); k < e; ++k)
          out.f[k] = 1.0f / (1.0f + std::exp(-in.f[k]));
        values[s.getResult()] = std::move(out);
        return success();
      })
      .Case([&](tosa::TanhOp t) {
        const Tensor &in = get(t.getInput());
        Tensor out = newTensor(t.getResult());
        for (int64_t k = 0, e = out.numElements(); k < e; ++k)
          out.f[k] = std::tanh(in.f[k]);
        values[t.getResult()] = std::move(out);
        return success();
      })
      .Case<SoftmaxOp, LogisticOp, TanhOp, HardSwishOp, AvgPool2dOp, MeanOp,
            QuantizeOp, LstmOp>([&](Operation *o) { return tinypruneOp(o); })
      .Default([&](Operation *o) -> LogicalResult {
        if (exec::isLayerOp(o))
          return layerOp(o);
        return o->emitOpError() << "is not supported by the interpreter";
      });
}

LogicalResult Interpreter::prepare(Prepared &prepared) {
  func::FuncOp func = prepared.func;
  if (func.isExternal())
    return func.emitError() << "cannot run a function without a body";
  Block &entry = func.getBody().front();
  for (auto [i, arg] : llvm::enumerate(entry.getArguments()))
    if (std::string problem = rawTypeProblem(arg.getType()); !problem.empty())
      return func.emitError() << "argument " << i << " of @" << func.getName()
                              << " (" << arg.getType() << ") " << problem;
  for (Operation &op : entry.without_terminator()) {
    if (auto c = dyn_cast<tosa::ConstOp>(op)) {
      FailureOr<Tensor> t = decodeConstant(c);
      if (failed(t))
        return failure();
      prepared.constants[c.getResult()] = std::move(*t);
    } else if (auto c = dyn_cast<tosa::ConstShapeOp>(op)) {
      SmallVector<int64_t> shape;
      for (const APInt &v : c.getValues().getValues<APInt>())
        shape.push_back(v.getSExtValue());
      prepared.shapes[c.getResult()] = std::move(shape);
    } else {
      prepared.ops.push_back(&op);
    }
  }
  return success();
}

LogicalResult Interpreter::run(ArrayRef<ArrayRef<uint8_t>> inputs,
                               std::vector<std::vector<uint8_t>> &outputs) {
  func::FuncOp func = prepared.func;
  if (inputs.size() != func.getNumArguments())
    return func.emitError() << "expects " << func.getNumArguments()
                            << " inputs, got " << inputs.size();
  Block &entry = func.getBody().front();
  for (auto [i, arg] : llvm::enumerate(entry.getArguments())) {
    int64_t want = rawByteSize(arg.getType());
    if ((int64_t)inputs[i].size() != want)
      return func.emitError()
             << "input " << i << " holds " << inputs[i].size() << " bytes, but "
             << arg.getType() << " needs " << want;
    Tensor t = newTensor(arg);
    decodeInto(t, inputs[i]);
    values[arg] = std::move(t);
  }
  for (Operation *op : prepared.ops)
    if (failed(execute(op)))
      return failure();
  auto ret = cast<func::ReturnOp>(entry.getTerminator());
  outputs.resize(ret.getNumOperands());
  for (auto [i, v] : llvm::enumerate(ret.getOperands()))
    encodeInto(get(v), outputs[i]);
  return success();
}

//===----------------------------------------------------------------------===//
// PreparedFunction
//===----------------------------------------------------------------------===//

struct PreparedFunction::Impl {
  Prepared prepared;
};

struct PreparedFunction::State::Impl {
  explicit Impl(const Prepared &prepared) : interp(prepared) {}
  Interpreter interp;
  std::vector<std::vector<uint8_t>> outputs;
};

PreparedFunction::State::State() = default;
PreparedFunction::State::State(State &&) = default;
PreparedFunction::State &PreparedFunction::State::operator=(State &&) = default;
PreparedFunction::State::~State() = default;

ArrayRef<uint8_t> PreparedFunction::State::output(unsigned i) const {
  return impl->outputs[i];
}

unsigned PreparedFunction::State::numOutputs() const {
  return impl ? impl->outputs.size() : 0;
}

PreparedFunction::PreparedFunction(std::unique_ptr<Impl> impl)
    : impl(std::move(impl)) {}
PreparedFunction::~PreparedFunction() = default;

FailureOr<std::unique_ptr<PreparedFunction>>
PreparedFunction::create(func::FuncOp func) {
  auto impl = std::make_unique<Impl>();
  impl->prepared.func = func;
  if (failed(Interpreter::prepare(impl->prepared)))
    return failure();
  return std::unique_ptr<PreparedFunction>(
      new PreparedFunction(std::move(impl)));
}

PreparedFunction::State PreparedFunction::newState() const {
  State state;
  state.impl = std::make_unique<State::Impl>(impl->prepared);
  return state;
}

LogicalResult PreparedFunction::run(State &state,
                                    ArrayRef<ArrayRef<uint8_t>> inputs) const {
  return state.impl->interp.run(inputs, state.impl->outputs);
}

FailureOr<std::vector<std::vector<uint8_t>>>
tinyprune::runFunction(func::FuncOp func, ArrayRef<ArrayRef<uint8_t>> inputs) {
  FailureOr<std::unique_ptr<PreparedFunction>> prepared =
      PreparedFunction::create(func);
  if (failed(prepared))
    return failure();
  PreparedFunction::State state = (*prepared)->newState();
  if (failed((*prepared)->run(state, inputs)))
    return failure();
  std::vector<std::vector<uint8_t>> outputs;
  for (unsigned i = 0, e = state.numOutputs(); i < e; ++i)
    outputs.emplace_back(state.output(i).begin(), state.output(i).end());
  return outputs;
}
