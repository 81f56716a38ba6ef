"""Compiled codecs that read generated models' attributes and build models when decoding.

The typed publish and consume paths skip the dict step. The encoder reads the event's
attributes. The decoder builds the record models and enum members directly, as the
generated `from_avro` methods would from a decoded dict, and does not validate values
that decoding already guarantees.
"""

from __future__ import annotations

import typing
from collections.abc import Iterator
from enum import Enum
from typing import Any

from keybus.events.model import AvroRecord, Event
from keybus.serde.compiled import CompiledCodec, compiled_codec
from keybus.serde.decoder import RecordBinding

__all__ = ["model_codec"]

_codecs: dict[type[Event], CompiledCodec | None] = {}


def model_codec(event_type: type[Event]) -> CompiledCodec | None:
    """Return the attribute-reading, model-building codec of a generated event type.

    Returns None for hand-written models, whose `to_avro` and `from_avro` may convert
    values in their own ways; callers then use the dict codec.
    """
    if event_type in _codecs:
        return _codecs[event_type]
    bindings = _ModelBindings(event_type)
    codec = None
    if bindings.generated:
        codec = compiled_codec(
            event_type.avro_schema(),
            field_attribute=bindings.field_attribute,
            bindings=bindings,
            variant=("model", event_type.__module__, event_type.__qualname__),
        )
    _codecs[event_type] = codec
    return codec


class _ModelBindings:
    """The record models and enums reachable from one event type, by Avro full name."""

    def __init__(self, event_type: type[Event]) -> None:
        self.records: dict[str, type[AvroRecord]] = {}
        self.enums: list[type[Enum]] = []
        self._collect(event_type)
        self.generated = all(_is_generated(model) for model in self.records.values())

    def _collect(self, model: type[AvroRecord]) -> None:
        if self.records.get(model.__avro_name__) is model:
            return
        self.records[model.__avro_name__] = model
        for field in model.model_fields.values():
            for found in _types_in(field.annotation):
                if isinstance(found, type) and issubclass(found, AvroRecord):
                    self._collect(found)
                elif isinstance(found, type) and issubclass(found, Enum):
                    self.enums.append(found)

    def field_attribute(self, record_name: str, field_name: str) -> str:
        model = self.records.get(record_name.lstrip("."))
        if model is None:
            return field_name
        return _attributes(model).get(field_name, field_name)

    def record(self, avro_name: str) -> RecordBinding | None:
        model = self.records.get(avro_name)
        if model is None:
            return None
        trusted = "from_trusted" not in model.__dict__
        return RecordBinding(
            build=model.from_trusted,
            attributes=_attributes(model),
            pydantic_model=model if trusted else None,
        )

    def enum(self, avro_name: str, symbols: list[str]) -> tuple[Any, ...] | None:
        for enum_type in self.enums:
            values = [member.value for member in enum_type]
            if values == symbols:
                return tuple(enum_type)
        return None


def _attributes(model: type[AvroRecord]) -> dict[str, str]:
    return {(field.alias or name): name for name, field in model.model_fields.items()}


def _is_generated(model: type[AvroRecord]) -> bool:
    """Tell whether a model overrides both conversions, as generated bindings do."""
    return "to_avro" in model.__dict__ and "from_avro" in model.__dict__


def _types_in(annotation: Any) -> Iterator[Any]:
    yield annotation
    for argument in typing.get_args(annotation):
        yield from _types_in(argument)
