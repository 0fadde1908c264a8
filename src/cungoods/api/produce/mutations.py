"""The produce mutations: listing, buying, purchase requests and offers, and the handover
chain from the station to the buyer."""

from __future__ import annotations

import strawberry

from cungoods.api.context import Info
from cungoods.api.descriptions import MutationInput
from cungoods.api.errors import mutation_payload
from cungoods.api.ids import optional_pk, pk_of
from cungoods.api.produce.inputs import (
    AcceptOfferInput,
    BuyProduceInput,
    CancelPurchaseInput,
    CloseListingInput,
    CloseRequestInput,
    ConfirmCollectionInput,
    ConfirmHandoverInput,
    ConfirmHubReceiptInput,
    CreateListingInput,
    MakeOfferInput,
    PostProduceRequestInput,
    UpdateListingInput,
    WithdrawOfferInput,
    listing_changes,
    listing_values,
    new_produce,
)
from cungoods.api.produce.payloads import (
    AcceptOfferPayload,
    BuyProducePayload,
    CancelPurchasePayload,
    CloseListingPayload,
    CloseRequestPayload,
    ConfirmCollectionPayload,
    ConfirmHandoverPayload,
    ConfirmHubReceiptPayload,
    CreateListingPayload,
    MakeOfferPayload,
    PostProduceRequestPayload,
    UpdateListingPayload,
    WithdrawOfferPayload,
)
from cungoods.api.produce.types import ProduceListing, ProduceOffer, ProducePurchase, ProduceRequest
from cungoods.models.enums import PayWith as DomainPayWith
from cungoods.services import listings, purchases, requests


@strawberry.type
class ProduceMutation:
    @strawberry.mutation(description="List produce for sale (FARMER).")
    async def create_listing(
        self, info: Info, input: MutationInput[CreateListingInput]
    ) -> CreateListingPayload:
        return await mutation_payload(
            CreateListingPayload,
            lambda: listings.create_listing(
                viewer=info.context.viewer, values=listing_values(input)
            ),
            listing=ProduceListing.of,
        )

    @strawberry.mutation(description="Change one of your listings (FARMER).")
    async def update_listing(
        self, info: Info, input: MutationInput[UpdateListingInput]
    ) -> UpdateListingPayload:
        return await mutation_payload(
            UpdateListingPayload,
            lambda: listings.update_listing(
                viewer=info.context.viewer,
                listing_id=pk_of(input.listing_id, "ProduceListing", "listingId"),
                changes=listing_changes(input),
            ),
            listing=ProduceListing.of,
        )

    @strawberry.mutation(description="Stop selling one of your listings (FARMER).")
    async def close_listing(
        self, info: Info, input: MutationInput[CloseListingInput]
    ) -> CloseListingPayload:
        return await mutation_payload(
            CloseListingPayload,
            lambda: listings.close_listing(
                viewer=info.context.viewer,
                listing_id=pk_of(input.listing_id, "ProduceListing", "listingId"),
            ),
            listing=ProduceListing.of,
        )

    @strawberry.mutation(
        description="Buy produce (BUYER): reserves room on the earliest bus from the station to "
        "the hub, paid from the wallet or through the provider (payWith)."
    )
    async def buy_produce(
        self, info: Info, input: MutationInput[BuyProduceInput]
    ) -> BuyProducePayload:
        return await mutation_payload(
            BuyProducePayload,
            lambda: purchases.buy_produce(
                viewer=info.context.viewer,
                listing_id=pk_of(input.listing_id, "ProduceListing", "listingId"),
                quantity=input.quantity,
                idempotency_key=input.idempotency_key,
                pay_with=DomainPayWith(input.pay_with),
            ),
            purchase=lambda purchase: ProducePurchase.of(purchase, info),
        )

    @strawberry.mutation(description="Ask farmers for produce (求购, BUYER).")
    async def post_produce_request(
        self, info: Info, input: MutationInput[PostProduceRequestInput]
    ) -> PostProduceRequestPayload:
        return await mutation_payload(
            PostProduceRequestPayload,
            lambda: requests.post_produce_request(
                viewer=info.context.viewer,
                what=input.what,
                quantity=input.quantity,
                max_price_fen=input.max_price_fen,
                needed_by=input.needed_by,
                category=input.category,
                unit=input.unit,
            ),
            request=ProduceRequest.of,
        )

    @strawberry.mutation(description="Quote on a purchase request (FARMER).")
    async def make_offer(
        self, info: Info, input: MutationInput[MakeOfferInput]
    ) -> MakeOfferPayload:
        return await mutation_payload(
            MakeOfferPayload,
            lambda: requests.make_offer(
                viewer=info.context.viewer,
                request_id=pk_of(input.request_id, "ProduceRequest", "requestId"),
                quantity=input.quantity,
                price_fen=input.price_fen,
                listing_id=optional_pk(input.listing_id, "ProduceListing", "listingId"),
                produce=None if input.produce is None else new_produce(input.produce),
                ready_on=input.ready_on,
            ),
            offer=ProduceOffer.of,
        )

    @strawberry.mutation(
        description="Accept a farmer's offer (the request's BUYER), paid as buyProduce is."
    )
    async def accept_offer(
        self, info: Info, input: MutationInput[AcceptOfferInput]
    ) -> AcceptOfferPayload:
        return await mutation_payload(
            AcceptOfferPayload,
            lambda: requests.accept_offer(
                viewer=info.context.viewer,
                offer_id=pk_of(input.offer_id, "ProduceOffer", "offerId"),
                idempotency_key=input.idempotency_key,
                pay_with=DomainPayWith(input.pay_with),
            ),
            purchase=lambda purchase: ProducePurchase.of(purchase, info),
        )

    @strawberry.mutation(
        description="Cancel a purchase before the farmer hands it over (its BUYER): what was "
        "paid is refunded in full, the stock and the room on the bus are given back."
    )
    async def cancel_purchase(
        self, info: Info, input: MutationInput[CancelPurchaseInput]
    ) -> CancelPurchasePayload:
        return await mutation_payload(
            CancelPurchasePayload,
            lambda: purchases.cancel_purchase(
                viewer=info.context.viewer,
                purchase_id=pk_of(input.purchase_id, "ProducePurchase", "purchaseId"),
            ),
            purchase=lambda purchase: ProducePurchase.of(purchase, info),
        )

    @strawberry.mutation(
        description="Close an open purchase request (its BUYER): its open offers close and "
        "their farmers are told; accepted offers stay."
    )
    async def close_request(
        self, info: Info, input: MutationInput[CloseRequestInput]
    ) -> CloseRequestPayload:
        return await mutation_payload(
            CloseRequestPayload,
            lambda: requests.close_request(
                viewer=info.context.viewer,
                request_id=pk_of(input.request_id, "ProduceRequest", "requestId"),
            ),
            request=ProduceRequest.of,
        )

    @strawberry.mutation(
        description="Withdraw an open offer (its FARMER); the request's buyer is told."
    )
    async def withdraw_offer(
        self, info: Info, input: MutationInput[WithdrawOfferInput]
    ) -> WithdrawOfferPayload:
        return await mutation_payload(
            WithdrawOfferPayload,
            lambda: requests.withdraw_offer(
                viewer=info.context.viewer,
                offer_id=pk_of(input.offer_id, "ProduceOffer", "offerId"),
            ),
            offer=ProduceOffer.of,
        )

    @strawberry.mutation(description="Take produce in at the station (its LEADER).")
    async def confirm_handover(
        self, info: Info, input: MutationInput[ConfirmHandoverInput]
    ) -> ConfirmHandoverPayload:
        return await mutation_payload(
            ConfirmHandoverPayload,
            lambda: purchases.confirm_handover(
                viewer=info.context.viewer,
                purchase_id=pk_of(input.purchase_id, "ProducePurchase", "purchaseId"),
                quantity=input.quantity,
            ),
            purchase=lambda purchase: ProducePurchase.of(purchase, info),
        )

    @strawberry.mutation(description="Receive produce at the hub (DISPATCHER).")
    async def confirm_hub_receipt(
        self, info: Info, input: MutationInput[ConfirmHubReceiptInput]
    ) -> ConfirmHubReceiptPayload:
        return await mutation_payload(
            ConfirmHubReceiptPayload,
            lambda: purchases.confirm_hub_receipt(
                viewer=info.context.viewer,
                purchase_id=pk_of(input.purchase_id, "ProducePurchase", "purchaseId"),
            ),
            purchase=lambda purchase: ProducePurchase.of(purchase, info),
        )

    @strawberry.mutation(description="Hand produce to its buyer at the hub, by collect code.")
    async def confirm_collection(
        self, info: Info, input: MutationInput[ConfirmCollectionInput]
    ) -> ConfirmCollectionPayload:
        return await mutation_payload(
            ConfirmCollectionPayload,
            lambda: purchases.confirm_collection(
                viewer=info.context.viewer,
                purchase_id=pk_of(input.purchase_id, "ProducePurchase", "purchaseId"),
                collect_code=input.collect_code,
            ),
            purchase=lambda purchase: ProducePurchase.of(purchase, info),
        )
