"""Rate limits on mutations: every Mutation field takes a token from the viewer's bucket and from
the client address's bucket before it runs.

A refused mutation does not run. Its payload comes back with the other result fields null (or
empty lists) and `errors: [{code: RATE_LIMITED, message: "... retry after N s"}]`, and the HTTP
response carries `Retry-After: N`. A payload type that cannot be built that way (a required
result field) gets a GraphQL error with `extensions {code: RATE_LIMITED, retryAfter: N}`.

The client address is the one the ASGI server reports: behind a proxy, let uvicorn take it from
X-Forwarded-For (`--forwarded-allow-ips`).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from graphql import GraphQLError
from strawberry.extensions import FieldExtension
from strawberry.types.field import StrawberryField

from cungoods.api.context import Context, Info
from cungoods.api.errors import UserError, payload_with_errors
from cungoods.config import Settings
from cungoods.observability import metrics
from cungoods.services.errors import ErrorCode
from cungoods.services.ratelimit import FailureBackoff, Limits, RateLimited, RateLimiter


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
            wait = _wait(limits, context)
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
    """The limiters of one server, sized by its settings."""
    return Limits(
        per_viewer=RateLimiter(
            burst=settings.rate_limit_viewer_burst,
            per_minute=settings.rate_limit_viewer_per_minute,
        ),
        per_address=RateLimiter(
            burst=settings.rate_limit_address_burst,
            per_minute=settings.rate_limit_address_per_minute,
        ),
        login=FailureBackoff(
            free_failures=settings.login_free_failures,
            base_seconds=settings.login_lock_seconds,
            max_seconds=settings.login_lock_max_seconds,
        ),
    )


def limit_mutations(mutation: type) -> type:
    """Put the rate limit on every field of the merged Mutation type (once: the field objects are
    shared by every schema built in this process)."""
    for field in mutation.__strawberry_definition__.fields:  # type: ignore[attr-defined]
        if not any(isinstance(e, MutationRateLimit) for e in field.extensions):
            field.extensions.append(MutationRateLimit())  # last is outermost: runs first
    return mutation


def _wait(limits: Limits, context: Context) -> float:
    if context.viewer is not None:
        wait = limits.per_viewer.acquire(f"viewer:{context.viewer.id}")
        if wait > 0:
            return wait
    client = context.request.client
    return limits.per_address.acquire(f"address:{client.host if client else 'unknown'}")
