"""Keyset pagination over id order (Relay connections: `first`/`after` forward, `last`/`before`
backward): stable under inserts, one query for the page, one for the total and, when the page
starts or ends at a cursor, one to tell whether anything lies beyond it."""

from __future__ import annotations

from collections.abc import Awaitable
from dataclasses import dataclass
from typing import Generic, TypeVar

from tortoise.models import Model
from tortoise.queryset import QuerySet

from cungoods.services import reads
from cungoods.services.errors import invalid

M = TypeVar("M", bound=Model)


@dataclass(frozen=True)
class PageArgs:
    """The slice of a list a client asks for: `first` items after the item `after_id`, or the
    `last` items before the item `before_id` (each bound optional); neither size: `default`."""

    first: int | None = None
    after_id: int | None = None
    last: int | None = None
    before_id: int | None = None
    default: int = 20

    def size(self, max_size: int) -> tuple[int, bool]:
        """(how many items, whether counted back from the end); INVALID_INPUT for a size that
        is negative or over `max_size`, and for `first` and `last` together."""
        if self.first is not None and self.last is not None:
            raise invalid("pass first or last, not both", "last")
        backward = self.last is not None
        name = "last" if backward else "first"
        size = self.last if self.last is not None else self.first
        if size is None:
            return min(self.default, max_size), False
        if size < 0:
            raise invalid(f"{name} must not be negative", name)
        if size > max_size:
            raise invalid(f"{name} is at most {max_size}", name)
        return size, backward


@dataclass(frozen=True)
class Page(Generic[M]):
    items: list[M]
    has_next: bool
    total: int
    has_previous: bool = False


async def page(
    query: QuerySet[M],
    *,
    window: PageArgs,
    max_size: int,
    newest_first: bool = False,
    with_total: bool = True,
) -> Page[M]:
    """One page of `query` in id order (descending with `newest_first`): `after` and `before`
    are positions in that order, whichever way it runs."""
    size, backward = window.size(max_size)

    def beyond(rows: QuerySet[M], pk: int) -> QuerySet[M]:  # later in the list than `pk`
        return rows.filter(id__lt=pk) if newest_first else rows.filter(id__gt=pk)

    def short_of(rows: QuerySet[M], pk: int) -> QuerySet[M]:  # earlier in the list than `pk`
        return rows.filter(id__gt=pk) if newest_first else rows.filter(id__lt=pk)

    async def counted(rows: Awaitable[list[M]]) -> tuple[int, list[M]]:
        """The page's rows, and the total beside them (side by side, not one after the other)."""
        if not with_total:
            return -1, await rows
        return await reads.together(query.count(), rows)

    bounded = query
    if window.after_id is not None:
        bounded = beyond(bounded, window.after_id)
    if window.before_id is not None:
        bounded = short_of(bounded, window.before_id)
    ascending, descending = ("-id", "id") if newest_first else ("id", "-id")
    if backward:
        # The `size` items nearest `before`, read from that end, then put back in list order.
        total, nearest = await counted(bounded.order_by(descending).limit(size + 1))
        rows = list(reversed(nearest))
        items = rows[1:] if len(rows) > size else rows
        has_previous = len(rows) > size
        has_next = window.before_id is not None and await _exists(
            query, window.before_id, at_or_beyond=True, newest_first=newest_first
        )
        return Page(items=items, has_next=has_next, total=total, has_previous=has_previous)
    total, rows = await counted(bounded.order_by(ascending).limit(size + 1))
    has_previous = window.after_id is not None and await _exists(
        query, window.after_id, at_or_beyond=False, newest_first=newest_first
    )
    has_next = len(rows) > size
    return Page(items=rows[:size], has_next=has_next, total=total, has_previous=has_previous)


async def _exists(query: QuerySet[M], pk: int, *, at_or_beyond: bool, newest_first: bool) -> bool:
    """Whether an item of `query` lies at `pk` or later in the list (else: at it or earlier)."""
    later = at_or_beyond != newest_first  # later in ascending id order
    return await (query.filter(id__gte=pk) if later else query.filter(id__lte=pk)).exists()
