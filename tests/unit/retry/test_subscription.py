"""Subscriptions from YAML and Python: validation, pattern filter and topic specs; no broker."""

from __future__ import annotations

from pathlib import Path

import pytest

from keybus.retry import InboundRecord, RetryConfigError, RetryPolicy
from keybus.retry.subscription import Subscription, load_subscriptions, subscription_topic_specs

YAML = """
subscriptions:
  - group: billing
    topic: orders
    pattern: {type: [com.example.orders.OrderPlaced]}
    handler: json:loads
    retry: {tiers: [5s, 30s, 5m], max_attempts: 10, max_event_age: 6h}
"""


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "subscriptions.yaml"
    path.write_text(text)
    return path


def _record(event_type: str, event: object = None) -> InboundRecord:
    return InboundRecord(
        "orders", 0, 1, b"o-1", b"{}", (("ce_type", event_type.encode()),), 1, event
    )


def test_load_five_line_subscription(tmp_path: Path) -> None:
    [subscription] = load_subscriptions(_write(tmp_path, YAML))

    assert subscription.group == "billing"
    assert subscription.retry.tiers_s == (5.0, 30.0, 300.0)
    assert subscription.retry.max_attempts == 10
    assert subscription.retry.max_event_age_s == 6 * 3600
    assert subscription.resolve_handler("127.0.0.1:1") is __import__("json").loads


def test_pattern_filters_on_envelope_and_detail() -> None:
    subscription = Subscription(
        group="billing",
        topic="orders",
        pattern={
            "type": ["com.example.orders.OrderPlaced"],
            "detail": {"total": [{"numeric": [">", 100]}]},
        },
        handler=lambda record: None,
    )
    wanted = subscription.record_filter()

    assert wanted is not None
    assert wanted(_record("com.example.orders.OrderPlaced", {"total": 250}))
    assert not wanted(_record("com.example.orders.OrderPlaced", {"total": 50}))
    assert not wanted(_record("com.example.orders.OrderCancelled", {"total": 250}))


def test_handler_and_target_are_exclusive() -> None:
    with pytest.raises(ValueError, match="needs exactly one of 'handler'"):
        Subscription(group="g", topic="orders", handler="a:b", target="other")


def test_group_unfit_for_topic_names_is_rejected() -> None:
    with pytest.raises(ValueError, match=r"group 'billing/v2'.*only letters, digits"):
        Subscription(group="billing/v2", topic="orders", target="t")


def test_invalid_pattern_is_rejected() -> None:
    with pytest.raises(ValueError, match=r"pattern\n.*wrap the value in \[ \]"):
        Subscription(group="g", topic="orders", pattern={"type": "not-a-list"}, target="t")


def test_yaml_errors_name_file_and_field(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        "subscriptions:\n  - group: g\n    topic: orders\n    target: t\n"
        "    retry: {tiers: [30s, 5s]}\n",
    )

    with pytest.raises(
        RetryConfigError, match=r"subscriptions\.yaml, item 0: retry: .*strictly increasing"
    ):
        load_subscriptions(path)


def test_missing_list_is_explained(tmp_path: Path) -> None:
    with pytest.raises(RetryConfigError, match="needs a top-level 'subscriptions:' list"):
        load_subscriptions(_write(tmp_path, "topics: []\n"))


def test_unimportable_handler_is_explained() -> None:
    subscription = Subscription(group="g", topic="orders", handler="billing.nowhere:charge")

    with pytest.raises(RetryConfigError, match=r"'billing\.nowhere:charge' cannot be imported"):
        subscription.resolve_handler("127.0.0.1:1")


def test_topic_specs_cover_tiers_dead_letters_and_ledger() -> None:
    subscription = Subscription(
        group="billing", topic="orders", target="archive", retry=RetryPolicy()
    )

    specs = subscription.topic_specs(partitions=6)

    assert [spec.name for spec in specs] == [
        "orders.billing.retry.5s",
        "orders.billing.retry.30s",
        "orders.billing.retry.5m",
        "orders.billing.dlq",
        "orders.billing.dlq.replayed",
    ]
    assert [spec.partitions for spec in specs] == [6, 6, 6, 6, 1]
    assert specs[-1].config == {"cleanup.policy": "compact"}
    assert specs[3].config["retention.ms"] == str(28 * 24 * 3600 * 1000)


def test_specs_take_source_partitions_and_reject_conflicts() -> None:
    first = Subscription(group="billing", topic="orders", target="a")
    same = Subscription(group="billing", topic="orders", target="b")
    other = Subscription(
        group="billing", topic="orders", target="c", retry=RetryPolicy(tiers_s=(1,))
    )

    specs = subscription_topic_specs([first, same], {"orders": 12})

    assert len(specs) == 5
    assert {spec.partitions for spec in specs if spec.name.endswith(("s", "m", "dlq"))} == {12}
    with pytest.raises(RetryConfigError, match="needed by two subscriptions with different"):
        subscription_topic_specs(
            [first, Subscription(group="billing", topic="orders", target="c", partitions=3)], {}
        )
    assert len(subscription_topic_specs([first, other], {})) == 6
