"""Prometheus metrics of this process, served at /metrics.

No GraphQL and no web framework here, so any layer may count what it does (services/capacity/
counts reservations, the broker counts events). Every metric lives in the process-wide default
registry; with several uvicorn workers each worker reports its own numbers, so scrape each
worker (or run one per container) and sum in Prometheus.

The metrics:

- ``cungoods_graphql_requests_total{operation, type}`` and
  ``cungoods_graphql_request_duration_seconds{operation, type}``: GraphQL operations by
  operation name (``anonymous`` without one) and type (query, mutation, subscription; ``unknown``
  when the document did not parse). A subscription's duration is how long it stayed open.
- ``cungoods_errors_total{code, source}``: failures by code. ``source="payload"`` counts the
  UserErrors mutation payloads carry (NO_CAPACITY, RATE_LIMITED, ...); ``source="graphql"`` the
  errors in a response's ``errors`` list, by their ``extensions.code`` (INTERNAL for masked
  unexpected ones, GRAPHQL_VALIDATION_FAILED, GRAPHQL_PARSE_FAILED, QUERY_TOO_COSTLY, ...).
- ``cungoods_unexpected_errors_total``: unexpected exceptions (masked for clients, logged once).
- ``cungoods_reservations_total{direction}`` and ``cungoods_no_capacity_total{direction}``:
  capacity reserved on a trip, and reservations a leg refused (NO_CAPACITY). Counted when the
  reservation statement ran; the surrounding transaction may still roll back.
- ``cungoods_open_subscriptions``: subscriptions open now (the event broker increments it when
  one starts and decrements it when it ends).
- ``cungoods_events_published_total`` and ``cungoods_events_delivered_total{path}``: outbox
  events the broker picked up (one per event, in this process) and events sent to subscribers
  (one per event per subscriber), by ``path``: ``direct`` when the subscription sent a result
  shared with other subscribers straight to its socket (api/transport/lane.py), ``executed``
  when it went through GraphQL execution.
- ``cungoods_db_pool_connections{state}``: database connections of this process, read at scrape
  time: ``in_use``, ``idle`` and ``max`` of the asyncpg pool on PostgreSQL; on SQLite (one
  connection) ``in_use`` is 1 while a statement or transaction holds it, else 0.
- ``cungoods_response_cache_total{outcome}``: read-only queries by what the response cache
  (api/extensions/response_cache.py) did: ``hit``, ``miss``, ``invalidated`` (an entry an event
  made out of date, dropped and recomputed; also counted as a miss), ``stored``; with
  ``cungoods_response_cache_entries`` and ``cungoods_response_cache_bytes`` for its size.
- ``cungoods_http_requests_total{route, status}``: HTTP requests by route (``/graphql``,
  ``/metrics``, ``/healthz``, ``/readyz``, ``other``) and status code.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from typing import Any

from prometheus_client import REGISTRY, Counter, Gauge, Histogram, disable_created_metrics
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

# The `_created` series double the output and say nothing a scrape's counter reset does not.
disable_created_metrics()  # type: ignore[no-untyped-call]

GRAPHQL_REQUESTS = Counter(
    "cungoods_graphql_requests_total",
    "GraphQL operations by operation name and type.",
    ["operation", "type"],
)
GRAPHQL_DURATION = Histogram(
    "cungoods_graphql_request_duration_seconds",
    "Time to answer a GraphQL operation (how long it stayed open, for a subscription).",
    ["operation", "type"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)
ERRORS = Counter(
    "cungoods_errors_total",
    "Failures by code: UserErrors in mutation payloads (source=payload) and errors in GraphQL "
    "responses (source=graphql).",
    ["code", "source"],
)
UNEXPECTED_ERRORS = Counter(
    "cungoods_unexpected_errors_total",
    "Unexpected exceptions: masked for clients and logged once with the request id.",
)
RESERVATIONS = Counter(
    "cungoods_reservations_total",
    "Capacity reservations made on trips, by direction (DOWN or UP).",
    ["direction"],
)
NO_CAPACITY = Counter(
    "cungoods_no_capacity_total",
    "Capacity reservations refused because a leg was full (NO_CAPACITY), by direction.",
    ["direction"],
)
OPEN_SUBSCRIPTIONS = Gauge(
    "cungoods_open_subscriptions",
    "GraphQL subscriptions open in this process.",
)
EVENTS_PUBLISHED = Counter(
    "cungoods_events_published_total",
    "Outbox events the broker of this process picked up to fan out.",
)
EVENTS_DELIVERED = Counter(
    "cungoods_events_delivered_total",
    "Events sent to subscribers (one per event per subscriber), by path: direct (a shared "
    "result sent straight to the socket) or executed (through GraphQL execution).",
    ["path"],
)
# Bound once: one event reaches thousands of subscribers.
DELIVERED_DIRECT = EVENTS_DELIVERED.labels(path="direct")
DELIVERED_EXECUTED = EVENTS_DELIVERED.labels(path="executed")
RESPONSE_CACHE = Counter(
    "cungoods_response_cache_total",
    "Read-only queries by what the response cache did: hit (served from the cache), miss "
    "(computed), invalidated (an entry found out of date by an event, dropped, recomputed), "
    "stored (an answer kept).",
    ["outcome"],
)
RESPONSE_CACHE_SIZE = Gauge(
    "cungoods_response_cache_entries", "Answers the response cache of this process holds."
)
RESPONSE_CACHE_BYTES = Gauge(
    "cungoods_response_cache_bytes", "Bytes of JSON the response cache of this process holds."
)
SMS = Counter(
    "cungoods_sms_total",
    "Text messages to the SMS provider by outcome: sent, retried (an attempt failed and it "
    "waits to go again), failed (given up after the last attempt).",
    ["outcome"],
)
HTTP_REQUESTS = Counter(
    "cungoods_http_requests_total",
    "HTTP requests by route and status code.",
    ["route", "status"],
)

# Operation names come from clients: only well-formed names become label values, and only so
# many of them, so a client cannot blow up the number of time series.
_OPERATION_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")
MAX_OPERATION_LABELS = 500
_seen_operations: set[str] = set()


def operation_label(name: str | None) -> str:
    """The label value for an operation name: the name, ``anonymous``, or ``other``."""
    if not name:
        return "anonymous"
    if not _OPERATION_NAME.match(name):
        return "other"
    if name not in _seen_operations:
        if len(_seen_operations) >= MAX_OPERATION_LABELS:
            return "other"
        _seen_operations.add(name)
    return name


def count_errors(codes: Iterable[str], *, source: str) -> None:
    for code in codes:
        ERRORS.labels(code=code, source=source).inc()


class DatabasePoolCollector(Collector):
    """Reads the database connections of this process when Prometheus scrapes."""

    def collect(self) -> Iterator[GaugeMetricFamily]:
        family = GaugeMetricFamily(
            "cungoods_db_pool_connections",
            "Database connections of this process by state (in_use, idle, max).",
            labels=["state"],
        )
        for state, value in _pool_state().items():
            family.add_metric([state], value)
        yield family


def _pool_state() -> dict[str, float]:
    client = _default_client()
    if client is None:
        return {"in_use": 0, "idle": 0, "max": 0}
    pool = getattr(client, "_pool", None)
    if pool is not None:  # asyncpg
        size, idle = pool.get_size(), pool.get_idle_size()
        return {"in_use": size - idle, "idle": idle, "max": pool.get_max_size()}
    lock = getattr(client, "_lock", None)  # SQLite: one connection behind a lock
    in_use = 1 if lock is not None and lock.locked() else 0
    return {"in_use": in_use, "idle": 1 - in_use, "max": 1}


def _default_client() -> Any:
    from tortoise import connections

    try:
        return connections.get("default")
    except Exception:  # not connected (yet, or any more): nothing to report
        return None


REGISTRY.register(DatabasePoolCollector())
for _outcome in ("hit", "miss", "invalidated", "stored"):
    RESPONSE_CACHE.labels(outcome=_outcome)
for _direction in ("DOWN", "UP"):  # shown as 0 from the start, so rates work from the start
    RESERVATIONS.labels(direction=_direction)
    NO_CAPACITY.labels(direction=_direction)
