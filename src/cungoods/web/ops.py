"""Endpoints for operators: /metrics (Prometheus) and /readyz (can this process serve?)."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, generate_latest
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from tortoise import connections

from cungoods.observability import metrics  # noqa: F401  (defines the metrics this endpoint serves)

log = logging.getLogger("cungoods.web.ops")
DATABASE_TIMEOUT_SECONDS = 2.0


async def metrics_endpoint(request: Request) -> Response:
    return Response(generate_latest(REGISTRY), media_type=CONTENT_TYPE_LATEST)


async def readyz(request: Request) -> JSONResponse:
    """Ready when the database answers and, where the process has an event listener, it is
    connected; 503 otherwise, so a load balancer sends traffic elsewhere meanwhile."""
    database = await database_answers()
    listener = listener_connected(getattr(request.app.state, "broker", None))
    ready = database and listener is not False
    report: dict[str, Any] = {"ready": ready, "database": database}
    if listener is not None:
        report["listener"] = listener
    return JSONResponse(report, status_code=200 if ready else 503)


async def database_answers() -> bool:
    try:
        await asyncio.wait_for(
            connections.get("default").execute_query("SELECT 1"), DATABASE_TIMEOUT_SECONDS
        )
    except Exception:  # any failure means "not ready"; the reason goes to the log
        log.warning("readiness: the database does not answer", exc_info=True)
        return False
    return True


def listener_connected(broker: Any) -> bool | None:
    """Whether the event broker's listener is connected; None when there is no broker, it has
    not started, or it does not say."""
    if broker is None or getattr(broker, "started", True) is False:
        return None
    connected = getattr(broker, "connected", None)
    if callable(connected):
        connected = connected()
    return connected if isinstance(connected, bool) else None
