"""Two command handler workers on real Kafka: one writer per aggregate, racing commands.

Both workers are real Faust processes in one consumer group, so the command partitions
are split between them.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from uuid import uuid4

from confluent_kafka.admin import AdminClient
from tests.unit.sourcing.factories import NOON, schedule, window

from keybus.sourcing import CommandBus
from keybus.sourcing.domain import DELIVERY, RescheduleDelivery
from keybus.testing import KafkaEndpoint

from .conftest import running_handler
from .test_commands import stream_versions

AGGREGATES = 6
RESCHEDULES = 4


def test_two_workers_keep_versions_contiguous(
    kafka: KafkaEndpoint, kafka_admin: AdminClient, schema_registry: str, tmp_path: Path
) -> None:
    ids = [f"d-two-{n}" for n in range(AGGREGATES)]
    with running_handler(kafka, kafka_admin, schema_registry, tmp_path, workers=2) as stack:
        with CommandBus(stack.bootstrap_servers, [DELIVERY], topic_prefix=stack.prefix) as bus:
            sent = [bus.send_nowait(schedule(delivery_id)) for delivery_id in ids]
            for day in range(1, RESCHEDULES + 1):
                later = window(NOON + timedelta(days=day))
                sent += [
                    bus.send_nowait(RescheduleDelivery(aggregate_id=delivery_id, window=later))
                    for delivery_id in ids
                ]
            replies = [bus.wait(command_id, timeout_s=60) for command_id in sent]
            first = RescheduleDelivery(
                aggregate_id=ids[0], window=window(), expected_version=RESCHEDULES + 1
            )
            second = first.model_copy(update={"command_id": uuid4()})
            racing = [bus.send_nowait(first), bus.send_nowait(second)]
            race = [bus.wait(command_id, timeout_s=60) for command_id in racing]
        versions = {
            delivery_id: stream_versions(stack, "deliveries", delivery_id) for delivery_id in ids
        }

    assert all(reply.accepted for reply in replies)
    for delivery_id in ids:
        expected = list(range(1, RESCHEDULES + 2))
        if delivery_id == ids[0]:
            expected.append(RESCHEDULES + 2)
        assert versions[delivery_id] == expected, delivery_id
    assert [reply.accepted for reply in race] == [True, False]
    assert race[1].error_code == "VERSION_CONFLICT"
    assert race[1].version == RESCHEDULES + 2
