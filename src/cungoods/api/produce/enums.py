"""The produce statuses as GraphQL enums."""

from __future__ import annotations

import strawberry

from cungoods.models.enums import ListingStatus as DomainListingStatus
from cungoods.models.enums import OfferStatus as DomainOfferStatus
from cungoods.models.enums import PurchaseStatus as DomainPurchaseStatus
from cungoods.models.enums import RequestStatus as DomainRequestStatus

# strawberry.enum makes the domain enum itself the GraphQL enum (it marks the class and
# returns it); naming the class, not the call's result, keeps it a type for mypy.
ListingStatus = DomainListingStatus
strawberry.enum(ListingStatus, name="ListingStatus", description="Whether a listing is on sale.")
RequestStatus = DomainRequestStatus
strawberry.enum(RequestStatus, name="RequestStatus", description="Where a purchase request is.")
OfferStatus = DomainOfferStatus
strawberry.enum(OfferStatus, name="OfferStatus", description="Where a farmer's offer is.")
PurchaseStatus = DomainPurchaseStatus
strawberry.enum(
    PurchaseStatus,
    name="PurchaseStatus",
    description="Where bought produce is: reserved, handed over at the station, in transit, "
    "at the hub, collected (or cancelled).",
)
