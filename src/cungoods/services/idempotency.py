"""Keyed mutations (placeOrder, buyProduce, acceptOffer): the same key with the same input
returns the first result, the same key with other input is an error.

The key row is claimed first thing inside the use case's transaction. On PostgreSQL a second
transaction inserting the same (user, operation, key) waits for the first: if that commits, the
insert fails and the caller reads the stored result; if it rolls back (say NO_CAPACITY), the
second goes ahead and does the work itself. So of any number of concurrent retries exactly one
does the work, and a failed attempt leaves nothing that blocks a retry.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from cungoods.models import IdempotencyKey
from cungoods.services.errors import DomainError, ErrorCode, invalid

MAX_KEY_LENGTH = 100


class _KeyTaken(Exception):
    """Another transaction committed this key first."""


def request_hash(request: Mapping[str, Any]) -> str:
    canonical = json.dumps(request, sort_keys=True, default=str, ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


async def _stored(user_id: int, operation: str, key: str, digest: str) -> int | None:
    row = await IdempotencyKey.get_or_none(user_id=user_id, operation=operation, key=key)
    if row is None:
        return None
    if row.request_hash != digest:
        raise DomainError(
            ErrorCode.IDEMPOTENCY_KEY_REUSED,
            "this idempotency key was used for a different request",
            ["idempotencyKey"],
        )
    return row.result_id


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
    earlier = await _stored(user_id, operation, key, digest)
    if earlier is not None:
        return earlier
    try:
        async with in_transaction():
            try:
                claim = await IdempotencyKey.create(
                    user_id=user_id, operation=operation, key=key, request_hash=digest, result_id=0
                )
            except IntegrityError as exc:
                raise _KeyTaken from exc
            result_id = await work()
            await IdempotencyKey.filter(id=claim.id).update(result_id=result_id)
            return result_id
    except _KeyTaken:
        stored = await _stored(user_id, operation, key, digest)
        if stored is None:  # the winner rolled back between our insert and this read
            return await run_once(
                user_id=user_id, operation=operation, key=key, request=request, work=work
            )
        return stored
