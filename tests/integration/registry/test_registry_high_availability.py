"""Two registry instances on one cluster: failover after SIGKILL, and rebuild on restart.

Real: three `keybus registry serve` subprocesses sharing one schemas topic on the
session's Kafka; the primary is killed with SIGKILL, as a crash would.
"""

from __future__ import annotations

import json
import signal
import time
from collections.abc import Callable

import httpx
from confluent_kafka import Producer

from keybus.testing.backends import KafkaEndpoint
from keybus.testing.registry import RegistryFactory, RegistryProcess

FAILOVER_LIMIT_S = 15.0


def _schema(index: int) -> str:
    fields = [{"name": f"field_{index}", "type": "string"}]
    return json.dumps({"type": "record", "name": f"Event{index}", "fields": fields})


def _register(urls: list[str], subject: str, text: str) -> int | None:
    """Register through the first instance that responds 200, or return None."""
    for url in urls:
        try:
            response = httpx.post(
                f"{url}/subjects/{subject}/versions", json={"schema": text}, timeout=15.0
            )
        except httpx.HTTPError:
            continue
        if response.status_code == 200:
            return int(response.json()["id"])
    return None


class TestFailover:
    """The replica takes over within 15 s of a SIGKILL and never reissues an id."""

    def test_kill_primary_during_registrations(
        self, registry_factory: RegistryFactory, unique: Callable[[str], str]
    ) -> None:
        topic = unique("_schemas-ha")
        primary = registry_factory(schemas_topic=topic)
        replica = registry_factory(schemas_topic=topic, primary=False)
        registered: dict[int, int] = {}

        for index in range(10):
            registered[index] = self._must_register(
                [replica.url, primary.url], unique(f"before-{index}"), index
            )
        primary.kill()
        killed_at = time.monotonic()
        resumed_after_s = self._register_until_success(replica, unique("during"), 10, registered)
        for index in range(11, 20):
            registered[index] = self._must_register([replica.url], unique(f"after-{index}"), index)

        assert resumed_after_s < FAILOVER_LIMIT_S, f"resumed after {resumed_after_s:.1f} s"
        assert time.monotonic() - killed_at < 60
        assert len(set(registered.values())) == len(registered), registered
        assert httpx.get(f"{replica.url}/health").json()["is_primary"] is True
        self._assert_serves(replica, registered)

        restarted = registry_factory(schemas_topic=topic, primary=False)

        self._assert_serves(restarted, registered)
        late = _register([restarted.url], unique("late"), _schema(99))
        assert late is not None
        assert late not in registered.values()

    def _must_register(self, urls: list[str], subject: str, index: int) -> int:
        schema_id = _register(urls, subject, _schema(index))
        assert schema_id is not None, f"registration {index} failed on {urls}"
        return schema_id

    def _register_until_success(
        self, replica: RegistryProcess, subject: str, index: int, registered: dict[int, int]
    ) -> float:
        started = time.monotonic()
        while time.monotonic() - started < 2 * FAILOVER_LIMIT_S:
            schema_id = _register([replica.url], subject, _schema(index))
            if schema_id is not None:
                registered[index] = schema_id
                return time.monotonic() - started
            time.sleep(0.2)
        raise AssertionError(f"no registration succeeded within {2 * FAILOVER_LIMIT_S} s")

    def _assert_serves(self, registry: RegistryProcess, registered: dict[int, int]) -> None:
        for index, schema_id in registered.items():
            response = httpx.get(f"{registry.url}/schemas/ids/{schema_id}", timeout=10.0)
            assert response.status_code == 200, (registry.url, schema_id, response.text)
            assert f"Event{index}" in response.json()["schema"]


class TestReplicaForwarding:
    """A replica forwards writes to the primary and then reads its own write."""

    def test_replica_write_then_read(
        self, registry_factory: RegistryFactory, unique: Callable[[str], str]
    ) -> None:
        topic = unique("_schemas-fwd")
        primary = registry_factory(schemas_topic=topic)
        replica = registry_factory(schemas_topic=topic, primary=False)

        registered = httpx.post(
            f"{replica.url}/subjects/fwd-value/versions", json={"schema": _schema(1)}
        )
        config = httpx.put(f"{replica.url}/config/fwd-value", json={"compatibility": "NONE"})
        read_back = httpx.get(f"{replica.url}/subjects/fwd-value/versions/latest")
        slashed = httpx.post(
            f"{replica.url}/subjects/team%2Ffwd-value/versions", json={"schema": _schema(1)}
        )
        on_primary = httpx.get(f"{primary.url}/config/fwd-value")

        assert registered.status_code == 200, registered.text
        assert config.json() == {"compatibility": "NONE"}
        assert read_back.json()["id"] == registered.json()["id"]
        assert on_primary.json() == {"compatibilityLevel": "NONE"}
        assert slashed.json() == registered.json()
        assert "team/fwd-value" in httpx.get(f"{primary.url}/subjects").json()
        assert httpx.get(f"{replica.url}/health").json()["is_primary"] is False


class TestFencing:
    """A primary whose writer was fenced writes nothing more until it takes over again."""

    def test_fenced_primary_writes_nothing(
        self,
        registry_factory: RegistryFactory,
        kafka: KafkaEndpoint,
        unique: Callable[[str], str],
    ) -> None:
        topic = unique("_schemas-fenced")
        primary = registry_factory(schemas_topic=topic)
        first = _register([primary.url], unique("first"), _schema(1))
        fencer = Producer(
            {
                "bootstrap.servers": kafka.bootstrap_servers,
                "transactional.id": f"keybus-registry-{topic}",
            }
        )
        fencer.init_transactions(30)
        subject = unique("fenced")

        fenced = httpx.post(
            f"{primary.url}/subjects/{subject}/versions", json={"schema": _schema(2)}, timeout=30.0
        )
        missing = httpx.get(f"{primary.url}/subjects/{subject}/versions")
        primary.wait_ready(primary=True, timeout_s=30.0)
        retried = _register([primary.url], subject, _schema(2))

        assert fenced.status_code == 500, fenced.text
        assert fenced.json()["error_code"] == 50003
        assert "fenced" in fenced.json()["message"]
        assert missing.status_code == 404
        assert retried is not None
        assert retried != first

    def test_paused_primary_is_fenced(
        self, registry_factory: RegistryFactory, unique: Callable[[str], str]
    ) -> None:
        topic = unique("_schemas-fence")
        old = registry_factory(schemas_topic=topic)
        new = registry_factory(schemas_topic=topic, primary=False)
        first = _register([old.url], unique("first"), _schema(1))

        old.process.send_signal(signal.SIGSTOP)
        try:
            new.wait_ready(primary=True, timeout_s=FAILOVER_LIMIT_S)
            during = _register([new.url], unique("during"), _schema(2))
        finally:
            old.process.send_signal(signal.SIGCONT)
        resumed = httpx.post(
            f"{old.url}/subjects/{unique('resumed')}/versions",
            json={"schema": _schema(3)},
            timeout=30.0,
        )
        after = _register([old.url], unique("after"), _schema(4))

        ids = [first, during, after]
        if resumed.status_code == 200:
            ids.append(resumed.json()["id"])
        else:
            assert resumed.status_code == 500, resumed.text
            assert resumed.json()["error_code"] in (50003, 50004)
        assert None not in ids
        assert len(set(ids)) == len(ids), ids
        assert httpx.get(f"{old.url}/health").json()["is_primary"] is False
        assert httpx.get(f"{new.url}/health").json()["is_primary"] is True
