"""Verified tokens are remembered per process (services/auth.token_claims): what must still
hold, expiry first."""

from __future__ import annotations

import asyncio
import time

import pytest

from cungoods.services.auth import issue_token, read_token
from cungoods.services.errors import DomainError, ErrorCode

SECRET = "token-test-secret-0123456789-0123456789"


async def test_a_token_verified_once_is_still_refused_once_it_has_expired() -> None:
    token = issue_token(user_id=7, secret=SECRET, ttl_seconds=1, now=time.time())
    assert read_token(token=token, secret=SECRET) == 7  # verified, and remembered
    await asyncio.sleep(1.2)
    with pytest.raises(DomainError) as refused:
        read_token(token=token, secret=SECRET)
    assert refused.value.code is ErrorCode.UNAUTHENTICATED
    assert "expired" in refused.value.message


async def test_a_remembered_token_is_not_valid_under_another_secret() -> None:
    token = issue_token(user_id=7, secret=SECRET, ttl_seconds=60)
    assert read_token(token=token, secret=SECRET) == 7
    with pytest.raises(DomainError) as refused:
        read_token(token=token, secret=SECRET + "-rotated")
    assert refused.value.code is ErrorCode.UNAUTHENTICATED


async def test_a_forged_token_is_refused_every_time() -> None:
    token = issue_token(user_id=7, secret=SECRET, ttl_seconds=60)
    forged = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    for _ in range(2):
        with pytest.raises(DomainError) as refused:
            read_token(token=forged, secret=SECRET)
        assert refused.value.code is ErrorCode.UNAUTHENTICATED
