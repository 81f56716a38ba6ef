"""Schema benchmark: keybus parsing and compatibility checks next to the avro package.

Parsing and checking need no broker, so this benchmark ignores `--bootstrap-servers`. It
reads the third-party schema corpus that sits beside the repository (`../shared/data/
avro-corpus`), the same schemas the tests use.
"""

from __future__ import annotations

import json
import platform
import sys
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import avro
import avro.errors
import avro.schema
import fastavro
from avro.compatibility import ReaderWriterCompatibilityChecker

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from common import bench_arguments, write_section
from keybus.schemas import check_reader_writer, parse_avro
from keybus.schemas.avro import _parse_cached

CORPUS = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "avro-corpus"
ROUNDS = 20

# The avro package warns once per unknown logical type (big-decimal, fixed-size-string in
# the corpus) and parses it as the underlying type, which is all this benchmark needs.
warnings.simplefilter("ignore", avro.errors.IgnoredLogicalType)


def load_corpus() -> tuple[list[str], list[tuple[str, str]]]:
    """Return the self-contained corpus schemas all three parsers accept, and the pairs."""
    if not CORPUS.is_dir():
        raise SystemExit(f"Schema corpus not found at {CORPUS}. Place it there to run this.")
    texts = []
    for path in sorted((CORPUS / "schemas").rglob("*.avsc")):
        text = path.read_text(encoding="utf-8")
        try:
            parse_avro(text)
            avro.schema.parse(text)
            fastavro.parse_schema(json.loads(text), _force=True)
        except Exception:  # noqa: BLE001 - any parser's rejection drops the schema
            continue
        texts.append(text)
    pairs = []
    for case in sorted((CORPUS / "evolution").iterdir()):
        old = (case / "old.avsc").read_text(encoding="utf-8")
        new = (case / "new.avsc").read_text(encoding="utf-8")
        if _parses_alone(old) and _parses_alone(new):
            pairs.append((old, new))
    return texts, pairs


def _parses_alone(text: str) -> bool:
    try:
        parse_avro(text, validate_defaults=False)
        avro.schema.parse(text)
    except Exception:  # noqa: BLE001 - a schema either parser rejects is left out
        return False
    return True


def time_per_call(function: Callable[[Any], object], items: list[Any], rounds: int) -> float:
    """Return the mean seconds per call of `function` over `items`, repeated `rounds` times."""
    started = time.perf_counter()
    for _ in range(rounds):
        for item in items:
            function(item)
    return (time.perf_counter() - started) / (rounds * len(items))


def parse_rows(texts: list[str], rounds: int) -> list[tuple[str, float]]:
    """Measure the parsers on every schema text."""
    return [
        ("avro.schema.parse (baseline)", time_per_call(avro.schema.parse, texts, rounds)),
        (
            "fastavro.parse_schema",
            time_per_call(
                lambda t: fastavro.parse_schema(json.loads(t), _force=True), texts, rounds
            ),
        ),
        (
            "keybus parse_avro, not cached",
            time_per_call(lambda t: _parse_cached.__wrapped__(t, (), True), texts, rounds),
        ),
        ("keybus parse_avro, cached", time_per_call(parse_avro, texts, rounds)),
        (
            "keybus fingerprint, parsed",
            time_per_call(lambda t: parse_avro(t).fingerprint(), texts, rounds),
        ),
    ]


def check_rows(pairs: list[tuple[str, str]], rounds: int) -> list[tuple[str, float]]:
    """Measure both checkers on every pair in both directions, schemas already parsed."""
    avro_pairs = []
    keybus_pairs = []
    for old, new in pairs:
        avro_old, avro_new = avro.schema.parse(old), avro.schema.parse(new)
        avro_pairs += [(avro_new, avro_old), (avro_old, avro_new)]
        keybus_old = parse_avro(old, validate_defaults=False)
        keybus_new = parse_avro(new, validate_defaults=False)
        keybus_pairs += [(keybus_new, keybus_old), (keybus_old, keybus_new)]
    return [
        (
            "avro ReaderWriterCompatibilityChecker (baseline)",
            time_per_call(
                lambda pair: ReaderWriterCompatibilityChecker().get_compatibility(*pair),
                avro_pairs,
                rounds,
            ),
        ),
        (
            "keybus check_reader_writer",
            time_per_call(lambda pair: check_reader_writer(*pair), keybus_pairs, rounds),
        ),
    ]


def table(rows: list[tuple[str, float]]) -> list[str]:
    baseline = rows[0][1]
    lines = ["| operation | µs per call | vs baseline |", "| --- | ---: | ---: |"]
    for name, seconds in rows:
        lines.append(f"| {name} | {seconds * 1e6:,.1f} | {baseline / seconds:.2f}x |")
    return lines


def schemas_section(scale: float) -> str:
    """Measure parsing and checking and return the markdown section."""
    rounds = max(1, int(ROUNDS * scale))
    texts, pairs = load_corpus()
    return "\n".join(
        [
            "## schemas: parsing and compatibility checks",
            "",
            f"{len(texts)} corpus schemas that every parser accepts, {len(pairs)} evolution "
            f"pairs checked both ways, {rounds} rounds, one thread, Python "
            f"{platform.python_version()}, avro {avro.__version__}, fastavro "
            f"{fastavro.__version__}. Higher than 1x is faster than the baseline.",
            "",
            *table(parse_rows(texts, rounds)),
            "",
            *table(check_rows(pairs, rounds)),
            "",
            "keybus parsing also validates defaults, names and unions and writes the canonical "
            "text, which the baseline parser does not; a registry parses each text once and "
            "then hits the cache.",
        ]
    )


def main() -> None:
    """Run the benchmark and append its section to the report."""
    parser = bench_arguments(__doc__ or "")
    args = parser.parse_args()
    write_section(args.report, schemas_section(args.scale))


if __name__ == "__main__":
    main()
