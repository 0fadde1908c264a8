"""A WebSocket's identity does not go stale: the viewer is read again from the token before
every operation and every event, and the socket closes with 4401 at the token's expiry."""

from __future__ import annotations

import asyncio

from builders import TEST_SECRET, token_for
from builders_live import (
    STATION_UPDATES,
    TRIP_UPDATES,
    Closed,
    gid,
    live_server,
    make_line,
    make_user,
    move_order,
    place_order,
)
from cungoods.config import Settings
from cungoods.models import User
from cungoods.models.enums import OrderStatus, Role
from cungoods.services.auth import issue_token

MANIFEST = "query($t: ID!, $s: ID!) { stationManifest(tripId: $t, stationId: $s) { stopSeq } }"
VIEWER = "{ viewer { id roles } }"


async def _query(socket: object, op_id: str, query: str, variables: dict[str, str]) -> dict:
    await socket.subscribe(op_id, query, variables)  # type: ignore[attr-defined]
    message = await socket.receive()  # type: ignore[attr-defined]
    assert message.get("id") == op_id, message
    return message


async def test_a_demoted_leader_loses_the_manifest_on_an_open_socket(settings: Settings) -> None:
    # Given a leader with an open socket who reads her station's manifest
    line = await make_line()
    station = line.station(1)
    leader = await make_user(Role.LEADER, name="团长", station=station)
    variables = {"t": line.trip_gid, "s": gid("Station", station.id)}
    async with live_server(settings) as live, live.socket(token_for(leader)) as socket:
        first = await _query(socket, "1", MANIFEST, variables)
        assert first["type"] == "next" and "errors" not in first["payload"], first
        await socket.receive()  # complete

        # When an admin takes the LEADER role away, the socket staying open
        await User.filter(id=leader.id).update(roles=[Role.BUYER.value], station_id=None)

        # Then the next manifest request on the same socket is refused
        second = await _query(socket, "2", MANIFEST, variables)
        errors = second["payload"].get("errors") if second["type"] == "next" else second["payload"]
        assert errors[0]["extensions"]["code"] == "NOT_ALLOWED", second
        # and the viewer is the demoted one
        await socket.receive()  # complete
        me = await _query(socket, "3", VIEWER, {})
        assert me["payload"]["data"]["viewer"]["roles"] == ["BUYER"], me


async def test_a_deleted_account_closes_the_socket_with_4401(settings: Settings) -> None:
    # Given a farmer (no wallet to keep) with an open socket
    line = await make_line()
    buyer = await make_user(Role.FARMER, name="农户")
    async with live_server(settings) as live, live.raw_socket() as socket:
        assert (await socket.init(token_for(buyer)))["type"] == "connection_ack"

        # When the account is deleted and the socket sends an operation
        await User.filter(id=buyer.id).delete()
        await socket.subscribe("1", TRIP_UPDATES, {"id": line.trip_gid})

        # Then the socket is closed with 4401 (not an INTERNAL error)
        try:
            message = await socket.receive()
        except Closed as closed:
            assert closed.code == 4401, closed
        else:
            raise AssertionError(f"the socket stayed open: {message}")


async def test_the_socket_closes_with_4401_when_the_token_expires(settings: Settings) -> None:
    # Given a socket opened with a token that expires in two seconds (the whole of a token's
    # life; on a slow machine it may even run out during the handshake, which must end the
    # same way)
    line = await make_line()
    buyer = await make_user(Role.BUYER, name="买家")
    token = issue_token(user_id=buyer.id, secret=TEST_SECRET, ttl_seconds=2)
    async with live_server(settings) as live, live.raw_socket() as socket:
        code = None
        try:
            async with asyncio.timeout(15):
                if (await socket.init(token))["type"] == "connection_ack":
                    await socket.subscribe("1", TRIP_UPDATES, {"id": line.trip_gid})
                # When the expiry passes
                while True:
                    await socket.receive()
        except Closed as closed:
            code = closed.code

        # Then the server closes the socket with 4401
        assert code == 4401


async def test_a_subscription_ends_before_an_event_its_viewer_may_no_longer_see(
    settings: Settings,
) -> None:
    # Given a leader following her station
    line = await make_line()
    station = line.station(1)
    leader = await make_user(Role.LEADER, name="团长", station=station)
    buyer = await make_user(Role.BUYER, name="买家")
    # (confirmed already: the cutoff timer has nothing to do with it)
    order = await place_order(line, 1, buyer, status=OrderStatus.CONFIRMED)
    async with live_server(settings) as live, live.socket(token_for(leader)) as socket:
        await socket.follow("s", STATION_UPDATES, {"id": gid("Station", station.id)})
        await move_order(order, OrderStatus.LOADED)
        first = await socket.next_event("s", "stationUpdates")
        assert first["kind"] == "ORDER_LOADED", first

        # When she is demoted and the next event of her station is written
        await User.filter(id=leader.id).update(roles=[Role.BUYER.value], station_id=None)
        await move_order(order, OrderStatus.IN_TRANSIT)

        # Then the subscription ends with NOT_ALLOWED instead of delivering it
        error = await socket.error_of("s")
        assert error["extensions"]["code"] == "NOT_ALLOWED", error
