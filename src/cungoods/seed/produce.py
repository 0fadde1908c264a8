"""The demo farmers' produce: the listings of county_data.LISTINGS, ready relative to today.

Idempotent: a listing is known by its farmer and title, and only missing ones are added. A demo
listing whose ready-until date has passed gets its dates moved to today again, so a demo left
running for days still has produce on sale; otherwise a second run changes nothing.
"""

from __future__ import annotations

import datetime as dt

from tortoise.transactions import in_transaction

from cungoods.models import ProduceListing, Station, User
from cungoods.models.enums import ListingStatus, Temperature
from cungoods.seed import county_data as data
from cungoods.services import clock


def _ready_dates(seed: data.ListingSeed, today: dt.date) -> tuple[dt.date, dt.date]:
    ready_from = today + dt.timedelta(days=seed.ready_in_days)
    return ready_from, ready_from + dt.timedelta(days=seed.ready_for_days)


async def seed_produce() -> None:
    """Add the demo listings; the demo farmers (phones 136000000NN) must exist already."""
    # Imported here: seed/demo.py calls this module, and the phone numbering lives there.
    from cungoods.seed.demo import farmer_phone

    phones = {n: farmer_phone(n + 1) for n in range(len(data.FARMERS))}
    farmers = {user.phone: user for user in await User.filter(phone__in=list(phones.values()))}
    missing_farmers = sorted(set(phones.values()) - set(farmers))
    if missing_farmers:
        raise RuntimeError(f"seed the demo farmers first: {', '.join(missing_farmers)} missing")
    codes = {farmer.station_code for farmer in data.FARMERS}
    stations = {s.code: s for s in await Station.filter(code__in=sorted(codes))}
    today = clock.today()
    async with in_transaction():
        existing = {
            (listing.farmer_id, listing.title): listing
            for listing in await ProduceListing.filter(
                farmer_id__in=[farmer.id for farmer in farmers.values()]
            )
        }
        new: list[ProduceListing] = []
        for seed in data.LISTINGS:
            farmer = farmers[phones[seed.farmer_index]]
            ready_from, ready_until = _ready_dates(seed, today)
            stored = existing.get((farmer.id, seed.title))
            if stored is not None:
                if stored.status is ListingStatus.OPEN and stored.ready_until < today:
                    await ProduceListing.filter(id=stored.id).update(
                        ready_from=ready_from, ready_until=ready_until
                    )
                continue
            station = stations[data.FARMERS[seed.farmer_index].station_code]
            new.append(
                ProduceListing(
                    farmer_id=farmer.id,
                    title=seed.title,
                    category=seed.category,
                    variety=seed.variety,
                    grade=seed.grade,
                    unit=seed.unit,
                    unit_weight_g=seed.unit_weight_g,
                    unit_volume_cm3=seed.unit_volume_cm3,
                    price_fen=seed.price_fen,
                    quantity=seed.quantity,
                    min_quantity=seed.min_quantity,
                    station_id=station.id,
                    ready_from=ready_from,
                    ready_until=ready_until,
                    temperature=Temperature(seed.temperature),
                    description=seed.description,
                    photo_urls=[],
                )
            )
        if new:
            await ProduceListing.bulk_create(new)
