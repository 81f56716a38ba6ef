"""Generated bindings of Avro namespace com.example.common; do not edit."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Annotated, Any, ClassVar, Self

from pydantic import AwareDatetime, Field

from keybus.events import AvroRecord, AvroString

__all__ = [
    "Money",
    "Sha256",
    "TimeWindow",
]


class Money(AvroRecord):
    """An amount of money in one currency."""

    __avro_name__: ClassVar[str] = "com.example.common.Money"

    amount: Annotated[Decimal, Field(max_digits=12, decimal_places=2)]
    currency: AvroString
    """ISO 4217 code, for example EUR."""

    def to_avro(self) -> dict[str, Any]:
        """Return the record as the values fastavro writes."""
        return {
            "amount": self.amount,
            "currency": self.currency,
        }

    @classmethod
    def from_avro(cls, datum: Mapping[str, Any]) -> Self:
        """Build the record from values fastavro read; they are valid by construction."""
        return cls.from_trusted(
            {
                "amount": datum["amount"],
                "currency": datum["currency"],
            }
        )


Sha256 = Annotated[bytes, Field(strict=True, min_length=32, max_length=32)]
"""A SHA-256 digest."""


class TimeWindow(AvroRecord):
    """A half-open interval of time [starts_at, ends_at)."""

    __avro_name__: ClassVar[str] = "com.example.common.TimeWindow"

    starts_at: AwareDatetime
    ends_at: AwareDatetime

    def to_avro(self) -> dict[str, Any]:
        """Return the record as the values fastavro writes."""
        return {
            "starts_at": self.starts_at,
            "ends_at": self.ends_at,
        }

    @classmethod
    def from_avro(cls, datum: Mapping[str, Any]) -> Self:
        """Build the record from values fastavro read; they are valid by construction."""
        return cls.from_trusted(
            {
                "starts_at": datum["starts_at"],
                "ends_at": datum["ends_at"],
            }
        )
