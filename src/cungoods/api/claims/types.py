"""The claim types: claims with their lines, an arrival check, and what a shortage did."""

from __future__ import annotations

import datetime as dt

import strawberry

from cungoods import models
from cungoods.api.accounts.types import User, user_by_id
from cungoods.api.catalog.types import Product, SaleItem, product_by_id, sale_item_by_id
from cungoods.api.context import Info
from cungoods.api.descriptions import graphql_enum
from cungoods.api.ids import to_global_id
from cungoods.api.network.types import Station, Trip, station_by_id, trip_by_id
from cungoods.api.node import Node, register_node
from cungoods.api.orders.types import Order
from cungoods.models.enums import ClaimKind as DomainClaimKind
from cungoods.models.enums import ClaimStatus as DomainClaimStatus
from cungoods.services import arrivals, claims, shortages

# The domain enum itself is the GraphQL enum (api/descriptions.graphql_enum).
ClaimKind = DomainClaimKind
graphql_enum(
    ClaimKind,
    name="ClaimKind",
    description="ARRIVAL: missing or damaged at the station's arrival check, against the hub; "
    "AFTER_SALE: the buyer's claim after pickup (售后).",
    values={
        ClaimKind.ARRIVAL: "Missing or damaged at the station's arrival check: against the hub, "
        "approved at once.",
        ClaimKind.AFTER_SALE: "The buyer's claim after pickup (售后), decided by a dispatcher.",
    },
)
ClaimStatus = DomainClaimStatus
graphql_enum(
    ClaimStatus,
    name="ClaimStatus",
    description="FILED: waiting for a dispatcher; APPROVED: refunded; REJECTED: no money moved.",
    values={
        ClaimStatus.FILED: "Waiting for a dispatcher to decide.",
        ClaimStatus.APPROVED: "Approved and refunded.",
        ClaimStatus.REJECTED: "Rejected: no money moved.",
    },
)


@strawberry.type(description="Units of one line of the claimed order; a value type.")
class ClaimLine:
    sale_item_db_id: strawberry.Private[int]
    units: int = strawberry.field(description="Units claimed.")
    unit_price_fen: int = strawberry.field(description="What the buyer paid per unit, in fen.")

    @strawberry.field(description="The sale item claimed.")
    async def sale_item(self, info: Info) -> SaleItem:
        item = await sale_item_by_id(info, self.sale_item_db_id)
        assert item is not None  # a foreign key
        return item

    @strawberry.field(description="The product claimed.")
    async def product(self, info: Info) -> Product:
        item = await info.context.loaders.by_id(models.SaleItem).load(self.sale_item_db_id)
        assert item is not None
        product = await product_by_id(info, item.product_id)
        assert product is not None
        return product


@strawberry.type(description="A claim on an order's lines: after pickup, or at the arrival check.")
class Claim(Node):
    db_id: strawberry.Private[int]
    order_db_id: strawberry.Private[int]
    buyer_db_id: strawberry.Private[int]
    filed_by_db_id: strawberry.Private[int]
    resolved_by_db_id: strawberry.Private[int | None]
    kind: ClaimKind = strawberry.field(description="What the claim is about.")
    status: ClaimStatus = strawberry.field(description="Where it stands.")
    reason: str = strawberry.field(description="What is wrong, in the claimant's words.")
    photo_urls: list[str] = strawberry.field(description="Photos of the goods (http(s) URLs).")
    claimed_fen: int = strawberry.field(
        description="What the claimed units cost, in fen: the most an approval refunds."
    )
    refund_fen: int = strawberry.field(description="What was refunded, in fen (0 until approved).")
    note: str = strawberry.field(description="The decision's note.")
    created_at: dt.datetime = strawberry.field(description="When it was filed.")
    resolved_at: dt.datetime | None = strawberry.field(description="When it was decided.")

    @strawberry.field(description="The claimed order.")
    async def order(self, info: Info) -> Order:
        order = await info.context.loaders.by_id(models.Order).load(self.order_db_id)
        assert order is not None  # a foreign key
        return Order.of(order, info)

    @strawberry.field(description="Whose order it is.")
    async def buyer(self, info: Info) -> User:
        user = await user_by_id(info, self.buyer_db_id)
        assert user is not None  # a foreign key
        return user

    @strawberry.field(description="Who filed it: the buyer, or the leader at the arrival check.")
    async def filed_by(self, info: Info) -> User:
        user = await user_by_id(info, self.filed_by_db_id)
        assert user is not None  # a foreign key
        return user

    @strawberry.field(description="Who decided it (null while FILED).")
    async def resolved_by(self, info: Info) -> User | None:
        if self.resolved_by_db_id is None:
            return None
        return await user_by_id(info, self.resolved_by_db_id)

    @strawberry.field(description="The units claimed, per order line.")
    async def lines(self, info: Info) -> list[ClaimLine]:
        rows = await info.context.loaders.children(models.ClaimLine, "claim_id").load(self.db_id)
        return [
            ClaimLine(
                sale_item_db_id=row.sale_item_id, units=row.units, unit_price_fen=row.unit_price_fen
            )
            for row in rows
        ]

    @classmethod
    def of(cls, claim: models.Claim) -> Claim:
        return cls(
            id=strawberry.ID(to_global_id("Claim", claim.id)),
            db_id=claim.id,
            order_db_id=claim.order_id,
            buyer_db_id=claim.buyer_id,
            filed_by_db_id=claim.filed_by_id,
            resolved_by_db_id=claim.resolved_by_id,
            kind=DomainClaimKind(claim.kind),
            status=DomainClaimStatus(claim.status),
            reason=claim.reason,
            photo_urls=list(claim.photo_urls or []),
            claimed_fen=claim.claimed_fen,
            refund_fen=claim.refund_fen,
            note=claim.note,
            created_at=claim.created_at,
            resolved_at=claim.resolved_at,
        )


async def _claim_node(info: Info, pk: int) -> Claim | None:
    # Someone else's claim is as good as missing through node(id).
    claim = await info.context.loaders.by_id(models.Claim).load(pk)
    if claim is None:
        return None
    order = await info.context.loaders.by_id(models.Order).load(claim.order_id)
    if order is None or not claims.can_see(info.context.viewer, claim, order):
        return None
    return Claim.of(claim)


register_node("Claim", _claim_node)


@strawberry.type(
    description="One order's part of a shortage: the units taken off and refunded; a value type."
)
class ShortOrder:
    units: int = strawberry.field(description="Units taken off the order.")
    refunded_fen: int = strawberry.field(description="What was refunded for them, in fen.")
    cancelled: bool = strawberry.field(description="Whether nothing of the order was left.")
    order: Order = strawberry.field(description="The order as it is now.")


@strawberry.type(description="What a recorded shortage at the hub did; a value type.")
class Shortage:
    trip_db_id: strawberry.Private[int]
    sale_item_db_id: strawberry.Private[int]
    short_units: int = strawberry.field(description="Units missing at the hub.")
    refunded_fen: int = strawberry.field(description="What was refunded in all, in fen.")
    orders: list[ShortOrder] = strawberry.field(
        description="The orders that lost units, latest-placed first."
    )

    @strawberry.field(description="The trip the units were missing for.")
    async def trip(self, info: Info) -> Trip:
        trip = await trip_by_id(info, self.trip_db_id)
        assert trip is not None  # a foreign key
        return trip

    @strawberry.field(description="The sale item that is short.")
    async def sale_item(self, info: Info) -> SaleItem:
        item = await sale_item_by_id(info, self.sale_item_db_id)
        assert item is not None  # a foreign key
        return item

    @classmethod
    def of(cls, shortage: shortages.Shortage, info: Info) -> Shortage:
        latest_first = sorted(
            shortage.outcomes, key=lambda o: (o.order.created_at, o.order.id), reverse=True
        )
        return cls(
            trip_db_id=shortage.trip.id,
            sale_item_db_id=shortage.sale_item.id,
            short_units=shortage.short_units,
            refunded_fen=shortage.refunded_fen,
            orders=[
                ShortOrder(
                    units=outcome.units,
                    refunded_fen=outcome.refund_fen,
                    cancelled=outcome.cancelled,
                    order=Order.of(outcome.order, info),
                )
                for outcome in latest_first
            ],
        )


@strawberry.type(
    description="A station leader's check of what a trip brought (到货验收); a value type."
)
class ArrivalCheck:
    trip_db_id: strawberry.Private[int]
    station_db_id: strawberry.Private[int]
    missing_units: int = strawberry.field(description="Units reported missing or damaged.")
    refunded_fen: int = strawberry.field(description="What was refunded for them, in fen.")
    confirmed_at: dt.datetime = strawberry.field(description="When the leader confirmed.")
    claims: list[Claim] = strawberry.field(
        description="The claims against the hub it recorded, one per order concerned."
    )

    @strawberry.field(description="The trip checked.")
    async def trip(self, info: Info) -> Trip:
        trip = await trip_by_id(info, self.trip_db_id)
        assert trip is not None  # a foreign key
        return trip

    @strawberry.field(description="The station it arrived at.")
    async def station(self, info: Info) -> Station:
        station = await station_by_id(info, self.station_db_id)
        assert station is not None  # a foreign key
        return station

    @classmethod
    def of(cls, arrival: arrivals.Arrival) -> ArrivalCheck:
        return cls(
            trip_db_id=arrival.check.trip_id,
            station_db_id=arrival.check.station_id,
            missing_units=arrival.check.missing_units,
            refunded_fen=arrival.check.refunded_fen,
            confirmed_at=arrival.check.created_at,
            claims=[Claim.of(claim) for claim in arrival.claims],
        )
