//===- Recovery.cpp - Re-solving layers on calibration data ---------------===//
//
// Sampling sizes, mean patches and the per-channel re-solve of depthwise
// convolutions shared by the data-driven pruning passes (Recovery.h).
//
//===----------------------------------------------------------------------===//

#include "Recovery.h"

#include "tinyprune/Dialect/TinyPrune.h"
#include "tinyprune/Transforms/Pruning/QuantizedWeights.h"

#include <algorithm>

using namespace mlir;
using namespace tinyprune;
using namespace tinyprune::recovery;

int64_t recovery::patchesPerSample(const calib::PatchSource &src,
                                   size_t samples) {
  int64_t total = std::clamp<int64_t>(256 * (src.dims() + 1), 16384, 65536);
  return std::max<int64_t>(1, (total + samples - 1) / samples);
}

int64_t recovery::clippedPatchesPerSample(int64_t dims, int64_t filters,
                                          int64_t patchesPerSample,
                                          size_t samples) {
  constexpr int64_t kPatches = 8192;
  int64_t perSample = std::min<int64_t>(
      patchesPerSample, (kPatches + int64_t(samples) - 1) / int64_t(samples));
  double work = double(dims + 1) * double(dims + 1) * double(filters) *
                double(perSample) * double(samples);
  return work <= 3e10 ? perSample : 0;
}

std::vector<double> recovery::meanPatch(const recon::Moments &m) {
  int64_t size = m.size();
  const std::vector<double> &h = m.h();
  std::vector<double> mean(size - 1);
  double count = std::max<double>(1.0, double(m.count()));
  for (int64_t k = 0; k + 1 < size; ++k)
    mean[k] = h[(size - 1) * size + k] / count;
  return mean;
}

FailureOr<bool> recovery::resolveDepthwise(
    tosa::DepthwiseConv2DOp conv, const calib::CalibrationSet &set,
    func::FuncOp dense, IRMapping &denseMap, const SolveOptions &options,
    llvm::function_ref<void(const llvm::Twine &)> progress) {
  // Only the importer's form: constant weights KH x KW x C x 1 and one
  // constant bias per channel; anything else stays as it is.
  auto weightOp = conv.getWeight().getDefiningOp<tosa::ConstOp>();
  auto biasOp = conv.getBias().getDefiningOp<tosa::ConstOp>();
  auto wType = dyn_cast<RankedTensorType>(conv.getWeight().getType());
  if (!weightOp || !biasOp || !wType || !wType.hasStaticShape() ||
      wType.getDimSize(3) != 1)
    return false;
  int64_t channels = wType.getDimSize(2);
  int64_t size = wType.getDimSize(0) * wType.getDimSize(1);
  if (int64_t(cast<DenseElementsAttr>(biasOp.getValues()).getNumElements()) !=
      channels)
    return false;
  bool isFloat = isa<FloatType>(wType.getElementType());
  QuantAttr quant = getResultQuant(weightOp);
  std::vector<float> weightScale;
  if (!isFloat) {
    if (!quant || (quant.isPerChannel() && quant.getAxis() != 2))
      return false;
    for (int64_t c = 0; c < channels; ++c)
      weightScale.push_back(quant.getScaleAt(quant.isPerChannel() ? c : 0));
  }
  llvm::Expected<calib::PatchSource> src = calib::PatchSource::get(conv);
  if (!src) {
    llvm::consumeError(src.takeError());
    return false;
  }
  progress("re-solving a depthwise convolution");

  // Filter `c` is channel c: weight k of it at (ky, kx, c), k = ky*KW + kx.
  pruning::FilterStorage st;
  st.op = conv;
  st.weight = &conv.getWeightMutable();
  st.bias = &conv.getBiasMutable();
  st.weightOp = weightOp;
  st.filters = channels;
  st.size = size;
  st.axis = 2;
  st.isFloat = isFloat;
  st.weightScale = weightScale;
  st.inScale = src->scale;
  st.index = [channels](int64_t o, int64_t k) { return k * channels + o; };
  FailureOr<std::vector<double>> real = pruning::readFilters(st);
  if (failed(real))
    return false;

  // One target per channel: the inputs of its filter.
  std::vector<calib::ProbeTarget> targets(channels);
  for (int64_t c = 0; c < channels; ++c) {
    calib::ProbeTarget &t = targets[c];
    t.input = conv.getInput();
    t.referenceInput = denseMap.lookup(conv.getInput());
    t.source = *src;
    t.source.channel = c;
    t.patchesPerSample = patchesPerSample(t.source, set.size());
  }
  recon::Clip clip = options.clipAware
                         ? pruning::activationClip(conv, channels, isFloat)
                         : recon::Clip();
  if (clip.clips())
    for (calib::ProbeTarget &t : targets)
      t.keepPerSample =
          clippedPatchesPerSample(size, 1, t.patchesPerSample, set.size());
  func::FuncOp func = conv->getParentOfType<func::FuncOp>();
  std::vector<recon::Moments> moments;
  std::vector<recon::PatchSample> kept;
  if (failed(calib::collectMoments(func, dense, targets, set, options.threads,
                                   moments, &kept)))
    return failure();

  std::vector<recon::FilterSolution> solutions(channels);
  std::vector<std::vector<double>> means(channels);
  calib::parallelFor(channels, options.threads, [&](int64_t c) {
    ArrayRef<double> w =
        ArrayRef<double>(*real).slice(c * (size + 1), size + 1);
    recon::LayerSolver solver(moments[c], {1, size}, options.damping);
    solutions[c] = solver.solve(w, std::vector<bool>(size, false));
    if (targets[c].keepPerSample > 0)
      solutions[c].weights = recon::refineClipped(
          kept[c], w, solutions[c].weights, std::vector<bool>(size, false),
          clip, options.damping, options.clipIterations);
    means[c] = meanPatch(moments[c]);
  });
  pruning::writeFilters(st, solutions, means);
  return true;
}
