//===- ChannelGroups.cpp - Channels that must be removed together ---------===//
//
// Finds the channel groups of a function of layer ops (ChannelGroups.h):
// every convolution or fully-connected layer's output channels start an
// *atom*; each atom's channels are followed forward through the ops that
// move them, recording each tensor they sit in (a ChannelSite) and the
// layers whose weights index them. Ops that combine tensors channel by
// channel (element-wise layers, concatenations along another axis) tie the
// atoms at the same place of their operands: a union-find over atoms makes
// the groups. Anything the walk does not know makes its atom, and so its
// group, unprunable, with the reason. The rewrite is in ChannelRemoval.cpp.
//
//===----------------------------------------------------------------------===//

#include "tinyprune/Transforms/Pruning/ChannelGroups.h"

#include "tinyprune/Dialect/TinyPrune.h"

#include "mlir/Dialect/Tosa/IR/TosaOps.h"
#include "mlir/IR/BuiltinTypes.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/EquivalenceClasses.h"

#include <optional>
#include "llvm/ADT/STLExtras.h"
#include "llvm/Support/Debug.h"
#include "llvm/Support/FormatVariadic.h"

#include <deque>
#include <numeric>

#define DEBUG_TYPE "channel-groups"

using namespace mlir;
using namespace tinyprune;
using namespace tinyprune::pruning;

SmallVector<int64_t> ChannelSite::indices(int64_t c) const {
  SmallVector<int64_t> out;
  int64_t size = cast<RankedTensorType>(value.getType()).getDimSize(axis);
  for (int64_t k = 0; k * period + offset + c < size; ++k)
    out.push_back(k * period + offset + c);
  return out;
}

namespace {

/// A site of one atom.
struct AtomSite {
  size_t atom;
  ChannelSite site;
};

/// Everything known about one atom (a producer's output channels).
struct Atom {
  Operation *producer;
  int64_t channels;
  SmallVector<ChannelUse> consumers, depthwise;
  SmallVector<ChannelSite> sites;
  std::string reason; ///< Empty while prunable.
};

bool sameSite(const ChannelSite &a, const ChannelSite &b) {
  return a.value == b.value && a.axis == b.axis && a.period == b.period &&
         a.offset == b.offset;
}

ArrayRef<int64_t> shapeOf(Value v) {
  return cast<RankedTensorType>(v.getType()).getShape();
}

int64_t product(ArrayRef<int64_t> dims) {
  return std::accumulate(dims.begin(), dims.end(), int64_t(1),
                         std::multiplies<int64_t>());
}

/// The integers of a `tosa.const_shape`, or none.
std::optional<SmallVector<int64_t>> constShape(Value v) {
  auto op = v.getDefiningOp<tosa::ConstShapeOp>();
  if (!op)
    return std::nullopt;
  SmallVector<int64_t> out;
  for (const APInt &i : op.getValues().getValues<APInt>())
    out.push_back(i.getSExtValue());
  return out;
}

/// Whether `op` is a convolution layer whose weights and bias are
/// constants this analysis can rewrite; else the reason.
std::string unreadableLayer(Operation *op, Value weights, Value bias,
                            int64_t channels) {
  if (!weights.getDefiningOp<tosa::ConstOp>())
    return "its weights are not a constant";
  auto biasOp = bias.getDefiningOp<tosa::ConstOp>();
  if (!biasOp ||
      cast<RankedTensorType>(bias.getType()).getNumElements() != channels)
    return "its bias is not a constant of one value per channel";
  if (op->getAttr("filterlets"))
    return "it is filterlet-pruned already (run --channel-prune first)";
  return "";
}

class GroupFinder {
public:
  explicit GroupFinder(func::FuncOp func) : func(func) {}
  std::vector<ChannelGroup> run();

private:
  func::FuncOp func;
  std::vector<Atom> atoms;
  /// The atoms' sites per tensor.
  llvm::DenseMap<Value, SmallVector<AtomSite>> sitesOf;
  /// Ops that tie the channels of their operands (each once).
  SmallVector<Operation *> ties;
  llvm::DenseSet<Operation *> tieSet;

  void follow(size_t atom);
  /// Where the channels at `site`, an operand of `user`, go: appended to
  /// `next`; an error string when they cannot be followed.
  std::string step(size_t atom, const ChannelSite &site, OpOperand &use,
                   SmallVectorImpl<ChannelSite> &next);
  void tie(llvm::EquivalenceClasses<size_t> &classes);
  void fail(size_t atom, const Twine &why) {
    if (atoms[atom].reason.empty())
      atoms[atom].reason = why.str();
  }
};

} // namespace

std::string GroupFinder::step(size_t atom, const ChannelSite &site,
                              OpOperand &use,
                              SmallVectorImpl<ChannelSite> &next) {
  Operation *user = use.getOwner();
  int64_t rank = shapeOf(site.value).size();
  auto same = [&](Value result) {
    ChannelSite s = site;
    s.value = result;
    next.push_back(s);
  };
  auto plainNhwc = [&] {
    return rank == 4 && site.axis == 3 && site.period == shapeOf(site.value)[3];
  };
  if (isa<func::ReturnOp>(user))
    return "its channels reach the function's result";

  if (auto conv = dyn_cast<Conv2DOp>(user)) {
    if (use.getOperandNumber() != 0)
      return "it feeds a convolution's weights or bias";
    if (site.axis != 3)
      return "it feeds a convolution along another axis than channels";
    std::string why = unreadableLayer(conv, conv.getWeights(), conv.getBias(),
                                      conv.getNumOutputChannels());
    if (!why.empty())
      return "it feeds " + why.insert(0, "a layer where ");
    atoms[atom].consumers.push_back({conv, site});
    return "";
  }
  if (auto dw = dyn_cast<DepthwiseConv2DOp>(user)) {
    if (use.getOperandNumber() != 0)
      return "it feeds a depthwise layer's weights or bias";
    if (!plainNhwc())
      return "it feeds a depthwise layer in another layout";
    if (shapeOf(dw.getWeights())[3] != 1)
      return "it feeds a depthwise layer with a depth multiplier above 1";
    std::string why = unreadableLayer(dw, dw.getWeights(), dw.getBias(),
                                      dw.getNumOutputChannels());
    if (!why.empty())
      return "it feeds a depthwise layer where " + why;
    ChannelSite out = site;
    out.value = dw.getOutput();
    atoms[atom].depthwise.push_back({dw, out});
    next.push_back(out);
    return "";
  }
  // Element-wise layers and activations: the same place in the result;
  // with two operands they tie the operands' channels.
  if (isa<AddOp, SubOp, MulOp>(user)) {
    for (Value operand : user->getOperands())
      if (shapeOf(operand) != shapeOf(user->getResult(0)))
        return llvm::formatv("it feeds a broadcasting {0}",
                             user->getName().getStringRef())
            .str();
    if (tieSet.insert(user).second)
      ties.push_back(user);
    same(user->getResult(0));
    return "";
  }
  if (isa<RequantizeOp, LogisticOp, TanhOp, HardSwishOp, tosa::ClampOp>(user)) {
    same(user->getResult(0));
    return "";
  }
  if (isa<MaxPool2dOp, AvgPool2dOp>(user)) {
    if (!plainNhwc())
      return "it feeds a pool in another layout";
    same(user->getResult(0));
    return "";
  }
  if (auto mean = dyn_cast<MeanOp>(user)) {
    ChannelSite s = site;
    s.value = mean.getOutput();
    for (int64_t a : mean.getAxes()) {
      if (a == site.axis)
        return "it feeds a mean over the channels";
      if (a < site.axis && !mean.getKeepDims())
        --s.axis;
    }
    next.push_back(s);
    return "";
  }
  if (auto slice = dyn_cast<tosa::SliceOp>(user)) {
    std::optional<SmallVector<int64_t>> start = constShape(slice.getStart());
    std::optional<SmallVector<int64_t>> size = constShape(slice.getSize());
    if (!start || !size)
      return "it feeds a slice of unknown bounds";
    int64_t dim = shapeOf(site.value)[site.axis];
    if ((*start)[site.axis] != 0 ||
        ((*size)[site.axis] != dim && (*size)[site.axis] != -1))
      return "it feeds a slice of the channels";
    same(slice.getOutput());
    return "";
  }
  if (auto pad = dyn_cast<tosa::PadOp>(user)) {
    std::optional<SmallVector<int64_t>> padding = constShape(pad.getPadding());
    if (!padding || use.getOperandNumber() != 0)
      return "it feeds a pad of unknown padding";
    if ((*padding)[2 * site.axis] != 0 || (*padding)[2 * site.axis + 1] != 0)
      return "it feeds a pad of the channels";
    same(pad.getOutput());
    return "";
  }
  if (auto transpose = dyn_cast<tosa::TransposeOp>(user)) {
    ChannelSite s = site;
    s.value = transpose.getOutput();
    for (auto [j, p] : llvm::enumerate(transpose.getPerms()))
      if (p == site.axis)
        s.axis = j;
    next.push_back(s);
    return "";
  }
  if (auto reshape = dyn_cast<tosa::ReshapeOp>(user)) {
    // The index along the channel axis is unchanged by merging or
    // splitting outer dimensions into it as long as the dimensions inside
    // it stay (same inner product) and the new dimension is a multiple of
    // the period that divides, or is a multiple of, the old one.
    ArrayRef<int64_t> in = shapeOf(site.value);
    ArrayRef<int64_t> out = shapeOf(reshape.getOutput());
    int64_t inner = product(in.drop_front(site.axis + 1));
    int64_t length = in[site.axis];
    for (int64_t b = out.size() - 1; b >= 0; --b) {
      if (product(out.drop_front(b + 1)) != inner)
        continue;
      int64_t d = out[b];
      if (d % site.period != 0 || (d % length != 0 && length % d != 0))
        continue;
      ChannelSite s = site;
      s.value = reshape.getOutput();
      s.axis = b;
      next.push_back(s);
      return "";
    }
    return "it feeds a reshape that splits the channels";
  }
  if (auto concat = dyn_cast<tosa::ConcatOp>(user)) {
    int64_t axis = concat.getAxis();
    if (axis != site.axis) {
      // Along another axis, operands must carry the same channels.
      if (tieSet.insert(user).second)
        ties.push_back(user);
      same(concat.getOutput());
      return "";
    }
    if (site.period != shapeOf(site.value)[axis])
      return "it feeds a concatenation along its spread channels";
    int64_t offset = 0;
    for (OpOperand &o : concat->getOpOperands()) {
      if (&o == &use)
        break;
      offset += shapeOf(o.get())[axis];
    }
    ChannelSite s = site;
    s.value = concat.getOutput();
    s.offset += offset;
    s.period = shapeOf(s.value)[axis];
    next.push_back(s);
    return "";
  }
  return llvm::formatv("it feeds '{0}', which channel pruning does not "
                       "know",
                       user->getName().getStringRef())
      .str();
}

void GroupFinder::follow(size_t atom) {
  std::deque<ChannelSite> work;
  Operation *producer = atoms[atom].producer;
  Value out = producer->getResult(0);
  ChannelSite start{out, int64_t(shapeOf(out).size()) - 1, atoms[atom].channels,
                    0};
  work.push_back(start);
  while (!work.empty()) {
    ChannelSite site = work.front();
    work.pop_front();
    auto &list = sitesOf[site.value];
    if (llvm::any_of(list, [&](const AtomSite &s) {
          return s.atom == atom && sameSite(s.site, site);
        }))
      continue;
    list.push_back({atom, site});
    atoms[atom].sites.push_back(site);
    for (OpOperand &use : site.value.getUses()) {
      SmallVector<ChannelSite> next;
      std::string why = step(atom, site, use, next);
      if (!why.empty()) {
        fail(atom, why);
        LLVM_DEBUG(llvm::dbgs() << "channel-groups: " << why << "\n");
        continue;
      }
      work.insert(work.end(), next.begin(), next.end());
    }
  }
}

void GroupFinder::tie(llvm::EquivalenceClasses<size_t> &classes) {
  for (Operation *op : ties) {
    SmallVector<Value> operands(op->getOperands());
    // Every atom site of one operand must be at the same place of every
    // other operand, carried by an atom of as many channels.
    for (Value a : operands) {
      for (const AtomSite &as : sitesOf.lookup(a)) {
        for (Value b : operands) {
          if (b == a)
            continue;
          // The matching atom by index: `lookup` returns a copy.
          std::optional<size_t> match;
          for (const AtomSite &bs : sitesOf.lookup(b))
            if (bs.site.axis == as.site.axis &&
                bs.site.period == as.site.period &&
                bs.site.offset == as.site.offset &&
                atoms[bs.atom].channels == atoms[as.atom].channels)
              match = bs.atom;
          if (match) {
            classes.unionSets(as.atom, *match);
            continue;
          }
          fail(as.atom,
               llvm::formatv("'{0}' joins its channels with channels that "
                             "no layer output in this layout holds (the "
                             "function's input, or another layout)",
                             op->getName().getStringRef()));
        }
      }
    }
  }
}

std::vector<ChannelGroup> GroupFinder::run() {
  func.walk([&](Conv2DOp conv) {
    Atom a;
    a.producer = conv;
    a.channels = conv.getNumOutputChannels();
    a.reason =
        unreadableLayer(conv, conv.getWeights(), conv.getBias(), a.channels);
    if (!a.reason.empty())
      a.reason.insert(0, "the layer producing them is not prunable: ");
    atoms.push_back(std::move(a));
  });
  for (size_t i = 0; i < atoms.size(); ++i)
    follow(i);
  llvm::EquivalenceClasses<size_t> classes;
  for (size_t i = 0; i < atoms.size(); ++i)
    classes.insert(i);
  tie(classes);

  std::vector<ChannelGroup> groups;
  llvm::DenseMap<size_t, size_t> groupOfLeader;
  for (size_t i = 0; i < atoms.size(); ++i) {
    size_t leader = classes.getLeaderValue(i);
    auto [it, inserted] = groupOfLeader.try_emplace(leader, groups.size());
    if (inserted) {
      groups.emplace_back();
      groups.back().channels = atoms[i].channels;
    }
    ChannelGroup &g = groups[it->second];
    Atom &a = atoms[i];
    g.producers.push_back({a.producer, a.sites.front()});
    llvm::append_range(g.consumers, a.consumers);
    llvm::append_range(g.depthwise, a.depthwise);
    for (const ChannelSite &s : a.sites)
      if (llvm::none_of(g.sites,
                        [&](const ChannelSite &t) { return sameSite(s, t); }))
        g.sites.push_back(s);
    if (!a.reason.empty() && g.prunable) {
      g.prunable = false;
      g.reason = a.reason;
    }
  }
  // A depthwise layer or consumer reached by two atoms of one group is one
  // use.
  for (ChannelGroup &g : groups) {
    auto dedupe = [](SmallVectorImpl<ChannelUse> &uses) {
      SmallVector<ChannelUse> unique;
      for (const ChannelUse &u : uses)
        if (llvm::none_of(unique, [&](const ChannelUse &v) {
              return v.op == u.op && sameSite(v.site, u.site);
            }))
          unique.push_back(u);
      uses = std::move(unique);
    };
    dedupe(g.consumers);
    dedupe(g.depthwise);
    // Each place of a tensor's axis holds one group's channel: two sites on
    // different axes of one tensor mean a layout this rewrite cannot follow.
    for (const ChannelSite &s : g.sites)
      for (const ChannelSite &t : g.sites)
        if (s.value == t.value && s.axis != t.axis && g.prunable) {
          g.prunable = false;
          g.reason = "its channels sit along two axes of one tensor";
        }
    LLVM_DEBUG({
      llvm::dbgs() << "channel-groups: group of " << g.channels << " channels, "
                   << g.producers.size() << " producers, " << g.consumers.size()
                   << " consumers, " << g.depthwise.size() << " depthwise, "
                   << (g.prunable ? "prunable" : "not prunable: " + g.reason)
                   << "\n";
    });
  }
  return groups;
}

std::vector<ChannelGroup> pruning::findChannelGroups(func::FuncOp func) {
  return GroupFinder(func).run();
}
