//===- KernelProgram.cpp - A function as runtime-kernel calls -------------===//
//
// Builds the kernel program of a function (KernelProgram.h): walks the ops in
// program order, turns each layer op (or TOSA chain) into one kernel call
// over buffers, and packs the model's inputs and outputs. The model input is
// read in place; a result a layer computes is written straight into the
// caller's output; a constant that feeds a layer as its activation (a layer
// canonicalization folded away) is read from its flash array. Also holds
// what scheduling and arena planning share: lifetimes and the planner call.
//
//===----------------------------------------------------------------------===//

#include "KernelProgram.h"

#include "mlir/IR/BuiltinAttributes.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/TypeSwitch.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/raw_ostream.h"

#include <cmath>

using namespace mlir;
using namespace tinyprune;
using namespace tinyprune::cpp;

//===----------------------------------------------------------------------===//
// Helpers
//===----------------------------------------------------------------------===//

int64_t cpp::elementBytes(Type t) {
  return std::max<int64_t>(
      1, cast<RankedTensorType>(t).getElementTypeBitWidth() / 8);
}

std::string cpp::cTypeOf(Type elt) {
  if (isa<FloatType>(elt))
    return "float";
  return "int" + std::to_string(elt.getIntOrFloatBitWidth()) + "_t";
}

std::string cpp::floatLiteral(float f) {
  if (std::isinf(f))
    return f > 0 ? "INFINITY" : "-INFINITY";
  std::string s = llvm::formatv("{0:e8}", f).str();
  return s + "f";
}

SmallVector<int64_t> cpp::constInts(Value v) {
  if (!v.getDefiningOp<tosa::ConstOp>())
    return {};
  std::optional<SmallVector<int64_t>> ints = constantInts(v);
  return ints ? *ints : SmallVector<int64_t>();
}

SmallVector<int64_t> cpp::shapeValues(Value v) {
  SmallVector<int64_t> out;
  if (auto c = v.getDefiningOp<tosa::ConstShapeOp>())
    for (const APInt &i : c.getValues().getValues<APInt>())
      out.push_back(i.getSExtValue());
  return out;
}

bool cpp::isConst(Value v) {
  return rootValue(v).getDefiningOp<tosa::ConstOp>() != nullptr;
}

Value cpp::rootValue(Value v) {
  while (auto r = v.getDefiningOp<tosa::ReshapeOp>())
    v = r.getInput1();
  return v;
}

//===----------------------------------------------------------------------===//
// Buffers and constants
//===----------------------------------------------------------------------===//

unsigned KernelCallBuilder::bufferOf(Value v) {
  v = rootValue(v);
  auto it = bufferIds.find(v);
  if (it != bufferIds.end())
    return it->second;
  Buffer b;
  b.value = v;
  b.elementType = cast<RankedTensorType>(v.getType()).getElementType();
  b.bytes = tensorBytes(v.getType());
  b.firstUse = b.lastUse = (int64_t)p.steps.size();
  if (isa<BlockArgument>(v))
    b.home = Home::Input;
  if (v.getDefiningOp<tosa::ConstOp>()) {
    b.home = Home::Const;
    b.constName = constArray(v, cTypeOf(b.elementType));
  }
  p.bufs.push_back(b);
  bufferIds[v] = p.bufs.size() - 1;
  return p.bufs.size() - 1;
}

std::string KernelCallBuilder::intArray(ArrayRef<int64_t> values,
                                        StringRef cType, StringRef hint) {
  std::string id = llvm::formatv("k{0}_{1}", nextConst++, hint).str();
  llvm::raw_string_ostream os(p.constants);
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
  p.constantBytes += (int64_t)values.size() * elementBytes;
  return id;
}

std::string KernelCallBuilder::constArray(Value v, StringRef cType) {
  auto it = constNames.find(v);
  if (it != constNames.end())
    return it->second;
  auto c = rootValue(v).getDefiningOp<tosa::ConstOp>();
  auto attr = cast<DenseElementsAttr>(c.getValues());
  std::string id = llvm::formatv("w{0}", nextConst++).str();
  llvm::raw_string_ostream os(p.constants);
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
  p.constantBytes += tensorBytes(v.getType());
  constNames[v] = id;
  return id;
}

std::string KernelCallBuilder::scratch(Operation *op, int64_t bytes) {
  Buffer b;
  b.scratchOf = op;
  b.elementType = IntegerType::get(op->getContext(), 8);
  b.bytes = bytes;
  b.firstUse = b.lastUse = (int64_t)p.steps.size();
  p.bufs.push_back(b);
  pendingWrites.push_back(p.bufs.size() - 1);
  return "@" + std::to_string(p.bufs.size() - 1) + "@";
}

std::string KernelCallBuilder::operand(Value v) {
  auto t = cast<RankedTensorType>(v.getType());
  if (isConst(v))
    return constArray(v, cTypeOf(t.getElementType()));
  use(v);
  return ptr(v);
}

void KernelCallBuilder::consume(Operation *op) {
  consumed.insert(op);
  pendingOps.push_back(op);
}

std::pair<Value, std::pair<double, double>>
KernelCallBuilder::floatClampAfter(Value v) {
  if (auto clamp = soleUser<tosa::ClampOp>(v)) {
    consume(clamp);
    return {clamp.getResult(),
            {cast<FloatAttr>(clamp.getMinValAttr()).getValueAsDouble(),
             cast<FloatAttr>(clamp.getMaxValAttr()).getValueAsDouble()}};
  }
  return {v, {-INFINITY, INFINITY}};
}

void KernelCallBuilder::emit(Operation *anchor, std::string code) {
  std::string comment = anchor->getName().getStringRef().str();
  // A raised layer's location fuses its chain's: the last name is the
  // layer's output tensor.
  Location loc = anchor->getLoc();
  if (auto fused = dyn_cast<FusedLoc>(loc))
    for (Location part : fused.getLocations())
      if (isa<NameLoc>(part))
        loc = part;
  if (auto nameLoc = dyn_cast<NameLoc>(loc))
    comment += " " + nameLoc.getName().str();
  // Names come from the model file: keep the comment one harmless line (a
  // trailing backslash would continue it onto the code).
  for (char &c : comment)
    if (!llvm::isPrint(c) || c == '\\')
      c = '?';
  emitStep(std::move(comment), std::move(code), anchor);
}

void KernelCallBuilder::allowInPlace(Value in, Value out) {
  auto inT = cast<RankedTensorType>(in.getType());
  auto outT = cast<RankedTensorType>(out.getType());
  if (isConst(in) || inT.getShape() != outT.getShape() ||
      inT.getElementTypeBitWidth() != outT.getElementTypeBitWidth() ||
      p.steps.back().inPlaceRead >= 0)
    return;
  p.steps.back().inPlaceRead = bufferOf(in);
}

void KernelCallBuilder::emitStep(std::string comment, std::string code,
                                 Operation *anchor) {
  Step step;
  step.comment = std::move(comment);
  step.code = std::move(code);
  step.anchor = anchor;
  if (anchor) {
    step.ops.push_back(anchor);
    auto claimed = claimedBy.find(anchor);
    if (claimed != claimedBy.end())
      step.ops.append(claimed->second.begin(), claimed->second.end());
  }
  for (Operation *op : pendingOps)
    if (!llvm::is_contained(step.ops, op))
      step.ops.push_back(op);
  for (unsigned b : pendingReads)
    if (!llvm::is_contained(step.reads, b))
      step.reads.push_back(b);
  step.writes.assign(pendingWrites.begin(), pendingWrites.end());
  pendingOps.clear();
  pendingReads.clear();
  pendingWrites.clear();
  p.steps.push_back(std::move(step));
}

//===----------------------------------------------------------------------===//
// The function
//===----------------------------------------------------------------------===//

LogicalResult KernelCallBuilder::lower(Operation *op) {
  if (consumed.contains(op))
    return success();
  return llvm::TypeSwitch<Operation *, LogicalResult>(op)
      .Case<tosa::ConstOp, tosa::ConstShapeOp, tosa::ReshapeOp, func::ReturnOp>(
          [](Operation *) { return success(); })
      .Case<Conv2DOp, DepthwiseConv2DOp, AddOp, SubOp, MulOp, MaxPool2dOp,
            RequantizeOp>([&](Operation *o) { return lowerLayerOp(o); })
      .Case<SoftmaxOp, AvgPool2dOp, LogisticOp, TanhOp, HardSwishOp>(
          [&](Operation *o) { return lowerTinyPrune(o); })
      .Case([&](MeanOp m) { return lowerMean(m); })
      .Case([&](QuantizeOp q) { return lowerQuantize(q); })
      .Case([&](LstmOp l) { return lowerLstm(l); })
      .Case<tosa::AddOp, tosa::SubOp, tosa::MulOp>([&](Operation *o) {
        // int32 arithmetic stays TOSA; the importer's int8 layers rescale
        // their operands first and, like float arithmetic, are layer ops.
        auto t = cast<RankedTensorType>(o->getResult(0).getType());
        if (t.getElementType().isInteger(32) &&
            !o->getOperand(0).getDefiningOp<tosa::RescaleOp>() &&
            !o->getOperand(1).getDefiningOp<tosa::RescaleOp>())
          return lowerInt32Binary(o);
        return notALayerOp(o);
      })
      .Case([&](tosa::RescaleOp r) {
        if (r.getInputUnsigned() || r.getOutputUnsigned())
          return lowerUInt8Edge(r);
        return notALayerOp(r);
      })
      .Case<tosa::Conv2DOp, tosa::DepthwiseConv2DOp, tosa::MaxPool2dOp>(
          [&](Operation *o) { return notALayerOp(o); })
      .Case<tosa::SliceOp, tosa::PadOp, tosa::TransposeOp, tosa::ConcatOp,
            tosa::ClampOp>([&](Operation *o) { return lowerDataMovement(o); })
      .Case([&](tosa::ReduceSumOp r) { return lowerReduceSum(r); })
      .Case<tosa::SigmoidOp, tosa::TanhOp>(
          [&](Operation *o) { return lowerFloatActivation(o); })
      .Case([&](tosa::AvgPool2dOp a) { return lowerFloatAvgPool(a); })
      .Case([&](tosa::CastOp c) { return lowerDequantize(c); })
      .Case([&](tosa::SelectOp s) { return lowerLeakyRelu(s); })
      .Default([](Operation *o) {
        return o->emitOpError() << "is not supported by the C++ lowering yet";
      });
}

LogicalResult KernelCallBuilder::build(func::FuncOp func) {
  if (func.getNumResults() == 0)
    return func.emitError() << "a function without results computes nothing";
  if (!func.getBody().hasOneBlock())
    return func.emitError() << "the C++ lowering needs a single-block body";
  // The generated buffers have static sizes: an argument or result that is
  // not a statically shaped tensor would get a size of 0.
  auto checkStatic = [&](StringRef what, unsigned i,
                         Type type) -> LogicalResult {
    auto t = dyn_cast<RankedTensorType>(type);
    if (t && t.hasStaticShape())
      return success();
    return func.emitError() << "the C++ lowering needs statically shaped "
                               "tensors; "
                            << what << " " << i << " is " << type;
  };
  for (auto [i, type] : llvm::enumerate(func.getArgumentTypes()))
    if (failed(checkStatic("argument", i, type)))
      return failure();
  for (auto [i, type] : llvm::enumerate(func.getResultTypes()))
    if (failed(checkStatic("result", i, type)))
      return failure();
  Block &entry = func.getBody().front();
  // Inputs are packed back to back at `input`, in argument order.
  for (BlockArgument arg : entry.getArguments()) {
    Buffer &b = p.bufs[bufferOf(arg)];
    b.offset = p.inputBytes;
    p.inputBytes += b.bytes;
  }
  claimChains(entry);
  for (Operation &op : entry)
    if (failed(lower(&op)))
      return failure();
  // Outputs are packed back to back at `output`, in result order. A result
  // a layer computes is written there directly; one that is an input, a
  // constant, or already another output is copied.
  auto ret = cast<func::ReturnOp>(entry.getTerminator());
  for (Value result : ret.getOperands()) {
    int64_t bytes = tensorBytes(result.getType());
    Value r = rootValue(result);
    bool computed = !isa<BlockArgument>(r) && !isConst(r) &&
                    p.bufs[bufferOf(r)].home == Home::Arena;
    if (computed) {
      Buffer &b = p.bufs[bufferOf(r)];
      b.home = Home::Output;
      b.offset = p.outputBytes;
    } else {
      std::string src = operand(r);
      Buffer copy;
      copy.elementType =
          cast<RankedTensorType>(result.getType()).getElementType();
      copy.bytes = bytes;
      copy.home = Home::Output;
      copy.offset = p.outputBytes;
      p.bufs.push_back(copy);
      pendingWrites.push_back(p.bufs.size() - 1);
      emitStep("copy to the output",
               llvm::formatv("tinyprune::rt::copyBytes({0}, {1}, @{2}@);",
                             bytes, src, p.bufs.size() - 1)
                   .str());
    }
    p.outputBytes += bytes;
  }
  return success();
}

FailureOr<KernelProgram> cpp::buildKernelProgram(func::FuncOp func) {
  KernelProgram program;
  if (failed(KernelCallBuilder(program).build(func)))
    return failure();
  return program;
}

//===----------------------------------------------------------------------===//
// Lifetimes and planning
//===----------------------------------------------------------------------===//

void KernelProgram::computeLifetimes() {
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

MemoryPlan cpp::planArena(const KernelProgram &program, const Sharing &share,
                          std::vector<int> &requestOf, int64_t *peakLive) {
  std::vector<BufferRequest> requests;
  requestOf.assign(program.bufs.size(), -1);
  for (auto [i, b] : llvm::enumerate(program.bufs)) {
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

//===----------------------------------------------------------------------===//
// Row-fused chains
//===----------------------------------------------------------------------===//

/// The step writing buffer `b` before step `before`, if exactly one does.
static std::optional<size_t> writerOf(const KernelProgram &program, unsigned b,
                                      size_t before) {
  std::optional<size_t> found;
  for (size_t t = 0; t < before; ++t)
    if (llvm::is_contained(program.steps[t].writes, b)) {
      if (found)
        return std::nullopt;
      found = t;
    }
  return found;
}

std::optional<RowFusion> cpp::matchRowFusion(const KernelProgram &program,
                                             size_t c, int64_t chunk) {
  const std::vector<Step> &steps = program.steps;
  const std::vector<Buffer> &bufs = program.bufs;
  if (c >= steps.size() || !steps[c].flat || steps[c].writes.size() != 1)
    return std::nullopt;
  const FlatCall &flat = *steps[c].flat;
  if (flat.lhs == flat.rhs)
    return std::nullopt;
  // B's output is one of C's operands: the first that is the end of an
  // A -> B pair of windowed layers.
  for (auto [second, other] :
       {std::pair(flat.lhs, flat.rhs), std::pair(flat.rhs, flat.lhs)}) {
    std::optional<size_t> b = writerOf(program, second, c);
    if (!b || !steps[*b].rows || steps[*b].reads.size() != 1 ||
        steps[*b].writes.size() != 1)
      continue;
    std::optional<size_t> a = writerOf(program, steps[*b].reads[0], *b);
    if (!a || !steps[*a].rows || steps[*a].reads.size() != 1 ||
        steps[*a].writes.size() != 1)
      continue;
    RowFusion f;
    f.a = *a, f.b = *b, f.c = c;
    f.chunk = chunk;
    f.input = steps[*a].reads[0];
    f.mid = steps[*a].writes[0];
    f.second = second;
    f.other = other;
    f.output = steps[c].writes[0];
    const Buffer &mid = bufs[f.mid], &sec = bufs[f.second];
    const Buffer &oth = bufs[f.other], &out = bufs[f.output];
    // A's and B's outputs are arena tensors only the chain reads.
    auto readers = [&](unsigned buf) {
      return llvm::count_if(steps, [&](const Step &s) {
        return llvm::is_contained(s.reads, buf);
      });
    };
    if (mid.home != Home::Arena || sec.home != Home::Arena ||
        readers(f.mid) != 1 || readers(f.second) != 1)
      continue;
    if (out.home != Home::Arena && out.home != Home::Output)
      continue;
    // B reads A's rows as A writes them; C's tensors are B's rows.
    const RowStreaming &ga = *steps[*a].rows, &gb = *steps[*b].rows;
    if (ga.outRows != gb.inRows || ga.outRowBytes != gb.inRowBytes ||
        mid.bytes != ga.outRows * ga.outRowBytes ||
        sec.bytes != gb.outRows * gb.outRowBytes || out.bytes != sec.bytes ||
        oth.bytes != sec.bytes || chunk < 1 || chunk > gb.outRows)
      continue;
    f.overwritesOther = oth.home == Home::Arena && out.home == Home::Arena &&
                        oth.lastUse == (int64_t)c;
    // The window (rt::streamRowPair), chunk by chunk. When C's output
    // overwrites A's input, the rows it has written must be rows no later
    // call of A reads.
    bool overInput = f.overwritesOther && f.other == f.input;
    bool exact = true;
    int64_t base = 0, have = 0;
    for (int64_t r = 0; exact && r < gb.outRows; r += chunk) {
      int64_t n = std::min(chunk, gb.outRows - r);
      int64_t lo = std::max<int64_t>(0, r * gb.stride - gb.padTop);
      int64_t hi =
          std::min(gb.inRows, (r + n - 1) * gb.stride - gb.padTop + gb.span);
      exact = hi > lo;
      if (lo > base) {
        have = std::max<int64_t>(0, base + have - lo);
        base = lo;
      }
      have = std::max(have, hi - base);
      f.windowRows = std::max(f.windowRows, have);
      int64_t next = base + have; // A's next row.
      if (overInput && next < ga.outRows &&
          (r + n) * gb.outRowBytes >
              std::max<int64_t>(0, next * ga.stride - ga.padTop) *
                  ga.inRowBytes)
        f.overwritesOther = overInput = false;
    }
    if (exact)
      return f;
  }
  return std::nullopt;
}

void cpp::addRowFusion(KernelProgram &program, RowFusion f) {
  std::vector<Buffer> &bufs = program.bufs;
  int64_t c = f.c;
  // The chain runs as one loop in C's place: A's input lives to its end.
  bufs[f.input].lastUse = std::max(bufs[f.input].lastUse, c);
  for (unsigned b : {f.mid, f.second})
    bufs[b].home = Home::Fused;
  auto add = [&](int64_t bytes) {
    Buffer buf;
    buf.elementType = bufs[f.mid].elementType;
    buf.bytes = bytes;
    buf.firstUse = buf.lastUse = c;
    bufs.push_back(buf);
    return (int)bufs.size() - 1;
  };
  f.window = add(f.windowRows * program.steps[f.a].rows->outRowBytes);
  f.block = add(f.chunk * program.steps[f.b].rows->outRowBytes);
  program.fusions.push_back(f);
  for (size_t t : {f.a, f.b, f.c})
    program.steps[t].fusion = program.fusions.size() - 1;
}
