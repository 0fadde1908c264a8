"""Long-lived sessions (a WebSocket): who the viewer is now, not when the socket opened.

A socket authenticates once, at `connection_init`, but lives for hours: the token may expire,
an admin may take a role away, the account may be deleted. So the socket asks again before
every operation and before every event it delivers (api/transport/websocket.py,
api/live/subscriptions.py). One event reaches thousands of subscribers at once, so their look-ups
are batched: every viewer asked for within one turn of the event loop is read in one query by
primary key.
"""

from __future__ import annotations

import asyncio
import weakref

from cungoods.db import sql
from cungoods.models import User
from cungoods.services.auth import Viewer, read_token, token_claims
from cungoods.services.errors import DomainError, ErrorCode

_TABLE = User._meta.db_table
_CHUNK = 500  # ids per statement: well under SQLite's and PostgreSQL's parameter limits


class _Batch:
    """User rows asked for in one turn of the event loop, read with one query."""

    def __init__(self) -> None:
        self.waiting: dict[int, list[asyncio.Future[User | None]]] = {}
        self.scheduled = False
        self.flushing: set[asyncio.Task[None]] = set()  # a task must be referenced to run

    def load(self, user_id: int) -> asyncio.Future[User | None]:
        loop = asyncio.get_running_loop()
        future: asyncio.Future[User | None] = loop.create_future()
        self.waiting.setdefault(user_id, []).append(future)
        if not self.scheduled:
            self.scheduled = True
            loop.call_soon(self._start_flush)
        return future

    def _start_flush(self) -> None:
        task = asyncio.ensure_future(self._flush())
        self.flushing.add(task)
        task.add_done_callback(self.flushing.discard)

    async def _flush(self) -> None:
        waiting, self.waiting, self.scheduled = self.waiting, {}, False
        try:
            rows = await _users(list(waiting))
        except Exception as error:  # every caller gets the failure (an outage, say)
            for futures in waiting.values():
                for future in futures:
                    if not future.done():
                        future.set_exception(error)
            return
        for user_id, futures in waiting.items():
            for future in futures:
                if not future.done():
                    future.set_result(rows.get(user_id))


async def _users(ids: list[int]) -> dict[int, User]:
    """The users of `ids`, read as plain SQL (db/sql.py) in chunks of bounded IN lists."""
    rows: dict[int, User] = {}
    for start in range(0, len(ids), _CHUNK):
        chunk = ids[start : start + _CHUNK]
        marks = sql.placeholders(1, len(chunk))
        for user in await sql.fetch_models(
            User, f"SELECT * FROM {_TABLE} WHERE id IN ({marks})", *chunk
        ):
            rows[user.id] = user
    return rows


_batches: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _Batch] = weakref.WeakKeyDictionary()


async def current_viewer(*, token: str, secret: str) -> Viewer:
    """The viewer a token stands for now; UNAUTHENTICATED when it has expired or the account
    is gone. Roles and station are read afresh."""
    user_id = read_token(token=token, secret=secret)
    loop = asyncio.get_running_loop()
    batch = _batches.get(loop)
    if batch is None:
        batch = _batches[loop] = _Batch()
    user = await batch.load(user_id)
    if user is None:
        raise DomainError(ErrorCode.UNAUTHENTICATED, "the account no longer exists")
    return Viewer.of(user)


def token_expires_at(*, token: str, secret: str) -> float | None:
    """When a valid token expires (Unix seconds); None if it is not valid."""
    try:
        return token_claims(token=token, secret=secret)[1]
    except DomainError:
        return None
