"""The money queries: the viewer's ledger and statements, and everyone's statements."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

import strawberry

from cungoods.api.context import Info
from cungoods.api.ids import from_cursor
from cungoods.api.money.types import LedgerEntry, Statement
from cungoods.api.scalars import Connection, connection_of
from cungoods.services.money import settlement, wallet

FromArg = Annotated[
    dt.date, strawberry.argument(name="from", description="The first day of the period.")
]
ToArg = Annotated[dt.date, strawberry.argument(description="The last day (inclusive).")]


@strawberry.type
class MoneyQuery:
    @strawberry.field(
        description="The viewer's ledger entries on all their accounts (wallet, commission, "
        "cash, payable), newest first."
    )
    async def my_ledger(
        self,
        info: Info,
        first: Annotated[int, strawberry.argument(description="Page size.")] = 20,
        after: Annotated[
            str | None, strawberry.argument(description="The endCursor of the previous page.")
        ] = None,
    ) -> Connection[LedgerEntry]:
        page = await wallet.my_ledger(
            viewer=info.context.viewer,
            first=first,
            after_id=from_cursor(after),
            max_size=info.context.max_page_size,
        )
        return connection_of(page, LedgerEntry.of)

    @strawberry.field(description="The viewer's own statements overlapping a period.")
    async def my_statements(self, info: Info, from_: FromArg, to: ToArg) -> list[Statement]:
        made = await settlement.statements(
            viewer=info.context.viewer, start=from_, end=to, mine=True
        )
        return [Statement.of(statement) for statement in made]

    @strawberry.field(description="Everyone's statements overlapping a period (DISPATCHER).")
    async def statements(self, info: Info, from_: FromArg, to: ToArg) -> list[Statement]:
        made = await settlement.statements(
            viewer=info.context.viewer, start=from_, end=to, mine=False
        )
        return [Statement.of(statement) for statement in made]
