"""Baseline for the matcher benchmark: interpret the raw pattern JSON anew for every event.

It compiles nothing: it expands `$or`, rebuilds the field tree and reads every operator
from the JSON on each call. It skips keybus's validation, so it is only meant for valid
patterns, and the benchmark checks that it finds the same matches as keybus.routing.
"""

from __future__ import annotations

import ipaddress
import re
from typing import Any

__all__ = ["naive_matches"]

_MISSING: Any = object()


def naive_matches(pattern: dict[str, Any], event: dict[str, Any]) -> bool:
    """Check one event against one raw pattern."""
    return any(_conjunction(conj, event) for conj in _expand(pattern, ()))


def _is_or(key: str, value: Any) -> bool:
    return (
        key == "$or"
        and isinstance(value, list)
        and len(value) > 1
        and all(isinstance(branch, dict) for branch in value)
    )


def _expand(node: dict[str, Any], prefix: tuple[str, ...]) -> list[list[Any]]:
    result: list[list[Any]] = [[]]
    for key, value in node.items():
        if _is_or(key, value):
            options = [c for branch in value for c in _expand(branch, prefix)]
        elif isinstance(value, dict):
            options = _expand(value, (*prefix, *key.split(".")))
        else:
            options = [[((*prefix, *key.split(".")), value)]]
        result = [a + b for a in result for b in options]
    return result


def _conjunction(conditions: list[Any], event: dict[str, Any]) -> bool:
    tree: dict[str, Any] = {}
    for path, values in conditions:
        node = tree
        for key in path:
            node = node.setdefault(key, {})
        node.setdefault("", []).append((path, values))
    return _node(tree, event, event)


def _node(tree: dict[str, Any], value: Any, event: Any) -> bool:
    for path, values in tree.get("", []):
        if not _leaf(values, value, path, event):
            return False
    children = {k: v for k, v in tree.items() if k != ""}
    if not children:
        return True
    objects = list(_objects(value))
    if objects:
        return any(
            all(_node(t, o.get(k, _MISSING), event) for k, t in children.items()) for o in objects
        )
    return all(_node(t, _MISSING, event) for t in children.values())


def _objects(value: Any) -> list[dict[str, Any]]:
    if isinstance(value, dict):
        return [value]
    if isinstance(value, list):
        return [o for item in value for o in _objects(item)]
    return []


def _scalars(value: Any) -> list[Any]:
    if isinstance(value, list):
        return [s for item in value for s in _scalars(item)]
    return [] if isinstance(value, dict) or value is _MISSING else [value]


def _present(event: Any, path: tuple[str, ...]) -> bool:
    values = [event]
    for key in path:
        values = [o[key] for v in values for o in _objects(v) if key in o]
    return any(_scalars(v) for v in values)


def _leaf(alternatives: list[Any], value: Any, path: tuple[str, ...], event: Any) -> bool:
    for alternative in alternatives:
        if alternative == {"exists": False}:
            if not _present(event, path):
                return True
        elif any(_alternative(alternative, scalar) for scalar in _scalars(value)):
            return True
    return False


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, bool) or isinstance(b, bool) or a is None or b is None:
        return a is b
    if _is_number(a) and _is_number(b):
        return bool(a == b)
    return type(a) is type(b) and a == b


def _alternative(alternative: Any, value: Any) -> bool:
    if not isinstance(alternative, dict):
        return _same(alternative, value)
    ((operator, operand),) = alternative.items()
    if operator == "exists":
        return True
    if operator == "numeric":
        return _is_number(value) and _numeric(operand, value)
    if operator == "anything-but":
        return not _excluded(operand, value)
    return isinstance(value, str) and _string_operator(operator, operand, value)


def _string_operator(operator: str, operand: Any, value: str) -> bool:
    if operator in ("prefix", "suffix"):
        if isinstance(operand, dict):
            operand, value = operand["equals-ignore-case"].lower(), value.lower()
        return value.startswith(operand) if operator == "prefix" else value.endswith(operand)
    if operator == "equals-ignore-case":
        return bool(value.lower() == operand.lower())
    if operator == "exactly":
        return bool(value == operand)
    if operator == "wildcard":
        return _wildcard(operand, value)
    if operator == "cidr":
        return _cidr(operand, value)
    raise ValueError(f"unknown operator {operator}")


def _wildcard(text: str, value: str) -> bool:
    regex = "".join(
        ".*" if part == "*" else re.escape(part.replace("\\", "", 1))
        for part in re.findall(r"\\.|\*|[^\\*]+", text)
    )
    return re.fullmatch(regex, value, re.DOTALL) is not None


def _cidr(block: str, value: str) -> bool:
    try:
        network = ipaddress.ip_network(block, strict=False)
        if re.fullmatch(r"[0-9]+(\.[0-9]+){3}", value):
            value = ".".join(str(int(part)) for part in value.split("."))
        return ipaddress.ip_address(value) in network
    except ValueError:
        return False


def _numeric(operand: list[Any], value: float) -> bool:
    for operator, bound in zip(operand[::2], operand[1::2], strict=True):
        ok = {
            "=": value == bound, "<": value < bound, "<=": value <= bound,
            ">": value > bound, ">=": value >= bound,
        }[operator]  # fmt: skip
        if not ok:
            return False
    return True


def _excluded(operand: Any, value: Any) -> bool:
    if isinstance(operand, dict):
        ((operator, inner),) = operand.items()
        texts = inner if isinstance(inner, list) else [inner]
        if not isinstance(value, str):
            return False
        if operator == "equals-ignore-case":
            return value.lower() in [t.lower() for t in texts]
        return any(_string_operator(operator, t, value) for t in texts)
    values = operand if isinstance(operand, list) else [operand]
    return any(_same(v, value) for v in values)
