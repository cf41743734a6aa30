//===- ChannelGroups.h - Channels that must be removed together -*- C++ -*-===//
//
// Structured channel pruning removes an output channel of a layer and
// everything computed from it. On layer ops (after
// `--tinyprune-raise-to-layers`) a channel of a convolution or a
// fully-connected layer flows through depthwise layers (one channel in, one
// out), pools, means, pads, slices, transposes, reshapes (a flatten spreads
// it over every spatial position) and concatenations (at an offset) to the
// input channels of the next convolutions or fully-connected layers, where
// it ends. Residual adds (and other element-wise layers, and concatenations
// along another axis) tie the channels of their operands together: channel
// c of each operand must go at once. A *channel group* is the set of layer
// outputs tied that way, with every place their channels sit; removing
// channel c of a group removes it from all of them.
//
// The analysis is conservative: a group whose channels reach the
// function's result, meet channels that come from no layer (the function's
// input) or another layout, or flow into an op it does not know, is not
// prunable, with the reason.
//
//===----------------------------------------------------------------------===//

#ifndef TINYPRUNE_TRANSFORMS_PRUNING_CHANNELGROUPS_H
#define TINYPRUNE_TRANSFORMS_PRUNING_CHANNELGROUPS_H

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Value.h"
#include "mlir/Support/LLVM.h"
#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/SmallVector.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace tinyprune {
namespace pruning {

/// Where the channels of a group sit in one tensor: along dimension `axis`
/// of `value`, channel c of the group is every index `k * period + offset
/// + c` (k from 0 while below the dimension's size). A layer's output has
/// `period` = its channel count and `offset` 0; a concatenation shifts
/// `offset`; a flatten spreads the channels over the positions (the
/// period stays the channel count, the dimension grows).
struct ChannelSite {
  mlir::Value value;
  int64_t axis = 0, period = 0, offset = 0;

  /// The indices along `axis` that channel `c` occupies.
  llvm::SmallVector<int64_t> indices(int64_t c) const;
};

/// A layer whose weights a group's channels index: the output channels of
/// its producers, the input channels of its consumers (at `site`), or the
/// channels of a depthwise layer they pass through.
struct ChannelUse {
  mlir::Operation *op = nullptr;
  /// The group's channels in the tensor the layer writes (producers,
  /// depthwise) or reads (consumers).
  ChannelSite site;
};

struct ChannelGroup {
  /// Channels of the group (of each of its producers).
  int64_t channels = 0;
  /// Convolutions and fully-connected layers whose output channels are the
  /// group's (more than one when residual adds tie them).
  llvm::SmallVector<ChannelUse> producers;
  /// Convolutions and fully-connected layers reading them as input
  /// channels.
  llvm::SmallVector<ChannelUse> consumers;
  /// Depthwise layers their channels pass through.
  llvm::SmallVector<ChannelUse> depthwise;
  /// Every tensor the channels sit in (producers' outputs included), each
  /// place once.
  llvm::SmallVector<ChannelSite> sites;
  bool prunable = true;
  /// Why not, when not prunable.
  std::string reason;
};

/// The channel groups of `func` (layer ops), in the order of their first
/// producer.
std::vector<ChannelGroup> findChannelGroups(mlir::func::FuncOp func);

/// Removes channels of prunable groups of `func`: `removed[g]` lists the
/// channels (indices below `groups[g].channels`) to remove from group `g`;
/// at least one channel of a group must stay. Weights, biases, per-channel
/// weight scales, requantization constants and the shapes of every tensor
/// the channels sit in follow. `groups` must be what findChannelGroups
/// returned for `func` as it is. Fails with an error on the op at fault.
mlir::LogicalResult
removeChannels(mlir::func::FuncOp func, llvm::ArrayRef<ChannelGroup> groups,
               llvm::ArrayRef<std::vector<int64_t>> removed);

/// Without data, before removeChannels: folds into the consumers' biases
/// the constant each channel in `removed` is taken to carry, what its
/// producer's bias alone gives after the activation (for a channel chosen
/// for its small filter), followed through the group's depthwise layers
/// (their filters summed; padding ignored). Groups of several producers
/// are left as they are. Returns the number of consumers changed.
int64_t foldRemovedChannels(mlir::func::FuncOp func,
                            llvm::ArrayRef<ChannelGroup> groups,
                            llvm::ArrayRef<std::vector<int64_t>> removed);

/// The weights of convolution layer op `op` as real values in their stored
/// layout (int8: dequantized by the scale of their channel along
/// `outputAxis`, 0 for conv2d, 2 for depthwise); none when not constant or
/// without scales.
std::optional<std::vector<double>> realLayerWeights(mlir::Operation *op,
                                                    int64_t outputAxis);

} // namespace pruning
} // namespace tinyprune

#endif // TINYPRUNE_TRANSFORMS_PRUNING_CHANNELGROUPS_H
