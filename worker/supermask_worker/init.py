"""Seeded initialisation of the frozen weights and the trainable scores (src/engine/init.ts, ported exactly).

Values are drawn in PyTorch's layout [out, in, kh, kw] (row-major), the order the engine draws in too, so one seed
gives bit-identical float32 arrays here and in TypeScript.
"""

import math
from typing import Sequence

import numpy as np

from .rng import derive_seed, uniform_array


def fan_in(shape: Sequence[int]) -> int:
    return int(np.prod(shape[1:]))


def signed_kaiming_constant(shape: Sequence[int], seed: int, layer: str, draw: int = 0) -> np.ndarray:
    """Every weight is +-sqrt(2 / fan_in), the sign a fair coin (edge-popup's "signed Kaiming constant").

    `draw` 0 is the initial draw; IteRand's re-draw at K_per boundary b uses draw b.
    """
    label = f"weights/{layer}" if draw == 0 else f"weights/{layer}/draw{draw}"
    u = uniform_array(derive_seed(seed, label), int(np.prod(shape)))
    # JavaScript computes the constant in double precision and stores it as float32: so do we.
    c = np.float32(math.sqrt(2 / fan_in(shape)))
    return np.where(u < 0.5, -c, c).astype(np.float32).reshape(shape)


def kaiming_uniform_scores(shape: Sequence[int], seed: int, layer: str, draw: int = 0) -> np.ndarray:
    """Scores U(-b, b), b = 1 / sqrt(fan_in): the reference's kaiming_uniform_(scores, a=sqrt(5)).

    `draw` 0 is the initial draw; iEP's 'reinit' variant uses draw c at cycle c + 1.
    """
    label = f"scores/{layer}" if draw == 0 else f"scores/{layer}/draw{draw}"
    u = uniform_array(derive_seed(seed, label), int(np.prod(shape)))
    b = 1 / math.sqrt(fan_in(shape))
    # (2u - 1) * b in double precision, then rounded once to float32, as a Float32Array store does.
    return ((2 * u - 1) * b).astype(np.float32).reshape(shape)


def kaiming_normal(shape: Sequence[int], seed: int, layer: str) -> np.ndarray:
    """N(0, 2 / fan_in) (kaiming_normal_, fan_in, ReLU gain) for the dense baseline: Box-Muller on the stream
    'dense/<layer>', one normal per pair of uniforms, as src/engine/init.ts. log and cos are numpy's, not V8's: they
    may differ in a double's last bit, which the float32 result almost never shows."""
    n = int(np.prod(shape))
    u = uniform_array(derive_seed(seed, f"dense/{layer}"), 2 * n).reshape(n, 2)
    std = math.sqrt(2 / fan_in(shape))
    # 1 - u is in (0, 1]: the logarithm stays finite.
    radius = np.sqrt(-2 * np.log(1 - u[:, 0]))
    return (std * radius * np.cos(2 * math.pi * u[:, 1])).astype(np.float32).reshape(shape)


def uniforms(shape: Sequence[int], seed: int, label: str) -> np.ndarray:
    """Uniform [0, 1) values of a named stream, stored as float32 as the engine's Float32Array (IteRand's seeded
    choice of which pruned weights to re-draw)."""
    return uniform_array(derive_seed(seed, label), int(np.prod(shape))).astype(np.float32).reshape(shape)


def to_tf_layout(a: np.ndarray) -> np.ndarray:
    """[out, in, kh, kw] -> TF.js's [kh, kw, in, out]; [out, in] -> [in, out]."""
    return np.ascontiguousarray(a.transpose(2, 3, 1, 0) if a.ndim == 4 else a.T)
