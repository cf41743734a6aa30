//===- Network.h - A raised function as a LibTorch network ------*- C++ -*-===//
//
// Private to lib/Training (it includes <torch/torch.h>). A Network runs a
// function of layer ops (after `--tinyprune-raise-to-layers`) with LibTorch
// on a batch of inputs, differentiably: convolutions hold float master
// copies of their weights and biases (int8 layers: dequantized per output
// channel) and masks that keep pruned filterlets and removed (all-zero)
// filters at zero. int8 functions run quantization-aware: weights are
// fake-quantized per output channel (symmetric, [-127, 127]), biases at
// input x weight scale, every activation at the model's own scale, zero
// point and clamp, with straight-through gradients, so training sees the
// arithmetic the int8 kernels will run. Float functions run in float.
//
// Activations are NHWC tensors with the batch first; a convolution views
// them as NCHW, which in memory is LibTorch's channels-last format (the
// fast one for depthwise convolutions on the CPU).
//
//===----------------------------------------------------------------------===//

#ifndef TINYPRUNE_LIB_TRAINING_NETWORK_H
#define TINYPRUNE_LIB_TRAINING_NETWORK_H

#include "WriteBack.h"
#include "tinyprune/Dialect/TinyPrune.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/Support/Error.h"

#include <torch/torch.h>

#include <functional>
#include <memory>
#include <vector>

namespace tinyprune {
namespace training {

/// A convolution layer's trainable state.
struct ConvParams {
  mlir::Operation *op = nullptr;
  bool depthwise = false;
  bool quantized = false;
  /// Master weights in the IR's layout (OHWI; depthwise [KH, KW, C, M]),
  /// the bias [O], and the mask (like the weights: 1 kept, 0 pruned).
  torch::Tensor weight, bias, mask;
  /// Frozen layers get no gradient.
  bool frozen = false;
  /// int8: the input's and output's quantization, the clamp in output
  /// units, and the weight scales as found (kept for all-zero filters).
  double inScale = 1, outScale = 1;
  int64_t inZp = 0, outZp = 0;
  double lo = 0, hi = 0;
  torch::Tensor storedScales;
  /// int8: the requantization constants as found, one per filter; a
  /// frozen layer keeps them (and its scales), so that its forward is the
  /// IR's.
  std::vector<int64_t> storedMultiplier, storedShift;
  /// Geometry.
  std::vector<int64_t> stride, dilation, pad;
  int64_t outH = 0, outW = 0;
};

/// A function of layer ops, runnable and trainable with LibTorch.
class Network {
public:
  /// Builds the network of `func`; the error names the first op that
  /// cannot be trained. `dtype` is kFloat for training (kDouble in tests).
  static llvm::Expected<std::unique_ptr<Network>>
  build(mlir::func::FuncOp func, torch::Dtype dtype = torch::kFloat);

  /// The real-valued output for real-valued inputs [N, ...] (int8: the
  /// dequantized output, on the output's grid).
  torch::Tensor forward(const torch::Tensor &input);
  /// What training scores: forward's output, or for a function ending in
  /// a softmax (through reshapes), the softmax's input times its beta
  /// (the logits whose log-softmax is the log of the output).
  torch::Tensor logits(const torch::Tensor &input);
  /// Whether the function ends in a softmax (logits() differs from
  /// forward()).
  bool endsInSoftmax() const { return bool(finalSoftmax); }

  /// Raw inputs (as `runFunction` takes them) to real values [N, ...].
  torch::Tensor realInputs(const std::vector<std::vector<uint8_t>> &raw,
                           llvm::ArrayRef<int64_t> indices) const;
  /// Real outputs to the function's stored values (int8: rounded to the
  /// output's grid as int64; float: unchanged).
  torch::Tensor storedOutputs(const torch::Tensor &real) const;

  /// The trainable tensors (weights and biases of unfrozen layers).
  std::vector<torch::Tensor> parameters();
  /// Zeroes what the masks prune (after each optimizer step).
  void applyMasks();
  /// Copies of all master weights and biases, and their restore.
  std::vector<torch::Tensor> snapshot() const;
  void restore(const std::vector<torch::Tensor> &saved);

  std::vector<ConvParams> &convs() { return layers; }
  /// The masked master weights and biases in the IR's layout, for
  /// writeBack; frozen layers are left out when `skipFrozen`.
  std::vector<TrainedConv> trainedConvs(bool skipFrozen) const;
  /// When set, `forward` passes the real-valued output of every convolution
  /// and depthwise layer through it (the channel gates of Gates.cpp).
  std::function<torch::Tensor(mlir::Operation *, const torch::Tensor &)>
      outputHook;
  mlir::func::FuncOp function() const { return func; }
  torch::Dtype dtype() const { return type; }
  /// Elements per sample of the input and the output.
  int64_t inputSize() const;
  int64_t outputSize() const;

private:
  Network(mlir::func::FuncOp func, torch::Dtype dtype)
      : func(func), type(dtype) {}
  llvm::Error addConv(mlir::Operation *op);
  torch::Tensor runConv(const ConvParams &c, const torch::Tensor &x) const;
  torch::Tensor run(const torch::Tensor &input, bool logits);

  mlir::func::FuncOp func;
  torch::Dtype type;
  std::vector<ConvParams> layers;
  llvm::DenseMap<mlir::Operation *, size_t> layerOf;
  /// The input's and output's quantization (int8), else unset.
  bool inQuantized = false, outQuantized = false;
  double inScale = 1, outScale = 1;
  int64_t inZp = 0, outZp = 0;
  std::vector<int64_t> inShape, outShape;
  /// The softmax whose output is the function's, if any.
  SoftmaxOp finalSoftmax;
};

/// Rounds half away from zero (TFLite's rounding); the gradient passes
/// straight through.
torch::Tensor roundHalfAwaySTE(const torch::Tensor &x);

/// Fake quantization of an activation: `x` to the grid `(q - zp) * scale`
/// with `q` clamped to [lo, hi]; gradient straight through inside the
/// clamp, zero outside.
torch::Tensor fakeQuantize(const torch::Tensor &x, double scale, int64_t zp,
                           double lo, double hi);

/// Per-output-channel symmetric int8 weight scales of the filters `w2d`
/// ([O, K]): max |w| / 127 in float32, as the write-back computes them,
/// `fallback` ([O]) where a filter is all zero.
torch::Tensor weightScales(const torch::Tensor &w2d,
                           const torch::Tensor &fallback);

/// Distillation targets: the teacher's outputs of a batch ([batch, k])
/// softened by `temperature` T: softmax(t / T) of logits, p^(1/T)
/// renormalized (= softmax(log p / T)) of probabilities, whose zeros stay
/// zero.
torch::Tensor softTargets(const torch::Tensor &teacher, bool probabilities,
                          double temperature);

/// T^2 x the mean cross-entropy of `targets` (softTargets) against
/// softmax(logits / T): its gradient is (softmax(logits / T) - targets) x T
/// / batch, of the size of a label loss's whatever T.
torch::Tensor distillationLoss(const torch::Tensor &logits,
                               const torch::Tensor &targets,
                               double temperature);

} // namespace training
} // namespace tinyprune

#endif // TINYPRUNE_LIB_TRAINING_NETWORK_H
