"""Orders in the API: Order and its lines and history, myOrders, order, capacityOutlook, and the
placeOrder, cancelOrder and confirmPickup mutations."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

import strawberry

from cungoods import models
from cungoods.api.accounts import User, user_by_id
from cungoods.api.catalog import Product, SaleItem, product_by_id, sale_item_by_id
from cungoods.api.context import Info
from cungoods.api.errors import UserError, attempt
from cungoods.api.ids import from_cursor, pk_of, to_global_id
from cungoods.api.network import Station, Trip, station_by_id, trip_by_id
from cungoods.api.node import Node, register_node
from cungoods.api.scalars import Connection, Load, connection_of
from cungoods.models.enums import OrderStatus as DomainOrderStatus
from cungoods.services import orders
from cungoods.services.errors import DomainError

OrderStatus = strawberry.enum(
    DomainOrderStatus, name="OrderStatus", description="Where a group-buy order is."
)


@strawberry.type(description="A line of an order: an item and how many.")
class OrderLine:
    sale_item_db_id: strawberry.Private[int]
    quantity: int = strawberry.field(description="Units ordered.")
    unit_price_fen: int = strawberry.field(description="Price per unit when ordered, in fen.")

    @strawberry.field(description="Quantity × unit price, in fen.")
    def total_fen(self) -> int:
        return self.quantity * self.unit_price_fen

    @strawberry.field(description="The sale item ordered.")
    async def sale_item(self, info: Info) -> SaleItem:
        item = await sale_item_by_id(info, self.sale_item_db_id)
        assert item is not None  # a foreign key
        return item

    @strawberry.field(description="The product ordered.")
    async def product(self, info: Info) -> Product:
        item = await info.context.loaders.by_id(models.SaleItem).load(self.sale_item_db_id)
        assert item is not None
        product = await product_by_id(info, item.product_id)
        assert product is not None
        return product


@strawberry.type(description="A change of an order's status.")
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
        lines = await info.context.loaders.children(models.OrderLine, "order_id").load(self.db_id)
        return [
            OrderLine(
                sale_item_db_id=line.sale_item_id,
                quantity=line.quantity,
                unit_price_fen=line.unit_price_fen,
            )
            for line in lines
        ]

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
            created_at=order.created_at,
        )


async def _order_node(info: Info, pk: int) -> Order | None:
    # Someone else's order is as good as missing through node(id).
    order = await info.context.loaders.by_id(models.Order).load(pk)
    if order is None or not orders.can_see(info.context.viewer, order):
        return None
    return Order.of(order, info)


register_node("Order", _order_node)


@strawberry.type(description="Room left on one service date's bus for a station.")
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


@strawberry.input(description="A line of an order.")
class OrderLineInput:
    sale_item_id: strawberry.ID = strawberry.field(description="The sale item.")
    quantity: int = strawberry.field(description="Units, 1 to 99.")


@strawberry.input(description="Order goods for pickup at a station.")
class PlaceOrderInput:
    station_id: strawberry.ID = strawberry.field(description="Where to pick up.")
    service_date: dt.date = strawberry.field(description="The pickup day.")
    lines: list[OrderLineInput] = strawberry.field(description="What to order.")
    idempotency_key: str | None = strawberry.field(
        default=None,
        description="Any unique string per order attempt: a retry with the same key and input "
        "returns the same order.",
    )


@strawberry.type(description="The result of placeOrder.")
class PlaceOrderPayload:
    order: Order | None = strawberry.field(description="The order.")
    errors: list[UserError] = strawberry.field(description="Why it failed, if it did.")


@strawberry.input(description="Cancel an order before the cutoff.")
class CancelOrderInput:
    order_id: strawberry.ID = strawberry.field(description="The order.")


@strawberry.type(description="The result of cancelOrder.")
class CancelOrderPayload:
    order: Order | None = strawberry.field(description="The cancelled order.")
    errors: list[UserError] = strawberry.field(description="Why it failed, if it did.")


@strawberry.input(description="Hand an order out at the station against its pickup code.")
class ConfirmPickupInput:
    order_id: strawberry.ID = strawberry.field(description="The order.")
    pickup_code: str = strawberry.field(description="The code the buyer shows.")


@strawberry.type(description="The result of confirmPickup.")
class ConfirmPickupPayload:
    order: Order | None = strawberry.field(description="The order, picked up.")
    errors: list[UserError] = strawberry.field(description="Why it failed, if it did.")


@strawberry.type
class OrderQuery:
    @strawberry.field(description="The viewer's orders, newest first.")
    async def my_orders(
        self, info: Info, first: int = 20, after: str | None = None
    ) -> Connection[Order]:
        page = await orders.my_orders(
            viewer=info.context.viewer,
            first=first,
            after_id=from_cursor(after),
            max_size=info.context.max_page_size,
        )
        return connection_of(page, lambda order: Order.of(order, info))

    @strawberry.field(
        description="An order: its buyer, its station's leader and dispatchers may see it."
    )
    async def order(self, info: Info, id: strawberry.ID) -> Order:
        found = await orders.get_order(viewer=info.context.viewer, order_id=pk_of(id, "Order"))
        return Order.of(found, info)

    @strawberry.field(description="Per date, the bus room left down to and up from a station.")
    async def capacity_outlook(
        self,
        station_id: Annotated[strawberry.ID, strawberry.argument(description="The station.")],
        from_: Annotated[dt.date, strawberry.argument(name="from", description="First date.")],
        days: Annotated[int, strawberry.argument(description="How many dates (1 to 14).")],
    ) -> list[DayCapacity]:
        outlook = await orders.capacity_outlook(
            station_id=pk_of(station_id, "Station", "stationId"), start=from_, days=days
        )
        return [DayCapacity.of(day) for day in outlook]


def _lines(lines: list[OrderLineInput]) -> list[orders.LineRequest]:
    parsed = []
    for i, line in enumerate(lines):
        try:
            sale_item_id = pk_of(line.sale_item_id, "SaleItem")
        except DomainError as error:
            raise DomainError(error.code, error.message, ["lines", str(i), "saleItemId"]) from error
        parsed.append(orders.LineRequest(sale_item_id=sale_item_id, quantity=line.quantity))
    return parsed


@strawberry.type
class OrderMutation:
    @strawberry.mutation(description="Order next-day goods for pickup at a station (BUYER).")
    async def place_order(self, info: Info, input: PlaceOrderInput) -> PlaceOrderPayload:
        async def run() -> models.Order:
            return await orders.place_order(
                viewer=info.context.viewer,
                station_id=pk_of(input.station_id, "Station", "stationId"),
                service_date=input.service_date,
                lines=_lines(input.lines),
                idempotency_key=input.idempotency_key,
            )

        order, errors = await attempt(run())
        return PlaceOrderPayload(
            order=None if order is None else Order.of(order, info), errors=errors
        )

    @strawberry.mutation(description="Cancel an order before the cutoff (its buyer).")
    async def cancel_order(self, info: Info, input: CancelOrderInput) -> CancelOrderPayload:
        async def run() -> models.Order:
            return await orders.cancel_order(
                viewer=info.context.viewer, order_id=pk_of(input.order_id, "Order", "orderId")
            )

        order, errors = await attempt(run())
        return CancelOrderPayload(
            order=None if order is None else Order.of(order, info), errors=errors
        )

    @strawberry.mutation(
        description="Hand an order out against its pickup code (LEADER of its station)."
    )
    async def confirm_pickup(self, info: Info, input: ConfirmPickupInput) -> ConfirmPickupPayload:
        async def run() -> models.Order:
            return await orders.confirm_pickup(
                viewer=info.context.viewer,
                order_id=pk_of(input.order_id, "Order", "orderId"),
                pickup_code=input.pickup_code,
            )

        order, errors = await attempt(run())
        return ConfirmPickupPayload(
            order=None if order is None else Order.of(order, info), errors=errors
        )
