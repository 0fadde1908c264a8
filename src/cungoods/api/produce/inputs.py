"""The produce mutations' and queries' inputs, and what they mean to the services."""

from __future__ import annotations

import datetime as dt

import strawberry

from cungoods.api.ids import optional_pk
from cungoods.api.payments.enums import PayWith
from cungoods.api.scalars import Temperature
from cungoods.models.enums import Temperature as DomainTemperature
from cungoods.services import listings, requests


@strawberry.input(description="Which listings to show; every given criterion must hold.")
class ProduceListingFilter:
    category: str | None = strawberry.field(default=None, description="Exact category, e.g. 水果.")
    township: str | None = strawberry.field(
        default=None, description="Township of the handover station, e.g. 廿里镇."
    )
    station_id: strawberry.ID | None = strawberry.field(
        default=None, description="The handover station."
    )
    ready_on: dt.date | None = strawberry.field(
        default=None, description="Ready on this date (between ready-from and ready-until)."
    )
    text: str | None = strawberry.field(
        default=None,
        description="Words that must each appear in the title, variety, description or category "
        "(Chinese text works: 椪柑, 油茶).",
    )
    farmer_id: strawberry.ID | None = strawberry.field(
        default=None, description="One farmer's listings."
    )
    include_closed: bool = strawberry.field(
        default=False,
        description="Also show closed, sold-out and past listings (e.g. a farmer's own).",
    )


@strawberry.input(description="List produce for sale (FARMER).")
class CreateListingInput:
    title: str = strawberry.field(description="What it is, 1 to 100 characters.")
    category: str = strawberry.field(description="Category, e.g. 水果.")
    unit: str = strawberry.field(description="The unit it is sold by, e.g. 斤, 箱, 袋.")
    unit_weight_g: int = strawberry.field(description="Weight of one unit in grams.")
    unit_volume_cm3: int = strawberry.field(description="Volume of one unit in cm³.")
    price_fen: int = strawberry.field(description="Price of one unit in fen.")
    quantity: int = strawberry.field(description="Units offered.")
    ready_from: dt.date = strawberry.field(description="First day it can ride to the city.")
    ready_until: dt.date = strawberry.field(description="Last day it can ride to the city.")
    variety: str = strawberry.field(default="", description="Variety or cultivar.")
    grade: str = strawberry.field(default="", description="Grade, e.g. 一级.")
    min_quantity: int = strawberry.field(default=1, description="The smallest order, in units.")
    station_id: strawberry.ID | None = strawberry.field(
        default=None, description="Handover station (default: the farmer's own station)."
    )
    temperature: Temperature = strawberry.field(
        default=DomainTemperature.AMBIENT, description="How it must be kept."
    )
    description: str = strawberry.field(default="", description="Description.")
    photo_urls: list[str] = strawberry.field(
        default_factory=list, description="Photo URLs (at most 9)."
    )


@strawberry.input(description="Change a listing (FARMER, own listings): omitted fields stay.")
class UpdateListingInput:
    listing_id: strawberry.ID = strawberry.field(description="The listing.")
    title: str | None = strawberry.field(default=None, description="What it is.")
    category: str | None = strawberry.field(default=None, description="Category.")
    unit: str | None = strawberry.field(default=None, description="The unit it is sold by.")
    unit_weight_g: int | None = strawberry.field(default=None, description="Grams per unit.")
    unit_volume_cm3: int | None = strawberry.field(default=None, description="cm³ per unit.")
    price_fen: int | None = strawberry.field(default=None, description="Fen per unit.")
    quantity: int | None = strawberry.field(
        default=None, description="Units offered in all (not below what is sold)."
    )
    ready_from: dt.date | None = strawberry.field(default=None, description="First ready day.")
    ready_until: dt.date | None = strawberry.field(default=None, description="Last ready day.")
    variety: str | None = strawberry.field(default=None, description="Variety.")
    grade: str | None = strawberry.field(default=None, description="Grade.")
    min_quantity: int | None = strawberry.field(default=None, description="Smallest order.")
    station_id: strawberry.ID | None = strawberry.field(
        default=None, description="Handover station."
    )
    temperature: Temperature | None = strawberry.field(default=None, description="Keeping.")
    description: str | None = strawberry.field(default=None, description="Description.")
    photo_urls: list[str] | None = strawberry.field(default=None, description="Photo URLs.")


@strawberry.input(description="Stop selling a listing.")
class CloseListingInput:
    listing_id: strawberry.ID = strawberry.field(description="The listing.")


@strawberry.input(description="Buy produce from a listing (BUYER).")
class BuyProduceInput:
    listing_id: strawberry.ID = strawberry.field(description="The listing.")
    quantity: int = strawberry.field(description="Units to buy (at least the listing's minimum).")
    idempotency_key: str | None = strawberry.field(
        default=None,
        description="Send the same key when retrying: the purchase is made at most once.",
    )
    pay_with: PayWith = strawberry.field(
        default=PayWith.BALANCE,
        description="BALANCE (default): paid from the wallet at once, INSUFFICIENT_FUNDS (with "
        "shortfallFen) when it cannot, and nothing is bought. PROVIDER: bought UNPAID; pay it "
        "with startPayment before payBy or it is released.",
    )


@strawberry.input(description="Ask farmers for produce (求购, BUYER).")
class PostProduceRequestInput:
    what: str = strawberry.field(description="What you want, e.g. 土鸡蛋.")
    quantity: int = strawberry.field(description="How many units.")
    max_price_fen: int = strawberry.field(description="The most you pay per unit, in fen.")
    needed_by: dt.date = strawberry.field(description="When you need it by.")
    category: str = strawberry.field(default="", description="Category, e.g. 禽蛋.")
    unit: str = strawberry.field(default=requests.DEFAULT_UNIT, description="Unit, default 斤.")


@strawberry.input(description="Produce offered without a listing: a listing is made for it.")
class OfferProduceInput:
    unit_weight_g: int = strawberry.field(description="Weight of one unit in grams.")
    unit_volume_cm3: int = strawberry.field(description="Volume of one unit in cm³.")
    title: str | None = strawberry.field(default=None, description="Default: the request's.")
    category: str | None = strawberry.field(default=None, description="Default: the request's.")
    variety: str = strawberry.field(default="", description="Variety.")
    grade: str = strawberry.field(default="", description="Grade.")
    station_id: strawberry.ID | None = strawberry.field(
        default=None, description="Handover station (default: the farmer's own)."
    )
    ready_until: dt.date | None = strawberry.field(
        default=None,
        description=f"Last day it can ride (default: {requests.DEFAULT_OFFER_WINDOW_DAYS} days "
        "after it is ready).",
    )
    temperature: Temperature = strawberry.field(
        default=DomainTemperature.AMBIENT, description="How it must be kept."
    )
    description: str = strawberry.field(default="", description="Description.")
    photo_urls: list[str] = strawberry.field(default_factory=list, description="Photo URLs.")


@strawberry.input(
    description="Quote on a purchase request (FARMER): from a listing or new produce."
)
class MakeOfferInput:
    request_id: strawberry.ID = strawberry.field(description="The request.")
    quantity: int = strawberry.field(description="Units offered, in the request's unit.")
    price_fen: int = strawberry.field(description="Price per unit in fen.")
    listing_id: strawberry.ID | None = strawberry.field(
        default=None, description="One of your listings (in the request's unit)."
    )
    produce: OfferProduceInput | None = strawberry.field(
        default=None, description="Or new produce, listed for the offer."
    )
    ready_on: dt.date | None = strawberry.field(
        default=None, description="When it is ready (default: the listing's date, or today)."
    )


@strawberry.input(description="Accept a farmer's offer (the request's BUYER).")
class AcceptOfferInput:
    offer_id: strawberry.ID = strawberry.field(description="The offer.")
    idempotency_key: str | None = strawberry.field(
        default=None,
        description="Send the same key when retrying: the purchase is made at most once.",
    )
    pay_with: PayWith = strawberry.field(
        default=PayWith.BALANCE,
        description="BALANCE (default): paid from the wallet at once, INSUFFICIENT_FUNDS (with "
        "shortfallFen) when it cannot, and nothing is bought. PROVIDER: bought UNPAID; pay it "
        "with startPayment before payBy or it is released.",
    )


@strawberry.input(description="The farmer handed produce over at the station (its LEADER).")
class ConfirmHandoverInput:
    purchase_id: strawberry.ID = strawberry.field(description="The purchase.")
    quantity: int = strawberry.field(description="Units actually handed over.")


@strawberry.input(description="The produce arrived at the hub (DISPATCHER).")
class ConfirmHubReceiptInput:
    purchase_id: strawberry.ID = strawberry.field(description="The purchase.")


@strawberry.input(description="The buyer collected the produce at the hub (DISPATCHER).")
class ConfirmCollectionInput:
    purchase_id: strawberry.ID = strawberry.field(description="The purchase.")
    collect_code: str = strawberry.field(description="The code the buyer shows.")


@strawberry.input(description="Cancel a purchase before its handover (the purchase's BUYER).")
class CancelPurchaseInput:
    purchase_id: strawberry.ID = strawberry.field(
        description="The purchase, still RESERVED: what was paid for it is refunded in full."
    )


@strawberry.input(description="Close a purchase request (the request's BUYER).")
class CloseRequestInput:
    request_id: strawberry.ID = strawberry.field(
        description="The request, still OPEN: its open offers close with it."
    )


@strawberry.input(description="Withdraw an offer (the offer's FARMER).")
class WithdrawOfferInput:
    offer_id: strawberry.ID = strawberry.field(description="The offer, still OPEN.")


# --- what the inputs mean to the services ---------------------------------------------------


def listing_values(input: CreateListingInput) -> listings.ListingFields:
    """A new listing's fields."""
    return listings.ListingFields(
        title=input.title,
        category=input.category,
        unit=input.unit,
        unit_weight_g=input.unit_weight_g,
        unit_volume_cm3=input.unit_volume_cm3,
        price_fen=input.price_fen,
        quantity=input.quantity,
        ready_from=input.ready_from,
        ready_until=input.ready_until,
        variety=input.variety,
        grade=input.grade,
        min_quantity=input.min_quantity,
        station_id=optional_pk(input.station_id, "Station", "stationId"),
        temperature=DomainTemperature(input.temperature),
        description=input.description,
        photo_urls=tuple(input.photo_urls),
    )


def listing_changes(input: UpdateListingInput) -> listings.ListingChanges:
    """A listing's changes: None for each field left out."""
    return listings.ListingChanges(
        title=input.title,
        category=input.category,
        unit=input.unit,
        unit_weight_g=input.unit_weight_g,
        unit_volume_cm3=input.unit_volume_cm3,
        price_fen=input.price_fen,
        quantity=input.quantity,
        ready_from=input.ready_from,
        ready_until=input.ready_until,
        variety=input.variety,
        grade=input.grade,
        min_quantity=input.min_quantity,
        station_id=optional_pk(input.station_id, "Station", "stationId"),
        temperature=None if input.temperature is None else DomainTemperature(input.temperature),
        description=input.description,
        photo_urls=None if input.photo_urls is None else tuple(input.photo_urls),
    )


def new_produce(input: OfferProduceInput) -> requests.NewProduce:
    """Produce offered without a listing."""
    return requests.NewProduce(
        unit_weight_g=input.unit_weight_g,
        unit_volume_cm3=input.unit_volume_cm3,
        title=input.title,
        category=input.category,
        variety=input.variety,
        grade=input.grade,
        station_id=optional_pk(input.station_id, "Station", "produce", "stationId"),
        ready_until=input.ready_until,
        temperature=DomainTemperature(input.temperature),
        description=input.description,
        photo_urls=tuple(input.photo_urls),
    )


def listing_criteria(filter: ProduceListingFilter | None) -> listings.ListingFilter:
    """Which listings to show (no filter: the default criteria)."""
    if filter is None:
        return listings.ListingFilter()
    return listings.ListingFilter(
        category=filter.category,
        township=filter.township,
        station_id=optional_pk(filter.station_id, "Station", "filter", "stationId"),
        ready_on=filter.ready_on,
        text=filter.text,
        farmer_id=optional_pk(filter.farmer_id, "User", "filter", "farmerId"),
        include_closed=filter.include_closed,
    )
