//===- CppEmitter.cpp - Lowering to standalone C++ ------------------------===//
//
// Recognizes the op chains the importer writes for each TFLite layer and
// prints one runtime-kernel call per layer:
//
//   conv2d / depthwise_conv2d -> rescale -> [clamp]     convPerChannelInt8
//   rescale(<<20) -> rescale, x2 -> add|sub -> rescale  addInt8 / subInt8
//   rescale(-zp), x2 -> mul -> rescale -> [clamp]       mulInt8
//   rescale (i8 -> i8) -> [clamp]                       requantizeInt8
//   tinyprune.* , max_pool2d -> [clamp]                 their kernels
//   reshape, and a slice that only trims rows no window reads: views
//
// Float layers map to the float kernels the same way. The requantization
// constants the importer computed are copied, not recomputed, so generated
// code computes exactly what the IR says. Buffers are placed in one arena
// by the liveness-based planner; the model input is read in place and the
// last layer writes straight into the caller's output. A constant that
// feeds a layer as its activation (a layer canonicalization folded away)
// is read from its flash array.
//
//===----------------------------------------------------------------------===//

#include "tinyprune/Target/Cpp.h"

#include "tinyprune/Dialect/TinyPrune.h"
#include "tinyprune/Target/MemoryPlanner.h"
#include "tinyprune/rt/activations.h"
#include "tinyprune/rt/quant_params.h"
#include "tinyprune/rt/reduce.h"
#include "tinyprune/rt/softmax.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Tosa/IR/TosaOps.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/DenseSet.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/TypeSwitch.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/raw_ostream.h"

#include <cstring>
#include <numeric>
#include <optional>

using namespace mlir;
using namespace tinyprune;

namespace {

/// Where a buffer lives. Constants (a layer folded away by
/// canonicalization) are read from their flash array.
enum class Home { Arena, Input, Output, Const };

struct Buffer {
  Type elementType;
  int64_t bytes = 0;
  /// Steps (in schedule order) that write and last read the buffer.
  int64_t firstUse = 0, lastUse = 0;
  Home home = Home::Arena;
  int64_t offset = 0;
  /// Home::Const: the constant array.
  std::string constName;
};

/// How a windowed layer (convolution) can compute its output over its own
/// input row by row (rt/inplace.h). Rows are of the layer's NHWC tensors.
struct RowStreaming {
  int64_t inRows = 0, inRowBytes = 0, outRows = 0, outRowBytes = 0;
  int64_t stride = 1, padTop = 0, span = 1;
  /// The kernel call computing output row `r` into `row` from the input
  /// rows of `const tinyprune::rt::RowWindow w`.
  std::string rowCode;
};

/// One kernel call. `code` refers to buffers as `@N@`, replaced by their
/// addresses once the arena is planned.
struct Step {
  std::string comment;
  std::string code;
  /// Buffers the call reads and writes: the dependences the scheduler
  /// keeps and the lifetimes the planner sees.
  SmallVector<unsigned, 4> reads;
  SmallVector<unsigned, 1> writes;
  /// Element-wise layers: a read buffer, shaped like the output, whose
  /// storage the output may take over when the layer is its last reader.
  int inPlaceRead = -1;
  /// Windowed layers that can run over their input (reads[0]).
  std::optional<RowStreaming> rows;
  /// Set by the planner: the in-place row loop is used, with this ring.
  int ringBuffer = -1;
  int64_t ringDelay = 0;
};

/// Which buffers share storage: buffer b lives `rel[b]` bytes into the
/// storage of its group, named by its first buffer `owner[b]`.
struct Sharing {
  explicit Sharing(size_t n) : owner(n), rel(n, 0) {
    for (size_t b = 0; b < n; ++b)
      owner[b] = b;
  }
  /// `out` overwrites `in`, starting `shift` bytes before it.
  void overwrite(unsigned out, unsigned in, int64_t shift);

  std::vector<unsigned> owner;
  std::vector<int64_t> rel;
};

class Emitter {
public:
  Emitter(func::FuncOp func, StringRef name) : func(func), name(name.str()) {}
  FailureOr<CppModel> run();

private:
  // Buffers and constants.
  unsigned bufferOf(Value v);
  std::string ptr(Value v) { return "@" + std::to_string(bufferOf(v)) + "@"; }
  /// Records that the next emitted step reads / writes `v`'s buffer.
  void use(Value v) { pendingReads.push_back(bufferOf(v)); }
  void define(Value v) { pendingWrites.push_back(bufferOf(v)); }
  /// Follows views (reshape, zero-start slices, casts that keep bytes) back
  /// to the value that owns the storage.
  Value root(Value v);
  std::string constArray(Value v, StringRef cType);
  std::string intArray(ArrayRef<int64_t> values, StringRef cType,
                       StringRef hint);

  // Layers.
  LogicalResult lower(Operation *op);
  LogicalResult lowerConv(Operation *conv);
  /// The constant tables of a filterlet-pruned convolution's weights `w`
  /// (rt/sparse_conv.h); returns the name of its SparseFilter constant.
  std::string sparseFilter(FilterletsAttr filterlets, Value w, int64_t kh,
                           int64_t kw, int64_t ic, int64_t iw,
                           ArrayRef<int64_t> dilation, bool isFloat);
  /// A convolution's kernel call for (padTop, input rows, input pointer,
  /// output rows, output pointer).
  using ConvCall = llvm::function_ref<std::string(
      const std::string &, const std::string &, const std::string &,
      const std::string &, const std::string &)>;
  /// Emits a convolution given its call, recording how it can run in place.
  void emitConv(Operation *op, ConvCall call, int64_t batches, int64_t inRows,
                int64_t inRowBytes, int64_t outRows, int64_t outRowBytes,
                int64_t stride, int64_t padTop, int64_t span,
                const std::string &in, const std::string &out);
  LogicalResult lowerBinaryInt(Operation *op);
  LogicalResult lowerRequantize(tosa::RescaleOp op);
  LogicalResult lowerTinyPrune(Operation *op);
  LogicalResult lowerMaxPool(tosa::MaxPool2dOp op);
  LogicalResult lowerFloatBinary(Operation *op);
  LogicalResult lowerDataMovement(Operation *op);
  LogicalResult lowerMean(MeanOp op);
  LogicalResult lowerQuantize(QuantizeOp op);
  LogicalResult lowerReduceSum(tosa::ReduceSumOp op);
  LogicalResult lowerInt32Binary(Operation *op);
  LogicalResult lowerDequantize(tosa::CastOp op);
  LogicalResult lowerLeakyRelu(tosa::SelectOp op);
  /// `v` as a pointer expression: its constant array, or its buffer (used).
  std::string operand(Value v);

  /// The single user of `v` if it is an `OpT`.
  template <typename OpT> OpT soleUser(Value v);
  /// Clamp range after `v`: consumes a following clamp if there is one.
  std::pair<Value, std::pair<int64_t, int64_t>> intClampAfter(Value v);
  std::pair<Value, std::pair<double, double>> floatClampAfter(Value v);
  /// Appends a step with the reads and writes recorded since the last one.
  void emit(Operation *anchor, std::string code);
  void emitStep(std::string comment, std::string code);
  /// Lets the last step's output `out` overwrite `in` when both have the
  /// same shape and element size and the step reads element i of `in`
  /// only before writing element i of `out`.
  void allowInPlace(Value in, Value out);

  // Scheduling and planning.
  std::vector<size_t> scheduleForMemory() const;
  void computeLifetimes();
  /// Plans the arena for the given storage sharing. `requestOf` receives
  /// each arena buffer's index in the plan, and `peakLive` (if given) the
  /// live-bytes lower bound.
  MemoryPlan planArena(const Sharing &share, std::vector<int> &requestOf,
                       int64_t *peakLive = nullptr) const;
  /// Chooses in-place layers and places every buffer; returns the arena
  /// bytes and the live-bytes lower bound of the final layout.
  std::pair<int64_t, int64_t> placeBuffers();
  std::string shapeArray(ArrayRef<int64_t> shape);

  func::FuncOp func;
  std::string name;
  std::vector<Buffer> bufs;
  DenseMap<Value, unsigned> bufferIds;
  DenseMap<Value, std::string> constNames;
  DenseSet<Operation *> consumed;
  std::vector<Step> steps;
  SmallVector<unsigned, 4> pendingReads, pendingWrites;
  std::string constants;
  int64_t constantBytes = 0;
  unsigned nextConst = 0;
};

} // namespace

//===----------------------------------------------------------------------===//
// Buffers and constants
//===----------------------------------------------------------------------===//

static int64_t byteSize(Type type) {
  auto t = cast<RankedTensorType>(type);
  return t.getNumElements() *
         std::max<int64_t>(1, t.getElementType().getIntOrFloatBitWidth() / 8);
}

static std::string cTypeOf(Type elt) {
  if (isa<FloatType>(elt))
    return "float";
  return "int" + std::to_string(elt.getIntOrFloatBitWidth()) + "_t";
}

Value Emitter::root(Value v) {
  while (Operation *def = v.getDefiningOp()) {
    if (auto r = dyn_cast<tosa::ReshapeOp>(def)) {
      v = r.getInput1();
      continue;
    }
    break;
  }
  return v;
}

unsigned Emitter::bufferOf(Value v) {
  v = root(v);
  auto it = bufferIds.find(v);
  if (it != bufferIds.end())
    return it->second;
  Buffer b;
  b.elementType = cast<RankedTensorType>(v.getType()).getElementType();
  b.bytes = byteSize(v.getType());
  b.firstUse = b.lastUse = (int64_t)steps.size();
  if (isa<BlockArgument>(v))
    b.home = Home::Input;
  if (v.getDefiningOp<tosa::ConstOp>()) {
    b.home = Home::Const;
    b.constName = constArray(v, cTypeOf(b.elementType));
  }
  bufs.push_back(b);
  bufferIds[v] = bufs.size() - 1;
  return bufs.size() - 1;
}

std::string Emitter::intArray(ArrayRef<int64_t> values, StringRef cType,
                              StringRef hint) {
  std::string id = llvm::formatv("k{0}_{1}", nextConst++, hint).str();
  llvm::raw_string_ostream os(constants);
  os << "static const " << cType << " " << id << "[" << values.size()
     << "] = {";
  for (auto [i, v] : llvm::enumerate(values)) {
    if (i % 16 == 0)
      os << "\n   ";
    os << " " << v << ",";
  }
  os << "\n};\n";
  int64_t elementBytes = cType.contains("int8_t")    ? 1
                         : cType.contains("int16_t") ? 2
                                                     : 4;
  constantBytes += (int64_t)values.size() * elementBytes;
  return id;
}

/// Prints a float so that it parses back to the same float.
static std::string floatLiteral(float f) {
  if (std::isinf(f))
    return f > 0 ? "INFINITY" : "-INFINITY";
  std::string s = llvm::formatv("{0:e8}", f).str();
  return s + "f";
}

std::string Emitter::constArray(Value v, StringRef cType) {
  auto it = constNames.find(v);
  if (it != constNames.end())
    return it->second;
  auto c = root(v).getDefiningOp<tosa::ConstOp>();
  auto attr = cast<DenseElementsAttr>(c.getValues());
  std::string id = llvm::formatv("w{0}", nextConst++).str();
  llvm::raw_string_ostream os(constants);
  int64_t n = attr.getNumElements();
  os << "alignas(4) static const " << cType << " " << id << "[" << n << "] = {";
  int64_t k = 0;
  if (isa<FloatType>(attr.getElementType())) {
    for (APFloat f : attr.getValues<APFloat>()) {
      if (k++ % 8 == 0)
        os << "\n   ";
      os << " " << floatLiteral(f.convertToFloat()) << ",";
    }
  } else {
    for (const APInt &i : attr.getValues<APInt>()) {
      if (k++ % 16 == 0)
        os << "\n   ";
      os << " " << i.getSExtValue() << ",";
    }
  }
  os << "\n};\n";
  constantBytes += byteSize(v.getType());
  constNames[v] = id;
  return id;
}

/// Integer values of a constant tensor.
static SmallVector<int64_t> constInts(Value v) {
  SmallVector<int64_t> out;
  if (auto c = v.getDefiningOp<tosa::ConstOp>())
    for (const APInt &i :
         cast<DenseElementsAttr>(c.getValues()).getValues<APInt>())
      out.push_back(i.getSExtValue());
  return out;
}

static bool isConst(Value v) {
  while (auto r = v.getDefiningOp<tosa::ReshapeOp>())
    v = r.getInput1();
  return v.getDefiningOp<tosa::ConstOp>() != nullptr;
}

template <typename OpT> OpT Emitter::soleUser(Value v) {
  if (!v.hasOneUse())
    return {};
  return dyn_cast<OpT>(*v.getUsers().begin());
}

std::pair<Value, std::pair<int64_t, int64_t>> Emitter::intClampAfter(Value v) {
  unsigned bits = cast<RankedTensorType>(v.getType()).getElementTypeBitWidth();
  int64_t lo = -(int64_t(1) << (bits - 1)), hi = (int64_t(1) << (bits - 1)) - 1;
  if (auto clamp = soleUser<tosa::ClampOp>(v)) {
    consumed.insert(clamp);
    lo = std::max(lo, cast<IntegerAttr>(clamp.getMinValAttr()).getInt());
    hi = std::min(hi, cast<IntegerAttr>(clamp.getMaxValAttr()).getInt());
    return {clamp.getResult(), {lo, hi}};
  }
  return {v, {lo, hi}};
}

std::pair<Value, std::pair<double, double>> Emitter::floatClampAfter(Value v) {
  if (auto clamp = soleUser<tosa::ClampOp>(v)) {
    consumed.insert(clamp);
    return {clamp.getResult(),
            {cast<FloatAttr>(clamp.getMinValAttr()).getValueAsDouble(),
             cast<FloatAttr>(clamp.getMaxValAttr()).getValueAsDouble()}};
  }
  return {v, {-INFINITY, INFINITY}};
}

void Emitter::emit(Operation *anchor, std::string code) {
  std::string comment = anchor->getName().getStringRef().str();
  if (auto nameLoc = dyn_cast<NameLoc>(anchor->getLoc()))
    comment += " " + nameLoc.getName().str();
  // Names come from the model file: keep the comment one harmless line (a
  // trailing backslash would continue it onto the code).
  for (char &c : comment)
    if (!llvm::isPrint(c) || c == '\\')
      c = '?';
  emitStep(std::move(comment), std::move(code));
}

void Emitter::allowInPlace(Value in, Value out) {
  auto inT = cast<RankedTensorType>(in.getType());
  auto outT = cast<RankedTensorType>(out.getType());
  if (isConst(in) || inT.getShape() != outT.getShape() ||
      inT.getElementTypeBitWidth() != outT.getElementTypeBitWidth() ||
      steps.back().inPlaceRead >= 0)
    return;
  steps.back().inPlaceRead = bufferOf(in);
}

void Emitter::emitStep(std::string comment, std::string code) {
  Step step;
  step.comment = std::move(comment);
  step.code = std::move(code);
  for (unsigned b : pendingReads)
    if (!llvm::is_contained(step.reads, b))
      step.reads.push_back(b);
  step.writes.assign(pendingWrites.begin(), pendingWrites.end());
  pendingReads.clear();
  pendingWrites.clear();
  steps.push_back(std::move(step));
}

std::string Emitter::shapeArray(ArrayRef<int64_t> shape) {
  return intArray(shape, "int32_t", "shape");
}

//===----------------------------------------------------------------------===//
// Layers
//===----------------------------------------------------------------------===//

/// Requantization constants of a rescale as TFLite multipliers/exponents,
/// one per `channels`.
static bool rescaleConstants(tosa::RescaleOp r, int64_t channels,
                             SmallVector<int64_t> &mult,
                             SmallVector<int64_t> &shift) {
  SmallVector<int64_t> m = constInts(r.getMultiplier());
  SmallVector<int64_t> s = constInts(r.getShift());
  if (m.empty() || m.size() != s.size() ||
      r.getRoundingMode() != tosa::RoundingMode::DOUBLE_ROUND ||
      !r.getScale32() || r.getInputUnsigned() || r.getOutputUnsigned())
    return false;
  for (int64_t c = 0; c < channels; ++c) {
    size_t i = m.size() == 1 ? 0 : c;
    mult.push_back(m[i]);
    shift.push_back(31 - s[i]); // TOSA shift -> TFLite exponent.
  }
  return true;
}

std::string Emitter::sparseFilter(FilterletsAttr filterlets, Value w,
                                  int64_t kh, int64_t kw, int64_t ic,
                                  int64_t iw, ArrayRef<int64_t> dilation,
                                  bool isFloat) {
  int64_t block = filterlets.getBlock(), blocks = ic / block;
  int64_t perFilter = kh * kw * blocks, filterSize = kh * kw * ic;
  // Filterlet ids in the narrowest type that holds them (uint8_t for up to
  // 256 filterlets per filter, half of DTMM's uint16_t), row pointers in
  // uint16_t where the kept filterlets fit, else uint32_t.
  auto typeOf = [](int64_t bytes) {
    return std::string(bytes == 1   ? "uint8_t"
                       : bytes == 2 ? "uint16_t"
                                    : "uint32_t");
  };
  std::string indexType = typeOf(filterletIdBytes(perFilter));
  std::string rowType =
      typeOf(filterletRowBytes((int64_t)filterlets.getIndex().size()));
  SmallVector<int64_t> rowPtr(filterlets.getRowPtr().begin(),
                              filterlets.getRowPtr().end());
  SmallVector<int64_t> index(filterlets.getIndex().begin(),
                             filterlets.getIndex().end());
  SmallVector<int64_t> offset, tapY, tapX;
  for (int64_t id = 0; id < perFilter; ++id) {
    int64_t tap = id / blocks, cb = id % blocks;
    int64_t ky = tap / kw, kx = tap % kw;
    offset.push_back((ky * dilation[0] * iw + kx * dilation[1]) * ic +
                     cb * block);
    tapY.push_back(ky);
    tapX.push_back(kx);
  }
  // The kept filterlets' weights, concatenated filter by filter.
  auto attr = cast<DenseElementsAttr>(
      root(w).getDefiningOp<tosa::ConstOp>().getValues());
  std::string values;
  if (isFloat) {
    SmallVector<float> all;
    for (APFloat f : attr.getValues<APFloat>())
      all.push_back(f.convertToFloat());
    values = llvm::formatv("k{0}_kept", nextConst++).str();
    llvm::raw_string_ostream os(constants);
    os << "alignas(4) static const float " << values << "["
       << std::max<size_t>(1, index.size() * block) << "] = {";
    int64_t k = 0;
    for (int64_t o = 0; o + 1 < (int64_t)rowPtr.size(); ++o)
      for (int32_t id : filterlets.getKept(o))
        for (int64_t e = 0; e < block; ++e) {
          if (k++ % 8 == 0)
            os << "\n   ";
          os << " " << floatLiteral(all[o * filterSize + id * block + e])
             << ",";
        }
    os << "\n};\n";
    constantBytes += 4 * (int64_t)index.size() * block;
  } else {
    SmallVector<int64_t> all = constInts(root(w)), kept;
    for (int64_t o = 0; o + 1 < (int64_t)rowPtr.size(); ++o)
      for (int32_t id : filterlets.getKept(o))
        for (int64_t e = 0; e < block; ++e)
          kept.push_back(all[o * filterSize + id * block + e]);
    if (kept.empty())
      kept.push_back(0);
    values = intArray(kept, "int8_t", "kept");
  }
  if (index.empty())
    index.push_back(0); // C++ has no empty arrays; rowPtr says none is kept.
  std::string name = llvm::formatv("k{0}_sparse", nextConst++).str();
  std::string r = intArray(rowPtr, rowType, "rowptr");
  std::string i = intArray(index, indexType, "index");
  std::string o = intArray(offset, "int32_t", "offset");
  std::string y = intArray(tapY, "uint8_t", "tapy");
  std::string x = intArray(tapX, "uint8_t", "tapx");
  llvm::raw_string_ostream os(constants);
  os << "static const tinyprune::rt::SparseFilter"
     << (isFloat ? "Float" : "Int8") << "<" << indexType << ", " << rowType
     << "> " << name << " = {" << r << ", " << i << ", " << values << ", " << o
     << ", " << y << ", " << x << ", " << block << "};\n";
  return name;
}

LogicalResult Emitter::lowerConv(Operation *op) {
  bool depthwise = isa<tosa::DepthwiseConv2DOp>(op);
  Value x = op->getOperand(0), w = op->getOperand(1), bias = op->getOperand(2);
  Value xZp = op->getOperand(3);
  auto xType = cast<RankedTensorType>(x.getType());
  auto wType = cast<RankedTensorType>(w.getType());
  auto accType = cast<RankedTensorType>(op->getResult(0).getType());
  ArrayRef<int64_t> pad, stride, dilation;
  if (auto c = dyn_cast<tosa::Conv2DOp>(op)) {
    pad = c.getPad(), stride = c.getStride(), dilation = c.getDilation();
  } else {
    auto d = cast<tosa::DepthwiseConv2DOp>(op);
    pad = d.getPad(), stride = d.getStride(), dilation = d.getDilation();
  }
  if (!isConst(w) || !isConst(bias))
    return op->emitOpError() << "C++ lowering needs constant weights and bias";
  // A slice from the origin only drops rows no window reads: read the
  // untrimmed tensor instead.
  if (auto slice = x.getDefiningOp<tosa::SliceOp>()) {
    SmallVector<int64_t> start;
    if (auto cs = slice.getStart().getDefiningOp<tosa::ConstShapeOp>())
      for (const APInt &v : cs.getValues().getValues<APInt>())
        start.push_back(v.getSExtValue());
    if (!llvm::all_of(start, [](int64_t s) { return s == 0; }))
      return slice.emitOpError() << "is not supported by the C++ lowering yet";
    x = slice.getInput1();
    xType = cast<RankedTensorType>(x.getType());
  }
  int64_t n = xType.getDimSize(0), ih = xType.getDimSize(1),
          iw = xType.getDimSize(2), ic = xType.getDimSize(3);
  int64_t oh = accType.getDimSize(1), ow = accType.getDimSize(2),
          oc = accType.getDimSize(3);
  int64_t kh = depthwise ? wType.getDimSize(0) : wType.getDimSize(1);
  int64_t kw = depthwise ? wType.getDimSize(1) : wType.getDimSize(2);

  if (isa<FloatType>(xType.getElementType())) {
    auto [out, range] = floatClampAfter(op->getResult(0));
    auto filterlets = op->getAttrOfType<FilterletsAttr>(
        TinyPruneDialect::getFilterletsAttrName());
    std::string sparse =
        filterlets && !depthwise
            ? sparseFilter(filterlets, w, kh, kw, ic, iw, dilation, true)
            : "";
    std::string wName = sparse.empty() ? constArray(w, "float") : "",
                bName = constArray(bias, "float");
    use(x);
    define(out);
    // The call with the given top padding, input rows and output rows.
    auto call = [&](const std::string &padTop, const std::string &inRows,
                    const std::string &in, const std::string &outRows,
                    const std::string &outPtr) {
      std::string params = llvm::formatv(
          "tinyprune::rt::ConvFloatParams{{{0}, {1}, {2}, {3}, {4}, {5}, {6}, "
          "{7}}",
          stride[0], stride[1], dilation[0], dilation[1], padTop, pad[2],
          floatLiteral((float)range.first), floatLiteral((float)range.second));
      if (depthwise)
        return llvm::formatv(
                   "tinyprune::rt::depthwiseConvFloat({0}, {1}, {2}, {3}, "
                   "{4}, {5}, (const float *)({6}), {7}, {8}, {9}, {10}, "
                   "{11}, {12}, (float *)({13}));",
                   params, wType.getDimSize(3), n, inRows, iw, ic, in, kh, kw,
                   wName, bName, outRows, ow, outPtr)
            .str();
      return llvm::formatv(
                 "tinyprune::rt::{14}({0}, {1}, {2}, {3}, {4}, (const "
                 "float *)({5}), {6}, {7}, {8}, {9}, {10}, {11}, {12}, (float "
                 "*)({13}));",
                 params, n, inRows, iw, ic, in, oc, kh, kw,
                 sparse.empty() ? wName : sparse, bName, outRows, ow, outPtr,
                 sparse.empty() ? "convFloat" : "sparseConvFloat")
          .str();
    };
    emitConv(op, call, n, ih, iw * ic * 4, oh, ow * oc * 4, stride[0], pad[0],
             (kh - 1) * dilation[0] + 1, ptr(x), ptr(out));
    return success();
  }

  auto rescale = soleUser<tosa::RescaleOp>(op->getResult(0));
  if (!rescale ||
      !cast<RankedTensorType>(rescale.getType()).getElementType().isInteger(8))
    return op->emitOpError()
           << "C++ lowering expects an int8 rescale after the convolution";
  SmallVector<int64_t> mult, shift;
  if (!rescaleConstants(rescale, oc, mult, shift))
    return rescale.emitOpError() << "has constants the C++ lowering cannot use";
  consumed.insert(rescale);
  int64_t outZp = constInts(rescale.getOutputZp()).front();
  auto [out, range] = intClampAfter(rescale.getResult());
  int64_t inZp = constInts(xZp).front();
  auto filterlets = op->getAttrOfType<FilterletsAttr>(
      TinyPruneDialect::getFilterletsAttrName());
  std::string sparse =
      filterlets && !depthwise
          ? sparseFilter(filterlets, w, kh, kw, ic, iw, dilation, false)
          : "";
  std::string wName = sparse.empty() ? constArray(w, "int8_t") : "";
  std::string bName;
  bool unpadded = llvm::all_of(pad, [](int64_t v) { return v == 0; });
  if (!depthwise && unpadded && inZp != 0) {
    // No window is ever clipped: fold the input zero point's share,
    // -zp * sum(w), into the bias once here instead of every inference.
    // |zp * sum(w)| <= 2^30 for TFLite-sized filters, so this stays exact.
    SmallVector<int64_t> folded = constInts(root(bias));
    SmallVector<int64_t> weights = constInts(root(w));
    int64_t perFilter = (int64_t)weights.size() / oc;
    if (folded.size() == 1)
      folded.assign(oc, folded[0]);
    for (int64_t o = 0; o < oc; ++o) {
      int64_t sum = 0;
      for (int64_t k = 0; k < perFilter; ++k)
        sum += weights[o * perFilter + k];
      folded[o] -= inZp * sum;
      if (folded[o] < INT32_MIN || folded[o] > INT32_MAX)
        return op->emitOpError() << "folded bias overflows int32";
    }
    bName = intArray(folded, "int32_t", "bias");
    inZp = 0;
  } else {
    bName = constArray(bias, "int32_t");
  }
  std::string mName = intArray(mult, "int32_t", "mult");
  std::string sName = intArray(shift, "int32_t", "shift");
  use(x);
  define(out);
  auto call = [&](const std::string &padTop, const std::string &inRows,
                  const std::string &in, const std::string &outRows,
                  const std::string &outPtr) {
    std::string params =
        llvm::formatv("tinyprune::rt::ConvInt8Params{{{0}, {1}, {2}, {3}, "
                      "{4}, {5}, {6}, {7}, {8}, {9}}",
                      stride[0], stride[1], dilation[0], dilation[1], padTop,
                      pad[2], inZp, outZp, range.first, range.second);
    if (depthwise)
      return llvm::formatv(
                 "tinyprune::rt::depthwiseConvPerChannelInt8({0}, {1}, {2}, "
                 "{3}, {4}, {5}, {6}, {7}, (const int8_t *)({8}), {9}, {10}, "
                 "{11}, {12}, {13}, {14}, (int8_t *)({15}));",
                 params, mName, sName, wType.getDimSize(3), n, inRows, iw, ic,
                 in, kh, kw, wName, bName, outRows, ow, outPtr)
          .str();
    return llvm::formatv(
               "tinyprune::rt::{16}({0}, {1}, {2}, {3}, {4}, "
               "{5}, {6}, (const int8_t *)({7}), {8}, {9}, {10}, {11}, {12}, "
               "{13}, {14}, (int8_t *)({15}));",
               params, mName, sName, n, inRows, iw, ic, in, oc, kh, kw,
               sparse.empty() ? wName : sparse, bName, outRows, ow, outPtr,
               sparse.empty() ? "convPerChannelInt8"
                              : "sparseConvPerChannelInt8")
        .str();
  };
  emitConv(op, call, n, ih, iw * ic, oh, ow * oc, stride[0], pad[0],
           (kh - 1) * dilation[0] + 1, ptr(x), ptr(out));
  return success();
}

void Emitter::emitConv(Operation *op, ConvCall call, int64_t batches,
                       int64_t inRows, int64_t inRowBytes, int64_t outRows,
                       int64_t outRowBytes, int64_t stride, int64_t padTop,
                       int64_t span, const std::string &in,
                       const std::string &out) {
  emit(op, call(std::to_string(padTop), std::to_string(inRows), in,
                std::to_string(outRows), out));
  if (batches != 1)
    return;
  RowStreaming rows;
  rows.inRows = inRows, rows.inRowBytes = inRowBytes;
  rows.outRows = outRows, rows.outRowBytes = outRowBytes;
  rows.stride = stride, rows.padTop = padTop, rows.span = span;
  rows.rowCode =
      call("w.padTop", "w.count",
           in + " + w.first * " + std::to_string(inRowBytes), "1", "row");
  steps.back().rows = std::move(rows);
}

/// The importer's int8 ADD/SUB/MUL: each operand is `rescale(x)` (ADD/SUB:
/// then a second rescale); the i32 result is rescaled to int8.
LogicalResult Emitter::lowerBinaryInt(Operation *op) {
  bool isMul = isa<tosa::MulOp>(op);
  struct Side {
    Value x;
    int64_t zp = 0, mult = 0, shift = 0;
  } sides[2];
  for (int k = 0; k < 2; ++k) {
    auto r = op->getOperand(k).getDefiningOp<tosa::RescaleOp>();
    if (!r || !r->hasOneUse())
      return op->emitOpError() << "C++ lowering expects rescaled operands";
    consumed.insert(r);
    if (!isMul) {
      SmallVector<int64_t> m, s;
      if (!rescaleConstants(r, 1, m, s))
        return r.emitOpError() << "has unsupported constants";
      sides[k].mult = m[0];
      sides[k].shift = s[0];
      r = r.getInput().getDefiningOp<tosa::RescaleOp>();
      if (!r || !r->hasOneUse())
        return op->emitOpError() << "C++ lowering expects the 20-bit shift";
      consumed.insert(r);
    }
    sides[k].x = r.getInput();
    sides[k].zp = constInts(r.getInputZp()).front();
  }
  auto outR = soleUser<tosa::RescaleOp>(op->getResult(0));
  SmallVector<int64_t> om, os;
  if (!outR || !rescaleConstants(outR, 1, om, os))
    return op->emitOpError() << "C++ lowering expects an output rescale";
  consumed.insert(outR);
  int64_t outZp = constInts(outR.getOutputZp()).front();
  auto [out, range] = intClampAfter(outR.getResult());
  auto outType = cast<RankedTensorType>(out.getType());
  std::string s1 =
      shapeArray(cast<RankedTensorType>(sides[0].x.getType()).getShape());
  std::string s2 =
      shapeArray(cast<RankedTensorType>(sides[1].x.getType()).getShape());
  std::string so = shapeArray(outType.getShape());
  for (const Side &side : sides)
    if (!isConst(side.x))
      use(side.x);
  define(out);
  std::string in1 = isConst(sides[0].x) ? constArray(sides[0].x, "int8_t")
                                        : "(const int8_t *)" + ptr(sides[0].x);
  std::string in2 = isConst(sides[1].x) ? constArray(sides[1].x, "int8_t")
                                        : "(const int8_t *)" + ptr(sides[1].x);
  if (isMul) {
    emit(op,
         llvm::formatv(
             "tinyprune::rt::mulInt8(tinyprune::rt::MulInt8Params{{{0}, "
             "{1}, {2}, {3}, {4}, {5}, {6}}, {7}, {8}, {9}, {10}, {11}, "
             "{12}, (int8_t *){13});",
             -sides[0].zp, -sides[1].zp, outZp, om[0], os[0], range.first,
             range.second, outType.getRank(), s1, in1, s2, in2, so, ptr(out))
             .str());
    allowInPlace(sides[0].x, out);
    allowInPlace(sides[1].x, out);
    return success();
  }
  emit(op,
       llvm::formatv(
           "tinyprune::rt::{0}(tinyprune::rt::AddInt8Params{{{1}, {2}, "
           "{3}, 20, {4}, {5}, {6}, {7}, {8}, {9}, {10}, {11}}, {12}, {13}, "
           "{14}, {15}, {16}, {17}, (int8_t *){18});",
           isa<tosa::SubOp>(op) ? "subInt8" : "addInt8", -sides[0].zp,
           -sides[1].zp, outZp, sides[0].mult, sides[0].shift, sides[1].mult,
           sides[1].shift, om[0], os[0], range.first, range.second,
           outType.getRank(), s1, in1, s2, in2, so, ptr(out))
           .str());
  allowInPlace(sides[0].x, out);
  allowInPlace(sides[1].x, out);
  return success();
}

LogicalResult Emitter::lowerRequantize(tosa::RescaleOp op) {
  auto inType = cast<RankedTensorType>(op.getInput().getType());
  if (!inType.getElementType().isInteger(8) ||
      !op.getType().getElementType().isInteger(8))
    return op.emitOpError() << "C++ lowering supports i8 -> i8 rescales";
  SmallVector<int64_t> m, s;
  if (!rescaleConstants(op, 1, m, s) ||
      constInts(op.getMultiplier()).size() != 1)
    return op.emitOpError() << "C++ lowering needs a per-tensor rescale";
  int64_t inZp = constInts(op.getInputZp()).front();
  int64_t outZp = constInts(op.getOutputZp()).front();
  auto [out, range] = intClampAfter(op.getResult());
  use(op.getInput());
  define(out);
  emit(op, llvm::formatv("tinyprune::rt::requantizeInt8({0}, (const int8_t "
                         "*){1}, {2}, {3}, {4}, {5}, {6}, {7}, (int8_t *){8});",
                         inType.getNumElements(), ptr(op.getInput()), inZp,
                         m[0], s[0], outZp, range.first, range.second, ptr(out))
               .str());
  allowInPlace(op.getInput(), out);
  return success();
}

LogicalResult Emitter::lowerMaxPool(tosa::MaxPool2dOp op) {
  auto in = cast<RankedTensorType>(op.getInput().getType());
  auto outT = op.getType();
  bool isFloat = isa<FloatType>(in.getElementType());
  std::string dims =
      llvm::formatv("{0}, {1}, {2}, {3}, (const {4} *){5}, {6}, {7}",
                    in.getDimSize(0), in.getDimSize(1), in.getDimSize(2),
                    in.getDimSize(3), cTypeOf(in.getElementType()),
                    ptr(op.getInput()), outT.getDimSize(1), outT.getDimSize(2));
  ArrayRef<int64_t> k = op.getKernel(), s = op.getStride(), p = op.getPad();
  use(op.getInput());
  if (isFloat) {
    auto [out, range] = floatClampAfter(op.getResult());
    define(out);
    emit(op, llvm::formatv("tinyprune::rt::maxPoolFloat(tinyprune::rt::"
                           "PoolParamsFloat{{{0}, {1}, {2}, {3}, {4}, {5}, "
                           "{6}, {7}}, {8}, (float *){9});",
                           s[0], s[1], k[0], k[1], p[0], p[2],
                           floatLiteral((float)range.first),
                           floatLiteral((float)range.second), dims, ptr(out))
                 .str());
    return success();
  }
  if (!in.getElementType().isInteger(8))
    return op.emitOpError() << "C++ lowering supports int8 and float pools";
  auto [out, range] = intClampAfter(op.getResult());
  define(out);
  emit(op, llvm::formatv("tinyprune::rt::maxPoolInt8(tinyprune::rt::"
                         "PoolParams{{{0}, {1}, {2}, {3}, {4}, {5}, {6}, {7}}, "
                         "{8}, (int8_t *){9});",
                         s[0], s[1], k[0], k[1], p[0], p[2], range.first,
                         range.second, dims, ptr(out))
               .str());
  return success();
}

LogicalResult Emitter::lowerFloatBinary(Operation *op) {
  auto outT = cast<RankedTensorType>(op->getResult(0).getType());
  Value a = op->getOperand(0), b = op->getOperand(1);
  auto [out, range] = floatClampAfter(op->getResult(0));
  std::string s1 = shapeArray(cast<RankedTensorType>(a.getType()).getShape());
  std::string s2 = shapeArray(cast<RankedTensorType>(b.getType()).getShape());
  std::string so = shapeArray(outT.getShape());
  std::string in1 =
      isConst(a) ? constArray(a, "float") : "(const float *)" + ptr(a);
  std::string in2 =
      isConst(b) ? constArray(b, "float") : "(const float *)" + ptr(b);
  if (!isConst(a))
    use(a);
  if (!isConst(b))
    use(b);
  define(out);
  StringRef fn = isa<tosa::AddOp>(op)   ? "addFloat"
                 : isa<tosa::SubOp>(op) ? "subFloat"
                                        : "mulFloat";
  emit(op, llvm::formatv("tinyprune::rt::{0}({1}, {2}, {3}, {4}, {5}, {6}, "
                         "{7}, {8}, (float *){9});",
                         fn, floatLiteral((float)range.first),
                         floatLiteral((float)range.second), outT.getRank(), s1,
                         in1, s2, in2, so, ptr(out))
               .str());
  allowInPlace(a, out);
  allowInPlace(b, out);
  return success();
}

LogicalResult Emitter::lowerTinyPrune(Operation *op) {
  Value in = op->getOperand(0), out = op->getResult(0);
  auto inT = cast<RankedTensorType>(in.getType());
  bool isFloat = isa<FloatType>(inT.getElementType());
  int64_t size = inT.getNumElements();
  std::string x = ptr(in), y = ptr(out);
  use(in);
  define(out);
  if (auto s = dyn_cast<SoftmaxOp>(op)) {
    int64_t depth = inT.getShape().back();
    float beta = s.getBeta().convertToFloat();
    if (isFloat) {
      emit(op, llvm::formatv("tinyprune::rt::softmaxFloat({0}, {1}, {2}, "
                             "(const float *){3}, (float *){4});",
                             floatLiteral(beta), size / depth, depth, x, y)
                   .str());
      return success();
    }
    if (!inT.getElementType().isInteger(8))
      return op->emitOpError()
             << "C++ lowering supports int8 and float softmax";
    rt::SoftmaxInt8Params p =
        rt::prepareSoftmaxInt8(s.getInputQuantAttr().getScale()[0], beta);
    emit(op, llvm::formatv("tinyprune::rt::softmaxInt8(tinyprune::rt::"
                           "SoftmaxInt8Params{{{0}, {1}, {2}}, {3}, {4}, "
                           "(const int8_t *){5}, (int8_t *){6});",
                           p.inputMultiplier, p.inputLeftShift, p.diffMin,
                           size / depth, depth, x, y)
                 .str());
    return success();
  }
  if (auto a = dyn_cast<AvgPool2dOp>(op)) {
    if (!inT.getElementType().isInteger(8))
      return op->emitOpError() << "C++ lowering supports int8 average pools";
    auto outT = a.getType();
    emit(op,
         llvm::formatv(
             "tinyprune::rt::averagePoolInt8(tinyprune::rt::PoolParams{{"
             "{0}, {1}, {2}, {3}, {4}, {5}, {6}, {7}}, {8}, {9}, {10}, "
             "{11}, (const int8_t *){12}, {13}, {14}, (int8_t *){15});",
             a.getStride()[0], a.getStride()[1], a.getKernel()[0],
             a.getKernel()[1], a.getPad()[0], a.getPad()[2],
             a.getMinValAttr().getInt(), a.getMaxValAttr().getInt(),
             inT.getDimSize(0), inT.getDimSize(1), inT.getDimSize(2),
             inT.getDimSize(3), x, outT.getDimSize(1), outT.getDimSize(2), y)
             .str());
    return success();
  }
  if (auto h = dyn_cast<HardSwishOp>(op)) {
    if (isFloat || !inT.getElementType().isInteger(8))
      return op->emitOpError() << "C++ lowering supports int8 hard swish";
    QuantAttr qi = h.getInputQuantAttr(), qo = h.getOutputQuantAttr();
    rt::HardSwishInt8Params p = rt::prepareHardSwishInt8(
        qi.getScale()[0], static_cast<int32_t>(qi.getZeroPoint()[0]),
        qo.getScale()[0], static_cast<int32_t>(qo.getZeroPoint()[0]));
    if (!rt::hardSwishInt8Supported(p))
      return op->emitOpError() << "has scales TFLite's int8 hard swish rejects";
    emit(op, llvm::formatv(
                 "tinyprune::rt::hardSwishInt8(tinyprune::rt::"
                 "HardSwishInt8Params{{{0}, {1}, {2}, {3}, {4}, {5}}, "
                 "{6}, (const int8_t *){7}, (int8_t *){8});",
                 p.inputZeroPoint, p.outputZeroPoint,
                 p.reluishMultiplierFixedpointInt16,
                 p.reluishMultiplierExponent, p.outputMultiplierFixedpointInt16,
                 p.outputMultiplierExponent, size, x, y)
                 .str());
    allowInPlace(in, out);
    return success();
  }
  if (isa<LogisticOp, TanhOp>(op)) {
    // Both kernels take the same four prepared integers.
    bool logistic = isa<LogisticOp>(op);
    if (isFloat || !inT.getElementType().isInteger(8))
      return op->emitOpError() << "C++ lowering supports int8 "
                               << (logistic ? "logistic" : "tanh");
    auto q = op->getAttrOfType<QuantAttr>("input_quant");
    float scale = q.getScale()[0];
    auto zp = static_cast<int32_t>(q.getZeroPoint()[0]);
    int32_t params[4];
    if (logistic) {
      rt::LogisticInt8Params p = rt::prepareLogisticInt8(scale, zp);
      params[0] = p.inputZeroPoint, params[1] = p.inputRangeRadius;
      params[2] = p.inputMultiplier, params[3] = p.inputLeftShift;
    } else {
      rt::TanhInt8Params p = rt::prepareTanhInt8(scale, zp);
      params[0] = p.inputZeroPoint, params[1] = p.inputRangeRadius;
      params[2] = p.inputMultiplier, params[3] = p.inputLeftShift;
    }
    StringRef kernel = logistic ? "logistic" : "tanh";
    StringRef paramsType = logistic ? "Logistic" : "Tanh";
    emit(op, llvm::formatv("tinyprune::rt::{0}Int8(tinyprune::rt::{1}Int8Params"
                           "{{{2}, {3}, {4}, {5}}, {6}, (const int8_t *){7}, "
                           "(int8_t *){8});",
                           kernel, paramsType, params[0], params[1], params[2],
                           params[3], size, x, y)
                 .str());
    allowInPlace(in, out);
    return success();
  }
  return op->emitOpError() << "is not supported by the C++ lowering yet";
}

/// Integer values of a `tosa.const_shape`.
static SmallVector<int64_t> shapeValues(Value v) {
  SmallVector<int64_t> out;
  if (auto c = v.getDefiningOp<tosa::ConstShapeOp>())
    for (const APInt &i : c.getValues().getValues<APInt>())
      out.push_back(i.getSExtValue());
  return out;
}

static int64_t elementBytes(Type t) {
  return std::max<int64_t>(
      1, cast<RankedTensorType>(t).getElementTypeBitWidth() / 8);
}

/// An operand as a pointer expression: its constant array or its buffer.
std::string Emitter::operand(Value v) {
  auto t = cast<RankedTensorType>(v.getType());
  if (isConst(v))
    return constArray(v, cTypeOf(t.getElementType()));
  use(v);
  return ptr(v);
}

LogicalResult Emitter::lowerDataMovement(Operation *op) {
  Value out = op->getResult(0);
  auto outT = cast<RankedTensorType>(out.getType());
  int64_t eb = elementBytes(outT);
  std::string code;
  if (auto slice = dyn_cast<tosa::SliceOp>(op)) {
    auto inT = cast<RankedTensorType>(slice.getInput1().getType());
    SmallVector<int64_t> start = shapeValues(slice.getStart());
    if (start.size() != (size_t)inT.getRank())
      return op->emitOpError() << "needs a constant start";
    std::string in = operand(slice.getInput1());
    code = llvm::formatv("tinyprune::rt::sliceCopy({0}, {1}, {2}, {3}, {4}, "
                         "{5}, {6});",
                         eb, inT.getRank(), shapeArray(inT.getShape()),
                         shapeArray(start), shapeArray(outT.getShape()), in,
                         ptr(out));
  } else if (auto pad = dyn_cast<tosa::PadOp>(op)) {
    auto inT = cast<RankedTensorType>(pad.getInput1().getType());
    SmallVector<int64_t> pads = shapeValues(pad.getPadding());
    SmallVector<int64_t> before;
    for (size_t d = 0; d < pads.size(); d += 2)
      before.push_back(pads[d]);
    std::string value =
        constArray(pad.getPadConst(), cTypeOf(outT.getElementType()));
    std::string in = operand(pad.getInput1());
    code = llvm::formatv("tinyprune::rt::padCopy({0}, {1}, {2}, {3}, {4}, {5}, "
                         "{6}, {7});",
                         eb, inT.getRank(), shapeArray(inT.getShape()),
                         shapeArray(before), shapeArray(outT.getShape()), value,
                         in, ptr(out));
  } else if (auto tr = dyn_cast<tosa::TransposeOp>(op)) {
    auto inT = cast<RankedTensorType>(tr.getInput1().getType());
    SmallVector<int64_t> perm(tr.getPerms().begin(), tr.getPerms().end());
    std::string in = operand(tr.getInput1());
    code = llvm::formatv("tinyprune::rt::transposeCopy({0}, {1}, {2}, {3}, "
                         "{4}, {5});",
                         eb, inT.getRank(), shapeArray(inT.getShape()),
                         shapeArray(perm), in, ptr(out));
  } else if (auto cat = dyn_cast<tosa::ConcatOp>(op)) {
    int64_t axis = cat.getAxis();
    SmallVector<int64_t> sizes;
    std::string list;
    for (Value in : cat.getInput1()) {
      sizes.push_back(cast<RankedTensorType>(in.getType()).getDimSize(axis));
      list += "static_cast<const void *>(" + operand(in) + "), ";
    }
    code = llvm::formatv("{{ const void *const parts[] = {{{0}}; "
                         "tinyprune::rt::concatCopy({1}, {2}, {3}, {4}, {5}, "
                         "{6}, parts, {7}); }",
                         list, eb, outT.getRank(), shapeArray(outT.getShape()),
                         axis, sizes.size(), intArray(sizes, "int32_t", "axis"),
                         ptr(out));
  } else if (auto clamp = dyn_cast<tosa::ClampOp>(op)) {
    std::string in = operand(clamp.getInput());
    int64_t n = outT.getNumElements();
    if (isa<FloatType>(outT.getElementType())) {
      float lo = cast<FloatAttr>(clamp.getMinValAttr()).getValueAsDouble();
      float hi = cast<FloatAttr>(clamp.getMaxValAttr()).getValueAsDouble();
      code = llvm::formatv("tinyprune::rt::clampFloat({0}, (const float *){1}, "
                           "{2}, {3}, (float *){4});",
                           n, in, floatLiteral(lo), floatLiteral(hi), ptr(out));
    } else if (outT.getElementType().isInteger(8)) {
      code = llvm::formatv(
          "tinyprune::rt::clampInt8({0}, (const int8_t *){1}, "
          "{2}, {3}, (int8_t *){4});",
          n, in, cast<IntegerAttr>(clamp.getMinValAttr()).getInt(),
          cast<IntegerAttr>(clamp.getMaxValAttr()).getInt(), ptr(out));
    } else {
      return op->emitOpError() << "C++ lowering clamps int8 and float";
    }
  } else {
    return op->emitOpError() << "is not supported by the C++ lowering yet";
  }
  define(out);
  emit(op, code);
  if (auto clamp = dyn_cast<tosa::ClampOp>(op))
    allowInPlace(clamp.getInput(), out);
  return success();
}

LogicalResult Emitter::lowerMean(MeanOp op) {
  auto inT = op.getInput().getType();
  if (!inT.getElementType().isInteger(8))
    return op.emitOpError() << "C++ lowering supports int8 mean";
  QuantAttr qi = op.getInputQuant(), qo = op.getOutputQuant();
  rt::MeanIntParams p = rt::prepareMeanInt(
      qi.getScale()[0], static_cast<int32_t>(qi.getZeroPoint()[0]),
      qo.getScale()[0], static_cast<int32_t>(qo.getZeroPoint()[0]));
  SmallVector<int64_t> axes(op.getAxes().begin(), op.getAxes().end());
  std::string in = operand(op.getInput());
  define(op.getResult());
  emit(op, llvm::formatv("tinyprune::rt::meanInt8(tinyprune::rt::MeanIntParams"
                         "{{{0}, {1}, {2}, {3}, {4}}, {5}, {6}, {7}, {8}, "
                         "(const int8_t *){9}, (int8_t *){10});",
                         p.inputZeroPoint, p.outputZeroPoint, p.multiplier,
                         p.shift, p.sameQuantization ? "true" : "false",
                         shapeArray(inT.getShape()), inT.getRank(),
                         intArray(axes, "int32_t", "axes"), axes.size(), in,
                         ptr(op.getResult()))
               .str());
  return success();
}

LogicalResult Emitter::lowerQuantize(QuantizeOp op) {
  QuantAttr q = op.getOutputQuant();
  auto outT = op.getType();
  bool i16 = outT.getElementType().isInteger(16);
  if (!i16 && !outT.getElementType().isInteger(8))
    return op.emitOpError() << "C++ lowering quantizes to int8 and int16";
  StringRef cType = i16 ? "int16_t" : "int8_t";
  StringRef kernel = i16 ? "quantizeInt16" : "quantizeInt8";
  std::string in = operand(op.getInput());
  define(op.getResult());
  if (!q.isPerChannel()) {
    emit(op, llvm::formatv("tinyprune::rt::{0}({1}, {2}, {3}, (const float "
                           "*){4}, ({5} *){6});",
                           kernel, floatLiteral(q.getScale()[0]),
                           q.getZeroPoint()[0], outT.getNumElements(), in,
                           cType, ptr(op.getResult()))
                 .str());
    return success();
  }
  // Per channel: the scales as a float array, exactly.
  std::string scales = llvm::formatv("k{0}_scales", nextConst++).str();
  {
    llvm::raw_string_ostream os(constants);
    os << "static const float " << scales << "[" << q.getScale().size()
       << "] = {";
    for (float f : q.getScale())
      os << " " << floatLiteral(f) << ",";
    os << " };\n";
    constantBytes += 4 * (int64_t)q.getScale().size();
  }
  SmallVector<int64_t> zps(q.getZeroPoint().begin(), q.getZeroPoint().end());
  emit(op, llvm::formatv("tinyprune::rt::{0}PerChannel({1}, {2}, {3}, {4}, "
                         "{5}, (const float *){6}, ({7} *){8});",
                         kernel, scales, intArray(zps, "int32_t", "zp"),
                         shapeArray(outT.getShape()), outT.getRank(),
                         q.getAxis(), in, cType, ptr(op.getResult()))
               .str());
  return success();
}

LogicalResult Emitter::lowerReduceSum(tosa::ReduceSumOp op) {
  auto inT = op.getInput().getType();
  Type elt = inT.getElementType();
  if (!isa<FloatType>(elt) && !elt.isInteger(32))
    return op.emitOpError() << "C++ lowering sums float32 and int32";
  int64_t axis = op.getAxis(), outer = 1, inner = 1;
  for (int64_t d = 0; d < inT.getRank(); ++d)
    (d < axis ? outer : inner) *= d == axis ? 1 : inT.getDimSize(d);
  std::string cType = cTypeOf(elt);
  std::string in = operand(op.getInput());
  define(op.getResult());
  emit(op, llvm::formatv("tinyprune::rt::reduceSum<{0}>({1}, {2}, {3}, (const "
                         "{0} *){4}, ({0} *){5});",
                         cType, outer, inT.getDimSize(axis), inner, in,
                         ptr(op.getResult()))
               .str());
  return success();
}

/// int32 ADD/SUB/MUL: plain integer arithmetic, no rescale (TFLite allows
/// no fused activation on int32).
LogicalResult Emitter::lowerInt32Binary(Operation *op) {
  auto outT = cast<RankedTensorType>(op->getResult(0).getType());
  Value a = op->getOperand(0), b = op->getOperand(1);
  if (auto mul = dyn_cast<tosa::MulOp>(op)) {
    SmallVector<int64_t> shift = constInts(mul.getShift());
    if (shift.size() != 1 || shift[0] != 0)
      return op->emitOpError() << "C++ lowering needs an int32 multiply "
                                  "without shift";
  }
  std::string s1 = shapeArray(cast<RankedTensorType>(a.getType()).getShape());
  std::string s2 = shapeArray(cast<RankedTensorType>(b.getType()).getShape());
  std::string so = shapeArray(outT.getShape());
  std::string in1 = "(const int32_t *)" + operand(a);
  std::string in2 = "(const int32_t *)" + operand(b);
  define(op->getResult(0));
  StringRef fn = isa<tosa::AddOp>(op)   ? "addInt32"
                 : isa<tosa::SubOp>(op) ? "subInt32"
                                        : "mulInt32";
  emit(op, llvm::formatv("tinyprune::rt::{0}({1}, {2}, {3}, {4}, {5}, {6}, "
                         "(int32_t *){7});",
                         fn, outT.getRank(), s1, in1, s2, in2, so,
                         ptr(op->getResult(0)))
               .str());
  allowInPlace(a, op->getResult(0));
  allowInPlace(b, op->getResult(0));
  return success();
}

/// DEQUANTIZE as the importer writes it: cast i8 -> f32, sub a zero-point
/// constant, mul by a scale constant (per tensor).
LogicalResult Emitter::lowerDequantize(tosa::CastOp op) {
  auto inT = cast<RankedTensorType>(op.getInput().getType());
  auto sub = soleUser<tosa::SubOp>(op.getResult());
  auto mul = sub ? soleUser<tosa::MulOp>(sub.getResult()) : tosa::MulOp();
  auto zpC =
      sub ? sub.getInput2().getDefiningOp<tosa::ConstOp>() : tosa::ConstOp();
  auto scaleC =
      mul ? mul.getInput2().getDefiningOp<tosa::ConstOp>() : tosa::ConstOp();
  bool perTensorInt8 =
      inT.getElementType().isInteger(8) && sub && mul && zpC && scaleC &&
      sub.getInput1() == op.getResult() && mul.getInput1() == sub.getResult() &&
      cast<DenseElementsAttr>(zpC.getValues()).getNumElements() == 1 &&
      cast<DenseElementsAttr>(scaleC.getValues()).getNumElements() == 1;
  if (!perTensorInt8) {
    // Any other integer -> float cast (int16 or per-channel DEQUANTIZE):
    // the cast alone; the subtract and multiply lower as float layers.
    auto outT = cast<RankedTensorType>(op.getType());
    if (!isa<FloatType>(outT.getElementType()) ||
        !isa<IntegerType>(inT.getElementType()) ||
        inT.getElementTypeBitWidth() > 32)
      return op.emitOpError() << "C++ lowering casts integers to float only";
    std::string x = operand(op.getInput());
    define(op.getResult());
    emit(op, llvm::formatv("tinyprune::rt::castToFloat<{0}>({1}, (const {0} "
                           "*){2}, (float *){3});",
                           cTypeOf(inT.getElementType()), inT.getNumElements(),
                           x, ptr(op.getResult()))
                 .str());
    return success();
  }
  auto zpA = cast<DenseElementsAttr>(zpC.getValues());
  auto scA = cast<DenseElementsAttr>(scaleC.getValues());
  consumed.insert(sub);
  consumed.insert(mul);
  float zp = (*zpA.getValues<APFloat>().begin()).convertToFloat();
  float scale = (*scA.getValues<APFloat>().begin()).convertToFloat();
  std::string x = operand(op.getInput());
  define(mul.getResult());
  emit(op, llvm::formatv("tinyprune::rt::dequantizeInt8({0}, {1}, {2}, (const "
                         "int8_t *){3}, (float *){4});",
                         floatLiteral(scale), static_cast<int64_t>(zp),
                         inT.getNumElements(), x, ptr(mul.getResult()))
               .str());
  return success();
}

/// LEAKY_RELU as the importer writes it. int8: select(x >= zp,
/// rescale_identity(x), rescale_alpha(x)); float: select(x > 0, x, x * a).
LogicalResult Emitter::lowerLeakyRelu(tosa::SelectOp op) {
  auto fail = [&] {
    return op.emitOpError() << "C++ lowering supports the LEAKY_RELU select";
  };
  auto outT = op.getType();
  int64_t n = outT.getNumElements();
  if (isa<FloatType>(outT.getElementType())) {
    auto cmp = op.getInput1().getDefiningOp<tosa::GreaterOp>();
    auto mul = op.getInput3().getDefiningOp<tosa::MulOp>();
    if (!cmp || !mul || op.getInput2() != cmp.getInput1() ||
        mul.getInput1() != cmp.getInput1())
      return fail();
    auto alphaC = mul.getInput2().getDefiningOp<tosa::ConstOp>();
    if (!alphaC ||
        cast<DenseElementsAttr>(alphaC.getValues()).getNumElements() != 1)
      return fail();
    float alpha = (*cast<DenseElementsAttr>(alphaC.getValues())
                        .getValues<APFloat>()
                        .begin())
                      .convertToFloat();
    std::string x = operand(cmp.getInput1());
    define(op.getResult());
    emit(op, llvm::formatv("tinyprune::rt::leakyReluFloat({0}, (const float "
                           "*){1}, {2}, (float *){3});",
                           n, x, floatLiteral(alpha), ptr(op.getResult()))
                 .str());
    allowInPlace(cmp.getInput1(), op.getResult());
    return success();
  }
  auto cmp = op.getInput1().getDefiningOp<tosa::GreaterEqualOp>();
  auto pos = op.getInput2().getDefiningOp<tosa::RescaleOp>();
  auto neg = op.getInput3().getDefiningOp<tosa::RescaleOp>();
  if (!cmp || !pos || !neg || pos.getInput() != cmp.getInput1() ||
      neg.getInput() != cmp.getInput1() || !outT.getElementType().isInteger(8))
    return fail();
  SmallVector<int64_t> mp, sp, mn, sn;
  if (!rescaleConstants(pos, 1, mp, sp) || !rescaleConstants(neg, 1, mn, sn))
    return fail();
  int64_t inZp = constInts(pos.getInputZp()).front();
  int64_t outZp = constInts(pos.getOutputZp()).front();
  std::string x = operand(cmp.getInput1());
  define(op.getResult());
  emit(op, llvm::formatv("tinyprune::rt::leakyReluInt8({0}, (const int8_t "
                         "*){1}, {2}, {3}, {4}, {5}, {6}, {7}, (int8_t *){8});",
                         n, x, inZp, mp[0], sp[0], mn[0], sn[0], outZp,
                         ptr(op.getResult()))
               .str());
  allowInPlace(cmp.getInput1(), op.getResult());
  return success();
}

LogicalResult Emitter::lower(Operation *op) {
  if (consumed.contains(op))
    return success();
  return llvm::TypeSwitch<Operation *, LogicalResult>(op)
      .Case<tosa::ConstOp, tosa::ConstShapeOp, tosa::ReshapeOp, func::ReturnOp>(
          [](Operation *) { return success(); })
      .Case<tosa::Conv2DOp, tosa::DepthwiseConv2DOp>(
          [&](Operation *o) { return lowerConv(o); })
      .Case<tosa::AddOp, tosa::SubOp, tosa::MulOp>([&](Operation *o) {
        auto t = cast<RankedTensorType>(o->getResult(0).getType());
        if (isa<FloatType>(t.getElementType()))
          return lowerFloatBinary(o);
        // The importer's int8 layers rescale their operands first.
        if (t.getElementType().isInteger(32) &&
            !o->getOperand(0).getDefiningOp<tosa::RescaleOp>() &&
            !o->getOperand(1).getDefiningOp<tosa::RescaleOp>())
          return lowerInt32Binary(o);
        return lowerBinaryInt(o);
      })
      .Case([&](tosa::RescaleOp r) { return lowerRequantize(r); })
      .Case([&](tosa::MaxPool2dOp m) { return lowerMaxPool(m); })
      .Case<tosa::SliceOp, tosa::PadOp, tosa::TransposeOp, tosa::ConcatOp,
            tosa::ClampOp>([&](Operation *o) { return lowerDataMovement(o); })
      .Case([&](MeanOp m) { return lowerMean(m); })
      .Case([&](QuantizeOp q) { return lowerQuantize(q); })
      .Case([&](tosa::ReduceSumOp r) { return lowerReduceSum(r); })
      .Case<SoftmaxOp, AvgPool2dOp, LogisticOp, TanhOp, HardSwishOp>(
          [&](Operation *o) { return lowerTinyPrune(o); })
      .Case<tosa::SigmoidOp, tosa::TanhOp>([&](Operation *o) -> LogicalResult {
        Value in = o->getOperand(0), out = o->getResult(0);
        std::string x = operand(in);
        define(out);
        emit(o, llvm::formatv(
                    "tinyprune::rt::{0}({1}, (const float *){2}, "
                    "(float *){3});",
                    isa<tosa::SigmoidOp>(o) ? "logisticFloat" : "tanhFloat",
                    cast<RankedTensorType>(in.getType()).getNumElements(), x,
                    ptr(out))
                    .str());
        allowInPlace(in, out);
        return success();
      })
      .Case([&](tosa::AvgPool2dOp a) -> LogicalResult {
        auto inT = cast<RankedTensorType>(a.getInput().getType());
        if (!isa<FloatType>(inT.getElementType()))
          return a.emitOpError()
                 << "C++ lowering supports float tosa.avg_pool2d";
        auto [out, range] = floatClampAfter(a.getResult());
        std::string x = operand(a.getInput());
        define(out);
        ArrayRef<int64_t> k = a.getKernel(), st = a.getStride(),
                          pd = a.getPad();
        emit(a,
             llvm::formatv(
                 "tinyprune::rt::averagePoolFloat(tinyprune::rt::"
                 "PoolParamsFloat{{{0}, {1}, {2}, {3}, {4}, {5}, {6}, {7}}, "
                 "{8}, {9}, {10}, {11}, (const float *){12}, {13}, {14}, "
                 "(float *){15});",
                 st[0], st[1], k[0], k[1], pd[0], pd[2],
                 floatLiteral((float)range.first),
                 floatLiteral((float)range.second), inT.getDimSize(0),
                 inT.getDimSize(1), inT.getDimSize(2), inT.getDimSize(3), x,
                 a.getType().getDimSize(1), a.getType().getDimSize(2), ptr(out))
                 .str());
        return success();
      })
      .Case([&](tosa::CastOp c) { return lowerDequantize(c); })
      .Case([&](tosa::SelectOp s) { return lowerLeakyRelu(s); })
      .Default([](Operation *o) {
        return o->emitOpError() << "is not supported by the C++ lowering yet";
      });
}

//===----------------------------------------------------------------------===//
// Scheduling and arena planning
//===----------------------------------------------------------------------===//

/// A list schedule of the steps that keeps the arena small: of the steps
/// whose inputs are ready, take the one with the fewest live bytes while it
/// runs, then the one freeing the most, then the earliest. Where a layer's
/// input feeds two branches (a residual block's shortcut) this runs the
/// branch that lets the shared input die first.
std::vector<size_t> Emitter::scheduleForMemory() const {
  size_t n = steps.size();
  std::vector<int64_t> writer(bufs.size(), -1);
  std::vector<int64_t> readers(bufs.size(), 0);
  for (size_t i = 0; i < n; ++i) {
    for (unsigned b : steps[i].writes)
      writer[b] = i;
    for (unsigned b : steps[i].reads)
      ++readers[b];
  }
  std::vector<SmallVector<size_t, 2>> succs(n);
  std::vector<int64_t> waiting(n, 0);
  for (size_t i = 0; i < n; ++i)
    for (unsigned b : steps[i].reads)
      if (writer[b] >= 0 && (size_t)writer[b] != i) {
        succs[writer[b]].push_back(i);
        ++waiting[i];
      }
  auto arenaBytes = [&](unsigned b) {
    return bufs[b].home == Home::Arena ? bufs[b].bytes : 0;
  };
  std::vector<size_t> order;
  std::vector<bool> done(n, false);
  int64_t live = 0;
  while (order.size() < n) {
    size_t best = n;
    int64_t bestDuring = 0, bestFreed = 0;
    for (size_t i = 0; i < n; ++i) {
      if (done[i] || waiting[i] != 0)
        continue;
      int64_t during = live, freed = 0;
      for (unsigned b : steps[i].writes)
        during += arenaBytes(b);
      for (unsigned b : steps[i].reads)
        if (readers[b] == 1)
          freed += arenaBytes(b);
      if (best == n || during < bestDuring ||
          (during == bestDuring && freed > bestFreed)) {
        best = i, bestDuring = during, bestFreed = freed;
      }
    }
    assert(best < n && "the steps form a DAG");
    done[best] = true;
    order.push_back(best);
    for (unsigned b : steps[best].writes)
      live += readers[b] > 0 ? arenaBytes(b) : 0;
    for (unsigned b : steps[best].reads)
      if (--readers[b] == 0)
        live -= arenaBytes(b);
    for (size_t s : succs[best])
      --waiting[s];
  }
  return order;
}

void Emitter::computeLifetimes() {
  for (Buffer &b : bufs)
    b.firstUse = b.lastUse = -1;
  for (auto [t, step] : llvm::enumerate(steps)) {
    for (unsigned b : step.writes) {
      if (bufs[b].firstUse < 0)
        bufs[b].firstUse = t;
      bufs[b].lastUse = std::max<int64_t>(bufs[b].lastUse, t);
    }
    for (unsigned b : step.reads) {
      if (bufs[b].firstUse < 0)
        bufs[b].firstUse = 0; // An input, or a constant view.
      bufs[b].lastUse = std::max<int64_t>(bufs[b].lastUse, t);
    }
  }
  for (Buffer &b : bufs)
    if (b.firstUse < 0)
      b.firstUse = b.lastUse = 0;
}

MemoryPlan Emitter::planArena(const Sharing &share, std::vector<int> &requestOf,
                              int64_t *peakLive) const {
  std::vector<BufferRequest> requests;
  requestOf.assign(bufs.size(), -1);
  for (auto [i, b] : llvm::enumerate(bufs)) {
    if (b.home != Home::Arena)
      continue;
    unsigned o = share.owner[i];
    if (requestOf[o] < 0) {
      requestOf[o] = requests.size();
      requests.push_back({0, b.firstUse, b.lastUse});
    }
    BufferRequest &r = requests[requestOf[o]];
    r.size = std::max(r.size, share.rel[i] + b.bytes);
    r.firstUse = std::min(r.firstUse, b.firstUse);
    r.lastUse = std::max(r.lastUse, b.lastUse);
    requestOf[i] = requestOf[o];
  }
  if (peakLive)
    *peakLive = peakLiveBytes(requests);
  return planMemory(requests);
}

void Sharing::overwrite(unsigned out, unsigned in, int64_t shift) {
  unsigned group = owner[in];
  int64_t at = rel[in] - shift;
  if (at < 0) {
    for (size_t b = 0; b < owner.size(); ++b)
      if (owner[b] == group)
        rel[b] -= at;
    at = 0;
  }
  owner[out] = group;
  rel[out] = at;
}

/// The smallest delay (see rt/inplace.h) after which every output row can
/// be stored over input rows no later output row reads, when the output
/// starts `shift` bytes before the input; none if even the whole output
/// would have to wait.
static std::optional<int64_t> rowDelay(const RowStreaming &g, int64_t shift) {
  auto firstRead = [&](int64_t r) {
    return r >= g.outRows ? g.inRows
                          : std::max<int64_t>(0, r * g.stride - g.padTop);
  };
  for (int64_t d = 0; d < g.outRows; ++d) {
    bool safe = true;
    for (int64_t j = 0; safe && j + d < g.outRows; ++j)
      safe = (j + 1) * g.outRowBytes - shift <=
             firstRead(j + d + 1) * g.inRowBytes;
    if (safe)
      return d;
  }
  return std::nullopt;
}

std::pair<int64_t, int64_t> Emitter::placeBuffers() {
  // Of the program order and the memory-aware schedule, keep the one whose
  // plan (without in-place layers) is smaller.
  Sharing alone(bufs.size());
  std::vector<int> requestOf;
  computeLifetimes();
  int64_t programArena = planArena(alone, requestOf).arenaBytes;
  std::vector<size_t> order = scheduleForMemory();
  std::vector<Step> original = steps;
  std::vector<Step> reordered;
  for (size_t i : order)
    reordered.push_back(steps[i]);
  steps = std::move(reordered);
  computeLifetimes();
  if (planArena(alone, requestOf).arenaBytes >= programArena) {
    steps = std::move(original);
    computeLifetimes();
  }

  // In-place layers. An element-wise output always takes over its dying
  // operand. A convolution can run over its dying input at the cost of
  // copying its output once: first let every one that can do so (the peak
  // is often set by several layers alike), then return to the plain call
  // each one whose in-place form the arena does not need. An output larger
  // than its input starts before it, so its rows land on rows already read.
  struct Overwrite {
    size_t step;
    unsigned out, in;
    int64_t shift;
    int ring = -1; ///< Row streaming: its ring buffer, else -1.
    int64_t ringBytes = 0, delay = 0;
  };
  std::vector<Overwrite> overwrites;
  for (auto [t, step] : llvm::enumerate(steps)) {
    if (step.writes.size() != 1 || (step.inPlaceRead < 0 && !step.rows))
      continue;
    unsigned out = step.writes[0];
    unsigned in = step.inPlaceRead >= 0
                      ? step.inPlaceRead
                      : (step.reads.empty() ? out : step.reads[0]);
    if (in == out || bufs[out].home != Home::Arena ||
        bufs[in].home != Home::Arena || bufs[in].lastUse != (int64_t)t)
      continue;
    if (step.inPlaceRead >= 0) {
      overwrites.push_back({t, out, in, 0});
      continue;
    }
    int64_t shift = std::max<int64_t>(0, bufs[out].bytes - bufs[in].bytes);
    std::optional<int64_t> delay = rowDelay(*step.rows, shift);
    if (!delay)
      continue;
    Buffer ring;
    ring.elementType = bufs[out].elementType;
    ring.firstUse = ring.lastUse = t;
    bufs.push_back(ring);
    overwrites.push_back({t, out, in, shift, (int)bufs.size() - 1,
                          (*delay + 1) * step.rows->outRowBytes, *delay});
  }
  // The sharing, and the rings' sizes, when the streamed layers are `on`.
  auto share = [&](const std::vector<bool> &on) {
    Sharing sharing(bufs.size());
    for (auto [k, o] : llvm::enumerate(overwrites)) {
      if (o.ring >= 0)
        bufs[o.ring].bytes = on[k] ? o.ringBytes : 0;
      if (o.ring < 0 || on[k])
        sharing.overwrite(o.out, o.in, o.shift);
    }
    return sharing;
  };
  std::vector<bool> on(overwrites.size(), true);
  int64_t arena = planArena(share(on), requestOf).arenaBytes;
  for (size_t k = overwrites.size(); k-- > 0;) {
    if (overwrites[k].ring < 0)
      continue;
    on[k] = false;
    int64_t bytes = planArena(share(on), requestOf).arenaBytes;
    if (bytes <= arena)
      arena = bytes;
    else
      on[k] = true;
  }
  // Copying outputs is not worth a few bytes: keep the plain calls unless
  // running in place saves at least 1/16 of the arena.
  std::vector<bool> none(overwrites.size(), false);
  int64_t plainArena = planArena(share(none), requestOf).arenaBytes;
  if (arena > plainArena - plainArena / 16)
    on = none;
  for (auto [k, o] : llvm::enumerate(overwrites))
    if (o.ring >= 0 && on[k]) {
      steps[o.step].ringBuffer = o.ring;
      steps[o.step].ringDelay = o.delay;
    }

  Sharing sharing = share(on);
  int64_t peak = 0;
  MemoryPlan plan = planArena(sharing, requestOf, &peak);
  for (auto [i, b] : llvm::enumerate(bufs))
    if (b.home == Home::Arena)
      b.offset = plan.offsets[requestOf[i]] + sharing.rel[i];
  return {plan.arenaBytes, peak};
}

//===----------------------------------------------------------------------===//
// Printing
//===----------------------------------------------------------------------===//

FailureOr<CppModel> Emitter::run() {
  if (func.getNumResults() == 0)
    return func.emitError() << "a function without results computes nothing";
  Block &entry = func.getBody().front();
  // Inputs are packed back to back at `input`, in argument order.
  int64_t inOffset = 0;
  for (BlockArgument arg : entry.getArguments()) {
    Buffer &b = bufs[bufferOf(arg)];
    b.offset = inOffset;
    inOffset += b.bytes;
  }
  // The operand rescales of an int8 ADD/SUB/MUL come before it: claim them
  // for the binary layer so they are not lowered on their own.
  for (Operation &op : entry) {
    if (!isa<tosa::AddOp, tosa::SubOp, tosa::MulOp>(op) ||
        !cast<RankedTensorType>(op.getResult(0).getType())
             .getElementType()
             .isInteger(32))
      continue;
    int chain = isa<tosa::MulOp>(op) ? 1 : 2;
    for (Value operand : op.getOperands().take_front(2)) {
      auto r = operand.getDefiningOp<tosa::RescaleOp>();
      for (int depth = 0; r && depth < chain; ++depth) {
        consumed.insert(r);
        r = r.getInput().getDefiningOp<tosa::RescaleOp>();
      }
    }
  }
  // LEAKY_RELU is a select between two branches computed before it.
  for (Operation &op : entry)
    if (auto select = dyn_cast<tosa::SelectOp>(op))
      for (Value v : select->getOperands())
        if (Operation *def = v.getDefiningOp())
          if (isa<tosa::RescaleOp, tosa::GreaterOp, tosa::GreaterEqualOp,
                  tosa::MulOp>(def) &&
              def->hasOneUse())
            consumed.insert(def);
  // Trimming slices feed convolutions, which read the untrimmed input.
  for (Operation &op : entry)
    if (auto slice = dyn_cast<tosa::SliceOp>(op))
      if (slice->hasOneUse() &&
          isa<tosa::Conv2DOp, tosa::DepthwiseConv2DOp>(
              *slice->getUsers().begin()) &&
          slice->getUses().begin()->getOperandNumber() == 0)
        consumed.insert(slice);
  for (Operation &op : entry)
    if (failed(lower(&op)))
      return failure();
  // Outputs are packed back to back at `output`, in result order. A result
  // a layer computes is written there directly; one that is an input, a
  // constant, or already another output is copied.
  auto ret = cast<func::ReturnOp>(entry.getTerminator());
  int64_t outOffset = 0;
  for (Value result : ret.getOperands()) {
    int64_t bytes = byteSize(result.getType());
    Value r = root(result);
    bool computed = !isa<BlockArgument>(r) && !isConst(r) &&
                    bufs[bufferOf(r)].home == Home::Arena;
    if (computed) {
      Buffer &b = bufs[bufferOf(r)];
      b.home = Home::Output;
      b.offset = outOffset;
    } else {
      std::string src = operand(r);
      Buffer copy;
      copy.elementType =
          cast<RankedTensorType>(result.getType()).getElementType();
      copy.bytes = bytes;
      copy.home = Home::Output;
      copy.offset = outOffset;
      bufs.push_back(copy);
      pendingWrites.push_back(bufs.size() - 1);
      emitStep("copy to the output",
               llvm::formatv("tinyprune::rt::copyBytes({0}, {1}, @{2}@);",
                             bytes, src, bufs.size() - 1)
                   .str());
    }
    outOffset += bytes;
  }

  auto [arenaBytes, peakBytes] = placeBuffers();

  CppModel model;
  model.inputBytes = inOffset;
  model.outputBytes = outOffset;
  model.arenaBytes = arenaBytes;
  model.peakLiveBytes = peakBytes;
  model.weightBytes = constantBytes;
  model.layers = steps.size();

  std::string upper = llvm::StringRef(name).upper();
  {
    llvm::raw_string_ostream os(model.header);
    os << "// Generated by tinyprune: do not edit.\n"
       << "#ifndef " << upper << "_H\n#define " << upper << "_H\n\n"
       << "#ifdef __cplusplus\nextern \"C\" {\n#endif\n\n"
       << "#define " << upper << "_INPUT_BYTES " << model.inputBytes << "\n"
       << "#define " << upper << "_OUTPUT_BYTES " << model.outputBytes << "\n"
       << "#define " << upper << "_ARENA_BYTES " << model.arenaBytes << "\n"
       << "// Aliases in the lowercase naming of NAME_invoke.\n"
       << "#define " << name << "_INPUT_BYTES " << upper << "_INPUT_BYTES\n"
       << "#define " << name << "_OUTPUT_BYTES " << upper << "_OUTPUT_BYTES\n"
       << "#define " << name << "_ARENA_BYTES " << upper << "_ARENA_BYTES\n\n"
       << "/// Runs one inference: reads " << name << "_INPUT_BYTES from "
       << "`input`, writes " << name << "_OUTPUT_BYTES to `output`.\n"
       << "/// Returns 0. Not reentrant: the activations live in one static "
       << "arena.\n"
       << "int " << name << "_invoke(const void *input, void *output);\n\n"
       << "#ifdef __cplusplus\n}\n#endif\n\n#endif\n";
  }
  llvm::raw_string_ostream os(model.source);
  os << "// Generated by tinyprune: do not edit.\n"
     << "// " << steps.size() << " layers, " << constantBytes
     << " constant bytes, arena " << model.arenaBytes << " bytes.\n"
     << "#include \"" << name << ".h\"\n\n"
     << "#include <math.h>\n#include <stdint.h>\n\n"
     << "#include \"tinyprune/rt/conv.h\"\n"
     << "#include \"tinyprune/rt/depthwise_conv.h\"\n"
     << "#include \"tinyprune/rt/elementwise.h\"\n"
     << "#include \"tinyprune/rt/activations.h\"\n"
     << "#include \"tinyprune/rt/pooling.h\"\n"
     << "#include \"tinyprune/rt/softmax.h\"\n"
     << "#include \"tinyprune/rt/data_movement.h\"\n"
     << "#include \"tinyprune/rt/reduce.h\"\n"
     << "#include \"tinyprune/rt/quantize.h\"\n"
     << "#include \"tinyprune/rt/inplace.h\"\n"
     << "#include \"tinyprune/rt/sparse_conv.h\"\n\n"
     << "namespace {\n\n"
     << constants;
  if (model.arenaBytes > 0)
    os << "\nalignas(16) static uint8_t arena[" << upper << "_ARENA_BYTES];\n";
  os << "\n} // namespace\n\n"
     << "extern \"C\" int " << name
     << "_invoke(const void *input, void *output) {\n"
     << "  const uint8_t *in = static_cast<const uint8_t *>(input);\n"
     << "  uint8_t *out = static_cast<uint8_t *>(output);\n"
     << "  (void)in;\n";
  for (const Step &s : steps) {
    std::string code = s.code;
    if (s.ringBuffer >= 0) {
      // Row by row over the input, which the output overwrites.
      const RowStreaming &g = *s.rows;
      code = llvm::formatv(
                 "tinyprune::rt::streamRowsInPlace({0}, {1}, {2}, @{3}@, {4}, "
                 "[&](int32_t r, void *row) {\n"
                 "    const tinyprune::rt::RowWindow w = "
                 "tinyprune::rt::rowWindow(r, {5}, {6}, {7}, {8});\n"
                 "    {9}\n  });",
                 g.outRows, g.outRowBytes, s.ringDelay, s.ringBuffer,
                 "@" + std::to_string(s.writes[0]) + "@", g.stride, g.padTop,
                 g.span, g.inRows, g.rowCode)
                 .str();
    }
    for (auto [i, b] : llvm::enumerate(bufs)) {
      std::string token = "@" + std::to_string(i) + "@";
      std::string base = b.home == Home::Input    ? "in"
                         : b.home == Home::Output ? "out"
                                                  : "arena";
      std::string addr =
          b.home == Home::Const
              ? "reinterpret_cast<const uint8_t *>(" + b.constName + ")"
          : b.offset == 0 && b.home != Home::Arena
              ? base
              : "(" + base + " + " + std::to_string(b.offset) + ")";
      size_t pos;
      while ((pos = code.find(token)) != std::string::npos)
        code.replace(pos, token.size(), addr);
    }
    os << "  // " << s.comment << "\n  " << code << "\n";
  }
  os << "  return 0;\n}\n";
  return model;
}

FailureOr<CppModel> tinyprune::emitCpp(func::FuncOp func, StringRef name) {
  return Emitter(func, name).run();
}

std::vector<std::pair<std::string, std::string>> tinyprune::runtimeHeaders() {
  return {
#include "RuntimeHeaders.inc"
  };
}
