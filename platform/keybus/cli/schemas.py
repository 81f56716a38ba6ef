"""`keybus schemas`: generate bindings from the event catalog, gate and register its schemas."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from keybus.cli.console import console, fail
from keybus.cli.options import RegistryOption
from keybus.errors import KeybusError, counted
from keybus.registry.client import RegistryClient
from keybus.schemas.catalog import (
    TOPIC_PROPERTY,
    Catalog,
    CatalogError,
    default_catalog_dir,
)
from keybus.schemas.codegen import DEFAULT_PACKAGE, check_bindings, write_bindings
from keybus.schemas.gate import check_catalog, register_catalog, render_report
from keybus.serde.naming import SubjectNameStrategy, resolve_strategy

__all__ = ["app"]

app = typer.Typer(help="Generate bindings from the Avro catalog, and gate and register it.")

CatalogOption = Annotated[
    Path | None,
    typer.Option("--catalog", help="Folder of .avsc files (default: the nearest avro/ folder)."),
]
StrategyOption = Annotated[
    SubjectNameStrategy,
    typer.Option("--subject-strategy", help="How subjects are named."),
]


def _load_events(folder: Path | None) -> Catalog:
    """Load the catalog and raise when it declares no event, since then nothing is checked."""
    loaded = Catalog.load(folder or default_catalog_dir())
    if not loaded.events:
        raise CatalogError(
            f"Event catalog folder {loaded.root} declares no events: no schema has a "
            f"'{TOPIC_PROPERTY}' property. Add one or pass the intended folder with --catalog.",
            path=loaded.root,
        )
    return loaded


def _bindings_folder() -> Path:
    return Path(__file__).resolve().parents[1] / "catalog"


@app.command()
def codegen(
    catalog: CatalogOption = None,
    output: Annotated[
        Path | None,
        typer.Option(help="Package folder to write (default: keybus/catalog of this install)."),
    ] = None,
    package: Annotated[str, typer.Option(help="Import name of that package.")] = DEFAULT_PACKAGE,
    check: Annotated[
        bool, typer.Option("--check", help="Write nothing; exit 1 if the bindings are stale.")
    ] = False,
) -> None:
    """Generate pydantic models from the catalog, one module per Avro namespace."""
    try:
        loaded = Catalog.load(catalog or default_catalog_dir())
        folder = output or _bindings_folder()
        if check:
            problems = check_bindings(loaded, folder, package)
            for problem in problems:
                console.print(escape(problem), highlight=False)
            if problems:
                fail(f"Bindings in {folder} are stale; run `keybus schemas codegen`.")
            console.print(f"Bindings in {folder} match the catalog.", highlight=False)
            return
        written = write_bindings(loaded, folder, package)
    except KeybusError as exc:
        fail(exc)
    console.print(f"Wrote {counted(len(written), 'file')} under {folder}.", highlight=False)


@app.command("check")
def check_command(
    *,
    registry: RegistryOption,
    catalog: CatalogOption = None,
    subject_strategy: StrategyOption = SubjectNameStrategy.TOPIC_RECORD,
) -> None:
    """Test every catalog schema against its subject's versions; exit 1 if one breaks consumers."""
    try:
        loaded = _load_events(catalog)
        with RegistryClient(registry) as client:
            results = check_catalog(loaded, client, resolve_strategy(subject_strategy))
    except KeybusError as exc:
        fail(exc)
    console.print(escape(render_report(results)), highlight=False, soft_wrap=True)
    if any(not result.compatible for result in results):
        raise typer.Exit(1)


@app.command()
def register(
    *,
    registry: RegistryOption,
    catalog: CatalogOption = None,
    subject_strategy: StrategyOption = SubjectNameStrategy.TOPIC_RECORD,
) -> None:
    """Register every catalog schema under its subject."""
    try:
        loaded = _load_events(catalog)
        with RegistryClient(registry) as client:
            registered = register_catalog(loaded, client, resolve_strategy(subject_strategy))
    except KeybusError as exc:
        fail(exc)
    for subject, schema_id in registered.items():
        console.print(f"{subject}: id {schema_id}", highlight=False)
