"""Printable sheets (issue 15): the pick list, the loading plan, a station's manifest and a
statement as tables a hub or a station prints, with a label per crate.

A sheet is a reading of the same use cases the GraphQL fields call (services/dispatch.py,
services/money/settlement.py), so it is seen by exactly the same viewers and holds exactly the
same figures; this module only lays them out as rows. Rendering (CSV, HTML, the QR codes) is the
web layer's (web/sheets.py).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from cungoods.models import Route, Statement, Station, Trip, User
from cungoods.models.enums import Temperature
from cungoods.services import clock, dispatch
from cungoods.services.auth import Viewer, require_viewer
from cungoods.services.capacity import Load
from cungoods.services.dispatch_plans import Crate
from cungoods.services.errors import not_allowed, not_found
from cungoods.services.money import settlement

TEMPERATURE_LABEL = {
    Temperature.AMBIENT: "常温 ambient",
    Temperature.CHILLED: "冷藏 chilled",
    Temperature.FROZEN: "冷冻 frozen",
}
# The letter a crate's code ends with: the temperature class, readable on a label.
TEMPERATURE_LETTER = {Temperature.AMBIENT: "A", Temperature.CHILLED: "C", Temperature.FROZEN: "F"}


@dataclass(frozen=True)
class CrateTag:
    """The label of one crate: what the QR code says and what a person reads beside it."""

    code: str  # e.g. "CG-T12-S3-C": trip 12, stop 3, chilled
    trip_id: int
    stop_seq: int
    station_code: str
    station_name: str
    temperature: Temperature
    units: int
    weight_g: int

    @property
    def payload(self) -> str:
        """The QR code's text: the crate id, the station and the trip, readable by any scanner."""
        return f"{self.code}|station={self.station_code}|trip={self.trip_id}"


@dataclass(frozen=True)
class Sheet:
    """A titled table (and the crate labels it refers to), ready to print or export."""

    name: str  # the file name without extension, e.g. "pick-list-trip-12"
    title: str
    subtitle: str
    columns: tuple[str, ...]
    rows: Sequence[tuple[str, ...]]
    crates: list[CrateTag] = field(default_factory=list)
    totals: tuple[str, ...] = ()


def crate_code(trip_id: int, stop_seq: int, temperature: Temperature) -> str:
    """A crate is one per stop per temperature class on a trip (services/dispatch_plans.py), so
    trip, stop and class name it."""
    return f"CG-T{trip_id}-S{stop_seq}-{TEMPERATURE_LETTER[temperature]}"


def kg(weight_g: int) -> str:
    return f"{weight_g / 1000:.1f}"


def yuan(fen: int) -> str:
    sign = "-" if fen < 0 else ""
    return f"{sign}{abs(fen) // 100}.{abs(fen) % 100:02d}"


async def pick_list(*, viewer: Viewer | None, trip_id: int) -> Sheet:
    """Per product the units to pick, then the crates to fill (DISPATCHER, as pickList)."""
    plan = await dispatch.pick_list(viewer=viewer, trip_id=trip_id)
    stations = await _stations(crate.station_id for crate in plan.crates)
    rows = []
    for total in plan.totals:
        product = plan.products[total.product_id]
        rows.append(
            (
                product.sku,
                product.name,
                str(total.quantity),
                product.unit,
                str(total.orders),
                kg(total.load.weight_g),
            )
        )
    return Sheet(
        name=f"pick-list-trip-{trip_id}",
        title=f"拣货单 Pick list · {await _trip_label(plan.trip)}",
        subtitle=f"{len(plan.orders)} orders, {len(plan.crates)} crates",
        columns=("SKU", "商品 Product", "数量 Units", "单位 Unit", "订单 Orders", "kg"),
        rows=rows,
        crates=_tags(trip_id, plan.crates, stations),
        totals=(
            "",
            "合计 Total",
            str(sum(t.quantity for t in plan.totals)),
            "",
            "",
            _kg(plan.load),
        ),
    )


async def loading_plan(*, viewer: Viewer | None, trip_id: int) -> Sheet:
    """The crates in loading order, last stop first (DISPATCHER or the trip's driver)."""
    plan = await dispatch.loading_plan(viewer=viewer, trip_id=trip_id)
    crates = [step.crate for step in plan.steps]
    stations = await _stations(crate.station_id for crate in crates)
    tags = {tag.code: tag for tag in _tags(trip_id, crates, stations)}
    rows = []
    for step in plan.steps:
        tag = tags[crate_code(trip_id, step.crate.stop_seq, step.crate.temperature)]
        rows.append(
            (
                str(step.step),
                f"{step.space} #{step.position}",
                tag.code,
                str(step.crate.stop_seq),
                f"{tag.station_code} {tag.station_name}",
                TEMPERATURE_LABEL[step.crate.temperature],
                str(step.crate.units),
                kg(step.crate.load.weight_g),
            )
        )
    collect = sum(len(collection.produce) for collection in plan.collections)
    return Sheet(
        name=f"loading-plan-trip-{trip_id}",
        title=f"装车单 Loading plan · {await _trip_label(plan.trip)}",
        subtitle=f"{len(plan.steps)} crates to load, {collect} produce purchases to collect",
        columns=(
            "步 Step",
            "位置 Space",
            "箱号 Crate",
            "站 Stop",
            "服务站 Station",
            "温层 Temperature",
            "件 Units",
            "kg",
        ),
        rows=rows,
        crates=list(tags.values()),
    )


async def station_manifest(*, viewer: Viewer | None, trip_id: int, station_id: int) -> Sheet:
    """What to hand out and take in at one stop (DISPATCHER or that station's LEADER); pickup
    codes only where the GraphQL manifest shows them (to the leader)."""
    manifest = await dispatch.station_manifest(
        viewer=viewer, trip_id=trip_id, station_id=station_id
    )
    station = (await _stations([station_id]))[station_id]
    rows = []
    for entry in manifest.orders:
        for line in entry.lines:
            product = manifest.products[line.product_id]
            rows.append(
                (
                    "送 hand out",
                    entry.order.number,
                    str(entry.order.status),
                    entry.order.pickup_code if manifest.shows_codes else "",
                    product.name,
                    str(line.quantity),
                    product.unit,
                    crate_code(trip_id, manifest.stop.seq, line.temperature),
                )
            )
    for produce in manifest.produce:
        rows.append(
            (
                "收 take in",
                produce.number,
                str(produce.status),
                "",
                produce.title,
                str(produce.quantity),
                produce.unit,
                "",
            )
        )
    crates = sorted(
        {line.temperature for entry in manifest.orders for line in entry.lines},
        key=list(Temperature).index,
    )
    units = {
        temperature: sum(
            line.quantity
            for entry in manifest.orders
            for line in entry.lines
            if line.temperature is temperature
        )
        for temperature in crates
    }
    weights = {
        temperature: sum(
            line.load.weight_g
            for entry in manifest.orders
            for line in entry.lines
            if line.temperature is temperature
        )
        for temperature in crates
    }
    tags = [
        CrateTag(
            code=crate_code(trip_id, manifest.stop.seq, temperature),
            trip_id=trip_id,
            stop_seq=manifest.stop.seq,
            station_code=station.code,
            station_name=station.name,
            temperature=temperature,
            units=units[temperature],
            weight_g=weights[temperature],
        )
        for temperature in crates
    ]
    return Sheet(
        name=f"manifest-trip-{trip_id}-station-{station.code}",
        title=f"到站清单 Station manifest · {station.code} {station.name}",
        subtitle=f"{await _trip_label(manifest.trip)}, stop {manifest.stop.seq}",
        columns=(
            "类 Kind",
            "单号 Number",
            "状态 Status",
            "取货码 Code",
            "商品 Goods",
            "数量 Units",
            "单位 Unit",
            "箱号 Crate",
        ),
        rows=rows,
        crates=tags,
        totals=(
            "合计 Total",
            f"{len(manifest.orders)} orders, {len(manifest.produce)} produce",
            "",
            "",
            f"hand out {_kg(manifest.hand_out)} kg, take in {_kg(manifest.take_in)} kg",
            "",
            "",
            "",
        ),
    )


async def statement(*, viewer: Viewer | None, statement_id: int) -> Sheet:
    """A leader's or a farmer's statement with its entries (its party, or a DISPATCHER)."""
    signed_in = require_viewer(viewer)
    found = await Statement.get_or_none(id=statement_id)
    if found is None:
        raise not_found("statement", "statementId")
    if not settlement.may_see_statement(signed_in, user_id=found.user_id):
        raise not_allowed("a statement is seen by its party and by dispatchers")
    party = await User.get(id=found.user_id)
    rows = [
        (
            entry.at.isoformat(timespec="seconds"),
            str(entry.kind),
            str(entry.account_kind),
            yuan(entry.amount_fen),
            yuan(entry.balance_after_fen),
            entry.memo,
        )
        for entry in await settlement.entries(found)
    ]
    paid = (
        f"paid out {found.paid_out_at:%Y-%m-%d} ({found.payout_reference})"
        if found.paid_out_at
        else "not paid out yet"
    )
    return Sheet(
        name=f"statement-{found.id}",
        title=f"结算单 Statement · {party.name} ({found.party})",
        subtitle=(
            f"{found.period_from} – {found.period_to}: opening {yuan(found.opening_fen)}, "
            f"credits {yuan(found.credits_fen)}, debits {yuan(found.debits_fen)}, "
            f"due {yuan(found.due_fen)} yuan; {paid}"
        ),
        columns=(
            "时间 At",
            "类型 Kind",
            "账户 Account",
            "金额 Amount (yuan)",
            "余额 Balance (yuan)",
            "摘要 Memo",
        ),
        rows=rows,
        totals=("", "", "应付 Due", yuan(found.due_fen), "", ""),
    )


# --- helpers ----------------------------------------------------------------------------------


def _kg(load: Load) -> str:
    return kg(load.weight_g)


async def _stations(ids: Iterable[int]) -> dict[int, Station]:
    wanted = set(ids)
    if not wanted:
        return {}
    return {station.id: station for station in await Station.filter(id__in=wanted)}


async def _trip_label(trip: Trip) -> str:
    route = await Route.get(id=trip.route_id)
    departs = clock.local(trip.departs_at)
    return f"{route.code} {route.name}, trip {trip.id}, {trip.service_date} {departs:%H:%M}"


def _tags(trip_id: int, crates: Sequence[Crate], stations: dict[int, Station]) -> list[CrateTag]:
    return [
        CrateTag(
            code=crate_code(trip_id, crate.stop_seq, crate.temperature),
            trip_id=trip_id,
            stop_seq=crate.stop_seq,
            station_code=stations[crate.station_id].code,
            station_name=stations[crate.station_id].name,
            temperature=crate.temperature,
            units=crate.units,
            weight_g=crate.load.weight_g,
        )
        for crate in crates
    ]
