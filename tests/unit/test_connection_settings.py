"""Default Kafka and registry addresses of commands and processors; environment only."""

from __future__ import annotations

import pytest

from keybus.registry.server import RegistrySettings
from keybus.settings import ConnectionSettings
from keybus.sourcing.settings import SourcingSettings
from keybus.streams.settings import StreamSettings


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in (
        "KEYBUS_BOOTSTRAP_SERVERS",
        "KEYBUS_REGISTRY_URL",
        "KEYBUS_EAST_KAFKA_PORT",
        "KEYBUS_EAST_REGISTRY_PORT",
        "KEYBUS_REGISTRY_PORT",
        "KEYBUS_REGISTRY_BOOTSTRAP_SERVERS",
        "KEYBUS_CONNECT_TIMEOUT_S",
    ):
        monkeypatch.delenv(name, raising=False)


def test_defaults_are_east_ports() -> None:
    settings = ConnectionSettings()

    assert settings.bootstrap_servers == "127.0.0.1:9092"
    assert settings.registry_url == "http://127.0.0.1:8081"


def test_connect_timeout_defaults_to_5_s() -> None:
    assert ConnectionSettings().connect_timeout_s == 5.0


@pytest.mark.parametrize("model", [ConnectionSettings, StreamSettings, SourcingSettings])
def test_defaults_follow_east_port_settings(
    monkeypatch: pytest.MonkeyPatch, model: type[ConnectionSettings]
) -> None:
    monkeypatch.setenv("KEYBUS_EAST_KAFKA_PORT", "29092")
    monkeypatch.setenv("KEYBUS_EAST_REGISTRY_PORT", "28081")

    settings = model()

    assert settings.bootstrap_servers == "127.0.0.1:29092"
    assert settings.registry_url == "http://127.0.0.1:28081"


def test_explicit_addresses_win(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KEYBUS_EAST_KAFKA_PORT", "29092")
    monkeypatch.setenv("KEYBUS_BOOTSTRAP_SERVERS", "kafka-1:9092,kafka-2:9092")
    monkeypatch.setenv("KEYBUS_REGISTRY_URL", "http://registry:8081")

    settings = StreamSettings()

    assert settings.bootstrap_servers == "kafka-1:9092,kafka-2:9092"
    assert settings.registry_url == "http://registry:8081"


def test_registry_service_follows_east_ports(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KEYBUS_EAST_KAFKA_PORT", "29092")
    monkeypatch.setenv("KEYBUS_EAST_REGISTRY_PORT", "28081")

    settings = RegistrySettings()

    assert settings.bootstrap_servers == "127.0.0.1:29092"
    assert settings.port == 28081
