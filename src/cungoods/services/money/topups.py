"""Top-ups at the station (村站代充): a villager hands the station leader cash, the leader credits
the villager's wallet. The cash is the hub's: the leader's cash account goes below zero by what
they took, until they hand it over (settlement)."""

from __future__ import annotations

from cungoods.events.outbox import record
from cungoods.models import User
from cungoods.models.enums import AccountKind, LedgerKind, Role
from cungoods.services import accounts
from cungoods.services.auth import Viewer, require_role
from cungoods.services.errors import invalid, not_found
from cungoods.services.idempotency import run_once
from cungoods.services.money import ledger, wallet

TOP_UP = "topUp"
# One top-up is cash in a leader's hand: 5,000 yuan is more than a village shop keeps.
MAX_TOP_UP_FEN = 500_000


async def top_up(
    *, viewer: Viewer | None, buyer_phone: str, amount_fen: int, idempotency_key: str | None
) -> int:
    """Credit a buyer's wallet with cash the leader took (LEADER). Returns the ledger
    transaction id; with an idempotency key a retry returns the first one."""
    leader = require_role(viewer, Role.LEADER)
    if not 1 <= amount_fen <= MAX_TOP_UP_FEN:
        raise invalid(f"a top-up is 1 to {MAX_TOP_UP_FEN} fen", "amountFen")
    phone = accounts.normalize_phone(buyer_phone)
    buyer = await User.get_or_none(phone=phone)
    if buyer is None or Role.BUYER.value not in buyer.roles:
        raise not_found("buyer", "buyerPhone")

    async def work() -> int:
        wallet = await ledger.account(AccountKind.BUYER_WALLET, buyer.id)
        cash = await ledger.account(AccountKind.LEADER_CASH, leader.id)
        transaction_id = await ledger.post(
            LedgerKind.TOP_UP,
            ledger.transfer(source=cash, target=wallet, amount_fen=amount_fen),
            memo=f"cash at station {leader.station_id}",
        )
        await record(
            "WALLET_TOPPED_UP",
            message=f"{amount_fen / 100:.2f} 元 added to the wallet at the station",
            station_id=leader.station_id,
            user_ids=(buyer.id, leader.id),
            params={"amount_fen": amount_fen, "phone": phone},
        )
        return transaction_id

    return await run_once(
        user_id=leader.id,
        operation=TOP_UP,
        key=idempotency_key,
        request={"buyerPhone": phone, "amountFen": amount_fen},
        work=work,
    )


async def top_up_wallet(
    *, viewer: Viewer | None, buyer_phone: str, amount_fen: int, idempotency_key: str | None
) -> wallet.TopUpReceipt:
    """`top_up`, answered with the wallet's entry and its balance now (what topUp shows)."""
    transaction_id = await top_up(
        viewer=viewer,
        buyer_phone=buyer_phone,
        amount_fen=amount_fen,
        idempotency_key=idempotency_key,
    )
    return await wallet.top_up_receipt(transaction_id=transaction_id)
