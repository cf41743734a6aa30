//===- TFLiteModel.cpp - Verified view of a TFLite flatbuffer -------------===//
//
// Checks a `.tflite` file from the bytes up: FlatBuffers verification first
// (so that no offset is followed before it is known to stay in the file),
// then the model's own invariants. Every error is one line that says what
// is wrong and where.
//
//===----------------------------------------------------------------------===//

#include "TFLiteModel.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/FormatVariadic.h"

#include <cmath>
#include <limits>

using namespace tinyprune;
using namespace tinyprune::tfl;
using llvm::ArrayRef;
using llvm::StringRef;

/// Largest rank TOSA accepts.
static constexpr int64_t kMaxRank = 6;
/// Largest element count of one tensor: far beyond any microcontroller
/// model, small enough that byte counts cannot overflow.
static constexpr int64_t kMaxElements = int64_t(1) << 31;

static llvm::Error makeError(const llvm::Twine &msg) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), msg);
}

std::string tfl::shapeStr(ArrayRef<int64_t> shape) {
  return "[" +
         llvm::join(llvm::map_range(
                        shape, [](int64_t d) { return std::to_string(d); }),
                    ", ") +
         "]";
}

std::string tfl::builtinName(int32_t code) {
  if (code >= 0 && code <= static_cast<int32_t>(tflite::BuiltinOperator::MAX)) {
    const char *name = tflite::EnumNameBuiltinOperator(
        static_cast<tflite::BuiltinOperator>(code));
    if (name && *name)
      return name;
  }
  return llvm::formatv("BUILTIN_{0}", code).str();
}

unsigned ModelView::elementSize(tflite::TensorType type) {
  switch (type) {
  case tflite::TensorType::FLOAT32:
  case tflite::TensorType::INT32:
    return 4;
  case tflite::TensorType::INT8:
  case tflite::TensorType::UINT8:
  case tflite::TensorType::BOOL:
    return 1;
  case tflite::TensorType::INT16:
  case tflite::TensorType::FLOAT16:
    return 2;
  case tflite::TensorType::INT64:
    return 8;
  default:
    return 0;
  }
}

int64_t TensorInfo::numElements() const {
  int64_t n = 1;
  for (int64_t d : shape)
    n *= d;
  return n;
}

llvm::Expected<std::unique_ptr<ModelView>> ModelView::load(StringRef bytes) {
  const auto *data = reinterpret_cast<const uint8_t *>(bytes.data());
  if (bytes.size() < 8)
    return makeError(llvm::formatv("file is {0} bytes long, too short to be a "
                                   "TFLite flatbuffer",
                                   bytes.size()));
  if (bytes.size() >= FLATBUFFERS_MAX_BUFFER_SIZE)
    return makeError("file is larger than a flatbuffer can be (2 GiB)");
  if (!tflite::ModelBufferHasIdentifier(data))
    return makeError("not a TFLite model: the file identifier is not 'TFL3'");
  // Depth and table limits bound the verifier's work on hostile input.
  flatbuffers::Verifier verifier(data, bytes.size(), /*max_depth=*/64,
                                 /*max_tables=*/1000000);
  if (!tflite::VerifyModelBuffer(verifier))
    return makeError("corrupt TFLite flatbuffer: the FlatBuffers verifier "
                     "rejected it (truncated file or offsets out of bounds)");
  const tflite::Model *model = tflite::GetModel(data);
  std::unique_ptr<ModelView> view(new ModelView());
  if (llvm::Error err = view->index(*model, bytes))
    return std::move(err);
  return std::move(view);
}

llvm::Error ModelView::index(const tflite::Model &model, StringRef bytes) {
  if (model.version() != 3)
    return makeError(llvm::formatv("unsupported TFLite schema version {0} "
                                   "(expected 3)",
                                   model.version()));
  if (model.description())
    description_ = model.description()->str();
  if (!model.subgraphs() || model.subgraphs()->size() == 0)
    return makeError("the model has no subgraphs");

  // Resolve every buffer to its bytes once. Buffers of models over 2 GiB
  // live after the flatbuffer, at `offset` from the start of the file.
  llvm::SmallVector<ArrayRef<uint8_t>> buffers;
  if (const auto *bufs = model.buffers()) {
    buffers.reserve(bufs->size());
    for (unsigned i = 0, e = bufs->size(); i < e; ++i) {
      const tflite::Buffer *buf = bufs->Get(i);
      if (buf->offset() > 1) {
        uint64_t off = buf->offset(), size = buf->size();
        if (off > bytes.size() || size > bytes.size() - off)
          return makeError(llvm::formatv(
              "buffer {0} points at bytes [{1}, {1}+{2}) outside the "
              "{3}-byte file",
              i, off, size, bytes.size()));
        buffers.push_back(ArrayRef<uint8_t>(
            reinterpret_cast<const uint8_t *>(bytes.data()) + off, size));
      } else if (buf->data()) {
        buffers.push_back(
            ArrayRef<uint8_t>(buf->data()->data(), buf->data()->size()));
      } else {
        buffers.push_back({});
      }
    }
  }

  for (unsigned sg = 0, e = model.subgraphs()->size(); sg < e; ++sg)
    if (llvm::Error err = indexSubgraph(model, sg, buffers))
      return err;
  return llvm::Error::success();
}

/// Checks and normalizes the quantization block of `t`.
static llvm::Error readQuant(const tflite::Tensor &t, TensorInfo &info) {
  const tflite::QuantizationParameters *q = t.quantization();
  if (!q || !q->scale() || q->scale()->size() == 0)
    return llvm::Error::success(); // Not quantized (or only min/max).
  if (q->details_type() != tflite::QuantizationDetails::NONE)
    return makeError("uses custom quantization details, which are not "
                     "supported");
  QuantParams p;
  unsigned n = q->scale()->size();
  for (float s : *q->scale())
    p.scale.push_back(s);
  if (q->zero_point() && q->zero_point()->size() != 0) {
    if (q->zero_point()->size() != n)
      return makeError(llvm::formatv("has {0} scales but {1} zero points", n,
                                     q->zero_point()->size()));
    // The verifier aligns vectors to 4 bytes only: read the int64 values
    // byte-wise (little-endian, as flatbuffers stores them).
    const uint8_t *raw = q->zero_point()->Data();
    for (unsigned k = 0; k < n; ++k) {
      uint64_t z = 0;
      for (unsigned b = 0; b < 8; ++b)
        z |= uint64_t(raw[8 * k + b]) << (8 * b);
      p.zeroPoint.push_back(static_cast<int64_t>(z));
    }
  } else {
    p.zeroPoint.assign(n, 0);
  }
  for (float s : p.scale)
    if (!(s > 0.0f) || !std::isfinite(s))
      return makeError(llvm::formatv("has quantization scale {0}, which is "
                                     "not a positive finite number",
                                     llvm::format("%g", double(s))));
  // Zero points lie in the element type's range (TFLite's converter writes
  // nothing else); integer arithmetic on them then cannot overflow.
  int64_t zpMin = std::numeric_limits<int32_t>::min(),
          zpMax = std::numeric_limits<int32_t>::max();
  if (info.type == tflite::TensorType::INT8) {
    zpMin = -128;
    zpMax = 127;
  } else if (info.type == tflite::TensorType::UINT8) {
    zpMin = 0;
    zpMax = 255;
  } else if (info.type == tflite::TensorType::INT16) {
    zpMin = -32768;
    zpMax = 32767;
  }
  for (int64_t z : p.zeroPoint)
    if (z < zpMin || z > zpMax)
      return makeError(llvm::formatv("has zero point {0} outside its type's "
                                     "range [{1}, {2}]",
                                     z, zpMin, zpMax));
  if (n > 1) {
    int64_t axis = q->quantized_dimension();
    // Converters write the filter's channel axis (3 for depthwise) into
    // rank-1 biases too; for a vector the only meaningful axis is 0.
    if (info.shape.size() == 1)
      axis = 0;
    if (axis < 0 || axis >= (int64_t)info.shape.size())
      return makeError(llvm::formatv("has quantized_dimension {0} out of "
                                     "range for rank {1}",
                                     axis, info.shape.size()));
    if (info.shape[axis] != (int64_t)n)
      return makeError(llvm::formatv("has {0} scales but dimension {1} has "
                                     "size {2}",
                                     n, axis, info.shape[axis]));
    p.axis = axis;
  }
  info.quant = std::move(p);
  return llvm::Error::success();
}

llvm::Error ModelView::indexSubgraph(const tflite::Model &model,
                                     unsigned sgIndex,
                                     ArrayRef<ArrayRef<uint8_t>> buffers) {
  const tflite::SubGraph &sg = *model.subgraphs()->Get(sgIndex);
  SubgraphInfo info;
  info.name = sg.name() ? sg.name()->str() : std::string();
  std::string where = llvm::formatv("subgraph {0}", sgIndex).str();

  // Tensors.
  unsigned numTensors = sg.tensors() ? sg.tensors()->size() : 0;
  info.tensors.resize(numTensors);
  for (unsigned ti = 0; ti < numTensors; ++ti) {
    const tflite::Tensor &t = *sg.tensors()->Get(ti);
    TensorInfo &ts = info.tensors[ti];
    ts.name = t.name() ? t.name()->str() : llvm::formatv("tensor{0}", ti).str();
    ts.type = t.type();
    ts.isVariable = t.is_variable();
    auto fail = [&](const llvm::Twine &msg) {
      return makeError(
          llvm::formatv("{0}: tensor {1} '{2}' ", where, ti, ts.name) + msg);
    };
    if (t.sparsity())
      return fail("is sparse, which is not supported");
    if (t.shape()) {
      if ((int64_t)t.shape()->size() > kMaxRank)
        return fail(llvm::formatv("has rank {0}; at most {1} is supported",
                                  t.shape()->size(), kMaxRank));
      int64_t elements = 1;
      for (int32_t d : *t.shape()) {
        if (d < 0)
          return fail(llvm::formatv("has dimension {0}; dynamic or negative "
                                    "sizes are not supported",
                                    d));
        ts.shape.push_back(d);
        if (d != 0 && elements > kMaxElements / d)
          return fail("has more than 2^31 elements");
        elements *= d;
      }
    }
    if (llvm::Error err = readQuant(t, ts))
      return makeError(llvm::formatv("{0}: tensor {1} '{2}' {3}", where, ti,
                                     ts.name, llvm::toString(std::move(err))));
    if (t.buffer() >= buffers.size() && t.buffer() != 0)
      return fail(llvm::formatv("refers to buffer {0}, but the model has {1} "
                                "buffers",
                                t.buffer(), buffers.size()));
    if (t.buffer() != 0 && !buffers[t.buffer()].empty()) {
      unsigned eltSize = elementSize(t.type());
      if (eltSize == 0)
        return fail(llvm::formatv("is a constant of unsupported type {0}",
                                  tflite::EnumNameTensorType(t.type())));
      uint64_t expected = uint64_t(ts.numElements()) * eltSize;
      if (buffers[t.buffer()].size() != expected)
        return fail(llvm::formatv(
            "has shape {0} of {1} ({2} bytes) but its "
            "buffer {3} holds {4} bytes",
            shapeStr(ts.shape), tflite::EnumNameTensorType(t.type()), expected,
            t.buffer(), buffers[t.buffer()].size()));
      ts.data = buffers[t.buffer()];
      ts.isConstant = true;
    }
  }

  auto checkIndexList = [&](const flatbuffers::Vector<int32_t> *list,
                            llvm::SmallVectorImpl<int32_t> &out,
                            const llvm::Twine &what,
                            bool allowOptional) -> llvm::Error {
    if (!list)
      return llvm::Error::success();
    for (int32_t idx : *list) {
      if (idx == -1 && allowOptional) {
        out.push_back(idx);
        continue;
      }
      if (idx < 0 || idx >= (int32_t)numTensors)
        return makeError(what + llvm::formatv(" refers to tensor {0}, but "
                                              "the subgraph has {1} tensors",
                                              idx, numTensors));
      out.push_back(idx);
    }
    return llvm::Error::success();
  };
  if (llvm::Error err = checkIndexList(sg.inputs(), info.inputs,
                                       where + " input list", false))
    return err;
  if (llvm::Error err = checkIndexList(sg.outputs(), info.outputs,
                                       where + " output list", false))
    return err;

  // Operators.
  unsigned numCodes =
      model.operator_codes() ? model.operator_codes()->size() : 0;
  unsigned numOps = sg.operators() ? sg.operators()->size() : 0;
  info.ops.resize(numOps);
  for (unsigned oi = 0; oi < numOps; ++oi) {
    const tflite::Operator &op = *sg.operators()->Get(oi);
    OpInfo &o = info.ops[oi];
    o.index = oi;
    o.op = &op;
    std::string opWhere = llvm::formatv("operator {0}", oi).str();
    if (op.opcode_index() >= numCodes)
      return makeError(llvm::formatv("{0}: opcode index {1} is out of range "
                                     "(the model has {2} operator codes)",
                                     opWhere, op.opcode_index(), numCodes));
    const tflite::OperatorCode &code =
        *model.operator_codes()->Get(op.opcode_index());
    // Old files only fill the byte-sized deprecated field; new ones fill
    // both, or only the wide one for codes above 127.
    int32_t builtin =
        std::max<int32_t>(code.deprecated_builtin_code(),
                          static_cast<int32_t>(code.builtin_code()));
    o.code = static_cast<tflite::BuiltinOperator>(builtin);
    o.version = code.version();
    if (builtin == static_cast<int32_t>(tflite::BuiltinOperator::CUSTOM)) {
      o.isCustom = true;
      o.name =
          "CUSTOM(" +
          (code.custom_code() ? code.custom_code()->str() : std::string()) +
          ")";
    } else {
      o.name = builtinName(builtin);
    }
    opWhere += " (" + o.name + ")";
    if (llvm::Error err =
            checkIndexList(op.inputs(), o.inputs, opWhere + ": input", true))
      return err;
    if (llvm::Error err = checkIndexList(op.outputs(), o.outputs,
                                         opWhere + ": output", false))
      return err;
  }
  subgraphs_.push_back(std::move(info));
  return llvm::Error::success();
}
