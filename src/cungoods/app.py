"""The Starlette app: /graphql (HTTP GET/POST and graphql-transport-ws), /healthz, lifespan."""

from __future__ import annotations

import contextlib
import gc
import logging
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from cross_web import HTTPException
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocket
from strawberry.exceptions import ConnectionRejectionError
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL

from cungoods.api.context import Context, start_early
from cungoods.api.extensions.throttle import limits_from
from cungoods.api.persisted import PersistedDocuments
from cungoods.api.schema import build_schema, response_store
from cungoods.api.transport.http_view import GraphQLView
from cungoods.api.transport.websocket import TokenRefused, TransportWSHandler
from cungoods.config import Settings
from cungoods.db import setup as db
from cungoods.db.errors import MESSAGE as DB_UNAVAILABLE_MESSAGE
from cungoods.db.errors import is_database_unavailable
from cungoods.events.broker import Broker
from cungoods.events.factory import make_broker
from cungoods.jobs.cutoff import CutoffScheduler
from cungoods.jobs.notifications import SmsSender
from cungoods.jobs.payments import PaymentExpiry
from cungoods.jobs.returns import Returns
from cungoods.observability import logs
from cungoods.services import clock, notify_sender, sessions
from cungoods.services.auth import configure_hashing
from cungoods.services.errors import DomainError
from cungoods.services.money import fees
from cungoods.web import ops
from cungoods.web.board_routes import BOARD_DOCUMENTS, board_routes
from cungoods.web.context import RequestContext
from cungoods.web.home import graphiql_page, home_routes
from cungoods.web.limits import BodySizeLimit
from cungoods.web.payments import payment_routes
from cungoods.web.sheets import sheet_routes

log = logging.getLogger("cungoods")
CORS_METHODS = ["GET", "POST", "OPTIONS"]
CORS_HEADERS = ["Authorization", "Content-Type", "Accept", "X-Request-ID"]
# What a client on another origin may read: the request id (for support), when to retry.
CORS_EXPOSED_HEADERS = ["X-Request-ID", "Retry-After"]
CORS_MAX_AGE_SECONDS = 600


class GraphQLApp(GraphQLView):
    # A bad token, and a subscription on a socket without one, close it with 4401
    # (api/transport/websocket.py).
    graphql_transport_ws_handler_class = TransportWSHandler

    def __init__(self, settings: Settings, broker: Broker | None = None) -> None:
        responses = response_store(settings)
        super().__init__(
            build_schema(settings, responses=responses),
            graphql_ide=None if settings.production else "graphiql",
            allow_queries_via_get=True,
            subscription_protocols=[GRAPHQL_TRANSPORT_WS_PROTOCOL],
            # Pages on these origins may open the socket (others get 403), as CORS lets them
            # call over HTTP (create_app): CUNGOODS_ALLOWED_ORIGINS governs both.
            allowed_origins=settings.cors_origins,
        )
        self.settings = settings
        self.responses = responses
        self.broker = broker
        self.limits = limits_from(settings)
        # Documents known by hash: learnt from clients, or only the trusted ones (and then the
        # board's own). A bad manifest fails here, at start-up.
        manifest = settings.trusted_documents
        self.persisted = PersistedDocuments.configured(
            max_bytes=settings.persisted_queries_bytes,
            manifest=Path(manifest) if manifest else None,
            also_trusted=[BOARD_DOCUMENTS],
        )

    @property
    def graphql_ide_html(self) -> str:
        """strawberry's GraphiQL page, on files served from the package (web/home.py)."""
        return graphiql_page()

    async def get_context(
        self, request: Request | WebSocket, response: Response | WebSocket | None = None
    ) -> Context:
        context = Context(
            settings=self.settings,
            request=request,
            response=response if isinstance(response, Response) else None,
            broker=self.broker,
            limits=self.limits,
        )
        header = request.headers.get("authorization", "")
        scheme, _, token = header.partition(" ")
        if scheme.lower() == "bearer" and token:
            context.token = token.strip()
            if isinstance(request, WebSocket):
                await self._authenticate(context, context.token)
            else:
                # Awaited by the view just before the operation (context.signed_in), so the
                # response cache can recheck a kept answer meanwhile.
                context.signing_in = start_early(self._authenticate(context, context.token))
        return context

    async def on_ws_connect(self, context: Context) -> None | dict[str, Any]:
        params = context.connection_params or {}
        if not isinstance(params, dict):
            raise ConnectionRejectionError({"message": "connection_init payload must be an object"})
        # GraphiQL sends its Headers tab as the payload: `Authorization` in any case.
        lowered = {str(key).lower(): value for key, value in params.items()}
        token = lowered.get("token") or lowered.get("authorization", "")
        if isinstance(token, str) and token.lower().startswith("bearer "):
            token = token[7:]
        if token:
            await self._authenticate(context, str(token))
            if context.viewer is None:
                raise TokenRefused(context.auth_error or "bad token")  # closes with 4401
        return None

    async def _authenticate(self, context: Context, token: str) -> None:
        context.token = token
        try:
            # Batched: the requests and socket handshakes that sign in within one turn of the
            # event loop share one query (services/sessions.py), as a burst of them does.
            context.viewer = await sessions.current_viewer(
                token=token, secret=self.settings.signing_key
            )
        except DomainError as error:
            context.auth_error = error.message
        except Exception as error:
            # The viewer cannot be looked up while the database is down: a 503 to retry, not
            # a 500 (and not "signed out", which would make the client drop its token).
            if is_database_unavailable(error):
                raise HTTPException(503, DB_UNAVAILABLE_MESSAGE) from error
            raise


async def healthz(request: Request) -> JSONResponse:
    """Liveness: 200 while the process serves, with what it can reach. `ok` says whether the
    database (and, where there is one, the event listener) answer; /readyz turns that into a
    status code for load balancers, so an orchestrator does not restart a server just because
    the database is away."""
    database = await ops.database_answers()
    report: dict[str, bool | str | int] = {"ok": database, "database": database}
    broker: Broker | None = getattr(request.app.state, "broker", None)
    if broker is not None and broker.started:
        # Whether events reach this process: without it, live updates stall here (and catch
        # up once it reconnects).
        report |= {"ok": database and broker.connected, "listener": broker.connected}
        report |= {"broker": broker.kind, "subscribers": broker.subscriber_count}
    return JSONResponse(report)


# Full collections wait for this many collections of the middle generation (the default is 10).
OLDEST_GENERATION_THRESHOLD = 1000


def tune_collector() -> None:
    """Keep the garbage collector from walking the long-lived heap over and over. In production
    only: tests build many apps in one process, and frozen objects are never freed.

    - What start-up made (modules, the schema, pools: it lives as long as the process) is moved
      out of the collector's sight. A big response allocates objects by the hundred thousand,
      which sets off full collections, and each one walked this whole heap again (a sixth of a
      loading plan's time).
    - Full collections are rarer. By default one runs whenever the long-lived heap has grown by
      a quarter, and a server taking on sockets grows it all the time: 10,000 subscribers
      connecting set off 14 full collections, each walking every socket so far, 10 s of 30
      (the last, 1.9 s long, often landed in the middle of delivering an event to them all).
      Young objects are still collected as often as before, so cycles that die young (most of
      them: a request's) are freed as soon as ever.
    """
    gc.collect()
    gc.freeze()
    young, middle, _ = gc.get_threshold()
    gc.set_threshold(young, middle, OLDEST_GENERATION_THRESHOLD)


def create_app(settings: Settings | None = None, *, manage_db: bool = True) -> Starlette:
    """The whole server. `manage_db=False` leaves the database connections to the caller
    (tests that already opened them)."""
    settings = settings or Settings()
    settings.signing_key  # noqa: B018  (fail fast without a key; create the embedded one now)
    clock.configure(settings.tz)
    configure_hashing(concurrency=settings.login_hash_concurrency)
    fees.configure(
        platform_fee_bp=settings.platform_fee_bp,
        collection_fee_bp=settings.collection_fee_bp,
        payment_timeout_minutes=settings.payment_timeout_minutes,
    )
    sms = notify_sender.config_of(
        url=settings.sms_url,
        max_attempts=settings.sms_max_attempts,
        retry_seconds=settings.sms_retry_seconds,
        timeout_seconds=settings.sms_timeout_seconds,
    )
    notify_sender.configure(sms)
    logs.configure_if_unset(level=settings.log_level, json_format=settings.log_json)
    broker = make_broker(settings)
    graphql = GraphQLApp(settings, broker)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        if manage_db:
            await db.migrate(settings.database_url)
            await db.connect(settings.database_url)
            if settings.demo and not settings.production:
                from cungoods.seed.demo import seed_if_empty

                await seed_if_empty()
        await broker.start()
        # Each sale window's cutoff runs by itself at its time while the server runs.
        cutoffs = CutoffScheduler()
        cutoffs.start()
        # Orders and purchases left unpaid past their pay-by instant are released.
        expiry = PaymentExpiry()
        expiry.start()
        # Orders nobody picked up go back to the hub; produce nobody collected is flagged.
        uncollected = Returns(grace_days=settings.pickup_grace_days)
        uncollected.start()
        # Notifications go out as text messages when a provider is configured.
        sender = SmsSender(sms) if sms is not None else None
        if sender is not None:
            sender.start()
        if settings.production:
            tune_collector()
        try:
            yield
        finally:
            await broker.stop()  # completes open subscriptions first
            await cutoffs.stop()
            await expiry.stop()
            await uncollected.stop()
            if sender is not None:
                await sender.stop()
            if manage_db:
                await db.close()

    app = Starlette(
        routes=[
            Route("/graphql", graphql, methods=["GET", "POST"]),
            WebSocketRoute("/graphql", graphql),
            Route("/healthz", healthz),
            Route("/readyz", ops.readyz),
            Route("/metrics", ops.metrics_endpoint),
            *home_routes(settings, graphql.schema.as_str() + "\n"),  # /, the SDL, GraphiQL
            *board_routes(settings),  # the dispatch board at /board (issue 8)
            *payment_routes(settings),  # the provider's notifications, the sandbox (issue 12)
            *sheet_routes(settings),  # printable pick lists, loading plans, manifests, statements
        ],
        middleware=[
            Middleware(RequestContext),
            # Browsers on the allowed origins (CUNGOODS_ALLOWED_ORIGINS) may call the API; the
            # token travels in a header, so no cookies (credentials) are involved.
            Middleware(
                CORSMiddleware,
                allow_origins=settings.cors_origins,
                allow_methods=CORS_METHODS,
                allow_headers=CORS_HEADERS,
                expose_headers=CORS_EXPOSED_HEADERS,
                max_age=CORS_MAX_AGE_SECONDS,
            ),
            Middleware(BodySizeLimit, max_bytes=settings.max_body_bytes),
        ],
        lifespan=lifespan,
    )
    app.state.broker = broker
    return app
