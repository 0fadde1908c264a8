"""Relay global ids ("Type:pk", base64) and opaque cursors."""

from __future__ import annotations

import base64
import binascii

from cungoods.services.errors import DomainError, ErrorCode


def to_global_id(type_name: str, pk: int) -> str:
    return base64.urlsafe_b64encode(f"{type_name}:{pk}".encode()).decode().rstrip("=")


def from_global_id(
    global_id: str, expected: str | None = None, field: str = "id"
) -> tuple[str, int]:
    """(type name, pk); INVALID_INPUT for anything malformed or of the wrong type."""
    try:
        padded = global_id + "=" * (-len(global_id) % 4)
        type_name, _, raw_pk = base64.urlsafe_b64decode(padded.encode()).decode().partition(":")
        pk = int(raw_pk)
    except (binascii.Error, UnicodeDecodeError, ValueError) as exc:
        raise DomainError(
            ErrorCode.INVALID_INPUT, f"{global_id!r} is not a valid id", [field]
        ) from exc
    if not type_name or pk <= 0 or (expected is not None and type_name != expected):
        what = f"a {expected} id" if expected else "a valid id"
        raise DomainError(ErrorCode.INVALID_INPUT, f"{global_id!r} is not {what}", [field])
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
