"""Builders for the exception tests (issue 13: shortages, arrival checks, after-sale claims): the
trip run to a station through the real trip events, and a snapshot of everything a refused
action must leave as it was."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from builders_orders import SERVICE_DATE, Shop, set_clock, viewer
from cungoods.models import Account, Claim, Event, Leg, Order, OrderLine, SaleItem, Trip
from cungoods.models.enums import AccountKind
from cungoods.services import orders, trips
from cungoods.services.money import ledger

SHORTAGE = """
mutation($input: RecordShortageInput!) {
  recordShortage(input: $input) {
    shortage {
      shortUnits refundedFen saleItem { id } trip { id }
      orders { units refundedFen cancelled order { id number status totalFen refundedFen
        lines { quantity product { sku } } } }
    }
    errors { code message field remaining }
  }
}
"""
ARRIVAL = """
mutation($input: ConfirmArrivalInput!) {
  confirmArrival(input: $input) {
    arrival {
      missingUnits refundedFen station { code } trip { id }
      claims { id kind status refundFen claimedFen reason order { id status }
        lines { units unitPriceFen product { sku } } }
    }
    errors { code message field }
  }
}
"""
FILE = """
mutation($input: FileClaimInput!) {
  fileClaim(input: $input) {
    claim { id kind status claimedFen refundFen reason photoUrls buyer { name }
      lines { units unitPriceFen product { sku } } }
    errors { code message field remaining }
  }
}
"""
RESOLVE = """
mutation($input: ResolveClaimInput!) {
  resolveClaim(input: $input) {
    claim { id status refundFen note resolvedAt resolvedBy { name } order { refundedFen } }
    errors { code message field }
  }
}
"""
CLAIMS = """
query($status: ClaimStatus, $first: Int, $after: String) {
  claims(status: $status, first: $first, after: $after) {
    totalCount pageInfo { hasNextPage endCursor } nodes { id kind status }
  }
}
"""
MY_CLAIMS = """
query { myClaims { totalCount nodes { id kind status refundFen order { number } } } }
"""


def on_service_day() -> None:
    """The morning of the service date, when the buses run."""
    set_clock(SERVICE_DATE, "06:00")


async def depart(shop: Shop) -> None:
    """Cut off (if not yet), then the bus leaves the hub on the service day."""
    await orders.cut_off(window_id=shop.window.id)
    on_service_day()
    await trips.record_trip_event(
        viewer=viewer(shop.dispatcher), trip_id=shop.trip.id, kind="DEPARTED"
    )


async def run_to(shop: Shop, seq: int) -> None:
    """Depart and run the trip until the bus stands at stop `seq` (arrived, not left)."""
    await depart(shop)
    for stop in range(1, seq + 1):
        await trips.record_trip_event(
            viewer=viewer(shop.dispatcher), trip_id=shop.trip.id, kind="ARRIVED", stop_seq=stop
        )
        if stop < seq:
            await trips.record_trip_event(
                viewer=viewer(shop.dispatcher), trip_id=shop.trip.id, kind="LEFT", stop_seq=stop
            )


async def leave(shop: Shop, seq: int) -> None:
    await trips.record_trip_event(
        viewer=viewer(shop.dispatcher), trip_id=shop.trip.id, kind="LEFT", stop_seq=seq
    )


async def wallet(user_id: int) -> int:
    return await ledger.balance_of(AccountKind.BUYER_WALLET, user_id)


async def commission_of(leader_id: int) -> int:
    return await ledger.balance_of(AccountKind.LEADER_COMMISSION, leader_id)


@dataclass(frozen=True)
class Snapshot:
    """Everything a refused action must leave as it was."""

    rows: dict[str, Any]


async def snapshot(trip: Trip) -> Snapshot:
    legs = await Leg.filter(trip_id=trip.id).order_by("seq").values_list("used_g", "down_g")
    return Snapshot(
        rows={
            "orders": await Order.all()
            .order_by("id")
            .values_list("status", "total_fen", "refunded_fen"),
            "lines": await OrderLine.all().order_by("id").values_list("id", "quantity"),
            "items": await SaleItem.all().order_by("id").values_list("stock", "sold"),
            "legs": legs,
            "balances": await Account.all().order_by("id").values_list("id", "balance_fen"),
            "claims": await Claim.all().count(),
            "events": await Event.all().count(),
        }
    )
