"""Rule reloading: real files in tmp_path, a real background thread; nothing faked."""

from __future__ import annotations

import logging
import os
import time
from pathlib import Path

import pytest
import yaml

from keybus.routing import RuleSet, RuleSetWatcher, RulesFileError


def _write(path: Path, *type_names: str) -> None:
    rules = [
        {"name": f"rule-{i}", "source": "lock-devices", "pattern": {"type": [t]}, "targets": ["x"]}
        for i, t in enumerate(type_names)
    ]
    path.write_text(yaml.safe_dump({"rules": rules}))
    # Give every write a new mtime even on file systems with coarse timestamps.
    stamp = time.time_ns() + len(type_names)
    os.utime(path, ns=(stamp, stamp))


def test_check_swaps_rules_after_change(tmp_path: Path) -> None:
    path = tmp_path / "rules.yaml"
    _write(path, "A")
    reloaded: list[RuleSet] = []
    watcher = RuleSetWatcher(path, on_reload=reloaded.append)

    unchanged = watcher.check()
    _write(path, "A", "B")
    changed = watcher.check()

    assert unchanged is False
    assert changed is True
    assert [rule.name for rule in watcher.ruleset.match({"type": "B"})] == ["rule-1"]
    assert reloaded == [watcher.ruleset]


def test_bad_file_keeps_old_rules_and_logs_error(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "rules.yaml"
    _write(path, "A")
    watcher = RuleSetWatcher(path)
    before = watcher.ruleset
    path.write_text("rules:\n  - name: broken\n    source: lock-devices\n    pattern: {type: x}\n")

    with caplog.at_level(logging.ERROR, logger="keybus.routing.watcher"):
        swapped = watcher.check()

    assert swapped is False
    assert watcher.ruleset is before
    assert len(caplog.records) == 1
    assert "rules file rejected, keeping 1 rules" in caplog.records[0].getMessage()
    assert "rule 'broken'" in caplog.records[0].getMessage()


def test_bad_file_logged_once_until_next_change(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "rules.yaml"
    _write(path, "A")
    watcher = RuleSetWatcher(path)
    path.write_text("not: [valid")

    with caplog.at_level(logging.ERROR, logger="keybus.routing.watcher"):
        watcher.check()
        watcher.check()

    assert len(caplog.records) == 1


def test_background_thread_picks_up_change(tmp_path: Path) -> None:
    path = tmp_path / "rules.yaml"
    _write(path, "A")
    watcher = RuleSetWatcher(path, poll_interval_s=0.05)
    watcher.start()
    try:
        _write(path, "B")
        deadline = time.monotonic() + 5
        while not watcher.ruleset.match({"type": "B"}) and time.monotonic() < deadline:
            time.sleep(0.02)
    finally:
        watcher.stop()

    assert [rule.name for rule in watcher.ruleset.match({"type": "B"})] == ["rule-0"]


def test_invalid_file_at_start_raises(tmp_path: Path) -> None:
    path = tmp_path / "rules.yaml"
    path.write_text("rules: 5\n")

    with pytest.raises(RulesFileError) as caught:
        RuleSetWatcher(path)

    assert caught.value.path == "rules"


def test_missing_file_names_file_and_variable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)

    with pytest.raises(RulesFileError) as raised:
        RuleSetWatcher("deploy/rules.yaml")

    assert "deploy/rules.yaml" in raised.value.message
    assert str(tmp_path) in raised.value.message
    assert "KEYBUS_RULES_FILE" in raised.value.message
