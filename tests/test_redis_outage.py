"""With the shared limits in Redis (CUNGOODS_REDIS_URL), a Redis that does not answer is an
outage like the database's: a retryable 503 with DATABASE_UNAVAILABLE and a retry hint, never
INTERNAL, for sign-ins and mutations alike (issue 16, items 8 and 9)."""

from __future__ import annotations

import httpx
import pytest

from builders import make_user, token_for
from cungoods.app import create_app
from cungoods.config import Settings
from cungoods.models.enums import Role

NOBODY_LISTENS = "redis://127.0.0.1:1/0"  # port 1: refused at once
LOGIN = (
    'mutation { login(input: {phone: "13800000099", password: "wrong-pass"}) { errors { code } } }'
)
CANCEL = 'mutation { cancelOrder(input: {orderId: "T3JkZXI6MQ=="}) { errors { code } } }'


@pytest.mark.parametrize("query", [LOGIN, CANCEL], ids=["login", "mutation"])
async def test_a_redis_outage_is_answered_as_a_retryable_outage(
    settings: Settings, query: str
) -> None:
    app = create_app(settings.model_copy(update={"redis_url": NOBODY_LISTENS}), manage_db=False)
    buyer = await make_user(Role.BUYER)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as http:
        answer = await http.post(
            "/graphql",
            json={"query": query},
            headers={"Authorization": f"Bearer {token_for(buyer)}"},
        )

    assert answer.status_code == 503
    [error] = answer.json()["errors"]
    assert error["extensions"]["code"] == "DATABASE_UNAVAILABLE"
    assert error["extensions"]["retryAfter"] > 0
