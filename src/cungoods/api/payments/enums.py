"""The money enums of orders and purchases, registered once here for every area that shows
them (orders and produce both import them from this module)."""

from __future__ import annotations

from cungoods.api.descriptions import graphql_enum
from cungoods.models.enums import PaymentKind as DomainPaymentKind
from cungoods.models.enums import PaymentState as DomainPaymentState
from cungoods.models.enums import PaymentStatus as DomainPaymentStatus
from cungoods.models.enums import PayWith as DomainPayWith

# The domain enum itself is the GraphQL enum (api/descriptions.graphql_enum).
PayWith = DomainPayWith
graphql_enum(
    PayWith,
    name="PayWith",
    description="How an order or a purchase is paid: BALANCE from the buyer's wallet at once, "
    "PROVIDER through the payment provider (it waits UNPAID until paid or expired).",
    values={
        PayWith.BALANCE: "From the buyer's wallet, in the same transaction as the order or "
        "purchase.",
        PayWith.PROVIDER: "Through the payment provider: it waits UNPAID until paid or its payBy "
        "passes.",
    },
)
PaymentStatus = DomainPaymentStatus
graphql_enum(
    PaymentStatus,
    name="PaymentStatus",
    description="Where an order's or a purchase's money stands.",
    values={
        PaymentStatus.UNPAID: "Not paid yet (PROVIDER, before payBy).",
        PaymentStatus.PAID: "Paid in full.",
        PaymentStatus.REFUNDED: "All of it refunded.",
        PaymentStatus.PARTLY_REFUNDED: "Part of it refunded (a shortage, a short handover, an "
        "approved claim).",
    },
)
PaymentKind = DomainPaymentKind
graphql_enum(
    PaymentKind,
    name="PaymentKind",
    description="A provider payment: CHARGE (the buyer pays) or REFUND (money sent back).",
    values={
        PaymentKind.CHARGE: "The buyer pays through the provider.",
        PaymentKind.REFUND: "The provider sends money back to the buyer.",
    },
)
PaymentState = DomainPaymentState
graphql_enum(
    PaymentState,
    name="PaymentState",
    description="Where a provider payment is: PENDING until the provider's signed "
    "notification, then SUCCEEDED, or EXPIRED when it was never paid in time.",
    values={
        PaymentState.PENDING: "Waiting for the provider's signed notification.",
        PaymentState.SUCCEEDED: "The provider confirmed it.",
        PaymentState.EXPIRED: "Never paid in time: the order or purchase was released.",
    },
)
