"""Accounts: register, login, viewer, roles, and what bad input gets."""

from __future__ import annotations

import httpx

from builders import TEST_SECRET, gql, make_network, make_user, token_for
from cungoods.api.ids import to_global_id
from cungoods.models import User
from cungoods.models.enums import Role
from cungoods.services.auth import issue_token, verify_password

REGISTER = """
mutation($input: RegisterInput!) {
  register(input: $input) {
    token
    user { id name phone roles station { name } }
    errors { code message field }
  }
}
"""
LOGIN = """
mutation($input: LoginInput!) {
  login(input: $input) { token user { name roles } errors { code message field } }
}
"""
VIEWER = "{ viewer { id name phone roles station { code } } }"


async def register(client: httpx.AsyncClient, **fields: object) -> dict:
    data = {"phone": "13912345678", "password": "good-password", "name": "俞林英", "role": "BUYER"}
    data.update(fields)
    body = await gql(client, REGISTER, {"input": data})
    return body["data"]["register"]


async def test_a_villager_registers_signs_in_and_sees_herself(client: httpx.AsyncClient) -> None:
    net = await make_network(stations=1)
    station_id = to_global_id("Station", net.stations[0].id)

    registered = await register(client, stationId=station_id)

    assert registered["errors"] == []
    assert registered["user"]["roles"] == ["BUYER"]
    assert registered["user"]["phone"] == "13912345678"
    assert registered["user"]["station"]["name"] == net.stations[0].name
    stored = await User.get(phone="13912345678")
    assert stored.password_hash != "good-password"
    assert verify_password(stored.password_hash, "good-password")

    login = (
        await gql(client, LOGIN, {"input": {"phone": "139 1234 5678", "password": "good-password"}})
    )["data"]["login"]
    assert login["errors"] == []
    me = await gql(client, VIEWER, token=login["token"])
    assert me["data"]["viewer"]["name"] == "俞林英"
    assert me["data"]["viewer"]["station"]["code"] == net.stations[0].code


async def test_bad_registrations_get_coded_errors_and_store_nothing(
    client: httpx.AsyncClient,
) -> None:
    cases = [
        ({"phone": "12345"}, "INVALID_INPUT", ["phone"]),
        ({"phone": "23912345678"}, "INVALID_INPUT", ["phone"]),
        ({"password": "short"}, "INVALID_INPUT", ["password"]),
        ({"name": "  "}, "INVALID_INPUT", ["name"]),
        ({"role": "ADMIN"}, "INVALID_INPUT", ["role"]),
        ({"role": "FARMER"}, "INVALID_INPUT", ["stationId"]),
        ({"stationId": "not-an-id"}, "INVALID_INPUT", ["stationId"]),
        ({"stationId": to_global_id("Station", 999)}, "NOT_FOUND", ["stationId"]),
        ({"stationId": to_global_id("Trip", 1)}, "INVALID_INPUT", ["stationId"]),
    ]
    for fields, code, field in cases:
        result = await register(client, **fields)
        assert result["token"] is None, fields
        assert [(e["code"], e["field"]) for e in result["errors"]] == [(code, field)], fields
    assert await User.all().count() == 0


async def test_a_phone_registers_once(client: httpx.AsyncClient) -> None:
    first = await register(client)
    second = await register(client, name="别人", password="another-password")

    assert first["errors"] == []
    assert second["errors"][0]["code"] == "ALREADY_EXISTS"
    stored = await User.get(phone="13912345678")
    assert stored.name == "俞林英"
    assert verify_password(stored.password_hash, "good-password")


async def test_wrong_password_and_unknown_phone_look_the_same(client: httpx.AsyncClient) -> None:
    await register(client)

    wrong = (
        await gql(client, LOGIN, {"input": {"phone": "13912345678", "password": "nope-nope"}})
    )["data"]["login"]
    unknown = (
        await gql(client, LOGIN, {"input": {"phone": "13900000000", "password": "nope-nope"}})
    )["data"]["login"]

    assert wrong["token"] is None and unknown["token"] is None
    assert wrong["errors"] == unknown["errors"]
    assert wrong["errors"][0]["code"] == "UNAUTHENTICATED"


async def test_forged_or_expired_tokens_are_refused(client: httpx.AsyncClient) -> None:
    user = await make_user(Role.BUYER)
    forged = issue_token(
        user_id=user.id, secret="someone-elses-secret-0123456789abcdef", ttl_seconds=60
    )
    expired = issue_token(user_id=user.id, secret=TEST_SECRET, ttl_seconds=60, now=0)

    for token in (forged, expired, "garbage"):
        body = await gql(client, VIEWER, token=token)
        assert body["data"]["viewer"] is None
    assert (await gql(client, VIEWER, token=token_for(user)))["data"]["viewer"]["name"] == user.name


ASSIGN = """
mutation($input: AssignRoleInput!) {
  assignRole(input: $input) { user { roles station { code } } errors { code field } }
}
"""


async def test_only_an_admin_assigns_roles(client: httpx.AsyncClient) -> None:
    net = await make_network(stations=1)
    admin = await make_user(Role.ADMIN)
    villager = await make_user(Role.BUYER)
    request = {
        "userId": to_global_id("User", villager.id),
        "role": "LEADER",
        "stationId": to_global_id("Station", net.stations[0].id),
    }

    refused = (await gql(client, ASSIGN, {"input": request}, token=token_for(villager)))["data"][
        "assignRole"
    ]
    anonymous = (await gql(client, ASSIGN, {"input": request}))["data"]["assignRole"]
    done = (await gql(client, ASSIGN, {"input": request}, token=token_for(admin)))["data"][
        "assignRole"
    ]

    assert refused["errors"][0]["code"] == "NOT_ALLOWED"
    assert anonymous["errors"][0]["code"] == "UNAUTHENTICATED"
    assert done["errors"] == []
    assert done["user"]["roles"] == ["BUYER", "LEADER"]
    assert done["user"]["station"]["code"] == net.stations[0].code


async def test_a_leader_needs_a_station(client: httpx.AsyncClient) -> None:
    admin = await make_user(Role.ADMIN)
    villager = await make_user(Role.BUYER)
    request = {"userId": to_global_id("User", villager.id), "role": "LEADER"}

    result = (await gql(client, ASSIGN, {"input": request}, token=token_for(admin)))["data"][
        "assignRole"
    ]

    assert result["errors"] == [{"code": "INVALID_INPUT", "field": ["stationId"]}]
    assert (await User.get(id=villager.id)).roles == ["BUYER"]


async def test_phones_are_private(client: httpx.AsyncClient) -> None:
    a = await make_user(Role.BUYER)
    b = await make_user(Role.BUYER)
    query = "query($id: ID!) { node(id: $id) { ... on User { name phone } } }"

    seen_by_other = await gql(client, query, {"id": to_global_id("User", a.id)}, token=token_for(b))
    seen_by_self = await gql(client, query, {"id": to_global_id("User", a.id)}, token=token_for(a))

    # another buyer does not find the account at all (services/people.py); a driver's account
    # is public, its phone still private
    assert seen_by_other["data"]["node"] is None
    assert seen_by_self["data"]["node"]["phone"] == a.phone
    driver = await make_user(Role.DRIVER)
    seen = await gql(client, query, {"id": to_global_id("User", driver.id)}, token=token_for(b))
    assert seen["data"]["node"] == {"name": driver.name, "phone": None}
