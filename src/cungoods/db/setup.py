"""Tortoise set-up: the config for a database URL, connecting, migrating, and the drift check."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import asyncpg
from tortoise import Tortoise
from tortoise.backends.base.config_generator import expand_db_url
from tortoise.context import TortoiseContext
from tortoise.migrations.api import migrate as tortoise_migrate
from tortoise.migrations.autodetector import MigrationAutodetector

from cungoods.config import Settings

APP_LABEL = "models"
MIGRATIONS_MODULE = "cungoods_migrations"
DEFAULT_PG_POOL = 40


def normalize_url(url: str) -> str:
    """Accept the usual spellings and size the PostgreSQL pool (asyncpg's default of 5 starves
    a server under load, and waiting tasks have no timeout)."""
    if url.startswith("postgresql://"):
        url = "postgres://" + url.removeprefix("postgresql://")
    if url.startswith("postgres://"):
        parts = urlsplit(url)
        query = dict(parse_qsl(parts.query))
        query.setdefault("maxsize", str(DEFAULT_PG_POOL))
        url = urlunsplit(parts._replace(query=urlencode(query)))
    return url


class PooledConnection(asyncpg.Connection):
    """A pool connection that skips the reset statement asyncpg sends on every release.

    That statement (`pg_advisory_unlock_all(); CLOSE ALL; UNLISTEN *; RESET ALL`) costs one
    more round trip per query outside a transaction and per transaction, and undoes session
    state this server never leaves behind: no advisory locks, no cursors outside a transaction,
    no LISTEN (the broker has its own connection, events/pg_listener.py), no session-level SET.
    An open transaction is still rolled back on release (asyncpg does that before the query)."""

    def get_reset_query(self) -> str:
        return ""


def _connection(database_url: str) -> str | dict[str, Any]:
    url = normalize_url(database_url)
    if not url.startswith("postgres://"):
        return url
    config: dict[str, Any] = expand_db_url(url)
    config["credentials"]["connection_class"] = PooledConnection
    return config


def tortoise_config(database_url: str) -> dict[str, Any]:
    return {
        "connections": {"default": _connection(database_url)},
        "apps": {
            APP_LABEL: {
                "models": ["cungoods.models"],
                "migrations": MIGRATIONS_MODULE,
                "default_connection": "default",
            }
        },
        "use_tz": True,
        "timezone": "UTC",
    }


def _settings_config() -> dict[str, Any]:
    return tortoise_config(Settings().database_url)


# For the `tortoise` CLI (`tortoise -c cungoods.db.setup.TORTOISE_ORM makemigrations`).
TORTOISE_ORM = _settings_config()


async def connect(database_url: str) -> None:
    """Open the connections for this process (global fallback on, so every task sees them)."""
    await Tortoise.init(config=tortoise_config(database_url), _enable_global_fallback=True)


async def close() -> None:
    await Tortoise.close_connections()


async def migrate(database_url: str) -> None:
    """Apply every pending migration."""
    async with TortoiseContext():
        await tortoise_migrate(config=tortoise_config(database_url))


async def pending_model_changes() -> list[str]:
    """Names of the migrations `makemigrations` would write: empty when models and migrations
    agree. Needs no database."""
    config = tortoise_config("sqlite://:memory:")
    async with TortoiseContext() as ctx:
        await ctx.init(config=config, init_connections=False)
        assert ctx.apps is not None
        writers = await MigrationAutodetector(ctx.apps, config["apps"]).changes()
    return [writer.name for writer in writers]


async def make_migrations() -> list[str]:
    """Write a migration for whatever changed in the models; returns the files written."""
    config = tortoise_config("sqlite://:memory:")
    async with TortoiseContext() as ctx:
        await ctx.init(config=config, init_connections=False)
        assert ctx.apps is not None
        return [str(path) for path in await MigrationAutodetector(ctx.apps, config["apps"]).write()]
