"""The trip mutations: recordTripEvent, markLoaded, swapTripVehicle, cancelTrip."""

from __future__ import annotations

import datetime as dt

import strawberry

from cungoods.api.context import Info
from cungoods.api.descriptions import MutationInput
from cungoods.api.errors import mutation_payload
from cungoods.api.ids import pk_of
from cungoods.api.network.types import Trip
from cungoods.api.trips.inputs import (
    CancelTripInput,
    MarkLoadedInput,
    RecordTripEventInput,
    SwapTripVehicleInput,
)
from cungoods.api.trips.payloads import (
    CancelTripPayload,
    MarkLoadedPayload,
    RecordTripEventPayload,
    SwapTripVehiclePayload,
)
from cungoods.api.trips.types import TripChangeReport
from cungoods.services import trip_changes, trips
from cungoods.services.trips import TripEventKind as DomainTripEventKind


@strawberry.type
class TripMutation:
    @strawberry.mutation(
        description="Report a trip's departure, arrival or departure at a stop, delay, "
        "completion (the trip's DRIVER, or a DISPATCHER) or cancellation (a DISPATCHER); moves "
        "what is on board. Safe to retry with an `idempotencyKey`."
    )
    async def record_trip_event(
        self, info: Info, input: MutationInput[RecordTripEventInput]
    ) -> RecordTripEventPayload:
        return await mutation_payload(
            RecordTripEventPayload,
            lambda: trips.record_trip_event(
                viewer=info.context.viewer,
                trip_id=pk_of(input.trip_id, "Trip", "tripId"),
                kind=DomainTripEventKind(input.kind),
                stop_seq=input.stop_seq,
                minutes=input.minutes,
                note=input.note or "",
                idempotency_key=input.idempotency_key,
                early_start=_early_start(info),
            ),
            trip=Trip.of,
        )

    @strawberry.mutation(
        description="The hub has loaded the bus (the trip's DRIVER, or a DISPATCHER; before it "
        "departs, on its service date): the trip's confirmed orders become LOADED and their "
        "buyers are told. The departure does the same for orders not yet marked."
    )
    async def mark_loaded(
        self, info: Info, input: MutationInput[MarkLoadedInput]
    ) -> MarkLoadedPayload:
        return await mutation_payload(
            MarkLoadedPayload,
            lambda: trips.mark_loaded(
                viewer=info.context.viewer,
                trip_id=pk_of(input.trip_id, "Trip", "tripId"),
                early_start=_early_start(info),
            ),
            trip=Trip.of,
        )

    @strawberry.mutation(
        description="Run a scheduled trip with another vehicle (DISPATCHER): what no longer fits "
        "moves to the next trip of the route with room, or is cancelled."
    )
    async def swap_trip_vehicle(
        self, info: Info, input: MutationInput[SwapTripVehicleInput]
    ) -> SwapTripVehiclePayload:
        return await mutation_payload(
            SwapTripVehiclePayload,
            lambda: trip_changes.swap_vehicle(
                viewer=info.context.viewer,
                trip_id=pk_of(input.trip_id, "Trip", "tripId"),
                vehicle_id=pk_of(input.vehicle_id, "Vehicle", "vehicleId"),
            ),
            trip=lambda change: Trip.of(change.trip),
            report=lambda change: TripChangeReport.of(change, info),
        )

    @strawberry.mutation(
        description="Cancel a trip (DISPATCHER): what has not boarded moves to the next trip of "
        "the route with room, or is cancelled with its stock given back."
    )
    async def cancel_trip(
        self, info: Info, input: MutationInput[CancelTripInput]
    ) -> CancelTripPayload:
        return await mutation_payload(
            CancelTripPayload,
            lambda: trip_changes.cancel_trip(
                viewer=info.context.viewer,
                trip_id=pk_of(input.trip_id, "Trip", "tripId"),
                reason=input.reason,
            ),
            trip=lambda change: Trip.of(change.trip),
            report=lambda change: TripChangeReport.of(change, info),
        )


def _early_start(info: Info) -> dt.timedelta:
    return dt.timedelta(hours=info.context.settings.trip_events_early_hours)
