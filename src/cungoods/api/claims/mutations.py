"""The claim mutations: recordShortage, confirmArrival, fileClaim, resolveClaim."""

from __future__ import annotations

import datetime as dt

import strawberry

from cungoods.api.claims.inputs import (
    ConfirmArrivalInput,
    FileClaimInput,
    RecordShortageInput,
    ResolveClaimInput,
    claim_lines,
    missing_lines,
)
from cungoods.api.claims.payloads import (
    ConfirmArrivalPayload,
    FileClaimPayload,
    RecordShortagePayload,
    ResolveClaimPayload,
)
from cungoods.api.claims.types import ArrivalCheck, Claim, Shortage
from cungoods.api.context import Info
from cungoods.api.descriptions import MutationInput
from cungoods.api.errors import mutation_payload
from cungoods.api.ids import pk_of
from cungoods.services import arrivals, claims, shortages


@strawberry.type
class ClaimMutation:
    @strawberry.mutation(
        description="Record units of a sale item missing at the hub for a trip (DISPATCHER), "
        "after the cutoff and before departure: taken off the latest-placed orders first, "
        "refunded, written off the stock, the bus room given back; each buyer told "
        "(ORDER_SHORTAGE)."
    )
    async def record_shortage(
        self, info: Info, input: MutationInput[RecordShortageInput]
    ) -> RecordShortagePayload:
        return await mutation_payload(
            RecordShortagePayload,
            lambda: shortages.record_shortage(
                viewer=info.context.viewer,
                trip_id=pk_of(input.trip_id, "Trip", "tripId"),
                sale_item_id=pk_of(input.sale_item_id, "SaleItem", "saleItemId"),
                short_units=input.short_units,
            ),
            shortage=lambda shortage: Shortage.of(shortage, info),
        )

    @strawberry.mutation(
        description="Confirm what the bus brought to the station (its LEADER, while the bus is "
        "there, once): missing or damaged units are refunded and recorded as claims against the "
        "hub (ORDER_ARRIVAL_SHORT to each buyer); the rest waits for pickup."
    )
    async def confirm_arrival(
        self, info: Info, input: MutationInput[ConfirmArrivalInput]
    ) -> ConfirmArrivalPayload:
        return await mutation_payload(
            ConfirmArrivalPayload,
            lambda: arrivals.confirm_arrival(
                viewer=info.context.viewer,
                trip_id=pk_of(input.trip_id, "Trip", "tripId"),
                station_id=pk_of(input.station_id, "Station", "stationId"),
                missing=missing_lines(input.missing),
            ),
            arrival=ArrivalCheck.of,
        )

    @strawberry.mutation(
        description="Claim units of a picked-up order (its BUYER) within CUNGOODS_CLAIM_HOURS "
        "of pickup (later: CLAIM_WINDOW_CLOSED); a dispatcher decides (CLAIM_FILED)."
    )
    async def file_claim(
        self, info: Info, input: MutationInput[FileClaimInput]
    ) -> FileClaimPayload:
        return await mutation_payload(
            FileClaimPayload,
            lambda: claims.file_claim(
                viewer=info.context.viewer,
                order_id=pk_of(input.order_id, "Order", "orderId"),
                lines=claim_lines(input.lines),
                reason=input.reason,
                photo_urls=input.photo_urls,
                claim_window=dt.timedelta(hours=info.context.settings.claim_hours),
            ),
            claim=Claim.of,
        )

    @strawberry.mutation(
        description="Decide a filed claim (DISPATCHER): approve refunds refundFen through the "
        "refund path, taking the leader's commission back in proportion; reject moves no money "
        "(CLAIM_RESOLVED to the buyer)."
    )
    async def resolve_claim(
        self, info: Info, input: MutationInput[ResolveClaimInput]
    ) -> ResolveClaimPayload:
        return await mutation_payload(
            ResolveClaimPayload,
            lambda: claims.resolve_claim(
                viewer=info.context.viewer,
                claim_id=pk_of(input.claim_id, "Claim", "claimId"),
                approve=input.approve,
                refund_fen=input.refund_fen,
                note=input.note,
            ),
            claim=Claim.of,
        )
