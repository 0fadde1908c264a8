"""The authorization matrix: every query, mutation and subscription, run as every role through
the public API, gives the outcome written in docs/authorization.md.

The expected outcomes are read from the markdown tables of docs/authorization.md, so the
document and this test cannot drift apart: change a rule, and the doc has to change with it.

The world (one per operation, rebuilt after every successful mutation so each role meets the
same state): route R1 through two stations (S1 "this station", S2 "another"), its trip on the
service date, a second route R2 with its own trip and driver, rice on sale, one order of the
buyer's for pickup at S1, a farmer at S1 with a listing, the buyer's purchase from it (handed
over at S1), the buyer's produce request with the farmer's offer on it. Subscriptions are
checked over the in-process WebSocket: an allowed subscriber with `after` the start of time gets
the topic's earlier events replayed at once, a refused one gets an error.

Set CUNGOODS_AUTHZ_PRINT=1 to print the observed matrix as markdown (handy when a rule changes).
"""

from __future__ import annotations

import datetime as dt
import os
import re
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from graphql import build_schema
from tortoise import Tortoise, connections
from tortoise.transactions import in_transaction

from builders import PASSWORD
from builders_authz import World, build_world, bus_at_here, claim_filed, picked_up_here
from builders_live import Closed, live_server
from builders_orders import SERVICE_DATE, after_cutoff, bring_to_station, set_clock
from conftest import reset_database
from cungoods.api.ids import pk_of, to_global_id
from cungoods.config import Settings
from cungoods.devtools.schema_export import sdl
from cungoods.models import Order, ProducePurchase, TripStop, User
from cungoods.models.enums import PayWith, PurchaseStatus
from cungoods.services import clock, orders
from cungoods.services.auth import Viewer
from cungoods.services.orders import LineRequest

DOC = Path(__file__).resolve().parents[1] / "docs" / "authorization.md"
ROLES = (
    "anonymous",
    "buyer",
    "other buyer",
    "farmer",
    "leader here",
    "leader other",
    "driver here",
    "driver other",
    "dispatcher",
    "admin",
)


async def _order_at_station(world: World) -> None:
    await bring_to_station(await Order.get(id=int(world.ids["orderPk"])))


async def _after_cutoff(world: World) -> None:
    after_cutoff()


async def _confirmed(world: World) -> None:
    """The order confirmed by its cutoff: in the pick list, loading plan and manifest."""
    order = await Order.get(id=int(world.ids["orderPk"]))
    await orders.cut_off(window_id=order.window_id)


async def _code_locked(world: World) -> None:
    """The order at its station, its pickup code locked by five wrong tries."""
    await _order_at_station(world)
    await Order.filter(id=int(world.ids["orderPk"])).update(wrong_code_attempts=5)


async def _unpaid_order(world: World) -> None:
    """An order of the buyer's to pay through the provider (it waits UNPAID)."""
    order = await orders.place_order(
        viewer=Viewer.of(await User.get(id=int(world.ids["buyerPk"]))),
        station_id=pk_of(world.ids["here"], "Station"),
        service_date=SERVICE_DATE,
        lines=[LineRequest(pk_of(world.ids["rice"], "SaleItem"), 1)],
        idempotency_key=None,
        pay_with=PayWith.PROVIDER,
    )
    world.ids["unpaidOrder"] = to_global_id("Order", order.id)


def _purchase_in(status: PurchaseStatus) -> Callable[[World], Awaitable[None]]:
    async def prepare(world: World) -> None:
        await ProducePurchase.filter(id=int(world.ids["purchasePk"])).update(status=status)

    return prepare


async def _in_transit_bus_back(world: World) -> None:
    """The purchase rode the trip, and the bus is back at the hub (its last stop)."""
    purchase_id = int(world.ids["purchasePk"])
    await ProducePurchase.filter(id=purchase_id).update(status=PurchaseStatus.IN_TRANSIT)
    purchase = await ProducePurchase.get(id=purchase_id)
    back = await TripStop.filter(trip_id=purchase.trip_id).order_by("-seq").first()
    assert back is not None
    await TripStop.filter(id=back.id).update(arrived_at=clock.now())


async def _service_morning(world: World) -> None:
    set_clock(SERVICE_DATE, "05:00")


async def _produce_overdue(world: World) -> None:
    await ProducePurchase.filter(id=int(world.ids["purchasePk"])).update(
        status=PurchaseStatus.AT_HUB, overdue_at=clock.now()
    )


@dataclass
class Op:
    """One operation of the schema: its document, variables for a world, and what to read."""

    kind: str  # query, mutation, subscription
    document: str
    variables: Callable[[World], dict[str, Any]]
    prepare: Callable[[World], Awaitable[None]] | None = None
    # False when a success leaves every other role's outcome as it was (it adds a record, or
    # repeats), so the next role need not get a rebuilt world.
    changes_world: bool = True


def _q(selection: str, args: str = "", params: str = "") -> str:
    return f"query{params} {{ result: {args} {selection} }}"


def _m(field: str, input_type: str) -> str:
    return (
        f"mutation($input: {input_type}!) {{ result: {field}(input: $input) "
        "{ errors { code } } }"
    )


def _s(field: str, args: str, params: str) -> str:
    return f"subscription({params}) {{ result: {field}({args}) {{ id kind }} }}"


D = SERVICE_DATE.isoformat()
CONN = "{ totalCount edges { node { id } } }"


def _none(_: World) -> dict[str, Any]:
    return {}


OPS: dict[str, Op] = {
    # --- queries -------------------------------------------------------------------------
    "node": Op(
        "query",
        _q("{ id }", "node(id: $id)", "($id: ID!)"),
        lambda w: {"id": w.ids["order"]},
    ),
    "viewer": Op("query", _q("{ id }", "viewer"), _none),
    "routes": Op("query", _q("{ code }", "routes"), _none),
    "stations": Op("query", _q(CONN, "stations(first: 5)"), _none),
    "trips": Op("query", _q("{ id }", f'trips(date: "{D}")'), _none),
    "trip": Op(
        "query", _q("{ id }", "trip(id: $id)", "($id: ID!)"), lambda w: {"id": w.ids["trip"]}
    ),
    "openSaleWindows": Op("query", _q("{ serviceDate }", "openSaleWindows"), _none),
    "saleWindow": Op("query", _q("{ serviceDate }", f'saleWindow(serviceDate: "{D}")'), _none),
    "products": Op("query", _q(CONN, "products(first: 5)"), _none),
    "myOrders": Op("query", _q(CONN, "myOrders(first: 5)"), _none),
    "order": Op(
        "query", _q("{ id }", "order(id: $id)", "($id: ID!)"), lambda w: {"id": w.ids["order"]}
    ),
    "order.pickupCode": Op(
        "query",
        "query($id: ID!) { order(id: $id) { result: pickupCode } }",
        lambda w: {"id": w.ids["order"]},
    ),
    "User.phone": Op(
        "query",
        "query($id: ID!) { trip(id: $id) { driver { result: phone } } }",
        lambda w: {"id": w.ids["trip"]},
    ),
    "capacityOutlook": Op(
        "query",
        _q("{ date }", f'capacityOutlook(stationId: $s, from: "{D}", days: 1)', "($s: ID!)"),
        lambda w: {"s": w.ids["here"]},
    ),
    "produceListings": Op("query", _q(CONN, "produceListings(first: 5)"), _none),
    "produceRequests": Op("query", _q(CONN, "produceRequests(first: 5)"), _none),
    "myPurchases": Op("query", _q(CONN, "myPurchases(first: 5)"), _none),
    "ProducePurchase.collectCode": Op(
        "query",
        "query($id: ID!) { node(id: $id) { ... on ProducePurchase { result: collectCode } } }",
        lambda w: {"id": w.ids["purchase"]},
    ),
    "node.User": Op(
        "query",
        _q("{ ... on User { name } }", "node(id: $id)", "($id: ID!)"),
        lambda w: {"id": w.ids["buyerUser"]},
    ),
    "node.DeliveryEvent": Op(
        "query",
        _q("{ ... on DeliveryEvent { kind } }", "node(id: $id)", "($id: ID!)"),
        lambda w: {"id": w.ids["orderEvent"]},
    ),
    "ManifestOrder.pickupCode": Op(
        "query",
        "query($t: ID!, $s: ID!) { stationManifest(tripId: $t, stationId: $s) "
        "{ orders { result: pickupCode } } }",
        lambda w: {"t": w.ids["trip"], "s": w.ids["here"]},
        prepare=_confirmed,
    ),
    "CrateOrder.order": Op(
        "query",
        "query($t: ID!) { loadingPlan(tripId: $t) "
        "{ steps { crate { orders { result: order { id } } } } } }",
        lambda w: {"t": w.ids["trip"]},
        prepare=_confirmed,
    ),
    "pickList": Op(
        "query",
        _q("{ orderCount }", "pickList(tripId: $t)", "($t: ID!)"),
        lambda w: {"t": w.ids["trip"]},
    ),
    "loadingPlan": Op(
        "query",
        _q("{ steps { step } }", "loadingPlan(tripId: $t)", "($t: ID!)"),
        lambda w: {"t": w.ids["trip"]},
    ),
    "stationManifest": Op(
        "query",
        _q("{ stopSeq }", "stationManifest(tripId: $t, stationId: $s)", "($t: ID!, $s: ID!)"),
        lambda w: {"t": w.ids["trip"], "s": w.ids["here"]},
    ),
    "networkStats": Op("query", _q("{ from }", f'networkStats(from: "{D}", to: "{D}")'), _none),
    # --- money ---------------------------------------------------------------------------
    "myLedger": Op(
        "query", _q("{ totalCount edges { node { kind } } }", "myLedger(first: 5)"), _none
    ),
    "myStatements": Op(
        "query",
        _q("{ id }", "myStatements(from: $d, to: $d)", "($d: Date!)"),
        lambda w: {"d": w.ids["statementDay"]},
    ),
    "statements": Op(
        "query",
        _q("{ id }", "statements(from: $d, to: $d)", "($d: Date!)"),
        lambda w: {"d": w.ids["statementDay"]},
    ),
    "viewer.wallet": Op("query", "query { viewer { result: wallet { balanceFen } } }", _none),
    "User.wallet": Op(
        "query",
        "query($id: ID!) { trip(id: $id) { driver { result: wallet { balanceFen } } } }",
        lambda w: {"id": w.ids["trip"]},
    ),
    # --- mutations -----------------------------------------------------------------------
    "register": Op(
        "mutation",
        _m("register", "RegisterInput"),
        lambda w: {
            "input": {
                "phone": f"1331{uuid.uuid4().int % 10**7:07d}",
                "password": PASSWORD,
                "name": "新用户",
                "role": "BUYER",
            }
        },
        changes_world=False,
    ),
    "login": Op(
        "mutation",
        _m("login", "LoginInput"),
        lambda w: {"input": {"phone": w.ids["buyerPhone"], "password": PASSWORD}},
        changes_world=False,
    ),
    "assignRole": Op(
        "mutation",
        _m("assignRole", "AssignRoleInput"),
        lambda w: {
            "input": {"userId": w.ids["target"], "role": "LEADER", "stationId": w.ids["other"]}
        },
    ),
    "scheduleTrips": Op(
        "mutation",
        _m("scheduleTrips", "ScheduleTripsInput"),
        lambda w: {"input": {"routeCode": "R1", "from": D, "to": D}},
        changes_world=False,
    ),
    "openSaleWindow": Op(
        "mutation",
        _m("openSaleWindow", "OpenSaleWindowInput"),
        lambda w: {
            "input": {
                "serviceDate": (SERVICE_DATE + dt.timedelta(days=1)).isoformat(),
                "items": [{"productId": w.ids["riceProduct"], "stock": 10}],
            }
        },
        changes_world=False,
    ),
    "runCutoff": Op(
        "mutation",
        _m("runCutoff", "RunCutoffInput"),
        lambda w: {"input": {"serviceDate": D}},
        prepare=_after_cutoff,
    ),
    "placeOrder": Op(
        "mutation",
        _m("placeOrder", "PlaceOrderInput"),
        lambda w: {
            "input": {
                "stationId": w.ids["here"],
                "serviceDate": D,
                "lines": [{"saleItemId": w.ids["rice"], "quantity": 1}],
                "idempotencyKey": uuid.uuid4().hex,
            }
        },
        changes_world=False,
    ),
    "cancelOrder": Op(
        "mutation",
        _m("cancelOrder", "CancelOrderInput"),
        lambda w: {"input": {"orderId": w.ids["order"]}},
    ),
    "confirmPickup": Op(
        "mutation",
        _m("confirmPickup", "ConfirmPickupInput"),
        lambda w: {"input": {"orderId": w.ids["order"], "pickupCode": w.ids["pickupCode"]}},
        prepare=_order_at_station,
    ),
    "createListing": Op(
        "mutation",
        _m("createListing", "CreateListingInput"),
        lambda w: {
            "input": {
                "title": "高山椪柑",
                "category": "水果",
                "unit": "斤",
                "unitWeightG": 500,
                "unitVolumeCm3": 1000,
                "priceFen": 350,
                "quantity": 20,
                "readyFrom": D,
                "readyUntil": (SERVICE_DATE + dt.timedelta(days=2)).isoformat(),
            }
        },
        changes_world=False,
    ),
    "updateListing": Op(
        "mutation",
        _m("updateListing", "UpdateListingInput"),
        lambda w: {"input": {"listingId": w.ids["listing"], "priceFen": 380}},
        changes_world=False,
    ),
    "closeListing": Op(
        "mutation",
        _m("closeListing", "CloseListingInput"),
        lambda w: {"input": {"listingId": w.ids["listing"]}},
    ),
    "buyProduce": Op(
        "mutation",
        _m("buyProduce", "BuyProduceInput"),
        lambda w: {
            "input": {
                "listingId": w.ids["listing"],
                "quantity": 1,
                "idempotencyKey": uuid.uuid4().hex,
            }
        },
        changes_world=False,
    ),
    "postProduceRequest": Op(
        "mutation",
        _m("postProduceRequest", "PostProduceRequestInput"),
        lambda w: {
            "input": {
                "what": "土鸡蛋",
                "quantity": 10,
                "maxPriceFen": 200,
                "neededBy": (SERVICE_DATE + dt.timedelta(days=2)).isoformat(),
            }
        },
        changes_world=False,
    ),
    "makeOffer": Op(
        "mutation",
        _m("makeOffer", "MakeOfferInput"),
        lambda w: {
            "input": {
                "requestId": w.ids["request"],
                "quantity": 2,
                "priceFen": 160,
                "listingId": w.ids["listing"],
            }
        },
        changes_world=False,
    ),
    "acceptOffer": Op(
        "mutation",
        _m("acceptOffer", "AcceptOfferInput"),
        lambda w: {"input": {"offerId": w.ids["offer"], "idempotencyKey": uuid.uuid4().hex}},
    ),
    "closeRequest": Op(
        "mutation",
        _m("closeRequest", "CloseRequestInput"),
        lambda w: {"input": {"requestId": w.ids["request"]}},
    ),
    "withdrawOffer": Op(
        "mutation",
        _m("withdrawOffer", "WithdrawOfferInput"),
        lambda w: {"input": {"offerId": w.ids["offer"]}},
    ),
    "cancelPurchase": Op(
        "mutation",
        _m("cancelPurchase", "CancelPurchaseInput"),
        lambda w: {"input": {"purchaseId": w.ids["purchase"]}},
    ),
    "confirmHandover": Op(
        "mutation",
        _m("confirmHandover", "ConfirmHandoverInput"),
        lambda w: {"input": {"purchaseId": w.ids["purchase"], "quantity": 2}},
    ),
    "confirmHubReceipt": Op(
        "mutation",
        _m("confirmHubReceipt", "ConfirmHubReceiptInput"),
        lambda w: {"input": {"purchaseId": w.ids["purchase"]}},
        prepare=_in_transit_bus_back,
    ),
    "confirmCollection": Op(
        "mutation",
        _m("confirmCollection", "ConfirmCollectionInput"),
        lambda w: {"input": {"purchaseId": w.ids["purchase"], "collectCode": w.ids["collectCode"]}},
        prepare=_purchase_in(PurchaseStatus.AT_HUB),
    ),
    "recordTripEvent": Op(
        "mutation",
        _m("recordTripEvent", "RecordTripEventInput"),
        lambda w: {"input": {"tripId": w.ids["trip"], "kind": "DELAYED", "minutes": 5}},
        changes_world=False,
    ),
    "markLoaded": Op(
        "mutation",
        _m("markLoaded", "MarkLoadedInput"),
        lambda w: {"input": {"tripId": w.ids["trip"]}},
        prepare=_service_morning,
    ),
    "recordTripEvent.CANCELLED": Op(
        "mutation",
        _m("recordTripEvent", "RecordTripEventInput"),
        lambda w: {"input": {"tripId": w.ids["trip"], "kind": "CANCELLED"}},
    ),
    "unlockPickupCode": Op(
        "mutation",
        _m("unlockPickupCode", "UnlockPickupCodeInput"),
        lambda w: {"input": {"orderId": w.ids["order"]}},
        prepare=_code_locked,
    ),
    "swapTripVehicle": Op(
        "mutation",
        _m("swapTripVehicle", "SwapTripVehicleInput"),
        lambda w: {"input": {"tripId": w.ids["trip"], "vehicleId": w.ids["spare"]}},
    ),
    "cancelTrip": Op(
        "mutation",
        _m("cancelTrip", "CancelTripInput"),
        lambda w: {"input": {"tripId": w.ids["trip"], "reason": "路面塌方"}},
    ),
    # --- money mutations -----------------------------------------------------------------
    "topUp": Op(
        "mutation",
        _m("topUp", "TopUpInput"),
        lambda w: {
            "input": {
                "buyerPhone": w.ids["buyerPhone"],
                "amountFen": 100,
                "idempotencyKey": uuid.uuid4().hex,
            }
        },
        changes_world=False,
    ),
    "setCommissionRate": Op(
        "mutation",
        _m("setCommissionRate", "SetCommissionRateInput"),
        lambda w: {"input": {"category": "粮油", "rateBp": 900}},
        changes_world=False,
    ),
    "settle": Op(
        "mutation",
        _m("settle", "SettleInput"),
        lambda w: {"input": {"from": w.ids["statementDay"], "to": w.ids["statementDay"]}},
        changes_world=False,
    ),
    "markPaidOut": Op(
        "mutation",
        _m("markPaidOut", "MarkPaidOutInput"),
        lambda w: {"input": {"statementId": w.ids["statement"], "reference": "ICBC-1"}},
    ),
    "startPayment": Op(
        "mutation",
        _m("startPayment", "StartPaymentInput"),
        lambda w: {"input": {"orderId": w.ids["unpaidOrder"], "idempotencyKey": uuid.uuid4().hex}},
        prepare=_unpaid_order,
        changes_world=False,
    ),
    # --- exceptions (issue 13) ------------------------------------------------------------
    "claims": Op("query", _q(CONN, "claims(first: 5)"), _none, prepare=claim_filed),
    "overdueProduce": Op(
        "query", _q(CONN, "overdueProduce(first: 5)"), _none, prepare=_produce_overdue
    ),
    "myClaims": Op("query", _q(CONN, "myClaims(first: 5)"), _none, prepare=claim_filed),
    "recordShortage": Op(
        "mutation",
        _m("recordShortage", "RecordShortageInput"),
        lambda w: {
            "input": {"tripId": w.ids["trip"], "saleItemId": w.ids["rice"], "shortUnits": 1}
        },
        prepare=_after_cutoff,
    ),
    "confirmArrival": Op(
        "mutation",
        _m("confirmArrival", "ConfirmArrivalInput"),
        lambda w: {"input": {"tripId": w.ids["trip"], "stationId": w.ids["here"], "missing": []}},
        prepare=bus_at_here,
    ),
    "fileClaim": Op(
        "mutation",
        _m("fileClaim", "FileClaimInput"),
        lambda w: {
            "input": {
                "orderId": w.ids["order"],
                "lines": [{"saleItemId": w.ids["rice"], "units": 1}],
                "reason": "米袋破了",
            }
        },
        prepare=picked_up_here,
    ),
    "resolveClaim": Op(
        "mutation",
        _m("resolveClaim", "ResolveClaimInput"),
        lambda w: {"input": {"claimId": w.ids["claim"], "approve": False}},
        prepare=claim_filed,
    ),
    # --- notifications (the world gives everyone one: builders_authz.py) ----------------
    "myNotifications": Op("query", _q(CONN, "myNotifications(first: 5)"), _none),
    "unreadNotificationCount": Op("query", "query { result: unreadNotificationCount }", _none),
    "markNotificationsRead": Op(
        "mutation",
        _m("markNotificationsRead", "MarkNotificationsReadInput"),
        lambda w: {"input": {"all": True}},
        changes_world=False,
    ),
    "setLanguage": Op(
        "mutation",
        _m("setLanguage", "SetLanguageInput"),
        lambda w: {"input": {"language": "EN"}},
        changes_world=False,
    ),
    # --- subscriptions -------------------------------------------------------------------
    "tripUpdates": Op(
        "subscription",
        _s("tripUpdates", "tripId: $id, after: $after", "$id: ID!, $after: String"),
        lambda w: {"id": w.ids["trip"]},
    ),
    "orderUpdates": Op(
        "subscription",
        _s("orderUpdates", "orderId: $id, after: $after", "$id: ID!, $after: String"),
        lambda w: {"id": w.ids["order"]},
    ),
    "purchaseUpdates": Op(
        "subscription",
        _s("purchaseUpdates", "purchaseId: $id, after: $after", "$id: ID!, $after: String"),
        lambda w: {"id": w.ids["purchase"]},
    ),
    "stationUpdates": Op(
        "subscription",
        _s("stationUpdates", "stationId: $id, after: $after", "$id: ID!, $after: String"),
        lambda w: {"id": w.ids["here"]},
    ),
    "myUpdates": Op("subscription", _s("myUpdates", "after: $after", "$after: String"), _none),
}


async def quick_reset() -> None:
    """Empty every table. TRUNCATE of every table costs PostgreSQL ~150 ms; deleting the few rows
    of a small world with the foreign-key triggers off costs a tenth of that."""
    connection = connections.get("default")
    if connection.capabilities.dialect != "postgres":
        await reset_database()
        return
    tables = [model._meta.db_table for model in Tortoise.apps["models"].values()]
    statements = ["SET LOCAL session_replication_role = replica"]
    statements += [f'DELETE FROM "{table}"' for table in tables]
    async with in_transaction() as transaction:
        await transaction.execute_script(";\n".join(statements))


def read_matrix() -> dict[str, dict[str, str]]:
    """The expected outcome per operation and role, from the tables of docs/authorization.md:
    every table whose header starts with `operation` and lists the roles, one row per operation
    (its name in backticks); the first word of a cell is the outcome, the rest is comment."""
    matrix: dict[str, dict[str, str]] = {}
    header: list[str] | None = None
    for line in DOC.read_text(encoding="utf-8").splitlines():
        if not line.startswith("|"):
            header = None
            continue
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if cells[0] == "operation":
            header = cells[1:]
            assert tuple(header) == ROLES, f"the roles of a matrix table changed: {header}"
            continue
        name = re.fullmatch(r"`([A-Za-z.]+)`", cells[0])
        if header is None or name is None:
            continue
        matrix[name.group(1)] = {
            role: cell.split()[0] for role, cell in zip(ROLES, cells[1:], strict=True)
        }
    return matrix


def outcome_of(body: dict[str, Any]) -> str:
    """OK, EMPTY (a list or connection with nothing the viewer may see), NULL, or the error code
    (a top-level error's, or a mutation payload's first UserError's)."""
    data = body.get("data") or {}
    if body.get("errors"):
        return str(body["errors"][0].get("extensions", {}).get("code", "ERROR"))
    result = data.get("result")
    if result is None:
        # Field rows (`order { result: pickupCode }`, ...) nest the result one or two levels.
        nested = next(iter(data.values()), None) if data else None
        while True:  # through single fields, and into the first item of a list
            if isinstance(nested, list):
                nested = nested[0] if nested else None
            elif isinstance(nested, dict) and "result" not in nested and len(nested) == 1:
                nested = next(iter(nested.values()))
            else:
                break
        if isinstance(nested, dict) and "result" in nested:
            return "OK" if nested["result"] is not None else "NULL"
        return "NULL"
    if isinstance(result, list):
        return "OK" if result else "EMPTY"
    if isinstance(result, dict) and "errors" in result:
        return str(result["errors"][0]["code"]) if result["errors"] else "OK"
    if isinstance(result, dict) and "edges" in result:
        return "OK" if result["edges"] else "EMPTY"
    return "OK"


async def _http(client: httpx.AsyncClient, op: Op, world: World, role: str) -> str:
    token = world.tokens[role]
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    response = await client.post(
        "/graphql", json={"query": op.document, "variables": op.variables(world)}, headers=headers
    )
    assert response.status_code < 500, response.text
    return outcome_of(response.json())


async def test_every_operation_as_every_role_gives_the_documented_outcome(
    settings: Settings,
) -> None:
    # Given the written matrix, covering every operation of the schema
    expected = read_matrix()
    schema = build_schema(sdl())
    operations = {
        name
        for root in (schema.query_type, schema.mutation_type, schema.subscription_type)
        if root is not None
        for name in root.fields
    }
    assert operations <= set(OPS), f"not in the matrix: {sorted(operations - set(OPS))}"
    assert set(expected) == set(OPS), (
        f"missing from the doc: {sorted(set(OPS) - set(expected))}, "
        f"unknown to the test: {sorted(set(expected) - set(OPS))}"
    )
    observed: dict[str, dict[str, str]] = {}
    async with live_server(settings) as server:
        world, state = await build_world(), "clean"
        for name, op in OPS.items():
            observed[name] = {}
            # Every role meets the same state: rebuilt after a successful mutation changed it,
            # and brought to what the operation needs (an order at its station, ...).
            needed = name if op.prepare else "clean"
            for role in ROLES:
                if state != needed:
                    await quick_reset()
                    clock.shift(dt.timedelta(0))
                    world = await build_world()
                    if op.prepare:
                        await op.prepare(world)
                    state = needed
                # When the role runs it
                if op.kind == "subscription":
                    got = await _subscribe(server, op, world, role)
                else:
                    got = await _http(server.http, op, world, role)
                observed[name][role] = got
                if op.kind == "mutation" and got == "OK" and op.changes_world:
                    state = "dirty"
    if os.environ.get("CUNGOODS_AUTHZ_PRINT"):
        print("\n| operation | " + " | ".join(ROLES) + " |")
        for name, row in observed.items():
            print(f"| `{name}` | " + " | ".join(row[role] for role in ROLES) + " |")
    # Then every outcome is the documented one
    wrong = [
        f"{name} as {role}: expected {expected[name][role]}, got {observed[name][role]}"
        for name in OPS
        for role in ROLES
        if expected[name][role] != observed[name][role]
    ]
    assert not wrong, "\n".join(wrong)


async def _subscribe(server: Any, op: Op, world: World, role: str) -> str:
    token = world.tokens[role]
    async with server.socket(token) as socket:
        variables = op.variables(world) | {"after": world.ids["since"]}
        await socket.subscribe("1", op.document, variables)
        try:
            message = await socket.receive()
        except Closed as closed:
            # graphql-transport-ws: a subscribe before signing in closes the socket with 4401.
            return "UNAUTHENTICATED" if closed.code == 4401 else f"CLOSED_{closed.code}"
        assert message.get("id") == "1", message
        if message["type"] == "error":
            return str(message["payload"][0].get("extensions", {}).get("code", "ERROR"))
        errors = message["payload"].get("errors")
        if errors:
            return str(errors[0].get("extensions", {}).get("code", "ERROR"))
        assert message["type"] == "next", message
        return "OK"
