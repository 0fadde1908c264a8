"""The station leader's commission (团长佣金): a rate per product category in basis points,
accrued once when an order is picked up, reversed in proportion by any later refund of it; and
the collection fee for produce the leader takes in from farmers."""

from __future__ import annotations

from cungoods.db import sql
from cungoods.models import (
    Account,
    CommissionRate,
    LedgerEntry,
    LedgerTransaction,
    Order,
    OrderLine,
    Product,
    SaleItem,
)
from cungoods.models.enums import AccountKind, LedgerKind
from cungoods.services.auth import Viewer, require_dispatcher
from cungoods.services.errors import invalid
from cungoods.services.money import credited, ledger

DEFAULT_RATE_BP = 800  # 8 %
BASIS_POINTS = 10_000
MAX_CATEGORY = 32

RATES_SQL = f"SELECT category, rate_bp FROM {CommissionRate._meta.db_table}"


async def set_commission_rate(
    *, viewer: Viewer | None, category: str, rate_bp: int
) -> CommissionRate:
    """Set the commission on a category (DISPATCHER); it applies to orders picked up from now."""
    require_dispatcher(viewer)
    name = category.strip()
    if not 1 <= len(name) <= MAX_CATEGORY:
        raise invalid(f"a category has 1 to {MAX_CATEGORY} characters", "category")
    if not 0 <= rate_bp <= BASIS_POINTS:
        raise invalid(f"a rate is 0 to {BASIS_POINTS} basis points", "rateBp")
    row, _ = await CommissionRate.update_or_create(defaults={"rate_bp": rate_bp}, category=name)
    return row


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
    await credited.tell_credited(
        user_id=leader_id,
        amount_fen=amount_fen,
        what="commission on an order handed out" if order_id else "commission",
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


_LINES_SQL = (
    f"SELECT ol.quantity, ol.unit_price_fen, p.category FROM {OrderLine._meta.db_table} ol "
    f"JOIN {SaleItem._meta.db_table} si ON si.id = ol.sale_item_id "
    f"JOIN {Product._meta.db_table} p ON p.id = si.product_id "
    "WHERE ol.order_id = $1 ORDER BY ol.id"
)
_ACCRUED_SQL = (
    f"SELECT a.owner_id, t.kind, SUM(e.amount_fen) AS fen FROM {LedgerEntry._meta.db_table} e "
    f"JOIN {LedgerTransaction._meta.db_table} t ON t.id = e.transaction_id "
    f"JOIN {Account._meta.db_table} a ON a.id = e.account_id "
    "WHERE t.order_id = $1 AND t.kind IN ($2, $3) AND a.kind = $4 "
    "GROUP BY a.owner_id, t.kind"
)


def order_commission(lines: list[tuple[int, int, str]], rate_of: dict[str, int]) -> int:
    """The commission on an order's lines (quantity, unit price, category): each line's total
    at its category's rate (the default where none is set), rounded down per line, summed."""
    return sum(
        share(quantity * unit_price_fen, rate_of.get(category, DEFAULT_RATE_BP))
        for quantity, unit_price_fen, category in lines
    )


async def accrue_for_order(*, order_id: int, leader_id: int) -> int:
    """Credit the leader who handed an order out with its commission, once per order (inside
    the pickup's transaction; a second call finds the accrual and does nothing). Commission is
    earned on what the buyer kept: a part refunded before pickup earns none. Returns the fen
    accrued by this call."""
    if await LedgerTransaction.filter(order_id=order_id, kind=LedgerKind.COMMISSION).exists():
        return 0
    rows = await sql.fetch(_LINES_SQL, order_id)
    lines = [(int(r["quantity"]), int(r["unit_price_fen"]), str(r["category"])) for r in rows]
    earned = order_commission(lines, await rates())
    order = await Order.get(id=order_id)
    # Commission is earned on the lines as they are now. Units taken off them (a shortage, an
    # arrival check, a group buy that did not form) left the lines with their refund, so the
    # part of the refunds that the cut lines account for (paid − the lines' worth) is already
    # out; only refunds beyond it lower the commission further.
    kept_fen = sum(quantity * unit_price_fen for quantity, unit_price_fen, _ in lines)
    other_refunds = order.refunded_fen - max(order.paid_fen - kept_fen, 0)
    if other_refunds > 0 and kept_fen > 0:
        earned = in_proportion(earned, max(kept_fen - other_refunds, 0), kept_fen)
    await accrue(leader_id=leader_id, amount_fen=earned, order_id=order_id)
    return earned


async def reverse_for_order(*, order_id: int, refunded_fen: int) -> int:
    """Take back the commission on a refunded part of a picked-up order (inside the refund's
    transaction): the accrued commission × refunded / the order's total, rounded down, and never
    more than is still accrued (earlier reversals counted). Returns the fen reversed."""
    if refunded_fen <= 0:
        return 0
    rows = await sql.fetch(
        _ACCRUED_SQL,
        order_id,
        LedgerKind.COMMISSION,
        LedgerKind.COMMISSION_REVERSAL,
        AccountKind.LEADER_COMMISSION,
    )
    accrued = {int(r["owner_id"]): 0 for r in rows if r["kind"] == LedgerKind.COMMISSION}
    left = dict.fromkeys(accrued, 0)
    for row in rows:
        owner, fen = int(row["owner_id"]), int(row["fen"])
        if row["kind"] == LedgerKind.COMMISSION:
            accrued[owner] += fen
        left[owner] = left.get(owner, 0) + fen  # reversals are negative on the leader
    order = await Order.get(id=order_id)
    reversed_fen = 0
    for leader_id, earned in sorted(accrued.items()):
        amount = min(in_proportion(earned, refunded_fen, order.total_fen), max(left[leader_id], 0))
        await reverse(leader_id=leader_id, amount_fen=amount, order_id=order_id)
        reversed_fen += max(amount, 0)
    return reversed_fen
