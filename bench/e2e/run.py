"""End-to-end latency: publish, through the router topology, to a projection updated.

A publisher process sends DoorUnlocked events with the keybus producer at a steady rate.
Two Faust workers of `topologies/router.py` route them to a target topic, and a keybus
projection runner applies them to SQLite. The latency of an event is the time from its
`occurred_at` (set just before publishing) to the commit of the SQLite transaction that
applied it. The raw baseline, measured in the same run by another process, is a plain
confluent-kafka consumer on the source topic: publish to consume, no router, no
projection. Then the rate is raised step by step to find the highest steady rate whose
p99 stays under one second.
"""

from __future__ import annotations

import multiprocessing
import os
import sqlite3
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

from confluent_kafka import Consumer, TopicPartition

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from common import bench_arguments, broker, create_topic, write_section
from keybus.batches import poll_batch
from keybus.catalog.com.example.access import AccessMethod, DoorUnlocked
from keybus.client import Producer
from keybus.events import Event, utc_now
from keybus.registry.client import RegistryClient
from keybus.sourcing.projections import Projection, ProjectionRunner, ProjectionStore, SourceRecord
from keybus.sourcing.projections.runner import BatchApplied
from keybus.streams.workers import WorkerGroup
from keybus.testing.registry import start_registry

PARTITIONS = 6
ROUTER_WORKERS = 2
"""Router workers, as deploy/processors.yaml runs them; they share the source partitions."""
TARGET_RATE = 2_000
SEARCH_RATES = (100, 250, 500, 1_000, 2_000, 4_000, 8_000, 16_000)
WARMUP_S = 3.0
TICK_S = 0.005
DRAIN_S = 10.0


class UnlockCounts(Projection):
    """Unlocks per lock, from the router's target topic."""

    name: ClassVar[str] = "bench-unlocks"
    streams: ClassVar[tuple[str, ...]] = ("audit.access",)
    event_types: ClassVar[tuple[type[Event], ...]] = (DoorUnlocked,)
    tables: ClassVar[dict[str, str]] = {"unlocks": "lock_id"}

    def __init__(self) -> None:
        super().__init__()
        self.pending: list[float] = []

    def create(self, db: sqlite3.Connection) -> None:
        """Create the counts table."""
        db.execute("CREATE TABLE IF NOT EXISTS unlocks (lock_id TEXT PRIMARY KEY, n INTEGER)")

    def apply(self, db: sqlite3.Connection, event: Event, record: SourceRecord) -> None:
        """Count one unlock and remember when it was published."""
        db.execute(
            "INSERT INTO unlocks VALUES (?, 1) ON CONFLICT (lock_id) DO UPDATE SET n = n + 1",
            (event.aggregate_id,),
        )
        self.pending.append(event.occurred_at.timestamp())


@dataclass
class Step:
    """One measured rate."""

    target_rate: int
    achieved_rate: float = 0.0
    published: int = 0
    arrived: int = 0
    e2e_ms: list[float] = field(default_factory=list)
    raw_ms: list[float] = field(default_factory=list)

    def verdict(self) -> bool:
        """Return whether the rate was held and p99 stayed under one second."""
        steady = self.achieved_rate >= 0.95 * self.target_rate
        complete = self.arrived >= self.published
        return steady and complete and bool(self.e2e_ms) and percentile(self.e2e_ms, 99) < 1000


def percentile(values: Sequence[float], pct: float) -> float:
    """Return the nearest-rank percentile of `values`."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = max(0, min(len(ordered) - 1, round(pct / 100 * len(ordered) + 0.5) - 1))
    return ordered[rank]


def publish(  # noqa: PLR0917 - a process target takes positional arguments
    servers: str, registry_url: str, topic: str, rate: int, seconds: float, out: Any
) -> None:
    """Publish DoorUnlocked events at `rate` per second for `seconds`; report the count."""
    producer = Producer(servers, registry_url, auto_register=True, config={"linger.ms": 1})
    sent, start = 0, time.perf_counter()
    while (elapsed := time.perf_counter() - start) < seconds:
        due = int(elapsed * rate) + 1
        while sent < due:
            event = DoorUnlocked(
                lock_id=f"lock-{sent % 500}", method=AccessMethod.BLUETOOTH, occurred_at=utc_now()
            )
            producer.publish_nowait(event, topic=topic)
            sent += 1
        producer._kafka.poll(0)  # serve delivery reports without flushing
        time.sleep(max(0.0, start + (sent / rate) - time.perf_counter()))
    producer.close()
    out.put((sent, time.perf_counter() - start))


def raw_consume(servers: str, topic: str, seconds: float, since: float, out: Any) -> None:
    """Consume the source topic; report the age at arrival, in ms, of records after `since`."""
    consumer = Consumer(
        {
            "bootstrap.servers": servers,
            "group.id": f"raw-{uuid.uuid4().hex[:6]}",
            "auto.offset.reset": "latest",
            "fetch.wait.max.ms": 10,
        }
    )
    consumer.subscribe([topic])
    ages, deadline = [], time.monotonic() + seconds
    while time.monotonic() < deadline:
        for record in poll_batch(consumer, 500, 0.1):
            if record.error() is None and record.timestamp()[1] >= since * 1000:
                ages.append(time.time() * 1000 - record.timestamp()[1])
    consumer.close()
    out.put(ages)


class Pipeline:
    """The router worker and the projection runner, shared by every measured rate."""

    def __init__(self, servers: str, registry_url: str, folder: Path) -> None:
        self.servers = servers
        self.registry_url = registry_url
        prefix = f"e2e-{uuid.uuid4().hex[:6]}-"
        self.source = create_topic(servers, f"{prefix}lock-devices", PARTITIONS)
        self.target = create_topic(servers, f"{prefix}audit.access", PARTITIONS)

        rules = folder / "rules.yaml"
        rules.write_text(
            "version: 1\nrules:\n  - name: unlocks-to-audit\n"
            f"    source: {self.source}\n"
            "    pattern: {type: [com.example.access.DoorUnlocked]}\n"
            f"    targets: [{self.target}]\n"
        )
        self.router = WorkerGroup(
            with_parent=True,
            topology="router",
            folder=folder / "router",
            environment={
                "KEYBUS_BOOTSTRAP_SERVERS": servers,
                "KEYBUS_REGISTRY_URL": registry_url,
                "KEYBUS_RULES_FILE": str(rules),
                "KEYBUS_APP_ID": f"{prefix}router",
                "KEYBUS_BATCH_WITHIN_S": "0.005",
            },
        )

        self.projection = UnlockCounts()
        self.store = ProjectionStore(self.projection, folder / "e2e.sqlite")
        self.runner = ProjectionRunner(
            self.store,
            bootstrap_servers=servers,
            registry=RegistryClient(registry_url),
            topic_prefix=prefix,
            on_batch=self._measure,
        )
        self._window: list[tuple[float, float]] = []
        self.published = 0
        self.arrived = 0
        self._thread = threading.Thread(target=self.runner.run, daemon=True)

    def start(self) -> None:
        """Start the router worker and the projection, and wait until an event goes through."""
        Producer(self.servers, self.registry_url, auto_register=True).publish(
            DoorUnlocked(lock_id="warm", method=AccessMethod.KEY), topic=self.source
        )
        self.published += 1
        self.router.start(ROUTER_WORKERS)
        self.router.wait_healthy(ROUTER_WORKERS, seconds=3.0)
        self._thread.start()
        deadline = time.monotonic() + 120
        while self.arrived == 0:
            if time.monotonic() > deadline:
                raise TimeoutError(
                    f"No event reached the projection; see {self.router.log_path(0)}"
                )
            time.sleep(0.2)

    def stop(self) -> None:
        """Stop the projection and the router."""
        self.runner.stop()
        self._thread.join(timeout=10)
        self.runner.close()
        self.router.stop()

    def measure(self, rate: int, seconds: float) -> Step:
        """Publish at `rate` for warm-up plus `seconds`; return the latencies after warm-up.

        The pipeline is drained first, so a backlog left by a faster rate is not counted.
        """
        self.drain()
        step = Step(rate)
        context = multiprocessing.get_context("spawn")
        results: Any = context.Queue()
        raw_results: Any = context.Queue()
        step_start = time.time()
        measure_from = step_start + 1.0 + WARMUP_S
        publisher = context.Process(
            target=publish,
            args=(self.servers, self.registry_url, self.source, rate, WARMUP_S + seconds, results),
        )
        raw = context.Process(
            target=raw_consume,
            args=(self.servers, self.source, WARMUP_S + seconds + 3, measure_from, raw_results),
        )
        raw.start()
        time.sleep(1.0)
        publisher.start()
        sent, elapsed = results.get(timeout=WARMUP_S + seconds + 60)
        publisher.join()
        self.published += sent
        step.published, step.achieved_rate = sent, sent / elapsed
        deadline = time.monotonic() + DRAIN_S
        while self._arrived_since(step_start) < sent and time.monotonic() < deadline:
            time.sleep(0.1)
        step.arrived = self._arrived_since(step_start)
        step.raw_ms = raw_results.get(timeout=60)
        raw.join()
        step.e2e_ms = [ms for stamp, ms in list(self._window) if stamp >= measure_from]
        return step

    def drain(self, timeout_s: float = 300.0) -> None:
        """Wait until every event published so far reached the projection."""
        deadline = time.monotonic() + timeout_s
        while self.arrived < self.published:
            if time.monotonic() > deadline:
                raise TimeoutError(
                    f"The pipeline did not drain in {timeout_s} s: {self.arrived:,} of "
                    f"{self.published:,} events reached the projection."
                )
            time.sleep(0.2)
        self._window = []

    def _arrived_since(self, start: float) -> int:
        return sum(1 for stamp, _ms in list(self._window) if stamp >= start)

    def capacity(self, count: int, timeout_s: float = 180.0) -> dict[str, float]:
        """Publish `count` events at once; return the router's and the projection's rates.

        Both rates count from the start of publishing, which at about 9,000 events/s takes
        a small part of the time, so they show what each stage takes when never idle.
        """
        lookups = Consumer({"bootstrap.servers": self.servers, "group.id": "e2e-capacity"})
        routed_before, arrived_before = self._routed(lookups), self.arrived
        start = time.monotonic()
        with Producer(self.servers, self.registry_url, auto_register=True) as producer:
            for index in range(count):
                event = DoorUnlocked(lock_id=f"lock-{index % 500}", method=AccessMethod.KEY)
                producer.publish_nowait(event, topic=self.source)
            producer.flush(120)
        self.published += count
        routed_s = projected_s = timeout_s
        while time.monotonic() - start < timeout_s:
            elapsed = time.monotonic() - start
            if routed_s == timeout_s and self._routed(lookups) - routed_before >= count:
                routed_s = elapsed
            if self.arrived - arrived_before >= count:
                projected_s = elapsed
                break
            time.sleep(0.1)
        lookups.close()
        self._window = []
        return {
            "routed_per_s": count / routed_s,
            "projected_per_s": count / projected_s,
            "events": float(count),
        }

    def _routed(self, lookups: Consumer) -> int:
        return sum(
            lookups.get_watermark_offsets(TopicPartition(self.target, partition), timeout=10)[1]
            for partition in range(PARTITIONS)
        )

    def _measure(self, batch: BatchApplied) -> None:
        for published in self.projection.pending:
            self._window.append((published, (batch.committed_at - published) * 1000))
        self.arrived += len(self.projection.pending)
        self.projection.pending.clear()


def row(step: Step) -> str:
    """Return the markdown table row of one measured rate."""
    e2e, raw = step.e2e_ms, step.raw_ms or [float("nan")]
    ok = "yes" if step.verdict() else "no"
    return (
        f"| {step.target_rate:,} | {step.achieved_rate:,.0f} | {step.arrived:,}/{step.published:,} "
        f"| {percentile(e2e, 50):.1f} | {percentile(e2e, 90):.1f} | {percentile(e2e, 99):.1f} "
        f"| {percentile(raw, 50):.1f} | {percentile(raw, 99):.1f} | {ok} |"
    )


def cpu_model() -> str:
    """Return the CPU model name, or `unknown`."""
    info = Path("/proc/cpuinfo")
    if info.exists():
        for line in info.read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return "unknown"


def render(main_step: Step, search: list[Step], seconds: float, capacity: dict[str, float]) -> str:
    """Return the markdown section."""
    passing = [step.target_rate for step in search if step.verdict()]
    p90, p99 = percentile(main_step.e2e_ms, 90), percentile(main_step.e2e_ms, 99)
    header = (
        "| target events/s | achieved | arrived/published | e2e p50 ms | e2e p90 ms "
        "| e2e p99 ms | raw p50 ms | raw p99 ms | p99 < 1 s, rate held |\n"
        "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |"
    )
    return "\n".join(
        [
            "## e2e: publish, router, projection updated",
            "",
            f"{os.cpu_count()} cores ({cpu_model()}); broker, registry, two router workers "
            "(as deploy/processors.yaml runs them), the "
            "publisher process, the raw consumer process and the projection all share them. "
            f"{WARMUP_S:.0f} s of warm-up are not counted; the main run measures {seconds:.0f} s. "
            "e2e: from `occurred_at` (set just before publish, millisecond precision) to the "
            "commit of the SQLite transaction that applied the event. raw: plain "
            "confluent-kafka consumer on the source topic, publish to consume, same run.",
            "",
            header,
            row(main_step),
            "",
            f"At {TARGET_RATE:,} events/s: p90 {p90:.1f} ms (target <= 40 ms: "
            f"{'met' if p90 <= 40 else 'missed'}), p99 {p99:.1f} ms (target <= 80 ms: "
            f"{'met' if p99 <= 80 else 'missed'}).",
            "",
            "Rate steps (shorter runs), stopping at the first that fails:",
            "",
            header,
            *[row(step) for step in search],
            "",
            f"Stage capacity, {capacity['events']:,.0f} events published at once: the router "
            f"wrote {capacity['routed_per_s']:,.0f} events/s to its target, and the projection "
            f"was updated at {capacity['projected_per_s']:,.0f} events/s end to end. The "
            "slower of the two bounds the steady rate. Load average (1 min) at the end of "
            f"the run: {os.getloadavg()[0]:.1f}.",
            "",
            f"Highest steady rate with p99 under one second: {max(passing):,} events/s."
            if passing
            else "No rate held p99 under one second.",
        ]
    )


def main() -> None:
    """Run the benchmark and write its section."""
    parser = bench_arguments(__doc__.splitlines()[0] if __doc__ else "e2e")
    args = parser.parse_args()
    seconds = max(5.0, 20.0 * args.scale)
    search_seconds = max(4.0, 8.0 * args.scale)
    with broker(args.bootstrap_servers) as servers, tempfile.TemporaryDirectory() as folder:
        registry = start_registry(servers, log_dir=Path(folder))
        registry.wait_ready(primary=True)
        pipeline = Pipeline(servers, registry.url, Path(folder))
        try:
            pipeline.start()
            capacity = pipeline.capacity(max(2_000, int(10_000 * args.scale)))
            search = []
            for rate in SEARCH_RATES:
                try:
                    step = pipeline.measure(rate, search_seconds)
                except TimeoutError as exc:
                    print(f"rate {rate}: not measured: {exc}")
                    break
                search.append(step)
                print(f"rate {rate}: {step.achieved_rate:.0f}/s, {step.arrived}/{step.published}")
                if not step.verdict():
                    break
            main_step = pipeline.measure(TARGET_RATE, seconds)
        finally:
            pipeline.stop()
            registry.stop()
    write_section(args.report, render(main_step, search, seconds, capacity))


if __name__ == "__main__":
    main()
