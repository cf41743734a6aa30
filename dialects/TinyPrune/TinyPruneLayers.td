//===- TinyPruneLayers.td - tinyprune layer operations -----*- tablegen -*-===//
//
// Layer ops: one op per runtime kernel call. The importer writes each TFLite
// layer as a chain of TOSA ops (a convolution's int32 accumulator, the
// per-channel rescale to int8, the fused activation's clamp);
// `--tinyprune-raise-to-layers` folds each chain into one of these ops and
// `--tinyprune-lower-layers-to-tosa` expands it back. Every pass that reasons
// about layers (pruning, the cost model, calibration, training, the C++
// lowering) reads them, so what a layer is lives in one place.
//
// Conventions shared by all layer ops:
//  - Integer layers carry their tensors' quantization (`*_quant`, scale and
//    zero point as stored in the TFLite file) and their requantization
//    constants exactly as the importer computes them: `multiplier` (int32)
//    and `shift` (a right shift, 2..62) of TOSA's `rescale` with
//    `scale32 = true` and `rounding_mode = DOUBLE_ROUND`, i.e. TFLite's
//    `MultiplyByQuantizedMultiplier` with exponent `31 - shift`.
//  - Float layers carry neither.
//  - `min_val` / `max_val` are the fused activation's range in the output's
//    element type (integer attribute on integer layers, f32 on float ones):
//    the lowest and highest representable values when there is none.
//
//===----------------------------------------------------------------------===//

#ifndef TINYPRUNE_LAYERS_TD
#define TINYPRUNE_LAYERS_TD

include "TinyPruneBase.td"
include "TinyPruneAttrs.td"
include "mlir/Interfaces/SideEffectInterfaces.td"
include "mlir/IR/BuiltinAttributes.td"
include "mlir/IR/CommonAttrConstraints.td"

def TinyPrune_LayerTensor : RankedTensorOf<[I8, F32]>;
def TinyPrune_BiasTensor : RankedTensorOf<[I32, F32]>;

def TinyPrune_IntegerAttr
    : Attr<CPred<"::llvm::isa<::mlir::IntegerAttr>($_self)">,
           "integer attribute"> {
  let storageType = [{ ::mlir::IntegerAttr }];
  let returnType = [{ ::llvm::APInt }];
}
def TinyPrune_FloatAttr
    : Attr<CPred<"::llvm::isa<::mlir::FloatAttr>($_self)">,
           "float attribute"> {
  let storageType = [{ ::mlir::FloatAttr }];
  let returnType = [{ ::llvm::APFloat }];
}
/// A clamp bound in the element type of the layer's output.
def TinyPrune_ClampBoundAttr
    : AnyAttrOf<[TinyPrune_IntegerAttr, TinyPrune_FloatAttr]>;

class TinyPrune_LayerOp<string mnemonic, list<Trait> traits = []>
    : TinyPrune_Op<mnemonic, !listconcat([Pure], traits)>;

//===----------------------------------------------------------------------===//
// Convolutions
//===----------------------------------------------------------------------===//

class TinyPrune_ConvLayerOp<string mnemonic, string what,
                            dag extraArgs = (ins)>
    : TinyPrune_LayerOp<mnemonic> {
  let summary = what # " with bias, requantization and fused activation";
  let arguments = !con((ins
    TinyPrune_LayerTensor:$input,
    TinyPrune_LayerTensor:$weights,
    TinyPrune_BiasTensor:$bias,
    DenseI64ArrayAttr:$pad,
    DenseI64ArrayAttr:$stride,
    DenseI64ArrayAttr:$dilation,
    TinyPrune_ClampBoundAttr:$min_val,
    TinyPrune_ClampBoundAttr:$max_val,
    OptionalAttr<TinyPrune_QuantAttr>:$input_quant,
    OptionalAttr<TinyPrune_QuantAttr>:$weight_quant,
    OptionalAttr<TinyPrune_QuantAttr>:$output_quant,
    OptionalAttr<DenseI32ArrayAttr>:$multiplier,
    OptionalAttr<DenseI8ArrayAttr>:$shift), extraArgs);
  let results = (outs TinyPrune_LayerTensor:$output);
  let assemblyFormat = [{
    $input `,` $weights `,` $bias attr-dict `:`
    functional-type(operands, results)
  }];
  let hasVerifier = 1;
  code commonDeclarations = [{
    /// Whether this is an integer layer (int8 tensors, requantized).
    bool isQuantized() {
      return !::llvm::isa<::mlir::FloatType>(
          getInput().getType().getElementType());
    }
    /// Number of output channels.
    int64_t getNumOutputChannels() {
      return getOutput().getType().getDimSize(3);
    }
  }];
}

def TinyPrune_Conv2DOp
    : TinyPrune_ConvLayerOp<"conv2d", "NHWC 2-D convolution",
        (ins OptionalAttr<TinyPrune_FilterletsAttr>:$filterlets)> {
  let description = [{
    `output[n, y, x, o] = act(requant(bias[o] + sum over ky, kx, i of
    (input[n, y*sy + ky*dy - pad_top, x*sx + kx*dx - pad_left, i] - in_zp)
    * weights[o, ky, kx, i]))`, where positions in the padding contribute
    nothing. Weights are OHWI and, on int8 layers, symmetric per output
    channel (`weight_quant` along axis 0, zero points 0); the bias is int32
    at scale `input_scale * weight_scale[o]`. `requant` applies
    `multiplier[o]`, `shift[o]` (one pair for the whole layer, or one per
    output channel) and adds the output zero point; `act` clamps to
    `[min_val, max_val]`. A fully-connected layer is a 1x1 convolution over
    a `[rows, 1, 1, depth]` view of its input.

    `pad` is `[top, bottom, left, right]`, `stride` and `dilation` are
    `[y, x]`. `filterlets`, when present, lists the weight filterlets the
    layer keeps (see `#tinyprune.filterlets`); pruned ones are zero in
    `weights`.

    ```mlir
    %y = tinyprune.conv2d %x, %w, %b {
        pad = array<i64: 1, 1, 1, 1>, stride = array<i64: 1, 1>,
        dilation = array<i64: 1, 1>, min_val = -128 : i8, max_val = 127 : i8,
        input_quant = #tinyprune.quant<scale = 0.5, zero_point = -1>,
        weight_quant = #tinyprune.quant<axis = 0, scale = [0.01, 0.02], zero_point = [0, 0]>,
        output_quant = #tinyprune.quant<scale = 0.25, zero_point = 3>,
        multiplier = array<i32: 1073741824, 1073741824>,
        shift = array<i8: 38, 37>}
      : (tensor<1x8x8x4xi8>, tensor<2x3x3x4xi8>, tensor<2xi32>)
        -> tensor<1x8x8x2xi8>
    ```
  }];
  let extraClassDeclaration = commonDeclarations;
}

def TinyPrune_DepthwiseConv2DOp
    : TinyPrune_ConvLayerOp<"depthwise_conv2d",
                            "NHWC 2-D depthwise convolution"> {
  let description = [{
    Like `tinyprune.conv2d`, but output channel `c * M + m` reads only input
    channel `c`: weights are `[KH, KW, C, M]` (TOSA's layout, M the depth
    multiplier) and, on int8 layers, quantized per output channel
    (`weight_quant` along axis 3 of the TFLite `[1, KH, KW, C*M]` tensor,
    one scale per output channel).
  }];
  let extraClassDeclaration = commonDeclarations;
}

//===----------------------------------------------------------------------===//
// Element-wise arithmetic
//===----------------------------------------------------------------------===//

class TinyPrune_AddSubLayerOp<string mnemonic, string what>
    : TinyPrune_LayerOp<mnemonic, [ResultsBroadcastableShape]> {
  let summary = "Element-wise " # what # " with TFLite's int8 arithmetic";
  let description = [{
    Broadcasting element-wise }] # what # [{. On int8, TFLite's reference
    arithmetic: each side's `(q - zp) << left_shift` (20 in TFLite) is
    rescaled by its own `lhs_/rhs_multiplier`, `lhs_/rhs_shift`, the two are
    combined in int32, rescaled by `output_multiplier`, `output_shift`,
    offset by the output zero point and clamped to `[min_val, max_val]`.
    On float, `clamp(lhs }] # what # [{ rhs)`.
  }];
  let arguments = (ins
    TinyPrune_LayerTensor:$lhs,
    TinyPrune_LayerTensor:$rhs,
    TinyPrune_ClampBoundAttr:$min_val,
    TinyPrune_ClampBoundAttr:$max_val,
    OptionalAttr<TinyPrune_QuantAttr>:$lhs_quant,
    OptionalAttr<TinyPrune_QuantAttr>:$rhs_quant,
    OptionalAttr<TinyPrune_QuantAttr>:$output_quant,
    OptionalAttr<I64Attr>:$left_shift,
    OptionalAttr<I32Attr>:$lhs_multiplier,
    OptionalAttr<I8Attr>:$lhs_shift,
    OptionalAttr<I32Attr>:$rhs_multiplier,
    OptionalAttr<I8Attr>:$rhs_shift,
    OptionalAttr<I32Attr>:$output_multiplier,
    OptionalAttr<I8Attr>:$output_shift);
  let results = (outs TinyPrune_LayerTensor:$output);
  let assemblyFormat = [{
    $lhs `,` $rhs attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

def TinyPrune_AddOp : TinyPrune_AddSubLayerOp<"add", "+">;
def TinyPrune_SubOp : TinyPrune_AddSubLayerOp<"sub", "-">;

def TinyPrune_MulOp : TinyPrune_LayerOp<"mul", [ResultsBroadcastableShape]> {
  let summary = "Element-wise product with TFLite's int8 arithmetic";
  let description = [{
    Broadcasting element-wise product. On int8, TFLite's reference
    arithmetic: `(lhs - lhs_zp) * (rhs - rhs_zp)` in int32, rescaled by
    `output_multiplier`, `output_shift`, offset by the output zero point and
    clamped to `[min_val, max_val]`. On float, `clamp(lhs * rhs)`.
  }];
  let arguments = (ins
    TinyPrune_LayerTensor:$lhs,
    TinyPrune_LayerTensor:$rhs,
    TinyPrune_ClampBoundAttr:$min_val,
    TinyPrune_ClampBoundAttr:$max_val,
    OptionalAttr<TinyPrune_QuantAttr>:$lhs_quant,
    OptionalAttr<TinyPrune_QuantAttr>:$rhs_quant,
    OptionalAttr<TinyPrune_QuantAttr>:$output_quant,
    OptionalAttr<I32Attr>:$output_multiplier,
    OptionalAttr<I8Attr>:$output_shift);
  let results = (outs TinyPrune_LayerTensor:$output);
  let assemblyFormat = [{
    $lhs `,` $rhs attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Pooling and requantization
//===----------------------------------------------------------------------===//

def TinyPrune_MaxPool2dOp : TinyPrune_LayerOp<"max_pool2d"> {
  let summary = "NHWC max pool with fused activation";
  let description = [{
    The maximum under each window (positions in the padding are skipped),
    clamped to `[min_val, max_val]`. On int8, input and output share
    `quant` (TFLite requires it), so no requantization happens. `pad` is
    `[top, bottom, left, right]`, `kernel` and `stride` are `[y, x]`.
  }];
  let arguments = (ins
    TinyPrune_LayerTensor:$input,
    DenseI64ArrayAttr:$kernel,
    DenseI64ArrayAttr:$stride,
    DenseI64ArrayAttr:$pad,
    TinyPrune_ClampBoundAttr:$min_val,
    TinyPrune_ClampBoundAttr:$max_val,
    OptionalAttr<TinyPrune_QuantAttr>:$quant);
  let results = (outs TinyPrune_LayerTensor:$output);
  let assemblyFormat =
      "$input attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
}

def TinyPrune_RequantizeOp
    : TinyPrune_LayerOp<"requantize", [SameOperandsAndResultShape]> {
  let summary = "int8 to int8 requantization with fused activation";
  let description = [{
    `clamp(requant(q - in_zp) + out_zp, min_val, max_val)` element-wise,
    with one `multiplier`/`shift` pair for the tensor (TFLite's int8
    QUANTIZE between scales, or an activation that only clamps).
  }];
  let arguments = (ins
    RankedTensorOf<[I8]>:$input,
    TinyPrune_IntegerAttr:$min_val,
    TinyPrune_IntegerAttr:$max_val,
    TinyPrune_QuantAttr:$input_quant,
    TinyPrune_QuantAttr:$output_quant,
    I32Attr:$multiplier,
    I8Attr:$shift);
  let results = (outs RankedTensorOf<[I8]>:$output);
  let assemblyFormat =
      "$input attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
}

#endif // TINYPRUNE_LAYERS_TD
