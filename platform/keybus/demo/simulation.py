"""A day of a delivery network's locks, published through the SDK.

Sites have smart locks. Couriers open them for deliveries, doors relock, and devices
report their status (some go offline, some run low on battery or jam). A few locks were
never entered in the lock directory. A few records are broken on purpose (no magic byte,
an unknown schema id), so that the dead letters have something to show.
"""

from __future__ import annotations

import random
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from keybus.catalog.com.example.access import (
    AccessMethod,
    DeviceStatus,
    DeviceStatusChanged,
    DoorLocked,
    DoorUnlocked,
    LockTrigger,
)
from keybus.catalog.com.example.reference import LockDirectoryEntry
from keybus.client import Producer
from keybus.events import Event
from keybus.kafka import Producer as RawProducer

__all__ = ["SimulationLog", "plan_locks", "simulate"]

DEVICE_TOPIC = "lock-devices"
LOCKS_PER_SITE = 4
UNREGISTERED_LOCKS = 2
BROKEN_RECORDS = (
    ("no magic byte", b"plain text, not the Confluent wire format"),
    ("unknown schema id", b"\x00\x7f\xff\xff\xf0" + b"\x02\x04"),
)


@dataclass
class SimulationLog:
    """The records the simulation published, for the summary to account for."""

    device_events: dict[str, str] = field(default_factory=dict)
    """event id -> event type of every device event on lock-devices."""
    published_at_ms: dict[str, int] = field(default_factory=dict)
    """event id -> wall-clock time of the publish call, in milliseconds."""
    broken: dict[str, str] = field(default_factory=dict)
    """record id (its ce_id header) -> what is wrong with the record."""
    locks: list[str] = field(default_factory=list)
    unregistered_locks: list[str] = field(default_factory=list)
    directory_entries: int = 0


def plan_locks(deliveries: int, run_id: str) -> tuple[list[str], list[str]]:
    """Return the locks of a day of `deliveries`, and those never entered in the directory.

    The locks never entered carry `run_id` in their ids, because the directory is a
    compacted topic that keeps the locks of earlier runs.
    """
    sites = max(1, deliveries // 25)
    locks = [f"lock-{site:03d}-{n}" for site in range(sites) for n in range(LOCKS_PER_SITE)]
    registered = locks[:-UNREGISTERED_LOCKS]
    unregistered = [f"{lock_id}-new-{run_id}" for lock_id in locks[-UNREGISTERED_LOCKS:]]
    return registered + unregistered, unregistered


def simulate(
    producer: Producer, servers: str, *, deliveries: int, seed: int, run_id: str
) -> SimulationLog:
    """Publish the lock directory, then one delivery day of device events."""
    rng = random.Random(seed)
    locks, unregistered = plan_locks(deliveries, run_id)
    log = SimulationLog(locks=locks, unregistered_locks=unregistered)
    for lock_id in locks[:-UNREGISTERED_LOCKS]:
        site = lock_id.split("-")[1]
        producer.publish(
            LockDirectoryEntry(lock_id=lock_id, site_id=f"site-{site}", owner_id=f"owner-{site}")
        )
        log.directory_entries += 1
    start = datetime.now(UTC) - timedelta(hours=10)
    for number in range(deliveries):
        lock_id = rng.choice(locks)
        moment = start + timedelta(seconds=number * 36_000 / deliveries)
        for event in _delivery_events(rng, lock_id, f"courier-{rng.randrange(40)}", moment):
            _publish(producer, log, event)
    _publish_broken(servers, log)
    return log


def _delivery_events(
    rng: random.Random, lock_id: str, courier_id: str, moment: datetime
) -> list[Event]:
    method = rng.choice([AccessMethod.BLUETOOTH, AccessMethod.PIN, AccessMethod.REMOTE])
    battery = rng.randrange(3, 100)
    events: list[Event] = [
        DoorUnlocked(
            occurred_at=moment,
            lock_id=lock_id,
            grant_id=f"grant-{uuid.uuid4().hex[:12]}",
            method=method,
            battery_percent=battery,
            courier_id=courier_id if method is not AccessMethod.REMOTE else None,
        ),
        DoorLocked(
            occurred_at=moment + timedelta(seconds=rng.randrange(5, 90)),
            lock_id=lock_id,
            trigger=rng.choice([LockTrigger.AUTO_RELOCK, LockTrigger.MANUAL]),
            open_duration_ms=rng.randrange(5_000, 90_000),
        ),
    ]
    if battery < 10 or rng.random() < 0.05:
        status = rng.choice([DeviceStatus.OFFLINE, DeviceStatus.JAMMED, DeviceStatus.LOW_BATTERY])
        events.append(
            DeviceStatusChanged(
                occurred_at=moment + timedelta(minutes=2),
                lock_id=lock_id,
                status=status,
                previous_status=DeviceStatus.ONLINE,
                battery_percent=battery,
                firmware_version="2.4.1",
            )
        )
    return events


def _publish(producer: Producer, log: SimulationLog, event: Event) -> None:
    log.published_at_ms[str(event.event_id)] = int(time.time() * 1000)
    producer.publish_nowait(event)
    log.device_events[str(event.event_id)] = type(event).__name__


def _publish_broken(servers: str, log: SimulationLog) -> None:
    """Write records that no schema can decode, bypassing the SDK that would refuse them."""
    raw = RawProducer({"bootstrap.servers": servers, "partitioner": "murmur2_random"})
    for reason, value in BROKEN_RECORDS:
        record_id = str(uuid.uuid4())
        raw.produce(DEVICE_TOPIC, key=b"lock-broken", value=value, headers=[("ce_id", record_id)])
        log.broken[record_id] = reason
    raw.flush(30)
