"""What a party sees of their money: their wallet's balance and their ledger, newest first,
across every account they hold (wallet, commission, cash taken, payable)."""

from __future__ import annotations

from dataclasses import dataclass

from cungoods.models import LedgerEntry
from cungoods.models.enums import AccountKind
from cungoods.services.auth import Viewer, require_viewer
from cungoods.services.money import ledger
from cungoods.services.pagination import Page, PageArgs, page


@dataclass(frozen=True)
class TopUpReceipt:
    """A top-up as the leader sees it: the wallet's entry and the wallet's balance now."""

    entry: LedgerEntry
    balance_fen: int


async def wallet_balance(*, viewer: Viewer | None, user_id: int) -> int | None:
    """A user's wallet balance in fen, for that user only (None for anyone else); 0 for a
    wallet never used."""
    if viewer is None or viewer.id != user_id:
        return None
    return await ledger.balance_of(AccountKind.BUYER_WALLET, user_id)


async def my_ledger(
    *, viewer: Viewer | None, page_args: PageArgs, max_size: int
) -> Page[LedgerEntry]:
    """The viewer's ledger entries on all their accounts, newest first (keyset by entry id),
    with transaction and account."""
    signed_in = require_viewer(viewer)
    query = LedgerEntry.filter(account__owner_id=signed_in.id).prefetch_related(
        "transaction", "account"
    )
    return await page(query, window=page_args, max_size=max_size, newest_first=True)


async def top_up_receipt(*, transaction_id: int) -> TopUpReceipt:
    """The wallet side of a top-up's ledger transaction, and the wallet's balance now."""
    entry = (
        await LedgerEntry.filter(
            transaction_id=transaction_id, account__kind=AccountKind.BUYER_WALLET
        )
        .prefetch_related("transaction", "account")
        .get()
    )
    return TopUpReceipt(entry=entry, balance_fen=await ledger.balance(entry.account_id))
