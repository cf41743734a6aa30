//===- DatasetTest.cpp - .npy parser, label CSVs, sample conversion -------===//

#include "tinyprune/Data/Dataset.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/raw_ostream.h"

#include <gtest/gtest.h>

#include <cstring>
#include <string>

using namespace tinyprune::data;

namespace {

/// A .npy file: preamble of `version`, the header text `dict` (padded with
/// spaces to a multiple of 64 bytes, newline-terminated) and `payload`.
std::string npy(const std::string &dict, const std::string &payload,
                unsigned version = 1) {
  size_t preamble = version == 1 ? 10 : 12;
  std::string header = dict;
  size_t total = preamble + header.size() + 1;
  header += std::string((64 - total % 64) % 64, ' ') + "\n";
  std::string out = "\x93NUMPY";
  out += static_cast<char>(version);
  out += '\0';
  size_t len = header.size();
  out += static_cast<char>(len & 0xff);
  out += static_cast<char>((len >> 8) & 0xff);
  if (version != 1) {
    out += static_cast<char>((len >> 16) & 0xff);
    out += static_cast<char>((len >> 24) & 0xff);
  }
  return out + header + payload;
}

std::string dict(const std::string &descr, const std::string &shape,
                 const std::string &fortran = "False") {
  return "{'descr': '" + descr + "', 'fortran_order': " + fortran +
         ", 'shape': " + shape + ", }";
}

template <typename T> std::string bytesOf(std::initializer_list<T> values) {
  std::string s;
  for (T v : values)
    s.append(reinterpret_cast<const char *>(&v), sizeof(T));
  return s;
}

llvm::Expected<NpyArray> parse(const std::string &bytes) {
  return parseNpy(llvm::MemoryBuffer::getMemBufferCopy(bytes, "t.npy"));
}

/// The error message of a failed parse ("" if it succeeded).
std::string errorOf(const std::string &bytes) {
  llvm::Expected<NpyArray> a = parse(bytes);
  if (a)
    return "";
  return llvm::toString(a.takeError());
}

TEST(Npy, Version1Float32) {
  auto a = parse(
      npy(dict("<f4", "(2, 3)"), bytesOf<float>({0.5f, -1, 2, 3, 4, 5.25f})));
  ASSERT_TRUE(bool(a)) << llvm::toString(a.takeError());
  EXPECT_EQ(a->version, 1u);
  EXPECT_EQ(a->dtype, DType::Float32);
  EXPECT_EQ(a->shape, (llvm::SmallVector<int64_t, 4>{2, 3}));
  EXPECT_EQ(a->numElements(), 6);
  EXPECT_EQ(a->dataOffset % 64, 0u);
  EXPECT_FLOAT_EQ(a->floatAt(0), 0.5f);
  EXPECT_FLOAT_EQ(a->floatAt(1), -1.0f);
  EXPECT_FLOAT_EQ(a->floatAt(5), 5.25f);
}

TEST(Npy, Version2And3) {
  for (unsigned v : {2u, 3u}) {
    auto a = parse(npy(dict("<i4", "(3,)"), bytesOf<int32_t>({7, -8, 9}), v));
    ASSERT_TRUE(bool(a)) << llvm::toString(a.takeError());
    EXPECT_EQ(a->version, v);
    EXPECT_EQ(a->dtype, DType::Int32);
    EXPECT_EQ(a->intAt(1), -8);
    EXPECT_EQ(a->intAt(2), 9);
  }
}

TEST(Npy, Version3Utf8HeaderText) {
  // Version 3.0 allows UTF-8 in the header; ours has none in the values
  // we read, but it must not be rejected.
  std::string d = "{'descr': '<i4', 'fortran_order': False, 'shape': (1,), }"
                  "   \xc3\xa9";
  std::string bytes = npy(d, bytesOf<int32_t>({5}), 3);
  // The trailing UTF-8 is outside the dict: a bad header, but not for
  // being non-ASCII.
  EXPECT_NE(errorOf(bytes).find("unexpected"), std::string::npos)
      << errorOf(bytes);
  std::string bytes1 = npy(d, bytesOf<int32_t>({5}), 1);
  EXPECT_NE(errorOf(bytes1).find("not ASCII"), std::string::npos);
}

TEST(Npy, EveryDtype) {
  auto i8 = parse(npy(dict("|i1", "(3,)"), bytesOf<int8_t>({-128, 0, 127})));
  ASSERT_TRUE(bool(i8));
  EXPECT_EQ(i8->dtype, DType::Int8);
  EXPECT_EQ(i8->intAt(0), -128);
  EXPECT_EQ(i8->intAt(2), 127);
  auto i8lt = parse(npy(dict("<i1", "(1,)"), bytesOf<int8_t>({-3})));
  ASSERT_TRUE(bool(i8lt));
  EXPECT_EQ(i8lt->intAt(0), -3);
  auto u8 = parse(npy(dict("|u1", "(2,)"), bytesOf<uint8_t>({0, 255})));
  ASSERT_TRUE(bool(u8));
  EXPECT_EQ(u8->dtype, DType::UInt8);
  EXPECT_EQ(u8->intAt(1), 255);
  EXPECT_FLOAT_EQ(u8->floatAt(1), 255.0f);
  auto i32 = parse(npy(dict("<i4", "(2,)"), bytesOf<int32_t>({-70000, 1})));
  ASSERT_TRUE(bool(i32));
  EXPECT_EQ(i32->intAt(0), -70000);
  auto i64 = parse(
      npy(dict("<i8", "(2,)"), bytesOf<int64_t>({-(int64_t(1) << 40), 3})));
  ASSERT_TRUE(bool(i64));
  EXPECT_EQ(i64->dtype, DType::Int64);
  EXPECT_EQ(i64->intAt(0), -(int64_t(1) << 40));
  EXPECT_EQ(dtypeSize(DType::Int64), 8u);
  EXPECT_EQ(dtypeName(DType::UInt8), "uint8");
}

TEST(Npy, HeaderSyntaxVariants) {
  // Any key order, double quotes, no trailing comma, extra spaces, Python 2
  // long suffixes, an empty shape (a scalar) and zero-sized arrays.
  auto a = parse(npy("{ \"shape\" : ( 2L , 1 ) , \"descr\":\"<f4\","
                     "'fortran_order':False}",
                     bytesOf<float>({1, 2})));
  ASSERT_TRUE(bool(a)) << llvm::toString(a.takeError());
  EXPECT_EQ(a->shape, (llvm::SmallVector<int64_t, 4>{2, 1}));
  auto scalar = parse(npy(dict("<i8", "()"), bytesOf<int64_t>({42})));
  ASSERT_TRUE(bool(scalar));
  EXPECT_TRUE(scalar->shape.empty());
  EXPECT_EQ(scalar->intAt(0), 42);
  auto empty = parse(npy(dict("<f4", "(0, 5)"), ""));
  ASSERT_TRUE(bool(empty));
  EXPECT_EQ(empty->numElements(), 0);
}

TEST(Npy, BadMagic) {
  std::string bytes = npy(dict("<f4", "(1,)"), bytesOf<float>({1}));
  bytes[1] = 'X';
  EXPECT_EQ(errorOf(bytes), "t.npy: not a .npy file (bad magic)");
  EXPECT_EQ(errorOf("hello"), "t.npy: not a .npy file (bad magic)");
}

TEST(Npy, UnsupportedVersion) {
  std::string bytes = npy(dict("<f4", "(1,)"), bytesOf<float>({1}));
  bytes[6] = 4;
  EXPECT_EQ(errorOf(bytes), "t.npy: unsupported .npy format version 4.0 "
                            "(1.0, 2.0 and 3.0 are)");
}

TEST(Npy, Truncated) {
  std::string bytes = npy(dict("<f4", "(2, 2)"), bytesOf<float>({1, 2, 3}));
  EXPECT_EQ(errorOf(bytes), "t.npy: truncated: shape [2,2] of float32 needs "
                            "16 data bytes after the header, the file has "
                            "12");
  // Cut inside the header.
  std::string full = npy(dict("<f4", "(1,)"), bytesOf<float>({1}));
  EXPECT_NE(errorOf(full.substr(0, 40))
                .find("header length 118 runs past "
                      "the end of the file"),
            std::string::npos)
      << errorOf(full.substr(0, 40));
  EXPECT_EQ(errorOf(full.substr(0, 9)), "t.npy: truncated .npy preamble");
}

TEST(Npy, TrailingBytes) {
  std::string bytes = npy(dict("|u1", "(3,)"), "abcd");
  EXPECT_EQ(errorOf(bytes), "t.npy: 1 bytes follow the data of shape [3] of "
                            "uint8 (expected 3 data bytes)");
}

TEST(Npy, FortranOrder) {
  std::string bytes =
      npy(dict("<f4", "(2, 2)", "True"), bytesOf<float>({1, 2, 3, 4}));
  EXPECT_EQ(errorOf(bytes), "t.npy: Fortran-order arrays are not supported "
                            "(save the array in C order)");
}

TEST(Npy, BigEndianRejected) {
  std::string bytes = npy(dict(">f4", "(1,)"), bytesOf<float>({1}));
  EXPECT_EQ(errorOf(bytes), "t.npy: big-endian dtype '>f4' is not supported "
                            "(only little-endian '<' or '|')");
}

TEST(Npy, UnsupportedDtypes) {
  EXPECT_EQ(errorOf(npy(dict("<f8", "(1,)"), bytesOf<double>({1}))),
            "t.npy: unsupported dtype '<f8' (float32, int8, uint8, int32 or "
            "int64 only)");
  EXPECT_EQ(errorOf(npy(dict("<i2", "(1,)"), bytesOf<int16_t>({1}))),
            "t.npy: unsupported dtype '<i2' (float32, int8, uint8, int32 or "
            "int64 only)");
  EXPECT_EQ(errorOf(npy("{'descr': [('a', '<f4')], 'fortran_order': False, "
                        "'shape': (1,)}",
                        bytesOf<float>({1}))),
            "t.npy: structured dtypes are not supported");
}

TEST(Npy, BadDict) {
  auto bad = [](const std::string &d) {
    return errorOf(npy(d, bytesOf<float>({1})));
  };
  EXPECT_EQ(bad("{'descr': '<f4', 'shape': (1,)}"),
            "t.npy: bad header: missing key 'fortran_order'");
  EXPECT_EQ(bad("{'descr': '<f4', 'fortran_order': False, 'shape': (1,), "
                "'extra': 1}"),
            "t.npy: bad header: unexpected key 'extra'");
  EXPECT_EQ(bad("{'descr': '<f4', 'descr': '<f4', 'fortran_order': False, "
                "'shape': (1,)}"),
            "t.npy: bad header: key 'descr' appears twice");
  EXPECT_EQ(bad("['descr', '<f4']"),
            "t.npy: bad header: the header is not a Python dict");
  EXPECT_EQ(bad("{'descr': '<f4', 'fortran_order': False, 'shape': (1,)"),
            "t.npy: bad header: the header ends inside the dict");
  EXPECT_EQ(bad("{'descr': '<f4' 'fortran_order': False, 'shape': (1,)}"),
            "t.npy: bad header: expected ',' or '}' in the header dict");
  EXPECT_EQ(bad("{'descr': '<f4', 'fortran_order': Maybe, 'shape': (1,)}"),
            "t.npy: bad header: unexpected 'Maybe' in the header");
  EXPECT_EQ(bad("{'descr': '<f4', 'fortran_order': 0, 'shape': (1,)}"),
            "t.npy: bad header: 'fortran_order' is not True or False");
  EXPECT_EQ(bad("{'descr': '<f4', 'fortran_order': False, 'shape': [1]}"),
            "t.npy: bad header: 'shape' is not a tuple");
  EXPECT_EQ(bad("{'descr': '<f4', 'fortran_order': False, 'shape': (-1,)}"),
            "t.npy: bad header: 'shape' holds something other than "
            "non-negative integers");
  EXPECT_EQ(bad("{'descr': '<f4, 'fortran_order': False, 'shape': (1,)}"),
            "t.npy: bad header: expected ',' or '}' in the header dict");
  EXPECT_EQ(bad("{'descr' '<f4', 'fortran_order': False, 'shape': (1,)}"),
            "t.npy: bad header: expected ':' after key 'descr'");
  // No newline at the end of the header.
  std::string bytes = npy(dict("<f4", "(1,)"), bytesOf<float>({1}));
  bytes[10 + 117] = ' ';
  EXPECT_EQ(errorOf(bytes), "t.npy: the header does not end with a newline");
}

TEST(Npy, ShapeOverflow) {
  std::string bytes =
      npy(dict("<i8", "(4294967296, 4294967296, 4294967296)"), "");
  EXPECT_NE(errorOf(bytes).find("needs too many data bytes"), std::string::npos)
      << errorOf(bytes);
}

// Found by fuzz/NpyFuzzer.cpp: dimensions whose product overflows int64,
// then a zero, made an array of "0 elements" whose numElements() overflowed.
TEST(Npy, ShapeOverflowThenZero) {
  std::string bytes = npy(dict("<f4", "(2147483649, 429496727483649, 0)"), "");
  EXPECT_NE(errorOf(bytes).find("needs too many data bytes"), std::string::npos)
      << errorOf(bytes);
}

// Found by the npy fuzzer: the product fits uint64 but not int64.
TEST(Npy, ShapeAboveInt64ThenZero) {
  std::string bytes = npy(dict("<f4", "(2147483649, 4297483643, 0)"), "");
  EXPECT_NE(errorOf(bytes).find("needs too many data bytes"), std::string::npos)
      << errorOf(bytes);
}

TEST(Npy, ReadMissingFile) {
  llvm::Expected<NpyArray> a = readNpy("/nonexistent/x.npy");
  ASSERT_FALSE(bool(a));
  EXPECT_EQ(llvm::toString(a.takeError()),
            "cannot read '/nonexistent/x.npy': No such file or directory");
}

TEST(LabelCsv, Forms) {
  auto rows = parseLabelCsv("file,label\r\na.bin,3\r\n\r\n b.bin , 1 \n"
                            "000000343218.bin,2,1\n",
                            "y.csv");
  ASSERT_TRUE(bool(rows)) << llvm::toString(rows.takeError());
  ASSERT_EQ(rows->size(), 3u);
  EXPECT_EQ((*rows)[0].file, "a.bin");
  EXPECT_EQ((*rows)[0].label, 3);
  EXPECT_EQ((*rows)[0].numClasses, -1);
  EXPECT_EQ((*rows)[0].line, 2u);
  EXPECT_EQ((*rows)[1].file, "b.bin");
  EXPECT_EQ((*rows)[1].label, 1);
  EXPECT_EQ((*rows)[2].file, "000000343218.bin");
  EXPECT_EQ((*rows)[2].numClasses, 2);
  EXPECT_EQ((*rows)[2].label, 1);
}

TEST(LabelCsv, Errors) {
  auto error = [](llvm::StringRef text) {
    auto rows = parseLabelCsv(text, "y.csv");
    return rows ? std::string() : llvm::toString(rows.takeError());
  };
  EXPECT_EQ(error("a.bin,1\nb.bin,x\n"),
            "y.csv:2: label 'x' is not an integer");
  EXPECT_EQ(error("a.bin,2,1,2560,512\n"),
            "y.csv:1: expected 2 or 3 fields ('file,label' or "
            "'file,num_classes,label'), got 5");
  EXPECT_EQ(error("a.bin,2,2\n"),
            "y.csv:1: label 2 is outside [0, 2) (the row's num_classes)");
  EXPECT_EQ(error("a.bin,0,0\n"),
            "y.csv:1: num_classes '0' is not a positive integer");
  EXPECT_EQ(error(",1\n"), "y.csv:1: empty file name");
}

TEST(Quantize, RoundsHalfAwayFromZeroAndClamps) {
  EXPECT_EQ(quantizeInt8(0.5f, 1.0f, 0), 1);
  EXPECT_EQ(quantizeInt8(-0.5f, 1.0f, 0), -1);
  EXPECT_EQ(quantizeInt8(2.5f, 1.0f, 0), 3);
  EXPECT_EQ(quantizeInt8(0.49f, 1.0f, 0), 0);
  EXPECT_EQ(quantizeInt8(1.0f, 0.5f, -3), -1);
  EXPECT_EQ(quantizeInt8(1000.0f, 0.5f, 0), 127);
  EXPECT_EQ(quantizeInt8(-1000.0f, 0.5f, 0), -128);
  EXPECT_EQ(quantizeInt8(0.0f, 1.0f / 255, -128), -128);
  EXPECT_EQ(quantizeInt8(1.0f, 1.0f / 255, -128), 127);
}

/// A temporary .npy file holding `bytes`.
class TempNpy {
public:
  explicit TempNpy(const std::string &bytes) {
    int fd;
    EXPECT_FALSE(
        llvm::sys::fs::createTemporaryFile("dataset", "npy", fd, path));
    llvm::raw_fd_ostream os(fd, /*shouldClose=*/true);
    os << bytes;
  }
  ~TempNpy() { llvm::sys::fs::remove(path); }
  std::string str() const { return std::string(path); }

private:
  llvm::SmallString<128> path;
};

InputSpec int8Input(llvm::ArrayRef<int64_t> shape, float scale, int32_t zp) {
  InputSpec s;
  s.shape.assign(shape.begin(), shape.end());
  s.hasQuant = true;
  s.scale = scale;
  s.zeroPoint = zp;
  s.typeName = "tensor<...xi8>";
  return s;
}

TEST(Dataset, QuantizesFloatAndTransposesNchw) {
  // Two samples [C=2, H=1, W=2] for an NHWC input [1,1,2,2].
  TempNpy file(npy(dict("<f4", "(2, 2, 1, 2)"),
                   bytesOf<float>({0, 1, 2, 3, 4, 5, 6, 7})));
  DatasetOptions options;
  options.dataPath = file.str();
  options.layout = Layout::NCHW;
  auto set = openDataset(options, int8Input({1, 1, 2, 2}, 0.5f, -10));
  ASSERT_TRUE(bool(set)) << llvm::toString(set.takeError());
  ASSERT_EQ((*set)->size(), 2u);
  std::vector<uint8_t> out(4);
  ASSERT_FALSE(bool((*set)->read(1, out)));
  // NHWC element (x, c) = NCHW (c, x) of sample 1: 4 6 5 7 -> q = v/0.5-10.
  EXPECT_EQ(static_cast<int8_t>(out[0]), -2);
  EXPECT_EQ(static_cast<int8_t>(out[1]), 2);
  EXPECT_EQ(static_cast<int8_t>(out[2]), 0);
  EXPECT_EQ(static_cast<int8_t>(out[3]), 4);
}

TEST(Dataset, ScalesIntegerData) {
  TempNpy file(npy(dict("|u1", "(1, 3)"), bytesOf<uint8_t>({0, 128, 255})));
  DatasetOptions options;
  options.dataPath = file.str();
  options.dataScale = 1.0 / 255;
  auto set = openDataset(options, int8Input({1, 3}, 1.0f / 255, -128));
  ASSERT_TRUE(bool(set)) << llvm::toString(set.takeError());
  std::vector<uint8_t> out(3);
  ASSERT_FALSE(bool((*set)->read(0, out)));
  EXPECT_EQ(static_cast<int8_t>(out[0]), -128);
  EXPECT_EQ(static_cast<int8_t>(out[1]), 0);
  EXPECT_EQ(static_cast<int8_t>(out[2]), 127);

  // A float model gets the scaled values.
  InputSpec f;
  f.shape = {1, 3};
  f.isFloat = true;
  auto fset = openDataset(options, f);
  ASSERT_TRUE(bool(fset)) << llvm::toString(fset.takeError());
  std::vector<uint8_t> fout(12);
  ASSERT_FALSE(bool((*fset)->read(0, fout)));
  float v[3];
  std::memcpy(v, fout.data(), 12);
  EXPECT_FLOAT_EQ(v[0], 0.0f);
  EXPECT_FLOAT_EQ(v[2], 1.0f);
}

TEST(Dataset, ShapeErrors) {
  TempNpy nchw(npy(dict("|i1", "(2, 1, 3, 3)"), std::string(18, '\0')));
  DatasetOptions options;
  options.dataPath = nchw.str();
  auto set = openDataset(options, int8Input({1, 3, 3, 1}, 1, 0));
  ASSERT_FALSE(bool(set));
  EXPECT_EQ(llvm::toString(set.takeError()),
            nchw.str() + ": data is NCHW [2,1,3,3]; the model expects NHWC "
                         "[1,3,3,1] (pass --layout nchw to transpose it)");
  // The squeezed channel is fine.
  TempNpy squeezed(npy(dict("|i1", "(2, 3, 3)"), std::string(18, '\0')));
  options.dataPath = squeezed.str();
  EXPECT_TRUE(bool(openDataset(options, int8Input({1, 3, 3, 1}, 1, 0))));
  auto wrong = openDataset(options, int8Input({1, 4, 4, 1}, 1, 0));
  ASSERT_FALSE(bool(wrong));
  EXPECT_EQ(llvm::toString(wrong.takeError()),
            squeezed.str() + ": samples of shape [3,3] (array [2,3,3]) do "
                             "not fit the model input [1,4,4,1]");
}

} // namespace
