"""The nets: the engine's CIFAR nets (src/engine/models.ts: same layer names, order and widths) and torchvision's
ImageNet ResNets turned into supermask nets (every Conv2d and Linear masked, no biases, BatchNorm affine-free).

A model is an nn.Module with `masked` (its supermask layers, in the engine's order) and `norms` (its BatchNorms).
Inputs are NCHW; Conv-n flatten in NHWC order as the engine does, so the fc1 edges are numbered alike.
"""

from typing import List

import torch
from torch import nn

from .config import MODELS_CIFAR as CIFAR_MODELS, TORCHVISION_MODELS
from .jsmath import js_round
from .mask import kept_count
from .supermask import SupermaskConv2d, SupermaskLayer, SupermaskLinear, affine_free_bn

CLASSES = 10


def channels(c: int, width: float) -> int:
    """max(1, round(c x width)), with JavaScript's rounding of halves."""
    return max(1, js_round(c * width))


class SupermaskNet(nn.Module):
    def collect(self) -> None:
        """Lists the masked layers and norms in registration order (the engine's order)."""
        self.masked: List[SupermaskLayer] = [m for m in self.modules() if isinstance(m, SupermaskLayer)]
        self.norms: List[nn.BatchNorm2d] = [m for m in self.modules() if isinstance(m, nn.BatchNorm2d)]


class ConvNet(SupermaskNet):
    """edge-popup's Conv-2/4/6: 3x3 convs 64-64-pool[-128-128-pool[-256-256-pool]], fc 256-256-10, no BatchNorm."""

    def __init__(self, blocks: int, width: float, seed: int):
        super().__init__()
        plan = [channels(c, width) for c in (64, 128, 256)[:blocks]]
        convs = []
        cin = 3
        for i, c in enumerate(plan):
            convs.append(SupermaskConv2d(f"conv{2 * i + 1}", cin, c, 3, seed))
            convs.append(SupermaskConv2d(f"conv{2 * i + 2}", c, c, 3, seed))
            cin = c
        self.convs = nn.ModuleList(convs)
        side = 32 >> blocks
        hidden = channels(256, width)
        self.fc1 = SupermaskLinear("fc1", cin * side * side, hidden, seed)
        self.fc2 = SupermaskLinear("fc2", hidden, hidden, seed)
        self.fc3 = SupermaskLinear("fc3", hidden, CLASSES, seed)
        self.collect()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = x
        for i in range(0, len(self.convs), 2):
            h = torch.relu(self.convs[i](h))
            h = nn.functional.max_pool2d(torch.relu(self.convs[i + 1](h)), 2, 2)
        h = h.permute(0, 2, 3, 1).reshape(x.shape[0], -1)  # NHWC flatten, as the engine
        h = torch.relu(self.fc1(h))
        h = torch.relu(self.fc2(h))
        return self.fc3(h)


class BasicBlock(nn.Module):
    def __init__(self, prefix: str, cin: int, cout: int, stride: int, seed: int):
        super().__init__()
        self.conv1 = SupermaskConv2d(f"{prefix}.conv1", cin, cout, 3, seed, stride)
        self.bn1 = affine_free_bn(cout)
        self.conv2 = SupermaskConv2d(f"{prefix}.conv2", cout, cout, 3, seed)
        self.bn2 = affine_free_bn(cout)
        # Option B: a masked 1x1 conv + BN where the shape changes, identity otherwise.
        self.has_shortcut = stride != 1 or cin != cout
        if self.has_shortcut:
            self.shortcut = SupermaskConv2d(f"{prefix}.shortcut", cin, cout, 1, seed, stride)
            self.shortcut_bn = affine_free_bn(cout)

    def forward(self, h: torch.Tensor) -> torch.Tensor:
        y = torch.relu(self.bn1(self.conv1(h)))
        z = self.bn2(self.conv2(y))
        sc = self.shortcut_bn(self.shortcut(h)) if self.has_shortcut else h
        return torch.relu(z + sc)


class CifarResNet(SupermaskNet):
    """3x3 stem (stride 1, no max-pool), stages of basic blocks, global average pool, linear. ResNet-20/32: 16-32-64
    channels, 3 / 5 blocks; ResNet-18 (EP's and iEP's CIFAR net): 64-128-256-512, 2 blocks."""

    def __init__(self, stages: List[int], blocks_per_stage: int, width: float, seed: int):
        super().__init__()
        c0 = channels(stages[0], width)
        self.conv1 = SupermaskConv2d("conv1", 3, c0, 3, seed)
        self.bn1 = affine_free_bn(c0)
        cin = c0
        for s, c in enumerate(stages):
            cout = channels(c, width)
            blocks = []
            for i in range(blocks_per_stage):
                stride = 2 if s > 0 and i == 0 else 1
                blocks.append(BasicBlock(f"layer{s + 1}.{i}", cin, cout, stride, seed))
                cin = cout
            setattr(self, f"layer{s + 1}", nn.Sequential(*blocks))
        self.stages = len(stages)
        self.fc = SupermaskLinear("fc", cin, CLASSES, seed)
        self.collect()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = torch.relu(self.bn1(self.conv1(x)))
        for s in range(self.stages):
            h = getattr(self, f"layer{s + 1}")(h)
        return self.fc(h.mean(dim=(2, 3)))


class TorchvisionSupermask(SupermaskNet):
    """A torchvision ImageNet net with every Conv2d and Linear replaced by its supermask twin (bias dropped, as EP)
    and every BatchNorm made affine-free. Layer names are the module paths (e.g. 'layer1.0.downsample.0')."""

    def __init__(self, arch: str, seed: int, classes: int = 1000):
        super().__init__()
        import torchvision

        self.net = getattr(torchvision.models, arch)(num_classes=classes)
        for path, module in list(self.net.named_modules()):
            replacement = None
            if isinstance(module, nn.Conv2d):
                k = module.kernel_size[0]
                replacement = SupermaskConv2d(
                    path,
                    module.in_channels,
                    module.out_channels,
                    k,
                    seed,
                    module.stride[0],
                    module.padding[0],
                    module.dilation[0],
                    module.groups,
                )
            elif isinstance(module, nn.Linear):
                replacement = SupermaskLinear(path, module.in_features, module.out_features, seed)
            elif isinstance(module, nn.BatchNorm2d):
                replacement = affine_free_bn(module.num_features)
            if replacement is not None:
                parent_path, _, name = path.rpartition(".")
                parent = self.net.get_submodule(parent_path) if parent_path else self.net
                setattr(parent, name, replacement)
        self.collect()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)


def build_model(name: str, width: float, seed: int, classes: int = CLASSES) -> SupermaskNet:
    if name == "conv2":
        return ConvNet(1, width, seed)
    if name == "conv4":
        return ConvNet(2, width, seed)
    if name == "conv6":
        return ConvNet(3, width, seed)
    if name == "resnet20":
        return CifarResNet([16, 32, 64], 3, width, seed)
    if name == "resnet32":
        return CifarResNet([16, 32, 64], 5, width, seed)
    if name == "resnet18":
        return CifarResNet([64, 128, 256, 512], 2, width, seed)
    if name in TORCHVISION_MODELS:
        return TorchvisionSupermask(TORCHVISION_MODELS[name], seed, classes)
    raise ValueError(f"unknown model {name!r} (known: {', '.join(CIFAR_MODELS + tuple(TORCHVISION_MODELS))})")


def summarize(model: SupermaskNet, name: str, width: float, target_pruning_rate: float) -> dict:
    """The ModelSummary of src/protocol/report.ts."""
    layers = [
        {
            "name": l.layer_name,
            "kind": l.kind,
            "shape": list(l.shape),
            "edges": l.edges,
            "keptAtTarget": kept_count(l.edges, target_pruning_rate),
        }
        for l in model.masked
    ]
    return {
        "model": name,
        "width": width,
        "layers": layers,
        "totalEdges": sum(l["edges"] for l in layers),
        "keptAtTarget": sum(l["keptAtTarget"] for l in layers),
    }
