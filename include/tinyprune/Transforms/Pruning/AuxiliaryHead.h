//===- AuxiliaryHead.h - The head that replaces a cut network ---*- C++ -*-===//
//
// The auxiliary network of depth pruning (De Leon & Atienza): after a cut
// point, `widths.size()` blocks of depthwise 3x3 (stride 1, same padding)
// -> ReLU -> pointwise 1x1 to the block's width -> ReLU, then a global
// average pool and a fully-connected layer to the classes. The paper's
// default is widths (32, 16); no blocks is its `dense` baseline (GAP ->
// fully-connected). The head is written as the importer writes the same
// layers (layer ops, `tinyprune.avg_pool2d` or `tosa.avg_pool2d`, reshapes
// around the fully-connected 1x1 convolution), so the interpreter, the
// training engine, the cost model and the C++ lowering all take it.
//
//===----------------------------------------------------------------------===//

#ifndef TINYPRUNE_TRANSFORMS_PRUNING_AUXILIARYHEAD_H
#define TINYPRUNE_TRANSFORMS_PRUNING_AUXILIARYHEAD_H

#include "tinyprune/Dialect/TinyPrune.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"
#include "llvm/Support/Error.h"

#include <cstdint>
#include <string>
#include <vector>

namespace tinyprune {
namespace pruning {

/// The head's shape: one depthwise-separable block per width.
struct HeadSpec {
  std::vector<int64_t> widths;
  /// "32,16", or "dense".
  std::string describe() const;
};

/// Parses the `head` option: empty (the paper's 32,16), "dense", or
/// comma-separated positive widths.
llvm::Expected<HeadSpec> parseHeadSpec(llvm::StringRef text);

/// One layer of a head in order (the blocks' depthwise and pointwise
/// layers, then the fully-connected one): real weights in the IR's layout
/// (depthwise [3, 3, C, 1], others OHWI) and bias.
struct HeadLayer {
  enum Kind { Depthwise, Pointwise, Dense } kind = Dense;
  int64_t in = 0, out = 0;
  std::vector<float> weights, bias;
};

/// A head's real-valued parameters.
struct HeadWeights {
  std::vector<HeadLayer> layers;
};

/// The layers of `spec` on `channels` input channels and `classes`
/// outputs, initialised He-uniform from `seed` (biases zero).
HeadWeights initHead(const HeadSpec &spec, int64_t channels, int64_t classes,
                     uint64_t seed);

/// int8 quantization of a head's activations: its input's, and one per
/// layer output (the global pool shares its input's, as TFLite requires).
struct HeadQuant {
  QuantAttr input;
  std::vector<QuantAttr> outputs;
};

/// Asymmetric per-tensor int8 quantization of the range [lo, hi], widened
/// to include 0 (as the fixtures' converter does).
QuantAttr rangeQuant(mlir::MLIRContext *ctx, double lo, double hi);

/// Builds the head at `b`'s insertion point on `features` ([1, H, W, C]):
/// float layers when `quant` is null, else int8 layers whose weights are
/// quantized like the importer's (symmetric per output channel, int32 bias
/// at input x weight scale, TFLite's QuantizeMultiplier). Returns the
/// logits [1, classes]; fails with a one-line reason when a requantization
/// scale leaves TOSA's shift range.
llvm::Expected<mlir::Value> buildHead(mlir::OpBuilder &b, mlir::Value features,
                                      const HeadWeights &weights,
                                      const HeadQuant *quant);

/// The real weights of the head built in `func` (its convolutions in
/// program order, int8 ones dequantized), in `like`'s layout.
llvm::Expected<HeadWeights> readHead(mlir::func::FuncOp func,
                                     const HeadWeights &like);

/// The layer outputs of a head built by buildHead in `func`, in the order
/// of HeadWeights::layers (for calibration).
std::vector<mlir::Value> headLayerOutputs(mlir::func::FuncOp func);

} // namespace pruning
} // namespace tinyprune

#endif // TINYPRUNE_TRANSFORMS_PRUNING_AUXILIARYHEAD_H
