"""Shared value types."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Annotated, Any, Generic, NewType, TypeVar

import strawberry
from strawberry.exceptions import StrawberryInputCoercionError
from strawberry.schema.types.base_scalars import DateDefinition, DateTimeDefinition, wrap_parser
from strawberry.types.scalar import ScalarDefinition

from cungoods.api.descriptions import graphql_enum
from cungoods.api.ids import from_cursor, to_cursor
from cungoods.models.enums import Temperature as DomainTemperature
from cungoods.services import clock
from cungoods.services.capacity import Load as DomainLoad
from cungoods.services.pagination import Page, PageArgs


def _show_local(value: dt.datetime) -> str:
    # Stored in UTC, shown in the service time zone (DESIGN.md): a 06:00 departure in Qujiang
    # reads 06:00+08:00, not 22:00+00:00 the day before.
    aware = value if value.tzinfo is not None else value.replace(tzinfo=dt.UTC)
    return aware.astimezone(clock.tz()).isoformat()


# The dates and times the server takes in: wide enough for any real schedule or report, and far
# enough from Python's year 1 and year 9999 that date arithmetic (the day before a cutoff, 14 days
# of outlook, a time zone shift) can never overflow.
FIRST_YEAR, LAST_YEAR = 1900, 2199
# `@specifiedBy` of Date (full-date) and DateTime (date-time): both are in this section.
RFC3339 = "https://datatracker.ietf.org/doc/html/rfc3339#section-5.6"
_ISO_DATE = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})", re.ASCII)


def _in_range(year: int, what: str) -> None:
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise ValueError(f"{what} must be between the years {FIRST_YEAR} and {LAST_YEAR}")


def _read_date(value: str) -> dt.date:
    """Only `YYYY-MM-DD` (RFC 3339 full-date) with ASCII digits: Python's fromisoformat would
    also take `20261204` and other spellings."""
    if not _ISO_DATE.fullmatch(value):
        raise ValueError("a Date is YYYY-MM-DD, e.g. 2026-12-04")
    parsed = dt.date.fromisoformat(value)
    _in_range(parsed.year, "a Date")
    return parsed


Date: ScalarDefinition = dataclasses.replace(
    DateDefinition,
    description="A calendar date, YYYY-MM-DD (RFC 3339 full-date), in the service time zone.",
    specified_by_url=RFC3339,
    parse_value=wrap_parser(_read_date, "Date"),
)


def _read_local(value: object) -> dt.datetime:
    parsed = DateTimeDefinition.parse_value(value)  # type: ignore[misc]
    assert isinstance(parsed, dt.datetime)
    if not FIRST_YEAR <= parsed.year <= LAST_YEAR:
        raise StrawberryInputCoercionError(
            f"a DateTime must be between the years {FIRST_YEAR} and {LAST_YEAR}"
        )
    # A time without an offset is a local time of the service, as people there read it.
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=clock.tz())


DateTime: ScalarDefinition = dataclasses.replace(
    DateTimeDefinition,
    description="Date and time, ISO 8601 with offset, shown in the service time zone; "
    "a value without an offset is read as service-local time.",
    # What it sends is an RFC 3339 date-time; what it takes is that, or the same without an
    # offset (service-local time).
    specified_by_url=RFC3339,
    serialize=_show_local,
    parse_value=_read_local,
)


# Money totals, balances and statements can pass 2^31 fen (21 million yuan), GraphQL's Int. They
# go out as a JSON number, which every client reads exactly up to 2^53 - 1.
MAX_SAFE_INTEGER = 2**53 - 1


def _read_long(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError("a Long is a JSON integer")
    if not -MAX_SAFE_INTEGER <= value <= MAX_SAFE_INTEGER:
        raise ValueError(f"a Long is within ±{MAX_SAFE_INTEGER}")
    return value


# For mypy a Long is an int under its own name (annotations, `Long(x)`); at run time the scalar.
if TYPE_CHECKING:
    Long = NewType("Long", int)
else:
    Long = strawberry.scalar(
        NewType("Long", int),
        name="Long",
        description="A 64-bit integer for amounts that can pass 2^31 (money totals and balances in "
        "fen): a JSON integer, exact within ±(2^53 - 1).",
        serialize=int,
        parse_value=_read_long,
    )


# One definition for every area that carries goods (catalog products, produce listings).
# The domain enum itself is the GraphQL enum (api/descriptions.graphql_enum).
Temperature = DomainTemperature
graphql_enum(
    Temperature,
    name="Temperature",
    description="How goods must be kept on the bus.",
    values={
        Temperature.AMBIENT: "Room temperature.",
        Temperature.CHILLED: "Kept cool: rides in the chilled compartment.",
        Temperature.FROZEN: "Kept frozen: rides in the chilled compartment.",
    },
)


@strawberry.type(
    description="A load: weight in grams, volume in cm³, and chilled weight in grams. A value "
    "type: it has no id, so a client cache keeps it inside the object that holds it, and a "
    "newer answer replaces it whole (ask for the same fields of it everywhere)."
)
class Load:
    weight_g: int = strawberry.field(description="Weight in grams.")
    volume_cm3: int = strawberry.field(description="Volume in cm³.")
    chilled_g: int = strawberry.field(description="Weight in grams needing chilled space.")

    @classmethod
    def of(cls, load: DomainLoad) -> Load:
        return cls(weight_g=load.weight_g, volume_cm3=load.volume_cm3, chilled_g=load.chilled_g)


@strawberry.type(
    description="Where a page of a connection sits in the whole list (Relay cursor connections). "
    "A value type: it has no id, so a client cache keeps it as part of its connection."
)
class PageInfo:
    has_next_page: bool = strawberry.field(
        description="Whether items follow this page: pass `endCursor` as `after` to read them."
    )
    has_previous_page: bool = strawberry.field(
        description="Whether items come before this page: pass `startCursor` as `before` (with "
        "`last`) to read them."
    )
    start_cursor: str | None = strawberry.field(
        description="The cursor of the page's first item (null for an empty page)."
    )
    end_cursor: str | None = strawberry.field(
        description="The cursor of the page's last item (null for an empty page)."
    )


T = TypeVar("T")
M = TypeVar("M")


@strawberry.type(description="An item of a connection and its cursor.")
class Edge(Generic[T]):
    node: T = strawberry.field(description="The item.")
    cursor: str = strawberry.field(
        description="Its cursor: pass it as `after` (or `before`) to read from here on (or up "
        "to here)."
    )


@strawberry.type(description="A page of a list that can grow (Relay connection).")
class Connection(Generic[T]):
    edges: list[Edge[T]] = strawberry.field(description="The items with their cursors.")
    nodes: list[T] = strawberry.field(description="The items.")
    page_info: PageInfo = strawberry.field(description="Where this page starts and ends.")
    total_count: int = strawberry.field(description="How many items there are in all.")


# The Relay connection arguments every connection field takes. Its page size without `first` or
# `last` is the field's own (connection_field), which the cost estimate reads as well.
FirstArg = Annotated[
    int | None,
    strawberry.argument(
        description="How many items to return from the start of the list, or after `after` "
        "(0 to CUNGOODS_MAX_PAGE_SIZE, 100). Not together with `last`; without either, the "
        "field's own page size."
    ),
]
AfterArg = Annotated[
    str | None,
    strawberry.argument(
        description="Return items after this cursor (the `endCursor` of the previous page)."
    ),
]
LastArg = Annotated[
    int | None,
    strawberry.argument(
        description="How many items to return from the end of the list, or before `before` "
        "(0 to CUNGOODS_MAX_PAGE_SIZE, 100). Not together with `first`."
    ),
]
BeforeArg = Annotated[
    str | None,
    strawberry.argument(
        description="Return items before this cursor (the `startCursor` of the next page)."
    ),
]
PAGE_SIZE_KEY = "cungoods_page_size"  # the field metadata key of a connection's default page size
DEFAULT_PAGE_SIZE = 20  # a connection's page without `first` or `last`, unless it says otherwise


def connection_field(*, description: str, page_size: int) -> Any:
    """A connection field: its description says its default page size, and its metadata holds
    it for the cost estimate (api/extensions/cost.py)."""
    return strawberry.field(
        description=f"{description} Pages of {page_size} unless `first` or `last` asks for "
        "another size.",
        metadata={PAGE_SIZE_KEY: page_size},
    )


def page_args(
    *, first: int | None, after: str | None, last: int | None, before: str | None, page_size: int
) -> PageArgs:
    """The slice a connection's arguments ask for (cursors decoded; bad ones INVALID_INPUT)."""
    return PageArgs(
        first=first,
        after_id=from_cursor(after, "after"),
        last=last,
        before_id=from_cursor(before, "before"),
        default=page_size,
    )


def connection_of(page: Page[Any], convert: Callable[[Any], T]) -> Connection[T]:
    nodes = [convert(item) for item in page.items]
    edges = [
        Edge(node=node, cursor=to_cursor(item.pk))
        for node, item in zip(nodes, page.items, strict=True)
    ]
    return Connection(
        edges=edges,
        nodes=nodes,
        page_info=PageInfo(
            has_next_page=page.has_next,
            has_previous_page=page.has_previous,
            start_cursor=edges[0].cursor if edges else None,
            end_cursor=edges[-1].cursor if edges else None,
        ),
        total_count=page.total,
    )
