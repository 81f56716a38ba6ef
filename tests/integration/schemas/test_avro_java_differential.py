"""Compare keybus's Avro parser and checker with Apache Avro Java 1.12.2, the reference.

Real: Apache Avro Java (`Schema.Parser`, `Schema.toString`, `SchemaCompatibility`), built
by Maven from tests/differential/avro-java and run as one JVM per test that reads and
writes JSON lines, and the third-party schema corpus. Nothing is faked. Each difference
that remains is listed below with the reason keybus differs on purpose.
"""

from __future__ import annotations

import copy
import json
import shutil
import subprocess
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from keybus.schemas import InvalidSchemaError, parse_avro
from keybus.schemas.compatibility import check_reader_writer

REPO_ROOT = Path(__file__).resolve().parents[3]
ORACLE_DIR = REPO_ROOT / "tests" / "differential" / "avro-java"
CORPUS = REPO_ROOT.parent / "shared" / "data" / "avro-corpus"
MAVEN_TIMEOUT_S = 600
ORACLE_TIMEOUT_S = 300

# Corpus files Avro Java 1.12.2 parses and keybus rejects on purpose.
KNOWN_PARSE_DIFFERENCES: dict[str, str] = {
    "apache__gobblin/gobblin-core__src__test__resources__converter__fieldPickInput.avsc"
    "__at_3323543b6c.avsc": "Java checks a union default against any branch; the Avro "
    "specification and keybus require the first branch.",
    "linkedin__avro-util/helper__tests__helper-tests-common__src__main__resources__"
    "RecordWithInvalidUnionDefault.avsc": "Java checks a union default against any branch; "
    "keybus requires the first branch, as the specification does.",
    "linkedin__avro-util/parser__src__test__resources__schemas__badDefaultValues__"
    "BadPrimitiveUnion.avsc": "Java checks a union default against any branch; keybus "
    "requires the first branch, as the specification does.",
    "confluentinc__kafka-connect-datagen/src__main__resources__clickstream_schema.avro.avsc": (
        "Java's JSON reader accepts a trailing comma; keybus accepts only strict JSON."
    ),
    "linkedin__avro-util/parser__src__test__resources__schemas__"
    "TestMisleadingNamespaceRecord.avsc": "Java ignores a malformed 'namespace' attribute "
    "when the name is dotted; keybus rejects the malformed attribute.",
}

# Hand-written schemas on which keybus and Avro Java 1.12.2 disagree on purpose:
# (case id, schema text, Java accepts it, keybus accepts it, reason).
PARSE_PROBES: list[tuple[str, str, bool, bool, str]] = [
    (
        "enum-default-not-a-symbol",
        '{"type":"record","name":"R","fields":[{"name":"a","type":'
        '{"type":"enum","name":"E","symbols":["A"]},"default":"B"}]}',
        True,
        False,
        "Java checks only that an enum field default is a string; a reader could not decode it.",
    ),
    (
        "fixed-default-wrong-length",
        '{"type":"record","name":"R","fields":[{"name":"a","type":'
        '{"type":"fixed","name":"F","size":4},"default":"12345678"}]}',
        True,
        False,
        "Java checks only that a fixed default is a string; it must have exactly size bytes.",
    ),
    (
        "repeated-json-key",
        '{"type":"string","type":"int"}',
        True,
        False,
        "Java's JSON reader keeps the last of repeated keys; keybus rejects the ambiguity.",
    ),
    (
        "nan-double-default",
        '{"type":"record","name":"R","fields":[{"name":"a","type":"double","default":"NaN"}]}',
        True,
        True,
        "Both accept the strings NaN and Infinity as float and double defaults.",
    ),
    (
        "unicode-name",
        '{"type":"record","name":"Größe","fields":[]}',
        True,
        True,
        "Both accept letters beyond ASCII in names, as Java's Character.isLetter does.",
    ),
]

# Java's Schema.toString(referencedSchemas) treats only the top-level named type of each
# referenced schema as known, so it writes out again a type that a reference defines inside
# a union or a record. keybus writes every type a reference defines by name, and parses
# Java's text too, since both accept a repeated definition equal to the first. The corpus
# has one such schema: GobblinMetadataChangeEvent, whose reference is a union of records.

# Hand-written schemas whose canonical text must equal Avro Java's `Schema.toString`.
CANONICAL_PROBES: list[str] = [
    '{"type":"record","name":"R","fields":[{"name":"a","type":"double","default":1e10},'
    '{"name":"b","type":"double","default":1.5e-7},{"name":"c","type":"float","default":0.1},'
    '{"name":"d","type":"double","default":12345678.0},{"name":"e","type":"double","default":-0.0},'
    '{"name":"f","type":"long","default":9007199254740993},'
    '{"name":"g","type":"double","default":123456789012345678901234567890.5}]}',
    '{"type":"int","doc":"dropped","owner":"kept"}',
    '{"type":"record","name":"R","default":{},"fields":[]}',
    '{"type":"fixed","name":"F","size":2,"doc":"d","aliases":["G","x.H"],"namespace":"n"}',
    '{"type":"error","name":"Failure","fields":[{"name":"why","type":"string","order":"ignore"}]}',
    "[]",
    '{"type":"enum","name":"a.E","symbols":["X","Y"],"default":"Y","doc":"d","p":[1,{"q":null}]}',
    '{"type":"map","values":{"type":"array","items":"bytes","k":true},"logicalType":"x"}',
]

# A nested `"namespace": null` means the null namespace in keybus but the enclosing
# namespace in Java; both accept the schema, and their canonical texts differ.
NULL_NAMESPACE_PROBE = (
    '{"type":"record","name":"R","namespace":"a","fields":[{"name":"f","type":'
    '{"type":"record","name":"S","namespace":null,"fields":[]}}]}'
)

# Mutation kinds where keybus's verdict differs from SchemaCompatibility on purpose.
KNOWN_VERDICT_DIFFERENCES: dict[str, str] = {
    "decimal-scale": "The Avro specification makes two decimals match only when scale and "
    "precision match; Java ignores logical types, so it reads 12.34 written with scale 2 as "
    "1.234 with scale 3. keybus reports decimal_mismatch.",
    "decimal-precision": "Same rule of the specification: keybus requires equal precision, "
    "Java ignores logical types.",
}

# SchemaCompatibility raises this where a reader field's name and one of its aliases both
# name writer fields. keybus reads the field of the same name (see `_writer_fields`).
JAVA_AMBIGUOUS_ALIAS_ERROR = "matches multiple fields in writer record schema"
JAVA_AMBIGUOUS_ALIAS_SCHEMAS = {"apache__avro/lang__java__tools__src__test__idl__schema.avsc"}

# Referenced types that are not in the corpus; the pairs that use one keep it unchanged,
# so any definition of it gives the same verdict.
STAND_IN_REFERENCES: dict[str, str] = {
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


PRIMITIVES = ["null", "boolean", "int", "long", "float", "double", "bytes", "string"]
SAMPLE_DEFAULTS: dict[str, Any] = {
    "null": None,
    "boolean": False,
    "int": 0,
    "long": 0,
    "float": 0.5,
    "double": 0.5,
    "bytes": "",
    "string": "",
}


@dataclass(frozen=True)
class Mutation:
    """One generated pair: `old` evolved into `new` by the change named `kind`."""

    case_id: str
    kind: str
    old: str
    new: str


Schema = dict[str, Any]


def _order_schema() -> Schema:
    return {
        "type": "record",
        "name": "Order",
        "namespace": "com.example.shop",
        "fields": [
            {"name": "id", "type": "string"},
            {"name": "count", "type": "int"},
            {"name": "amount", "type": "double"},
            {
                "name": "status",
                "type": {"type": "enum", "name": "Status", "symbols": ["NEW", "PAID", "SHIPPED"]},
            },
            {"name": "tags", "type": {"type": "array", "items": "string"}},
            {"name": "attributes", "type": {"type": "map", "values": "long"}},
            {"name": "note", "type": ["null", "string"], "default": None},
            {"name": "hash", "type": {"type": "fixed", "name": "Hash", "size": 16}},
            {
                "name": "price",
                "type": {"type": "bytes", "logicalType": "decimal", "precision": 10, "scale": 2},
            },
            {
                "name": "customer",
                "type": {
                    "type": "record",
                    "name": "Customer",
                    "fields": [
                        {"name": "name", "type": "string"},
                        {"name": "age", "type": "int"},
                    ],
                },
            },
            {"name": "choice", "type": ["int", "string", "Customer"]},
        ],
    }


def _linked_list_schema() -> Schema:
    return {
        "type": "record",
        "name": "Node",
        "namespace": "com.example.list",
        "fields": [
            {"name": "value", "type": "int"},
            {"name": "next", "type": ["null", "Node"], "default": None},
        ],
    }


SEED_SCHEMAS: dict[str, Schema] = {
    "order": _order_schema(),
    "linked-list": _linked_list_schema(),
}


def _field(schema: Schema, name: str) -> dict[str, Any]:
    return next(item for item in schema["fields"] if item["name"] == name)


def _variant(schema: Schema, change: Callable[[Schema], None]) -> Schema:
    changed = copy.deepcopy(schema)
    change(changed)
    return changed


def _pair(case_id: str, kind: str, old: Schema, new: Schema) -> Mutation:
    return Mutation(case_id, kind, json.dumps(old), json.dumps(new))


def _retype_mutations(base: Schema, prefix: str, field_name: str) -> Iterator[Mutation]:
    for old_type in PRIMITIVES:
        old = _variant(base, lambda s, t=old_type: _field(s, field_name).update(type=t))
        for new_type in PRIMITIVES:
            if new_type == old_type:
                continue
            new = _variant(base, lambda s, t=new_type: _field(s, field_name).update(type=t))
            yield _pair(f"{prefix}-retype-{old_type}-to-{new_type}", "retype", old, new)


def _enum_mutations(base: Schema, prefix: str) -> Iterator[Mutation]:
    def symbols(schema: Schema) -> dict[str, Any]:
        return dict(_field(schema, "status")["type"])

    def set_enum(schema: Schema, **changes: Any) -> None:
        enum = symbols(schema)
        enum.update(changes)
        _field(schema, "status")["type"] = enum

    cases: dict[str, Callable[[Schema], None]] = {
        "enum-add-symbol": lambda s: set_enum(s, symbols=["NEW", "PAID", "SHIPPED", "LOST"]),
        "enum-remove-symbol": lambda s: set_enum(s, symbols=["NEW", "SHIPPED"]),
        "enum-reorder": lambda s: set_enum(s, symbols=["SHIPPED", "NEW", "PAID"]),
        "enum-add-default": lambda s: set_enum(s, default="NEW"),
        "enum-remove-symbol-with-default": lambda s: set_enum(
            s, symbols=["NEW", "SHIPPED"], default="NEW"
        ),
        "enum-add-symbol-with-default": lambda s: set_enum(
            s, symbols=["NEW", "PAID", "SHIPPED", "LOST"], default="NEW"
        ),
        "enum-rename": lambda s: set_enum(s, name="State"),
        "enum-rename-with-alias": lambda s: set_enum(s, name="State", aliases=["Status"]),
    }
    for kind, change in cases.items():
        yield _pair(f"{prefix}-{kind}", kind, base, _variant(base, change))


def _union_mutations(base: Schema, prefix: str) -> Iterator[Mutation]:
    def set_type(name: str, new_type: Any, **extra: Any) -> Callable[[Schema], None]:
        def change(schema: Schema) -> None:
            _field(schema, name)["type"] = new_type
            _field(schema, name).update(extra)

        return change

    cases: dict[str, Callable[[Schema], None]] = {
        "union-widen": set_type("note", ["null", "string", "int"]),
        "union-narrow-to-null": set_type("note", ["null"]),
        "union-to-branch": set_type("note", "string", default="x"),
        "union-reorder": set_type("note", ["string", "null"], default="x"),
        "union-add-record-branch": set_type("choice", ["int", "string", "Customer", "long"]),
        "union-drop-record-branch": set_type("choice", ["int", "string"]),
        "union-promote-branch": set_type("choice", ["long", "string", "Customer"]),
        "union-reorder-with-record": set_type("choice", ["Customer", "string", "int"]),
        "union-record-to-branch": set_type("choice", "Customer"),
        "field-to-union": set_type("count", ["null", "int"], default=None),
        "field-to-union-with-promotion": set_type("count", ["null", "long"], default=None),
        "fixed-resize": set_type("hash", {"type": "fixed", "name": "Hash", "size": 32}),
        "fixed-rename": set_type("hash", {"type": "fixed", "name": "Digest", "size": 16}),
        "fixed-rename-with-alias": set_type(
            "hash", {"type": "fixed", "name": "Digest", "size": 16, "aliases": ["Hash"]}
        ),
        "array-items-promote": set_type("tags", {"type": "array", "items": "bytes"}),
        "array-items-change": set_type("tags", {"type": "array", "items": "int"}),
        "map-values-promote": set_type("attributes", {"type": "map", "values": "double"}),
        "map-values-demote": set_type("attributes", {"type": "map", "values": "int"}),
        "array-to-map": set_type("tags", {"type": "map", "values": "string"}),
        "decimal-scale": set_type(
            "price", {"type": "bytes", "logicalType": "decimal", "precision": 10, "scale": 3}
        ),
        "decimal-precision": set_type(
            "price", {"type": "bytes", "logicalType": "decimal", "precision": 12, "scale": 2}
        ),
        "decimal-drop-logical-type": set_type("price", "bytes"),
        "logical-type-added": set_type("count", {"type": "int", "logicalType": "date"}),
    }
    for kind, change in cases.items():
        yield _pair(f"{prefix}-{kind}", kind, base, _variant(base, change))


def _nested_mutations(base: Schema, prefix: str) -> Iterator[Mutation]:
    def customer(schema: Schema) -> dict[str, Any]:
        return _field(schema, "customer")["type"]  # type: ignore[no-any-return]

    cases: dict[str, Callable[[Schema], None]] = {
        "nested-add-field": lambda s: customer(s)["fields"].append(
            {"name": "vip", "type": "boolean"}
        ),
        "nested-add-field-default": lambda s: customer(s)["fields"].append(
            {"name": "vip", "type": "boolean", "default": False}
        ),
        "nested-remove-field": lambda s: customer(s)["fields"].pop(),
        "nested-promote-field": lambda s: customer(s)["fields"][1].update(type="long"),
        "nested-rename-record": lambda s: customer(s).update(name="Client"),
        "nested-rename-record-with-alias": lambda s: customer(s).update(
            name="Client", aliases=["Customer"]
        ),
        "nested-namespace-change": lambda s: customer(s).update(namespace="com.example.crm"),
    }
    for kind, change in cases.items():
        new = _variant(base, change)
        if kind.startswith("nested-rename") or kind == "nested-namespace-change":
            # The union branch refers to Customer by name; keep it pointing at the record.
            full = "com.example.crm.Customer" if kind == "nested-namespace-change" else "Client"
            _field(new, "choice")["type"] = ["int", "string", full]
        yield _pair(f"{prefix}-{kind}", kind, base, new)


def seed_mutations() -> Iterator[Mutation]:
    """Yield the hand-picked mutations of the seed schemas: each rule of Schema Resolution."""
    order = SEED_SCHEMAS["order"]
    yield from _retype_mutations(order, "order", "count")
    yield from _enum_mutations(order, "order")
    yield from _union_mutations(order, "order")
    yield from _nested_mutations(order, "order")
    yield from generic_mutations(order, "order")
    linked = SEED_SCHEMAS["linked-list"]
    yield from generic_mutations(linked, "linked-list")
    yield _pair(
        "linked-list-promote-recursive-value",
        "retype",
        linked,
        _variant(linked, lambda s: _field(s, "value").update(type="long")),
    )


def generic_mutations(base: Schema, prefix: str) -> Iterator[Mutation]:
    """Yield changes any record allows: fields added, removed, made optional, renamed."""
    first = base["fields"][0] if base["fields"] else None
    cases: dict[str, Callable[[Schema], None]] = {
        "add-field-default": lambda s: s["fields"].append(
            {"name": "added_field", "type": "string", "default": "none"}
        ),
        "add-field-no-default": lambda s: s["fields"].append(
            {"name": "added_field", "type": "string"}
        ),
        "add-optional-field": lambda s: s["fields"].append(
            {"name": "added_field", "type": ["null", "long"], "default": None}
        ),
        "add-field-wrong-default": lambda s: s["fields"].append(
            {"name": "added_field", "type": "string", "default": 5}
        ),
        "rename-record": lambda s: s.update(name=s["name"].rsplit(".", 1)[-1] + "Renamed"),
        "rename-record-with-alias": lambda s: s.update(
            name=s["name"].rsplit(".", 1)[-1] + "Renamed", aliases=[_full_name(base)]
        ),
        "namespace-change": lambda s: s.update(
            name=s["name"].rsplit(".", 1)[-1], namespace="org.other"
        ),
    }
    if first is not None:
        cases["remove-first-field"] = lambda s: s["fields"].pop(0)
        cases["rename-first-field"] = lambda s: s["fields"][0].update(name="renamed_field")
        cases["rename-first-field-with-alias"] = lambda s: s["fields"][0].update(
            name="renamed_field", aliases=[first["name"]]
        )
        if not isinstance(first["type"], list):
            cases["first-field-optional"] = lambda s: s["fields"][0].update(
                type=["null", s["fields"][0]["type"]], default=None
            )
        if isinstance(first["type"], str) and first["type"] in SAMPLE_DEFAULTS:
            cases["first-field-gets-default"] = lambda s: s["fields"][0].update(
                default=SAMPLE_DEFAULTS[s["fields"][0]["type"]]
            )
    for kind, change in cases.items():
        yield _pair(f"{prefix}-{kind}", kind, base, _variant(base, change))


def _full_name(schema: Schema) -> str:
    name = str(schema["name"])
    namespace = schema.get("namespace")
    return name if "." in name or not namespace else f"{namespace}.{name}"


class AvroJavaOracle:
    """Run the Avro Java oracle once per batch of requests."""

    def __init__(self, classpath: str) -> None:
        self.classpath = classpath

    def ask(self, requests: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Send all requests to one JVM and return its responses in the same order."""
        lines = "\n".join(json.dumps({"id": index, **item}) for index, item in enumerate(requests))
        completed = subprocess.run(
            ["java", "-cp", self.classpath, "dev.keybus.differential.AvroOracle"],
            input=lines + "\n",
            capture_output=True,
            text=True,
            timeout=ORACLE_TIMEOUT_S,
            check=False,
        )
        assert completed.returncode == 0, f"Avro Java oracle failed: {completed.stderr[-2000:]}"
        responses = [json.loads(line) for line in completed.stdout.splitlines() if line]
        assert [item["id"] for item in responses] == list(range(len(requests)))
        return responses


def _build_is_current(jar: Path) -> bool:
    if not jar.exists() or not (ORACLE_DIR / "target" / "lib").is_dir():
        return False
    sources = [ORACLE_DIR / "pom.xml", *ORACLE_DIR.joinpath("src").rglob("*.java")]
    return all(source.stat().st_mtime <= jar.stat().st_mtime for source in sources)


@pytest.fixture(scope="session")
def avro_java() -> AvroJavaOracle:
    """Build the oracle with Maven unless target/ is current, and return its runner."""
    missing = [tool for tool in ("mvn", "java") if shutil.which(tool) is None]
    if missing:
        pytest.fail(
            f"The Avro Java differential test needs {' and '.join(missing)} on PATH "
            "(Java 17 and Maven 3.8 or newer). Install them; this test is never skipped."
        )
    jar = ORACLE_DIR / "target" / "avro-oracle.jar"
    if not _build_is_current(jar):
        build = subprocess.run(
            ["mvn", "-q", "-B", "package"],
            cwd=ORACLE_DIR,
            capture_output=True,
            text=True,
            timeout=MAVEN_TIMEOUT_S,
            check=False,
        )
        if build.returncode != 0:
            pytest.fail(f"mvn package failed in {ORACLE_DIR}:\n{build.stdout[-3000:]}")
    return AvroJavaOracle(f"{jar}:{ORACLE_DIR / 'target' / 'lib' / '*'}")


def _corpus_files() -> list[Path]:
    return sorted((CORPUS / "schemas").rglob("*.avsc"))


def _corpus_key(path: Path) -> str:
    return path.relative_to(CORPUS / "schemas").as_posix()


def _keybus_parses_leniently(text: str) -> bool:
    try:
        parse_avro(text, validate_defaults=False)
    except InvalidSchemaError:
        return False
    return True


def _keybus_parses(text: str, references: dict[str, str] | None = None) -> bool:
    try:
        parse_avro(text, references)
    except InvalidSchemaError:
        return False
    return True


def test_corpus_parse_and_canonical_text_match_java(avro_java: AvroJavaOracle) -> None:
    files = _corpus_files()
    texts = [path.read_text(encoding="utf-8") for path in files]

    answers = avro_java.ask([{"op": "parse", "schema": text} for text in texts])

    differences: dict[str, str] = {}
    for path, text, answer in zip(files, texts, answers, strict=True):
        key = _corpus_key(path)
        java_valid = bool(answer.get("valid"))
        if _keybus_parses(text) != java_valid:
            differences[key] = f"java valid={java_valid}: {answer.get('error', '')[:120]}"
        elif java_valid and parse_avro(text).text != answer["canonical"]:
            differences[key] = "canonical text differs"
    unexpected = {
        key: why for key, why in differences.items() if key not in KNOWN_PARSE_DIFFERENCES
    }
    stale = set(KNOWN_PARSE_DIFFERENCES) - set(differences)
    assert unexpected == {}
    assert stale == set()


def _named_types_index() -> dict[str, str]:
    index: dict[str, str] = {}
    for path in _corpus_files():
        text = path.read_text(encoding="utf-8")
        try:
            root = json.loads(text)
        except ValueError:
            continue
        for item in root if isinstance(root, list) else [root]:
            if (
                isinstance(item, dict)
                and isinstance(item.get("name"), str)
                and _keybus_parses(text)
            ):
                name, namespace = item["name"], item.get("namespace")
                full = name if "." in name or not namespace else f"{namespace}.{name}"
                index.setdefault(full, text)
    return {**index, **STAND_IN_REFERENCES}


def _corpus_pairs() -> Iterator[tuple[str, str, str, list[str]]]:
    index = _named_types_index()
    for case in sorted((CORPUS / "evolution").iterdir()):
        expected = json.loads((case / "expected.json").read_text(encoding="utf-8"))
        references = [index[item.split(" ")[0]] for item in expected.get("references", [])]
        old = (case / "old.avsc").read_text(encoding="utf-8")
        new = (case / "new.avsc").read_text(encoding="utf-8")
        yield case.name, old, new, references


def _verdicts(
    avro_java: AvroJavaOracle, checks: list[tuple[str, str, str, list[str]]]
) -> dict[str, tuple[bool, bool | None]]:
    """Return {check id: (keybus compatible, Java compatible)} for (id, reader, writer, refs).

    The Java verdict is None where SchemaCompatibility raised on an ambiguous field alias.
    """
    answers = avro_java.ask(
        [
            {
                "op": "compat",
                "reader": reader,
                "writer": writer,
                "references": references,
                "validate_defaults": False,
            }
            for _, reader, writer, references in checks
        ]
    )
    verdicts: dict[str, tuple[bool, bool | None]] = {}
    for (check_id, reader, writer, references), answer in zip(checks, answers, strict=True):
        error = answer.get("error", "")
        assert not error or JAVA_AMBIGUOUS_ALIAS_ERROR in error, f"{check_id}: Java: {error}"
        named = {f"ref{i}": text for i, text in enumerate(references)}
        keybus_reader = parse_avro(reader, named, validate_defaults=False)
        keybus_writer = parse_avro(writer, named, validate_defaults=False)
        keybus_ok = not check_reader_writer(keybus_reader, keybus_writer)
        verdicts[check_id] = (keybus_ok, None if error else bool(answer["compatible"]))
    return verdicts


def test_corpus_evolution_pairs_match_java(avro_java: AvroJavaOracle) -> None:
    checks: list[tuple[str, str, str, list[str]]] = []
    for case_id, old, new, references in _corpus_pairs():
        checks.append((f"{case_id}/backward", new, old, references))
        checks.append((f"{case_id}/forward", old, new, references))

    verdicts = _verdicts(avro_java, checks)

    differing = {key: value for key, value in verdicts.items() if value[0] != value[1]}
    assert len(verdicts) == 84
    assert differing == {}


def _generated_mutations() -> list[Mutation]:
    mutations = list(seed_mutations())
    for path in _corpus_files():
        text = path.read_text(encoding="utf-8")
        if not _keybus_parses(text):
            continue
        root = json.loads(text)
        if isinstance(root, dict) and root.get("type") == "record":
            mutations.extend(generic_mutations(root, _corpus_key(path)))
    return mutations


def _base_of(check_id: str, kinds: dict[str, str]) -> str:
    case_id = check_id.rsplit("/", 1)[0]
    return case_id.removesuffix(f"-{kinds[case_id]}")


def test_generated_pairs_match_java(avro_java: AvroJavaOracle) -> None:
    # Stored schemas are checked leniently, so a default of the wrong type takes part too.
    mutations = [item for item in _generated_mutations() if _keybus_parses_leniently(item.new)]
    checks: list[tuple[str, str, str, list[str]]] = []
    for item in mutations:
        checks.append((f"{item.case_id}/backward", item.new, item.old, []))
        checks.append((f"{item.case_id}/forward", item.old, item.new, []))
    kinds = {item.case_id: item.kind for item in mutations}

    verdicts = _verdicts(avro_java, checks)

    java_raised = {key for key, value in verdicts.items() if value[1] is None}
    differing = {
        key: value
        for key, value in verdicts.items()
        if value[1] is not None and value[0] != value[1]
    }
    unexplained = {
        key: value
        for key, value in differing.items()
        if kinds[key.rsplit("/", 1)[0]] not in KNOWN_VERDICT_DIFFERENCES
    }
    explained_kinds = {kinds[key.rsplit("/", 1)[0]] for key in differing}
    assert len(mutations) >= 300
    assert unexplained == {}
    assert explained_kinds == set(KNOWN_VERDICT_DIFFERENCES)
    assert all(value == (False, True) for value in differing.values())
    raised_in = {_base_of(key, kinds) for key in java_raised}
    assert raised_in == JAVA_AMBIGUOUS_ALIAS_SCHEMAS


def test_generated_schemas_parse_and_write_alike(avro_java: AvroJavaOracle) -> None:
    mutations = _generated_mutations()
    texts = sorted({text for item in mutations for text in (item.old, item.new)})

    answers = avro_java.ask([{"op": "parse", "schema": text} for text in texts])

    disagreements = [
        text[:160]
        for text, answer in zip(texts, answers, strict=True)
        if _keybus_parses(text) != bool(answer.get("valid"))
    ]
    canonical_differences = [
        text[:160]
        for text, answer in zip(texts, answers, strict=True)
        if answer.get("valid") and parse_avro(text).text != answer["canonical"]
    ]
    assert len(texts) > 1000
    assert disagreements == []
    assert canonical_differences == []


def test_parse_probes_match_listed_verdicts(avro_java: AvroJavaOracle) -> None:
    answers = avro_java.ask([{"op": "parse", "schema": probe[1]} for probe in PARSE_PROBES])

    for (case_id, text, java_valid, keybus_valid, _), answer in zip(
        PARSE_PROBES, answers, strict=True
    ):
        assert bool(answer.get("valid")) is java_valid, case_id
        assert _keybus_parses(text) is keybus_valid, case_id


def test_null_namespace_differs_from_java(avro_java: AvroJavaOracle) -> None:
    [answer] = avro_java.ask([{"op": "parse", "schema": NULL_NAMESPACE_PROBE}])

    ours = parse_avro(NULL_NAMESPACE_PROBE).text

    assert '"name":"S","fields"' in answer["canonical"]
    assert '"name":"S","namespace":"","fields"' in ours


def test_canonical_probes_match_java(avro_java: AvroJavaOracle) -> None:
    answers = avro_java.ask([{"op": "parse", "schema": text} for text in CANONICAL_PROBES])

    for text, answer in zip(CANONICAL_PROBES, answers, strict=True):
        assert parse_avro(text).text == answer.get("canonical"), text


def _find_named_type(index: dict[str, str], name: str) -> str:
    if name in index:
        return index[name]
    [text] = [text for full, text in index.items() if full.endswith(f".{name}")]
    return text


def test_corpus_with_references_matches_java(avro_java: AvroJavaOracle) -> None:
    readme = (CORPUS / "README.md").read_text(encoding="utf-8")
    marker = "valid but needs-references:"
    index = _named_types_index()
    cases: list[tuple[str, str, list[str]]] = []
    for line in readme.splitlines():
        cells = [cell.strip() for cell in line.split("|")]
        if line.startswith("| `schemas/") and cells[4].startswith(marker):
            names = [name.strip() for name in cells[4].removeprefix(marker).split(",")]
            text = (CORPUS / cells[1].strip("`")).read_text(encoding="utf-8")
            cases.append((text, text, [_find_named_type(index, name) for name in names]))

    answers = avro_java.ask(
        [{"op": "parse", "schema": text, "references": refs} for _, text, refs in cases]
    )

    differing = []
    for (_, text, references), answer in zip(cases, answers, strict=True):
        named = {f"ref{i}": item for i, item in enumerate(references)}
        ours = parse_avro(text, named).text
        if ours != answer.get("canonical"):
            differing.append(json.loads(text)[-1]["name"] if text.startswith("[") else text)
            assert parse_avro(ours, named).text == ours
            assert parse_avro(answer["canonical"], named).text == ours
    assert len(cases) == 8
    assert differing == ["GobblinMetadataChangeEvent"]
