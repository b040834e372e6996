"""Supermask layers: frozen weights W, trainable scores S of the same shape, effective weight W * M(S).

The mask M is computed outside the layer (the search sets it each step, from the same scores) and gets no gradient;
neither does W. The scores get edge-popup's straight-through gradient, dL/dS = (dL/d(W * M) * W) * sign(S): pruned
edges get a gradient too, which is how they come back.
"""

from typing import Optional

import torch
import torch.nn.functional as F
from torch import nn

from .init import kaiming_uniform_scores, signed_kaiming_constant


class MaskedWeight(torch.autograd.Function):
    @staticmethod
    def forward(ctx, scores: torch.Tensor, weight: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:  # type: ignore
        ctx.save_for_backward(scores, weight)
        return weight * mask

    @staticmethod
    def backward(ctx, grad: torch.Tensor):  # type: ignore[override]
        scores, weight = ctx.saved_tensors
        # The engine's order of operations ((g * W) * sign S), so both runners round alike.
        return grad * weight * torch.sign(scores), None, None


class SupermaskLayer(nn.Module):
    """Base of the masked conv and linear layers; `layer_name` is the engine's name (seeds and reports use it)."""

    def __init__(self, layer_name: str, shape: tuple, seed: int):
        super().__init__()
        self.layer_name = layer_name
        self.shape = tuple(int(s) for s in shape)
        self.edges = int(torch.Size(self.shape).numel())
        self.register_buffer("weight", torch.from_numpy(signed_kaiming_constant(self.shape, seed, layer_name)))
        self.scores = nn.Parameter(torch.from_numpy(kaiming_uniform_scores(self.shape, seed, layer_name)))
        self.mask: Optional[torch.Tensor] = None
        self.dense = False

    def train_weights(self, weight: torch.Tensor) -> None:
        """The dense baseline: these weights, trained, and no mask (the scores go unused)."""
        del self.weight
        self.weight = nn.Parameter(weight)
        self.scores.requires_grad_(False)
        self.dense = True

    def effective_weight(self) -> torch.Tensor:
        if self.dense:
            return self.weight
        if self.mask is None:
            raise RuntimeError(f"{self.layer_name}: no mask set (the search sets one before each forward pass)")
        if torch.is_grad_enabled() and self.scores.requires_grad:
            return MaskedWeight.apply(self.scores, self.weight, self.mask)
        return self.weight * self.mask

    def score_draw(self, seed: int, draw: int) -> torch.Tensor:
        """Scores of draw `draw` (0 = initial), for iEP's score rewind / re-init."""
        return torch.from_numpy(kaiming_uniform_scores(self.shape, seed, self.layer_name, draw))


class SupermaskConv2d(SupermaskLayer):
    kind = "conv"

    def __init__(
        self,
        layer_name: str,
        cin: int,
        cout: int,
        k: int,
        seed: int,
        stride: int = 1,
        padding: Optional[int] = None,
        dilation: int = 1,
        groups: int = 1,
    ):
        super().__init__(layer_name, (cout, cin // groups, k, k), seed)
        self.stride = stride
        self.padding = (k - 1) // 2 if padding is None else padding
        self.dilation = dilation
        self.groups = groups

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.conv2d(x, self.effective_weight(), None, self.stride, self.padding, self.dilation, self.groups)


class SupermaskLinear(SupermaskLayer):
    kind = "linear"

    def __init__(self, layer_name: str, cin: int, cout: int, seed: int):
        super().__init__(layer_name, (cout, cin), seed)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.linear(x, self.effective_weight())


def affine_free_bn(channels: int) -> nn.BatchNorm2d:
    """EP's BatchNorm (affine=False), PyTorch's statistics: biased batch variance, eps 1e-5, momentum 0.1, unbiased
    running variance; exactly what src/engine/batchnorm.ts implements."""
    return nn.BatchNorm2d(channels, eps=1e-5, momentum=0.1, affine=False)
