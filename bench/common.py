"""Helpers shared by the benchmarks: a broker to run against and report sections."""

from __future__ import annotations

import argparse
import contextlib
from collections.abc import Iterator
from pathlib import Path

from confluent_kafka.admin import AdminClient, NewTopic

from keybus.testing import local_kafka

__all__ = ["bench_arguments", "broker", "create_topic", "write_section"]


def bench_arguments(description: str) -> argparse.ArgumentParser:
    """Return a parser with the options every benchmark accepts."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument(
        "--bootstrap-servers",
        help="Kafka to run against; without it a throwaway local Kafka is started.",
    )
    parser.add_argument("--report", type=Path, help="Markdown file to append the section to.")
    parser.add_argument(
        "--scale",
        type=float,
        default=1.0,
        help="Multiplier for record counts (0.1 for a smoke run).",
    )
    return parser


@contextlib.contextmanager
def broker(bootstrap_servers: str | None) -> Iterator[str]:
    """Yield bootstrap servers: the given ones, or a local Kafka started for the benchmark."""
    if bootstrap_servers:
        yield bootstrap_servers
        return
    with local_kafka("bench") as cluster:
        yield cluster.bootstrap_servers


def create_topic(servers: str, name: str, partitions: int = 3) -> str:
    """Create a topic for one measurement and return its name."""
    admin = AdminClient({"bootstrap.servers": servers})
    admin.create_topics([NewTopic(name, partitions, 1)])[name].result()
    return name


def write_section(report: Path | None, markdown: str) -> None:
    """Print a report section and append it to the report file when one is given."""
    print(markdown)
    if report is not None:
        with report.open("a") as handle:
            handle.write(markdown.rstrip() + "\n\n")
