"""A retrying consumer run as its own process, so a test can SIGKILL it mid-flight.

Usage: crash_consumer.py BOOTSTRAP_SERVERS SOURCE_TOPIC GROUP. Records whose key starts
with `fail-` fail, and every other record is handled. It prints `HANDLED <key>` after a
record is handled and `PARKED <key>` once its retry copy is acknowledged. It never
commits by itself, because the commit interval is an hour, so a kill after a `PARKED`
line lands between writing to the retry tier and committing.
"""

from __future__ import annotations

import sys
from collections.abc import Callable

from keybus.retry import InboundRecord, Outcome, RetryingConsumer, RetryPolicy

OnDone = Callable[[str | None], object]


def main() -> None:
    """Consume until killed."""
    servers, source, group = sys.argv[1:4]

    def handler(record: InboundRecord) -> None:
        key = (record.key or b"").decode()
        if key.startswith("fail-"):
            raise TimeoutError(f"downstream timed out for {key}")
        print(f"HANDLED {key}", flush=True)

    consumer = RetryingConsumer(
        bootstrap_servers=servers,
        group=group,
        topics=[source],
        handler=handler,
        policy=RetryPolicy(tiers_s=(1.0, 2.0), max_attempts=4, jitter_ratio=0.0),
        commit_interval_s=3600.0,
        # The broker's minimum, so the group notices the killed member within seconds.
        consumer_config={"session.timeout.ms": 6000},
    )
    send = consumer.failures.send

    def send_and_report(record: InboundRecord, outcome: Outcome, on_done: OnDone) -> None:
        def report(problem: str | None) -> None:
            on_done(problem)
            if problem is None:
                print(f"PARKED {(record.key or b'').decode()}", flush=True)

        send(record, outcome, report)

    consumer.failures.send = send_and_report  # type: ignore[method-assign]
    print("READY", flush=True)
    while True:
        consumer.poll_once(timeout_s=0.2)


if __name__ == "__main__":
    main()
