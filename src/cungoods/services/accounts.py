"""Accounts: register, sign in, and roles."""

from __future__ import annotations

import re
from dataclasses import dataclass

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from cungoods.events import outbox
from cungoods.models import Station, User
from cungoods.models.enums import Language, Role
from cungoods.services.auth import (
    Viewer,
    check_password,
    issue_token,
    new_password_hash,
    require_role,
)
from cungoods.services.errors import DomainError, ErrorCode, invalid, not_found
from cungoods.services.ratelimit import LoginThrottle, RateLimited

PHONE_RE = re.compile(r"^1[3-9][0-9]{9}$")
MAX_PHONE_TYPED = 32  # 11 digits, +86, and the spaces and dashes people type
MIN_PASSWORD = 8
MAX_PASSWORD = 128
SELF_SERVICE_ROLES = (Role.BUYER, Role.FARMER)


@dataclass(frozen=True)
class SignedIn:
    token: str
    user: User


def normalize_phone(phone: str) -> str:
    """Mainland mobile numbers, with an optional +86 and spaces or dashes people type."""
    if len(phone) > MAX_PHONE_TYPED:  # before any work on it
        raise invalid("a phone number is 11 digits starting with 1, e.g. 13800000000", "phone")
    digits = re.sub(r"[\s-]", "", phone)
    digits = digits.removeprefix("+86")
    if not PHONE_RE.match(digits):
        raise invalid("a phone number is 11 digits starting with 1, e.g. 13800000000", "phone")
    return digits


def _check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise invalid(f"a password has at least {MIN_PASSWORD} characters", "password")
    if len(password) > MAX_PASSWORD:
        raise invalid(f"a password has at most {MAX_PASSWORD} characters", "password")


async def _station(station_id: int | None, field: str = "stationId") -> Station | None:
    if station_id is None:
        return None
    station = await Station.get_or_none(id=station_id)
    if station is None:
        raise not_found("station", field)
    return station


async def register(
    *,
    phone: str,
    password: str,
    name: str,
    role: Role,
    station_id: int | None,
    secret: str,
    ttl_seconds: int,
    language: Language = Language.ZH,
) -> SignedIn:
    """Open a BUYER or FARMER account; other roles are given by an admin. `language` is the
    one their notifications are written in."""
    number = normalize_phone(phone)
    _check_password(password)
    name = name.strip()
    if not 1 <= len(name) <= 50:
        raise invalid("a name has 1 to 50 characters", "name")
    if role not in SELF_SERVICE_ROLES:
        raise invalid("you can register as a BUYER or a FARMER", "role")
    station = await _station(station_id)
    if role is Role.FARMER and station is None:
        raise invalid("a farmer hands produce over at a station: choose one", "stationId")
    password_hash = await new_password_hash(password)  # off the event loop, before the tx
    try:
        async with in_transaction():
            user = await User.create(
                phone=number,
                name=name,
                password_hash=password_hash,
                roles=[role.value],
                station=station,
                language=Language(language).value,
            )
    except IntegrityError as exc:
        raise DomainError(
            ErrorCode.ALREADY_EXISTS, "that phone number is already registered", ["phone"]
        ) from exc
    return SignedIn(
        token=issue_token(user_id=user.id, secret=secret, ttl_seconds=ttl_seconds), user=user
    )


async def login(
    *,
    phone: str,
    password: str,
    secret: str,
    ttl_seconds: int,
    address: str = "unknown",
    throttle: LoginThrottle | None = None,
) -> SignedIn:
    """Sign in. The phone number is validated first (INVALID_INPUT, nothing kept). With a
    `throttle`, repeated wrong passwords for one phone number from one client `address` lock that
    pair out for a growing delay (RATE_LIMITED), whether or not the number is registered; a much
    higher ceiling per phone number holds across addresses, except the ones it signed in from.
    An unknown number costs one password verification, as a wrong password does."""
    number = normalize_phone(phone)
    device = f"{number}@{address}"
    if throttle is not None:
        wait = await throttle.per_device.locked_for(device)
        if not await throttle.known_devices.marked(device):
            wait = max(wait, await throttle.per_phone.locked_for(number))
        if wait > 0:
            raise RateLimited(wait, "too many failed sign-ins for this phone number")
    user = await User.get_or_none(phone=number)
    # The same answer, and the same work, for an unknown phone and a wrong password.
    if not await check_password(user.password_hash if user else None, password) or user is None:
        if throttle is not None:
            await throttle.per_device.record_failure(device)
            await throttle.per_phone.record_failure(number)
        raise DomainError(ErrorCode.UNAUTHENTICATED, "wrong phone number or password", ["password"])
    if throttle is not None:
        await throttle.per_device.record_success(device)
        await throttle.known_devices.mark(device)
    return SignedIn(
        token=issue_token(user_id=user.id, secret=secret, ttl_seconds=ttl_seconds), user=user
    )


ROLE_ASSIGNED = "ROLE_ASSIGNED"


async def assign_role(
    *, viewer: Viewer | None, user_id: int, role: Role, station_id: int | None
) -> User:
    """Give a user a role (ADMIN only). A LEADER needs the station they run."""
    require_role(viewer, Role.ADMIN)
    station = await _station(station_id)
    if role is Role.LEADER and station is None:
        raise invalid("a leader runs a station: give stationId", "stationId")
    async with in_transaction():
        user = await User.select_for_update().get_or_none(id=user_id)
        if user is None:
            raise not_found("user", "userId")
        if role.value not in user.roles:
            user.roles = [*user.roles, role.value]
        if station is not None:
            user.station_id = station.id
        await user.save(update_fields=["roles", "station_id"])
        # A station's leader and a user's roles show in trips and manifests: the event tells the
        # response cache, and the user hears of their new role.
        await outbox.record(
            ROLE_ASSIGNED,
            message=f"You are now {role.value}"
            + (f" of station {station.name}." if station is not None else "."),
            user_ids=(user.id,),
        )
    return user
