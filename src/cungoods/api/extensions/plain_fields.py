"""Plain attribute access for plain fields: the executor reads `number`, `quantity` or `weightG`
straight off the objects the resolvers built, instead of running a resolver per leaf.

graphql-core executes every field the same way: a `Path`, a `GraphQLResolveInfo` (with a list of
its field nodes), the resolver (for a field without one, strawberry's wrapper around getattr),
then completion: null checks, list and object completion, `is_type_of`, serialization. A
manifest of 600 orders has some 20,000 fields, and that machinery cost more than everything
else in the request together. Most of our fields are plain: dataclass attributes, without
arguments or a resolver, of a built-in scalar, an enum, or an object or list of such. So:

- **plain subtrees**: where a value's whole selection is plain (the orders of a manifest with
  their lines, products and buyers; a leg with its loads), `complete_value` builds its JSON in
  one pass of getattr and dicts, from a reader compiled once per selection per request;
- **plain leaves**: in the other objects, `execute_fields` reads the plain leaves directly and
  leaves the rest (resolvers, arguments) to graphql-core.

Anything the fast paths do not vouch for goes the ordinary way, for the whole value: fields with
a resolver or arguments, directives (@defer, @stream, @skip...), interfaces and unions, a None
on a non-null field, an int beyond 32 bits, a value of an unexpected type, an exception.
Reading is free of side effects (attributes of built objects), so graphql-core then produces
exactly the result or the located error it always did. The schema's extensions work per
operation, not per field, so no hook is skipped (a field-resolving extension turns the fast
paths off).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from graphql import (
    GraphQLBoolean,
    GraphQLEnumType,
    GraphQLField,
    GraphQLFloat,
    GraphQLID,
    GraphQLInt,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLScalarType,
    GraphQLString,
)
from graphql.pyutils import Path

from cungoods.api.extensions.fanout import SharedEventExecution

MAX_INT = 2**31 - 1
MIN_INT = -(2**31)
INFINITY = float("inf")
# Far more fields than one schema has: only tests that build many schemas reach it.
MAX_LEAF_PLANS = 20_000
_SLOW: Any = object()  # "take the ordinary path"
Reader = Callable[[Any], Any]
# Per GraphQLField (by id, checked by identity: schemas come and go in tests): how to read a
# plain leaf field, or None.
_leaf_plans: dict[int, tuple[GraphQLField, tuple[str, Any, bool] | None]] = {}


def _attribute(field: GraphQLField) -> str | None:
    """The Python attribute a plain field reads, or None if it has a resolver or arguments."""
    definition = field.extensions.get("strawberry-definition")
    if (
        definition is None
        or field.args
        or not getattr(field.resolve, "_is_default", False)
        or definition.default_resolver is not getattr
    ):
        return None
    name: str = definition.python_name
    return name


def _leaf(value: Any, kind: Any) -> Any:
    """The serialized value of a non-null leaf, or _SLOW where graphql-core must decide."""
    cls = type(value)
    if kind is GraphQLInt:
        return value if cls is int and MIN_INT <= value <= MAX_INT else _SLOW
    if kind is GraphQLString or kind is GraphQLID:
        return value if cls is str else _SLOW
    if kind is GraphQLBoolean:
        return value if cls is bool else _SLOW
    if kind is GraphQLFloat:
        return value if cls is float and abs(value) < INFINITY else _SLOW
    try:
        serialized = kind.serialize(value)
    except Exception:  # noqa: BLE001  (the ordinary path reports it, located)
        return _SLOW
    return _SLOW if serialized is None else serialized


def _leaf_plan(field: GraphQLField) -> tuple[str, Any, bool] | None:
    """(attribute, scalar or enum type, nullable) for a plain leaf field of a built-in scalar
    or an enum."""
    known = _leaf_plans.get(id(field))
    if known is not None and known[0] is field:
        return known[1]
    plan = None
    name = _attribute(field)
    kind: Any = field.type
    nullable = not isinstance(kind, GraphQLNonNull)
    if not nullable:
        kind = kind.of_type
    if name is not None and (
        kind in (GraphQLString, GraphQLInt, GraphQLFloat, GraphQLBoolean, GraphQLID)
        or isinstance(kind, GraphQLEnumType)
    ):
        plan = (name, kind, nullable)
    if len(_leaf_plans) >= MAX_LEAF_PLANS:
        _leaf_plans.clear()
    _leaf_plans[id(field)] = (field, plan)
    return plan


def _non_null(inner: Reader) -> Reader:
    def read(value: Any) -> Any:
        return _SLOW if value is None else inner(value)

    return read


def _list_of(item: Reader) -> Reader:
    def read(value: Any) -> Any:
        if value is None:
            return None
        if not isinstance(value, list | tuple):
            return _SLOW
        out = []
        for element in value:
            done = item(element)
            if done is _SLOW:
                return _SLOW
            out.append(done)
        return out

    return read


def _scalar(kind: Any) -> Reader:
    def read(value: Any) -> Any:
        return None if value is None else _leaf(value, kind)

    return read


def _object(kind: GraphQLObjectType, fields: list[tuple[str, str | None, Reader | None]]) -> Reader:
    """Reads (response name, attribute, reader) per field; attribute None is __typename."""
    # strawberry's check is an isinstance on the value; it does not look at the info
    is_type_of: Any = kind.is_type_of
    type_name = kind.name

    def read(value: Any) -> Any:
        if value is None:
            return None
        if is_type_of is not None and is_type_of(value, None) is not True:
            return _SLOW
        out = {}
        try:
            for response_name, attribute, reader in fields:
                if attribute is None:
                    out[response_name] = type_name
                    continue
                assert reader is not None
                done = reader(getattr(value, attribute))
                if done is _SLOW:
                    return _SLOW
                out[response_name] = done
        except Exception:  # noqa: BLE001  (the ordinary path reports it, located)
            return _SLOW
        return out

    return read


class PlainFieldExecution(SharedEventExecution):
    """The schema's executor: plain subtrees and leaves by attribute (above), the rest as
    graphql-core does, and subscription events shared (fanout.py)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # (type, id of a selection) -> (the selection, kept alive; its reader or None)
        self._readers: dict[tuple[Any, int], tuple[Any, Reader | None]] = {}

    def _fast(self) -> bool:
        # Strawberry always passes a manager; it wraps resolvers only if an extension
        # resolves fields (none in this schema), and then every field goes the long way.
        manager = self.middleware_manager
        return manager is None or not manager.middlewares

    def complete_value(  # noqa: PLR0917
        self,
        return_type: Any,
        field_details_list: Any,
        info: Any,
        path: Path,
        result: Any,
        position_context: Any,
    ) -> Any:
        if not isinstance(result, Exception) and not self.is_awaitable(result) and self._fast():
            reader = self._reader(return_type, field_details_list)
            if reader is not None:
                done = reader(result)
                if done is not _SLOW:
                    return done
        return super().complete_value(
            return_type, field_details_list, info, path, result, position_context
        )

    def _reader(self, kind: Any, details: Any) -> Reader | None:
        """How to read a value of `kind` with this selection in one pass, or None if some of
        it is not plain. Worked out once per selection (the executor memoizes the selections
        of a request, so their identity is stable)."""
        readers = self._readers
        key = (kind, id(details))
        known = readers.get(key)
        if known is not None:
            return known[1]
        reader = self._compile(kind, details)
        readers[key] = (details, reader)  # keeps `details` alive, so its id is not reused
        return reader

    def _compile(self, kind: Any, details: Any) -> Reader | None:
        if isinstance(kind, GraphQLNonNull):
            inner = self._reader(kind.of_type, details)
            return None if inner is None else _non_null(inner)
        if isinstance(kind, GraphQLList):
            item = self._reader(kind.of_type, details)
            return None if item is None else _list_of(item)
        if isinstance(kind, GraphQLScalarType | GraphQLEnumType):
            return _scalar(kind)
        if not isinstance(kind, GraphQLObjectType):
            return None  # interfaces and unions resolve their type first
        grouped, defer_usages, *_ = self.collect_subfields(kind, details)
        if defer_usages:
            return None
        fields: list[tuple[str, str | None, Reader | None]] = []
        for response_name, sub_details in grouped.items():
            node = sub_details[0].node
            if any(detail.node.directives or detail.node.arguments for detail in sub_details):
                return None
            if node.name.value == "__typename":
                fields.append((response_name, None, None))
                continue
            field = kind.fields.get(node.name.value)
            if field is None:
                continue  # left out of the result, as graphql-core does
            attribute = _attribute(field)
            if attribute is None:
                return None
            reader = self._reader(field.type, sub_details)
            if reader is None:
                return None
            fields.append((response_name, attribute, reader))
        return _object(kind, fields)

    def execute_fields(
        self,
        parent_type: GraphQLObjectType,
        source_value: Any,
        path: Path | None,
        grouped_field_set: Any,
        position_context: Any,
    ) -> Any:
        if not self._fast():
            return super().execute_fields(
                parent_type, source_value, path, grouped_field_set, position_context
            )
        fast: dict[str, Any] = {}
        rest: dict[str, Any] = {}
        fields = parent_type.fields
        for response_name, details in grouped_field_set.items():
            field = fields.get(details[0].node.name.value)
            plan = None if field is None else _leaf_plan(field)
            if plan is not None:
                attribute, kind, nullable = plan
                try:
                    value = getattr(source_value, attribute)
                except Exception:  # noqa: BLE001  (the ordinary path reports it)
                    value = _SLOW
                if value is None:
                    if nullable:
                        fast[response_name] = None
                        continue
                elif value is not _SLOW:
                    value = _leaf(value, kind)
                    if value is not _SLOW:
                        fast[response_name] = value
                        continue
            rest[response_name] = details
        if not rest:
            return fast
        if not fast:
            return super().execute_fields(
                parent_type, source_value, path, grouped_field_set, position_context
            )
        others: Any = super().execute_fields(
            parent_type, source_value, path, rest, position_context
        )
        order = list(grouped_field_set)
        if self.is_awaitable(others):
            return _merge_later(others, fast, order)
        return _merged(fast, others, order)


async def _merge_later(others: Any, fast: dict[str, Any], order: list[str]) -> dict[str, Any]:
    return _merged(fast, await others, order)


def _merged(fast: dict[str, Any], others: dict[str, Any], order: list[str]) -> dict[str, Any]:
    """Both halves in the order the query asked for them (a response keeps the field order)."""
    merged: dict[str, Any] = {}
    for name in order:
        if name in fast:
            merged[name] = fast[name]
        elif name in others:  # a field the schema does not know is left out, as before
            merged[name] = others[name]
    return merged
