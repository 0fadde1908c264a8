"""DataLoaders, made fresh for every operation: every relation loads in one query per batch, so
the number of statements depends on a query's shape, not on how many rows it returns."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any, TypeVar

from strawberry.dataloader import DataLoader
from tortoise.models import Model

M = TypeVar("M", bound=Model)


class Loaders:
    """One loader per (model, key) pair, created on first use within an operation."""

    def __init__(self) -> None:
        self._loaders: dict[tuple[Any, ...], DataLoader[Any, Any]] = {}

    def by_id(self, model: type[M]) -> DataLoader[int, M | None]:
        """`model` rows by primary key (None where missing)."""
        key = ("id", model)
        if key not in self._loaders:

            async def load(ids: Sequence[int]) -> list[M | None]:
                rows = {row.pk: row for row in await model.filter(id__in=list(ids))}
                return [rows.get(i) for i in ids]

            self._loaders[key] = DataLoader(load_fn=load)
        return self._loaders[key]

    def children(
        self, model: type[M], parent: str, order_by: str = "id"
    ) -> DataLoader[int, list[M]]:
        """`model` rows grouped by the foreign key column `parent` (e.g. TripStop by trip_id)."""
        key = ("children", model, parent, order_by)
        if key not in self._loaders:

            async def load(parent_ids: Sequence[int]) -> list[list[M]]:
                grouped: dict[int, list[M]] = defaultdict(list)
                rows = await model.filter(**{f"{parent}__in": list(parent_ids)}).order_by(order_by)
                for row in rows:
                    grouped[getattr(row, parent)].append(row)
                return [grouped.get(i, []) for i in parent_ids]

            self._loaders[key] = DataLoader(load_fn=load)
        return self._loaders[key]

    def custom(self, name: str, load_fn: Any) -> DataLoader[Any, Any]:
        """A loader with its own batch function (aggregates and the like), cached by name."""
        key = ("custom", name)
        if key not in self._loaders:
            self._loaders[key] = DataLoader(load_fn=load_fn)
        return self._loaders[key]
