"""Route one record by the rule set: decode, match, transform, and name its outputs.

This is the pure core of the router topology; Faust (or any consumer loop) feeds it
records and sends what it returns.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from keybus.errors import KeybusError
from keybus.retry.headers import dead_letter_headers
from keybus.retry.naming import dead_letter_topic_name
from keybus.retry.policy import DeadLetterReason
from keybus.routing import RuleSet, routing_document

__all__ = [
    "RULE_HEADER",
    "Decode",
    "Output",
    "RecordRouter",
    "RoutingOutcome",
    "RoutingStats",
]

logger = logging.getLogger(__name__)

RULE_HEADER = "keybus_rule"
"""Header naming the rule that sent a record to its target."""

Headers = list[tuple[str, bytes]]
Decode = Callable[[bytes], Any]
"""Turn a record value into the event that patterns see under `detail`."""


@dataclass(frozen=True)
class Output:
    """One record to send: the original key, the value (original or transformed), headers."""

    topic: str
    key: bytes | None
    value: bytes | None
    headers: Headers


@dataclass(frozen=True)
class RoutingOutcome:
    """The outputs of one record and what happened to it."""

    outputs: tuple[Output, ...]
    matched_rules: tuple[str, ...]
    undecodable: bool = False


NOT_ROUTED = RoutingOutcome((), ())
"""The outcome of a record that matched no rule and has no catch-all topic to go to."""


@dataclass
class RoutingStats:
    """Counts since the router started, for logs and the demo summary."""

    records: int = 0
    routed: int = 0
    unmatched: int = 0
    undecodable: int = 0
    per_rule: dict[str, int] = field(default_factory=dict)


class RecordRouter:
    """Decode a record, match it against the current rule set, and build its outputs.

    Args:
        rules: returns the rule set in force; called per record so a reloaded set applies
            to the next record.
        decode: turns the record value into the event under `detail`.
        catch_all_topic: where records that match no rule go; None counts them only.
        group: the router's consumer group. A record that cannot be decoded is never
            dropped: it goes to `<topic>.<group>.dlq` with the dead-letter headers of
            `keybus.retry`, so `keybus dlq` lists and replays it.
    """

    def __init__(
        self,
        rules: Callable[[], RuleSet],
        decode: Decode,
        *,
        catch_all_topic: str | None,
        group: str,
    ) -> None:
        self.rules = rules
        self.decode = decode
        self.catch_all_topic = catch_all_topic
        self.group = group
        self.stats = RoutingStats()

    def route(
        self,
        topic: str,
        key: bytes | None,
        value: bytes | None,
        headers: Sequence[tuple[str, bytes]],
        *,
        partition: int | None = None,
        offset: int | None = None,
        timestamp_ms: int | None = None,
    ) -> RoutingOutcome:
        """Return the outputs of one record."""
        self.stats.records += 1
        kept = [(name, data) for name, data in headers if name != RULE_HEADER]
        try:
            detail = self.decode(value) if value is not None else None
        except KeybusError as exc:
            return self._undecodable(
                topic, key, value, kept, exc, position=(partition or 0, offset or 0, timestamp_ms)
            )
        document = routing_document(
            detail, topic=topic, key=key, headers=kept, partition=partition, offset=offset
        )
        matched = self.rules().match(document, topic=topic)
        if not matched:
            return self._unmatched(key, value, kept)
        outputs: list[Output] = []
        for rule in matched:
            body = self._transformed(rule.transform(document)) if rule.has_transform else value
            rule_headers = [*kept, (RULE_HEADER, rule.name.encode())]
            outputs.extend(Output(target, key, body, rule_headers) for target in rule.targets)
            self.stats.per_rule[rule.name] = self.stats.per_rule.get(rule.name, 0) + 1
        self.stats.routed += 1
        return RoutingOutcome(tuple(outputs), tuple(rule.name for rule in matched))

    @staticmethod
    def _transformed(result: Any) -> bytes:
        if isinstance(result, bytes):
            return result
        if isinstance(result, str):
            return result.encode()
        return json.dumps(result, separators=(",", ":"), default=str).encode()

    def _unmatched(
        self, key: bytes | None, value: bytes | None, headers: Headers
    ) -> RoutingOutcome:
        self.stats.unmatched += 1
        if self.catch_all_topic is None:
            return NOT_ROUTED
        return RoutingOutcome((Output(self.catch_all_topic, key, value, headers),), ())

    def _undecodable(
        self,
        topic: str,
        key: bytes | None,
        value: bytes | None,
        headers: Headers,
        exc: Exception,
        *,
        position: tuple[int, int, int | None],
    ) -> RoutingOutcome:
        self.stats.undecodable += 1
        target = dead_letter_topic_name(topic, self.group)
        logger.warning("undecodable record parked topic=%s target=%s error=%s", topic, target, exc)
        partition, offset, timestamp_ms = position
        parked_headers = dead_letter_headers(
            headers,
            topic=topic,
            partition=partition,
            offset=offset,
            timestamp_ms=timestamp_ms,
            group=self.group,
            error=exc,
            reason=DeadLetterReason.NOT_RETRYABLE,
            now_ms=int(time.time() * 1000),
        )
        return RoutingOutcome((Output(target, key, value, parked_headers),), (), undecodable=True)
