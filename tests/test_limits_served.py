"""Limits as real server processes see them (issue 16, items 7 and 8): X-Forwarded-For is
believed only from the configured proxies, and with CUNGOODS_REDIS_URL two processes share one
limit. Each server is `cungoods serve` on its own SQLite file and an ephemeral port; clients
connect from their own loopback address (127.x.y.z), so each test has keys of its own."""

from __future__ import annotations

import os
import random
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from cungoods.config import Settings
from cungoods.services.ratelimit import RedisBackoff, redis_storage

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
REDIS_URL = "redis://127.0.0.1:6379/0"
LOGIN = """
mutation($p: String!) {
  login(input: {phone: $p, password: "wrong-pass"}) { errors { code message } }
}
"""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _loopback() -> str:
    return f"127.{random.randint(1, 254)}.{random.randint(1, 254)}.{random.randint(2, 254)}"


@pytest.fixture
def redis_answers() -> None:
    try:
        socket.create_connection(("127.0.0.1", 6379), timeout=1).close()
    except OSError as exc:
        if IN_CI:
            pytest.fail(f"Redis does not answer at 127.0.0.1:6379: {exc}")
        pytest.skip(f"Redis does not answer at 127.0.0.1:6379: {exc}")


@pytest.fixture
def serve(tmp_path: Path, backend: str) -> Iterator[Callable[..., str]]:
    """Start `cungoods serve` processes with some settings; yields their base URLs."""
    if not backend.startswith("sqlite"):
        pytest.skip("the served processes run on their own SQLite files")
    processes: list[subprocess.Popen[bytes]] = []

    def start(**settings: str) -> str:
        folder = tmp_path / f"server{len(processes)}"
        folder.mkdir()
        port = _free_port()
        env = {k: v for k, v in os.environ.items() if not k.startswith("CUNGOODS_")}
        env |= {"CUNGOODS_DEMO": "false", "CUNGOODS_LOG_LEVEL": "WARNING"}
        env |= {f"CUNGOODS_{name.upper()}": value for name, value in settings.items()}
        process = subprocess.Popen(
            [sys.executable, "-m", "cungoods.cli", "serve", "--port", str(port)],
            cwd=folder,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        processes.append(process)
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise AssertionError(process.stderr.read().decode() if process.stderr else "exit")
            try:
                if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                    return url
            except httpx.TransportError:
                time.sleep(0.2)
        raise AssertionError("the server did not come up")

    yield start
    for process in processes:
        process.terminate()
    for process in processes:
        process.wait(timeout=20)


def login_from(url: str, source: str, phone: str, forwarded_for: str | None = None) -> Any:
    """One login mutation from the local address `source`; its error code."""
    headers = {"X-Forwarded-For": forwarded_for} if forwarded_for else {}
    with httpx.Client(transport=httpx.HTTPTransport(local_address=source), timeout=30) as http:
        response = http.post(
            f"{url}/graphql", json={"query": LOGIN, "variables": {"p": phone}}, headers=headers
        )
    return response.json()["data"]["login"]["errors"][0]["code"]


# One mutation per address and minute: the second from the same address is refused.
ONE_PER_ADDRESS = {"rate_limit_address_burst": "1", "rate_limit_address_per_minute": "1"}


def test_forwarded_for_is_honoured_from_a_trusted_proxy_and_ignored_from_anyone_else(
    serve: Callable[..., str],
) -> None:
    # Given a server that trusts one proxy, 127.0.0.1, and one that trusts nobody (the default)
    proxy = serve(forwarded_allow_ips="127.0.0.1", **ONE_PER_ADDRESS)
    default = serve(**ONE_PER_ADDRESS)
    untrusted = _loopback()

    # When the proxy forwards two clients, and an untrusted peer claims two client addresses
    via_proxy = [login_from(proxy, "127.0.0.1", "13912340101", f"203.0.113.{n}") for n in (1, 2)]
    spoofed = [login_from(proxy, untrusted, "13912340102", f"203.0.113.{n}") for n in (3, 4)]
    # ... and the same proxy's header goes to a server that trusts no proxy
    no_trust = [login_from(default, "127.0.0.1", "13912340103", f"203.0.113.{n}") for n in (5, 6)]

    # Then the proxy's clients count apart, while the untrusted peer is one address
    assert via_proxy == ["UNAUTHENTICATED", "UNAUTHENTICATED"]
    assert spoofed == ["UNAUTHENTICATED", "RATE_LIMITED"]
    assert no_trust == ["UNAUTHENTICATED", "RATE_LIMITED"]


def test_two_processes_on_one_redis_share_one_limit(
    serve: Callable[..., str], redis_answers: None
) -> None:
    # Given two server processes on one Redis, two mutations per address
    limits = {"redis_url": REDIS_URL, "rate_limit_address_burst": "2"}
    first = serve(**limits, rate_limit_address_per_minute="2")
    second = serve(**limits, rate_limit_address_per_minute="2")
    me = _loopback()

    # When one address uses the limit up on the first process, then asks the second
    used = [login_from(first, me, f"1391234020{n}") for n in (1, 2)]
    then = login_from(second, me, "13912340203")
    other = login_from(second, _loopback(), "13912340204")

    # Then the second process refuses it, and another address is still served
    assert used == ["UNAUTHENTICATED", "UNAUTHENTICATED"]
    assert then == "RATE_LIMITED"
    assert other == "UNAUTHENTICATED"


async def test_the_login_back_off_in_redis_is_one_count_for_every_process(
    redis_answers: None, settings: Settings
) -> None:
    # Given two processes' back-offs (each its own connection) on one Redis
    key = f"13912340301@{_loopback()}"
    one, two = (
        RedisBackoff(redis_storage(REDIS_URL), name="test-login", free_failures=3, base_seconds=30)
        for _ in range(2)
    )

    # When failures are recorded alternately on both
    for backoff in (one, two, one):
        assert await backoff.locked_for(key) == 0.0
        await backoff.record_failure(key)

    # Then both see the lock-out, and a success on one clears it for both
    assert 25 <= await two.locked_for(key) <= 30
    assert 25 <= await one.locked_for(key) <= 30
    await one.record_success(key)
    assert await two.locked_for(key) == 0.0
