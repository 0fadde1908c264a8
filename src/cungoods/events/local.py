"""In-process announcements for the embedded database, which has no NOTIFY.

On SQLite the outbox calls `announce()` right after writing an event, inside the writer's
transaction. A broker woken this way reads the table on its own task: SQLite has one connection
per process and a transaction holds it, so that read waits for the commit and never sees a change
that rolled back (it just finds nothing new).
"""

from __future__ import annotations

from collections.abc import Callable

_hooks: set[Callable[[], None]] = set()


def add_hook(hook: Callable[[], None]) -> None:
    _hooks.add(hook)


def remove_hook(hook: Callable[[], None]) -> None:
    _hooks.discard(hook)


def announce() -> None:
    """An event was written in this process: wake every local broker."""
    for hook in tuple(_hooks):
        hook()
