"""`keybus schemas check`, `register` and `codegen --check` against the keybus registry.

The catalog is a copy of avro/ whose topics carry a unique suffix, so the subjects of
this test belong to it alone.
"""

from __future__ import annotations

import json
import shutil
import uuid
from pathlib import Path

import pytest
from typer.testing import CliRunner

from keybus.cli import app
from keybus.registry import RegistryClient
from keybus.schemas.catalog import Catalog

CATALOG = Path(__file__).resolve().parents[3] / "avro"
runner = CliRunner()


@pytest.fixture
def catalog(tmp_path: Path) -> tuple[Path, str]:
    """Copy the catalog with every topic renamed to `<topic>-<suffix>`."""
    suffix = uuid.uuid4().hex[:8]
    target = tmp_path / "avro"
    shutil.copytree(CATALOG, target)
    for path in target.glob("*.avsc"):
        schema = json.loads(path.read_text())
        if "keybus.topic" in schema:
            schema["keybus.topic"] = f"{schema['keybus.topic']}-{suffix}"
            path.write_text(json.dumps(schema, indent=2))
    return target, suffix


def _edit_door_unlocked(folder: Path, field: dict[str, object]) -> None:
    path = folder / "com.example.access.DoorUnlocked.avsc"
    schema = json.loads(path.read_text())
    schema["fields"].append(field)
    path.write_text(json.dumps(schema))


def test_gate_passes_new_and_registered_catalog(
    catalog: tuple[Path, str], schema_registry: str
) -> None:
    folder, suffix = catalog

    before = runner.invoke(
        app, ["schemas", "check", "--registry", schema_registry, "--catalog", str(folder)]
    )
    registered = runner.invoke(
        app, ["schemas", "register", "--registry", schema_registry, "--catalog", str(folder)]
    )
    after = runner.invoke(
        app, ["schemas", "check", "--registry", schema_registry, "--catalog", str(folder)]
    )

    events = len(Catalog.load(folder).events)

    assert before.exit_code == 0, before.output
    assert before.output.count("new subject") == events
    assert registered.exit_code == 0, registered.output
    assert f"lock-devices-{suffix}-com.example.access.DoorUnlocked: id" in registered.output
    assert after.exit_code == 0, after.output
    assert after.output.count("unchanged") == events


def test_gate_fails_on_field_without_default(
    catalog: tuple[Path, str], schema_registry: str
) -> None:
    folder, suffix = catalog
    runner.invoke(
        app, ["schemas", "register", "--registry", schema_registry, "--catalog", str(folder)]
    )
    _edit_door_unlocked(folder, {"name": "door_side", "type": "string"})

    result = runner.invoke(
        app, ["schemas", "check", "--registry", schema_registry, "--catalog", str(folder)]
    )

    assert result.exit_code == 1
    assert f"INCOMPATIBLE lock-devices-{suffix}-com.example.access.DoorUnlocked" in result.output
    assert "level BACKWARD" in result.output
    assert "door_side" in result.output
    assert "has no default" in result.output
    assert f"{len(Catalog.load(folder).events)} schemas checked, 1 incompatible." in result.output


def test_gate_follows_subject_level(catalog: tuple[Path, str], schema_registry: str) -> None:
    folder, suffix = catalog
    runner.invoke(
        app, ["schemas", "register", "--registry", schema_registry, "--catalog", str(folder)]
    )
    subject = f"lock-devices-{suffix}-com.example.access.DoorUnlocked"
    with RegistryClient(schema_registry) as client:
        client.set_compatibility("NONE", subject)
    _edit_door_unlocked(folder, {"name": "door_side", "type": "string"})

    result = runner.invoke(
        app, ["schemas", "check", "--registry", schema_registry, "--catalog", str(folder)]
    )

    assert result.exit_code == 0, result.output
    assert f"compatible   {subject} (level NONE" in result.output


def test_gate_accepts_optional_field(catalog: tuple[Path, str], schema_registry: str) -> None:
    folder, suffix = catalog
    runner.invoke(
        app, ["schemas", "register", "--registry", schema_registry, "--catalog", str(folder)]
    )
    _edit_door_unlocked(folder, {"name": "door_side", "type": ["null", "string"], "default": None})

    result = runner.invoke(
        app, ["schemas", "check", "--registry", schema_registry, "--catalog", str(folder)]
    )

    assert result.exit_code == 0, result.output
    assert f"compatible   lock-devices-{suffix}-com.example.access.DoorUnlocked" in result.output


def test_gate_names_unreachable_registry(catalog: tuple[Path, str]) -> None:
    folder, _ = catalog

    result = runner.invoke(
        app, ["schemas", "check", "--registry", "http://127.0.0.1:9", "--catalog", str(folder)]
    )

    assert result.exit_code == 1
    assert "http://127.0.0.1:9" in result.output


def test_codegen_check_fails_on_stale_bindings(catalog: tuple[Path, str], tmp_path: Path) -> None:
    folder, _ = catalog
    output = tmp_path / "bindings"
    generated = runner.invoke(
        app, ["schemas", "codegen", "--catalog", str(folder), "--output", str(output)]
    )
    fresh = runner.invoke(
        app, ["schemas", "codegen", "--check", "--catalog", str(folder), "--output", str(output)]
    )
    _edit_door_unlocked(folder, {"name": "door_side", "type": ["null", "string"], "default": None})

    stale = runner.invoke(
        app, ["schemas", "codegen", "--check", "--catalog", str(folder), "--output", str(output)]
    )

    assert generated.exit_code == 0, generated.output
    assert fresh.exit_code == 0, fresh.output
    assert stale.exit_code == 1
    assert "stale:" in stale.output
