"""Telling a farmer or a leader that money was credited to them (a MONEY_RECEIVED event with
its notification), inside the transaction that credits it."""

from __future__ import annotations

from cungoods.events.outbox import record

MONEY_RECEIVED = "MONEY_RECEIVED"


async def tell_credited(
    *,
    user_id: int,
    amount_fen: int,
    what: str,
    order_id: int | None = None,
    purchase_id: int | None = None,
) -> None:
    """Record that `amount_fen` was credited to `user_id` for `what` (nothing for 0)."""
    if amount_fen <= 0:
        return
    await record(
        MONEY_RECEIVED,
        message=f"{amount_fen / 100:.2f} 元 credited: {what}",
        order_id=order_id,
        purchase_id=purchase_id,
        user_ids=(user_id,),
        trip_topic=False,
        params={"amount_fen": amount_fen, "what": what},
    )
