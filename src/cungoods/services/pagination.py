"""Keyset pagination over id order: stable under inserts, one query for the page and one for
the total."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Generic, TypeVar

from tortoise.models import Model
from tortoise.queryset import QuerySet

from cungoods.services.errors import invalid

M = TypeVar("M", bound=Model)


@dataclass(frozen=True)
class Page(Generic[M]):
    items: list[M]
    has_next: bool
    total: int


async def page(
    query: QuerySet[M], *, first: int, after_id: int | None, max_size: int, with_total: bool = True
) -> Page[M]:
    if first < 0:
        raise invalid("first must not be negative", "first")
    if first > max_size:
        raise invalid(f"first is at most {max_size}", "first")
    total = await query.count() if with_total else -1
    window = query.filter(id__gt=after_id) if after_id is not None else query
    rows = await window.order_by("id").limit(first + 1)
    return Page(items=rows[:first], has_next=len(rows) > first, total=total)
