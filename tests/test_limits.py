"""Abuse limits: query cost budget, page sizes, mutation rate limits, login brute force, request
body size, no batching, and what production mode keeps to itself."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
from graphql import get_named_type, parse
from strawberry.schema.schema_converter import GraphQLCoreConverter

from builders import PASSWORD, gql, make_user, token_for
from cungoods.api.errors import UserError
from cungoods.api.extensions.cost import query_cost
from cungoods.api.extensions.throttle import MutationRateLimit, payload_with_errors
from cungoods.api.ids import to_global_id
from cungoods.api.scalars import PAGE_SIZE_KEY
from cungoods.api.schema import build_schema
from cungoods.app import create_app
from cungoods.config import Settings
from cungoods.models import User
from cungoods.models.enums import Role
from cungoods.services.errors import ErrorCode
from cungoods.services.ratelimit import FailureBackoff, RateLimited, RateLimiter

# 1 + 100 × (edge + node + leader + station + leader) = 501 per alias.
STATIONS_DEEP = "stations(first: %s) { edges { node { leader { station { leader { name } } } } } }"
LOGIN = """
mutation($input: LoginInput!) {
  login(input: $input) { token user { name } errors { code message field } }
}
"""
REGISTER = """
mutation($input: RegisterInput!) {
  register(input: $input) { token user { id } errors { code message field } }
}
"""
ASSIGN_ROLE = """
mutation($input: AssignRoleInput!) {
  assignRole(input: $input) { user { roles } errors { code message } }
}
"""
RETRY_AFTER = re.compile(r"retry after (\d+) s")


@pytest.fixture
async def app_with(settings: Settings) -> AsyncIterator[Any]:
    """A client factory for an app with some settings changed."""
    clients: list[httpx.AsyncClient] = []

    async def make(**changes: Any) -> httpx.AsyncClient:
        app = create_app(settings.model_copy(update=changes), manage_db=False)
        http = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test")
        clients.append(http)
        return http

    yield make
    for http in clients:
        await http.aclose()


def aliased(count: int, first: int) -> str:
    return "{ " + " ".join(f"s{i}: " + STATIONS_DEEP % first for i in range(count)) + " }"


# --- query cost --------------------------------------------------------------------------------


async def test_a_query_over_the_cost_budget_is_refused_before_it_runs_with_its_cost(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    assert settings.max_query_cost == 5000

    response = await client.post(
        "/graphql",
        json={"query": aliased(11, 100)},
        headers={"Accept": "application/graphql-response+json"},
    )

    assert response.status_code == 400
    body = response.json()
    assert "data" not in body  # nothing ran
    [error] = body["errors"]
    assert "costs 5511" in error["message"] and "budget of 5000" in error["message"]
    assert error["extensions"] == {"code": "QUERY_TOO_COSTLY", "cost": 5511, "budget": 5000}


async def test_the_same_query_asking_for_smaller_pages_runs(client: httpx.AsyncClient) -> None:
    body = await gql(client, aliased(11, 10))  # 11 × (1 + 10 × 5) = 561

    assert body["data"]["s0"] == {"edges": []}


async def test_the_cost_counts_first_from_variables_and_defaults(client: httpx.AsyncClient) -> None:
    query = (
        "query($n: Int = 100) { "
        + " ".join(f"s{i}: " + STATIONS_DEEP % "$n" for i in range(11))
        + " }"
    )

    refused = await gql(client, query, expect_errors=True)
    accepted = await gql(client, query, {"n": 5})

    assert refused["errors"][0]["extensions"]["cost"] == 5511
    assert accepted["data"]["s10"] == {"edges": []}
    # and a text already known to be valid is still costed by this request's variables
    again = await gql(client, query, {"n": 100}, expect_errors=True)
    assert again["errors"][0]["extensions"]["cost"] == 5511
    assert "data" not in again or again["data"] is None


def test_the_cost_model_on_fragments_plain_lists_and_default_pages(settings: Settings) -> None:
    schema = build_schema(settings)._schema

    def cost(query: str, **variables: Any) -> int:
        return query_cost(
            schema, parse(query), variables=variables, operation_name=None, max_page_size=100
        )

    # `first` left out: the field's default page (stations: 20, products: 50).
    assert cost("{ stations { nodes { code } } }") == 1 + 20
    assert cost("{ products { nodes { name } } }") == 1 + 50
    # Paging backward counts `last` as forward counts `first`, from a literal or a variable.
    assert cost("{ stations(last: 7) { nodes { code } } }") == 1 + 7
    assert cost("query($n: Int) { stations(last: $n) { nodes { code } } }", n=4) == 1 + 4
    assert cost("query($n: Int) { stations(first: $n, last: 3) { nodes { code } } }") == 1 + 3
    # A fragment counts where it is spread, and pageInfo is not multiplied.
    assert cost(
        "query { stations(first: 3) { pageInfo { hasNextPage } edges { ...E } } }"
        " fragment E on StationEdge { node { leader { name } } }"
    ) == 1 + 1 + 3 * (1 + 1 + 1)
    # Routes are a plain list we know grows: 10 routes × 30 stops are assumed.
    assert cost("{ routes { stops { station { code } } } }") == 10 * (1 + 30 * (1 + 1))
    # Scalars are free; a `first` beyond the maximum page is counted as the maximum.
    assert cost("{ viewer { name } stations(first: 5000) { totalCount } }") == 1 + 1


def test_every_connection_takes_first_with_a_bounded_default(settings: Settings) -> None:
    schema = build_schema(settings)._schema
    connections = []
    for type_ in schema.type_map.values():
        for name, field in (getattr(type_, "fields", None) or {}).items():
            if get_named_type(field.type).name.endswith("Connection"):
                connections.append(f"{type_.name}.{name}")
                first = field.args.get("first")
                assert first is not None, f"{type_.name}.{name} has no `first`"
                # No default in the SDL (`last` alone must not meet a default `first`): the
                # field's own page size is in its metadata, for the resolver and the cost.
                assert first.default_value is None, f"{type_.name}.{name}"
                definition = field.extensions[GraphQLCoreConverter.DEFINITION_BACKREF]
                page_size = definition.metadata.get(PAGE_SIZE_KEY)
                assert isinstance(page_size, int), f"{type_.name}.{name}: use connection_field"
                assert 0 < page_size <= settings.max_page_size, f"{type_.name}.{name}"
    assert "Query.stations" in connections


async def test_a_page_larger_than_the_maximum_is_refused(client: httpx.AsyncClient) -> None:
    body = await gql(client, "{ stations(first: 101) { totalCount } }", expect_errors=True)

    assert body["errors"][0]["extensions"]["code"] == "INVALID_INPUT"
    assert body["data"] is None


# --- mutation rate limits ----------------------------------------------------------------------


async def test_a_viewer_flooding_mutations_is_refused_with_a_retry_after(app_with: Any) -> None:
    admin = await make_user(Role.ADMIN)
    others = [await make_user(Role.BUYER) for _ in range(4)]
    http = await app_with(rate_limit_viewer_burst=3, rate_limit_viewer_per_minute=6)
    headers = {"Authorization": f"Bearer {token_for(admin)}"}

    async def assign(user: User) -> httpx.Response:
        variables = {"input": {"userId": to_global_id("User", user.id), "role": "FARMER"}}
        return await http.post(
            "/graphql", json={"query": ASSIGN_ROLE, "variables": variables}, headers=headers
        )

    answers = [await assign(user) for user in others]

    assert [r.json()["data"]["assignRole"]["errors"] for r in answers[:3]] == [[], [], []]
    refused = answers[3].json()["data"]["assignRole"]
    assert refused["user"] is None
    [error] = refused["errors"]
    assert error["code"] == "RATE_LIMITED"
    wait = RETRY_AFTER.search(error["message"])
    assert wait is not None and 1 <= int(wait.group(1)) <= 10  # one mutation per 10 s refills
    assert answers[3].headers["Retry-After"] == wait.group(1)
    # The refused mutation did not run.
    assert (await User.get(id=others[3].id)).roles == [Role.BUYER.value]


async def test_one_viewers_flood_does_not_hold_up_another_viewer(app_with: Any) -> None:
    admin, other_admin = await make_user(Role.ADMIN), await make_user(Role.ADMIN)
    target = await make_user(Role.BUYER)
    http = await app_with(rate_limit_viewer_burst=1, rate_limit_viewer_per_minute=1)
    variables = {"input": {"userId": to_global_id("User", target.id), "role": "FARMER"}}

    first = await gql(http, ASSIGN_ROLE, variables, token=token_for(admin))
    second = await gql(http, ASSIGN_ROLE, variables, token=token_for(admin))
    other = await gql(http, ASSIGN_ROLE, variables, token=token_for(other_admin))

    assert first["data"]["assignRole"]["errors"] == []
    assert second["data"]["assignRole"]["errors"][0]["code"] == "RATE_LIMITED"
    assert other["data"]["assignRole"]["errors"] == []


async def test_one_address_flooding_registrations_is_refused(app_with: Any) -> None:
    http = await app_with(rate_limit_address_burst=2, rate_limit_address_per_minute=1)

    def data(n: int) -> dict[str, Any]:
        phone = f"1381234560{n}"
        return {
            "input": {"phone": phone, "password": "good-password", "name": "俞", "role": "BUYER"}
        }

    answers = [(await gql(http, REGISTER, data(n)))["data"]["register"] for n in range(3)]

    assert [a["errors"] for a in answers[:2]] == [[], []]
    assert answers[2]["token"] is None and answers[2]["user"] is None
    assert answers[2]["errors"][0]["code"] == "RATE_LIMITED"
    assert RETRY_AFTER.search(answers[2]["errors"][0]["message"])
    assert await User.all().count() == 2


def test_every_mutation_is_rate_limited_and_its_payload_can_say_so(settings: Settings) -> None:
    schema = build_schema(settings)
    mutation = schema.get_type_by_name("Mutation")
    assert mutation is not None
    errors = [UserError(code=ErrorCode.RATE_LIMITED, message="retry after 1 s")]

    for field in mutation.fields:
        assert any(isinstance(e, MutationRateLimit) for e in field.extensions), field.name
        payload = payload_with_errors(field.type, errors)
        assert payload is not None, f"{field.name}: a RATE_LIMITED payload cannot be built"
        assert payload.errors == errors


def test_a_token_bucket_refills_at_its_rate() -> None:
    now = [0.0]
    limiter = RateLimiter(burst=2, per_minute=60, clock=lambda: now[0])

    assert [limiter.acquire("k"), limiter.acquire("k")] == [0.0, 0.0]
    assert limiter.acquire("k") == pytest.approx(1.0)
    assert limiter.acquire("other") == 0.0  # keys are independent
    now[0] = 1.0
    assert limiter.acquire("k") == 0.0
    with pytest.raises(RateLimited) as refused:
        limiter.check("k")
    assert refused.value.code.value == "RATE_LIMITED" and refused.value.retry_after == 1


def test_a_limiter_forgets_the_least_recently_used_keys_beyond_its_size() -> None:
    limiter = RateLimiter(burst=1, per_minute=1, clock=lambda: 0.0, max_keys=2)
    for key in ("a", "b", "c"):
        limiter.acquire(key)

    assert limiter.acquire("a") == 0.0  # "a" was forgotten: a full bucket again
    assert limiter.acquire("c") > 0


# --- login brute force -------------------------------------------------------------------------


async def test_the_sixth_wrong_password_for_a_phone_is_refused_as_rate_limited(
    client: httpx.AsyncClient,
) -> None:
    user = await make_user(Role.BUYER, phone="13912345678")
    wrong = {"input": {"phone": user.phone, "password": "not-the-password"}}

    five = [(await gql(client, LOGIN, wrong))["data"]["login"] for _ in range(5)]
    sixth = (await gql(client, LOGIN, wrong))["data"]["login"]
    right_too_late = (
        await gql(client, LOGIN, {"input": {"phone": "139 1234 5678", "password": PASSWORD}})
    )["data"]["login"]
    other_phone = await make_user(Role.BUYER, phone="13912345679")
    other = await gql(client, LOGIN, {"input": {"phone": other_phone.phone, "password": PASSWORD}})

    assert [a["errors"][0]["code"] for a in five] == ["UNAUTHENTICATED"] * 5
    assert sixth["token"] is None
    assert sixth["errors"][0]["code"] == "RATE_LIMITED"
    assert RETRY_AFTER.search(sixth["errors"][0]["message"])
    # Locked out means the right password waits too (the same phone, however it is typed) ...
    assert right_too_late["token"] is None
    assert right_too_late["errors"][0]["code"] == "RATE_LIMITED"
    # ... while other phones sign in as usual.
    assert other["data"]["login"]["token"]


def test_the_lock_out_grows_with_each_further_failure_and_a_success_clears_it() -> None:
    now = [0.0]
    backoff = FailureBackoff(
        free_failures=5, base_seconds=30, max_seconds=100, clock=lambda: now[0]
    )

    def waits() -> int | None:
        try:
            backoff.check("phone")
        except RateLimited as error:
            return error.retry_after
        return None

    for _ in range(4):
        backoff.failed("phone")
    assert waits() is None  # four wrong passwords: nothing yet
    backoff.failed("phone")
    assert waits() == 30
    now[0] = 31
    assert waits() is None
    backoff.failed("phone")  # one more wrong: twice as long
    assert waits() == 60
    now[0] = 100
    backoff.failed("phone")  # and so on, up to the maximum
    assert waits() == 100
    backoff.succeeded("phone")
    assert waits() is None


# --- request size and batching -----------------------------------------------------------------


async def test_a_request_body_over_the_limit_is_refused_with_413(app_with: Any) -> None:
    http = await app_with(max_body_bytes=1024)
    big = {"query": "{ viewer { name } }", "variables": {"pad": "x" * 2000}}

    announced = await http.post("/graphql", json=big)

    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(3):
            yield b"x" * 512

    streamed = await http.post(
        "/graphql", content=chunks(), headers={"Content-Type": "application/json"}
    )
    small = await http.post("/graphql", json={"query": "{ viewer { name } }"})

    assert announced.status_code == 413
    assert "1024 bytes" in announced.json()["errors"][0]["message"]
    assert announced.json()["errors"][0]["extensions"] == {"code": "PAYLOAD_TOO_LARGE"}
    assert "content-length" not in {k.lower() for k in streamed.request.headers}
    assert streamed.status_code == 413
    assert small.status_code == 200


async def test_batched_operations_are_refused(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/graphql", json=[{"query": "{ viewer { name } }"}, {"query": "{ routes { code } }"}]
    )

    assert response.status_code == 400
    assert response.json() == {
        "errors": [{"message": "Batching is not enabled", "extensions": {"code": "BAD_REQUEST"}}]
    }


# --- production mode ---------------------------------------------------------------------------

INTROSPECTION = "{ __schema { queryType { name } } }"
TYPO = "{ stationz { totalCount } }"


@pytest.fixture(params=["development", "production"])
def env(request: pytest.FixtureRequest) -> Iterator[str]:
    yield request.param


async def test_production_hides_graphiql_introspection_and_suggestions(
    app_with: Any, env: str
) -> None:
    http = await app_with(env=env)

    page = await http.get("/graphql", headers={"Accept": "text/html"})
    introspection = await gql(http, INTROSPECTION, expect_errors=True)
    typo = await gql(http, TYPO, expect_errors=True)
    typename = await gql(http, "{ __typename }")

    message = typo["errors"][0]["message"]
    assert message.startswith("Cannot query field 'stationz' on type 'Query'.")
    assert typename["data"] == {"__typename": "Query"}  # still allowed
    if env == "production":
        assert page.status_code == 404
        assert "errors" in introspection and introspection.get("data") is None
        assert "introspection" in introspection["errors"][0]["message"].lower()
        assert "Did you mean" not in message
    else:
        assert page.status_code == 200 and "graphiql" in page.text.lower()
        assert introspection["data"] == {"__schema": {"queryType": {"name": "Query"}}}
        assert "Did you mean" in message and "'stations'" in message


async def test_production_hides_suggestions_for_enum_values_and_arguments_too(
    app_with: Any,
) -> None:
    http = await app_with(env="production")

    bad_enum = await gql(
        http,
        REGISTER,
        {"input": {"phone": "1", "password": "x", "name": "x", "role": "BUYR"}},
        expect_errors=True,
    )
    bad_argument = await gql(http, "{ stations(frist: 1) { totalCount } }", expect_errors=True)

    for body in (bad_enum, bad_argument):
        assert body["errors"]
        assert all("Did you mean" not in error["message"] for error in body["errors"])
