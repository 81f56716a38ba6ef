"""Parse an event pattern into conjunctions of field conditions, as EventBridge reads it."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from keybus.routing.errors import PatternError
from keybus.routing.jsonpath import format_path
from keybus.routing.operators import Leaf, parse_leaf

__all__ = ["MAX_CONJUNCTIONS", "Condition", "Conjunction", "Pattern", "parse_pattern"]

MAX_CONJUNCTIONS = 1024
"""Most `$or` combinations one pattern may expand to; each is matched separately."""

# Keys that stop a `$or` array from meaning "or", so that `$or` is read as a field name.
# The list is event-ruler 2.1.0's Constants.RESERVED_FIELD_NAMES_IN_OR_RELATIONSHIP.
_RESERVED_IN_OR = frozenset(
    {
        "exactly", "equals-ignore-case", "prefix", "suffix", "anything-but", "exists",
        "wildcard", "numeric", "cidr", "=", "<", "<=", ">", ">=", "regex", "not-wildcard",
        "not-equals-ignore-case", "date-after", "date-on-or-after", "date-before",
        "date-on-or-before", "in-date-range", "ip-address-in-range", "ip-address-not-in-range",
    }
)  # fmt: skip

Path = tuple[str | int, ...]


@dataclass(frozen=True)
class Condition:
    """One field of the event and the alternatives its value must meet."""

    field: tuple[str, ...]
    leaf: Leaf


Conjunction = tuple[Condition, ...]
"""Conditions that must all hold, with array elements chosen consistently across them."""


@dataclass(frozen=True)
class Pattern:
    """A validated pattern: it matches when any of its conjunctions matches."""

    source: dict[str, Any]
    conjunctions: tuple[Conjunction, ...]

    @property
    def fields(self) -> frozenset[tuple[str, ...]]:
        """Every field path the pattern tests."""
        return frozenset(c.field for conj in self.conjunctions for c in conj)


def parse_pattern(pattern: object, *, rule: str | None = None) -> Pattern:
    """Validate an EventBridge event pattern and expand its `$or` branches.

    Raises:
        PatternError: Naming the rule, the JSON path of the offending part and the fix.
    """
    try:
        source, conjunctions = _parse_root(pattern)
    except PatternError as exc:
        raise exc if rule is None else exc.for_rule(rule) from None
    return Pattern(source, tuple(conjunctions))


def _parse_root(pattern: object) -> tuple[dict[str, Any], list[Conjunction]]:
    if not isinstance(pattern, dict):
        raise PatternError(
            f"a pattern must be a JSON object, not {pattern!r}", path=format_path(())
        )
    conjunctions = _parse_object(pattern, (), ())
    _check_or_usage(pattern)
    return pattern, conjunctions


def _or_keys(node: object, path: Path) -> Iterator[tuple[bool, Path]]:
    """Yield `(is_operator, path)` for every `$or` key in the pattern."""
    if not isinstance(node, dict):
        return
    for key, value in node.items():
        if key == "$or":
            yield _is_or(key, value), (*path, key)
        if isinstance(value, dict):
            yield from _or_keys(value, (*path, key))
        elif isinstance(value, list) and key == "$or" and _is_or(key, value):
            for index, branch in enumerate(value):
                yield from _or_keys(branch, (*path, key, index))


def _check_or_usage(pattern: dict[str, Any]) -> None:
    # Mixing the two readings is ambiguous, so it is rejected, as event-ruler 2.1.0 does.
    usages = list(_or_keys(pattern, ()))
    fields = [path for is_operator, path in usages if not is_operator]
    if fields and len(fields) < len(usages):
        raise PatternError(
            "'$or' is used both as the or-operator and as a field name in this pattern; "
            "an or-operator needs an array of two or more objects, so fix this one "
            "or match the field in a separate rule",
            path=format_path(fields[0]),
        )


def _is_or(key: str, value: object) -> bool:
    return (
        key == "$or"
        and isinstance(value, list)
        and len(value) >= 2
        and all(isinstance(branch, dict) and branch for branch in value)
        and not any(_RESERVED_IN_OR.intersection(branch) for branch in value)
    )


def _parse_object(node: dict[str, Any], field: tuple[str, ...], path: Path) -> list[Conjunction]:
    if not node:
        raise PatternError(
            "an empty object matches nothing; add a field or remove the object",
            path=format_path(path),
        )
    conjunctions: list[Conjunction] = [()]
    for key, value in node.items():
        member_path = (*path, key)
        if _is_or(key, value):
            branches = [
                conj
                for index, branch in enumerate(value)
                for conj in _parse_object(branch, field, (*member_path, index))
            ]
        elif isinstance(value, dict):
            branches = _parse_object(value, (*field, *key.split(".")), member_path)
        else:
            leaf = parse_leaf(value, member_path)
            branches = [(Condition((*field, *key.split(".")), leaf),)]
        conjunctions = _combine(conjunctions, branches, member_path)
    return conjunctions


def _combine(left: list[Conjunction], right: list[Conjunction], path: Path) -> list[Conjunction]:
    if len(left) * len(right) > MAX_CONJUNCTIONS:
        raise PatternError(
            f"the $or branches expand to more than {MAX_CONJUNCTIONS} combinations; "
            "split the rule into several rules with the same targets",
            path=format_path(path),
        )
    return [(*a, *b) for a in left for b in right]
