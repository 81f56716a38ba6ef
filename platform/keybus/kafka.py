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
import queue
import socket
import threading
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import confluent_kafka
import confluent_kafka.admin

from keybus.errors import ConfigurationError, KeybusError, clause
from keybus.settings import ConnectionSettings

__all__ = [
    "BOOTSTRAP_SETTING",
    "AdminClient",
    "BrokerUnavailableError",
    "Consumer",
    "LibrdkafkaLog",
    "Producer",
    "check_brokers",
    "parse_bootstrap_servers",
    "unreachable_error",
    "with_logger",
]

logger = logging.getLogger(__name__)

REPEAT_INTERVAL_S = 60.0

DEFAULT_KAFKA_PORT = 9092
"""Port librdkafka uses for a bootstrap server given without one (RD_KAFKA_PORT in its
rdkafka_protocol.h)."""

BOOTSTRAP_SETTING = "--bootstrap-servers (-b) or KEYBUS_BOOTSTRAP_SERVERS"
"""The option and variable that set the bootstrap servers of most commands, for messages."""


class BrokerUnavailableError(KeybusError):
    """No Kafka broker could be reached at the bootstrap servers.

    Attributes:
        bootstrap_servers: the `bootstrap.servers` the client was given.
    """

    retryable = True

    def __init__(
        self, bootstrap_servers: str, detail: str, *, setting: str = BOOTSTRAP_SETTING
    ) -> None:
        super().__init__(
            f"Kafka is not reachable at {bootstrap_servers}: {clause(detail)}. Start the "
            f"broker (`keybus dev up` starts a local one), or set {setting} to the address "
            "of a running one."
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


def parse_bootstrap_servers(bootstrap_servers: str) -> list[tuple[str, int]]:
    """Split `bootstrap.servers` into (host, port) pairs, as librdkafka reads them.

    An entry may start with a protocol such as `PLAINTEXT://` and give an IPv6 host in
    brackets (`[::1]:9092`). An entry without a port uses 9092.

    Raises:
        ConfigurationError: the list is empty, or an entry has no host or an invalid port.
    """
    entries = [entry.strip() for entry in bootstrap_servers.split(",") if entry.strip()]
    if not entries:
        raise ConfigurationError(
            f"Bootstrap servers {bootstrap_servers!r} name no broker. Give host:port, for "
            "example 127.0.0.1:9092, with --bootstrap-servers or KEYBUS_BOOTSTRAP_SERVERS."
        )
    return [_parse_entry(entry, bootstrap_servers) for entry in entries]


def _parse_entry(entry: str, bootstrap_servers: str) -> tuple[str, int]:
    address = entry.split("://", 1)[-1]
    if address.startswith("["):
        host, _bracket, rest = address[1:].partition("]")
        port_text = rest.removeprefix(":") if rest else None
    elif address.count(":") == 1:
        host, port_text = address.split(":")
    else:
        host, port_text = address, None
    port = DEFAULT_KAFKA_PORT if port_text is None else _port(port_text)
    if not host or port is None:
        raise ConfigurationError(
            f"Bootstrap server {entry!r} in {bootstrap_servers!r} is not host:port. Write "
            "each broker as host:port with a port from 1 to 65535, for example "
            "127.0.0.1:9092."
        )
    return host, port


def _port(text: str) -> int | None:
    if not text.isdigit() or not 1 <= int(text) <= 65535:
        return None
    return int(text)


def check_brokers(
    bootstrap_servers: str, *, timeout_s: float | None = None, setting: str = BOOTSTRAP_SETTING
) -> None:
    """Raise unless one of the bootstrap servers accepts a TCP connection within `timeout_s`.

    librdkafka waits for metadata until the request's own timeout, 30 s in most keybus
    commands, even when every connection is refused. A command calls this first, so that it fails
    within `timeout_s` when nothing listens. A refused connection or an unknown host fails
    at once, and an address that drops packets fails after `timeout_s`. A broker that
    accepts connections but responds slowly passes, and the client's longer timeouts then
    apply to it.

    NOTE: only TCP is checked, so a port held by something other than Kafka passes, and
    the first client call then waits for its full timeout.

    Args:
        timeout_s: seconds to wait for a connection. The default is `connect_timeout_s`
            of ConnectionSettings: KEYBUS_CONNECT_TIMEOUT_S, else 5.
        setting: the option or variable that sets the servers, for the error message.

    Raises:
        BrokerUnavailableError: no bootstrap server accepted a connection.
        ConfigurationError: `bootstrap_servers` is not a list of host:port.
    """
    addresses = list(dict.fromkeys(parse_bootstrap_servers(bootstrap_servers)))
    wait_s = ConnectionSettings().connect_timeout_s if timeout_s is None else timeout_s
    failures = _connect_any(addresses, wait_s)
    if failures:
        raise BrokerUnavailableError(bootstrap_servers, ", ".join(failures), setting=setting)


def _connect_any(addresses: list[tuple[str, int]], timeout_s: float) -> list[str]:
    """Connect to every address at once. Return why each failed, or [] once one succeeds."""
    results: queue.Queue[tuple[tuple[str, int], OSError | None]] = queue.Queue()
    for address in addresses:
        # Daemon threads, so that a connection or DNS lookup still pending after the
        # deadline does not keep the process alive.
        thread = threading.Thread(target=_connect, args=(address, timeout_s, results), daemon=True)
        thread.start()
    deadline = time.monotonic() + timeout_s
    failures: dict[tuple[str, int], str] = {}
    while len(failures) < len(addresses):
        try:
            address, error = results.get(timeout=max(deadline - time.monotonic(), 0.0))
        except queue.Empty:
            break
        if error is None:
            return []
        failures[address] = _connect_failure(address, error, timeout_s)
    timed_out = TimeoutError()
    return [
        failures.get(address) or _connect_failure(address, timed_out, timeout_s)
        for address in addresses
    ]


def _connect(
    address: tuple[str, int],
    timeout_s: float,
    results: queue.Queue[tuple[tuple[str, int], OSError | None]],
) -> None:
    try:
        with socket.create_connection(address, timeout=timeout_s):
            pass
    except OSError as exc:
        results.put((address, exc))
    else:
        results.put((address, None))


def _connect_failure(address: tuple[str, int], error: OSError, timeout_s: float) -> str:
    host, port = address
    server = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
    if isinstance(error, ConnectionRefusedError):
        return f"{server} refused the connection"
    if isinstance(error, TimeoutError):
        return f"{server} did not accept a connection within {timeout_s:g} s"
    if isinstance(error, socket.gaierror):
        return f"host {host} was not found ({error.strerror})"
    return f"connecting to {server} failed ({error.strerror or error})"


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
