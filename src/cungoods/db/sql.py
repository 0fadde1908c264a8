"""Plain SQL for the hot paths (placeOrder above all), on PostgreSQL and SQLite alike.

The ORM spends more Python on building a statement and a model than the database spends running
it; a use case that runs a dozen statements per request pays that a dozen times. These helpers
send hand-written SQL through the current connection (the transaction's, inside
`in_transaction()`), so they take part in the caller's transaction like any ORM call, and turn
rows into models the way a query does.

SQL is written with PostgreSQL's `$n` placeholders; for SQLite they become `?` (one per use, in
order). Values are passed as the database drivers take them: ints, strings, dates and aware UTC
datetimes (what the ORM writes too), enums as their values.
"""

from __future__ import annotations

import enum
import functools
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, TypeVar

from tortoise import connections, timezone
from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.models import Model

M = TypeVar("M", bound=Model)
_PLACEHOLDER = re.compile(r"\$(\d+)")


def connection() -> BaseDBAsyncClient:
    """The current connection: the transaction's inside `in_transaction()`."""
    client: BaseDBAsyncClient = connections.get("default")
    return client


def is_postgres(client: BaseDBAsyncClient | None = None) -> bool:
    return (client or connection()).capabilities.dialect == "postgres"


def now() -> Any:
    """What an `auto_now_add` field would get (aware, in the ORM's time zone)."""
    return timezone.localtime()


@functools.lru_cache(maxsize=256)
def _for_sqlite(sql: str) -> tuple[str, tuple[int, ...]]:
    order = tuple(int(n) - 1 for n in _PLACEHOLDER.findall(sql))
    return _PLACEHOLDER.sub("?", sql), order


def dialect(sql: str, args: Sequence[Any], postgres: bool) -> tuple[str, list[Any]]:
    """PostgreSQL takes `$n` as written; SQLite wants one `?` per use, in order of appearance."""
    values = [arg.value if isinstance(arg, enum.Enum) else arg for arg in args]
    if postgres:
        return sql, values
    text, order = _for_sqlite(sql)
    return text, [values[n] for n in order]


async def fetch(sql: str, *args: Any) -> list[dict[str, Any]]:
    """The rows of a query (or of `... RETURNING`), as dicts."""
    client = connection()
    return await client.execute_query_dict(*dialect(sql, args, is_postgres(client)))


async def fetch_models(model: type[M], sql: str, *args: Any) -> list[M]:
    """The rows of a SELECT of whole rows of `model`'s table (`SELECT * ...`), as models."""
    client = connection()
    # The driver's own rows (asyncpg's Record, sqlite3.Row: both read by column name), not
    # dicts made of them first: `as_models` reads each column once anyway.
    _, rows = await client.execute_query(*dialect(sql, args, is_postgres(client)))
    return as_models(model, rows)


def as_models(model: type[M], rows: Iterable[Mapping[str, Any]]) -> list[M]:
    """Rows (by column name) as models, exactly as the ORM's `_init_from_db` makes them (a test
    compares the two for every model): the same conversions, in one tight loop per batch.

    `_init_from_db` takes each row as keyword arguments (a dict per row, made from the driver's
    row, unpacked again) and sets its four bookkeeping attributes through Model.__setattr__,
    which checks relations on every call; a batch of 500 stops, legs and stations spent more
    on that than on its query. The conversion lists are the model's own (they depend on the
    database the ORM was started on), read once per batch.
    """
    meta = model._meta
    native = [(key, attribute) for key, attribute, _ in meta.db_native_fields]
    default = [
        (key, attribute, field.field_type) for key, attribute, field in meta.db_default_fields
    ]
    converted = [
        (key, attribute, field.to_python_value) for key, attribute, field in meta.db_complex_fields
    ]
    custom_pk = meta.db_pk_column not in meta.generated_db_fields
    new = model.__new__
    built: list[M] = []
    for row in rows:
        instance = new(model)
        values = instance.__dict__
        values["_partial"] = False
        values["_saved_in_db"] = True
        values["_custom_generated_pk"] = custom_pk
        values["_await_when_save"] = {}
        for key, attribute in native:
            values[attribute] = row[key]
        for key, attribute, kind in default:
            value = row[key]
            values[attribute] = None if value is None else kind(value)
        for key, attribute, convert in converted:
            values[attribute] = convert(row[key])
        built.append(instance)
    return built


async def execute(sql: str, *args: Any) -> int:
    """Run an UPDATE/DELETE/INSERT; returns how many rows it changed."""
    client = connection()
    changed, _ = await client.execute_query(*dialect(sql, args, is_postgres(client)))
    return int(changed)


def placeholders(start: int, count: int) -> str:
    """`$start, $start+1, ...`: `count` of them, for an IN list or a VALUES row."""
    return ", ".join(f"${n}" for n in range(start, start + count))


@functools.lru_cache(maxsize=128)
def _insert_sql(table: str, columns: tuple[str, ...], rows: int, returning: bool) -> str:
    width = len(columns)
    values = ", ".join(f"({placeholders(1 + row * width, width)})" for row in range(rows))
    sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES {values}"
    return sql + " RETURNING *" if returning else sql


async def insert(model: type[M], **values: Any) -> M:
    """INSERT one row (columns by their database names) and return it as the model, exactly as
    a query would have read it back; the caller gives every column that has no database default
    (including `auto_now_add` ones: see `now()`)."""
    table = model._meta.db_table
    columns = tuple(values)
    rows = await fetch(_insert_sql(table, columns, 1, True), *values.values())
    [built] = as_models(model, rows)
    return built


async def insert_many(
    model: type[Model], columns: Sequence[str], rows: Iterable[Sequence[Any]]
) -> None:
    """INSERT several rows in one statement (nothing returned)."""
    batch = [tuple(row) for row in rows]
    if not batch:
        return
    args = [value for row in batch for value in row]
    await execute(_insert_sql(model._meta.db_table, tuple(columns), len(batch), False), *args)
