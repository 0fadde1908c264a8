"""The money enums of orders and purchases, registered once here for every area that shows
them (orders and produce both import them from this module)."""

from __future__ import annotations

import strawberry

from cungoods.models.enums import PaymentKind as DomainPaymentKind
from cungoods.models.enums import PaymentState as DomainPaymentState
from cungoods.models.enums import PaymentStatus as DomainPaymentStatus
from cungoods.models.enums import PayWith as DomainPayWith

# strawberry.enum makes the domain enum itself the GraphQL enum (it marks the class and
# returns it); naming the class, not the call's result, keeps it a type for mypy.
PayWith = DomainPayWith
strawberry.enum(
    PayWith,
    name="PayWith",
    description="How an order or a purchase is paid: BALANCE from the buyer's wallet at once, "
    "PROVIDER through the payment provider (it waits UNPAID until paid or expired).",
)
PaymentStatus = DomainPaymentStatus
strawberry.enum(
    PaymentStatus,
    name="PaymentStatus",
    description="Where an order's or a purchase's money stands.",
)
PaymentKind = DomainPaymentKind
strawberry.enum(
    PaymentKind,
    name="PaymentKind",
    description="A provider payment: CHARGE (the buyer pays) or REFUND (money sent back).",
)
PaymentState = DomainPaymentState
strawberry.enum(
    PaymentState,
    name="PaymentState",
    description="Where a provider payment is: PENDING until the provider's signed "
    "notification, then SUCCEEDED, or EXPIRED when it was never paid in time.",
)
