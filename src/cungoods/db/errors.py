"""Telling "the database is unreachable" apart from a bug.

When PostgreSQL restarts or the network to it drops, every query fails with a connection error
(refused, reset, "the database system is shutting down", a pooled connection that died). That
is not a bug of ours and the client can do something about it: retry in a moment. So the API
answers it with the code DATABASE_UNAVAILABLE and a hint to retry, instead of the masked
INTERNAL it gives for everything unexpected. asyncpg's pool opens fresh connections once the
server is back, so no restart of ours is needed.
"""

from __future__ import annotations

import errno
import socket

import asyncpg
from tortoise.exceptions import DBConnectionError

DATABASE_UNAVAILABLE = "DATABASE_UNAVAILABLE"
RETRY_AFTER_SECONDS = 2
MESSAGE = f"the database is unavailable for a moment: retry in {RETRY_AFTER_SECONDS} s"

_CONNECTION_ERRORS: tuple[type[BaseException], ...] = (
    ConnectionError,  # refused, reset, aborted
    TimeoutError,
    socket.gaierror,
    DBConnectionError,
    asyncpg.exceptions.PostgresConnectionError,  # SQLSTATE class 08
    asyncpg.exceptions.CannotConnectNowError,  # 57P03: starting up or shutting down
    asyncpg.exceptions.AdminShutdownError,  # 57P01: the server was told to stop
    asyncpg.exceptions.CrashShutdownError,  # 57P02
    asyncpg.exceptions.ConnectionDoesNotExistError,  # the connection died mid-query
)

_NETWORK_ERRNOS = frozenset(
    {errno.ENETUNREACH, errno.EHOSTUNREACH, errno.ENETDOWN, errno.EHOSTDOWN}
)


def is_database_unavailable(error: BaseException | None) -> bool:
    """Whether `error`, or an error it was raised from, says the database cannot be reached.
    Tortoise wraps asyncpg's errors (an OperationalError from a dead connection), so the
    chain of causes is searched, not just the outer type."""
    seen: set[int] = set()
    while error is not None and id(error) not in seen:
        seen.add(id(error))
        if isinstance(error, _CONNECTION_ERRORS):
            return True
        if isinstance(error, OSError) and error.errno in _NETWORK_ERRNOS:
            return True
        if isinstance(error, asyncpg.exceptions.InterfaceError) and "closed" in str(error):
            return True  # "connection is closed": a pooled connection PostgreSQL dropped
        error = error.__cause__ or error.__context__
    return False
