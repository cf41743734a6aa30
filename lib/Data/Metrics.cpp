//===- Metrics.cpp - Classification and anomaly metrics -------------------===//
//
// Per-sample scoring, the aggregate metrics of classifiers and anomaly
// detectors, and their report and JSON. The report's layout is what
// `tinyprune eval` prints and its tests pin down; change it with them.
//
//===----------------------------------------------------------------------===//

#include "tinyprune/Data/Metrics.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/Support/ErrorHandling.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/raw_ostream.h"

#include <algorithm>
#include <cassert>
#include <cstring>
#include <numeric>
#include <string>

using namespace tinyprune;
using namespace tinyprune::data;
using llvm::ArrayRef;

namespace {
/// An llvm::Error carrying `message`.
llvm::Error fail(const llvm::Twine &message) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), message);
}

/// "75.00%", or "-" without samples.
std::string percent(int64_t num, int64_t den) {
  if (den == 0)
    return "-";
  return llvm::formatv("{0:F2}%", 100.0 * num / den).str();
}

/// Checks that `labels` has `count` entries, all in [0, numClasses);
/// `what` names the other side of the count in the message.
llvm::Error checkLabels(ArrayRef<int64_t> labels, size_t count,
                        llvm::StringRef what, int64_t numClasses) {
  if (labels.size() != count)
    return fail(
        llvm::formatv("{0} labels for {1} {2}", labels.size(), count, what));
  for (auto [i, label] : llvm::enumerate(labels))
    if (label < 0 || label >= numClasses)
      return fail(llvm::formatv("label {0} of sample {1} is outside [0, {2})",
                                label, i, numClasses));
  return llvm::Error::success();
}
} // namespace

//===----------------------------------------------------------------------===//
// TensorFormat
//===----------------------------------------------------------------------===//

TensorFormat TensorFormat::of(const InputSpec &spec) {
  TensorFormat format;
  format.kind = spec.isFloat      ? ElementKind::Float32
                : spec.isUnsigned ? ElementKind::UInt8
                                  : ElementKind::Int8;
  format.numElements = spec.numElements();
  format.hasQuant = !spec.isFloat && spec.hasQuant;
  format.scale = spec.scale;
  format.zeroPoint = spec.zeroPoint;
  return format;
}

unsigned TensorFormat::elementBytes() const {
  switch (kind) {
  case ElementKind::Int8:
  case ElementKind::UInt8:
    return 1;
  case ElementKind::Int16:
    return 2;
  case ElementKind::Float32:
  case ElementKind::Int32:
    return 4;
  }
  llvm_unreachable("unknown element kind");
}

double TensorFormat::value(ArrayRef<uint8_t> raw, int64_t k) const {
  assert(static_cast<int64_t>(raw.size()) >= (k + 1) * elementBytes() &&
         "element outside the buffer");
  int64_t q = 0;
  switch (kind) {
  case ElementKind::Float32: {
    float v;
    std::memcpy(&v, raw.data() + 4 * k, 4);
    return v;
  }
  case ElementKind::Int8:
    q = static_cast<int8_t>(raw[k]);
    break;
  case ElementKind::UInt8:
    q = raw[k];
    break;
  case ElementKind::Int16: {
    int16_t v;
    std::memcpy(&v, raw.data() + 2 * k, 2);
    q = v;
    break;
  }
  case ElementKind::Int32: {
    int32_t v;
    std::memcpy(&v, raw.data() + 4 * k, 4);
    q = v;
    break;
  }
  }
  if (!hasQuant)
    return static_cast<double>(q);
  // In float, as TFLite's DEQUANTIZE computes it.
  return static_cast<float>(scale * static_cast<float>(q - zeroPoint));
}

void TensorFormat::decode(ArrayRef<uint8_t> raw,
                          std::vector<double> &out) const {
  out.resize(numElements);
  for (int64_t k = 0; k < numElements; ++k)
    out[k] = value(raw, k);
}

//===----------------------------------------------------------------------===//
// Per sample
//===----------------------------------------------------------------------===//

int64_t data::argmax(ArrayRef<double> scores) {
  if (scores.empty())
    return -1;
  int64_t best = 0;
  for (int64_t c = 1, e = scores.size(); c < e; ++c)
    if (scores[c] > scores[best])
      best = c;
  return best;
}

int64_t data::rankOf(ArrayRef<double> scores, int64_t label) {
  assert(label >= 0 && label < static_cast<int64_t>(scores.size()) &&
         "label outside the scores");
  double truth = scores[label];
  int64_t rank = 0;
  for (int64_t c = 0, e = scores.size(); c < e; ++c)
    rank += scores[c] > truth || (scores[c] == truth && c < label);
  return rank;
}

double data::meanSquaredError(ArrayRef<double> a, ArrayRef<double> b) {
  assert(a.size() == b.size() && "sizes differ");
  if (a.empty())
    return 0.0;
  double sum = 0.0;
  for (size_t i = 0, e = a.size(); i < e; ++i) {
    double d = a[i] - b[i];
    sum += d * d;
  }
  return sum / static_cast<double>(a.size());
}

//===----------------------------------------------------------------------===//
// Classifiers
//===----------------------------------------------------------------------===//

double ClassificationMetrics::top1Accuracy() const {
  return samples ? double(top1Correct) / samples : 0.0;
}

double ClassificationMetrics::topKAccuracy() const {
  return samples ? double(topKCorrect) / samples : 0.0;
}

std::optional<double> ClassificationMetrics::classAccuracy(int64_t c) const {
  if (!classSamples[c])
    return std::nullopt;
  return double(classCorrect[c]) / classSamples[c];
}

llvm::Expected<ClassificationMetrics>
data::computeClassificationMetrics(ArrayRef<ClassPrediction> predictions,
                                   ArrayRef<int64_t> labels, int64_t numClasses,
                                   unsigned k) {
  if (numClasses <= 0)
    return fail(
        llvm::formatv("a classifier needs classes, not {0}", numClasses));
  if (llvm::Error e =
          checkLabels(labels, predictions.size(), "predictions", numClasses))
    return std::move(e);
  ClassificationMetrics m;
  m.numClasses = numClasses;
  m.samples = static_cast<int64_t>(predictions.size());
  m.k = k;
  m.classSamples.assign(numClasses, 0);
  m.classCorrect.assign(numClasses, 0);
  m.confusion.assign(numClasses, std::vector<int64_t>(numClasses, 0));
  for (auto [i, p] : llvm::enumerate(predictions)) {
    if (p.predicted < 0 || p.predicted >= numClasses)
      return fail(llvm::formatv("predicted class {0} of sample {1} is "
                                "outside [0, {2})",
                                p.predicted, i, numClasses));
    int64_t t = labels[i];
    ++m.confusion[t][p.predicted];
    ++m.classSamples[t];
    if (p.trueRank == 0) {
      ++m.top1Correct;
      ++m.classCorrect[t];
    }
    if (p.trueRank < static_cast<int64_t>(k))
      ++m.topKCorrect;
  }
  return m;
}

void data::printClassificationReport(llvm::raw_ostream &os,
                                     const ClassificationMetrics &m) {
  int64_t c = m.numClasses, total = m.samples;
  os << llvm::formatv("top-1 accuracy: {0,7}  ({1}/{2})\n",
                      percent(m.top1Correct, total), m.top1Correct, total);
  if (m.k)
    os << llvm::formatv("top-{0} accuracy: {1,7}  ({2}/{3})\n", m.k,
                        percent(m.topKCorrect, total), m.topKCorrect, total);
  os << "\nper-class accuracy:\n  class  samples  correct  accuracy\n";
  for (int64_t t = 0; t < c; ++t)
    os << llvm::formatv("  {0,5}  {1,7}  {2,7}  {3,8}\n", t, m.classSamples[t],
                        m.classCorrect[t],
                        percent(m.classCorrect[t], m.classSamples[t]));
  // Wider matrices do not read on a terminal; the JSON has them.
  constexpr int64_t kMaxMatrixClasses = 64;
  if (c > kMaxMatrixClasses) {
    os << "\nconfusion matrix: " << c << " classes, see --json\n";
    return;
  }
  int64_t most = 0;
  for (const std::vector<int64_t> &row : m.confusion)
    for (int64_t v : row)
      most = std::max(most, v);
  int width =
      std::max<int>(std::to_string(most).size(), std::to_string(c - 1).size()) +
      1;
  os << "\nconfusion matrix (rows: true class, columns: predicted "
        "class):\n  true\\pred";
  for (int64_t p = 0; p < c; ++p)
    os << llvm::right_justify(std::to_string(p), width + 1);
  os << "\n";
  for (int64_t t = 0; t < c; ++t) {
    os << llvm::formatv("  {0,9}", t);
    for (int64_t p = 0; p < c; ++p)
      os << llvm::right_justify(std::to_string(m.confusion[t][p]), width + 1);
    os << "\n";
  }
}

void data::writeClassificationJson(llvm::json::OStream &json,
                                   const ClassificationMetrics &m) {
  json.attribute("classes", m.numClasses);
  json.attribute("top1_accuracy", m.top1Accuracy());
  json.attribute("top1_correct", m.top1Correct);
  if (m.k) {
    json.attributeObject("top_k", [&] {
      json.attribute("k", m.k);
      json.attribute("accuracy", m.topKAccuracy());
      json.attribute("correct", m.topKCorrect);
    });
  }
  json.attributeArray("per_class", [&] {
    for (int64_t t = 0; t < m.numClasses; ++t)
      json.object([&] {
        json.attribute("class", t);
        json.attribute("samples", m.classSamples[t]);
        json.attribute("correct", m.classCorrect[t]);
        if (std::optional<double> accuracy = m.classAccuracy(t))
          json.attribute("accuracy", *accuracy);
        else
          json.attribute("accuracy", nullptr);
      });
  });
  json.attributeArray("confusion_matrix", [&] {
    for (const std::vector<int64_t> &row : m.confusion)
      json.array([&] {
        for (int64_t v : row)
          json.value(v);
      });
  });
}

//===----------------------------------------------------------------------===//
// Anomaly detectors
//===----------------------------------------------------------------------===//

llvm::Expected<double> data::rocAuc(ArrayRef<double> scores,
                                    ArrayRef<int64_t> labels) {
  if (llvm::Error e = checkLabels(labels, scores.size(), "scores", 2))
    return std::move(e);
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
  if (positives == 0 || positives == n)
    return fail("ROC AUC needs normal (0) and anomalous (1) samples");
  double p = static_cast<double>(positives);
  double q = static_cast<double>(n - positives);
  return (positiveRankSum - p * (p + 1.0) / 2.0) / (p * q);
}

std::optional<double> AnomalyMetrics::labelMean(int64_t l) const {
  if (!labelSamples[l])
    return std::nullopt;
  return labelScoreSum[l] / labelSamples[l];
}

llvm::Expected<AnomalyMetrics>
data::computeAnomalyMetrics(ArrayRef<double> scores, ArrayRef<int64_t> labels,
                            bool withAuc) {
  AnomalyMetrics m;
  m.samples = static_cast<int64_t>(scores.size());
  m.meanScore =
      scores.empty()
          ? 0.0
          : std::accumulate(scores.begin(), scores.end(), 0.0) / scores.size();
  if (withAuc) {
    llvm::Expected<double> auc = rocAuc(scores, labels);
    if (!auc)
      return auc.takeError();
    m.auc = *auc;
  }
  if (labels.empty())
    return m;
  if (llvm::Error e = checkLabels(labels, scores.size(), "scores", 2))
    return std::move(e);
  m.hasLabels = true;
  for (int64_t l = 0; l < 2; ++l)
    for (size_t i = 0; i < scores.size(); ++i)
      if (labels[i] == l) {
        ++m.labelSamples[l];
        m.labelScoreSum[l] += scores[i];
      }
  return m;
}

void data::printAnomalyReport(llvm::raw_ostream &os, const AnomalyMetrics &m) {
  if (m.auc)
    os << llvm::formatv("ROC AUC: {0:F6}  ({1} anomalous, {2} normal "
                        "samples)\n",
                        *m.auc, m.labelSamples[1], m.labelSamples[0]);
  os << llvm::formatv("mean anomaly score (MSE): {0:F6}\n", m.meanScore);
  if (!m.hasLabels)
    return;
  for (int64_t l = 0; l < 2; ++l) {
    os << llvm::formatv("  label {0} ({1}): {2} samples, mean score ", l,
                        l ? "anomalous" : "normal", m.labelSamples[l]);
    if (std::optional<double> mean = m.labelMean(l))
      os << llvm::formatv("{0:F6}\n", *mean);
    else
      os << "-\n";
  }
}

void data::writeAnomalyJson(llvm::json::OStream &json,
                            const AnomalyMetrics &m) {
  if (m.auc) {
    json.attribute("auc", *m.auc);
    json.attribute("anomalous", m.labelSamples[1]);
    json.attribute("normal", m.labelSamples[0]);
  }
  json.attribute("mean_score", m.meanScore);
  if (!m.hasLabels)
    return;
  json.attributeArray("per_label", [&] {
    for (int64_t l = 0; l < 2; ++l)
      json.object([&] {
        json.attribute("label", l);
        json.attribute("samples", m.labelSamples[l]);
        if (std::optional<double> mean = m.labelMean(l))
          json.attribute("mean_score", *mean);
        else
          json.attribute("mean_score", nullptr);
      });
  });
}
