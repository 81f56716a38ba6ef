"""The base models of generated event bindings: Avro records, events and union helpers."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime
from enum import Enum
from importlib import resources
from typing import Any, ClassVar, Self
from uuid import UUID, uuid4

from pydantic import AwareDatetime, BaseModel, BeforeValidator, ConfigDict, Field, ValidationError

from keybus.serde.schema import ParsedSchema, parse_schema
from keybus.types import AggregateId, EventType, TopicName

__all__ = [
    "AvroRecord",
    "Event",
    "decode_union",
    "encode_union",
    "packaged_schema",
    "record_union",
    "utc_now",
]


def utc_now() -> datetime:
    """Return the current time in UTC, truncated to the millisecond Avro keeps."""
    now = datetime.now(UTC)
    return now.replace(microsecond=now.microsecond // 1000 * 1000)


def packaged_schema(package: str, event_type: str) -> dict[str, Any]:
    """Load `<package>/schemas/<event_type>.avsc`, a schema shipped inside a Python package."""
    text = resources.files(package).joinpath("schemas", f"{event_type}.avsc").read_text("utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema


class AvroRecord(BaseModel):
    """A pydantic model bound to one Avro record type.

    Generated subclasses override `to_avro` and `from_avro` with straight-line code;
    the generic versions here serve hand-written models.
    """

    model_config = ConfigDict(extra="forbid", validate_assignment=True, populate_by_name=True)

    __avro_name__: ClassVar[str] = ""

    def to_avro(self) -> dict[str, Any]:
        """Return the record as the values fastavro writes.

        NOTE: this generic version does not name union branches, so fastavro picks the
        branch of a record inside a union of records. Generated models override it and
        always name the branch.
        """
        return {name: _to_avro_value(getattr(self, name)) for name in type(self).model_fields}

    @classmethod
    def from_avro(cls, datum: Mapping[str, Any]) -> Self:
        """Build the model from values fastavro read with this record's schema."""
        return cls.model_validate(dict(datum))

    @classmethod
    def from_trusted(cls, values: dict[str, Any]) -> Self:
        """Build the model from values known to be valid, without validating them.

        Values decoded by fastavro with this record's schema are valid by construction,
        so generated `from_avro` methods use this on the consume path. It sets the same
        four attributes that pydantic's `model_construct` sets, minus its per-field
        default handling, which decoding has already done.
        """
        model = _new(cls)
        _set(model, "__dict__", values)
        _set(model, "__pydantic_fields_set__", set(values))
        _set(model, "__pydantic_extra__", None)
        _set(model, "__pydantic_private__", None)
        return model


class Event(AvroRecord):
    """A domain event: an Avro record with an event id, a time and an aggregate id.

    Subclasses set `__avro_schema__` (the self-contained record schema), `__topic__`
    (the topic of its aggregate type) and `__aggregate_id_field__` (the field whose
    value is the record key). The schema is parsed and checked when the class is
    created, so an invalid schema fails at import, before any event is produced.
    """

    __avro_schema__: ClassVar[dict[str, Any]]
    __topic__: ClassVar[str]
    __aggregate_id_field__: ClassVar[str]
    __parsed_schema__: ClassVar[ParsedSchema]

    event_id: UUID = Field(default_factory=uuid4)
    occurred_at: AwareDatetime = Field(default_factory=utc_now)

    @classmethod
    def __pydantic_init_subclass__(cls, **kwargs: Any) -> None:
        super().__pydantic_init_subclass__(**kwargs)
        if "__avro_schema__" in cls.__dict__:
            cls.__parsed_schema__ = parse_schema(cls.__avro_schema__)

    @classmethod
    def event_type(cls) -> EventType:
        """Return the Avro full name of this event type."""
        return EventType(cls.__avro_name__)

    @classmethod
    def topic(cls) -> TopicName:
        """Return the topic that contains the events of this type's aggregate."""
        return TopicName(cls.__topic__)

    @classmethod
    def avro_schema(cls) -> ParsedSchema:
        """Return the parsed writer schema of this event type."""
        return cls.__parsed_schema__

    @property
    def aggregate_id(self) -> AggregateId:
        """The id of the aggregate this event belongs to; the record key."""
        return AggregateId(str(getattr(self, type(self).__aggregate_id_field__)))


def encode_union(value: Any) -> Any:
    """Return a union value for fastavro: a record becomes `(full name, dict)`."""
    if isinstance(value, AvroRecord):
        return (value.__avro_name__, value.to_avro())
    return value


def decode_union(value: Any, records: Mapping[str, type[AvroRecord]]) -> Any:
    """Turn a `(full name, dict)` union value from fastavro into the named record model."""
    if isinstance(value, tuple):
        name, datum = value
        return records[name.lstrip(".")].from_avro(datum)
    return value


_set = object.__setattr__
_new = object.__new__


def record_union(*records: type[AvroRecord]) -> BeforeValidator:
    """Validate a plain dict for a union of records by field set, rejecting ties.

    A model instance keeps its type. A dict becomes the record whose fields equal its
    keys, or else the record whose fields cover its keys and default the rest. When two
    records fit equally well, validation fails instead of picking the first, because
    the choice decides which fields the written event keeps.
    """

    def choose(value: Any) -> Any:
        if not isinstance(value, Mapping):
            return value
        keys = set(value)
        exact = [r for r in records if keys == _field_names(r)]
        covering = [r for r in records if _covers(r, keys)]
        for candidates in (exact, covering):
            fitting = [r for r in candidates if _accepts(r, value)]
            if len(fitting) > 1:
                names = [r.__avro_name__ for r in fitting]
                raise ValueError(
                    f"fields {sorted(keys)} fit union branches {names} equally well; pass "
                    "a model instance to choose the branch"
                )
            if fitting:
                return fitting[0].model_validate(value)
        return value

    return BeforeValidator(choose)


def _field_names(record: type[AvroRecord]) -> set[str]:
    return {field.alias or name for name, field in record.model_fields.items()}


def _covers(record: type[AvroRecord], keys: set[str]) -> bool:
    fields = {field.alias or name: field for name, field in record.model_fields.items()}
    missing = set(fields) - keys
    return keys <= set(fields) and not any(fields[name].is_required() for name in missing)


def _accepts(record: type[AvroRecord], value: Mapping[str, Any]) -> bool:
    try:
        record.model_validate(value)
    except ValidationError:
        return False
    return True


def _to_avro_value(value: Any) -> Any:
    if isinstance(value, AvroRecord):
        return value.to_avro()
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, list):
        return [_to_avro_value(item) for item in value]
    if isinstance(value, dict):
        return {key: _to_avro_value(item) for key, item in value.items()}
    return value
