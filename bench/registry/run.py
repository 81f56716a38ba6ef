"""Registry benchmark: cached schema look-ups by id and by content, under concurrent load.

The load comes from a second process (`load.py`, raw HTTP/1.1 keep-alive connections)
so that client and server each get a core. The raw baseline is a bare ASGI app on the
same uvicorn stack (`baseline.py`), measured in the same run.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from common import bench_arguments, broker, write_section
from keybus.testing import free_port
from keybus.testing.registry import start_registry

HERE = Path(__file__).resolve().parent
CONNECTIONS = 8
DURATION_S = 10.0
SCHEMA = json.dumps(
    {
        "type": "record",
        "name": "DoorUnlocked",
        "namespace": "com.example.access",
        "fields": [
            {"name": "event_id", "type": "string"},
            {"name": "door_id", "type": "string"},
            {"name": "occurred_at", "type": {"type": "long", "logicalType": "timestamp-millis"}},
        ],
    }
)


def measure(
    url: str, *, method: str = "GET", body: str = "", duration_s: float
) -> dict[str, float]:
    """Run the load generator against one URL and return its summary."""
    command = [
        sys.executable,
        str(HERE / "load.py"),
        url,
        "--method",
        method,
        "--body",
        body,
        "--connections",
        str(CONNECTIONS),
        "--duration-s",
        str(duration_s),
    ]
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    summary: dict[str, float] = json.loads(output)
    if summary["errors"]:
        raise SystemExit(f"{summary['errors']} requests to {url} did not respond with 200")
    return summary


def start_baseline() -> tuple[subprocess.Popen[bytes], str]:
    """Start the bare ASGI baseline and return it with its URL."""
    port = free_port()
    process = subprocess.Popen([sys.executable, str(HERE / "baseline.py"), str(port)])
    url = f"http://127.0.0.1:{port}"
    for _ in range(100):
        try:
            httpx.get(url, timeout=1.0)
        except httpx.HTTPError:
            time.sleep(0.1)
        else:
            return process, url
    process.kill()
    raise SystemExit("The baseline server did not start within 10 s.")


def row(name: str, summary: dict[str, float], baseline_rps: float) -> str:
    """Format one result row of the report table."""
    return (
        f"| {name} | {summary['rps']:,.0f} | {summary['p50_ms']:.2f} | {summary['p99_ms']:.2f} "
        f"| {summary['rps'] / baseline_rps:.2f} |"
    )


def measure_registry(registry_url: str, baseline_url: str, duration_s: float) -> dict[str, Any]:
    """Register the benchmark schema, then load the baseline and each registry request."""
    subject = "bench-value"
    registered = httpx.post(f"{registry_url}/subjects/{subject}/versions", json={"schema": SCHEMA})
    schema_id = registered.raise_for_status().json()["id"]
    return {
        "raw baseline: bare ASGI app, GET": measure(f"{baseline_url}/", duration_s=duration_s),
        f"registry GET /schemas/ids/{schema_id}": measure(
            f"{registry_url}/schemas/ids/{schema_id}", duration_s=duration_s
        ),
        f"registry GET /schemas/ids/{schema_id}?n=<distinct>, not cached": measure(
            f"{registry_url}/schemas/ids/{schema_id}?n={{n}}", duration_s=duration_s
        ),
        f"registry POST /subjects/{subject} (look-up)": measure(
            f"{registry_url}/subjects/{subject}",
            method="POST",
            body=json.dumps({"schema": SCHEMA}),
            duration_s=duration_s,
        ),
    }


def main() -> None:
    """Start a registry, load it, and append the report section."""
    args = bench_arguments(__doc__ or "").parse_args()
    duration_s = max(2.0, DURATION_S * args.scale)
    with broker(args.bootstrap_servers) as servers, tempfile.TemporaryDirectory() as logs:
        registry = start_registry(servers, log_dir=Path(logs))
        baseline, baseline_url = start_baseline()
        try:
            registry.wait_ready(primary=True)
            results = measure_registry(registry.url, baseline_url, duration_s)
        finally:
            registry.stop()
            baseline.terminate()
            baseline.wait(10)
    baseline_rps = next(iter(results.values()))["rps"]
    lines = [
        "## registry",
        "",
        f"Cached registry look-ups under load from a second process: {CONNECTIONS} keep-alive "
        f"connections for {duration_s:.0f} s each, after a 1 s warm-up. Target for the cached "
        "GET: at least 5,000 requests/s with p99 under 5 ms. The row with a distinct query "
        "string per request misses the response cache and shows the full API path.",
        "",
        "| request | requests/s | p50 ms | p99 ms | ratio to baseline |",
        "| --- | ---: | ---: | ---: | ---: |",
        *(row(name, summary, baseline_rps) for name, summary in results.items()),
    ]
    write_section(args.report, "\n".join(lines))


if __name__ == "__main__":
    main()
