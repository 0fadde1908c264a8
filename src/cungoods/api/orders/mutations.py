"""The order mutations: placeOrder, cancelOrder, confirmPickup."""

from __future__ import annotations

import datetime as dt

import strawberry

from cungoods.api.context import Info
from cungoods.api.descriptions import MutationInput
from cungoods.api.errors import mutation_payload
from cungoods.api.ids import pk_of
from cungoods.api.orders.inputs import (
    CancelOrderInput,
    ConfirmPickupInput,
    PlaceOrderInput,
    line_requests,
)
from cungoods.api.orders.payloads import CancelOrderPayload, ConfirmPickupPayload, PlaceOrderPayload
from cungoods.api.orders.types import Order
from cungoods.services import orders


@strawberry.type
class OrderMutation:
    @strawberry.mutation(description="Order next-day goods for pickup at a station (BUYER).")
    async def place_order(
        self, info: Info, input: MutationInput[PlaceOrderInput]
    ) -> PlaceOrderPayload:
        return await mutation_payload(
            PlaceOrderPayload,
            lambda: orders.place_order(
                viewer=info.context.viewer,
                station_id=pk_of(input.station_id, "Station", "stationId"),
                service_date=input.service_date,
                lines=line_requests(input.lines),
                idempotency_key=input.idempotency_key,
                pay_with=input.pay_with,
                pay_timeout=dt.timedelta(minutes=info.context.settings.payment_timeout_minutes),
            ),
            order=lambda order: Order.of(order, info),
        )

    @strawberry.mutation(
        description="Cancel an order before the cutoff (its buyer): what was paid is refunded "
        "in full to where it came from."
    )
    async def cancel_order(
        self, info: Info, input: MutationInput[CancelOrderInput]
    ) -> CancelOrderPayload:
        return await mutation_payload(
            CancelOrderPayload,
            lambda: orders.cancel_order(
                viewer=info.context.viewer, order_id=pk_of(input.order_id, "Order", "orderId")
            ),
            order=lambda order: Order.of(order, info),
        )

    @strawberry.mutation(
        description="Hand an order out against its pickup code (LEADER of its station)."
    )
    async def confirm_pickup(
        self, info: Info, input: MutationInput[ConfirmPickupInput]
    ) -> ConfirmPickupPayload:
        return await mutation_payload(
            ConfirmPickupPayload,
            lambda: orders.confirm_pickup(
                viewer=info.context.viewer,
                order_id=pk_of(input.order_id, "Order", "orderId"),
                pickup_code=input.pickup_code,
            ),
            order=lambda order: Order.of(order, info),
        )
