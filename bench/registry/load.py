"""HTTP/1.1 keep-alive load generator: fixed request, many connections, latency per request.

Runs in its own process so that it does not share an event loop or a GIL with the
server. It prints one JSON object: requests, seconds, requests per second, p50 and p99.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import statistics
import time
from urllib.parse import urlsplit

try:
    import uvloop
except ImportError:  # pragma: no cover - uvloop comes with the registry extra
    uvloop = None


_COUNTER = itertools.count()


def build_request(url: str, method: str, body: bytes) -> tuple[str, int, bytes]:
    """Return host, port and the raw bytes of the request to send repeatedly."""
    parts = urlsplit(url)
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    if "{n}" in path:
        # Filled in per request by `run_connection`, so every request is distinct.
        path = path.replace("{n}", "%d")
    head = [f"{method} {path} HTTP/1.1", f"Host: {parts.hostname}:{parts.port}"]
    if body:
        head += [
            "Content-Type: application/vnd.schemaregistry.v1+json",
            f"Content-Length: {len(body)}",
        ]
    raw = ("\r\n".join(head) + "\r\n\r\n").encode() + body
    return parts.hostname or "127.0.0.1", parts.port or 80, raw


async def run_connection(
    host: str, port: int, request: bytes, deadline: float, latencies: list[float]
) -> int:
    """Send the request over one connection until the deadline; return non-200 count."""
    reader, writer = await asyncio.open_connection(host, port)
    errors = 0
    distinct = b"%d" in request
    try:
        while time.perf_counter() < deadline:
            started = time.perf_counter()
            writer.write(request % next(_COUNTER) if distinct else request)
            head = await reader.readuntil(b"\r\n\r\n")
            length = 0
            for line in head.split(b"\r\n"):
                if line[:15].lower() == b"content-length:":
                    length = int(line[15:])
            await reader.readexactly(length)
            latencies.append(time.perf_counter() - started)
            if not head.startswith(b"HTTP/1.1 200"):
                errors += 1
    finally:
        writer.close()
    return errors


async def run(
    url: str, method: str, body: bytes, connections: int, duration_s: float
) -> dict[str, float]:
    """Run the load and summarize it."""
    host, port, request = build_request(url, method, body)
    latencies: list[float] = []
    warmup: list[float] = []
    await asyncio.gather(
        *(
            run_connection(host, port, request, time.perf_counter() + 1.0, warmup)
            for _ in range(connections)
        )
    )
    started = time.perf_counter()
    deadline = started + duration_s
    errors = await asyncio.gather(
        *(run_connection(host, port, request, deadline, latencies) for _ in range(connections))
    )
    elapsed = time.perf_counter() - started
    quantiles = statistics.quantiles(latencies, n=100)
    return {
        "requests": len(latencies),
        "errors": sum(errors),
        "seconds": elapsed,
        "rps": len(latencies) / elapsed,
        "p50_ms": quantiles[49] * 1000,
        "p99_ms": quantiles[98] * 1000,
    }


def main() -> None:
    """Parse arguments, run the load, print the summary as JSON."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("url")
    parser.add_argument("--method", default="GET")
    parser.add_argument("--body", default="")
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--duration-s", type=float, default=10.0)
    args = parser.parse_args()
    if uvloop is not None:
        uvloop.install()
    summary = asyncio.run(
        run(args.url, args.method, args.body.encode(), args.connections, args.duration_s)
    )
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
