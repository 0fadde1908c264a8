"""Rows by key, a batch at a time: what the API's DataLoaders read, one query per batch, so the
number of statements a request costs depends on its shape, not on how many rows it returns.

These are the hottest reads of the server (every relation of every request goes through them),
so they skip the ORM's query builder: one hand-written statement per (table, key column), sent
through db/sql.py, whose rows become models the way a query makes them (`sql.as_models`).
Building a Tortoise query costs more Python than the database spends on such a lookup.
"""

from __future__ import annotations

import asyncio
import functools
from collections import defaultdict
from collections.abc import Awaitable, Sequence
from typing import Any, TypeVar, overload

from tortoise.models import Model

from cungoods.db import sql
from cungoods.models import OrderLine, Product, SaleItem, Station, TripStop

M = TypeVar("M", bound=Model)
N = TypeVar("N", bound=Model)
A = TypeVar("A")
B = TypeVar("B")
C = TypeVar("C")


def _match_keys(postgres: bool, count: int) -> str:
    """The condition on a key column for `count` keys. PostgreSQL takes the keys as one array
    (one statement text, prepared once); SQLite has no arrays, so one placeholder per key."""
    return "= ANY($1)" if postgres else f"IN ({sql.placeholders(1, count)})"


def _key_args(postgres: bool, keys: list[int]) -> tuple[Any, ...]:
    """The keys as the statement of `_match_keys` takes them."""
    return (keys,) if postgres else tuple(keys)


@functools.lru_cache(maxsize=256)
def _select(table: str, column: str, order_by: str, postgres: bool, count: int) -> str:
    match = _match_keys(postgres, count)
    return f'SELECT * FROM "{table}" WHERE "{column}" {match} ORDER BY "{order_by}", "id"'


async def _rows(model: type[M], field: str, keys: Sequence[int], order_by: str) -> list[M]:
    meta = model._meta
    column = meta.fields_db_projection[field]
    ordered = meta.fields_db_projection[order_by]
    unique = list(dict.fromkeys(keys))
    if not unique:
        return []
    postgres = sql.is_postgres()
    text = _select(meta.db_table, column, ordered, postgres, 1 if postgres else len(unique))
    return await sql.fetch_models(model, text, *_key_args(postgres, unique))


async def rows_by_id(model: type[M], ids: Sequence[int]) -> list[M | None]:
    """`model` rows by primary key, in the order of `ids` (None where one is missing)."""
    rows = {row.pk: row for row in await _rows(model, model._meta.pk_attr, ids, "id")}
    return [rows.get(i) for i in ids]


async def rows_by_parent(
    model: type[M], parent: str, parent_ids: Sequence[int], *, order_by: str = "id"
) -> list[list[M]]:
    """`model` rows grouped by the foreign key column `parent` (e.g. TripStop by `trip_id`), one
    list per id of `parent_ids` in that order, each sorted by `order_by`."""
    grouped: dict[int, list[M]] = defaultdict(list)
    for row in await _rows(model, parent, parent_ids, order_by):
        grouped[getattr(row, parent)].append(row)
    return [grouped.get(i, []) for i in parent_ids]


def prefixed(model: type[Model], prefix: str, alias: str) -> str:
    """The columns of `model` (as `alias`) for a joined row, each named with `prefix` (read back
    by `joined`)."""
    columns = model._meta.fields_db_projection.values()
    return ", ".join(f'{alias}."{c}" AS "{prefix}{c}"' for c in columns)


def joined(model: type[M], prefix: str, rows: Sequence[dict[str, Any]]) -> list[M | None]:
    """Each joined row's `model` (its columns named with `prefix`, all null where the join found
    none), each one built once, from its own columns."""
    columns = tuple(model._meta.fields_db_projection.values())
    own: dict[Any, dict[str, Any]] = {}
    for row in rows:
        key = row[prefix + "id"]
        if key is not None and key not in own:
            own[key] = {column: row[prefix + column] for column in columns}
    built = dict(zip(own, sql.as_models(model, own.values()), strict=True))
    return [built.get(row[prefix + "id"]) for row in rows]


@functools.lru_cache(maxsize=64)
def _joined_sql(
    model: type[Model],
    column: str,
    other: type[Model],
    prefix: str,
    joins: str,
    order_by: str,
    postgres: bool,
    count: int,
) -> str:
    """`model` rows (as m) by the key `column`, with `other` (as j, through `joins`)."""
    own = ", ".join(f'm."{c}"' for c in model._meta.fields_db_projection.values())
    match = _match_keys(postgres, count)
    return (
        f'SELECT {own}, {prefixed(other, prefix, "j")} FROM "{model._meta.db_table}" m {joins} '
        f'WHERE m."{column}" {match} ORDER BY {order_by}'
    )


async def _grouped_with_joined(
    model: type[M],
    parent: str,
    parent_ids: Sequence[int],
    *,
    other: type[N],
    prefix: str,
    joins: str,
    order_by: str,
) -> list[list[tuple[M, N | None]]]:
    """`model` rows with the `other` row `joins` finds for each (None where it finds none),
    grouped by the foreign key column `parent`, one list per id of `parent_ids`, each list in
    `order_by`: one statement."""
    unique = list(dict.fromkeys(parent_ids))
    if not unique:
        return [[] for _ in parent_ids]
    postgres = sql.is_postgres()
    column = model._meta.fields_db_projection[parent]
    count = 1 if postgres else len(unique)
    text = _joined_sql(model, column, other, prefix, joins, order_by, postgres, count)
    rows = await sql.fetch(text, *_key_args(postgres, unique))
    grouped: dict[int, list[tuple[M, N | None]]] = defaultdict(list)
    for pair in zip(sql.as_models(model, rows), joined(other, prefix, rows), strict=True):
        grouped[getattr(pair[0], parent)].append(pair)
    return [grouped.get(i, []) for i in parent_ids]


async def lines_with_products(
    order_ids: Sequence[int],
) -> list[list[tuple[OrderLine, Product]]]:
    """Each order's lines (by id) with the product its sale item sells, one list per id of
    `order_ids`: one statement, where reading lines, sale items and products one level after
    the other took three round trips for every order shown."""
    grouped = await _grouped_with_joined(
        OrderLine,
        "order_id",
        order_ids,
        other=Product,
        prefix="product__",
        joins=f'JOIN "{SaleItem._meta.db_table}" s ON s."id" = m."sale_item_id" '
        f'JOIN "{Product._meta.db_table}" j ON j."id" = s."product_id"',
        order_by='m."id"',
    )
    # An inner join: every line has its product.
    return [
        [(line, product) for line, product in lines if product is not None] for lines in grouped
    ]


async def stops_with_stations(
    trip_ids: Sequence[int],
) -> list[list[tuple[TripStop, Station | None]]]:
    """Each trip's stops in order with their stations (None at the hub), one list per id of
    `trip_ids`: one statement, where the stations were a second round trip after the stops."""
    return await _grouped_with_joined(
        TripStop,
        "trip_id",
        trip_ids,
        other=Station,
        prefix="station__",
        joins=f'LEFT JOIN "{Station._meta.db_table}" j ON j."id" = m."station_id"',
        order_by='m."seq", m."id"',
    )


@overload
async def together(first: Awaitable[A], second: Awaitable[B], /) -> tuple[A, B]: ...
@overload
async def together(
    first: Awaitable[A], second: Awaitable[B], third: Awaitable[C], /
) -> tuple[A, B, C]: ...
async def together(*reads: Awaitable[Any]) -> tuple[Any, ...]:
    """Independent reads side by side (each on its own pooled connection, or one after another
    on a transaction's), so a request waits for the slowest instead of their sum. If one fails
    the others are cancelled and waited for, and its error is raised as it is (the outage and
    domain errors the callers know, not an ExceptionGroup)."""
    tasks = [asyncio.ensure_future(read) for read in reads]
    try:
        return tuple(await asyncio.gather(*tasks))
    except BaseException:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        raise
