"""Run every benchmark under bench/ against one broker and write bench/REPORT.md.

Each benchmark is a `bench/<name>/run.py` script that accepts `--bootstrap-servers`,
`--report` and `--scale`, measures keybus next to a raw baseline in the same run, and
appends one markdown section. A failing benchmark is reported and the others still run.
"""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path

import confluent_kafka
import fastavro

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))

from common import broker  # noqa: E402
from keybus.cluster import find_java, kafka_version  # noqa: E402


def machine_description() -> str:
    """Describe the machine, the versions and the time of the run."""
    cpu = "unknown"
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        models = [
            line.split(":", 1)[1].strip()
            for line in cpuinfo.read_text().splitlines()
            if line.startswith("model name")
        ]
        cpu = models[0] if models else cpu
    memory_gib = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    java = subprocess.run(
        [find_java(), "-version"], capture_output=True, text=True, check=False
    ).stderr
    client_versions = f"{confluent_kafka.version()} / {confluent_kafka.libversion()[0]}"
    return f"""# keybus benchmark report

Run {datetime.now(UTC):%Y-%m-%d %H:%M} UTC with `make bench`.

| | |
| --- | --- |
| machine | {os.cpu_count()} cores, {cpu}, {memory_gib:.0f} GiB |
| OS | {platform.platform()} |
| Python | {platform.python_version()} |
| confluent-kafka / librdkafka | {client_versions} |
| fastavro | {fastavro.__version__} |
| Apache Kafka (local broker) | {kafka_version()} |
| Java | {java.splitlines()[0] if java else "unknown"} |

Every figure below is measured in the same run as its raw baseline, on one local broker
that shares the machine with the client, and is reported as a ratio to that baseline.

"""


def main() -> None:
    """Run all benchmarks, or those named on the command line."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("names", nargs="*", help="Benchmarks to run (default: all).")
    parser.add_argument("--report", type=Path, default=BENCH / "REPORT.md")
    parser.add_argument("--scale", type=float, default=1.0)
    args = parser.parse_args()
    scripts = sorted(BENCH.glob("*/run.py"))
    if args.names:
        scripts = [script for script in scripts if script.parent.name in args.names]
    with tempfile.NamedTemporaryFile("w+", suffix=".md") as sections:
        failures = _run_all(scripts, Path(sections.name), args.scale)
        report = machine_description() + Path(sections.name).read_text()
    args.report.write_text(report)
    print(f"wrote {args.report}")
    if failures:
        print("failed benchmarks: " + ", ".join(failures), file=sys.stderr)
        raise SystemExit(1)


def _run_all(scripts: list[Path], sections: Path, scale: float) -> list[str]:
    failures = []
    with broker(os.environ.get("KEYBUS_BOOTSTRAP_SERVERS")) as servers:
        for script in scripts:
            name = script.parent.name
            print(f"== {name}", flush=True)
            command = [
                sys.executable,
                str(script),
                "--bootstrap-servers",
                servers,
                "--report",
                str(sections),
                "--scale",
                str(scale),
            ]
            if subprocess.run(command, check=False).returncode != 0:
                failures.append(name)
                with sections.open("a") as handle:
                    handle.write(f"## {name}\n\nThis benchmark failed in this run.\n\n")
    return failures


if __name__ == "__main__":
    main()
