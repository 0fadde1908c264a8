"""Rate limits on mutations: every Mutation field takes a token from the viewer's bucket and from
the client address's bucket before it runs.

A refused mutation does not run. Its payload comes back with the other result fields null (or
empty lists) and `errors: [{code: RATE_LIMITED, message: "... retry after N s"}]`, and the HTTP
response carries `Retry-After: N`. A payload type that cannot be built that way (a required
result field) gets a GraphQL error with `extensions {code: RATE_LIMITED, retryAfter: N}`.

The client address is the one the ASGI server reports (`request.client`), never a header read
here: behind a reverse proxy `cungoods serve` lets uvicorn take it from X-Forwarded-For, and only
from the proxies in `CUNGOODS_FORWARDED_ALLOW_IPS` (from nobody when that is empty).

With `CUNGOODS_REDIS_URL` set the limiters live in Redis and every process shares them
(services/ratelimit.py).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from graphql import GraphQLError
from starlette.requests import HTTPConnection
from strawberry.extensions import FieldExtension
from strawberry.types.field import StrawberryField

from cungoods.api.context import Context, Info
from cungoods.api.errors import UserError, payload_with_errors
from cungoods.config import Settings
from cungoods.observability import metrics
from cungoods.services.errors import ErrorCode
from cungoods.services.ratelimit import (
    KNOWN_DEVICE_SECONDS,
    PER_PHONE_FACTOR,
    FailureBackoff,
    Limits,
    LoginThrottle,
    MemoryMarks,
    RateLimited,
    RateLimiter,
    RedisBackoff,
    RedisMarks,
    RedisRateLimiter,
    redis_storage,
)


class MutationRateLimit(FieldExtension):
    """Refuses a mutation when the viewer or the client address has no token left."""

    field: StrawberryField | None = None

    def apply(self, field: StrawberryField) -> None:
        self.field = field  # one instance per field: it builds that field's payload

    async def resolve_async(
        self, next_: Callable[..., Awaitable[Any]], source: Any, info: Info, **kwargs: Any
    ) -> Any:
        context = info.context
        limits = getattr(context, "limits", None)
        if isinstance(context, Context) and isinstance(limits, Limits):
            wait = await _wait(limits, context)
            if wait > 0:
                return self._refuse(info, RateLimited(wait))
        return await next_(source, info, **kwargs)

    def _refuse(self, info: Info, error: RateLimited) -> Any:
        metrics.count_errors([error.code.value], source="payload")
        response = info.context.response
        if response is not None:
            response.headers["Retry-After"] = str(error.retry_after)
        errors = [UserError(code=error.code, message=error.message)]
        payload = None if self.field is None else payload_with_errors(self.field.type, errors)
        if payload is not None:
            return payload
        raise GraphQLError(
            error.message,
            extensions={"code": ErrorCode.RATE_LIMITED.value, "retryAfter": error.retry_after},
        )


def limits_from(settings: Settings) -> Limits:
    """The limiters of one server, sized by its settings: in Redis when `redis_url` is set,
    else in this process's memory."""
    base, cap = settings.login_lock_seconds, settings.login_lock_max_seconds
    per_phone_free = settings.login_free_failures * PER_PHONE_FACTOR
    if settings.redis_url:
        storage = redis_storage(settings.redis_url)
        return Limits(
            per_viewer=RedisRateLimiter(
                storage,
                name="viewer",
                burst=settings.rate_limit_viewer_burst,
                per_minute=settings.rate_limit_viewer_per_minute,
            ),
            per_address=RedisRateLimiter(
                storage,
                name="address",
                burst=settings.rate_limit_address_burst,
                per_minute=settings.rate_limit_address_per_minute,
            ),
            login=LoginThrottle(
                per_device=RedisBackoff(
                    storage,
                    name="login",
                    free_failures=settings.login_free_failures,
                    base_seconds=base,
                    max_seconds=cap,
                ),
                per_phone=RedisBackoff(
                    storage,
                    name="login-phone",
                    free_failures=per_phone_free,
                    base_seconds=base,
                    max_seconds=cap,
                ),
                known_devices=RedisMarks(
                    storage, name="login-known", keep_seconds=KNOWN_DEVICE_SECONDS
                ),
            ),
        )
    return Limits(
        per_viewer=RateLimiter(
            burst=settings.rate_limit_viewer_burst,
            per_minute=settings.rate_limit_viewer_per_minute,
        ),
        per_address=RateLimiter(
            burst=settings.rate_limit_address_burst,
            per_minute=settings.rate_limit_address_per_minute,
        ),
        login=LoginThrottle(
            per_device=FailureBackoff(
                free_failures=settings.login_free_failures, base_seconds=base, max_seconds=cap
            ),
            per_phone=FailureBackoff(
                free_failures=per_phone_free, base_seconds=base, max_seconds=cap
            ),
            known_devices=MemoryMarks(keep_seconds=KNOWN_DEVICE_SECONDS),
        ),
    )


def client_address(connection: HTTPConnection) -> str:
    """The client's address as the ASGI server reports it (after uvicorn's proxy-headers
    handling for the trusted proxies only)."""
    client = connection.client
    return client.host if client else "unknown"


def limit_mutations(mutation: type) -> type:
    """Put the rate limit on every field of the merged Mutation type (once: the field objects are
    shared by every schema built in this process)."""
    for field in mutation.__strawberry_definition__.fields:  # type: ignore[attr-defined]
        if not any(isinstance(e, MutationRateLimit) for e in field.extensions):
            field.extensions.append(MutationRateLimit())  # last is outermost: runs first
    return mutation


async def _wait(limits: Limits, context: Context) -> float:
    if context.viewer is not None:
        wait = await limits.per_viewer.take(f"viewer:{context.viewer.id}")
        if wait > 0:
            return wait
    return await limits.per_address.take(f"address:{client_address(context.request)}")
