"""DataLoaders, made fresh for every operation: every relation loads in one query per batch, so
the number of statements depends on a query's shape, not on how many rows it returns. The batch
reads themselves are services/reads.py's."""

from __future__ import annotations

from functools import partial
from typing import Any, TypeVar

from strawberry.dataloader import DataLoader
from tortoise.models import Model

from cungoods.services import reads

M = TypeVar("M", bound=Model)


class Loaders:
    """One loader per (model, key) pair, created on first use within an operation."""

    def __init__(self) -> None:
        self._loaders: dict[tuple[Any, ...], DataLoader[Any, Any]] = {}

    def by_id(self, model: type[M]) -> DataLoader[int, M | None]:
        """`model` rows by primary key (None where missing)."""
        key = ("id", model)
        if key not in self._loaders:
            self._loaders[key] = DataLoader(load_fn=partial(reads.rows_by_id, model))
        return self._loaders[key]

    def children(
        self, model: type[M], parent: str, order_by: str = "id"
    ) -> DataLoader[int, list[M]]:
        """`model` rows grouped by the foreign key column `parent` (e.g. TripStop by trip_id)."""
        key = ("children", model, parent, order_by)
        if key not in self._loaders:
            load = partial(reads.rows_by_parent, model, parent, order_by=order_by)
            self._loaders[key] = DataLoader(load_fn=load)
        return self._loaders[key]

    def custom(self, name: str, load_fn: Any) -> DataLoader[Any, Any]:
        """A loader with its own batch function (aggregates and the like), cached by name."""
        key = ("custom", name)
        if key not in self._loaders:
            self._loaders[key] = DataLoader(load_fn=load_fn)
        return self._loaders[key]
