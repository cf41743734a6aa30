//===- TinyPruneBase.td - tinyprune dialect definition -----*- tablegen -*-===//
//
// The tinyprune dialect holds what TOSA cannot say exactly: int8 operators
// whose TFLite reference arithmetic has no bit-exact TOSA composition, and
// the quantization metadata that pruning needs to reason in real numbers.
//
//===----------------------------------------------------------------------===//

#ifndef TINYPRUNE_BASE_TD
#define TINYPRUNE_BASE_TD

include "mlir/IR/OpBase.td"
include "mlir/IR/AttrTypeBase.td"

def TinyPrune_Dialect : Dialect {
  let name = "tinyprune";
  let cppNamespace = "::tinyprune";
  let summary = "Exact int8 TFLite operators and quantization metadata";
  let description = [{
    The importer lowers TFLite models to TOSA wherever TOSA reproduces
    TFLite's reference arithmetic bit for bit (convolutions, rescales,
    elementwise arithmetic, data movement). The operators here cover the rest:
    TFLite's fixed-point softmax, logistic, tanh and hard-swish, its int8
    average pool and mean (integer division with rounding half away from
    zero, padding excluded), and float-to-int quantization (a true division,
    not a multiply by the reciprocal).

    The dialect also defines `#tinyprune.quant`, the scale and zero point of a
    quantized tensor. The importer attaches it, under the name
    `tinyprune.quant`, to every op that produces an integer tensor with real
    meaning, and to function arguments and results. TOSA itself only sees
    signless integers with explicit zero points; the attribute is what lets a
    pruning pass dequantize weights and recompute requantization constants.
  }];
  let useDefaultAttributePrinterParser = 1;
  let hasOperationAttrVerify = 1;
  let hasRegionArgAttrVerify = 1;
  let hasRegionResultAttrVerify = 1;
  // Canonical form of filterlet-pruned convolutions (TinyPruneCanonicalize.cpp).
  let hasCanonicalizer = 1;
  let extraClassDeclaration = [{
    void registerAttributes();

    /// Name of the discardable attribute holding a `#tinyprune.quant`.
    static constexpr ::llvm::StringLiteral getQuantAttrName() {
      return ::llvm::StringLiteral("tinyprune.quant");
    }
    /// Name of the discardable attribute holding a `#tinyprune.filterlets`.
    static constexpr ::llvm::StringLiteral getFilterletsAttrName() {
      return ::llvm::StringLiteral("tinyprune.filterlets");
    }
  }];
}

class TinyPrune_Op<string mnemonic, list<Trait> traits = []>
    : Op<TinyPrune_Dialect, mnemonic, traits>;

#endif // TINYPRUNE_BASE_TD
