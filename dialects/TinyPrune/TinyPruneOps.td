//===- TinyPruneOps.td - tinyprune operations --------------*- tablegen -*-===//
//
// Operators whose TFLite int8 arithmetic TOSA cannot express bit for bit.
// Every op here is pure and statically shaped. On integer tensors the
// quantization of input and output is part of the op's meaning and therefore
// required; on float tensors it must be absent.
//
//===----------------------------------------------------------------------===//

#ifndef TINYPRUNE_OPS_TD
#define TINYPRUNE_OPS_TD

include "TinyPruneBase.td"
include "TinyPruneAttrs.td"
include "mlir/Interfaces/SideEffectInterfaces.td"
include "mlir/IR/BuiltinAttributes.td"
include "TinyPruneLayers.td"

def TinyPrune_Tensor : RankedTensorOf<[I8, I16, F32]>;
def TinyPrune_IntTensor : RankedTensorOf<[I8, I16]>;

class TinyPrune_ActivationOp<string mnemonic, string what>
    : TinyPrune_Op<mnemonic, [Pure, SameOperandsAndResultShape]> {
  let summary = what # " with TFLite's exact arithmetic";
  let arguments = (ins TinyPrune_Tensor:$input,
                   OptionalAttr<TinyPrune_QuantAttr>:$input_quant,
                   OptionalAttr<TinyPrune_QuantAttr>:$output_quant);
  let results = (outs TinyPrune_Tensor:$output);
  let assemblyFormat =
      "$input attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
}

def TinyPrune_LogisticOp : TinyPrune_ActivationOp<"logistic", "Sigmoid"> {
  let description = [{
    `1 / (1 + exp(-x))` elementwise. On int8/int16 the result is TFLite's
    reference fixed-point algorithm (gemmlowp `logistic` on a Q4.27 input),
    which TFLite requires to produce scale 1/256 (int8) or 1/32768 (int16).

    ```mlir
    %y = tinyprune.logistic %x {input_quant = #tinyprune.quant<scale = 0.1, zero_point = 3>,
                                output_quant = #tinyprune.quant<scale = 0.00390625, zero_point = -128>}
        : (tensor<1x8xi8>) -> tensor<1x8xi8>
    ```
  }];
}

def TinyPrune_TanhOp : TinyPrune_ActivationOp<"tanh", "Hyperbolic tangent"> {
  let description = [{
    `tanh(x)` elementwise. On int8/int16 the result is TFLite's reference
    fixed-point algorithm (gemmlowp `tanh` on a Q4.27 input); the output scale
    is 1/128 (int8) or 1/32768 (int16).
  }];
}

def TinyPrune_HardSwishOp : TinyPrune_ActivationOp<"hard_swish", "Hard swish"> {
  let description = [{
    `x * relu6(x + 3) / 6` elementwise. On int8 the result is TFLite's
    reference integer algorithm (input rescaled to a high-resolution int16
    representation, a saturating fixed-point "relu-ish" factor, rounding
    products), which no composition of TOSA ops reproduces exactly. On
    float32 it is TFLite's `x * min(6, max(0, x + 3)) / 6`, with a true
    division (TOSA has none; a multiplication by 1/6 rounds differently).
  }];
}

def TinyPrune_SoftmaxOp : TinyPrune_Op<"softmax",
    [Pure, SameOperandsAndResultShape]> {
  let summary = "Softmax over the innermost dimension";
  let description = [{
    `exp(beta * x_i) / sum_j exp(beta * x_j)` over the last dimension. On
    int8 this is TFLite's reference fixed-point softmax (input differences
    scaled by `beta * input_scale`, gemmlowp `exp_on_negative_values`, a
    fixed-point reciprocal of the sum); TFLite requires the int8 output to
    have scale 1/256 and zero point -128.

    ```mlir
    %y = tinyprune.softmax %x {beta = 1.0 : f32,
                               input_quant = #tinyprune.quant<scale = 0.125, zero_point = 2>,
                               output_quant = #tinyprune.quant<scale = 0.00390625, zero_point = -128>}
        : (tensor<1x10xi8>) -> tensor<1x10xi8>
    ```
  }];
  let arguments = (ins TinyPrune_Tensor:$input, F32Attr:$beta,
                   OptionalAttr<TinyPrune_QuantAttr>:$input_quant,
                   OptionalAttr<TinyPrune_QuantAttr>:$output_quant);
  let results = (outs TinyPrune_Tensor:$output);
  let assemblyFormat =
      "$input attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
}

def TinyPrune_AvgPool2dOp : TinyPrune_Op<"avg_pool2d", [Pure]> {
  let summary = "Integer NHWC average pool with TFLite rounding";
  let description = [{
    For each output position, the sum of the raw integer inputs under the
    window (positions in the padding are skipped, not counted), divided by
    the number of counted positions with rounding half away from zero, then
    clamped to `[min_val, max_val]` (the fused activation's range). TFLite
    requires input and output to share `quant`; the zero point is never
    subtracted. `pad` is `[top, bottom, left, right]`.

    `input_offset` is added to every input before summing and subtracted
    from the rounded average (before the clamp). The importer sets it to 128
    on uint8 models, whose body computes on `q - 128`: TFLite's uint8 kernel
    rounds the average of the (non-negative) raw uint8 values, and this is
    that rounding on the shifted values.

    TOSA's `avg_pool2d` differs: it subtracts the zero point and divides by
    a fixed-point reciprocal, so results differ by one in some positions.
  }];
  let arguments = (ins TinyPrune_IntTensor:$input,
                   DenseI64ArrayAttr:$kernel,
                   DenseI64ArrayAttr:$stride,
                   DenseI64ArrayAttr:$pad,
                   I64Attr:$min_val,
                   I64Attr:$max_val,
                   TinyPrune_QuantAttr:$quant,
                   DefaultValuedAttr<I64Attr, "0">:$input_offset);
  let results = (outs TinyPrune_IntTensor:$output);
  let assemblyFormat =
      "$input attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
}

def TinyPrune_MeanOp : TinyPrune_Op<"mean", [Pure]> {
  let summary = "Mean over axes with TFLite's arithmetic";
  let description = [{
    TFLite Micro's integer MEAN: with equal input and output quantization,
    the raw sum over `axes` divided by the element count, truncating toward
    zero; otherwise the sum of `(q - input_zp)` requantized with the
    multiplier `input_scale / (output_scale * n)` and offset by the output
    zero point. On float32 (no quantization), TFLite's reference MEAN: each
    output sums its elements in increasing input offset and divides by the
    count (a TOSA reduce_sum per axis and a multiplication by 1/n round
    differently). `axes` are sorted, unique and in range.
  }];
  let arguments = (ins TinyPrune_Tensor:$input,
                   DenseI64ArrayAttr:$axes,
                   BoolAttr:$keep_dims,
                   OptionalAttr<TinyPrune_QuantAttr>:$input_quant,
                   OptionalAttr<TinyPrune_QuantAttr>:$output_quant);
  let results = (outs TinyPrune_Tensor:$output);
  let assemblyFormat =
      "$input attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
}

def TinyPrune_QuantizeOp : TinyPrune_Op<"quantize",
    [Pure, SameOperandsAndResultShape]> {
  let summary = "float32 to integer affine quantization";
  let description = [{
    `clamp(round(x / scale) + zero_point)` with a true float32 division and
    rounding half away from zero, as TFLite's reference QUANTIZE does.
    (Multiplying by the reciprocal, the only thing TOSA offers, differs in
    the last bit for some inputs.) Per-channel output quantization quantizes
    along its `axis`.
  }];
  let arguments = (ins RankedTensorOf<[F32]>:$input,
                   TinyPrune_QuantAttr:$output_quant);
  let results = (outs TinyPrune_IntTensor:$output);
  let assemblyFormat =
      "$input attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
}

def TinyPrune_LstmOp : TinyPrune_Op<"lstm", [Pure]> {
  let summary = "TFLite Micro's int8 UNIDIRECTIONAL_SEQUENCE_LSTM";
  let description = [{
    A Keras-style LSTM (no peephole, projection, layer norm or CIFG) over a
    sequence, with TFLite Micro's integer arithmetic (rt/lstm.h): int8
    input, weights, hidden state and output, int32 biases, an int16 cell
    state with scale `cell_quant` (a power of two). Per step each gate sums
    two fully-connected layers (input and hidden state) requantized to
    Q3.12, applies TFLite's int16 sigmoid (input, forget, output gates) or
    tanh (cell gate), and the cell and hidden states are updated with
    requantized int16 products; the output at each step is the hidden
    state, so `output_quant` is the hidden state's quantization too. The
    multipliers are TFLite Micro's Prepare, computed from the scales held
    here (`weight_scales`: input-to-{input, forget, cell, output} then
    recurrent-to-{input, forget, cell, output}). `cell_clip` > 0 clips the
    cell state to +-cell_clip.

    The input is `[batch, time, input]` (`[time, batch, input]` when
    `time_major`); the weights are `[hidden, input]` and `[hidden, hidden]`,
    the biases `[hidden]`. The state starts at TFLite Micro's reset values
    (hidden = its zero point, cell = 0) on every evaluation, as on a fresh
    TFLite Micro interpreter or after ResetVariableTensors, which makes the
    op a pure function of its operands.
  }];
  let arguments = (ins RankedTensorOf<[I8]>:$input,
                   RankedTensorOf<[I8]>:$input_to_input_weights,
                   RankedTensorOf<[I8]>:$input_to_forget_weights,
                   RankedTensorOf<[I8]>:$input_to_cell_weights,
                   RankedTensorOf<[I8]>:$input_to_output_weights,
                   RankedTensorOf<[I8]>:$recurrent_to_input_weights,
                   RankedTensorOf<[I8]>:$recurrent_to_forget_weights,
                   RankedTensorOf<[I8]>:$recurrent_to_cell_weights,
                   RankedTensorOf<[I8]>:$recurrent_to_output_weights,
                   RankedTensorOf<[I32]>:$input_gate_bias,
                   RankedTensorOf<[I32]>:$forget_gate_bias,
                   RankedTensorOf<[I32]>:$cell_gate_bias,
                   RankedTensorOf<[I32]>:$output_gate_bias,
                   TinyPrune_QuantAttr:$input_quant,
                   TinyPrune_QuantAttr:$output_quant,
                   TinyPrune_QuantAttr:$cell_quant,
                   DenseF32ArrayAttr:$weight_scales,
                   F32Attr:$cell_clip,
                   BoolAttr:$time_major);
  let results = (outs RankedTensorOf<[I8]>:$output);
  let assemblyFormat =
      "operands attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
}

#endif // TINYPRUNE_OPS_TD
