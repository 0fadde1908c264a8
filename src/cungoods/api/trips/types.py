"""Trip event kinds, and the report of what a trip change moved or cancelled."""

from __future__ import annotations

import strawberry

from cungoods.api.context import Info
from cungoods.api.descriptions import graphql_enum
from cungoods.api.orders.types import Order
from cungoods.api.produce.types import ProducePurchase
from cungoods.services import trip_changes
from cungoods.services.trips import TripEventKind as DomainTripEventKind

# The domain enum itself is the GraphQL enum (api/descriptions.graphql_enum).
TripEventKind = DomainTripEventKind
graphql_enum(
    TripEventKind,
    name="TripEventKind",
    description="What happened to a trip.",
    values={
        TripEventKind.DEPARTED: "The bus left the hub (stop 0).",
        TripEventKind.ARRIVED: "The bus is at a stop; at the last stop it is back at the hub.",
        TripEventKind.LEFT: "The bus left a station.",
        TripEventKind.DELAYED: "The bus runs late by `delayMinutes`; may be announced before the "
        "day.",
        TripEventKind.COMPLETED: "The bus is back at the hub and the trip is over.",
        TripEventKind.CANCELLED: "The trip will not run; its orders move to a later bus or are "
        "refunded.",
    },
)


@strawberry.type(
    description="What a trip change moved to later buses or cancelled. "
    "A value type (no id): client caches keep it inside the object that holds it."
)
class TripChangeReport:
    moved_orders: list[Order] = strawberry.field(description="Orders now on a later trip.")
    cancelled_orders: list[Order] = strawberry.field(
        description="Orders no bus had room for within a day: cancelled, stock given back."
    )
    moved_purchases: list[ProducePurchase] = strawberry.field(
        description="Produce now on a later trip."
    )
    cancelled_purchases: list[ProducePurchase] = strawberry.field(
        description="Produce no bus had room for by the listing's ready-until date: cancelled."
    )

    @classmethod
    def of(cls, change: trip_changes.TripChange, info: Info) -> TripChangeReport:
        return cls(
            moved_orders=[Order.of(o, info) for o in change.moved_orders],
            cancelled_orders=[Order.of(o, info) for o in change.cancelled_orders],
            moved_purchases=[ProducePurchase.of(p, info) for p in change.moved_purchases],
            cancelled_purchases=[ProducePurchase.of(p, info) for p in change.cancelled_purchases],
        )
