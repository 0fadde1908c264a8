"""Which broker a deployment gets. It lives apart from the brokers so that neither imports the
other: the in-memory broker on SQLite, LISTEN/NOTIFY on PostgreSQL."""

from __future__ import annotations

from cungoods.config import Settings
from cungoods.events.broker import Broker
from cungoods.events.memory import MemoryBroker
from cungoods.events.pg_listener import PgBroker


def make_broker(settings: Settings) -> Broker:
    """The broker for this deployment: in memory on SQLite, LISTEN/NOTIFY on PostgreSQL."""
    if settings.is_sqlite:
        return MemoryBroker()
    return PgBroker(database_url=settings.database_url)
