//===- TinyPruneAttrs.td - tinyprune attributes ------------*- tablegen -*-===//

#ifndef TINYPRUNE_ATTRS_TD
#define TINYPRUNE_ATTRS_TD

include "TinyPruneBase.td"

def TinyPrune_QuantAttr : AttrDef<TinyPrune_Dialect, "Quant"> {
  let mnemonic = "quant";
  let summary = "Affine quantization parameters of a tensor";
  let description = [{
    `real = scale * (q - zero_point)`, exactly as stored in the TFLite file
    (float32 scales, integer zero points).

    Per-tensor:
    ```mlir
    #tinyprune.quant<scale = 0.0039215689, zero_point = -128>
    ```
    Per-channel along dimension `axis` (one scale and zero point per index of
    that dimension):
    ```mlir
    #tinyprune.quant<axis = 0, scale = [0.5, 0.25], zero_point = [0, 0]>
    ```
    Scales print with nine significant digits, which round-trips every
    float32 exactly.
  }];
  // Scales are held as a DenseF32ArrayAttr, which knows how to hash floats.
  let parameters = (ins
    "::mlir::DenseF32ArrayAttr":$scales,
    ArrayRefParameter<"int64_t", "zero points">:$zero_point,
    "int64_t":$axis);
  let builders = [
    AttrBuilder<(ins "::llvm::ArrayRef<float>":$scale,
                     "::llvm::ArrayRef<int64_t>":$zeroPoint,
                     "int64_t":$axis), [{
      return $_get($_ctxt, ::mlir::DenseF32ArrayAttr::get($_ctxt, scale),
                   zeroPoint, axis);
    }]>
  ];
  let hasCustomAssemblyFormat = 1;
  let genVerifyDecl = 1;
  let extraClassDeclaration = [{
    ::llvm::ArrayRef<float> getScale() const {
      return getScales().asArrayRef();
    }
    bool isPerChannel() const { return getScale().size() > 1; }
    /// Scale of channel `i` (per-tensor: the one scale).
    float getScaleAt(size_t i) const {
      return isPerChannel() ? getScale()[i] : getScale()[0];
    }
    int64_t getZeroPointAt(size_t i) const {
      return isPerChannel() ? getZeroPoint()[i] : getZeroPoint()[0];
    }
  }];
}

def TinyPrune_FilterletsAttr : AttrDef<TinyPrune_Dialect, "Filterlets"> {
  let mnemonic = "filterlets";
  let summary = "The filterlets a pruned convolution keeps";
  let description = [{
    Attached as `tinyprune.filterlets` to a `tosa.conv2d` whose weights
    `W[O, KH, KW, I]` (OHWI) were pruned in *filterlets* (DTMM): runs of
    `block` consecutive input channels of one output filter at one kernel
    position, `W[o, ky, kx, cb*block : (cb+1)*block]`. Filterlet ids number
    them `(ky * KW + kx) * (I / block) + cb`; with `block = I` (DTMM's choice
    for k x k convolutions) a filterlet is a whole channel vector and its id
    the kernel position.

    `kept` lists, per output filter, the ids it keeps, strictly increasing.
    Pruned filterlets are zero in the weight constant, so the op still
    computes exactly what the attribute describes; the C++ lowering reads the
    attribute to loop over kept filterlets only.

    ```mlir
    %y = tosa.conv2d %x, %w, %b, %xzp, %wzp {...,
        tinyprune.filterlets = #tinyprune.filterlets<block = 16,
                                                     kept = [[0, 4, 8], [], [1, 2]]>}
    ```
    Stored as CSR: `row_ptr` (O + 1 offsets) and `index` (the ids).

    Canonical form (`--canonicalize`): with constant weights, `kept` lists
    exactly the filterlets with a non-zero weight; an attribute that keeps
    every filterlet is dropped; a convolution that keeps none becomes the
    `tosa.const` of its bias, and a rescale or clamp of it folds too.
  }];
  let parameters = (ins
    "int64_t":$block,
    ArrayRefParameter<"int32_t", "filter offsets into index">:$row_ptr,
    ArrayRefParameter<"int32_t", "kept filterlet ids">:$index);
  let hasCustomAssemblyFormat = 1;
  let genVerifyDecl = 1;
  let extraClassDeclaration = [{
    int64_t getNumFilters() const { return getRowPtr().size() - 1; }
    /// The ids filter `o` keeps.
    ::llvm::ArrayRef<int32_t> getKept(int64_t o) const {
      return getIndex().slice(getRowPtr()[o],
                              getRowPtr()[o + 1] - getRowPtr()[o]);
    }
    /// Checks the attribute against a conv2d weight type `[O, KH, KW, I]`
    /// (and, when given, that the pruned filterlets of `weights` are zero).
    ::mlir::LogicalResult
    verifyFor(::mlir::RankedTensorType weightType,
              ::mlir::DenseElementsAttr weights,
              ::llvm::function_ref<::mlir::InFlightDiagnostic()> emitError)
        const;
  }];
}

#endif // TINYPRUNE_ATTRS_TD
