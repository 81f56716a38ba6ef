"""The physical limit: Kafka's own ProducerPerformance next to a raw confluent-kafka producer.

Both send the same number of 300-byte records with acks=all and idempotence to the same
local broker, in the same run. Every later producer figure is read against these two.
"""

from __future__ import annotations

import re
import subprocess
import sys
import time
import uuid
from pathlib import Path

from confluent_kafka import Producer

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from common import bench_arguments, broker, create_topic, write_section
from keybus.cluster import KafkaDistribution, find_java

RECORD_SIZE_BYTES = 300
PRODUCER_SETTINGS = {
    "acks": "all",
    "enable.idempotence": "true",
    "linger.ms": "5",
    "batch.size": "131072",
    "compression.type": "none",
}


def java_producer_performance(servers: str, topic: str, records: int) -> float:
    """Run Kafka's ProducerPerformance tool and return its records per second."""
    distribution = KafkaDistribution.default()
    distribution.fetch()
    props = [f"{key}={value}" for key, value in PRODUCER_SETTINGS.items()]
    command = [
        find_java(),
        "-Xmx512m",
        "-cp",
        distribution.classpath,
        "org.apache.kafka.tools.ProducerPerformance",
        "--topic",
        topic,
        "--num-records",
        str(records),
        "--record-size",
        str(RECORD_SIZE_BYTES),
        "--throughput",
        "-1",
        "--producer-props",
        f"bootstrap.servers={servers}",
        *props,
    ]
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    summary = [line for line in output.splitlines() if "records sent" in line][-1]
    match = re.search(r"records sent, ([\d.]+) records/sec", summary)
    if match is None:
        raise RuntimeError(f"Unexpected ProducerPerformance output: {summary}")
    return float(match.group(1))


def python_raw_producer(servers: str, topic: str, records: int) -> float:
    """Send pre-built records with confluent-kafka and return records per second."""
    producer = Producer({"bootstrap.servers": servers, **PRODUCER_SETTINGS})
    payload = b"x" * RECORD_SIZE_BYTES
    producer.produce(topic, payload)
    producer.flush(30)
    started = time.perf_counter()
    for _ in range(records):
        while True:
            try:
                producer.produce(topic, payload)
                break
            except BufferError:
                producer.poll(0.01)
        producer.poll(0)
    producer.flush(120)
    return records / (time.perf_counter() - started)


def main() -> None:
    """Measure both producers and append the section to the report."""
    args = bench_arguments(__doc__ or "").parse_args()
    records = int(500_000 * args.scale)
    with broker(args.bootstrap_servers) as servers:
        java_rate = java_producer_performance(servers, create_topic(servers, _name()), records)
        python_rate = python_raw_producer(servers, create_topic(servers, _name()), records)
    megabytes = RECORD_SIZE_BYTES / 1_000_000
    section = f"""## Kafka producer baseline

{records:,} records of {RECORD_SIZE_BYTES} bytes, acks=all, idempotence, linger.ms=5,
3 partitions, one local broker on the same machine as the client.

| producer | records/s | MB/s | ratio to Kafka's tool |
| --- | ---: | ---: | ---: |
| Kafka ProducerPerformance (Java) | {java_rate:,.0f} | {java_rate * megabytes:.1f} | 1.00 |
| confluent-kafka, pre-built bytes | {python_rate:,.0f} | {python_rate * megabytes:.1f} \
| {python_rate / java_rate:.2f} |

Both clients share the two cores with the broker, so the figures are the limit of this
machine, not of Kafka.
"""
    write_section(args.report, section)


def _name() -> str:
    return f"bench-kafka-{uuid.uuid4().hex[:8]}"


if __name__ == "__main__":
    main()
