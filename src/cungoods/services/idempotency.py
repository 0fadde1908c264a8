"""Keyed mutations (placeOrder, buyProduce, acceptOffer): the same key with the same input
returns the first result, the same key with other input is an error.

The key is looked up (a retry of a finished request ends there) and else claimed, first thing
inside the use case's transaction. On PostgreSQL a second transaction inserting the same (user,
operation, key) waits for the first: if that commits, the insert fails and the caller reads the
stored result; if it rolls back (say NO_CAPACITY), the second goes ahead and does the work itself.
So of any number of concurrent retries exactly one does the work, and a failed attempt leaves
nothing that blocks a retry.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from cungoods.db import sql
from cungoods.models import IdempotencyKey
from cungoods.services.errors import DomainError, ErrorCode, invalid

MAX_KEY_LENGTH = 100
_TABLE = IdempotencyKey._meta.db_table
STORED_SQL = (
    f"SELECT request_hash, result_id FROM {_TABLE} "
    "WHERE user_id = $1 AND operation = $2 AND key = $3"
)
CLAIM_SQL = (
    f"INSERT INTO {_TABLE} (user_id, operation, key, request_hash, result_id, created_at) "
    "VALUES ($1, $2, $3, $4, 0, $5) RETURNING id"
)
RESULT_SQL = f"UPDATE {_TABLE} SET result_id = $1 WHERE id = $2"


class _KeyTaken(Exception):
    """Another transaction committed this key first."""


def request_hash(request: Mapping[str, Any]) -> str:
    canonical = json.dumps(request, sort_keys=True, default=str, ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


async def _stored(user_id: int, operation: str, key: str, digest: str) -> int | None:
    # Plain SQL (db/sql.py): this runs on every keyed request.
    rows = await sql.fetch(STORED_SQL, user_id, operation, key)
    if not rows:
        return None
    row = rows[0]
    if row["request_hash"] != digest:
        raise DomainError(
            ErrorCode.IDEMPOTENCY_KEY_REUSED,
            "this idempotency key was used for a different request",
            ["idempotencyKey"],
        )
    return int(row["result_id"])


async def run_once(
    *,
    user_id: int,
    operation: str,
    key: str | None,
    request: Mapping[str, Any],
    work: Callable[[], Awaitable[int]],
) -> int:
    """Run `work` (which returns the id of what it made) in one transaction, at most once per
    key. Returns that id, or the id stored for the key by an earlier call with the same request."""
    if key is None:
        async with in_transaction():
            return await work()
    key = key.strip()
    if not 1 <= len(key) <= MAX_KEY_LENGTH:
        raise invalid(f"an idempotency key has 1 to {MAX_KEY_LENGTH} characters", "idempotencyKey")
    digest = request_hash(request)
    try:
        async with in_transaction():
            # Read on the transaction's connection: a separate read would take (and reset) a
            # pool connection of its own. A retry of a finished request ends here.
            earlier = await _stored(user_id, operation, key, digest)
            if earlier is not None:
                return earlier
            try:
                [claim] = await sql.fetch(CLAIM_SQL, user_id, operation, key, digest, sql.now())
            except IntegrityError as exc:
                raise _KeyTaken from exc
            result_id = await work()
            await sql.execute(RESULT_SQL, result_id, claim["id"])
            return result_id
    except _KeyTaken:
        stored = await _stored(user_id, operation, key, digest)
        if stored is None:  # the winner rolled back between our insert and this read
            return await run_once(
                user_id=user_id, operation=operation, key=key, request=request, work=work
            )
        return stored
