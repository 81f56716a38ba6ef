"""Which processing guarantees a Faust app built by keybus accepts."""

from __future__ import annotations

from pathlib import Path

import pytest

from keybus.errors import ConfigurationError
from keybus.streams import StreamSettings, make_app


def _settings(tmp_path: Path, guarantee: str) -> StreamSettings:
    return StreamSettings(
        bootstrap_servers="127.0.0.1:9", processing_guarantee=guarantee, data_dir=tmp_path
    )


def test_exactly_once_rejected_without_own_transactions(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError) as caught:
        make_app("enricher-test", _settings(tmp_path, "exactly_once"))

    assert "'enricher-test'" in str(caught.value)
    assert "at_least_once" in str(caught.value)


def test_exactly_once_allowed_with_own_transactions(tmp_path: Path) -> None:
    app = make_app(
        "router-test", _settings(tmp_path, "exactly_once"), processing_guarantee="at_least_once"
    )

    assert app.conf.processing_guarantee.value == "at_least_once"


def test_at_least_once_builds_app(tmp_path: Path) -> None:
    app = make_app("plain-test", _settings(tmp_path, "at_least_once"))

    assert app.conf.processing_guarantee.value == "at_least_once"
    assert app.conf.broker_commit_every == 1000
