"""Matcher alone: 100 rules over the lock-delivery domain, compiled keybus versus the baseline."""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from typing import Any

from naive import naive_matches

from keybus.routing import CompiledPatterns, Rule, RuleSet, rules_from_data

__all__ = ["build_events", "build_rules", "measure_matcher"]

RULES = 100
_TYPES = [
    "com.example.access.DoorUnlocked",
    "com.example.access.DoorLocked",
    "com.example.access.DeviceStatusChanged",
    "com.example.access.AccessGranted",
    "com.example.access.AccessRevoked",
    "com.example.delivery.DeliveryScheduled",
    "com.example.delivery.DeliveryCompleted",
    "com.example.delivery.DeliveryCancelled",
]
_STATUSES = ["ONLINE", "OFFLINE", "LOW_BATTERY", "JAMMED", "TAMPERED", "UNKNOWN"]
_METHODS = ["PIN", "BLUETOOTH", "REMOTE", "KEY"]


def _detail_condition(rng: random.Random) -> dict[str, Any]:
    return rng.choice(
        [
            {"method": rng.sample(_METHODS, 2)},
            {"status": [{"anything-but": rng.sample(_STATUSES, 2)}]},
            {
                "battery_percent": [
                    {"numeric": [">=", rng.randint(0, 50), "<", rng.randint(60, 100)]}
                ]
            },
            {"lock_id": [{"prefix": f"lock-{rng.choice(['eu', 'us', 'ap'])}-"}]},
            {"site": [{"wildcard": f"site-{rng.randint(1, 9)}*"}]},
            {"source_ip": [{"cidr": f"10.{rng.randint(0, 3)}.0.0/16"}]},
            {"courier_id": [{"exists": rng.random() < 0.5}]},
            {"tags": [rng.choice(["fragile", "express", "cold"])]},
            {"country": [{"equals-ignore-case": rng.choice(["de", "fr", "us"])}]},
        ]
    )


def build_rules(count: int = RULES, *, seed: int = 1) -> RuleSet:
    """Build a rule set: most rules select an event type, some test only content."""
    rng = random.Random(seed)
    rules = []
    for index in range(count):
        detail: dict[str, Any] = {}
        for _ in range(rng.randint(1, 2)):
            detail.update(_detail_condition(rng))
        pattern: dict[str, Any] = {"detail": detail}
        if index % 10 != 0:
            pattern["type"] = rng.sample(_TYPES, rng.choice([1, 1, 2]))
        elif index % 20 == 0:
            pattern["$or"] = [{"source": [{"prefix": "partner/"}]}, {"detail": {"priority": [1]}}]
        topic = "deliveries" if index % 2 else "lock-devices"
        rules.append(
            {
                "name": f"rule-{index}",
                "source": topic,
                "pattern": pattern,
                "targets": [f"t-{index}"],
            }
        )
    return rules_from_data({"rules": rules}, origin="bench")


def build_events(count: int, *, seed: int = 2) -> list[dict[str, Any]]:
    """Build routing documents with the fields the rules test, in realistic variety."""
    rng = random.Random(seed)
    return [
        {
            "type": rng.choice(_TYPES),
            "source": rng.choice(["lock-service", "delivery-service", "partner/acme"]),
            "id": f"evt-{index}",
            "topic": "lock-devices",
            "detail": {
                "lock_id": f"lock-{rng.choice(['eu', 'us', 'ap'])}-{rng.randint(1, 9999):04d}",
                "method": rng.choice(_METHODS),
                "status": rng.choice(_STATUSES),
                "battery_percent": rng.randint(0, 100),
                "site": f"site-{rng.randint(1, 99)}",
                "source_ip": f"10.{rng.randint(0, 7)}.{rng.randint(0, 255)}.{rng.randint(1, 254)}",
                "tags": rng.sample(["fragile", "express", "cold", "heavy"], 2),
                "country": rng.choice(["DE", "FR", "US", "IT"]),
                "priority": rng.choice([0, 1, 2]),
                **({"courier_id": f"c-{index}"} if rng.random() < 0.4 else {}),
            },
        }
        for index in range(count)
    ]


def _timed(
    events: list[dict[str, Any]], match: Callable[[dict[str, Any]], int]
) -> tuple[float, int]:
    started = time.perf_counter()
    found = sum(match(event) for event in events)
    return time.perf_counter() - started, found


def measure_matcher(event_count: int, rounds: int = 3) -> dict[str, Any]:
    """Time the baseline, per-rule compiled matching and the indexed RuleSet on the same events.

    The matchers take turns for `rounds` rounds and each keeps its fastest round, so that
    other load on the machine skews the ratios less.
    """
    ruleset = build_rules()
    events = build_events(event_count)
    rules: list[Rule] = list(ruleset)
    raw = [rule.pattern.source for rule in rules]
    runs = {
        "naive interpreter (baseline)": lambda e: sum(naive_matches(p, e) for p in raw),
        "compiled, every rule tried": lambda e: sum(rule.matches(e) for rule in rules),
        "compiled and indexed (`RuleSet.match`)": lambda e: len(ruleset.match(e)),
    }
    results: dict[str, tuple[float, int]] = {}
    for _round in range(rounds):
        for name, run in runs.items():
            seconds, found = _timed(events, run)
            best = results.get(name, (seconds, found))
            results[name] = (min(seconds, best[0]), found)
    counts = {found for _seconds, found in results.values()}
    if len(counts) != 1:
        raise RuntimeError(f"matchers disagree on the number of matches: {results}")
    candidates = sum(
        sum("type" not in p or event["type"] in p["type"] for p in raw) for event in events
    )
    return {
        "rules": len(rules),
        "candidates_per_event": candidates / len(events),
        "events": len(events),
        "matches": counts.pop(),
        "index_field": CompiledPatterns([(r, r.pattern) for r in rules]).index_field,
        "seconds": {name: seconds for name, (seconds, _found) in results.items()},
    }
