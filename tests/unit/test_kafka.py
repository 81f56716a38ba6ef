"""keybus.kafka: log forwarding and broker errors, with a real producer and fakes.

The producer test opens no broker. It produces to a loopback port that no process
listens on, so librdkafka reports connection failures every few milliseconds.
"""

from __future__ import annotations

import logging
import socket

import pytest
from confluent_kafka import KafkaError, KafkaException

from keybus.kafka import LibrdkafkaLog, Producer, unreachable_error

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
