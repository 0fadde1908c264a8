"""Validate each query text once: the mini-program sends the same few documents all day, and
graphql-core's validation of even a small mutation costs more than the rest of its GraphQL work.

The rules split in two. Most (the spec's, depth, aliases, introspection) depend only on the schema
and the document, so a document that passed them once passes them again; only documents that
passed are remembered (no error objects are shared between requests), in a bounded LRU so a
stranger sending endless distinct queries cannot grow memory. Checks that read the request (the
cost budget reads `first` from the variables; no NUL in the variables) run on every request:
extensions register them with `add_request_check` as plain functions, not as ValidationRule
classes made per request (graphql-core builds a visitor table for every Visitor subclass, which
cost more per WebSocket subscribe than the rest of its validation).

Place it after every extension that adds validation rules or request checks.
Parsing is cached too (CachedParse, strawberry's ParserCache keyed by the text).
"""

from __future__ import annotations

import contextlib
from collections import OrderedDict
from collections.abc import Callable, Iterator
from threading import Lock

from graphql import DocumentNode, GraphQLError, GraphQLSchema
from strawberry.extensions import ParserCache, SchemaExtension
from strawberry.schema.schema import validate_document
from strawberry.types import ExecutionContext

DEFAULT_MAXSIZE = 256
# One request's check of its document against what only the request knows (its variables).
RequestCheck = Callable[[GraphQLSchema, DocumentNode], list[GraphQLError]]
_CHECKS = "cungoods_request_checks"  # where a request's checks wait on its execution context


def add_request_check(context: ExecutionContext, check: RequestCheck) -> None:
    """Have CachedValidation run `check` on this request's document, after the rules."""
    checks: list[RequestCheck] | None = getattr(context, _CHECKS, None)
    if checks is None:
        setattr(context, _CHECKS, [check])
    else:
        checks.append(check)


class ValidDocuments:
    """Query texts that passed the static rules of one schema: a bounded LRU set."""

    def __init__(self, maxsize: int = DEFAULT_MAXSIZE) -> None:
        self.maxsize = maxsize
        self._texts: OrderedDict[str, None] = OrderedDict()
        self._lock = Lock()

    def known(self, text: str) -> bool:
        with self._lock:
            if text not in self._texts:
                return False
            self._texts.move_to_end(text)
            return True

    def add(self, text: str) -> None:
        with self._lock:
            self._texts[text] = None
            self._texts.move_to_end(text)
            while len(self._texts) > self.maxsize:
                self._texts.popitem(last=False)


class CachedParse(ParserCache):
    """strawberry's ParserCache, except that a text that does not parse is left to strawberry's
    own parse, which reports the syntax error inside the operation like any request error.
    ParserCache raises it from its hook instead, past every extension's `on_operation`: the
    error went out without `extensions.code` and unseen by the error mask and the metrics."""

    def on_parse(self) -> Iterator[None]:
        context = self.execution_context
        # A text that does not parse is parsed again, and refused, by strawberry (a bad text
        # is never cached).
        with contextlib.suppress(GraphQLError):
            context.graphql_document = self.cached_parse_document(
                context.query, **context.parse_options
            )
        yield


class CachedValidation(SchemaExtension):
    """Runs the validation itself (strawberry then skips its own): all rules on a query text's
    first sight, only the per-request ones once it is known to pass the rest."""

    def __init__(self, *, valid: ValidDocuments) -> None:
        self.valid = valid

    def on_validate(self) -> Iterator[None]:
        context = self.execution_context
        document, text = context.graphql_document, context.query
        if document is not None and text is not None and context.pre_execution_errors is None:
            schema = context.schema._schema
            errors: list[GraphQLError] = []
            if not self.valid.known(text):
                errors = validate_document(schema, document, context.validation_rules)
                if not errors:
                    self.valid.add(text)
            for check in getattr(context, _CHECKS, ()):
                errors += check(schema, document)
            context.pre_execution_errors = errors
        yield
