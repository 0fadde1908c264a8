"""The produce statuses as GraphQL enums."""

from __future__ import annotations

import strawberry

from cungoods.models.enums import ListingStatus as DomainListingStatus
from cungoods.models.enums import OfferStatus as DomainOfferStatus
from cungoods.models.enums import PurchaseStatus as DomainPurchaseStatus
from cungoods.models.enums import RequestStatus as DomainRequestStatus

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
