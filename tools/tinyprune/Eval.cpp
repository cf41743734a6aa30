//===- Eval.cpp - tinyprune eval ------------------------------------------===//
//
//   tinyprune eval MODEL --data X [--labels Y] [--metric accuracy|mse|auc]
//
// The command: checks that the model and the data fit the metric, runs the
// model over the data set with the batch runner (lib/Execution), scoring
// each sample as it comes out, and prints the metrics (lib/Data/Metrics)
// with a header naming the model, the data and the speed of the run.
//
//===----------------------------------------------------------------------===//

#include "Driver.h"

#include "tinyprune/Data/Dataset.h"
#include "tinyprune/Data/Metrics.h"
#include "tinyprune/Dialect/TinyPrune.h"
#include "tinyprune/Execution/BatchRunner.h"
#include "tinyprune/Execution/Interpreter.h"
#include "tinyprune/Execution/ModelInput.h"
#include "tinyprune/Support/Files.h"

#include "mlir/Support/DebugStringHelper.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/raw_ostream.h"

#include <algorithm>
#include <optional>
#include <string>
#include <vector>

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
    "models, raw float32 for float models) listed by a label CSV, or without\n"
    "one, all its .bin files in name order, unlabelled (enough for --metric\n"
    "mse). Float data must be finite: a NaN or an infinity is an error.\n"
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
             "folder; default: the folder's y_labels.csv if any). Needed for "
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
/// Prints "tinyprune: error: <model>: <message>" and returns 1.
int modelError(const llvm::Twine &message) {
  llvm::errs() << "tinyprune: error: " << evalModel << ": " << message << "\n";
  return 1;
}

/// Prints "tinyprune: error: <message>" and returns 1; an interpreter
/// failure has printed its diagnostic already.
int reportError(llvm::Error error) {
  llvm::handleAllErrors(
      std::move(error), [](const InterpreterFailure &) {},
      [](const llvm::ErrorInfoBase &info) {
        llvm::errs() << "tinyprune: error: " << info.message() << "\n";
      });
  return 1;
}

/// How to read the output of type `type` (with quantization `quant`, if
/// any) of the evaluated function; prints an error and returns none when
/// eval cannot read it.
std::optional<data::TensorFormat> outputFormat(RankedTensorType type,
                                               QuantAttr quant) {
  data::TensorFormat format;
  format.numElements = type.getNumElements();
  Type element = type.getElementType();
  if (element.isF32())
    format.kind = data::ElementKind::Float32;
  else if (element.isUnsignedInteger(8))
    format.kind = data::ElementKind::UInt8;
  else if (element.isInteger(8))
    format.kind = data::ElementKind::Int8;
  else if (element.isInteger(16))
    format.kind = data::ElementKind::Int16;
  else if (element.isInteger(32))
    format.kind = data::ElementKind::Int32;
  else {
    modelError("eval supports int8, uint8, int16, int32 and float32 model "
               "outputs, "
               "not " +
               debugString(type));
    return std::nullopt;
  }
  if (quant) {
    if (quant.isPerChannel()) {
      modelError("the model output is quantized per channel");
      return std::nullopt;
    }
    format.hasQuant = true;
    format.scale = quant.getScale()[0];
    format.zeroPoint = quant.getZeroPoint()[0];
  }
  return format;
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
  std::optional<data::TensorFormat> out =
      outputFormat(outType, func.getResultAttrOfType<QuantAttr>(
                                0, TinyPruneDialect::getQuantAttrName()));
  if (!out)
    return 1;
  bool classifier = metric == Metric::Accuracy;
  int64_t numClasses = out->numElements;
  if (classifier) {
    ArrayRef<int64_t> shape = outType.getShape();
    if (shape.empty() ||
        !llvm::all_of(shape.drop_back(), [](int64_t d) { return d == 1; }))
      return modelError("the output " + debugString(outType) +
                        " is not a [1,C] vector of class scores");
  } else {
    if (out->numElements != spec.numElements())
      return modelError(llvm::formatv(
          "--metric {0} needs an autoencoder, whose output has as many "
          "elements as its input; the model maps {1} to {2}",
          metric == Metric::MSE ? "mse" : "auc", spec.typeName,
          debugString(outType)));
    if (!spec.isFloat && !spec.hasQuant)
      return modelError("the int8 model input has no quantization to "
                        "dequantize it with");
    if (out->kind != data::ElementKind::Float32 && !out->hasQuant)
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
  if (!openedSet)
    return reportError(openedSet.takeError());
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
    if (e)
      return reportError(std::move(e));
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
  // It may not be the model, the data or the labels (Support/Files.h);
  // it is moved into place only once written whole.
  std::unique_ptr<OutputFile> jsonFile;
  if (!jsonPath.empty()) {
    auto opened =
        OutputFile::create(jsonPath, {evalModel.getValue(), dataPath.getValue(),
                                      labelsPath.getValue()});
    if (!opened)
      return reportError(opened.takeError());
    jsonFile = std::move(*opened);
  }

  // Run: score each sample as it comes out of the interpreter.
  FailureOr<std::unique_ptr<PreparedFunction>> prepared =
      PreparedFunction::create(func);
  if (failed(prepared))
    return 1;
  std::vector<data::ClassPrediction> predictions(classifier ? n : 0);
  std::vector<double> scores(classifier ? 0 : n);
  data::TensorFormat in = data::TensorFormat::of(spec);
  auto score = [&](size_t i, ArrayRef<uint8_t> input,
                   const PreparedFunction::State &state) {
    std::vector<double> y, x;
    out->decode(state.output(0), y);
    if (classifier) {
      predictions[i] = data::classify(y, labels[i]);
      return;
    }
    in.decode(input, x);
    scores[i] = data::meanSquaredError(x, y);
  };
  BatchOptions batch;
  batch.limit = n;
  batch.threads = threads;
  // Progress, on a terminal only, once the run has taken a second.
  size_t progressWidth = 0;
  if (llvm::errs().is_displayed())
    batch.progress = [&](const BatchProgress &p) {
      if (p.seconds < 1.0)
        return;
      double rate = p.done / p.seconds;
      std::string line = llvm::formatv(
          "tinyprune: eval: {0}/{1} samples, {2:F1} inferences/s, {3:F0} s "
          "left",
          p.done, p.total, rate, rate > 0 ? (p.total - p.done) / rate : 0.0);
      progressWidth = std::max(progressWidth, line.size());
      llvm::errs() << "\r" << line;
      llvm::errs().flush();
    };
  llvm::Expected<BatchStats> ran = runBatch(**prepared, set, batch, score);
  if (progressWidth)
    llvm::errs() << "\r" << std::string(progressWidth, ' ') << "\r";
  if (!ran)
    return reportError(ran.takeError());

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
                      ran->threads, ran->threads == 1 ? "" : "s", ran->seconds,
                      ran->inferencesPerSecond());

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
    json->attribute("threads", ran->threads);
    json->attribute("seconds", ran->seconds);
    json->attribute("inferences_per_second", ran->inferencesPerSecond());
  }

  if (classifier) {
    auto metrics =
        data::computeClassificationMetrics(predictions, labels, numClasses, k);
    if (!metrics)
      return reportError(metrics.takeError());
    data::printClassificationReport(os, *metrics);
    if (json)
      data::writeClassificationJson(*json, *metrics);
  } else {
    auto metrics =
        data::computeAnomalyMetrics(scores, labels, metric == Metric::AUC);
    if (!metrics)
      return reportError(metrics.takeError());
    data::printAnomalyReport(os, *metrics);
    if (json)
      data::writeAnomalyJson(*json, *metrics);
  }
  if (json) {
    json->objectEnd();
    json.reset();
    jsonFile->os() << "\n";
    if (llvm::Error e = jsonFile->commit())
      return reportError(std::move(e));
  }
  return 0;
}
