//===- Npy.cpp - NumPy .npy reader ----------------------------------------===//
//
// The .npy format (numpy/lib/format.py): the magic "\x93NUMPY", a major and
// a minor version byte, the header length (uint16 for 1.0, uint32 for 2.0
// and 3.0, little-endian), then the header: the repr of a Python dict with
// the keys 'descr', 'fortran_order' and 'shape', padded with spaces and
// ended by a newline. The elements follow, row-major for C order.
//
// The header is parsed as the Python literal it is (strings, booleans,
// integers, tuples, in any key order and spacing), not by position.
//
//===----------------------------------------------------------------------===//

#include "tinyprune/Data/Dataset.h"
#include "tinyprune/Support/Files.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/MathExtras.h"

#include <cstring>
#include <limits>
#include <optional>

using namespace llvm;
using namespace tinyprune::data;

StringRef tinyprune::data::dtypeName(DType dtype) {
  switch (dtype) {
  case DType::Float32:
    return "float32";
  case DType::Int8:
    return "int8";
  case DType::UInt8:
    return "uint8";
  case DType::Int32:
    return "int32";
  case DType::Int64:
    return "int64";
  }
  llvm_unreachable("unknown dtype");
}

unsigned tinyprune::data::dtypeSize(DType dtype) {
  switch (dtype) {
  case DType::Int8:
  case DType::UInt8:
    return 1;
  case DType::Float32:
  case DType::Int32:
    return 4;
  case DType::Int64:
    return 8;
  }
  llvm_unreachable("unknown dtype");
}

std::string tinyprune::data::formatShape(ArrayRef<int64_t> shape) {
  std::string s = "[";
  for (auto [i, d] : llvm::enumerate(shape)) {
    if (i)
      s += ",";
    s += std::to_string(d);
  }
  return s + "]";
}

int64_t NpyArray::numElements() const {
  int64_t n = 1;
  for (int64_t d : shape)
    n *= d;
  return n;
}

ArrayRef<uint8_t> NpyArray::data() const {
  auto *start =
      reinterpret_cast<const uint8_t *>(buffer->getBufferStart()) + dataOffset;
  return ArrayRef<uint8_t>(start, numElements() * dtypeSize(dtype));
}

int64_t NpyArray::intAt(int64_t k) const {
  const uint8_t *p = data().data();
  switch (dtype) {
  case DType::Int8:
    return static_cast<int8_t>(p[k]);
  case DType::UInt8:
    return p[k];
  case DType::Int32: {
    int32_t v;
    std::memcpy(&v, p + 4 * k, 4);
    return v;
  }
  case DType::Int64: {
    int64_t v;
    std::memcpy(&v, p + 8 * k, 8);
    return v;
  }
  case DType::Float32:
    break;
  }
  llvm_unreachable("intAt on float data");
}

float NpyArray::floatAt(int64_t k) const {
  if (dtype != DType::Float32)
    return static_cast<float>(intAt(k));
  float v;
  std::memcpy(&v, data().data() + 4 * k, 4);
  return v;
}

namespace {

/// A value of the header's Python literal.
struct PyValue {
  enum Kind { String, Bool, Int, Tuple, Other } kind = Other;
  std::string str;
  bool boolean = false;
  int64_t integer = 0;
  std::vector<PyValue> items;
};

/// Recursive-descent parser of the subset of Python literals that .npy
/// headers use: a dict of string keys; strings, True/False, integers and
/// tuples as values. Lists (structured dtypes) are recognized so that the
/// error can say what they are.
class HeaderParser {
public:
  explicit HeaderParser(StringRef text) : text(text) {}

  /// Parses the whole header as a dict; on failure `error` says why.
  std::optional<std::vector<std::pair<std::string, PyValue>>> parseDict() {
    std::vector<std::pair<std::string, PyValue>> entries;
    skipSpace();
    if (!consume('{'))
      return fail("the header is not a Python dict");
    skipSpace();
    while (!consume('}')) {
      std::optional<PyValue> key = parseValue();
      if (!key)
        return std::nullopt;
      if (key->kind != PyValue::String)
        return fail("a header key is not a string");
      skipSpace();
      if (!consume(':'))
        return fail("expected ':' after key '" + key->str + "'");
      std::optional<PyValue> value = parseValue();
      if (!value)
        return std::nullopt;
      entries.emplace_back(key->str, std::move(*value));
      skipSpace();
      bool comma = consume(',');
      skipSpace();
      if (pos >= text.size())
        return fail("the header ends inside the dict");
      if (!comma && !peek('}'))
        return fail("expected ',' or '}' in the header dict");
    }
    skipSpace();
    if (pos != text.size())
      return fail("unexpected text after the header dict");
    return entries;
  }

  std::string error;

private:
  std::nullopt_t fail(const Twine &message) {
    if (error.empty())
      error = message.str();
    return std::nullopt;
  }
  void skipSpace() {
    while (pos < text.size() && (text[pos] == ' ' || text[pos] == '\t' ||
                                 text[pos] == '\n' || text[pos] == '\r'))
      ++pos;
  }
  bool peek(char c) const { return pos < text.size() && text[pos] == c; }
  bool consume(char c) {
    if (!peek(c))
      return false;
    ++pos;
    return true;
  }

  std::optional<PyValue> parseValue() {
    skipSpace();
    if (pos >= text.size())
      return fail("the header ends inside the dict");
    char c = text[pos];
    if (c == '\'' || c == '"')
      return parseString(c);
    if (c == '(' || c == '[')
      return parseSequence(c);
    if (c == '-' || c == '+' || isDigit(c))
      return parseInt();
    if (isAlpha(c)) {
      size_t start = pos;
      while (pos < text.size() && (isAlnum(text[pos]) || text[pos] == '_'))
        ++pos;
      StringRef word = text.slice(start, pos);
      PyValue v;
      if (word == "True" || word == "False") {
        v.kind = PyValue::Bool;
        v.boolean = word == "True";
        return v;
      }
      return fail("unexpected '" + word + "' in the header");
    }
    return fail(Twine("unexpected character '") + Twine(c) + "' in the header");
  }

  std::optional<PyValue> parseString(char quote) {
    ++pos;
    PyValue v;
    v.kind = PyValue::String;
    while (pos < text.size() && text[pos] != quote) {
      if (text[pos] == '\\') {
        if (pos + 1 >= text.size())
          break;
        ++pos;
      }
      v.str += text[pos++];
    }
    if (!consume(quote))
      return fail("unterminated string in the header");
    return v;
  }

  std::optional<PyValue> parseInt() {
    size_t start = pos;
    if (peek('-') || peek('+'))
      ++pos;
    size_t digits = pos;
    while (pos < text.size() && isDigit(text[pos]))
      ++pos;
    if (pos == digits)
      return fail("malformed integer in the header");
    StringRef number = text.slice(start, pos);
    if (number.starts_with("+"))
      number = number.drop_front();
    // Files written by Python 2 spell large dimensions as 10L.
    if (peek('L'))
      ++pos;
    PyValue v;
    v.kind = PyValue::Int;
    if (number.getAsInteger(10, v.integer))
      return fail("integer " + number + " in the header is out of range");
    return v;
  }

  std::optional<PyValue> parseSequence(char open) {
    char close = open == '(' ? ')' : ']';
    ++pos;
    PyValue v;
    v.kind = open == '(' ? PyValue::Tuple : PyValue::Other;
    skipSpace();
    while (!consume(close)) {
      std::optional<PyValue> item = parseValue();
      if (!item)
        return std::nullopt;
      v.items.push_back(std::move(*item));
      skipSpace();
      if (consume(','))
        skipSpace();
      else if (!peek(close))
        return fail(Twine("expected ',' or '") + Twine(close) +
                    "' in the header");
    }
    return v;
  }

  StringRef text;
  size_t pos = 0;
};

} // namespace

/// An error "<name>: <message>".
static Error npyError(StringRef name, const Twine &message) {
  return createStringError(inconvertibleErrorCode(),
                           (name + ": " + message).str());
}

/// The dtype of descr `d`, or an error message.
static Expected<DType> parseDescr(StringRef name, StringRef d) {
  if (d.size() < 2)
    return npyError(name, "unsupported dtype '" + d + "'");
  char order = d[0];
  StringRef type = d.drop_front();
  if (order == '>')
    return npyError(name, "big-endian dtype '" + d +
                              "' is not supported (only little-endian '<' "
                              "or '|')");
  static constexpr std::pair<StringLiteral, DType> kTypes[] = {
      {"f4", DType::Float32}, {"i1", DType::Int8},  {"u1", DType::UInt8},
      {"i4", DType::Int32},   {"i8", DType::Int64},
  };
  if (order == '<' || order == '|')
    for (const auto &[code, dtype] : kTypes)
      if (type == code)
        return dtype;
  return npyError(name, "unsupported dtype '" + d +
                            "' (float32, int8, uint8, int32 or int64 only)");
}

Expected<NpyArray>
tinyprune::data::parseNpy(std::unique_ptr<MemoryBuffer> buffer) {
  StringRef name = buffer->getBufferIdentifier();
  StringRef bytes = buffer->getBuffer();
  static constexpr StringLiteral kMagic("\x93NUMPY");
  if (!bytes.starts_with(kMagic))
    return npyError(name, "not a .npy file (bad magic)");
  if (bytes.size() < 10)
    return npyError(name, "truncated .npy preamble");
  unsigned major = static_cast<uint8_t>(bytes[6]);
  unsigned minor = static_cast<uint8_t>(bytes[7]);
  if (major < 1 || major > 3 || minor != 0)
    return npyError(name, formatv("unsupported .npy format version {0}.{1} "
                                  "(1.0, 2.0 and 3.0 are)",
                                  major, minor));
  size_t headerLen, headerStart;
  if (major == 1) {
    headerLen = static_cast<uint8_t>(bytes[8]) |
                (static_cast<size_t>(static_cast<uint8_t>(bytes[9])) << 8);
    headerStart = 10;
  } else {
    if (bytes.size() < 12)
      return npyError(name, "truncated .npy preamble");
    headerLen = 0;
    for (int i = 3; i >= 0; --i)
      headerLen = (headerLen << 8) | static_cast<uint8_t>(bytes[8 + i]);
    headerStart = 12;
  }
  if (headerLen > bytes.size() - headerStart)
    return npyError(name, formatv("header length {0} runs past the end of "
                                  "the file ({1} bytes)",
                                  headerLen, bytes.size()));
  StringRef header = bytes.substr(headerStart, headerLen);
  if (!header.ends_with("\n"))
    return npyError(name, "the header does not end with a newline");
  if (major < 3 && !llvm::all_of(header, [](char c) {
        return static_cast<unsigned char>(c) < 0x80;
      }))
    return npyError(name, "the header of a version 1.0/2.0 file is not ASCII");

  HeaderParser parser(header);
  auto entries = parser.parseDict();
  if (!entries)
    return npyError(name, "bad header: " + parser.error);

  const PyValue *descr = nullptr, *fortran = nullptr, *shape = nullptr;
  for (const auto &[key, value] : *entries) {
    const PyValue **slot = key == "descr"           ? &descr
                           : key == "fortran_order" ? &fortran
                           : key == "shape"         ? &shape
                                                    : nullptr;
    if (!slot)
      return npyError(name, "bad header: unexpected key '" + key + "'");
    if (*slot)
      return npyError(name, "bad header: key '" + key + "' appears twice");
    *slot = &value;
  }
  if (!descr || !fortran || !shape)
    return npyError(name, Twine("bad header: missing key '") +
                              (!descr     ? "descr"
                               : !fortran ? "fortran_order"
                                          : "shape") +
                              "'");
  if (descr->kind != PyValue::String)
    return npyError(name, "structured dtypes are not supported");
  if (fortran->kind != PyValue::Bool)
    return npyError(name, "bad header: 'fortran_order' is not True or False");
  if (fortran->boolean)
    return npyError(name, "Fortran-order arrays are not supported (save the "
                          "array in C order)");
  if (shape->kind != PyValue::Tuple)
    return npyError(name, "bad header: 'shape' is not a tuple");

  NpyArray array;
  Expected<DType> dtype = parseDescr(name, descr->str);
  if (!dtype)
    return dtype.takeError();
  array.dtype = *dtype;
  array.version = major;
  uint64_t count = 1;
  bool overflow = false;
  for (const PyValue &d : shape->items) {
    if (d.kind != PyValue::Int || d.integer < 0)
      return npyError(name, "bad header: 'shape' holds something other than "
                            "non-negative integers");
    array.shape.push_back(d.integer);
    // SaturatingMultiply clears its flag on every call: keep it sticky, so
    // that a zero after an overflowing product (a shape of 0 elements whose
    // other dimensions overflow int64) is refused too.
    // The count must also fit int64 (NpyArray::numElements): uint64 alone
    // lets products in (2^63, 2^64) through.
    bool o = false;
    count = SaturatingMultiply<uint64_t>(count, d.integer, &o);
    overflow |= o || count > uint64_t(std::numeric_limits<int64_t>::max());
  }
  bool o = false;
  uint64_t payload =
      SaturatingMultiply<uint64_t>(count, dtypeSize(array.dtype), &o);
  overflow |= o;
  array.dataOffset = headerStart + headerLen;
  uint64_t available = bytes.size() - array.dataOffset;
  if (overflow || payload > available)
    return npyError(
        name,
        formatv("truncated: shape {0} of {1} needs {2} data bytes "
                "after the header, the file has {3}",
                formatShape(array.shape), dtypeName(array.dtype),
                overflow ? std::string("too many") : std::to_string(payload),
                available));
  if (payload < available)
    return npyError(name, formatv("{0} bytes follow the data of shape {1} of "
                                  "{2} (expected {3} data bytes)",
                                  available - payload, formatShape(array.shape),
                                  dtypeName(array.dtype), payload));
  array.buffer = std::move(buffer);
  return array;
}

Expected<NpyArray> tinyprune::data::readNpy(StringRef path) {
  // Bounded (the size is checked first, special files are refused), and
  // copied rather than mapped (tinyprune/Support/Files.h).
  Expected<std::unique_ptr<MemoryBuffer>> file = readInputFile(path);
  if (!file)
    return file.takeError();
  return parseNpy(std::move(*file));
}
