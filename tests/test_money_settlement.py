"""Top-ups at the station, the leader's commission and settlement (issue 12), on the services:
every figure checked to the fen, every statement paid out once, the ledger balanced after."""

from __future__ import annotations

import datetime as dt

import pytest
from tortoise.transactions import in_transaction

from builders import make_user
from cungoods.models import Statement
from cungoods.models.enums import AccountKind, Role, StatementParty
from cungoods.services import clock
from cungoods.services.auth import Viewer
from cungoods.services.errors import DomainError
from cungoods.services.money import commission, ledger, settlement, topups


async def test_a_leader_tops_up_a_wallet_with_cash_and_owes_the_hub_that_cash() -> None:
    leader = await make_user(Role.LEADER)
    buyer = await make_user(Role.BUYER, wallet_fen=0)

    await topups.top_up(
        viewer=Viewer.of(leader), buyer_phone=buyer.phone, amount_fen=2_000, idempotency_key="t1"
    )
    await topups.top_up(
        viewer=Viewer.of(leader), buyer_phone=buyer.phone, amount_fen=2_000, idempotency_key="t1"
    )  # a retry of the same top-up credits once

    assert await ledger.balance_of(AccountKind.BUYER_WALLET, buyer.id) == 2_000
    assert await ledger.balance_of(AccountKind.LEADER_CASH, leader.id) == -2_000
    assert await ledger.invariant_violations() == []


@pytest.mark.parametrize("amount", [0, -5, topups.MAX_TOP_UP_FEN + 1])
async def test_a_top_up_out_of_range_is_refused_and_credits_nothing(amount: int) -> None:
    leader = await make_user(Role.LEADER)
    buyer = await make_user(Role.BUYER, wallet_fen=0)

    with pytest.raises(DomainError) as refused:
        await topups.top_up(
            viewer=Viewer.of(leader),
            buyer_phone=buyer.phone,
            amount_fen=amount,
            idempotency_key=None,
        )

    assert refused.value.code.value == "INVALID_INPUT"
    assert await ledger.balance_of(AccountKind.BUYER_WALLET, buyer.id) == 0


async def test_only_a_leader_tops_up_and_only_a_buyers_wallet() -> None:
    buyer = await make_user(Role.BUYER, wallet_fen=0)
    farmer = await make_user(Role.FARMER)
    leader = await make_user(Role.LEADER)

    with pytest.raises(DomainError) as by_buyer:
        await topups.top_up(
            viewer=Viewer.of(buyer), buyer_phone=buyer.phone, amount_fen=100, idempotency_key=None
        )
    with pytest.raises(DomainError) as to_farmer:
        await topups.top_up(
            viewer=Viewer.of(leader),
            buyer_phone=farmer.phone,
            amount_fen=100,
            idempotency_key=None,
        )

    assert by_buyer.value.code.value == "NOT_ALLOWED"
    assert to_farmer.value.code.value == "NOT_FOUND"


def test_commission_is_rounded_down_to_the_fen() -> None:
    assert commission.share(1_999, 800) == 159  # 159.92 fen earned: 159
    assert commission.in_proportion(159, 500, 1_999) == 39


async def test_a_period_settles_into_one_statement_per_account_paid_out_once() -> None:
    dispatcher = Viewer.of(await make_user(Role.DISPATCHER))
    leader = await make_user(Role.LEADER)
    buyer = await make_user(Role.BUYER, wallet_fen=0)
    await topups.top_up(
        viewer=Viewer.of(leader),
        buyer_phone=buyer.phone,
        amount_fen=10_000,
        idempotency_key=None,
    )
    async with in_transaction():
        await commission.accrue(leader_id=leader.id, amount_fen=480)
        await commission.accrue(leader_id=leader.id, amount_fen=320)
    today = clock.today()

    made = await settlement.settle(viewer=dispatcher, start=today, end=today)
    again = await settlement.settle(viewer=dispatcher, start=today, end=today)

    assert sorted(s.id for s in made) == sorted(s.id for s in again)
    by_account = {s.account_id: s for s in made}
    earned = by_account[await ledger.account(AccountKind.LEADER_COMMISSION, leader.id)]
    cash = by_account[await ledger.account(AccountKind.LEADER_CASH, leader.id)]
    assert (earned.party, earned.opening_fen, earned.credits_fen, earned.due_fen) == (
        StatementParty.LEADER,
        0,
        800,
        800,
    )
    assert (cash.debits_fen, cash.due_fen) == (10_000, -10_000)
    assert [e.amount_fen for e in await settlement.entries(earned)] == [480, 320]

    await settlement.mark_paid_out(viewer=dispatcher, statement_id=earned.id, reference="BANK-1")
    with pytest.raises(DomainError) as twice:
        await settlement.mark_paid_out(
            viewer=dispatcher, statement_id=earned.id, reference="BANK-2"
        )

    assert twice.value.code.value == "INVALID_STATE"
    assert await ledger.balance_of(AccountKind.LEADER_COMMISSION, leader.id) == 0
    assert await ledger.balance_of(AccountKind.PAYOUTS) == 800
    paid = await Statement.get(id=earned.id)
    assert paid.payout_reference == "BANK-1" and paid.paid_out_at is not None
    mine = await settlement.statements(viewer=Viewer.of(leader), start=today, end=today, mine=True)
    assert {s.id for s in mine} == {earned.id, cash.id}
    assert await ledger.invariant_violations() == []


async def test_statements_of_everyone_are_for_dispatchers_only() -> None:
    leader = Viewer.of(await make_user(Role.LEADER))
    today = clock.today()

    with pytest.raises(DomainError) as refused:
        await settlement.statements(viewer=leader, start=today, end=today, mine=False)
    with pytest.raises(DomainError) as settle_refused:
        await settlement.settle(viewer=leader, start=today, end=today)

    assert refused.value.code.value == "NOT_ALLOWED"
    assert settle_refused.value.code.value == "NOT_ALLOWED"


async def test_a_period_longer_than_a_quarter_is_refused() -> None:
    dispatcher = Viewer.of(await make_user(Role.DISPATCHER))
    today = clock.today()

    with pytest.raises(DomainError) as refused:
        await settlement.settle(viewer=dispatcher, start=today - dt.timedelta(days=200), end=today)

    assert refused.value.code.value == "INVALID_INPUT"
