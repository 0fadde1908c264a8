"""The station leader's commission (团长佣金): a rate per product category in basis points,
accrued once when an order is picked up, reversed in proportion by any later refund of it; and
the collection fee for produce the leader takes in from farmers."""

from __future__ import annotations

from cungoods.db import sql
from cungoods.models import CommissionRate
from cungoods.models.enums import AccountKind, LedgerKind
from cungoods.services.auth import Viewer, require_dispatcher
from cungoods.services.errors import invalid
from cungoods.services.money import ledger

DEFAULT_RATE_BP = 800  # 8 %
BASIS_POINTS = 10_000
MAX_CATEGORY = 32

RATES_SQL = f"SELECT category, rate_bp FROM {CommissionRate._meta.db_table}"


async def set_commission_rate(*, viewer: Viewer | None, category: str, rate_bp: int) -> int:
    """Set the commission on a category (DISPATCHER); it applies to orders picked up from now."""
    require_dispatcher(viewer)
    name = category.strip()
    if not 1 <= len(name) <= MAX_CATEGORY:
        raise invalid(f"a category has 1 to {MAX_CATEGORY} characters", "category")
    if not 0 <= rate_bp <= BASIS_POINTS:
        raise invalid(f"a rate is 0 to {BASIS_POINTS} basis points", "rateBp")
    await CommissionRate.update_or_create(defaults={"rate_bp": rate_bp}, category=name)
    return rate_bp


async def rates() -> dict[str, int]:
    return {str(row["category"]): int(row["rate_bp"]) for row in await sql.fetch(RATES_SQL)}


def share(amount_fen: int, rate_bp: int) -> int:
    """`rate_bp` of an amount, rounded down to the fen (what is earned is never overstated)."""
    return amount_fen * rate_bp // BASIS_POINTS


def in_proportion(total_fen: int, part_fen: int, whole_fen: int) -> int:
    """The part of `total_fen` that `part_fen` is of `whole_fen`, rounded down."""
    if whole_fen <= 0:
        return 0
    return total_fen * part_fen // whole_fen


async def accrue(
    *,
    leader_id: int,
    amount_fen: int,
    order_id: int | None = None,
    purchase_id: int | None = None,
    kind: LedgerKind = LedgerKind.COMMISSION,
) -> None:
    """Credit the leader's commission from the platform's revenue (inside the use case's
    transaction); nothing when the amount is 0."""
    if amount_fen <= 0:
        return
    revenue = await ledger.account(AccountKind.PLATFORM_REVENUE)
    commission = await ledger.account(AccountKind.LEADER_COMMISSION, leader_id)
    await ledger.post(
        kind,
        ledger.transfer(source=revenue, target=commission, amount_fen=amount_fen),
        order_id=order_id,
        purchase_id=purchase_id,
    )


async def reverse(*, leader_id: int, amount_fen: int, order_id: int) -> None:
    """Take back commission on a refunded part of an order (inside the use case's
    transaction). The commission account may go below zero: the leader then owes it."""
    if amount_fen <= 0:
        return
    revenue = await ledger.account(AccountKind.PLATFORM_REVENUE)
    commission = await ledger.account(AccountKind.LEADER_COMMISSION, leader_id)
    await ledger.post(
        LedgerKind.COMMISSION_REVERSAL,
        ledger.transfer(source=commission, target=revenue, amount_fen=amount_fen),
        order_id=order_id,
    )
