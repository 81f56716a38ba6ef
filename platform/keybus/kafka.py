"""confluent-kafka clients built by keybus, with librdkafka's logs sent to Python logging.

librdkafka prints its own log lines to standard error unless a client has a `logger`.
A broker that is down makes it print a connection failure up to about 20 times a second
per client (measured with librdkafka 2.16 on a refused loopback port). The clients here
pass every librdkafka line to the `keybus.kafka` logger instead, and log repeated
warnings and errors of one client and facility at DEBUG, with a count at their own level
once a minute.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import confluent_kafka
import confluent_kafka.admin

from keybus.errors import KeybusError, clause

__all__ = [
    "AdminClient",
    "BrokerUnavailableError",
    "Consumer",
    "LibrdkafkaLog",
    "Producer",
    "unreachable_error",
    "with_logger",
]

logger = logging.getLogger(__name__)

REPEAT_INTERVAL_S = 60.0


class BrokerUnavailableError(KeybusError):
    """No Kafka broker could be reached at the bootstrap servers.

    Attributes:
        bootstrap_servers: the `bootstrap.servers` the client was given.
    """

    retryable = True

    def __init__(self, bootstrap_servers: str, detail: str) -> None:
        super().__init__(
            f"Kafka is not reachable at {bootstrap_servers}: {clause(detail)}. "
            "Check that the broker is running (`keybus dev up` starts a local one) and that "
            "-b or KEYBUS_BOOTSTRAP_SERVERS gives its address."
        )
        self.bootstrap_servers = bootstrap_servers


_UNREACHABLE_CODES = frozenset(
    {
        confluent_kafka.KafkaError._ALL_BROKERS_DOWN,
        confluent_kafka.KafkaError._RESOLVE,
        confluent_kafka.KafkaError._TIMED_OUT,
        confluent_kafka.KafkaError._TRANSPORT,
    }
)


def unreachable_error(
    exc: confluent_kafka.KafkaException, bootstrap_servers: str
) -> BrokerUnavailableError | None:
    """Return the error to raise when `exc` reports that no broker could be reached, else None."""
    error = exc.args[0] if exc.args else None
    if not isinstance(error, confluent_kafka.KafkaError) or error.code() not in _UNREACHABLE_CODES:
        return None
    return BrokerUnavailableError(bootstrap_servers, error.str())


@dataclass(slots=True)
class _Repeats:
    """Repeats of one client's facility since it was last logged at its own level."""

    logged_at: float
    count: int = 0


class LibrdkafkaLog:
    """Pass librdkafka log lines to a Python logger, collapsing repeated failures.

    confluent-kafka calls `log(level, "%s [%s] %s", facility, client_name, text)` from
    the thread that polls the client. The first warning or error of a client and
    facility is logged at its level, and later ones at DEBUG. Once `interval_s` has
    passed, the next one is logged at its level again, with the count of those between.
    """

    def __init__(
        self, target: logging.Logger = logger, *, interval_s: float = REPEAT_INTERVAL_S
    ) -> None:
        self.target = target
        self.interval_s = interval_s
        self._repeats: dict[tuple[str, str], _Repeats] = {}
        self._lock = threading.Lock()

    def log(self, level: int, msg: str, *args: object) -> None:
        """Log one librdkafka line, at DEBUG when it repeats a recent warning or error."""
        if level < logging.WARNING or len(args) < 2:
            self.target.log(level, msg, *args)
            return
        key = (str(args[0]), str(args[1]))
        now = time.monotonic()
        with self._lock:
            repeats = self._repeats.get(key)
            if repeats is None:
                self._repeats[key] = _Repeats(now)
                skipped = 0
            elif now - repeats.logged_at < self.interval_s:
                repeats.count += 1
                skipped = -1
            else:
                skipped = repeats.count
                self._repeats[key] = _Repeats(now)
        if skipped < 0:
            self.target.debug(msg, *args)
        elif skipped == 0:
            self.target.log(level, msg, *args)
        else:
            self.target.log(
                level, msg + " (and %d more like it since the last one logged)", *args, skipped
            )


def with_logger(config: dict[str, Any]) -> dict[str, Any]:
    """Return `config` with a `logger` that collapses repeats, unless it has one."""
    if "logger" in config:
        return config
    return {**config, "logger": LibrdkafkaLog()}


if TYPE_CHECKING:
    # Callbacks such as `on_assign` receive the client itself, so code that annotates them
    # with these names must type-check against confluent-kafka's own signatures.
    from confluent_kafka import Consumer, Producer
    from confluent_kafka.admin import AdminClient
else:

    class Producer(confluent_kafka.Producer):
        """confluent-kafka's Producer, logging through `keybus.kafka`."""

        def __init__(self, config: dict[str, Any], /, **kwargs: Any) -> None:
            super().__init__(with_logger(config), **kwargs)

    class Consumer(confluent_kafka.Consumer):
        """confluent-kafka's Consumer, logging through `keybus.kafka`."""

        def __init__(self, config: dict[str, Any], /, **kwargs: Any) -> None:
            super().__init__(with_logger(config), **kwargs)

    class AdminClient(confluent_kafka.admin.AdminClient):
        """confluent-kafka's AdminClient, logging through `keybus.kafka`."""

        def __init__(self, config: dict[str, Any], /, **kwargs: Any) -> None:
            super().__init__(with_logger(config), **kwargs)
