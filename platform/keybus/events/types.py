"""Pydantic field types that accept exactly what Avro's primitive and logical types can hold."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

__all__ = [
    "INT_MAX",
    "INT_MIN",
    "LONG_MAX",
    "LONG_MIN",
    "AvroBoolean",
    "AvroBytes",
    "AvroDouble",
    "AvroFloat",
    "AvroInt",
    "AvroLong",
    "AvroString",
]

INT_MIN, INT_MAX = -(2**31), 2**31 - 1
LONG_MIN, LONG_MAX = -(2**63), 2**63 - 1

AvroInt = Annotated[int, Field(strict=True, ge=INT_MIN, le=INT_MAX)]
"""A 32-bit signed integer; booleans and numeric strings are rejected as Avro rejects them."""

AvroLong = Annotated[int, Field(strict=True, ge=LONG_MIN, le=LONG_MAX)]
"""A 64-bit signed integer."""

AvroFloat = Annotated[float, Field(strict=True)]
"""A 32-bit float; integers are accepted, as Avro promotes them."""

AvroDouble = Annotated[float, Field(strict=True)]
"""A 64-bit float."""

AvroBoolean = Annotated[bool, Field(strict=True)]
"""A boolean; 0 and 1 are rejected."""

AvroString = Annotated[str, Field(strict=True)]
"""A Unicode string."""

AvroBytes = Annotated[bytes, Field(strict=True)]
"""A byte sequence."""
