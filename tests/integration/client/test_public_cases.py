"""Public bug-report cases B04, B10, B12 and B13 through the SDK, Kafka and the keybus registry."""

from __future__ import annotations

import itertools
import json
import uuid
from pathlib import Path
from typing import Any

import pytest
from confluent_kafka import Consumer as KafkaConsumer

from keybus import Consumer, Producer
from keybus.client import ConsumedRecord
from keybus.registry import RegistryClient, RegistryError
from keybus.schemas.catalog import Catalog
from keybus.schemas.codegen import import_bindings
from keybus.serde import (
    AmbiguousUnionError,
    AvroDeserializer,
    AvroSerializer,
    InvalidSchemaError,
    topic_name_strategy,
)
from keybus.testing import KafkaEndpoint
from keybus.testing.plugin import TopicFactory

_PACKAGES = itertools.count()


def _field_record(name: str, field_type: Any, default: Any) -> dict[str, Any]:
    return {
        "type": "record",
        "name": name,
        "fields": [{"name": "v", "type": field_type, "default": default}],
    }


INVALID = {
    "A null default on string": _field_record("com.example.Code", "string", None),
    "B long default on string-first union": _field_record("Ref", ["string", "long"], 10),
    "C union-JSON default": _field_record("Tag", ["string", "null"], {"string": "x"}),
}
VALID = {
    "D long default on long-first union": _field_record("RefOk", ["long", "string"], 10),
    "D null default on null-first union": _field_record("TagOk", ["null", "string"], None),
    "D empty string default": _field_record("CodeOk", "string", ""),
}


@pytest.mark.parametrize("case", INVALID, ids=list(INVALID))
def test_b04_invalid_default_rejected_by_registry_and_sdk(
    case: str, registry: RegistryClient
) -> None:
    schema = json.dumps(INVALID[case])
    subject = f"b04-{uuid.uuid4().hex[:8]}-value"

    with pytest.raises(RegistryError) as rejected:
        registry.register(subject, schema)
    with pytest.raises(InvalidSchemaError) as refused:
        AvroSerializer(schema, registry, auto_register=True)

    assert rejected.value.http_status == 422
    assert rejected.value.error_code == 42201
    assert "invalid default" in str(refused.value)
    assert registry.get_versions(subject) == []


@pytest.mark.parametrize("case", VALID, ids=list(VALID))
def test_b04_valid_defaults_accepted(case: str, registry: RegistryClient) -> None:
    schema = json.dumps(VALID[case])
    subject = f"b04-{uuid.uuid4().hex[:8]}-value"

    schema_id = registry.register(subject, schema)
    serializer = AvroSerializer(schema, registry, subject_strategy=topic_name_strategy)

    assert serializer.schema_id(subject.removesuffix("-value")) == schema_id


def _route_all(
    kafka: KafkaEndpoint, registry_url: str, topic: str, count: int
) -> list[ConsumedRecord]:
    routed: list[ConsumedRecord] = []
    with Consumer(
        kafka.bootstrap_servers,
        f"g-{uuid.uuid4().hex[:6]}",
        registry_url,
        topics=[topic],
        unknown_events=routed.append,
    ) as consumer:
        consumer.run(max_events=count, idle_timeout_s=20, handle_signals=False)
    return routed


PAIR = {
    "type": "record",
    "name": "Pair",
    "namespace": "com.example",
    "fields": [
        {"name": "first", "type": {"type": "record", "name": "Part", "fields": []}},
        {"name": "second", "type": "Part"},
    ],
}


@pytest.mark.parametrize(
    "schema", [["null", PAIR], PAIR], ids=["top-level union", "top-level record"]
)
def test_b10_named_type_reused_round_trips(
    schema: Any,
    kafka: KafkaEndpoint,
    topic: TopicFactory,
    schema_registry: str,
    registry: RegistryClient,
) -> None:
    name = topic()
    value = {"first": {}, "second": {}}
    subject = f"{name}-value" if isinstance(schema, list) else f"{name}-com.example.Pair"
    registry.set_compatibility("NONE", subject)

    with Producer(kafka.bootstrap_servers, schema_registry, auto_register=True) as producer:
        producer.publish_dict(value, schema=schema, topic=name, key="k", event_id="e-1")
    [record] = _route_all(kafka, schema_registry, name, 1)

    assert record.event == value
    assert registry.get_versions(subject) == [1]


@pytest.mark.parametrize("namespace", ["", None], ids=["empty namespace", "null namespace"])
def test_b12_null_namespace_record_round_trips(
    namespace: str | None,
    kafka: KafkaEndpoint,
    topic: TopicFactory,
    schema_registry: str,
    registry: RegistryClient,
) -> None:
    name = topic()
    schema = {
        "type": "record",
        "name": "Envelope",
        "namespace": "com.example",
        "fields": [
            {
                "name": "a",
                "type": {
                    "type": "record",
                    "name": "Row",
                    "namespace": namespace,
                    "fields": [{"name": "text", "type": "string"}],
                },
            },
            {"name": "b", "type": "Row"},
        ],
    }
    value = {"a": {"text": "x"}, "b": {"text": "y"}}

    with Producer(kafka.bootstrap_servers, schema_registry, auto_register=True) as producer:
        producer.publish_dict(value, schema=schema, topic=name, key="k", event_id="e-1")
    [record] = _route_all(kafka, schema_registry, name, 1)
    stored = registry.get_schema(record.schema_id)  # type: ignore[arg-type]

    assert record.event == value
    assert record.event_type == "com.example.Envelope"
    assert "com.example.Row" not in stored


ENVELOPE = [
    {"name": "event_id", "type": {"type": "string", "logicalType": "uuid"}},
    {"name": "occurred_at", "type": {"type": "long", "logicalType": "timestamp-millis"}},
    {"name": "holder_id", "type": "string"},
]


def _holder_bindings(tmp_path: Path, name: str, branches: list[dict[str, Any]]) -> Any:
    folder = tmp_path / "avro"
    folder.mkdir()
    schema = {
        "type": "record",
        "name": name,
        "namespace": "com.example.cases",
        "keybus.topic": "holders",
        "keybus.aggregate_id": "holder_id",
        "fields": [*ENVELOPE, {"name": "item", "type": branches}],
    }
    (folder / f"com.example.cases.{name}.avsc").write_text(json.dumps(schema))
    package = f"b13_{next(_PACKAGES)}_{uuid.uuid4().hex[:6]}"
    import_bindings(Catalog.load(folder), package, tmp_path / "out")
    return __import__(f"{package}.com.example.cases", fromlist=["*"])


def _record(name: str, fields: list[dict[str, Any]]) -> dict[str, Any]:
    return {"type": "record", "name": name, "fields": fields}


SMALL = _record("Small", [{"name": "x", "type": "int"}, {"name": "y", "type": "int"}])
LARGE = _record(
    "Large",
    [
        {"name": "x", "type": "int"},
        {"name": "y", "type": "int"},
        {"name": "z", "type": ["null", "int"], "default": None},
    ],
)


def _raw_values(kafka: KafkaEndpoint, topic: str, count: int) -> list[bytes]:
    consumer = KafkaConsumer(
        {
            "bootstrap.servers": kafka.bootstrap_servers,
            "group.id": uuid.uuid4().hex,
            "auto.offset.reset": "earliest",
        }
    )
    consumer.subscribe([topic])
    values: list[bytes] = []
    for _ in range(120):
        message = consumer.poll(0.5)
        if message is not None and message.error() is None:
            values.append(message.value())
        if len(values) == count:
            break
    consumer.close()
    return values


class TestB13SimilarRecordUnion:
    """Branches are chosen by model type or exact field set, never by the first that fits."""

    def test_large_model_keeps_z(
        self,
        tmp_path: Path,
        kafka: KafkaEndpoint,
        topic: TopicFactory,
        schema_registry: str,
        collect: Any,
    ) -> None:
        name = topic()
        cases = _holder_bindings(tmp_path, "Holder", [SMALL, LARGE])
        event = cases.Holder(holder_id="h", item=cases.Large(x=3, y=4, z=5))

        with Producer(kafka.bootstrap_servers, schema_registry, auto_register=True) as producer:
            producer.publish(event, topic=name)
        [received] = collect(kafka.bootstrap_servers, schema_registry, name, [cases.Holder], 1)
        [value] = _raw_values(kafka, name, 1)

        assert isinstance(received.item, cases.Large)
        assert received.item.z == 5
        written = AvroDeserializer(RegistryClient(schema_registry)).decode(value).value
        assert written["item"] == ("com.example.cases.Large", {"x": 3, "y": 4, "z": 5})

    def test_plain_dict_written_as_large(
        self, kafka: KafkaEndpoint, topic: TopicFactory, schema_registry: str
    ) -> None:
        name = topic()
        schema = _record("Holder", [{"name": "item", "type": [SMALL, LARGE]}])

        with Producer(kafka.bootstrap_servers, schema_registry, auto_register=True) as producer:
            producer.publish_dict(
                {"item": {"x": 3, "y": 4, "z": 5}}, schema=schema, topic=name, key="k", event_id="e"
            )
        [record] = _route_all(kafka, schema_registry, name, 1)

        assert record.event == {"item": ("Large", {"x": 3, "y": 4, "z": 5})}

    def test_plain_dict_fitting_two_branches_rejected(
        self, kafka: KafkaEndpoint, topic: TopicFactory, schema_registry: str
    ) -> None:
        name = topic()
        schema = _record(
            "Choice",
            [
                {
                    "name": "item",
                    "type": [
                        _record("A", [{"name": "n", "type": "int"}]),
                        _record("B", [{"name": "n", "type": "int"}]),
                    ],
                }
            ],
        )
        producer = Producer(kafka.bootstrap_servers, schema_registry, auto_register=True)

        with producer, pytest.raises(AmbiguousUnionError) as caught:
            producer.publish_dict(
                {"item": {"n": 42}}, schema=schema, topic=name, key="k", event_id="e"
            )

        assert "['A', 'B']" in str(caught.value)

    def test_consumed_branch_re_encodes_byte_identical(
        self,
        tmp_path: Path,
        kafka: KafkaEndpoint,
        topic: TopicFactory,
        schema_registry: str,
        collect: Any,
    ) -> None:
        name = topic()
        branches = [
            _record("A", [{"name": "n", "type": "int"}]),
            _record("B", [{"name": "n", "type": "int"}]),
        ]
        cases = _holder_bindings(tmp_path, "Choice", branches)
        sent = cases.Choice(holder_id="h", item=cases.B(n=42))

        with Producer(kafka.bootstrap_servers, schema_registry, auto_register=True) as producer:
            producer.publish(sent, topic=name)
            [consumed] = collect(kafka.bootstrap_servers, schema_registry, name, [cases.Choice], 1)
            producer.publish(consumed, topic=name)
        first, second = _raw_values(kafka, name, 2)

        assert type(consumed.item) is cases.B
        assert second == first
