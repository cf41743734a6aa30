//===- KernelCalls.cpp - One runtime-kernel call per layer op -------------===//
//
// The kernel call of each tinyprune op: the layer ops (conv2d, also
// fully-connected; depthwise_conv2d; add, sub, mul; max_pool2d; requantize)
// and the one-kernel ops (avg_pool2d, mean, softmax, logistic, tanh,
// hard_swish, quantize). A layer op is one call: its attributes hold every
// constant the kernel takes, in TOSA's convention for requantization
// (exponent = 31 - shift).
//
// Two optimisations happen here because they only change constants: an
// unpadded int8 convolution's input zero point is folded into its bias, and
// a filterlet-pruned convolution's kept weights become sparse tables.
//
//===----------------------------------------------------------------------===//

#include "KernelProgram.h"

#include "tinyprune/Dialect/LstmQuant.h"
#include "tinyprune/rt/activations.h"
#include "tinyprune/rt/conv_blocks.h"
#include "tinyprune/rt/elementwise.h"
#include "tinyprune/rt/fixedpoint.h"
#include "tinyprune/rt/quant_params.h"
#include "tinyprune/rt/reduce.h"
#include "tinyprune/rt/softmax.h"

#include "mlir/IR/BuiltinAttributes.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/TypeSwitch.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/raw_ostream.h"

#include <climits>

using namespace mlir;
using namespace tinyprune;
using namespace tinyprune::cpp;

//===----------------------------------------------------------------------===//
// Convolutions
//===----------------------------------------------------------------------===//

std::string KernelCallBuilder::sparseFilter(FilterletsAttr filterlets, Value w,
                                            int64_t kh, int64_t kw, int64_t ic,
                                            int64_t iw,
                                            ArrayRef<int64_t> dilation,
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
      rootValue(w).getDefiningOp<tosa::ConstOp>().getValues());
  std::string values;
  if (isFloat) {
    SmallVector<float> all;
    for (APFloat f : attr.getValues<APFloat>())
      all.push_back(f.convertToFloat());
    values = llvm::formatv("k{0}_kept", nextConst++).str();
    llvm::raw_string_ostream os(p.constants);
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
    p.constantBytes += 4 * (int64_t)index.size() * block;
  } else {
    SmallVector<int64_t> all = constInts(rootValue(w)), kept;
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
  llvm::raw_string_ostream os(p.constants);
  os << "static const tinyprune::rt::SparseFilter"
     << (isFloat ? "Float" : "Int8") << "<" << indexType << ", " << rowType
     << "> " << name << " = {" << r << ", " << i << ", " << values << ", " << o
     << ", " << y << ", " << x << ", " << block << "};\n";
  return name;
}

LogicalResult KernelCallBuilder::lowerConvLayer(const ConvLayer &c) {
  Operation *op = c.op;
  bool depthwise = c.depthwise;
  Value x = c.input, w = c.weights, bias = c.bias;
  ArrayRef<int64_t> pad = c.pad, stride = c.stride, dilation = c.dilation;
  if (!isConst(w) || !isConst(bias))
    return op->emitOpError() << "C++ lowering needs constant weights and bias";
  // A slice from the origin only drops rows no window reads: read the
  // untrimmed tensor instead.
  if (auto slice = x.getDefiningOp<tosa::SliceOp>()) {
    SmallVector<int64_t> start = shapeValues(slice.getStart());
    if (!llvm::all_of(start, [](int64_t s) { return s == 0; }))
      return slice.emitOpError() << "is not supported by the C++ lowering yet";
    x = slice.getInput1();
  }
  auto xType = cast<RankedTensorType>(x.getType());
  auto wType = cast<RankedTensorType>(w.getType());
  auto outType = cast<RankedTensorType>(c.output.getType());
  int64_t n = xType.getDimSize(0), ih = xType.getDimSize(1),
          iw = xType.getDimSize(2), ic = xType.getDimSize(3);
  int64_t oh = outType.getDimSize(1), ow = outType.getDimSize(2),
          oc = outType.getDimSize(3);
  int64_t kh = depthwise ? wType.getDimSize(0) : wType.getDimSize(1);
  int64_t kw = depthwise ? wType.getDimSize(1) : wType.getDimSize(2);
  Value out = c.output;

  if (isa<FloatType>(xType.getElementType())) {
    std::string sparse =
        c.filterlets && !depthwise
            ? sparseFilter(c.filterlets, w, kh, kw, ic, iw, dilation, true)
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
          floatLiteral((float)c.flo), floatLiteral((float)c.fhi));
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

  int64_t inZp = c.inZp;
  std::string sparse =
      c.filterlets && !depthwise
          ? sparseFilter(c.filterlets, w, kh, kw, ic, iw, dilation, false)
          : "";
  std::string wName = sparse.empty() ? constArray(w, "int8_t") : "";
  std::string bName;
  // The bias as the kernels start from it (the zero point's share folded
  // in where it is), per output channel.
  SmallVector<int64_t> startValues = constInts(rootValue(bias));
  if (startValues.size() == 1)
    startValues.assign(oc, startValues[0]);
  bool unpadded = llvm::all_of(pad, [](int64_t v) { return v == 0; });
  if (!depthwise && unpadded && inZp != 0) {
    // No window is ever clipped: fold the input zero point's share,
    // -zp * sum(w), into the bias once here instead of every inference.
    // |zp * sum(w)| <= 2^30 for TFLite-sized filters, so this stays exact.
    SmallVector<int64_t> folded = constInts(rootValue(bias));
    SmallVector<int64_t> weights = constInts(rootValue(w));
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
    startValues = folded;
    inZp = 0;
  } else {
    bName = constArray(bias, "int32_t");
  }
  std::string mName = intArray(c.mult, "int32_t", "mult");
  std::string sName = intArray(c.shift, "int32_t", "shift");
  bool rightShifts = c.mult.size() == c.shift.size();
  for (auto [m, s] : llvm::zip(c.mult, c.shift))
    rightShifts &= m == 0 || (m > 0 && s <= -1 && s >= -31);
  // Dense convolutions whose 2x2 blocks run on whole words, other than the
  // patch path's small filters and single pixels (fullyConnectedW16Int8,
  // below): on DSP cores the blocks read the filter as int16 pairs
  // (rt::packConvW16, an argument only there: TINYPRUNE_RT_W16_ARG).
  // Pointwise layers, and others whose channels are whole words (their
  // clipped windows and the zero point's share read the int16 weights
  // too), then never read the int8 filter there (TINYPRUNE_RT_W8_ONLY).
  int64_t filterSize = kh * kw * ic;
  bool singlePixel = !depthwise && kh == 1 && kw == 1 && n == 1 && ih == 1 &&
                     iw == 1 && oh == 1 && ow == 1 && unpadded;
  bool pointwise = kh == 1 && kw == 1 && unpadded && inZp == 0 && oh == ih &&
                   ow == iw &&
                   llvm::all_of(stride, [](int64_t v) { return v == 1; });
  std::string w16Arg, w8Arg = wName;
  if (!depthwise && sparse.empty() && rightShifts && !singlePixel &&
      (kw * ic) % 4 == 0 && (pointwise || filterSize > 64) &&
      llvm::all_of(dilation, [](int64_t v) { return v == 1; })) {
    SmallVector<int64_t> weights = constInts(rootValue(w));
    SmallVector<int8_t> w8(weights.begin(), weights.end());
    SmallVector<int32_t> w16(rt::convW16Words(oc, filterSize));
    rt::packConvW16(w8.data(), oc, filterSize, w16.data());
    w16Arg = " TINYPRUNE_RT_W16_ARG(" +
             intArray(SmallVector<int64_t>(w16.begin(), w16.end()), "int32_t",
                      "w16") +
             ")";
    // The reported constants are the portable ones (the M0+ build's): DSP
    // builds add this copy (and drop the int8 filter where they can).
    p.constantBytes -= 4 * (int64_t)w16.size();
    if ((pointwise && oc >= 4) || (!pointwise && ic % 4 == 0))
      w8Arg = "TINYPRUNE_RT_W8_ONLY(" + wName + ")";
  }
  use(x);
  define(out);
  auto call = [&](const std::string &padTop, const std::string &inRows,
                  const std::string &in, const std::string &outRows,
                  const std::string &outPtr) {
    std::string params =
        llvm::formatv("tinyprune::rt::ConvInt8Params{{{0}, {1}, {2}, {3}, "
                      "{4}, {5}, {6}, {7}, {8}, {9}}",
                      stride[0], stride[1], dilation[0], dilation[1], padTop,
                      pad[2], inZp, c.outZp, c.lo, c.hi);
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
               "{13}, {14}, (int8_t *)({15}){17});",
               params, mName, sName, n, inRows, iw, ic, in, oc, kh, kw,
               sparse.empty() ? w8Arg : sparse, bName, outRows, ow, outPtr,
               sparse.empty() ? "convPerChannelInt8"
                              : "sparseConvPerChannelInt8",
               w16Arg)
        .str();
  };
  emitConv(op, call, n, ih, iw * ic, oh, ow * oc, stride[0], pad[0],
           (kh - 1) * dilation[0] + 1, ptr(x), ptr(out));
  // A 3x3 'same' depthwise layer on narrow rows (at most
  // rt::kMaxDepthwiseSameWidth = 14 columns): on the cores that have it,
  // depthwiseConv3x3SameInt8 (rt/depthwise_conv.h), over its own input when
  // the layer runs in place; its conditions are checked here.
  bool same3x3 = kh == 3 && kw == 3 && oh == ih && ow == iw &&
                 llvm::all_of(pad, [](int64_t v) { return v == 1; }) &&
                 llvm::all_of(stride, [](int64_t v) { return v == 1; }) &&
                 llvm::all_of(dilation, [](int64_t v) { return v == 1; });
  bool any3x3 = depthwise && kh == 3 && kw == 3 && rightShifts && n == 1 &&
                oc == ic && (int64_t)c.mult.size() == oc && ic % 4 == 0 &&
                ih >= 3 && iw >= 3 && stride[0] == stride[1] &&
                (stride[0] == 1 || stride[0] == 2) &&
                llvm::all_of(dilation, [](int64_t v) { return v == 1; }) &&
                llvm::all_of(pad, [](int64_t v) { return v == 0 || v == 1; });
  bool narrowSame = depthwise && same3x3 && rightShifts && n == 1 && oc == ic &&
                    (int64_t)c.mult.size() == oc && ic % 4 == 0 && iw <= 14;
  std::string any3x3Code;
  if (any3x3 && (!narrowSame || iw >= 6)) {
    // A 3x3 depthwise layer with padding of at most one run from input to
    // output: on the DSP cores, depthwiseConv3x3Int8 (rt/depthwise_conv.h)
    // (in place the layer takes depthwiseConv3x3SameInt8 below or the
    // general kernel's row loop). On VWW (M4F) it beats
    // depthwiseConv3x3SameInt8 on rows of 6 and 12 columns (no strip
    // copies), not on rows of 3 (three loop entries per row, where that
    // kernel makes one).
    std::string desc = llvm::formatv("k{0}_dw3x3", nextConst++).str();
    llvm::raw_string_ostream(p.constants)
        << "static const tinyprune::rt::Depthwise3x3Int8 " << desc << " = {"
        << mName << ", " << sName << ", " << wName << ", " << bName << ", "
        << ih << ", " << iw << ", " << ic << ", " << oh << ", " << ow << ", "
        << stride[0] << ", " << pad[0] << ", " << pad[2] << ", " << inZp << ", "
        << c.outZp << ", " << c.lo << ", " << c.hi << "};\n";
    any3x3Code = "tinyprune::rt::depthwiseConv3x3Int8(" + desc +
                 ", (const int8_t *)(" + ptr(x) + "), (int8_t *)(" + ptr(out) +
                 "));";
  }
  if (narrowSame) {
    std::string desc = llvm::formatv("k{0}_dw3x3", nextConst++).str();
    llvm::raw_string_ostream(p.constants)
        << "static const tinyprune::rt::DepthwiseSame3x3Int8 " << desc << " = {"
        << mName << ", " << sName << ", " << wName << ", " << bName << ", "
        << ih << ", " << iw << ", " << ic << ", " << inZp << ", " << c.outZp
        << ", " << c.lo << ", " << c.hi << "};\n";
    auto sameCall = [&](const std::string &in) {
      return "tinyprune::rt::depthwiseConv3x3SameInt8(" + desc +
             ", (const int8_t *)(" + in + "), (int8_t *)(" + ptr(out) + "));";
    };
    StringRef guard = "TINYPRUNE_RT_DEPTHWISE_3X3_SAME";
    Step &step = p.steps.back();
    step.code = ("#if " + guard + "\n  " + sameCall(ptr(x)) + "\n#else\n  " +
                 step.code + "\n#endif")
                    .str();
    if (step.rows) {
      step.rows->wholeCode = sameCall(ptr(out));
      step.rows->wholeGuard = guard.str();
    }
  }
  if (!any3x3Code.empty()) {
    // Replaces the non-in-place code only (wholeCode stays in place).
    Step &step = p.steps.back();
    step.code = "#if TINYPRUNE_RT_DEPTHWISE_3X3\n  " + any3x3Code +
                "\n#else\n  " + step.code + "\n#endif";
  }
  // A fully-connected layer (a single pixel through a 1x1 filter) with
  // whole words of inputs and outputs: on the DSP cores,
  // fullyConnectedW16Int8 (rt/fully_connected.h) with the weights
  // sign-extended to int16 pairs in SMLAD's lane order and the
  // requantization prepared here. Each core's binary keeps one of the two
  // weight arrays (the other is unreferenced).
  if (singlePixel && sparse.empty() && rightShifts && inZp == 0 &&
      ic % 4 == 0 && oc % 4 == 0 && (int64_t)c.mult.size() == oc &&
      (int64_t)startValues.size() == oc) {
    SmallVector<int64_t> weights = constInts(rootValue(w));
    SmallVector<int64_t> pairs;
    pairs.reserve(weights.size() / 2);
    auto pair = [](int64_t lo, int64_t hi) {
      return (int64_t)(int32_t)(((uint32_t)(uint16_t)(int16_t)hi << 16) |
                                (uint16_t)(int16_t)lo);
    };
    for (int64_t o = 0; o < oc; o += 4)
      for (int64_t i = 0; i < ic; i += 4)
        for (int64_t k = 0; k < 4; ++k) {
          const int64_t *f = weights.data() + (o + k) * ic + i;
          pairs.push_back(pair(f[0], f[2]));
          pairs.push_back(pair(f[1], f[3]));
        }
    std::string wide = intArray(pairs, "int32_t", "w16");
    std::string start = intArray(startValues, "int32_t", "start");
    std::string q = llvm::formatv("k{0}_q", nextConst++).str();
    std::string desc = llvm::formatv("k{0}_fc", nextConst++).str();
    llvm::raw_string_ostream os(p.constants);
    os << "static const tinyprune::rt::RightShiftMultiplier " << q << "[" << oc
       << "] = {";
    for (int64_t o = 0; o < oc; ++o) {
      rt::RightShiftMultiplier m =
          rt::prepareRightShiftMultiplier((int32_t)c.mult[o], (int)c.shift[o]);
      os << (o % 4 ? " " : "\n    ") << "{" << m.rounding << "LL, "
         << m.multiplier << ", " << m.highShift << "},";
    }
    os << "\n};\nstatic const tinyprune::rt::FullyConnectedW16Int8 " << desc
       << " = {" << wide << ", " << start << ", " << q << ", " << ic << ", "
       << oc << ", " << c.outZp << ", " << c.lo << ", " << c.hi << "};\n";
    p.constantBytes += oc * (int64_t)sizeof(rt::RightShiftMultiplier);
    Step &step = p.steps.back();
    step.code = "#if TINYPRUNE_RT_FC_W16\n  "
                "tinyprune::rt::fullyConnectedW16Int8(" +
                desc + ", (const int8_t *)(" + ptr(x) + "), (int8_t *)(" +
                ptr(out) + "));\n#else\n  " + step.code + "\n#endif";
  }
  return success();
}

void KernelCallBuilder::emitConv(Operation *op, ConvCall call, int64_t batches,
                                 int64_t inRows, int64_t inRowBytes,
                                 int64_t outRows, int64_t outRowBytes,
                                 int64_t stride, int64_t padTop, int64_t span,
                                 const std::string &in,
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
  rows.chunkCode = call("w.padTop", "w.count", "src", "n", "dst");
  p.steps.back().rows = std::move(rows);
}

//===----------------------------------------------------------------------===//
// Element-wise layers, pooling, requantization
//===----------------------------------------------------------------------===//

std::string KernelCallBuilder::addTable(const BinaryInt8Layer &b) {
  auto shape = [](Value v) {
    return cast<RankedTensorType>(v.getType()).getShape();
  };
  using rt::detail::AddInputScale;
  if (shape(b.lhs) != shape(b.output) || shape(b.rhs) != shape(b.output) ||
      !AddInputScale::fits(b.lhsMult, b.lhsShift, b.leftShift) ||
      !AddInputScale::fits(b.rhsMult, b.rhsShift, b.leftShift) ||
      !rt::isRightShiftMultiplier(b.outMult, b.outShift))
    return "";
  // Each input's rescaling for every int8 value, as addSameShapeInt8
  // computes it per element (the same code, run here).
  AddInputScale s1 =
      AddInputScale::of(-b.lhsZp, b.leftShift, b.lhsMult, b.lhsShift);
  AddInputScale s2 =
      AddInputScale::of(-b.rhsZp, b.leftShift, b.rhsMult, b.rhsShift);
  SmallVector<int64_t> t1, t2;
  for (int32_t x = -128; x < 128; ++x) {
    t1.push_back(s1(x));
    t2.push_back(b.kind == BinaryInt8Layer::Sub ? -(int64_t)s2(x) : s2(x));
  }
  std::string n1 = intArray(t1, "int32_t", "add_table"),
              n2 = intArray(t2, "int32_t", "add_table");
  rt::RightShiftMultiplier q =
      rt::prepareRightShiftMultiplier(b.outMult, b.outShift);
  std::string name = llvm::formatv("k{0}_add", nextConst++).str();
  llvm::raw_string_ostream(p.constants)
      << "static const tinyprune::rt::AddTableInt8 " << name << " = {" << n1
      << ", " << n2 << ", {" << q.rounding << "LL, " << q.multiplier << ", "
      << q.highShift << "}, " << b.outZp << ", " << b.lo << ", " << b.hi
      << "};\n";
  return name;
}

LogicalResult
KernelCallBuilder::lowerBinaryInt8Layer(const BinaryInt8Layer &b) {
  auto outType = cast<RankedTensorType>(b.output.getType());
  std::string s1 =
      shapeArray(cast<RankedTensorType>(b.lhs.getType()).getShape());
  std::string s2 =
      shapeArray(cast<RankedTensorType>(b.rhs.getType()).getShape());
  std::string so = shapeArray(outType.getShape());
  for (Value side : {b.lhs, b.rhs})
    if (!isConst(side))
      use(side);
  define(b.output);
  std::string in1 = isConst(b.lhs) ? constArray(b.lhs, "int8_t")
                                   : "(const int8_t *)" + ptr(b.lhs);
  std::string in2 = isConst(b.rhs) ? constArray(b.rhs, "int8_t")
                                   : "(const int8_t *)" + ptr(b.rhs);
  // Same-shape ADD/SUB with both rescalings tabulated by the compiler
  // (empty where the layer does not qualify).
  std::string table =
      b.kind == BinaryInt8Layer::Mul ? std::string() : addTable(b);
  // The call for the given rank, shapes and pointers (`count` elements when
  // tabulated).
  auto call = [&](int64_t rank, StringRef shape1, StringRef x1,
                  StringRef shape2, StringRef x2, StringRef shapeOut,
                  StringRef y, StringRef count) {
    if (!table.empty())
      return llvm::formatv("tinyprune::rt::addTableInt8({0}, {1}, {2}, {3}, "
                           "(int8_t *){4});",
                           table, count, x1, x2, y)
          .str();
    if (b.kind == BinaryInt8Layer::Mul)
      return llvm::formatv(
                 "tinyprune::rt::mulInt8(tinyprune::rt::MulInt8Params{{{0}, "
                 "{1}, {2}, {3}, {4}, {5}, {6}}, {7}, {8}, {9}, {10}, {11}, "
                 "{12}, (int8_t *){13});",
                 -b.lhsZp, -b.rhsZp, b.outZp, b.outMult, b.outShift, b.lo, b.hi,
                 rank, shape1, x1, shape2, x2, shapeOut, y)
          .str();
    return llvm::formatv(
               "tinyprune::rt::{0}(tinyprune::rt::AddInt8Params{{{1}, {2}, "
               "{3}, {19}, {4}, {5}, {6}, {7}, {8}, {9}, {10}, {11}}, {12}, "
               "{13}, {14}, {15}, {16}, {17}, (int8_t *){18});",
               b.kind == BinaryInt8Layer::Sub ? "subInt8" : "addInt8", -b.lhsZp,
               -b.rhsZp, b.outZp, b.lhsMult, b.lhsShift, b.rhsMult, b.rhsShift,
               b.outMult, b.outShift, b.lo, b.hi, rank, shape1, x1, shape2, x2,
               shapeOut, y, b.leftShift)
        .str();
  };
  emit(b.op, call(outType.getRank(), s1, in1, s2, in2, so, ptr(b.output),
                  std::to_string(outType.getNumElements())));
  // Without broadcasting, any range of elements is computed alone: a
  // row-fused chain (PlanArena.cpp) may call the layer on a block of rows.
  auto lhsType = cast<RankedTensorType>(b.lhs.getType());
  auto rhsType = cast<RankedTensorType>(b.rhs.getType());
  if (!isConst(b.lhs) && !isConst(b.rhs) &&
      lhsType.getShape() == outType.getShape() &&
      rhsType.getShape() == outType.getShape())
    p.steps.back().flat =
        FlatCall{bufferOf(b.lhs), bufferOf(b.rhs),
                 call(1, "shape", "(const int8_t *)a", "shape",
                      "(const int8_t *)b", "shape", "o", "shape[0]")};
  allowInPlace(b.lhs, b.output);
  allowInPlace(b.rhs, b.output);
  return success();
}

LogicalResult KernelCallBuilder::lowerFloatBinaryLayer(Operation *op,
                                                       StringRef fn, Value a,
                                                       Value b, Value out,
                                                       double lo, double hi) {
  auto outT = cast<RankedTensorType>(out.getType());
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
  emit(op, llvm::formatv("tinyprune::rt::{0}({1}, {2}, {3}, {4}, {5}, {6}, "
                         "{7}, {8}, (float *){9});",
                         fn, floatLiteral((float)lo), floatLiteral((float)hi),
                         outT.getRank(), s1, in1, s2, in2, so, ptr(out))
               .str());
  allowInPlace(a, out);
  allowInPlace(b, out);
  return success();
}

LogicalResult KernelCallBuilder::lowerMaxPoolLayer(
    Operation *op, Value input, Value out, ArrayRef<int64_t> k,
    ArrayRef<int64_t> s, ArrayRef<int64_t> pad, double lo, double hi) {
  auto in = cast<RankedTensorType>(input.getType());
  auto outT = cast<RankedTensorType>(out.getType());
  bool isFloat = isa<FloatType>(in.getElementType());
  if (!isFloat && !in.getElementType().isInteger(8))
    return op->emitOpError() << "C++ lowering supports int8 and float pools";
  std::string dims =
      llvm::formatv("{0}, {1}, {2}, {3}, (const {4} *){5}, {6}, {7}",
                    in.getDimSize(0), in.getDimSize(1), in.getDimSize(2),
                    in.getDimSize(3), cTypeOf(in.getElementType()), ptr(input),
                    outT.getDimSize(1), outT.getDimSize(2));
  use(input);
  define(out);
  if (isFloat) {
    emit(op, llvm::formatv("tinyprune::rt::maxPoolFloat(tinyprune::rt::"
                           "PoolParamsFloat{{{0}, {1}, {2}, {3}, {4}, {5}, "
                           "{6}, {7}}, {8}, (float *){9});",
                           s[0], s[1], k[0], k[1], pad[0], pad[2],
                           floatLiteral((float)lo), floatLiteral((float)hi),
                           dims, ptr(out))
                 .str());
    return success();
  }
  emit(op, llvm::formatv("tinyprune::rt::maxPoolInt8(tinyprune::rt::"
                         "PoolParams{{{0}, {1}, {2}, {3}, {4}, {5}, {6}, {7}}, "
                         "{8}, (int8_t *){9});",
                         s[0], s[1], k[0], k[1], pad[0], pad[2], (int64_t)lo,
                         (int64_t)hi, dims, ptr(out))
               .str());
  return success();
}

LogicalResult KernelCallBuilder::lowerRequantizeLayer(
    Operation *op, Value input, Value out, int64_t inZp, int64_t mult,
    int64_t shift, int64_t outZp, int64_t lo, int64_t hi) {
  auto inType = cast<RankedTensorType>(input.getType());
  use(input);
  define(out);
  emit(op, llvm::formatv("tinyprune::rt::requantizeInt8({0}, (const int8_t "
                         "*){1}, {2}, {3}, {4}, {5}, {6}, {7}, (int8_t *){8});",
                         inType.getNumElements(), ptr(input), inZp, mult, shift,
                         outZp, lo, hi, ptr(out))
               .str());
  allowInPlace(input, out);
  return success();
}

/// A layer op's integer attribute `name`.
static int64_t intAttr(Operation *op, StringRef name) {
  return cast<IntegerAttr>(op->getAttr(name)).getInt();
}

/// A layer op's clamp bound `name` as a double (integer or float layers).
static double boundAttr(Operation *op, StringRef name) {
  Attribute a = op->getAttr(name);
  if (auto f = dyn_cast<FloatAttr>(a))
    return f.getValueAsDouble();
  return (double)cast<IntegerAttr>(a).getInt();
}

/// The zero point of a per-tensor quantization attribute `name` of `op`.
static int64_t zeroPoint(Operation *op, StringRef name) {
  return op->getAttrOfType<QuantAttr>(name).getZeroPoint()[0];
}

LogicalResult KernelCallBuilder::lowerLayerOp(Operation *op) {
  return llvm::TypeSwitch<Operation *, LogicalResult>(op)
      .Case<Conv2DOp, DepthwiseConv2DOp>([&](auto conv) {
        ConvLayer c;
        c.op = op;
        c.depthwise = isa<DepthwiseConv2DOp>(op);
        c.input = conv.getInput(), c.weights = conv.getWeights();
        c.bias = conv.getBias(), c.output = conv.getOutput();
        c.pad = conv.getPad(), c.stride = conv.getStride();
        c.dilation = conv.getDilation();
        if (auto sparse = dyn_cast<Conv2DOp>(op))
          c.filterlets = sparse.getFilterletsAttr();
        if (!conv.isQuantized()) {
          c.flo = boundAttr(op, "min_val"), c.fhi = boundAttr(op, "max_val");
          return lowerConvLayer(c);
        }
        c.lo = boundAttr(op, "min_val"), c.hi = boundAttr(op, "max_val");
        c.inZp = zeroPoint(op, "input_quant");
        c.outZp = zeroPoint(op, "output_quant");
        ArrayRef<int32_t> m = conv.getMultiplierAttr().asArrayRef();
        ArrayRef<int8_t> s = conv.getShiftAttr().asArrayRef();
        for (int64_t o = 0, oc = conv.getNumOutputChannels(); o < oc; ++o) {
          size_t i = m.size() == 1 ? 0 : o;
          c.mult.push_back(m[i]);
          c.shift.push_back(31 - s[i]); // TOSA shift -> TFLite exponent.
        }
        return lowerConvLayer(c);
      })
      .Case<AddOp, SubOp, MulOp>([&](Operation *o) {
        Value lhs = o->getOperand(0), rhs = o->getOperand(1),
              out = o->getResult(0);
        double lo = boundAttr(o, "min_val"), hi = boundAttr(o, "max_val");
        if (isa<FloatType>(
                cast<RankedTensorType>(out.getType()).getElementType())) {
          StringRef fn = isa<AddOp>(o)   ? "addFloat"
                         : isa<SubOp>(o) ? "subFloat"
                                         : "mulFloat";
          return lowerFloatBinaryLayer(o, fn, lhs, rhs, out, lo, hi);
        }
        BinaryInt8Layer b;
        b.kind = isa<AddOp>(o)   ? BinaryInt8Layer::Add
                 : isa<SubOp>(o) ? BinaryInt8Layer::Sub
                                 : BinaryInt8Layer::Mul;
        b.op = o, b.lhs = lhs, b.rhs = rhs, b.output = out;
        b.lo = (int64_t)lo, b.hi = (int64_t)hi;
        b.lhsZp = zeroPoint(o, "lhs_quant");
        b.rhsZp = zeroPoint(o, "rhs_quant");
        b.outZp = zeroPoint(o, "output_quant");
        b.outMult = intAttr(o, "output_multiplier");
        b.outShift = 31 - intAttr(o, "output_shift");
        if (b.kind != BinaryInt8Layer::Mul) {
          b.leftShift = intAttr(o, "left_shift");
          b.lhsMult = intAttr(o, "lhs_multiplier");
          b.lhsShift = 31 - intAttr(o, "lhs_shift");
          b.rhsMult = intAttr(o, "rhs_multiplier");
          b.rhsShift = 31 - intAttr(o, "rhs_shift");
        }
        return lowerBinaryInt8Layer(b);
      })
      .Case([&](MaxPool2dOp m) {
        return lowerMaxPoolLayer(
            m, m.getInput(), m.getOutput(), m.getKernel(), m.getStride(),
            m.getPad(), boundAttr(m, "min_val"), boundAttr(m, "max_val"));
      })
      .Case([&](RequantizeOp r) {
        return lowerRequantizeLayer(
            r, r.getInput(), r.getOutput(), r.getInputQuant().getZeroPoint()[0],
            intAttr(r, "multiplier"), 31 - intAttr(r, "shift"),
            r.getOutputQuant().getZeroPoint()[0], intAttr(r, "min_val"),
            intAttr(r, "max_val"));
      })
      .Default(
          [](Operation *o) { return o->emitOpError() << "is not a layer op"; });
}

//===----------------------------------------------------------------------===//
// One-kernel ops
//===----------------------------------------------------------------------===//

LogicalResult KernelCallBuilder::lowerTinyPrune(Operation *op) {
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
    rt::SoftmaxInt8Params prm =
        rt::prepareSoftmaxInt8(s.getInputQuantAttr().getScale()[0], beta);
    emit(op, llvm::formatv("tinyprune::rt::softmaxInt8(tinyprune::rt::"
                           "SoftmaxInt8Params{{{0}, {1}, {2}}, {3}, {4}, "
                           "(const int8_t *){5}, (int8_t *){6});",
                           prm.inputMultiplier, prm.inputLeftShift, prm.diffMin,
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
             "{11}, (const int8_t *){12}, {13}, {14}, (int8_t *){15}{16});",
             a.getStride()[0], a.getStride()[1], a.getKernel()[0],
             a.getKernel()[1], a.getPad()[0], a.getPad()[2],
             a.getMinValAttr().getInt(), a.getMaxValAttr().getInt(),
             inT.getDimSize(0), inT.getDimSize(1), inT.getDimSize(2),
             inT.getDimSize(3), x, outT.getDimSize(1), outT.getDimSize(2), y,
             a.getInputOffset()
                 ? llvm::formatv(", {0}", a.getInputOffset()).str()
                 : std::string())
             .str());
    return success();
  }
  if (auto h = dyn_cast<HardSwishOp>(op)) {
    if (isFloat) {
      emit(op, llvm::formatv("tinyprune::rt::hardSwishFloat({0}, (const float "
                             "*){1}, (float *){2});",
                             size, x, y)
                   .str());
      return success();
    }
    if (!inT.getElementType().isInteger(8))
      return op->emitOpError()
             << "C++ lowering supports int8 and float hard swish";
    QuantAttr qi = h.getInputQuantAttr(), qo = h.getOutputQuantAttr();
    rt::HardSwishInt8Params prm = rt::prepareHardSwishInt8(
        qi.getScale()[0], static_cast<int32_t>(qi.getZeroPoint()[0]),
        qo.getScale()[0], static_cast<int32_t>(qo.getZeroPoint()[0]));
    if (!rt::hardSwishInt8Supported(prm))
      return op->emitOpError() << "has scales TFLite's int8 hard swish rejects";
    emit(op,
         llvm::formatv("tinyprune::rt::hardSwishInt8(tinyprune::rt::"
                       "HardSwishInt8Params{{{0}, {1}, {2}, {3}, {4}, {5}}, "
                       "{6}, (const int8_t *){7}, (int8_t *){8});",
                       prm.inputZeroPoint, prm.outputZeroPoint,
                       prm.reluishMultiplierFixedpointInt16,
                       prm.reluishMultiplierExponent,
                       prm.outputMultiplierFixedpointInt16,
                       prm.outputMultiplierExponent, size, x, y)
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
      rt::LogisticInt8Params prm = rt::prepareLogisticInt8(scale, zp);
      params[0] = prm.inputZeroPoint, params[1] = prm.inputRangeRadius;
      params[2] = prm.inputMultiplier, params[3] = prm.inputLeftShift;
    } else {
      rt::TanhInt8Params prm = rt::prepareTanhInt8(scale, zp);
      params[0] = prm.inputZeroPoint, params[1] = prm.inputRangeRadius;
      params[2] = prm.inputMultiplier, params[3] = prm.inputLeftShift;
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

LogicalResult KernelCallBuilder::lowerMean(MeanOp op) {
  auto inT = op.getInput().getType();
  SmallVector<int64_t> axes(op.getAxes().begin(), op.getAxes().end());
  if (isa<FloatType>(inT.getElementType())) {
    std::string in = operand(op.getInput());
    define(op.getResult());
    emit(op, llvm::formatv("tinyprune::rt::meanFloat({0}, {1}, {2}, {3}, "
                           "(const float *){4}, (float *){5});",
                           shapeArray(inT.getShape()), inT.getRank(),
                           intArray(axes, "int32_t", "axes"), axes.size(), in,
                           ptr(op.getResult()))
                 .str());
    return success();
  }
  if (!inT.getElementType().isInteger(8))
    return op.emitOpError() << "C++ lowering supports int8 and float mean";
  QuantAttr qi = op.getInputQuantAttr(), qo = op.getOutputQuantAttr();
  rt::MeanIntParams prm = rt::prepareMeanInt(
      qi.getScale()[0], static_cast<int32_t>(qi.getZeroPoint()[0]),
      qo.getScale()[0], static_cast<int32_t>(qo.getZeroPoint()[0]));
  std::string in = operand(op.getInput());
  define(op.getResult());
  emit(op,
       llvm::formatv("tinyprune::rt::meanInt8(tinyprune::rt::MeanIntParams"
                     "{{{0}, {1}, {2}, {3}, {4}}, {5}, {6}, {7}, {8}, "
                     "(const int8_t *){9}, (int8_t *){10});",
                     prm.inputZeroPoint, prm.outputZeroPoint, prm.multiplier,
                     prm.shift, prm.sameQuantization ? "true" : "false",
                     shapeArray(inT.getShape()), inT.getRank(),
                     intArray(axes, "int32_t", "axes"), axes.size(), in,
                     ptr(op.getResult()))
           .str());
  return success();
}

LogicalResult KernelCallBuilder::lowerQuantize(QuantizeOp op) {
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
    llvm::raw_string_ostream os(p.constants);
    os << "static const float " << scales << "[" << q.getScale().size()
       << "] = {";
    for (float f : q.getScale())
      os << " " << floatLiteral(f) << ",";
    os << " };\n";
    p.constantBytes += 4 * (int64_t)q.getScale().size();
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

LogicalResult KernelCallBuilder::lowerLstm(LstmOp op) {
  Operation *o = op.getOperation();
  for (unsigned i = 1; i < o->getNumOperands(); ++i)
    if (!isConst(o->getOperand(i)))
      return op.emitOpError() << "C++ lowering needs constant weights and "
                                 "biases";
  rt::LstmInt8Params prm = rt::prepareLstmInt8(lstmQuant(op));
  SmallVector<std::string, 12> names;
  for (unsigned i = 1; i < o->getNumOperands(); ++i)
    names.push_back(operand(o->getOperand(i)));
  std::string params = llvm::formatv("k{0}_lstm", nextConst++).str();
  {
    auto four = [](const int32_t *v) {
      return llvm::formatv("{{{0}, {1}, {2}, {3}}", v[0], v[1], v[2], v[3])
          .str();
    };
    llvm::raw_string_ostream os(p.constants);
    os << "static const tinyprune::rt::LstmInt8Params " << params << " = {"
       << prm.batch << ", " << prm.time << ", " << prm.inputSize << ", "
       << prm.hidden << ", " << (prm.timeMajor ? "true" : "false") << ", "
       << prm.inputZeroPoint << ", " << prm.hiddenZeroPoint << ",\n    "
       << four(prm.inputMultiplier) << ", " << four(prm.inputShift) << ",\n    "
       << four(prm.recurrentMultiplier) << ", " << four(prm.recurrentShift)
       << ",\n    " << prm.forgetCellMultiplier << ", " << prm.forgetCellShift
       << ", " << prm.inputCellMultiplier << ", " << prm.inputCellShift << ", "
       << prm.hiddenMultiplier << ", " << prm.hiddenShift << ", "
       << prm.cellScalePower << ", " << prm.cellClip << "};\n";
    os << "static const tinyprune::rt::LstmInt8Weights " << params
       << "_w = {\n    {" << llvm::join(ArrayRef(names).slice(0, 4), ", ")
       << "},\n    {" << llvm::join(ArrayRef(names).slice(4, 4), ", ")
       << "},\n    {" << llvm::join(ArrayRef(names).slice(8, 4), ", ")
       << "}};\n";
    // The two structs on a 32-bit target: 31 words and 12 pointers.
    p.constantBytes += 31 * 4 + 12 * 4;
  }
  std::string in = operand(op.getInput());
  define(op.getResult());
  std::string buf = scratch(
      o, rt::lstmInt8ScratchBytes(prm.batch, prm.hidden, prm.timeMajor));
  emit(o, llvm::formatv("tinyprune::rt::lstmInt8({0}, {0}_w, (const int8_t "
                        "*){1}, (int8_t *){2}, {3});",
                        params, in, ptr(op.getResult()), buf)
              .str());
  return success();
}
