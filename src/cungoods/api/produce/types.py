"""The produce node types: listings, purchase requests, offers and purchases, and how each is
found by id (the node registration)."""

from __future__ import annotations

import datetime as dt

import strawberry

from cungoods import models
from cungoods.api.accounts.types import User, user_by_id
from cungoods.api.context import Info
from cungoods.api.ids import to_global_id
from cungoods.api.network.types import Station, Trip, station_by_id, trip_by_id
from cungoods.api.node import Node, register_node
from cungoods.api.payments.enums import PaymentStatus, PayWith
from cungoods.api.produce.enums import ListingStatus, OfferStatus, PurchaseStatus, RequestStatus
from cungoods.api.scalars import Load, Temperature
from cungoods.models.enums import ListingStatus as DomainListingStatus
from cungoods.models.enums import OfferStatus as DomainOfferStatus
from cungoods.models.enums import PurchaseStatus as DomainPurchaseStatus
from cungoods.models.enums import RequestStatus as DomainRequestStatus
from cungoods.models.enums import Temperature as DomainTemperature
from cungoods.services import purchases, requests
from cungoods.services.capacity import Load as DomainLoad


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


@strawberry.type(
    description="A status a purchase moved to, and when. "
    "A value type (no id): client caches keep it inside the object that holds it."
)
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
    pay_with: PayWith = strawberry.field(description="How it is paid.")
    payment_status: PaymentStatus = strawberry.field(description="Where its money stands.")
    paid_fen: int = strawberry.field(description="What the buyer paid, in fen.")
    refunded_fen: int = strawberry.field(
        description="What was given back, in fen (e.g. the units a short handover lacked)."
    )
    pay_by: dt.datetime | None = strawberry.field(
        description="A purchase waiting UNPAID for the provider is released at this instant."
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
            if event.status is not None and event.status in DomainPurchaseStatus.__members__
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
            pay_with=PayWith(purchase.pay_with),
            payment_status=PaymentStatus(purchase.payment_status),
            paid_fen=purchase.paid_fen,
            refunded_fen=purchase.refunded_fen,
            pay_by=purchase.pay_by if purchase.payment_status == PaymentStatus.UNPAID else None,
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
