"""Edge-usage telemetry (src/engine/usage.ts, ported): kept on the device and updated in-graph every step, read back
only at report time, in one transfer of per-layer scalars and heatmaps pooled to at most 64 x 64.

Per layer: ever-selected (OR of all masks; d_t = 1 - its mean), ever ranked inside the TARGET kept fraction (its
complement is dyingRatioAtTarget), selection counts, and edges that entered / left the mask since the last report
(the first step of a run has no previous mask and counts neither).
"""

from typing import Dict, List

import torch

from .jsmath import js_round
from .supermask import SupermaskLayer

HEATMAP_MAX = 64


def round4(v: float) -> float:
    """Math.round(v * 1e4) / 1e4 (halves up, as JavaScript)."""
    return js_round(v * 1e4) / 1e4


def pool_matrix(n: int, bins: int) -> torch.Tensor:
    """[bins, n] averaging matrix: bin i is the mean of entries floor(i n / bins) .. floor((i + 1) n / bins) - 1."""
    m = torch.zeros(bins, n)
    for i in range(bins):
        lo, hi = i * n // bins, (i + 1) * n // bins
        m[i, lo:hi] = 1 / (hi - lo)
    return m


class LayerUsage:
    def __init__(self, layer: SupermaskLayer):
        dev = layer.scores.device
        shape = layer.scores.shape
        self.ever = torch.zeros(shape, device=dev)
        self.ever_target = torch.zeros(shape, device=dev)
        self.count = torch.zeros(shape, device=dev)
        self.prev_mask = torch.zeros(shape, device=dev)
        self.entered = torch.zeros((), device=dev)
        self.left = torch.zeros((), device=dev)
        self.has_prev = False
        out, inn = layer.shape[0], layer.shape[1]
        self.rows, self.cols = min(out, HEATMAP_MAX), min(inn, HEATMAP_MAX)
        self.pool_rows = pool_matrix(out, self.rows).to(dev)
        self.pool_cols = pool_matrix(inn, self.cols).t().contiguous().to(dev)

    @torch.no_grad()
    def update(self, mask: torch.Tensor, target_mask: torch.Tensor) -> None:
        if self.has_prev:
            self.entered += (mask * (1 - self.prev_mask)).sum()
            self.left += (self.prev_mask * (1 - mask)).sum()
        torch.maximum(self.ever, mask, out=self.ever)
        torch.maximum(self.ever_target, target_mask, out=self.ever_target)
        self.count += mask
        self.prev_mask.copy_(mask)
        self.has_prev = True

    def _pooled(self, t: torch.Tensor) -> torch.Tensor:
        pair = t.mean(dim=(2, 3)) if t.dim() == 4 else t  # mean over kernel positions: [out, in]
        return (self.pool_rows @ pair @ self.pool_cols).reshape(-1)

    @torch.no_grad()
    def readout(self, steps: int) -> torch.Tensor:
        """[d_t, d_t at target, entered, left, usage (rows x cols), dead (rows x cols)], on the device."""
        scalars = torch.stack([1 - self.ever.mean(), 1 - self.ever_target.mean(), self.entered, self.left])
        usage = self._pooled(self.count / max(1, steps))
        dead = self._pooled(1 - self.ever)
        return torch.cat([scalars, usage, dead])

    @property
    def readout_size(self) -> int:
        return 4 + 2 * self.rows * self.cols

    def parse(self, values: List[float]) -> Dict:
        """This layer's part of a readout, as a LayerReport minus name and kept; rounding as the engine's."""
        cells = self.rows * self.cols
        return {
            "dyingRatio": values[0],
            "dyingRatioAtTarget": values[1],
            "entered": js_round(values[2]),
            "left": js_round(values[3]),
            "heatmap": {
                "rows": self.rows,
                "cols": self.cols,
                "usage": [round4(v) for v in values[4 : 4 + cells]],
                "dead": [round4(v) for v in values[4 + cells : 4 + 2 * cells]],
            },
        }

    def reset_window(self) -> None:
        self.entered.zero_()
        self.left.zero_()

    def state(self) -> Dict[str, torch.Tensor]:
        return {k: getattr(self, k) for k in ("ever", "ever_target", "count", "prev_mask", "entered", "left")}

