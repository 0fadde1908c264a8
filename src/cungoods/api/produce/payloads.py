"""The produce mutations' results."""

from __future__ import annotations

import strawberry

from cungoods.api.errors import UserError
from cungoods.api.produce.types import ProduceListing, ProduceOffer, ProducePurchase, ProduceRequest


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


@strawberry.type(description="The result of postProduceRequest.")
class PostProduceRequestPayload:
    request: ProduceRequest | None = strawberry.field(description="The new request.")
    errors: list[UserError] = strawberry.field(description="Why it failed, if it did.")


@strawberry.type(description="The result of makeOffer.")
class MakeOfferPayload:
    offer: ProduceOffer | None = strawberry.field(description="The new offer.")
    errors: list[UserError] = strawberry.field(description="Why it failed, if it did.")


@strawberry.type(description="The result of closeRequest.")
class CloseRequestPayload:
    request: ProduceRequest | None = strawberry.field(description="The closed request.")
    errors: list[UserError] = strawberry.field(description="Why it failed, if it did.")


@strawberry.type(description="The result of withdrawOffer.")
class WithdrawOfferPayload:
    offer: ProduceOffer | None = strawberry.field(description="The withdrawn offer.")
    errors: list[UserError] = strawberry.field(description="Why it failed, if it did.")


@strawberry.type(description="The result of a mutation that makes or moves a purchase.")
class PurchasePayload:
    purchase: ProducePurchase | None = strawberry.field(description="The purchase.")
    errors: list[UserError] = strawberry.field(description="Why it failed, if it did.")


@strawberry.type(description="The result of buyProduce.")
class BuyProducePayload(PurchasePayload):
    pass


@strawberry.type(description="The result of acceptOffer.")
class AcceptOfferPayload(PurchasePayload):
    pass


@strawberry.type(description="The result of confirmHandover.")
class ConfirmHandoverPayload(PurchasePayload):
    pass


@strawberry.type(description="The result of confirmHubReceipt.")
class ConfirmHubReceiptPayload(PurchasePayload):
    pass


@strawberry.type(description="The result of confirmCollection.")
class ConfirmCollectionPayload(PurchasePayload):
    pass


@strawberry.type(description="The result of cancelPurchase.")
class CancelPurchasePayload(PurchasePayload):
    pass
