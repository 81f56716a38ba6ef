"""The HTTP endpoint of the event-log projection (Starlette, served by uvicorn)."""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from keybus.importer.projections import PROJECTION_NAME, EventLogProjection

__all__ = ["projection_app"]

_MAX_LIMIT = 1_000


def projection_app(projection: EventLogProjection) -> Starlette:
    """Return an ASGI app serving `projection`; the caller closes it after serving.

    Routes, under /projections/event-log: `summary`, `cases` (`limit`, `offset`),
    `cases/{case_id}`, `activities` and `activities/{activity}`. An unknown case or
    activity returns 404 with a JSON `message`.
    """
    prefix = f"/projections/{PROJECTION_NAME}"

    async def summary(request: Request) -> JSONResponse:
        return JSONResponse(projection.summary())

    async def cases(request: Request) -> JSONResponse:
        try:
            limit = min(int(request.query_params.get("limit", "100")), _MAX_LIMIT)
            offset = int(request.query_params.get("offset", "0"))
        except ValueError:
            return JSONResponse(
                {"message": "limit and offset must be integers, e.g. ?limit=50&offset=100."},
                status_code=400,
            )
        return JSONResponse(projection.cases(limit=limit, offset=offset))

    async def case(request: Request) -> JSONResponse:
        case_id = request.path_params["case_id"]
        figures = projection.case(case_id)
        if figures is None:
            return _not_found(f"Case {case_id!r} has no events in the projection.")
        return JSONResponse(figures)

    async def activities(request: Request) -> JSONResponse:
        return JSONResponse(projection.activities())

    async def activity(request: Request) -> JSONResponse:
        name = request.path_params["activity"]
        figures = projection.activity(name)
        if figures is None:
            return _not_found(f"Activity {name!r} has no events in the projection.")
        return JSONResponse(figures)

    return Starlette(
        routes=[
            Route(f"{prefix}/summary", summary),
            Route(f"{prefix}/cases", cases),
            Route(f"{prefix}/cases/{{case_id:path}}", case),
            Route(f"{prefix}/activities", activities),
            Route(f"{prefix}/activities/{{activity:path}}", activity),
        ]
    )


def _not_found(message: str) -> JSONResponse:
    return JSONResponse({"message": message}, status_code=404)
