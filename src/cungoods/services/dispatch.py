"""The hub's sorting and dispatch reads: the pick list, the loading plan and the station
manifests of a trip (the arithmetic is in dispatch_plans.py; network statistics in
dispatch_stats.py).

What counts:
- The pick list and the loading plan carry the trip's orders that are CONFIRMED or LOADED: the
  cutoff has confirmed them (a PLACED order may still be cancelled until then) and they have not
  left the hub yet (IN_TRANSIT and later are on the road, CANCELLED ones are not coming).
- A station manifest lists every order the hub sends to that station on the trip, from
  CONFIRMED to PICKED_UP (the leader ticks them off as they are handed out), and every produce
  purchase to take in there that is not cancelled.
- The loading plan's produce to collect is what is still waiting at the stations (RESERVED,
  or HANDED_OVER to the leader).

Who may read: the pick list, dispatchers (and admins); the loading plan, dispatchers and the
trip's driver; a station manifest, dispatchers and the leader of that station. Only the leader
sees the pickup codes (they hand the goods out against them); dispatchers never hand goods out,
and the code is the key to the goods (docs/authorization.md).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from tortoise.functions import Sum

from cungoods.db import sql
from cungoods.models import (
    Leg,
    Order,
    OrderLine,
    ProduceListing,
    ProducePurchase,
    Product,
    SaleItem,
    Shipment,
    Trip,
    TripStop,
)
from cungoods.models.enums import Direction, OrderStatus, PurchaseStatus, ShipmentState, Temperature
from cungoods.services import reads
from cungoods.services.auth import Viewer, require_dispatcher, require_viewer
from cungoods.services.capacity import Load
from cungoods.services.dispatch_plans import (
    Crate,
    LegLoad,
    Line,
    LoadingStep,
    OrderToPack,
    PickTotal,
    Span,
    crates_of,
    fullest_leg,
    load_profile,
    loading_order,
    pick_totals,
)
from cungoods.services.dispatch_stats import NetworkStats, network_stats
from cungoods.services.errors import DomainError, ErrorCode, not_allowed, not_found

__all__ = [
    "TO_PACK",
    "IN_MANIFEST",
    "TO_COLLECT",
    "PickList",
    "LoadingPlan",
    "StationManifest",
    "NetworkStats",
    "pick_list",
    "loading_plan",
    "station_manifest",
    "trip_manifests",
    "network_stats",
]

TO_PACK: tuple[OrderStatus, ...] = (OrderStatus.CONFIRMED, OrderStatus.LOADED)
IN_MANIFEST: tuple[OrderStatus, ...] = (
    OrderStatus.CONFIRMED,
    OrderStatus.LOADED,
    OrderStatus.IN_TRANSIT,
    OrderStatus.AT_STATION,
    OrderStatus.PICKED_UP,
)
TO_COLLECT: tuple[PurchaseStatus, ...] = (PurchaseStatus.RESERVED, PurchaseStatus.HANDED_OVER)
NOT_CANCELLED: tuple[PurchaseStatus, ...] = tuple(
    status for status in PurchaseStatus if status is not PurchaseStatus.CANCELLED
)


# --- results ----------------------------------------------------------------------------------
# Orders and purchases come back as light rows (plain SQL, not models): a trip carries hundreds
# of them, and these reads are what the hub and the leaders refresh all morning.


@dataclass(frozen=True)
class OrderRow:
    id: int
    number: str
    status: OrderStatus
    station_id: int
    buyer_id: int
    total_fen: int
    pickup_code: str


@dataclass(frozen=True)
class Packing:
    """A trip's orders to pack, with their lines as the hub picks them and the products."""

    orders: dict[int, OrderRow]
    to_pack: list[OrderToPack]
    products: dict[int, Product]


@dataclass(frozen=True)
class PickList:
    trip: Trip
    totals: list[PickTotal]
    crates: list[Crate]
    orders: dict[int, OrderRow]
    products: dict[int, Product]

    @property
    def load(self) -> Load:
        return sum((total.load for total in self.totals), Load())


@dataclass(frozen=True)
class ManifestProduce:
    """A purchase to take in at a station: what, from which farmer, how much, its room."""

    purchase_id: int
    number: str
    status: PurchaseStatus
    station_id: int
    quantity: int  # handed over once it is, else bought
    title: str
    unit: str
    farmer_id: int
    load: Load


@dataclass(frozen=True)
class Collection:
    """Produce the bus takes in at one stop."""

    stop_seq: int
    station_id: int
    produce: list[ManifestProduce]

    @property
    def load(self) -> Load:
        return sum((item.load for item in self.produce), Load())


@dataclass(frozen=True)
class LoadingPlan:
    trip: Trip
    stops: list[TripStop]
    steps: list[LoadingStep]
    collections: list[Collection]
    legs: list[LegLoad]
    orders: dict[int, OrderRow]
    products: dict[int, Product]

    @property
    def fullest(self) -> LegLoad | None:
        return fullest_leg(self.legs)


@dataclass(frozen=True)
class ManifestOrder:
    order: OrderRow
    lines: tuple[Line, ...]


@dataclass(frozen=True)
class StationManifest:
    trip: Trip
    stop: TripStop
    orders: list[ManifestOrder]
    produce: list[ManifestProduce]
    products: dict[int, Product]
    shows_codes: bool

    @property
    def station_id(self) -> int:
        assert self.stop.station_id is not None  # manifests are for station stops
        return self.stop.station_id

    @property
    def hand_out(self) -> Load:
        return sum((line.load for o in self.orders for line in o.lines), Load())

    @property
    def take_in(self) -> Load:
        return sum((p.load for p in self.produce), Load())


# --- use cases --------------------------------------------------------------------------------


async def pick_list(*, viewer: Viewer | None, trip_id: int) -> PickList:
    """Per product the units to pick for the trip, and per station the crates (DISPATCHER)."""
    require_dispatcher(viewer)
    trip, stops = await reads.together(_trip(trip_id), _stops(trip_id))
    packing = await _packing(trip_id=trip.id, statuses=TO_PACK, stops=stops)
    return PickList(
        trip=trip,
        totals=pick_totals(packing.to_pack),
        crates=crates_of(packing.to_pack),
        orders=packing.orders,
        products=packing.products,
    )


async def loading_plan(*, viewer: Viewer | None, trip_id: int) -> LoadingPlan:
    """The crates in loading order, the produce to collect at each stop, and the load of every
    leg (DISPATCHER, or the trip's driver)."""
    signed_in = require_viewer(viewer)
    trip = await _trip(trip_id)
    if not (signed_in.is_dispatcher or trip.driver_id == signed_in.id):
        raise not_allowed("only dispatchers and the trip's driver see its loading plan")
    stops = await _stops(trip.id)
    packing, purchases, legs = await reads.together(
        _packing(trip_id=trip.id, statuses=TO_PACK, stops=stops),
        _purchases(trip_id=trip.id, statuses=TO_COLLECT),
        trip_profile(trip_id=trip.id),
    )
    seq_of = {stop.station_id: stop.seq for stop in stops if stop.station_id is not None}
    by_station: dict[int, list[ManifestProduce]] = {}
    for purchase in purchases:
        by_station.setdefault(purchase.station_id, []).append(purchase)
    collections = sorted(
        (
            Collection(stop_seq=seq_of.get(station_id, 0), station_id=station_id, produce=found)
            for station_id, found in by_station.items()
        ),
        key=lambda collection: collection.stop_seq,
    )
    return LoadingPlan(
        trip=trip,
        stops=stops,
        steps=loading_order(crates_of(packing.to_pack)),
        collections=collections,
        legs=legs,
        orders=packing.orders,
        products=packing.products,
    )


async def trip_profile(*, trip_id: int) -> list[LegLoad]:
    """The trip's legs: capacity, and the live reservations riding each, down and up (summed in
    the database per span and direction, so a few dozen rows whatever the number of orders)."""
    legs = await Leg.filter(trip_id=trip_id).order_by("seq")
    rows = (
        await Shipment.filter(trip_id=trip_id, state=ShipmentState.RESERVED)
        .annotate(g=Sum("weight_g"), cm3=Sum("volume_cm3"), chilled=Sum("chilled_g"))
        .group_by("direction", "from_seq", "to_seq")
        .values_list("direction", "from_seq", "to_seq", "g", "cm3", "chilled")
    )
    spans = [
        Span(from_seq, to_seq, Load(int(g), int(cm3), int(chilled)), Direction(direction))
        for direction, from_seq, to_seq, g, cm3, chilled in rows
    ]
    capacities = [Load(leg.capacity_g, leg.capacity_cm3, leg.chilled_capacity_g) for leg in legs]
    return load_profile(capacities, spans)


async def station_manifest(
    *, viewer: Viewer | None, trip_id: int, station_id: int
) -> StationManifest:
    """What to hand out and what to take in at one stop of a trip (DISPATCHER, or the LEADER of
    that station)."""
    signed_in = require_viewer(viewer)
    if not (signed_in.is_dispatcher or signed_in.leads(station_id)):
        raise not_allowed("only dispatchers and the station's leader see its manifest")
    trip, stops = await reads.together(_trip(trip_id), _stops(trip_id))
    manifests = await _manifests(trip, stops, viewer=signed_in, station_ids=[station_id])
    if not manifests:
        raise DomainError(
            ErrorCode.NOT_FOUND, "the trip does not stop at this station", ["stationId"]
        )
    return manifests[0]


async def trip_manifests(*, viewer: Viewer | None, trip_id: int) -> list[StationManifest]:
    """The manifest of every station stop of the trip the viewer may see (all for dispatchers,
    their own station for a leader, none for anyone else), in stop order; one pass over the
    trip's orders and purchases for all stops."""
    if viewer is None:
        return []
    if viewer.is_dispatcher:
        station_ids = None
    elif viewer.station_id is not None and viewer.leads(viewer.station_id):
        station_ids = [viewer.station_id]
    else:
        return []
    [trip], stops = await reads.together(reads.rows_by_id(Trip, [trip_id]), _stops(trip_id))
    if trip is None:
        return []
    return await _manifests(trip, stops, viewer=viewer, station_ids=station_ids)


# --- loading rows -----------------------------------------------------------------------------


async def _trip(trip_id: int) -> Trip:
    [trip] = await reads.rows_by_id(Trip, [trip_id])
    if trip is None:
        raise not_found("trip", "tripId")
    return trip


async def _stops(trip_id: int) -> list[TripStop]:
    """The trip's stops in order, the hub's included."""
    [stops] = await reads.rows_by_parent(TripStop, "trip_id", [trip_id], order_by="seq")
    return stops


def _on_trip(
    alias: str,
    trip_id: int,
    statuses: Sequence[OrderStatus] | Sequence[PurchaseStatus],
    station_ids: Sequence[int] | None,
) -> tuple[str, list[object]]:
    """`WHERE` of the rows of a trip in some statuses (to some stations), and its arguments."""
    args: list[object] = [trip_id, *statuses]
    where = f"{alias}.trip_id = $1 AND {alias}.status IN ({sql.placeholders(2, len(statuses))})"
    if station_ids is not None:
        marks = sql.placeholders(len(args) + 1, len(station_ids))
        where += f" AND {alias}.station_id IN ({marks})"
        args += station_ids
    return where, args


# The order and line reads of the hub run for every pick list, loading plan and manifest, all
# morning: plain SQL (db/sql.py), not the ORM's query builder and its per-value conversions.
_ORDERS_SQL = (
    "SELECT o.id, o.number, o.status, o.station_id, o.buyer_id, o.total_fen, o.pickup_code "
    f"FROM {Order._meta.db_table} o WHERE {{where}} ORDER BY o.id"
)
_PRODUCT = "product__"  # the prefix of a line's product columns (reads.joined)
_LINES_SQL = (
    f"SELECT l.order_id, l.quantity, l.unit_price_fen, {reads.prefixed(Product, _PRODUCT, 'p')} "
    f"FROM {OrderLine._meta.db_table} l "
    f"JOIN {Order._meta.db_table} o ON o.id = l.order_id "
    f"JOIN {SaleItem._meta.db_table} s ON s.id = l.sale_item_id "
    f"JOIN {Product._meta.db_table} p ON p.id = s.product_id "
    "WHERE {where} ORDER BY l.id"
)


async def _packing(
    *,
    trip_id: int,
    statuses: Sequence[OrderStatus],
    stops: Sequence[TripStop],
    station_ids: Sequence[int] | None = None,
) -> Packing:
    """The trip's orders in `statuses` (optionally to some stations), their lines with what
    each unit weighs, and the products, with the stop each order rides to from the trip's
    `stops`: two queries side by side whatever the number of orders."""
    if station_ids is not None and not station_ids:
        return Packing(orders={}, to_pack=[], products={})
    where, args = _on_trip("o", trip_id, statuses, station_ids)
    order_rows, rows = await reads.together(
        sql.fetch(_ORDERS_SQL.format(where=where), *args),
        sql.fetch(_LINES_SQL.format(where=where), *args),
    )
    orders = {
        row["id"]: OrderRow(
            id=row["id"],
            number=row["number"],
            status=OrderStatus(row["status"]),
            station_id=row["station_id"],
            buyer_id=row["buyer_id"],
            total_fen=row["total_fen"],
            pickup_code=row["pickup_code"],
        )
        for row in order_rows
    }
    # The products come with the lines (an inner join: every line has one).
    line_products = [p for p in reads.joined(Product, _PRODUCT, rows) if p is not None]
    products = {product.id: product for product in sorted(line_products, key=lambda p: p.id)}
    kinds = {
        product.id: (product.weight_g, product.volume_cm3, Temperature(product.temperature))
        for product in products.values()
    }
    seq_of = {stop.station_id: stop.seq for stop in stops if stop.station_id is not None}
    lines: dict[int, list[Line]] = {}
    for row in rows:
        product_id = row[_PRODUCT + "id"]
        weight_g, volume_cm3, temperature = kinds[product_id]
        lines.setdefault(row["order_id"], []).append(
            Line(
                row["order_id"],
                product_id,
                row["quantity"],
                weight_g,
                volume_cm3,
                temperature,
                row["unit_price_fen"],
            )
        )
    to_pack = [
        OrderToPack(
            order_id=order.id,
            station_id=order.station_id,
            # An order rides to its station's stop; 0 only if the station left the route since.
            stop_seq=seq_of.get(order.station_id, 0),
            lines=tuple(lines.get(order.id, ())),
        )
        for order in orders.values()
    ]
    return Packing(orders=orders, to_pack=to_pack, products=products)


async def _manifests(
    trip: Trip,
    every_stop: Sequence[TripStop],
    *,
    viewer: Viewer,
    station_ids: Sequence[int] | None,
) -> list[StationManifest]:
    """The manifests of the trip's stops at `station_ids` (all stations for None), from the
    trip's stops (read beside the trip: the caller's one round trip for both)."""
    stops = [
        stop
        for stop in every_stop
        if stop.station_id is not None and (station_ids is None or stop.station_id in station_ids)
    ]
    if not stops:
        return []
    wanted = [stop.station_id for stop in stops if stop.station_id is not None]
    packing, purchases = await reads.together(
        _packing(trip_id=trip.id, statuses=IN_MANIFEST, station_ids=wanted, stops=every_stop),
        _purchases(trip_id=trip.id, statuses=NOT_CANCELLED, station_ids=wanted),
    )
    orders_at: dict[int, list[ManifestOrder]] = {}
    for packed in packing.to_pack:
        orders_at.setdefault(packed.station_id, []).append(
            ManifestOrder(order=packing.orders[packed.order_id], lines=packed.lines)
        )
    produce_at: dict[int, list[ManifestProduce]] = {}
    for item in purchases:
        produce_at.setdefault(item.station_id, []).append(item)
    manifests = []
    for stop in stops:
        assert stop.station_id is not None
        manifests.append(
            StationManifest(
                trip=trip,
                stop=stop,
                orders=orders_at.get(stop.station_id, []),
                produce=produce_at.get(stop.station_id, []),
                products=packing.products,
                shows_codes=viewer.leads(stop.station_id),
            )
        )
    return manifests


_PURCHASES_SQL = (
    "SELECT p.id, p.number, p.status, p.station_id, p.quantity, p.handed_over_quantity, "
    "l.title, l.unit, l.farmer_id, s.weight_g, s.volume_cm3, s.chilled_g "
    f"FROM {ProducePurchase._meta.db_table} p "
    f"JOIN {ProduceListing._meta.db_table} l ON l.id = p.listing_id "
    f"JOIN {Shipment._meta.db_table} s ON s.id = p.shipment_id "
    "WHERE {where} ORDER BY p.id"
)


async def _purchases(
    *,
    trip_id: int,
    statuses: Sequence[PurchaseStatus],
    station_ids: Sequence[int] | None = None,
) -> list[ManifestProduce]:
    """The trip's purchases in `statuses`, with their listings and loads (one query)."""
    if station_ids is not None and not station_ids:
        return []
    where, args = _on_trip("p", trip_id, statuses, station_ids)
    return [
        ManifestProduce(
            purchase_id=row["id"],
            number=row["number"],
            status=PurchaseStatus(row["status"]),
            station_id=row["station_id"],
            quantity=row["quantity"]
            if row["handed_over_quantity"] is None
            else row["handed_over_quantity"],
            title=row["title"],
            unit=row["unit"],
            farmer_id=row["farmer_id"],
            load=Load(row["weight_g"], row["volume_cm3"], row["chilled_g"]),
        )
        for row in await sql.fetch(_PURCHASES_SQL.format(where=where), *args)
    ]
