"""Upstream in the API: produce listings, purchase requests and offers, purchases and their
handover chain.

The pieces live in small modules (enums, types, inputs, payloads, queries, mutations); this
package exports what the schema and the other API areas use."""

from cungoods.api.produce.enums import ListingStatus, OfferStatus, PurchaseStatus, RequestStatus
from cungoods.api.produce.mutations import ProduceMutation
from cungoods.api.produce.queries import ProduceQuery
from cungoods.api.produce.types import (
    ProduceListing,
    ProduceOffer,
    ProducePurchase,
    ProduceRequest,
    PurchaseStatusChange,
    listing_by_id,
    purchase_by_id,
)

__all__ = [
    "ListingStatus",
    "OfferStatus",
    "ProduceListing",
    "ProduceMutation",
    "ProduceOffer",
    "ProducePurchase",
    "ProduceQuery",
    "ProduceRequest",
    "PurchaseStatus",
    "PurchaseStatusChange",
    "RequestStatus",
    "listing_by_id",
    "purchase_by_id",
]
