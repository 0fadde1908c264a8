"""The demo catalog: the hub's products and a sale window with stock for each coming day.

Idempotent: products are looked up by SKU and windows by service date, and only what is
missing is added, so running it twice (or on every start) changes nothing.
"""

from __future__ import annotations

import datetime as dt

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from cungoods.models import Product, SaleItem, SaleWindow
from cungoods.seed import county_data as data
from cungoods.services import catalog, clock

# Units a county hub puts on sale per day for ~150 villages: heavy staples in tens, fresh
# vegetables and fruit by the hundred 斤, fish and meat by what one morning's catch and
# slaughter give, household goods in tens.
DAILY_STOCK: dict[str, int] = {
    "粮油": 60,
    "禽蛋": 120,
    "蔬菜": 300,
    "水果": 200,
    "水产": 60,
    "肉禽": 80,
    "速冻": 60,
    "乳品": 80,
    "豆制品": 100,
    "调味": 80,
    "日用": 50,
    "饮品": 40,
}
DEFAULT_STOCK = 50


def daily_stock(sku: str, category: str, day: dt.date) -> int:
    """The category's usual amount, varied by product and day (between 80 % and 125 %) without
    randomness, so the demo looks lived-in and reseeding gives the same numbers."""
    base = DAILY_STOCK.get(category, DEFAULT_STOCK)
    step = (sum(map(ord, sku)) + day.toordinal()) % 10
    return max(1, base * (80 + 5 * step) // 100)


async def seed_products() -> dict[str, Product]:
    """The catalog of county_data.PRODUCTS; returns every product by SKU."""
    skus = [p.sku for p in data.PRODUCTS]
    existing = {p.sku for p in await Product.filter(sku__in=skus)}
    missing = [
        Product(
            sku=p.sku,
            name=p.name,
            category=p.category,
            unit=p.unit,
            price_fen=p.price_fen,
            weight_g=p.weight_g,
            volume_cm3=p.volume_cm3,
            temperature=p.temperature,
        )
        for p in data.PRODUCTS
        if p.sku not in existing
    ]
    if missing:
        await Product.bulk_create(missing)
    return {p.sku: p for p in await Product.filter(sku__in=skus)}


async def seed_catalog(*, days: int = 8) -> None:
    """Products, and a sale window with every product in stock for today and the next
    `days - 1` days (default times: cutoff 21:00 the evening before, open from the cutoff
    before that). Windows that exist are left as they are."""
    products = await seed_products()
    today = clock.today()
    dates = [today + dt.timedelta(days=offset) for offset in range(days)]
    existing = {w.service_date for w in await SaleWindow.filter(service_date__in=dates)}
    for day in dates:
        if day in existing:
            continue
        try:
            async with in_transaction():
                window = await SaleWindow.create(
                    service_date=day,
                    opens_at=catalog.default_opens(day),
                    cutoff_at=catalog.default_cutoff(day),
                )
                await SaleItem.bulk_create(
                    [
                        SaleItem(
                            window_id=window.id,
                            product_id=product.id,
                            price_fen=product.price_fen,
                            stock=daily_stock(product.sku, product.category, day),
                        )
                        for product in products.values()
                    ]
                )
        except IntegrityError:
            continue  # another process seeding at the same moment made this window: it stands
