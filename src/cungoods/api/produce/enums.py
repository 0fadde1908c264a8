"""The produce statuses as GraphQL enums."""

from __future__ import annotations

from cungoods.api.descriptions import graphql_enum
from cungoods.models.enums import ListingStatus as DomainListingStatus
from cungoods.models.enums import OfferStatus as DomainOfferStatus
from cungoods.models.enums import PurchaseStatus as DomainPurchaseStatus
from cungoods.models.enums import RequestStatus as DomainRequestStatus

# The domain enum itself is the GraphQL enum (api/descriptions.graphql_enum).
ListingStatus = DomainListingStatus
graphql_enum(
    ListingStatus,
    name="ListingStatus",
    description="Whether a listing is on sale.",
    values={
        ListingStatus.OPEN: "On sale: buyers may buy from it.",
        ListingStatus.CLOSED: "Closed by the farmer: no more sales.",
    },
)
RequestStatus = DomainRequestStatus
graphql_enum(
    RequestStatus,
    name="RequestStatus",
    description="Where a purchase request is.",
    values={
        RequestStatus.OPEN: "Taking offers from farmers.",
        RequestStatus.FULFILLED: "Accepted offers cover the quantity asked for.",
        RequestStatus.CLOSED: "Closed by the buyer; its open offers are closed too.",
    },
)
OfferStatus = DomainOfferStatus
graphql_enum(
    OfferStatus,
    name="OfferStatus",
    description="Where a farmer's offer is.",
    values={
        OfferStatus.OPEN: "Waiting for the buyer to accept it.",
        OfferStatus.ACCEPTED: "Accepted: it became a produce purchase.",
        OfferStatus.CLOSED: "No longer on offer: withdrawn by the farmer, its request closed, or "
        "the purchase it became released (unpaid or cancelled).",
    },
)
PurchaseStatus = DomainPurchaseStatus
graphql_enum(
    PurchaseStatus,
    name="PurchaseStatus",
    description="Where bought produce is: reserved, handed over at the station, in transit, "
    "at the hub, collected (or cancelled).",
    values={
        PurchaseStatus.RESERVED: "Bought, with room reserved on the bus; waiting for the handover "
        "at the station.",
        PurchaseStatus.HANDED_OVER: "The farmer handed it to the station leader.",
        PurchaseStatus.IN_TRANSIT: "On the bus to the hub.",
        PurchaseStatus.AT_HUB: "At the hub, waiting for the buyer to collect it.",
        PurchaseStatus.COLLECTED: "Collected by the buyer; the farmer is credited.",
        PurchaseStatus.CANCELLED: "Cancelled (by the buyer before the handover, unpaid in time, "
        "or never handed over); its money is refunded.",
    },
)
