"""Relay global ids ("Type:pk", base64) and opaque cursors."""

from __future__ import annotations

import base64
import binascii
import functools
import re

from cungoods.services.errors import DomainError, ErrorCode

# Every primary key is a 32-bit integer column (PostgreSQL `integer`): a larger number cannot name
# a row, and sent to the database it would fail there (asyncpg refuses it; SQLite past 2^63).
MAX_PK = 2**31 - 1
# ASCII digits only, no sign, no leading zero, no spaces or underscores: int() would also read
# "٣" (Arabic-Indic three), " 3", "+3" and "1_0", so one row would answer to many ids.
_PK = re.compile(r"[1-9][0-9]{0,9}", re.ASCII)
_TYPE_NAME = re.compile(r"[A-Za-z][A-Za-z0-9]{0,39}", re.ASCII)


# Ids by (type, pk): a trip's read names every stop, leg and station it shows, and the same ones
# again on every read; base64 per id cost more than reading the row. Bounded: ~10 MB at most.
GLOBAL_IDS_CACHED = 65_536


@functools.lru_cache(maxsize=GLOBAL_IDS_CACHED)
def to_global_id(type_name: str, pk: int) -> str:
    return base64.urlsafe_b64encode(f"{type_name}:{pk}".encode()).decode().rstrip("=")


def from_global_id(
    global_id: str, expected: str | None = None, field: str = "id"
) -> tuple[str, int]:
    """(type name, pk); INVALID_INPUT for anything malformed, out of range or of the wrong type.
    Only the canonical spelling of an id is accepted (what to_global_id writes, with or without
    its base64 padding)."""
    shown = global_id if len(global_id) <= 64 else global_id[:64] + "…"
    try:
        padded = global_id + "=" * (-len(global_id) % 4)
        decoded = base64.urlsafe_b64decode(padded.encode("ascii")).decode("ascii")
    except (binascii.Error, UnicodeError, ValueError) as exc:
        raise DomainError(ErrorCode.INVALID_INPUT, f"{shown!r} is not a valid id", [field]) from exc
    type_name, _, raw_pk = decoded.partition(":")
    if (
        not _TYPE_NAME.fullmatch(type_name)
        or not _PK.fullmatch(raw_pk)
        or int(raw_pk) > MAX_PK
        or to_global_id(type_name, int(raw_pk)) != global_id.rstrip("=")
    ):
        raise DomainError(ErrorCode.INVALID_INPUT, f"{shown!r} is not a valid id", [field])
    pk = int(raw_pk)
    if expected is not None and type_name != expected:
        raise DomainError(ErrorCode.INVALID_INPUT, f"{shown!r} is not a {expected} id", [field])
    return type_name, pk


def pk_of(global_id: str, expected: str, field: str = "id") -> int:
    return from_global_id(global_id, expected, field)[1]


def to_cursor(pk: int) -> str:
    return to_global_id("cursor", pk)


def from_cursor(cursor: str | None, field: str = "after") -> int | None:
    if cursor is None:
        return None
    return pk_of(cursor, "cursor", field)


def optional_pk(global_id: str | None, type_name: str, *path: str) -> int | None:
    """The pk of an optional id input; a bad one is reported at its full input path."""
    if global_id is None:
        return None
    try:
        return pk_of(global_id, type_name, path[-1])
    except DomainError as error:
        raise DomainError(error.code, error.message, list(path)) from error
