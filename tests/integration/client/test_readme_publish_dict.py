"""The README's publish_dict example, run as written against the session's Kafka and registry.

Real Kafka and the keybus registry. Only the addresses and the topic are replaced, and
the schema is registered first, as `keybus schemas register` does for lock-devices.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from keybus.registry import RegistryClient
from keybus.schemas import Catalog
from keybus.testing import KafkaEndpoint
from keybus.testing.plugin import TopicFactory
from keybus.types import Subject

ROOT = Path(__file__).parents[3]


def _readme_example() -> str:
    blocks = re.findall(r"```python\n(.*?)```", (ROOT / "README.md").read_text(), re.DOTALL)
    return next(block for block in blocks if "publish_dict(" in block)


def test_readme_publish_dict_example_runs(
    kafka: KafkaEndpoint, topic: TopicFactory, schema_registry: str, registry: RegistryClient
) -> None:
    name = topic()
    schema = Catalog.load(ROOT / "avro").event("com.example.access.DoorUnlocked").schema
    registry.register(Subject(f"{name}-com.example.access.DoorUnlocked"), json.dumps(schema))
    code = (
        _readme_example()
        .replace('"127.0.0.1:9092"', repr(kafka.bootstrap_servers))
        .replace('"http://127.0.0.1:8081"', repr(schema_registry))
        .replace('"lock-devices"', repr(name))
        .replace("Catalog.load()", f"Catalog.load({str(ROOT / 'avro')!r})")
    )
    namespace: dict[str, object] = {}

    exec(compile(code, "README.md", "exec"), namespace)

    result = namespace["result"]
    assert getattr(result, "topic", None) == name
    assert getattr(result, "offset", -1) >= 0
