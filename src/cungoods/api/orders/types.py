"""The order types: orders with their lines and history, how an order is found by id (the node
registration), and the room left on a date's bus (capacityOutlook)."""

from __future__ import annotations

import datetime as dt

import strawberry

from cungoods import models
from cungoods.api.accounts.types import User, user_by_id
from cungoods.api.catalog.types import Product, SaleItem, sale_item_by_id
from cungoods.api.context import Info
from cungoods.api.descriptions import graphql_enum
from cungoods.api.ids import to_global_id
from cungoods.api.network.types import Station, Trip, station_by_id, trip_by_id
from cungoods.api.node import Node, register_node
from cungoods.api.payments.enums import PaymentStatus, PayWith
from cungoods.api.scalars import Load
from cungoods.models.enums import OrderStatus as DomainOrderStatus
from cungoods.services import orders, reads

# The domain enum itself is the GraphQL enum (api/descriptions.graphql_enum).
OrderStatus = DomainOrderStatus
graphql_enum(
    OrderStatus,
    name="OrderStatus",
    description="Where a group-buy order is.",
    values={
        OrderStatus.PLACED: "Placed before the cutoff; still cancellable.",
        OrderStatus.CONFIRMED: "Confirmed at the sale window's cutoff (paid orders only).",
        OrderStatus.LOADED: "On the bus at the hub (markLoaded, or the departure).",
        OrderStatus.IN_TRANSIT: "The bus has left the hub with it.",
        OrderStatus.AT_STATION: "At the pickup station, ready to be picked up with the pickup "
        "code.",
        OrderStatus.PICKED_UP: "Handed to the buyer.",
        OrderStatus.CANCELLED: "Cancelled by the buyer, unpaid in time, cut by a group-buy rule, "
        "a shortage or a trip change; its money is refunded.",
        OrderStatus.RETURNED: "Never picked up within the grace period: back to the hub on the "
        "next bus, then refunded.",
    },
)


@strawberry.type(
    description="A line of an order: an item and how many. "
    "A value type (no id): client caches keep it inside the object that holds it."
)
class OrderLine:
    sale_item_db_id: strawberry.Private[int]
    quantity: int = strawberry.field(description="Units ordered.")
    unit_price_fen: int = strawberry.field(description="Price per unit when ordered, in fen.")
    # Loaded with the lines, in one batch (Order.lines): a plain field, not two loads per line.
    product: Product = strawberry.field(description="The product ordered.")

    @strawberry.field(description="Quantity × unit price, in fen.")
    def total_fen(self) -> int:
        return self.quantity * self.unit_price_fen

    @strawberry.field(description="The sale item ordered.")
    async def sale_item(self, info: Info) -> SaleItem:
        item = await sale_item_by_id(info, self.sale_item_db_id)
        assert item is not None  # a foreign key
        return item


@strawberry.type(
    description="A change of an order's status. "
    "A value type (no id): client caches keep it inside the object that holds it."
)
class StatusChange:
    status: OrderStatus = strawberry.field(description="The status the order moved to.")
    at: dt.datetime = strawberry.field(description="When.")
    message: str = strawberry.field(description="What happened, for people.")


@strawberry.type(description="A villager's next-day group-buy order, picked up at a station.")
class Order(Node):
    db_id: strawberry.Private[int]
    buyer_db_id: strawberry.Private[int]
    station_db_id: strawberry.Private[int]
    trip_db_id: strawberry.Private[int]
    visible_code: strawberry.Private[str | None]
    number: str = strawberry.field(description="Order number, e.g. QJ20261129-000123.")
    status: OrderStatus = strawberry.field(description="Where the order is.")
    service_date: dt.date = strawberry.field(description="The pickup day.")
    total_fen: int = strawberry.field(description="What it costs, in fen.")
    pay_with: PayWith = strawberry.field(description="How it is paid.")
    payment_status: PaymentStatus = strawberry.field(description="Where its money stands.")
    paid_fen: int = strawberry.field(description="What the buyer paid, in fen.")
    refunded_fen: int = strawberry.field(description="What was given back, in fen.")
    pay_by: dt.datetime | None = strawberry.field(
        description="An order waiting UNPAID for the provider is cancelled at this instant."
    )
    created_at: dt.datetime = strawberry.field(description="When it was placed.")

    @strawberry.field(
        description="The 6-digit code the buyer shows at pickup: visible to the buyer and the "
        "station leader only."
    )
    def pickup_code(self) -> str | None:
        return self.visible_code

    @strawberry.field(description="The station it is picked up at.")
    async def station(self, info: Info) -> Station:
        station = await station_by_id(info, self.station_db_id)
        assert station is not None  # a foreign key
        return station

    @strawberry.field(description="The bus trip carrying it.")
    async def trip(self, info: Info) -> Trip:
        trip = await trip_by_id(info, self.trip_db_id)
        assert trip is not None  # a foreign key
        return trip

    @strawberry.field(description="Who ordered it.")
    async def buyer(self, info: Info) -> User:
        user = await user_by_id(info, self.buyer_db_id)
        assert user is not None  # a foreign key
        return user

    @strawberry.field(description="What was ordered.")
    async def lines(self, info: Info) -> list[OrderLine]:
        # Every order's lines and products in one batch (the orders' lines resolve together),
        # so each line's product is a plain field.
        loader = info.context.loaders.custom("order_lines", reads.lines_with_products)
        pairs: list[tuple[models.OrderLine, models.Product]] = await loader.load(self.db_id)
        shown: dict[int, Product] = {}
        result = []
        for line, row in pairs:
            product = shown.get(row.id)
            if product is None:
                product = shown[row.id] = Product.of(row)
            result.append(
                OrderLine(
                    sale_item_db_id=line.sale_item_id,
                    quantity=line.quantity,
                    unit_price_fen=line.unit_price_fen,
                    product=product,
                )
            )
        return result

    @strawberry.field(description="Its status changes, oldest first.")
    async def history(self, info: Info) -> list[StatusChange]:
        events = await info.context.loaders.children(models.Event, "order_id").load(self.db_id)
        return [
            StatusChange(status=DomainOrderStatus(event.status), at=event.at, message=event.message)
            for event in events
            if event.status is not None
        ]

    @classmethod
    def of(cls, order: models.Order, info: Info) -> Order:
        viewer = info.context.viewer
        return cls(
            id=strawberry.ID(to_global_id("Order", order.id)),
            db_id=order.id,
            buyer_db_id=order.buyer_id,
            station_db_id=order.station_id,
            trip_db_id=order.trip_id,
            visible_code=order.pickup_code if orders.sees_pickup_code(viewer, order) else None,
            number=order.number,
            status=DomainOrderStatus(order.status),
            service_date=order.service_date,
            total_fen=order.total_fen,
            pay_with=PayWith(order.pay_with),
            payment_status=PaymentStatus(order.payment_status),
            paid_fen=order.paid_fen,
            refunded_fen=order.refunded_fen,
            pay_by=order.pay_by if order.payment_status == PaymentStatus.UNPAID else None,
            created_at=order.created_at,
        )


async def _order_node(info: Info, pk: int) -> Order | None:
    # Someone else's order is as good as missing through node(id).
    order = await info.context.loaders.by_id(models.Order).load(pk)
    if order is None or not orders.can_see(info.context.viewer, order):
        return None
    return Order.of(order, info)


register_node("Order", _order_node)


@strawberry.type(
    description="Room left on one service date's bus for a station. "
    "A value type (no id): client caches keep it inside the object that holds it."
)
class DayCapacity:
    trip_db_id: strawberry.Private[int | None]
    date: dt.date = strawberry.field(description="The service date.")
    stop_seq: int | None = strawberry.field(description="The station's stop on that trip.")
    down: Load = strawberry.field(description="Room from the hub down to the station.")
    up: Load = strawberry.field(description="Room from the station back up to the hub.")

    @strawberry.field(description="The bus serving the station that day (null if none).")
    async def trip(self, info: Info) -> Trip | None:
        return None if self.trip_db_id is None else await trip_by_id(info, self.trip_db_id)

    @classmethod
    def of(cls, day: orders.DayCapacity) -> DayCapacity:
        return cls(
            trip_db_id=day.trip_id,
            date=day.service_date,
            stop_seq=day.stop_seq,
            down=Load.of(day.down),
            up=Load.of(day.up),
        )
