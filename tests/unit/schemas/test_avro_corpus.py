"""Third-party Avro schemas: accepted or rejected as the corpus README lists; pair verdicts.

Real: the schema files and evolution pairs of the corpus, copied unmodified from public
repositories, and the verdicts its README and expected.json files give. Nothing faked.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from keybus.schemas import (
    AvroSchema,
    CompatibilityLevel,
    InvalidSchemaError,
    check_compatibility,
    parse_avro,
)

CORPUS = Path(__file__).resolve().parents[3].parent / "shared" / "data" / "avro-corpus"
NEEDS_REFERENCES = "valid but needs-references:"

# Referenced types the corpus does not hold, defined here as their users need them: each
# evolution pair that uses one keeps it unchanged, so any definition gives the same verdict,
# and TestEnum has the symbols its users' defaults name.
STAND_INS = {
    "com.acme.TestEnum": json.dumps(
        {"type": "enum", "name": "com.acme.TestEnum", "symbols": ["SYMBOL_A", "SYMBOL_B"]}
    ),
    "com.acme.TestRecord": json.dumps(
        {
            "type": "record",
            "name": "com.acme.TestRecord",
            "fields": [{"name": "id", "type": "long"}],
        }
    ),
    "org.apache.gobblin.service.monitoring.GenericStoreChangeEvent": json.dumps(
        {
            "type": "record",
            "name": "GenericStoreChangeEvent",
            "namespace": "org.apache.gobblin.service.monitoring",
            "fields": [{"name": "txId", "type": "string"}],
        }
    ),
}


def corpus_statuses() -> dict[str, str]:
    """Return {file under schemas/: status} from the README's file table."""
    statuses: dict[str, str] = {}
    readme = (CORPUS / "README.md").read_text(encoding="utf-8")
    for line in readme.splitlines():
        if line.startswith("| `schemas/"):
            cells = [cell.strip() for cell in line.split("|")]
            statuses[cells[1].strip("`").removeprefix("schemas/")] = cells[4]
    return statuses


STATUSES = corpus_statuses()


def named_types() -> dict[str, str]:
    """Return {full name: schema text} for the named types the valid corpus files define."""
    index: dict[str, str] = {}
    for key, status in STATUSES.items():
        if status != "valid":
            continue
        text = (CORPUS / "schemas" / key).read_text(encoding="utf-8")
        root = json.loads(text)
        for item in root if isinstance(root, list) else [root]:
            if isinstance(item, dict) and "name" in item:
                name, namespace = item["name"], item.get("namespace")
                index.setdefault(
                    name if "." in name or not namespace else f"{namespace}.{name}", text
                )
    return {**index, **STAND_INS}


NAMED_TYPES = named_types()


def find_named_type(name: str) -> str:
    """Return the text defining `name`; a bare name matches a full name ending in it."""
    if name in NAMED_TYPES:
        return NAMED_TYPES[name]
    matches = [text for full, text in NAMED_TYPES.items() if full.endswith(f".{name}")]
    assert len(matches) == 1, f"{name} is defined {len(matches)} times in the corpus"
    return matches[0]


def test_corpus_table_complete() -> None:
    files = {
        path.relative_to(CORPUS / "schemas").as_posix()
        for path in (CORPUS / "schemas").rglob("*.avsc")
    }

    assert set(STATUSES) == files
    assert len(files) == 167


@pytest.mark.parametrize("key", sorted(k for k, s in STATUSES.items() if s == "valid"))
def test_valid_schema_accepted(key: str) -> None:
    text = (CORPUS / "schemas" / key).read_text(encoding="utf-8")

    schema = parse_avro(text)

    assert parse_avro(schema.text).text == schema.text


@pytest.mark.parametrize("key", sorted(k for k, s in STATUSES.items() if s.startswith("INVALID")))
def test_invalid_schema_rejected(key: str) -> None:
    text = (CORPUS / "schemas" / key).read_text(encoding="utf-8")

    with pytest.raises(InvalidSchemaError) as caught:
        parse_avro(text)

    assert caught.value.message.startswith("Invalid schema")


@pytest.mark.parametrize(
    "key", sorted(k for k, s in STATUSES.items() if s.startswith(NEEDS_REFERENCES))
)
def test_schema_needing_references(key: str) -> None:
    text = (CORPUS / "schemas" / key).read_text(encoding="utf-8")
    names = [name.strip() for name in STATUSES[key].removeprefix(NEEDS_REFERENCES).split(",")]
    references = {name: find_named_type(name) for name in names}

    with pytest.raises(InvalidSchemaError, match="unknown type"):
        parse_avro(text)
    schema = parse_avro(text, references)

    assert parse_avro(schema.text, references).text == schema.text


def evolution_cases() -> list[str]:
    return sorted(path.name for path in (CORPUS / "evolution").iterdir())


def load_pair(case: str) -> tuple[AvroSchema, AvroSchema, dict[str, bool]]:
    folder = CORPUS / "evolution" / case
    expected = json.loads((folder / "expected.json").read_text(encoding="utf-8"))
    names = [item.split(" ")[0] for item in expected.get("references", [])]
    references = {name: NAMED_TYPES[name] for name in names}
    # The old schema was stored once, so it is parsed as stored schemas are: leniently.
    old = parse_avro(
        (folder / "old.avsc").read_text(encoding="utf-8"), references, validate_defaults=False
    )
    new = parse_avro((folder / "new.avsc").read_text(encoding="utf-8"), references)
    return old, new, expected


def test_evolution_cases_present() -> None:
    assert len(evolution_cases()) == 42


@pytest.mark.parametrize("case", evolution_cases())
def test_evolution_pair_verdict(case: str) -> None:
    old, new, expected = load_pair(case)

    verdicts = {level: check_compatibility(new, [old], level) == [] for level in CompatibilityLevel}

    assert verdicts[CompatibilityLevel.NONE] is True
    assert verdicts[CompatibilityLevel.BACKWARD] is expected["backward"]
    assert verdicts[CompatibilityLevel.BACKWARD_TRANSITIVE] is expected["backward"]
    assert verdicts[CompatibilityLevel.FORWARD] is expected["forward"]
    assert verdicts[CompatibilityLevel.FORWARD_TRANSITIVE] is expected["forward"]
    assert verdicts[CompatibilityLevel.FULL] is (expected["backward"] and expected["forward"])
    assert verdicts[CompatibilityLevel.FULL_TRANSITIVE] is verdicts[CompatibilityLevel.FULL]


def without_level(messages: list[str]) -> list[str]:
    return [message.split(": ", 1)[1] for message in messages]


CHAINS = [
    ["gobblin-gaas-obs-v0-v1", "gobblin-gaas-obs-v1-v2"],
    ["gobblin-gaas-obs-v3-v4", "gobblin-gaas-obs-v4-v5"],
    ["gobblin-jsontoavro-v1-v2", "gobblin-jsontoavro-v2-v3"],
    ["gobblin-gmce-v1-v2", "gobblin-gmce-v2-v3"],
]


@pytest.mark.parametrize("chain", CHAINS, ids=[chain[0] for chain in CHAINS])
@pytest.mark.parametrize("level", ["BACKWARD", "FORWARD", "FULL"])
def test_evolution_chain_transitive(chain: list[str], level: str) -> None:
    first_old, first_new, _ = load_pair(chain[0])
    second_old, latest, _ = load_pair(chain[1])
    history = [first_old, second_old]

    plain = without_level(check_compatibility(latest, history, CompatibilityLevel(level)))
    transitive_level = CompatibilityLevel(f"{level}_TRANSITIVE")
    transitive = without_level(check_compatibility(latest, history, transitive_level))
    against_oldest = check_compatibility(latest, [first_old], CompatibilityLevel(level))

    assert first_new.fingerprint() == second_old.fingerprint()
    assert set(plain) <= set(transitive)
    assert len(transitive) == len(plain) + len(against_oldest)
