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


class Observability(SchemaExtension):
    def on_operation(self) -> Iterator[None]:
        started = time.perf_counter()
        viewer = getattr(self.execution_context.context, "viewer", None)
        tokens: list[tuple[ContextVar[Any], Token[Any]]] = [
            (logs.viewer_id_var, logs.viewer_id_var.set(getattr(viewer, "id", None))),
            (logs.operation_var, logs.operation_var.set(self.execution_context.operation_name)),
        ]
        try:
            yield
            self._record(time.perf_counter() - started)
        finally:
            for var, token in reversed(tokens):
                # A subscription may end in another context than it started in.
                with contextlib.suppress(ValueError):
                    var.reset(token)

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
        name = context.operation_name
        label = metrics.operation_label(name)
        metrics.GRAPHQL_REQUESTS.labels(operation=label, type=kind).inc()
        metrics.GRAPHQL_DURATION.labels(operation=label, type=kind).observe(seconds)
        result = context.result
        errors = (getattr(result, "errors", None) if result is not None else None) or []
        codes = [error_code(error, parsed=parsed) for error in errors]
        metrics.count_errors(codes, source="graphql")
        log.info(
            "graphql %s %s",
            kind,
            name or "anonymous",
            extra={"type": kind, "duration_ms": round(seconds * 1000, 2), "error_codes": codes},
        )
