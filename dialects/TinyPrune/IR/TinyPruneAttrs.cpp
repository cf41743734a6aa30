//===- TinyPruneAttrs.cpp - #tinyprune.quant ------------------------------===//
//
// Custom syntax and verifier of the quantization attribute.
//
//===----------------------------------------------------------------------===//

#include "tinyprune/Dialect/TinyPrune.h"

#include "mlir/IR/DialectImplementation.h"
#include "llvm/ADT/SmallString.h"
#include "llvm/ADT/TypeSwitch.h"
#include "llvm/Support/Format.h"

#include <cmath>

using namespace mlir;
using namespace tinyprune;

#define GET_ATTRDEF_CLASSES
#include "TinyPrune/TinyPruneAttrs.cpp.inc"

void TinyPruneDialect::registerAttributes() {
  addAttributes<
#define GET_ATTRDEF_LIST
#include "TinyPrune/TinyPruneAttrs.cpp.inc"
      >();
}

LogicalResult QuantAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                                DenseF32ArrayAttr scales,
                                ArrayRef<int64_t> zeroPoint, int64_t axis) {
  if (!scales)
    return emitError() << "quantization needs scales";
  ArrayRef<float> scale = scales.asArrayRef();
  if (scale.empty())
    return emitError() << "quantization needs at least one scale";
  if (scale.size() != zeroPoint.size())
    return emitError() << "quantization has " << scale.size() << " scales but "
                       << zeroPoint.size() << " zero points";
  for (float s : scale)
    if (!std::isfinite(s) || s <= 0.0f)
      return emitError() << "quantization scale " << s
                         << " is not a positive finite number";
  if (scale.size() > 1 && axis < 0)
    return emitError() << "per-channel quantization needs an axis >= 0";
  if (scale.size() == 1 && axis != -1)
    return emitError() << "per-tensor quantization takes no axis";
  return success();
}

/// Parses `<float>` or `[<float>, ...]`.
static ParseResult parseFloatList(AsmParser &parser,
                                  SmallVectorImpl<float> &out) {
  auto parseOne = [&]() -> ParseResult {
    double v;
    if (parser.parseFloat(v))
      return failure();
    out.push_back(static_cast<float>(v));
    return success();
  };
  if (succeeded(parser.parseOptionalLSquare()))
    return failure(parser.parseCommaSeparatedList(parseOne) ||
                   parser.parseRSquare());
  return parseOne();
}

/// Parses `<int>` or `[<int>, ...]`.
static ParseResult parseIntList(AsmParser &parser,
                                SmallVectorImpl<int64_t> &out) {
  auto parseOne = [&]() -> ParseResult {
    int64_t v;
    if (parser.parseInteger(v))
      return failure();
    out.push_back(v);
    return success();
  };
  if (succeeded(parser.parseOptionalLSquare()))
    return failure(parser.parseCommaSeparatedList(parseOne) ||
                   parser.parseRSquare());
  return parseOne();
}

/// Syntax: `<[axis = N,] scale = S, zero_point = Z>` where S and Z are a
/// number or a bracketed list of numbers.
Attribute QuantAttr::parse(AsmParser &parser, Type) {
  SmallVector<float> scales;
  SmallVector<int64_t> zeroPoints;
  int64_t axis = -1;
  if (parser.parseLess())
    return {};
  if (succeeded(parser.parseOptionalKeyword("axis"))) {
    if (parser.parseEqual() || parser.parseInteger(axis) || parser.parseComma())
      return {};
  }
  if (parser.parseKeyword("scale") || parser.parseEqual() ||
      parseFloatList(parser, scales) || parser.parseComma() ||
      parser.parseKeyword("zero_point") || parser.parseEqual() ||
      parseIntList(parser, zeroPoints) || parser.parseGreater())
    return {};
  return QuantAttr::getChecked(
      [&] { return parser.emitError(parser.getNameLoc()); },
      parser.getContext(), DenseF32ArrayAttr::get(parser.getContext(), scales),
      zeroPoints, axis);
}

/// Prints a float32 with nine significant digits: enough to parse back to
/// the identical float32.
static void printScale(AsmPrinter &printer, float v) {
  llvm::SmallString<32> text;
  llvm::raw_svector_ostream os(text);
  os << llvm::format("%.9g", static_cast<double>(v));
  // "1" would parse as an integer: keep it a float literal.
  if (text.find_first_of(".e") == llvm::StringRef::npos)
    text += ".0";
  printer.getStream() << text;
}

void QuantAttr::print(AsmPrinter &printer) const {
  printer << "<";
  bool list = isPerChannel();
  if (list)
    printer << "axis = " << getAxis() << ", ";
  printer << "scale = ";
  if (list)
    printer << "[";
  llvm::interleaveComma(getScale(), printer,
                        [&](float s) { printScale(printer, s); });
  if (list)
    printer << "]";
  printer << ", zero_point = ";
  if (list)
    printer << "[";
  llvm::interleaveComma(getZeroPoint(), printer);
  if (list)
    printer << "]";
  printer << ">";
}

//===----------------------------------------------------------------------===//
// #tinyprune.filterlets
//===----------------------------------------------------------------------===//

LogicalResult
FilterletsAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                       int64_t block, ArrayRef<int32_t> rowPtr,
                       ArrayRef<int32_t> index) {
  if (block < 1)
    return emitError() << "filterlet block must be positive, not " << block;
  if (rowPtr.empty() || rowPtr.front() != 0 ||
      rowPtr.back() != static_cast<int64_t>(index.size()))
    return emitError() << "filterlet row pointers must start at 0 and end at "
                          "the number of kept filterlets";
  for (size_t o = 0; o + 1 < rowPtr.size(); ++o) {
    if (rowPtr[o + 1] < rowPtr[o])
      return emitError() << "filterlet row pointers decrease at filter " << o;
    for (int32_t k = rowPtr[o]; k < rowPtr[o + 1]; ++k) {
      if (index[k] < 0)
        return emitError() << "filter " << o << " keeps negative filterlet "
                           << index[k];
      if (k > rowPtr[o] && index[k] <= index[k - 1])
        return emitError() << "filter " << o
                           << " lists its filterlets out of order or twice ("
                           << index[k - 1] << " then " << index[k] << ")";
    }
  }
  return success();
}

LogicalResult
FilterletsAttr::verifyFor(RankedTensorType weightType,
                          DenseElementsAttr weights,
                          function_ref<InFlightDiagnostic()> emitError) const {
  if (weightType.getRank() != 4 || !weightType.hasStaticShape())
    return emitError() << "filterlets need a static [O, KH, KW, I] weight";
  int64_t o = weightType.getDimSize(0), kh = weightType.getDimSize(1),
          kw = weightType.getDimSize(2), in = weightType.getDimSize(3);
  if (in % getBlock() != 0)
    return emitError() << "filterlet block " << getBlock()
                       << " does not divide the " << in << " input channels";
  if (getNumFilters() != o)
    return emitError() << "filterlets describe " << getNumFilters()
                       << " filters but the weight has " << o;
  int64_t perFilter = kh * kw * (in / getBlock());
  for (int32_t id : getIndex())
    if (id >= perFilter)
      return emitError() << "filterlet " << id << " is out of range (a filter "
                         << "has " << perFilter << ")";
  if (!weights)
    return success();
  // Pruned filterlets must be zero: the op then computes what it says.
  SmallVector<bool> kept(perFilter);
  int64_t block = getBlock(), filterSize = kh * kw * in;
  auto isZero = [&](int64_t flat) -> bool {
    if (isa<FloatType>(weights.getElementType()))
      return (weights.getValues<APFloat>()[flat]).isZero();
    return (weights.getValues<APInt>()[flat]).isZero();
  };
  if (weights.isSplat()) {
    if (isZero(0) || getIndex().size() == static_cast<size_t>(o * perFilter))
      return success();
    return emitError() << "a splat non-zero weight cannot be pruned";
  }
  for (int64_t f = 0; f < o; ++f) {
    std::fill(kept.begin(), kept.end(), false);
    for (int32_t id : getKept(f))
      kept[id] = true;
    for (int64_t id = 0; id < perFilter; ++id) {
      if (kept[id])
        continue;
      int64_t start = f * filterSize + id * block;
      for (int64_t e = 0; e < block; ++e)
        if (!isZero(start + e))
          return emitError() << "filter " << f << " prunes filterlet " << id
                             << " but its weights are not zero";
    }
  }
  return success();
}

/// Syntax: `<block = B, kept = [[i, ...], ...]>`.
Attribute FilterletsAttr::parse(AsmParser &parser, Type) {
  int64_t block;
  SmallVector<int32_t> rowPtr{0}, index;
  auto parseFilter = [&]() -> ParseResult {
    if (parser.parseLSquare())
      return failure();
    if (failed(parser.parseOptionalRSquare())) {
      if (parser.parseCommaSeparatedList([&]() -> ParseResult {
            int32_t id;
            if (parser.parseInteger(id))
              return failure();
            index.push_back(id);
            return success();
          }) ||
          parser.parseRSquare())
        return failure();
    }
    rowPtr.push_back(static_cast<int32_t>(index.size()));
    return success();
  };
  if (parser.parseLess() || parser.parseKeyword("block") ||
      parser.parseEqual() || parser.parseInteger(block) ||
      parser.parseComma() || parser.parseKeyword("kept") ||
      parser.parseEqual() || parser.parseLSquare() ||
      parser.parseCommaSeparatedList(parseFilter) || parser.parseRSquare() ||
      parser.parseGreater())
    return {};
  return FilterletsAttr::getChecked(
      [&] { return parser.emitError(parser.getNameLoc()); },
      parser.getContext(), block, rowPtr, index);
}

void FilterletsAttr::print(AsmPrinter &printer) const {
  printer << "<block = " << getBlock() << ", kept = [";
  for (int64_t o = 0; o < getNumFilters(); ++o) {
    if (o)
      printer << ", ";
    printer << "[";
    llvm::interleaveComma(getKept(o), printer.getStream());
    printer << "]";
  }
  printer << "]>";
}
