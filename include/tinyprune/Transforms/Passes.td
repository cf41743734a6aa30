//===- Passes.td - tinyprune transformations ---------------*- tablegen -*-===//
//
// Passes that rewrite a model: the pruning methods.
//
//===----------------------------------------------------------------------===//

#ifndef TINYPRUNE_TRANSFORMS_PASSES_TD
#define TINYPRUNE_TRANSFORMS_PASSES_TD

include "mlir/Pass/PassBase.td"

//===----------------------------------------------------------------------===//
// Data-driven pruning passes
//===----------------------------------------------------------------------===//

// The options every data-driven pruning pass shares, handed to the pruning
// toolkit (include/tinyprune/Transforms/Pruning): the cost model's core,
// the resource budgets, the calibration data, the threads and the report.
defvar TinyPrune_DataDrivenPruningOptions = [
  Option<"target", "target", "::tinyprune::pruning::PruningTarget",
         /*default=*/"::tinyprune::pruning::PruningTarget::CortexM4",
         "Core of the cost model (docs/cost-model.md): cortex-m0plus, "
         "cortex-m4, cortex-m7, or none (no cost model: every eligible "
         "layer is pruned as asked)",
         [{::llvm::cl::values(
           clEnumValN(::tinyprune::pruning::PruningTarget::CortexM0Plus,
                      "cortex-m0plus", "Arm Cortex-M0+"),
           clEnumValN(::tinyprune::pruning::PruningTarget::CortexM4,
                      "cortex-m4", "Arm Cortex-M4F"),
           clEnumValN(::tinyprune::pruning::PruningTarget::CortexM7,
                      "cortex-m7", "Arm Cortex-M7"),
           clEnumValN(::tinyprune::pruning::PruningTarget::None, "none",
                      "no cost model"))}]>,
  Option<"flashBudget", "flash-budget", "std::string", /*default=*/"\"\"",
         "Instead of a ratio: prune until the model's constants take at "
         "most this many bytes (suffix K or M: KiB, MiB)">,
  Option<"latencyBudget", "latency-budget", "std::string",
         /*default=*/"\"\"",
         "Instead of a ratio: prune until an inference takes at most this "
         "many estimated instructions on the target (suffix k or M; end "
         "with 'macs' to count multiply-accumulates instead)">,
  Option<"calibration", "calibration", "std::string", /*default=*/"\"\"",
         "Calibration samples (.npy, or a folder of .bin files): choose "
         "by output error and re-solve the kept weights">,
  Option<"calibrationLimit", "calibration-limit", "int64_t",
         /*default=*/"512",
         "Use at most this many calibration samples (the first ones; 0: "
         "all)">,
  Option<"calibrationScale", "calibration-scale", "double",
         /*default=*/"1.0",
         "Multiply integer calibration data by this for a float model">,
  Option<"threads", "threads", "unsigned", /*default=*/"0",
         "Threads for calibration (0: all cores)">,
  Option<"report", "report", "std::string", /*default=*/"\"\"",
         "Write the per-layer table to this file ('-' is stdout)">,
];

// The fine-tuning options every data-driven pruning pass shares, handed
// to the pruning toolkit (Pruning/Finetuning.h): after pruning, train the
// pruned model on the calibration samples (docs/training.md). Names and
// meanings are those of --tinyprune-finetune; `epochs=0` (the default)
// does not train.
defvar TinyPrune_FinetuneOptions = [
  Option<"epochs", "epochs", "int64_t", /*default=*/"0",
         "After pruning, fine-tune for this many passes over the "
         "calibration samples (0: no fine-tuning; needs a build with "
         "LibTorch)">,
  Option<"labels", "labels", "std::string", /*default=*/"\"\"",
         "Fine-tuning: labels of the calibration samples (.npy or label "
         "CSV); without, distill from `teacher`, or from the model as it "
         "was before pruning">,
  Option<"teacher", "teacher", "std::string", /*default=*/"\"\"",
         "Fine-tuning without labels: the model whose outputs to learn "
         "(.tflite or .mlir; default: the model before this pass pruned "
         "it)">,
  Option<"finetuneLimit", "finetune-limit", "int64_t", /*default=*/"0",
         "Fine-tune on at most this many calibration samples (the first "
         "ones; 0: all of them, whatever calibration-limit says)">,
  Option<"learningRate", "learning-rate", "double", /*default=*/"1e-3",
         "Fine-tuning: Adam's initial learning rate (cosine schedule to "
         "zero)">,
  Option<"batchSize", "batch-size", "int64_t", /*default=*/"32",
         "Fine-tuning: samples per optimizer step">,
  Option<"validationSplit", "validation-split", "double",
         /*default=*/"0.1",
         "Fine-tuning: fraction of the samples held out to choose the best "
         "epoch">,
  Option<"seed", "seed", "uint64_t", /*default=*/"0",
         "Fine-tuning: seed of the split, the shuffles and LibTorch">,
  Option<"finetuneThreads", "finetune-threads", "unsigned",
         /*default=*/"1",
         "Fine-tuning: LibTorch threads (0: all cores; one by default, see "
         "--tinyprune-finetune's `threads`)">,
];

// A pruning pass on the whole module that takes the shared options after
// its own `passOptions`.
class TinyPrune_DataDrivenPruningPass<string passArg,
                                      list<Option> passOptions>
    : Pass<passArg, "mlir::ModuleOp"> {
  let options = !listconcat(passOptions, TinyPrune_DataDrivenPruningOptions,
                            TinyPrune_FinetuneOptions);
  let dependentDialects = ["mlir::tosa::TosaDialect",
                           "tinyprune::TinyPruneDialect"];
}

def FilterletPrune : TinyPrune_DataDrivenPruningPass<"filterlet-prune", [
    Option<"sparsity", "sparsity", "double", /*default=*/"0.5",
           "Fraction of the eligible weights to prune, in [0, 1)">,
    Option<"block", "block", "int64_t", /*default=*/"16",
           "Filterlet length in input channels for 1x1 convolutions and "
           "fully-connected layers">,
    Option<"pointwise", "pointwise", "bool", /*default=*/"true",
           "Also prune 1x1 convolutions and fully-connected layers">,
    Option<"minLayerSparsity", "min-layer-sparsity", "double",
           /*default=*/"0.0", "Least sparsity of every pruned layer">,
    Option<"maxLayerSparsity", "max-layer-sparsity", "double",
           /*default=*/"0.95", "Most sparsity of every pruned layer">,
    ListOption<"layerSparsity", "layer-sparsity", "std::string",
               "Fixed sparsity of chosen layers as INDEX=RATIO (indices as "
               "in the report)">,
    Option<"recover", "recover", "bool", /*default=*/"true",
           "With calibration: re-solve the kept weights by least squares">,
    Option<"correctAll", "correct-all", "bool", /*default=*/"true",
           "With recovery: also re-solve the eligible layers left dense, "
           "so that they absorb the error of the pruned layers before them">,
    Option<"correctDepthwise", "correct-depthwise", "bool", /*default=*/"true",
           "With recovery: also re-solve the depthwise convolutions after "
           "the first pruned layer (per channel, against the dense model)">,
    Option<"clipAware", "clip-aware", "::tinyprune::pruning::ClipAware",
           /*default=*/"::tinyprune::pruning::ClipAware::Depthwise",
           "With recovery: which re-solved layers fit their outputs after the "
           "activation that follows (ReLU, ReLU6, the int8 range) instead of "
           "before it: depthwise, all, or none",
           [{::llvm::cl::values(
             clEnumValN(::tinyprune::pruning::ClipAware::Depthwise,
                        "depthwise", "the depthwise convolutions"),
             clEnumValN(::tinyprune::pruning::ClipAware::All, "all",
                        "the depthwise and the eligible layers"),
             clEnumValN(::tinyprune::pruning::ClipAware::None, "none",
                        "no layer"))}]>,
    Option<"clipIterations", "clip-iterations", "int64_t", /*default=*/"3",
           "With clip-aware: rounds of least squares on the patches whose "
           "error is not flattened by the clip">,
    Option<"sensitivitySamples", "sensitivity-samples", "int64_t",
           /*default=*/"64",
           "With calibration: weigh each layer's error by its measured effect "
           "on the model's outputs over this many samples (0: by the layer's "
           "output energy instead)">,
    Option<"damping", "damping", "double", /*default=*/"0.01",
           "Least-squares damping, relative to the mean input energy">,
  ]> {
  let summary = "Prune convolution filterlets (DTMM) to a global sparsity";
  let description = [{
    Prunes *filterlets* (Han, Xiao and Li, "DTMM: Deploying TinyML Models on
    Extremely Weak IoT Devices with Pruning"): a filterlet is
    `W[o, ky, kx, :]`, one output filter at one kernel position across its
    input channels, contiguous in the OHWI weights of a `tinyprune.conv2d`.

    The pass reads and writes layer ops (`tinyprune.conv2d`,
    `tinyprune.depthwise_conv2d`): run `--tinyprune-raise-to-layers` first.
    A convolution still in the importer's TOSA form is an error naming that
    pass rather than raised in place, so that the form of the module changes
    only where the pipeline says so (and `tinyprune compile`, which reads
    TOSA for now, gets the model back through
    `--tinyprune-lower-layers-to-tosa`).
    Eligible layers are the standard convolutions with a kernel larger than
    1x1 (DTMM's scope, filterlet = the whole channel vector) and, beyond
    DTMM, 1x1 convolutions and fully-connected layers (imported as 1x1
    convolutions), where a filterlet is a block of `block` consecutive input
    channels of one output (the largest divisor of the channel count not
    above `block`). Depthwise convolutions are not eligible.

    Whether a layer is pruned at all is decided by the MCU cost model of
    `target` (docs/cost-model.md): a layer whose sparse form would not be
    cheaper than its dense form (in instructions and flash; for a budget, in
    what the budget counts) even at `max-layer-sparsity` stays dense, and a
    layer given so little sparsity that its sparse form does not pay is
    restored to dense and its share moved to the others. The report shows
    each layer's estimated flash and instructions, dense and pruned.

    `sparsity` is the fraction of the weights removed from the eligible
    layers where the sparse form pays. `flash-budget` or `latency-budget`
    replace it: filterlets are removed in the same order, each weighed by
    what it saves, until the whole model's estimate fits. The
    per-layer ratios are chosen, not uniform: filterlets are ranked across
    all layers by their LAMP score (Lee et al., "Layer-adaptive Sparsity for
    the Magnitude-based Pruning", ICLR 2021) computed on filterlet energies:
    a filterlet's squared L2 norm (int8: of the dequantized weights, per
    output-channel scale) divided by the energy of all filterlets of its
    layer that are at least as large, per weight the filterlet holds (a
    filterlet of a 3x3 convolution over one channel removes one weight, one
    of a 1x1 layer's 16-channel blocks removes sixteen). Pruning in
    increasing score keeps the layer-wise output distortion bound small for
    the weights removed and leaves layers whose energy is concentrated in
    few filterlets denser. `min-layer-sparsity` and
    `max-layer-sparsity` bound every layer; `layer-sparsity` fixes chosen
    layers (by their index in the report) and the rest share what remains.

    With `calibration` (samples in any format `tinyprune eval` reads: a
    `.npy` array or a folder of `.bin` files), the choice and the weights
    come from the data instead, without retraining. The model runs in the
    compiler's interpreter on the samples; each eligible layer's im2col
    input patches give the least-squares moments of its output. For every
    filter, Optimal Brain Surgeon removes filterlets greedily: each step
    removes the filterlet whose removal, after re-solving the remaining
    weights, raises the squared output error least. Those error increases,
    relative to the layer's output energy and per weight removed, rank the
    filterlets across layers (replacing LAMP). Layers differ in how much
    an error at their output moves the model's outputs; so each layer is
    pruned alone along its own ranking to 25, 50, 75 and 100 % (within the
    layer bounds) and re-solved, the model is run on `sensitivity-samples`
    samples, and on each stretch the squared change of the model's outputs
    per unit of the layer's own squared error (never decreasing along the
    layer) weighs the error increases: the filterlets are ranked by the
    estimated change of the model's outputs per weight removed (with
    `sensitivity-samples=0`, by the error relative to the layer's output
    energy). Then, layer by layer in
    program order, the chosen count of filterlets of each filter is removed
    again on the inputs of the already pruned model, and the kept weights
    and the bias are re-solved (damped least squares) to reproduce the dense
    model's output of that layer from the pruned model's input, which also
    corrects the error of the layers before. int8 weights are re-quantized
    per output channel (symmetric, [-127, 127]), the bias re-quantized with
    a correction of the weights' rounding on the mean input, and the
    layer's `weight_quant` and `multiplier`/`shift` recomputed (one per
    output channel from then on).
    `recover=false` keeps the data-driven choice but only zeroes weights.

    Pruned filterlets become zeros in the weight constant, and the
    layer gets a `filterlets` attribute listing the kept
    filterlets of each filter (see the dialect): the IR still computes
    exactly the pruned model, and the C++ lowering loops over kept
    filterlets only.

    With `epochs` > 0 (and `calibration`), the pruned model is then
    fine-tuned on the calibration samples (docs/training.md): all of them by
    default, or the first `finetune-limit`, whatever `calibration-limit`
    (the samples of the selection and the re-solve) says. With `labels`
    the loss is the cross-entropy against them; without, the model learns
    the outputs of `teacher`, or of the model as it was before this pass
    pruned it (distillation: input samples alone suffice). int8 models
    train quantization-aware and keep their int8 interface. Training never
    revives a pruned filterlet: the `filterlets` attribute and its zeros
    stay as the selection left them. The report ends with what training
    did (epochs, samples, objective, the epoch kept, held-out top-1 before
    and after). A build without LibTorch refuses `epochs` > 0 in one line.

    ```
    tinyprune-opt model.mlir --tinyprune-raise-to-layers \
        --filterlet-prune="sparsity=0.5 report=-"
    tinyprune-opt model.mlir --tinyprune-raise-to-layers \
        --filterlet-prune="sparsity=0.7 calibration=train_x.npy"
    tinyprune-opt model.mlir --tinyprune-raise-to-layers \
        --filterlet-prune="sparsity=0.7 calibration=train_x.npy epochs=3"
    ```
  }];
}

//===----------------------------------------------------------------------===//
// Layer ops
//===----------------------------------------------------------------------===//

def RaiseToLayers : Pass<"tinyprune-raise-to-layers", "mlir::func::FuncOp"> {
  let summary = "Fold the importer's TOSA chains into one layer op each";
  let description = [{
    The importer writes a TFLite layer as a chain of TOSA ops: an int8
    convolution is `tosa.conv2d` (int32 accumulator), the per-channel
    `tosa.rescale` to int8 and the fused activation's `tosa.clamp`; an int8
    ADD is four operand rescales, `tosa.add`, a rescale and a clamp. Every
    pass that reasons about layers (pruning, the cost model, calibration,
    the C++ lowering) would otherwise re-discover these chains; this pass
    folds each into the one layer op of the tinyprune dialect that states
    what the runtime kernel computes (TinyPruneLayers.td): `conv2d`,
    `depthwise_conv2d`, `add`, `sub`, `mul`, `max_pool2d`, `requantize`.

    The layer op takes the chain's requantization constants and fused
    activation as attributes, its tensors' quantization from the
    `tinyprune.quant` the importer attached (a chain whose zero points
    disagree with it, or whose quantization is unknown, is left alone), a
    pruned convolution's `tinyprune.filterlets` as its `filterlets`, and the
    chain's locations fused. Chains whose intermediate values have other
    users, whose rescales are not signed scale32 DOUBLE_ROUND with constant
    operands, int32 arithmetic without rescaled operands and the ops of a
    LEAKY_RELU stay TOSA. The interpreter runs the layer ops with exactly
    the arithmetic of their chains; `--tinyprune-lower-layers-to-tosa`
    expands them back.
  }];
  let dependentDialects = ["tinyprune::TinyPruneDialect"];
}

def LowerLayersToTosa
    : Pass<"tinyprune-lower-layers-to-tosa", "mlir::func::FuncOp"> {
  let summary = "Expand each layer op into the importer's TOSA chain";
  let description = [{
    The inverse of `--tinyprune-raise-to-layers`: every layer op becomes
    exactly the chain of TOSA ops the importer writes for its TFLite layer
    (convolution, rescale, clamp; the operand rescales of int8 ADD, SUB and
    MUL; ...), with the output quantization as `tinyprune.quant` on the
    chain's last op and a convolution's `filterlets` as the
    `tinyprune.filterlets` of its `tosa.conv2d`. The result is plain TOSA
    that `--tosa-validate` accepts (profiles pro_int and pro_fp with the
    doubleround extension) and that computes byte for byte what the layer
    ops compute.
  }];
  let dependentDialects = ["mlir::tosa::TosaDialect"];
}

//===----------------------------------------------------------------------===//
// Training
//===----------------------------------------------------------------------===//

def Finetune : Pass<"tinyprune-finetune", "mlir::ModuleOp"> {
  let summary = "Fine-tune a raised model on samples, keeping its pruning";
  let description = [{
    Trains the convolution layers of the model's function (layer ops, after
    `--tinyprune-raise-to-layers`) on LibTorch (docs/training.md) and
    writes the trained weights back, so that a pipeline of pruning passes
    can end with one fine-tune that recovers the accuracy they lost.

    With `labels`, the loss is the cross-entropy against them; without,
    the model learns the outputs of `teacher` (distillation: a `.tflite` or
    `.mlir` model with the same input, normally the model before pruning),
    so that input samples alone suffice, as for calibration. Adam with a
    cosine learning-rate schedule over `epochs`, shuffled mini-batches of
    `batch-size`; `validation-split` of the samples is held out and the
    epoch with the best validation accuracy is kept (epoch 0, the model as
    it came, included: a fine-tune never ends worse on the held-out
    samples). Seeded: the same `seed` and `threads` give the same model.

    int8 models train quantization-aware: fake quantization with
    straight-through gradients, weights symmetric per output channel,
    biases at input x weight scale, every activation at the model's own
    scale, zero point and fused-activation clamp, so the int8 input and
    output stay as they are. Afterwards the int8 weights, int32 biases and
    requantization multipliers and shifts are what the importer computes
    from a TFLite file with the trained weights. Float models train in
    float.

    Every pruned structure stays as it is found: pruned filterlets (the
    layer's `filterlets`) and filters whose weights are all zero (removed
    channels) stay zero, so the verifier still holds. Layers named in
    `freeze` keep their weights, scales and requantization byte for byte.
    Ops without a training rule are rejected with an error naming them.
    The data-driven pruning passes have the same options (`epochs`, ...)
    and fine-tune themselves after pruning.

    ```
    tinyprune-opt pruned.mlir --tinyprune-raise-to-layers \
      --tinyprune-finetune="calibration=train_x.npy labels=train_y.npy epochs=3"
    ```
  }];
  let options = [
    Option<"calibration", "calibration", "std::string", /*default=*/"\"\"",
           "Training samples (.npy, or a folder of .bin files)">,
    Option<"labels", "labels", "std::string", /*default=*/"\"\"",
           "Labels of the samples (.npy or label CSV); without, distill "
           "from `teacher`">,
    Option<"teacher", "teacher", "std::string", /*default=*/"\"\"",
           "Without labels: the model whose outputs to learn (.tflite or "
           ".mlir)">,
    Option<"calibrationLimit", "calibration-limit", "int64_t",
           /*default=*/"0",
           "Use at most this many samples (the first ones; 0: all)">,
    Option<"calibrationScale", "calibration-scale", "double",
           /*default=*/"1.0",
           "Multiply integer sample data by this for a float model">,
    Option<"epochs", "epochs", "int64_t", /*default=*/"1",
           "Passes over the training samples">,
    Option<"learningRate", "learning-rate", "double", /*default=*/"1e-3",
           "Adam's initial learning rate (cosine schedule to zero)">,
    Option<"batchSize", "batch-size", "int64_t", /*default=*/"32",
           "Samples per optimizer step">,
    Option<"validationSplit", "validation-split", "double",
           /*default=*/"0.1",
           "Fraction of the samples held out to choose the best epoch">,
    Option<"seed", "seed", "uint64_t", /*default=*/"0",
           "Seed of the split, the shuffles and LibTorch">,
    Option<"threads", "threads", "unsigned", /*default=*/"1",
           "LibTorch and teacher threads (0: all cores). One by default: "
           "LibTorch's threads wait for each other by spinning, and on a "
           "shared 2-core machine two train seven times slower than one">,
    ListOption<"freeze", "freeze", "std::string",
               "Convolution layers whose weights stay as they are: each a "
               "layer's name (as the pruning reports name it: its TFLite "
               "output tensor) or its index among the function's "
               "convolutions (conv2d and depthwise, 0 first, in program "
               "order)">,
  ];
  let dependentDialects = ["mlir::tosa::TosaDialect",
                           "tinyprune::TinyPruneDialect"];
}

#endif // TINYPRUNE_TRANSFORMS_PASSES_TD
