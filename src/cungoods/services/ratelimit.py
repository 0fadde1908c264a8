"""Rate limits kept in memory: token buckets per key, and a growing lock-out after repeated
failures (login brute force).

The state is per process. With several workers each keeps its own buckets, so the effective limit
is the per-process limit times the number of workers: these limits blunt floods and password
guessing, they are not quotas. Memory is bounded: each limiter forgets its least recently used
keys beyond `max_keys`.
"""

from __future__ import annotations

import math
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

from cungoods.services.errors import DomainError, ErrorCode

Clock = Callable[[], float]


class RateLimited(DomainError):
    """Too many attempts: try again after `retry_after` seconds."""

    def __init__(self, retry_after: float, what: str = "too many requests") -> None:
        self.retry_after = max(1, math.ceil(retry_after))
        super().__init__(ErrorCode.RATE_LIMITED, f"{what}: retry after {self.retry_after} s")


@dataclass
class _Bucket:
    tokens: float
    updated: float


class RateLimiter:
    """A token bucket per key: `burst` requests at once, refilled at `per_minute` a minute."""

    def __init__(
        self,
        *,
        burst: int,
        per_minute: float,
        clock: Clock = time.monotonic,
        max_keys: int = 100_000,
    ) -> None:
        if burst < 1 or per_minute <= 0:
            raise ValueError("a rate limit needs burst >= 1 and per_minute > 0")
        self.burst = burst
        self.rate = per_minute / 60.0
        self._clock = clock
        self._max_keys = max_keys
        self._buckets: OrderedDict[str, _Bucket] = OrderedDict()

    def acquire(self, key: str) -> float:
        """Take one token for `key`: 0.0 if allowed, else the seconds until one is free."""
        now = self._clock()
        bucket = self._buckets.pop(key, None)
        if bucket is None:
            bucket = _Bucket(tokens=float(self.burst), updated=now)
        else:
            bucket.tokens = min(self.burst, bucket.tokens + (now - bucket.updated) * self.rate)
            bucket.updated = now
        self._buckets[key] = bucket  # most recently used last
        while len(self._buckets) > self._max_keys:
            self._buckets.popitem(last=False)
        if bucket.tokens >= 1:
            bucket.tokens -= 1
            return 0.0
        return (1 - bucket.tokens) / self.rate

    def check(self, key: str) -> None:
        """Take one token for `key` or raise RateLimited."""
        wait = self.acquire(key)
        if wait > 0:
            raise RateLimited(wait)


@dataclass
class _Failures:
    count: int
    locked_until: float
    last: float


class FailureBackoff:
    """Lets `free_failures` failures for a key through, then locks the key out: `base_seconds`
    after the last free one, doubling with each further failure, at most `max_seconds`. A success
    clears the key; so does `forget_after` seconds without a failure."""

    def __init__(
        self,
        *,
        free_failures: int = 5,
        base_seconds: float = 30.0,
        max_seconds: float = 900.0,
        forget_after: float = 3600.0,
        clock: Clock = time.monotonic,
        max_keys: int = 100_000,
    ) -> None:
        self.free_failures = free_failures
        self.base_seconds = base_seconds
        self.max_seconds = max_seconds
        self.forget_after = forget_after
        self._clock = clock
        self._max_keys = max_keys
        self._failures: OrderedDict[str, _Failures] = OrderedDict()

    def check(self, key: str, what: str = "too many failed attempts") -> None:
        """Raise RateLimited while `key` is locked out."""
        entry = self._current(key)
        if entry is not None and entry.locked_until > self._clock():
            raise RateLimited(entry.locked_until - self._clock(), what)

    def failed(self, key: str) -> None:
        now = self._clock()
        entry = self._current(key) or _Failures(count=0, locked_until=0.0, last=now)
        entry.count += 1
        entry.last = now
        beyond = entry.count - self.free_failures
        if beyond >= 0:
            entry.locked_until = now + min(self.max_seconds, self.base_seconds * 2**beyond)
        self._failures.pop(key, None)
        self._failures[key] = entry
        while len(self._failures) > self._max_keys:
            self._failures.popitem(last=False)

    def succeeded(self, key: str) -> None:
        self._failures.pop(key, None)

    def _current(self, key: str) -> _Failures | None:
        entry = self._failures.get(key)
        if entry is not None and self._clock() - entry.last > self.forget_after:
            del self._failures[key]
            return None
        return entry


@dataclass(frozen=True)
class Limits:
    """The limiters of one server: mutations per viewer and per client address, and failed
    logins per phone number."""

    per_viewer: RateLimiter
    per_address: RateLimiter
    login: FailureBackoff
