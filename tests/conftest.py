"""Test harness: every test runs on SQLite and on PostgreSQL.

The `backend` fixture is session-scoped and parametrized, so pytest runs the whole suite on one
database, then on the other. Each test starts from empty tables (TRUNCATE on PostgreSQL, DELETE
on SQLite), with the migrations applied once per session. PostgreSQL must answer: in CI
(CI=true) an unreachable server fails the run; elsewhere its tests are skipped with the reason.
Set CUNGOODS_TEST_BACKENDS=sqlite (or postgres) to run one.
"""

from __future__ import annotations

import datetime as dt
import os
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import httpx
import pytest
from tortoise import Tortoise, connections
from tortoise.backends.base import executor

from cungoods.app import create_app
from cungoods.config import Settings
from cungoods.db import setup as db
from cungoods.services import clock

PG_ADMIN_URL = os.environ.get("CUNGOODS_TEST_PG", "postgres://postgres@127.0.0.1:5432/postgres")
BACKENDS = [b for b in os.environ.get("CUNGOODS_TEST_BACKENDS", "sqlite,postgres").split(",") if b]
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
TEST_SECRET = "test-secret-key-for-signing-tokens-0123456789"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    # PostgreSQL-only tests (real concurrency) do not run on SQLite.
    for item in items:
        if item.get_closest_marker("pg_only") and "[sqlite" in item.nodeid:
            item.add_marker(pytest.mark.skip(reason="concurrency is proven on PostgreSQL"))


def _pg_url(database: str) -> str:
    return PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + database


async def _pg_admin() -> asyncpg.Connection:
    return await asyncpg.connect(PG_ADMIN_URL.replace("postgres://", "postgresql://", 1))


@pytest.fixture(scope="session", params=BACKENDS)
async def backend(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[str]:
    """Migrate a fresh database of this backend and connect to it for the session."""
    kind: str = request.param
    pg_database: str | None = None
    if kind == "sqlite":
        url = f"sqlite://{tmp_path_factory.mktemp('db') / 'test.sqlite3'}"
    else:
        try:
            admin = await _pg_admin()
        except (OSError, asyncpg.PostgresError) as exc:
            if IN_CI:
                pytest.fail(f"PostgreSQL does not answer at {PG_ADMIN_URL}: {exc}")
            pytest.skip(f"PostgreSQL does not answer at {PG_ADMIN_URL}: {exc}")
        pg_database = f"cungoods_test_{uuid.uuid4().hex[:10]}"
        await admin.execute(f'CREATE DATABASE "{pg_database}"')
        await admin.close()
        url = _pg_url(pg_database)
    # Tortoise caches INSERT statements per table, not per dialect.
    executor.EXECUTOR_CACHE.clear()
    await db.migrate(url)
    await db.connect(url)
    os.environ["CUNGOODS_TEST_URL"] = url
    try:
        yield url
    finally:
        await Tortoise.close_connections()
        executor.EXECUTOR_CACHE.clear()
        if pg_database:
            admin = await _pg_admin()
            await admin.execute(f'DROP DATABASE IF EXISTS "{pg_database}" WITH (FORCE)')
            await admin.close()


async def reset_database() -> None:
    connection = connections.get("default")
    tables = [model._meta.db_table for model in Tortoise.apps["models"].values()]
    if connection.capabilities.dialect == "postgres":
        quoted = ", ".join(f'"{table}"' for table in tables)
        await connection.execute_script(f"TRUNCATE {quoted} RESTART IDENTITY CASCADE")
    else:
        statements = ["PRAGMA foreign_keys = OFF"]
        statements += [f'DELETE FROM "{table}"' for table in tables]
        statements += ["DELETE FROM sqlite_sequence", "PRAGMA foreign_keys = ON"]
        await connection.execute_script(";\n".join(statements))


@pytest.fixture(autouse=True)
async def clean(backend: str) -> AsyncIterator[None]:
    await reset_database()
    clock.shift(dt.timedelta(0))
    yield
    clock.shift(dt.timedelta(0))


@pytest.fixture
def is_postgres(backend: str) -> bool:
    return backend.startswith("postgres")


@pytest.fixture
def settings(backend: str) -> Settings:
    # Mutation rate limits out of the way (concurrency tests send hundreds at once from one
    # viewer); tests/test_limits.py proves the limiter with its own low limits.
    return Settings(
        database_url=backend,
        secret_key=TEST_SECRET,
        demo=False,
        rate_limit_viewer_burst=1_000_000,
        rate_limit_address_burst=1_000_000,
        # Builders and service calls in tests change rows without the outbox event a use case
        # records, which the response cache relies on; tests/test_response_cache.py turns it on.
        response_cache=False,
    )


@pytest.fixture
async def client(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(settings, manage_db=False)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as http:
        yield http


ROOT = Path(__file__).resolve().parents[1]
