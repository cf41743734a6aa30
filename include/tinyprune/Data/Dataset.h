//===- Dataset.h - Evaluation data sets -------------------------*- C++ -*-===//
//
// Readers for the data that `tinyprune eval` feeds a model:
//  * NumPy `.npy` files (format 1.0, 2.0 and 3.0; little-endian float32,
//    int8, uint8, int32 or int64; C order);
//  * MLPerf Tiny style folders: one raw `.bin` tensor per sample plus a CSV
//    of `file,label` or `file,num_classes,label` rows; without a CSV, the
//    folder's `.bin` files in name order, unlabelled (for calibration or
//    an autoencoder's mean error).
//
// Files are read with a size bound (tinyprune/Support/Files.h). Float data
// must be finite: a NaN or an infinity is an error naming the file and the
// first bad element, never a silently wrong result.
//
// A Dataset converts one sample at a time into the model input's raw bytes
// (quantizing float data for int8 models), so a large file is never copied
// as a whole. Reading a sample is const and may run on several threads.
//
// Errors are llvm::Errors whose message reads "<file>: <what is wrong>".
//
//===----------------------------------------------------------------------===//

#ifndef TINYPRUNE_DATA_DATASET_H
#define TINYPRUNE_DATA_DATASET_H

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/SmallVector.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"
#include "llvm/Support/MemoryBuffer.h"

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace tinyprune {
namespace data {

//===----------------------------------------------------------------------===//
// .npy
//===----------------------------------------------------------------------===//

/// Element types of the .npy files we read.
enum class DType { Float32, Int8, UInt8, Int32, Int64 };

/// "float32", "int8", ...
llvm::StringRef dtypeName(DType dtype);
/// Bytes per element.
unsigned dtypeSize(DType dtype);
/// Whether `dtype` is an integer type.
inline bool isInteger(DType dtype) { return dtype != DType::Float32; }

/// A parsed .npy array. The elements stay in `buffer` (memory-mapped when
/// the file is large); `data()` points at them.
struct NpyArray {
  DType dtype = DType::Float32;
  llvm::SmallVector<int64_t, 4> shape;
  /// Format version of the file: 1, 2 or 3.
  unsigned version = 1;
  /// Offset of the first element in `buffer`.
  size_t dataOffset = 0;
  std::unique_ptr<llvm::MemoryBuffer> buffer;

  int64_t numElements() const;
  llvm::ArrayRef<uint8_t> data() const;
  /// Element `k` (row-major) widened to int64 (integer dtypes only).
  int64_t intAt(int64_t k) const;
  /// Element `k` (row-major) as float (float32: the value; integers:
  /// converted).
  float floatAt(int64_t k) const;
  /// The buffer's identifier: the file name.
  llvm::StringRef name() const { return buffer->getBufferIdentifier(); }
};

/// Parses `buffer` as a .npy file. Messages name the buffer's identifier.
llvm::Expected<NpyArray> parseNpy(std::unique_ptr<llvm::MemoryBuffer> buffer);

/// Maps `path` and parses it as a .npy file.
llvm::Expected<NpyArray> readNpy(llvm::StringRef path);

/// "[10,28,28]".
std::string formatShape(llvm::ArrayRef<int64_t> shape);

//===----------------------------------------------------------------------===//
// Label CSV files
//===----------------------------------------------------------------------===//

/// One row of a label CSV: `file,label` or `file,num_classes,label`.
struct LabelRow {
  std::string file;
  int64_t label = 0;
  /// The row's class count, or -1 for a two-field row.
  int64_t numClasses = -1;
  /// 1-based line number, for messages.
  unsigned line = 0;
};

/// Parses a label CSV (`name` is used in messages). Empty lines are
/// skipped; a first line whose label field is not an integer is a header.
llvm::Expected<std::vector<LabelRow>> parseLabelCsv(llvm::StringRef text,
                                                    llvm::StringRef name);

//===----------------------------------------------------------------------===//
// Data sets
//===----------------------------------------------------------------------===//

/// What a model takes as input: the shape, and int8 (with its quantization)
/// or float32 elements.
struct InputSpec {
  /// The full input shape, [1, d1, ..., dk].
  llvm::SmallVector<int64_t, 4> shape;
  bool isFloat = false;
  /// A uint8 input (`ui8`, a uint8 model's interface): bytes are 0..255.
  bool isUnsigned = false;
  /// Quantization of an int8 or uint8 input (`hasQuant` false: unknown).
  bool hasQuant = false;
  float scale = 1.0f;
  int32_t zeroPoint = 0;
  /// The printed tensor type, for messages ("tensor<1x28x28x1xi8>").
  std::string typeName;

  int64_t numElements() const;
  /// Bytes of one raw input: 1 per element for int8, 4 for float32.
  int64_t byteSize() const { return numElements() * (isFloat ? 4 : 1); }
};

/// How a 4-D .npy array is laid out; NCHW data is transposed to the
/// model's NHWC.
enum class Layout { NHWC, NCHW };

struct DatasetOptions {
  /// A .npy file, or a folder of .bin files.
  std::string dataPath;
  /// A .npy file of integer labels, or a label CSV. Empty: none (for a
  /// folder: `<folder>/y_labels.csv` if it exists, else the folder's .bin
  /// files without labels).
  std::string labelsPath;
  /// Integer data other than int8-for-int8-models is multiplied by this
  /// into floats.
  double dataScale = 1.0;
  Layout layout = Layout::NHWC;
};

/// Samples converted to a model's input, with their labels if any.
class Dataset {
public:
  virtual ~Dataset();

  /// Number of samples.
  size_t size() const { return numSamples; }
  /// Writes sample `i` as raw model input bytes (`spec().byteSize()` of
  /// them) to `out`. Thread-safe.
  virtual llvm::Error read(size_t i,
                           llvm::MutableArrayRef<uint8_t> out) const = 0;

  const InputSpec &spec() const { return inputSpec; }
  bool hasLabels() const { return !labelsFile.empty(); }
  llvm::ArrayRef<int64_t> labels() const { return labelValues; }
  /// Where the labels came from (a file name), for messages.
  llvm::StringRef labelsSource() const { return labelsFile; }
  /// Where the samples came from.
  llvm::StringRef dataSource() const { return dataFile; }
  /// The class count a label CSV states, or -1.
  int64_t statedClasses() const { return csvClasses; }
  /// A short description: "x.npy (float32 [100,28,28])".
  virtual std::string describe() const = 0;

  /// Checks that every label lies in [0, numClasses); the error names the
  /// labels file (and CSV line), the offending sample and value, and ends
  /// with "(<reason>)".
  llvm::Error checkLabelRange(int64_t numClasses, llvm::StringRef reason) const;

protected:
  Dataset(InputSpec spec) : inputSpec(std::move(spec)) {}

  InputSpec inputSpec;
  size_t numSamples = 0;
  std::string dataFile, labelsFile;
  std::vector<int64_t> labelValues;
  /// CSV line of each label (empty for .npy labels).
  std::vector<unsigned> labelLines;
  int64_t csvClasses = -1;
};

/// Opens the data (and labels) of `options` for a model whose input is
/// `spec`, checking shapes, element types, sizes and label counts.
llvm::Expected<std::unique_ptr<Dataset>>
openDataset(const DatasetOptions &options, const InputSpec &spec);

/// Quantizes `x` to int8 as TFLite's QUANTIZE does: round(x / scale) with
/// ties away from zero, plus the zero point, clamped to [-128, 127].
int8_t quantizeInt8(float x, float scale, int32_t zeroPoint);
/// TFLite's uint8 QUANTIZE of one value (zero point in [0, 255]).
uint8_t quantizeUInt8(float x, float scale, int32_t zeroPoint);

} // namespace data
} // namespace tinyprune

#endif // TINYPRUNE_DATA_DATASET_H
