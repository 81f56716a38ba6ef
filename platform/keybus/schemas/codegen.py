"""Generate pydantic v2 bindings from the event catalog: one module per Avro namespace."""

from __future__ import annotations

import importlib
import json
import logging
import sys
from collections.abc import Iterable, Mapping
from pathlib import Path
from types import ModuleType
from typing import Any

from keybus.schemas.catalog import Catalog
from keybus.schemas.codegen_module import (
    DEFAULT_PACKAGE,
    CodegenError,
    ModuleRenderer,
    NamedType,
    module_name,
    namespace_of,
    short_name,
)
from keybus.serde.defaults import PRIMITIVE_TYPES
from keybus.serde.schema import named_definitions

__all__ = [
    "DEFAULT_PACKAGE",
    "CodegenError",
    "check_bindings",
    "import_bindings",
    "render_bindings",
    "render_module",
    "write_bindings",
]

logger = logging.getLogger(__name__)


def render_bindings(catalog: Catalog, package: str = DEFAULT_PACKAGE) -> dict[str, str]:
    """Render the bindings package as relative file path -> file text."""
    types = _collect(catalog)
    by_namespace: dict[str, list[NamedType]] = {}
    for named in types.values():
        by_namespace.setdefault(namespace_of(named.full_name), []).append(named)
    files: dict[str, str] = {}
    for namespace, members in sorted(by_namespace.items()):
        module = module_name(namespace)
        files[module.replace(".", "/") + ".py"] = render_module(namespace, members, types, package)
        for depth in range(1, module.count(".") + 1):
            parent = module.rsplit(".", depth)[0]
            files[parent.replace(".", "/") + "/__init__.py"] = _render_parent(parent)
    for event in catalog:
        files[f"schemas/{event.event_type}.avsc"] = json.dumps(event.schema, indent=2) + "\n"
    files["__init__.py"] = _render_root(catalog, package)
    return files


def write_bindings(catalog: Catalog, output: Path, package: str = DEFAULT_PACKAGE) -> list[Path]:
    """Write the bindings under `output`, removing generated files no longer produced."""
    files = render_bindings(catalog, package)
    stale = set(_generated_files(output)) - {output / name for name in files}
    for path in stale:
        path.unlink()
        logger.info("removed stale binding path=%s", path)
    written = []
    for name, text in sorted(files.items()):
        path = output / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if not path.exists() or path.read_text("utf-8") != text:
            path.write_text(text, "utf-8")
            written.append(path)
    return written


def import_bindings(catalog: Catalog, package: str, folder: Path) -> ModuleType:
    """Generate bindings as top-level package `package` under `folder` and import it.

    Meant for tests and tools that need models of schemas outside the shipped catalog,
    for example an older version of an event.
    """
    write_bindings(catalog, folder / package.replace(".", "/"), package)
    if str(folder) not in sys.path:
        sys.path.insert(0, str(folder))
    importlib.invalidate_caches()
    return importlib.import_module(package)


def check_bindings(catalog: Catalog, output: Path, package: str = DEFAULT_PACKAGE) -> list[str]:
    """Return one line per generated file that is missing, stale or no longer generated."""
    files = render_bindings(catalog, package)
    problems = []
    for name, text in sorted(files.items()):
        path = output / name
        if not path.exists():
            problems.append(f"missing: {path}")
        elif path.read_text("utf-8") != text:
            problems.append(f"stale: {path}")
    for path in sorted(set(_generated_files(output)) - {output / name for name in files}):
        problems.append(f"no longer generated: {path}")
    return problems


def _generated_files(output: Path) -> Iterable[Path]:
    if not output.is_dir():
        return []
    return [*output.rglob("*.py"), *output.rglob("*.avsc")]


def _collect(catalog: Catalog) -> dict[str, NamedType]:
    types: dict[str, NamedType] = {}
    for event in catalog:
        for full_name, definition in named_definitions(event.schema).items():
            is_event = full_name == event.event_type
            if full_name not in types or is_event:
                types[full_name] = NamedType(full_name, definition, event if is_event else None)
    return types


def _render_parent(module: str) -> str:
    return (
        f'"""Generated package for Avro namespaces under {module}."""\n\n'
        "from __future__ import annotations\n\n__all__: list[str] = []\n"
    )


def _render_root(catalog: Catalog, package: str) -> str:
    events = sorted(catalog.events, key=short_name)
    lines = [
        '"""Generated pydantic bindings of the event catalog; run `keybus schemas codegen`."""',
        "",
        "from __future__ import annotations",
        "",
    ]
    for namespace in sorted({namespace_of(e) for e in events}):
        names = sorted(short_name(e) for e in events if namespace_of(e) == namespace)
        lines.append(f"from {package}.{module_name(namespace)} import (")
        lines.extend(f"    {name}," for name in names)
        lines.append(")")
    lines += ["from keybus.events import Event", "", "__all__ = ["]
    lines += ['    "EVENT_TYPES",', *(f'    "{short_name(e)}",' for e in events)]
    lines += ["]", "", "EVENT_TYPES: dict[str, type[Event]] = {"]
    lines += [f"    {short_name(e)}.__avro_name__: {short_name(e)}," for e in events]
    lines += ["}", '"""Every generated event model by its Avro full name."""', ""]
    return "\n".join(lines)


def render_module(
    namespace: str, members: list[NamedType], types: Mapping[str, NamedType], package: str
) -> str:
    """Render the module of one namespace: enums, fixed aliases, records and events."""
    renderer = ModuleRenderer(namespace, types, package)
    body = [renderer.render(named) for named in _ordered(members, types)]
    return renderer.header() + "\n\n\n" + "\n\n".join(body) + renderer.footer()


def _ordered(members: list[NamedType], types: Mapping[str, NamedType]) -> list[NamedType]:
    local = {m.full_name: m for m in members}
    done: dict[str, NamedType] = {}

    def visit(named: NamedType) -> None:
        if named.full_name in done:
            return
        done[named.full_name] = named
        for dependency in sorted(_references(named.definition)):
            if dependency in local and dependency != named.full_name:
                del done[named.full_name]
                visit(local[dependency])
                done[named.full_name] = named

    for named in sorted(members, key=lambda m: (m.event is not None, m.full_name)):
        visit(named)
    return list(done.values())


def _references(node: Any) -> set[str]:
    if isinstance(node, str):
        return set() if node in PRIMITIVE_TYPES else {node}
    if isinstance(node, list):
        return set().union(*(_references(b) for b in node)) if node else set()
    if not isinstance(node, dict):
        return set()
    found: set[str] = set()
    for field_node in node.get("fields", []):
        found |= _references(field_node["type"]) | _named_inline(field_node["type"])
    for key in ("items", "values"):
        if key in node:
            found |= _references(node[key]) | _named_inline(node[key])
    if isinstance(node.get("type"), dict | list):
        found |= _references(node["type"])
    return found


def _named_inline(node: Any) -> set[str]:
    if isinstance(node, dict) and "name" in node:
        return {node["name"]}
    if isinstance(node, list):
        return set().union(*(_named_inline(b) for b in node)) if node else set()
    return set()
