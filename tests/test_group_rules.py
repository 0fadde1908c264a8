"""Group-buy rules through the API: 成团 (minUnits: an item short of its group at the cutoff is
cancelled and refunded, buyers told) and 限购 (maxPerBuyer: LIMIT_EXCEEDED with the allowance
left, changing nothing)."""

from __future__ import annotations

import httpx

from builders import gql, make_user, token_for
from builders_orders import (
    SERVICE_DATE,
    Shop,
    after_cutoff,
    bring_to_station,
    make_leader,
    make_shop,
    place,
    sold,
    used_g,
    viewer,
)
from cungoods.api.ids import to_global_id
from cungoods.models import Event, Notification, Order, OrderLine, SaleItem, Shipment
from cungoods.models.enums import AccountKind, OrderStatus, Role, ShipmentState
from cungoods.services import capacity, orders
from cungoods.services.money import ledger

OPEN = """
mutation($input: OpenSaleWindowInput!) {
  openSaleWindow(input: $input) {
    saleWindow { items { product { sku } minUnits maxPerBuyer sold groupFormed } }
    errors { code message field }
  }
}
"""
PLACE = """
mutation($input: PlaceOrderInput!) {
  placeOrder(input: $input) {
    order { number totalFen }
    errors { code message field remaining }
  }
}
"""
CUTOFF = """
mutation($input: RunCutoffInput!) {
  runCutoff(input: $input) { saleWindow { serviceDate } errors { code message } }
}
"""
ORDER = """
query($id: ID!) {
  order(id: $id) { status paidFen refundedFen paymentStatus lines { quantity product { sku } } }
}
"""
CANCEL = """
mutation($input: CancelOrderInput!) { cancelOrder(input: $input) { errors { code } } }
"""
ITEM = """
query($id: ID!) { node(id: $id) { ... on SaleItem { sold minUnits maxPerBuyer groupFormed } } }
"""


def gid(type_name: str, pk: int) -> str:
    return to_global_id(type_name, pk)


async def set_rules(
    client: httpx.AsyncClient, shop: Shop, rules: dict[str, dict[str, int | None]]
) -> dict[str, object]:
    """openSaleWindow again with every item's stock (100) and the given rules per SKU."""
    items = []
    for sku, item in shop.items.items():
        items.append(
            {"productId": gid("Product", item.product_id), "stock": 100, **rules.get(sku, {})}
        )
    body = await gql(
        client,
        OPEN,
        {"input": {"serviceDate": SERVICE_DATE.isoformat(), "items": items}},
        token=token_for(shop.dispatcher),
    )
    result: dict[str, object] = body["data"]["openSaleWindow"]
    return result


def order_input(shop: Shop, **lines: int) -> dict[str, object]:
    return {
        "stationId": gid("Station", shop.station(2).id),
        "serviceDate": SERVICE_DATE.isoformat(),
        "lines": [
            {"saleItemId": gid("SaleItem", shop.item(sku).id), "quantity": quantity}
            for sku, quantity in lines.items()
        ],
    }


async def wallet_of(user_id: int) -> int:
    return await ledger.balance_of(AccountKind.BUYER_WALLET, user_id)


async def test_the_dispatcher_sets_the_rules_and_the_item_shows_them(
    client: httpx.AsyncClient,
) -> None:
    shop = await make_shop()

    result = await set_rules(client, shop, {"RICE": {"minUnits": 10, "maxPerBuyer": 3}})

    assert result["errors"] == []
    items = {i["product"]["sku"]: i for i in result["saleWindow"]["items"]}  # type: ignore[index]
    assert items["RICE"] == {
        "product": {"sku": "RICE"},
        "minUnits": 10,
        "maxPerBuyer": 3,
        "sold": 0,
        "groupFormed": False,
    }
    assert items["FISH"]["minUnits"] is None and items["FISH"]["groupFormed"] is True


async def test_bad_rules_are_refused_at_their_field(client: httpx.AsyncClient) -> None:
    shop = await make_shop()

    result = await set_rules(client, shop, {"RICE": {"minUnits": 0, "maxPerBuyer": -1}})

    assert [(e["code"], e["field"]) for e in result["errors"]] == [  # type: ignore[attr-defined]
        ("INVALID_INPUT", ["items", "0", "minUnits"]),
        ("INVALID_INPUT", ["items", "0", "maxPerBuyer"]),
    ]
    assert (await SaleItem.get(id=shop.item("RICE").id)).min_units is None


async def test_more_than_the_limit_is_refused_with_the_allowance_left_changing_nothing(
    client: httpx.AsyncClient,
) -> None:
    shop = await make_shop()
    await set_rules(client, shop, {"RICE": {"maxPerBuyer": 5}})
    token = token_for(shop.buyer)
    first = await gql(client, PLACE, {"input": order_input(shop, RICE=3)}, token=token)
    assert first["data"]["placeOrder"]["errors"] == []
    wallet_before = await wallet_of(shop.buyer.id)
    legs_before = await used_g(shop.trip)

    refused = await gql(client, PLACE, {"input": order_input(shop, RICE=3, FISH=1)}, token=token)

    assert refused["data"]["placeOrder"] == {
        "order": None,
        "errors": [
            {
                "code": "LIMIT_EXCEEDED",
                "message": "at most 5 per buyer: 2 more allowed",
                "field": ["lines", "0", "quantity"],
                "remaining": 2,
            }
        ],
    }
    assert await Order.all().count() == 1
    assert await sold(shop.item("RICE")) == 3
    assert await sold(shop.item("FISH")) == 0
    assert await used_g(shop.trip) == legs_before
    assert await wallet_of(shop.buyer.id) == wallet_before

    # The allowance left is still there, and another buyer has their own.
    ok = await gql(client, PLACE, {"input": order_input(shop, RICE=2)}, token=token)
    assert ok["data"]["placeOrder"]["errors"] == []
    other = await make_user(Role.BUYER)
    theirs = await gql(client, PLACE, {"input": order_input(shop, RICE=5)}, token=token_for(other))
    assert theirs["data"]["placeOrder"]["errors"] == []


async def test_a_cancelled_order_gives_its_units_back_to_the_allowance(
    client: httpx.AsyncClient,
) -> None:
    shop = await make_shop()
    await set_rules(client, shop, {"RICE": {"maxPerBuyer": 2}})
    order = await place(shop, lines={"RICE": 2})
    await gql(
        client, CANCEL, {"input": {"orderId": gid("Order", order.id)}}, token=token_for(shop.buyer)
    )

    again = await gql(
        client, PLACE, {"input": order_input(shop, RICE=2)}, token=token_for(shop.buyer)
    )

    assert again["data"]["placeOrder"]["errors"] == []


async def test_an_unmet_group_is_cancelled_at_the_cutoff_refunded_to_the_fen(
    client: httpx.AsyncClient,
) -> None:
    # Rice needs 10 units; only 3 + 4 are ordered. Fish has no minimum.
    shop = await make_shop()
    await set_rules(client, shop, {"RICE": {"minUnits": 10}})
    other = await make_user(Role.BUYER, name="徐春花")
    only_rice = await place(shop, lines={"RICE": 3})  # 3 × 890 = 2,670 fen, 3 kg
    mixed = await place(shop, buyer=other, lines={"RICE": 4, "FISH": 2})  # 3,560 + 5,160 fen
    wallets = {u: await wallet_of(u) for u in (shop.buyer.id, other.id)}
    assert (await gql(client, ITEM, {"id": gid("SaleItem", shop.item("RICE").id)}))["data"][
        "node"
    ] == {"sold": 7, "minUnits": 10, "maxPerBuyer": None, "groupFormed": False}

    after_cutoff()
    done = await gql(
        client,
        CUTOFF,
        {"input": {"serviceDate": SERVICE_DATE.isoformat()}},
        token=token_for(shop.dispatcher),
    )
    assert done["data"]["runCutoff"]["errors"] == []

    # The rice-only order is cancelled, every fen back, its room on the bus released.
    first = await gql(
        client, ORDER, {"id": gid("Order", only_rice.id)}, token=token_for(shop.buyer)
    )
    assert first["data"]["order"] == {
        "status": "CANCELLED",
        "paidFen": 2670,
        "refundedFen": 2670,
        "paymentStatus": "REFUNDED",
        "lines": [{"quantity": 3, "product": {"sku": "RICE"}}],
    }
    assert (await Shipment.get(id=only_rice.shipment_id)).state is ShipmentState.RELEASED
    assert await wallet_of(shop.buyer.id) == wallets[shop.buyer.id] + 2670
    # The mixed order keeps its fish and is confirmed; the rice line is refunded exactly.
    second = await gql(client, ORDER, {"id": gid("Order", mixed.id)}, token=token_for(other))
    assert second["data"]["order"] == {
        "status": "CONFIRMED",
        "paidFen": 8720,
        "refundedFen": 3560,
        "paymentStatus": "PARTLY_REFUNDED",
        "lines": [
            {"quantity": 0, "product": {"sku": "RICE"}},
            {"quantity": 2, "product": {"sku": "FISH"}},
        ],
    }
    assert await wallet_of(other.id) == wallets[other.id] + 3560
    shipment = await Shipment.get(id=mixed.shipment_id)
    assert (shipment.weight_g, shipment.chilled_g) == (1000, 1000)  # 2 × 500 g of fish
    assert await used_g(shop.trip) == [1000, 1000, 0, 0, 0]
    assert await sold(shop.item("RICE")) == 0
    assert await sold(shop.item("FISH")) == 2
    # Each buyer is told, once, in their language.
    unmet = await Event.filter(kind="GROUP_BUY_UNMET").order_by("id")
    assert [e.order_id for e in unmet] == [only_rice.id, mixed.id]
    texts = (
        await Notification.filter(kind="GROUP_BUY_UNMET")
        .order_by("id")
        .values_list("user_id", "text")
    )
    told = "本地晚稻米 1kg 未成团（需 10 件，仅 7 件），订单 {} 中该商品已取消并退款。"
    assert texts == [
        (shop.buyer.id, told.format(only_rice.number)),
        (other.id, told.format(mixed.number)),
    ]
    assert await capacity.invariant_violations() == []
    assert await ledger.invariant_violations() == []
    assert await OrderLine.filter(order_id=mixed.id, quantity=0).count() == 1

    # When the rest is picked up, the leader earns commission on the fish only: 8 % of
    # 5,160 fen, rounded down (the rice line's refund is not taken off a second time).
    leader = await make_leader(shop.station(2))
    await bring_to_station(mixed)
    await orders.confirm_pickup(
        viewer=viewer(leader), order_id=mixed.id, pickup_code=mixed.pickup_code
    )
    assert await ledger.balance_of(AccountKind.LEADER_COMMISSION, leader.id) == 412


async def test_a_met_group_is_confirmed_untouched(client: httpx.AsyncClient) -> None:
    shop = await make_shop()
    await set_rules(client, shop, {"RICE": {"minUnits": 5}})
    order = await place(shop, lines={"RICE": 5})

    after_cutoff()
    await gql(
        client,
        CUTOFF,
        {"input": {"serviceDate": SERVICE_DATE.isoformat()}},
        token=token_for(shop.dispatcher),
    )

    confirmed = await Order.get(id=order.id)
    assert (confirmed.status, confirmed.refunded_fen) == (OrderStatus.CONFIRMED, 0)
    assert await Event.filter(kind="GROUP_BUY_UNMET").count() == 0
