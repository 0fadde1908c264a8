"""The notification inbox through the API: every event that names people becomes a notification
for each of them, in their own language, written with the event; station leaders hear of the
bus being late for their station or arriving there; the inbox is read newest first, counted,
and marked read."""

from __future__ import annotations

from typing import Any

import httpx
from tortoise.transactions import in_transaction

from builders import gql, token_for
from builders_live import RECORD, Line, gid, make_line, make_user, place_order
from builders_orders import make_leader
from cungoods.models import Event, Notification, Order, User
from cungoods.models.enums import OrderStatus, Role
from cungoods.services.money import refunds

REGISTER = """
mutation($input: RegisterInput!) {
  register(input: $input) { token user { language } errors { code field } }
}
"""
INBOX = """
query($first: Int, $after: String, $unreadOnly: Boolean) {
  myNotifications(first: $first, after: $after, unreadOnly: $unreadOnly) {
    totalCount pageInfo { hasNextPage endCursor } nodes { id kind text language read }
  }
  unreadNotificationCount
}
"""
MARK = """
mutation($input: MarkNotificationsReadInput!) {
  markNotificationsRead(input: $input) { marked unreadCount errors { code field } }
}
"""
SET_LANGUAGE = """
mutation($input: SetLanguageInput!) {
  setLanguage(input: $input) { user { language } errors { code } }
}
"""


async def record(client: httpx.AsyncClient, line: Line, kind: str, **fields: Any) -> None:
    body = await gql(
        client,
        RECORD,
        {"input": {"tripId": line.trip_gid, "kind": kind, **fields}},
        token=token_for(line.driver),
    )
    assert body["data"]["recordTripEvent"]["errors"] == []


async def inbox(client: httpx.AsyncClient, user: User, **variables: Any) -> dict[str, Any]:
    body = await gql(client, INBOX, variables, token=token_for(user))
    data: dict[str, Any] = body["data"]
    return data


async def texts(user: User) -> list[tuple[str, str]]:
    rows = await Notification.filter(user_id=user.id).order_by("id").values_list("kind", "text")
    return [(str(kind), str(text)) for kind, text in rows]


async def test_a_buyer_is_told_in_their_language_and_the_leaders_hear_of_the_bus(
    client: httpx.AsyncClient,
) -> None:
    # Given a trip through 3 stations, a buyer who reads English and one who reads Chinese
    # (the default), each with a confirmed order, and the leaders of stations 1 and 2
    line = await make_line(stations=3)
    english = await make_user(Role.BUYER, name="Ann")
    await User.filter(id=english.id).update(language="en")
    chinese = await make_user(Role.BUYER, name="俞林英")
    to_1 = await place_order(line, 1, english, status=OrderStatus.CONFIRMED)
    to_2 = await place_order(line, 2, chinese, status=OrderStatus.CONFIRMED)
    leader_1 = await make_leader(line.station(1))
    leader_2 = await make_leader(line.station(2))
    villager_2 = await make_user(Role.BUYER, station=line.station(2))

    # When the bus leaves, is 15 minutes late after station 1 and reaches station 2
    await record(client, line, "DEPARTED")
    await record(client, line, "ARRIVED", stopSeq=1)
    await record(client, line, "LEFT", stopSeq=1)
    await record(client, line, "DELAYED", minutes=15)
    await record(client, line, "ARRIVED", stopSeq=2)

    # Then each buyer has their order's news in their language, the pickup code with it
    assert await texts(english) == [
        ("ORDER_PLACED", f"Order {to_1.number} is placed for pickup on {to_1.service_date}."),
        (
            "ORDER_CONFIRMED",
            f"Order {to_1.number} is confirmed: it rides the bus on {to_1.service_date}.",
        ),
        ("ORDER_IN_TRANSIT", f"Order {to_1.number} is on its way."),
        (
            "ORDER_AT_STATION",
            f"Order {to_1.number} is at your station: pick it up with code 246810.",
        ),
    ]
    assert (await texts(chinese))[-1] == (
        "ORDER_AT_STATION",
        f"订单 {to_2.number} 已到站，凭提货码 246810 到服务站取货。",
    )
    # The leader of station 1 heard of the arrival there; the delay came after the bus left
    # their station, so only the leader of station 2 (still ahead) is told of it, then of the
    # arrival at theirs.
    assert await texts(leader_1) == [("TRIP_ARRIVED", "R1 班车已到达 R1第1村服务站。")]
    assert await texts(leader_2) == [
        ("TRIP_DELAYED", "R1 班车晚点约 15 分钟。"),
        ("TRIP_ARRIVED", "R1 班车已到达 R1第2村服务站。"),
    ]
    # A villager of station 2 with no goods on the bus is not a leader: not told.
    assert await texts(villager_2) == []
    # Written with their events: one notification per person told, none for the trip's own.
    delayed = await Event.get(kind="TRIP_DELAYED")
    assert await Notification.filter(event_id=delayed.id).count() == 1


async def test_the_language_is_chosen_at_registration_and_changed_later(
    client: httpx.AsyncClient,
) -> None:
    registered = await gql(
        client,
        REGISTER,
        {
            "input": {
                "phone": "13412345678",
                "password": "secret-pass-1",
                "name": "Ann",
                "role": "BUYER",
                "language": "EN",
            }
        },
    )
    assert registered["data"]["register"]["user"] == {"language": "EN"}
    ann = await User.get(phone="13412345678")
    assert ann.language == "en"

    changed = await gql(client, SET_LANGUAGE, {"input": {"language": "ZH"}}, token=token_for(ann))

    assert changed["data"]["setLanguage"] == {"user": {"language": "ZH"}, "errors": []}
    assert (await User.get(id=ann.id)).language == "zh"
    # Anonymous: refused, nothing changed.
    refused = await gql(client, SET_LANGUAGE, {"input": {"language": "EN"}})
    assert refused["data"]["setLanguage"]["errors"] == [{"code": "UNAUTHENTICATED"}]
    assert (await User.get(id=ann.id)).language == "zh"


async def test_a_refund_tells_the_buyer_how_much_and_why(client: httpx.AsyncClient) -> None:
    line = await make_line(stations=2)
    buyer = await make_user(Role.BUYER)
    await User.filter(id=buyer.id).update(language="en")
    order = await place_order(line, 1, buyer)
    await Order.filter(id=order.id).update(paid_fen=1280)

    async with in_transaction():
        await refunds.refund(order_id=order.id, amount_fen=330, reason="two eggs broken")

    assert (await texts(buyer))[-1] == (
        "ORDER_REFUNDED",
        f"3.30 yuan of order {order.number} refunded: two eggs broken",
    )


async def test_the_inbox_newest_first_unread_count_and_marking_read(
    client: httpx.AsyncClient,
) -> None:
    line = await make_line(stations=2)
    buyer = await make_user(Role.BUYER)
    other = await make_user(Role.BUYER)
    orders = [await place_order(line, 1, buyer) for _ in range(3)]
    theirs = await place_order(line, 1, other)
    assert theirs

    first = await inbox(client, buyer, first=2)
    page = first["myNotifications"]
    assert page["totalCount"] == 3 and first["unreadNotificationCount"] == 3
    assert [n["text"] for n in page["nodes"]] == [
        f"订单 {orders[2].number} 已下单，{orders[2].service_date} 到站自提。",
        f"订单 {orders[1].number} 已下单，{orders[1].service_date} 到站自提。",
    ]
    assert page["pageInfo"]["hasNextPage"] is True
    rest = await inbox(client, buyer, first=2, after=page["pageInfo"]["endCursor"])
    assert [n["kind"] for n in rest["myNotifications"]["nodes"]] == ["ORDER_PLACED"]
    assert rest["myNotifications"]["pageInfo"]["hasNextPage"] is False

    # Marking one read (and trying one of another person's: ignored)
    their_id = gid("Notification", (await Notification.get(user_id=other.id)).id)
    marked = await gql(
        client,
        MARK,
        {"input": {"ids": [page["nodes"][0]["id"], their_id]}},
        token=token_for(buyer),
    )
    assert marked["data"]["markNotificationsRead"] == {
        "marked": 1,
        "unreadCount": 2,
        "errors": [],
    }
    assert await Notification.filter(user_id=other.id, read_at__isnull=True).count() == 1
    unread = await inbox(client, buyer, unreadOnly=True)
    assert unread["myNotifications"]["totalCount"] == 2
    assert all(not n["read"] for n in unread["myNotifications"]["nodes"])

    # Then all of them
    everything = await gql(client, MARK, {"input": {"all": True}}, token=token_for(buyer))
    assert everything["data"]["markNotificationsRead"]["marked"] == 2
    assert (await inbox(client, buyer))["unreadNotificationCount"] == 0

    # Neither or both of ids and all: refused, nothing changed
    for bad in ({}, {"ids": [their_id], "all": True}):
        refused = await gql(client, MARK, {"input": bad}, token=token_for(other))
        assert refused["data"]["markNotificationsRead"]["errors"] == [
            {"code": "INVALID_INPUT", "field": ["ids"]}
        ]
    assert await Notification.filter(user_id=other.id, read_at__isnull=True).count() == 1


async def test_the_inbox_is_for_the_signed_in(client: httpx.AsyncClient) -> None:
    body = await gql(client, INBOX, {}, expect_errors=True)

    assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
