"""Python source under construction for compiled codecs: lines, constants, local names."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from keybus.serde.defaults import PRIMITIVE_TYPES

__all__ = ["LOGICAL_KINDS", "Source", "logical_kind", "resolve"]

LOGICAL_KINDS = frozenset(
    {
        "long-timestamp-millis",
        "long-local-timestamp-millis",
        "long-timestamp-micros",
        "long-local-timestamp-micros",
        "int-date",
        "bytes-decimal",
        "fixed-decimal",
        "string-uuid",
        "int-time-millis",
        "long-time-micros",
    }
)
"""The `<type>-<logicalType>` pairs fastavro 1.x converts; it ignores other logical types."""


class Source:
    """Lines of Python source with the constants they refer to and fresh local names."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.constants: dict[str, Any] = {}
        self._counter = 0

    def add(self, indent: int, line: str) -> None:
        """Append one line at `indent` levels of four spaces."""
        self.lines.append("    " * indent + line)

    def local(self, prefix: str) -> str:
        """Return a new local variable name."""
        self._counter += 1
        return f"{prefix}{self._counter}"

    def constant(self, value: Any, prefix: str = "_c") -> str:
        """Return the global name under which the compiled code sees `value`."""
        for name, known in self.constants.items():
            if known is value:
                return name
        name = self.local(prefix)
        self.constants[name] = value
        return name

    def text(self) -> str:
        """Return the source as one string."""
        return "\n".join(self.lines) + "\n"


def resolve(node: Any, named: Mapping[str, Any]) -> Any:
    """Replace a named-type reference by its definition; other nodes stay as they are."""
    if isinstance(node, str) and node not in PRIMITIVE_TYPES:
        return named[node]
    return node


def logical_kind(node: Any) -> str | None:
    """Return `<type>-<logicalType>` when fastavro converts this node's values, else None."""
    if not isinstance(node, dict) or "logicalType" not in node:
        return None
    kind = f"{node['type']}-{node['logicalType']}"
    return kind if kind in LOGICAL_KINDS else None
