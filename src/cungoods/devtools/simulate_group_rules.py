"""The simulation's group-buy rules: on each day's window the dispatcher gives some items a
minimum group size (成团) and some a per-buyer limit (限购), through openSaleWindow like any
change of the window.

About one item in ten gets a minimum: half of them one the day's orders easily reach, half one
they rarely do (the whole stock), so about 5 % of items are cancelled and refunded at the
cutoff. About one in eight gets a limit of 1 to 3 units per buyer, so villagers who order more
are refused with LIMIT_EXCEEDED.
"""

from __future__ import annotations

import datetime as dt
import random

from cungoods.models import SaleItem, SaleWindow
from cungoods.services import catalog
from cungoods.services.auth import Viewer

WITH_MINIMUM = 0.10
UNREACHABLE = 0.5  # of those with a minimum
WITH_LIMIT = 0.12


async def set_group_rules(*, viewer: Viewer, service_date: dt.date, rng: random.Random) -> int:
    """Give the window's items their rules (stock and prices as they are); returns how many
    items got a rule."""
    window = await SaleWindow.get(service_date=service_date)
    items = await SaleItem.filter(window_id=window.id).order_by("id")
    specs = []
    ruled = 0
    for item in items:
        min_units = max_per_buyer = None
        if rng.random() < WITH_MINIMUM:
            min_units = item.stock if rng.random() < UNREACHABLE else rng.randint(2, 4)
        if rng.random() < WITH_LIMIT:
            max_per_buyer = rng.randint(1, 3)
        ruled += min_units is not None or max_per_buyer is not None
        specs.append(
            catalog.ItemSpec(
                product_id=item.product_id,
                stock=item.stock,
                price_fen=item.price_fen,
                min_units=min_units,
                max_per_buyer=max_per_buyer,
            )
        )
    await catalog.open_sale_window(
        viewer=viewer, service_date=service_date, opens_at=None, cutoff_at=None, items=specs
    )
    return ruled
