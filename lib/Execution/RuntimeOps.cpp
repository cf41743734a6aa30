//===- RuntimeOps.cpp - Executing the runtime-kernel tinyprune ops --------===//
//
// The interpreter's execution of the tinyprune ops that stand for TFLite
// arithmetic TOSA cannot express exactly (softmax, logistic, tanh, hard
// swish, int8 average pool, mean, quantize and the int8 LSTM): each calls
// the runtime's TFLite-exact kernel (runtime/include/tinyprune/rt), the
// same code the generated C++ calls, on int8 (or float) copies of the
// interpreter's widened tensors.
//
//===----------------------------------------------------------------------===//

#include "Kernels.h"

#include "tinyprune/Dialect/LstmQuant.h"
#include "tinyprune/Dialect/TinyPrune.h"
#include "tinyprune/rt/activations.h"
#include "tinyprune/rt/pooling.h"
#include "tinyprune/rt/quantize.h"
#include "tinyprune/rt/reduce.h"
#include "tinyprune/rt/softmax.h"

#include "llvm/ADT/TypeSwitch.h"

#include <type_traits>
#include <vector>

using namespace mlir;
using namespace tinyprune;
using namespace tinyprune::exec;

/// Runs `kernel` on int8 copies of `in` and writes the result to `out`.
template <typename Fn>
static void int8Kernel(const Tensor &in, Tensor &out, Fn kernel) {
  std::vector<int8_t> a(in.i.begin(), in.i.end());
  std::vector<int8_t> r(out.numElements());
  kernel(a.data(), r.data());
  out.i.assign(r.begin(), r.end());
}

LogicalResult exec::executeRuntimeOp(Operation *op,
                                     ArrayRef<const Tensor *> operands,
                                     Tensor &out) {
  const Tensor &in = *operands[0];
  int32_t size = static_cast<int32_t>(in.numElements());
  bool i8 = !in.isFloat() && in.elementType.isInteger(8);
  return llvm::TypeSwitch<Operation *, LogicalResult>(op)
      .Case([&](SoftmaxOp s) -> LogicalResult {
        int32_t depth = static_cast<int32_t>(in.shape.back());
        int32_t rows = size / depth;
        float beta = s.getBeta().convertToFloat();
        if (in.isFloat()) {
          rt::softmaxFloat(beta, rows, depth, in.f.data(), out.f.data());
          return success();
        }
        if (!i8)
          return s.emitOpError() << "interpreter supports int8 softmax";
        rt::SoftmaxInt8Params p =
            rt::prepareSoftmaxInt8(s.getInputQuantAttr().getScale()[0], beta);
        int8Kernel(in, out, [&](const int8_t *a, int8_t *r) {
          rt::softmaxInt8(p, rows, depth, a, r);
        });
        return success();
      })
      .Case([&](LogisticOp l) -> LogicalResult {
        if (!i8)
          return l.emitOpError() << "interpreter supports int8 logistic";
        QuantAttr q = l.getInputQuantAttr();
        rt::LogisticInt8Params p = rt::prepareLogisticInt8(
            q.getScale()[0], static_cast<int32_t>(q.getZeroPoint()[0]));
        int8Kernel(in, out, [&](const int8_t *a, int8_t *r) {
          rt::logisticInt8(p, size, a, r);
        });
        return success();
      })
      .Case([&](TanhOp t) -> LogicalResult {
        if (!i8)
          return t.emitOpError() << "interpreter supports int8 tanh";
        QuantAttr q = t.getInputQuantAttr();
        rt::TanhInt8Params p = rt::prepareTanhInt8(
            q.getScale()[0], static_cast<int32_t>(q.getZeroPoint()[0]));
        int8Kernel(in, out, [&](const int8_t *a, int8_t *r) {
          rt::tanhInt8(p, size, a, r);
        });
        return success();
      })
      .Case([&](HardSwishOp h) -> LogicalResult {
        if (in.isFloat()) {
          rt::hardSwishFloat(size, in.f.data(), out.f.data());
          return success();
        }
        if (!i8)
          return h.emitOpError() << "interpreter supports int8 hard swish";
        QuantAttr qi = h.getInputQuantAttr(), qo = h.getOutputQuantAttr();
        rt::HardSwishInt8Params p = rt::prepareHardSwishInt8(
            qi.getScale()[0], static_cast<int32_t>(qi.getZeroPoint()[0]),
            qo.getScale()[0], static_cast<int32_t>(qo.getZeroPoint()[0]));
        int8Kernel(in, out, [&](const int8_t *a, int8_t *r) {
          rt::hardSwishInt8(p, size, a, r);
        });
        return success();
      })
      .Case([&](AvgPool2dOp a) -> LogicalResult {
        if (!i8)
          return a.emitOpError() << "interpreter supports int8 pools";
        rt::PoolParams p{};
        p.strideH = static_cast<int32_t>(a.getStride()[0]);
        p.strideW = static_cast<int32_t>(a.getStride()[1]);
        p.filterH = static_cast<int32_t>(a.getKernel()[0]);
        p.filterW = static_cast<int32_t>(a.getKernel()[1]);
        p.padTop = static_cast<int32_t>(a.getPad()[0]);
        p.padLeft = static_cast<int32_t>(a.getPad()[2]);
        p.actMin = static_cast<int32_t>(a.getMinValAttr().getInt());
        p.actMax = static_cast<int32_t>(a.getMaxValAttr().getInt());
        bool ok = true;
        int8Kernel(in, out, [&](const int8_t *x, int8_t *r) {
          ok = rt::averagePoolInt8(p, static_cast<int32_t>(in.shape[0]),
                                   static_cast<int32_t>(in.shape[1]),
                                   static_cast<int32_t>(in.shape[2]),
                                   static_cast<int32_t>(in.shape[3]), x,
                                   static_cast<int32_t>(out.shape[1]),
                                   static_cast<int32_t>(out.shape[2]), r,
                                   static_cast<int32_t>(a.getInputOffset()));
        });
        if (!ok)
          return a.emitOpError() << "has a window that covers no input";
        return success();
      })
      .Case([&](LstmOp l) -> LogicalResult {
        // The weights and biases as the kernel's types; the state
        // starts from TFLite Micro's reset values inside the kernel.
        rt::LstmInt8Params p = rt::prepareLstmInt8(lstmQuant(l));
        std::vector<int8_t> weights[8];
        std::vector<int32_t> biases[4];
        rt::LstmInt8Weights w{};
        for (unsigned k = 0; k < 8; ++k) {
          const Tensor &t = *operands[1 + k];
          weights[k].assign(t.i.begin(), t.i.end());
          (k < 4 ? w.input[k] : w.recurrent[k - 4]) = weights[k].data();
        }
        for (unsigned k = 0; k < 4; ++k) {
          const Tensor &t = *operands[9 + k];
          biases[k].assign(t.i.begin(), t.i.end());
          w.bias[k] = biases[k].data();
        }
        std::vector<int16_t> scratch(
            (rt::lstmInt8ScratchBytes(p.batch, p.hidden, p.timeMajor) + 1) / 2);
        int8Kernel(in, out, [&](const int8_t *x, int8_t *y) {
          rt::lstmInt8(p, w, x, y, scratch.data());
        });
        return success();
      })
      .Case([&](MeanOp m) -> LogicalResult {
        SmallVector<int32_t> dims, axes;
        for (int64_t d : in.shape)
          dims.push_back(static_cast<int32_t>(d));
        for (int64_t a : m.getAxes())
          axes.push_back(static_cast<int32_t>(a));
        if (in.isFloat()) {
          if (!rt::meanFloat(dims.data(), static_cast<int32_t>(dims.size()),
                             axes.data(), static_cast<int32_t>(axes.size()),
                             in.f.data(), out.f.data()))
            return m.emitOpError() << "has invalid axes";
          return success();
        }
        if (!i8)
          return m.emitOpError() << "interpreter supports int8 mean";
        QuantAttr qi = m.getInputQuantAttr(), qo = m.getOutputQuantAttr();
        rt::MeanIntParams p = rt::prepareMeanInt(
            qi.getScale()[0], static_cast<int32_t>(qi.getZeroPoint()[0]),
            qo.getScale()[0], static_cast<int32_t>(qo.getZeroPoint()[0]));
        bool ok = true;
        int8Kernel(in, out, [&](const int8_t *x, int8_t *r) {
          ok = rt::meanInt8(p, dims.data(), static_cast<int32_t>(dims.size()),
                            axes.data(), static_cast<int32_t>(axes.size()), x,
                            r);
        });
        if (!ok)
          return m.emitOpError() << "has invalid axes";
        return success();
      })
      .Case([&](QuantizeOp q) -> LogicalResult {
        QuantAttr oq = q.getOutputQuant();
        bool i16 = out.elementType.isInteger(16);
        if (!i16 && !out.elementType.isInteger(8))
          return q.emitOpError() << "interpreter quantizes to int8 and "
                                    "int16";
        SmallVector<int32_t> zps, dims;
        for (int64_t zp : oq.getZeroPoint())
          zps.push_back(static_cast<int32_t>(zp));
        for (int64_t d : in.shape)
          dims.push_back(static_cast<int32_t>(d));
        ArrayRef<float> scales = oq.getScale();
        auto quantize = [&](auto *r) {
          using T = std::remove_pointer_t<decltype(r)>;
          if (!oq.isPerChannel()) {
            if constexpr (std::is_same_v<T, int8_t>)
              rt::quantizeInt8(scales[0], zps[0], size, in.f.data(), r);
            else
              rt::quantizeInt16(scales[0], zps[0], size, in.f.data(), r);
            return;
          }
          int32_t axis = static_cast<int32_t>(oq.getAxis());
          int32_t rank = static_cast<int32_t>(dims.size());
          if constexpr (std::is_same_v<T, int8_t>)
            rt::quantizeInt8PerChannel(scales.data(), zps.data(), dims.data(),
                                       rank, axis, in.f.data(), r);
          else
            rt::quantizeInt16PerChannel(scales.data(), zps.data(), dims.data(),
                                        rank, axis, in.f.data(), r);
        };
        if (i16) {
          std::vector<int16_t> r(size);
          quantize(r.data());
          out.i.assign(r.begin(), r.end());
        } else {
          std::vector<int8_t> r(size);
          quantize(r.data());
          out.i.assign(r.begin(), r.end());
        }
        return success();
      })
      .Default([&](Operation *o) -> LogicalResult {
        return o->emitOpError() << "is not supported by the interpreter";
      });
}
