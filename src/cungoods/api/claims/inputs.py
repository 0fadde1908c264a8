"""The claim mutations' inputs, and what they mean to the services."""

from __future__ import annotations

import strawberry

from cungoods.api.ids import pk_of
from cungoods.services import arrivals, claims
from cungoods.services.errors import DomainError, DomainErrors


@strawberry.input(description="Units of a sale item missing at the hub for a trip.")
class RecordShortageInput:
    trip_id: strawberry.ID = strawberry.field(description="The trip the units were sold for.")
    sale_item_id: strawberry.ID = strawberry.field(description="The sale item that is short.")
    short_units: int = strawberry.field(
        description="How many units are missing (at most what the trip's orders hold)."
    )


@strawberry.input(description="Units of an order's line that arrived missing or damaged.")
class MissingLineInput:
    order_id: strawberry.ID = strawberry.field(description="The order.")
    sale_item_id: strawberry.ID = strawberry.field(description="The line's sale item.")
    units: int = strawberry.field(description="Units missing or damaged (1 to the line's units).")
    reason: str = strawberry.field(description="What is wrong (1 to 200 characters).")


@strawberry.input(description="The station leader's check of what the bus brought.")
class ConfirmArrivalInput:
    trip_id: strawberry.ID = strawberry.field(description="The trip standing at the station.")
    station_id: strawberry.ID = strawberry.field(description="The leader's station.")
    missing: list[MissingLineInput] = strawberry.field(
        default_factory=list,
        description="What is missing or damaged (empty: everything arrived as ordered).",
    )


@strawberry.input(description="Units of a line of the order claimed after pickup.")
class ClaimLineInput:
    sale_item_id: strawberry.ID = strawberry.field(description="The line's sale item.")
    units: int = strawberry.field(description="Units claimed (1 to those not settled before).")


@strawberry.input(description="An after-sale claim (售后) on a picked-up order.")
class FileClaimInput:
    order_id: strawberry.ID = strawberry.field(description="The order, picked up.")
    lines: list[ClaimLineInput] = strawberry.field(description="What is claimed (1 to 30 lines).")
    reason: str = strawberry.field(description="What is wrong (1 to 500 characters).")
    photo_urls: list[str] = strawberry.field(
        default_factory=list, description="Up to 9 photos: http(s) URLs of at most 500 characters."
    )


@strawberry.input(description="A dispatcher's decision on a filed claim.")
class ResolveClaimInput:
    claim_id: strawberry.ID = strawberry.field(description="The claim.")
    approve: bool = strawberry.field(description="True: refund; false: reject (no money moves).")
    refund_fen: int | None = strawberry.field(
        default=None,
        description="What an approval refunds, in fen: 1 to the claim's claimedFen (default: "
        "all of it). Leave it out when rejecting.",
    )
    note: str = strawberry.field(default="", description="The decision, for the buyer (≤ 200).")


def _pk(global_id: str, type_name: str, path: list[str]) -> int:
    """The pk of an id inside a list of the input; a bad one is reported at its full path."""
    try:
        return pk_of(global_id, type_name)
    except DomainError as error:
        raise DomainError(error.code, error.message, path) from error


def missing_lines(lines: list[MissingLineInput]) -> list[arrivals.Missing]:
    """The missing lines; every bad id is reported at its place in the list, all at once."""
    problems: list[DomainError] = []
    parsed: list[arrivals.Missing] = []
    for i, line in enumerate(lines):
        try:
            order_id = _pk(line.order_id, "Order", ["missing", str(i), "orderId"])
            item_id = _pk(line.sale_item_id, "SaleItem", ["missing", str(i), "saleItemId"])
        except DomainError as error:
            problems.append(error)
            continue
        parsed.append(arrivals.Missing(order_id, item_id, line.units, line.reason))
    if problems:
        raise problems[0] if len(problems) == 1 else DomainErrors(problems)
    return parsed


def claim_lines(lines: list[ClaimLineInput]) -> list[claims.ClaimLineRequest]:
    """The claimed lines; a bad sale item id is reported at its place in the list."""
    return [
        claims.ClaimLineRequest(
            sale_item_id=_pk(line.sale_item_id, "SaleItem", ["lines", str(i), "saleItemId"]),
            units=line.units,
        )
        for i, line in enumerate(lines)
    ]
