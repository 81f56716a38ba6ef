"""A small read-only HTTP API over projections' SQLite files (FastAPI)."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

from fastapi import FastAPI, HTTPException, Query

from keybus.sourcing.projections.base import Projection

__all__ = ["projection_api"]

_MAX_LIMIT = 1000


def projection_api(projections: Mapping[str, tuple[Projection, Path]]) -> FastAPI:
    """Return an app serving the tables and queries of projections, read only.

    Routes:
        GET /projections: each projection's applied-event count and row counts.
        GET /projections/{name}/tables/{table}: rows of a table, by key, paged.
        GET /projections/{name}/tables/{table}/{key}: one row by its key column.
        GET /projections/{name}/queries/{query}/{key}: the rows of a named query.
    """
    app = FastAPI(title="keybus projections")

    def find(name: str) -> tuple[Projection, Path]:
        found = projections.get(name)
        if found is None:
            raise HTTPException(404, f"No projection named {name!r}; see GET /projections.")
        return found

    @app.get("/projections")
    def list_projections() -> list[dict[str, Any]]:
        return [_summary(projection, path) for projection, path in projections.values()]

    @app.get("/projections/{name}/tables/{table}")
    def table_rows(
        name: str,
        table: str,
        limit: Annotated[int, Query(ge=1, le=_MAX_LIMIT)] = 100,
        offset: Annotated[int, Query(ge=0)] = 0,
    ) -> list[dict[str, Any]]:
        projection, path = find(name)
        key = _key_column(projection, table)
        sql = f'SELECT * FROM "{table}" ORDER BY "{key}" LIMIT ? OFFSET ?'
        return _rows(path, sql, (limit, offset))

    @app.get("/projections/{name}/tables/{table}/{key}")
    def table_row(name: str, table: str, key: str) -> dict[str, Any]:
        projection, path = find(name)
        column = _key_column(projection, table)
        rows = _rows(path, f'SELECT * FROM "{table}" WHERE "{column}" = ?', (key,))
        if not rows:
            raise HTTPException(404, f"No row with {column} = {key!r} in {name}/{table}.")
        return rows[0]

    @app.get("/projections/{name}/queries/{query}/{key}")
    def query_rows(name: str, query: str, key: str) -> list[dict[str, Any]]:
        projection, path = find(name)
        sql = projection.queries.get(query)
        if sql is None:
            raise HTTPException(
                404,
                f"Projection {name} has no query {query!r}; it has: "
                f"{', '.join(sorted(projection.queries)) or 'none'}.",
            )
        return _rows(path, sql, {"key": key})

    return app


def _key_column(projection: Projection, table: str) -> str:
    key = projection.tables.get(table)
    if key is None:
        raise HTTPException(
            404,
            f"Projection {projection.name} has no table {table!r}; it has: "
            f"{', '.join(sorted(projection.tables))}.",
        )
    return key


def _summary(projection: Projection, path: Path) -> dict[str, Any]:
    summary: dict[str, Any] = {"name": projection.name, "streams": list(projection.streams)}
    if not path.exists():
        return {**summary, "events_applied": 0, "rows": {}}
    with _read_only(path) as db:
        counter = db.execute(
            "SELECT value FROM keybus_counters WHERE name = 'events_applied'"
        ).fetchone()
        rows = {
            table: db.execute(f'SELECT count(*) FROM "{table}"').fetchone()[0]
            for table in projection.tables
        }
    return {**summary, "events_applied": counter[0] if counter else 0, "rows": rows}


def _rows(path: Path, sql: str, parameters: Any) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    with _read_only(path) as db:
        return [dict(row) for row in db.execute(sql, parameters).fetchall()]


@contextmanager
def _read_only(path: Path) -> Iterator[sqlite3.Connection]:
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    db.row_factory = sqlite3.Row
    try:
        yield db
    finally:
        db.close()
