//===- Calibration.cpp - Layer inputs on calibration data -----------------===//

#include "Calibration.h"

#include "tinyprune/Data/Dataset.h"
#include "tinyprune/Dialect/LayerView.h"
#include "tinyprune/Execution/ModelInput.h"
#include "tinyprune/Execution/Probe.h"

#include "mlir/IR/Matchers.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/Support/FormatVariadic.h"

#include <algorithm>
#include <atomic>
#include <cstring>
#include <thread>

using namespace mlir;
using namespace tinyprune;
using namespace tinyprune::calib;

namespace {
llvm::Error fail(const llvm::Twine &message) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), message);
}
} // namespace

//===----------------------------------------------------------------------===//
// CalibrationSet
//===----------------------------------------------------------------------===//

llvm::Expected<CalibrationSet> CalibrationSet::load(func::FuncOp func,
                                                    StringRef path,
                                                    int64_t limit,
                                                    double scale) {
  llvm::Expected<data::InputSpec> spec = getInputSpec(func);
  if (!spec)
    return spec.takeError();
  data::DatasetOptions options;
  options.dataPath = path.str();
  options.dataScale = scale;
  auto opened = data::openDataset(options, *spec);
  if (!opened)
    return opened.takeError();
  const data::Dataset &set = **opened;
  if (set.size() == 0)
    return fail(path + ": holds no samples");
  size_t n = limit > 0 ? std::min<size_t>(set.size(), limit) : set.size();
  CalibrationSet out;
  out.samples.resize(n);
  for (size_t i = 0; i < n; ++i) {
    out.samples[i].resize(spec->byteSize());
    if (llvm::Error e = set.read(i, out.samples[i]))
      return e;
  }
  out.description =
      llvm::formatv("{0}, {1} of {2} samples", set.describe(), n, set.size());
  return out;
}

//===----------------------------------------------------------------------===//
// PatchSource
//===----------------------------------------------------------------------===//

llvm::Expected<PatchSource> PatchSource::get(Operation *conv) {
  FailureOr<ConvLayerView> v = ConvLayerView::get(conv);
  if (failed(v))
    return fail("it is not a convolution with static NHWC shapes");
  if (v->batch != 1)
    return fail("its batch is not 1");
  PatchSource s;
  s.inH = v->inH;
  s.inW = v->inW;
  s.inC = v->channels;
  s.outH = v->outH;
  s.outW = v->outW;
  s.kH = v->kernelH;
  s.kW = v->kernelW;
  s.padTop = v->padTop;
  s.padLeft = v->padLeft;
  s.strideH = v->strideH;
  s.strideW = v->strideW;
  s.dilationH = v->dilationH;
  s.dilationW = v->dilationW;
  s.isFloat = v->isFloat;
  if (s.isFloat)
    return s;
  if (!cast<ShapedType>(v->input.getType()).getElementType().isInteger(8))
    return fail("its input is neither int8 nor float32");
  std::optional<float> scale = v->inputScale();
  if (!scale)
    return fail("its int8 input has no per-tensor scale");
  if (!v->inputZeroPoint)
    return fail("its int8 input zero point is not a constant");
  s.scale = *scale;
  s.zeroPoint = static_cast<int32_t>(*v->inputZeroPoint);
  return s;
}

llvm::Expected<PatchSource> PatchSource::get(tosa::Conv2DOp conv) {
  return get(conv.getOperation());
}

llvm::Expected<PatchSource> PatchSource::get(tosa::DepthwiseConv2DOp conv) {
  return get(conv.getOperation());
}

void PatchSource::extract(ArrayRef<uint8_t> x, ArrayRef<int64_t> positions,
                          float *out) const {
  const int64_t d = dims();
  // Real value of input element `i`.
  auto value = [&](int64_t i) -> float {
    if (isFloat) {
      float f;
      std::memcpy(&f, x.data() + 4 * i, 4);
      return f;
    }
    return scale * float(int32_t(int8_t(x[i])) - zeroPoint);
  };
  for (int64_t p : positions) {
    int64_t oy = p / outW, ox = p % outW;
    float *patch = out;
    for (int64_t ky = 0; ky < kH; ++ky) {
      int64_t iy = oy * strideH - padTop + ky * dilationH;
      for (int64_t kx = 0; kx < kW; ++kx) {
        int64_t ix = ox * strideW - padLeft + kx * dilationW;
        int64_t n = channel < 0 ? inC : 1;
        if (iy < 0 || iy >= inH || ix < 0 || ix >= inW) {
          std::fill(patch, patch + n, 0.0f);
        } else {
          int64_t base = (iy * inW + ix) * inC + std::max<int64_t>(channel, 0);
          for (int64_t c = 0; c < n; ++c)
            patch[c] = value(base + c);
        }
        patch += n;
      }
    }
    out += d;
  }
}

std::vector<int64_t> calib::samplePositions(int64_t total, int64_t cap,
                                            size_t sample) {
  std::vector<int64_t> positions;
  if (cap >= total) {
    positions.resize(total);
    for (int64_t i = 0; i < total; ++i)
      positions[i] = i;
    return positions;
  }
  // `cap` positions at a fractional stride, the start moving with the
  // sample so that the samples together cover the map.
  double stride = double(total) / double(cap);
  double start = std::fmod(double(sample) * 0.618033988749895, 1.0) * stride;
  for (int64_t i = 0; i < cap; ++i)
    positions.push_back(
        std::min<int64_t>(total - 1, int64_t(start + i * stride)));
  return positions;
}

//===----------------------------------------------------------------------===//
// collectMoments
//===----------------------------------------------------------------------===//

LogicalResult calib::collectMoments(func::FuncOp func, func::FuncOp reference,
                                    ArrayRef<ProbeTarget> targets,
                                    const CalibrationSet &set, unsigned threads,
                                    std::vector<recon::Moments> &moments,
                                    std::vector<recon::PatchSample> *kept) {
  // Each probed value once (targets may share an input): slot[i] is
  // target i's output of the probes.
  SmallVector<Value> inputs, refInputs;
  SmallVector<unsigned> slot;
  llvm::DenseMap<std::pair<Value, Value>, unsigned> slots;
  for (const ProbeTarget &t : targets) {
    auto [it, added] = slots.try_emplace(
        {t.input, reference ? t.referenceInput : Value()}, inputs.size());
    slot.push_back(it->second);
    if (!added)
      continue;
    inputs.push_back(t.input);
    if (reference)
      refInputs.push_back(t.referenceInput);
  }
  FailureOr<std::unique_ptr<ValueProbe>> probe =
      ValueProbe::create(func, inputs);
  if (failed(probe))
    return failure();
  std::unique_ptr<ValueProbe> refProbe;
  if (reference) {
    FailureOr<std::unique_ptr<ValueProbe>> p =
        ValueProbe::create(reference, refInputs);
    if (failed(p))
      return failure();
    refProbe = std::move(*p);
  }

  unsigned n = threads ? threads : std::thread::hardware_concurrency();
  n = std::max(1u, std::min<unsigned>(n, set.size()));
  // Thread t takes samples t, t + n, ...; its moments are merged in order.
  std::vector<std::vector<recon::Moments>> partial(n);
  std::vector<std::vector<recon::PatchSample>> partialKept(n);
  std::atomic<bool> failedRun{false};
  auto work = [&](unsigned t) {
    std::vector<recon::Moments> &mine = partial[t];
    std::vector<recon::PatchSample> &myKept = partialKept[t];
    for (const ProbeTarget &target : targets) {
      mine.emplace_back(target.source.dims(), bool(reference));
      myKept.emplace_back();
      myKept.back().dims = target.source.dims();
    }
    PreparedFunction::State state = (*probe)->newState();
    PreparedFunction::State refState;
    if (refProbe)
      refState = refProbe->newState();
    std::vector<float> x, xRef;
    for (size_t s = t; s < set.size() && !failedRun; s += n) {
      ArrayRef<uint8_t> sample = set.sample(s);
      if (failed((*probe)->run(state, {sample})) ||
          (refProbe && failed(refProbe->run(refState, {sample})))) {
        failedRun = true;
        return;
      }
      for (auto [i, target] : llvm::enumerate(targets)) {
        const PatchSource &src = target.source;
        std::vector<int64_t> positions =
            samplePositions(src.positions(), target.patchesPerSample, s);
        x.resize(positions.size() * src.dims());
        src.extract(state.output(slot[i]), positions, x.data());
        if (refProbe) {
          xRef.resize(x.size());
          src.extract(refState.output(slot[i]), positions, xRef.data());
        }
        mine[i].add(x, refProbe ? ArrayRef<float>(xRef) : ArrayRef<float>(),
                    positions.size());
        if (kept && target.keepPerSample > 0) {
          // Patches spread evenly over the sample's positions.
          size_t total = positions.size();
          size_t keep = std::min<size_t>(target.keepPerSample, total);
          size_t d = src.dims();
          recon::PatchSample &k = myKept[i];
          const std::vector<float> &r = refProbe ? xRef : x;
          for (size_t j = 0; j < keep; ++j) {
            size_t p = j * total / keep;
            k.x.insert(k.x.end(), x.begin() + p * d, x.begin() + (p + 1) * d);
            k.xRef.insert(k.xRef.end(), r.begin() + p * d,
                          r.begin() + (p + 1) * d);
          }
        }
      }
    }
  };
  parallelFor(n, n, [&](int64_t t) { work(unsigned(t)); });
  if (failedRun)
    return failure();
  moments = std::move(partial[0]);
  for (unsigned t = 1; t < n; ++t)
    for (size_t i = 0; i < targets.size(); ++i)
      moments[i].merge(partial[t][i]);
  if (kept) {
    // In sample order, whatever the thread count: every sample keeps the
    // same number of patches, and thread t took samples t, t + n, ...
    kept->assign(targets.size(), recon::PatchSample());
    for (auto [i, target] : llvm::enumerate(targets)) {
      recon::PatchSample &to = (*kept)[i];
      to.dims = target.source.dims();
      size_t chunk = std::min<int64_t>(target.keepPerSample,
                                       std::min(target.patchesPerSample,
                                                target.source.positions())) *
                     to.dims;
      for (size_t s = 0; s < set.size() && chunk > 0; ++s) {
        const recon::PatchSample &from = partialKept[s % n][i];
        size_t at = (s / n) * chunk;
        to.x.insert(to.x.end(), from.x.begin() + at,
                    from.x.begin() + at + chunk);
        to.xRef.insert(to.xRef.end(), from.xRef.begin() + at,
                       from.xRef.begin() + at + chunk);
      }
    }
  }
  return success();
}

FailureOr<std::vector<std::vector<double>>>
calib::runOutputs(func::FuncOp func, const CalibrationSet &set, size_t count,
                  unsigned threads) {
  auto ret = cast<func::ReturnOp>(func.getBody().front().getTerminator());
  SmallVector<Value> results(ret.getOperands());
  SmallVector<bool> isFloat, isUnsigned;
  for (Value v : results) {
    Type elt = getElementTypeOrSelf(v.getType());
    if (!elt.isF32() && !elt.isInteger(8))
      return func.emitError()
             << "calibration: model results must be f32 or 8-bit tensors, "
                "got "
             << v.getType();
    isFloat.push_back(elt.isF32());
    isUnsigned.push_back(elt.isUnsignedInteger());
  }
  FailureOr<std::unique_ptr<ValueProbe>> probe =
      ValueProbe::create(func, results);
  if (failed(probe))
    return failure();
  count = std::min(count, set.size());
  std::vector<std::vector<double>> outputs(count);
  std::atomic<bool> failedRun{false};
  unsigned n = threads ? threads : std::thread::hardware_concurrency();
  n = std::max(1u, std::min<unsigned>(n, std::max<size_t>(count, 1)));
  parallelFor(n, n, [&](int64_t t) {
    PreparedFunction::State state = (*probe)->newState();
    for (size_t s = t; s < count && !failedRun; s += n) {
      if (failed((*probe)->run(state, {set.sample(s)}))) {
        failedRun = true;
        return;
      }
      std::vector<double> &out = outputs[s];
      for (unsigned i = 0; i < results.size(); ++i) {
        ArrayRef<uint8_t> bytes = state.output(i);
        if (isFloat[i]) {
          for (size_t k = 0; k + 4 <= bytes.size(); k += 4) {
            float f;
            std::memcpy(&f, bytes.data() + k, 4);
            out.push_back(f);
          }
        } else {
          for (uint8_t b : bytes)
            out.push_back(isUnsigned[i] ? double(b) : double(int8_t(b)));
        }
      }
    }
  });
  if (failedRun)
    return failure();
  return outputs;
}

void calib::parallelFor(int64_t n, unsigned threads,
                        llvm::function_ref<void(int64_t)> body) {
  unsigned t = threads ? threads : std::thread::hardware_concurrency();
  t = std::max<unsigned>(1, std::min<int64_t>(t, n));
  std::atomic<int64_t> next{0};
  auto work = [&] {
    for (int64_t i = next++; i < n; i = next++)
      body(i);
  };
  std::vector<std::thread> pool;
  for (unsigned k = 1; k < t; ++k)
    pool.emplace_back(work);
  work();
  for (std::thread &th : pool)
    th.join();
}
