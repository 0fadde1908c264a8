"""Rows by key, a batch at a time: what the API's DataLoaders read, one query per batch, so the
number of statements a request costs depends on its shape, not on how many rows it returns."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import TypeVar

from tortoise.models import Model

M = TypeVar("M", bound=Model)


async def rows_by_id(model: type[M], ids: Sequence[int]) -> list[M | None]:
    """`model` rows by primary key, in the order of `ids` (None where one is missing)."""
    rows = {row.pk: row for row in await model.filter(id__in=list(ids))}
    return [rows.get(i) for i in ids]


async def rows_by_parent(
    model: type[M], parent: str, parent_ids: Sequence[int], *, order_by: str = "id"
) -> list[list[M]]:
    """`model` rows grouped by the foreign key column `parent` (e.g. TripStop by `trip_id`), one
    list per id of `parent_ids` in that order, each sorted by `order_by`."""
    grouped: dict[int, list[M]] = defaultdict(list)
    for row in await model.filter(**{f"{parent}__in": list(parent_ids)}).order_by(order_by):
        grouped[getattr(row, parent)].append(row)
    return [grouped.get(i, []) for i in parent_ids]
