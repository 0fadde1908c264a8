"""Telling "the database is unreachable" apart from a bug.

When PostgreSQL restarts or the network to it drops, every query fails with a connection error
(refused, reset, "the database system is shutting down", a pooled connection that died). That
is not a bug of ours and the client can do something about it: retry in a moment. So the API
answers it with the code DATABASE_UNAVAILABLE and a hint to retry, instead of the masked
INTERNAL it gives for everything unexpected. asyncpg's pool opens fresh connections once the
server is back, so no restart of ours is needed.

What counts as connection loss (tests/test_db_errors.py has a real instance of each): the OS's
connection errors (refused, reset, aborted, broken pipe, timed out, unreachable), DNS failures,
Tortoise's DBConnectionError, asyncpg's SQLSTATE class 08 and 57P0x errors and "too many
connections", a connection that died mid-query, asyncpg's InterfaceError on a closed connection,
and its InternalClientError "cannot switch to state ..." (the protocol of a connection the server
just closed). Tortoise wraps asyncpg's errors, so the causes, contexts and arguments of an error
are searched too. Such a connection is not reused: asyncpg's pool terminates a connection whose
reset fails on release and opens a fresh one on the next acquire.
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
    asyncpg.exceptions.TooManyConnectionsError,  # 53300: the server is full for a moment
)

_NETWORK_ERRNOS = frozenset(
    {
        errno.ENETUNREACH,
        errno.EHOSTUNREACH,
        errno.ENETDOWN,
        errno.EHOSTDOWN,
        errno.ECONNREFUSED,
        errno.ECONNRESET,
        errno.ECONNABORTED,
        errno.EPIPE,
        errno.ETIMEDOUT,
        errno.ENOTCONN,
        errno.ESHUTDOWN,
    }
)
# asyncpg's protocol, when the server closed the connection under a running query.
_LOST_PROTOCOL_STATE = "cannot switch to state"


def _is_connection_loss(error: BaseException) -> bool:
    if isinstance(error, _CONNECTION_ERRORS):
        return True
    if isinstance(error, OSError) and error.errno in _NETWORK_ERRNOS:
        return True
    if isinstance(error, asyncpg.exceptions.InterfaceError) and "closed" in str(error):
        return True  # "connection is closed": a pooled connection PostgreSQL dropped
    return isinstance(
        error, asyncpg.exceptions.InternalClientError
    ) and _LOST_PROTOCOL_STATE in str(error)


def is_database_unavailable(error: BaseException | None) -> bool:
    """Whether `error`, or an error it was raised from, says the database cannot be reached.
    Tortoise wraps asyncpg's errors (an OperationalError from a dead connection, at times with
    the original only as its argument), so the chain of causes and the arguments are searched,
    not just the outer type."""
    seen: set[int] = set()
    pending: list[BaseException] = [] if error is None else [error]
    while pending:
        current = pending.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        if _is_connection_loss(current):
            return True
        pending.extend(
            linked
            for linked in (current.__cause__, current.__context__, *current.args)
            if isinstance(linked, BaseException)
        )
    return False
