"""Subscriptions: the events a group wants, where they go, and how failures are retried."""

from __future__ import annotations

import importlib
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from keybus.errors import clause
from keybus.kafka import Producer
from keybus.retry.classify import ErrorClassifier
from keybus.retry.consumer import Decoder, Handler, RecordFilter, RetryingConsumer
from keybus.retry.errors import ParkingError, RetryConfigError
from keybus.retry.headers import user_headers
from keybus.retry.policy import RetryPolicy
from keybus.retry.record import InboundRecord
from keybus.retry.specs import retry_topic_specs
from keybus.routing import PatternError, compile_pattern, parse_pattern, routing_document
from keybus.textfiles import read_problem, yaml_problem
from keybus.topics import TopicSpec

__all__ = ["ForwardHandler", "Subscription", "load_subscriptions", "subscription_topic_specs"]

logger = logging.getLogger(__name__)

_TOPIC = r"^[A-Za-z0-9._-]{1,249}$"


class Subscription(BaseModel):
    """One consumer group's interest in one topic.

    In YAML, as an item of a `subscriptions:` list::

        - group: billing
          topic: orders
          pattern: {type: [com.example.orders.OrderPlaced]}
          handler: billing.handlers:charge
          retry: {tiers: [5s, 30s, 5m], max_attempts: 185, max_event_age: 24h}

    `handler` is a callable or a `module:function` path; `target` forwards matching
    records to a topic instead. `dead_letter_topic` defaults to `<topic>.<group>.dlq`.
    `errors` lists exception classes per kind (`retryable`, `not_retryable`, `stop`).
    """

    model_config = ConfigDict(extra="forbid", frozen=True, arbitrary_types_allowed=True)

    group: str = Field(min_length=1, max_length=200)
    topic: str = Field(pattern=_TOPIC)
    pattern: dict[str, Any] | None = None
    handler: str | Callable[[InboundRecord], object] | None = None
    target: str | None = Field(default=None, pattern=_TOPIC)
    retry: RetryPolicy = RetryPolicy()
    errors: dict[str, list[str]] = Field(default_factory=dict)
    dead_letter_topic: str | None = Field(default=None, pattern=_TOPIC)
    partitions: int = Field(default=1, ge=1)

    @field_validator("pattern")
    @classmethod
    def _valid_pattern(cls, value: dict[str, Any] | None) -> dict[str, Any] | None:
        if value is not None:
            try:
                parse_pattern(value)
            except PatternError as exc:
                raise ValueError(exc.message) from exc
        return value

    @model_validator(mode="after")
    def _one_destination(self) -> Subscription:
        if (self.handler is None) == (self.target is None):
            raise ValueError(
                f"subscription of group {self.group!r} to {self.topic!r} needs exactly one "
                "of 'handler' (a module:function path) and 'target' (a topic)"
            )
        return self

    @model_validator(mode="after")
    def _valid_topic_names(self) -> Subscription:
        try:
            self.topic_specs()
        except RetryConfigError as exc:
            raise ValueError(exc.message) from exc
        return self

    def classifier(self) -> ErrorClassifier:
        """Return the error classifier built from `errors`."""
        return ErrorClassifier.from_names(self.errors)

    def record_filter(self) -> RecordFilter | None:
        """Return a test of records against `pattern`, or None when every record is wanted."""
        if self.pattern is None:
            return None
        test = compile_pattern(parse_pattern(self.pattern))

        def wanted(record: InboundRecord) -> bool:
            document = routing_document(
                _detail(record.event),
                topic=record.topic,
                key=record.key,
                headers=record.headers,
                partition=record.partition,
                offset=record.offset,
                timestamp_ms=record.timestamp_ms,
            )
            return test(document)

        return wanted

    def resolve_handler(self, bootstrap_servers: str) -> Handler:
        """Return the handler callable, importing it or building the forwarder to `target`."""
        if self.target is not None:
            return ForwardHandler(bootstrap_servers, self.target)
        if callable(self.handler):
            return self.handler
        return _import_handler(str(self.handler))

    def consumer(
        self, bootstrap_servers: str, *, decoder: Decoder | None = None, **options: Any
    ) -> RetryingConsumer:
        """Build the retrying consumer of this subscription."""
        return RetryingConsumer(
            bootstrap_servers=bootstrap_servers,
            group=self.group,
            topics=[self.topic],
            handler=self.resolve_handler(bootstrap_servers),
            policy=self.retry,
            classifier=self.classifier(),
            decoder=decoder,
            record_filter=self.record_filter(),
            dead_letter_topic=self.dead_letter_topic,
            **options,
        )

    def topic_specs(self, partitions: int | None = None) -> list[TopicSpec]:
        """Return the retry tier, dead-letter and ledger topics this subscription needs."""
        return retry_topic_specs(
            self.topic,
            self.group,
            self.retry,
            partitions=partitions or self.partitions,
            dead_letter_topic=self.dead_letter_topic,
        )


class ForwardHandler:
    """Forward each record to a target topic, keeping key, value and the record's own headers."""

    def __init__(self, bootstrap_servers: str, target: str, ack_timeout_s: float = 30.0) -> None:
        self.target = target
        self.ack_timeout_s = ack_timeout_s
        self.producer = Producer(
            {"bootstrap.servers": bootstrap_servers, "enable.idempotence": True, "acks": "all"}
        )

    def __call__(self, record: InboundRecord) -> None:
        """Produce the record to the target and wait for the acknowledgement."""
        errors: list[str] = []
        headers: list[tuple[str, str | bytes | None]] = list(user_headers(record.headers))
        self.producer.produce(
            self.target,
            key=record.key,
            value=record.value,
            headers=headers,
            on_delivery=lambda error, _message: errors.append(str(error)) if error else None,
        )
        remaining = self.producer.flush(self.ack_timeout_s)
        if errors or remaining:
            reason = errors[0] if errors else f"no acknowledgement in {self.ack_timeout_s} s"
            raise ParkingError(
                f"Forwarding {record.topic}[{record.partition}]@{record.offset} to "
                f"{self.target} failed: {clause(reason)}.",
                topic=record.topic,
                destination=self.target,
            )


def _detail(event: Any) -> Any:
    if isinstance(event, BaseModel):
        return event.model_dump(mode="json")
    return event


def _import_handler(path: str) -> Handler:
    module_name, _, attribute = path.partition(":")
    try:
        found = getattr(importlib.import_module(module_name), attribute)
    except (ImportError, AttributeError, ValueError) as exc:
        raise RetryConfigError(
            f"Handler {path!r} cannot be imported: {clause(exc)}. Write it as "
            "'package.module:function' and make sure the package is installed."
        ) from exc
    if not callable(found):
        raise RetryConfigError(f"Handler {path!r} is not callable. Point it at a function.")
    handler: Handler = found
    return handler


def load_subscriptions(path: Path) -> list[Subscription]:
    """Load the `subscriptions:` list of a YAML file.

    Raises:
        RetryConfigError: the file is missing, is not YAML or breaks the model; the
            message names the file and each invalid field.
    """
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise RetryConfigError(f"Subscriptions file {path} does not exist.") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise RetryConfigError(
            f"Cannot read the subscriptions file {path}: {read_problem(exc)}."
        ) from exc
    except yaml.YAMLError as exc:
        raise RetryConfigError(
            f"Subscriptions file {path} is not valid YAML at {yaml_problem(exc)}. Fix the file."
        ) from exc
    items = (document or {}).get("subscriptions") if isinstance(document, dict) else None
    if not isinstance(items, list):
        raise RetryConfigError(
            f"Subscriptions file {path} needs a top-level 'subscriptions:' list."
        )
    subscriptions = []
    for index, item in enumerate(items):
        try:
            subscriptions.append(Subscription.model_validate(item))
        except ValidationError as exc:
            problems = "; ".join(
                f"{'.'.join(str(part) for part in error['loc']) or '(item)'}: {error['msg']}"
                for error in exc.errors()
            )
            raise RetryConfigError(f"Subscriptions file {path}, item {index}: {problems}") from exc
    return subscriptions


def subscription_topic_specs(
    subscriptions: list[Subscription], partitions_of: dict[str, int]
) -> list[TopicSpec]:
    """Return the topics every subscription needs, each name once.

    A subscription's tiers and dead-letter topic get the partition count of its source
    topic from `partitions_of` (declared or live), else the subscription's `partitions`.
    """
    specs: dict[str, TopicSpec] = {}
    for subscription in subscriptions:
        partitions = partitions_of.get(subscription.topic, subscription.partitions)
        for spec in subscription.topic_specs(partitions):
            if specs.setdefault(spec.name, spec) != spec:
                raise RetryConfigError(
                    f"Topic {spec.name!r} is needed by two subscriptions with different "
                    "settings. Give them the same retry tiers and partitions, or separate "
                    "dead-letter topics."
                )
    return list(specs.values())
