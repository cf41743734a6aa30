//===- Metrics.h - Classification and anomaly metrics -----------*- C++ -*-===//
//
// What `tinyprune eval` reports, as plain functions over what a model
// produced, so that calibration and training measure models the same way:
//  * reading a raw model output (or input) as real numbers;
//  * per sample: the predicted class, the rank of the true class, the
//    anomaly score (mean squared error between input and output);
//  * over a data set: top-1/top-k accuracy, per-class accuracy and the
//    confusion matrix of a classifier, the mean score and ROC AUC of an
//    autoencoder;
//  * the text report and the JSON attributes of those figures.
//
// Nothing here runs a model or knows MLIR: inputs are raw buffers, scores
// and integer labels. Functions that take labels check them and return an
// llvm::Error whose message says what is wrong, without a prefix.
//
//===----------------------------------------------------------------------===//

#ifndef TINYPRUNE_DATA_METRICS_H
#define TINYPRUNE_DATA_METRICS_H

#include "tinyprune/Data/Dataset.h"

#include "llvm/ADT/ArrayRef.h"
#include "llvm/Support/Error.h"

#include <cstdint>
#include <optional>
#include <vector>

namespace llvm {
class raw_ostream;
namespace json {
class OStream;
} // namespace json
} // namespace llvm

namespace tinyprune {
namespace data {

//===----------------------------------------------------------------------===//
// Reading raw tensors
//===----------------------------------------------------------------------===//

/// Element types of the raw tensors a model reads and writes.
enum class ElementKind { Float32, Int8, UInt8, Int16, Int32 };

/// How to read a raw tensor (row-major, little-endian) as real numbers.
struct TensorFormat {
  ElementKind kind = ElementKind::Float32;
  int64_t numElements = 0;
  /// Integer elements are dequantized as scale * (q - zeroPoint) when set,
  /// and read as they are otherwise.
  bool hasQuant = false;
  float scale = 1.0f;
  int64_t zeroPoint = 0;

  /// The format of the model input `spec` describes (float32, int8 or
  /// uint8).
  static TensorFormat of(const InputSpec &spec);

  /// Bytes of one element.
  unsigned elementBytes() const;
  /// Bytes of the whole tensor.
  int64_t byteSize() const { return numElements * elementBytes(); }
  /// Element `k` of `raw` (which holds `byteSize()` bytes) as a real number.
  double value(llvm::ArrayRef<uint8_t> raw, int64_t k) const;
  /// Every element of `raw` as a real number, into `out` (resized).
  void decode(llvm::ArrayRef<uint8_t> raw, std::vector<double> &out) const;
};

//===----------------------------------------------------------------------===//
// Per sample
//===----------------------------------------------------------------------===//

/// The index of the highest of `scores` (ties: the lowest index); -1 when
/// `scores` is empty.
int64_t argmax(llvm::ArrayRef<double> scores);

/// How many classes rank above class `label` (0: top-1 correct): those
/// scoring higher, and those scoring the same with a lower index. `label`
/// must index `scores`.
int64_t rankOf(llvm::ArrayRef<double> scores, int64_t label);

/// The mean of the squared differences of `a` and `b` (same size); 0 when
/// they are empty.
double meanSquaredError(llvm::ArrayRef<double> a, llvm::ArrayRef<double> b);

/// What a classifier made of one sample.
struct ClassPrediction {
  /// The predicted class (argmax).
  int64_t predicted = 0;
  /// How many classes rank above the true one (rankOf).
  int64_t trueRank = 0;
};

/// The prediction for class scores `scores` of a sample labelled `label`.
inline ClassPrediction classify(llvm::ArrayRef<double> scores, int64_t label) {
  return {argmax(scores), rankOf(scores, label)};
}

//===----------------------------------------------------------------------===//
// Classifiers
//===----------------------------------------------------------------------===//

struct ClassificationMetrics {
  int64_t numClasses = 0;
  int64_t samples = 0;
  int64_t top1Correct = 0;
  /// Top-k is counted when k > 0 (k may exceed the classes: then every
  /// sample counts).
  unsigned k = 0;
  int64_t topKCorrect = 0;
  /// Per true class: samples, and how many of them were top-1 correct.
  std::vector<int64_t> classSamples, classCorrect;
  /// confusion[true class][predicted class]: sample counts.
  std::vector<std::vector<int64_t>> confusion;

  /// Top-1 and top-k accuracy in [0, 1]; 0 without samples.
  double top1Accuracy() const;
  double topKAccuracy() const;
  /// The top-1 accuracy of class `c`; none when it has no samples.
  std::optional<double> classAccuracy(int64_t c) const;
};

/// The metrics of `predictions` against `labels` (one per prediction) for
/// a classifier of `numClasses` classes, counting top-`k` when k > 0.
/// Fails when the counts differ or a label or predicted class lies outside
/// [0, numClasses).
llvm::Expected<ClassificationMetrics>
computeClassificationMetrics(llvm::ArrayRef<ClassPrediction> predictions,
                             llvm::ArrayRef<int64_t> labels, int64_t numClasses,
                             unsigned k);

/// Prints the top-1 (and top-k) accuracy, the per-class table and, for up
/// to 64 classes, the confusion matrix (`tinyprune eval`'s report).
void printClassificationReport(llvm::raw_ostream &os,
                               const ClassificationMetrics &m);

/// Writes the metrics as attributes of the JSON object being written:
/// classes, top1_accuracy, top1_correct, top_k {k, accuracy, correct},
/// per_class [{class, samples, correct, accuracy}], confusion_matrix.
void writeClassificationJson(llvm::json::OStream &json,
                             const ClassificationMetrics &m);

//===----------------------------------------------------------------------===//
// Anomaly detectors
//===----------------------------------------------------------------------===//

/// ROC AUC of `scores` against binary `labels` (1 = anomalous/positive,
/// 0 = normal): the Mann-Whitney U statistic over n+ * n-, tied scores
/// given their average rank (a tie between a positive and a negative counts
/// one half). Fails when the counts differ, a label is neither 0 nor 1, or
/// either class is absent.
llvm::Expected<double> rocAuc(llvm::ArrayRef<double> scores,
                              llvm::ArrayRef<int64_t> labels);

struct AnomalyMetrics {
  int64_t samples = 0;
  /// The mean of the scores; 0 without samples.
  double meanScore = 0.0;
  /// The ROC AUC, when asked for.
  std::optional<double> auc;
  /// Whether labels were given; then, per label 0 (normal) and 1
  /// (anomalous), the sample count and the sum of their scores.
  bool hasLabels = false;
  int64_t labelSamples[2] = {0, 0};
  double labelScoreSum[2] = {0.0, 0.0};

  /// The mean score of label `l` (0 or 1); none when it has no samples.
  std::optional<double> labelMean(int64_t l) const;
};

/// The metrics of anomaly `scores`, with `labels` (0/1, one per score;
/// empty: none), and the ROC AUC when `withAuc` (which needs labels of
/// both kinds).
llvm::Expected<AnomalyMetrics>
computeAnomalyMetrics(llvm::ArrayRef<double> scores,
                      llvm::ArrayRef<int64_t> labels, bool withAuc);

/// Prints the ROC AUC (if computed), the mean score and the per-label
/// means (if labelled).
void printAnomalyReport(llvm::raw_ostream &os, const AnomalyMetrics &m);

/// Writes the metrics as attributes of the JSON object being written: auc,
/// anomalous, normal (with the AUC), mean_score, per_label [{label,
/// samples, mean_score}] (with labels).
void writeAnomalyJson(llvm::json::OStream &json, const AnomalyMetrics &m);

} // namespace data
} // namespace tinyprune

#endif // TINYPRUNE_DATA_METRICS_H
