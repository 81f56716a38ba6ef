"""Helpers that compiled Avro encoders and decoders call: varints, decimals, rejections."""

from __future__ import annotations

import numbers
import struct
import time
from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime, timedelta
from decimal import Context, Decimal
from typing import Any, NoReturn

from fastavro.validation import validate

__all__ = [
    "DAYS_SHIFT",
    "EPOCH",
    "EPOCH_NAIVE",
    "MISSING",
    "ValueRejectedError",
    "choose_mapping_branch",
    "decimal_context",
    "decimal_to_bytes",
    "decimal_to_fixed",
    "describe_value",
    "naive_timestamp",
    "read_varint_tail",
    "reject",
    "rejected_by_error",
    "rejected_field_by_error",
    "truncated",
    "unencodable_text",
    "varint",
]

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
EPOCH_NAIVE = datetime(1970, 1, 1)
DAYS_SHIFT = date(1970, 1, 1).toordinal()
ONE_MILLISECOND = timedelta(milliseconds=1)
ONE_MICROSECOND = timedelta(microseconds=1)
PACK_FLOAT = struct.Struct("<f").pack
PACK_DOUBLE = struct.Struct("<d").pack
UNPACK_FLOAT = struct.Struct("<f").unpack_from
UNPACK_DOUBLE = struct.Struct("<d").unpack_from

_CONTEXTS: dict[int, Context] = {}


class _Missing:
    def __repr__(self) -> str:
        return "missing"


MISSING = _Missing()
"""The value reported for a record field that is absent and has no default."""


class ValueRejectedError(Exception):
    """A value that does not fit its schema, raised inside compiled encoders.

    `steps` grows from the value outwards while the exception passes through record
    fields, array items and map values; `path` reads it the other way round.

    Attributes:
        value: the rejected value, or MISSING for an absent field without a default.
        expected: the Avro type the value should have, such as `int (from 0 to 9)`.
        reason: why the value is not of that type, when the type alone does not explain it.
        fix: what to do instead, when giving a value of `expected` is not enough.
    """

    def __init__(
        self, value: Any, expected: str, reason: str | None = None, fix: str | None = None
    ) -> None:
        super().__init__(expected)
        self.value = value
        self.expected = expected
        self.reason = reason
        self.fix = fix
        self.steps: list[str] = []

    @property
    def path(self) -> str:
        """The dotted path of the rejected value, such as `parcels[1].weight_kg`."""
        text = ""
        for step in reversed(self.steps):
            text += step if step.startswith("[") or not text else f".{step}"
        return text

    def at_field(self, name: str) -> None:
        """Add the record field the value sits in."""
        self.steps.append(name)

    def at_item(self, items: Sequence[Any], item: Any) -> None:
        """Add the array index of `item`, found by identity."""
        index = next((i for i, candidate in enumerate(items) if candidate is item), "?")
        self.steps.append(f"[{index}]")

    def at_key(self, key: Any) -> None:
        """Add the map key the value sits under."""
        self.steps.append(f"[{key!r}]")


def reject(value: Any, expected: str, reason: str | None = None) -> NoReturn:
    """Raise ValueRejectedError for `value`, which is not a valid `expected`."""
    raise ValueRejectedError(value, expected, reason)


def rejected_by_error(value: Any, expected: str, error: Exception) -> ValueRejectedError:
    """Build the rejection for an error Python raised while encoding `value` as `expected`."""
    if isinstance(error, UnicodeEncodeError):
        return unencodable_text(error)
    return ValueRejectedError(value, expected, f"encoding it raised {_error_text(error)}")


def rejected_field_by_error(
    record: Any, field: str, fields: Mapping[str, tuple[str | None, str]], error: Exception
) -> ValueRejectedError:
    """Build the rejection for an error Python raised while encoding a record field.

    `fields` maps each field name to the attribute that contains it (None when the record
    is a mapping) and the field's Avro type. The value is read again here, on the error
    path only, so that the message shows the field's value and not the whole record.
    """
    attribute, expected = fields.get(field, (None, "value of the schema"))
    if attribute is not None:
        value = getattr(record, attribute, MISSING)
    elif isinstance(record, Mapping):
        value = record.get(field, MISSING)
    else:
        value = MISSING
    if value is MISSING:
        return ValueRejectedError(MISSING, expected)
    return rejected_by_error(value, expected, error)


def unencodable_text(error: UnicodeEncodeError) -> ValueRejectedError:
    """Build the rejection for a string with a lone surrogate, which UTF-8 cannot encode."""
    character = error.object[error.start : error.start + 1]
    return ValueRejectedError(
        error.object,
        "string",
        f"it contains the lone surrogate {character!r} at index {error.start}, which UTF-8 "
        "cannot encode",
        "Replace the surrogate with a valid character, for example with "
        "text.encode('utf-8', 'replace').decode(), or decode the original bytes with their "
        "real encoding instead of errors='surrogateescape'.",
    )


def _error_text(error: Exception) -> str:
    detail = str(error).rstrip(".")
    return f"{type(error).__name__}: {detail}" if detail else type(error).__name__


def describe_value(value: Any) -> str:
    """Return a short repr of `value` for error messages."""
    text = repr(value)
    return text if len(text) <= 80 else f"{text[:77]}..."


def varint(number: int) -> bytes:
    """Return the base-128 varint of a non-negative, already zigzagged number.

    Numbers below 2**42 are put together from tables of 14-bit groups. They include the
    zigzagged millisecond timestamps from April 1900 to September 2039, which take about
    60 % of the time of a loop over 7-bit groups this way (timeit, CPython 3.11).
    """
    if number < _GROUP_END:
        return _LAST_GROUP[number]
    if number < _GROUP_END << 14:
        return _INNER_GROUP[number & _GROUP_MASK] + _LAST_GROUP[number >> 14]
    if number < _GROUP_END << 28:
        return (
            _INNER_GROUP[number & _GROUP_MASK]
            + _INNER_GROUP[(number >> 14) & _GROUP_MASK]
            + _LAST_GROUP[number >> 28]
        )
    return _varint_by_loop(number)


def _varint_by_loop(number: int) -> bytes:
    out = bytearray()
    while number >= 0x80:
        out.append((number & 0x7F) | 0x80)
        number >>= 7
    out.append(number)
    return bytes(out)


_GROUP_END = 1 << 14
_GROUP_MASK = _GROUP_END - 1
_LAST_GROUP = tuple(_varint_by_loop(group) for group in range(_GROUP_END))
"""The whole varint of each number below 2**14."""
_INNER_GROUP = tuple(
    bytes([(group & 0x7F) | 0x80, (group >> 7) | 0x80]) for group in range(_GROUP_END)
)
"""The two bytes of a 14-bit group that more groups follow."""


def read_varint_tail(buffer: bytes, position: int, first: int) -> tuple[int, int]:
    """Read the rest of a varint whose first byte `first` had its high bit set."""
    number = first & 0x7F
    shift = 7
    while True:
        byte = buffer[position]
        position += 1
        number |= (byte & 0x7F) << shift
        if byte < 0x80:
            return number, position
        shift += 7


def truncated(position: int, size: int) -> NoReturn:
    """Raise EOFError for a value that would end past the end of the body."""
    raise EOFError(f"value ends at byte {position}, past the end of the {size}-byte body")


def naive_timestamp(moment: datetime, unit_per_second: int) -> int:
    """Convert a naive datetime as fastavro 1.x does: as local time, through `mktime`."""
    seconds = int(time.mktime(moment.timetuple()))
    if unit_per_second == 1000:
        return seconds * 1000 + int(moment.microsecond / 1000)
    return seconds * unit_per_second + moment.microsecond


def _unscaled(value: Decimal, precision: int, scale: int, expected: str) -> int:
    """Return the unscaled integer of `value`, rejecting values decimal(precision, scale) lacks.

    fastavro 1.x checks the digits of the coefficient as written; this checks the value,
    so `Decimal("100")` is rejected for decimal(3, 2), where fastavro writes 10000.
    """
    if not value.is_finite():
        reject(value, expected, "it is not a finite number")
    if value and value.adjusted() >= precision - scale:
        reject(value, expected, f"it has more than {precision - scale} digits before the point")
    numerator, denominator = value.as_integer_ratio()
    scaled: int = numerator * 10**scale
    unscaled, remainder = divmod(scaled, denominator)
    if remainder:
        reject(value, expected, f"it has more than {scale} digits after the point")
    return unscaled


def decimal_to_bytes(value: Decimal, precision: int, scale: int, expected: str) -> bytes:
    """Encode a decimal as the two's-complement bytes fastavro writes for `bytes` decimals."""
    unscaled = _unscaled(value, precision, scale, expected)
    return unscaled.to_bytes((abs(unscaled).bit_length() + 8) // 8, "big", signed=True)


def decimal_to_fixed(value: Decimal, precision: int, scale: int, size: int, expected: str) -> bytes:
    """Encode a decimal as `size` two's-complement bytes, rejecting values that overflow."""
    unscaled = _unscaled(value, precision, scale, expected)
    try:
        return unscaled.to_bytes(size, "big", signed=True)
    except OverflowError:
        reject(value, expected, f"its unscaled value does not fit in {size} bytes")


def decimal_context(precision: int) -> Context:
    """Return the context fastavro reads a decimal of `precision` digits with."""
    context = _CONTEXTS.get(precision)
    if context is None:
        context = _CONTEXTS[precision] = Context(prec=precision)
    return context


def is_real(value: Any) -> bool:
    """Tell whether fastavro accepts `value` as a float or double."""
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def is_integral(value: Any, low: int, high: int) -> bool:
    """Tell whether fastavro accepts `value` as an int or long within [low, high]."""
    return (
        isinstance(value, numbers.Integral)
        and not isinstance(value, bool)
        and low <= int(value) <= high
    )


def choose_mapping_branch(
    value: Mapping[str, Any], candidates: list[tuple[int, Any]], named: Mapping[str, Any]
) -> int:
    """Pick the union branch for a mapping as fastavro 1.x does, or return -1.

    The first valid map branch wins; among valid records, the one that shares the most
    field names with the mapping, the first on a tie.
    """
    best, max_shared = -1, -1
    for index, schema in candidates:
        resolved = named[schema] if isinstance(schema, str) else schema
        standalone = dict(resolved, __fastavro_parsed=True, __named_schemas=named)
        if not validate(value, standalone, raise_errors=False):
            continue
        if resolved["type"] not in ("record", "error"):
            return index
        shared = len({field["name"] for field in resolved["fields"]} & set(value))
        if shared > max_shared:
            best, max_shared = index, shared
    return best
