//===- MetricsTest.cpp - classification and anomaly metrics ---------------===//
//
// Hand-computable cases: reading raw outputs, argmax and rank ties, the
// confusion matrix and per-class accuracy (with a class that has no
// samples), top-k with k above the class count, ROC AUC with tied scores,
// the anomaly means, and the exact text and JSON of the reports.
//
//===----------------------------------------------------------------------===//

#include "tinyprune/Data/Metrics.h"

#include "llvm/Support/JSON.h"
#include "llvm/Support/raw_ostream.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <string>
#include <vector>

using namespace tinyprune::data;

namespace {

/// The raw little-endian bytes of `values`.
template <typename T> std::vector<uint8_t> rawOf(std::vector<T> values) {
  std::vector<uint8_t> raw(values.size() * sizeof(T));
  std::memcpy(raw.data(), values.data(), raw.size());
  return raw;
}

/// The message of `error`, or "" on success.
std::string messageOf(llvm::Error error) {
  return error ? llvm::toString(std::move(error)) : "";
}

/// The text `print` writes for `m`.
template <typename M>
std::string printed(void (*print)(llvm::raw_ostream &, const M &), const M &m) {
  std::string text;
  llvm::raw_string_ostream os(text);
  print(os, m);
  return text;
}

/// The compact JSON object `write` makes of `m`.
template <typename M>
std::string jsonOf(void (*write)(llvm::json::OStream &, const M &),
                   const M &m) {
  std::string text;
  llvm::raw_string_ostream os(text);
  llvm::json::OStream json(os);
  json.object([&] { write(json, m); });
  return text;
}

//===----------------------------------------------------------------------===//
// Reading raw tensors
//===----------------------------------------------------------------------===//

TEST(TensorFormat, DequantizesInt8) {
  TensorFormat f;
  f.kind = ElementKind::Int8;
  f.numElements = 3;
  f.hasQuant = true;
  f.scale = 0.5f;
  f.zeroPoint = -2;
  std::vector<uint8_t> raw = rawOf<int8_t>({-2, 0, -128});
  std::vector<double> values;
  f.decode(raw, values);
  EXPECT_EQ(values, (std::vector<double>{0.0, 1.0, -63.0}));
  EXPECT_EQ(f.byteSize(), 3);
}

TEST(TensorFormat, ReadsWiderIntegersAndFloats) {
  TensorFormat i16{ElementKind::Int16, 2};
  EXPECT_EQ(i16.value(rawOf<int16_t>({-300, 7}), 0), -300.0);
  EXPECT_EQ(i16.byteSize(), 4);
  TensorFormat i32{ElementKind::Int32, 2};
  EXPECT_EQ(i32.value(rawOf<int32_t>({5, -70000}), 1), -70000.0);
  TensorFormat f32{ElementKind::Float32, 2};
  EXPECT_EQ(f32.value(rawOf<float>({0.25f, -1.5f}), 1), -1.5);
  EXPECT_EQ(f32.byteSize(), 8);
}

TEST(TensorFormat, OfInputSpec) {
  InputSpec spec;
  spec.shape = {1, 2, 3};
  spec.hasQuant = true;
  spec.scale = 0.25f;
  spec.zeroPoint = 4;
  TensorFormat f = TensorFormat::of(spec);
  EXPECT_EQ(f.kind, ElementKind::Int8);
  EXPECT_EQ(f.numElements, 6);
  EXPECT_TRUE(f.hasQuant);
  EXPECT_EQ(f.value(rawOf<int8_t>({8}), 0), 1.0);
  spec.isFloat = true;
  EXPECT_EQ(TensorFormat::of(spec).kind, ElementKind::Float32);
  EXPECT_FALSE(TensorFormat::of(spec).hasQuant);
}

//===----------------------------------------------------------------------===//
// Per sample
//===----------------------------------------------------------------------===//

TEST(PerSample, ArgmaxTiesGoToTheLowestIndex) {
  EXPECT_EQ(argmax({0.1, 0.7, 0.7, 0.2}), 1);
  EXPECT_EQ(argmax({-3.0}), 0);
  EXPECT_EQ(argmax({}), -1);
}

TEST(PerSample, RankCountsHigherAndEqualLowerClasses) {
  std::vector<double> s = {0.5, 0.9, 0.5, 0.1, 0.5};
  EXPECT_EQ(rankOf(s, 1), 0); // the maximum
  EXPECT_EQ(rankOf(s, 0), 1); // below 1 only
  EXPECT_EQ(rankOf(s, 2), 2); // below 1, tied with 0
  EXPECT_EQ(rankOf(s, 4), 3); // below 1, tied with 0 and 2
  EXPECT_EQ(rankOf(s, 3), 4);
  ClassPrediction p = classify(s, 2);
  EXPECT_EQ(p.predicted, 1);
  EXPECT_EQ(p.trueRank, 2);
}

TEST(PerSample, MeanSquaredError) {
  // (1^2 + 2^2 + 0^2 + 3^2) / 4 = 3.5.
  EXPECT_EQ(meanSquaredError({1, 2, 3, 4}, {0, 4, 3, 1}), 3.5);
  EXPECT_EQ(meanSquaredError({}, {}), 0.0);
}

//===----------------------------------------------------------------------===//
// Classifiers
//===----------------------------------------------------------------------===//

/// Six samples of three classes; class 2 has none. True class 0: right,
/// wrong (predicted 1, ranked second), right; true class 1: right, wrong
/// (predicted 0, ranked third), wrong (predicted 2, ranked second).
const std::vector<ClassPrediction> kPredictions = {{0, 0}, {1, 1}, {0, 0},
                                                   {1, 0}, {0, 2}, {2, 1}};
const std::vector<int64_t> kLabels = {0, 0, 0, 1, 1, 1};

TEST(Classification, ConfusionAndPerClassWithAnEmptyClass) {
  auto m = computeClassificationMetrics(kPredictions, kLabels, 3, 2);
  ASSERT_TRUE(bool(m)) << llvm::toString(m.takeError());
  EXPECT_EQ(m->samples, 6);
  EXPECT_EQ(m->top1Correct, 3);
  EXPECT_EQ(m->topKCorrect, 5);
  EXPECT_DOUBLE_EQ(m->top1Accuracy(), 0.5);
  EXPECT_DOUBLE_EQ(m->topKAccuracy(), 5.0 / 6.0);
  EXPECT_EQ(m->classSamples, (std::vector<int64_t>{3, 3, 0}));
  EXPECT_EQ(m->classCorrect, (std::vector<int64_t>{2, 1, 0}));
  EXPECT_DOUBLE_EQ(*m->classAccuracy(0), 2.0 / 3.0);
  EXPECT_DOUBLE_EQ(*m->classAccuracy(1), 1.0 / 3.0);
  EXPECT_EQ(m->classAccuracy(2), std::nullopt);
  EXPECT_EQ(m->confusion, (std::vector<std::vector<int64_t>>{
                              {2, 1, 0}, {1, 1, 1}, {0, 0, 0}}));
}

TEST(Classification, TopKAboveTheClassCountCountsEverySample) {
  auto m = computeClassificationMetrics(kPredictions, kLabels, 3, 7);
  ASSERT_TRUE(bool(m)) << llvm::toString(m.takeError());
  EXPECT_EQ(m->topKCorrect, 6);
  EXPECT_DOUBLE_EQ(m->topKAccuracy(), 1.0);
}

TEST(Classification, NoTopKWhenKIsZero) {
  auto m = computeClassificationMetrics(kPredictions, kLabels, 3, 0);
  ASSERT_TRUE(bool(m)) << llvm::toString(m.takeError());
  EXPECT_EQ(m->topKCorrect, 0);
  EXPECT_EQ(printed(printClassificationReport, *m).find("top-0"),
            std::string::npos);
}

TEST(Classification, NoSamples) {
  auto m = computeClassificationMetrics({}, {}, 2, 1);
  ASSERT_TRUE(bool(m)) << llvm::toString(m.takeError());
  EXPECT_EQ(m->top1Accuracy(), 0.0);
  EXPECT_EQ(m->classAccuracy(0), std::nullopt);
}

TEST(Classification, RejectsBadInput) {
  EXPECT_EQ(
      messageOf(
          computeClassificationMetrics(kPredictions, {0, 1}, 3, 0).takeError()),
      "2 labels for 6 predictions");
  EXPECT_EQ(messageOf(computeClassificationMetrics(kPredictions,
                                                   {0, 0, 3, 1, 1, 1}, 3, 0)
                          .takeError()),
            "label 3 of sample 2 is outside [0, 3)");
  EXPECT_EQ(messageOf(computeClassificationMetrics(
                          std::vector<ClassPrediction>{{-1, 0}}, {0}, 3, 0)
                          .takeError()),
            "predicted class -1 of sample 0 is outside [0, 3)");
  EXPECT_EQ(messageOf(computeClassificationMetrics({}, {}, 0, 0).takeError()),
            "a classifier needs classes, not 0");
}

TEST(Classification, Report) {
  auto m = computeClassificationMetrics(kPredictions, kLabels, 3, 2);
  ASSERT_TRUE(bool(m)) << llvm::toString(m.takeError());
  EXPECT_EQ(printed(printClassificationReport, *m),
            "top-1 accuracy:  50.00%  (3/6)\n"
            "top-2 accuracy:  83.33%  (5/6)\n"
            "\n"
            "per-class accuracy:\n"
            "  class  samples  correct  accuracy\n"
            "      0        3        2    66.67%\n"
            "      1        3        1    33.33%\n"
            "      2        0        0         -\n"
            "\n"
            "confusion matrix (rows: true class, columns: predicted class):\n"
            "  true\\pred  0  1  2\n"
            "          0  2  1  0\n"
            "          1  1  1  1\n"
            "          2  0  0  0\n");
}

TEST(Classification, ReportLeavesWideMatricesToTheJson) {
  std::vector<ClassPrediction> p = {{64, 0}};
  auto m = computeClassificationMetrics(p, {64}, 65, 0);
  ASSERT_TRUE(bool(m)) << llvm::toString(m.takeError());
  std::string text = printed(printClassificationReport, *m);
  EXPECT_NE(text.find("\nconfusion matrix: 65 classes, see --json\n"),
            std::string::npos);
  EXPECT_EQ(text.find("true\\pred"), std::string::npos);
}

TEST(Classification, Json) {
  std::vector<ClassPrediction> p = {{1, 0}, {1, 1}};
  auto m = computeClassificationMetrics(p, {1, 0}, 3, 2);
  ASSERT_TRUE(bool(m)) << llvm::toString(m.takeError());
  EXPECT_EQ(jsonOf(writeClassificationJson, *m),
            "{\"classes\":3,\"top1_accuracy\":0.5,\"top1_correct\":1,"
            "\"top_k\":{\"k\":2,\"accuracy\":1,\"correct\":2},"
            "\"per_class\":["
            "{\"class\":0,\"samples\":1,\"correct\":0,\"accuracy\":0},"
            "{\"class\":1,\"samples\":1,\"correct\":1,\"accuracy\":1},"
            "{\"class\":2,\"samples\":0,\"correct\":0,\"accuracy\":null}],"
            "\"confusion_matrix\":[[0,1,0],[0,1,0],[0,0,0]]}");
}

//===----------------------------------------------------------------------===//
// Anomaly detectors
//===----------------------------------------------------------------------===//

/// The AUC of `scores` against `labels`, or NaN on error.
double auc(std::vector<double> scores, std::vector<int64_t> labels) {
  llvm::Expected<double> a = rocAuc(scores, labels);
  if (!a) {
    llvm::consumeError(a.takeError());
    return std::nan("");
  }
  return *a;
}

TEST(RocAuc, SeparatedAndInverted) {
  EXPECT_DOUBLE_EQ(auc({0.1, 0.2, 0.8, 0.9}, {0, 0, 1, 1}), 1.0);
  EXPECT_DOUBLE_EQ(auc({0.1, 0.2, 0.8, 0.9}, {1, 1, 0, 0}), 0.0);
}

TEST(RocAuc, TiesCountOneHalf) {
  // Pairs (positive, negative): 0.4 vs 0.1 wins, 0.4 vs 0.4 ties, 0.8 wins
  // twice: 3.5 of 4.
  EXPECT_DOUBLE_EQ(auc({0.1, 0.4, 0.4, 0.8}, {0, 0, 1, 1}), 0.875);
  // Every score the same: every pair ties.
  EXPECT_DOUBLE_EQ(auc({2, 2, 2, 2, 2}, {0, 1, 0, 1, 1}), 0.5);
  // One positive tied with two of three negatives, above the third: 2/3.
  EXPECT_DOUBLE_EQ(auc({5, 5, 1, 5}, {1, 0, 0, 0}), 2.0 / 3.0);
}

TEST(RocAuc, NeedsBothClasses) {
  std::vector<double> s = {0.1, 0.2};
  EXPECT_EQ(messageOf(rocAuc(s, {1, 1}).takeError()),
            "ROC AUC needs normal (0) and anomalous (1) samples");
  EXPECT_EQ(messageOf(rocAuc(s, {0, 2}).takeError()),
            "label 2 of sample 1 is outside [0, 2)");
  EXPECT_EQ(messageOf(rocAuc(s, {0}).takeError()), "1 labels for 2 scores");
}

TEST(Anomaly, MeansPerLabel) {
  auto m = computeAnomalyMetrics({1.0, 2.0, 6.0, 3.0}, {0, 0, 1, 0},
                                 /*withAuc=*/true);
  ASSERT_TRUE(bool(m)) << llvm::toString(m.takeError());
  EXPECT_EQ(m->samples, 4);
  EXPECT_DOUBLE_EQ(m->meanScore, 3.0);
  EXPECT_DOUBLE_EQ(*m->auc, 1.0);
  EXPECT_EQ(m->labelSamples[0], 3);
  EXPECT_EQ(m->labelSamples[1], 1);
  EXPECT_DOUBLE_EQ(*m->labelMean(0), 2.0);
  EXPECT_DOUBLE_EQ(*m->labelMean(1), 6.0);
  EXPECT_EQ(printed(printAnomalyReport, *m),
            "ROC AUC: 1.000000  (1 anomalous, 3 normal samples)\n"
            "mean anomaly score (MSE): 3.000000\n"
            "  label 0 (normal): 3 samples, mean score 2.000000\n"
            "  label 1 (anomalous): 1 samples, mean score 6.000000\n");
  EXPECT_EQ(jsonOf(writeAnomalyJson, *m),
            "{\"auc\":1,\"anomalous\":1,\"normal\":3,\"mean_score\":3,"
            "\"per_label\":[{\"label\":0,\"samples\":3,\"mean_score\":2},"
            "{\"label\":1,\"samples\":1,\"mean_score\":6}]}");
}

TEST(Anomaly, LabelWithoutSamples) {
  auto m = computeAnomalyMetrics({0.5, 1.5}, {0, 0}, /*withAuc=*/false);
  ASSERT_TRUE(bool(m)) << llvm::toString(m.takeError());
  EXPECT_EQ(m->auc, std::nullopt);
  EXPECT_EQ(m->labelMean(1), std::nullopt);
  EXPECT_EQ(printed(printAnomalyReport, *m),
            "mean anomaly score (MSE): 1.000000\n"
            "  label 0 (normal): 2 samples, mean score 1.000000\n"
            "  label 1 (anomalous): 0 samples, mean score -\n");
  EXPECT_EQ(jsonOf(writeAnomalyJson, *m),
            "{\"mean_score\":1,\"per_label\":["
            "{\"label\":0,\"samples\":2,\"mean_score\":1},"
            "{\"label\":1,\"samples\":0,\"mean_score\":null}]}");
}

TEST(Anomaly, Unlabelled) {
  auto m = computeAnomalyMetrics({0.25, 0.75}, {}, /*withAuc=*/false);
  ASSERT_TRUE(bool(m)) << llvm::toString(m.takeError());
  EXPECT_FALSE(m->hasLabels);
  EXPECT_EQ(printed(printAnomalyReport, *m),
            "mean anomaly score (MSE): 0.500000\n");
  EXPECT_EQ(jsonOf(writeAnomalyJson, *m), "{\"mean_score\":0.5}");
  // The AUC needs labels.
  EXPECT_EQ(
      messageOf(computeAnomalyMetrics({0.25, 0.75}, {}, true).takeError()),
      "0 labels for 2 scores");
}

} // namespace
