"""One event, thousands of subscribers: execute a shareable selection once per event.

GraphQL executes a subscription's selection set again for every subscriber and every event; with
10,000 people following one bus that is 10,000 identical executions. A selection of only scalar
fields of a `SharedEvent` (DeliveryEvent's id, cursor, kind, at, topic, stopSeq, message,
status) depends on nothing but the event and its topic: not on the viewer, not on the database.
For such a selection the first subscriber's result is kept on the event object (which all
subscribers of a topic share) and the others reuse it. Anything else (nested objects such as
`trip` or `order`, which load from the database and may depend on who asks, arguments,
directives) is executed per subscriber as usual.

This skips field-level resolver hooks for the shared results: the schema has none (its
extensions work per operation and per result).
"""

from __future__ import annotations

from collections.abc import Awaitable
from typing import Any, cast

import orjson
from graphql import (
    ExecutionResult,
    FieldNode,
    FragmentSpreadNode,
    GraphQLObjectType,
    GraphQLSchema,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
    get_named_type,
    is_leaf_type,
)
from graphql.pyutils import is_awaitable
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

_UNSET: Any = object()
MAX_KNOWN_DOCUMENTS = 1000
# What each subscription document was found to be: its share key, or None (not shareable).
_keys: dict[tuple[int, str, str], str | None] = {}


class SharedEvent:
    """A subscription payload whose scalar fields are the same for every subscriber; results
    executed against it are kept here, by selection, and their data encoded once."""

    shared_results: dict[str, ExecutionResult]
    shared_encoded: dict[str, bytes]

    def shared_data_json(self, key: str) -> bytes | None:
        """The data of the shared result for selection `key`, as JSON; None while no
        subscriber has executed that selection against this event (or when it had errors)."""
        encoded = self.shared_encoded.get(key)
        if encoded is None:
            result = self.shared_results.get(key)
            if result is None:
                return None
            encoded = self.shared_encoded[key] = orjson.dumps(result.data)
        return encoded


def _leaf_only(
    selection_set: SelectionSetNode,
    parent: GraphQLObjectType,
    fragments: dict[str, Any],
) -> bool:
    for selection in selection_set.selections:
        if selection.directives:
            return False
        if isinstance(selection, FieldNode):
            if selection.arguments or selection.selection_set is not None:
                return False
            if selection.name.value == "__typename":
                continue
            field = parent.fields.get(selection.name.value)
            if field is None or not is_leaf_type(get_named_type(field.type)):
                return False
        elif isinstance(selection, InlineFragmentNode):
            if not _leaf_only(selection.selection_set, parent, fragments):
                return False
        elif isinstance(selection, FragmentSpreadNode):
            fragment = fragments.get(selection.name.value)
            if fragment is None or not _leaf_only(fragment.selection_set, parent, fragments):
                return False
        else:
            return False
    return True


def _document_text(operation: OperationDefinitionNode) -> str | None:
    """The whole document as the client sent it (its fragments included), if known."""
    loc = operation.loc
    return None if loc is None or loc.source is None else loc.source.body


def share_key(
    schema: GraphQLSchema, operation: OperationDefinitionNode, fragments: dict[str, Any]
) -> str | None:
    """For a subscription whose root field selects only leaf fields: a key naming that
    selection (the same for every subscriber who sent the same document). None otherwise.
    Worked out once per document."""
    text = _document_text(operation)
    if text is None:
        return None
    name = operation.name.value if operation.name else ""
    known = (id(schema), text, name)
    if known in _keys:
        return _keys[known]
    key = _analyse(schema, operation, fragments, text, name)
    if len(_keys) >= MAX_KNOWN_DOCUMENTS:
        _keys.clear()
    _keys[known] = key
    return key


def _analyse(
    schema: GraphQLSchema,
    operation: OperationDefinitionNode,
    fragments: dict[str, Any],
    text: str,
    name: str,
) -> str | None:
    roots = operation.selection_set.selections
    subscription = schema.subscription_type
    if not (
        operation.operation.value == "subscription"
        and subscription is not None
        and len(roots) == 1
        and isinstance(roots[0], FieldNode)
        and not roots[0].directives
        and roots[0].selection_set is not None
    ):
        return None
    root = roots[0]
    assert root.selection_set is not None  # checked above; for the type checker
    field = subscription.fields.get(root.name.value)
    payload_type = None if field is None else get_named_type(field.type)
    if not isinstance(payload_type, GraphQLObjectType) or not _leaf_only(
        root.selection_set, payload_type, fragments
    ):
        return None
    # The same document (fragments and all) and the same root field: the variables only
    # feed the root field's arguments, which chose the topic and the cursor.
    return f"{name}\n{root.name.value}\n{text}"


class SharedEventExecution(StrawberryGraphQLCoreExecutionContext):
    """The executor: per event, reuse the result another subscriber's identical selection got."""

    _share_key: str | None = _UNSET
    _store_as: str | None = None

    def _shareable_key(self) -> str | None:
        if self._share_key is _UNSET:
            self._share_key = share_key(
                self.schema, self.operation, dict(self.fragment_definitions)
            )
        return self._share_key

    def build_per_event_executor(self, payload: Any) -> Any:
        if isinstance(payload, SharedEvent):
            key = self._shareable_key()
            if key is not None:
                cached = payload.shared_results.get(key)
                if cached is not None:
                    return _Done(cached)
                executor = cast(SharedEventExecution, super().build_per_event_executor(payload))
                executor._store_as = key
                return executor
        return super().build_per_event_executor(payload)

    def execute_operation(self, serially: bool | None = None) -> Any:
        result = super().execute_operation(serially)
        key = self._store_as
        if key is None:
            return result
        payload = self.root_value
        if is_awaitable(result):
            return self._store_later(result, payload, key)
        _store(payload, key, result)
        return result

    @staticmethod
    async def _store_later(result: Awaitable[Any], payload: SharedEvent, key: str) -> Any:
        done = await result
        _store(payload, key, done)
        return done


def _store(payload: SharedEvent, key: str, result: Any) -> None:
    if isinstance(result, ExecutionResult) and not result.errors:
        payload.shared_results[key] = result


class _Done:
    """A per-event executor whose result is already known."""

    def __init__(self, result: ExecutionResult) -> None:
        self.result = result

    def execute_operation(self, serially: bool | None = None) -> ExecutionResult:
        return self.result
