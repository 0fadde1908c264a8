"""The per-request (and per-operation, on a WebSocket) context handed to every resolver."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from dataclasses import dataclass, field, replace
from typing import Any, TypeVar

from starlette.requests import Request
from starlette.responses import Response
from starlette.websockets import WebSocket
from strawberry.types import Info as StrawberryInfo

from cungoods.api.loaders import Loaders
from cungoods.config import Settings
from cungoods.events.watermark import Mark
from cungoods.services.auth import Viewer
from cungoods.services.ratelimit import Limits

T = TypeVar("T")


def start_early(work: Awaitable[T]) -> asyncio.Future[T]:
    """Start `work` now for a request that awaits it later, or not at all (GraphiQL's page runs
    no operation): its error is then taken off the task, which asyncio would otherwise log as
    never retrieved. Awaiting the task still raises it."""
    task = asyncio.ensure_future(work)
    task.add_done_callback(_looked_at)
    return task


def _looked_at(task: asyncio.Future[Any]) -> None:
    if not task.cancelled():
        task.exception()


@dataclass
class Context:
    settings: Settings
    request: Request | WebSocket
    response: Response | None = None
    viewer: Viewer | None = None
    # Why the token was refused, if one was sent: resolvers that need a viewer report it.
    auth_error: str | None = None
    # The bearer token the viewer came from: a WebSocket re-reads the viewer from it before
    # every operation and event (services/sessions.py).
    token: str | None = None
    loaders: Loaders = field(default_factory=Loaders)
    # strawberry stores the graphql-transport-ws connection_init payload here (must be declared).
    connection_params: dict[str, Any] | None = None
    broker: Any = None
    # The server's rate limiters (mutations per viewer and address, failed logins per phone).
    limits: Limits | None = None
    # Per root field (its response key), the trips its answer shows, as its resolver said
    # (api/extensions/response_cache.answer_shows_trips): the cache's topics for the answer.
    trips_shown: dict[str, frozenset[int]] = field(default_factory=dict)
    # A mark the cache's recheck took while finding this request's kept answer changed: the
    # answer computed next starts from it (events/watermark.py).
    cache_mark: Mark | None = None
    # Over HTTP, the viewer's look-up, started with the request and awaited (`signed_in`) just
    # before the operation, so the response cache's recheck can run beside it (http_view.py).
    signing_in: asyncio.Future[None] | None = None

    async def signed_in(self) -> None:
        """Wait for the viewer's look-up, if one is under way; raises what it raised (a 503
        while the database is away)."""
        lookup, self.signing_in = self.signing_in, None
        if lookup is not None:
            await lookup

    def fresh(self) -> Context:
        """A copy with new loaders, for one operation or one event on a long-lived socket. It
        keeps `cache_mark`: over HTTP the view's recheck sets it just before the operation
        (a socket's own context never holds one; the extension sets it on the copy)."""
        return replace(self, loaders=Loaders(), trips_shown={})

    @property
    def max_page_size(self) -> int:
        return self.settings.max_page_size


Info = StrawberryInfo[Context, None]
