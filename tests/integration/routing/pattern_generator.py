"""Generate random EventBridge patterns and events over a small vocabulary, so they collide."""

from __future__ import annotations

import copy
import random
from typing import Any

__all__ = ["generate_pairs", "mutate_pattern"]

_FIELDS = ("a", "b", "c", "d")
_STRINGS = ("x", "xy", "Xy", "yx", "", "x*y", "10.0.0.5", "10.1.2.3", "2001:db8::1", "2001:db9::7")
_NUMBERS = (0, 1, 1.0, 2.5, -3, 100, 1e10)
_SCALARS: tuple[Any, ...] = (*_STRINGS, *_NUMBERS, True, False, None)


def _event_value(rng: random.Random, depth: int) -> Any:
    roll = rng.random()
    if roll < 0.5 or depth >= 2:
        return rng.choice(_SCALARS)
    if roll < 0.7:
        return [rng.choice(_SCALARS) for _ in range(rng.randint(0, 3))]
    if roll < 0.85:
        return _event_object(rng, depth + 1)
    return [_event_object(rng, depth + 1) for _ in range(rng.randint(1, 3))]


def _event_object(rng: random.Random, depth: int) -> dict[str, Any]:
    names = rng.sample(_FIELDS, rng.randint(0, len(_FIELDS)))
    return {name: _event_value(rng, depth) for name in names}


def _string_operator(rng: random.Random) -> dict[str, Any]:
    text = rng.choice(("x", "y", "X", "xy", "10."))
    return rng.choice(
        (
            {"prefix": text},
            {"suffix": text},
            {"prefix": {"equals-ignore-case": text}},
            {"suffix": {"equals-ignore-case": text}},
            {"equals-ignore-case": rng.choice(("XY", "x", "yX"))},
            {"wildcard": rng.choice(("x*", "*y", "*", "x\\*y", "1*.5"))},
            {"exactly": rng.choice(("x", "xy"))},
            {"cidr": rng.choice(("10.0.0.0/24", "10.0.0.0/8", "2001:db8::/32"))},
        )
    )


def _negation(rng: random.Random) -> dict[str, Any]:
    operand = rng.choice(
        (
            rng.choice(_STRINGS),
            rng.choice(_NUMBERS),
            rng.sample(_STRINGS, 2),
            [1, 2.5],
            {"prefix": rng.choice(("x", "X", "10."))},
            {"suffix": rng.choice(("y", "x"))},
            {"prefix": ["x", "2001"]},
            {"equals-ignore-case": rng.choice(("XY", ["x", "YX"]))},
            {"wildcard": rng.choice(("x*", ["*y", "1*"]))},
        )
    )
    return {"anything-but": operand}


def _numeric(rng: random.Random) -> dict[str, Any]:
    low, high = sorted(rng.sample((-5, 0, 1, 2.5, 50, 1e9), 2))
    return {
        "numeric": rng.choice(
            (
                [">", low],
                [">=", low],
                ["<", high],
                ["<=", high],
                ["=", rng.choice(_NUMBERS)],
                [">", low, "<=", high],
                [">=", low, "<", high],
            )
        )
    }


def _alternative(rng: random.Random) -> Any:
    roll = rng.random()
    if roll < 0.3:
        return rng.choice(_SCALARS)
    if roll < 0.55:
        return _string_operator(rng)
    if roll < 0.7:
        return _negation(rng)
    if roll < 0.85:
        return _numeric(rng)
    return {"exists": rng.random() < 0.5}


def _pattern_object(
    rng: random.Random, depth: int, exclude: frozenset[str] = frozenset()
) -> dict[str, Any]:
    # A $or branch shares the path of the object around it, so its field names avoid
    # those of that object. event-ruler 2.1.0 lets the later of two same-named fields
    # replace the earlier, and keybus requires both (a known difference).
    free = [name for name in _FIELDS if name not in exclude]
    names = rng.sample(free, min(len(free), rng.randint(1, 2)))
    pattern: dict[str, Any] = {}
    for name in names:
        if depth < 2 and rng.random() < 0.3:
            pattern[name] = _pattern_object(rng, depth + 1)
        else:
            pattern[name] = [_alternative(rng) for _ in range(rng.randint(1, 3))]
    taken = exclude | set(names)
    if depth < 2 and len(taken) < len(_FIELDS) and rng.random() < 0.2:
        pattern["$or"] = [_pattern_object(rng, depth + 1, frozenset(taken)) for _ in range(2)]
    return pattern


def generate_pairs(count: int, *, seed: int, events_per_pattern: int = 4) -> list[tuple[Any, Any]]:
    """Return `count` (pattern, event) pairs; each pattern is tried on several events."""
    rng = random.Random(seed)
    pairs: list[tuple[Any, Any]] = []
    while len(pairs) < count:
        pattern = _pattern_object(rng, 0)
        for _ in range(events_per_pattern):
            pairs.append((pattern, _event_object(rng, 0)))
    return pairs[:count]


_WRONG_VALUES: tuple[Any, ...] = (
    None, True, 5, -1.5, "", "x", [], [1], ["a"], {}, {"prefix": "x"}, [">", 1], ["<", "a"],
    {"a": 1}, "10.0.0.0/8", "a**", [1, "a"], ["=", 1, "<", 2],
)  # fmt: skip


def mutate_pattern(pattern: dict[str, Any], rng: random.Random) -> dict[str, Any]:
    """Return a copy with one key's value or one array item replaced by an odd value."""
    mutated = copy.deepcopy(pattern)
    spots: list[tuple[Any, Any]] = []
    stack: list[Any] = [mutated]
    while stack:
        node = stack.pop()
        items = node.items() if isinstance(node, dict) else enumerate(node)
        for key, value in items:
            spots.append((node, key))
            if isinstance(value, dict | list):
                stack.append(value)
    node, key = rng.choice(spots)
    node[key] = rng.choice(_WRONG_VALUES)
    return mutated
