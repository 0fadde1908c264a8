"""Farmers' produce listings: create, change, close, and the marketplace search."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field, fields, replace

from tortoise.expressions import F, Q
from tortoise.transactions import in_transaction

from cungoods.db import sql
from cungoods.events import outbox
from cungoods.models import ProduceListing, RouteStop, Station
from cungoods.models.enums import ListingStatus, Role, Temperature
from cungoods.services import clock
from cungoods.services.auth import Viewer, require_role
from cungoods.services.errors import (
    DomainError,
    DomainErrors,
    ErrorCode,
    invalid,
    not_allowed,
    not_found,
)
from cungoods.services.pagination import Page, PageArgs, page
from cungoods.services.search import exact_filter, search_terms

LISTING_CHANGED = "LISTING_CHANGED"  # an event kind: a listing was made, changed or closed

MAX_READY_WINDOW_DAYS = 90
MAX_READY_AHEAD_DAYS = 365
MAX_UNIT_WEIGHT_G = 500_000
MAX_UNIT_VOLUME_CM3 = 2_000_000
MAX_PRICE_FEN = 100_000_000
MAX_QUANTITY = 1_000_000
# Amounts are GraphQL Ints (32-bit) in fen: a listing's whole value, and so any purchase from
# it, must fit one (21,474,836.47 元).
MAX_TOTAL_FEN = 2**31 - 1
MAX_PHOTOS = 9
MAX_URL = 500
MAX_DESCRIPTION = 2000
# (model attribute, input field name, max length, required)
_TEXTS = (
    ("title", "title", 100, True),
    ("category", "category", 32, True),
    ("variety", "variety", 50, False),
    ("grade", "grade", 20, False),
    ("unit", "unit", 16, True),
    ("description", "description", MAX_DESCRIPTION, False),
)
# (model attribute, input field name, smallest, largest)
_NUMBERS = (
    ("unit_weight_g", "unitWeightG", 1, MAX_UNIT_WEIGHT_G),
    ("unit_volume_cm3", "unitVolumeCm3", 1, MAX_UNIT_VOLUME_CM3),
    ("price_fen", "priceFen", 1, MAX_PRICE_FEN),
    ("quantity", "quantity", 1, MAX_QUANTITY),
)


@dataclass(frozen=True)
class ListingFields:
    """Everything a listing says; `station_id` None means the farmer's own station."""

    title: str
    category: str
    unit: str
    unit_weight_g: int
    unit_volume_cm3: int
    price_fen: int
    quantity: int
    ready_from: dt.date
    ready_until: dt.date
    variety: str = ""
    grade: str = ""
    min_quantity: int = 1
    station_id: int | None = None
    temperature: Temperature = Temperature.AMBIENT
    description: str = ""
    photo_urls: Sequence[str] = field(default_factory=tuple)


@dataclass(frozen=True)
class ListingChanges:
    """What updateListing changes: None leaves a field as it is."""

    title: str | None = None
    category: str | None = None
    unit: str | None = None
    unit_weight_g: int | None = None
    unit_volume_cm3: int | None = None
    price_fen: int | None = None
    quantity: int | None = None
    ready_from: dt.date | None = None
    ready_until: dt.date | None = None
    variety: str | None = None
    grade: str | None = None
    min_quantity: int | None = None
    station_id: int | None = None
    temperature: Temperature | None = None
    description: str | None = None
    photo_urls: Sequence[str] | None = None


@dataclass(frozen=True)
class ListingFilter:
    """produceListings: every given criterion must hold. By default only listings that can still
    be bought (open, not past ready-until, something left) are shown."""

    category: str | None = None
    township: str | None = None
    station_id: int | None = None
    ready_on: dt.date | None = None
    text: str | None = None
    farmer_id: int | None = None
    include_closed: bool = False


def _cleaned(values: ListingFields) -> ListingFields:
    stripped = {attr: getattr(values, attr).strip() for attr, *_ in _TEXTS}
    urls = tuple(url.strip() for url in values.photo_urls)
    return replace(values, **stripped, photo_urls=urls)


def check_fields(values: ListingFields, *, dates_changed: bool, prefix: Sequence[str] = ()) -> None:
    """Every problem with a listing's fields at once (INVALID_INPUT, with the field path).
    `dates_changed` says whether to refuse a ready-until already past."""
    problems: list[DomainError] = []

    def problem(message: str, name: str) -> None:
        problems.append(invalid(message, *prefix, name))

    for attr, name, longest, required in _TEXTS:
        text = getattr(values, attr)
        if required and not text:
            problem(f"{name} is required", name)
        elif len(text) > longest:
            problem(f"{name} has at most {longest} characters", name)
    for attr, name, smallest, largest in _NUMBERS:
        number = getattr(values, attr)
        if not smallest <= number <= largest:
            problem(f"{name} is between {smallest} and {largest}", name)
    positive = values.price_fen >= 1 and values.quantity >= 1
    if positive and values.price_fen * values.quantity > MAX_TOTAL_FEN:
        problem(f"priceFen × quantity is at most {MAX_TOTAL_FEN} fen", "quantity")
    if not 1 <= values.min_quantity <= max(values.quantity, 1):
        problem("minQuantity is at least 1 and at most the quantity", "minQuantity")
    problems += _date_problems(values, dates_changed=dates_changed, prefix=prefix)
    if len(values.photo_urls) > MAX_PHOTOS:
        problem(f"at most {MAX_PHOTOS} photos", "photoUrls")
    elif any(
        not url.startswith(("https://", "http://")) or len(url) > MAX_URL
        for url in values.photo_urls
    ):
        problem(f"photo URLs are http(s) addresses of at most {MAX_URL} characters", "photoUrls")
    if len(problems) == 1:
        raise problems[0]
    if problems:
        raise DomainErrors(problems)


def _date_problems(
    values: ListingFields, *, dates_changed: bool, prefix: Sequence[str]
) -> list[DomainError]:
    today = clock.today()
    if values.ready_until < values.ready_from:
        return [invalid("readyUntil is on or after readyFrom", *prefix, "readyUntil")]
    if (values.ready_until - values.ready_from).days > MAX_READY_WINDOW_DAYS:
        return [
            invalid(
                f"list produce for at most {MAX_READY_WINDOW_DAYS} days at once",
                *prefix,
                "readyUntil",
            )
        ]
    if dates_changed and values.ready_until < today:
        return [invalid("readyUntil is already past", *prefix, "readyUntil")]
    if (values.ready_from - today).days > MAX_READY_AHEAD_DAYS:
        return [invalid("readyFrom is more than a year ahead", *prefix, "readyFrom")]
    return []


async def served_station(station_id: int, *, field: Sequence[str] = ("stationId",)) -> Station:
    """A station some bus route stops at (produce from anywhere else cannot ride)."""
    station = await Station.get_or_none(id=station_id)
    if station is None:
        raise not_found("station", *field)
    if not await RouteStop.filter(station_id=station_id).exists():
        raise DomainError(
            ErrorCode.STATION_NOT_SERVED, f"no bus route stops at {station.name}", list(field)
        )
    return station


def _handover_station(viewer: Viewer, station_id: int | None, prefix: Sequence[str]) -> int:
    chosen = station_id if station_id is not None else viewer.station_id
    if chosen is None:
        raise invalid("choose the station where the produce is handed over", *prefix, "stationId")
    return chosen


async def new_listing(
    *, farmer: Viewer, values: ListingFields, prefix: Sequence[str] = ()
) -> ProduceListing:
    """Check and store a listing inside the caller's transaction (createListing, makeOffer)."""
    values = _cleaned(values)
    check_fields(values, dates_changed=True, prefix=prefix)
    station_id = _handover_station(farmer, values.station_id, prefix)
    await served_station(station_id, field=(*prefix, "stationId"))
    listing = await ProduceListing.create(
        farmer_id=farmer.id,
        title=values.title,
        category=values.category,
        variety=values.variety,
        grade=values.grade,
        unit=values.unit,
        unit_weight_g=values.unit_weight_g,
        unit_volume_cm3=values.unit_volume_cm3,
        price_fen=values.price_fen,
        quantity=values.quantity,
        min_quantity=values.min_quantity,
        station_id=station_id,
        ready_from=values.ready_from,
        ready_until=values.ready_until,
        temperature=values.temperature,
        description=values.description,
        photo_urls=list(values.photo_urls),
    )
    await _listing_changed(listing, "listed")
    return listing


async def _listing_changed(listing: ProduceListing, what: str) -> None:
    """Listings show in manifests and loading plans (a purchase's listing): the event tells the
    response cache. No topic and nobody to notify: the farmer made the change."""
    await outbox.record(LISTING_CHANGED, message=f"Listing {listing.id} {what}.")


async def create_listing(*, viewer: Viewer | None, values: ListingFields) -> ProduceListing:
    """A FARMER lists produce for sale at a station a bus stops at."""
    farmer = require_role(viewer, Role.FARMER)
    async with in_transaction():
        return await new_listing(farmer=farmer, values=values)


def _fields_of(listing: ProduceListing) -> ListingFields:
    return ListingFields(**{f.name: getattr(listing, f.name) for f in fields(ListingFields)})


async def update_listing(
    *, viewer: Viewer | None, listing_id: int, changes: ListingChanges
) -> ProduceListing:
    """The farmer changes their listing. The quantity never drops below what is sold: the row is
    locked, so a purchase in flight either lands first (and counts) or waits for the change."""
    farmer = require_role(viewer, Role.FARMER)
    given = {f.name: getattr(changes, f.name) for f in fields(ListingChanges)}
    given = {name: value for name, value in given.items() if value is not None}
    async with in_transaction():
        listing = await ProduceListing.select_for_update().get_or_none(id=listing_id)
        if listing is None:
            raise not_found("listing", "listingId")
        if listing.farmer_id != farmer.id:
            raise not_allowed("you can only change your own listings")
        if listing.status is not ListingStatus.OPEN:
            raise DomainError(ErrorCode.INVALID_STATE, "the listing is closed", ["listingId"])
        values = _cleaned(replace(_fields_of(listing), **given))
        check_fields(
            values, dates_changed="ready_from" in given or "ready_until" in given, prefix=()
        )
        if values.quantity < listing.sold:
            raise invalid(
                f"{listing.sold} {listing.unit} are sold already: the quantity cannot be lower",
                "quantity",
            )
        if "station_id" in given and values.station_id != listing.station_id:
            assert values.station_id is not None
            await served_station(values.station_id)
        for name, value in _fields_of_values(values).items():
            setattr(listing, name, value)
        await listing.save(update_fields=list(_fields_of_values(values)))
        await _listing_changed(listing, "changed")
    return listing


def _fields_of_values(values: ListingFields) -> dict[str, object]:
    stored = {f.name: getattr(values, f.name) for f in fields(ListingFields)}
    stored["photo_urls"] = list(values.photo_urls)
    return stored


async def close_listing(*, viewer: Viewer | None, listing_id: int) -> ProduceListing:
    """Stop selling: the farmer, or a dispatcher taking a listing down. Purchases already made
    stand. Closing twice is harmless."""
    signed_in = require_role(viewer, Role.FARMER, Role.DISPATCHER, Role.ADMIN)
    async with in_transaction():
        listing = await ProduceListing.get_or_none(id=listing_id)
        if listing is None:
            raise not_found("listing", "listingId")
        if listing.farmer_id != signed_in.id and not signed_in.is_dispatcher:
            raise not_allowed("you can only close your own listings")
        await ProduceListing.filter(id=listing_id).update(status=ListingStatus.CLOSED)
        listing.status = ListingStatus.CLOSED
        await _listing_changed(listing, "closed")
    return listing


# SQLite's trigram index of the searched columns (migration 0008_sqlite_listing_search): the
# listings that contain every term of three or more characters, each in any of the columns.
FTS_SQL = "SELECT rowid FROM produce_listing_fts WHERE produce_listing_fts MATCH $1"
FTS_MIN_TERM = 3  # the trigram tokenizer indexes nothing shorter


async def _fts_candidates(terms: list[str]) -> list[int] | None:
    """The ids of listings whose text has every indexable term (each as a quoted phrase, so no
    term is read as FTS5 syntax); None when no term is long enough to use the index."""
    indexable = [term for term in terms if len(term) >= FTS_MIN_TERM]
    if not indexable:
        return None
    phrase = " AND ".join('"' + term.replace('"', '""') + '"' for term in indexable)
    return [int(row["rowid"]) for row in await sql.fetch(FTS_SQL, phrase)]


async def produce_listings(
    *, criteria: ListingFilter, page_args: PageArgs, max_size: int
) -> Page[ProduceListing]:
    """The marketplace. Text search matches every term anywhere in the title, variety,
    description or category: a substring match (icontains), which works for Chinese text on
    SQLite and PostgreSQL alike, where word-based full-text search would not. The text is
    bounded (services/search.py), and each term of three or more characters is found through a
    trigram index: pg_trgm on PostgreSQL (migration 0006), FTS5 on SQLite (migration 0008),
    whose candidates the substring match then checks."""
    terms = search_terms(criteria.text, ["filter", "text"])
    category = exact_filter(criteria.category, 32, ["filter", "category"])
    township = exact_filter(criteria.township, 50, ["filter", "township"])
    query = ProduceListing.all()
    if not criteria.include_closed:
        query = query.filter(
            status=ListingStatus.OPEN, ready_until__gte=clock.today(), sold__lt=F("quantity")
        )
    if category:
        query = query.filter(category=category)
    if township:
        query = query.filter(station__township=township)
    if criteria.station_id is not None:
        query = query.filter(station_id=criteria.station_id)
    if criteria.farmer_id is not None:
        query = query.filter(farmer_id=criteria.farmer_id)
    if criteria.ready_on is not None:
        query = query.filter(ready_from__lte=criteria.ready_on, ready_until__gte=criteria.ready_on)
    if not sql.is_postgres():
        candidates = await _fts_candidates(terms)
        if candidates is not None:
            query = query.filter(id__in=candidates)
    for term in terms:
        query = query.filter(
            Q(title__icontains=term)
            | Q(variety__icontains=term)
            | Q(description__icontains=term)
            | Q(category__icontains=term)
        )
    return await page(query, window=page_args, max_size=max_size)
