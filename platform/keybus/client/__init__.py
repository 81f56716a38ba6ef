"""Producer and consumer of schema-governed events."""

from __future__ import annotations

from keybus.client.consumer import Consumer, UnknownEventPolicy, UnknownEventTypeError
from keybus.client.delivery import DeliveryHandle, DeliveryResult
from keybus.client.errors import (
    ClientClosedError,
    ClientError,
    DeliveryError,
    HandlerError,
    MessageTooLargeError,
    PublishBatchError,
    TransactionError,
)
from keybus.client.policies import (
    ConsumedRecord,
    Decision,
    FailurePolicy,
    SkipOnFailure,
    StopOnFailure,
)
from keybus.client.producer import Producer
from keybus.errors import InvalidTopicNameError

__all__ = [
    "ClientClosedError",
    "ClientError",
    "ConsumedRecord",
    "Consumer",
    "Decision",
    "DeliveryError",
    "DeliveryHandle",
    "DeliveryResult",
    "FailurePolicy",
    "HandlerError",
    "InvalidTopicNameError",
    "MessageTooLargeError",
    "Producer",
    "PublishBatchError",
    "SkipOnFailure",
    "StopOnFailure",
    "TransactionError",
    "UnknownEventPolicy",
    "UnknownEventTypeError",
]
