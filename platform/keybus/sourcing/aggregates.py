"""The declared aggregate types by name; other packages add their own with `register_aggregate`."""

from __future__ import annotations

from typing import Any

from keybus.sourcing.aggregate import AggregateType
from keybus.sourcing.domain import ACCESS_GRANT, DELIVERY
from keybus.sourcing.errors import SourcingError, UnknownAggregateError

__all__ = ["aggregate_names", "find_aggregate", "register_aggregate", "select_aggregates"]

_AGGREGATES: dict[str, AggregateType[Any]] = {}


def register_aggregate(aggregate: AggregateType[Any]) -> None:
    """Declare an aggregate type so the command handler can serve it."""
    existing = _AGGREGATES.get(aggregate.name)
    if existing is not None and existing is not aggregate:
        raise SourcingError(
            f"An aggregate named {aggregate.name!r} is declared already (stream "
            f"{existing.stream}). Give the new aggregate type another name."
        )
    _AGGREGATES[aggregate.name] = aggregate


def find_aggregate(name: str) -> AggregateType[Any]:
    """Return the aggregate type declared under `name`."""
    aggregate = _AGGREGATES.get(name)
    if aggregate is None:
        raise UnknownAggregateError(
            f"No aggregate type is named {name!r}. Declared: {', '.join(aggregate_names())}. "
            "Declare it with keybus.sourcing.register_aggregate before starting the handler."
        )
    return aggregate


def aggregate_names() -> list[str]:
    """Return the names of the declared aggregate types."""
    return sorted(_AGGREGATES)


def select_aggregates(names: str) -> list[AggregateType[Any]]:
    """Return the aggregate types of a comma-separated list; empty selects all."""
    chosen = [name.strip() for name in names.split(",") if name.strip()]
    return [find_aggregate(name) for name in chosen or aggregate_names()]


register_aggregate(DELIVERY)
register_aggregate(ACCESS_GRANT)
