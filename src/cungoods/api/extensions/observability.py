"""Each GraphQL operation counted, timed and logged once: metrics by operation name and type,
errors by code, and a JSON log line with the request id, viewer id and operation name.

It is the first schema extension, so it leaves the operation last and sees the errors as the
client gets them (masked ones as INTERNAL).
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Iterator
from contextvars import ContextVar, Token
from typing import Any

from graphql import GraphQLError
from strawberry.extensions import SchemaExtension

from cungoods.observability import logs, metrics

log = logging.getLogger("cungoods.graphql")


def error_code(error: GraphQLError, *, parsed: bool) -> str:
    """The code of an error in a GraphQL response: its `extensions.code`, else what kind of
    error graphql-core made it."""
    code = (error.extensions or {}).get("code")
    if isinstance(code, str):
        return code
    if not parsed:
        return "GRAPHQL_PARSE_FAILED"
    if error.path is None:
        return "GRAPHQL_VALIDATION_FAILED"  # validation or variable coercion: nothing ran
    return "EXECUTION_ERROR"


@contextlib.contextmanager
def operation_logged(viewer_id: int | None, name: str | None) -> Iterator[None]:
    """The viewer and operation name on every log line written inside."""
    tokens: list[tuple[ContextVar[Any], Token[Any]]] = [
        (logs.viewer_id_var, logs.viewer_id_var.set(viewer_id)),
        (logs.operation_var, logs.operation_var.set(name)),
    ]
    try:
        yield
    finally:
        for var, token in reversed(tokens):
            # A subscription may end in another context than it started in.
            with contextlib.suppress(ValueError):
                var.reset(token)


def record(kind: str, name: str | None, seconds: float, codes: list[str]) -> None:
    """One operation: counted and timed by name and type, its errors by code, a log line."""
    label = metrics.operation_label(name)
    metrics.GRAPHQL_REQUESTS.labels(operation=label, type=kind).inc()
    metrics.GRAPHQL_DURATION.labels(operation=label, type=kind).observe(seconds)
    metrics.count_errors(codes, source="graphql")
    log.info(
        "graphql %s %s",
        kind,
        name or "anonymous",
        extra={"type": kind, "duration_ms": round(seconds * 1000, 2), "error_codes": codes},
    )


class Observability(SchemaExtension):
    def on_operation(self) -> Iterator[None]:
        started = time.perf_counter()
        viewer = getattr(self.execution_context.context, "viewer", None)
        with operation_logged(getattr(viewer, "id", None), self.execution_context.operation_name):
            yield
            self._record(time.perf_counter() - started)

    def on_validate(self) -> Iterator[None]:
        # Parsed now: an operation without a name in the request has its name from the document.
        logs.operation_var.set(self.execution_context.operation_name)
        yield

    def _record(self, seconds: float) -> None:
        context = self.execution_context
        parsed = context.graphql_document is not None
        try:
            kind = context.operation_type.value if parsed else "unknown"
        except Exception:  # several operations and no name: graphql-core reports it
            kind = "unknown"
        result = context.result
        errors = (getattr(result, "errors", None) if result is not None else None) or []
        codes = [error_code(error, parsed=parsed) for error in errors]
        record(kind, context.operation_name, seconds, codes)
