//===- TFLitePrepare.cpp - Rewrites of a subgraph before lowering ---------===//
//
// See TFLitePrepare.h.
//
//===----------------------------------------------------------------------===//

#include "TFLitePrepare.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FormatVariadic.h"

#include <algorithm>
#include <cstring>
#include <optional>

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

static llvm::Error opError(const OpInfo &op, const llvm::Twine &msg) {
  return llvm::createStringError(
      llvm::inconvertibleErrorCode(),
      llvm::formatv("operator {0} ({1}): ", op.index, op.name) + msg);
}

/// Makes tensor `t` a constant holding `bytes` (moved into storage).
static void makeConstant(PreparedSubgraph &p, TensorInfo &t,
                         std::vector<uint8_t> bytes) {
  t.data = p.storage.emplace_back(std::move(bytes));
  t.isConstant = true;
}

//===----------------------------------------------------------------------===//
// float16 constants
//===----------------------------------------------------------------------===//

/// IEEE binary16 to float32: exact (every half is a float).
static float halfToFloat(uint16_t h) {
  uint32_t sign = uint32_t(h >> 15) << 31;
  int32_t exp = (h >> 10) & 0x1f;
  uint32_t mant = h & 0x3ff;
  uint32_t bits;
  if (exp == 0x1f) {
    bits = sign | 0x7f800000u | (mant << 13); // inf, NaN (payload kept)
  } else if (exp != 0) {
    bits = sign | uint32_t(exp - 15 + 127) << 23 | (mant << 13);
  } else if (mant == 0) {
    bits = sign; // +-0
  } else {
    // Subnormal half: mant * 2^-24, a normal float.
    int32_t e = -14;
    while (!(mant & 0x400)) {
      mant <<= 1;
      --e;
    }
    bits = sign | uint32_t(e + 127) << 23 | ((mant & 0x3ff) << 13);
  }
  float f;
  std::memcpy(&f, &bits, 4);
  return f;
}

/// TFLite's float16 post-training quantization stores weights as FLOAT16
/// constants read through DEQUANTIZE. Each such DEQUANTIZE is folded: its
/// output becomes the float32 constant it computes (float16 -> float32 is
/// exact, so TFLite's kernel computes the same values).
static llvm::Error widenFloat16(PreparedSubgraph &p) {
  std::vector<OpInfo> kept;
  for (const OpInfo &op : p.sg.ops) {
    int32_t halfIdx = -1;
    for (int32_t idx : op.inputs)
      if (idx >= 0 && p.sg.tensors[idx].type == tflite::TensorType::FLOAT16)
        halfIdx = idx;
    if (halfIdx < 0) {
      kept.push_back(op);
      continue;
    }
    const TensorInfo &in = p.sg.tensors[halfIdx];
    if (op.code != tflite::BuiltinOperator::DEQUANTIZE || op.isCustom)
      return opError(op, "reads float16 tensor '" + in.name +
                             "'; float16 is supported only as a constant "
                             "behind DEQUANTIZE");
    if (!in.isConstant)
      return opError(op, "dequantizes float16 tensor '" + in.name +
                             "', which is not a constant (float16 "
                             "activations are not supported)");
    if (op.outputs.size() != 1)
      return opError(op, "needs one output");
    TensorInfo &out = p.sg.tensors[op.outputs[0]];
    if (out.type != tflite::TensorType::FLOAT32 || out.shape != in.shape ||
        out.isConstant)
      return opError(op, "float16 '" + in.name +
                             "' must dequantize to a float32 tensor of its "
                             "shape " +
                             shapeStr(in.shape));
    std::vector<uint8_t> bytes(in.data.size() * 2);
    for (size_t k = 0; k + 2 <= in.data.size(); k += 2) {
      uint16_t h = uint16_t(in.data[k] | in.data[k + 1] << 8);
      float f = halfToFloat(h);
      std::memcpy(&bytes[2 * k], &f, 4);
    }
    makeConstant(p, out, std::move(bytes));
  }
  p.sg.ops = std::move(kept);
  return llvm::Error::success();
}

//===----------------------------------------------------------------------===//
// Dynamic-range ("hybrid") weights
//===----------------------------------------------------------------------===//

/// Dynamic-range quantization keeps float activations and stores the
/// weights of CONV_2D, DEPTHWISE_CONV_2D and FULLY_CONNECTED as int8 (per
/// tensor or per channel). TFLite's hybrid kernels quantize the input at
/// run time and accumulate in integers; here the weights are dequantized
/// once, `scale[c] * (q - zp[c])` in float32, and the layer is a float
/// layer, which differs from TFLite's hybrid kernels by the error of that
/// run-time input quantization (docs/importer.md).
static llvm::Error dequantizeHybridWeights(PreparedSubgraph &p) {
  using tflite::BuiltinOperator;
  for (const OpInfo &op : p.sg.ops) {
    if (op.code != BuiltinOperator::CONV_2D &&
        op.code != BuiltinOperator::DEPTHWISE_CONV_2D &&
        op.code != BuiltinOperator::FULLY_CONNECTED)
      continue;
    if (op.inputs.size() < 2 || op.inputs[0] < 0 || op.inputs[1] < 0 ||
        p.sg.tensors[op.inputs[0]].type != tflite::TensorType::FLOAT32)
      continue;
    TensorInfo &w = p.sg.tensors[op.inputs[1]];
    if (w.type != tflite::TensorType::INT8 || !w.isConstant)
      continue;
    if (!w.quant)
      return opError(op, "float input with int8 weights '" + w.name +
                             "' that have no quantization scale");
    int64_t axis = w.quant->isPerChannel() ? w.quant->axis : -1;
    int64_t channels = axis < 0 ? 1 : w.shape[axis];
    if (axis >= 0 && int64_t(w.quant->scale.size()) != channels)
      return opError(op,
                     llvm::formatv("weights '{0}' have {1} scales for {2} "
                                   "channels",
                                   w.name, w.quant->scale.size(), channels));
    int64_t inner = 1;
    for (int64_t d = axis + 1; axis >= 0 && d < int64_t(w.shape.size()); ++d)
      inner *= w.shape[d];
    std::vector<uint8_t> bytes(w.data.size() * 4);
    for (size_t k = 0; k < w.data.size(); ++k) {
      int64_t c = axis < 0 ? 0 : (int64_t(k) / inner) % channels;
      float v = w.quant->scale[c] *
                static_cast<float>(int8_t(w.data[k]) - w.quant->zeroPoint[c]);
      std::memcpy(&bytes[4 * k], &v, 4);
    }
    w.type = tflite::TensorType::FLOAT32;
    w.quant.reset();
    makeConstant(p, w, std::move(bytes));
  }
  return llvm::Error::success();
}

//===----------------------------------------------------------------------===//
// Shape arithmetic
//===----------------------------------------------------------------------===//

namespace {
/// Folds the integer arithmetic on static shapes that converters emit
/// around RESHAPE (Keras Flatten: SHAPE -> STRIDED_SLICE -> PACK ->
/// RESHAPE): SHAPE, and PACK, STRIDED_SLICE, GATHER and CONCATENATION of
/// int32/int64 values known at import. Each folded op's output becomes a
/// constant and the op is dropped; the RESHAPE then reads a constant shape.
class ShapeFolder {
public:
  explicit ShapeFolder(PreparedSubgraph &p) : p(p) {}
  llvm::Error run();

private:
  using Values = std::optional<std::vector<int64_t>>;
  /// The values of tensor `idx`, when it is a known int32/int64 tensor.
  Values known(int32_t idx) const;
  /// The values `op` computes; none when it is not foldable (kept).
  llvm::Expected<Values> fold(const OpInfo &op);
  llvm::Expected<Values> pack(const OpInfo &op);
  llvm::Expected<Values> stridedSlice(const OpInfo &op);
  llvm::Expected<Values> gather(const OpInfo &op);

  PreparedSubgraph &p;
};
} // namespace

ShapeFolder::Values ShapeFolder::known(int32_t idx) const {
  if (idx < 0)
    return std::nullopt;
  const TensorInfo &t = p.sg.tensors[idx];
  bool is32 = t.type == tflite::TensorType::INT32;
  if (!t.isConstant || (!is32 && t.type != tflite::TensorType::INT64))
    return std::nullopt;
  std::vector<int64_t> v;
  for (size_t k = 0; k + (is32 ? 4 : 8) <= t.data.size(); k += is32 ? 4 : 8) {
    if (is32) {
      int32_t x;
      std::memcpy(&x, t.data.data() + k, 4);
      v.push_back(x);
    } else {
      int64_t x;
      std::memcpy(&x, t.data.data() + k, 8);
      v.push_back(x);
    }
  }
  return v;
}

/// Stacks N equal-shaped values along `axis` of the output.
llvm::Expected<ShapeFolder::Values> ShapeFolder::pack(const OpInfo &op) {
  const TensorInfo &out = p.sg.tensors[op.outputs[0]];
  const auto *o = op.op->builtin_options_as_PackOptions();
  int64_t axis = o ? o->axis() : 0, rank = out.shape.size();
  std::vector<std::vector<int64_t>> parts;
  for (int32_t idx : op.inputs) {
    Values v = known(idx);
    if (!v)
      return Values();
    parts.push_back(std::move(*v));
  }
  if (axis < 0)
    axis += rank;
  if (axis < 0 || axis >= rank || out.shape[axis] != int64_t(parts.size()))
    return opError(op,
                   "output " + shapeStr(out.shape) + " does not stack the " +
                       std::to_string(parts.size()) + " inputs along axis " +
                       std::to_string(o ? o->axis() : 0));
  int64_t outer = 1, inner = 1;
  for (int64_t d = 0; d < axis; ++d)
    outer *= out.shape[d];
  for (int64_t d = axis + 1; d < rank; ++d)
    inner *= out.shape[d];
  std::vector<int64_t> v;
  for (const std::vector<int64_t> &part : parts)
    if (int64_t(part.size()) != outer * inner)
      return opError(op, "inputs do not stack to the output shape " +
                             shapeStr(out.shape));
  for (int64_t i = 0; i < outer; ++i)
    for (const std::vector<int64_t> &part : parts)
      v.insert(v.end(), part.begin() + i * inner,
               part.begin() + (i + 1) * inner);
  return Values(v);
}

/// A 1-D STRIDED_SLICE (begin/end masks, negative indices and strides,
/// shrink_axis_mask), with TFLite's clamping of begin and end.
llvm::Expected<ShapeFolder::Values>
ShapeFolder::stridedSlice(const OpInfo &op) {
  if (op.inputs.size() != 4)
    return Values();
  Values x = known(op.inputs[0]), begin = known(op.inputs[1]),
         end = known(op.inputs[2]), strides = known(op.inputs[3]);
  if (!x || !begin || !end || !strides ||
      p.sg.tensors[op.inputs[0]].shape.size() != 1 || begin->size() != 1 ||
      end->size() != 1 || strides->size() != 1)
    return Values();
  const auto *o = op.op->builtin_options_as_StridedSliceOptions();
  if (o && (o->ellipsis_mask() || o->new_axis_mask() || o->offset()))
    return opError(op, "ellipsis_mask, new_axis_mask and offset are not "
                       "supported on shape values");
  int64_t n = x->size(), stride = (*strides)[0];
  if (stride == 0)
    return opError(op, "stride is 0");
  if (o && (o->shrink_axis_mask() & 1)) {
    int64_t i = (*begin)[0] < 0 ? (*begin)[0] + n : (*begin)[0];
    if (i < 0 || i >= n)
      return opError(op, llvm::formatv("index {0} is out of range for {1} "
                                       "values",
                                       (*begin)[0], n));
    return Values(std::vector<int64_t>{(*x)[i]});
  }
  // Forward: indices clamp to [0, n]; backward: to [-1, n - 1].
  auto clampIndex = [&](int64_t i) {
    if (i < 0)
      i += n;
    return stride > 0 ? std::clamp<int64_t>(i, 0, n)
                      : std::clamp<int64_t>(i, -1, n - 1);
  };
  bool beginMask = o && (o->begin_mask() & 1),
       endMask = o && (o->end_mask() & 1);
  int64_t b = beginMask ? (stride > 0 ? 0 : n - 1) : clampIndex((*begin)[0]);
  int64_t e = endMask ? (stride > 0 ? n : -1) : clampIndex((*end)[0]);
  std::vector<int64_t> v;
  for (int64_t i = b; stride > 0 ? i < e : i > e; i += stride)
    v.push_back((*x)[i]);
  return Values(v);
}

/// GATHER of a 1-D value along axis 0.
llvm::Expected<ShapeFolder::Values> ShapeFolder::gather(const OpInfo &op) {
  if (op.inputs.size() != 2)
    return Values();
  const auto *o = op.op->builtin_options_as_GatherOptions();
  Values params = known(op.inputs[0]), indices = known(op.inputs[1]);
  if (!params || !indices || p.sg.tensors[op.inputs[0]].shape.size() != 1 ||
      (o && (o->batch_dims() != 0 || (o->axis() != 0 && o->axis() != -1))))
    return Values();
  std::vector<int64_t> v;
  for (int64_t i : *indices) {
    if (i < 0 || i >= int64_t(params->size()))
      return opError(op, llvm::formatv("index {0} is out of range for {1} "
                                       "values",
                                       i, params->size()));
    v.push_back((*params)[i]);
  }
  return Values(v);
}

llvm::Expected<ShapeFolder::Values> ShapeFolder::fold(const OpInfo &op) {
  using tflite::BuiltinOperator;
  if (op.isCustom || op.outputs.size() != 1 ||
      llvm::any_of(op.inputs, [](int32_t idx) { return idx < 0; }))
    return Values();
  const TensorInfo &out = p.sg.tensors[op.outputs[0]];
  if (out.type != tflite::TensorType::INT32 &&
      out.type != tflite::TensorType::INT64)
    return Values();
  switch (op.code) {
  case BuiltinOperator::SHAPE: {
    if (op.inputs.size() != 1)
      return Values();
    const TensorInfo &in = p.sg.tensors[op.inputs[0]];
    return Values(std::vector<int64_t>(in.shape.begin(), in.shape.end()));
  }
  case BuiltinOperator::PACK:
    return pack(op);
  case BuiltinOperator::CONCATENATION: {
    std::vector<int64_t> v;
    for (int32_t idx : op.inputs) {
      Values part = known(idx);
      if (!part || p.sg.tensors[idx].shape.size() > 1)
        return Values();
      v.insert(v.end(), part->begin(), part->end());
    }
    return Values(v);
  }
  case BuiltinOperator::GATHER:
    return gather(op);
  case BuiltinOperator::STRIDED_SLICE:
    return stridedSlice(op);
  default:
    return Values();
  }
}

llvm::Error ShapeFolder::run() {
  std::vector<OpInfo> kept;
  for (const OpInfo &op : p.sg.ops) {
    llvm::Expected<Values> folded = fold(op);
    if (!folded)
      return folded.takeError();
    if (!*folded) {
      kept.push_back(op);
      continue;
    }
    TensorInfo &out = p.sg.tensors[op.outputs[0]];
    if (out.isConstant)
      return opError(op, "writes tensor '" + out.name +
                             "', which is already defined");
    if (int64_t((*folded)->size()) != out.numElements())
      return opError(op, llvm::formatv("computes {0} values, but its output "
                                       "'{1}' {2} holds {3}",
                                       (*folded)->size(), out.name,
                                       shapeStr(out.shape), out.numElements()));
    bool is64 = out.type == tflite::TensorType::INT64;
    std::vector<uint8_t> bytes;
    for (int64_t v : **folded) {
      if (!is64 && (v < INT32_MIN || v > INT32_MAX))
        return opError(op, llvm::formatv("value {0} does not fit int32", v));
      uint8_t raw[8];
      int32_t narrow = int32_t(v);
      std::memcpy(raw, is64 ? static_cast<const void *>(&v) : &narrow,
                  is64 ? 8 : 4);
      bytes.insert(bytes.end(), raw, raw + (is64 ? 8 : 4));
    }
    makeConstant(p, out, std::move(bytes));
  }
  p.sg.ops = std::move(kept);
  return llvm::Error::success();
}

llvm::Error tfl::prepareSubgraph(const SubgraphInfo &in,
                                 PreparedSubgraph &out) {
  out.sg = in;
  out.storage.clear();
  uint8ToInt8(out);
  if (llvm::Error err = widenFloat16(out))
    return err;
  if (llvm::Error err = dequantizeHybridWeights(out))
    return err;
  return ShapeFolder(out).run();
}
