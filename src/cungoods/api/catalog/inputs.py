"""The catalog mutations' inputs, and what they mean to the services."""

from __future__ import annotations

import datetime as dt

import strawberry

from cungoods.api.ids import pk_of
from cungoods.services import catalog
from cungoods.services.errors import DomainError


@strawberry.input(description="A product to put on sale in a window.")
class SaleItemInput:
    product_id: strawberry.ID = strawberry.field(description="The product.")
    stock: int = strawberry.field(description="Units on sale (not below what is sold already).")
    price_fen: int | None = strawberry.field(
        default=None, description="Price per unit in fen (default: the catalog price)."
    )
    min_units: int | None = strawberry.field(
        default=None,
        description="成团: the units the whole window must reach by the cutoff, else every "
        "line of this item is cancelled and refunded (null: no minimum). Given again on each "
        "change of the window.",
    )
    max_per_buyer: int | None = strawberry.field(
        default=None,
        description="限购: the units one buyer may order of this item in the window (null: no "
        "limit). Given again on each change of the window.",
    )


@strawberry.input(description="Open (or change) the sale window of a service date.")
class OpenSaleWindowInput:
    service_date: dt.date = strawberry.field(description="The delivery day.")
    opens_at: dt.datetime | None = strawberry.field(
        default=None, description="When ordering opens (default: the previous day's cutoff)."
    )
    cutoff_at: dt.datetime | None = strawberry.field(
        default=None, description="When ordering closes (default: 21:00 the evening before)."
    )
    items: list[SaleItemInput] = strawberry.field(description="What is on sale.")


@strawberry.input(description="Close ordering for a service date and confirm its orders.")
class RunCutoffInput:
    service_date: dt.date = strawberry.field(description="The delivery day.")


def item_specs(items: list[SaleItemInput]) -> list[catalog.ItemSpec]:
    """The items to put on sale; a bad product id is reported at its place in the list."""
    specs = []
    for i, item in enumerate(items):
        try:
            product_id = pk_of(item.product_id, "Product")
        except DomainError as error:
            raise DomainError(error.code, error.message, ["items", str(i), "productId"]) from error
        specs.append(
            catalog.ItemSpec(
                product_id=product_id,
                stock=item.stock,
                price_fen=item.price_fen,
                min_units=item.min_units,
                max_per_buyer=item.max_per_buyer,
            )
        )
    return specs
