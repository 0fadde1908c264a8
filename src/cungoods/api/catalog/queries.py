"""The catalog queries: open sale windows, a date's window, the products."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

import strawberry

from cungoods.api.catalog.types import Product, SaleWindow
from cungoods.api.context import Info
from cungoods.api.descriptions import SearchArg
from cungoods.api.scalars import (
    AfterArg,
    BeforeArg,
    Connection,
    FirstArg,
    LastArg,
    connection_field,
    connection_of,
    page_args,
)
from cungoods.services import catalog

PRODUCTS_PAGE_SIZE = 50  # a catalog page: more than a village shop's shelf, less than the catalog


@strawberry.type
class CatalogQuery:
    @strawberry.field(description="Sale windows taking orders now, by service date.")
    async def open_sale_windows(self) -> list[SaleWindow]:
        return [SaleWindow.of(window) for window in await catalog.open_sale_windows()]

    @strawberry.field(description="The sale window of a service date, open or not.")
    async def sale_window(
        self,
        service_date: Annotated[
            dt.date, strawberry.argument(description="The service date the window sells for.")
        ],
    ) -> SaleWindow | None:
        window = await catalog.sale_window(service_date=service_date)
        return None if window is None else SaleWindow.of(window)

    @connection_field(
        description="The hub's catalog, filtered by category or text.", page_size=PRODUCTS_PAGE_SIZE
    )
    async def products(
        self,
        info: Info,
        first: FirstArg = None,
        after: AfterArg = None,
        last: LastArg = None,
        before: BeforeArg = None,
        category: Annotated[
            str | None,
            strawberry.argument(
                description="Only the products of this category (its exact name, at most 32 "
                "characters)."
            ),
        ] = None,
        search: SearchArg = None,
    ) -> Connection[Product]:
        page = await catalog.products(
            page_args=page_args(
                first=first, after=after, last=last, before=before, page_size=PRODUCTS_PAGE_SIZE
            ),
            category=category,
            search=search,
            max_size=info.context.max_page_size,
        )
        return connection_of(page, Product.of)
