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
  Option<"distillWeight", "distill-weight", "double", /*default=*/"0.5",
         "Fine-tuning with labels: weight in [0, 1] of a distillation term "
         "(from `teacher`, default the model before pruning) mixed into the "
         "label loss: (1 - w) x cross-entropy + w x distillation (0: labels "
         "alone; 0.5 measured better than 0, docs/training.md)">,
  Option<"temperature", "temperature", "double", /*default=*/"2",
         "Fine-tuning: distillation temperature T > 0; the teacher's and "
         "the model's outputs are softened by T and the distillation loss "
         "scaled by T^2 (1: the outputs as they are)">,
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
// its own `passOptions`, and the shared fine-tuning options unless
// `finetunes` is 0 (a pass whose training is not a fine-tune after pruning,
// like --depth-prune's head training, declares its own with the same names
// and its own defaults).
class TinyPrune_DataDrivenPruningPass<string passArg,
                                      list<Option> passOptions,
                                      bit finetunes = 1>
    : Pass<passArg, "mlir::ModuleOp"> {
  let options = !listconcat(passOptions, TinyPrune_DataDrivenPruningOptions,
                            !if(finetunes, TinyPrune_FinetuneOptions, []));
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
    Option<"pruneSteps", "prune-steps", "int64_t", /*default=*/"0",
           "With epochs > 0: prune gradually while fine-tuning, in this many "
           "steps on a cubic schedule from the unpruned model to the chosen "
           "per-filter counts, removing the filterlets of lowest trained L2 "
           "norm at each step (0: prune at once, re-solve, then fine-tune)">,
    Option<"pruneEnd", "prune-end", "double", /*default=*/"0.5",
           "With prune-steps > 0: the fraction of the training steps, in "
           "(0, 1), at which the last pruning step happens; the rest "
           "fine-tunes at the final sparsity">,
    Option<"pruneSelected", "prune-selected", "bool", /*default=*/"false",
           "With prune-steps > 0: remove exactly the filterlets the "
           "selection chose (each step the weakest of them by trained L2 "
           "norm) instead of each filter's weakest">,
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
    the loss is the cross-entropy against them, mixed with `distill-weight`
    x the distillation from `teacher` or the model before pruning (0.5 by
    default; 0: labels alone); without, the model learns the outputs of
    `teacher`, or of the model as it was before this pass pruned it
    (distillation: input samples alone suffice), softened by `temperature`.
    int8 models
    train quantization-aware and keep their int8 interface. Training never
    revives a pruned filterlet: the `filterlets` attribute and its zeros
    stay as the selection left them. The report ends with what training
    did (epochs, samples, objective, the epoch kept, held-out top-1 before
    and after). A build without LibTorch refuses `epochs` > 0 in one line.

    **Gradual pruning** (`prune-steps=N` with `epochs` > 0; Zhu and Gupta,
    "To prune, or not to prune", 2017): the selection above only decides
    how many filterlets each filter keeps; no weight is zeroed or re-solved
    before training. Fine-tuning starts from the unpruned model and, at N
    steps spread evenly over the first `prune-end` of the training steps,
    cuts every filter of the pruned layers to start - (start - kept) x (1 -
    (1 - i / N)^3) filterlets (step i), removing its kept filterlets of
    lowest L2 norm of the current trained weights (with
    `prune-selected`, only among the filterlets the selection chose, so
    that the final filterlets are the selection's); a removed filterlet
    never comes back. The `filterlets` attributes are written from the final
    masks (the verifier holds as after a one-shot prune), and only epochs
    that end at the final sparsity can be the epoch kept. The distillation
    teacher is the unpruned model, as without it.

    ```
    tinyprune-opt model.mlir --tinyprune-raise-to-layers \
        --filterlet-prune="sparsity=0.5 report=-"
    tinyprune-opt model.mlir --tinyprune-raise-to-layers \
        --filterlet-prune="sparsity=0.7 calibration=train_x.npy"
    tinyprune-opt model.mlir --tinyprune-raise-to-layers \
        --filterlet-prune="sparsity=0.7 calibration=train_x.npy epochs=3"
    tinyprune-opt model.mlir --tinyprune-raise-to-layers \
        --filterlet-prune="sparsity=0.7 calibration=train_x.npy epochs=3 \
                           prune-steps=8"
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
    so that input samples alone suffice, as for calibration. With both,
    the loss mixes them: (1 - `distill-weight`) x the label loss +
    `distill-weight` x the distillation loss, the latter on outputs
    softened by `temperature` (Hinton et al.'s knowledge distillation).
    Adam with a
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
    Option<"distillWeight", "distill-weight", "double", /*default=*/"0.5",
           "With labels and a `teacher`: weight in [0, 1] of the "
           "distillation term mixed into the label loss: (1 - w) x "
           "cross-entropy + w x distillation (0, or no teacher: labels "
           "alone; 0.5 measured better than 0, docs/training.md)">,
    Option<"temperature", "temperature", "double", /*default=*/"2",
           "Distillation temperature T > 0: the teacher's and the model's "
           "outputs are softened by T and the distillation loss scaled by "
           "T^2 (1: the outputs as they are)">,
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

//===----------------------------------------------------------------------===//
// Structured channel pruning
//===----------------------------------------------------------------------===//

def ChannelPrune : TinyPrune_DataDrivenPruningPass<"channel-prune", [
    Option<"ratio", "ratio", "double", /*default=*/"0.5",
           "Fraction of the prunable channels to remove, in [0, 1)">,
    Option<"ramBudget", "ram-budget", "std::string", /*default=*/"\"\"",
           "Instead of a ratio: remove channels until the arena the C++ "
           "lowering plans takes at most this many bytes (suffix K or M: "
           "KiB, MiB)">,
    Option<"maxGroupRatio", "max-group-ratio", "double", /*default=*/"0.9",
           "Most fraction of one channel group removed (at least one "
           "channel always stays)">,
    Option<"damping", "damping", "double", /*default=*/"0.01",
           "With calibration: least-squares damping of the consumers' "
           "re-solve, relative to the mean input energy">,
    Option<"gateEpochs", "gate-epochs", "int64_t", /*default=*/"0",
           "Choose the channels by differentiable gates trained for this "
           "many epochs on the calibration samples (with labels, else "
           "distilled from the model before pruning) under resource "
           "penalties, instead of the ranking; 0: no gates">,
    Option<"gateLearningRate", "gate-learning-rate", "double",
           /*default=*/"0.2",
           "With gate-epochs: Adam's learning rate of the gate logits (the "
           "weights train at learning-rate)">,
    Option<"steps", "steps", "int64_t", /*default=*/"1",
           "With budgets: reach them in this many steps, each to a budget "
           "geometrically between the model's figure and the final one, "
           "each ranking, removing, re-solving and (with epochs) "
           "fine-tuning the model the previous step left; 1: one step">,
    Option<"finalEpochs", "final-epochs", "int64_t", /*default=*/"-1",
           "The last step's fine-tune (the only one without steps): this "
           "many epochs instead of `epochs` (-1: `epochs`; 0: none). The "
           "last step removes the channels that cost the most accuracy">,
  ]> {
  let summary = "Remove whole channels (Liberis & Lane), to a ratio or to "
                "MCU budgets";
  let description = [{
    Structured channel pruning after Liberis and Lane, "Differentiable
    Network Pruning for Microcontrollers" (arXiv 2110.08350), without the
    training: it removes output channels of convolutions and
    fully-connected layers *from the model*, with everything they flow
    into, so the result is an ordinary smaller model (fewer weights, MACs
    and activation bytes; no masks) that the existing kernels run.

    Reads and writes layer ops: run `--tinyprune-raise-to-layers` first.
    Channels are removed in *groups* (include/tinyprune/Transforms/Pruning/
    ChannelGroups.h): a layer's output channel goes together with the
    input channels of the layers reading it (a fully-connected layer after
    a flatten loses every feature that channel fed), the channels of the
    depthwise layers it passes through, and its place in pools, means,
    pads, slices, transposes, reshapes and concatenations (offsets shift);
    residual adds tie the channels of their operands into one group. A
    group whose channels reach the function's result, meet the function's
    input, or flow into an op the analysis does not know is left alone (the
    report says why), so the model's input and output never change.

    Which channels: without data, by magnitude along the channel's path:
    the L1 norm of its filter in the producers (averaged over the producers
    a residual add ties), times the L1 norm of its filter in each depthwise
    layer it passes, times the L1 norm of the consumers' weights reading
    it (all dequantized), relative to the group's mean; the constant a
    removed channel's bias alone would give (followed through its depthwise
    layers, padding ignored) is folded into the consumers' biases (single
    producer groups). With `calibration`, by the
    squared output error the removal causes at the consumers on the
    calibration data (the input channel's share of each consumer's output,
    w' H w over its patch coordinates), relative to each consumer's output
    energy; the consumers' kept weights and biases are then re-solved by
    damped least squares on the dense model's inputs so that they
    reproduce their dense outputs, and re-quantized.

    How many: `ratio` removes that fraction of the prunable channels, the
    least important first across all groups, at most `max-group-ratio` of
    any group. Budgets replace it: `ram-budget` (the arena of the C++
    lowering's own memory planner: memory-aware schedule, in-place layers,
    row streaming), `flash-budget` (the constants as emitted) and
    `latency-budget` (the cost model of `target`), any combination, all
    checked on the model as it would be deployed. Channels are then removed
    progressively: each round measures the model, weighs every group's
    next channel by its importance over what it saves of the budgets still
    exceeded (for RAM: bytes of the tensors live at the arena's peak), and
    removes the best few, until every budget holds. A budget that even
    removing every removable channel cannot meet is an error naming it and
    the least the model reaches.

    With `gate-epochs` > 0 the paper's method chooses instead: a gate per
    channel of every prunable group (one gate for the channels a residual
    add ties) multiplies the channel in the outputs of the layers writing
    it; gates and weights train together on the calibration samples
    (cross-entropy with `labels`, else distillation from the model before
    pruning) plus penalties on the budgets' resources estimated from the
    gates' expected kept channels: flash, MACs and instructions as sums of
    the cost model's per-layer figures scaled by their kept input and
    output fractions, peak RAM as a smooth maximum (log-sum-exp) over the
    live sets of the lowering's schedule; with `ratio`, the fraction of
    channels kept. Each penalty is max(0, estimate / target - 1); the
    targets ramp down cubically over the first 60 % of the steps, and
    every 10 steps (at least 20 times along the ramp) the lowest gates are
    switched off for good while an estimate is above its scheduled target;
    the penalty weight grows whenever that switches off a gate still above
    one half. Afterwards the gates are exactly 0 or 1 and the weights train
    on. The switched-off channels are removed; the budgets are then
    checked on the real planner and cost model, and the greedy above
    removes more (in the gates' order) while one is exceeded.

    With `epochs` > 0 the smaller model is then fine-tuned on the
    calibration samples (all of them up to `calibration-limit`) by the
    training engine (docs/training.md: quantization-aware for int8, Adam
    with a cosine schedule, batches of 32, 10 % held out to keep the best
    epoch), with cross-entropy against `labels`, or without labels by
    distillation from the model before pruning.

    Progressive pruning (`steps` = N > 1, budgets only): the budgets are
    approached in N steps. Step k prunes to a budget of
    figure · (budget / figure)^(k/N) for each budget given (the figure is
    the model's before the pass; the last step's budget is the one asked
    for), measured on the planner and cost model as above; each step ranks
    the channels on the model the previous one left (its fine-tuned
    weights), removes them, re-solves the consumers and, with `epochs`,
    fine-tunes for `epochs` epochs, distilling (without labels, or mixed
    with them by `distill-weight`) from the model before the pass.
    `max-group-ratio` counts from the channels before the pass.
    `final-epochs` gives the last step's fine-tune its own number of
    epochs (the earlier steps keep `epochs`). The report
    gives every step's budget, channels removed, arena, flash,
    instructions and fine-tune.

    `report` prints, per layer, the channels before and after, parameters,
    MACs and output activation bytes, then the arena, flash and
    instructions before and after and the tensors live at the arena's peak.

    ```
    tinyprune-opt model.mlir --tinyprune-raise-to-layers \
        --channel-prune="ratio=0.3 report=-"
    tinyprune-opt model.mlir --tinyprune-raise-to-layers \
        --channel-prune="ram-budget=20K flash-budget=60K"
    ```
  }];
}

//===----------------------------------------------------------------------===//
// Depth pruning
//===----------------------------------------------------------------------===//

def DepthPrune : TinyPrune_DataDrivenPruningPass<"depth-prune", [
    Option<"cut", "cut", "std::string", /*default=*/"\"\"",
           "Where to cut: a cut point's tensor name or its index in the "
           "report, 'auto' (the smallest "
           "model within max-accuracy-drop and the budgets), or empty (only "
           "report the cut points and their costs; the model is unchanged)">,
    Option<"head", "head", "std::string", /*default=*/"\"\"",
           "The auxiliary head: comma-separated widths of its depthwise-"
           "separable blocks (default 32,16, the paper's), or 'dense' (global "
           "average pool and fully-connected only)">,
    Option<"trainBase", "train-base", "bool", /*default=*/"false",
           "Also fine-tune the kept base layers together with the head (the "
           "paper's unfrozen variant), after the head is trained on cached "
           "features. With cut=auto every candidate tried is scored after "
           "this fine-tuning (see base-gain)">,
    Option<"baseGain", "base-gain", "double", /*default=*/"3",
           "With cut=auto and train-base: the points of validation accuracy "
           "fine-tuning the base may be expected to recover over a frozen "
           "head. A candidate's head is trained frozen first; only when it "
           "is within max-accuracy-drop + base-gain of the model are base "
           "and head fine-tuned together and scored again (negative: "
           "fine-tune every candidate tried)">,
    Option<"maxAccuracyDrop", "max-accuracy-drop", "double",
           /*default=*/"-1",
           "With cut=auto: the most top-1 accuracy (percentage points) the "
           "pruned model may lose on the validation split (negative: no "
           "bound)">,
    Option<"ramBudget", "ram-budget", "std::string", /*default=*/"\"\"",
           "With cut=auto: the most arena bytes of the planned C++ lowering "
           "(suffix K or M: KiB, MiB)">,
    Option<"curve", "curve", "bool", /*default=*/"false",
           "With cut=auto: train a head at every cut point that fits the "
           "budgets (the whole accuracy curve in the report) instead of "
           "stopping at the smallest that meets max-accuracy-drop">,
    Option<"bisect", "bisect", "bool", /*default=*/"false",
           "With cut=auto: search the candidates that fit by bisection over "
           "their flash, taking accuracy as growing with it (about log2 of "
           "their number trained) instead of trying them from the smallest "
           "up">,
    Option<"labels", "labels", "std::string", /*default=*/"\"\"",
           "Labels of the samples (.npy, or a label CSV for a folder): train "
           "the head by cross-entropy and measure accuracy against them. "
           "Without: distill from the model as it comes (accuracy is top-1 "
           "agreement with it)">,
    Option<"epochs", "epochs", "int64_t", /*default=*/"10",
           "Epochs of head training (float; int8 heads then train "
           "quantization-aware for qat-epochs more)">,
    Option<"qatEpochs", "qat-epochs", "int64_t", /*default=*/"3",
           "int8 models: quantization-aware epochs after the float ones, "
           "and the epochs of train-base">,
    Option<"learningRate", "learning-rate", "double", /*default=*/"3e-3",
           "Adam's initial learning rate for the float head (cosine "
           "schedule to zero); quantization-aware and train-base training "
           "use a tenth of it">,
    Option<"batchSize", "batch-size", "int64_t", /*default=*/"64",
           "Samples per optimizer step">,
    Option<"validationSplit", "validation-split", "double",
           /*default=*/"0.2",
           "Fraction of the samples (the last ones) held out from training "
           "to measure the accuracy of every candidate">,
    Option<"seed", "seed", "uint64_t", /*default=*/"1",
           "Seed of the head's initial weights and of training">,
    Option<"reportSvg", "report-svg", "std::string", /*default=*/"\"\"",
           "Write the accuracy/size curve of the candidates as an SVG plot "
           "to this file">,
    Option<"candidatesDir", "candidates-dir", "std::string",
           /*default=*/"\"\"",
           "With cut=auto: write the model cut at every trained candidate, "
           "its head attached (and its base fine-tuned where train-base "
           "tuned it), to this existing directory as cut<N>.mlir (N: the "
           "candidate's number in the report), to measure or compile any "
           "point of the curve">,
  ], /*finetunes=*/0> {
  let summary = "Cut the network at a block end and attach a trained "
                "auxiliary head (depth pruning)";
  let description = [{
    Depth pruning with auxiliary networks (De Leon and Atienza, "Depth
    Pruning with Auxiliary Networks for TinyML", arXiv 2204.10546): keep the
    layers up to a cut point, delete everything after it and attach a small
    head trained on the features there.

    Cut points are the tensors, after an activation (a fused ReLU or ReLU6,
    i.e. a clamp starting at real value 0), through which every path from
    the input to the output passes: the ends of blocks, residual blocks
    included; a tensor inside a residual block (with the shortcut alive
    beside it) is not one. They are named by their TFLite tensor name. The
    pass reads layer ops: run `--tinyprune-raise-to-layers` first.

    The head (option `head`) is by default the paper's: depthwise 3x3 ->
    pointwise 32 -> depthwise 3x3 -> pointwise 16 -> global average pool ->
    fully-connected to the classes, ReLU after each convolution; the
    model's final softmax, if it has one, stays. It is inserted as ordinary
    layer ops (the importer's form of these layers), so the interpreter,
    the training engine and the C++ lowering run it. int8 models get an int8
    head: a float head is trained first on the dequantized features,
    its activation ranges are calibrated on them, it is quantized like the
    importer quantizes (per-channel symmetric weights, int32 biases,
    TFLite's QuantizeMultiplier) and trained quantization-aware; the head's
    logits before a softmax get their own calibrated scale, and the model's
    output keeps its quantization. Float models get a float head.

    Training (LibTorch, `include/tinyprune/Training/Finetune.h`): the base
    layers are frozen and the features at the cut are computed once by the
    interpreter and cached; the head trains on them with cross-entropy on
    `labels`, or, without labels, by distillation from the model as it
    comes. `train-base=true` then fine-tunes the whole pruned model; a
    model ending in a softmax trains on the logits before it (the softmax
    stays).
    `calibration` gives the samples (`calibration-limit=0` uses all of
    them); the last `validation-split` of them are held out.

    `cut=auto` chooses the cut: the cost of base plus head is computed at
    every cut point (parameters, flash and peak arena of the real C++
    lowering, MACs and instructions of the cost model of `target`); an
    early cut's head runs at high resolution and can cost more than the
    layers it replaces. Candidates within `flash-budget`, `ram-budget` and
    `latency-budget` are trained from the smallest (in flash) up, and the
    first whose validation accuracy is within `max-accuracy-drop` points of
    the model's wins (`curve=true` trains them all; `bisect=true` trains
    about log2 of them, assuming accuracy grows with flash). With
    `train-base=true` a candidate is scored after base and head are
    fine-tuned together (on a copy), which is tried only when its frozen
    head comes within `max-accuracy-drop` + `base-gain` points (if the
    fine-tuned model scores below its frozen head on the validation split,
    the frozen head is kept). `report` writes the
    table of candidates (validation accuracy, parameters, flash, peak RAM,
    MACs, instructions), `report-svg` the curve, `candidates-dir` every
    trained candidate as a model of its own.
  }];
}

#endif // TINYPRUNE_TRANSFORMS_PASSES_TD
