//===- PoolWindow.h - Shared verification of pooling windows ----*- C++ -*-===//
//
// Part of tinyprune.
//
//===----------------------------------------------------------------------===//
//
// The window checks that the pooling layer op (tinyprune.pool2d) and the
// int8 average pool (tinyprune.avg_pool2d) share: kernel, stride and pad
// arrays, and the output shape they give.
//
//===----------------------------------------------------------------------===//

#ifndef TINYPRUNE_DIALECT_IR_POOLWINDOW_H
#define TINYPRUNE_DIALECT_IR_POOLWINDOW_H

#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Operation.h"
#include "llvm/ADT/STLExtras.h"

namespace tinyprune {

/// Output size of one spatial dimension of a window of `span` elements.
inline int64_t windowedSize(int64_t in, int64_t padBefore, int64_t padAfter,
                            int64_t span, int64_t stride) {
  return (in + padBefore + padAfter - span) / stride + 1;
}

/// Checks a 2-D pooling window (`kernel` [h, w], `stride` [h, w], `pad`
/// [t, b, l, r]) over rank-4 NHWC `in` and `out`: the output has the
/// windowed spatial size and the input's batch and channels.
inline mlir::LogicalResult
verifyPoolWindow(mlir::Operation *op, mlir::RankedTensorType in,
                 mlir::RankedTensorType out, llvm::ArrayRef<int64_t> k,
                 llvm::ArrayRef<int64_t> s, llvm::ArrayRef<int64_t> p) {
  if (k.size() != 2 || s.size() != 2 || p.size() != 4)
    return op->emitOpError()
           << "needs 2 kernel sizes, 2 strides and 4 pads [t, b, l, r]";
  if (k[0] < 1 || k[1] < 1 || s[0] < 1 || s[1] < 1 ||
      llvm::any_of(p, [](int64_t v) { return v < 0; }))
    return op->emitOpError()
           << "kernel sizes and strides must be >= 1, pads >= 0";
  if (p[0] >= k[0] || p[1] >= k[0] || p[2] >= k[1] || p[3] >= k[1])
    return op->emitOpError() << "a pad as large as the kernel leaves windows "
                                "with nothing to pool";
  int64_t oh = windowedSize(in.getDimSize(1), p[0], p[1], k[0], s[0]);
  int64_t ow = windowedSize(in.getDimSize(2), p[2], p[3], k[1], s[1]);
  if (out.getDimSize(0) != in.getDimSize(0) || out.getDimSize(1) != oh ||
      out.getDimSize(2) != ow || out.getDimSize(3) != in.getDimSize(3))
    return op->emitOpError()
           << "output shape must be [" << in.getDimSize(0) << ", " << oh << ", "
           << ow << ", " << in.getDimSize(3) << "]";
  return mlir::success();
}

} // namespace tinyprune

#endif // TINYPRUNE_DIALECT_IR_POOLWINDOW_H
