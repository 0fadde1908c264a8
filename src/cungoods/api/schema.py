"""The schema: each API area's Query and Mutation merged, with the limits and error mask."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from functools import partial
from typing import Annotated

import strawberry
from graphql.validation import ASTValidationRule
from strawberry.extensions import (
    AddValidationRules,
    MaxTokensLimiter,
    SchemaExtension,
)
from strawberry.extensions.max_aliases import create_validator as aliases_rule
from strawberry.extensions.query_depth_limiter import create_validator as depth_rule
from strawberry.tools import merge_types

from cungoods.api.accounts.mutations import AccountMutation
from cungoods.api.accounts.queries import AccountQuery
from cungoods.api.catalog.mutations import CatalogMutation
from cungoods.api.catalog.queries import CatalogQuery
from cungoods.api.claims.mutations import ClaimMutation
from cungoods.api.claims.queries import ClaimQuery
from cungoods.api.context import Context, Info
from cungoods.api.dispatch.queries import DispatchQuery
from cungoods.api.errors import MaskUnexpectedErrors, Schema
from cungoods.api.extensions.cost import QueryCostLimiter
from cungoods.api.extensions.inputs import RefuseNulStrings
from cungoods.api.extensions.observability import Observability
from cungoods.api.extensions.outage import OutageStatus
from cungoods.api.extensions.plain_fields import PlainFieldExecution
from cungoods.api.extensions.production import production_extensions
from cungoods.api.extensions.response_cache import ResponseCache, ResponseStore
from cungoods.api.extensions.throttle import limit_mutations
from cungoods.api.extensions.validation_cache import DEFAULT_MAXSIZE as DOCUMENT_CACHE_SIZE
from cungoods.api.extensions.validation_cache import (
    CachedParse,
    CachedValidation,
    ValidDocuments,
)
from cungoods.api.live.subscriptions import LiveSubscription
from cungoods.api.money.mutations import MoneyMutation
from cungoods.api.money.queries import MoneyQuery
from cungoods.api.network.mutations import NetworkMutation
from cungoods.api.network.queries import NetworkQuery
from cungoods.api.node import Node, resolve_node
from cungoods.api.notifications.mutations import NotificationMutation
from cungoods.api.notifications.queries import NotificationQuery
from cungoods.api.orders.mutations import OrderMutation
from cungoods.api.orders.queries import OrderQuery
from cungoods.api.orders.unlock import PickupCodeMutation
from cungoods.api.payments.mutations import PaymentMutation
from cungoods.api.produce.mutations import ProduceMutation
from cungoods.api.produce.queries import ProduceQuery
from cungoods.api.scalars import Date, DateTime
from cungoods.api.trips.mutations import TripMutation
from cungoods.config import Settings


@strawberry.type
class NodeQuery:
    @strawberry.field(description="Any object by its global id.")
    async def node(
        self,
        info: Info,
        id: Annotated[
            strawberry.ID,
            strawberry.argument(description="The object's global id (the `id` of any Node)."),
        ],
    ) -> Node | None:
        return await resolve_node(info, id)


class FreshLoadersPerOperation(SchemaExtension):
    """A WebSocket's context lives as long as the socket: give each operation its own loaders,
    or one subscription would serve another's cached (and stale) rows."""

    def on_operation(self) -> Iterator[None]:
        context = self.execution_context.context
        if isinstance(context, Context):
            self.execution_context.context = context.fresh()
        yield


QUERY_TYPES = (
    NodeQuery,
    AccountQuery,
    NetworkQuery,
    CatalogQuery,
    OrderQuery,
    ProduceQuery,
    DispatchQuery,
    MoneyQuery,
    ClaimQuery,  # claims, myClaims
    NotificationQuery,
)
MUTATION_TYPES = (
    AccountMutation,
    NetworkMutation,
    CatalogMutation,
    OrderMutation,
    PickupCodeMutation,  # unlockPickupCode
    ProduceMutation,
    TripMutation,  # recordTripEvent, then the trip changes (swapTripVehicle, cancelTrip)
    MoneyMutation,
    PaymentMutation,  # startPayment
    ClaimMutation,  # recordShortage, confirmArrival, fileClaim, resolveClaim
    NotificationMutation,  # markNotificationsRead, setLanguage
)
SUBSCRIPTION_TYPES = (LiveSubscription,)


def response_store(settings: Settings) -> ResponseStore | None:
    """The response cache's answers (one store per process), unless CUNGOODS_RESPONSE_CACHE=0:
    repeated read-only queries answered without running them (api/extensions/response_cache.py).
    """
    if not settings.response_cache:
        return None
    return ResponseStore(
        max_entries=settings.response_cache_entries, max_bytes=settings.response_cache_bytes
    )


def build_schema(
    settings: Settings, *, responses: ResponseStore | None = None
) -> strawberry.Schema:
    """The schema; with `responses`, its response cache keeps its answers there (the HTTP view
    answers from the same store before the schema runs)."""
    query = merge_types("Query", QUERY_TYPES)
    mutation = limit_mutations(merge_types("Mutation", MUTATION_TYPES))
    subscription = merge_types("Subscription", SUBSCRIPTION_TYPES)
    static_rules: list[type[ASTValidationRule]] = [
        depth_rule(settings.max_query_depth, None),
        aliases_rule(settings.max_aliases),
    ]
    # Extensions are given as classes or factories, so each operation gets its own instances
    # (a shared instance's state would mix concurrent operations).
    return Schema(
        query=query,
        mutation=mutation,
        subscription=subscription,
        # Plain fields read as attributes (api/extensions/plain_fields.py), and one
        # execution per event for selections all its subscribers share (fanout.py).
        execution_context_class=PlainFieldExecution,
        extensions=[
            Observability,  # first: it sees the errors as the client gets them
            OutageStatus,  # a database outage is HTTP 503 wherever it was met
            FreshLoadersPerOperation,
            # The depth and alias limits (strawberry's QueryDepthLimiter and MaxAliasesLimiter)
            # with their rules built once, not once per request.
            partial(AddValidationRules, static_rules),
            partial(MaxTokensLimiter, max_token_count=settings.max_tokens),
            partial(
                QueryCostLimiter,
                budget=settings.max_query_cost,
                max_page_size=settings.max_page_size,
            ),
            RefuseNulStrings,  # no NUL in any string input (PostgreSQL cannot store it)
            *production_extensions(settings.production),
            # After every extension that adds validation rules: each query text is parsed and
            # validated once (api/extensions/validation_cache.py).
            partial(CachedParse, maxsize=DOCUMENT_CACHE_SIZE),
            partial(CachedValidation, valid=ValidDocuments(DOCUMENT_CACHE_SIZE)),
            *([partial(ResponseCache, store=responses)] if responses is not None else []),
            MaskUnexpectedErrors,
        ],
        scalar_overrides={dt.date: Date, dt.datetime: DateTime},
    )
