//===- CppEmitter.cpp - Print a planned function as C++ -------------------===//
//
// `--emit-cpp`: prints a function whose arena `--tinyprune-plan-arena`
// planned as standalone C++: NAME.h (the C API and sizes), NAME.cpp (the
// constant arrays, the arena, NAME_invoke with one kernel call per layer)
// and the runtime headers it includes. The printer makes no decision: the
// kernel calls are those of KernelProgram.h, in program order (set by
// `--tinyprune-schedule-for-memory`), and every buffer's place, every
// streamed convolution's ring, come from the plan attributes
// (tinyprune/Dialect/ArenaAttrs.h). A function without a plan is an error.
//
// The translation writes all files to one stream, each opened by a line
// `//--- PATH` (LLVM's `split-file` format), so that
// `tinyprune-translate --emit-cpp m.mlir | split-file - out/` writes them.
//
//===----------------------------------------------------------------------===//

#include "tinyprune/Target/Cpp.h"

#include "KernelProgram.h"

#include "tinyprune/Dialect/ArenaAttrs.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/Tools/mlir-translate/Translation.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/raw_ostream.h"

using namespace mlir;
using namespace tinyprune;
using namespace tinyprune::cpp;

/// The i64 field `name` of the dictionary attribute `attrName` on `op`.
static std::optional<int64_t> planField(Operation *op, StringRef attrName,
                                        StringRef name) {
  auto dict = op->getAttrOfType<DictionaryAttr>(attrName);
  if (!dict)
    return std::nullopt;
  auto v = dict.getAs<IntegerAttr>(name);
  if (!v)
    return std::nullopt;
  return v.getInt();
}

/// Places `p`'s buffers as the plan attributes on `func`'s ops say, and
/// sets the streamed convolutions' rings; returns the arena size.
static FailureOr<int64_t> readPlan(func::FuncOp func, KernelProgram &p) {
  auto size = func->getAttrOfType<IntegerAttr>(kArenaSizeAttr);
  if (!size)
    return func.emitError() << "has no '" << kArenaSizeAttr
                            << "': run --tinyprune-plan-arena first";
  // Row-fused chains first: their inner tensors have no place.
  p.computeLifetimes();
  for (size_t t = 0; t < p.steps.size(); ++t) {
    Operation *anchor = p.steps[t].anchor;
    if (!anchor || !anchor->hasAttr(kFuseRowsAttr))
      continue;
    std::optional<int64_t> chunk = planField(anchor, kFuseRowsAttr, "chunk");
    std::optional<RowFusion> f =
        chunk ? matchRowFusion(p, t, *chunk) : std::nullopt;
    if (!f)
      return anchor->emitOpError()
             << "has a '" << kFuseRowsAttr
             << "' but does not end a row-fused chain: the plan is stale";
    addRowFusion(p, *f);
    Buffer &window = p.bufs[p.fusions.back().window];
    Buffer &block = p.bufs[p.fusions.back().block];
    if (*planField(anchor, kFuseRowsAttr, "window_bytes") != window.bytes ||
        *planField(anchor, kFuseRowsAttr, "block_bytes") != block.bytes)
      return anchor->emitOpError()
             << "has a '" << kFuseRowsAttr << "' that does not fit its chain";
    window.offset = *planField(anchor, kFuseRowsAttr, "window_offset");
    block.offset = *planField(anchor, kFuseRowsAttr, "block_offset");
  }
  size_t planned = p.bufs.size();
  for (size_t i = 0; i < planned; ++i) {
    Buffer &b = p.bufs[i];
    if (b.home != Home::Arena && b.home != Home::Output)
      continue;
    Operation *def = b.value ? b.value.getDefiningOp() : b.scratchOf;
    if (!def)
      continue; // A copy into the output or a chain's window: placed.
    StringRef attr = b.scratchOf             ? kScratchAttr
                     : b.home == Home::Arena ? kArenaAttr
                                             : kOutputAttr;
    std::optional<int64_t> offset = planField(def, attr, "offset");
    std::optional<int64_t> bytes = planField(def, attr, "bytes");
    if (!offset || !bytes)
      return def->emitOpError()
             << "has no '" << attr << "': the arena plan is missing or stale";
    if (*bytes != b.bytes || (b.home == Home::Output && *offset != b.offset) ||
        (b.home == Home::Arena && *offset + *bytes > size.getInt()))
      return def->emitOpError()
             << "has a '" << attr << "' that does not fit its buffer";
    b.offset = *offset;
  }
  for (Step &step : p.steps) {
    if (!step.rows || step.writes.size() != 1)
      continue;
    Value out = p.bufs[step.writes[0]].value;
    Operation *def = out ? out.getDefiningOp() : nullptr;
    if (!def || !def->hasAttr(kStreamRowsAttr))
      continue;
    Buffer ring;
    ring.elementType = p.bufs[step.writes[0]].elementType;
    ring.offset = *planField(def, kStreamRowsAttr, "ring_offset");
    ring.bytes = *planField(def, kStreamRowsAttr, "ring_bytes");
    p.bufs.push_back(ring);
    step.ringBuffer = p.bufs.size() - 1;
    step.ringDelay = *planField(def, kStreamRowsAttr, "delay");
  }
  return size.getInt();
}

/// NAME.h: the C API and the size constants.
static std::string printHeader(StringRef name, const CppModel &model) {
  std::string upper = name.upper(), text;
  llvm::raw_string_ostream os(text);
  os << "// Generated by tinyprune: do not edit.\n"
     << "#ifndef " << upper << "_H\n#define " << upper << "_H\n\n"
     << "#ifdef __cplusplus\nextern \"C\" {\n#endif\n\n"
     << "#define " << upper << "_INPUT_BYTES " << model.inputBytes << "\n"
     << "#define " << upper << "_OUTPUT_BYTES " << model.outputBytes << "\n"
     << "#define " << upper << "_ARENA_BYTES " << model.arenaBytes << "\n"
     << "// Aliases in the lowercase naming of NAME_invoke.\n"
     << "#define " << name << "_INPUT_BYTES " << upper << "_INPUT_BYTES\n"
     << "#define " << name << "_OUTPUT_BYTES " << upper << "_OUTPUT_BYTES\n"
     << "#define " << name << "_ARENA_BYTES " << upper << "_ARENA_BYTES\n\n"
     << "/// Runs one inference: reads " << name << "_INPUT_BYTES from "
     << "`input`, writes " << name << "_OUTPUT_BYTES to `output`.\n"
     << "/// Returns 0. Not reentrant: the activations live in one static "
     << "arena.\n"
     << "int " << name << "_invoke(const void *input, void *output);\n\n"
     << "#ifdef __cplusplus\n}\n#endif\n\n#endif\n";
  return text;
}

/// The loop of a row-fused chain (rt::streamRowPair): A's rows into the
/// window, B's rows into the block, C from the block and T's rows.
static std::string fusedCode(const KernelProgram &p, const RowFusion &f) {
  const RowStreaming &ga = *p.steps[f.a].rows;
  const RowStreaming &gb = *p.steps[f.b].rows;
  const FlatCall &c = *p.steps[f.c].flat;
  auto token = [](unsigned b) { return "@" + std::to_string(b) + "@"; };
  bool blockIsLhs = c.lhs == f.second;
  return llvm::formatv(
             "tinyprune::rt::streamRowPair({0}, {1}, {2}, {3}, {4}, {5}, {6}, "
             "{7},\n"
             "    [&](int32_t r, int32_t n, uint8_t *dst) {\n"
             "      const tinyprune::rt::RowWindow w = "
             "tinyprune::rt::rowsWindow(r, n, {8}, {9}, {10}, {11});\n"
             "      const uint8_t *src = {12} + w.first * {13};\n"
             "      {14}\n"
             "    },\n"
             "    [&](int32_t r, int32_t n, const tinyprune::rt::RowWindow &w, "
             "const uint8_t *src) {\n"
             "      uint8_t *dst = {15};\n"
             "      {16}\n"
             "      const int32_t shape[1] = {{n * {17}};\n"
             "      const uint8_t *{18} = dst;\n"
             "      const uint8_t *{19} = {20} + r * {17};\n"
             "      uint8_t *o = {21} + r * {17};\n"
             "      {22}\n"
             "    });",
             gb.outRows, f.chunk, gb.inRows, gb.inRowBytes, gb.stride,
             gb.padTop, gb.span, token(f.window), ga.stride, ga.padTop, ga.span,
             ga.inRows, token(f.input), ga.inRowBytes, ga.chunkCode,
             token(f.block), gb.chunkCode, gb.outRowBytes,
             blockIsLhs ? "a" : "b", blockIsLhs ? "b" : "a", token(f.other),
             token(f.output), c.code)
      .str();
}

/// A step's code with its buffer tokens replaced by addresses.
static std::string stepCode(const KernelProgram &p, const Step &s) {
  std::string code = s.code;
  if (s.fusion >= 0)
    code = fusedCode(p, p.fusions[s.fusion]);
  if (s.ringBuffer >= 0) {
    // Row by row over the input, which the output overwrites.
    const RowStreaming &g = *s.rows;
    std::string streamed =
        llvm::formatv("tinyprune::rt::streamRowsInPlace({0}, {1}, {2}, "
                      "@{3}@, {4}, [&](int32_t r, void *row) {\n"
                      "    const tinyprune::rt::RowWindow w = "
                      "tinyprune::rt::rowWindow(r, {5}, {6}, {7}, {8});\n"
                      "    {9}\n  });",
                      g.outRows, g.outRowBytes, s.ringDelay, s.ringBuffer,
                      "@" + std::to_string(s.writes[0]) + "@", g.stride,
                      g.padTop, g.span, g.inRows, g.rowCode)
            .str();
    // On the cores with a whole-layer kernel for it, that kernel over the
    // output's storage instead.
    code = g.wholeCode.empty() ? streamed
                               : "#if " + g.wholeGuard + "\n  " + g.wholeCode +
                                     "\n#else\n  " + streamed + "\n#endif";
  }
  for (auto [i, b] : llvm::enumerate(p.bufs)) {
    std::string token = "@" + std::to_string(i) + "@";
    std::string base = b.home == Home::Input    ? "in"
                       : b.home == Home::Output ? "out"
                                                : "arena";
    std::string addr =
        b.home == Home::Const
            ? "reinterpret_cast<const uint8_t *>(" + b.constName + ")"
        : b.offset == 0 && b.home != Home::Arena
            ? base
            : "(" + base + " + " + std::to_string(b.offset) + ")";
    size_t pos;
    while ((pos = code.find(token)) != std::string::npos)
      code.replace(pos, token.size(), addr);
  }
  return code;
}

FailureOr<CppModel> tinyprune::emitCpp(func::FuncOp func, StringRef name) {
  FailureOr<KernelProgram> program = buildKernelProgram(func);
  if (failed(program))
    return failure();
  KernelProgram &p = *program;
  FailureOr<int64_t> arenaBytes = readPlan(func, p);
  if (failed(arenaBytes))
    return failure();

  CppModel model;
  model.inputBytes = p.inputBytes;
  model.outputBytes = p.outputBytes;
  model.arenaBytes = *arenaBytes;
  if (auto peak = func->getAttrOfType<IntegerAttr>(kArenaLivePeakAttr))
    model.peakLiveBytes = peak.getInt();
  model.weightBytes = p.constantBytes;
  model.layers = p.steps.size();
  model.header = printHeader(name, model);

  std::string upper = name.upper();
  llvm::raw_string_ostream os(model.source);
  os << "// Generated by tinyprune: do not edit.\n"
     << "// " << p.steps.size() << " layers, " << p.constantBytes
     << " constant bytes, arena " << model.arenaBytes << " bytes.\n"
     << "#include \"" << name << ".h\"\n\n"
     << "#include <math.h>\n#include <stdint.h>\n\n"
     << "#include \"tinyprune/rt/conv.h\"\n"
     << "#include \"tinyprune/rt/depthwise_conv.h\"\n"
     << "#include \"tinyprune/rt/fully_connected.h\"\n"
     << "#include \"tinyprune/rt/elementwise.h\"\n"
     << "#include \"tinyprune/rt/activations.h\"\n"
     << "#include \"tinyprune/rt/pooling.h\"\n"
     << "#include \"tinyprune/rt/softmax.h\"\n"
     << "#include \"tinyprune/rt/data_movement.h\"\n"
     << "#include \"tinyprune/rt/reduce.h\"\n"
     << "#include \"tinyprune/rt/quantize.h\"\n"
     << "#include \"tinyprune/rt/lstm.h\"\n"
     << "#include \"tinyprune/rt/inplace.h\"\n"
     << "#include \"tinyprune/rt/sparse_conv.h\"\n\n"
     << "namespace {\n\n"
     << p.constants;
  if (model.arenaBytes > 0)
    os << "\nalignas(16) static uint8_t arena[" << upper << "_ARENA_BYTES];\n";
  os << "\n} // namespace\n\n"
     << "extern \"C\" int " << name
     << "_invoke(const void *input, void *output) {\n"
     << "  const uint8_t *in = static_cast<const uint8_t *>(input);\n"
     << "  uint8_t *out = static_cast<uint8_t *>(output);\n"
     << "  (void)in;\n";
  for (auto [t, s] : llvm::enumerate(p.steps)) {
    os << "  // " << s.comment << "\n";
    if (s.fusion >= 0 && p.fusions[s.fusion].c != t) {
      os << "  //   (row-fused: computed in the loop of the chain ending at "
         << p.steps[p.fusions[s.fusion].c].anchor->getName() << " below)\n";
      continue;
    }
    os << "  " << stepCode(p, s) << "\n";
  }
  os << "  return 0;\n}\n";
  return model;
}

std::vector<std::pair<std::string, std::string>> tinyprune::runtimeHeaders() {
  return {
#include "RuntimeHeaders.inc"
  };
}

//===----------------------------------------------------------------------===//
// The translation
//===----------------------------------------------------------------------===//

/// The function of `module` to print: `function`, or the only one with a
/// body when `function` is empty.
static func::FuncOp functionToEmit(ModuleOp module, StringRef function) {
  func::FuncOp found;
  for (auto f : module.getOps<func::FuncOp>()) {
    if (!function.empty() ? f.getName() == function : !f.isExternal()) {
      if (found && function.empty()) {
        module.emitError() << "has several functions: choose one with "
                              "--emit-cpp-function";
        return {};
      }
      found = f;
    }
  }
  if (!found)
    module.emitError() << (function.empty()
                               ? std::string("has no function to emit")
                               : "has no function '" + function.str() + "'");
  return found;
}

void tinyprune::registerEmitCppTranslation() {
  // Options of the translation only: registered with it, as upstream's
  // --mlir-to-cpp does, so other tools linking the printer do not show them.
  static llvm::cl::opt<std::string> emitName(
      "emit-cpp-name",
      llvm::cl::desc("--emit-cpp: name of the generated files and of "
                     "NAME_invoke (a C identifier)"),
      llvm::cl::init("model"));
  static llvm::cl::opt<std::string> emitFunction(
      "emit-cpp-function",
      llvm::cl::desc("--emit-cpp: the function to print (default: the "
                     "module's only function with a body)"),
      llvm::cl::init(""));
  static llvm::cl::opt<bool> emitRuntime(
      "emit-cpp-runtime",
      llvm::cl::desc("--emit-cpp: also write the runtime headers"),
      llvm::cl::init(true));

  TranslateFromMLIRRegistration reg(
      "emit-cpp",
      "Print a planned function as C++ (files separated by '//--- PATH' "
      "lines, for split-file)",
      [](ModuleOp module, llvm::raw_ostream &os) -> LogicalResult {
        StringRef name = emitName;
        if (!isValidCppName(name))
          return module.emitError()
                 << "--emit-cpp-name '" << name << "' is not a C identifier";
        func::FuncOp func = functionToEmit(module, emitFunction);
        if (!func)
          return failure();
        FailureOr<CppModel> model = emitCpp(func, name);
        if (failed(model))
          return failure();
        os << "//--- " << name << ".h\n" << model->header;
        os << "//--- " << name << ".cpp\n" << model->source;
        if (emitRuntime)
          for (auto &[rel, text] : runtimeHeaders())
            os << "//--- " << rel << "\n" << text;
        return success();
      },
      [](DialectRegistry &registry) {
        registry
            .insert<TinyPruneDialect, func::FuncDialect, tosa::TosaDialect>();
      });
}

bool tinyprune::isValidCppName(StringRef name) {
  return !name.empty() && !llvm::isDigit(name[0]) &&
         llvm::all_of(name,
                      [](char c) { return llvm::isAlnum(c) || c == '_'; });
}
