"""Live delivery status: the subscriptions (graphql-transport-ws).

Each subscription asks services/live.py for its topic (who may watch it is decided there), then
streams that topic from the broker: with `after`, the missed events are replayed first, then live
ones follow, in order, each once. A socket's context lives as long as the socket, so the loaders
are renewed for every event: each one is resolved against the database as it is now.

The viewer is renewed before every event too (services/sessions.py, one batched read for all the
subscribers of an event): a subscription whose token expired or whose account is gone ends with
UNAUTHENTICATED, and one whose viewer lost the right to the topic (a demoted leader) ends with
the topic's own refusal (NOT_ALLOWED), before the event is delivered.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Awaitable, Callable
from typing import Annotated

import strawberry

from cungoods.api.context import Info
from cungoods.api.extensions.fanout import share_key
from cungoods.api.ids import from_cursor, pk_of
from cungoods.api.live.types import DeliveryEvent
from cungoods.api.loaders import Loaders
from cungoods.api.transport import lane
from cungoods.events.broker import Broker
from cungoods.observability import metrics
from cungoods.services import live, sessions
from cungoods.services.auth import Viewer, require_viewer
from cungoods.services.errors import DomainError, ErrorCode

Events = AsyncGenerator[DeliveryEvent, None]
# Asks the topic again for a viewer: raises the refusal when they may no longer watch it.
Recheck = Callable[[Viewer | None], Awaitable[object]]


async def _own(viewer: Viewer | None) -> object:
    return require_viewer(viewer)


async def _still_allowed(info: Info, recheck: Recheck) -> None:
    """The viewer as they are now may still watch the topic (else the refusal is raised)."""
    context = info.context
    if context.token is None:
        return  # no token, no viewer: the subscription could not have started
    viewer = await sessions.current_viewer(token=context.token, secret=context.settings.signing_key)
    if viewer != context.viewer:  # a role or the station changed: ask the topic again
        await recheck(viewer)
        context.viewer = viewer


def _share_key(info: Info) -> str | None:
    """The key of the subscription's selection when other subscribers can share its result
    (api/extensions/fanout.py), else None."""
    raw = info._raw_info  # strawberry's Info has no public way to the fragments
    return share_key(raw.schema, raw.operation, raw.fragments)


async def _follow(info: Info, topic: str, after: int | None, recheck: Recheck) -> Events:
    """Stream a topic the viewer may watch, with the viewer checked again and fresh loaders
    for every event. An event whose result another subscriber with the same selection has
    already had is sent straight to the socket (api/transport/lane.py), not yielded."""
    broker: Broker | None = info.context.broker
    if broker is None:
        raise DomainError(ErrorCode.INVALID_STATE, "live updates are not running on this server")
    direct = lane.current()
    key = None if direct is None else _share_key(info)
    async for record in broker.follow(topic, after=after):
        await _still_allowed(info, recheck)
        event = DeliveryEvent.of(record, topic)
        if key is not None and direct is not None and await direct.send_shared(event, key):
            metrics.DELIVERED_DIRECT.inc()
            continue
        metrics.DELIVERED_EXECUTED.inc()
        info.context.loaders = Loaders()
        yield event


After = Annotated[
    str | None,
    strawberry.argument(
        description="Resume after this cursor (a DeliveryEvent's `cursor`): the events missed "
        "since come first."
    ),
]


ReplayToday = Annotated[
    bool,
    strawberry.argument(
        description="Without `after`: replay today's events (since midnight, service time) "
        "first, then follow live, without gap or repeat."
    ),
]


async def _cursor(after: str | None, replay_today: bool) -> int | None:
    cursor = from_cursor(after)
    if cursor is None and replay_today:
        return await live.start_of_day_cursor()
    return cursor


@strawberry.type
class LiveSubscription:
    @strawberry.subscription(description="A trip's progress (anyone signed in).")
    async def trip_updates(
        self,
        info: Info,
        trip_id: Annotated[strawberry.ID, strawberry.argument(description="The trip's global id.")],
        after: After = None,
    ) -> Events:
        cursor = from_cursor(after)
        pk = pk_of(trip_id, "Trip", "tripId")
        topic = await live.trip_topic(viewer=info.context.viewer, trip_id=pk)

        async def recheck(viewer: Viewer | None) -> str:
            return await live.trip_topic(viewer=viewer, trip_id=pk)

        async for event in _follow(info, topic, cursor, recheck):
            yield event

    @strawberry.subscription(
        description="An order's status changes (its buyer, its station's leader, dispatchers)."
    )
    async def order_updates(
        self,
        info: Info,
        order_id: Annotated[
            strawberry.ID, strawberry.argument(description="The order's global id.")
        ],
        after: After = None,
    ) -> Events:
        cursor = from_cursor(after)
        pk = pk_of(order_id, "Order", "orderId")

        async def recheck(viewer: Viewer | None) -> str:
            return await live.order_topic(viewer=viewer, order_id=pk)

        topic = await recheck(info.context.viewer)  # the same rule asked again before each event

        async for event in _follow(info, topic, cursor, recheck):
            yield event

    @strawberry.subscription(
        description="A produce purchase's status changes (its buyer, the farmer, the handover "
        "station's leader, dispatchers)."
    )
    async def purchase_updates(
        self,
        info: Info,
        purchase_id: Annotated[
            strawberry.ID, strawberry.argument(description="The produce purchase's global id.")
        ],
        after: After = None,
    ) -> Events:
        cursor = from_cursor(after)
        pk = pk_of(purchase_id, "ProducePurchase", "purchaseId")

        async def recheck(viewer: Viewer | None) -> str:
            return await live.purchase_topic(viewer=viewer, purchase_id=pk)

        topic = await recheck(info.context.viewer)  # the same rule asked again before each event

        async for event in _follow(info, topic, cursor, recheck):
            yield event

    @strawberry.subscription(
        description="Everything arriving at and leaving a station: the bus (its delays and "
        "progress on every trip that serves it), its orders, the produce taken in (the "
        "station's leader, dispatchers)."
    )
    async def station_updates(
        self,
        info: Info,
        station_id: Annotated[
            strawberry.ID, strawberry.argument(description="The station's global id.")
        ],
        after: After = None,
        replay_today: ReplayToday = False,
    ) -> Events:
        pk = pk_of(station_id, "Station", "stationId")

        async def recheck(viewer: Viewer | None) -> str:
            return await live.station_topic(viewer=viewer, station_id=pk)

        topic = await recheck(info.context.viewer)  # the same rule asked again before each event
        cursor = await _cursor(after, replay_today)

        async for event in _follow(info, topic, cursor, recheck):
            yield event

    @strawberry.subscription(
        description="The viewer's own orders and purchases (as buyer, or as farmer), and the "
        "delays and progress of the trips carrying them."
    )
    async def my_updates(
        self,
        info: Info,
        after: After = None,
        replay_today: ReplayToday = False,
    ) -> Events:
        topic = live.own_topic(viewer=info.context.viewer)
        cursor = await _cursor(after, replay_today)
        async for event in _follow(info, topic, cursor, _own):
            yield event
