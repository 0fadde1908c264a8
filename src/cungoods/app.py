"""The Starlette app: /graphql (HTTP GET/POST and graphql-transport-ws), /healthz, lifespan."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.exceptions import ConnectionRejectionError
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL
from tortoise import connections

from cungoods import db
from cungoods.api.context import Context
from cungoods.api.schema import build_schema
from cungoods.config import Settings
from cungoods.services import clock
from cungoods.services.auth import load_viewer
from cungoods.services.errors import DomainError

log = logging.getLogger("cungoods")


class GraphQLApp(GraphQL[Context, None]):
    def __init__(self, settings: Settings) -> None:
        super().__init__(
            build_schema(settings),
            graphql_ide=None if settings.production else "graphiql",
            allow_queries_via_get=True,
            subscription_protocols=[GRAPHQL_TRANSPORT_WS_PROTOCOL],
        )
        self.settings = settings

    async def get_context(
        self, request: Request | WebSocket, response: Response | WebSocket | None = None
    ) -> Context:
        context = Context(
            settings=self.settings,
            request=request,
            response=response if isinstance(response, Response) else None,
        )
        header = request.headers.get("authorization", "")
        scheme, _, token = header.partition(" ")
        if scheme.lower() == "bearer" and token:
            await self._authenticate(context, token.strip())
        return context

    async def on_ws_connect(self, context: Context) -> None | dict[str, Any]:
        params = context.connection_params or {}
        if not isinstance(params, dict):
            raise ConnectionRejectionError({"message": "connection_init payload must be an object"})
        token = params.get("token") or params.get("authorization", "")
        if isinstance(token, str) and token.lower().startswith("bearer "):
            token = token[7:]
        if token:
            await self._authenticate(context, str(token))
            if context.viewer is None:
                raise ConnectionRejectionError({"message": context.auth_error or "bad token"})
        return None

    async def _authenticate(self, context: Context, token: str) -> None:
        try:
            context.viewer = await load_viewer(token=token, secret=self.settings.signing_key)
        except DomainError as error:
            context.auth_error = error.message


async def healthz(request: Request) -> JSONResponse:
    try:
        await connections.get("default").execute_query("SELECT 1")
        database = True
    except Exception:  # any failure means "not healthy"; the reason goes to the log
        log.warning("health check: database does not answer", exc_info=True)
        database = False
    return JSONResponse(
        {"ok": database, "database": database}, status_code=200 if database else 503
    )


def create_app(settings: Settings | None = None, *, manage_db: bool = True) -> Starlette:
    """The whole server. `manage_db=False` leaves the database connections to the caller
    (tests that already opened them)."""
    settings = settings or Settings()
    settings.signing_key  # noqa: B018  (fail fast without a key; create the embedded one now)
    clock.configure(settings.tz)
    graphql = GraphQLApp(settings)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        if manage_db:
            await db.migrate(settings.database_url)
            await db.connect(settings.database_url)
            if settings.demo and not settings.production:
                from cungoods.seed.demo import seed_if_empty

                await seed_if_empty()
        try:
            yield
        finally:
            if manage_db:
                await db.close()

    return Starlette(
        routes=[
            Route("/graphql", graphql, methods=["GET", "POST"]),
            WebSocketRoute("/graphql", graphql),
            Route("/healthz", healthz),
        ],
        lifespan=lifespan,
    )
