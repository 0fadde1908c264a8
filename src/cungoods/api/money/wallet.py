"""The Wallet type, on its own: the User type shows it (`viewer.wallet`), and the other money
types build on User, so it cannot live beside them without an import circle."""

from __future__ import annotations

import strawberry

from cungoods.api.scalars import Long


@strawberry.type(
    description="The viewer's prepaid wallet (钱包). "
    "A value type (no id): client caches keep it inside the object that holds it."
)
class Wallet:
    balance_fen: Long = strawberry.field(
        description="What the wallet holds, in fen (64-bit Long; never below 0)."
    )
