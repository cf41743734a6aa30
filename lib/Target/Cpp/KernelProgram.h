//===- KernelProgram.h - A function as runtime-kernel calls -----*- C++ -*-===//
//
// The model every phase of the C++ lowering shares: a function seen as a
// sequence of runtime-kernel calls (steps) over buffers. Each phase builds it
// from the IR in program order, so the phases agree on the steps without
// passing anything but IR between them:
//
//   --tinyprune-schedule-for-memory  reorders the ops by the steps' schedule,
//   --tinyprune-plan-arena           places the buffers, records attributes,
//   --emit-cpp                       reads those attributes and prints.
//
// A layer op (tinyprune.conv2d, ...) is one step, and so is each TOSA op that
// stays TOSA (TosaKernelCalls.cpp). A layer chain of the importer that
// `--tinyprune-raise-to-layers` left TOSA is an error, not matched here.
//
//===----------------------------------------------------------------------===//

#ifndef TINYPRUNE_LIB_TARGET_CPP_KERNELPROGRAM_H
#define TINYPRUNE_LIB_TARGET_CPP_KERNELPROGRAM_H

#include "tinyprune/Dialect/LayerView.h"
#include "tinyprune/Dialect/TinyPrune.h"
#include "tinyprune/Target/MemoryPlanner.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Tosa/IR/TosaOps.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/DenseSet.h"
#include "llvm/ADT/STLFunctionalExtras.h"

#include <optional>
#include <string>
#include <vector>

namespace tinyprune {
namespace cpp {

/// Where a buffer lives. Constants (a layer folded away by
/// canonicalization) are read from their flash array. A buffer inside a
/// row-fused chain (RowFusion) never exists whole: only windows of its rows
/// do, in the chain's own buffers.
enum class Home { Arena, Input, Output, Const, Fused };

struct Buffer {
  /// The value owning the storage (views followed back); null for rings
  /// and scratch.
  mlir::Value value;
  /// Scratch of one step (an LSTM's state and gates): the op whose kernel
  /// call uses it, which records its place (tinyprune.scratch).
  mlir::Operation *scratchOf = nullptr;
  mlir::Type elementType;
  int64_t bytes = 0;
  /// Steps (in program order) that write and last read the buffer.
  int64_t firstUse = 0, lastUse = 0;
  Home home = Home::Arena;
  int64_t offset = 0;
  /// Home::Const: the constant array.
  std::string constName;
};

/// How a windowed layer (convolution) can compute its output over its own
/// input row by row (rt/inplace.h). Rows are of the layer's NHWC tensors.
struct RowStreaming {
  int64_t inRows = 0, inRowBytes = 0, outRows = 0, outRowBytes = 0;
  int64_t stride = 1, padTop = 0, span = 1;
  /// The kernel call computing output row `r` into `row` from the input
  /// rows of `const tinyprune::rt::RowWindow w`.
  std::string rowCode;
  /// The kernel call computing `int32_t n` output rows into `uint8_t *dst`
  /// from the `w.count` input rows at `const uint8_t *src` (window `w`).
  std::string chunkCode;
  /// Optional: a kernel call computing the whole layer over its own input
  /// in one go, for the cores where the runtime defines the macro
  /// `wholeGuard` to 1 (the others stream the rows).
  std::string wholeCode, wholeGuard;
};

/// An element-wise layer whose operands and output have one shape: its
/// kernel call over `int32_t shape[1]` elements at `const uint8_t *a`
/// (lhs), `const uint8_t *b` (rhs) into `uint8_t *o`.
struct FlatCall {
  unsigned lhs = 0, rhs = 0;
  std::string code;
};

/// One kernel call. `code` refers to buffers as `@N@`, replaced by their
/// addresses once the arena is planned.
struct Step {
  std::string comment;
  std::string code;
  /// The op the call is for, and every op it stands for (a TOSA chain's
  /// members); none for the copies into the caller's output.
  mlir::Operation *anchor = nullptr;
  llvm::SmallVector<mlir::Operation *, 4> ops;
  /// Buffers the call reads and writes: the dependences the scheduler
  /// keeps and the lifetimes the planner sees.
  llvm::SmallVector<unsigned, 4> reads;
  llvm::SmallVector<unsigned, 1> writes;
  /// Element-wise layers: a read buffer, shaped like the output, whose
  /// storage the output may take over when the layer is its last reader.
  int inPlaceRead = -1;
  /// Windowed layers that can run over their input (reads[0]).
  std::optional<RowStreaming> rows;
  /// Element-wise layers that can run on a range of rows.
  std::optional<FlatCall> flat;
  /// Set by the planner: the in-place row loop is used, with this ring.
  int ringBuffer = -1;
  int64_t ringDelay = 0;
  /// Set by the planner on the steps of a row-fused chain: its index in
  /// KernelProgram::fusions (the chain is printed at its last step).
  int fusion = -1;
};

/// Three steps fused row by row (PlanArena.cpp): a windowed layer A
/// (steps[a]) whose output only the windowed layer B (steps[b]) reads, and
/// an element-wise layer C (steps[c]) that combines B's output, read by
/// nothing else, with another tensor T of its shape (a residual block: A
/// and B its convolutions, C the add, T the shortcut). The three run as one
/// loop in C's place (steps between them touch none of A's and B's
/// outputs, so they run before it). A's and B's outputs live only as a
/// window of A's rows and a block of `chunk` rows of B's output; C's output
/// overwrites T when C is T's last reader.
struct RowFusion {
  size_t a = 0, b = 0, c = 0;
  unsigned input = 0, mid = 0, second = 0, other = 0, output = 0;
  /// Output rows per kernel call of B and C, and A's rows the window holds.
  int64_t chunk = 1, windowRows = 0;
  /// The window and the block of B's rows (buffers without a value).
  int window = -1, block = -1;
  bool overwritesOther = false;
};

/// A function as kernel calls over buffers, with the constant arrays the
/// calls name.
struct KernelProgram {
  std::vector<Buffer> bufs;
  std::vector<Step> steps;
  /// Row-fused chains chosen by the planner.
  std::vector<RowFusion> fusions;
  /// C++ definitions of the constant arrays, and their bytes.
  std::string constants;
  int64_t constantBytes = 0;
  int64_t inputBytes = 0, outputBytes = 0;

  /// Sets each buffer's first and last step from the steps' order.
  void computeLifetimes();
};

/// Builds the kernel program of `func` (one block, results returned). Emits
/// an error on the first op it cannot lower.
mlir::FailureOr<KernelProgram> buildKernelProgram(mlir::func::FuncOp func);

/// Which buffers share storage: buffer b lives `rel[b]` bytes into the
/// storage of its group, named by its first buffer `owner[b]`.
struct Sharing {
  explicit Sharing(size_t n) : owner(n), rel(n, 0) {
    for (size_t b = 0; b < n; ++b)
      owner[b] = b;
  }
  /// `out` overwrites `in`, starting `shift` bytes before it.
  void overwrite(unsigned out, unsigned in, int64_t shift);

  std::vector<unsigned> owner;
  std::vector<int64_t> rel;
};

/// Plans the arena of `program`'s buffers for the given storage sharing.
/// `requestOf` receives each arena buffer's index in the plan, and
/// `peakLive` (if given) the live-bytes lower bound.
MemoryPlan planArena(const KernelProgram &program, const Sharing &share,
                     std::vector<int> &requestOf, int64_t *peakLive = nullptr);

/// The row-fused chain ending at step `c` with `chunk` output rows per call,
/// if the steps form one (RowFusion) and running them so is exact: rows of T
/// that C's output overwrites are read by no later call. Lifetimes must be
/// set (computeLifetimes).
std::optional<RowFusion> matchRowFusion(const KernelProgram &program, size_t c,
                                        int64_t chunk);

/// Makes `f` part of `program`: A's and B's outputs become Home::Fused and
/// the window and block buffers are added, live during the chain.
void addRowFusion(KernelProgram &program, RowFusion f);

/// The arena `--tinyprune-plan-arena` plans `program`'s steps to in their
/// order, with its in-place layers and row-fused chains (PlanArena.cpp).
int64_t plannedArenaBytes(const KernelProgram &program);

/// A list schedule of the steps that keeps the arena small (a permutation
/// of step indices).
std::vector<size_t> scheduleForMemory(const KernelProgram &program);

//===----------------------------------------------------------------------===//
// Shared by the kernel-call builders
//===----------------------------------------------------------------------===//

int64_t elementBytes(mlir::Type type);
std::string cTypeOf(mlir::Type elt);
/// Prints a float so that it parses back to the same float.
std::string floatLiteral(float f);
/// Integer values of a constant tensor (empty when not constant).
llvm::SmallVector<int64_t> constInts(mlir::Value v);
/// Integer values of a `tosa.const_shape`.
llvm::SmallVector<int64_t> shapeValues(mlir::Value v);
/// Whether `v` is a constant, through reshapes.
bool isConst(mlir::Value v);

/// The parameters of a (depthwise) convolution's kernel call, read from a
/// layer op or from a TOSA chain.
struct ConvLayer {
  mlir::Operation *op = nullptr;
  bool depthwise = false;
  mlir::Value input, weights, bias, output;
  llvm::ArrayRef<int64_t> pad, stride, dilation;
  FilterletsAttr filterlets;
  /// Integer layers: zero points, requantization (TFLite multipliers and
  /// exponents, one per output channel) and the clamp.
  int64_t inZp = 0, outZp = 0;
  llvm::SmallVector<int64_t> mult, shift;
  int64_t lo = 0, hi = 0;
  /// Float layers: the clamp.
  double flo = 0, fhi = 0;
};

/// The parameters of an int8 ADD/SUB/MUL call.
struct BinaryInt8Layer {
  enum Kind { Add, Sub, Mul } kind = Add;
  mlir::Operation *op = nullptr;
  mlir::Value lhs, rhs, output;
  int64_t lhsZp = 0, rhsZp = 0, outZp = 0, leftShift = 20;
  int64_t lhsMult = 0, lhsShift = 0, rhsMult = 0, rhsShift = 0;
  int64_t outMult = 0, outShift = 0;
  int64_t lo = 0, hi = 0;
};

/// Builds the steps of one function: one method per kind of kernel call.
/// The layer ops' calls are in KernelCalls.cpp, those of the TOSA ops that
/// stay TOSA in TosaKernelCalls.cpp.
class KernelCallBuilder {
public:
  explicit KernelCallBuilder(KernelProgram &program) : p(program) {}
  mlir::LogicalResult build(mlir::func::FuncOp func);

private:
  // Buffers and constants.
  unsigned bufferOf(mlir::Value v);
  std::string ptr(mlir::Value v) {
    return "@" + std::to_string(bufferOf(v)) + "@";
  }
  /// Records that the next emitted step reads / writes `v`'s buffer.
  void use(mlir::Value v) { pendingReads.push_back(bufferOf(v)); }
  void define(mlir::Value v) { pendingWrites.push_back(bufferOf(v)); }
  std::string constArray(mlir::Value v, llvm::StringRef cType);
  std::string intArray(llvm::ArrayRef<int64_t> values, llvm::StringRef cType,
                       llvm::StringRef hint);
  std::string shapeArray(llvm::ArrayRef<int64_t> shape) {
    return intArray(shape, "int32_t", "shape");
  }
  /// `v` as a pointer expression: its constant array, or its buffer (used).
  std::string operand(mlir::Value v);
  /// Marks `op` as part of the step being built.
  void consume(mlir::Operation *op);

  mlir::LogicalResult lower(mlir::Operation *op);

  // Layer ops (KernelCalls.cpp).
  mlir::LogicalResult lowerConvLayer(const ConvLayer &conv);
  /// The constant tables of a filterlet-pruned convolution's weights `w`
  /// (rt/sparse_conv.h); returns the name of its SparseFilter constant.
  std::string sparseFilter(FilterletsAttr filterlets, mlir::Value w, int64_t kh,
                           int64_t kw, int64_t ic, int64_t iw,
                           llvm::ArrayRef<int64_t> dilation, bool isFloat);
  /// A convolution's kernel call for (padTop, input rows, input pointer,
  /// output rows, output pointer).
  using ConvCall = llvm::function_ref<std::string(
      const std::string &, const std::string &, const std::string &,
      const std::string &, const std::string &)>;
  /// Emits a convolution given its call, recording how it can run in place.
  void emitConv(mlir::Operation *op, ConvCall call, int64_t batches,
                int64_t inRows, int64_t inRowBytes, int64_t outRows,
                int64_t outRowBytes, int64_t stride, int64_t padTop,
                int64_t span, const std::string &in, const std::string &out);
  mlir::LogicalResult lowerBinaryInt8Layer(const BinaryInt8Layer &b);
  /// A same-shape int8 ADD/SUB's rt::AddTableInt8 constant (its input
  /// rescalings tabulated), or "" when addSameShapeInt8 would not take it.
  std::string addTable(const BinaryInt8Layer &b);
  mlir::LogicalResult lowerFloatBinaryLayer(mlir::Operation *op,
                                            llvm::StringRef fn, mlir::Value a,
                                            mlir::Value b, mlir::Value out,
                                            double lo, double hi);
  mlir::LogicalResult lowerMaxPoolLayer(mlir::Operation *op, mlir::Value input,
                                        mlir::Value out,
                                        llvm::ArrayRef<int64_t> kernel,
                                        llvm::ArrayRef<int64_t> stride,
                                        llvm::ArrayRef<int64_t> pad, double lo,
                                        double hi);
  mlir::LogicalResult lowerRequantizeLayer(mlir::Operation *op,
                                           mlir::Value input, mlir::Value out,
                                           int64_t inZp, int64_t mult,
                                           int64_t shift, int64_t outZp,
                                           int64_t lo, int64_t hi);
  mlir::LogicalResult lowerLayerOp(mlir::Operation *op);
  mlir::LogicalResult lowerTinyPrune(mlir::Operation *op);
  mlir::LogicalResult lowerMean(MeanOp op);
  mlir::LogicalResult lowerQuantize(QuantizeOp op);
  mlir::LogicalResult lowerLstm(LstmOp op);
  /// An arena buffer of `bytes` that only the next step of `op` uses.
  std::string scratch(mlir::Operation *op, int64_t bytes);

  // TOSA ops that stay TOSA (TosaKernelCalls.cpp).
  /// Fails at a TOSA op of a layer chain the raise pass did not raise (at
  /// the ADD/SUB/MUL of an operand rescale), with the pass's reason.
  mlir::LogicalResult notALayerOp(mlir::Operation *op);
  mlir::LogicalResult lowerDataMovement(mlir::Operation *op);
  mlir::LogicalResult lowerReduceSum(mlir::tosa::ReduceSumOp op);
  mlir::LogicalResult lowerInt32Binary(mlir::Operation *op);
  mlir::LogicalResult lowerDequantize(mlir::tosa::CastOp op);
  /// The importer's uint8 <-> int8 rescale by one at a uint8 model's edge.
  mlir::LogicalResult lowerUInt8Edge(mlir::tosa::RescaleOp op);
  mlir::LogicalResult lowerLeakyRelu(mlir::tosa::SelectOp op);
  mlir::LogicalResult lowerFloatActivation(mlir::Operation *op);
  mlir::LogicalResult lowerFloatAvgPool(mlir::tosa::AvgPool2dOp op);
  /// Claims, before lowering, the ops a later op's step starts with (the
  /// branches of LEAKY_RELU's select, a convolution's trimming slice).
  void claimChains(mlir::Block &entry);

  /// The single user of `v` if it is an `OpT`.
  template <typename OpT> OpT soleUser(mlir::Value v) {
    if (!v.hasOneUse())
      return {};
    return llvm::dyn_cast<OpT>(*v.getUsers().begin());
  }
  /// Clamp range after `v`: consumes a following clamp if there is one.
  std::pair<mlir::Value, std::pair<double, double>>
  floatClampAfter(mlir::Value v);
  /// Appends a step with the reads and writes recorded since the last one.
  void emit(mlir::Operation *anchor, std::string code);
  void emitStep(std::string comment, std::string code,
                mlir::Operation *anchor = nullptr);
  /// Lets the last step's output `out` overwrite `in` when both have the
  /// same shape and element size and the step reads element i of `in`
  /// only before writing element i of `out`.
  void allowInPlace(mlir::Value in, mlir::Value out);

  KernelProgram &p;
  llvm::DenseMap<mlir::Value, unsigned> bufferIds;
  llvm::DenseMap<mlir::Value, std::string> constNames;
  /// Ops some step stands for besides its anchor: not lowered on their own.
  llvm::DenseSet<mlir::Operation *> consumed;
  /// Chain heads claimed before lowering (claimChains), by the anchor whose
  /// step takes them.
  llvm::DenseMap<mlir::Operation *, llvm::SmallVector<mlir::Operation *, 2>>
      claimedBy;
  /// Ops consumed since the last step: they join the next one.
  llvm::SmallVector<mlir::Operation *, 4> pendingOps;
  llvm::SmallVector<unsigned, 4> pendingReads, pendingWrites;
  unsigned nextConst = 0;
};

/// Follows views (reshapes) back to the value that owns the storage.
mlir::Value rootValue(mlir::Value v);

/// TOSA rescale constants as TFLite multipliers/exponents, one per
/// `channels`; false when the rescale is not the importer's kind.
bool rescaleConstants(mlir::tosa::RescaleOp r, int64_t channels,
                      llvm::SmallVector<int64_t> &mult,
                      llvm::SmallVector<int64_t> &shift);

} // namespace cpp
} // namespace tinyprune

#endif // TINYPRUNE_LIB_TARGET_CPP_KERNELPROGRAM_H
