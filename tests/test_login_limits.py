"""Login under attack (issue 16, item 2): password hashing off the event loop, a few logins per
request, no account enumeration by timing, a back-off per phone number and client address that
an attacker cannot turn on the owner, and a throttle store that stays small whatever is sent."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest

from builders import PASSWORD, gql, make_user
from cungoods.app import create_app
from cungoods.config import Settings
from cungoods.services import accounts, auth
from cungoods.services.errors import DomainError, ErrorCode
from cungoods.services.ratelimit import FailureBackoff, LoginThrottle, MemoryMarks

LOGIN = """
mutation($input: LoginInput!) {
  login(input: $input) { token errors { code message field } }
}
"""
ATTACKER = ("203.0.113.66", 40000)
OWNER = ("198.51.100.7", 50000)


def aliased_logins(count: int) -> str:
    fields = " ".join(
        f"l{i}: login(input: $input) {{ token errors {{ code message }} }}" for i in range(count)
    )
    return f"mutation($input: LoginInput!) {{ {fields} }}"


@pytest.fixture
async def http_from(settings: Settings) -> AsyncIterator[Callable[..., httpx.AsyncClient]]:
    """Clients of one app, each from its own client address."""
    app = create_app(settings, manage_db=False)
    clients: list[httpx.AsyncClient] = []

    def make(address: tuple[str, int] = ("127.0.0.1", 123)) -> httpx.AsyncClient:
        transport = httpx.ASGITransport(app=app, client=address)
        http = httpx.AsyncClient(transport=transport, base_url="http://test")
        clients.append(http)
        return http

    yield make
    for http in clients:
        await http.aclose()


@pytest.fixture
def verifications(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The hashes every password verification ran against (a seam on auth.verify_password)."""
    seen: list[str] = []
    real = auth.verify_password

    def counting(password_hash: str, password: str) -> bool:
        seen.append(password_hash)
        return real(password_hash, password)

    monkeypatch.setattr(auth, "verify_password", counting)
    return seen


def login_answer(body: dict[str, Any]) -> dict[str, Any]:
    answer: dict[str, Any] = body["data"]["login"]
    return answer


# --- off the event loop ------------------------------------------------------------------------


async def test_a_trivial_request_is_answered_while_a_login_verifies_its_password(
    http_from: Callable[..., httpx.AsyncClient], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a login whose password verification is held until we let it go
    user = await make_user(phone="13912340001")
    entered, release = threading.Event(), threading.Event()
    real = auth.verify_password

    def held(password_hash: str, password: str) -> bool:
        entered.set()
        release.wait(timeout=10)  # on the event loop this would stall everything below
        return real(password_hash, password)

    monkeypatch.setattr(auth, "verify_password", held)
    http = http_from()
    variables = {"input": {"phone": user.phone, "password": PASSWORD}}
    finished: list[str] = []

    async def sign_in() -> dict[str, Any]:
        body = await gql(http, aliased_logins(3), variables)
        finished.append("login")
        return body

    login = asyncio.create_task(sign_in())
    assert await asyncio.to_thread(entered.wait, 10)

    # When a trivial query arrives while the verification runs
    trivial = await gql(http, "{ __typename }")
    finished.append("typename")
    release.set()
    signed_in = await login

    # Then it is answered first, and the logins still succeed
    assert trivial["data"] == {"__typename": "Query"}
    assert finished == ["typename", "login"]
    assert all(signed_in["data"][f"l{i}"]["token"] for i in range(3))


async def test_more_than_three_logins_in_one_request_are_all_refused_before_any_hashing(
    http_from: Callable[..., httpx.AsyncClient], verifications: list[str]
) -> None:
    user = await make_user(phone="13912340002")
    variables = {"input": {"phone": user.phone, "password": PASSWORD}}

    body = await gql(http_from(), aliased_logins(4), variables)

    answers = [body["data"][f"l{i}"] for i in range(4)]
    assert [a["token"] for a in answers] == [None] * 4
    assert {a["errors"][0]["code"] for a in answers} == {"INVALID_INPUT"}
    assert "at most 3 login fields" in answers[0]["errors"][0]["message"]
    assert verifications == []


# --- no enumeration by timing ------------------------------------------------------------------


async def test_an_unknown_phone_costs_one_verification_like_a_wrong_password(
    http_from: Callable[..., httpx.AsyncClient], verifications: list[str]
) -> None:
    user = await make_user(phone="13912340003")
    http = http_from()

    wrong = login_answer(
        await gql(http, LOGIN, {"input": {"phone": user.phone, "password": "not-it-at-all"}})
    )
    after_wrong = list(verifications)
    unknown = login_answer(
        await gql(http, LOGIN, {"input": {"phone": "13912349999", "password": "not-it-at-all"}})
    )

    assert wrong["errors"] == unknown["errors"]
    assert wrong["errors"][0]["code"] == "UNAUTHENTICATED"
    assert after_wrong == [user.password_hash]
    [dummy] = verifications[1:]
    assert dummy.startswith("$argon2") and dummy != user.password_hash


async def test_a_malformed_phone_is_refused_as_invalid_and_nothing_is_kept(
    http_from: Callable[..., httpx.AsyncClient], verifications: list[str]
) -> None:
    body = await gql(http_from(), LOGIN, {"input": {"phone": "x" * 5000, "password": "whatever1"}})

    [error] = login_answer(body)["errors"]
    assert (error["code"], error["field"]) == ("INVALID_INPUT", ["phone"])
    assert verifications == []


# --- the back-off per phone number and address --------------------------------------------------


async def test_the_owner_signs_in_from_their_address_while_the_attackers_is_locked(
    http_from: Callable[..., httpx.AsyncClient],
) -> None:
    # Given an attacker who guessed wrong five times from their address
    user = await make_user(phone="13912340004")
    attacker, owner = http_from(ATTACKER), http_from(OWNER)
    wrong = {"input": {"phone": user.phone, "password": "guess-guess"}}
    right = {"input": {"phone": user.phone, "password": PASSWORD}}
    guesses = [login_answer(await gql(attacker, LOGIN, wrong)) for _ in range(5)]

    # When the attacker tries again, even with the right password, and the owner signs in
    locked = login_answer(await gql(attacker, LOGIN, right))
    owners = login_answer(await gql(owner, LOGIN, right))

    # Then the attacker's address is locked out and the owner is not
    assert [g["errors"][0]["code"] for g in guesses] == ["UNAUTHENTICATED"] * 5
    assert locked["token"] is None and locked["errors"][0]["code"] == "RATE_LIMITED"
    assert owners["errors"] == [] and owners["token"]


async def test_guessing_spread_over_many_addresses_hits_the_per_phone_ceiling_but_not_the_owner(
    settings: Settings,
) -> None:
    # Given the owner signed in once from their address, and a back-off of 1 free failure per
    # address and 3 across addresses
    user = await make_user(phone="13912340005")
    throttle = LoginThrottle(
        per_device=FailureBackoff(free_failures=1),
        per_phone=FailureBackoff(free_failures=3),
        known_devices=MemoryMarks(keep_seconds=3600),
    )

    async def login(address: str, password: str) -> ErrorCode | None:
        try:
            await accounts.login(
                phone=user.phone,
                password=password,
                secret=settings.signing_key,
                ttl_seconds=60,
                address=address,
                throttle=throttle,
            )
        except DomainError as error:
            return error.code
        return None

    assert await login(OWNER[0], PASSWORD) is None

    # When three addresses guess wrong once each
    guesses = [await login(f"203.0.113.{n}", "guess-guess") for n in range(3)]

    # Then a fourth, new address is locked out by the ceiling, and the owner's is not
    assert guesses == [ErrorCode.UNAUTHENTICATED] * 3
    assert await login("203.0.113.200", PASSWORD) is ErrorCode.RATE_LIMITED
    assert await login(OWNER[0], PASSWORD) is None


# --- a bounded store ---------------------------------------------------------------------------


async def test_garbage_phones_leave_nothing_in_the_throttle_and_valid_ones_stay_bounded(
    settings: Settings,
) -> None:
    throttle = LoginThrottle(
        per_device=FailureBackoff(max_keys=5),
        per_phone=FailureBackoff(max_keys=5),
        known_devices=MemoryMarks(keep_seconds=60, max_keys=5),
    )

    async def attempt(phone: str) -> ErrorCode:
        with pytest.raises(DomainError) as refused:
            await accounts.login(
                phone=phone,
                password="guess-guess",
                secret=settings.signing_key,
                ttl_seconds=60,
                address="203.0.113.1",
                throttle=throttle,
            )
        return refused.value.code

    # Given garbage of every size, up to the 256 KiB a body may carry
    garbage = [f"not-a-phone-{n}" for n in range(300)] + ["1" * 262_000, "１３９１２３４５６７８"]
    codes = {await attempt(phone) for phone in garbage}
    assert codes == {ErrorCode.INVALID_INPUT}
    assert (len(throttle.per_device), len(throttle.per_phone)) == (0, 0)  # type: ignore[arg-type]

    # And many distinct well-formed numbers: the store keeps at most its size
    for n in range(8):
        await attempt(f"1391300{n:04d}")
    assert len(throttle.per_device) == 5  # type: ignore[arg-type]
    assert len(throttle.per_phone) == 5  # type: ignore[arg-type]
