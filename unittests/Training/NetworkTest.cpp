//===- NetworkTest.cpp - LibTorch execution of layer ops ------------------===//
//
// The training engine against its references, on the trained fixtures
// (test/models) imported and raised to layer ops:
//  - backward: every layer kind's gradients (conv2d, fully-connected,
//    depthwise, add, average pool, reshape, slice, clamps on the float
//    fixtures; max pool, sub and mul on a hand-made function) equal
//    central finite differences, in double precision;
//  - fake quantization: the int8 fixtures' quantization-aware forward pass
//    gives the interpreter's int8 outputs (TFLite's kernels, rt/) on random
//    inputs byte for byte (in double; float32 within a stated rate), whole
//    model and layer by layer;
//  - after fine-tuning and writing back, the engine and the interpreter
//    still agree (int8: byte-identical; float: 1e-5 relative);
//  - a final softmax (appended to a fixture): gradients, int8 forward,
//    and training on its logits with labels and by distillation.
// Fine-tuning on data needs the Fashion-MNIST training split
// (scripts/fetch-data.sh) and is skipped without it.
//
//===----------------------------------------------------------------------===//

#include "Network.h"

#include "tinyprune/Data/Dataset.h"
#include "tinyprune/Dialect/TinyPrune.h"
#include "tinyprune/Execution/Interpreter.h"
#include "tinyprune/Execution/ModelInput.h"
#include "tinyprune/Import/TFLiteImporter.h"
#include "tinyprune/Training/Finetune.h"
#include "tinyprune/Transforms/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Tosa/IR/TosaOps.h"
#include "mlir/IR/Verifier.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <functional>
#include <random>

using namespace mlir;
using namespace tinyprune;
using namespace tinyprune::training;

namespace {

/// A fixture model imported and raised to layer ops.
struct Model {
  std::unique_ptr<MLIRContext> context;
  OwningOpRef<ModuleOp> module;
  func::FuncOp func() { return *module->getOps<func::FuncOp>().begin(); }
};

Model load(const std::string &name) {
  Model m;
  DialectRegistry registry;
  registry.insert<TinyPruneDialect, func::FuncDialect, tosa::TosaDialect>();
  m.context = std::make_unique<MLIRContext>(registry);
  m.context->loadAllAvailableDialects();
  std::string path =
      std::string(TINYPRUNE_SOURCE_DIR) + "/test/models/" + name + ".tflite";
  auto file = llvm::MemoryBuffer::getFile(path);
  if (!file)
    return m;
  m.module = importTFLite((*file)->getBuffer(), path, m.context.get());
  if (!m.module)
    return m;
  PassManager pm(m.context.get());
  pm.addNestedPass<func::FuncOp>(createRaiseToLayers());
  if (failed(pm.run(*m.module)))
    m.module = nullptr;
  return m;
}

/// `count` random raw inputs for `func`'s input (int8, or float in [0, 1)).
std::vector<std::vector<uint8_t>> randomInputs(func::FuncOp func, size_t count,
                                               uint64_t seed) {
  auto type = cast<RankedTensorType>(func.getArgument(0).getType());
  int64_t bytes = rawByteSize(type);
  bool isFloat = type.getElementType().isF32();
  std::mt19937_64 rng(seed);
  std::vector<std::vector<uint8_t>> out(count);
  for (auto &sample : out) {
    sample.resize(bytes);
    if (isFloat) {
      std::uniform_real_distribution<float> d(0, 1);
      for (int64_t i = 0; i < bytes / 4; ++i) {
        float v = d(rng);
        std::memcpy(sample.data() + 4 * i, &v, 4);
      }
    } else {
      for (uint8_t &b : sample)
        b = uint8_t(rng());
    }
  }
  return out;
}

/// How the engine's outputs differ from the interpreter's on `inputs`:
/// the largest difference (int8: in steps; float: relative to the sample's
/// largest output magnitude, at least 1) and the share of outputs that
/// differ at all.
struct Agreement {
  double maxDiff = 0;
  double differRate = 0;
};

Agreement compare(func::FuncOp func,
                  const std::vector<std::vector<uint8_t>> &inputs,
                  torch::Dtype dtype = torch::kDouble) {
  auto built = Network::build(func, dtype);
  EXPECT_TRUE(bool(built)) << (built ? "" : llvm::toString(built.takeError()));
  if (!built)
    return {1e9, 1};
  Network &net = **built;
  torch::NoGradGuard guard;
  std::vector<int64_t> all(inputs.size());
  std::iota(all.begin(), all.end(), 0);
  torch::Tensor ours =
      net.storedOutputs(net.forward(net.realInputs(inputs, all)))
          .reshape({int64_t(inputs.size()), -1});
  auto type = cast<RankedTensorType>(func.getResultTypes()[0]);
  bool isFloat = type.getElementType().isF32();
  Agreement a;
  int64_t differ = 0, total = 0;
  for (size_t i = 0; i < inputs.size(); ++i) {
    llvm::ArrayRef<uint8_t> in = inputs[i];
    auto ref = runFunction(func, {in});
    EXPECT_TRUE(succeeded(ref));
    if (failed(ref))
      return {1e9, 1};
    const std::vector<uint8_t> &raw = (*ref)[0];
    int64_t n = ours.size(1);
    std::vector<double> want(n);
    double largest = 1;
    for (int64_t k = 0; k < n; ++k) {
      if (isFloat) {
        float f;
        std::memcpy(&f, raw.data() + 4 * k, 4);
        want[k] = f;
        largest = std::max(largest, std::fabs(want[k]));
      } else {
        want[k] = int8_t(raw[k]);
      }
    }
    for (int64_t k = 0; k < n; ++k) {
      double d = std::fabs(ours[i][k].item<double>() - want[k]);
      // Float: relative to the sample's largest output (at least 1).
      a.maxDiff = std::max(a.maxDiff, isFloat ? d / largest : d);
      differ += d != 0;
      ++total;
    }
  }
  a.differRate = double(differ) / double(total);
  return a;
}

/// Autograd against central differences on a few weights and biases of
/// every layer of `func` (a float function; `name` for messages).
void checkGradientsOf(func::FuncOp func, const std::string &name) {
  auto built = Network::build(func, torch::kDouble);
  ASSERT_TRUE(bool(built)) << llvm::toString(built.takeError());
  Network &net = **built;
  auto inputs = randomInputs(func, 2, 7);
  torch::Tensor x = net.realInputs(inputs, {0, 1});
  torch::manual_seed(3);
  torch::Tensor probe;
  auto loss = [&] {
    torch::Tensor out = net.forward(x);
    if (!probe.defined())
      probe = torch::randn(out.sizes(), out.options());
    return (out * probe).sum();
  };
  std::vector<torch::Tensor> params = net.parameters();
  loss().backward();
  std::mt19937_64 rng(11);
  const double eps = 1e-6;
  for (size_t p = 0; p < params.size(); ++p) {
    torch::Tensor flat = params[p].detach().view({-1});
    torch::Tensor grad = params[p].grad().view({-1});
    torch::Tensor mask = p % 2 == 0 ? net.convs()[p / 2].mask.view({-1})
                                    : torch::ones_like(flat);
    for (int trial = 0; trial < 3; ++trial) {
      int64_t k = int64_t(rng() % flat.numel());
      if (mask[k].item<double>() == 0)
        continue;
      torch::NoGradGuard guard;
      double old = flat[k].item<double>();
      flat[k] = old + eps;
      double up = loss().item<double>();
      flat[k] = old - eps;
      double down = loss().item<double>();
      flat[k] = old;
      double numeric = (up - down) / (2 * eps);
      double analytic = grad[k].item<double>();
      EXPECT_NEAR(analytic, numeric, 1e-5 * std::max(1.0, std::fabs(numeric)))
          << name << " layer " << p / 2 << (p % 2 ? " bias " : " weight ") << k
          << " (" << net.convs()[p / 2].op->getName().getStringRef().str()
          << ")";
    }
  }
}

/// The same on a float fixture.
void checkGradients(const std::string &name) {
  Model m = load(name);
  ASSERT_TRUE(m.module) << name;
  checkGradientsOf(m.func(), name);
}

/// Layer kinds the float fixtures lack, in a float function of layer ops:
/// a 3x3 convolution, a max pool with padding (kernel 3, stride 2, one row
/// and column of -inf padding at the end), two 1x1 convolutions of the
/// pooled map, their difference (sub), its product with the first of them
/// (mul), and a reshape. Every weight is drawn at random (seeded), so that
/// no two values under a pooling window tie.
TEST(NetworkBackward, MaxPoolSubAndMul) {
  DialectRegistry registry;
  registry.insert<TinyPruneDialect, func::FuncDialect, tosa::TosaDialect>();
  MLIRContext context(registry);
  context.loadAllAvailableDialects();
  std::mt19937_64 rng(17);
  std::uniform_real_distribution<double> d(-1, 1);
  // Random values of `shape`, nested as the parser wants them.
  std::function<std::string(llvm::ArrayRef<int64_t>)> values =
      [&](llvm::ArrayRef<int64_t> shape) {
        std::string out = "[";
        for (int64_t i = 0; i < shape[0]; ++i)
          out += (i ? ", " : "") + (shape.size() == 1
                                        ? std::to_string(d(rng))
                                        : values(shape.drop_front()));
        return out + "]";
      };
  const std::string inf = "max_val = 0x7F800000 : f32, "
                          "min_val = 0xFF800000 : f32";
  auto conv = [&](const std::string &out, const std::string &in,
                  const std::string &w, int64_t k, int64_t size, int64_t inC,
                  int64_t pad) {
    std::string p = std::to_string(pad);
    std::string ws = "4x" + std::to_string(k) + "x" + std::to_string(k) + "x" +
                     std::to_string(inC);
    std::string hw = std::to_string(size) + "x" + std::to_string(size);
    return "  %" + w + " = \"tosa.const\"() {values = dense<" +
           values({4, k, k, inC}) + "> : tensor<" + ws +
           "xf32>} : () -> tensor<" + ws + "xf32>\n" + "  %" + w +
           "b = \"tosa.const\"() {values = dense<" + values({4}) +
           "> : tensor<4xf32>} : () -> tensor<4xf32>\n" + "  %" + out +
           " = tinyprune.conv2d %" + in + ", %" + w + ", %" + w +
           "b {dilation = array<i64: 1, 1>, " + inf +
           ", pad = array<i64: " + p + ", " + p + ", " + p + ", " + p +
           ">, stride = array<i64: 1, 1>} : (tensor<1x" + hw + "x" +
           std::to_string(inC) + "xf32>, tensor<" + ws +
           "xf32>, tensor<4xf32>) -> tensor<1x" + hw + "x4xf32>\n";
  };
  std::string source =
      "func.func @main(%x: tensor<1x6x6x2xf32>) -> tensor<1x36xf32> {\n" +
      conv("a", "x", "w1", 3, 6, 2, 1) +
      "  %p = tinyprune.max_pool2d %a {kernel = array<i64: 3, 3>, stride = "
      "array<i64: 2, 2>, pad = array<i64: 0, 1, 0, 1>, " +
      inf + "} : (tensor<1x6x6x4xf32>) -> tensor<1x3x3x4xf32>\n" +
      conv("b", "p", "w2", 1, 3, 4, 0) + conv("c", "p", "w3", 1, 3, 4, 0) +
      "  %d = tinyprune.sub %b, %c {" + inf +
      "} : (tensor<1x3x3x4xf32>, tensor<1x3x3x4xf32>) -> "
      "tensor<1x3x3x4xf32>\n"
      "  %e = tinyprune.mul %d, %b {" +
      inf +
      "} : (tensor<1x3x3x4xf32>, tensor<1x3x3x4xf32>) -> "
      "tensor<1x3x3x4xf32>\n"
      "  %s = tosa.const_shape {values = dense<[1, 36]> : tensor<2xindex>} "
      ": () -> !tosa.shape<2>\n"
      "  %y = tosa.reshape %e, %s : (tensor<1x3x3x4xf32>, !tosa.shape<2>) "
      "-> tensor<1x36xf32>\n"
      "  return %y : tensor<1x36xf32>\n}\n";
  OwningOpRef<ModuleOp> module = parseSourceString<ModuleOp>(source, &context);
  ASSERT_TRUE(module) << source;
  ASSERT_TRUE(succeeded(verify(*module)));
  func::FuncOp func = *module->getOps<func::FuncOp>().begin();
  checkGradientsOf(func, "max_pool2d/sub/mul");
  // The engine's forward is the interpreter's there too.
  Agreement a = compare(func, randomInputs(func, 4, 19));
  EXPECT_LE(a.maxDiff, 1e-5);
}

TEST(NetworkBackward, DepthwiseAveragePoolAndFullyConnected) {
  checkGradients("fashion_dscnn_float");
}

TEST(NetworkBackward, ResidualAddsAndSlices) {
  checkGradients("fashion_resnet8_float");
}

TEST(NetworkBackward, MobileNetBlocks) {
  checkGradients("fashion_mobilenet_float");
}

/// Appends a softmax (beta 1) to `m`'s function, after its output: int8
/// at TFLite's output quantization (1/256, -128), its input the model's
/// output quantization.
void appendSoftmax(Model &m) {
  func::FuncOp func = m.func();
  auto ret = cast<func::ReturnOp>(func.getBody().front().getTerminator());
  Value logits = ret.getOperand(0);
  OpBuilder b(ret);
  QuantAttr inQ, outQ;
  if (!cast<RankedTensorType>(logits.getType()).getElementType().isF32()) {
    inQ = func.getResultAttrOfType<QuantAttr>(0, "tinyprune.quant");
    outQ = QuantAttr::get(m.context.get(), {1.0f / 256}, {-128}, -1);
    func.setResultAttr(0, "tinyprune.quant", outQ);
  }
  auto sm = SoftmaxOp::create(b, ret.getLoc(), logits.getType(), logits,
                              b.getF32FloatAttr(1.0f), inQ, outQ);
  ret->setOperand(0, sm.getResult());
}

/// A final softmax: its gradients against central differences (float),
/// its int8 forward the interpreter's byte for byte, the logits training
/// reads its input, and a softmax model fine-tunes (labels and
/// distillation from its own probabilities) with the softmax kept.
TEST(NetworkBackward, FinalSoftmax) {
  Model m = load("fashion_mobilenet_float");
  ASSERT_TRUE(m.module);
  appendSoftmax(m);
  ASSERT_TRUE(succeeded(verify(*m.module)));
  checkGradientsOf(m.func(), "softmax");
  auto built = Network::build(m.func(), torch::kDouble);
  ASSERT_TRUE(bool(built));
  ASSERT_TRUE((*built)->endsInSoftmax());
  auto inputs = randomInputs(m.func(), 4, 21);
  torch::NoGradGuard guard;
  torch::Tensor x = (*built)->realInputs(inputs, {0, 1, 2, 3});
  torch::Tensor logits = (*built)->logits(x).reshape({4, -1});
  torch::Tensor probs = (*built)->forward(x).reshape({4, -1});
  EXPECT_TRUE(torch::allclose(torch::softmax(logits, 1), probs));
  EXPECT_LE(compare(m.func(), inputs).maxDiff, 1e-5);
}

TEST(FakeQuantizationSoftmax, MatchesInterpreter) {
  Model m = load("fashion_mobilenet_int8");
  ASSERT_TRUE(m.module);
  appendSoftmax(m);
  ASSERT_TRUE(succeeded(verify(*m.module)));
  Agreement a = compare(m.func(), randomInputs(m.func(), 64, 23));
  EXPECT_EQ(a.maxDiff, 0);
}

/// The int8 fixtures: fake quantization against the int8 kernels.
class FakeQuantization : public ::testing::TestWithParam<const char *> {};

TEST_P(FakeQuantization, MatchesInterpreterOnRandomInputs) {
  Model m = load(GetParam());
  ASSERT_TRUE(m.module);
  auto inputs = randomInputs(m.func(), 64, 5);
  // In double, the int32 accumulators are exact and the requantization is
  // the kernels' own: byte-identical.
  Agreement exact = compare(m.func(), inputs, torch::kDouble);
  EXPECT_EQ(exact.maxDiff, 0) << GetParam();
  EXPECT_EQ(exact.differRate, 0) << GetParam();
  // In float32, as training runs, too: the accumulators of these models
  // stay within float32's exact integers (an accumulator beyond 2^24 could
  // be off by one before the requantization).
  Agreement fast = compare(m.func(), inputs, torch::kFloat);
  EXPECT_EQ(fast.maxDiff, 0) << GetParam();
}

TEST_P(FakeQuantization, FloatFixtureWithinTolerance) {
  std::string name = std::string(GetParam());
  name.replace(name.find("_int8"), 5, "_float");
  Model m = load(name);
  ASSERT_TRUE(m.module);
  auto built = Network::build(m.func(), torch::kFloat);
  ASSERT_TRUE(bool(built));
  auto inputs = randomInputs(m.func(), 8, 9);
  std::vector<int64_t> all(inputs.size());
  std::iota(all.begin(), all.end(), 0);
  torch::NoGradGuard guard;
  torch::Tensor out = (*built)
                          ->forward((*built)->realInputs(inputs, all))
                          .reshape({int64_t(inputs.size()), -1});
  for (size_t i = 0; i < inputs.size(); ++i) {
    llvm::ArrayRef<uint8_t> in = inputs[i];
    auto ref = runFunction(m.func(), {in});
    ASSERT_TRUE(succeeded(ref));
    const float *r = reinterpret_cast<const float *>((*ref)[0].data());
    double largest = 0, diff = 0;
    for (int64_t k = 0; k < out.size(1); ++k) {
      largest = std::max(largest, double(std::fabs(r[k])));
      diff = std::max(diff, std::fabs(out[i][k].item<double>() - r[k]));
    }
    EXPECT_LE(diff, 1e-5 * std::max(1.0, largest)) << name;
  }
}

/// Layer by layer: the function cut after each layer op in turn (its
/// result returned instead), so that the share of differing outputs shows
/// where the differences start and how they grow.
TEST_P(FakeQuantization, LayerByLayer) {
  Model m = load(GetParam());
  ASSERT_TRUE(m.module);
  func::FuncOp func = m.func();
  auto inputs = randomInputs(func, 16, 5);
  std::vector<Operation *> layerOps;
  for (Operation &op : func.getBody().front())
    if (op.getDialect() && op.getDialect()->getNamespace() == "tinyprune")
      layerOps.push_back(&op);
  auto ret = cast<func::ReturnOp>(func.getBody().front().getTerminator());
  Value original = ret.getOperand(0);
  auto originalType = func.getFunctionType();
  auto originalAttrs = func.getResultAttrDict(0);
  for (Operation *op : layerOps) {
    ret->setOperand(0, op->getResult(0));
    func.setType(FunctionType::get(m.context.get(), func.getArgumentTypes(),
                                   {op->getResult(0).getType()}));
    func.setResultAttr(0, "tinyprune.quant", getResultQuant(op));
    Agreement a = compare(func, inputs);
    EXPECT_EQ(a.maxDiff, 0)
        << GetParam() << " " << op->getName().getStringRef().str();
  }
  ret->setOperand(0, original);
  func.setType(originalType);
  func.setResultAttrs(0, originalAttrs);
}

INSTANTIATE_TEST_SUITE_P(Fixtures, FakeQuantization,
                         ::testing::Values("fashion_dscnn_int8",
                                           "fashion_mobilenet_int8",
                                           "fashion_resnet8_int8"));

/// The Fashion-MNIST training split, or empty.
std::string dataDir() {
  const char *env = std::getenv("TINYPRUNE_DATA");
  std::string root =
      env ? env : std::string(std::getenv("HOME")) + "/.cache/tinyprune-data";
  std::string dir = root + "/fashion-mnist";
  return llvm::sys::fs::exists(dir + "/train_x.npy") ? dir : "";
}

/// `count` samples of the Fashion-MNIST split `split` from `first` on, for
/// `func`'s input, with their labels.
training::FinetuneData readSplit(func::FuncOp func, const std::string &split,
                                 size_t first, size_t count) {
  training::FinetuneData data;
  llvm::Expected<data::InputSpec> spec = getInputSpec(func);
  EXPECT_TRUE(bool(spec));
  if (!spec)
    return data;
  data::DatasetOptions options;
  options.dataPath = dataDir() + "/" + split + "_x.npy";
  options.labelsPath = dataDir() + "/" + split + "_y.npy";
  auto set = data::openDataset(options, *spec);
  EXPECT_TRUE(bool(set));
  if (!set)
    return data;
  for (size_t i = first; i < first + count; ++i) {
    data.samples.emplace_back(spec->byteSize());
    EXPECT_FALSE(bool((*set)->read(i, data.samples.back())));
    data.labels.push_back((*set)->labels()[i]);
  }
  return data;
}

/// Fine-tunes `name` on 256 training samples for one epoch, writes the
/// weights back, and compares the engine with the interpreter on 128 test
/// samples.
void fineTuneThenCompare(const std::string &name) {
  if (dataDir().empty())
    GTEST_SKIP() << "no Fashion-MNIST data (scripts/fetch-data.sh)";
  Model m = load(name);
  ASSERT_TRUE(m.module);
  training::FinetuneData train = readSplit(m.func(), "train", 0, 256);
  training::FinetuneOptions options;
  options.epochs = 1;
  options.learningRate = 1e-4;
  options.validationSplit = 0; // always write the trained weights back
  options.threads = 1;
  options.progress = training::FinetuneOptions::Progress::Never;
  auto result = training::finetune(m.func(), train, options);
  ASSERT_TRUE(bool(result)) << llvm::toString(result.takeError());
  EXPECT_EQ(result->bestEpoch, 1);
  ASSERT_TRUE(succeeded(verify(*m.module)));
  training::FinetuneData test = readSplit(m.func(), "test", 0, 128);
  Agreement a = compare(m.func(), test.samples);
  if (name.find("_int8") != std::string::npos) {
    EXPECT_EQ(a.maxDiff, 0) << name; // byte-identical
  } else {
    EXPECT_LE(a.maxDiff, 1e-5) << name;
  }
}

TEST(AfterFineTuning, Int8EngineMatchesInterpreter) {
  fineTuneThenCompare("fashion_dscnn_int8");
}

TEST(AfterFineTuning, FloatEngineMatchesInterpreter) {
  fineTuneThenCompare("fashion_dscnn_float");
}

/// A model ending in a softmax trains on its logits, with labels, with
/// labels mixed with distillation, and by distillation from its own
/// (probability) outputs; the softmax stays and
/// the engine still matches the interpreter.
TEST(AfterFineTuning, SoftmaxModelTrains) {
  if (dataDir().empty())
    GTEST_SKIP() << "no Fashion-MNIST data (scripts/fetch-data.sh)";
  Model m = load("fashion_dscnn_int8");
  ASSERT_TRUE(m.module);
  appendSoftmax(m);
  training::FinetuneData train = readSplit(m.func(), "train", 0, 256);
  training::FinetuneOptions options;
  options.epochs = 1;
  options.learningRate = 1e-4;
  options.validationSplit = 0;
  options.threads = 1;
  options.progress = training::FinetuneOptions::Progress::Never;
  auto labelled = training::finetune(m.func(), train, options);
  ASSERT_TRUE(bool(labelled)) << llvm::toString(labelled.takeError());
  EXPECT_EQ(labelled->bestEpoch, 1);
  auto teacher =
      training::teacherOutputs(m.func(), train.samples, /*threads=*/1);
  ASSERT_TRUE(bool(teacher)) << llvm::toString(teacher.takeError());
  train.teacher = std::move(*teacher);
  // Labels and teacher mixed, softened at T = 2.
  training::FinetuneOptions mixed = options;
  mixed.distillWeight = 0.5;
  mixed.temperature = 2;
  auto both = training::finetune(m.func(), train, mixed);
  ASSERT_TRUE(bool(both)) << llvm::toString(both.takeError());
  EXPECT_EQ(both->bestEpoch, 1);
  train.labels.clear();
  mixed.distillWeight = 1.5;
  auto wrong = training::finetune(m.func(), train, mixed);
  ASSERT_FALSE(bool(wrong));
  EXPECT_NE(llvm::toString(wrong.takeError()).find("distill-weight in [0, 1]"),
            std::string::npos);
  auto distilled = training::finetune(m.func(), train, options);
  ASSERT_TRUE(bool(distilled)) << llvm::toString(distilled.takeError());
  // Distilled from itself: the loss starts at the targets' entropy, and the
  // first epoch may not lower it much, but it trains and writes back.
  EXPECT_EQ(distilled->bestEpoch, 1);
  ASSERT_TRUE(succeeded(verify(*m.module)));
  auto ret = cast<func::ReturnOp>(m.func().getBody().front().getTerminator());
  EXPECT_TRUE(ret.getOperand(0).getDefiningOp<SoftmaxOp>());
  Agreement a = compare(m.func(), readSplit(m.func(), "test", 0, 128).samples);
  EXPECT_EQ(a.maxDiff, 0);
}

/// Distillation targets softened by a temperature: probabilities p give
/// softmax(log p / T) (computed as p^(1/T) renormalized, so an int8
/// softmax's zeros stay zero), logits give softmax(t / T), T = 1 leaves
/// probabilities as they are.
TEST(Distillation, SoftTargets) {
  torch::Tensor p =
      torch::tensor({0.7, 0.2, 0.1, 0.0}, torch::kDouble).reshape({1, 4});
  torch::Tensor soft = softTargets(p, /*probabilities=*/true, 2.0);
  torch::Tensor head = p.slice(1, 0, 3).log().div(2.0).softmax(1);
  EXPECT_TRUE(torch::allclose(soft.slice(1, 0, 3), head));
  EXPECT_EQ(soft[0][3].item<double>(), 0.0);
  EXPECT_TRUE(torch::allclose(softTargets(p, true, 1.0), p));
  // Softening flattens: the top probability falls, the others rise.
  EXPECT_LT(soft[0][0].item<double>(), 0.7);
  EXPECT_GT(soft[0][2].item<double>(), 0.1);
  torch::Tensor t =
      torch::tensor({2.0, -1.0, 0.5}, torch::kDouble).reshape({1, 3});
  EXPECT_TRUE(torch::allclose(softTargets(t, /*probabilities=*/false, 3.0),
                              torch::softmax(t / 3.0, 1)));
}

/// The distillation loss: T^2 x cross-entropy of the soft targets against
/// softmax(z / T); its gradient is (softmax(z / T) - targets) x T / batch,
/// and it is smallest (zero gradient) where the softened outputs equal
/// the targets.
TEST(Distillation, LossAndGradient) {
  torch::Tensor z =
      torch::tensor({1.0, -0.5, 2.0, 0.3, 0.0, -1.0}, torch::kDouble)
          .reshape({2, 3})
          .requires_grad_(true);
  torch::Tensor targets =
      torch::tensor({0.2, 0.3, 0.5, 0.6, 0.3, 0.1}, torch::kDouble)
          .reshape({2, 3});
  for (double temperature : {1.0, 2.5}) {
    torch::Tensor loss = distillationLoss(z, targets, temperature);
    torch::Tensor expected =
        -(targets * torch::log_softmax(z / temperature, 1)).sum(1).mean() *
        temperature * temperature;
    EXPECT_NEAR(loss.item<double>(), expected.item<double>(), 1e-12);
    torch::Tensor grad = torch::autograd::grad({loss}, {z})[0];
    torch::Tensor analytic =
        (torch::softmax(z.detach() / temperature, 1) - targets) * temperature /
        2.0;
    EXPECT_TRUE(torch::allclose(grad, analytic, 1e-10, 1e-12));
  }
  torch::Tensor at = torch::tensor({0.4, -0.2, 1.1}, torch::kDouble)
                         .reshape({1, 3})
                         .requires_grad_(true);
  torch::Tensor own = softTargets(at.detach(), /*probabilities=*/false, 2.0);
  torch::Tensor grad =
      torch::autograd::grad({distillationLoss(at, own, 2.0)}, {at})[0];
  EXPECT_LT(grad.abs().max().item<double>(), 1e-12);
}

} // namespace
