"""Per-request context for every HTTP request and WebSocket: a request id (the client's
X-Request-ID when it is sane, else a new one) echoed in the response header and carried by every
log line; the HTTP request counter; and the last word on an exception nothing else caught (logged
once with the request id, counted, and answered with a bare 500)."""

from __future__ import annotations

import json
import logging
import re
import uuid

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from cungoods.observability import logs, metrics

log = logging.getLogger("cungoods.http")
HEADER = "x-request-id"
_SANE_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
ROUTES = frozenset({"/graphql", "/metrics", "/healthz", "/readyz"})


def request_id_from(scope: Scope) -> str:
    for name, value in scope.get("headers", ()):
        if name == HEADER.encode():
            candidate = value.decode("latin-1")
            if _SANE_ID.match(candidate):
                return candidate
    return uuid.uuid4().hex


class RequestContext:
    """ASGI middleware; the outermost of ours, so everything below runs with the request id."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        request_id = request_id_from(scope)
        scope.setdefault("state", {})["request_id"] = request_id
        token = logs.request_id_var.set(request_id)
        status = 500
        started = False

        async def send_with_id(message: Message) -> None:
            nonlocal status, started
            if message["type"] in ("http.response.start", "websocket.accept"):
                MutableHeaders(scope=message).append(HEADER, request_id)
            if message["type"] == "http.response.start":
                status, started = message["status"], True
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        except Exception:
            # Logged here once (uvicorn does not see it again) with the request id in the line.
            log.exception("unexpected error serving %s", scope.get("path"))
            metrics.UNEXPECTED_ERRORS.inc()
            metrics.count_errors(["INTERNAL"], source="http")
            if scope["type"] == "http" and not started:
                await _internal_error(send, request_id)
                status = 500
        finally:
            if scope["type"] == "http":
                route = scope.get("path") if scope.get("path") in ROUTES else "other"
                metrics.HTTP_REQUESTS.labels(route=route, status=str(status)).inc()
            logs.request_id_var.reset(token)


async def _internal_error(send: Send, request_id: str) -> None:
    body = json.dumps(
        {"errors": [{"message": "Unexpected error.", "extensions": {"code": "INTERNAL"}}]}
    ).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 500,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                (HEADER.encode(), request_id.encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
