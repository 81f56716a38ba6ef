"""keybus.kafka: log forwarding, broker errors and the broker check, with real sockets.

No test opens a broker. The producer test produces to a loopback port that no process
listens on, so librdkafka reports connection failures every few milliseconds. The broker
checks connect to real loopback sockets: a listening one, a closed port, and a port
whose full backlog makes connections time out. Only a failed DNS lookup is faked.
"""

from __future__ import annotations

import logging
import socket
import time
from collections.abc import Iterator

import pytest
from confluent_kafka import KafkaError, KafkaException

from keybus.errors import ConfigurationError
from keybus.kafka import (
    BrokerUnavailableError,
    LibrdkafkaLog,
    Producer,
    check_brokers,
    parse_bootstrap_servers,
    unreachable_error,
)
from keybus.testing import unresponsive_port

_FACILITY_ARGS = ("FAIL", "rdkafka#producer-1", "Connect to ipv4#127.0.0.1:1 failed")


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


def test_failures_of_down_broker_logged_once(caplog: pytest.LogCaptureFixture) -> None:
    producer = Producer({"bootstrap.servers": f"127.0.0.1:{_closed_port()}"})
    producer.produce("keybus.test.unreachable", b"value")

    with caplog.at_level(logging.DEBUG, logger="keybus.kafka"):
        producer.flush(2.0)
    failures = [r for r in caplog.records if "Connection refused" in r.getMessage()]
    loud = [r for r in failures if r.levelno >= logging.WARNING]

    assert len(failures) > 1
    assert len(loud) == 1
    assert loud[0].name == "keybus.kafka"


def test_repeat_logged_at_debug_within_interval(caplog: pytest.LogCaptureFixture) -> None:
    log = LibrdkafkaLog(logging.getLogger("keybus.kafka"), interval_s=3600.0)

    with caplog.at_level(logging.DEBUG, logger="keybus.kafka"):
        for _ in range(5):
            log.log(logging.ERROR, "%s [%s] %s", *_FACILITY_ARGS)

    assert [r.levelno for r in caplog.records] == [logging.ERROR] + [logging.DEBUG] * 4


def test_repeat_counted_after_interval(caplog: pytest.LogCaptureFixture) -> None:
    log = LibrdkafkaLog(logging.getLogger("keybus.kafka"), interval_s=0.0)
    log.log(logging.ERROR, "%s [%s] %s", *_FACILITY_ARGS)
    caplog.clear()

    with caplog.at_level(logging.DEBUG, logger="keybus.kafka"):
        log.log(logging.ERROR, "%s [%s] %s", *_FACILITY_ARGS)

    assert caplog.records[0].levelno == logging.ERROR


def test_repeat_count_in_message(caplog: pytest.LogCaptureFixture) -> None:
    log = LibrdkafkaLog(logging.getLogger("keybus.kafka"), interval_s=3600.0)
    for _ in range(3):
        log.log(logging.ERROR, "%s [%s] %s", *_FACILITY_ARGS)
    log.interval_s = 0.0
    caplog.clear()

    with caplog.at_level(logging.DEBUG, logger="keybus.kafka"):
        log.log(logging.ERROR, "%s [%s] %s", *_FACILITY_ARGS)

    assert "(and 2 more like it" in caplog.records[0].getMessage()


def test_other_facility_logged_at_its_level(caplog: pytest.LogCaptureFixture) -> None:
    log = LibrdkafkaLog(logging.getLogger("keybus.kafka"), interval_s=3600.0)
    log.log(logging.ERROR, "%s [%s] %s", *_FACILITY_ARGS)
    caplog.clear()

    with caplog.at_level(logging.DEBUG, logger="keybus.kafka"):
        log.log(logging.WARNING, "%s [%s] %s", "REQTMOUT", "rdkafka#producer-1", "timed out")

    assert caplog.records[0].levelno == logging.WARNING


def test_unreachable_error_names_servers_and_fixes() -> None:
    exc = KafkaException(KafkaError(KafkaError._TRANSPORT, "Failed to get metadata"))

    error = unreachable_error(exc, "127.0.0.1:29999")

    assert error is not None
    assert "Kafka is not reachable at 127.0.0.1:29999" in error.message
    assert "keybus dev up" in error.message
    assert "KEYBUS_BOOTSTRAP_SERVERS" in error.message


def test_other_kafka_errors_not_translated() -> None:
    exc = KafkaException(KafkaError(KafkaError.TOPIC_AUTHORIZATION_FAILED, "denied"))

    assert unreachable_error(exc, "127.0.0.1:29999") is None


@pytest.mark.parametrize(
    ("servers", "expected"),
    [
        ("127.0.0.1:9092", [("127.0.0.1", 9092)]),
        ("a:1, b:2,", [("a", 1), ("b", 2)]),
        ("PLAINTEXT://broker:29092", [("broker", 29092)]),
        ("[::1]:9093", [("::1", 9093)]),
        ("[::1]", [("::1", 9092)]),
        ("broker", [("broker", 9092)]),
    ],
)
def test_bootstrap_servers_parsed(servers: str, expected: list[tuple[str, int]]) -> None:
    assert parse_bootstrap_servers(servers) == expected


@pytest.mark.parametrize("servers", ["", " , ", "broker:0", "broker:x", ":9092", "b:70000"])
def test_invalid_bootstrap_servers_rejected(servers: str) -> None:
    with pytest.raises(ConfigurationError) as caught:
        parse_bootstrap_servers(servers)

    assert "127.0.0.1:9092" in caught.value.message


@pytest.fixture
def listening_port() -> Iterator[int]:
    """A port that accepts connections into its backlog but never responds, like a slow broker."""
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(8)
        port: int = server.getsockname()[1]
        yield port


def test_check_passes_listening_broker(listening_port: int) -> None:
    started = time.monotonic()

    check_brokers(f"127.0.0.1:{listening_port}", timeout_s=5.0)

    assert time.monotonic() - started < 1.0


def test_check_passes_when_one_server_listens(listening_port: int) -> None:
    check_brokers(f"127.0.0.1:{_closed_port()},127.0.0.1:{listening_port}", timeout_s=5.0)


def test_check_fails_at_once_on_refusal() -> None:
    port = _closed_port()
    started = time.monotonic()

    with pytest.raises(BrokerUnavailableError) as caught:
        check_brokers(f"127.0.0.1:{port}", timeout_s=5.0)

    assert time.monotonic() - started < 1.0
    assert caught.value.bootstrap_servers == f"127.0.0.1:{port}"
    assert f"Kafka is not reachable at 127.0.0.1:{port}" in caught.value.message
    assert f"127.0.0.1:{port} refused the connection" in caught.value.message
    assert "keybus dev up" in caught.value.message
    assert "--bootstrap-servers (-b) or KEYBUS_BOOTSTRAP_SERVERS" in caught.value.message
    assert caught.value.retryable


def test_check_times_out_on_silent_port() -> None:
    with unresponsive_port() as port:
        started = time.monotonic()
        with pytest.raises(BrokerUnavailableError) as caught:
            check_brokers(f"127.0.0.1:{port}", timeout_s=1.0)
        elapsed = time.monotonic() - started

    assert 1.0 <= elapsed < 2.0
    assert f"127.0.0.1:{port} did not accept a connection within 1 s" in caught.value.message


def test_check_names_every_failed_server() -> None:
    refused = _closed_port()
    with unresponsive_port() as silent:
        servers = f"127.0.0.1:{refused},127.0.0.1:{silent}"
        with pytest.raises(BrokerUnavailableError) as caught:
            check_brokers(servers, timeout_s=0.5)

    assert f"127.0.0.1:{refused} refused the connection" in caught.value.message
    assert f"127.0.0.1:{silent} did not accept a connection within 0.5 s" in caught.value.message


def test_check_names_unknown_host(monkeypatch: pytest.MonkeyPatch) -> None:
    def fail_lookup(address: tuple[str, int], timeout: float) -> socket.socket:
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    monkeypatch.setattr(socket, "create_connection", fail_lookup)

    with pytest.raises(BrokerUnavailableError) as caught:
        check_brokers("kafka.example:9092", timeout_s=1.0)

    assert "host kafka.example was not found (Name or service not known)" in caught.value.message


def test_check_names_given_setting() -> None:
    with pytest.raises(BrokerUnavailableError) as caught:
        check_brokers(f"127.0.0.1:{_closed_port()}", timeout_s=1.0, setting="--source-servers")

    assert "or set --source-servers to the address of a running one" in caught.value.message


def test_check_timeout_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KEYBUS_CONNECT_TIMEOUT_S", "0.5")

    with unresponsive_port() as port, pytest.raises(BrokerUnavailableError) as caught:
        check_brokers(f"127.0.0.1:{port}")

    assert "within 0.5 s" in caught.value.message


def test_invalid_timeout_names_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KEYBUS_CONNECT_TIMEOUT_S", "0")

    with pytest.raises(ConfigurationError) as caught:
        check_brokers(f"127.0.0.1:{_closed_port()}")

    assert "KEYBUS_CONNECT_TIMEOUT_S='0'" in caught.value.message


def test_check_tries_repeated_server_once() -> None:
    port = _closed_port()
    started = time.monotonic()

    with pytest.raises(BrokerUnavailableError) as caught:
        check_brokers(f"127.0.0.1:{port},127.0.0.1:{port}", timeout_s=5.0)

    assert time.monotonic() - started < 1.0
    assert caught.value.message.count("refused the connection") == 1
