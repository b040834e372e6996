"""JavaScript's rounding, where the engine's arithmetic depends on it: Math.round rounds halves up (2.5 -> 3),
Python's round() to even (2.5 -> 2), and a kept count or cycle start one off would change every mask after it."""

import math


def js_round(x: float) -> int:
    return math.floor(x + 0.5)
