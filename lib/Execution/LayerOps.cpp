//===- LayerOps.cpp - Executing tinyprune layer ops -----------------------===//
//
// The interpreter's execution of the layer ops (TinyPruneLayers.td). Each
// computes exactly what the TOSA chain it was raised from computes, step by
// step on every element: TOSA's convolution accumulation, apply_scale_32
// with DOUBLE_ROUND, saturation to each intermediate type, wrapping i32
// arithmetic and the clamp. So a raised module runs byte for byte like the
// imported one.
//
//===----------------------------------------------------------------------===//

#include "Kernels.h"

#include "tinyprune/Dialect/TinyPrune.h"

#include "mlir/IR/BuiltinAttributes.h"
#include "llvm/ADT/TypeSwitch.h"

#include <algorithm>

using namespace mlir;
using namespace tinyprune;
using namespace tinyprune::exec;

bool exec::isLayerOp(Operation *op) {
  return isa<Conv2DOp, DepthwiseConv2DOp, AddOp, SubOp, MulOp, MaxPool2dOp,
             RequantizeOp>(op);
}

namespace {
/// The clamp of a layer: `[lo, hi]` from its bound attributes.
struct Clamp {
  int64_t lo = 0, hi = 0;
  float loF = 0, hiF = 0;
  Clamp(Attribute minAttr, Attribute maxAttr) {
    if (auto f = dyn_cast<FloatAttr>(minAttr)) {
      loF = static_cast<float>(f.getValueAsDouble());
      hiF = static_cast<float>(cast<FloatAttr>(maxAttr).getValueAsDouble());
    } else {
      lo = cast<IntegerAttr>(minAttr).getInt();
      hi = cast<IntegerAttr>(maxAttr).getInt();
    }
  }
  /// As tosa.clamp computes it (NaN stays NaN).
  int64_t operator()(int64_t v) const { return std::min(std::max(v, lo), hi); }
  float operator()(float v) const { return std::min(std::max(v, loF), hiF); }
};
} // namespace

/// The zero point of a per-tensor quantization.
static int64_t zeroPoint(QuantAttr q) { return q.getZeroPoint()[0]; }

/// conv2d / depthwise_conv2d: TOSA's accumulation, on int8 the per-channel
/// rescale to the output type, then the clamp.
template <typename ConvOp>
static LogicalResult runConv(ConvOp op, bool depthwise,
                             ArrayRef<const Tensor *> x, Tensor &out,
                             ConvScratch &scratch) {
  const Tensor &in = *x[0], &w = *x[1], &bias = *x[2];
  Clamp clamp(op.getMinValAttr(), op.getMaxValAttr());
  if (in.isFloat()) {
    convolve(in, w, bias, 0, 0, op.getPad(), op.getStride(), op.getDilation(),
             depthwise, out, scratch);
    for (float &v : out.f)
      v = clamp(v);
    return success();
  }
  Tensor &acc = scratch.layerAcc;
  acc.shape = out.shape;
  acc.elementType = IntegerType::get(op.getContext(), 32);
  acc.i.resize(out.numElements());
  acc.f.clear();
  convolve(in, w, bias, zeroPoint(op.getInputQuantAttr()), 0, op.getPad(),
           op.getStride(), op.getDilation(), depthwise, acc, scratch);
  ArrayRef<int32_t> mult = *op.getMultiplier();
  ArrayRef<int8_t> shift = *op.getShift();
  int64_t outZp = zeroPoint(op.getOutputQuantAttr());
  int64_t channels = out.shape.back();
  unsigned bits = out.elementType.getIntOrFloatBitWidth();
  for (int64_t k = 0, e = out.numElements(); k < e; ++k) {
    size_t c = mult.size() == 1 ? 0 : k % channels;
    out.i[k] = clamp(rescaleValue(acc.i[k], 0, mult[c], shift[c], outZp, bits));
  }
  return success();
}

/// add / sub. int8: each side `(x - zp) << left_shift` and its rescale (both
/// saturated to i32), the wrapping i32 sum or difference, its rescale to
/// the output, the clamp. float: the sum or difference and the clamp.
template <typename AddSubOp>
static LogicalResult runAddSub(AddSubOp op, bool isSub, const Tensor &a,
                               const Tensor &b, Tensor &out) {
  Clamp clamp(op.getMinValAttr(), op.getMaxValAttr());
  if (out.isFloat()) {
    forEachBroadcast(
        a.shape, b.shape, out.shape, [&](int64_t k, int64_t ia, int64_t ib) {
          out.f[k] = clamp(isSub ? a.f[ia] - b.f[ib] : a.f[ia] + b.f[ib]);
        });
    return success();
  }
  int64_t up = 30 - static_cast<int64_t>(op.getLeftShiftAttr().getInt());
  int64_t zpA = zeroPoint(op.getLhsQuantAttr()),
          zpB = zeroPoint(op.getRhsQuantAttr()),
          outZp = zeroPoint(op.getOutputQuantAttr());
  int64_t mA = op.getLhsMultiplierAttr().getInt(),
          sA = op.getLhsShiftAttr().getInt();
  int64_t mB = op.getRhsMultiplierAttr().getInt(),
          sB = op.getRhsShiftAttr().getInt();
  int64_t mO = op.getOutputMultiplierAttr().getInt(),
          sO = op.getOutputShiftAttr().getInt();
  unsigned bits = out.elementType.getIntOrFloatBitWidth();
  auto side = [&](int64_t x, int64_t zp, int64_t m, int64_t s) {
    int64_t wide = rescaleValue(x, zp, int64_t(1) << 30, up, 0, 32);
    return rescaleValue(wide, 0, m, s, 0, 32);
  };
  forEachBroadcast(a.shape, b.shape, out.shape,
                   [&](int64_t k, int64_t ia, int64_t ib) {
                     int64_t xa = side(a.i[ia], zpA, mA, sA);
                     int64_t xb = side(b.i[ib], zpB, mB, sB);
                     int64_t r = wrapBits(isSub ? xa - xb : xa + xb, 32);
                     out.i[k] = clamp(rescaleValue(r, 0, mO, sO, outZp, bits));
                   });
  return success();
}

/// mul. int8: each side `x - zp` in i32, the wrapping i32 product, its
/// rescale to the output, the clamp. float: the product and the clamp.
static LogicalResult runMul(MulOp op, const Tensor &a, const Tensor &b,
                            Tensor &out) {
  Clamp clamp(op.getMinValAttr(), op.getMaxValAttr());
  if (out.isFloat()) {
    forEachBroadcast(a.shape, b.shape, out.shape,
                     [&](int64_t k, int64_t ia, int64_t ib) {
                       out.f[k] = clamp(a.f[ia] * b.f[ib]);
                     });
    return success();
  }
  int64_t zpA = zeroPoint(op.getLhsQuantAttr()),
          zpB = zeroPoint(op.getRhsQuantAttr()),
          outZp = zeroPoint(op.getOutputQuantAttr());
  int64_t mO = op.getOutputMultiplierAttr().getInt(),
          sO = op.getOutputShiftAttr().getInt();
  unsigned bits = out.elementType.getIntOrFloatBitWidth();
  constexpr int64_t one = int64_t(1) << 30;
  forEachBroadcast(a.shape, b.shape, out.shape,
                   [&](int64_t k, int64_t ia, int64_t ib) {
                     int64_t xa = rescaleValue(a.i[ia], zpA, one, 30, 0, 32);
                     int64_t xb = rescaleValue(b.i[ib], zpB, one, 30, 0, 32);
                     int64_t p = wrapBits(xa * xb, 32);
                     out.i[k] = clamp(rescaleValue(p, 0, mO, sO, outZp, bits));
                   });
  return success();
}

LogicalResult exec::executeLayerOp(Operation *op,
                                   ArrayRef<const Tensor *> operands,
                                   Tensor &out, ConvScratch &scratch) {
  return llvm::TypeSwitch<Operation *, LogicalResult>(op)
      .Case([&](Conv2DOp c) {
        return runConv(c, /*depthwise=*/false, operands, out, scratch);
      })
      .Case([&](DepthwiseConv2DOp c) {
        return runConv(c, /*depthwise=*/true, operands, out, scratch);
      })
      .Case([&](AddOp a) {
        return runAddSub(a, /*isSub=*/false, *operands[0], *operands[1], out);
      })
      .Case([&](SubOp s) {
        return runAddSub(s, /*isSub=*/true, *operands[0], *operands[1], out);
      })
      .Case([&](MulOp m) { return runMul(m, *operands[0], *operands[1], out); })
      .Case([&](MaxPool2dOp m) {
        pool(*operands[0], m.getKernel(), m.getStride(), m.getPad(),
             /*isMax=*/true, out);
        Clamp clamp(m.getMinValAttr(), m.getMaxValAttr());
        if (out.isFloat())
          for (float &v : out.f)
            v = clamp(v);
        else
          for (int64_t &v : out.i)
            v = clamp(v);
        return success();
      })
      .Case([&](RequantizeOp r) {
        const Tensor &in = *operands[0];
        Clamp clamp(r.getMinValAttr(), r.getMaxValAttr());
        int64_t inZp = zeroPoint(r.getInputQuant()),
                outZp = zeroPoint(r.getOutputQuant());
        int64_t m = r.getMultiplierAttr().getInt(),
                s = r.getShiftAttr().getInt();
        unsigned bits = out.elementType.getIntOrFloatBitWidth();
        for (int64_t k = 0, e = out.numElements(); k < e; ++k)
          out.i[k] = clamp(rescaleValue(in.i[k], inZp, m, s, outZp, bits));
        return success();
      })
      .Default([](Operation *o) -> LogicalResult {
        return o->emitOpError() << "is not a layer op the interpreter knows";
      });
}
