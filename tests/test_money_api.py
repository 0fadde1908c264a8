"""Money through GraphQL (issue 12): a leader tops a buyer up, the buyer's order is paid from
the wallet and picked up, the leader's commission lands on their statement to the fen, the
period is settled and paid out once; the viewer's ledger pages newest first; refusals change
nothing; the ledger invariant holds after every day."""

from __future__ import annotations

import httpx
import pytest
from graphql import build_schema
from tortoise.transactions import in_transaction

from builders import gql, make_user, token_for
from builders_orders import (
    ORDER_DAY,
    SERVICE_DATE,
    after_cutoff,
    bring_to_station,
    make_leader,
    make_shop,
)
from cungoods.api.ids import pk_of, to_global_id
from cungoods.devtools.schema_export import sdl
from cungoods.models import CommissionRate, LedgerEntry, Order, Statement
from cungoods.models.enums import AccountKind, Role, StatementParty
from cungoods.services.money import commission, ledger

TOP_UP = """
mutation($input: TopUpInput!) {
  topUp(input: $input) {
    wallet { balanceFen }
    entry { kind accountKind amountFen balanceAfterFen memo }
    errors { code field }
  }
}
"""
SET_RATE = """
mutation($input: SetCommissionRateInput!) {
  setCommissionRate(input: $input) { rate { category rateBp } errors { code field } }
}
"""
PLACE = """
mutation($input: PlaceOrderInput!) {
  placeOrder(input: $input) { order { id totalFen pickupCode } errors { code } }
}
"""
PICKUP = """
mutation($input: ConfirmPickupInput!) {
  confirmPickup(input: $input) { order { status } errors { code } }
}
"""
STATEMENT = """
  id party accountKind periodFrom periodTo openingFen creditsFen debitsFen dueFen paidOutAt
  payoutReference user { name }
  entries { kind amountFen balanceAfterFen order { number } }
"""
SETTLE = f"""
mutation($input: SettleInput!) {{
  settle(input: $input) {{ statements {{ {STATEMENT} }} errors {{ code }} }}
}}
"""
PAID_OUT = """
mutation($input: MarkPaidOutInput!) {
  markPaidOut(input: $input) { statement { paidOutAt payoutReference dueFen } errors { code } }
}
"""
MY_STATEMENTS = f"""
query($from: Date!, $to: Date!) {{ myStatements(from: $from, to: $to) {{ {STATEMENT} }} }}
"""
STATEMENTS = f"""
query($from: Date!, $to: Date!) {{ statements(from: $from, to: $to) {{ {STATEMENT} }} }}
"""
MY_LEDGER = """
query($first: Int, $after: String) {
  myLedger(first: $first, after: $after) {
    totalCount pageInfo { hasNextPage endCursor }
    nodes { kind accountKind amountFen balanceAfterFen order { number } purchase { number } }
  }
}
"""
WALLET = "{ viewer { wallet { balanceFen } } }"
DAY = {"from": ORDER_DAY.isoformat(), "to": ORDER_DAY.isoformat()}


def gid(type_name: str, pk: int) -> str:
    return to_global_id(type_name, pk)


async def wallet_of(client: httpx.AsyncClient, token: str) -> int:
    body = await gql(client, WALLET, token=token)
    return int(body["data"]["viewer"]["wallet"]["balanceFen"])


async def test_a_day_of_money_through_the_api(client: httpx.AsyncClient) -> None:
    # Given a shop, a buyer with an empty wallet, the leader of station 2 and a dispatcher
    shop = await make_shop()
    buyer = await make_user(Role.BUYER, name="徐阿姨", wallet_fen=0)
    leader = await make_leader(shop.station(2))
    buyer_t, leader_t, dispatch_t = token_for(buyer), token_for(leader), token_for(shop.dispatcher)

    # When the leader takes 100 元 in cash for the buyer (twice, with the same key)
    top_up = {"buyerPhone": buyer.phone, "amountFen": 10_000, "idempotencyKey": "cash-1"}
    first = await gql(client, TOP_UP, {"input": top_up}, token=leader_t)
    again = await gql(client, TOP_UP, {"input": top_up}, token=leader_t)

    # Then the wallet is credited once
    assert first["data"]["topUp"] == {
        "wallet": {"balanceFen": 10_000},
        "entry": {
            "kind": "TOP_UP",
            "accountKind": "BUYER_WALLET",
            "amountFen": 10_000,
            "balanceAfterFen": 10_000,
            "memo": f"cash at station {shop.station(2).id}",
        },
        "errors": [],
    }
    assert again["data"]["topUp"] == first["data"]["topUp"]
    assert await wallet_of(client, buyer_t) == 10_000

    # When the dispatcher sets 12 % on fish (水产); rice (粮油) keeps the default 8 %
    rate = await gql(
        client, SET_RATE, {"input": {"category": "水产", "rateBp": 1_200}}, token=dispatch_t
    )
    assert rate["data"]["setCommissionRate"] == {
        "rate": {"category": "水产", "rateBp": 1_200},
        "errors": [],
    }

    # And the buyer orders 3 rice (8.90 元) and 2 fish (25.80 元) to station 2, paid by wallet
    placed = await gql(
        client,
        PLACE,
        {
            "input": {
                "stationId": gid("Station", shop.station(2).id),
                "serviceDate": SERVICE_DATE.isoformat(),
                "lines": [
                    {"saleItemId": gid("SaleItem", shop.item("RICE").id), "quantity": 3},
                    {"saleItemId": gid("SaleItem", shop.item("FISH").id), "quantity": 2},
                ],
            }
        },
        token=buyer_t,
    )
    order = placed["data"]["placeOrder"]["order"]
    assert placed["data"]["placeOrder"]["errors"] == []
    assert order["totalFen"] == 3 * 890 + 2 * 2580 == 7_830
    assert await wallet_of(client, buyer_t) == 2_170

    # And it rides to the station and the leader hands it out (a second try is refused)
    after_cutoff()
    row = await bring_to_station(await Order.get(id=pk_of(order["id"], "Order")))
    pickup = {"orderId": order["id"], "pickupCode": order["pickupCode"]}
    handed = await gql(client, PICKUP, {"input": pickup}, token=leader_t)
    twice = await gql(client, PICKUP, {"input": pickup}, token=leader_t)
    assert handed["data"]["confirmPickup"] == {"order": {"status": "PICKED_UP"}, "errors": []}
    assert twice["data"]["confirmPickup"]["errors"] == [{"code": "INVALID_STATE"}]

    # Then the leader earned 3×890×8 % (213.6: 213) + 2×2580×12 % (619.2: 619) = 832 fen, once
    rice_fen, fish_fen = 2_670 * 800 // 10_000, 5_160 * 1_200 // 10_000
    assert (rice_fen, fish_fen) == (213, 619)
    assert await ledger.balance_of(AccountKind.LEADER_COMMISSION, leader.id) == 832
    async with in_transaction():
        assert await commission.accrue_for_order(order_id=row.id, leader_id=leader.id) == 0
    assert await ledger.balance_of(AccountKind.LEADER_COMMISSION, leader.id) == 832

    # When the dispatcher settles the day
    settled = await gql(client, SETTLE, {"input": DAY}, token=dispatch_t)
    assert settled["data"]["settle"]["errors"] == []
    by_kind = {s["accountKind"]: s for s in settled["data"]["settle"]["statements"]}

    # Then the leader has a commission statement and a cash one, every figure to the fen
    earned, cash = by_kind["LEADER_COMMISSION"], by_kind["LEADER_CASH"]
    assert set(by_kind) == {"LEADER_COMMISSION", "LEADER_CASH"}
    assert earned | {"id": None} == {
        "id": None,
        "party": "LEADER",
        "accountKind": "LEADER_COMMISSION",
        "periodFrom": ORDER_DAY.isoformat(),
        "periodTo": ORDER_DAY.isoformat(),
        "openingFen": 0,
        "creditsFen": 832,
        "debitsFen": 0,
        "dueFen": 832,
        "paidOutAt": None,
        "payoutReference": None,
        "user": {"name": leader.name},
        "entries": [
            {
                "kind": "COMMISSION",
                "amountFen": 832,
                "balanceAfterFen": 832,
                "order": {"number": row.number},
            }
        ],
    }
    assert (cash["debitsFen"], cash["dueFen"]) == (10_000, -10_000)
    assert [e["kind"] for e in cash["entries"]] == ["TOP_UP"]

    # When the commission is paid out, and paid out again
    paid = await gql(
        client,
        PAID_OUT,
        {"input": {"statementId": earned["id"], "reference": "ICBC-0001"}},
        token=dispatch_t,
    )
    repaid = await gql(
        client,
        PAID_OUT,
        {"input": {"statementId": earned["id"], "reference": "ICBC-0002"}},
        token=dispatch_t,
    )

    # Then it is paid once
    assert paid["data"]["markPaidOut"]["errors"] == []
    assert paid["data"]["markPaidOut"]["statement"]["payoutReference"] == "ICBC-0001"
    assert paid["data"]["markPaidOut"]["statement"]["paidOutAt"] is not None
    assert repaid["data"]["markPaidOut"] == {
        "statement": None,
        "errors": [{"code": "INVALID_STATE"}],
    }
    assert await ledger.balance_of(AccountKind.LEADER_COMMISSION, leader.id) == 0
    assert await ledger.balance_of(AccountKind.PAYOUTS) == 832

    # And the leader sees their two statements, the dispatcher everyone's (the same two)
    mine = (await gql(client, MY_STATEMENTS, DAY, token=leader_t))["data"]["myStatements"]
    everyone = (await gql(client, STATEMENTS, DAY, token=dispatch_t))["data"]["statements"]
    assert {s["id"] for s in mine} == {earned["id"], cash["id"]}
    assert {s["id"] for s in everyone} == {earned["id"], cash["id"]}
    assert next(s for s in mine if s["id"] == earned["id"])["payoutReference"] == "ICBC-0001"
    assert (await gql(client, MY_STATEMENTS, DAY, token=buyer_t))["data"]["myStatements"] == []

    # And the buyer's ledger pages newest first with the balance after each entry
    page1 = (await gql(client, MY_LEDGER, {"first": 1}, token=buyer_t))["data"]["myLedger"]
    after = page1["pageInfo"]["endCursor"]
    page2 = (await gql(client, MY_LEDGER, {"first": 5, "after": after}, token=buyer_t))["data"][
        "myLedger"
    ]
    assert (page1["totalCount"], page1["pageInfo"]["hasNextPage"]) == (2, True)
    assert page1["nodes"] == [
        {
            "kind": "PAYMENT",
            "accountKind": "BUYER_WALLET",
            "amountFen": -7_830,
            "balanceAfterFen": 2_170,
            "order": {"number": row.number},
            "purchase": None,
        }
    ]
    assert page2["pageInfo"]["hasNextPage"] is False
    assert [(n["kind"], n["amountFen"], n["balanceAfterFen"]) for n in page2["nodes"]] == [
        ("TOP_UP", 10_000, 10_000)
    ]
    # And the leader's across their accounts: payout, commission, the cash taken
    leaders = (await gql(client, MY_LEDGER, {"first": 10}, token=leader_t))["data"]["myLedger"]
    assert [
        (n["kind"], n["accountKind"], n["amountFen"], n["balanceAfterFen"])
        for n in leaders["nodes"]
    ] == [
        ("PAYOUT", "LEADER_COMMISSION", -832, 0),
        ("COMMISSION", "LEADER_COMMISSION", 832, 832),
        ("TOP_UP", "LEADER_CASH", -10_000, -10_000),
    ]
    assert await ledger.invariant_violations() == []


async def test_refused_money_operations_change_nothing(client: httpx.AsyncClient) -> None:
    # Given a leader, a buyer with 50 元, a farmer, a dispatcher and a rate on fruit
    leader = await make_user(Role.LEADER)
    buyer = await make_user(Role.BUYER, wallet_fen=5_000)
    farmer = await make_user(Role.FARMER)
    dispatcher = await make_user(Role.DISPATCHER)
    await CommissionRate.create(category="水果", rate_bp=500)
    entries_before = await LedgerEntry.all().count()
    leader_t, buyer_t, dispatch_t = token_for(leader), token_for(buyer), token_for(dispatcher)

    # When top-ups are tried by a buyer, anonymously, for nothing, for too much, to a farmer
    def top_up(phone: str, amount: int) -> dict[str, object]:
        return {"input": {"buyerPhone": phone, "amountFen": amount}}

    tries = [
        (buyer_t, top_up(buyer.phone, 100)),
        (None, top_up(buyer.phone, 100)),
        (leader_t, top_up(buyer.phone, 0)),
        (leader_t, top_up(buyer.phone, 500_001)),
        (leader_t, top_up(farmer.phone, 100)),
    ]
    codes = [
        (await gql(client, TOP_UP, variables, token=token))["data"]["topUp"]
        for token, variables in tries
    ]

    # Then each is refused with its code, and no wallet moved
    assert [(c["errors"][0]["code"], c["wallet"], c["entry"]) for c in codes] == [
        ("NOT_ALLOWED", None, None),
        ("UNAUTHENTICATED", None, None),
        ("INVALID_INPUT", None, None),
        ("INVALID_INPUT", None, None),
        ("NOT_FOUND", None, None),
    ]
    assert await wallet_of(client, buyer_t) == 5_000

    # When a leader sets a rate, and a dispatcher sets one out of range
    by_leader = await gql(
        client, SET_RATE, {"input": {"category": "水果", "rateBp": 9_000}}, token=leader_t
    )
    too_high = await gql(
        client, SET_RATE, {"input": {"category": "水果", "rateBp": 10_001}}, token=dispatch_t
    )
    # Then both are refused and the rate stays
    assert by_leader["data"]["setCommissionRate"]["errors"] == [
        {"code": "NOT_ALLOWED", "field": None}
    ]
    assert too_high["data"]["setCommissionRate"]["errors"] == [
        {"code": "INVALID_INPUT", "field": ["rateBp"]}
    ]
    assert await commission.rates() == {"水果": 500}

    # When a leader settles, or asks for everyone's statements; a dispatcher pays a bad id
    settled = await gql(client, SETTLE, {"input": DAY}, token=leader_t)
    listed = await gql(client, STATEMENTS, DAY, token=leader_t, expect_errors=True)
    bad_id = await gql(
        client,
        PAID_OUT,
        {"input": {"statementId": gid("Order", 1), "reference": "X"}},
        token=dispatch_t,
    )
    missing = await gql(
        client,
        PAID_OUT,
        {"input": {"statementId": gid("Statement", 999), "reference": "X"}},
        token=dispatch_t,
    )

    # Then they are refused and nothing was made or moved
    assert settled["data"]["settle"] == {"statements": [], "errors": [{"code": "NOT_ALLOWED"}]}
    assert listed["errors"][0]["extensions"]["code"] == "NOT_ALLOWED"
    assert bad_id["data"]["markPaidOut"]["errors"] == [{"code": "INVALID_INPUT"}]
    assert missing["data"]["markPaidOut"]["errors"] == [{"code": "NOT_FOUND"}]
    assert await Statement.all().count() == 0
    assert await LedgerEntry.all().count() == entries_before
    # And the anonymous get no ledger and no wallet
    anonymous = await gql(client, MY_LEDGER, {"first": 5}, expect_errors=True)
    assert anonymous["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert (await gql(client, WALLET))["data"]["viewer"] is None
    assert await ledger.invariant_violations() == []


async def test_a_wallet_is_seen_by_its_owner_only(client: httpx.AsyncClient) -> None:
    # Given a route's driver and a dispatcher
    shop = await make_shop()
    query = "query($id: ID!) { trip(id: $id) { driver { wallet { balanceFen } } } }"
    trip = {"id": gid("Trip", shop.trip.id)}

    # When each reads the driver's wallet
    own = await gql(client, query, trip, token=token_for(shop.net.driver))
    staff = await gql(client, query, trip, token=token_for(shop.dispatcher))

    # Then the driver sees it, the dispatcher does not
    assert own["data"]["trip"]["driver"]["wallet"] == {"balanceFen": 0}
    assert staff["data"]["trip"]["driver"]["wallet"] is None


async def test_statement_figures_past_2_31_fen_are_exact_longs(client: httpx.AsyncClient) -> None:
    # Given a farmer's statement of 50 million yuan (5,000,000,000 fen: past 2^31)
    farmer = await make_user(Role.FARMER)
    account = await ledger.account(AccountKind.FARMER_PAYABLE, farmer.id)
    big = 5_000_000_000
    await Statement.create(
        party=StatementParty.FARMER,
        user_id=farmer.id,
        account_id=account,
        period_from=ORDER_DAY,
        period_to=ORDER_DAY,
        opening_fen=big,
        credits_fen=big + 1,
        debits_fen=1,
        due_fen=2 * big,
    )

    # When the farmer reads it
    [mine] = (await gql(client, MY_STATEMENTS, DAY, token=token_for(farmer)))["data"][
        "myStatements"
    ]

    # Then every figure comes out exact, as a JSON integer
    assert (mine["openingFen"], mine["creditsFen"], mine["dueFen"]) == (big, big + 1, 2 * big)


def test_money_totals_and_balances_are_long_in_the_sdl() -> None:
    schema = build_schema(sdl())

    def type_of(type_name: str, field: str) -> str:
        return str(schema.get_type(type_name).fields[field].type)  # type: ignore[union-attr]

    assert type_of("ActivityFigures", "salesFen") == "Long!"
    assert type_of("ActivityFigures", "produceCarriedFen") == "Long!"
    assert type_of("Wallet", "balanceFen") == "Long!"
    assert type_of("Statement", "dueFen") == "Long!"
    assert type_of("LedgerEntry", "balanceAfterFen") == "Long!"


@pytest.mark.parametrize("first", [-1, 101])
async def test_a_ledger_page_out_of_range_is_refused(client: httpx.AsyncClient, first: int) -> None:
    buyer = await make_user(Role.BUYER)
    body = await gql(
        client, MY_LEDGER, {"first": first}, token=token_for(buyer), expect_errors=True
    )
    assert body["errors"][0]["extensions"]["code"] == "INVALID_INPUT"
