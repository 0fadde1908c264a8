"""The ledger (issue 12): balanced transactions only, wallets that cannot go below zero, one
query that checks it all, and no overdraft however many payments race for one wallet."""

from __future__ import annotations

import asyncio

import pytest
from tortoise.transactions import in_transaction

from builders import make_user
from cungoods.models import LedgerEntry, LedgerTransaction
from cungoods.models.enums import AccountKind, LedgerKind, Role
from cungoods.services.money import ledger
from cungoods.services.money.ledger import InsufficientFunds, Leg


async def _funded_wallet(amount_fen: int) -> tuple[int, int]:
    """A buyer's wallet topped up with `amount_fen` in cash at a leader's station."""
    buyer = await make_user(Role.BUYER, wallet_fen=0)
    leader = await make_user(Role.LEADER)
    async with in_transaction():
        wallet = await ledger.account(AccountKind.BUYER_WALLET, buyer.id)
        cash = await ledger.account(AccountKind.LEADER_CASH, leader.id)
        await ledger.post(
            LedgerKind.TOP_UP, ledger.transfer(source=cash, target=wallet, amount_fen=amount_fen)
        )
    return wallet, cash


async def test_a_transfer_moves_money_and_records_the_balance_after_each_entry() -> None:
    wallet, cash = await _funded_wallet(5_000)
    revenue = await ledger.account(AccountKind.PLATFORM_REVENUE)

    await ledger.post(
        LedgerKind.PAYMENT, ledger.transfer(source=wallet, target=revenue, amount_fen=1_200)
    )

    assert await ledger.balance(wallet) == 3_800
    assert await ledger.balance(cash) == -5_000  # the leader owes the hub the cash taken
    assert await ledger.balance(revenue) == 1_200
    last = await LedgerEntry.filter(account_id=wallet).order_by("-id").first()
    assert last is not None and (last.amount_fen, last.balance_after_fen) == (-1_200, 3_800)
    assert await ledger.invariant_violations() == []


async def test_a_wallet_cannot_pay_more_than_it_holds_and_nothing_moves() -> None:
    wallet, _ = await _funded_wallet(1_000)
    revenue = await ledger.account(AccountKind.PLATFORM_REVENUE)
    before = await LedgerTransaction.all().count()

    with pytest.raises(InsufficientFunds) as refused:
        async with in_transaction():
            await ledger.post(
                LedgerKind.PAYMENT,
                ledger.transfer(source=wallet, target=revenue, amount_fen=1_500),
            )

    assert refused.value.shortfall_fen == 500
    assert refused.value.code.value == "INSUFFICIENT_FUNDS"
    assert await ledger.balance(wallet) == 1_000
    assert await ledger.balance(revenue) == 0
    assert await LedgerTransaction.all().count() == before


async def test_a_refusal_caught_by_the_caller_leaves_no_half_transaction() -> None:
    # The revenue leg sorts first (its account is older), so it has moved when the wallet
    # refuses: the posting's own savepoint must undo it even though the caller carries on.
    revenue = await ledger.account(AccountKind.PLATFORM_REVENUE)
    wallet, _ = await _funded_wallet(100)

    async with in_transaction():
        with pytest.raises(InsufficientFunds):
            await ledger.post(
                LedgerKind.PAYMENT, [Leg(revenue, 300), Leg(wallet, -300)], memo="too much"
            )

    assert await ledger.balance(revenue) == 0
    assert await ledger.balance(wallet) == 100
    assert not await LedgerTransaction.filter(memo="too much").exists()
    assert await ledger.invariant_violations() == []


async def test_an_unbalanced_transaction_is_refused() -> None:
    wallet, cash = await _funded_wallet(100)

    with pytest.raises(ValueError):
        await ledger.post(LedgerKind.TOP_UP, [Leg(wallet, 50), Leg(cash, -40)])

    assert await ledger.balance(wallet) == 100


async def test_the_invariant_query_finds_a_balance_changed_behind_the_ledgers_back() -> None:
    wallet, _ = await _funded_wallet(100)
    from cungoods.models import Account

    await Account.filter(id=wallet).update(balance_fen=150)

    [violation] = await ledger.invariant_violations()
    assert violation["what"] == "account" and violation["id"] == wallet


async def test_a_platform_account_has_no_owner_and_a_party_account_needs_one() -> None:
    with pytest.raises(ValueError):
        await ledger.account(AccountKind.BUYER_WALLET)
    buyer = await make_user(Role.BUYER, wallet_fen=0)
    with pytest.raises(ValueError):
        await ledger.account(AccountKind.PLATFORM_REVENUE, buyer.id)
    assert await ledger.balance_of(AccountKind.BUYER_WALLET, buyer.id) == 0


# Each racer holds a pooled connection while it waits for the others (the pool has 40).
RACERS = 30


@pytest.mark.pg_only
async def test_30_payments_racing_for_a_wallet_that_pays_for_10(is_postgres: bool) -> None:
    wallet, _ = await _funded_wallet(10 * 700)
    revenue = await ledger.account(AccountKind.PLATFORM_REVENUE)
    started = asyncio.Event()
    waiting = 0

    async def pay() -> str:
        nonlocal waiting
        async with in_transaction():
            # Every payment opens its transaction before any of them moves money.
            waiting += 1
            if waiting == RACERS:
                started.set()
            await started.wait()
            try:
                await ledger.post(
                    LedgerKind.PAYMENT,
                    ledger.transfer(source=wallet, target=revenue, amount_fen=700),
                )
            except InsufficientFunds:
                return "INSUFFICIENT_FUNDS"
        return "OK"

    results = await asyncio.gather(*[pay() for _ in range(RACERS)])

    assert waiting == RACERS
    assert results.count("OK") == 10 and results.count("INSUFFICIENT_FUNDS") == RACERS - 10
    assert await ledger.balance(wallet) == 0
    assert await ledger.balance(revenue) == 7_000
    assert await ledger.invariant_violations() == []
