"""Query cost: a GitHub-style estimate of how much a query asks for, refused over a budget before
anything runs.

The model: every field that returns an object counts 1 each time it would be resolved; scalar
fields are free. A connection (a field with a `first` argument) multiplies the lists directly
beneath it (`edges`, `nodes`) by its page size: `first` or `last` (a literal or a variable), or
else the field's own page size (api/scalars.connection_field), capped at the maximum page size.
A plain list multiplies by the estimate in LIST_ESTIMATES for the lists we know grow with the
network (routes, trips, stops, ...), else by 1. Fragments count where they are spread; every
type-conditioned branch counts (an upper bound).

For example `stations(first: 100) { edges { node { leader { name } } } }` costs
1 + 100 × (1 + 1 + 1) = 301, and the same nested in a list of 12 trips costs twelve times that.

A text search is dearer than a page of rows: every term is a substring match over several
columns. A field given one (SEARCH_ARGUMENTS) costs SEARCH_TERM_COST more per term (at most
services/search.MAX_TERMS terms count; more are refused by the resolver) each time it would be
resolved, so `produceListings(filter: {text: "8 words"}) { nodes { title } }` costs
1 + 8 × 25 + 20 = 221, and thirty aliases of it stay within the default budget of 5000 only
with fewer words or smaller pages.
The check is a validation rule, so an over-budget query is a request error (HTTP 400 with
`application/graphql-response+json`) carrying `extensions.code = QUERY_TOO_COSTLY`, its cost and
the budget. Every response, refused or not, carries `extensions.cost { requested budget }`.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLField,
    GraphQLInt,
    GraphQLNamedType,
    GraphQLSchema,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
    VariableNode,
    get_named_type,
    get_nullable_type,
    is_list_type,
    value_from_ast,
    value_from_ast_untyped,
)
from strawberry.extensions import SchemaExtension
from strawberry.schema.schema_converter import GraphQLCoreConverter

from cungoods.api.extensions.validation_cache import add_request_check
from cungoods.api.scalars import PAGE_SIZE_KEY
from cungoods.services.search import MAX_TERMS

# How many items the plain (unpaginated) lists we know about hold at most, about: a county runs a
# handful of routes of up to ~30 stops, a dozen trips a day, and sale windows of up to ~100 items.
LIST_ESTIMATES: Mapping[str, int] = {
    "Query.routes": 10,
    "Query.trips": 12,
    "Query.openSaleWindows": 5,
    "Query.capacityOutlook": 14,
    "Route.stops": 30,
    "Trip.stops": 32,
    "Trip.legs": 32,
    "SaleWindow.items": 100,
    "ProduceRequest.offers": 20,
}
# Where a field takes its search text: the argument, then the input field inside it.
SEARCH_ARGUMENTS: Mapping[str, tuple[str, ...]] = {
    "Query.produceListings": ("filter", "text"),
    "Query.stations": ("search",),
    "Query.products": ("search",),
}
SEARCH_TERM_COST = 25
COSTLY = "QUERY_TOO_COSTLY"
log = logging.getLogger("cungoods.cost")


def query_cost(
    schema: GraphQLSchema,
    document: DocumentNode,
    *,
    variables: Mapping[str, Any] | None,
    operation_name: str | None,
    max_page_size: int,
) -> int:
    """The cost of the operation `operation_name` (or the only one) of `document`; 0 when
    there is no such operation (validation reports that)."""
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    if operation_name is not None:
        operations = [o for o in operations if o.name and o.name.value == operation_name]
    if len(operations) != 1:
        return 0
    operation = operations[0]
    root = schema.get_root_type(operation.operation)
    if root is None:
        return 0
    defaults = {
        d.variable.name.value: value_from_ast(d.default_value, GraphQLInt)
        for d in operation.variable_definitions or ()
        if d.default_value is not None
    }
    estimator = _Estimator(
        schema=schema,
        fragments={
            d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
        },
        variables={**defaults, **(variables or {})},
        max_page_size=max_page_size,
    )
    return estimator.selection_set(operation.selection_set, root, None, frozenset())


class _Estimator:
    def __init__(
        self,
        *,
        schema: GraphQLSchema,
        fragments: dict[str, FragmentDefinitionNode],
        variables: Mapping[str, Any],
        max_page_size: int,
    ) -> None:
        self.schema = schema
        self.fragments = fragments
        self.variables = variables
        self.max_page_size = max_page_size

    def selection_set(
        self,
        selection_set: SelectionSetNode,
        parent: GraphQLNamedType,
        list_size: int | None,
        spread: frozenset[str],
    ) -> int:
        """`list_size` is the `first` of the connection this selection set belongs to."""
        total = 0
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                total += self.field(selection, parent, list_size, spread)
            elif isinstance(selection, InlineFragmentNode):
                condition = selection.type_condition
                typ = self.schema.get_type(condition.name.value) if condition else parent
                if typ is not None:
                    total += self.selection_set(selection.selection_set, typ, list_size, spread)
            elif isinstance(selection, FragmentSpreadNode):
                name = selection.name.value
                fragment = self.fragments.get(name)
                if fragment is None or name in spread:  # unknown or cyclic: validation says so
                    continue
                typ = self.schema.get_type(fragment.type_condition.name.value)
                if typ is not None:
                    total += self.selection_set(
                        fragment.selection_set, typ, list_size, spread | {name}
                    )
        return total

    def field(
        self, node: FieldNode, parent: GraphQLNamedType, list_size: int | None, spread: frozenset
    ) -> int:
        if node.selection_set is None:
            return 0  # scalars and enums are free
        fields: Mapping[str, GraphQLField] | None = getattr(parent, "fields", None)
        definition = fields.get(node.name.value) if fields else None
        if definition is None:
            return 0  # introspection meta fields, or unknown fields validation reports
        if is_list_type(get_nullable_type(definition.type)):
            estimate = LIST_ESTIMATES.get(f"{parent.name}.{node.name.value}", 1)
            times = list_size if list_size is not None else estimate
        else:
            times = 1
        child_size = self.page_size(node, definition) if "first" in definition.args else None
        child = get_named_type(definition.type)
        search = self.search_cost(node, SEARCH_ARGUMENTS.get(f"{parent.name}.{node.name.value}"))
        return times * (
            1 + search + self.selection_set(node.selection_set, child, child_size, spread)
        )

    def search_cost(self, node: FieldNode, where: tuple[str, ...] | None) -> int:
        """What the field's text search adds: SEARCH_TERM_COST per term, up to MAX_TERMS."""
        if where is None:
            return 0
        name, *inside = where
        argument = next((a for a in node.arguments or () if a.name.value == name), None)
        if argument is None:
            return 0
        value: Any = value_from_ast_untyped(argument.value, dict(self.variables))
        for key in inside:
            value = value.get(key) if isinstance(value, dict) else None
        if not isinstance(value, str):
            return 0
        terms = len(value.replace("\u3000", " ").split())
        return SEARCH_TERM_COST * min(terms, MAX_TERMS)

    def page_size(self, node: FieldNode, definition: GraphQLField) -> int:
        """A connection's page: `first`, else `last`, else the field's own page size."""
        value: Any = None
        for name in ("first", "last"):
            argument = next((a for a in node.arguments or () if a.name.value == name), None)
            if argument is None:
                continue
            if isinstance(argument.value, VariableNode):
                value = self.variables.get(argument.value.name.value)
            else:
                value = value_from_ast(argument.value, GraphQLInt)
            if value is not None:
                break
        if value is None:
            strawberry_field = definition.extensions.get(GraphQLCoreConverter.DEFINITION_BACKREF)
            value = getattr(strawberry_field, "metadata", {}).get(PAGE_SIZE_KEY)
        if not isinstance(value, int) or isinstance(value, bool):
            value = self.max_page_size  # malformed, or no page size known: the largest page
        # Past the maximum page size the resolver refuses `first` and `last` itself.
        return max(0, min(value, self.max_page_size))


class QueryCostLimiter(SchemaExtension):
    """Refuses, at validation, an operation whose cost is over `budget`, and reports the cost of
    every operation in the response's `extensions.cost { requested budget }` (as Shopify and
    Saleor do), so a client sees how close a query comes before it is refused. A document that
    does not parse has no cost, and its response no `cost`."""

    def __init__(self, *, budget: int, max_page_size: int) -> None:
        self.budget = budget
        self.max_page_size = max_page_size
        self.requested: int | None = None

    def get_results(self) -> dict[str, Any]:
        if self.requested is None:
            return {}
        return {"cost": {"requested": self.requested, "budget": self.budget}}

    def on_validate(self) -> Iterator[None]:
        context = self.execution_context
        budget, max_page_size = self.budget, self.max_page_size
        limiter = self
        variables, operation_name = context.variables, context.operation_name

        def cost_errors(schema: GraphQLSchema, document: DocumentNode) -> list[GraphQLError]:
            try:
                cost = query_cost(
                    schema,
                    document,
                    variables=variables,
                    operation_name=operation_name,
                    max_page_size=max_page_size,
                )
            except Exception:  # a flaw in the estimate must not fail every such query
                log.exception("could not estimate the cost of a query")
                return []
            limiter.requested = cost
            if cost <= budget:
                return []
            return [
                GraphQLError(
                    f"This query costs {cost}, over the budget of {budget} per request: "
                    "ask for fewer items (a smaller `first`) or fewer nested lists.",
                    extensions={"code": COSTLY, "cost": cost, "budget": budget},
                )
            ]

        add_request_check(context, cost_errors)
        yield
