"""Which errors mean "the database is unavailable" (db/errors.py), each a real instance of the
error the drivers raise, as raised (directly, wrapped by Tortoise, or only as an argument)."""

from __future__ import annotations

import errno
import socket

import asyncpg
import pytest
from tortoise.exceptions import DBConnectionError, IntegrityError, OperationalError

from cungoods.db.errors import is_database_unavailable


def _raised_from(outer: Exception, cause: BaseException) -> Exception:
    try:
        try:
            raise cause
        except BaseException as inner:
            raise outer from inner
    except Exception as wrapped:
        return wrapped


CONNECTION_LOSS = [
    asyncpg.exceptions.InternalClientError(
        "cannot switch to state 15; another operation (2) is in progress"
    ),
    asyncpg.exceptions.ConnectionDoesNotExistError(
        "connection was closed in the middle of operation"
    ),
    asyncpg.exceptions.InterfaceError("cannot perform operation: connection is closed"),
    asyncpg.exceptions.AdminShutdownError("terminating connection due to administrator command"),
    asyncpg.exceptions.CannotConnectNowError("the database system is shutting down"),
    asyncpg.exceptions.CrashShutdownError("terminating connection because of crash"),
    asyncpg.exceptions.ConnectionFailureError("connection failure"),
    asyncpg.exceptions.TooManyConnectionsError("sorry, too many clients already"),
    ConnectionResetError(errno.ECONNRESET, "Connection reset by peer"),
    ConnectionRefusedError(errno.ECONNREFUSED, "Connect call failed"),
    BrokenPipeError(errno.EPIPE, "Broken pipe"),
    TimeoutError(),
    OSError(errno.ENETUNREACH, "Network is unreachable"),
    OSError(errno.ECONNRESET, "Connection reset by peer"),
    OSError(errno.ENOTCONN, "Transport endpoint is not connected"),
    socket.gaierror(socket.EAI_NONAME, "Name or service not known"),
    DBConnectionError("can't connect"),
]
NOT_AN_OUTAGE = [
    asyncpg.exceptions.InternalClientError("unexpected codec"),
    asyncpg.exceptions.InterfaceError("cannot perform operation: another operation is in progress"),
    asyncpg.exceptions.UniqueViolationError("duplicate key"),
    asyncpg.exceptions.NumericValueOutOfRangeError("integer out of range"),
    OSError(errno.ENOENT, "No such file or directory"),
    IntegrityError("FOREIGN KEY constraint failed"),
    ValueError("a bug"),
]


@pytest.mark.parametrize("error", CONNECTION_LOSS, ids=lambda e: f"{type(e).__name__}:{e}")
def test_every_connection_loss_is_database_unavailable(error: BaseException) -> None:
    # Given a connection-loss error: as raised, wrapped by Tortoise, or only its argument
    wrapped = _raised_from(OperationalError("query failed"), error)
    as_argument = OperationalError(error)
    # Then each is DATABASE_UNAVAILABLE
    assert is_database_unavailable(error)
    assert is_database_unavailable(wrapped)
    assert is_database_unavailable(as_argument)


@pytest.mark.parametrize("error", NOT_AN_OUTAGE, ids=lambda e: f"{type(e).__name__}:{e}")
def test_other_errors_stay_bugs(error: BaseException) -> None:
    assert not is_database_unavailable(error)
    assert not is_database_unavailable(_raised_from(OperationalError("query failed"), error))
    assert not is_database_unavailable(None)
