"""Typical events for the SDK benchmarks: DeliveryScheduled records of about 300 bytes of Avro."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from keybus.catalog import DeliveryScheduled
from keybus.catalog.com.example.common import Money, TimeWindow
from keybus.catalog.com.example.delivery import AccessMode, Address, Parcel, ParcelSize

__all__ = ["typical_events"]

_INSTRUCTIONS = "Leave the parcels inside the hallway, behind the door, next to the shoe rack."
_STREETS = ["Hauptstrasse", "Rue de la Paix", "Calle Mayor", "High Street", "Via Roma"]


def typical_events(count: int, seed: int = 7) -> list[DeliveryScheduled]:
    """Build `count` distinct DeliveryScheduled events, deterministic for a given seed."""
    rng = random.Random(seed)
    start = datetime(2026, 1, 1, tzinfo=UTC)
    return [_event(rng, start + timedelta(minutes=i), i) for i in range(count)]


def _event(rng: random.Random, moment: datetime, index: int) -> DeliveryScheduled:
    parcels = [
        Parcel(
            parcel_id=f"parcel-{index:08d}-{n}",
            size=rng.choice(list(ParcelSize)),
            weight_kg=Decimal(rng.randint(100, 30_000)).scaleb(-3),
            declared_value=Money(
                amount=Decimal(rng.randint(100, 99_999)).scaleb(-2), currency="EUR"
            ),
        )
        for n in range(2)
    ]
    return DeliveryScheduled(
        occurred_at=moment,
        delivery_id=f"delivery-{index:08d}",
        recipient_id=f"recipient-{rng.randint(0, 10_000):05d}",
        carrier=rng.choice(["DHL", "UPS", "DPD", "GLS"]),
        address=Address(
            street=f"{rng.choice(_STREETS)} {rng.randint(1, 300)}",
            unit=f"Apt {rng.randint(1, 40)}",
            postal_code=f"{rng.randint(10_000, 99_999)}",
            city="Berlin",
            country_code="DE",
        ),
        window=TimeWindow(starts_at=moment, ends_at=moment + timedelta(hours=2)),
        parcels=parcels,
        access_mode=rng.choice(list(AccessMode)),
        lock_id=f"lock-{rng.randint(0, 5_000):05d}",
        instructions=_INSTRUCTIONS,
        shipping_fee=Money(amount=Decimal("4.99"), currency="EUR"),
    )
