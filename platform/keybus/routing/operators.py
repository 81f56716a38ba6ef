"""Parse and validate the value side of an event pattern: exact values and operators."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Any

from keybus.routing.cidr import Network, parse_network
from keybus.routing.errors import PatternError
from keybus.routing.jsonpath import format_path

__all__ = ["OPERATORS", "AnythingBut", "Leaf", "NumericRange", "compile_wildcard", "parse_leaf"]

Path = tuple[str | int, ...]

OPERATORS = (
    "anything-but",
    "cidr",
    "equals-ignore-case",
    "exactly",
    "exists",
    "numeric",
    "prefix",
    "suffix",
    "wildcard",
)
_LOWER_BOUNDS = (">", ">=")
_UPPER_BOUNDS = ("<", "<=")


@dataclass(frozen=True)
class NumericRange:
    """A numeric interval; a bound of None is open, and `=` is a closed point interval."""

    lower: float | None
    lower_inclusive: bool
    upper: float | None
    upper_inclusive: bool


@dataclass
class AnythingBut:
    """One `anything-but` clause: a value matches when none of these exclusions apply."""

    strings: set[str] = field(default_factory=set)
    numbers: set[float] = field(default_factory=set)
    prefixes: tuple[str, ...] = ()
    suffixes: tuple[str, ...] = ()
    lowered: set[str] = field(default_factory=set)
    wildcards: list[re.Pattern[str]] = field(default_factory=list)


@dataclass
class Leaf:
    """The alternatives listed for one field; a field matches when any alternative does."""

    strings: set[str] = field(default_factory=set)
    numbers: set[float] = field(default_factory=set)
    booleans: set[bool] = field(default_factory=set)
    null: bool = False
    prefixes: list[str] = field(default_factory=list)
    suffixes: list[str] = field(default_factory=list)
    prefixes_lowered: list[str] = field(default_factory=list)
    suffixes_lowered: list[str] = field(default_factory=list)
    lowered: set[str] = field(default_factory=set)
    wildcards: list[re.Pattern[str]] = field(default_factory=list)
    ranges: list[NumericRange] = field(default_factory=list)
    networks: list[Network] = field(default_factory=list)
    anything_buts: list[AnythingBut] = field(default_factory=list)
    exists: bool = False
    absent: bool = False

    @property
    def exact_only(self) -> bool:
        """Whether the leaf lists only exact values, so it can serve as an index key."""
        return self == Leaf(
            strings=self.strings, numbers=self.numbers, booleans=self.booleans, null=self.null
        )


def _fail(reason: str, path: Path) -> PatternError:
    return PatternError(reason, path=format_path(path))


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _require_string(value: object, operator: str, path: Path) -> str:
    if not isinstance(value, str):
        raise _fail(f"the value of {operator!r} must be a string, not {value!r}", path)
    return value


def parse_leaf(values: object, path: Path) -> Leaf:
    """Validate the array of alternatives for one field and collect them into a Leaf."""
    if not isinstance(values, list):
        raise _fail(
            f"a field must map to an array of values or to a nested object, not {values!r}; "
            "wrap the value in [ ]",
            path,
        )
    if not values:
        raise _fail("an empty array matches nothing; list at least one value", path)

    leaf = Leaf()
    for index, value in enumerate(values):
        _add_alternative(leaf, value, (*path, index))
    return leaf


def _add_alternative(leaf: Leaf, value: object, path: Path) -> None:
    if value is None:
        leaf.null = True
    elif isinstance(value, bool):
        leaf.booleans.add(value)
    elif isinstance(value, str):
        leaf.strings.add(value)
    elif _is_number(value):
        leaf.numbers.add(_finite(value, path))
    elif isinstance(value, dict):
        operator, operand = _single_key(value, path)
        _add_operator(leaf, operator, operand, (*path, operator))
    else:
        raise _fail(
            f"a match value must be a string, number, true, false, null or an operator object, "
            f"not {value!r}",
            path,
        )


def _finite(value: Any, path: Path) -> float:
    if isinstance(value, float) and not math.isfinite(value):
        raise _fail(f"number {value!r} is not finite; use a finite JSON number", path)
    number: float = value
    return number


def _single_key(expression: dict[str, Any], path: Path) -> tuple[str, Any]:
    if len(expression) != 1:
        keys = ", ".join(sorted(expression)) or "none"
        raise _fail(
            f"an operator object must have exactly one key, found: {keys}; "
            "list several alternatives as separate array elements",
            path,
        )
    return next(iter(expression.items()))


def _add_operator(leaf: Leaf, operator: str, operand: Any, path: Path) -> None:
    if operator == "exactly":
        leaf.strings.add(_require_string(operand, operator, path))
    elif operator == "prefix":
        _add_affix(leaf.prefixes, leaf.prefixes_lowered, operand, operator, path)
    elif operator == "suffix":
        _add_affix(leaf.suffixes, leaf.suffixes_lowered, operand, operator, path)
    elif operator == "equals-ignore-case":
        leaf.lowered.add(_require_string(operand, operator, path).lower())
    elif operator == "wildcard":
        leaf.wildcards.append(compile_wildcard(_require_string(operand, operator, path), path))
    elif operator == "numeric":
        leaf.ranges.append(_parse_numeric(operand, path))
    elif operator == "cidr":
        leaf.networks.append(_parse_cidr(operand, path))
    elif operator == "exists":
        if not isinstance(operand, bool):
            raise _fail(f"'exists' takes true or false, not {operand!r}", path)
        leaf.exists = leaf.exists or operand
        leaf.absent = leaf.absent or not operand
    elif operator == "anything-but":
        leaf.anything_buts.append(_parse_anything_but(operand, path))
    else:
        raise _fail(f"unknown operator {operator!r}; use one of: {', '.join(OPERATORS)}", path[:-1])


def _add_affix(
    exact: list[str], lowered: list[str], operand: Any, operator: str, path: Path
) -> None:
    if isinstance(operand, dict):
        inner, value = _single_key(operand, path)
        if inner != "equals-ignore-case":
            raise _fail(
                f'{operator!r} accepts a string or {{"equals-ignore-case": string}}, '
                f"not the operator {inner!r}",
                path,
            )
        lowered.append(_require_string(value, inner, (*path, inner)).lower())
        return
    exact.append(_require_string(operand, operator, path))


def _parse_cidr(operand: Any, path: Path) -> Network:
    text = _require_string(operand, "cidr", path)
    try:
        return parse_network(text)
    except ValueError as exc:
        raise _fail(str(exc), path) from exc


def _parse_numeric(operand: Any, path: Path) -> NumericRange:
    if not isinstance(operand, list) or not operand:
        raise _fail(
            f'\'numeric\' takes a non-empty array such as [">", 0, "<=", 5], not {operand!r}',
            path,
        )
    if len(operand) % 2 or len(operand) > 4:
        raise _fail(
            "'numeric' takes one comparison [op, number] or a lower and an upper bound "
            f'[">"|">=", number, "<"|"<=", number], not {operand!r}',
            path,
        )
    pairs = [
        _numeric_pair(operand[i], operand[i + 1], (*path, i)) for i in range(0, len(operand), 2)
    ]
    if len(pairs) == 1:
        return _single_bound(*pairs[0])
    return _two_bounds(pairs[0], pairs[1], path)


def _numeric_pair(operator: Any, value: Any, path: Path) -> tuple[str, float]:
    if operator not in ("=", *_LOWER_BOUNDS, *_UPPER_BOUNDS):
        raise _fail(f"unknown numeric comparison {operator!r}; use =, <, <=, > or >=", path)
    if not _is_number(value):
        raise _fail(f"the value after {operator!r} must be a number, not {value!r}", path)
    if isinstance(value, int) and float(value) != value:
        raise _fail(
            f"{value} has no exact 64-bit floating-point value, and numeric ranges compare "
            "in 64-bit floating point; use a nearby number or an exact value match",
            path,
        )
    return operator, float(_finite(value, path))


def _single_bound(operator: str, value: float) -> NumericRange:
    if operator == "=":
        return NumericRange(value, True, value, True)
    if operator in _LOWER_BOUNDS:
        return NumericRange(value, operator == ">=", None, False)
    return NumericRange(None, False, value, operator == "<=")


def _two_bounds(lower: tuple[str, float], upper: tuple[str, float], path: Path) -> NumericRange:
    if lower[0] not in _LOWER_BOUNDS or upper[0] not in _UPPER_BOUNDS:
        raise _fail(
            "a numeric range lists the lower bound (> or >=) first and the upper bound "
            f"(< or <=) second, not {lower[0]!r} then {upper[0]!r}",
            path,
        )
    if lower[1] >= upper[1]:
        raise _fail(
            f"the lower bound {lower[1]!r} must be less than the upper bound {upper[1]!r}", path
        )
    return NumericRange(lower[1], lower[0] == ">=", upper[1], upper[0] == "<=")


def _parse_anything_but(operand: Any, path: Path) -> AnythingBut:
    clause = AnythingBut()
    if isinstance(operand, dict):
        _anything_but_operator(clause, operand, path)
    elif isinstance(operand, list):
        _anything_but_values(clause, operand, path)
    elif isinstance(operand, str):
        clause.strings.add(operand)
    elif _is_number(operand):
        clause.numbers.add(_finite(operand, path))
    else:
        raise _fail(
            f"'anything-but' takes a string, a number, an array of either, or an object with "
            f"prefix, suffix, equals-ignore-case or wildcard, not {operand!r}",
            path,
        )
    return clause


def _anything_but_values(clause: AnythingBut, values: list[Any], path: Path) -> None:
    if values and all(isinstance(value, str) for value in values):
        clause.strings.update(values)
    elif values and all(_is_number(value) for value in values):
        clause.numbers.update(_finite(value, path) for value in values)
    else:
        raise _fail(
            f"an 'anything-but' array must be non-empty and hold only strings or only numbers, "
            f"not {values!r}",
            path,
        )


def _anything_but_operator(clause: AnythingBut, operand: dict[str, Any], path: Path) -> None:
    operator, value = _single_key(operand, path)
    if operator not in ("prefix", "suffix", "equals-ignore-case", "wildcard"):
        raise _fail(
            f"'anything-but' does not support {operator!r}; "
            "use prefix, suffix, equals-ignore-case or wildcard",
            path,
        )
    inner_path = (*path, operator)
    strings = _string_list(value, operator, inner_path)
    if operator == "equals-ignore-case":
        clause.lowered = {text.lower() for text in strings}
    elif operator == "wildcard":
        clause.wildcards = [compile_wildcard(text, inner_path) for text in strings]
    elif "" in strings:
        raise _fail(f"an 'anything-but' {operator} must not be empty", inner_path)
    elif operator == "prefix":
        clause.prefixes = tuple(strings)
    else:
        clause.suffixes = tuple(strings)


def _string_list(value: Any, operator: str, path: Path) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list) and value and all(isinstance(item, str) for item in value):
        return list(value)
    raise _fail(
        f"'anything-but' {operator} takes a string or a non-empty array of strings, not {value!r}",
        path,
    )


def compile_wildcard(text: str, path: Path) -> re.Pattern[str]:
    """Compile a wildcard where `*` matches any run of characters and `\\*`, `\\\\` escape."""
    parts: list[str] = []
    index = 0
    while index < len(text):
        char = text[index]
        if char == "\\":
            escaped = text[index + 1 : index + 2]
            if escaped not in ("*", "\\"):
                raise _fail(
                    f"wildcard {text!r} has an invalid escape at position {index}; "
                    "only \\* and \\\\ are allowed",
                    path,
                )
            parts.append(re.escape(escaped))
            index += 2
            continue
        if char == "*":
            if text[index + 1 : index + 2] == "*":
                raise _fail(
                    f"wildcard {text!r} has consecutive '*' at position {index}; use a single '*'",
                    path,
                )
            parts.append(".*")
        else:
            parts.append(re.escape(char))
        index += 1
    return re.compile("".join(parts), re.DOTALL)
