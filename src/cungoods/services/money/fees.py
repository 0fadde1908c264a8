"""The money terms the server runs with: the platform's fee and the leader's collection fee on
produce, and how long a purchase may wait unpaid. Configured once at start from the settings
(`create_app`), like the clock; the defaults are the settings' defaults, so services and tests
that never configure them get the documented terms."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from cungoods.services.money.commission import BASIS_POINTS, share


@dataclass(frozen=True)
class Terms:
    platform_fee_bp: int = 500
    collection_fee_bp: int = 200
    payment_timeout: dt.timedelta = dt.timedelta(minutes=15)


_terms = Terms()


def configure(
    *, platform_fee_bp: int, collection_fee_bp: int, payment_timeout_minutes: int
) -> None:
    """Set the terms (at start; tests may set them too)."""
    global _terms
    if not 0 <= platform_fee_bp + collection_fee_bp <= BASIS_POINTS:
        raise ValueError("the fees on produce add up to 0 to 100 %")
    if payment_timeout_minutes < 1:
        raise ValueError("an unpaid purchase waits at least a minute")
    _terms = Terms(
        platform_fee_bp=platform_fee_bp,
        collection_fee_bp=collection_fee_bp,
        payment_timeout=dt.timedelta(minutes=payment_timeout_minutes),
    )


def terms() -> Terms:
    return _terms


@dataclass(frozen=True)
class ProduceSplit:
    """Where the money held for collected produce goes, to the fen: it sums to the amount."""

    farmer_fen: int
    platform_fen: int
    leader_fen: int


def split_produce(amount_fen: int, *, has_leader: bool) -> ProduceSplit:
    """The platform fee and the collection fee are each rounded down (what is taken is never
    overstated); the farmer gets the rest. Without a leader the collection fee is the
    platform's."""
    platform = share(amount_fen, _terms.platform_fee_bp)
    leader = share(amount_fen, _terms.collection_fee_bp)
    if not has_leader:
        platform, leader = platform + leader, 0
    return ProduceSplit(
        farmer_fen=amount_fen - platform - leader, platform_fen=platform, leader_fen=leader
    )
