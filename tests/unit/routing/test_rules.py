"""Rules files: loading, validation errors and routing; files in tmp_path, nothing faked."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from keybus.routing import RuleSet, RulesFileError, load_rules, routing_document, rules_from_data

REPO = Path(__file__).resolve().parents[3]


def _rule(name: str = "door-alerts", **overrides: Any) -> dict[str, Any]:
    rule: dict[str, Any] = {
        "name": name,
        "source": "lock-devices",
        "pattern": {"type": ["com.example.access.DoorUnlocked"]},
        "targets": ["audit.access"],
    }
    rule.update(overrides)
    return rule


def _write(tmp_path: Path, rules: list[dict[str, Any]]) -> Path:
    path = tmp_path / "rules.yaml"
    path.write_text(yaml.safe_dump({"version": 1, "rules": rules}))
    return path


def _error(tmp_path: Path, rules: list[dict[str, Any]]) -> RulesFileError:
    path = _write(tmp_path, rules)
    with pytest.raises(RulesFileError) as caught:
        load_rules(path)
    return caught.value


def test_example_rules_file_routes_domain_events() -> None:
    ruleset = load_rules(REPO / "deploy" / "rules.yaml")
    unlocked = routing_document(
        {"lock_id": "lock-eu-7", "courier_id": "c-9", "method": "PIN", "occurred_at": 1},
        topic="lock-devices",
        headers={"ce_type": b"com.example.access.DoorUnlocked"},
    )
    jammed = routing_document(
        {"lock_id": "lock-eu-7", "status": "JAMMED", "battery_percent": 80},
        topic="lock-devices",
        headers={"ce_type": b"com.example.access.DeviceStatusChanged"},
    )

    unlocked_rules = [rule.name for rule in ruleset.match(unlocked, topic="lock-devices")]
    jammed_rules = ruleset.match(jammed, topic="lock-devices")

    assert unlocked_rules == ["unlocks-to-audit", "courier-unlocks-to-recipient"]
    assert [rule.name for rule in jammed_rules] == ["lock-health-alerts"]
    assert jammed_rules[0].transform(jammed) == {
        "lock_id": "lock-eu-7",
        "status": "JAMMED",
        "battery_percent": 80,
    }
    assert ruleset.match(unlocked, topic="deliveries") == []


def test_match_filters_by_source_topic() -> None:
    ruleset = rules_from_data({"rules": [_rule("a"), _rule("b", source="deliveries"), _rule("c")]})
    event = {"type": "com.example.access.DoorUnlocked"}

    assert [r.name for r in ruleset.match(event)] == ["a", "b", "c"]
    assert [r.name for r in ruleset.match(event, topic="lock-devices")] == ["a", "c"]
    assert ruleset.match(event, topic="unknown") == []
    assert ruleset.sources == {"lock-devices", "deliveries"}


def test_rule_without_transform_returns_event_unchanged() -> None:
    ruleset = rules_from_data({"rules": [_rule()]})
    rule = ruleset.rules[0]
    event = {"type": "x"}

    assert rule.has_transform is False
    assert rule.transform(event) is event


def test_invalid_pattern_names_file_rule_and_path(tmp_path: Path) -> None:
    bad = _rule("low-battery", pattern={"detail": {"battery": [{"numeric": [">", "10"]}]}})

    error = _error(tmp_path, [_rule(), bad])

    assert error.file == str(tmp_path / "rules.yaml")
    assert error.rule == "low-battery"
    assert error.path == "rules[1].pattern.detail.battery[0].numeric[0]"
    assert "must be a number" in str(error)
    assert str(tmp_path / "rules.yaml") in str(error)


def test_unknown_operator_names_the_operator(tmp_path: Path) -> None:
    bad = _rule(pattern={"detail": {"status": [{"starts-with": "LOW"}]}})

    error = _error(tmp_path, [bad])

    assert error.path == "rules[0].pattern.detail.status[0]"
    assert "unknown operator 'starts-with'" in error.reason


def test_missing_targets_rejected(tmp_path: Path) -> None:
    rule = _rule()
    del rule["targets"]

    error = _error(tmp_path, [rule])

    assert error.rule == "door-alerts"
    assert error.path == "rules[0].targets"
    assert "Field required" in error.reason


def test_empty_targets_rejected(tmp_path: Path) -> None:
    error = _error(tmp_path, [_rule(targets=[])])

    assert error.path == "rules[0].targets"
    assert "at least 1 item" in error.reason


def test_bad_target_topic_rejected(tmp_path: Path) -> None:
    error = _error(tmp_path, [_rule(targets=["ok", "not a topic!"])])

    assert error.path == "rules[0].targets[1]"
    assert "should match pattern" in error.reason


def test_unknown_rule_key_rejected(tmp_path: Path) -> None:
    error = _error(tmp_path, [_rule(target=["x"])])

    assert error.path == "rules[0].target"
    assert "Extra inputs are not permitted" in error.reason


def test_duplicate_rule_names_rejected(tmp_path: Path) -> None:
    error = _error(tmp_path, [_rule("same"), _rule("other"), _rule("same")])

    assert error.path == "rules[2].name"
    assert "already used by rules[0]" in error.reason


def test_bad_transform_names_rule(tmp_path: Path) -> None:
    transform = {"input_paths": {"lock": "detail.lock_id"}, "input_template": "<lock>"}

    error = _error(tmp_path, [_rule("notify", input_transform=transform)])

    assert error.rule == "notify"
    assert error.path == "rules[0].input_transform"
    assert "must start with '$'" in error.reason


def test_not_yaml_rejected(tmp_path: Path) -> None:
    path = tmp_path / "rules.yaml"
    path.write_text("rules: [unclosed\n")

    with pytest.raises(RulesFileError) as caught:
        load_rules(path)

    assert "not valid YAML" in str(caught.value)
    assert str(path) in str(caught.value)


def test_missing_file_rejected(tmp_path: Path) -> None:
    with pytest.raises(RulesFileError) as caught:
        load_rules(tmp_path / "absent.yaml")

    assert "the file does not exist" in str(caught.value)


def test_from_file_equals_load_rules(tmp_path: Path) -> None:
    path = _write(tmp_path, [_rule()])

    ruleset = RuleSet.from_file(path)

    assert [rule.name for rule in ruleset] == ["door-alerts"]
    assert ruleset.origin == str(path)


def test_empty_file_rejected(tmp_path: Path) -> None:
    path = tmp_path / "rules.yaml"
    path.write_text("")

    with pytest.raises(RulesFileError) as caught:
        load_rules(path)

    assert "top level must be a mapping with a 'rules' list, not NoneType" in str(caught.value)


def _chain(*rules: tuple[str, str, list[str]]) -> dict[str, Any]:
    return {
        "version": 1,
        "rules": [
            {"name": name, "source": source, "pattern": {"type": ["x"]}, "targets": targets}
            for name, source, targets in rules
        ],
    }


@pytest.mark.parametrize(
    ("rules", "named", "steps"),
    [
        ([("echo", "a", ["a"])], "echo", "'echo' (a -> a)"),
        (
            [("ab", "a", ["b"]), ("bc", "b", ["c"]), ("ca", "c", ["a"])],
            "ab",
            "'ab' (a -> b), 'bc' (b -> c), 'ca' (c -> a)",
        ),
        (
            [("in", "a", ["b"]), ("bc", "b", ["c"]), ("cb", "c", ["x", "b"])],
            "bc",
            "'bc' (b -> c), 'cb' (c -> b)",
        ),
    ],
)
def test_rule_loops_rejected(
    rules: list[tuple[str, str, list[str]]], named: str, steps: str
) -> None:
    with pytest.raises(RulesFileError) as caught:
        rules_from_data(_chain(*rules))

    assert caught.value.rule == named
    assert steps in caught.value.reason
    assert "loop" in caught.value.reason


def test_rule_chains_without_loop_accepted() -> None:
    ruleset = rules_from_data(
        _chain(("ab", "a", ["b", "d"]), ("bd", "b", ["d"]), ("dx", "d", ["x"]), ("ad", "a", ["d"]))
    )

    assert len(ruleset) == 4
