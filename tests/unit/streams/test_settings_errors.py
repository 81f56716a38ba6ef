"""Invalid topology settings name their environment variables; no Faust app is built."""

from __future__ import annotations

import pytest

from keybus.errors import ConfigurationError
from keybus.sourcing import SourcingSettings
from keybus.streams import StreamSettings


def test_invalid_value_names_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KEYBUS_PROCESSING_GUARANTEE", "twice")

    with pytest.raises(ConfigurationError) as raised:
        StreamSettings()

    assert "KEYBUS_PROCESSING_GUARANTEE='twice'" in raised.value.message
    assert "'at_least_once' or 'exactly_once'" in raised.value.message


def test_every_invalid_variable_named(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KEYBUS_BATCH_SIZE", "0")
    monkeypatch.setenv("KEYBUS_RELOAD_INTERVAL_S", "soon")

    with pytest.raises(ConfigurationError) as raised:
        SourcingSettings()

    assert "KEYBUS_BATCH_SIZE='0'" in raised.value.message
    assert "KEYBUS_RELOAD_INTERVAL_S='soon'" in raised.value.message
