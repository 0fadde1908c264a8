"""The hub's catalog and its group-buy sale windows.

A window sells goods for one service date: villagers order from `opens_at` until `cutoff_at`
(by default 21:00 the evening before, the hour the county's group buys close) and pick up the
next morning. By default a window opens at the previous window's cutoff, so at any moment
exactly one service date is open for ordering.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from tortoise.expressions import Q
from tortoise.transactions import in_transaction

from cungoods.events import outbox
from cungoods.models import Product, SaleItem, SaleWindow
from cungoods.services import clock
from cungoods.services.auth import Viewer, require_dispatcher
from cungoods.services.errors import DomainError, DomainErrors, ErrorCode, invalid
from cungoods.services.pagination import Page, PageArgs, page
from cungoods.services.search import exact_filter, search_text

DEFAULT_CUTOFF = "21:00"
MAX_STOCK = 1_000_000
# A unit's price, at most 7,000 元: so that an order of the most lines at the largest quantity
# (placing.MAX_LINES × MAX_QUANTITY = 2,970 units) still totals within a GraphQL Int (2^31 - 1
# fen), as its `totalFen` and every amount derived from it must.
MAX_PRICE_FEN = 700_000
MAX_CATEGORY = 32
# How far from today a window's date may be (past dates only for a refusal that says so).
MAX_YEARS_AWAY = 5
MAX_ITEMS = 500
MAX_DAYS_AHEAD = 31


@dataclass(frozen=True)
class ItemSpec:
    """A product to sell in a window: how many units, at what price (default: the catalog's)."""

    product_id: int
    stock: int
    price_fen: int | None = None
    # Group-buy rules (services/group_rules.py); None: no such rule.
    min_units: int | None = None
    max_per_buyer: int | None = None


def default_cutoff(service_date: dt.date) -> dt.datetime:
    """21:00 (service time) the evening before the service date."""
    return clock.at(service_date - dt.timedelta(days=1), DEFAULT_CUTOFF)


def default_opens(service_date: dt.date) -> dt.datetime:
    """The previous service date's cutoff."""
    return default_cutoff(service_date - dt.timedelta(days=1))


def is_open(window: SaleWindow, now: dt.datetime) -> bool:
    return window.cutoff_done_at is None and window.opens_at <= now < window.cutoff_at


async def products(
    *,
    page_args: PageArgs,
    category: str | None,
    search: str | None,
    max_size: int,
) -> Page[Product]:
    query = Product.all()
    category = exact_filter(category, MAX_CATEGORY, ["category"])
    if category:
        query = query.filter(category=category)
    text = search_text(search, ["search"])
    if text:
        query = query.filter(Q(name__icontains=text) | Q(sku__iexact=text))
    return await page(query, window=page_args, max_size=max_size)


async def open_sale_windows(*, now: dt.datetime | None = None) -> list[SaleWindow]:
    """Windows taking orders now, by service date."""
    # In UTC: SQLite compares the stored text, which Tortoise writes in UTC.
    moment = (now or clock.now()).astimezone(dt.UTC)
    return await SaleWindow.filter(
        opens_at__lte=moment, cutoff_at__gt=moment, cutoff_done_at=None
    ).order_by("service_date")


async def sale_window(*, service_date: dt.date) -> SaleWindow | None:
    return await SaleWindow.get_or_none(service_date=service_date)


SALE_WINDOW_CHANGED = "SALE_WINDOW_CHANGED"


async def open_sale_window(
    *,
    viewer: Viewer | None,
    service_date: dt.date,
    opens_at: dt.datetime | None,
    cutoff_at: dt.datetime | None,
    items: Sequence[ItemSpec],
) -> SaleWindow:
    """Open the window of a service date (DISPATCHER), or change one whose cutoff has not run:
    its times, and per product the price and stock (never below what is sold already)."""
    require_dispatcher(viewer)
    now = clock.now()
    if abs((service_date - clock.today()).days) > MAX_YEARS_AWAY * 366:
        raise invalid(f"a service date is within {MAX_YEARS_AWAY} years of today", "serviceDate")
    cutoff = _utc(cutoff_at or default_cutoff(service_date))
    opens = _utc(opens_at or default_opens(service_date))
    _check_times(service_date=service_date, opens=opens, cutoff=cutoff, now=now)
    _check_items(items)
    found = {p.id for p in await Product.filter(id__in=[item.product_id for item in items])}
    missing = [
        DomainError(ErrorCode.NOT_FOUND, "product not found", ["items", str(i), "productId"])
        for i, item in enumerate(items)
        if item.product_id not in found
    ]
    if missing:
        raise DomainErrors(missing)
    catalog = {p.id: p for p in await Product.filter(id__in=list(found))}

    async with in_transaction():
        window = await SaleWindow.select_for_update().get_or_none(service_date=service_date)
        if window is None:
            window = await SaleWindow.create(
                service_date=service_date, opens_at=opens, cutoff_at=cutoff
            )
        else:
            if window.cutoff_done_at is not None:
                raise DomainError(
                    ErrorCode.INVALID_STATE,
                    f"the cutoff for {service_date} has run: its orders are confirmed",
                    ["serviceDate"],
                )
            window.opens_at, window.cutoff_at = opens, cutoff
            await window.save(update_fields=["opens_at", "cutoff_at"])
        existing = {item.product_id: item for item in await SaleItem.filter(window_id=window.id)}
        new_items: list[SaleItem] = []
        for i, spec in enumerate(items):
            price = (
                spec.price_fen if spec.price_fen is not None else catalog[spec.product_id].price_fen
            )
            item = existing.get(spec.product_id)
            if item is None:
                new_items.append(
                    SaleItem(
                        window_id=window.id,
                        product_id=spec.product_id,
                        price_fen=price,
                        stock=spec.stock,
                        min_units=spec.min_units,
                        max_per_buyer=spec.max_per_buyer,
                    )
                )
                continue
            # Conditional like every stock change: a concurrent order may have sold more since
            # we read the row.
            changed = await SaleItem.filter(id=item.id, sold__lte=spec.stock).update(
                stock=spec.stock,
                price_fen=price,
                min_units=spec.min_units,
                max_per_buyer=spec.max_per_buyer,
            )
            if changed != 1:
                sold = (await SaleItem.get(id=item.id)).sold
                raise invalid(
                    f"{sold} already sold: the stock cannot go below that",
                    "items",
                    str(i),
                    "stock",
                )
        if new_items:
            await SaleItem.bulk_create(new_items)
        # Prices and stock are read by manifests and pick lists: the event tells the response
        # cache (no topic, nobody to notify).
        await outbox.record(
            SALE_WINDOW_CHANGED, message=f"Sale window of {service_date} opened or changed."
        )
    return window


def _utc(moment: dt.datetime) -> dt.datetime:
    """A naive time is service-local. Stored in UTC: on SQLite Tortoise writes an update's
    datetime with the offset it has, and comparisons there are on the text."""
    aware = moment if moment.tzinfo is not None else moment.replace(tzinfo=clock.tz())
    return aware.astimezone(dt.UTC)


def _check_times(
    *, service_date: dt.date, opens: dt.datetime, cutoff: dt.datetime, now: dt.datetime
) -> None:
    if service_date > clock.today() + dt.timedelta(days=MAX_DAYS_AHEAD):
        raise invalid(f"open windows at most {MAX_DAYS_AHEAD} days ahead", "serviceDate")
    if cutoff > clock.at(service_date, "00:00"):
        raise invalid("the cutoff comes before the service date begins", "cutoffAt")
    if cutoff <= now:
        raise invalid("that cutoff has already passed", "cutoffAt")
    if opens >= cutoff:
        raise invalid("a window opens before its cutoff", "opensAt")


def _check_items(items: Sequence[ItemSpec]) -> None:
    if not items:
        raise invalid("put at least one product on sale", "items")
    if len(items) > MAX_ITEMS:
        raise invalid(f"at most {MAX_ITEMS} products per window", "items")
    problems: list[DomainError] = []
    seen: set[int] = set()
    for i, item in enumerate(items):
        if item.product_id in seen:
            problems.append(invalid("this product is listed twice", "items", str(i), "productId"))
        seen.add(item.product_id)
        if not 0 <= item.stock <= MAX_STOCK:
            problems.append(invalid(f"stock is 0 to {MAX_STOCK}", "items", str(i), "stock"))
        for name, value in (("minUnits", item.min_units), ("maxPerBuyer", item.max_per_buyer)):
            if value is not None and not 1 <= value <= MAX_STOCK:
                problems.append(invalid(f"{name} is 1 to {MAX_STOCK}", "items", str(i), name))
        if item.price_fen is not None and not 0 < item.price_fen <= MAX_PRICE_FEN:
            problems.append(
                invalid(f"a price is 1 to {MAX_PRICE_FEN} fen", "items", str(i), "priceFen")
            )
    if problems:
        raise DomainErrors(problems)
