"""What a production server keeps to itself: no introspection, and no "Did you mean ...?" in
error messages (both would walk a stranger through the schema). GraphiQL is off there too (see
app.py). Development keeps all three, for people trying the API."""

from __future__ import annotations

import re
from collections.abc import Iterator

from graphql import GraphQLError
from strawberry.extensions import DisableIntrospection, SchemaExtension
from strawberry.types import StreamExecutionResult

SUGGESTION = re.compile(r" ?Did you mean [^?]*\?")


class HideSuggestions(SchemaExtension):
    """Strips graphql-core's field, argument, type and enum value suggestions from errors."""

    def on_operation(self) -> Iterator[None]:
        yield
        result = self.execution_context.result
        for error in getattr(result, "errors", None) or ():
            _strip(error)
        for error in self.execution_context.pre_execution_errors or ():
            _strip(error)

    def on_stream_result(self, result: StreamExecutionResult) -> Iterator[None]:
        # Subscriptions send each result (a refused one too) before the operation ends.
        for error in getattr(result, "errors", None) or ():
            _strip(error)
        yield


def _strip(error: GraphQLError) -> None:
    error.message = SUGGESTION.sub("", error.message)


def production_extensions(production: bool) -> list[type[SchemaExtension]]:
    """The schema extensions for the environment."""
    return [DisableIntrospection, HideSuggestions] if production else []
