"""The supermask: per layer, keep the top (1 - p) of |scores|, exactly round((1 - p) n) edges (src/engine/mask.ts).

The threshold is the k-th largest |S| from kthvalue (a selection, no full sort). Edges tied with it fill the places
left in order of their flat index in TF.js's layout ([kh, kw, in, out]; [in, out] for linear layers), as the engine
does, so the two runners keep the same edges even when scores tie (hard iEP's excluded edges all tie at -1).
Everything stays on the device: no host sync.
"""

from typing import Optional

import torch

from .jsmath import js_round


def kept_count(n: int, p: float) -> int:
    """Edges kept in a layer of n edges at pruning rate p (p = fraction pruned)."""
    return js_round((1 - p) * n)


def to_tf_order(t: torch.Tensor) -> torch.Tensor:
    """A view of a [out, in, kh, kw] (or [out, in]) tensor in TF.js's axis order."""
    return t.permute(2, 3, 1, 0) if t.dim() == 4 else t.t()


def top_mask(scores: torch.Tensor, k: int, allowed: Optional[torch.Tensor] = None) -> torch.Tensor:
    """0/1 float mask of the k largest |scores|; `allowed` (0/1, hard iEP) ranks excluded edges below all others."""
    n = scores.numel()
    if k <= 0:
        return torch.zeros_like(scores)
    if k >= n and allowed is None:
        return torch.ones_like(scores)
    k = min(k, n)
    rank = scores.abs()
    if allowed is not None:
        # |S| >= 0, so -1 ranks every excluded edge below every allowed one.
        rank = torch.where(allowed > 0, rank, torch.full_like(rank, -1.0))
    kth = torch.kthvalue(rank.reshape(-1), n - k + 1).values
    above = rank > kth
    tied = rank == kth
    missing = k - above.sum()
    tied_tf = to_tf_order(tied).reshape(-1).to(torch.int32)
    taken_tf = (tied_tf.cumsum(0) <= missing) & (tied_tf > 0)
    return (above | _from_tf_order(taken_tf, scores.shape)).to(scores.dtype)


def _from_tf_order(flat: torch.Tensor, shape: torch.Size) -> torch.Tensor:
    """A flat tensor in TF.js's order back to [out, in, kh, kw] (or [out, in])."""
    if len(shape) == 4:
        o, i, kh, kw = shape
        return flat.reshape(kh, kw, i, o).permute(3, 2, 0, 1)
    o, i = shape
    return flat.reshape(i, o).t()
