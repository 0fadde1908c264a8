"""Stock: one way to take and give back units, for sale items and produce listings alike.

Taking is a conditional decrement per row (`sold` grows only while it stays within the total and
the row is on sale), in ascending id order so concurrent takers never deadlock. Every shortfall
is collected and reported at once (OUT_OF_STOCK with the units `remaining`); what was taken
before a shortfall is given back first, so a refusal leaves every row as it was even if the
caller carries on. Giving back is the conditional increment's mirror: `sold` never drops below 0.
Writing off (a shortage, units lost on the way) lowers `sold` and the total together.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from cungoods.db import sql
from cungoods.models import OrderLine
from cungoods.services.errors import DomainError, DomainErrors, ErrorCode


@dataclass(frozen=True)
class Shelf:
    """A table of stock rows: `sold` counts up to the `total` column while `on_sale` holds;
    `closed` is the error for a row no longer on sale."""

    table: str
    total: str
    on_sale: str = "1 = 1"
    closed: str = "it is no longer on sale"
    closed_field: tuple[str, ...] = ()

    @property
    def take_sql(self) -> str:
        return (
            f"UPDATE {self.table} SET sold = sold + $1 "
            f"WHERE id = $2 AND sold <= {self.total} - $1 AND {self.on_sale}"
        )

    @property
    def give_back_sql(self) -> str:
        return f"UPDATE {self.table} SET sold = sold - $1 WHERE id = $2 AND sold >= $1"

    @property
    def write_off_sql(self) -> str:
        return (
            f"UPDATE {self.table} SET sold = sold - $1, {self.total} = {self.total} - $1 "
            f"WHERE id = $2 AND sold >= $1 AND {self.total} >= $1"
        )

    def left_sql(self, count: int) -> str:
        return (
            f"SELECT id, {self.total} - sold AS remaining, "
            f"CASE WHEN {self.on_sale} THEN 1 ELSE 0 END AS on_sale "
            f"FROM {self.table} WHERE id IN ({sql.placeholders(1, count)})"
        )


SALE_ITEMS = Shelf("sale_item", "stock")
LISTINGS = Shelf(
    "produce_listing",
    "quantity",
    on_sale="status = 'OPEN'",
    closed="the listing is closed",
    closed_field=("listingId",),
)


@dataclass(frozen=True)
class Want:
    """`quantity` units of the stock row `id`. A shortfall points at `field` and is worded with
    `name` (e.g. the product: "泥鳅 is sold out") and `unit`."""

    id: int
    quantity: int
    field: tuple[str, ...] = ()
    name: str = ""
    unit: str = ""


async def take(shelf: Shelf, wants: Sequence[Want]) -> None:
    """Take every want inside the caller's transaction, or none: raises one DomainError per
    shortfall (several at once as DomainErrors), in the order of `wants`."""
    taken: list[Want] = []
    short: list[int] = []  # indexes into wants
    for index, want in sorted(enumerate(wants), key=lambda pair: pair[1].id):
        if await sql.execute(shelf.take_sql, want.quantity, want.id) == 1:
            taken.append(want)
        else:
            short.append(index)
    if not short:
        return
    await give_back(shelf, ((want.id, want.quantity) for want in taken))
    rows = await sql.fetch(shelf.left_sql(len(short)), *(wants[i].id for i in short))
    left = {int(row["id"]): row for row in rows}
    problems = [_shortfall(shelf, wants[i], left.get(wants[i].id)) for i in sorted(short)]
    raise problems[0] if len(problems) == 1 else DomainErrors(problems)


async def give_back(shelf: Shelf, wants: Iterable[tuple[int, int]]) -> None:
    """Give (id, quantity) units back to their rows, in ascending id order."""
    for row_id, quantity in sorted(wants):
        await sql.execute(shelf.give_back_sql, quantity, row_id)


async def give_back_order(order_id: int) -> None:
    """Give an order's sale-item stock back (a cancelled order)."""
    lines = await OrderLine.filter(order_id=order_id).values_list("sale_item_id", "quantity")
    await give_back(SALE_ITEMS, ((int(item), int(quantity)) for item, quantity in lines))


async def write_off(shelf: Shelf, wants: Iterable[tuple[int, int]]) -> None:
    """(id, quantity) units sold that do not exist after all (short at the hub, missing or
    damaged on arrival): they leave both the sold count and the total, so what is left to sell
    stays as it was. In ascending id order, as taking is."""
    for row_id, quantity in sorted(wants):
        if await sql.execute(shelf.write_off_sql, quantity, row_id) != 1:
            raise DomainError(ErrorCode.INVALID_STATE, "fewer units were sold than are written off")


def _shortfall(shelf: Shelf, want: Want, row: dict[str, Any] | None) -> DomainError:
    if row is not None and not row["on_sale"]:
        return DomainError(ErrorCode.INVALID_STATE, shelf.closed, shelf.closed_field)
    remaining = max(0, int(row["remaining"])) if row is not None else 0
    if remaining:
        message = f"only {remaining} {want.unit} left"
        message = f"{want.name}: {message}" if want.name else message
    else:
        message = f"{want.name} is sold out" if want.name else "sold out"
    return DomainError(ErrorCode.OUT_OF_STOCK, message, want.field, remaining=remaining)
