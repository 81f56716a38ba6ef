"""Import throughput: `keybus import` of the largest real log next to a raw producer.

One run imports the BPI Challenge 2012 log (262,200 events; `--scale` keeps the first
part of its traces) with the importer's Python API. The importer reads the XES file
once for schema inference and keeps the rows in memory. It reads plain traces with one
regular expression per event and anything else with expat. It then builds the fields of
each event, encodes them with the importer's record encoder (the attributes record with
the schema's compiled codec) and queues the records in Kafka transactions of 20,000
rows, each with a progress record. Python's cyclic garbage collector is paused
meanwhile. The benchmark then reads the imported records back (key, framed value and
headers, all pre-encoded) and sends the same records with the raw confluent-kafka
producer, with the importer's producer settings (idempotence, acks=all, no compression,
the murmur2 partitioner, linger.ms=100, batch.size=1,000,000), once plainly and once in
transactions of 20,000 records.

Every loop is timed in wall-clock seconds and in client CPU seconds (this process,
librdkafka's threads included). On a shared machine the CPU figures vary less. The
stages of the importer are also timed alone, without Kafka, in CPU seconds, with the
collector paused as in the import.

What limits the figure: the importer spends its CPU in Python, one row after another in
one thread, and the raw producer only queues bytes that exist already. At a CPU ratio of
0.5 the import may use twice the raw loop's CPU, and queueing and sending take one of
those two shares. The report also times two floors that any Python importer of the log
pays, in CPU seconds: decompressing the file and extracting its attribute values with
the reader's regular expression without building rows, and deriving the event ids. In
the runs so far they took 0.7 to 1.0 of the raw loop's CPU, so they fill the other share
nearly alone.
"""

from __future__ import annotations

import gzip
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from confluent_kafka import OFFSET_BEGINNING, Consumer, KafkaError, TopicPartition
from confluent_kafka import Producer as KafkaProducer

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from common import bench_arguments, broker, create_topic, write_section
from keybus.importer import (
    EventBuilder,
    ImportOptions,
    LogMapping,
    Reject,
    open_log,
    plan_import,
    run_import,
)
from keybus.importer.events import event_id_for_row
from keybus.importer.job import DEFAULT_BATCH_ROWS, collector_paused
from keybus.importer.publisher import IMPORT_PRODUCER_CONFIG, EventRecordHeaders
from keybus.importer.records import EventRecordEncoder
from keybus.importer.xes_traces import ATTRIBUTE
from keybus.testing.registry import start_registry

REPOSITORY = Path(__file__).resolve().parents[2]
DEFAULT_LOG = REPOSITORY.parent / "shared" / "data" / "event-logs" / "bpic2012.xes.gz"
TRANSACTION_RECORDS = DEFAULT_BATCH_ROWS
RAW_SETTINGS: dict[str, Any] = {
    "acks": "all",
    "enable.idempotence": True,
    "compression.type": "none",
    "partitioner": "murmur2_random",
    **IMPORT_PRODUCER_CONFIG,
}
"""The settings the SDK producer of an import runs with."""

Record = tuple[bytes, bytes, list[tuple[str, bytes]]]


@contextmanager
def registry(servers: str) -> Iterator[str]:
    """Run a keybus registry against `servers` for the benchmark's schema."""
    with tempfile.TemporaryDirectory(prefix="keybus-bench-registry-") as folder:
        process = start_registry(servers, log_dir=Path(folder))
        try:
            process.wait_ready(primary=True)
            yield process.url
        finally:
            process.stop()


def scaled_log(source: Path, scale: float, folder: Path) -> Path:
    """Return `source`, or a copy of its first `scale` share of traces when scale < 1."""
    if scale >= 1.0:
        return source
    with gzip.open(source, "rt", encoding="utf-8") as reader:
        text = reader.read()
    traces = text.count("<trace>")
    keep = max(1, int(traces * scale))
    head, _, rest = text.partition("<trace>")
    parts = rest.split("<trace>")[:keep]
    body = "<trace>" + "<trace>".join(parts)
    body = body[: body.rfind("</trace>") + len("</trace>")]
    target = folder / f"head-{keep}-{source.name}"
    with gzip.open(target, "wt", encoding="utf-8") as writer:
        writer.write(head + body + "\n</log>\n")
    return target


def import_log(servers: str, url: str, path: Path) -> dict[str, float]:
    """Import the log into a new topic; return events and seconds per phase."""
    log = open_log(path)
    mapping = LogMapping()
    topic = create_topic(servers, f"bench-import-{uuid.uuid4().hex[:8]}")
    started, started_cpu = time.perf_counter(), time.process_time()
    plan = plan_import(log, mapping)
    planned, planned_cpu = time.perf_counter(), time.process_time()
    options = ImportOptions(topic=topic, bootstrap_servers=servers, registry_url=url)
    result = run_import(log, mapping, plan, options)
    finished, finished_cpu = time.perf_counter(), time.process_time()
    return {
        "topic": topic,  # type: ignore[dict-item]
        "events": result.published,
        "plan_s": planned - started,
        "publish_s": finished - planned,
        "total_s": finished - started,
        "plan_cpu_s": planned_cpu - started_cpu,
        "publish_cpu_s": finished_cpu - planned_cpu,
        "total_cpu_s": finished_cpu - started_cpu,
    }


def stage_timings(path: Path) -> dict[str, float]:
    """Time each stage of the import alone, without Kafka, in CPU seconds.

    The cyclic garbage collector is paused, as the import pauses it.
    """
    with collector_paused():
        return _stage_timings(path)


def _stage_timings(path: Path) -> dict[str, float]:
    log = open_log(path)
    mapping = LogMapping()
    started = time.process_time()
    for _ in log.rows():
        pass
    read_s = time.process_time() - started
    started = time.process_time()
    plan = plan_import(log, mapping)
    plan_s = time.process_time() - started
    builder = EventBuilder(mapping, plan.scan.attributes, log.sha256)
    started = time.process_time()
    events = [builder.build_fields(row) for row in plan.rows(log)]
    build_s = time.process_time() - started
    encoder = EventRecordEncoder.for_schema(plan.schema, plan.parsed)
    if encoder is None:
        raise SystemExit("The inferred schema lacks the importer's own record layout.")
    headers = EventRecordHeaders(event_type="bench.Event", source="urn:bench", trace_id="0" * 32)
    fields = [event for event in events if not isinstance(event, Reject)]
    started = time.process_time()
    for event in fields:
        encoder.encode(event, b"\x00\x00\x00\x00\x01")
    encode_s = time.process_time() - started
    started = time.process_time()
    for event in fields:
        headers.for_event(event[0], event[3], event[1])
    headers_s = time.process_time() - started
    return {
        "read_s": read_s,
        "infer_s": plan_s - read_s,
        "build_s": build_s,
        "encode_s": encode_s,
        "headers_s": headers_s,
        **floor_timings(path, len(events)),
    }


def floor_timings(path: Path, rows: int) -> dict[str, float]:
    """Time the least Python work any importer of the log does, in CPU seconds.

    Reading: decompress the file, decode it and extract every attribute's key and value
    with the reader's regular expression, without building rows. Ids: derive the event
    id of each row.
    """
    started = time.process_time()
    with gzip.open(path) as reader:
        text = reader.read().decode()
    attributes = len(ATTRIBUTE.findall(text))
    read_s = time.process_time() - started
    del text
    started = time.process_time()
    for row in range(1, rows + 1):
        event_id_for_row("0" * 64, row)
    ids_s = time.process_time() - started
    return {"floor_read_s": read_s, "floor_ids_s": ids_s, "floor_attributes": attributes}


def read_records(servers: str, topic: str) -> list[Record]:
    """Read every committed record of `topic`: the pre-encoded rows of the baseline."""
    consumer = Consumer(
        {
            "bootstrap.servers": servers,
            "group.id": f"bench-{uuid.uuid4().hex[:8]}",
            "isolation.level": "read_committed",
            "enable.partition.eof": True,
        }
    )
    partitions = consumer.list_topics(topic, timeout=30).topics[topic].partitions
    consumer.assign([TopicPartition(topic, p, OFFSET_BEGINNING) for p in partitions])
    records: list[Record] = []
    at_end: set[int] = set()
    while len(at_end) < len(partitions):
        for message in consumer.consume(10_000, 1.0):
            if message.error() is not None:
                if message.error().code() == KafkaError._PARTITION_EOF:
                    at_end.add(message.partition())
                continue
            records.append((message.key(), message.value(), message.headers() or []))
    consumer.close()
    return records


def raw_produce(servers: str, records: list[Record], *, transactional: bool) -> tuple[float, float]:
    """Send the records with the raw producer; return seconds and CPU seconds."""
    topic = create_topic(servers, f"bench-import-raw-{uuid.uuid4().hex[:8]}")
    settings = dict(RAW_SETTINGS, **{"bootstrap.servers": servers})
    if transactional:
        settings["transactional.id"] = f"bench-raw-{uuid.uuid4().hex[:8]}"
    producer = KafkaProducer(settings)
    if transactional:
        producer.init_transactions(30)
    started, started_cpu = time.perf_counter(), time.process_time()
    for start in range(0, len(records), TRANSACTION_RECORDS):
        if transactional:
            producer.begin_transaction()
        for key, value, headers in records[start : start + TRANSACTION_RECORDS]:
            _produce(producer, topic, key, value, headers)
        if transactional:
            producer.commit_transaction(60)
    producer.flush(60)
    return time.perf_counter() - started, time.process_time() - started_cpu


def _produce(
    producer: KafkaProducer, topic: str, key: bytes, value: bytes, headers: list[Any]
) -> None:
    while True:
        try:
            producer.produce(topic, value=value, key=key, headers=headers)
        except BufferError:
            producer.poll(0.05)
        else:
            return


def report(
    path: Path, imported: dict[str, Any], stages: dict[str, float], raw: dict[str, float]
) -> str:
    """Return the markdown section of one run."""
    events = imported["events"]
    loops = {
        "keybus import (read, infer, build, encode, transactions)": "total",
        "keybus import, publishing pass only": "publish",
        "raw producer, pre-encoded records, idempotent": "plain",
        f"raw producer, pre-encoded records, transactions of {TRANSACTION_RECORDS:,}": "txn",
    }
    times = {**imported, **raw}
    baseline = times["plain_s"]
    baseline_cpu = times["plain_cpu_s"]
    lines = [
        f"## Import: {path.name} ({events:,} events)",
        "",
        "| loop | events/s | ratio to raw idempotent | client CPU s | CPU ratio |",
        "| --- | ---: | ---: | ---: | ---: |",
    ]
    for name, key in loops.items():
        seconds, cpu_s = times[f"{key}_s"], times[f"{key}_cpu_s"]
        lines.append(
            f"| {name} | {events / seconds:,.0f} | {baseline / seconds:.2f} | {cpu_s:.2f} "
            f"| {baseline_cpu / cpu_s:.2f} |"
        )
    lines += [
        "",
        "Client CPU is the benchmark process's CPU time, librdkafka's threads included; the "
        "CPU ratio is the raw idempotent loop's CPU time over the loop's. Stages without "
        f"Kafka, same run, CPU seconds: reading the rows {stages['read_s']:.2f}; inference "
        f"and keeping the rows {stages['infer_s']:.2f}; building events "
        f"{stages['build_s']:.2f}; encoding {stages['encode_s']:.2f}; headers "
        f"{stages['headers_s']:.2f}. Import phases: reading and inference "
        f"{imported['plan_s']:.1f} s, building and publishing {imported['publish_s']:.1f} s.",
        "",
        "What a ratio of 0.5 leaves, in client CPU: the import may use "
        f"{2 * baseline_cpu:.2f} s, twice the raw loop, and queueing and sending the records "
        f"takes the raw loop's {baseline_cpu:.2f} s of that. The other {baseline_cpu:.2f} s "
        "would have to hold reading, inference, building, encoding and headers, while two "
        f"floors alone take {stages['floor_read_s'] + stages['floor_ids_s']:.2f} s: "
        f"decompressing the file and extracting its {stages['floor_attributes']:,.0f} "
        "attribute values with the reader's regular expression, without building rows, "
        f"{stages['floor_read_s']:.2f}; deriving the event ids, {stages['floor_ids_s']:.2f}.",
    ]
    return "\n".join(lines)


def main() -> None:
    """Run the import benchmark and append its section to the report."""
    parser = bench_arguments(__doc__ or "")
    parser.add_argument("--log", type=Path, default=DEFAULT_LOG, help="The XES log to import.")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="keybus-bench-import-") as folder:
        path = scaled_log(args.log, args.scale, Path(folder))
        with broker(args.bootstrap_servers) as servers, registry(servers) as url:
            imported = import_log(servers, url, path)
            records = read_records(servers, imported["topic"])
            raw: dict[str, float] = {}
            raw["plain_s"], raw["plain_cpu_s"] = raw_produce(servers, records, transactional=False)
            raw["txn_s"], raw["txn_cpu_s"] = raw_produce(servers, records, transactional=True)
        stages = stage_timings(path)
        write_section(args.report, report(path, imported, stages, raw))


if __name__ == "__main__":
    main()
