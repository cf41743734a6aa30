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

#endif // TINYPRUNE_ATTRS_TD
