"""JSON as a browser's JSON.parse reads it, both ways: Python's json module reads and writes NaN and Infinity, turns
1e999 into inf, and lets through lone surrogates that no UTF-8 text can carry; any of them in a message, a config or
a run file would fail later, far from its cause, or make a file the studio cannot read. Here each is refused at the
value, naming its place (e.g. 'config.learningRate'), and nesting and integers are bounded so a hostile message costs
nothing to refuse."""

import json
import math
from typing import Any, List, Optional, Tuple

MAX_DEPTH = 32  # a config nests 5 deep
MAX_INT_DIGITS = 20  # more than any count or seed a config holds; Python would parse 4,300


class NotStrict(ValueError):
    """A value strict JSON does not allow; `field` is its place in the document ('' for the whole)."""

    def __init__(self, field: str, why: str):
        super().__init__(f"{field}: {why}" if field else why)
        self.field = field
        self.why = why


class _Refused:
    """Stands for a value the parser met and strict JSON refuses, until its place is known."""

    def __init__(self, why: str):
        self.why = why


def _constant(name: str) -> _Refused:
    return _Refused(f"{name} is not a number JSON allows (only finite numbers)")


def _float(text: str) -> Any:
    value = float(text)
    return value if math.isfinite(value) else _Refused(f"{text[:20]} is too large for a number")


def _int(text: str) -> Any:
    if len(text.lstrip("-")) > MAX_INT_DIGITS:
        return _Refused(f"an integer of {len(text.lstrip('-'))} digits (at most {MAX_INT_DIGITS})")
    return int(text)


def _place(path: str, key: Any) -> str:
    if isinstance(key, int):
        return f"{path}[{key}]"
    return f"{path}.{key}" if path else str(key)


def _text_problem(text: str) -> str:
    try:
        text.encode("utf-8")
        return ""
    except UnicodeEncodeError:
        return "text with a lone surrogate (not Unicode)"


def first_problem(document: Any) -> Optional[Tuple[str, str]]:
    """The first place (in document order) where a parsed document is not strict JSON, and why; None when it is.
    Walked with a list, not recursion, so its depth costs no stack."""
    todo: List[Tuple[str, Any, int]] = [("", document, 0)]
    while todo:
        path, value, depth = todo.pop()
        if isinstance(value, _Refused):
            return path, value.why
        if isinstance(value, str) and _text_problem(value):
            return path, _text_problem(value)
        if isinstance(value, (dict, list)):
            if depth >= MAX_DEPTH:
                return path, f"nested deeper than {MAX_DEPTH}"
            items = list(value.items()) if isinstance(value, dict) else list(enumerate(value))
            for key, item in reversed(items):
                if isinstance(key, str) and _text_problem(key):
                    return path, f"a key that is {_text_problem(key)}"
                todo.append((_place(path, key), item, depth + 1))
    return None


def parse(text: Any) -> Any:
    """A document parsed with every refused value marked (find them with first_problem), so the caller can still
    read the fields that are fine (a message's id). Raises ValueError for what is not JSON at all."""
    try:
        return json.loads(text, parse_constant=_constant, parse_float=_float, parse_int=_int)
    except RecursionError:
        raise ValueError(f"nested deeper than {MAX_DEPTH}") from None


def loads(text: Any) -> Any:
    """A strict JSON document; raises ValueError (NotStrict naming the place) otherwise."""
    document = parse(text)
    problem = first_problem(document)
    if problem:
        raise NotStrict(*problem)
    return document


def dumps(value: Any, **options: Any) -> str:
    """Refuses NaN and Infinity (ValueError) rather than write what JSON.parse rejects."""
    return json.dumps(value, allow_nan=False, **options)
