//===- Dataset.cpp - Evaluation data sets ---------------------------------===//
//
// .npy data sets convert one sample at a time from the file read whole;
// folder data sets read one .bin file per sample. Everything that can be
// checked up front (shapes, dtypes, file sizes, label counts) is checked when
// the set is opened, so reading a sample fails only if the file system changes
// under us.
//
//===----------------------------------------------------------------------===//

#include "tinyprune/Data/Dataset.h"

#include "tinyprune/Support/Files.h"
#include "tinyprune/rt/quantize.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/SmallString.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/Path.h"

#include <algorithm>
#include <cmath>
#include <cstring>

using namespace llvm;
using namespace tinyprune;
using namespace tinyprune::data;

/// An error "<file>: <message>".
static Error fileError(StringRef file, const Twine &message) {
  return createStringError(inconvertibleErrorCode(),
                           (file + ": " + message).str());
}

/// Checks that the `count` float32 values at `bytes` are finite; the error
/// names `file` and the first bad element (`first` + its index, and the
/// sample it belongs to when `perSample` is known).
static Error checkFinite(StringRef file, const uint8_t *bytes, int64_t count,
                         int64_t perSample, int64_t first = 0) {
  for (int64_t k = 0; k < count; ++k) {
    float v;
    std::memcpy(&v, bytes + 4 * k, 4);
    if (std::isfinite(v))
      continue;
    int64_t at = first + k;
    std::string what = std::isnan(v) ? "NaN" : v > 0 ? "+inf" : "-inf";
    return fileError(file,
                     formatv("element {0} (sample {1}, element {2} of it) "
                             "is {3}; data must be finite",
                             at, at / perSample, at % perSample, what));
  }
  return Error::success();
}

int8_t tinyprune::data::quantizeInt8(float x, float scale, int32_t zeroPoint) {
  int8_t q;
  tinyprune::rt::quantizeInt8(scale, zeroPoint, 1, &x, &q);
  return q;
}

uint8_t tinyprune::data::quantizeUInt8(float x, float scale,
                                       int32_t zeroPoint) {
  // round(x / scale) + zp clamped to [0, 255] is the int8 quantization
  // with zero point zp - 128, plus 128.
  return static_cast<uint8_t>(quantizeInt8(x, scale, zeroPoint - 128) + 128);
}

int64_t InputSpec::numElements() const {
  int64_t n = 1;
  for (int64_t d : shape)
    n *= d;
  return n;
}

Dataset::~Dataset() = default;

//===----------------------------------------------------------------------===//
// Label CSV
//===----------------------------------------------------------------------===//

Expected<std::vector<LabelRow>> tinyprune::data::parseLabelCsv(StringRef text,
                                                               StringRef name) {
  std::vector<LabelRow> rows;
  SmallVector<StringRef, 4> lines;
  text.split(lines, '\n');
  for (auto [index, rawLine] : llvm::enumerate(lines)) {
    unsigned lineNo = index + 1;
    StringRef line = rawLine.trim();
    if (line.empty())
      continue;
    auto where = [&]() { return (name + ":" + Twine(lineNo)).str(); };
    SmallVector<StringRef, 4> fields;
    line.split(fields, ',');
    for (StringRef &f : fields)
      f = f.trim();
    if (fields.size() != 2 && fields.size() != 3)
      return fileError(where(),
                       formatv("expected 2 or 3 fields ('file,label' or "
                               "'file,num_classes,label'), got {0}",
                               fields.size()));
    LabelRow row;
    row.line = lineNo;
    row.file = fields[0].str();
    StringRef label = fields.back();
    bool isHeader = rows.empty() && index == 0;
    if (label.getAsInteger(10, row.label)) {
      if (isHeader)
        continue; // "file,label": a header line.
      return fileError(where(), "label '" + label + "' is not an integer");
    }
    if (row.file.empty())
      return fileError(where(), "empty file name");
    if (fields.size() == 3) {
      if (fields[1].getAsInteger(10, row.numClasses) || row.numClasses <= 0)
        return fileError(where(), "num_classes '" + fields[1] +
                                      "' is not a positive integer");
      if (row.label < 0 || row.label >= row.numClasses)
        return fileError(where(), formatv("label {0} is outside [0, {1}) "
                                          "(the row's num_classes)",
                                          row.label, row.numClasses));
    }
    rows.push_back(std::move(row));
  }
  return rows;
}

//===----------------------------------------------------------------------===//
// Dataset
//===----------------------------------------------------------------------===//

Error Dataset::checkLabelRange(int64_t numClasses, StringRef reason) const {
  for (auto [i, label] : llvm::enumerate(labelValues)) {
    if (label >= 0 && label < numClasses)
      continue;
    std::string where = labelsFile;
    if (i < labelLines.size())
      where += ":" + std::to_string(labelLines[i]);
    std::string what = formatv("label {0} of sample {1} is outside [0, {2})",
                               label, i, numClasses)
                           .str();
    return fileError(where, what + " (" + reason + ")");
  }
  return Error::success();
}

namespace {

/// Samples of a .npy array: [N, sample shape...].
class NpyDataset : public Dataset {
public:
  NpyDataset(InputSpec spec, NpyArray array, double dataScale, bool transpose)
      : Dataset(std::move(spec)), array(std::move(array)), dataScale(dataScale),
        transpose(transpose) {
    numSamples = this->array.shape[0];
    dataFile = this->array.name().str();
  }

  Error read(size_t i, MutableArrayRef<uint8_t> out) const override;
  std::string describe() const override {
    return formatv("{0} ({1} {2})", array.name(), dtypeName(array.dtype),
                   formatShape(array.shape));
  }

  void setLabels(std::vector<int64_t> values, StringRef file) {
    labelValues = std::move(values);
    labelsFile = file.str();
  }

private:
  NpyArray array;
  double dataScale;
  bool transpose;
};

} // namespace

Error NpyDataset::read(size_t i, MutableArrayRef<uint8_t> out) const {
  const int64_t elems = inputSpec.numElements();
  assert((int64_t)out.size() == inputSpec.byteSize() && "wrong buffer size");
  const int64_t base = static_cast<int64_t>(i) * elems;
  // Element k of the model input (NHWC) comes from element src(k) of the
  // sample; NCHW data is read transposed.
  int64_t h = 1, w = 1, c = 1;
  if (transpose) {
    h = inputSpec.shape[1];
    w = inputSpec.shape[2];
    c = inputSpec.shape[3];
  }
  auto src = [&](int64_t k) -> int64_t {
    if (!transpose)
      return base + k;
    int64_t ch = k % c, pixel = k / c; // pixel = y * w + x
    return base + ch * h * w + pixel;
  };
  // int8 data for an int8 model (uint8 for uint8): the bytes as they are.
  DType raw = inputSpec.isUnsigned ? DType::UInt8 : DType::Int8;
  if (!inputSpec.isFloat && array.dtype == raw) {
    if (!transpose) {
      std::memcpy(out.data(), array.data().data() + base, elems);
      return Error::success();
    }
    for (int64_t k = 0; k < elems; ++k)
      out[k] = array.data()[src(k)];
    return Error::success();
  }
  // Everything else goes through float: float32 as it is, integers times
  // --data-scale.
  auto value = [&](int64_t k) -> float {
    if (array.dtype == DType::Float32)
      return array.floatAt(k);
    return static_cast<float>(static_cast<double>(array.intAt(k)) * dataScale);
  };
  if (inputSpec.isFloat) {
    for (int64_t k = 0; k < elems; ++k) {
      float v = value(src(k));
      std::memcpy(out.data() + 4 * k, &v, 4);
    }
    return Error::success();
  }
  for (int64_t k = 0; k < elems; ++k)
    out[k] =
        inputSpec.isUnsigned
            ? quantizeUInt8(value(src(k)), inputSpec.scale, inputSpec.zeroPoint)
            : static_cast<uint8_t>(quantizeInt8(value(src(k)), inputSpec.scale,
                                                inputSpec.zeroPoint));
  return Error::success();
}

namespace {

/// One raw .bin file per sample, listed by a label CSV (or, without one,
/// the folder's .bin files in name order, unlabelled).
class FolderDataset : public Dataset {
public:
  FolderDataset(InputSpec spec, std::string dir, std::vector<LabelRow> rows,
                StringRef csv)
      : Dataset(std::move(spec)), dir(std::move(dir)) {
    numSamples = rows.size();
    dataFile = this->dir;
    labelsFile = csv.str();
    for (LabelRow &row : rows) {
      labelValues.push_back(row.label);
      labelLines.push_back(row.line);
      paths.push_back(pathOf(row.file));
      if (row.numClasses >= 0)
        csvClasses = row.numClasses;
    }
  }
  /// The unlabelled samples `files` (names in the folder).
  FolderDataset(InputSpec spec, std::string dir,
                const std::vector<std::string> &files)
      : Dataset(std::move(spec)), dir(std::move(dir)) {
    numSamples = files.size();
    dataFile = this->dir;
    for (const std::string &f : files)
      paths.push_back(pathOf(f));
  }

  /// `file` relative to the folder (absolute names stay as they are).
  std::string pathOf(StringRef file) const {
    if (sys::path::is_absolute(file))
      return file.str();
    SmallString<256> p(dir);
    sys::path::append(p, file);
    return std::string(p);
  }

  /// Checks that every listed file is a regular file of the input's byte
  /// size.
  Error checkFiles() const {
    for (const std::string &path : paths) {
      Expected<uint64_t> size = checkInputFile(path);
      if (!size)
        return size.takeError();
      if ((int64_t)*size != inputSpec.byteSize())
        return sizeError(path, *size);
    }
    return Error::success();
  }

  Error read(size_t i, MutableArrayRef<uint8_t> out) const override {
    // At most the input's size: a file grown since the check is refused.
    Expected<std::unique_ptr<MemoryBuffer>> file =
        readInputFile(paths[i], inputSpec.byteSize());
    if (!file)
      return file.takeError();
    if ((int64_t)(*file)->getBufferSize() != inputSpec.byteSize())
      return sizeError(paths[i], (*file)->getBufferSize());
    std::memcpy(out.data(), (*file)->getBufferStart(), out.size());
    if (inputSpec.isFloat)
      return checkFinite(paths[i], out.data(), inputSpec.numElements(),
                         inputSpec.numElements());
    return Error::success();
  }

  std::string describe() const override {
    return formatv("{0} ({1} .bin files{2})", dir, paths.size(),
                   hasLabels() ? "" : ", no labels");
  }

private:
  Error sizeError(StringRef path, uint64_t size) const {
    return fileError(path,
                     formatv("holds {0} bytes, but the model input {1} needs "
                             "{2} (raw {3})",
                             size, inputSpec.typeName, inputSpec.byteSize(),
                             inputSpec.isFloat ? "float32" : "int8"));
  }

  std::string dir;
  std::vector<std::string> paths;
};

} // namespace

/// Checks the sample shape of a .npy array against the model input and
/// says whether it must be read transposed (NCHW to NHWC).
static Error checkShape(const NpyArray &array, const InputSpec &spec,
                        Layout layout, bool &transpose) {
  StringRef name = array.name();
  transpose = false;
  if (array.shape.empty())
    return fileError(name, "a 0-d array holds no samples (the first "
                           "dimension counts the samples)");
  if (array.shape[0] == 0)
    return fileError(name, "holds no samples (shape " +
                               formatShape(array.shape) + ")");
  ArrayRef<int64_t> sample = ArrayRef<int64_t>(array.shape).drop_front();
  ArrayRef<int64_t> want = ArrayRef<int64_t>(spec.shape).drop_front();
  std::string model = formatShape(spec.shape);
  if (layout == Layout::NCHW) {
    if (want.size() != 3)
      return fileError(name, "--layout nchw needs a 4-D model input; the "
                             "model input is " +
                                 model);
    int64_t h = want[0], w = want[1], c = want[2];
    SmallVector<int64_t, 3> nchw = {c, h, w};
    if (ArrayRef<int64_t>(nchw) == sample) {
      transpose = c != 1; // [1,H,W] and [H,W,1] share one layout
      return Error::success();
    }
    if (c == 1 && sample == want.drop_back())
      return Error::success();
    return fileError(name,
                     formatv("samples of shape {0} (array {1}) do not "
                             "fit the model input {2} as NCHW {3}",
                             formatShape(sample), formatShape(array.shape),
                             model, formatShape(nchw)));
  }
  if (sample == want)
    return Error::success();
  if (!want.empty() && want.back() == 1 && sample == want.drop_back())
    return Error::success(); // squeezed channel
  if (want.size() == 3 && sample.size() == 3 && sample[0] == want[2] &&
      sample[1] == want[0] && sample[2] == want[1])
    return fileError(name, "data is NCHW " + formatShape(array.shape) +
                               "; the model expects NHWC " + model +
                               " (pass --layout nchw to transpose it)");
  return fileError(name, formatv("samples of shape {0} (array {1}) do not "
                                 "fit the model input {2}",
                                 formatShape(sample), formatShape(array.shape),
                                 model));
}

/// Whether `path` starts with the .npy magic.
static bool looksLikeNpy(StringRef path) {
  if (!sys::fs::is_regular_file(path))
    return false; // a FIFO would block the read
  auto file = MemoryBuffer::getFileSlice(path, 6, 0, /*IsVolatile=*/false);
  return file && (*file)->getBuffer() == "\x93NUMPY";
}

/// Reads a .npy of integer labels, shape [N] or [N,1].
static Expected<std::vector<int64_t>> readLabelNpy(StringRef path) {
  Expected<NpyArray> array = readNpy(path);
  if (!array)
    return array.takeError();
  if (!isInteger(array->dtype))
    return fileError(path, "labels must have an integer dtype, not " +
                               dtypeName(array->dtype));
  if (array->shape.empty() || array->shape.size() > 2 ||
      (array->shape.size() == 2 && array->shape[1] != 1))
    return fileError(path, "labels must have shape [N] or [N,1], not " +
                               formatShape(array->shape));
  std::vector<int64_t> labels(array->shape[0]);
  for (int64_t k = 0, e = array->shape[0]; k < e; ++k)
    labels[k] = array->intAt(k);
  return labels;
}

/// The .bin files of folder `dir`, in name order, without labels.
static Expected<std::unique_ptr<Dataset>>
openUnlabelledFolder(StringRef dir, const InputSpec &spec) {
  std::vector<std::string> files;
  std::error_code ec;
  for (sys::fs::directory_iterator it(dir, ec), end; it != end && !ec;
       it.increment(ec)) {
    StringRef name = sys::path::filename(it->path());
    if (name.ends_with(".bin"))
      files.push_back(name.str());
  }
  if (ec)
    return fileError(dir, "cannot list: " + ec.message());
  if (files.empty())
    return fileError(dir, "holds no .bin files (and no y_labels.csv)");
  llvm::sort(files);
  auto set = std::make_unique<FolderDataset>(spec, dir.str(), files);
  if (Error e = set->checkFiles())
    return std::move(e);
  return std::unique_ptr<Dataset>(std::move(set));
}

Expected<std::unique_ptr<Dataset>>
tinyprune::data::openDataset(const DatasetOptions &options,
                             const InputSpec &spec) {
  StringRef dataPath = options.dataPath;
  if (!std::isfinite(options.dataScale))
    return fileError(dataPath, "the data scale " +
                                   std::to_string(options.dataScale) +
                                   " is not finite");
  if (sys::fs::is_directory(dataPath)) {
    std::string csv = options.labelsPath;
    if (csv.empty()) {
      SmallString<256> p(dataPath);
      sys::path::append(p, "y_labels.csv");
      if (!sys::fs::exists(p))
        return openUnlabelledFolder(dataPath, spec);
      csv = std::string(p);
    }
    if (Expected<uint64_t> size = checkInputFile(csv); !size)
      return size.takeError();
    if (looksLikeNpy(csv))
      return fileError(csv, "the labels of a folder of .bin files must be "
                            "a CSV of 'file,label' rows, not a .npy file");
    Expected<std::unique_ptr<MemoryBuffer>> text = readInputFile(csv);
    if (!text)
      return text.takeError();
    Expected<std::vector<LabelRow>> rows =
        parseLabelCsv((*text)->getBuffer(), csv);
    if (!rows)
      return rows.takeError();
    if (rows->empty())
      return fileError(csv, "lists no samples");
    for (const LabelRow &row : *rows)
      if (row.numClasses >= 0 && row.numClasses != rows->front().numClasses)
        return fileError(csv + ":" + std::to_string(row.line),
                         formatv("num_classes {0} differs from the {1} of "
                                 "line {2}",
                                 row.numClasses, rows->front().numClasses,
                                 rows->front().line));
    auto set = std::make_unique<FolderDataset>(spec, dataPath.str(),
                                               std::move(*rows), csv);
    if (Error e = set->checkFiles())
      return std::move(e);
    return std::unique_ptr<Dataset>(std::move(set));
  }

  Expected<NpyArray> array = readNpy(dataPath);
  if (!array)
    return array.takeError();
  if (array->dtype == DType::Float32 && !array->shape.empty() &&
      array->shape[0] > 0)
    if (Error e =
            checkFinite(dataPath, array->data().data(), array->numElements(),
                        array->numElements() / array->shape[0]))
      return std::move(e);
  bool transpose = false;
  if (Error e = checkShape(*array, spec, options.layout, transpose))
    return std::move(e);
  if (!spec.isFloat && !spec.hasQuant &&
      array->dtype != (spec.isUnsigned ? DType::UInt8 : DType::Int8))
    return fileError(dataPath,
                     dtypeName(array->dtype) +
                         " data must be quantized with the model input's "
                         "scale and zero point, and the model input " +
                         spec.typeName + " has none; pass " +
                         (spec.isUnsigned ? "uint8" : "int8") + " data");
  auto set = std::make_unique<NpyDataset>(spec, std::move(*array),
                                          options.dataScale, transpose);
  if (!options.labelsPath.empty()) {
    StringRef labelsPath = options.labelsPath;
    if (Expected<uint64_t> size = checkInputFile(labelsPath); !size)
      return size.takeError();
    if (!looksLikeNpy(labelsPath))
      return fileError(labelsPath, "the labels of .npy data must be a .npy "
                                   "file of integers (label CSVs go with "
                                   "folders of .bin files)");
    Expected<std::vector<int64_t>> labels = readLabelNpy(labelsPath);
    if (!labels)
      return labels.takeError();
    if (labels->size() != set->size())
      return fileError(labelsPath,
                       formatv("{0} labels for the {1} samples of {2}",
                               labels->size(), set->size(), dataPath));
    set->setLabels(std::move(*labels), labelsPath);
  }
  return std::unique_ptr<Dataset>(std::move(set));
}
