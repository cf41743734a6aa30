"""fixture_nets: the fixture networks as layer graphs, and their torch form.

A network is a `Graph`: a list of `Layer`s in execution order, each naming its
input tensors (by layer name; "input" is the image). One description serves
training (`TorchNet` builds torch modules from it), export (tflite_export.py
walks the same layers) and the model cards (`describe`).

Layer kinds:
  conv    k x k convolution (groups=1) or depthwise (dw=True), TFLite SAME
          padding, optional BatchNorm (folded before export) and ReLU
  add     element-wise sum of two tensors, optional ReLU (residual join)
  gap     global average pooling to [N, C]
  fc      fully-connected layer producing the logits

Padding: TFLite's SAME pads (total // 2) before and the rest after, which for
a 3x3 stride-2 conv on an even input is 0 before and 1 after, unlike
PyTorch's symmetric padding. `TorchNet` pads explicitly with TFLite's amounts
and runs a VALID convolution, so the trained network and the exported SAME
convolutions compute the same function.

All tensors are NHWC in the graph description; torch runs NCHW (channels_last
memory format, which makes depthwise convolutions fast on CPU).
"""

from dataclasses import dataclass, field

import torch
import torch.nn as nn
import torch.nn.functional as F


@dataclass
class Layer:
    name: str
    kind: str                 # "conv", "add", "gap" or "fc"
    inputs: list
    cin: int = 0
    cout: int = 0
    k: int = 1
    stride: int = 1
    dw: bool = False          # depthwise conv (cin == cout, multiplier 1)
    bn: bool = False
    relu: bool = False
    # Filled in by Graph.infer_shapes(): output [H, W, C] ([C] for gap/fc).
    shape: list = field(default_factory=list)


@dataclass
class Graph:
    name: str
    layers: list
    input_shape: tuple = (28, 28, 1)
    summary: str = ""

    def __post_init__(self):
        self.infer_shapes()

    def layer(self, name):
        return next(l for l in self.layers if l.name == name)

    def shape_of(self, name):
        return list(self.input_shape) if name == "input" \
            else self.layer(name).shape

    def infer_shapes(self):
        for l in self.layers:
            ins = [self.shape_of(i) for i in l.inputs]
            if l.kind == "conv":
                h, w, c = ins[0]
                assert c == l.cin, (l.name, c, l.cin)
                l.shape = [same_out(h, l.stride), same_out(w, l.stride),
                           l.cout]
            elif l.kind == "add":
                assert ins[0] == ins[1], (l.name, ins)
                l.shape = list(ins[0])
            elif l.kind == "gap":
                l.shape = [ins[0][2]]
            elif l.kind == "fc":
                assert ins[0] == [l.cin], (l.name, ins)
                l.shape = [l.cout]
            else:
                raise ValueError(l.kind)

    def params(self):
        """Parameter count of the exported (BatchNorm-folded) network."""
        n = 0
        for l in self.layers:
            if l.kind == "conv":
                n += (l.k * l.k * l.cout if l.dw
                      else l.k * l.k * l.cin * l.cout) + l.cout
            elif l.kind == "fc":
                n += l.cin * l.cout + l.cout
        return n

    def describe(self):
        """Markdown table rows, one per layer."""
        rows = ["| layer | op | input(s) | output (HxWxC) |",
                "| --- | --- | --- | --- |"]
        for l in self.layers:
            if l.kind == "conv":
                op = (f"{'depthwise ' if l.dw else ''}conv {l.k}x{l.k}"
                      f" s{l.stride}{' + BN' if l.bn else ''}")
            elif l.kind == "add":
                op = "add"
            elif l.kind == "gap":
                op = "global average pool"
            else:
                op = f"fully-connected {l.cin}->{l.cout}"
            if l.relu:
                op += " + ReLU"
            rows.append(f"| {l.name} | {op} | {', '.join(l.inputs)} | "
                        f"{'x'.join(map(str, l.shape))} |")
        return "\n".join(rows)


def same_out(size, stride):
    return (size + stride - 1) // stride


def same_pads(size, k, stride):
    """TFLite SAME padding (before, after) along one axis."""
    total = max((same_out(size, stride) - 1) * stride + k - size, 0)
    return total // 2, total - total // 2


# -- the three networks -------------------------------------------------------
def conv(name, src, cin, cout, k=3, stride=1, dw=False, relu=True):
    return Layer(name, "conv", [src], cin, cout, k, stride, dw, True, relu)


def ds_block(layers, name, src, cin, cout, stride=1):
    """Depthwise-separable block: dw3x3+BN+ReLU, pw1x1+BN+ReLU."""
    layers.append(conv(f"{name}/dw", src, cin, cin, 3, stride, dw=True))
    layers.append(conv(f"{name}/pw", f"{name}/dw", cin, cout, 1))
    return f"{name}/pw"


def head(layers, src, c, classes=10):
    layers.append(Layer("pool", "gap", [src]))
    layers.append(Layer("logits", "fc", ["pool"], c, classes))


def dscnn():
    """MLPerf Tiny's keyword-spotting DS-CNN scaled to 28x28 images."""
    c = 64
    layers = [conv("conv0", "input", 1, c, 3, 2)]
    src = "conv0"
    for i in range(4):
        src = ds_block(layers, f"block{i}", src, c, c)
    head(layers, src, c)
    return Graph("dscnn", layers, summary=(
        "DS-CNN (MLPerf Tiny KWS shape): a 3x3 stride-2 conv to 64 channels, "
        "four depthwise-separable blocks at 14x14x64, global average pool, "
        "fully-connected"))


def mobilenet():
    """MobileNetV1-like: seven depthwise-separable blocks, two of stride 2."""
    plan = [(16, 32, 1), (32, 32, 1), (32, 64, 2), (64, 64, 1),
            (64, 128, 2), (128, 128, 1), (128, 128, 1)]
    layers = [conv("conv0", "input", 1, 16, 3, 2)]
    src = "conv0"
    for i, (cin, cout, stride) in enumerate(plan):
        src = ds_block(layers, f"block{i}", src, cin, cout, stride)
    head(layers, src, plan[-1][1])
    return Graph("mobilenet", layers, summary=(
        "MobileNetV1-like: a 3x3 stride-2 conv to 16 channels, seven "
        "depthwise-separable blocks (dw3x3+BN+ReLU, pw1x1+BN+ReLU; channels "
        "32, 32, 64 s2, 64, 128 s2, 128, 128), global average pool, "
        "fully-connected"))


def resnet8():
    """ResNet-8 as in MLPerf Tiny image classification, on 28x28x1 input."""
    layers = [conv("conv0", "input", 1, 16, 3, 1)]
    src, cin = "conv0", 16
    for stage, (cout, stride) in enumerate([(16, 1), (32, 2), (64, 2)]):
        n = f"stage{stage}"
        layers.append(conv(f"{n}/conv1", src, cin, cout, 3, stride))
        layers.append(conv(f"{n}/conv2", f"{n}/conv1", cout, cout, 3, 1,
                           relu=False))
        short = src
        if stride != 1 or cin != cout:
            layers.append(Layer(f"{n}/shortcut", "conv", [src], cin, cout, 1,
                                stride, bn=True))
            short = f"{n}/shortcut"
        layers.append(Layer(f"{n}/add", "add", [f"{n}/conv2", short],
                            relu=True))
        src, cin = f"{n}/add", cout
    head(layers, src, cin)
    return Graph("resnet8", layers, summary=(
        "ResNet-8 (MLPerf Tiny IC shape): a 3x3 conv to 16 channels, three "
        "stages of one residual block each (16, 32 s2, 64 s2 channels; two "
        "3x3 conv+BN, the second without ReLU, then ADD + ReLU; 1x1 stride-2 "
        "conv+BN shortcuts where the shape changes), global average pool, "
        "fully-connected"))


NETS = {"dscnn": dscnn, "mobilenet": mobilenet, "resnet8": resnet8}


# -- torch --------------------------------------------------------------------
class TorchNet(nn.Module):
    """Runs a Graph in torch (NCHW); BatchNorm is folded by fold_bn()."""

    def __init__(self, graph):
        super().__init__()
        self.graph = graph
        self.convs = nn.ModuleDict()
        self.bns = nn.ModuleDict()
        self.fcs = nn.ModuleDict()
        self.pads = {}  # asymmetric (left, right, top, bottom) paddings
        for l in graph.layers:
            key = self.key(l.name)
            if l.kind == "conv":
                h, w, _ = graph.shape_of(l.inputs[0])
                top, bottom = same_pads(h, l.k, l.stride)
                left, right = same_pads(w, l.k, l.stride)
                # Symmetric padding is left to the conv (F.pad copies).
                symmetric = top == bottom and left == right
                if not symmetric:
                    self.pads[key] = (left, right, top, bottom)
                self.convs[key] = nn.Conv2d(
                    l.cin, l.cout, l.k, l.stride,
                    padding=(top, left) if symmetric else 0,
                    groups=l.cin if l.dw else 1, bias=not l.bn)
                if l.bn:
                    self.bns[key] = nn.BatchNorm2d(l.cout)
            elif l.kind == "fc":
                self.fcs[key] = nn.Linear(l.cin, l.cout)

    @staticmethod
    def key(name):
        return name.replace("/", "_")

    def forward(self, x, keep=False):
        """x: [N,1,28,28]. Returns the logits, or with keep=True the dict of
        every layer's output (used for calibration)."""
        values = {"input": x}
        for l in self.graph.layers:
            key = self.key(l.name)
            ins = [values[i] for i in l.inputs]
            if l.kind == "conv":
                x = ins[0]
                if key in self.pads:
                    x = F.pad(x, self.pads[key])
                y = self.convs[key](x)
                if key in self.bns:
                    y = self.bns[key](y)
            elif l.kind == "add":
                y = ins[0] + ins[1]
            elif l.kind == "gap":
                y = ins[0].mean(dim=(2, 3))
            else:
                y = self.fcs[key](ins[0])
            values[l.name] = F.relu(y) if l.relu else y
        return values if keep else values[self.graph.layers[-1].name]

    @torch.no_grad()
    def fold_bn(self):
        """Fold every BatchNorm (in eval statistics) into its conv."""
        for key, bn in list(self.bns.items()):
            conv_ = self.convs[key]
            scale = bn.weight / torch.sqrt(bn.running_var + bn.eps)
            folded = nn.Conv2d(conv_.in_channels, conv_.out_channels,
                               conv_.kernel_size, conv_.stride,
                               padding=conv_.padding, groups=conv_.groups,
                               bias=True)
            folded.weight.copy_(conv_.weight * scale.view(-1, 1, 1, 1))
            folded.bias.copy_(bn.bias - bn.running_mean * scale)
            self.convs[key] = folded
            del self.bns[key]
