"""Retry tiers, dead letters and replay for keybus consumers."""

from __future__ import annotations

from keybus.retry.classify import ErrorClassifier, FailureKind
from keybus.retry.consumer import ConsumerStats, RetryingConsumer
from keybus.retry.errors import (
    ConsumerStoppedError,
    ParkingError,
    RetryConfigError,
    StopConsumerError,
    UndecodableRecordError,
)
from keybus.retry.headers import FailureState
from keybus.retry.naming import dead_letter_topic_name, replay_ledger_topic_name, retry_topic_name
from keybus.retry.policy import DeadLetterReason, InPlaceRetry, RetryPolicy
from keybus.retry.record import InboundRecord
from keybus.retry.router import FailureHandler, Outcome, ParkAction, producer_settings

__all__ = [
    "ConsumerStats",
    "ConsumerStoppedError",
    "DeadLetterReason",
    "ErrorClassifier",
    "FailureHandler",
    "FailureKind",
    "FailureState",
    "InPlaceRetry",
    "InboundRecord",
    "Outcome",
    "ParkAction",
    "ParkingError",
    "RetryConfigError",
    "RetryPolicy",
    "RetryingConsumer",
    "StopConsumerError",
    "UndecodableRecordError",
    "dead_letter_topic_name",
    "producer_settings",
    "replay_ledger_topic_name",
    "retry_topic_name",
]
