"""Who the viewer is and what they may do: password hashing, signed tokens, and the role checks
every use case reuses."""

from __future__ import annotations

import asyncio
import functools
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import jwt
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from cungoods.db import sql
from cungoods.models import User
from cungoods.models.enums import Role
from cungoods.services.errors import DomainError, ErrorCode, not_allowed

_hasher = PasswordHasher()
_USER_SQL = f"SELECT * FROM {User._meta.db_table} WHERE id = $1"
TOKEN_ALGORITHM = "HS256"


def hash_password(password: str) -> str:
    """The argon2 hash of `password` (about 150 ms of CPU: in a request use `new_password_hash`)."""
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    """Whether `password` matches (as slow as hashing: in a request use `check_password`)."""
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


# Hashing runs in these worker threads, off the event loop (argon2 releases the GIL), at most
# `login_hash_concurrency` at once: the rest wait their turn in the pool's queue, so a burst of
# sign-ins neither stalls other requests nor takes every CPU.
_hash_pool_size = 2
_hash_pool = ThreadPoolExecutor(max_workers=_hash_pool_size, thread_name_prefix="password-hash")


def configure_hashing(*, concurrency: int) -> None:
    """Size the hashing pool (create_app, from settings.login_hash_concurrency)."""
    global _hash_pool, _hash_pool_size
    if concurrency < 1:
        raise ValueError("login_hash_concurrency must be at least 1")
    if concurrency != _hash_pool_size:
        old = _hash_pool
        _hash_pool = ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="password-hash")
        _hash_pool_size = concurrency
        old.shutdown(wait=False)
    _hash_pool.submit(_dummy_hash)  # made once, before the first unknown phone number asks


@functools.cache
def _dummy_hash() -> str:
    """A hash no password matches, verified when the phone number is unknown."""
    return _hasher.hash("no account has this password: " + str(time.time_ns()))


async def new_password_hash(password: str) -> str:
    """`hash_password` in the hashing pool."""
    return await asyncio.get_running_loop().run_in_executor(_hash_pool, hash_password, password)


async def check_password(password_hash: str | None, password: str) -> bool:
    """`verify_password` in the hashing pool. Without a hash (no such account) it verifies
    against a dummy one, so an unknown phone number costs the same as a wrong password."""

    def verify() -> bool:
        matched = verify_password(password_hash or _dummy_hash(), password)
        return matched and password_hash is not None

    return await asyncio.get_running_loop().run_in_executor(_hash_pool, verify)


def issue_token(*, user_id: int, secret: str, ttl_seconds: int, now: float | None = None) -> str:
    issued = int(now if now is not None else time.time())
    claims = {"sub": str(user_id), "iat": issued, "exp": issued + ttl_seconds}
    return jwt.encode(claims, secret, algorithm=TOKEN_ALGORITHM)


# Verified tokens, by (secret, token): the signature check is a pure function of the two, so
# a socket burst of one client's token (or every request of a signed-in user) verifies it once.
# The expiry is still compared with the clock on every use, below; a forged or malformed token
# is never stored. Bounded: cleared when full (a cache miss only costs one verification).
_verified: dict[tuple[str, str], tuple[int, float]] = {}
_VERIFIED_MAX = 50_000


def token_claims(*, token: str, secret: str) -> tuple[int, float]:
    """(user id, expiry in Unix seconds) of a valid token; UNAUTHENTICATED when forged, expired
    or malformed."""
    key = (secret, token)
    known = _verified.get(key)
    if known is None:
        try:
            claims = jwt.decode(
                token, secret, algorithms=[TOKEN_ALGORITHM], options={"require": ["exp", "sub"]}
            )
            known = (int(claims["sub"]), float(claims["exp"]))
        except jwt.ExpiredSignatureError as exc:
            raise DomainError(
                ErrorCode.UNAUTHENTICATED, "the token has expired, sign in again"
            ) from exc
        except (jwt.InvalidTokenError, ValueError, TypeError) as exc:
            raise DomainError(ErrorCode.UNAUTHENTICATED, "the token is not valid") from exc
        if len(_verified) >= _VERIFIED_MAX:
            _verified.clear()
        _verified[key] = known
    if known[1] <= time.time():  # as PyJWT decides it (no leeway)
        raise DomainError(ErrorCode.UNAUTHENTICATED, "the token has expired, sign in again")
    return known


def read_token(*, token: str, secret: str) -> int:
    """The user id a token was issued for; UNAUTHENTICATED when forged, expired or malformed."""
    return token_claims(token=token, secret=secret)[0]


@dataclass(frozen=True)
class Viewer:
    """The signed-in user as the rules need them: id, roles and station."""

    id: int
    roles: frozenset[Role] = field(default_factory=frozenset)
    station_id: int | None = None

    def has(self, *roles: Role) -> bool:
        return any(role in self.roles for role in roles)

    @property
    def is_dispatcher(self) -> bool:
        return self.has(Role.DISPATCHER, Role.ADMIN)

    def leads(self, station_id: int | None) -> bool:
        return (
            Role.LEADER in self.roles and station_id is not None and self.station_id == station_id
        )

    @classmethod
    def of(cls, user: User) -> Viewer:
        return cls(
            id=user.id, roles=frozenset(Role(r) for r in user.roles), station_id=user.station_id
        )


async def load_viewer(*, token: str, secret: str) -> Viewer:
    user_id = read_token(token=token, secret=secret)
    # Every signed-in request runs this: plain SQL (db/sql.py), read back as the model.
    users = await sql.fetch_models(User, _USER_SQL, user_id)
    if not users:
        raise DomainError(ErrorCode.UNAUTHENTICATED, "the account no longer exists")
    return Viewer.of(users[0])


def require_viewer(viewer: Viewer | None) -> Viewer:
    if viewer is None:
        raise DomainError(ErrorCode.UNAUTHENTICATED, "sign in first")
    return viewer


def require_dispatcher(viewer: Viewer | None) -> Viewer:
    """Dispatch work is open to dispatchers and to admins."""
    return require_role(viewer, Role.DISPATCHER, Role.ADMIN)


def require_role(viewer: Viewer | None, *roles: Role) -> Viewer:
    """The signed-in viewer if they hold one of `roles`."""
    signed_in = require_viewer(viewer)
    if not signed_in.has(*roles):
        names = " or ".join(role.value for role in roles)
        raise not_allowed(f"only a {names} may do that")
    return signed_in
