"""Upstream in the API: produce listings, purchase requests and offers, purchases and their
handover chain."""

from __future__ import annotations

import datetime as dt

import strawberry

from cungoods import models
from cungoods.api.accounts import User, user_by_id
from cungoods.api.context import Info
from cungoods.api.errors import UserError, attempt
from cungoods.api.ids import from_cursor, pk_of, to_global_id
from cungoods.api.network import Station, Trip, station_by_id, trip_by_id
from cungoods.api.node import Node, register_node
from cungoods.api.scalars import Connection, Load, connection_of
from cungoods.models.enums import ListingStatus as DomainListingStatus
from cungoods.models.enums import OfferStatus as DomainOfferStatus
from cungoods.models.enums import PurchaseStatus as DomainPurchaseStatus
from cungoods.models.enums import RequestStatus as DomainRequestStatus
from cungoods.models.enums import Temperature as DomainTemperature
from cungoods.services import listings, purchases, requests
from cungoods.services.capacity import Load as DomainLoad
from cungoods.services.errors import DomainError

Temperature = strawberry.enum(
    DomainTemperature, name="Temperature", description="How goods must be kept on the bus."
)
ListingStatus = strawberry.enum(
    DomainListingStatus, name="ListingStatus", description="Whether a listing is on sale."
)
RequestStatus = strawberry.enum(
    DomainRequestStatus, name="RequestStatus", description="Where a purchase request is."
)
OfferStatus = strawberry.enum(
    DomainOfferStatus, name="OfferStatus", description="Where a farmer's offer is."
)
PurchaseStatus = strawberry.enum(
    DomainPurchaseStatus,
    name="PurchaseStatus",
    description="Where bought produce is: reserved, handed over at the station, in transit, "
    "at the hub, collected (or cancelled).",
)


def _optional_pk(global_id: strawberry.ID | None, type_name: str, *path: str) -> int | None:
    """The pk of an optional id input; a bad one is reported at its full input path."""
    if global_id is None:
        return None
    try:
        return pk_of(global_id, type_name, path[-1])
    except DomainError as error:
        raise DomainError(error.code, error.message, list(path)) from error


# --- types -----------------------------------------------------------------------------------


@strawberry.type(description="A farmer's produce for sale, handed over at a village station.")
class ProduceListing(Node):
    db_id: strawberry.Private[int]
    farmer_db_id: strawberry.Private[int]
    station_db_id: strawberry.Private[int]
    title: str = strawberry.field(description="What it is, e.g. 高山椪柑 10斤装.")
    category: str = strawberry.field(description="Category, e.g. 水果.")
    variety: str = strawberry.field(description="Variety or cultivar.")
    grade: str = strawberry.field(description="Grade, e.g. 一级.")
    unit: str = strawberry.field(description="The unit it is sold by, e.g. 斤, 箱, 袋.")
    unit_weight_g: int = strawberry.field(description="Weight of one unit in grams.")
    unit_volume_cm3: int = strawberry.field(description="Volume of one unit in cm³.")
    price_fen: int = strawberry.field(description="Price of one unit in fen.")
    quantity: int = strawberry.field(description="Units offered in all.")
    sold: int = strawberry.field(description="Units sold.")
    remaining: int = strawberry.field(description="Units still for sale.")
    min_quantity: int = strawberry.field(description="The smallest order, in units.")
    ready_from: dt.date = strawberry.field(description="First day it can ride to the city.")
    ready_until: dt.date = strawberry.field(description="Last day it can ride to the city.")
    temperature: Temperature = strawberry.field(description="How it must be kept.")
    description: str = strawberry.field(description="The farmer's description.")
    photo_urls: list[str] = strawberry.field(description="Photos.")
    status: ListingStatus = strawberry.field(description="Whether it is on sale.")
    created_at: dt.datetime = strawberry.field(description="When it was listed.")

    @strawberry.field(description="The farmer or cooperative selling it.")
    async def farmer(self, info: Info) -> User:
        farmer = await user_by_id(info, self.farmer_db_id)
        assert farmer is not None  # a foreign key
        return farmer

    @strawberry.field(description="The station where it is handed over to the bus.")
    async def station(self, info: Info) -> Station:
        station = await station_by_id(info, self.station_db_id)
        assert station is not None
        return station

    @classmethod
    def of(cls, listing: models.ProduceListing) -> ProduceListing:
        return cls(
            id=strawberry.ID(to_global_id("ProduceListing", listing.id)),
            db_id=listing.id,
            farmer_db_id=listing.farmer_id,
            station_db_id=listing.station_id,
            title=listing.title,
            category=listing.category,
            variety=listing.variety,
            grade=listing.grade,
            unit=listing.unit,
            unit_weight_g=listing.unit_weight_g,
            unit_volume_cm3=listing.unit_volume_cm3,
            price_fen=listing.price_fen,
            quantity=listing.quantity,
            sold=listing.sold,
            remaining=listing.quantity - listing.sold,
            min_quantity=listing.min_quantity,
            ready_from=listing.ready_from,
            ready_until=listing.ready_until,
            temperature=DomainTemperature(listing.temperature),
            description=listing.description,
            photo_urls=list(listing.photo_urls),
            status=DomainListingStatus(listing.status),
            created_at=listing.created_at,
        )


async def listing_by_id(info: Info, pk: int) -> ProduceListing | None:
    listing = await info.context.loaders.by_id(models.ProduceListing).load(pk)
    return None if listing is None else ProduceListing.of(listing)


@strawberry.type(description="A farmer's quote on a purchase request.")
class ProduceOffer(Node):
    request_db_id: strawberry.Private[int]
    farmer_db_id: strawberry.Private[int]
    listing_db_id: strawberry.Private[int]
    quantity: int = strawberry.field(description="Units offered, in the request's unit.")
    price_fen: int = strawberry.field(description="Price per unit in fen.")
    ready_on: dt.date = strawberry.field(description="When the produce is ready to ride.")
    status: OfferStatus = strawberry.field(description="Where the offer is.")
    created_at: dt.datetime = strawberry.field(description="When it was made.")

    @strawberry.field(description="The request it answers.")
    async def request(self, info: Info) -> ProduceRequest:
        request = await info.context.loaders.by_id(models.ProduceRequest).load(self.request_db_id)
        assert request is not None
        return ProduceRequest.of(request)

    @strawberry.field(description="The farmer offering.")
    async def farmer(self, info: Info) -> User:
        farmer = await user_by_id(info, self.farmer_db_id)
        assert farmer is not None
        return farmer

    @strawberry.field(description="The listing the produce is sold through.")
    async def listing(self, info: Info) -> ProduceListing:
        listing = await listing_by_id(info, self.listing_db_id)
        assert listing is not None
        return listing

    @classmethod
    def of(cls, offer: models.ProduceOffer) -> ProduceOffer:
        return cls(
            id=strawberry.ID(to_global_id("ProduceOffer", offer.id)),
            request_db_id=offer.request_id,
            farmer_db_id=offer.farmer_id,
            listing_db_id=offer.listing_id,
            quantity=offer.quantity,
            price_fen=offer.price_fen,
            ready_on=offer.ready_on,
            status=DomainOfferStatus(offer.status),
            created_at=offer.created_at,
        )


@strawberry.type(description="A buyer's purchase request (求购) that farmers quote on.")
class ProduceRequest(Node):
    db_id: strawberry.Private[int]
    buyer_db_id: strawberry.Private[int]
    what: str = strawberry.field(description="What the buyer wants.")
    category: str = strawberry.field(description="Category, if given.")
    unit: str = strawberry.field(description="The unit quantities count in, e.g. 斤.")
    quantity: int = strawberry.field(description="Units wanted.")
    accepted_quantity: int = strawberry.field(description="Units bought through offers so far.")
    still_needed: int = strawberry.field(description="Units still wanted.")
    max_price_fen: int = strawberry.field(description="The most the buyer pays per unit, in fen.")
    needed_by: dt.date = strawberry.field(description="When the buyer needs it by.")
    status: RequestStatus = strawberry.field(description="Where the request is.")
    created_at: dt.datetime = strawberry.field(description="When it was posted.")

    @strawberry.field(description="The buyer who asked.")
    async def buyer(self, info: Info) -> User:
        buyer = await user_by_id(info, self.buyer_db_id)
        assert buyer is not None
        return buyer

    @strawberry.field(
        description="Offers made on it: all of them for its buyer, a farmer's own for a farmer."
    )
    async def offers(self, info: Info) -> list[ProduceOffer]:
        offers = await info.context.loaders.children(models.ProduceOffer, "request_id").load(
            self.db_id
        )
        viewer = info.context.viewer
        return [
            ProduceOffer.of(offer)
            for offer in offers
            if requests.may_see_offer(viewer, farmer_id=offer.farmer_id, buyer_id=self.buyer_db_id)
        ]

    @classmethod
    def of(cls, request: models.ProduceRequest) -> ProduceRequest:
        return cls(
            id=strawberry.ID(to_global_id("ProduceRequest", request.id)),
            db_id=request.id,
            buyer_db_id=request.buyer_id,
            what=request.what,
            category=request.category,
            unit=request.unit,
            quantity=request.quantity,
            accepted_quantity=request.accepted_quantity,
            still_needed=max(request.quantity - request.accepted_quantity, 0),
            max_price_fen=request.max_price_fen,
            needed_by=request.needed_by,
            status=DomainRequestStatus(request.status),
            created_at=request.created_at,
        )


@strawberry.type(description="A status a purchase moved to, and when.")
class PurchaseStatusChange:
    status: PurchaseStatus = strawberry.field(description="The status it moved to.")
    at: dt.datetime = strawberry.field(description="When.")
    message: str = strawberry.field(description="What happened.")


@strawberry.type(
    description="Produce bought from a farmer, riding a bus from the station to the hub."
)
class ProducePurchase(Node):
    db_id: strawberry.Private[int]
    buyer_db_id: strawberry.Private[int]
    listing_db_id: strawberry.Private[int]
    offer_db_id: strawberry.Private[int | None]
    station_db_id: strawberry.Private[int]
    trip_db_id: strawberry.Private[int]
    shipment_db_id: strawberry.Private[int]
    code_visible: strawberry.Private[str | None]
    number: str = strawberry.field(description="Purchase number, for people.")
    quantity: int = strawberry.field(description="Units bought.")
    handed_over_quantity: int | None = strawberry.field(
        description="Units actually handed over at the station, once they are."
    )
    unit_price_fen: int = strawberry.field(description="Price per unit in fen.")
    total_fen: int = strawberry.field(
        description="Total in fen (of what was handed over, once it is)."
    )
    status: PurchaseStatus = strawberry.field(description="Where the produce is.")
    created_at: dt.datetime = strawberry.field(description="When it was bought.")

    @strawberry.field(description="Shown to the hub to collect the produce: the buyer sees it.")
    def collect_code(self) -> str | None:
        return self.code_visible

    @strawberry.field(description="Who bought it.")
    async def buyer(self, info: Info) -> User:
        buyer = await user_by_id(info, self.buyer_db_id)
        assert buyer is not None
        return buyer

    @strawberry.field(description="The listing it was bought from.")
    async def listing(self, info: Info) -> ProduceListing:
        listing = await listing_by_id(info, self.listing_db_id)
        assert listing is not None
        return listing

    @strawberry.field(description="The farmer's offer it was bought through, if any.")
    async def offer(self, info: Info) -> ProduceOffer | None:
        if self.offer_db_id is None:
            return None
        offer = await info.context.loaders.by_id(models.ProduceOffer).load(self.offer_db_id)
        return None if offer is None else ProduceOffer.of(offer)

    @strawberry.field(description="The station where it is handed over.")
    async def station(self, info: Info) -> Station:
        station = await station_by_id(info, self.station_db_id)
        assert station is not None
        return station

    @strawberry.field(description="The trip carrying it to the hub.")
    async def trip(self, info: Info) -> Trip:
        trip = await trip_by_id(info, self.trip_db_id)
        assert trip is not None
        return trip

    @strawberry.field(description="The room it takes on the bus.")
    async def load(self, info: Info) -> Load:
        shipment = await info.context.loaders.by_id(models.Shipment).load(self.shipment_db_id)
        assert shipment is not None
        return Load.of(DomainLoad(shipment.weight_g, shipment.volume_cm3, shipment.chilled_g))

    @strawberry.field(description="Its status changes, oldest first.")
    async def history(self, info: Info) -> list[PurchaseStatusChange]:
        events = await info.context.loaders.children(models.Event, "purchase_id").load(self.db_id)
        return [
            PurchaseStatusChange(
                status=DomainPurchaseStatus(event.status), at=event.at, message=event.message
            )
            for event in events
            if event.status in DomainPurchaseStatus.__members__
        ]

    @classmethod
    def of(cls, purchase: models.ProducePurchase, info: Info) -> ProducePurchase:
        sees_code = purchases.may_see_collect_code(info.context.viewer, buyer_id=purchase.buyer_id)
        return cls(
            id=strawberry.ID(to_global_id("ProducePurchase", purchase.id)),
            db_id=purchase.id,
            buyer_db_id=purchase.buyer_id,
            listing_db_id=purchase.listing_id,
            offer_db_id=purchase.offer_id,
            station_db_id=purchase.station_id,
            trip_db_id=purchase.trip_id,
            shipment_db_id=purchase.shipment_id,
            code_visible=purchase.collect_code if sees_code else None,
            number=purchase.number,
            quantity=purchase.quantity,
            handed_over_quantity=purchase.handed_over_quantity,
            unit_price_fen=purchase.unit_price_fen,
            total_fen=purchase.total_fen,
            status=DomainPurchaseStatus(purchase.status),
            created_at=purchase.created_at,
        )


async def _request_by_id(info: Info, pk: int) -> ProduceRequest | None:
    request = await info.context.loaders.by_id(models.ProduceRequest).load(pk)
    return None if request is None else ProduceRequest.of(request)


async def _offer_by_id(info: Info, pk: int) -> ProduceOffer | None:
    offer = await info.context.loaders.by_id(models.ProduceOffer).load(pk)
    if offer is None:
        return None
    request = await info.context.loaders.by_id(models.ProduceRequest).load(offer.request_id)
    assert request is not None
    visible = requests.may_see_offer(
        info.context.viewer, farmer_id=offer.farmer_id, buyer_id=request.buyer_id
    )
    return ProduceOffer.of(offer) if visible else None


async def purchase_by_id(info: Info, pk: int) -> ProducePurchase | None:
    """A purchase, for those who may see it (null for anyone else, as if it did not exist)."""
    purchase = await info.context.loaders.by_id(models.ProducePurchase).load(pk)
    if purchase is None:
        return None
    listing = await info.context.loaders.by_id(models.ProduceListing).load(purchase.listing_id)
    assert listing is not None
    visible = purchases.may_see_purchase(
        info.context.viewer,
        buyer_id=purchase.buyer_id,
        farmer_id=listing.farmer_id,
        station_id=purchase.station_id,
    )
    return ProducePurchase.of(purchase, info) if visible else None


register_node("ProduceListing", listing_by_id)
register_node("ProduceRequest", _request_by_id)
register_node("ProduceOffer", _offer_by_id)
register_node("ProducePurchase", purchase_by_id)


# --- inputs and payloads ---------------------------------------------------------------------


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


@strawberry.type(description="The result of createListing.")
class CreateListingPayload:
    listing: ProduceListing | None = strawberry.field(description="The new listing.")
    errors: list[UserError] = strawberry.field(description="Why it failed, if it did.")


@strawberry.type(description="The result of updateListing.")
class UpdateListingPayload:
    listing: ProduceListing | None = strawberry.field(description="The changed listing.")
    errors: list[UserError] = strawberry.field(description="Why it failed, if it did.")


@strawberry.type(description="The result of closeListing.")
class CloseListingPayload:
    listing: ProduceListing | None = strawberry.field(description="The closed listing.")
    errors: list[UserError] = strawberry.field(description="Why it failed, if it did.")


@strawberry.input(description="Buy produce from a listing (BUYER).")
class BuyProduceInput:
    listing_id: strawberry.ID = strawberry.field(description="The listing.")
    quantity: int = strawberry.field(description="Units to buy (at least the listing's minimum).")
    idempotency_key: str | None = strawberry.field(
        default=None,
        description="Send the same key when retrying: the purchase is made at most once.",
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


@strawberry.type(description="The result of postProduceRequest.")
class PostProduceRequestPayload:
    request: ProduceRequest | None = strawberry.field(description="The new request.")
    errors: list[UserError] = strawberry.field(description="Why it failed, if it did.")


@strawberry.type(description="The result of makeOffer.")
class MakeOfferPayload:
    offer: ProduceOffer | None = strawberry.field(description="The new offer.")
    errors: list[UserError] = strawberry.field(description="Why it failed, if it did.")


@strawberry.type(description="The result of buyProduce.")
class BuyProducePayload:
    purchase: ProducePurchase | None = strawberry.field(description="The purchase.")
    errors: list[UserError] = strawberry.field(description="Why it failed, if it did.")


@strawberry.type(description="The result of acceptOffer.")
class AcceptOfferPayload:
    purchase: ProducePurchase | None = strawberry.field(description="The purchase.")
    errors: list[UserError] = strawberry.field(description="Why it failed, if it did.")


@strawberry.type(description="The result of confirmHandover.")
class ConfirmHandoverPayload:
    purchase: ProducePurchase | None = strawberry.field(description="The purchase.")
    errors: list[UserError] = strawberry.field(description="Why it failed, if it did.")


@strawberry.type(description="The result of confirmHubReceipt.")
class ConfirmHubReceiptPayload:
    purchase: ProducePurchase | None = strawberry.field(description="The purchase.")
    errors: list[UserError] = strawberry.field(description="Why it failed, if it did.")


@strawberry.type(description="The result of confirmCollection.")
class ConfirmCollectionPayload:
    purchase: ProducePurchase | None = strawberry.field(description="The purchase.")
    errors: list[UserError] = strawberry.field(description="Why it failed, if it did.")


def _listing_values(input: CreateListingInput) -> listings.ListingFields:
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
        station_id=_optional_pk(input.station_id, "Station", "stationId"),
        temperature=DomainTemperature(input.temperature),
        description=input.description,
        photo_urls=tuple(input.photo_urls),
    )


def _listing_changes(input: UpdateListingInput) -> listings.ListingChanges:
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
        station_id=_optional_pk(input.station_id, "Station", "stationId"),
        temperature=None if input.temperature is None else DomainTemperature(input.temperature),
        description=input.description,
        photo_urls=None if input.photo_urls is None else tuple(input.photo_urls),
    )


def _new_produce(input: OfferProduceInput) -> requests.NewProduce:
    return requests.NewProduce(
        unit_weight_g=input.unit_weight_g,
        unit_volume_cm3=input.unit_volume_cm3,
        title=input.title,
        category=input.category,
        variety=input.variety,
        grade=input.grade,
        station_id=_optional_pk(input.station_id, "Station", "produce", "stationId"),
        ready_until=input.ready_until,
        temperature=DomainTemperature(input.temperature),
        description=input.description,
        photo_urls=tuple(input.photo_urls),
    )


def _listing_criteria(filter: ProduceListingFilter | None) -> listings.ListingFilter:
    if filter is None:
        return listings.ListingFilter()
    return listings.ListingFilter(
        category=filter.category,
        township=filter.township,
        station_id=_optional_pk(filter.station_id, "Station", "filter", "stationId"),
        ready_on=filter.ready_on,
        text=filter.text,
        farmer_id=_optional_pk(filter.farmer_id, "User", "filter", "farmerId"),
        include_closed=filter.include_closed,
    )


# --- queries and mutations -------------------------------------------------------------------


@strawberry.type
class ProduceQuery:
    @strawberry.field(
        description="Farmers' produce for sale, filtered by category, township, station, ready "
        "date and text."
    )
    async def produce_listings(
        self,
        info: Info,
        filter: ProduceListingFilter | None = None,
        first: int = 20,
        after: str | None = None,
    ) -> Connection[ProduceListing]:
        page = await listings.produce_listings(
            criteria=_listing_criteria(filter),
            first=first,
            after_id=from_cursor(after),
            max_size=info.context.max_page_size,
        )
        return connection_of(page, ProduceListing.of)

    @strawberry.field(description="Purchase requests (求购) farmers may quote on.")
    async def produce_requests(
        self, info: Info, first: int = 20, after: str | None = None, open_only: bool = True
    ) -> Connection[ProduceRequest]:
        page = await requests.produce_requests(
            open_only=open_only,
            first=first,
            after_id=from_cursor(after),
            max_size=info.context.max_page_size,
        )
        return connection_of(page, ProduceRequest.of)

    @strawberry.field(
        description="The viewer's produce purchases: as a buyer, and of their listings as a farmer."
    )
    async def my_purchases(
        self, info: Info, first: int = 20, after: str | None = None
    ) -> Connection[ProducePurchase]:
        page = await purchases.my_purchases(
            viewer=info.context.viewer,
            first=first,
            after_id=from_cursor(after),
            max_size=info.context.max_page_size,
        )
        return connection_of(page, lambda purchase: ProducePurchase.of(purchase, info))


@strawberry.type
class ProduceMutation:
    @strawberry.mutation(description="List produce for sale (FARMER).")
    async def create_listing(self, info: Info, input: CreateListingInput) -> CreateListingPayload:
        async def run() -> models.ProduceListing:
            return await listings.create_listing(
                viewer=info.context.viewer, values=_listing_values(input)
            )

        listing, errors = await attempt(run())
        return CreateListingPayload(
            listing=None if listing is None else ProduceListing.of(listing), errors=errors
        )

    @strawberry.mutation(description="Change one of your listings (FARMER).")
    async def update_listing(self, info: Info, input: UpdateListingInput) -> UpdateListingPayload:
        async def run() -> models.ProduceListing:
            return await listings.update_listing(
                viewer=info.context.viewer,
                listing_id=pk_of(input.listing_id, "ProduceListing", "listingId"),
                changes=_listing_changes(input),
            )

        listing, errors = await attempt(run())
        return UpdateListingPayload(
            listing=None if listing is None else ProduceListing.of(listing), errors=errors
        )

    @strawberry.mutation(description="Stop selling one of your listings (FARMER).")
    async def close_listing(self, info: Info, input: CloseListingInput) -> CloseListingPayload:
        async def run() -> models.ProduceListing:
            return await listings.close_listing(
                viewer=info.context.viewer,
                listing_id=pk_of(input.listing_id, "ProduceListing", "listingId"),
            )

        listing, errors = await attempt(run())
        return CloseListingPayload(
            listing=None if listing is None else ProduceListing.of(listing), errors=errors
        )

    @strawberry.mutation(
        description="Buy produce (BUYER): reserves room on the earliest bus from the station to "
        "the hub."
    )
    async def buy_produce(self, info: Info, input: BuyProduceInput) -> BuyProducePayload:
        async def run() -> models.ProducePurchase:
            return await purchases.buy_produce(
                viewer=info.context.viewer,
                listing_id=pk_of(input.listing_id, "ProduceListing", "listingId"),
                quantity=input.quantity,
                idempotency_key=input.idempotency_key,
            )

        purchase, errors = await attempt(run())
        return BuyProducePayload(purchase=_purchase_of(purchase, info), errors=errors)

    @strawberry.mutation(description="Ask farmers for produce (求购, BUYER).")
    async def post_produce_request(
        self, info: Info, input: PostProduceRequestInput
    ) -> PostProduceRequestPayload:
        request, errors = await attempt(
            requests.post_produce_request(
                viewer=info.context.viewer,
                what=input.what,
                quantity=input.quantity,
                max_price_fen=input.max_price_fen,
                needed_by=input.needed_by,
                category=input.category,
                unit=input.unit,
            )
        )
        return PostProduceRequestPayload(
            request=None if request is None else ProduceRequest.of(request), errors=errors
        )

    @strawberry.mutation(description="Quote on a purchase request (FARMER).")
    async def make_offer(self, info: Info, input: MakeOfferInput) -> MakeOfferPayload:
        async def run() -> models.ProduceOffer:
            return await requests.make_offer(
                viewer=info.context.viewer,
                request_id=pk_of(input.request_id, "ProduceRequest", "requestId"),
                quantity=input.quantity,
                price_fen=input.price_fen,
                listing_id=_optional_pk(input.listing_id, "ProduceListing", "listingId"),
                produce=None if input.produce is None else _new_produce(input.produce),
                ready_on=input.ready_on,
            )

        offer, errors = await attempt(run())
        return MakeOfferPayload(
            offer=None if offer is None else ProduceOffer.of(offer), errors=errors
        )

    @strawberry.mutation(description="Accept a farmer's offer (the request's BUYER).")
    async def accept_offer(self, info: Info, input: AcceptOfferInput) -> AcceptOfferPayload:
        async def run() -> models.ProducePurchase:
            return await requests.accept_offer(
                viewer=info.context.viewer,
                offer_id=pk_of(input.offer_id, "ProduceOffer", "offerId"),
                idempotency_key=input.idempotency_key,
            )

        purchase, errors = await attempt(run())
        return AcceptOfferPayload(purchase=_purchase_of(purchase, info), errors=errors)

    @strawberry.mutation(description="Take produce in at the station (its LEADER).")
    async def confirm_handover(
        self, info: Info, input: ConfirmHandoverInput
    ) -> ConfirmHandoverPayload:
        async def run() -> models.ProducePurchase:
            return await purchases.confirm_handover(
                viewer=info.context.viewer,
                purchase_id=pk_of(input.purchase_id, "ProducePurchase", "purchaseId"),
                quantity=input.quantity,
            )

        purchase, errors = await attempt(run())
        return ConfirmHandoverPayload(purchase=_purchase_of(purchase, info), errors=errors)

    @strawberry.mutation(description="Receive produce at the hub (DISPATCHER).")
    async def confirm_hub_receipt(
        self, info: Info, input: ConfirmHubReceiptInput
    ) -> ConfirmHubReceiptPayload:
        async def run() -> models.ProducePurchase:
            return await purchases.confirm_hub_receipt(
                viewer=info.context.viewer,
                purchase_id=pk_of(input.purchase_id, "ProducePurchase", "purchaseId"),
            )

        purchase, errors = await attempt(run())
        return ConfirmHubReceiptPayload(purchase=_purchase_of(purchase, info), errors=errors)

    @strawberry.mutation(description="Hand produce to its buyer at the hub, by collect code.")
    async def confirm_collection(
        self, info: Info, input: ConfirmCollectionInput
    ) -> ConfirmCollectionPayload:
        async def run() -> models.ProducePurchase:
            return await purchases.confirm_collection(
                viewer=info.context.viewer,
                purchase_id=pk_of(input.purchase_id, "ProducePurchase", "purchaseId"),
                collect_code=input.collect_code,
            )

        purchase, errors = await attempt(run())
        return ConfirmCollectionPayload(purchase=_purchase_of(purchase, info), errors=errors)


def _purchase_of(purchase: models.ProducePurchase | None, info: Info) -> ProducePurchase | None:
    return None if purchase is None else ProducePurchase.of(purchase, info)
