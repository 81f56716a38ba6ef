"""Seeded random values for any parsed Avro schema, with the edge values of every type."""

from __future__ import annotations

import random
import struct
import uuid
from collections.abc import Mapping
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from keybus.serde.defaults import PRIMITIVE_TYPES

INT_EDGES = [0, 1, -1, 63, -64, 64, -65, 8191, -8192, 2**31 - 1, -(2**31)]
LONG_EDGES = [*INT_EDGES, 2**31, -(2**31) - 1, 2**63 - 1, -(2**63)]
STRINGS = ["", "a", "žluťoučký kůň", "🐍 snake", "x" * 64, "ü" * 100, "\x00nul"]
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class NoFiniteValueError(Exception):
    """The schema nests records without end: every value would be infinite."""


class ValueMaker:
    """Build values for a schema from a seeded random generator."""

    def __init__(self, named: Mapping[str, Any], seed: int, max_depth: int = 4) -> None:
        self.named = named
        self.random = random.Random(seed)
        self.max_depth = max_depth

    def value(self, node: Any, depth: int = 0) -> Any:
        """Return a random value of `node`, a fastavro-parsed schema node."""
        if depth > 50:
            raise NoFiniteValueError(node)
        if isinstance(node, str) and node not in PRIMITIVE_TYPES:
            node = self.named[node]
        if isinstance(node, list):
            return self.union(node, depth)
        if isinstance(node, str):
            return self.primitive(node)
        logical = f"{node['type']}-{node.get('logicalType')}"
        if logical in _LOGICAL:
            return _LOGICAL[logical](self, node)
        kind = node["type"]
        if kind in ("record", "error"):
            return {f["name"]: self.value(f["type"], depth + 1) for f in node["fields"]}
        if kind == "enum":
            return self.random.choice(node["symbols"])
        if kind == "fixed":
            return self.random.randbytes(node["size"])
        if kind == "array":
            return [self.value(node["items"], depth + 1) for _ in range(self.count(depth))]
        if kind == "map":
            return {
                self.random.choice(STRINGS) + str(i): self.value(node["values"], depth + 1)
                for i in range(self.count(depth))
            }
        return self.value(kind, depth)

    def count(self, depth: int) -> int:
        return 0 if depth >= self.max_depth else self.random.choice([0, 1, 2, 3, 70])

    def union(self, branches: list[Any], depth: int) -> Any:
        choices = list(range(len(branches)))
        if depth >= self.max_depth and "null" in branches:
            choices = [branches.index("null")]
        index = self.random.choice(choices)
        branch = branches[index]
        value = self.value(branch, depth + 1)
        resolved = self.named.get(branch, branch) if isinstance(branch, str) else branch
        records = [b for b in branches if self._is_record(b)]
        if len(records) > 1 and self._is_record(branch):
            return (resolved["name"], value)
        return value

    def _is_record(self, node: Any) -> bool:
        resolved = self.named.get(node, node) if isinstance(node, str) else node
        return isinstance(resolved, dict) and resolved.get("type") in ("record", "error")

    def primitive(self, kind: str) -> Any:
        pick = self.random
        if kind == "null":
            return None
        if kind == "boolean":
            return pick.random() < 0.5
        if kind == "int":
            return pick.choice([*INT_EDGES, pick.randint(-(2**31), 2**31 - 1)])
        if kind == "long":
            return pick.choice([*LONG_EDGES, pick.randint(-(2**63), 2**63 - 1)])
        if kind == "float":
            raw = pick.choice([0.0, -1.5, 3.4e38, pick.uniform(-1e6, 1e6)])
            return struct.unpack("<f", struct.pack("<f", raw))[0]
        if kind == "double":
            return pick.choice([0.0, -0.0, 1e308, -2.5e-308, pick.uniform(-1e12, 1e12)])
        if kind == "string":
            return pick.choice([*STRINGS, "".join(chr(pick.randint(32, 0x2FFF)) for _ in range(9))])
        return pick.randbytes(pick.choice([0, 1, 63, 64, 200]))

    def decimal(self, node: Mapping[str, Any]) -> Decimal:
        precision, scale = node["precision"], node.get("scale", 0)
        if node["type"] == "fixed":
            precision = min(precision, len(str(2 ** (8 * node["size"] - 1))) - 1)
        digits = self.random.randint(1, precision)
        unscaled = self.random.randint(0, 10**digits - 1) * self.random.choice([1, -1])
        return Decimal(unscaled).scaleb(-scale)

    def timestamp(self, unit_us: int, aware: bool) -> datetime:
        micros = self.random.randint(-(2**40), 2**42) * 1000 // unit_us * unit_us
        moment = _EPOCH + timedelta(microseconds=micros)
        return moment if aware else moment.replace(tzinfo=None)

    def time_of_day(self, unit_us: int) -> time:
        micros = self.random.randint(0, 86_399_999_999) // unit_us * unit_us
        return (datetime(2000, 1, 1) + timedelta(microseconds=micros)).time()


_LOGICAL = {
    "long-timestamp-millis": lambda maker, node: maker.timestamp(1000, True),
    "long-timestamp-micros": lambda maker, node: maker.timestamp(1, True),
    "long-local-timestamp-millis": lambda maker, node: maker.timestamp(1000, False),
    "long-local-timestamp-micros": lambda maker, node: maker.timestamp(1, False),
    "int-date": lambda maker, node: (
        date(1970, 1, 1) + timedelta(days=maker.random.randint(-700_000, 2_900_000))
    ),
    "int-time-millis": lambda maker, node: maker.time_of_day(1000),
    "long-time-micros": lambda maker, node: maker.time_of_day(1),
    "string-uuid": lambda maker, node: uuid.UUID(int=maker.random.getrandbits(128)),
    "bytes-decimal": lambda maker, node: maker.decimal(node),
    "fixed-decimal": lambda maker, node: maker.decimal(node),
}
