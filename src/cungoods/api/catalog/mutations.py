"""The catalog mutations: openSaleWindow, runCutoff."""

from __future__ import annotations

import strawberry

from cungoods.api.catalog.inputs import OpenSaleWindowInput, RunCutoffInput, item_specs
from cungoods.api.catalog.payloads import OpenSaleWindowPayload, RunCutoffPayload
from cungoods.api.catalog.types import SaleWindow
from cungoods.api.context import Info
from cungoods.api.descriptions import MutationInput
from cungoods.api.errors import mutation_payload
from cungoods.services import catalog, orders


@strawberry.type
class CatalogMutation:
    @strawberry.mutation(description="Open or change the sale window of a date (DISPATCHER).")
    async def open_sale_window(
        self, info: Info, input: MutationInput[OpenSaleWindowInput]
    ) -> OpenSaleWindowPayload:
        return await mutation_payload(
            OpenSaleWindowPayload,
            lambda: catalog.open_sale_window(
                viewer=info.context.viewer,
                service_date=input.service_date,
                opens_at=input.opens_at,
                cutoff_at=input.cutoff_at,
                items=item_specs(input.items),
            ),
            sale_window=SaleWindow.of,
        )

    @strawberry.mutation(
        description="Close ordering for a date and confirm its orders (DISPATCHER); the server "
        "also does this by itself at the cutoff time."
    )
    async def run_cutoff(
        self, info: Info, input: MutationInput[RunCutoffInput]
    ) -> RunCutoffPayload:
        return await mutation_payload(
            RunCutoffPayload,
            lambda: orders.run_cutoff(viewer=info.context.viewer, service_date=input.service_date),
            sale_window=SaleWindow.of,
        )
