"""The hot reads build models from rows themselves (db/sql.as_models): every model of every
table a county day fills comes out exactly as the ORM's own query makes it, value for value and
type for type (datetimes in the same zone, enums as enums, JSON as lists), on both databases."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.progress import Progress
from tortoise import Tortoise

from cungoods.db import sql
from cungoods.devtools.simulate import Plan, simulate

# The models a simulated day must have filled for the comparison to mean something.
EXPECTED = {
    "User",
    "Station",
    "Trip",
    "TripStop",
    "Leg",
    "Order",
    "OrderLine",
    "SaleWindow",
    "SaleItem",
    "ProducePurchase",
    "Event",
    "LedgerEntry",
}


def _state(instance: Any) -> dict[str, Any]:
    """Every attribute a built model holds, with each value's type beside it."""
    return {name: (type(value), value) for name, value in vars(instance).items()}


async def test_models_built_from_rows_are_the_orms_own() -> None:
    # Given a county day: orders, produce, trips run, money moved
    plan = Plan(
        days=1,
        orders_per_day=20,
        purchases_per_day=4,
        listings_per_day=2,
        villagers_per_station=1,
        concurrency=4,
    )
    with Progress(console=Console(width=120), disable=True) as progress:
        outcome = await simulate(plan, progress)
    assert outcome.ok

    compared: set[str] = set()
    for model in Tortoise.apps["models"].values():
        pk = model._meta.db_pk_column
        # When a table's rows are read as the hot reads read them, and through the ORM
        built = await sql.fetch_models(
            model, f'SELECT * FROM "{model._meta.db_table}" ORDER BY "{pk}" LIMIT 200'
        )
        if not built:
            continue
        keys = [row.pk for row in built]
        by_orm = {row.pk: row for row in await model.filter(pk__in=keys)}

        # Then they are the same models, attribute for attribute
        assert [type(row) for row in built] == [model] * len(built)
        for row in built:
            assert _state(row) == _state(by_orm[row.pk]), model.__name__
        compared.add(model.__name__)

    assert compared >= EXPECTED, EXPECTED - compared
