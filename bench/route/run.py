"""Routing benchmark: the pattern matcher alone, next to a naive interpreter, in one run.

Matching needs no broker, so this part ignores `--bootstrap-servers`.
"""

from __future__ import annotations

import platform
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from matcher import measure_matcher

from common import bench_arguments, write_section

EVENTS = 4_000


def matcher_section(scale: float) -> str:
    """Measure the matcher and return its markdown section."""
    result = measure_matcher(max(200, int(EVENTS * scale)))
    seconds = result["seconds"]
    baseline = seconds["naive interpreter (baseline)"]
    rows = []
    for name, elapsed in seconds.items():
        events_per_s = result["events"] / elapsed
        patterns_per_s = events_per_s * result["rules"]
        rows.append(
            f"| {name} | {events_per_s:,.0f} | {patterns_per_s:,.0f} | {baseline / elapsed:.1f}x |"
        )
    index = ".".join(result["index_field"] or ["none"])
    return "\n".join(
        [
            "## route: matcher alone",
            "",
            f"{result['rules']} rules, {result['events']:,} events, {result['matches']:,} "
            f"matches (the same count from every matcher), one thread, Python "
            f"{platform.python_version()}, best of 3 rounds. Patterns per second = events "
            "per second x rules.",
            "",
            "| matcher | events/s | patterns/s | vs baseline |",
            "| --- | ---: | ---: | ---: |",
            *rows,
            "",
            f"The index on `{index}` leaves {result['candidates_per_event']:.0f} of the "
            f"{result['rules']} rules to test per event: those that list the event's type "
            "and those without an exact `type`, which are always tested. What remains is "
            "Python call overhead per condition. "
            "A rule set whose rules share no exactly-matched field gets only the "
            "compiled-per-rule speed.",
        ]
    )


def main() -> None:
    """Run the benchmark and append its section to the report."""
    parser = bench_arguments(__doc__ or "")
    args = parser.parse_args()
    write_section(args.report, matcher_section(args.scale))


if __name__ == "__main__":
    main()
