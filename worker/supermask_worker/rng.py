"""The engine's seeded generator (src/util/random.ts), bit for bit: one seed gives the same numbers in both languages.

mulberry32 with 32-bit unsigned arithmetic; every value it returns is k / 2**32, exact in a double, so Python's
floats equal JavaScript's numbers. deriveSeed gives a named, independent stream per purpose (e.g. 'weights/conv1').
"""

from typing import Callable, List

import numpy as np

MASK32 = 0xFFFFFFFF

Rng = Callable[[], float]


def _imul(a: int, b: int) -> int:
    """Math.imul on unsigned 32-bit values: the low 32 bits of the product."""
    return (a * b) & MASK32


def mulberry32(seed: int) -> Rng:
    """Uniform floats in [0, 1) from a 32-bit seed."""
    state = seed & MASK32

    def next_float() -> float:
        nonlocal state
        state = (state + 0x6D2B79F5) & MASK32
        t = state
        t = _imul(t ^ (t >> 15), t | 1)
        t ^= (t + _imul(t ^ (t >> 7), t | 61)) & MASK32
        return ((t ^ (t >> 14)) & MASK32) / 4294967296

    return next_float


def derive_seed(seed: int, label: str) -> int:
    """Seed of the stream named `label`; adding a layer never shifts another layer's numbers.

    JavaScript's charCodeAt gives UTF-16 code units, so the label is walked as UTF-16 (labels here are ASCII).
    """
    h = (seed ^ 0x9E3779B9) & MASK32
    units = label.encode("utf-16-le")
    for i in range(0, len(units), 2):
        h = _imul(h ^ (units[i] | units[i + 1] << 8), 0x01000193)
    h ^= h >> 16
    h = _imul(h, 0x85EBCA6B)
    h ^= h >> 13
    return h


def uniform_array(seed: int, n: int) -> np.ndarray:
    """The first n values of mulberry32(seed) as float64, vectorised (a whole layer's draw in one pass).

    The generator's state after i calls is seed + i * 0x6D2B79F5 (mod 2**32), so all states are computed at once and
    the output mixing is applied elementwise in uint32, whose products wrap mod 2**32 exactly as Math.imul's do.
    """
    with np.errstate(over="ignore"):
        t = np.uint32(seed & MASK32) + np.arange(1, n + 1, dtype=np.uint32) * np.uint32(0x6D2B79F5)
        t = (t ^ (t >> np.uint32(15))) * (t | np.uint32(1))
        t ^= t + (t ^ (t >> np.uint32(7))) * (t | np.uint32(61))
        t ^= t >> np.uint32(14)
    return t.astype(np.float64) / 4294967296.0


def permutation(n: int, rng: Rng) -> List[int]:
    """Fisher-Yates permutation of 0..n-1, drawing as the engine does (from the end)."""
    out = list(range(n))
    for i in range(n - 1, 0, -1):
        j = int(rng() * (i + 1))
        out[i], out[j] = out[j], out[i]
    return out
