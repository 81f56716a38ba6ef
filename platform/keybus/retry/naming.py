"""Names of a consumer group's retry tiers, dead-letter topic and replay ledger."""

from __future__ import annotations

import functools
import re

from keybus.retry.errors import RetryConfigError
from keybus.types import GroupId, TopicName

__all__ = [
    "dead_letter_topic_name",
    "format_delay",
    "parse_delay",
    "replay_ledger_topic_name",
    "retry_topic_name",
    "split_retry_topic",
]

_TOPIC_CHARACTERS = re.compile(r"^[A-Za-z0-9._-]+$")
_MAX_TOPIC_LENGTH = 249
_DELAY = re.compile(r"^(\d+)(ms|s|m|h)$")
_UNIT_MS = {"ms": 1, "s": 1000, "m": 60_000, "h": 3_600_000}
_RETRY_MARK = ".retry."


@functools.lru_cache(maxsize=256)
def format_delay(delay_s: float) -> str:
    """Render a tier delay as the shortest exact unit: `500ms`, `5s`, `5m`, `2h`."""
    delay_ms = round(delay_s * 1000)
    if delay_ms <= 0:
        raise RetryConfigError(
            f"Retry tier delay {delay_s!r} s is not positive. Use a delay of at least 1 ms."
        )
    for unit in ("h", "m", "s"):
        if delay_ms % _UNIT_MS[unit] == 0:
            return f"{delay_ms // _UNIT_MS[unit]}{unit}"
    return f"{delay_ms}ms"


def parse_delay(text: str) -> float:
    """Parse a delay written by `format_delay` back into seconds."""
    match = _DELAY.match(text)
    if match is None:
        raise RetryConfigError(
            f"Retry tier delay {text!r} is invalid: expected a whole number and a unit "
            "(ms, s, m or h), for example '5s' or '5m'."
        )
    return int(match.group(1)) * _UNIT_MS[match.group(2)] / 1000


def _checked(name: str, *, topic: str, group: str) -> TopicName:
    if not _TOPIC_CHARACTERS.match(name):
        raise RetryConfigError(
            f"Topic name {name!r} derived from topic {topic!r} and group {group!r} contains "
            "characters Kafka does not allow; topic names may use only letters, digits, "
            "'.', '_' and '-'. Rename the consumer group or set the topic explicitly."
        )
    if len(name) > _MAX_TOPIC_LENGTH:
        raise RetryConfigError(
            f"Topic name {name[:60]!r}... derived from topic {topic!r} and group {group!r} "
            f"has {len(name)} characters; Kafka allows at most {_MAX_TOPIC_LENGTH}. Use a "
            "shorter consumer group id or set the topic explicitly."
        )
    return TopicName(name)


@functools.lru_cache(maxsize=1024)
def retry_topic_name(topic: str, group: str, delay_s: float) -> TopicName:
    """Return `<topic>.<group>.retry.<delay>`, the retry tier of `group` for `topic`."""
    name = f"{topic}.{group}{_RETRY_MARK}{format_delay(delay_s)}"
    return _checked(name, topic=topic, group=group)


@functools.lru_cache(maxsize=1024)
def dead_letter_topic_name(topic: str, group: str) -> TopicName:
    """Return `<topic>.<group>.dlq`, the dead-letter topic of `group` for `topic`."""
    return _checked(f"{topic}.{group}.dlq", topic=topic, group=group)


def replay_ledger_topic_name(dead_letter_topic: str) -> TopicName:
    """Return `<dead-letter topic>.replayed`, the compacted ledger of replayed event ids."""
    return _checked(
        f"{dead_letter_topic}.replayed", topic=dead_letter_topic, group="(dead-letter topic)"
    )


def split_retry_topic(name: str, topic: str, group: GroupId | str) -> float | None:
    """Return the delay in seconds if `name` is a retry tier of `group` for `topic`, else None."""
    prefix = f"{topic}.{group}{_RETRY_MARK}"
    if not name.startswith(prefix):
        return None
    try:
        return parse_delay(name[len(prefix) :])
    except RetryConfigError:
        return None
