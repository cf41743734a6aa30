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
