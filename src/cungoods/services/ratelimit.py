"""Rate limits: a request budget per key, and a growing lock-out after repeated failures (login
brute force), behind one async interface (`Limiter`, `Backoff`, `Marks`) with two stores.

In memory (the default): token buckets and failure counts per process, so with N workers the
effective limit is N times the setting. Memory is bounded: each store forgets its least recently
used keys beyond `max_keys`, and keys are short (validated phone numbers, addresses, ids).

In Redis (`CUNGOODS_REDIS_URL`), through the `limits` library: every process shares one count.
The budget is then a moving window of `burst` requests in `burst / rate` seconds (the same
sustained rate and burst as the bucket; a refused client waits for the oldest request in the
window to age out rather than for one token); failure counts and lock-outs are keys that expire
by themselves (a count `forget_after` seconds after its first failure).
"""

from __future__ import annotations

import math
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from limits import RateLimitItemPerSecond
from limits.aio.storage import RedisStorage
from limits.aio.strategies import MovingWindowRateLimiter

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

    async def take(self, key: str) -> float:
        return self.acquire(key)

    def __len__(self) -> int:
        return len(self._buckets)


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

    async def locked_for(self, key: str) -> float:
        entry = self._current(key)
        return 0.0 if entry is None else max(0.0, entry.locked_until - self._clock())

    async def record_failure(self, key: str) -> None:
        self.failed(key)

    async def record_success(self, key: str) -> None:
        self.succeeded(key)

    def __len__(self) -> int:
        return len(self._failures)

    def _current(self, key: str) -> _Failures | None:
        entry = self._failures.get(key)
        if entry is not None and self._clock() - entry.last > self.forget_after:
            del self._failures[key]
            return None
        return entry


class Limiter(Protocol):
    """A request budget per key."""

    async def take(self, key: str) -> float:
        """Take one request for `key`: 0.0 if allowed, else the seconds until one is free."""
        ...


class Backoff(Protocol):
    """A growing lock-out per key after repeated failures."""

    async def locked_for(self, key: str) -> float:
        """The seconds `key` stays locked out (0.0: not locked)."""
        ...

    async def record_failure(self, key: str) -> None: ...

    async def record_success(self, key: str) -> None: ...


class Marks(Protocol):
    """Keys remembered for a while (the addresses a phone number signed in from)."""

    async def mark(self, key: str) -> None: ...

    async def marked(self, key: str) -> bool: ...


class MemoryMarks:
    """Marks in memory, each kept `keep_seconds`, the least recently used beyond `max_keys`
    forgotten."""

    def __init__(
        self, *, keep_seconds: float, clock: Clock = time.monotonic, max_keys: int = 100_000
    ) -> None:
        self.keep_seconds = keep_seconds
        self._clock = clock
        self._max_keys = max_keys
        self._marks: OrderedDict[str, float] = OrderedDict()

    async def mark(self, key: str) -> None:
        self._marks.pop(key, None)
        self._marks[key] = self._clock() + self.keep_seconds
        while len(self._marks) > self._max_keys:
            self._marks.popitem(last=False)

    async def marked(self, key: str) -> bool:
        until = self._marks.get(key)
        if until is not None and until <= self._clock():
            del self._marks[key]
            return False
        return until is not None

    def __len__(self) -> int:
        return len(self._marks)


def redis_storage(url: str) -> RedisStorage:
    """The `limits` storage on a Redis URL (`redis://host:port/db`), keys prefixed `cungoods`.
    It connects on first use."""
    return RedisStorage(f"async+{url}", implementation="redispy", key_prefix="cungoods")


class RedisRateLimiter:
    """`burst` requests per `burst / rate` seconds per key, one moving window in Redis shared
    by every process."""

    def __init__(self, storage: RedisStorage, *, name: str, burst: int, per_minute: float) -> None:
        if burst < 1 or per_minute <= 0:
            raise ValueError("a rate limit needs burst >= 1 and per_minute > 0")
        self.name = name
        self._strategy = MovingWindowRateLimiter(storage)
        self._item = RateLimitItemPerSecond(burst, max(1, math.ceil(burst * 60 / per_minute)))

    async def take(self, key: str) -> float:
        if await self._strategy.hit(self._item, self.name, key):
            return 0.0
        stats = await self._strategy.get_window_stats(self._item, self.name, key)
        return max(1.0, stats.reset_time - time.time())


class RedisBackoff:
    """`FailureBackoff` in Redis: a failure count per key that expires `forget_after` seconds
    after its first failure, and one self-expiring lock key per failure beyond the free ones."""

    def __init__(
        self,
        storage: RedisStorage,
        *,
        name: str,
        free_failures: int = 5,
        base_seconds: float = 30.0,
        max_seconds: float = 900.0,
        forget_after: float = 3600.0,
    ) -> None:
        self._storage = storage
        self.name = name
        self.free_failures = free_failures
        self.base_seconds = base_seconds
        self.max_seconds = max_seconds
        self.forget_after = forget_after

    def _count_key(self, key: str) -> str:
        return f"{self.name}/failures/{key}"

    def _lock_key(self, key: str, count: int) -> str:
        return f"{self.name}/lock/{key}/{count}"

    async def locked_for(self, key: str) -> float:
        count = await self._storage.get(self._count_key(key))
        if count < self.free_failures:
            return 0.0
        lock = self._lock_key(key, count)
        if not await self._storage.get(lock):
            return 0.0
        return max(1.0, await self._storage.get_expiry(lock) - time.time())

    async def record_failure(self, key: str) -> None:
        count = await self._storage.incr(self._count_key(key), math.ceil(self.forget_after))
        beyond = count - self.free_failures
        if beyond >= 0:
            seconds = min(self.max_seconds, self.base_seconds * 2**beyond)
            await self._storage.incr(self._lock_key(key, count), max(1, math.ceil(seconds)))

    async def record_success(self, key: str) -> None:
        await self._storage.clear(self._count_key(key))


class RedisMarks:
    """Marks in Redis, each a key that expires after `keep_seconds`."""

    def __init__(self, storage: RedisStorage, *, name: str, keep_seconds: float) -> None:
        self._storage = storage
        self.name = name
        self.keep_seconds = keep_seconds

    async def mark(self, key: str) -> None:
        full = f"{self.name}/{key}"
        await self._storage.clear(full)  # a fresh expiry from now
        await self._storage.incr(full, math.ceil(self.keep_seconds))

    async def marked(self, key: str) -> bool:
        return await self._storage.get(f"{self.name}/{key}") > 0


@dataclass(frozen=True)
class LoginThrottle:
    """The back-off on wrong passwords (services/accounts.login).

    `per_device` counts failures per phone number and client address: an attacker guessing
    from their address locks out only that address, so the owner still signs in from theirs.
    `per_phone` is a much higher ceiling across all addresses (against guessing spread over many
    addresses); it is not applied to an address the phone number signed in from successfully
    in the last 30 days (`known_devices`), so it cannot lock the owner out either."""

    per_device: Backoff
    per_phone: Backoff
    known_devices: Marks


# The per-phone ceiling: this many times the per-device free failures.
PER_PHONE_FACTOR = 10
KNOWN_DEVICE_SECONDS = 30 * 24 * 3600.0


@dataclass(frozen=True)
class Limits:
    """The limiters of one server: mutations per viewer and per client address, and failed
    logins per phone number and address."""

    per_viewer: Limiter
    per_address: Limiter
    login: LoginThrottle
