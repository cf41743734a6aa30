//===- CostModel.h - Per-layer MCU cost model -------------------*- C++ -*-===//
//
// What a layer costs on a Cortex-M core once lowered by the C++ emitter
// (lib/Target/Cpp) onto the runtime kernels (runtime/include/tinyprune/rt):
// the flash its constant arrays take, exactly as emitted, the MACs it
// executes, and the instructions per inference, estimated from linear
// models of each kernel's loop counts whose coefficients were fitted to
// instruction counts measured under QEMU (bench/cost_model_fit.py;
// docs/cost-model.md has the method and the accuracy).
//
//===----------------------------------------------------------------------===//

#ifndef TINYPRUNE_ANALYSIS_COSTMODEL_H
#define TINYPRUNE_ANALYSIS_COSTMODEL_H

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Tosa/IR/TosaOps.h"
#include "mlir/Support/LLVM.h"
#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringRef.h"

#include <cstdint>
#include <optional>
#include <vector>

namespace tinyprune {

enum class McuCore { CortexM0Plus, CortexM4, CortexM7 };

/// "cortex-m0plus" | "cortex-m4" | "cortex-m7" (also accept "m0plus", "m4",
/// "m7"); nullopt otherwise.
std::optional<McuCore> parseMcuCore(llvm::StringRef name);
llvm::StringRef mcuCoreName(McuCore core);

/// A convolution layer (incl. fully-connected, a 1x1 convolution) as the
/// lowering runs it.
struct ConvGeometry {
  int64_t batch = 1, inH = 0, inW = 0, channels = 0; // NHWC input
  int64_t outH = 0, outW = 0, filters = 0;           // output
  int64_t kernelH = 1, kernelW = 1;
  int64_t strideH = 1, strideW = 1, dilationH = 1, dilationW = 1;
  int64_t padTop = 0, padBottom = 0, padLeft = 0, padRight = 0;
  bool isFloat = false; // float32 model, else int8 (per-channel requant)
  /// int8 input zero point != 0 (affects kernel choice / bias folding as the
  /// emitter does: unpadded convolutions fold it into the bias).
  bool hasInputZeroPoint = false;
};

/// Geometry of a convolution layer op (tinyprune.conv2d,
/// tinyprune.depthwise_conv2d; also the bare TOSA convolution a layer op is
/// raised from, for passes that run before raising); failure if it is none
/// or its shapes are dynamic.
mlir::FailureOr<ConvGeometry> getConvGeometry(mlir::Operation *conv);

struct LayerCost {
  /// Weights + bias + requant constants + sparse index, as the emitter
  /// stores them.
  int64_t flashBytes = 0;
  /// Multiply-accumulates actually executed.
  int64_t macs = 0;
  /// Estimated instructions per inference on the core.
  double instructions = 0;

  LayerCost &operator+=(const LayerCost &o) {
    flashBytes += o.flashBytes;
    macs += o.macs;
    instructions += o.instructions;
    return *this;
  }
};

LayerCost denseConvCost(const ConvGeometry &g, McuCore core);

/// The same conv lowered to the sparse filterlet kernels (rt/sparse_conv.h)
/// with `block`-long filterlets (block == channels for kxk DTMM
/// filterlets), `keptFilterlets` kept in total over all filters, of which
/// `nonEmptyFilters` filters keep at least one. Linear in keptFilterlets so
/// callers can update it incrementally (for a fixed `nonEmptyFilters`).
/// `nonEmptyFilters` counts only on cores without the DSP extension, whose
/// kernel skips the per-output work of filters that keep nothing (the DSP
/// kernel runs every filter); passing all filters is an upper bound. The
/// flash is exactly linear apart from the uint16/uint32 index switch at
/// 65,535 kept filterlets.
LayerCost sparseConvCost(const ConvGeometry &g, int64_t block,
                         int64_t keptFilterlets, int64_t nonEmptyFilters,
                         McuCore core);

/// Flash of the tables a sparse layer stores besides its kept weights
/// (row pointers, index, per-id offset/tap tables, the SparseFilter
/// struct), the bias and the requantization constants: sparseConvCost's
/// flash is this plus `keptFilterlets * block` weights (x4 for float).
int64_t sparseConvFixedFlash(const ConvGeometry &g, int64_t block,
                             int64_t keptFilterlets);

/// The estimate of one kernel call of the emitter: a layer op, or another op
/// it lowers (reshapes and constants cost nothing).
struct OpCost {
  mlir::Operation *op;
  LayerCost cost;
};

/// Per-layer estimates of `func` on `core`, read from its layer ops (a
/// function still in the importer's TOSA form is estimated on a copy raised
/// by `--tinyprune-raise-to-layers`, and each estimate names the principal
/// op of its layer's chain in `func`, e.g. the `tosa.conv2d`): convolutions
/// keeping `filterlets` by sparseConvCost, other convolutions by
/// denseConvCost, then depthwise convolutions, pools, element-wise layers,
/// requantizations, softmax and data movement, each with the flash of the
/// constants the emitter stores for it.
std::vector<OpCost> estimateFunction(mlir::func::FuncOp func, McuCore core);

/// The sum of `costs`.
LayerCost totalCost(llvm::ArrayRef<OpCost> costs);

} // namespace tinyprune

#endif // TINYPRUNE_ANALYSIS_COSTMODEL_H
