"""Long-lived sessions (a WebSocket): who the viewer is now, not when the socket opened.

A socket authenticates once, at `connection_init`, but lives for hours: the token may expire,
an admin may take a role away, the account may be deleted. So the socket asks again before
every operation and before every event it delivers (api/transport/websocket.py,
api/live/subscriptions.py). One event reaches thousands of subscribers at once, so their look-ups
are batched (db/batched.py): every viewer asked for within one turn of the event loop is read in
one query by primary key.
"""

from __future__ import annotations

from cungoods.db import sql
from cungoods.db.batched import Batched
from cungoods.models import User
from cungoods.services.auth import Viewer, read_token, token_claims
from cungoods.services.errors import DomainError, ErrorCode

_TABLE = User._meta.db_table


async def _viewers(ids: list[int]) -> dict[int, Viewer]:
    """The viewers of the users `ids` (a bounded batch), read as plain SQL (db/sql.py). One
    Viewer per user for the whole batch: the thousands of sockets of one account share it."""
    marks = sql.placeholders(1, len(ids))
    found = await sql.fetch_models(User, f"SELECT * FROM {_TABLE} WHERE id IN ({marks})", *ids)
    return {user.id: Viewer.of(user) for user in found}


_viewers_by_id: Batched[int, Viewer] = Batched(_viewers)


async def current_viewer(*, token: str, secret: str) -> Viewer:
    """The viewer a token stands for now; UNAUTHENTICATED when it has expired or the account
    is gone. Roles and station are read afresh."""
    user_id = read_token(token=token, secret=secret)
    viewer = await _viewers_by_id.load(user_id)
    if viewer is None:
        raise DomainError(ErrorCode.UNAUTHENTICATED, "the account no longer exists")
    return viewer


def token_expires_at(*, token: str, secret: str) -> float | None:
    """When a valid token expires (Unix seconds); None if it is not valid."""
    try:
        return token_claims(token=token, secret=secret)[1]
    except DomainError:
        return None
