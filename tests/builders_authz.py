"""The small world the authorization matrix and the fuzzing run against: two stations on a
route and its trip, a second route, an order, a listing, a purchase, a request with an offer, and
a user for every role (tests/test_authorization_matrix.py describes it)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from tortoise.transactions import in_transaction

from builders import make_network, make_user, schedule, token_for
from builders_orders import SERVICE_DATE, make_shop, place, set_clock, viewer
from builders_produce import make_listing
from cungoods.api.ids import pk_of, to_cursor, to_global_id
from cungoods.events import outbox
from cungoods.models import Event, Order, User, Vehicle
from cungoods.models.enums import Role
from cungoods.services import claims, clock, orders, purchases, requests, trips
from cungoods.services.money import commission, settlement


@dataclass
class World:
    ids: dict[str, str]  # global ids and plain values the operations need
    tokens: dict[str, str | None]  # by role


async def build_world() -> World:
    # Subscriptions replay what came after this event: everything the world is built with.
    async with in_transaction():
        start = await outbox.record("WORLD_BUILT", trip_topic=False)
    shop = await make_shop(stations=2)
    here, other = shop.station(1), shop.station(2)
    net2 = await make_network(code="R2", stations=1, hub=shop.net.hub)
    await schedule(net2, SERVICE_DATE)
    spare = await Vehicle.create(
        plate="浙H·SPARE1", capacity_g=2_000_000, capacity_cm3=8_000_000, chilled_capacity_g=0
    )
    order = await place(shop, station=1, lines={"RICE": 1})
    order_event = await Event.filter(order_id=order.id).order_by("id").first()
    assert order_event is not None
    farmer = await make_user(Role.FARMER, name="柴建新", station=here)
    listing = await make_listing(farmer, here, ready_from=SERVICE_DATE)
    purchase = await purchases.buy_produce(
        viewer=viewer(shop.buyer), listing_id=listing.id, quantity=2, idempotency_key=None
    )
    request = await requests.post_produce_request(
        viewer=viewer(shop.buyer),
        what="土鸡蛋",
        quantity=10,
        max_price_fen=200,
        needed_by=SERVICE_DATE + dt.timedelta(days=2),
    )
    offer = await requests.make_offer(
        viewer=viewer(farmer),
        request_id=request.id,
        quantity=5,
        price_fen=150,
        listing_id=listing.id,
    )
    # A trip event, so that tripUpdates has something to replay.
    await trips.record_trip_event(
        viewer=viewer(shop.dispatcher), trip_id=shop.trip.id, kind="DELAYED", minutes=5, note=""
    )
    users = {
        "buyer": shop.buyer,
        "other buyer": await make_user(Role.BUYER, name="另一个买家"),
        "farmer": farmer,
        "leader here": await make_user(Role.LEADER, name="本站团长", station=here),
        "leader other": await make_user(Role.LEADER, name="别站团长", station=other),
        "driver here": shop.net.driver,
        "driver other": net2.driver,
        "dispatcher": shop.dispatcher,
        "admin": await make_user(Role.ADMIN, name="管理员"),
    }
    # The leader here's commission on a day, settled: a statement for markPaidOut and the
    # statement queries to show.
    async with in_transaction():
        await commission.accrue(leader_id=users["leader here"].id, amount_fen=300)
    settled = await settlement.settle(
        viewer=viewer(shop.dispatcher), start=clock.today(), end=clock.today()
    )
    statement = next(s for s in settled if s.user_id == users["leader here"].id)
    target = await make_user(Role.BUYER, name="新团长")
    tokens: dict[str, str | None] = {"anonymous": None}
    tokens |= {role: token_for(user) for role, user in users.items()}
    # One event of their own each, so that myUpdates has something to replay for everyone
    # (and myNotifications something to show: the outbox writes a notification with it).
    async with in_transaction():
        for user in users.values():
            await outbox.record("NOTICE", message="欢迎", user_ids=(user.id,), trip_topic=False)
    ids = {
        "order": to_global_id("Order", order.id),
        "orderNumber": order.number,
        "pickupCode": order.pickup_code,
        "purchase": to_global_id("ProducePurchase", purchase.id),
        "purchasePk": str(purchase.id),
        "collectCode": purchase.collect_code,
        "listing": to_global_id("ProduceListing", listing.id),
        "request": to_global_id("ProduceRequest", request.id),
        "offer": to_global_id("ProduceOffer", offer.id),
        "trip": to_global_id("Trip", shop.trip.id),
        "here": to_global_id("Station", here.id),
        "other": to_global_id("Station", other.id),
        "rice": to_global_id("SaleItem", shop.item("RICE").id),
        "riceProduct": to_global_id("Product", shop.item("RICE").product_id),
        "spare": to_global_id("Vehicle", spare.id),
        "target": to_global_id("User", target.id),
        "buyerPhone": shop.buyer.phone,
        "orderPk": str(order.id),
        "since": to_cursor(start.id),
        "statement": to_global_id("Statement", statement.id),
        "statementDay": clock.today().isoformat(),
        "buyerPk": str(shop.buyer.id),
        "buyerUser": to_global_id("User", shop.buyer.id),
        "leaderHerePk": str(users["leader here"].id),
        "dispatcherPk": str(shop.dispatcher.id),
        "orderEvent": to_global_id("DeliveryEvent", order_event.id),
    }
    return World(ids=ids, tokens=tokens)


# Worlds for the exception operations (issue 13): the bus at this station, the order picked up
# there, and an after-sale claim on it.


async def bus_at_here(world: World) -> None:
    """The order confirmed, and on the service day its bus standing at S1 (stop 1)."""
    order = await Order.get(id=int(world.ids["orderPk"]))
    await orders.cut_off(window_id=order.window_id)
    set_clock(SERVICE_DATE, "06:00")
    dispatcher = viewer(await User.get(id=int(world.ids["dispatcherPk"])))
    trip_id = pk_of(world.ids["trip"], "Trip")
    await trips.record_trip_event(viewer=dispatcher, trip_id=trip_id, kind="DEPARTED")
    await trips.record_trip_event(viewer=dispatcher, trip_id=trip_id, kind="ARRIVED", stop_seq=1)


async def picked_up_here(world: World) -> None:
    """The order handed out at S1 by its leader."""
    await bus_at_here(world)
    order = await Order.get(id=int(world.ids["orderPk"]))
    leader = viewer(await User.get(id=int(world.ids["leaderHerePk"])))
    await orders.confirm_pickup(viewer=leader, order_id=order.id, pickup_code=order.pickup_code)


async def claim_filed(world: World) -> None:
    """The buyer's after-sale claim on the picked-up order, waiting for a dispatcher."""
    await picked_up_here(world)
    claim = await claims.file_claim(
        viewer=viewer(await User.get(id=int(world.ids["buyerPk"]))),
        order_id=int(world.ids["orderPk"]),
        lines=[claims.ClaimLineRequest(sale_item_id=pk_of(world.ids["rice"], "SaleItem"), units=1)],
        reason="米袋破了",
    )
    world.ids["claim"] = to_global_id("Claim", claim.id)
