"""Answer repeated read-only queries from a per-process cache that never serves stale data.

Frontends read far more than they write: the board refetches on every event, every leader opens
the manifest when the bus arrives. The same document with the same variables, asked by viewers
who may see the same things, gets the same answer until something it shows changes, and every
such change records an outbox event in its own transaction. So:

- **Key**: the query text, the operation name, the variables and the viewer's *visibility
  scope* (`scope_of`). Anonymous callers share one scope; every signed-in viewer is a scope of
  their own, whatever their roles: what a read shows depends on who asks even for dispatchers
  (their own orders in `myOrders`, the pickup code of an order they bought in `order`), so a
  leader's manifest is never served to a dispatcher, nor one dispatcher's answer to another.
  The roles and station are in the scope too, and the viewer is read from the database on every
  request, so a role change is a new scope at once.
- **Validity**: before computing an answer the cache takes an outbox mark
  (events/watermark.py); before serving a cached answer it rechecks, with one indexed query,
  that no event that concerns the answer has committed since. A mutation commits its event
  before its response leaves, so once a client has the response no process (this one or
  another sharing the database) serves an answer from before it.
- **Topics**: an event concerns an answer unless both are about trips and not the same ones.
  Every event records the trip it changed (order and purchase events the trip they ride, a
  move the trips on both ends); events of no trip (the network, the catalogue, listings,
  roles) concern every answer. A root field says which trips its answer shows
  (`answer_shows_trips`: a trip, its manifests, pick list and loading plan, an order, the
  trips of a date); an answer with any other root field, or selecting a field that shows rows
  every trip's writes change (`SHARED_FIELDS`: a sale item's stock, a listing's quantity), is
  concerned by every event. So a leader's manifest outlives the other buses' arrivals, and the
  board's burst of refetches after an event is served by the first one's answer.
- **What is cached**: only queries (never mutations or subscriptions), only answers without
  errors, only documents whose root fields are all in `CACHEABLE_ROOTS` and that select none
  of `UNCACHEABLE_FIELDS` (values that change without an event: wallet balances move by ledger
  entries alone, produce requests and offers record no events, `isOpen` moves with the clock,
  a user's `language` with `setLanguage`).
- **Two doors**: this extension answers inside the schema (any transport); over HTTP the view
  asks the same store first (`answer_again`), so a repeated query skips the operation's
  machinery, with the same key and the same recheck. The view starts that recheck while the
  viewer is still being read (`look_ahead`), for the scope the token signed in as last time,
  and uses it only if the viewer still has that scope: a hit waits for one round trip, not
  two.
- **Bounds**: entries and bytes (CUNGOODS_RESPONSE_CACHE_ENTRIES, ..._BYTES), least recently
  used first out. CUNGOODS_RESPONSE_CACHE=0 leaves the extension out of the schema.
"""

from __future__ import annotations

import asyncio
import json
from collections import OrderedDict
from collections.abc import AsyncIterator, Awaitable, Iterable
from dataclasses import dataclass
from typing import Any, TypeVar

import orjson
from graphql import DocumentNode, ExecutionResult, FieldNode, OperationDefinitionNode, visit
from graphql.language import Visitor
from strawberry.extensions import SchemaExtension
from strawberry.types import ExecutionResult as Response
from strawberry.types.graphql import OperationType

from cungoods.api.context import Context, Info, start_early
from cungoods.db.errors import is_database_unavailable
from cungoods.events import watermark
from cungoods.observability import metrics

# Root fields whose answers change only by writes that record an outbox event (the network,
# trips and their load, manifests, pick lists, loading plans, a villager's orders: every change
# of an order's status, payment or refund records one, services/money and events/outbox.py).
CACHEABLE_ROOTS = frozenset(
    {
        "trips",
        "trip",
        "stationManifest",
        "pickList",
        "loadingPlan",
        "routes",
        "stations",
        "myOrders",
        "order",
    }
)
# Fields that change without an event (or with the clock): a document selecting one is not cached.
UNCACHEABLE_FIELDS = frozenset({"wallet", "offer", "offers", "request", "isOpen", "language"})
# Fields showing rows that any trip's writes change (an order on one bus takes a sale item's
# stock, a purchase a listing's quantity): a document selecting one is concerned by every event.
SHARED_FIELDS = frozenset({"saleItem", "items", "listing"})
MAX_PLANS = 512  # documents whose cacheability is remembered

T = TypeVar("T")


def scope_of(context: Context) -> str | None:
    """What the viewer may see, as a key part: viewers with equal scopes get equal answers.
    None when the request carried a token that was refused (never cached)."""
    if context.auth_error is not None:
        return None
    viewer = context.viewer
    if viewer is None:
        return "anonymous"
    roles = ",".join(sorted(str(role) for role in viewer.roles))
    return f"user:{viewer.id}|roles:{roles}|station:{viewer.station_id}"


def request_key(
    context: Context, query: str, operation_name: str | None, variables: dict[str, Any] | None
) -> tuple[str, ...] | None:
    """Where an answer is kept: the viewer's scope, the operation name as the request gave it,
    the variables and the query text. None for a viewer whose answers are never kept."""
    scope = scope_of(context)
    if scope is None:
        return None
    return _key_in(scope, query, operation_name, variables)


def _key_in(
    scope: str, query: str, operation_name: str | None, variables: dict[str, Any] | None
) -> tuple[str, ...]:
    return (
        scope,
        operation_name or "",
        json.dumps(variables or {}, sort_keys=True, default=str),
        query,
    )


class _FieldNames(Visitor):
    def __init__(self) -> None:
        super().__init__()
        self.names: set[str] = set()

    def enter_field(self, node: FieldNode, *_: Any) -> None:
        self.names.add(node.name.value)


@dataclass(frozen=True, slots=True)
class Plan:
    """A cacheable document: its operation's name, and whether its root fields' trips may scope
    it (no shared field)."""

    operation_name: str | None
    by_trip: bool


def answer_shows_trips(info: Info, trip_ids: Iterable[int]) -> None:
    """Called by a root field's resolver: its answer shows these trips and what they carry,
    nothing else that a trip's writes change, so only their events (and events of no trip)
    concern it. Below the root it is a no-op: the root's word covers the whole answer."""
    if info.path.prev is None:
        info.context.trips_shown[str(info.path.key)] = frozenset(trip_ids)


def cacheable(document: DocumentNode, operation_name: str | None) -> Plan | None:
    """The plan of a query of cacheable root fields selecting no uncacheable one, else None."""
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    chosen = [
        op
        for op in operations
        if operation_name is None or (op.name is not None and op.name.value == operation_name)
    ]
    if len(chosen) != 1 or chosen[0].operation.value != "query":
        return None
    roots = {
        selection.name.value
        for selection in chosen[0].selection_set.selections
        if isinstance(selection, FieldNode)
    }
    if len(roots) != len(chosen[0].selection_set.selections):
        return None  # fragments at the root: not worth resolving, just compute
    if not roots or not (roots - {"__typename"}) <= CACHEABLE_ROOTS:
        return None
    names = _FieldNames()
    visit(document, names)  # every field of every fragment, used or not: stays on the safe side
    if names.names & UNCACHEABLE_FIELDS:
        return None
    name = chosen[0].name.value if chosen[0].name is not None else None
    return Plan(operation_name=name, by_trip=not names.names & SHARED_FIELDS)


@dataclass(slots=True)
class Entry:
    data: dict[str, Any]
    mark: watermark.Mark  # moved forward by every recheck it passes
    size: int
    trips: frozenset[int] | None  # the only trips whose events concern it; None: every event
    # The response's extensions (its cost), once the view has seen them: only then may the
    # view answer from this entry before the schema runs (`answer_again`).
    extensions: dict[str, Any] | None = None

    def concerns(self, changed: watermark.Trips) -> bool:
        """Whether an event that changed these trips (None: of no trip) may change the answer."""
        return self.trips is None or changed is None or not self.trips.isdisjoint(changed)


class ResponseStore:
    """The answers of one process: an LRU bounded by entries and by bytes."""

    def __init__(self, *, max_entries: int, max_bytes: int) -> None:
        self.max_entries = max_entries
        self.max_bytes = max_bytes
        self._entries: OrderedDict[tuple[str, ...], Entry] = OrderedDict()
        self._bytes = 0
        self._plans: OrderedDict[tuple[str, str], Plan | None] = OrderedDict()
        # The scope each bearer token last signed in as, for `look_ahead`'s guess.
        self._scopes: OrderedDict[str, str] = OrderedDict()

    def __len__(self) -> int:
        return len(self._entries)

    @property
    def bytes(self) -> int:
        return self._bytes

    def plan(self, text: str, operation_name: str | None, document: DocumentNode) -> Plan | None:
        key = (text, operation_name or "")
        if key in self._plans:
            return self._plans[key]
        known = self._plans[key] = cacheable(document, operation_name)
        while len(self._plans) > MAX_PLANS:
            self._plans.popitem(last=False)
        return known

    def known_plan(self, text: str, operation_name: str | None) -> Plan | None:
        """The plan of a document seen before; None if it is not cacheable or not seen yet."""
        return self._plans.get((text, operation_name or ""))

    def remember_scope(self, token: str, scope: str) -> None:
        self._scopes[token] = scope
        self._scopes.move_to_end(token)
        while len(self._scopes) > self.max_entries:
            self._scopes.popitem(last=False)

    def last_scope(self, token: str) -> str | None:
        return self._scopes.get(token)

    def get(self, key: tuple[str, ...]) -> Entry | None:
        entry = self._entries.get(key)
        if entry is not None:
            self._entries.move_to_end(key)
        return entry

    def put(self, key: tuple[str, ...], entry: Entry) -> None:
        if entry.size > self.max_bytes:
            return
        self.drop(key)
        self._entries[key] = entry
        self._bytes += entry.size
        while len(self._entries) > self.max_entries or self._bytes > self.max_bytes:
            _, old = self._entries.popitem(last=False)
            self._bytes -= old.size
        self._report()

    def drop(self, key: tuple[str, ...]) -> None:
        old = self._entries.pop(key, None)
        if old is not None:
            self._bytes -= old.size
            self._report()

    def _report(self) -> None:
        metrics.RESPONSE_CACHE_SIZE.set(len(self._entries))
        metrics.RESPONSE_CACHE_BYTES.set(self._bytes)


def _horizon(context: Context) -> int | None:
    broker = context.broker
    if broker is None or not broker.started or not broker.connected:
        return None
    horizon: int = broker.horizon
    return horizon


async def _proven(check: Awaitable[T]) -> T | None:
    """A watermark query's answer, or None while the database is unreachable: the cache then
    steps aside (no hit, nothing stored) and the resolvers meet the outage themselves, so the
    client gets the one coded DATABASE_UNAVAILABLE answer (api/errors.py), not a raw error
    from an extension."""
    try:
        return await check
    except Exception as error:
        if is_database_unavailable(error):
            return None
        raise


@dataclass(frozen=True, slots=True)
class Hit:
    result: Response
    operation_name: str | None  # the document's own, for the log line and the metrics


@dataclass(frozen=True, slots=True)
class Ahead:
    """The one watermark query a request will need, started over HTTP while its viewer is
    still being read (`look_ahead`): the recheck of the answer kept under the scope its token
    signed in as last time, or, with none kept there, a mark for computing it. Used only if
    the viewer turns out to have that scope; any other outcome asks again, as without it."""

    entry: Entry | None  # the entry kept under the guessed key, which `recheck` rechecks
    recheck: asyncio.Future[watermark.Recheck | None] | None
    mark: asyncio.Future[watermark.Mark | None] | None


def look_ahead(
    store: ResponseStore,
    context: Context,
    *,
    query: str,
    operation_name: str | None,
    variables: dict[str, Any] | None,
) -> Ahead | None:
    """Start, beside the viewer's read, the watermark query `answer_again` or the extension
    will need: a request then waits for one round trip where it waited for two. It is taken
    after the request arrived, so it proves as much as one taken after the viewer's read.
    None for a document not known cacheable, or without a token (no read to run beside)."""
    if context.token is None or store.known_plan(query, operation_name) is None:
        return None
    scope = store.last_scope(context.token)
    key = _key_in(scope, query, operation_name, variables) if scope is not None else None
    entry = store.get(key) if key is not None else None
    if entry is not None and entry.extensions is not None:
        return Ahead(entry=entry, recheck=start_early(_recheck(entry, context)), mark=None)
    mark = start_early(_proven(watermark.take(horizon=_horizon(context))))
    return Ahead(entry=None, recheck=None, mark=mark)


async def answer_again(
    store: ResponseStore,
    context: Context,
    *,
    query: str,
    operation_name: str | None,
    variables: dict[str, Any] | None,
    ahead: Ahead | None = None,
) -> Hit | None:
    """A kept answer, checked as `ResponseCache` checks it, before the schema runs (the HTTP
    view asks first): a hit then costs the key, the recheck and the response, not the ~50
    extension hooks, the parse and validation lookups and the cost estimate of an operation.
    Only a document that ran before (its plan is known) and whose response's extensions are
    kept: the same text with the same variables validates and costs the same again. None to
    run the operation: the extension then computes, keeps or (while the database is away)
    steps aside as for any request. `ahead`: the watermark query `look_ahead` started."""
    scope = scope_of(context)
    if scope is not None and context.token is not None:
        store.remember_scope(context.token, scope)
    plan = store.known_plan(query, operation_name)
    if plan is None:
        return None
    key = _key_in(scope, query, operation_name, variables) if scope is not None else None
    entry = store.get(key) if key is not None else None
    if key is None or entry is None or entry.extensions is None:
        if key is not None and entry is None and ahead is not None and ahead.mark is not None:
            context.cache_mark = await ahead.mark  # the extension computes from it
        return None
    # The same entry object is the one kept under the same key: the viewer kept its scope.
    if ahead is not None and ahead.recheck is not None and ahead.entry is entry:
        found = await ahead.recheck
    else:
        found = await _recheck(entry, context)
    if not _still_good(store, key, entry, context, found):
        return None  # the operation runs (from the recheck's mark, or into the outage)
    result = Response(data=entry.data, errors=None, extensions=entry.extensions)
    return Hit(result=result, operation_name=plan.operation_name)


async def _recheck(entry: Entry, context: Context) -> watermark.Recheck | None:
    check = watermark.recheck(entry.mark, horizon=_horizon(context), concerns=entry.concerns)
    return await _proven(check)


def _still_good(
    store: ResponseStore,
    key: tuple[str, ...],
    entry: Entry,
    context: Context,
    found: watermark.Recheck | None,
) -> bool:
    """Judge a kept answer by its recheck: True (a hit, counted) with its mark moved forward if
    nothing that concerns it committed since; else False, the entry dropped and the recheck's
    mark left for the answer this request computes next, or (the database away: no recheck)
    the entry left alone."""
    if found is None:
        return False
    if not found.changed and found.now is not None:
        entry.mark = found.now
        metrics.RESPONSE_CACHE.labels(outcome="hit").inc()
        return True
    store.drop(key)
    metrics.RESPONSE_CACHE.labels(outcome="invalidated").inc()
    context.cache_mark = found.now
    return False


def keep_extensions(
    store: ResponseStore,
    context: Context,
    *,
    query: str,
    operation_name: str | None,
    variables: dict[str, Any] | None,
    result: Response,
) -> None:
    """After an operation ran: the response's extensions (its cost) on the answer it kept, so
    the next request can be answered by `answer_again`. Any request with the same key has the
    same cost, so whichever request kept the answer, these are its extensions."""
    if result.errors or store.known_plan(query, operation_name) is None:
        return  # not a cacheable query (a mutation, say): nothing was kept
    key = request_key(context, query, operation_name, variables)
    entry = store.get(key) if key is not None else None
    if entry is not None and entry.extensions is None:
        entry.extensions = dict(result.extensions or {})


class ResponseCache(SchemaExtension):
    """Serve a cached answer if no event that concerns it committed since it was computed; else
    compute it, keep it if it has no errors."""

    def __init__(self, *, store: ResponseStore) -> None:
        self.store = store

    def _key(self) -> tuple[tuple[str, ...], Plan] | None:
        ec = self.execution_context
        context = ec.context
        if not isinstance(context, Context) or ec.query is None or ec.graphql_document is None:
            return None
        if ec.operation_type is not OperationType.QUERY:
            return None
        # Keyed by the name as the request gave it (None when it gave none), as `answer_again`
        # sees it before the document is parsed; without strawberry's attribute, by the
        # document's name (the view then never finds the plan, and only this path serves).
        provided = getattr(ec, "_provided_operation_name", ec.operation_name)
        plan = self.store.plan(ec.query, provided, ec.graphql_document)
        if plan is None:
            return None
        key = request_key(context, ec.query, provided, ec.variables)
        return (key, plan) if key is not None else None

    async def on_execute(self) -> AsyncIterator[None]:
        keyed = self._key()
        if keyed is None:
            yield
            return
        key, plan = keyed
        context = self.execution_context.context
        entry = self.store.get(key)
        if entry is not None and _still_good(
            self.store, key, entry, context, await _recheck(entry, context)
        ):
            self.execution_context.result = ExecutionResult(data=entry.data)
            yield
            return
        metrics.RESPONSE_CACHE.labels(outcome="miss").inc()
        # The mark is taken before the answer is computed: whatever committed after it is
        # either in the answer or makes the mark fail. A recheck of this request that found
        # the old answer changed has just taken one.
        mark = context.cache_mark or await _proven(watermark.take(horizon=_horizon(context)))
        context.cache_mark = None
        context.trips_shown.clear()
        yield
        result = self.execution_context.result
        if mark is None or result is None or result.errors or not isinstance(result.data, dict):
            return
        # Sized as sent (orjson, api/transport/http_view.py): the standard library's json took
        # a millisecond or more of each miss on a manifest.
        size = len(orjson.dumps(result.data, default=str))
        trips = _trips_of(result.data, context.trips_shown) if plan.by_trip else None
        self.store.put(key, Entry(data=result.data, mark=mark, size=size, trips=trips))
        metrics.RESPONSE_CACHE.labels(outcome="stored").inc()


def _trips_of(data: dict[str, Any], shown: dict[str, frozenset[int]]) -> frozenset[int] | None:
    """The trips an answer shows, if every root field said so (`answer_shows_trips`); None
    (every event concerns it) if any did not."""
    if not data or not all(key in shown for key in data):
        return None
    return frozenset().union(*(shown[key] for key in data))
