"""The routing core of the router topology, with a fake decoder and in-memory rules."""

from __future__ import annotations

import json
from typing import Any

from keybus.routing import RuleSet, rules_from_data
from keybus.serde import WireFormatError
from keybus.streams import RULE_HEADER, RecordRouter

RULES = {
    "version": 1,
    "rules": [
        {
            "name": "unlocks",
            "source": "locks",
            "pattern": {"type": ["DoorUnlocked"], "detail": {"method": ["PIN"]}},
            "targets": ["audit", "alerts"],
        },
        {
            "name": "low-battery",
            "source": "locks",
            "pattern": {"detail": {"battery": [{"numeric": ["<", 10]}]}},
            "targets": ["alerts"],
            "input_transform": {
                "input_paths": {"lock": "$.detail.lock_id"},
                "input_template": '{"lock": <lock>}',
            },
        },
    ],
}


def _decode(value: bytes) -> Any:
    if not value.startswith(b"{"):
        raise WireFormatError("not framed", expected="magic byte 0", actual=repr(value[:1]))
    return json.loads(value)


def _router(catch_all: str | None = None) -> RecordRouter:
    ruleset: RuleSet = rules_from_data(RULES)
    return RecordRouter(
        lambda: ruleset,
        _decode,
        catch_all_topic=catch_all,
        group="router",
    )


def test_match_sends_unchanged_to_every_target() -> None:
    router = _router()
    value = b'{"method": "PIN", "lock_id": "L1", "battery": 50}'

    outcome = router.route("locks", b"L1", value, [("ce_type", b"DoorUnlocked")])

    assert outcome.matched_rules == ("unlocks",)
    assert [output.topic for output in outcome.outputs] == ["audit", "alerts"]
    assert all(output.value == value for output in outcome.outputs)
    assert all(output.key == b"L1" for output in outcome.outputs)
    assert outcome.outputs[0].headers == [("ce_type", b"DoorUnlocked"), (RULE_HEADER, b"unlocks")]


def test_transform_reshapes_value() -> None:
    router = _router()

    outcome = router.route("locks", b"L2", b'{"lock_id": "L2", "battery": 5}', [])

    assert outcome.matched_rules == ("low-battery",)
    assert json.loads(outcome.outputs[0].value or b"") == {"lock": "L2"}


def test_both_rules_match_gives_one_output_per_rule_target() -> None:
    router = _router()
    value = b'{"method": "PIN", "lock_id": "L3", "battery": 1}'

    outcome = router.route("locks", None, value, [("ce_type", b"DoorUnlocked")])

    assert outcome.matched_rules == ("unlocks", "low-battery")
    assert [(o.topic, dict(o.headers)[RULE_HEADER]) for o in outcome.outputs] == [
        ("audit", b"unlocks"),
        ("alerts", b"unlocks"),
        ("alerts", b"low-battery"),
    ]


def test_unmatched_is_counted_and_sent_to_catch_all() -> None:
    router = _router(catch_all="unmatched")

    outcome = router.route("locks", b"k", b'{"battery": 90}', [])

    assert [output.topic for output in outcome.outputs] == ["unmatched"]
    assert router.stats.unmatched == 1


def test_unmatched_without_catch_all_is_only_counted() -> None:
    router = _router()

    outcome = router.route("locks", b"k", b'{"battery": 90}', [])

    assert outcome.outputs == ()
    assert router.stats.unmatched == 1
    assert router.stats.records == 1


def test_rules_of_other_source_do_not_apply() -> None:
    router = _router()

    outcome = router.route("deliveries", b"k", b'{"battery": 1}', [])

    assert outcome.matched_rules == ()


def test_undecodable_goes_to_dead_letters_with_reason() -> None:
    router = _router()

    outcome = router.route(
        "locks",
        b"k",
        b"\x07garbage",
        [("ce_id", b"1")],
        partition=2,
        offset=41,
        timestamp_ms=1_700_000_000_000,
    )

    [output] = outcome.outputs
    headers = dict(output.headers)
    assert outcome.undecodable
    assert output.topic == "locks.router.dlq"
    assert output.value == b"\x07garbage"
    assert headers["ce_id"] == b"1"
    assert headers["keybus-error-type"].endswith(b".WireFormatError")
    assert b"not framed" in headers["keybus-error-message"]
    assert headers["keybus-dead-letter-reason"] == b"not-retryable"
    assert headers["keybus-original-topic"] == b"locks"
    assert headers["keybus-original-partition"] == b"2"
    assert headers["keybus-original-offset"] == b"41"
    assert headers["keybus-original-timestamp-ms"] == b"1700000000000"
    assert headers["keybus-consumer-group"] == b"router"
    assert headers["keybus-attempts"] == b"1"
    assert router.stats.undecodable == 1


def test_incoming_rule_header_is_replaced() -> None:
    router = _router()
    value = b'{"method": "PIN"}'

    outcome = router.route(
        "locks", None, value, [("ce_type", b"DoorUnlocked"), (RULE_HEADER, b"x")]
    )

    assert [v for k, v in outcome.outputs[0].headers if k == RULE_HEADER] == [b"unlocks"]
