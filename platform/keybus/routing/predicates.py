"""Compile a Leaf into a predicate over one scalar event value."""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from typing import Any

from keybus.routing.cidr import Network, parse_address
from keybus.routing.operators import AnythingBut, Leaf, NumericRange

__all__ = ["ScalarPredicate", "compile_leaf"]

ScalarPredicate = Callable[[Any], bool]
"""Tests one JSON scalar (str, int, float, bool or None) from the event."""


def _always(_value: Any) -> bool:
    return True


def _join_wildcards(patterns: list[re.Pattern[str]]) -> Callable[[str], Any] | None:
    if not patterns:
        return None
    return re.compile("|".join(f"(?:{p.pattern})" for p in patterns), re.DOTALL).fullmatch


def _string_checks(leaf: Leaf) -> list[Callable[[str], Any]]:
    checks: list[Callable[[str], Any]] = []
    if leaf.strings:
        checks.append(frozenset(leaf.strings).__contains__)
    if leaf.prefixes:
        prefixes = tuple(leaf.prefixes)
        checks.append(lambda text: text.startswith(prefixes))
    if leaf.suffixes:
        suffixes = tuple(leaf.suffixes)
        checks.append(lambda text: text.endswith(suffixes))
    if leaf.lowered or leaf.prefixes_lowered or leaf.suffixes_lowered:
        checks.append(_lowered_check(leaf))
    wildcard = _join_wildcards(leaf.wildcards)
    if wildcard is not None:
        checks.append(wildcard)
    if leaf.networks:
        checks.append(_network_check(leaf.networks))
    return checks


# NOTE: case is folded with str.lower(). It agrees with event-ruler 2.1.0 on the ASCII,
# Latin-1 and title-case letters the tests try; other scripts are untested.
def _lowered_check(leaf: Leaf) -> Callable[[str], bool]:
    lowered = frozenset(leaf.lowered)
    prefixes = tuple(leaf.prefixes_lowered)
    suffixes = tuple(leaf.suffixes_lowered)

    def check(text: str) -> bool:
        text = text.lower()
        return (
            text in lowered
            or bool(prefixes and text.startswith(prefixes))
            or bool(suffixes and text.endswith(suffixes))
        )

    return check


def _network_check(networks: list[Network]) -> Callable[[str], bool]:
    def check(text: str) -> bool:
        address = parse_address(text)
        return address is not None and any(network.contains(address) for network in networks)

    return check


def _as_float(value: float) -> float:
    try:
        return float(value)
    except OverflowError:
        return math.inf if value > 0 else -math.inf


def _in_range(number: float, numeric: NumericRange) -> bool:
    # Ranges compare in 64-bit floating point, as event-ruler 2.1.0 does, so the event
    # 9007199254740993 (2**53 + 1) counts as 9007199254740992 here.
    value = _as_float(number)
    if numeric.lower is not None and (
        value < numeric.lower or (value == numeric.lower and not numeric.lower_inclusive)
    ):
        return False
    return numeric.upper is None or (
        value < numeric.upper or (value == numeric.upper and numeric.upper_inclusive)
    )


def _number_checks(leaf: Leaf) -> list[Callable[[float], bool]]:
    checks: list[Callable[[float], bool]] = []
    if leaf.numbers:
        checks.append(frozenset(leaf.numbers).__contains__)
    checks.extend(_range_check(numeric) for numeric in leaf.ranges)
    return checks


def _range_check(numeric: NumericRange) -> Callable[[float], bool]:
    return lambda value: _in_range(value, numeric)


def _compile_anything_but(clause: AnythingBut) -> ScalarPredicate:
    strings = frozenset(clause.strings)
    numbers = frozenset(clause.numbers)
    prefixes = clause.prefixes
    suffixes = clause.suffixes
    lowered = frozenset(clause.lowered)
    wildcard = _join_wildcards(clause.wildcards)

    def matches(value: Any) -> bool:
        kind = type(value)
        if kind is str:
            return not (
                value in strings
                or (prefixes and value.startswith(prefixes))
                or (suffixes and value.endswith(suffixes))
                or (lowered and value.lower() in lowered)
                or (wildcard is not None and wildcard(value))
            )
        if kind is int or kind is float:
            return value not in numbers
        # true, false and null are never excluded, whatever the clause lists.
        return True

    return matches


def compile_leaf(leaf: Leaf) -> ScalarPredicate:
    """Build one predicate that is true when any alternative of the leaf accepts the value."""
    if leaf.exists:
        return _always

    string_checks = _string_checks(leaf)
    number_checks = _number_checks(leaf)
    booleans = frozenset(leaf.booleans)
    null = leaf.null
    negations = [_compile_anything_but(clause) for clause in leaf.anything_buts]

    if not number_checks and not booleans and not null and not negations:
        return _strings_only(string_checks)

    def matches(value: Any) -> bool:
        kind = type(value)
        if kind is str:
            checks: list[Callable[[Any], Any]] = string_checks
        elif kind is int or kind is float:
            checks = number_checks
        elif kind is bool:
            checks = [booleans.__contains__]
        else:
            checks = [lambda _value: value is None and null]
        return any(check(value) for check in checks) or any(n(value) for n in negations)

    return matches


def _strings_only(checks: list[Callable[[str], Any]]) -> ScalarPredicate:
    if len(checks) == 1:
        check = checks[0]
        return lambda value: type(value) is str and bool(check(value))
    return lambda value: type(value) is str and any(check(value) for check in checks)
