//===- Eval.cpp - tinyprune eval ------------------------------------------===//
//
//   tinyprune eval MODEL --data X [--labels Y] [--metric accuracy|mse|auc]
//
// Runs the interpreter over a data set on several threads and reports
// top-1/top-k accuracy, per-class accuracy and the confusion matrix of a
// classifier, or the anomaly scores (MSE, ROC AUC) of an autoencoder.
//
// Threads share the module read-only: the function is prepared once on the
// main thread (tinyprune::PreparedFunction decodes the constants), and
// workers run it with their own State, reading the IR and the prepared
// constants only; nothing is created in the MLIRContext while they run (and
// the driver's context is multithreaded anyway).
//
//===----------------------------------------------------------------------===//

#include "Driver.h"

#include "tinyprune/Data/Dataset.h"
#include "tinyprune/Dialect/TinyPrune.h"
#include "tinyprune/Execution/Interpreter.h"
#include "tinyprune/Execution/ModelInput.h"

#include "mlir/Support/DebugStringHelper.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/ToolOutputFile.h"
#include "llvm/Support/raw_ostream.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <mutex>
#include <numeric>
#include <optional>
#include <thread>

using namespace mlir;
using namespace tinyprune;
namespace cl = llvm::cl;

cl::SubCommand driver::evalCommand(
    "eval",
    "Evaluate a model on a data set with tinyprune's interpreter:\n"
    "top-1/top-k accuracy, per-class accuracy and the confusion matrix of a\n"
    "classifier, or the anomaly scores of an autoencoder.\n"
    "\n"
    "DATA is a .npy file of shape [N, <model input without its batch 1>]\n"
    "(format 1.0-3.0, little-endian, C order; float32, int8, uint8, int32 or\n"
    "int64; a trailing channel of 1 may be left out), or a folder of raw\n"
    ".bin input tensors (exactly the model input's bytes: raw int8 for int8\n"
    "models, raw float32 for float models) listed by a label CSV.\n"
    "LABELS is a .npy of integers, shape [N] or [N,1], for .npy data; or a\n"
    "CSV of 'file,label' or 'file,num_classes,label' rows (MLPerf Tiny's\n"
    "y_labels.csv) for a folder (default: FOLDER/y_labels.csv).\n"
    "\n"
    "Conversion to the model input: float32 data is quantized with the\n"
    "input's scale and zero point for int8 models (round half away from\n"
    "zero, clamp to [-128,127]) and used as-is for float models. int8 data\n"
    "for int8 models is passed raw. Any other integer data (and any integer\n"
    "data for float models) is first multiplied by --data-scale into floats.\n"
    "\n"
    "Scoring: the predicted class is the argmax of the [1,C] output (ties:\n"
    "the lowest index). --metric mse/auc score each sample by the mean\n"
    "squared error between the dequantized input and output.");

namespace {
enum class Metric { Accuracy, MSE, AUC };
} // namespace

static cl::opt<std::string> evalModel(cl::Positional, cl::Required,
                                      cl::desc("<model.tflite|model.mlir>"),
                                      cl::sub(driver::evalCommand));
static cl::opt<std::string>
    dataPath("data", cl::Required,
             cl::desc("The samples: a .npy file [N, ...] or a folder of raw "
                      ".bin input tensors"),
             cl::value_desc("file.npy|dir"), cl::sub(driver::evalCommand));
static cl::opt<std::string> labelsPath(
    "labels",
    cl::desc("The labels: a .npy of integers [N] or [N,1] (for .npy data), "
             "or a CSV of file,label / file,num_classes,label rows (for a "
             "folder; default: the folder's y_labels.csv). Needed for "
             "--metric accuracy and auc; labels must lie in [0, classes) "
             "(auc: 0 = normal, 1 = anomalous)"),
    cl::value_desc("file.npy|file.csv"), cl::sub(driver::evalCommand));
static cl::opt<Metric> metric(
    "metric", cl::desc("What to measure (default: accuracy)"),
    cl::values(clEnumValN(Metric::Accuracy, "accuracy",
                          "classifier: top-1/top-k accuracy, per-class "
                          "accuracy, confusion matrix"),
               clEnumValN(Metric::MSE, "mse",
                          "autoencoder: mean anomaly score (MSE between the "
                          "dequantized input and output; per label if "
                          "labels are given)"),
               clEnumValN(Metric::AUC, "auc",
                          "autoencoder: ROC AUC of the anomaly scores "
                          "against labels 0/1 (ties count one half)")),
    cl::init(Metric::Accuracy), cl::sub(driver::evalCommand));
static cl::opt<unsigned>
    topK("top-k",
         cl::desc("Also report top-K accuracy (the true class is among the K "
                  "highest outputs, ties ranked by lower index first). "
                  "Default: 5 when the model has more than 5 classes, "
                  "otherwise none"),
         cl::value_desc("K"), cl::init(0), cl::sub(driver::evalCommand));
static cl::opt<unsigned>
    limit("limit",
          cl::desc("Evaluate only the first N samples (default 0: all)"),
          cl::value_desc("N"), cl::init(0), cl::sub(driver::evalCommand));
static cl::opt<unsigned>
    threads("threads",
            cl::desc("Worker threads (default 0: one per hardware thread)"),
            cl::value_desc("N"), cl::init(0), cl::sub(driver::evalCommand));
static cl::opt<std::string>
    jsonPath("json",
             cl::desc("Also write the results as JSON to FILE (model, data, "
                      "metric, samples, threads, seconds, "
                      "inferences_per_second and the metric's figures)"),
             cl::value_desc("FILE"), cl::sub(driver::evalCommand));
static cl::opt<double> dataScale(
    "data-scale",
    cl::desc("Multiplier that turns integer data into floats before it is "
             "quantized (int8 models) or used (float models); not applied "
             "to int8 data for int8 models, which is passed raw. E.g. "
             "0.00392156862745098 (1/255) for uint8 pixels. Default 1.0"),
    cl::value_desc("S"), cl::init(1.0), cl::sub(driver::evalCommand));
static cl::opt<data::Layout> layout(
    "layout", cl::desc("Layout of 4-D .npy data (default: nhwc)"),
    cl::values(clEnumValN(data::Layout::NHWC, "nhwc",
                          "samples are [H,W,C], as the model input"),
               clEnumValN(data::Layout::NCHW, "nchw",
                          "samples are [C,H,W]; transposed to the model's "
                          "NHWC")),
    cl::init(data::Layout::NHWC), cl::sub(driver::evalCommand));
static cl::opt<std::string> evalFunction("function",
                                         cl::desc("Function to evaluate"),
                                         cl::init("main"),
                                         cl::sub(driver::evalCommand));

namespace {

/// How to read a raw result buffer.
struct OutputSpec {
  Type elementType;
  int64_t numElements = 0;
  bool hasQuant = false;
  float scale = 1.0f;
  int64_t zeroPoint = 0;

  /// Element `k` of `raw` as a real number (dequantized when quantized).
  double value(ArrayRef<uint8_t> raw, int64_t k) const {
    if (isa<FloatType>(elementType)) {
      float v;
      std::memcpy(&v, raw.data() + 4 * k, 4);
      return v;
    }
    int64_t q;
    switch (elementType.getIntOrFloatBitWidth()) {
    case 8:
      q = static_cast<int8_t>(raw[k]);
      break;
    case 16: {
      int16_t v;
      std::memcpy(&v, raw.data() + 2 * k, 2);
      q = v;
      break;
    }
    default: {
      int32_t v;
      std::memcpy(&v, raw.data() + 4 * k, 4);
      q = v;
      break;
    }
    }
    if (!hasQuant)
      return static_cast<double>(q);
    return static_cast<float>(scale * static_cast<float>(q - zeroPoint));
  }
};

/// What one sample produced.
struct SampleResult {
  int32_t predicted = 0;
  /// How many classes rank above the true one (0: top-1 correct).
  int32_t trueRank = 0;
  double score = 0.0;
};

/// Prints "tinyprune: error: <model>: <message>" and returns 1.
int modelError(const llvm::Twine &message) {
  llvm::errs() << "tinyprune: error: " << evalModel << ": " << message << "\n";
  return 1;
}

/// ROC AUC of `scores` against binary `labels` (1 = positive): the
/// Mann-Whitney U statistic over n+ * n-, ties given their average rank.
double rocAuc(ArrayRef<double> scores, ArrayRef<int64_t> labels) {
  size_t n = scores.size();
  std::vector<size_t> order(n);
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(),
            [&](size_t a, size_t b) { return scores[a] < scores[b]; });
  double positiveRankSum = 0.0;
  size_t positives = 0;
  for (size_t i = 0; i < n;) {
    size_t j = i;
    while (j < n && scores[order[j]] == scores[order[i]])
      ++j;
    double averageRank = (static_cast<double>(i + 1) + j) / 2.0; // 1-based
    for (size_t k = i; k < j; ++k)
      if (labels[order[k]] == 1) {
        positiveRankSum += averageRank;
        ++positives;
      }
    i = j;
  }
  double p = static_cast<double>(positives);
  double q = static_cast<double>(n - positives);
  return (positiveRankSum - p * (p + 1.0) / 2.0) / (p * q);
}

std::string percent(int64_t num, int64_t den) {
  if (den == 0)
    return "-";
  return llvm::formatv("{0:F2}%", 100.0 * num / den).str();
}

} // namespace

int driver::evalMain(MLIRContext &context) {
  // The model.
  OwningOpRef<ModuleOp> module = loadModel(context, evalModel);
  if (!module)
    return 1;
  func::FuncOp func = lookupFunction(*module, evalModel, evalFunction);
  if (!func)
    return 1;
  if (func.getNumArguments() != 1 || func.getNumResults() != 1)
    return modelError(llvm::formatv("eval needs a function with one input "
                                    "and one output; @{0} takes {1} and "
                                    "returns {2}",
                                    evalFunction, func.getNumArguments(),
                                    func.getNumResults()));
  auto outType = dyn_cast<RankedTensorType>(func.getResultTypes()[0]);
  if (!outType || !outType.hasStaticShape())
    return modelError("eval needs statically shaped tensors as input and "
                      "output");
  llvm::Expected<data::InputSpec> inputSpec = getInputSpec(func);
  if (!inputSpec)
    return modelError(llvm::toString(inputSpec.takeError()));
  const data::InputSpec &spec = *inputSpec;
  OutputSpec out;
  out.elementType = outType.getElementType();
  out.numElements = outType.getNumElements();
  if (!out.elementType.isF32() && !out.elementType.isInteger(8) &&
      !out.elementType.isInteger(16) && !out.elementType.isInteger(32))
    return modelError("eval supports int8, int16, int32 and float32 model "
                      "outputs, not " +
                      debugString(outType));
  if (auto q = func.getResultAttrOfType<QuantAttr>(
          0, TinyPruneDialect::getQuantAttrName())) {
    if (q.isPerChannel())
      return modelError("the model output is quantized per channel");
    out.hasQuant = true;
    out.scale = q.getScale()[0];
    out.zeroPoint = q.getZeroPoint()[0];
  }
  bool classifier = metric == Metric::Accuracy;
  int64_t numClasses = out.numElements;
  if (classifier) {
    ArrayRef<int64_t> shape = outType.getShape();
    if (shape.empty() ||
        !llvm::all_of(shape.drop_back(), [](int64_t d) { return d == 1; }))
      return modelError("the output " + debugString(outType) +
                        " is not a [1,C] vector of class scores");
  } else {
    if (out.numElements != spec.numElements())
      return modelError(llvm::formatv(
          "--metric {0} needs an autoencoder, whose output has as many "
          "elements as its input; the model maps {1} to {2}",
          metric == Metric::MSE ? "mse" : "auc", spec.typeName,
          debugString(outType)));
    if (!spec.isFloat && !spec.hasQuant)
      return modelError("the int8 model input has no quantization to "
                        "dequantize it with");
    if (!out.elementType.isF32() && !out.hasQuant)
      return modelError("the integer model output has no quantization to "
                        "dequantize it with");
  }
  unsigned k = topK;
  if (classifier && k == 0 && numClasses > 5)
    k = 5;
  if (classifier && k > numClasses)
    return modelError(llvm::formatv("--top-k {0} exceeds the model's {1} "
                                    "classes",
                                    k, numClasses));

  // The data.
  data::DatasetOptions options;
  options.dataPath = dataPath;
  options.labelsPath = labelsPath;
  options.dataScale = dataScale;
  options.layout = layout;
  auto openedSet = data::openDataset(options, spec);
  if (!openedSet) {
    llvm::errs() << "tinyprune: error: " << toString(openedSet.takeError())
                 << "\n";
    return 1;
  }
  const data::Dataset &set = **openedSet;
  if ((classifier || metric == Metric::AUC) && !set.hasLabels()) {
    llvm::errs() << "tinyprune: error: " << dataPath << ": --metric "
                 << (classifier ? "accuracy" : "auc")
                 << " needs labels (--labels)\n";
    return 1;
  }
  if (set.hasLabels()) {
    llvm::Error e = llvm::Error::success();
    if (classifier) {
      if (set.statedClasses() >= 0 && set.statedClasses() != numClasses) {
        llvm::errs() << "tinyprune: error: " << set.labelsSource() << ": "
                     << set.statedClasses() << " classes, but the model has "
                     << numClasses << "\n";
        return 1;
      }
      e = set.checkLabelRange(
          numClasses,
          llvm::formatv("the model has {0} classes", numClasses).str());
    } else {
      e = set.checkLabelRange(2, "anomaly labels are 0 (normal) or 1 "
                                 "(anomalous)");
    }
    if (e) {
      llvm::errs() << "tinyprune: error: " << toString(std::move(e)) << "\n";
      return 1;
    }
  }
  size_t n = set.size();
  if (limit > 0)
    n = std::min<size_t>(n, limit);
  ArrayRef<int64_t> labels =
      set.hasLabels() ? set.labels().take_front(n) : ArrayRef<int64_t>();
  if (metric == Metric::AUC &&
      (llvm::count(labels, 1) == 0 || llvm::count(labels, 0) == 0)) {
    llvm::errs() << "tinyprune: error: " << set.labelsSource()
                 << ": --metric auc needs normal (0) and anomalous (1) "
                    "samples among the "
                 << n << " evaluated\n";
    return 1;
  }

  // Open the JSON file now: a bad path should not cost an evaluation.
  std::unique_ptr<llvm::ToolOutputFile> jsonFile;
  if (!jsonPath.empty()) {
    std::error_code ec;
    jsonFile = std::make_unique<llvm::ToolOutputFile>(jsonPath, ec,
                                                      llvm::sys::fs::OF_Text);
    if (ec) {
      llvm::errs() << "tinyprune: error: " << jsonPath
                   << ": cannot write: " << ec.message() << "\n";
      return 1;
    }
  }

  // Prepare the function once; workers share it read-only.
  FailureOr<std::unique_ptr<PreparedFunction>> prepared =
      PreparedFunction::create(func);
  if (failed(prepared))
    return 1;
  const PreparedFunction &program = **prepared;

  unsigned numThreads = threads;
  if (numThreads == 0)
    numThreads = std::max(1u, std::thread::hardware_concurrency());
  numThreads = std::max<unsigned>(1, std::min<size_t>(numThreads, n));

  std::vector<SampleResult> results(n);
  const int64_t inBytes = spec.byteSize();
  // Scores one sample from its input and output bytes.
  auto score = [&](size_t i, ArrayRef<uint8_t> input,
                   ArrayRef<uint8_t> output) {
    SampleResult &r = results[i];
    if (classifier) {
      int64_t best = 0;
      double bestValue = out.value(output, 0);
      for (int64_t c = 1; c < numClasses; ++c) {
        double v = out.value(output, c);
        if (v > bestValue) {
          best = c;
          bestValue = v;
        }
      }
      r.predicted = static_cast<int32_t>(best);
      if (!labels.empty()) {
        int64_t t = labels[i];
        double truth = out.value(output, t);
        int32_t rank = 0;
        for (int64_t c = 0; c < numClasses; ++c) {
          double v = out.value(output, c);
          rank += v > truth || (v == truth && c < t);
        }
        r.trueRank = rank;
      }
      return;
    }
    double sum = 0.0;
    int64_t elems = spec.numElements();
    for (int64_t e = 0; e < elems; ++e) {
      double x;
      if (spec.isFloat) {
        float f;
        std::memcpy(&f, input.data() + 4 * e, 4);
        x = f;
      } else {
        x = static_cast<float>(
            spec.scale *
            static_cast<float>(static_cast<int8_t>(input[e]) - spec.zeroPoint));
      }
      double d = x - out.value(output, e);
      sum += d * d;
    }
    r.score = sum / static_cast<double>(elems);
  };

  std::atomic<size_t> next{0}, done{0};
  std::atomic<bool> stop{false};
  std::mutex mutex;
  std::condition_variable finished;
  std::string firstError;
  auto fail = [&](std::string message) {
    std::lock_guard<std::mutex> lock(mutex);
    if (firstError.empty())
      firstError = std::move(message);
    stop = true;
    finished.notify_all();
  };
  // Evaluates sample `i`; false on failure.
  auto evaluateOne = [&](size_t i, PreparedFunction::State &state,
                         std::vector<uint8_t> &input) {
    if (llvm::Error e = set.read(i, input)) {
      fail(toString(std::move(e)));
      return false;
    }
    ArrayRef<uint8_t> in(input);
    if (failed(program.run(state, in))) {
      fail("");
      return false;
    }
    score(i, input, state.output(0));
    if (done.fetch_add(1) + 1 == n) {
      std::lock_guard<std::mutex> lock(mutex);
      finished.notify_all();
    }
    return true;
  };
  auto worker = [&]() {
    std::vector<uint8_t> input(inBytes);
    PreparedFunction::State state = program.newState();
    while (!stop) {
      size_t i = next.fetch_add(1);
      if (i >= n || !evaluateOne(i, state, input))
        break;
    }
  };

  auto start = std::chrono::steady_clock::now();
  auto seconds = [&]() {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() -
                                         start)
        .count();
  };
  // The first sample runs alone: an op the interpreter rejects is then
  // reported once, not once per thread.
  {
    std::vector<uint8_t> input(inBytes);
    PreparedFunction::State state = program.newState();
    next = 1;
    if (!evaluateOne(0, state, input)) {
      if (!firstError.empty())
        llvm::errs() << "tinyprune: error: " << firstError << "\n";
      return 1;
    }
  }
  std::vector<std::thread> pool;
  for (unsigned t = 0; t < numThreads && done < n; ++t)
    pool.emplace_back(worker);
  // Progress, on a terminal only, once the run has taken a second.
  bool showProgress = llvm::errs().is_displayed();
  size_t progressWidth = 0;
  {
    std::unique_lock<std::mutex> lock(mutex);
    while (!stop && done < n) {
      finished.wait_for(lock, std::chrono::milliseconds(250));
      double elapsed = seconds();
      size_t d = done;
      if (!showProgress || elapsed < 1.0 || stop || d >= n)
        continue;
      double rate = d / elapsed;
      std::string line = llvm::formatv(
          "tinyprune: eval: {0}/{1} samples, {2:F1} inferences/s, {3:F0} s "
          "left",
          d, n, rate, rate > 0 ? (n - d) / rate : 0.0);
      progressWidth = std::max(progressWidth, line.size());
      llvm::errs() << "\r" << line;
      llvm::errs().flush();
    }
  }
  for (std::thread &t : pool)
    t.join();
  double elapsed = seconds();
  if (progressWidth)
    llvm::errs() << "\r" << std::string(progressWidth, ' ') << "\r";
  if (stop) {
    if (!firstError.empty())
      llvm::errs() << "tinyprune: error: " << firstError << "\n";
    return 1;
  }
  double rate = elapsed > 0 ? n / elapsed : 0.0;

  // Report.
  llvm::raw_ostream &os = llvm::outs();
  std::string metricName = classifier              ? "accuracy"
                           : metric == Metric::MSE ? "mse"
                                                   : "auc";
  os << "model:   " << evalModel << " (" << spec.typeName << " -> "
     << debugString(outType) << ")\n";
  os << "data:    " << set.describe();
  if (set.hasLabels())
    os << ", labels " << set.labelsSource();
  os << "\n";
  os << llvm::formatv("samples: {0}", n);
  if (n < set.size())
    os << llvm::formatv(" of {0} (--limit)", set.size());
  os << llvm::formatv(", {0} thread{1}, {2:F3} s, {3:F1} inferences/s\n\n",
                      numThreads, numThreads == 1 ? "" : "s", elapsed, rate);

  std::optional<llvm::json::OStream> json;
  if (jsonFile) {
    json.emplace(jsonFile->os(), 2);
    json->objectBegin();
    json->attribute("model", evalModel);
    json->attribute("function", evalFunction);
    json->attribute("data", dataPath);
    if (set.hasLabels())
      json->attribute("labels", set.labelsSource());
    else
      json->attribute("labels", nullptr);
    json->attribute("metric", metricName);
    json->attribute("samples", static_cast<int64_t>(n));
    json->attribute("threads", numThreads);
    json->attribute("seconds", elapsed);
    json->attribute("inferences_per_second", rate);
  }

  if (classifier) {
    int64_t c = numClasses;
    std::vector<std::vector<int64_t>> confusion(c, std::vector<int64_t>(c));
    std::vector<int64_t> perClass(c), perClassCorrect(c);
    int64_t top1 = 0, topKCorrect = 0;
    for (size_t i = 0; i < n; ++i) {
      int64_t t = labels[i];
      ++confusion[t][results[i].predicted];
      ++perClass[t];
      if (results[i].trueRank == 0) {
        ++top1;
        ++perClassCorrect[t];
      }
      if (results[i].trueRank < static_cast<int32_t>(k))
        ++topKCorrect;
    }
    int64_t total = static_cast<int64_t>(n);
    os << llvm::formatv("top-1 accuracy: {0,7}  ({1}/{2})\n",
                        percent(top1, total), top1, total);
    if (k)
      os << llvm::formatv("top-{0} accuracy: {1,7}  ({2}/{3})\n", k,
                          percent(topKCorrect, total), topKCorrect, total);
    os << "\nper-class accuracy:\n  class  samples  correct  accuracy\n";
    for (int64_t t = 0; t < c; ++t)
      os << llvm::formatv("  {0,5}  {1,7}  {2,7}  {3,8}\n", t, perClass[t],
                          perClassCorrect[t],
                          percent(perClassCorrect[t], perClass[t]));
    constexpr int64_t kMaxMatrixClasses = 64;
    if (c <= kMaxMatrixClasses) {
      int64_t most = 0;
      for (auto &row : confusion)
        for (int64_t v : row)
          most = std::max(most, v);
      int width = std::max<int>(std::to_string(most).size(),
                                std::to_string(c - 1).size()) +
                  1;
      os << "\nconfusion matrix (rows: true class, columns: predicted "
            "class):\n  true\\pred";
      for (int64_t p = 0; p < c; ++p)
        os << llvm::right_justify(std::to_string(p), width + 1);
      os << "\n";
      for (int64_t t = 0; t < c; ++t) {
        os << llvm::formatv("  {0,9}", t);
        for (int64_t p = 0; p < c; ++p)
          os << llvm::right_justify(std::to_string(confusion[t][p]), width + 1);
        os << "\n";
      }
    } else {
      os << "\nconfusion matrix: " << c << " classes, see --json\n";
    }
    if (json) {
      json->attribute("classes", c);
      json->attribute("top1_accuracy", total ? double(top1) / total : 0.0);
      json->attribute("top1_correct", top1);
      if (k) {
        json->attributeObject("top_k", [&] {
          json->attribute("k", k);
          json->attribute("accuracy",
                          total ? double(topKCorrect) / total : 0.0);
          json->attribute("correct", topKCorrect);
        });
      }
      json->attributeArray("per_class", [&] {
        for (int64_t t = 0; t < c; ++t)
          json->object([&] {
            json->attribute("class", t);
            json->attribute("samples", perClass[t]);
            json->attribute("correct", perClassCorrect[t]);
            if (perClass[t])
              json->attribute("accuracy",
                              double(perClassCorrect[t]) / perClass[t]);
            else
              json->attribute("accuracy", nullptr);
          });
      });
      json->attributeArray("confusion_matrix", [&] {
        for (auto &row : confusion)
          json->array([&] {
            for (int64_t v : row)
              json->value(v);
          });
      });
    }
  } else {
    std::vector<double> scores(n);
    for (size_t i = 0; i < n; ++i)
      scores[i] = results[i].score;
    double mean =
        n ? std::accumulate(scores.begin(), scores.end(), 0.0) / n : 0.0;
    if (metric == Metric::AUC) {
      double auc = rocAuc(scores, labels);
      int64_t positives = llvm::count(labels, 1);
      os << llvm::formatv("ROC AUC: {0:F6}  ({1} anomalous, {2} normal "
                          "samples)\n",
                          auc, positives, (int64_t)n - positives);
      if (json) {
        json->attribute("auc", auc);
        json->attribute("anomalous", positives);
        json->attribute("normal", (int64_t)n - positives);
      }
    }
    os << llvm::formatv("mean anomaly score (MSE): {0:F6}\n", mean);
    if (json)
      json->attribute("mean_score", mean);
    if (!labels.empty()) {
      for (int64_t l = 0; l < 2; ++l) {
        int64_t count = 0;
        double sum = 0.0;
        for (size_t i = 0; i < n; ++i)
          if (labels[i] == l) {
            ++count;
            sum += scores[i];
          }
        os << llvm::formatv("  label {0} ({1}): {2} samples, mean score ", l,
                            l ? "anomalous" : "normal", count);
        if (count)
          os << llvm::formatv("{0:F6}\n", sum / count);
        else
          os << "-\n";
      }
      if (json)
        json->attributeArray("per_label", [&] {
          for (int64_t l = 0; l < 2; ++l) {
            int64_t count = 0;
            double sum = 0.0;
            for (size_t i = 0; i < n; ++i)
              if (labels[i] == l) {
                ++count;
                sum += scores[i];
              }
            json->object([&] {
              json->attribute("label", l);
              json->attribute("samples", count);
              if (count)
                json->attribute("mean_score", sum / count);
              else
                json->attribute("mean_score", nullptr);
            });
          }
        });
    }
  }
  if (json) {
    json->objectEnd();
    json.reset();
    jsonFile->os() << "\n";
    jsonFile->keep();
  }
  return 0;
}
