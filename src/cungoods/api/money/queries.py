"""The money queries: the viewer's ledger and statements, and everyone's statements."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

import strawberry

from cungoods.api.context import Info
from cungoods.api.money.types import LedgerEntry, Statement
from cungoods.api.scalars import (
    DEFAULT_PAGE_SIZE,
    AfterArg,
    BeforeArg,
    Connection,
    FirstArg,
    LastArg,
    connection_field,
    connection_of,
    page_args,
)
from cungoods.services.money import settlement, wallet

FromArg = Annotated[
    dt.date, strawberry.argument(name="from", description="The first day of the period.")
]
ToArg = Annotated[dt.date, strawberry.argument(description="The last day (inclusive).")]


@strawberry.type
class MoneyQuery:
    @connection_field(
        description="The viewer's ledger entries on all their accounts (wallet, commission, "
        "cash, payable), newest first; null with an error when signed out.",
        page_size=DEFAULT_PAGE_SIZE,
    )
    async def my_ledger(
        self,
        info: Info,
        first: FirstArg = None,
        after: AfterArg = None,
        last: LastArg = None,
        before: BeforeArg = None,
    ) -> Connection[LedgerEntry] | None:
        page = await wallet.my_ledger(
            viewer=info.context.viewer,
            page_args=page_args(
                first=first, after=after, last=last, before=before, page_size=DEFAULT_PAGE_SIZE
            ),
            max_size=info.context.max_page_size,
        )
        return connection_of(page, LedgerEntry.of)

    @strawberry.field(
        description="The viewer's own statements overlapping a period; null with an error when "
        "signed out."
    )
    async def my_statements(self, info: Info, from_: FromArg, to: ToArg) -> list[Statement] | None:
        made = await settlement.statements(
            viewer=info.context.viewer, start=from_, end=to, mine=True
        )
        return [Statement.of(statement) for statement in made]

    @strawberry.field(
        description="Everyone's statements overlapping a period (DISPATCHER; null with an error "
        "for anyone else)."
    )
    async def statements(self, info: Info, from_: FromArg, to: ToArg) -> list[Statement] | None:
        made = await settlement.statements(
            viewer=info.context.viewer, start=from_, end=to, mine=False
        )
        return [Statement.of(statement) for statement in made]
