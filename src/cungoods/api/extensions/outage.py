"""One answer to a database outage, whichever part of a request met it.

While PostgreSQL is away the viewer's token cannot be looked up (app.py answers HTTP 503 before
GraphQL runs) or a resolver fails (its error is DATABASE_UNAVAILABLE, api/errors.py). Both are
the same news for a client, so both are HTTP 503 with `Retry-After` and the code
DATABASE_UNAVAILABLE: a client (or a proxy) retries on the status alone, and never mistakes an
outage for a partial success. Over a WebSocket the error message says it (there is no status).
"""

from __future__ import annotations

from collections.abc import Iterator

from graphql import GraphQLError
from starlette.responses import Response
from strawberry.extensions import SchemaExtension

from cungoods.db.errors import DATABASE_UNAVAILABLE, RETRY_AFTER_SECONDS, is_database_unavailable

SERVICE_UNAVAILABLE = 503


def met_outage(errors: list[GraphQLError] | None) -> bool:
    """Whether any of a result's errors is the database being unavailable."""
    return any(
        (error.extensions or {}).get("code") == DATABASE_UNAVAILABLE
        or is_database_unavailable(error.original_error)
        for error in errors or []
    )


class OutageStatus(SchemaExtension):
    """HTTP 503 with Retry-After when an operation met a database outage."""

    def on_operation(self) -> Iterator[None]:
        yield
        result = self.execution_context.result
        if not met_outage(getattr(result, "errors", None)):
            return
        response = getattr(self.execution_context.context, "response", None)
        if isinstance(response, Response):
            response.status_code = SERVICE_UNAVAILABLE
            response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
