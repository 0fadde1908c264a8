"""The catalog mutations' results."""

from __future__ import annotations

import strawberry

from cungoods.api.catalog.types import SaleWindow
from cungoods.api.errors import UserError


@strawberry.type(description="The result of openSaleWindow.")
class OpenSaleWindowPayload:
    sale_window: SaleWindow | None = strawberry.field(description="The window.")
    errors: list[UserError] = strawberry.field(description="Why it failed, if it did.")


@strawberry.type(description="The result of runCutoff.")
class RunCutoffPayload:
    sale_window: SaleWindow | None = strawberry.field(description="The window, cut off.")
    errors: list[UserError] = strawberry.field(description="Why it failed, if it did.")
